"""Laws of the filter-pattern engine, checked with hypothesis."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.detect.patterns import compile_pattern
from harness.errors import InputError

_PATTERN_ALPHABET = st.sampled_from([*"abcXYZ019 _-?\"%{}[]()$.*=!<>&|,\\'@:#/^+", "IS", "NULL", "..."])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_PATTERN_ALPHABET, max_size=25).map("".join)), st.text(max_size=30))
def test_parsing_never_crashes(text: str, message: str) -> None:
    try:
        pattern = compile_pattern(text)
    except InputError as exc:
        assert exc.column is not None
        assert str(exc).startswith(f"pattern column {exc.column}: expected ")
        return
    assert pattern.matches(message) in (True, False)


_KEYS = ["a", "b", "c"]
_VALUES = st.one_of(
    st.sampled_from(["x", "xy", "yx", "AccessDenied", "caf\u00e9", ""]),
    st.integers(-3, 3),
    st.sampled_from([1.5, None, True, False]),
    st.lists(st.sampled_from(["x", 1]), max_size=2),
)
_DOCS = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=3)
_CONDITIONS = st.builds(
    lambda key, cond: cond.format(key=key),
    st.sampled_from(_KEYS),
    st.sampled_from(
        [
            '$.{key} = "x"',
            "$.{key} != x",
            "$.{key} = x*",
            "$.{key} = *x",
            "$.{key} > 0",
            "$.{key} <= 1.5",
            "$.{key} = 1",
            "$.{key} IS NULL",
            "$.{key} IS TRUE",
            "$.{key} NOT EXISTS",
            "$.{key} = %^x%",
            "$.{key}[0] = x",
            "$.{key}[*] = 1",
            '$.{key} = "caf\u00e9"',
            "$.{key} = *",
        ]
    ),
)


def _dump(doc: dict[str, object], ascii_only: bool) -> str:
    return json.dumps(doc, ensure_ascii=ascii_only)


@settings(max_examples=300, deadline=None)
@given(_CONDITIONS, _CONDITIONS, _DOCS, st.booleans())
def test_json_and_or_laws(left: str, right: str, doc: dict[str, object], ascii_only: bool) -> None:
    message = _dump(doc, ascii_only)
    a = compile_pattern("{ " + left + " }").matches(message)
    b = compile_pattern("{ " + right + " }").matches(message)
    assert compile_pattern(f"{{ {left} && {right} }}").matches(message) is (a and b)
    assert compile_pattern(f"{{ ({left}) || ({right}) }}").matches(message) is (a or b)
    absorbed = f"{{ ({left} || {right}) && {left} }}"
    if absorbed.count("%") <= 4:  # CloudWatch allows two regexes per pattern
        assert compile_pattern(absorbed).matches(message) is a


@settings(max_examples=200, deadline=None)
@given(_CONDITIONS, _DOCS)
def test_escaping_in_the_message_does_not_change_the_answer(condition: str, doc: dict[str, object]) -> None:
    # The raw-text pre-filter must agree with full parsing whether or not the log escapes non-ASCII text.
    pattern = compile_pattern("{ " + condition + " }")
    assert pattern.matches(_dump(doc, True)) is pattern.matches(_dump(doc, False))


_WORDS = st.text(alphabet="abAB_1", min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=3), _WORDS, st.text(alphabet="abAB_1 -", max_size=20))
def test_exclusion_excludes_exactly(included: list[str], excluded: str, message: str) -> None:
    pattern = compile_pattern(" ".join(included) + " -" + excluded)
    expected = all(term in message for term in included) and excluded not in message
    assert pattern.matches(message) is expected


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=4), st.text(alphabet="abAB_1 ", max_size=20))
def test_question_mark_terms_are_a_union(terms: list[str], message: str) -> None:
    pattern = compile_pattern(" ".join("?" + term for term in terms))
    assert pattern.matches(message) is any(term in message for term in terms)


def _reference_fields(text: str) -> list[str]:
    """Field splitting spelled out character by character, to check the engine's faster splitter."""
    fields: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return fields
        if text[pos] in '"[':
            end = text.find('"' if text[pos] == '"' else "]", pos + 1)
            if end >= 0:
                fields.append(text[pos + 1 : end])
                pos = end + 1
                continue
        end = pos
        while end < len(text) and not text[end].isspace():
            end += 1
        fields.append(text[pos:end])
        pos = end


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='ab "[] \t', max_size=25))
def test_field_splitting_matches_the_reference(text: str) -> None:
    from harness.detect.patterns import LogMessage

    assert LogMessage(text).fields() == _reference_fields(text)


_DELIMITED = [
    "[a, b = x*]",
    "[a = x, b]",
    "[..., b = 1*]",
    "[a, ..., c > 1]",
    "[a = x, ..., c]",
    "[..., b = x, ...]",
    "[a, b, c, d != y]",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_DELIMITED), st.text(alphabet='xy12 "[]', max_size=20))
def test_delimited_fast_paths_agree_with_the_general_search(pattern_text: str, line: str) -> None:
    # fields() always takes the general search over ellipsis assignments; matches() takes the shortcuts.
    pattern = compile_pattern(pattern_text)
    assert pattern.matches(line) is (pattern.fields(line) is not None)
