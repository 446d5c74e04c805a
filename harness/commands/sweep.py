"""``pipewarden sweep``: find and delete resources left behind under a run prefix."""

from __future__ import annotations

import argparse
from typing import Any

from harness.backends import BACKEND_NAMES, egress_guard, make_backend
from harness.provider.lifecycle import Provider


def register(subparsers: Any) -> None:
    """Add the ``sweep`` sub-command."""
    parser = subparsers.add_parser(
        "sweep",
        help="delete resources left behind by a run, by name prefix",
        description="List (and with --yes delete) every resource whose name starts with PREFIX.",
    )
    parser.add_argument("--prefix", required=True, help="the run prefix, e.g. pw-1a2b3c4d-")
    parser.add_argument("--backend", choices=BACKEND_NAMES, default="moto-server", help="where to look")
    parser.add_argument("--yes", action="store_true", help="delete what is found (default: only list)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List or delete leftovers; exit 0, or 1 when leftovers were found and not deleted."""
    backend = make_backend(args.backend)
    if args.backend == "aws":
        backend.open()
        return _sweep(backend, args)
    with egress_guard().active():
        backend.open()
        try:
            return _sweep(backend, args)
        finally:
            backend.close()


def _sweep(backend: Any, args: argparse.Namespace) -> int:
    provider = Provider(backend, args.prefix)
    found = provider.sweep(args.prefix) if args.yes else provider.leftovers(args.prefix)
    for item in found:
        print(("deleted " if args.yes else "found   ") + item)
    print(f"{len(found)} resource(s) {'deleted' if args.yes else 'found'} under {args.prefix}")
    return 0 if args.yes or not found else 1
