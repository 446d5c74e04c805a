"""A log event message with its JSON parse and space-delimited fields computed once and shared by patterns."""

from __future__ import annotations

import json
from typing import Any, Final

from harness.detect.patterns._values import JsonFloat


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOT_JSON: Final = _Marker("NOT_JSON")
_UNSET: Final = _Marker("UNSET")


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python accepts them by default.
    raise ValueError(name)


class LogMessage:
    """One log event message. Several patterns can test the same LogMessage and share its parsing.

    It caches per message only; create one per event.
    """

    __slots__ = ("_fields", "_json", "_offsets", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._json: Any = _UNSET
        self._fields: list[str] | None = None
        self._offsets: list[int] | None = None

    def __repr__(self) -> str:
        return f"LogMessage({self.text!r})"

    def json(self) -> Any:
        """The message parsed as a JSON object or array, or ``NOT_JSON``.

        A scalar JSON document (a bare string or number) counts as not JSON: selectors start at an object.
        """
        value = self._json
        if value is _UNSET:
            value = NOT_JSON
            text = self.text.lstrip()
            if text[:1] in ("{", "["):
                try:
                    value = json.loads(text, parse_float=JsonFloat, parse_constant=_reject_constant)
                except (ValueError, RecursionError):
                    value = NOT_JSON
            self._json = value
        return value

    def fields(self) -> list[str]:
        """The space-delimited fields: whitespace separates fields, and a field that starts with ``"`` or
        ``[`` runs to the matching ``"`` or ``]`` (the delimiters are not part of the value), as CloudWatch
        Logs splits them."""
        fields = self._fields
        if fields is None:
            text = self.text
            if '"' not in text and "[" not in text:
                fields = text.split()
            else:
                fields, self._offsets = _split(text)
            self._fields = fields
        return fields

    def remainder(self, index: int) -> str:
        """The raw text from field ``index`` (0-based) to the end of the message, trailing space removed."""
        self.fields()
        offsets = self._offsets
        if offsets is None:
            return self.text.split(None, index)[index].rstrip()
        return self.text[offsets[index] :].rstrip()


def _split(text: str) -> tuple[list[str], list[int]]:
    fields: list[str] = []
    offsets: list[int] = []
    pos = 0
    size = len(text)
    while True:
        while pos < size and text[pos].isspace():
            pos += 1
        if pos >= size:
            return fields, offsets
        char = text[pos]
        if char in '"[':
            end = text.find('"' if char == '"' else "]", pos + 1)
            if end >= 0:
                fields.append(text[pos + 1 : end])
                offsets.append(pos)
                pos = end + 1
                continue
        end = pos
        while end < size and not text[end].isspace():
            end += 1
        fields.append(text[pos:end])
        offsets.append(pos)
        pos = end
