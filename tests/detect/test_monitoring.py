"""Detection end to end on moto: deployed metric filters, published metrics, alarm states, notifications."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.backends import Backend, make_backend
from harness.detect.monitoring import DetectionRuntime
from harness.inputs.harness_yaml import parse_definition
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider

CIS_UNAUTHORIZED = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    found = make_backend("moto")
    found.open()
    yield found
    found.close()


def definition(pattern: str = CIS_UNAUTHORIZED, topic: str = "", threshold: int = 3, extra: str = "") -> Definition:
    topic_block = (
        topic
        or """
    alerts:
      policy:
        Version: '2012-10-17'
        Statement:
          - {Sid: AlarmsPublish, Effect: Allow, Principal: {Service: cloudwatch.amazonaws.com},
             Action: 'sns:Publish', Resource: '${topics.alerts.arn}'}"""
    )
    return parse_definition(
        f"""
pipewarden: 1
name: detection
resources:
  log_groups: {{trail: {{retention_days: 365}}, other: {{}}}}
  topics:{topic_block}
  metric_filters:
    unauthorized:
      log_group: trail
      pattern: '{pattern}'
      metric_name: UnauthorizedAPICalls
      namespace: CISBenchmark
      value: '1'
  alarms:
    unauthorized:
      metric_name: UnauthorizedAPICalls
      namespace: CISBenchmark
      threshold: {threshold}
      period: 300
      evaluation_periods: 1
      treat_missing_data: notBreaching
      alarm_actions: [alerts]
{extra}
"""
    )


@pytest.fixture
def deployed(backend: Backend, request: pytest.FixtureRequest) -> Iterator[tuple[Provider, DetectionRuntime]]:
    backend.reset()
    marker = request.node.get_closest_marker("definition")
    spec: Definition = marker.args[0] if marker else definition()
    provider = Provider(backend)
    provider.apply(spec)
    runtime = DetectionRuntime(backend)
    backend.add_observer(runtime)
    try:
        yield provider, runtime
    finally:
        backend.remove_observer(runtime)
        provider.destroy(spec)


def denied(event_name: str = "CreateUser") -> str:
    return json.dumps(
        {"eventName": event_name, "errorCode": "AccessDenied", "errorMessage": "User: x is not authorized"}
    )


def allowed(event_name: str = "ListBuckets") -> str:
    return json.dumps({"eventName": event_name})


def test_matching_events_publish_one_datapoint_each_and_others_publish_nothing(
    deployed: tuple[Provider, DetectionRuntime],
) -> None:
    provider, runtime = deployed
    published = runtime.write_log_events(f"{provider.prefix}trail", "s", [denied(), allowed(), denied("PutRolePolicy")])
    assert [p.value for p in published] == [1.0, 1.0]
    assert [m.message for m in runtime.matches] == [denied(), denied("PutRolePolicy")]


def test_events_in_another_log_group_do_not_go_through_the_filter(deployed: tuple[Provider, DetectionRuntime]) -> None:
    provider, runtime = deployed
    assert runtime.write_log_events(f"{provider.prefix}other", "s", [denied()] * 5) == []
    runtime.advance(300)
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "OK"


def test_a_burst_at_the_threshold_raises_the_alarm_and_notifies(deployed: tuple[Provider, DetectionRuntime]) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    runtime.advance(300)
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "ALARM"
    topic = provider.state["topics.alerts"].arn
    [note] = runtime.notifications_to(topic)
    assert note.message["NewStateValue"] == "ALARM"
    assert note.message["AlarmName"] == f"{provider.prefix}unauthorized"


def test_fewer_denials_than_the_threshold_leave_the_alarm_ok(deployed: tuple[Provider, DetectionRuntime]) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 2)
    runtime.advance(300)
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "OK"
    assert runtime.notifications == []


def test_writes_by_any_harness_client_are_seen(deployed: tuple[Provider, DetectionRuntime], backend: Backend) -> None:
    provider, runtime = deployed
    logs = backend.client("logs")
    group = f"{provider.prefix}trail"
    logs.create_log_stream(logGroupName=group, logStreamName="delivery")
    timestamp = int(runtime.clock.now().timestamp() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName="delivery", logEvents=[{"timestamp": timestamp, "message": denied()}] * 3
    )
    assert len(runtime.matches) == 3
    runtime.advance(300)
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "ALARM"


@pytest.mark.definition(definition(pattern='{ $.errorcode = "AccessDenied*" }'))
def test_a_pattern_with_a_typo_in_the_field_name_never_fires(deployed: tuple[Provider, DetectionRuntime]) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 10)
    runtime.advance(300)
    assert runtime.matches == []
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "OK"


def test_the_deployed_pattern_decides_not_the_definition(
    deployed: tuple[Provider, DetectionRuntime], backend: Backend
) -> None:
    provider, runtime = deployed
    # Someone narrows the filter behind the harness's back: the behaviour follows what is deployed.
    backend.client("logs").put_metric_filter(
        logGroupName=f"{provider.prefix}trail",
        filterName=f"{provider.prefix}unauthorized",
        filterPattern='{ $.errorCode = "UnauthorizedOperation" }',
        metricTransformations=[
            {"metricName": "UnauthorizedAPICalls", "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    assert runtime.matches == []


ENCRYPTED_TOPIC = """
    alerts:
      kms_key: alerts
      policy:
        Version: '2012-10-17'
        Statement:
          - {Sid: AlarmsPublish, Effect: Allow, Principal: {Service: cloudwatch.amazonaws.com},
             Action: 'sns:Publish', Resource: '${topics.alerts.arn}'}"""


@pytest.mark.definition(definition(topic=ENCRYPTED_TOPIC, extra="  keys:\n    alerts: {}\n"))
def test_an_encrypted_topic_whose_key_does_not_grant_cloudwatch_receives_nothing(
    deployed: tuple[Provider, DetectionRuntime],
) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    runtime.advance(300)
    assert runtime.alarm_state(f"{provider.prefix}unauthorized") == "ALARM"
    [note] = runtime.notifications
    assert not note.delivered
    assert "does not grant cloudwatch.amazonaws.com kms:GenerateDataKey" in note.reason


KEY_FOR_CLOUDWATCH = """  keys:
    alerts:
      policy:
        Version: '2012-10-17'
        Statement:
          - {Sid: Admin, Effect: Allow, Principal: {AWS: 'arn:aws:iam::${account_id}:root'},
             Action: 'kms:*', Resource: '*'}
          - {Sid: CloudWatchAlarms, Effect: Allow, Principal: {Service: cloudwatch.amazonaws.com},
             Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*'}
"""


@pytest.mark.definition(definition(topic=ENCRYPTED_TOPIC, extra=KEY_FOR_CLOUDWATCH))
def test_an_encrypted_topic_whose_key_grants_cloudwatch_is_notified(
    deployed: tuple[Provider, DetectionRuntime],
) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    runtime.advance(300)
    assert [n.delivered for n in runtime.notifications] == [True]


TOPIC_WITHOUT_CLOUDWATCH = """
    alerts:
      policy:
        Version: '2012-10-17'
        Statement:
          - {Sid: OwnerOnly, Effect: Allow, Principal: {AWS: 'arn:aws:iam::${account_id}:root'},
             Action: 'sns:Publish', Resource: '${topics.alerts.arn}'}"""


@pytest.mark.definition(definition(topic=TOPIC_WITHOUT_CLOUDWATCH))
def test_a_topic_policy_without_cloudwatch_blocks_the_notification(
    deployed: tuple[Provider, DetectionRuntime],
) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    runtime.advance(300)
    [note] = runtime.notifications
    assert not note.delivered
    assert "does not let cloudwatch.amazonaws.com publish" in note.reason


def test_the_alarm_returns_to_ok_when_the_burst_is_over(deployed: tuple[Provider, DetectionRuntime]) -> None:
    provider, runtime = deployed
    runtime.write_log_events(f"{provider.prefix}trail", "s", [denied()] * 3)
    runtime.advance(300)
    # Once the evaluation range holds no breaching datapoint, missing data counts as not breaching.
    for _ in range(4):
        runtime.advance(300)
    states: list[Any] = [t.new_state.value for t in runtime.transitions]
    assert states == ["OK", "ALARM", "OK"]


def test_subscription_filters_pass_on_only_what_their_pattern_matches(
    deployed: tuple[Provider, DetectionRuntime], backend: Backend
) -> None:
    provider, runtime = deployed
    group = f"{provider.prefix}trail"
    kinesis = backend.client("kinesis")
    kinesis.create_stream(StreamName=f"{provider.prefix}sink", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName=f"{provider.prefix}sink")["StreamDescription"]["StreamARN"]
    backend.client("logs").put_subscription_filter(
        logGroupName=group,
        filterName="denials",
        filterPattern='{ $.errorCode = "AccessDenied" }',
        destinationArn=stream_arn,
        roleArn=f"arn:aws:iam::{backend.account_id}:role/logs-to-kinesis",
    )
    runtime.write_log_events(group, "s", [denied(), allowed(), denied("PutRolePolicy")])
    [delivery] = runtime.subscriptions
    assert delivery.destination_arn == stream_arn
    assert delivery.messages == (denied(), denied("PutRolePolicy"))


def test_a_backend_that_evaluates_alarms_itself_is_compared_and_a_difference_recorded(
    deployed: tuple[Provider, DetectionRuntime], backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, runtime = deployed
    alarm = f"{provider.prefix}unauthorized"
    # Stand in for a backend with its own alarm evaluation that (wrongly) put the alarm in ALARM.
    monkeypatch.setattr(backend, "name", "localstack")
    backend.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="its own verdict")
    runtime.advance(300)
    [disagreement] = runtime.disagreements
    assert (disagreement.alarm, disagreement.ours, disagreement.backend) == (alarm, "OK", "ALARM")
    assert disagreement.backend_reason == "its own verdict"
