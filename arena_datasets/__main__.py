"""The data command line.

    python -m arena_datasets fetch [SOURCE...]
    python -m arena_datasets build-hidden [SLUG...]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from arena_datasets import fetch
from arena_datasets.paths import assignments_dir


def _fetch(names: list[str]) -> int:
    unknown = sorted(set(names) - set(fetch.SOURCES))
    if unknown:
        print(
            f"unknown source(s): {', '.join(unknown)}; known: {', '.join(fetch.SOURCES)}",
            file=sys.stderr,
        )
        return 2
    for name, folder in fetch.fetch_all(names or None).items():
        print(f"{name}: verified in {folder}")
    return 0


def _bundle_slugs() -> list[str]:
    return sorted(p.parent.name for p in assignments_dir().glob("*/assignment.toml"))


def _build_hidden(slugs: list[str]) -> int:
    from arena_datasets.hidden import ensure_hidden  # the grader engineers' module

    known = _bundle_slugs()
    unknown = sorted(set(slugs) - set(known))
    if unknown:
        print(f"unknown bundle(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    for slug in slugs or known:
        print(f"{slug}: hidden data in {ensure_hidden(assignments_dir() / slug)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arena_datasets")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="fetch and verify the real data sets")
    fetch_cmd.add_argument("sources", nargs="*", help=f"default: all of {', '.join(fetch.SOURCES)}")
    hidden_cmd = commands.add_parser("build-hidden", help="build the hidden data of bundles")
    hidden_cmd.add_argument("slugs", nargs="*", help="default: every bundle under assignments/")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        return _fetch(args.sources)
    return _build_hidden(args.slugs)


if __name__ == "__main__":
    sys.exit(main())
