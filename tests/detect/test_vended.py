"""CodeBuild's own metrics: what each build state change publishes, and alarms and rules on them, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.detect import scenario as detection
from harness.detect.scenario import detection_of
from harness.detect.vended import codebuild_datapoints, service_metric_alarm_applies
from harness.errors import CheckFailed, Unverified
from harness.runtime.build import start_build
from tests.runtime.conftest import project_definition

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BUILD_ARN = "arn:aws:codebuild:us-east-1:123456789012:build/app:0b5c4f1e-0000-4000-8000-000000000001"


def build_event(status: str, phases: Sequence[tuple[str, str, int]] = ()) -> dict[str, Any]:
    """A CodeBuild Build State Change of project 'app' with phases ``(type, status, seconds)``."""
    return {
        "version": "0",
        "source": "aws.codebuild",
        "detail-type": "CodeBuild Build State Change",
        "resources": [BUILD_ARN],
        "detail": {
            "build-status": status,
            "project-name": "app",
            "build-id": BUILD_ARN,
            "additional-information": {
                "phases": [
                    {"phase-type": kind, "phase-status": state, "duration-in-seconds": seconds}
                    for kind, state, seconds in phases
                ]
                + [{"phase-type": "COMPLETED"}],
            },
        },
    }


def published(points: list[Any]) -> set[tuple[str, float, str | None, tuple[tuple[str, str], ...]]]:
    return {(p.name, p.value, p.unit, tuple(sorted(p.dimensions.items()))) for p in points}


FULL_RUN = [
    ("SUBMITTED", "SUCCEEDED", 0),
    ("QUEUED", "SUCCEEDED", 2),
    ("PROVISIONING", "SUCCEEDED", 10),
    ("DOWNLOAD_SOURCE", "SUCCEEDED", 3),
    ("BUILD", "SUCCEEDED", 40),
    ("FINALIZING", "SUCCEEDED", 1),
]


# -- what each state change publishes --------------------------------------------------------------------------
def test_a_started_build_counts_once_per_project_and_once_for_the_account() -> None:
    points = codebuild_datapoints(build_event("IN_PROGRESS"), AT)
    assert published(points) == {
        ("Builds", 1.0, "Count", (("ProjectName", "app"),)),
        ("Builds", 1.0, "Count", ()),
    }
    assert {p.namespace for p in points} == {"AWS/CodeBuild"}
    assert {p.timestamp for p in points} == {AT}


def test_a_succeeded_build_publishes_its_outcome_and_durations() -> None:
    points = codebuild_datapoints(build_event("SUCCEEDED", FULL_RUN), AT)
    project = [p for p in points if p.dimensions == {"ProjectName": "app"}]
    assert {(p.name, p.value, p.unit) for p in project} == {
        ("SucceededBuilds", 1.0, "Count"),
        ("Duration", 56.0, "Seconds"),
        ("SubmittedDuration", 0.0, "Seconds"),
        ("QueuedDuration", 2.0, "Seconds"),
        ("ProvisioningDuration", 10.0, "Seconds"),
        ("DownloadSourceDuration", 3.0, "Seconds"),
        ("BuildDuration", 40.0, "Seconds"),
        ("FinalizingDuration", 1.0, "Seconds"),
    }
    account = [p for p in points if not p.dimensions]
    assert published(account) == {(n, v, u, ()) for n, v, u, _ in published(project)}
    assert not {"Builds", "FailedBuilds"} & {p.name for p in points}


def test_a_failed_build_counts_as_failed_and_one_that_never_built_has_no_build_duration() -> None:
    phases = [("SUBMITTED", "SUCCEEDED", 0), ("QUEUED", "SUCCEEDED", 1), ("PROVISIONING", "FAILED", 4),
              ("FINALIZING", "SUCCEEDED", 0)]  # fmt: skip
    points = codebuild_datapoints(build_event("FAILED", phases), AT)
    names = {p.name: p.value for p in points if p.dimensions}
    assert names == {
        "FailedBuilds": 1.0,
        "Duration": 5.0,
        "SubmittedDuration": 0.0,
        "QueuedDuration": 1.0,
        "ProvisioningDuration": 4.0,
        "FinalizingDuration": 0.0,
    }


@pytest.mark.parametrize(("status", "outcome"), [("TIMED_OUT", {"FailedBuilds"}), ("FAULT", set()),
                                                 ("STOPPED", set())])  # fmt: skip
def test_timeouts_count_as_failed_a_fault_or_a_stop_as_neither(status: str, outcome: set[str]) -> None:
    names = {p.name for p in codebuild_datapoints(build_event(status, FULL_RUN), AT)}
    assert names & {"SucceededBuilds", "FailedBuilds"} == outcome
    assert "Duration" in names


def test_other_events_publish_nothing() -> None:
    event = build_event("SUCCEEDED", FULL_RUN) | {"source": "aws.codepipeline"}
    assert codebuild_datapoints(event, AT) == []
    assert codebuild_datapoints({"source": "aws.codebuild", "detail-type": "CodeBuild Build Phase Change"}, AT) == []


def test_an_alarm_on_the_account_or_the_project_sees_the_builds_one_on_another_project_does_not() -> None:
    assert service_metric_alarm_applies("AWS/CodeBuild", {}, ["app"])
    assert service_metric_alarm_applies("AWS/CodeBuild", {"ProjectName": "app"}, ["app"])
    assert not service_metric_alarm_applies("AWS/CodeBuild", {"ProjectName": "other"}, ["app"])
    assert not service_metric_alarm_applies("AWS/CodeBuild", {"ProjectName": "app", "BuildId": "x"}, ["app"])
    assert service_metric_alarm_applies("PipelineSecurity", {"Team": "x"}, ["app"])


# -- real builds, deployed alarms and rules --------------------------------------------------------------------
ALERTS_TOPIC: dict[str, Any] = {
    "alerts": {
        "policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ServicesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": "sns:Publish",
                    "Resource": "${topics.alerts.arn}",
                }
            ],
        }
    }
}


def monitored(commands: list[str], alarm: dict[str, Any] | None = None, rule: dict[str, Any] | None = None) -> str:
    """Project 'app' running ``commands``, with an alert topic, and the given alarm and rule."""
    extra: dict[str, Any] = {"topics": ALERTS_TOPIC}
    if alarm is not None:
        extra["alarms"] = {"builds": alarm}
    if rule is not None:
        extra["event_rules"] = {"failed-builds": rule}
    return project_definition({"version": 0.2, "phases": {"build": {"commands": commands}}}, **extra)


def builds_alarm(threshold: int, dimensions: dict[str, str] | None = None, metric: str = "Builds") -> dict[str, Any]:
    return {
        "metric_name": metric,
        "namespace": "AWS/CodeBuild",
        "dimensions": {"ProjectName": "${build_projects.app.name}"} if dimensions is None else dimensions,
        "statistic": "Sum",
        "period": 300,
        "evaluation_periods": 1,
        "threshold": threshold,
        "comparison": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
        "alarm_actions": ["alerts"],
    }


def name_of(pw: Deployment, section: str, key: str) -> str:
    """The physical name a declared resource was deployed under."""
    resource = pw.require_definition().get(section, key)
    assert resource is not None
    return pw.provider.ctx.physical_name(resource)


def run(pw: Deployment, builds: int) -> None:
    detection_of(pw)
    for _ in range(builds):
        start_build(pw, "app")


def test_builds_at_the_threshold_put_an_alarm_on_the_project_s_builds_in_alarm_and_notify(
    deploy: Callable[[str], Deployment],
) -> None:
    pw = deploy(monitored(["true"], builds_alarm(3)))
    run(pw, 3)
    runtime = detection_of(pw)
    runtime.advance(300)
    assert runtime.alarm_state(name_of(pw, "alarms", "builds")) == "ALARM"
    [transition] = [t for t in runtime.transitions if t.new_state.value == "ALARM"]
    assert transition.reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [3.0 (")
    assert [n.message["AlarmName"] for n in runtime.notifications if n.delivered] == [name_of(pw, "alarms", "builds")]
    # The same datapoints went to the backend's CloudWatch, under the project's dimension and the account's.
    cloudwatch = pw.backend.client("cloudwatch")
    project = {"ProjectName": name_of(pw, "build_projects", "app")}
    listed = cloudwatch.list_metrics(Namespace="AWS/CodeBuild", MetricName="Builds")["Metrics"]
    assert {json.dumps(m["Dimensions"]) for m in listed} == {
        "[]",
        json.dumps([{"Name": "ProjectName", "Value": project["ProjectName"]}]),
    }
    for dimensions in (project, {}):
        assert [p.value for p in runtime.store.query("AWS/CodeBuild", "Builds", dimensions)] == [1.0, 1.0, 1.0]


def test_builds_below_the_threshold_leave_the_alarm_ok(deploy: Callable[[str], Deployment]) -> None:
    pw = deploy(monitored(["true"], builds_alarm(3)))
    run(pw, 2)
    runtime = detection_of(pw)
    runtime.advance(300)
    assert runtime.alarm_state(name_of(pw, "alarms", "builds")) == "OK"
    assert not [n for n in runtime.notifications if n.delivered]


def test_an_account_wide_alarm_on_failed_builds_counts_failures_not_successes(
    deploy: Callable[[str], Deployment],
) -> None:
    pw = deploy(monitored(["exit 1"], builds_alarm(2, dimensions={}, metric="FailedBuilds")))
    run(pw, 2)
    runtime = detection_of(pw)
    runtime.advance(300)
    assert runtime.alarm_state(name_of(pw, "alarms", "builds")) == "ALARM"
    store = runtime.store
    assert [p.value for p in store.query("AWS/CodeBuild", "FailedBuilds", {})] == [1.0, 1.0]
    assert store.query("AWS/CodeBuild", "SucceededBuilds", {}) == []
    durations = store.query("AWS/CodeBuild", "BuildDuration", {"ProjectName": name_of(pw, "build_projects", "app")})
    assert len(durations) == 2 and all(p.unit == "Seconds" for p in durations)


def test_a_rule_on_failed_builds_delivers_the_failure_to_its_topic(deploy: Callable[[str], Deployment]) -> None:
    rule = {
        "pattern": {
            "source": ["aws.codebuild"],
            "detail-type": ["CodeBuild Build State Change"],
            "detail": {"build-status": ["FAILED"], "project-name": ["${build_projects.app.name}"]},
        },
        "targets": [{"topic": "alerts"}],
    }
    pw = deploy(monitored(["exit 1"], rule=rule))
    run(pw, 1)
    runtime = detection_of(pw)
    topic = f"arn:aws:sns:{pw.backend.region}:{pw.backend.account_id}:{name_of(pw, 'topics', 'alerts')}"
    [notification] = runtime.notifications_to(topic)
    detail = notification.message["detail"]
    assert (notification.message["source"], notification.message["detail-type"]) == (
        "aws.codebuild",
        "CodeBuild Build State Change",
    )
    assert (detail["build-status"], detail["project-name"]) == ("FAILED", name_of(pw, "build_projects", "app"))
    assert detail["build-id"].startswith(f"arn:aws:codebuild:{pw.backend.region}:")


def test_a_rule_on_failed_builds_ignores_a_successful_build(deploy: Callable[[str], Deployment]) -> None:
    rule = {
        "pattern": {"source": ["aws.codebuild"], "detail": {"build-status": ["FAILED"]}},
        "targets": [{"topic": "alerts"}],
    }
    pw = deploy(monitored(["true"], rule=rule))
    run(pw, 1)
    assert detection_of(pw).notifications == []


# -- the detection scenarios take an alarm on CodeBuild's own metric as the build-volume alarm ------------------
def test_an_account_wide_builds_alarm_is_the_build_volume_alarm(deploy: Callable[[str], Deployment]) -> None:
    pw = deploy(monitored(["true"], builds_alarm(2, dimensions={})))
    run(pw, 2)
    assert detection.expect_alarm(pw, "build volume") == (name_of(pw, "alarms", "builds"),)


def test_a_builds_alarm_on_another_project_is_not_the_build_volume_alarm(deploy: Callable[[str], Deployment]) -> None:
    pw = deploy(monitored(["true"], builds_alarm(1, dimensions={"ProjectName": "someone-else"})))
    run(pw, 2)
    with pytest.raises(CheckFailed) as failure:
        detection.expect_alarm(pw, "build volume")
    assert str(failure.value) == (
        "pipeline 'test': expected an alarm on AWS/CodeBuild/Builds (the metric of build volume), found none; "
        f"alarm '{name_of(pw, 'alarms', 'builds')}' watches AWS/CodeBuild/Builds for ProjectName=someone-else, "
        f"not the builds of {name_of(pw, 'build_projects', 'app')}; add an alarm on AWS/CodeBuild Builds "
        "(dimension ProjectName) with a threshold above the usual build rate"
    )


def test_a_hanging_build_that_cannot_start_leaves_the_timeout_unexercised(deploy: Callable[[str], Deployment]) -> None:
    # The role may not write the build's logs, so every build fails while provisioning, before it could hang.
    no_logs = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    pw = deploy(project_definition({"version": 0.2, "phases": {}}, role_policy=no_logs))

    with pw.observed(), pytest.raises(Unverified) as caught:
        detection.hang_builds(pw, 1)

    assert str(caught.value).startswith(
        "UNVERIFIED: pipeline 'test': the hanging build could not hang, so its timeout was not exercised: it "
        "ended FAILED (PROVISIONING"
    )
