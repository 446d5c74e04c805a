"""filter_log_events through the harness: answered with the real pattern semantics, not the emulator's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from harness.acceptance import Deployment
from harness.backends import Backend, make_backend


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    found = make_backend("moto")
    found.open()
    yield found
    found.close()


@pytest.fixture
def logs(backend: Backend) -> Iterator[tuple[Deployment, str]]:
    backend.reset()
    deployment = Deployment(backend)
    group = f"{deployment.prefix}app"
    client = backend.client("logs")
    client.create_log_group(logGroupName=group)
    messages = {
        "a": [json.dumps({"errorCode": "AccessDenied", "eventName": "CreateUser"}), "plain ERROR line"],
        "b": [
            json.dumps({"errorCode": "NoSuchKey", "eventName": "GetObject"}),
            json.dumps({"eventName": "ListBuckets"}),
        ],
    }
    # CloudWatch Logs refuses events older than 14 days, so the events are recent.
    base = (int(time.time()) - 3600) * 1000
    for offset, (stream, lines) in enumerate(messages.items()):
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": base + 1000 * (offset * 10 + i), "message": m} for i, m in enumerate(lines)],
        )
    with deployment.observed():
        deployment.extras["base"] = base
        yield deployment, group


def found(deployment: Deployment, group: str, pattern: str, **extra: object) -> list[str]:
    response = deployment.backend.client("logs").filter_log_events(logGroupName=group, filterPattern=pattern, **extra)
    return [e["message"] for e in response["events"]]


def test_a_json_pattern_returns_only_the_events_it_matches(logs: tuple[Deployment, str]) -> None:
    deployment, group = logs
    assert found(deployment, group, '{ $.errorCode = "AccessDenied*" }') == [
        json.dumps({"errorCode": "AccessDenied", "eventName": "CreateUser"})
    ]


def test_a_field_that_no_event_has_matches_nothing(logs: tuple[Deployment, str]) -> None:
    deployment, group = logs
    assert found(deployment, group, '{ $.errorcode = "AccessDenied*" }') == []


def test_terms_exclusions_and_the_empty_pattern(logs: tuple[Deployment, str]) -> None:
    deployment, group = logs
    assert found(deployment, group, "ERROR") == ["plain ERROR line"]
    assert len(found(deployment, group, '"eventName" -ListBuckets')) == 2
    assert len(found(deployment, group, "")) == 4


def test_streams_time_range_and_limit_are_honoured(logs: tuple[Deployment, str]) -> None:
    deployment, group = logs
    assert len(found(deployment, group, "", logStreamNames=["b"])) == 2
    assert len(found(deployment, group, "", startTime=deployment.extras["base"] + 10_000)) == 2
    assert len(found(deployment, group, "", limit=1)) == 1


def test_an_invalid_pattern_is_refused_as_cloudwatch_logs_refuses_it(logs: tuple[Deployment, str]) -> None:
    deployment, group = logs
    with pytest.raises(ClientError) as refused:
        found(deployment, group, "{ $.errorCode = ")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "Invalid filter pattern" in refused.value.response["Error"]["Message"]
