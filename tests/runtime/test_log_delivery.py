"""What happens to build logs when the build role may not write them, S3 logs, and the single write path."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.runtime import build as build_module
from harness.runtime.build import start_build
from harness.runtime.logs import LogEvent, write_log_events
from tests.runtime.conftest import project_definition

Deploy = Callable[[str], Deployment]
SPEC = {"version": 0.2, "phases": {"build": {"commands": ["echo hello"]}}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


S3_ONLY = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}


def test_a_role_that_may_not_create_log_streams_fails_in_provisioning(deploy: Deploy) -> None:
    pw = deploy(project_definition(SPEC, role_policy=policy(S3_ONLY)))
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "FAILED"
    provisioning = build.phase("PROVISIONING")
    assert provisioning is not None and provisioning.status == "FAILED"
    assert "does not allow AWS CodeBuild to create Amazon CloudWatch Logs log streams" in build.failure()
    assert build.phase("BUILD") is None


def test_a_role_that_may_create_streams_but_not_put_events_loses_its_logs(deploy: Deploy) -> None:
    create_only = {"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"}
    pw = deploy(project_definition(SPEC, role_policy=policy(S3_ONLY, create_only)))
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "SUCCEEDED"
    assert build.log_delivery and not build.log_delivery[0].ok
    assert "AccessDenied" in build.log_delivery[0].error_code
    events = pw.backend.client("logs").get_log_events(logGroupName=build.log_group, logStreamName=build.log_stream)
    assert events["events"] == []


def test_logs_also_go_to_s3_when_configured(deploy: Deploy) -> None:
    body = project_definition(
        SPEC, project={"logs": {"cloudwatch": {"group": "build"}, "s3": {"bucket": "artifacts", "prefix": "logs"}}}
    )
    pw = deploy(body)
    build = start_build(pw, "app")
    assert build.log_stream == build.uuid  # no stream prefix: the stream is the build's uuid
    assert build.s3_log is not None and build.s3_log.key == f"logs/{build.uuid}.gz"
    stored = pw.backend.client("s3").get_object(Bucket=build.s3_log.bucket, Key=build.s3_log.key)["Body"].read()
    assert "hello" in gzip.decompress(stored).decode().splitlines()


def test_every_log_event_goes_through_write_log_events(deploy: Deploy, monkeypatch: pytest.MonkeyPatch) -> None:
    pw = deploy(project_definition(SPEC))
    seen: list[str] = []

    def spy(deployment: Deployment, group: str, stream: str, events: list[LogEvent], identity: Any = None) -> Any:
        seen.extend(e.message for e in events)
        return write_log_events(deployment, group, stream, events, identity)

    monkeypatch.setattr(build_module, "write_log_events", spy)
    build = start_build(pw, "app")
    messages = pw.backend.client("logs").get_log_events(logGroupName=build.log_group, logStreamName=build.log_stream)
    assert [e["message"] for e in messages["events"]] == seen
    assert "hello" in seen


def test_a_build_of_a_project_that_is_not_deployed_says_so(deploy: Deploy) -> None:
    pw = deploy(project_definition(SPEC))
    with pytest.raises(AssertionError, match="build project 'nope': expected it to be deployed"):
        start_build(pw, "nope")


def test_buildspec_override_and_stop(deploy: Deploy) -> None:
    from harness.runtime.build import BuildRequest

    pw = deploy(project_definition(SPEC, timeout_minutes=30))
    override = {"version": 0.2, "phases": {"build": {"commands": ["echo overridden", "sleep 60"]}}}
    build = start_build(pw, BuildRequest("app", buildspec_override=override, stop_after_minutes=5))
    assert build.status == "STOPPED"
    assert "overridden" in build.lines and "hello" not in build.lines
