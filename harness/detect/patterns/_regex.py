"""The restricted regular-expression dialect of CloudWatch Logs filter patterns (``%...%``), checked and
translated to Python's ``re``."""

from __future__ import annotations

import re
import string
from typing import Final

from harness.detect.patterns._scan import pattern_error

# What AWS documents as allowed inside %...%: letters, digits, the symbols : _ # = @ / ; , - and the operators
# ^ $ ? [ ] { } | \ * + . ; the documented examples also use spaces ("%^shutting down%", "{m, n}").
_SYMBOLS: Final = frozenset(":_#=@/;,- ")
_LITERALS: Final = frozenset(string.ascii_letters + string.digits) | _SYMBOLS
_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_CLASS_ESCAPES: Final = frozenset("dDsSwW")
_HEX: Final = frozenset(string.hexdigits)
_QUANTIFIER: Final = re.compile(r"\{ *(\d*) *(,)? *(\d*) *\}")
_FIX_UNSUPPORTED = (
    "CloudWatch Logs regex allows only letters, digits, : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \\ * + ."
)


def compile_regex(body: str, offset: int) -> re.Pattern[str]:
    """Check a CloudWatch Logs regex body and compile it.

    Args:
        body: the text between the two ``%`` signs.
        offset: 0-based offset of ``body`` in the whole pattern, for error columns.

    Returns:
        A compiled Python pattern with the same meaning; use ``.search`` (CloudWatch regexes match anywhere).

    Raises:
        InputError: a construct outside the documented subset, pointing at its column.
    """
    out: list[str] = []
    can_repeat = False
    pos = 0
    size = len(body)
    while pos < size:
        char = body[pos]
        column = offset + pos + 1
        if char == "\\":
            piece, pos = _escape(body, pos, offset, in_class=False)
            out.append(piece)
            can_repeat = True
            continue
        if char == "[":
            piece, pos = _char_class(body, pos, offset)
            out.append(piece)
            can_repeat = True
            continue
        if char in "*+?" or char == "{":
            if not can_repeat:
                raise pattern_error(
                    column,
                    "a character, '.', a [class] or an escape before the repetition operator",
                    repr(char),
                    f"escape it as \\{char} to match it literally; a repetition cannot follow ^, |, $ or "
                    "another repetition",
                )
            if char == "{":
                match = _QUANTIFIER.match(body, pos)
                if match is None:
                    raise pattern_error(
                        column,
                        "a repetition count such as {3}, {3,5}, {3,} or {,5}",
                        repr(body[pos : pos + 8]),
                        "write the counts as {m,n}, or escape the brace as \\{",
                    )
                low, comma, high = match.group(1), match.group(2), match.group(3)
                if not low and not high:
                    raise pattern_error(
                        column,
                        "at least one count in {m,n}",
                        repr(match.group(0)),
                        "give a minimum or a maximum",
                    )
                if low and high and int(low) > int(high):
                    raise pattern_error(
                        column,
                        "a minimum not above the maximum",
                        repr(match.group(0)),
                        "swap the two counts",
                    )
                if comma:
                    out.append("{" + (low or "0") + "," + high + "}")
                else:
                    out.append("{" + low + "}")
                pos = match.end()
            else:
                out.append(char)
                pos += 1
            can_repeat = False
            continue
        if char == ".":
            out.append(".")
            can_repeat = True
        elif char == "^":
            out.append("^")
            can_repeat = False
        elif char == "$":
            # \Z rather than $: Python's $ would also match before a trailing newline.
            out.append(r"\Z")
            can_repeat = False
        elif char == "|":
            out.append("|")
            can_repeat = False
        elif char in _LITERALS:
            out.append(re.escape(char))
            can_repeat = True
        else:
            raise _unsupported(char, column)
        pos += 1
    try:
        return re.compile("".join(out), re.ASCII | re.DOTALL)
    except re.error as exc:  # pragma: no cover - the checks above keep the translation valid
        raise pattern_error(offset + 1, "a valid regular expression", str(exc), _FIX_UNSUPPORTED) from exc


