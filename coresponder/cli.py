"""The `coresponder` console script: Django's management entry point."""

from __future__ import annotations

import os
import sys

from django.conf import settings

from coresponder import __version__
from coresponder.config import ConfigError


def main() -> None:
    # Django's own --version names Django's release; ours names Coresponder's.
    if sys.argv[1:] == ["--version"]:
        print(f"coresponder {__version__}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")
    try:
        # The settings are read from the environment here: a bad one stops every command
        # with the sentence naming it, for the operator, not a traceback.
        settings.INSTALLED_APPS  # noqa: B018
    except ConfigError as exc:
        sys.stderr.write(f"coresponder: {exc}\n")
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
