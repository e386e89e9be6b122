"""The `coresponder` console script: Django's management entry point."""

from __future__ import annotations

import os
import sys

from django.conf import settings

from coresponder import __version__
from coresponder.config import ConfigError

# What `coresponder <command>` exits with when a setting is bad, as for a bad argument.
BAD_SETTING = 2


def read_settings_or_stop(status: int) -> None:
    """Read the settings from the environment: a bad one stops the process with `status`
    and the sentence naming it, for the operator, not a traceback."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")
    try:
        settings.INSTALLED_APPS  # noqa: B018
    except ConfigError as exc:
        sys.stderr.write(f"coresponder: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(status) from None


def main() -> None:
    # Django's own --version names Django's release; ours names Coresponder's.
    if sys.argv[1:] == ["--version"]:
        print(f"coresponder {__version__}")
        return
    read_settings_or_stop(BAD_SETTING)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