def _unsupported(char: str, column: int) -> Exception:
    if char in "()":
        return pattern_error(
            column,
            "no parentheses in a CloudWatch Logs regex",
            repr(char),
            "CloudWatch Logs does not support sub-patterns; use alternatives with | or match the character "
            "with \\x28 or \\x29",
        )
    if ord(char) > 127:
        return pattern_error(
            column,
            "single-byte characters in a regular expression",
            f"the multi-byte character {char!r}",
            "CloudWatch Logs regexes do not support multi-byte characters; match around it with '.'",
        )
    return pattern_error(
        column,
        "a character CloudWatch Logs regex supports",
        repr(char),
        f"match it with \\x{ord(char):02X}; {_FIX_UNSUPPORTED}",
    )


def _escape(body: str, pos: int, offset: int, *, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``body[pos]`` (a backslash) and return it with the next position."""
    column = offset + pos + 1
    if pos + 1 >= len(body):
        raise pattern_error(column, "a character after the backslash", "end of the regex", "remove the trailing \\")
    nxt = body[pos + 1]
    if nxt in _CLASS_ESCAPES:
        return "\\" + nxt, pos + 2
    if nxt == "x":
        digits = body[pos + 2 : pos + 4]
        if len(digits) != 2 or not set(digits) <= _HEX:
            raise pattern_error(
                column,
                "two hexadecimal digits after \\x",
                repr(body[pos : pos + 4]),
                "write the character code as \\xhh, for example \\x3A for ':'",
            )
        return re.escape(chr(int(digits, 16))), pos + 4
    if nxt in _OPERATORS or (nxt in _LITERALS and not nxt.isalnum()):
        return re.escape(nxt), pos + 2
    if ord(nxt) > 127 or nxt not in _LITERALS:
        raise _unsupported(nxt, column + 1)
    raise pattern_error(
        column,
        "a supported escape (\\d \\D \\s \\S \\w \\W \\xhh or a backslash before an operator)",
        repr("\\" + nxt),
        "remove the backslash, or use \\xhh for a control character",
    )


def _char_class(body: str, pos: int, offset: int) -> tuple[str, int]:
    """Translate the ``[...]`` class starting at ``body[pos]`` and return it with the next position."""
    start = pos
    pos += 1
    out = ["["]
    if pos < len(body) and body[pos] == "^":
        out.append("^")
        pos += 1
    items = 0
    previous: str | None = None  # the last single character, for ranges
    while pos < len(body):
        char = body[pos]
        column = offset + pos + 1
        if char == "]":
            if items == 0:
                raise pattern_error(
                    column,
                    "at least one character in the class",
                    "'[]'",
                    "escape a literal bracket as \\] or \\[",
                )
            out.append("]")
            return "".join(out), pos + 1
        if char == "-" and previous is not None and pos + 1 < len(body) and body[pos + 1] != "]":
            high_pos = pos + 1
            high = body[high_pos]
            if high == "\\":
                piece, nxt = _escape(body, high_pos, offset, in_class=True)
                high_char = _single(piece)
            else:
                if high not in _LITERALS and high not in _OPERATORS:
                    raise _unsupported(high, offset + high_pos + 1)
                high_char, nxt = high, high_pos + 1
            if high_char is None:
                raise pattern_error(
                    offset + high_pos + 1,
                    "a single character to end the range",
                    repr(body[high_pos:nxt]),
                    "use a-z",
                )
            if ord(high_char) < ord(previous):
                raise pattern_error(
                    column,
                    "a range whose start is not after its end",
                    repr(f"{previous}-{high_char}"),
                    "write the lower character first, as in a-z",
                )
            out.append("-" + re.escape(high_char))
            previous = None
            pos = nxt
            items += 1
            continue
        if char == "\\":
            piece, pos = _escape(body, pos, offset, in_class=True)
            out.append(piece)
            previous = _single(piece)
            items += 1
            continue
        if char not in _LITERALS and char not in _OPERATORS:
            raise _unsupported(char, column)
        out.append(re.escape(char))
        previous = char
        items += 1
        pos += 1
    raise pattern_error(
        offset + start + 1,
        "a closing ] for the character class",
        "an unterminated [",
        "close the class with ], or escape the bracket as \\[",
    )


def _single(piece: str) -> str | None:
    """The one character a translated escape stands for, or None for \\d-style classes."""
    if len(piece) == 1:
        return piece
    if len(piece) == 2 and piece[0] == "\\" and piece[1] not in _CLASS_ESCAPES:
        return piece[1]
    return None
