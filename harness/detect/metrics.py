"""Metric filters: turn matching log events into CloudWatch metric datapoints, as PutMetricFilter defines."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from harness.detect.patterns import (
    MISSING,
    NOT_JSON,
    FilterPattern,
    LogMessage,
    PatternKind,
    Selector,
    parse_selector,
)
from harness.errors import InputError

# CloudWatch's StandardUnit values accepted by MetricTransformation.unit.
UNITS: Final = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
        "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
        "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
        "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip
MAX_DIMENSIONS: Final = 3
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FIELD_REF: Final = re.compile(r"\$[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One ingested log event: its time and message."""

    timestamp: datetime
    message: str

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise InputError(
                where="log event",
                expected="a timezone-aware timestamp",
                found=f"naive datetime {self.timestamp.isoformat()}",
                fix="pass datetime(..., tzinfo=timezone.utc)",
            )


@dataclass(frozen=True, slots=True)
class MetricDatapoint:
    """A datapoint as a metric filter publishes it (and as alarms read it back from a MetricStore)."""

    namespace: str
    name: str
    value: float
    timestamp: datetime
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise InputError(
                where=f"metric {self.namespace}/{self.name}",
                expected="a finite value",
                found=repr(self.value),
                fix="publish finite numbers only",
            )
        if self.timestamp.tzinfo is None:
            raise InputError(
                where=f"metric {self.namespace}/{self.name}",
                expected="a timezone-aware timestamp",
                found=f"naive datetime {self.timestamp.isoformat()}",
                fix="pass datetime(..., tzinfo=timezone.utc)",
            )
        object.__setattr__(self, "dimensions", dict(self.dimensions))


@dataclass(frozen=True, slots=True)
class MetricTransformation:
    """How a metric filter turns a matching event into a datapoint (PutMetricFilter's metricTransformations).

    ``value`` is a number (``"1"``), a JSON selector (``"$.latency"``) for JSON patterns, or a named field
    (``"$bytes"``) for space-delimited patterns. ``dimensions`` map a dimension name to such a field reference.
    """

    namespace: str
    name: str
    value: str
    default_value: float | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None

    def __post_init__(self) -> None:
        where = f"metric transformation {self.namespace}/{self.name}"
        for label, text in (("metricNamespace", self.namespace), ("metricName", self.name)):
            if not text or len(text) > 255 or any(char in text for char in ":*$"):
                raise InputError(
                    where=where,
                    expected=f"a {label} of 1 to 255 characters without ':', '*' or '$'",
                    found=repr(text),
                    fix=f"rename the {label}",
                    field=label,
                )
        if not self.value or len(self.value) > 100:
            raise InputError(
                where=where,
                expected="a metricValue of 1 to 100 characters",
                found=repr(self.value),
                fix='use "1" to count matches, or a field such as $.latency or $bytes',
                field="metricValue",
            )
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise InputError(
                where=where,
                expected=f"at most {MAX_DIMENSIONS} dimensions",
                found=f"{len(self.dimensions)} dimensions",
                fix="drop dimensions; a metric filter can publish up to three",
                field="dimensions",
            )
        if self.dimensions and self.default_value is not None:
            # PutMetricFilter rejects a default value together with dimensions.
            raise InputError(
                where=where,
                expected="either dimensions or a defaultValue",
                found="both",
                fix="remove defaultValue, or remove the dimensions",
                field="defaultValue",
            )
        if self.unit is not None and self.unit not in UNITS:
            raise InputError(
                where=where,
                expected="a CloudWatch unit such as Count, Milliseconds or Bytes",
                found=repr(self.unit),
                fix="use one of the StandardUnit values",
                field="unit",
            )
        object.__setattr__(self, "dimensions", dict(self.dimensions))


