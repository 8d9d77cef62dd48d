#!/usr/bin/env python
"""Django's command-line utility for Deep Dive Arena."""

import os
import sys
from pathlib import Path


def main() -> None:
    # platform/ is not a package: its apps are importable when platform/ is on the path.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
