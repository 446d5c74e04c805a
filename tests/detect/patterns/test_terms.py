"""Unstructured filter patterns: every example of the AWS filter-pattern documentation."""

from __future__ import annotations

import pytest

from harness.detect.patterns import PatternKind, compile_pattern
from harness.errors import InputError

# The four messages the AWS documentation uses for unstructured patterns.
BAD_REQUEST = "[ERROR 400] BAD REQUEST"
UNAUTHORIZED = "[ERROR 401] UNAUTHORIZED REQUEST"
MISSING = "[ERROR 419] MISSING ARGUMENTS"
INVALID = "[ERROR 420] INVALID ARGUMENTS"
DOC_EVENTS = [BAD_REQUEST, UNAUTHORIZED, MISSING, INVALID]


def selected(pattern: str, messages: list[str]) -> list[str]:
    compiled = compile_pattern(pattern)
    return [message for message in messages if compiled.matches(message)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", DOC_EVENTS),
        ("ERROR ARGUMENTS", [MISSING, INVALID]),
        ("?ERROR ?ARGUMENTS", DOC_EVENTS),
        ('"INTERNAL SERVER ERROR"', []),
        ("ERROR -ARGUMENTS", [BAD_REQUEST, UNAUTHORIZED]),
    ],
)
def test_documented_unstructured_examples(pattern: str, expected: list[str]) -> None:
    assert selected(pattern, DOC_EVENTS) == expected


def test_exact_phrase_matches_only_the_phrase() -> None:
    events = ["[ERROR 500] INTERNAL SERVER ERROR", "[ERROR 500] SERVER INTERNAL ERROR"]
    assert selected('"INTERNAL SERVER ERROR"', events) == events[:1]


def test_question_mark_terms_are_ignored_next_to_other_terms() -> None:
    # AWS: "?ERROR ?ARGUMENTS REQUEST" matches every event containing REQUEST; the ? terms have no effect.
    events = ["[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST", "[ERROR] x"]
    assert selected("?ERROR ?ARGUMENTS REQUEST", events) == events[:3]


def test_or_example_from_older_guide() -> None:
    events = ["ERROR WARN message", "ERROR message", "WARN message"]
    assert selected("ERROR", events) == events[:2]
    assert selected("?ERROR ?WARN", events) == events
    assert selected("ERROR WARN", events) == events[:1]
    assert selected("ERROR -WARN", events) == events[1:2]


def test_terms_match_inside_words_and_are_case_sensitive() -> None:
    # The guide: "ERROR" matches "Exiting with ERRORCODE: -1"; filter patterns are case sensitive.
    events = ["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1", "error: lowercase"]
    assert selected("ERROR", events) == events[:2]
    assert selected('"ERROR" - "Exiting"', events) == events[:1]


def test_multiple_terms_need_all_of_them() -> None:
    events = ["[WARN] Failed to process the request", "[ERROR] Unable to continue: Failed to process the request"]
    assert selected("Failed to process the request", [*events, "[INFO] the request"]) == events
    assert selected("ERROR Exception", ["[ERROR] Caught IllegalArgumentException", "[ERROR] ok"]) == [
        "[ERROR] Caught IllegalArgumentException"
    ]


@pytest.mark.parametrize("pattern", ['" "', "", "   ", '""'])
def test_match_everything(pattern: str) -> None:
    assert selected(pattern, ["a", "b c", "{}"]) == ["a", "b c", "{}"]


def test_empty_pattern_kind() -> None:
    assert compile_pattern("").kind is PatternKind.ALL
    assert compile_pattern("ERROR").kind is PatternKind.TERMS


def test_only_exclusions() -> None:
    assert selected("-DEBUG", ["DEBUG x", "INFO y"]) == ["INFO y"]


def test_quoted_term_with_escaped_quote() -> None:
    assert selected(r'"say \"hi\""', ['they say "hi"', "say hi"]) == ['they say "hi"']


@pytest.mark.parametrize(
    ("pattern", "column", "needle"),
    [
        ("ERROR foo.bar", 10, "double quotes"),
        ('ERROR "unterminated', 7, "closing double quote"),
        ("ERROR -", 7, "a term after '-'"),
        ("?", 1, "a term after '?'"),
        ("ERROR %foo%", 7, "stand alone"),
        ("ERROR [x]", 7, "double quotes"),
    ],
)
def test_invalid_terms_point_at_the_column(pattern: str, column: int, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_pattern(pattern)
    assert caught.value.column == column
    assert str(caught.value).startswith(f"pattern column {column}: expected ")
    assert needle in str(caught.value)


def test_pattern_longer_than_1024_is_rejected() -> None:
    with pytest.raises(InputError, match="at most 1024 characters"):
        compile_pattern("a" * 1025)
    assert compile_pattern("a" * 1024).matches("a" * 1024)
