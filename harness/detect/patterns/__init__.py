"""CloudWatch Logs filter patterns: parse once into a FilterPattern, then match many log event messages."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from harness.detect.patterns._delimited import DelimitedPattern, compile_delimited
from harness.detect.patterns._json import MISSING, Requirement, Selector, compile_json, parse_selector
from harness.detect.patterns._message import NOT_JSON, LogMessage
from harness.detect.patterns._regex import compile_regex
from harness.detect.patterns._scan import Scanner, pattern_error
from harness.detect.patterns._terms import compile_terms

# PutMetricFilter and FilterLogEvents accept filter patterns of at most 1024 characters.
MAX_PATTERN_LENGTH: Final = 1024


class PatternKind(enum.Enum):
    """The four syntaxes of a filter pattern, plus the empty pattern."""

    ALL = "all"
    TERMS = "terms"
    REGEX = "regex"
    JSON = "json"
    DELIMITED = "delimited"


@dataclass(frozen=True, slots=True)
class FilterPattern:
    """A compiled CloudWatch Logs filter pattern. Build it with :func:`compile_pattern`."""

    text: str
    kind: PatternKind
    _test: Callable[[LogMessage], bool] = field(repr=False, compare=False)
    _delimited: DelimitedPattern | None = field(default=None, repr=False, compare=False)

    def matches(self, message: str | LogMessage) -> bool:
        """Whether the pattern matches one log event message.

        Args:
            message: the message text, or a LogMessage shared between several patterns.

        Returns:
            True when CloudWatch Logs would select the event.
        """
        if isinstance(message, str):
            message = LogMessage(message)
        return self._test(message)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The named fields of a space-delimited pattern (empty for the other kinds)."""
        return self._delimited.names if self._delimited is not None else ()

    def fields(self, message: str | LogMessage) -> Mapping[str, str] | None:
        """The fields a space-delimited pattern extracts from a matching message.

        Returns:
            ``$name`` for named fields and ``$N`` for unnamed ones; None when the message does not match or
            the pattern is not space-delimited.
        """
        if self._delimited is None:
            return None
        if isinstance(message, str):
            message = LogMessage(message)
        if self._delimited.requirement is not None and not _meets(message.text, self._delimited.requirement):
            return None
        return self._delimited.fields(message)


def compile_pattern(text: str) -> FilterPattern:
    """Parse a CloudWatch Logs filter pattern.

    Args:
        text: the pattern as given to PutMetricFilter, PutSubscriptionFilter or FilterLogEvents.

    Returns:
        The compiled pattern.

    Raises:
        InputError: the pattern is not valid; the message starts with ``pattern column N``.
    """
    if len(text) > MAX_PATTERN_LENGTH:
        raise pattern_error(
            MAX_PATTERN_LENGTH + 1,
            f"at most {MAX_PATTERN_LENGTH} characters",
            f"a pattern of {len(text)} characters",
            "shorten the pattern; CloudWatch Logs rejects longer filter patterns",
        )
    stripped = text.strip()
    if not stripped:
        return FilterPattern(text, PatternKind.ALL, _always)
    start = len(text) - len(text.lstrip())
    first = stripped[0]
    if first == "{":
        json_test, requirement = compile_json(text, start)
        return FilterPattern(text, PatternKind.JSON, _json_matcher(json_test, requirement))
    if first == "[":
        delimited = compile_delimited(text, start)
        return FilterPattern(text, PatternKind.DELIMITED, _delimited_matcher(delimited), delimited)
    if first == "%":
        scanner = Scanner(text, start)
        body, offset = scanner.read_regex()
        scanner.skip_ws()
        if not scanner.at_end():
            raise scanner.error(
                "the end of the pattern after the closing %",
                "a %regex% filter pattern must stand alone; put everything into the one regex",
            )
        regex = compile_regex(body, offset)
        search = regex.search
        return FilterPattern(text, PatternKind.REGEX, lambda message: search(message.text) is not None)
    term_test, _ = compile_terms(text)
    return FilterPattern(text, PatternKind.TERMS, lambda message: term_test(message.text))


def _always(_message: LogMessage) -> bool:
    return True


def _meets(text: str, requirement: Requirement) -> bool:
    if requirement is None:
        return True
    for clause in requirement:
        for literal in clause:
            if literal not in text:
                break
        else:
            return True
    return False


def _json_matcher(test: Callable[[Any], bool], requirement: Requirement) -> Callable[[LogMessage], bool]:
    if requirement is None:

        def plain(message: LogMessage) -> bool:
            document = message.json()
            return document is not NOT_JSON and test(document)

        return plain
    clauses = tuple(tuple(clause) for clause in requirement)

    def prefiltered(message: LogMessage) -> bool:
        # Cheap pre-filter: a match needs the selector keys and the compared text in the raw message, unless
        # the message uses \u escapes, which can spell any character.
        text = message.text
        for clause in clauses:
            for literal in clause:
                if literal not in text:
                    break
            else:
                break
        else:
            # A single-character search is a memchr; most records have no backslash at all.
            if "\\" not in text or "\\u" not in text:
                return False
        document = message.json()
        return document is not NOT_JSON and test(document)

    return prefiltered


def _delimited_matcher(pattern: DelimitedPattern) -> Callable[[LogMessage], bool]:
    requirement = pattern.requirement
    match = pattern.match

    def matcher(message: LogMessage) -> bool:
        if requirement is not None and not _meets(message.text, requirement):
            return False
        return match(message) is not None

    return matcher


__all__ = [
    "MAX_PATTERN_LENGTH",
    "MISSING",
    "NOT_JSON",
    "FilterPattern",
    "LogMessage",
    "PatternKind",
    "Selector",
    "compile_pattern",
    "parse_selector",
]
