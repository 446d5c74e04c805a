"""The ``pipewarden logs`` command group: ``logs match`` runs a CloudWatch Logs filter pattern over lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from harness.detect.patterns import LogMessage, compile_pattern
from harness.errors import InputError

# Undecodable bytes pass through unchanged: a line is printed exactly as it was read.
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


class _LogsParser(argparse.ArgumentParser):
    """Parser for ``logs`` actions: a pattern value may start with ``-`` (``--pattern -DEBUG``), which
    argparse would otherwise take for an option."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None:
            joined: list[str] = []
            items = list(args)
            index = 0
            while index < len(items):
                item = items[index]
                if item == "--pattern" and index + 1 < len(items):
                    joined.append(f"--pattern={items[index + 1]}")
                    index += 2
                    continue
                joined.append(item)
                index += 1
            args = joined
        return super().parse_known_args(args, namespace)


def register(subparsers: Any) -> None:
    """Add the ``logs`` command group to the top-level parser.

    Args:
        subparsers: the object ``ArgumentParser.add_subparsers`` returned.
    """
    logs = subparsers.add_parser(
        "logs",
        help="CloudWatch Logs behaviour: filter patterns",
        description="CloudWatch Logs behaviour the emulators do not provide.",
    )
    logs.set_defaults(func=_usage(logs))
    actions = logs.add_subparsers(dest="logs_action", metavar="ACTION", parser_class=_LogsParser)
    match = actions.add_parser(
        "match",
        help="print the log event messages a filter pattern matches",
        description=(
            "Read log event messages, one per line, and print those the CloudWatch Logs filter pattern "
            "matches, in order. Empty lines are not events and are skipped; a trailing CR is removed."
        ),
    )
    match.add_argument("--pattern", required=True, help="the filter pattern, exactly as given to CloudWatch Logs")
    match.add_argument("file", nargs="?", default="-", metavar="FILE", help="messages file, or - for stdin")
    match.set_defaults(func=run_match)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def usage(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return usage


def run_match(args: argparse.Namespace) -> int:
    """Run ``logs match``.

    Args:
        args: parsed arguments with ``pattern`` and ``file``.

    Returns:
        0 after printing the matching messages; 2 for an invalid pattern or an unreadable file.
    """
    try:
        pattern = compile_pattern(args.pattern)
    except InputError as exc:
        print(f"pipewarden: error: {exc}", file=sys.stderr)
        if exc.column is not None and "\n" not in args.pattern:
            print(f"  {args.pattern}", file=sys.stderr)
            print("  " + " " * (exc.column - 1) + "^", file=sys.stderr)
        return 2
    out = sys.stdout.buffer
    if args.file == "-":
        source: BinaryIO = sys.stdin.buffer
        return _match(pattern.matches, source, out)
    try:
        with open(args.file, "rb") as handle:
            return _match(pattern.matches, handle, out)
    except OSError as exc:
        raise InputError(
            where=args.file,
            expected="a readable file of log event messages",
            found=exc.strerror or str(exc),
            fix="check the path, or pass - to read from stdin",
            file=args.file,
        ) from exc


def _match(matches: Any, source: BinaryIO, out: BinaryIO) -> int:
    for line in _messages(source):
        if matches(LogMessage(line)):
            out.write(line.encode(_ENCODING, _ERRORS) + b"\n")
    out.flush()
    return 0


def _messages(source: BinaryIO) -> Iterator[str]:
    """Each line is one log event message; only LF ends a line, and a CR before it is dropped (CRLF files)."""
    first = True
    for raw in source:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if line.endswith(b"\r"):
            line = line[:-1]
        if first:
            first = False
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
        if line:
            yield line.decode(_ENCODING, _ERRORS)
