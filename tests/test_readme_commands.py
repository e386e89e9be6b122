"""Every command line the README shows is one its command accepts as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

README = Path(__file__).resolve().parents[1] / "README.md"


def shown_command_lines() -> list[str]:
    """The `coresponder ...` lines of the README's command list, comments left off."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            found = re.search(r"(?:^|\| )coresponder (.*)$", line)
            if found:
                lines.append(shlex.split(found.group(1), comments=True))
    return [shlex.join(words) for words in lines if words]


@pytest.mark.parametrize("line", shown_command_lines())
def test_the_readme_shows_each_command_with_the_arguments_it_needs(line: str) -> None:
    name, *arguments = shlex.split(line)
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("coresponder", name)

    parser.parse_args(arguments)