@dataclass(frozen=True, slots=True)
class MetricFilter:
    """A metric filter: a compiled pattern with its transformation, checked against each other."""

    name: str
    pattern: FilterPattern
    transformation: MetricTransformation
    _value: Any = field(repr=False, compare=False, default=None)
    _dimensions: tuple[tuple[str, Any], ...] = field(repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        value = _reference(self.pattern, self.transformation.value, f"metric filter {self.name!r}", "metricValue")
        dimensions = tuple(
            (key, _reference(self.pattern, ref, f"metric filter {self.name!r}", f"dimensions.{key}"))
            for key, ref in self.transformation.dimensions.items()
        )
        for _, ref in dimensions:
            if isinstance(ref, float):
                raise InputError(
                    where=f"metric filter {self.name!r}",
                    expected="a field reference ($.field or $name) as a dimension value",
                    found="a constant",
                    fix="dimension values come from the log event; use a field",
                    field="dimensions",
                )
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_dimensions", dimensions)

    def apply(self, event: LogEvent, message: LogMessage | None = None) -> MetricDatapoint | None:
        """The datapoint this filter publishes for one event, or None.

        A match publishes the metric value; a non-match publishes the default value when there is one. A
        match whose value field is missing or not a number publishes nothing.
        """
        message = message if message is not None else LogMessage(event.message)
        transformation = self.transformation
        if not self.pattern.matches(message):
            if transformation.default_value is None:
                return None
            return MetricDatapoint(
                transformation.namespace,
                transformation.name,
                transformation.default_value,
                event.timestamp,
                {},
                transformation.unit,
            )
        value = _resolve_number(self.pattern, self._value, message)
        if value is None:
            return None
        dimensions: dict[str, str] = {}
        for key, ref in self._dimensions:
            text = _resolve_text(self.pattern, ref, message)
            if text is None:
                return None
            dimensions[key] = text
        return MetricDatapoint(
            transformation.namespace, transformation.name, value, event.timestamp, dimensions, transformation.unit
        )


def apply_metric_filter(
    pattern: FilterPattern,
    transformations: Sequence[MetricTransformation],
    events: Iterable[LogEvent],
    *,
    name: str = "filter",
) -> list[MetricDatapoint]:
    """Run a metric filter over log events.

    Args:
        pattern: the compiled filter pattern.
        transformations: the metric transformations (PutMetricFilter takes exactly one; more are allowed here).
        events: the log events, in ingestion order.
        name: the filter name, for error messages.

    Returns:
        The published datapoints, in event order.

    Raises:
        InputError: a transformation refers to a field the pattern cannot provide.
    """
    filters = [MetricFilter(name, pattern, transformation) for transformation in transformations]
    datapoints: list[MetricDatapoint] = []
    for event in events:
        message = LogMessage(event.message)
        for metric_filter in filters:
            datapoint = metric_filter.apply(event, message)
            if datapoint is not None:
                datapoints.append(datapoint)
    return datapoints


def _reference(pattern: FilterPattern, text: str, where: str, label: str) -> float | Selector | str:
    """A constant number, a JSON selector, or a ``$name`` field of a space-delimited pattern."""
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    if text.startswith("$.") or text.startswith("$["):
        if pattern.kind is not PatternKind.JSON:
            raise InputError(
                where=where,
                expected=f"a {label} that the {pattern.kind.value} pattern can provide",
                found=repr(text),
                fix="JSON selectors ($.field) need a JSON filter pattern such as { $.latency = * }",
                field=label,
            )
        selector, end = parse_selector(text)
        if end != len(text):
            raise InputError(
                where=where,
                expected=f"a {label} that is one JSON selector",
                found=repr(text),
                fix="write a single selector such as $.latency",
                field=label,
            )
        return selector
    if _FIELD_REF.fullmatch(text):
        if pattern.kind is not PatternKind.DELIMITED:
            raise InputError(
                where=where,
                expected=f"a {label} that the {pattern.kind.value} pattern can provide",
                found=repr(text),
                fix="named fields ($bytes) need a space-delimited filter pattern such as [ip, user, ..., bytes]",
                field=label,
            )
        name = text[1:]
        if not name.isdigit() and name not in pattern.field_names:
            raise InputError(
                where=where,
                expected=f"a {label} naming a field of the pattern ({', '.join(pattern.field_names) or 'none'})",
                found=repr(text),
                fix="name the field in the pattern, or use a positional $N",
                field=label,
            )
        return text
    raise InputError(
        where=where,
        expected=f"a {label} that is a number, a JSON selector ($.field) or a field name ($name)",
        found=repr(text),
        fix='use "1" to count matches',
        field=label,
    )


def _resolve_text(pattern: FilterPattern, ref: Any, message: LogMessage) -> str | None:
    if isinstance(ref, Selector):
        document = message.json()
        if document is NOT_JSON:
            return None
        value = ref.value(document) if not ref.has_wildcard else next(iter(ref.values(document)), MISSING)
        if value is MISSING or value is None or isinstance(value, (dict, list)):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(getattr(value, "text", value))
    fields = pattern.fields(message)
    if fields is None:
        return None
    return fields.get(str(ref))


def _resolve_number(pattern: FilterPattern, ref: Any, message: LogMessage) -> float | None:
    if isinstance(ref, float):
        return ref
    if isinstance(ref, Selector):
        document = message.json()
        if document is NOT_JSON:
            return None
        value = ref.value(document) if not ref.has_wildcard else next(iter(ref.values(document)), MISSING)
        if isinstance(value, bool) or value is MISSING:
            return None
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            return float(value)
        return None
    text = _resolve_text(pattern, ref, message)
    if text is None or not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None
