"""The `coresponder` console script: Django's management entry point."""

from __future__ import annotations

import os
import sys

from coresponder import __version__


def main() -> None:
    # Django's own --version names Django's release; ours names Coresponder's.
    if sys.argv[1:] == ["--version"]:
        print(f"coresponder {__version__}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
