"""Value conditions shared by JSON and space-delimited patterns: equality, wildcards, regex and numbers."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from harness.detect.patterns._regex import compile_regex
from harness.detect.patterns._scan import NUMBER_LITERAL, NUMBER_TEXT, Scanner

# A test over the text of a value (a delimited field, or a JSON string/number/boolean rendered as text).
TextTest = Callable[[str], bool]

_NUMERIC_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
COMPARISON_OPS: Final = ("!=", ">=", "<=", "=", "<", ">")
_NEEDS_QUOTES: Final = frozenset("@$\\\"'")


@dataclass(frozen=True, slots=True)
class ValueCondition:
    """One compiled ``OP VALUE`` condition.

    ``test`` answers for a value's text; ``number_test`` is set for numeric conditions so JSON numbers are
    compared as numbers; ``literals`` are substrings any matching text must contain (for the
    pre-filter); ``negated`` marks ``!=``.
    """

    op: str
    test: TextTest
    number_test: Callable[[float], bool] | None
    literals: tuple[str, ...]
    negated: bool


def to_number(text: str) -> float | None:
    """Read a log value as a number, or None when it is not a plain decimal number."""
    if NUMBER_TEXT.fullmatch(text) is None:
        return None
    return float(text)


def read_value(scanner: Scanner, op: str, stops: str, regex_count: list[int]) -> ValueCondition:
    """Read the value after a comparison operator and compile the condition.

    Args:
        scanner: positioned at the value (whitespace already skipped).
        op: the comparison operator.
        stops: characters that end an unquoted value.
        regex_count: a one-element counter of %regex% values in the pattern (CloudWatch allows two).

    Returns:
        The compiled condition.

    Raises:
        InputError: a missing or malformed value, or a non-numeric value after a numeric-only operator.
    """
    start = scanner.pos
    char = scanner.peek()
    if char == "%":
        body, offset = scanner.read_regex()
        regex_count[0] += 1
        if regex_count[0] > 2:
            raise scanner.error(
                "at most 2 regular expressions in a JSON or space-delimited pattern",
                "CloudWatch Logs allows two %regex% values per pattern; combine them or use wildcards",
                pos=start,
                found="a third %regex%",
            )
        _require_equality(scanner, op, start, "a regular expression")
        pattern = compile_regex(body, offset)
        return _condition(op, lambda text: pattern.search(text) is not None, ())
    if char == '"':
        literal = scanner.read_quoted()
        _require_equality(scanner, op, start, "a quoted string")
        return _string_condition(op, literal)
    pos = start
    text = scanner.text
    while pos < len(text) and not text[pos].isspace() and text[pos] not in stops:
        pos += 1
    token = text[start:pos]
    if not token:
        raise scanner.error(
            f"a value after '{op}'",
            "write a string, a number, a quoted string, a %regex% or * after the operator",
        )
    if token[0] in "=<>":
        raise scanner.error(
            f"a value after '{op}'",
            "write one comparison operator (=, !=, <, >, <=, >=) followed by the value",
        )
    for offset, char in enumerate(token):
        # AWS: values with characters such as '@', '$' or '\\', or non-ASCII text, must be double-quoted.
        if char in _NEEDS_QUOTES or ord(char) > 127:
            raise scanner.error(
                "a quoted string for a value with this character",
                f'enclose the value in double quotes, as in "{token}"',
                pos=start + offset,
            )
    if token.startswith("!") and op == "=":
        raise scanner.error(
            f"a value after '{op}'",
            f"to exclude a value write != instead of =!, as in != {token[1:]}",
        )
    scanner.pos = pos
    if NUMBER_LITERAL.fullmatch(token):
        number = float(token)
        compare = _NUMERIC_OPS[op]

        def numeric(value: str) -> bool:
            parsed = to_number(value)
            if parsed is None:
                # A non-numeric value never equals a number, so only != holds.
                return op == "!="
            return compare(parsed, number)

        return ValueCondition(op, numeric, lambda value: compare(value, number), (), op == "!=")
    _require_equality(scanner, op, start, f"the text {token!r}")
    return _string_condition(op, token)


def _require_equality(scanner: Scanner, op: str, start: int, what: str) -> None:
    if op not in ("=", "!="):
        raise scanner.error(
            f"a number after '{op}'",
            "compare text only with = or !=; <, >, <= and >= need a number",
            pos=start,
            found=what,
        )


def _string_condition(op: str, literal: str) -> ValueCondition:
    # Only a leading and/or a trailing * is a wildcard: AWS documents that *Event matches PutEvent and Event*
    # matches EventId, while Ev*ent matches only the literal string Ev*ent.
    leading = literal.startswith("*")
    trailing = len(literal) > 1 and literal.endswith("*")
    core = literal[1 if leading else 0 : len(literal) - 1 if trailing else len(literal)]
    if literal == "*":
        core = ""
    test: TextTest
    if leading and trailing:
        test = (lambda text: core in text) if core else _always
    elif leading:
        test = lambda text: text.endswith(core)  # noqa: E731
    elif trailing:
        test = lambda text: text.startswith(core)  # noqa: E731
    else:
        test = core.__eq__
    return _condition(op, test, (core,) if core else ())


def _condition(op: str, test: TextTest, literals: tuple[str, ...]) -> ValueCondition:
    if op == "!=":
        return ValueCondition(op, lambda text: not test(text), None, (), True)
    return ValueCondition(op, test, None, literals, False)


def _always(_text: str) -> bool:
    return True


def json_text(value: Any) -> str | None:
    """The text of a JSON value node for string comparisons, or None for null, arrays and objects."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is JsonFloat:
        return str(value.text)
    return None


class JsonFloat(float):
    """A JSON number with a fraction or exponent that remembers how the log wrote it."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonFloat:
        self = super().__new__(cls, text)
        self.text = text
        return self
