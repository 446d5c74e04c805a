"""A log event message with its JSON parse and space-delimited fields computed once and shared by patterns."""

from __future__ import annotations

import json
import re
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


# One decoder for every message: json.loads with hooks would build a new decoder per call. It holds no state.
_DECODER: Final = json.JSONDecoder(parse_float=JsonFloat, parse_constant=_reject_constant)


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
                    value = _DECODER.decode(text)
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
                fields = [
                    token[1:-1] if len(token) > 1 and (token[0], token[-1]) in _DELIMITERS else token
                    for token in _FIELD.findall(text)
                ]
            self._fields = fields
        return fields

    def remainder(self, index: int) -> str:
        """The raw text from field ``index`` (0-based) to the end of the message, trailing space removed."""
        offsets = self._offsets
        if offsets is None:
            offsets = self._offsets = [match.start() for match in _FIELD.finditer(self.text)]
        return self.text[offsets[index] :].rstrip()


# A quoted field, a bracketed field, or a run of non-space characters; a quote or bracket only opens a field
# at its start, and an unterminated one is an ordinary character.
_FIELD: Final = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
_DELIMITERS: Final = frozenset({('"', '"'), ("[", "]")})
