"""Shared scanning helpers for filter-pattern parsers: positions, errors and value classification."""

from __future__ import annotations

import re
from typing import Final

from harness.errors import InputError

# A number as a pattern literal: optional sign, integer or decimal, optional exponent (JSON numeric filters
# accept scientific notation such as 1e+3).
NUMBER_LITERAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# A number inside a log value: strings do not support scientific notation, so no exponent here.
NUMBER_TEXT: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def pattern_error(column: int, expected: str, found: str, fix: str) -> InputError:
    """Build the error for an invalid filter pattern.

    Args:
        column: 1-based column of the offending character in the pattern text.
        expected: what the parser expected there.
        found: what it found instead.
        fix: how to correct the pattern.

    Returns:
        An InputError whose message starts with ``pattern column N``.
    """
    return InputError(
        where=f"pattern column {column}",
        expected=expected,
        found=found,
        fix=fix,
        field="filterPattern",
        column=column,
    )


def describe(text: str, pos: int) -> str:
    """Describe what sits at ``pos`` for an error message ("end of pattern" or a short quoted excerpt)."""
    if pos >= len(text):
        return "end of pattern"
    excerpt = text[pos : pos + 12]
    if len(text) - pos > 12:
        excerpt += "..."
    return repr(excerpt)


class Scanner:
    """A cursor over the pattern text that knows its column for error messages."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self, size: int = 1) -> str:
        return self.text[self.pos : self.pos + size]

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def skip_ws(self) -> None:
        text = self.text
        pos = self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def error(self, expected: str, fix: str, pos: int | None = None, found: str | None = None) -> InputError:
        at = self.pos if pos is None else pos
        return pattern_error(at + 1, expected, describe(self.text, at) if found is None else found, fix)

    def read_quoted(self) -> str:
        """Read a double-quoted string at the cursor; ``\\"`` and ``\\\\`` are escapes.

        Raises:
            InputError: the closing quote is missing.
        """
        start = self.pos
        text = self.text
        pos = start + 1
        out: list[str] = []
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\':
                out.append(text[pos + 1])
                pos += 2
                continue
            if char == '"':
                self.pos = pos + 1
                return "".join(out)
            out.append(char)
            pos += 1
        raise self.error(
            "a closing double quote",
            'close the quoted string with "',
            pos=start,
            found="an unterminated quoted string",
        )

    def read_regex(self) -> tuple[str, int]:
        """Read ``%...%`` at the cursor.

        Returns:
            The regex body and the 0-based offset of its first character.

        Raises:
            InputError: the closing ``%`` is missing or the body is empty.
        """
        start = self.pos
        end = self.text.find("%", start + 1)
        if end < 0:
            raise self.error(
                "a closing % after the regular expression",
                "surround the regular expression with % on both sides, as in %ERROR [0-9]+%",
                pos=start,
                found="an unterminated %regex%",
            )
        if end == start + 1:
            raise self.error(
                "a regular expression between % and %",
                "write the expression between the percent signs, as in %ERROR%",
                pos=start,
                found="an empty %%",
            )
        self.pos = end + 1
        return self.text[start + 1 : end], start + 1
