"""Wildcard patterns of the IAM policy language: actions, resource ARNs, string values, policy variables."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

# Context values as the evaluator keeps them: lower-cased key -> a string (single-valued key) or a tuple of
# strings (multivalued key, possibly empty).
ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# ${aws:username, 'default'}: a default value in single quotes after a comma (Version 2012-10-17 only).
_DEFAULTED = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
# ${*}, ${?} and ${$} stand for the literal characters, so a policy can match a real '*' in a name.
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
# Placeholders for literal wildcard characters produced by ${*} / ${?}; private-use code points never
# appear in ARNs, so they survive the wildcard translation and are turned back into escaped literals.
_LITERAL_STAR = "\ue000"
_LITERAL_QMARK = "\ue001"


def has_variables(text: str) -> bool:
    """Tell whether a policy string contains a ``${...}`` policy variable."""
    return "${" in text


def substitute(text: str, context: Context) -> str | None:
    """Replace policy variables in ``text`` with values from the request context.

    Args:
        text: a Resource entry or a condition value of a string or ARN operator.
        context: the request context (lower-cased keys).

    Returns:
        The text with variables replaced; ``${*}``/``${?}`` become private placeholders that the wildcard
        compiler treats as literal characters. None when a variable has no single value in the context and
        no default: AWS then treats the entry as not matching.
    """
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1)
        if body in _SPECIAL:
            return {"*": _LITERAL_STAR, "?": _LITERAL_QMARK, "$": "$"}[body]
        default: str | None = None
        defaulted = _DEFAULTED.match(body)
        key = body.strip()
        if defaulted:
            key, default = defaulted.group(1).strip(), defaulted.group(2)
        value = context.get(key.lower())
        # A multivalued key cannot be used as a variable; a missing key falls back to the default.
        if isinstance(value, str):
            return value
        if default is not None:
            return default
        missing = True
        return ""

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def literal(text: str) -> str:
    """Turn the ``${*}``/``${?}`` placeholders of :func:`substitute` back into plain characters."""
    return text.replace(_LITERAL_STAR, "*").replace(_LITERAL_QMARK, "?")


def _wildcard_body(pattern: str, star: str, qmark: str) -> str:
    parts: list[str] = []
    for char in pattern:
        if char == "*":
            parts.append(star)
        elif char == "?":
            parts.append(qmark)
        elif char == _LITERAL_STAR:
            parts.append(re.escape("*"))
        elif char == _LITERAL_QMARK:
            parts.append(re.escape("?"))
        else:
            parts.append(re.escape(char))
    return "".join(parts)


@lru_cache(maxsize=65536)
def wildcard_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a ``*``/``?`` wildcard string where every other character is literal.

    Cached because compiled patterns are immutable and pure functions of their arguments; the cache only
    saves recompiling the same policy text across many compiled policies.
    """
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_wildcard_body(pattern, ".*", "."), flags)


@lru_cache(maxsize=65536)
def arn_regex(pattern: str, strict: bool = False) -> re.Pattern[str]:
    """Compile an ARN pattern: wildcards match within one of the colon-separated segments.

    AWS: "You can use wildcard characters (* and ?) within any ARN segment ... a wildcard cannot span
    segments." The sixth segment (the resource) runs to the end of the ARN and may itself contain colons,
    so a wildcard there matches anything. A pattern shorter than six segments lets its last segment run on
    to the end, so ``arn:aws:s3:*`` still covers every S3 ARN, as AWS accepts it in Resource; with ``strict``
    (ARN condition operators) the six components are always compared one by one.
    Cached for the same reason as :func:`wildcard_regex`.
    """
    segments = pattern.split(":", 5)
    body: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if index == 5 or (not strict and last and len(segments) < 6 and ("*" in segment)):
            body.append(_wildcard_body(segment, ".*", "."))
        else:
            body.append(_wildcard_body(segment, "[^:]*", "[^:]"))
    return re.compile(":".join(body), re.DOTALL)


def resource_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Resource/NotResource entry (ARN-aware when it is an ARN, plain wildcard otherwise)."""
    if pattern.startswith("arn:"):
        return arn_regex(pattern)
    return wildcard_regex(pattern)


Matcher = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class ResourcePattern:
    """One Resource or NotResource entry, compiled once; variables are resolved per request."""

    text: str
    regex: re.Pattern[str] | None  # None when the entry contains policy variables
    match_all: bool

    @classmethod
    def compile(cls, text: str, variables: bool) -> ResourcePattern:
        """Compile ``text``; ``variables`` says whether ``${...}`` is a variable (Version 2012-10-17)."""
        if text == "*":
            return cls(text, None, True)
        if variables and has_variables(text):
            return cls(text, None, False)
        return cls(text, resource_regex(text), False)

    def matches(self, resource: str, context: Context) -> bool | None:
        """Tell whether the request resource matches this entry.

        Returns:
            None when a policy variable in the entry cannot be resolved: AWS then treats the whole statement
            as invalid, so it applies neither as Resource nor as NotResource.
        """
        if self.match_all:
            return True
        if self.regex is not None:
            return self.regex.fullmatch(resource) is not None
        resolved = substitute(self.text, context)
        if resolved is None:
            return None
        return resource_regex(resolved).fullmatch(resource) is not None


def action_regex(pattern: str) -> re.Pattern[str]:
    """Compile an Action entry: case-insensitive, ``*`` and ``?`` wildcards."""
    return wildcard_regex(pattern, ignore_case=True)


__all__ = [
    "Context",
    "ContextValue",
    "ResourcePattern",
    "action_regex",
    "arn_regex",
    "has_variables",
    "literal",
    "resource_regex",
    "substitute",
    "wildcard_regex",
]
