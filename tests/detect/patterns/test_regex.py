"""The %regex% dialect: every documented operator, and rejection of what AWS does not support."""

from __future__ import annotations

import pytest

from harness.detect.patterns import PatternKind, compile_pattern
from harness.errors import InputError


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).matches(message)


def test_standalone_regex_example() -> None:
    pattern = compile_pattern("%AUTHORIZED%")
    assert pattern.kind is PatternKind.REGEX
    assert pattern.matches("[ERROR 401] UNAUTHORIZED REQUEST")
    assert pattern.matches("[SUCCESS 200] AUTHORIZED REQUEST")
    assert not pattern.matches("[SUCCESS 200] authorized")


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("%^[hc]at%", ["hat", "cat is here"], ["the cat", "bat"]),
        ("%[hc]at$%", ["hat", "the cat"], ["cat is here"]),
        ("%colou?r%", ["color", "colour"], ["colr"]),
        ("%[abc]%", ["a", "xbx", "c"], ["xyz"]),
        ("%[a-z]%", ["q"], ["Q9"]),
        ("%[abcx-z]%", ["y", "b"], ["d"]),
        ("%a{3,5}%", ["aaa", "aaaa", "aaaaa"], ["aa", "a a a"]),
        ("%a{3, 5}%", ["aaa"], ["aa"]),
        ("%a{3,}%", ["aaaaaaa"], ["aa"]),
        ("%^a{,2}$%", ["", "a", "aa"], ["aaa"]),
        ("%gra|ey%", ["gray", "grey"], ["gruy"]),
        (
            "%^starting|^initializing|^shutting down%",
            ["starting ...", "initializing ...", "shutting down"],
            ["skipping initializing ..."],
        ),
        ("%abcc|ab[^c]$%", ["abcc ...", "aba"], ["aac ..."]),
        (r"%\[.\]%", ["[a]", "[b]", "[7]", "[@]", "[]]", "[ ]"], ["[]", "[ab]"]),
        (r"%10\.10\.0\.1%", ["10.10.0.1"], ["10010,051"]),
        ("%10.10.0.1%", ["10.10.0.1", "10010,051"], ["10.10.0"]),
        ("%ab*c%", ["ac", "abc", "abbbc"], ["ab"]),
        ("%ab[0-9]*%", ["ab", "ab0", "ab129"], ["a b"]),
        ("%ab+c%", ["abc", "abbc", "abbbc"], ["ac"]),
        ("%.at%", ["hat", "cat", "bat", "4at", "#at", " at"], ["at"]),
        (r"%\d%", ["a1"], ["abc"]),
        (r"%^\D+$%", ["abc"], ["a1"]),
        (r"%\s%", ["a b", "a\tb"], ["ab"]),
        (r"%^\S+$%", ["ab"], ["a b"]),
        (r"%^\w+$%", ["a_Z9"], ["a-b"]),
        (r"%\W%", ["a-b"], ["a_b"]),
        (r"%\x3A%", ["a:b"], ["ab"]),
        (r"%\x28%", ["f(x)"], ["fx"]),
        (r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%", ["from 192.168.0.1"], ["from 192.168"]),
        ("%[Ee]rror|[Ff]ail%", ["Error", "error", "Fail", "fail"], ["ERROR"]),
        ("%user=[a-z]+;%", ["user=bob;"], ["user=Bob;"]),
        (r"%[\d]%", ["5"], ["x"]),
    ],
)
def test_documented_operators(pattern: str, yes: list[str], no: list[str]) -> None:
    compiled = compile_pattern(pattern)
    assert [message for message in yes if not compiled.matches(message)] == []
    assert [message for message in no if compiled.matches(message)] == []


@pytest.mark.parametrize(
    ("pattern", "column", "needle"),
    [
        ("%something!%", 11, "'!'"),
        ("%(ab)+%", 2, "parentheses"),
        ("%ab)%", 4, "parentheses"),
        ("%caf\u00e9%", 5, "multi-byte"),
        ("%*abc%", 2, "before the repetition"),
        ("%a**%", 4, "before the repetition"),
        ("%^+%", 3, "before the repetition"),
        ("%a{x}%", 3, "repetition count"),
        ("%a{5,3}%", 3, "not above the maximum"),
        ("%[abc%", 2, "closing ]"),
        ("%[]%", 3, "at least one character"),
        ("%[z-a]%", 4, "not after its end"),
        (r"%a\q%", 3, "supported escape"),
        (r"%\x4%", 2, "two hexadecimal digits"),
        ("%abc", 1, "closing %"),
        ("%%", 1, "between % and %"),
        ("%abc% ERROR", 7, "stand alone"),
        ("%a'b%", 3, "\\x27"),
        ('%a"b%', 3, "\\x22"),
        ("%a\\%", 3, "after the backslash"),
    ],
)
def test_unsupported_regex_is_rejected_at_its_column(pattern: str, column: int, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_pattern(pattern)
    assert caught.value.column == column, str(caught.value)
    assert needle in str(caught.value)
