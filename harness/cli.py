"""The ``pipewarden`` command line: one sub-command per concern, each registered by its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness.errors import PipewardenError

# Each module exposes ``register(subparsers)``; the registered parser sets ``func(args) -> int``.
COMMAND_MODULES: tuple[str, ...] = (
    "harness.iam.command",
    "harness.detect.command",
    "harness.commands.check",
    "harness.commands.sweep",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available sub-command.

    Returns:
        The parser; each sub-parser sets ``func``.
    """
    parser = argparse.ArgumentParser(
        prog="pipewarden",
        description="Prove that a CI/CD pipeline on AWS is secure, in an AWS emulator.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def _command(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    """The parser of one command, by its name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The process exit code (0 success, 1 a check failed, 2 usage or input error).
    """
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    command = _command(parser, given[0]) if given else None
    if command is not None and any(a.nargs == "*" for a in command._actions if not a.option_strings):
        # Options may come between a command's positional arguments (check main.yaml --param X=1 other.yaml).
        args = command.parse_intermixed_args(given[1:])
    else:
        args = parser.parse_args(given)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = func(args)
    except PipewardenError as exc:
        print(f"pipewarden: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
