"""Space-delimited filter patterns: field splitting, ellipsis, conditions and the documented examples."""

from __future__ import annotations

import pytest

from harness.detect.patterns import LogMessage, PatternKind, compile_pattern
from harness.errors import InputError

ACCESS_LOG = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
]
CURRENT_EVENT = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
SERVICE_LOG = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
]


def selected(pattern: str, messages: list[str]) -> list[str]:
    compiled = compile_pattern(pattern)
    assert compiled.kind is PatternKind.DELIMITED
    return [message for message in messages if compiled.matches(message)]


@pytest.mark.parametrize(
    "pattern",
    [
        r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
        "[..., request =*.html*, status_code = 4*, bytes]",
        "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
        "[ip, user, username, timestamp, request, status_code, bytes]",
        "[ip, user, ...]",
        "[ip, user, ..., status_code, bytes]",
    ],
)
def test_documented_patterns_match_the_documented_event(pattern: str) -> None:
    assert selected(pattern, [CURRENT_EVENT]) == [CURRENT_EVENT]


@pytest.mark.parametrize(
    "pattern",
    [
        r"[ip=%127\.0\.0\.[2-9]%, user, username, timestamp, request, status_code, bytes]",
        "[..., request =*.gif*, status_code, bytes]",
        "[..., status_code = 404 && bytes > 2000]",
        "[ip, user, username, timestamp, request, status_code = 5*, bytes]",
    ],
)
def test_variations_that_do_not_match(pattern: str) -> None:
    assert selected(pattern, [CURRENT_EVENT]) == []


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes > 1000]", [0, 1, 2]),
        ("[ip, user, username, timestamp, request, status_code, bytes > 5000]", [1]),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", [0, 2]),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", []),
        ("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", []),
        ("[ip, user, username, timestamp, request, status_code = 2* && bytes > 4000]", [2]),
        ("[ip, user, username, timestamp, request, status_code != 200 && status_code != 403, bytes]", [1]),
        ("[..., status_code, bytes]", [0, 1, 2]),
        ('[ip, user, username, timestamp, request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes]', [0, 1, 2]),
        ("[ip, user, username, timestamp = *13:35*, request, status_code, bytes]", [1]),
    ],
)
def test_access_log_examples(pattern: str, expected: list[int]) -> None:
    assert selected(pattern, ACCESS_LOG) == [ACCESS_LOG[index] for index in expected]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[w1=ERROR, w2]", [3]),
        ("[w1=ERROR || w1=WARNING, w2]", [2, 3]),
        ("[w1!=ERROR && w1!=WARNING, w2]", [0, 1]),
        ("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", [0]),
        ("[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", [1]),
    ],
)
def test_documented_ordered_term_examples(pattern: str, expected: list[int]) -> None:
    assert selected(pattern, SERVICE_LOG) == [SERVICE_LOG[index] for index in expected]


def test_single_field_pattern_needs_the_whole_line() -> None:
    # Without a trailing blank field the only field takes the whole line, as the guide warns.
    assert selected("[w1=ERROR]", SERVICE_LOG) == []
    assert selected("[w1=ERROR]", ["ERROR"]) == ["ERROR"]


def test_last_field_takes_the_rest_of_the_line() -> None:
    fields = compile_pattern("[level, rest]").fields("ERROR 09/25/2014 Failed  to process ")
    assert fields == {"$level": "ERROR", "$rest": "09/25/2014 Failed  to process"}


def test_extracted_fields_follow_the_documented_names() -> None:
    pattern = compile_pattern("[..., request=*.html*, status_code=4*,]")
    event = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
    assert pattern.fields(event) == {
        "$status_code": "404",
        "$request": "GET /index.html HTTP/1.0",
        "$7": "1534",
        "$4": "10/Oct/2000:13:25:15 -0700",
        "$3": "frank",
        "$2": "-",
        "$1": "127.0.0.1",
    }
    assert pattern.fields("a b c") is None
    assert pattern.field_names == ("request", "status_code")


def test_field_splitting() -> None:
    message = LogMessage('  a\t"b c"  [d e]f "unterminated x ')
    assert message.fields() == ["a", "b c", "d e", "f", '"unterminated', "x"]
    assert LogMessage("x [y").fields() == ["x", "[y"]


def test_numeric_and_string_comparisons() -> None:
    lines = ["a 10", "a 9.5", "a -3", "a abc", "a 1e3"]
    assert selected("[k, v > 9]", lines) == ["a 10", "a 9.5"]
    assert selected("[k, v <= -3]", lines) == ["a -3"]
    assert selected("[k, v = 10]", lines) == ["a 10"]
    assert selected("[k, v != 10]", lines) == ["a 9.5", "a -3", "a abc", "a 1e3"]
    assert selected("[k, v = abc]", lines) == ["a abc"]
    assert selected('[k, v = "abc"]', lines) == ["a abc"]
    assert selected("[k, v = *]", lines) == lines
    assert selected("[k, v >= 0 && v < 10]", lines) == ["a 9.5"]
    assert selected("[k, (v = 10 || v = -3) && v != abc]", lines) == ["a 10", "a -3"]


def test_ellipsis_in_the_middle_and_twice() -> None:
    line = "start one two three end"
    assert selected("[first = start, ..., last = end]", [line]) == [line]
    assert selected("[..., x = two, ...]", [line]) == [line]
    assert compile_pattern("[..., x = two, ...]").fields(line) == {
        "$1": "start",
        "$2": "one",
        "$x": "two",
        "$4": "three",
        "$5": "end",
    }
    assert selected("[a, b, c, d, e, f, ...]", [line]) == []
    assert selected("[...]", [line, ""]) == [line, ""]


def test_fewer_fields_than_the_pattern_never_match() -> None:
    assert selected("[a, b, c]", ["x y"]) == []


@pytest.mark.parametrize(
    ("pattern", "column", "needle"),
    [
        ("[]", 1, "at least one field"),
        ("[a, b", 6, ", between fields"),
        ("[a b]", 4, "comparison operator"),
        ("[a, b] x", 8, "end of the pattern"),
        ("[a=, b]", 4, "a value after '='"),
        ("[w1=!ERROR, w2]", 5, "!= instead of =!"),
        ("[a > x]", 6, "a number after '>'"),
        ("[a, a]", 5, "not used by another field"),
        ("[a && b = 1]", 4, "comparison after a"),
        ("[a = 1 || b]", 12, "comparison after b"),
        ("[$a]", 2, "field name"),
        ("[a = %x%, b = %y%, c = %z%]", 24, "at most 2 regular"),
        ("[a == 1]", 5, "one comparison operator"),
        ("[(a = 1]", 8, ") to close"),
        ("[..., a", 8, ", between fields"),
        ("[... x]", 6, ", between fields"),
    ],
)
def test_invalid_delimited_patterns_point_at_the_column(pattern: str, column: int, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_pattern(pattern)
    assert needle in str(caught.value), str(caught.value)
    assert caught.value.column == column, str(caught.value)
