"""Metric filters: values, default values, dimensions and units, from JSON and space-delimited events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from harness.detect.metrics import LogEvent, MetricDatapoint, MetricFilter, MetricTransformation, apply_metric_filter
from harness.detect.patterns import compile_pattern
from harness.errors import InputError

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def events(*messages: str) -> list[LogEvent]:
    return [LogEvent(T0 + timedelta(seconds=index), message) for index, message in enumerate(messages)]


def test_counting_matches_with_a_default_value() -> None:
    # The guide's example: two records a minute, metric value 1, default 0.
    pattern = compile_pattern('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }')
    transformation = MetricTransformation("CISBenchmark", "UnauthorizedAPICalls", "1", default_value=0)
    published = apply_metric_filter(
        pattern,
        [transformation],
        events('{"errorCode": "AccessDenied"}', '{"eventName": "ListUsers"}', "not json"),
    )
    assert [(p.value, p.timestamp) for p in published] == [
        (1.0, T0),
        (0.0, T0 + timedelta(seconds=1)),
        (0.0, T0 + timedelta(seconds=2)),
    ]
    assert all(p.namespace == "CISBenchmark" and p.name == "UnauthorizedAPICalls" for p in published)


def test_no_default_value_publishes_only_matches() -> None:
    pattern = compile_pattern("ERROR")
    published = apply_metric_filter(pattern, [MetricTransformation("App", "Errors", "1")], events("ERROR a", "ok"))
    assert [p.value for p in published] == [1.0]


def test_json_value_and_dimensions() -> None:
    # The guide's latency example: { $.latency = * } with metricValue $.latency.
    pattern = compile_pattern("{ $.latency = * }")
    transformation = MetricTransformation(
        "App", "Latency", "$.latency", dimensions={"Operation": "$.op", "Flag": "$.flag"}, unit="Milliseconds"
    )
    published = apply_metric_filter(
        pattern,
        [transformation],
        events(
            json.dumps({"latency": 42, "op": "GetItem", "flag": True}),
            json.dumps({"latency": "17.5", "op": "PutItem", "flag": False}),
            json.dumps({"latency": "slow", "op": "Query", "flag": True}),
            json.dumps({"latency": 3, "flag": True}),
        ),
    )
    assert published == [
        MetricDatapoint("App", "Latency", 42.0, T0, {"Operation": "GetItem", "Flag": "true"}, "Milliseconds"),
        MetricDatapoint(
            "App", "Latency", 17.5, T0 + timedelta(seconds=1), {"Operation": "PutItem", "Flag": "false"}, "Milliseconds"
        ),
    ]


def test_space_delimited_value_and_dimensions() -> None:
    pattern = compile_pattern("[ip, user, username, timestamp, request, status_code = 4*, bytes]")
    transformation = MetricTransformation("Web", "ClientErrorBytes", "$bytes", dimensions={"Status": "$status_code"})
    log = [
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a HTTP/1.0" 404 1534',
        '127.0.0.1 - frank [10/Oct/2000:13:25:16 -0700] "GET /b HTTP/1.0" 200 99',
        '127.0.0.1 - frank [10/Oct/2000:13:25:17 -0700] "GET /c HTTP/1.0" 403 -',
    ]
    published = apply_metric_filter(pattern, [transformation], events(*log))
    assert [(p.value, dict(p.dimensions)) for p in published] == [(1534.0, {"Status": "404"})]


def test_positional_field_reference() -> None:
    pattern = compile_pattern("[..., status = 5*, size]")
    published = apply_metric_filter(pattern, [MetricTransformation("Web", "First", "$1")], events("7 x 500 1"))
    assert [p.value for p in published] == [7.0]


def test_several_transformations_share_one_parse() -> None:
    pattern = compile_pattern("{ $.n > 0 }")
    published = apply_metric_filter(
        pattern,
        [MetricTransformation("A", "Count", "1"), MetricTransformation("A", "Total", "$.n")],
        events('{"n": 4}'),
    )
    assert [(p.name, p.value) for p in published] == [("Count", 1.0), ("Total", 4.0)]


@pytest.mark.parametrize(
    ("pattern", "transformation", "needle"),
    [
        ("ERROR", MetricTransformation("A", "B", "$.latency"), "JSON filter pattern"),
        ("{ $.a = 1 }", MetricTransformation("A", "B", "$bytes"), "space-delimited"),
        ("[ip, bytes]", MetricTransformation("A", "B", "$size"), r"naming a field of the pattern \(ip, bytes\)"),
        ("{ $.a = 1 }", MetricTransformation("A", "B", "latency"), "a number, a JSON selector"),
        ("{ $.a = 1 }", MetricTransformation("A", "B", "1", dimensions={"D": "7"}), "field reference"),
    ],
)
def test_transformation_must_fit_the_pattern(pattern: str, transformation: MetricTransformation, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        MetricFilter("f", compile_pattern(pattern), transformation)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"dimensions": {"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"}}, "at most 3 dimensions"),
        ({"dimensions": {"a": "$.a"}, "default_value": 0}, "either dimensions or a defaultValue"),
        ({"unit": "Requests"}, "CloudWatch unit"),
        ({"value": ""}, "metricValue"),
        ({"name": "a:b"}, "metricName"),
    ],
)
def test_invalid_transformations(kwargs: dict[str, object], needle: str) -> None:
    fields: dict[str, object] = {"namespace": "A", "name": "B", "value": "1"}
    fields.update(kwargs)
    with pytest.raises(InputError, match=needle):
        MetricTransformation(**fields)  # type: ignore[arg-type]


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        LogEvent(datetime(2026, 1, 1), "x")
