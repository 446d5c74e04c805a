"""Detection scenarios on the reference pipeline: the chain fires, and a broken link is named in the failure."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend, make_backend
from harness.detect import scenario as detection
from harness.errors import CheckFailed, Unverified
from harness.model.definition import Definition
from harness.provider.resources.alarm import Alarm
from harness.provider.resources.metric_filter import MetricFilter
from harness.scenario import load_fixture


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    found = make_backend("moto")
    found.open()
    yield found
    found.close()


@pytest.fixture(scope="module")
def reference() -> Definition:
    return load_fixture("reference")


def with_changes(definition: Definition, **patterns: str) -> Definition:
    """The definition with some metric filter patterns replaced (by filter name)."""
    resources = tuple(
        dataclasses.replace(r, pattern=patterns[r.name]) if isinstance(r, MetricFilter) and r.name in patterns else r
        for r in definition.resources
    )
    return dataclasses.replace(definition, resources=resources)


def without_alarms(definition: Definition, *names: str) -> Definition:
    """The definition without the named alarms (without any when none is named)."""
    kept = tuple(r for r in definition.resources if not (isinstance(r, Alarm) and (not names or r.name in names)))
    return dataclasses.replace(definition, resources=kept)


@pytest.fixture
def deploy(backend: Backend) -> Iterator[list[Deployment]]:
    made: list[Deployment] = []
    yield made
    for deployment in made:
        deployment.teardown()


def deployed(backend: Backend, definition: Definition, made: list[Deployment]) -> Deployment:
    backend.reset()
    deployment = Deployment(backend)
    made.append(deployment)
    with deployment.observed():
        deployment.definition = definition
        deployment.apply()
    return deployment


def test_denied_calls_raise_the_unauthorized_calls_alarm_and_notify(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, reference, deploy)
    with deployment.observed():
        detection.make_denied_calls(deployment, "build", 3)
        detection.deliver(deployment)
        fired = detection.expect_alarm(deployment, "unauthorized calls")
        topics = detection.expect_notified(deployment, "unauthorized calls")
    assert fired == (f"{deployment.prefix}unauthorized-api-calls",)
    assert topics == [deployment.provider.state["topics.security-alerts"].arn]


def test_one_denied_call_stays_below_the_threshold(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, reference, deploy)
    with deployment.observed():
        detection.make_denied_calls(deployment, "build", 1)
        detection.deliver(deployment)
        quiet = detection.expect_no_alarm(deployment, "unauthorized calls")
        with pytest.raises(CheckFailed, match="expected an alarm on unauthorized calls to go off after 1 record"):
            detection.expect_alarm(deployment, "unauthorized calls")
    assert quiet == (f"{deployment.prefix}unauthorized-api-calls",)


def test_a_filter_with_a_typo_never_matches_and_the_failure_names_it(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    broken = with_changes(reference, **{"iam-policy-changes": "{ $.eventname = PutRolePolicy }"})
    deployment = deployed(backend, broken, deploy)
    with deployment.observed():
        detection.change_role_permissions(deployment, "build")
        detection.make_denied_calls(deployment, "build", 1)
        detection.change_pipeline(deployment)
        detection.deliver(deployment)
        with pytest.raises(CheckFailed) as failed:
            detection.expect_every_filter_matched(deployment)
        with pytest.raises(CheckFailed) as no_match:
            detection.expect_alarm(deployment, "IAM policy changes")
    assert (
        f"found 1 that matched nothing: '{deployment.prefix}iam-policy-changes' '{{ $.eventname = PutRolePolicy }}'"
        in str(failed.value)
    )
    assert "expected a metric filter on" in str(no_match.value)
    assert "to match the 1 record(s) of IAM policy changes, found none matching among:" in str(no_match.value)


def test_a_metric_nobody_alarms_on_is_reported(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, without_alarms(reference, "pipeline-changes"), deploy)
    with deployment.observed():
        detection.change_pipeline(deployment)
        detection.deliver(deployment)
        with pytest.raises(CheckFailed, match=r"expected an alarm on PipelineSecurity/PipelineChanges .*found none"):
            detection.expect_alarm(deployment, "pipeline changes")


def test_without_any_alarm_in_the_definition_the_claim_is_unverified(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, without_alarms(reference), deploy)
    with deployment.observed():
        detection.change_pipeline(deployment)
        detection.deliver(deployment)
        with pytest.raises(Unverified) as caught:
            detection.expect_alarm(deployment, "pipeline changes")
    assert caught.value.reason == (
        f"pipeline '{reference.name}': declares no alarm to watch pipeline changes, so the claim cannot be tried; "
        "alarms often live in the account's monitoring baseline: declare the alarm or give the template or plan "
        "that declares it with --baseline FILE (under pytest --pw-baseline FILE)"
    )


def test_an_unknown_kind_of_behaviour_is_refused() -> None:
    with pytest.raises(
        CheckFailed, match=r"expected one of unauthorized calls, IAM policy changes, .*pipeline changes"
    ):
        detection.watch("root logins")


def _records_of(deployment: Deployment, event_name: str) -> list[dict[str, object]]:
    return [r for r in detection._delivered_records(deployment) if r.get("eventName") == event_name]


def test_an_administrator_of_the_account_changes_the_role_and_the_alarm_goes_off(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, reference, deploy)
    with deployment.observed():
        detection.change_role_permissions(deployment, "build")
        detection.deliver(deployment)
        fired = detection.expect_alarm(deployment, "IAM policy changes")
    assert fired == (f"{deployment.prefix}iam-policy-changes",)
    [record] = _records_of(deployment, "PutRolePolicy")
    identity = record["userIdentity"]
    assert isinstance(identity, dict) and f":assumed-role/{deployment.prefix}account-admin/" in identity["arn"]
    assert "errorCode" not in record


PROTECT_PIPELINE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "FreezePipelines", "Effect": "Deny", "Action": "codepipeline:UpdatePipeline", "Resource": "*"},
    ],
}


def test_a_pipeline_change_refused_by_an_scp_holds_the_detection_claim_with_the_refusal_as_evidence(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    # A filter that counts only changes that were made: the refused attempt matches nothing.
    made_only = with_changes(
        reference,
        **{
            "pipeline-changes": '{ ($.eventSource = "codepipeline.amazonaws.com") && ($.eventName = "UpdatePipeline")'
            " && ($.errorCode NOT EXISTS) }"
        },
    )
    deployment = deployed(backend, made_only, deploy)
    deployment.enforcer.scps = [[PROTECT_PIPELINE]]
    with deployment.observed():
        detection.change_pipeline(deployment)
        detection.deliver(deployment)
        fired = detection.expect_alarm(deployment, "pipeline changes")
        topics = detection.expect_notified(deployment, "pipeline changes")
    assert fired == () and topics == []
    [record] = _records_of(deployment, "UpdatePipeline")
    assert record["errorCode"] == "AccessDeniedException"
    assert (
        deployment.evidence.current()
        .data["prevented"]
        .endswith(
            "(ExplicitDeny, AccessDeniedException): statement 'FreezePipelines' of the service control policy "
            "'scp[0][0]'"
        )
    )


def test_without_the_refusal_the_same_filter_and_alarm_detect_the_change(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    made_only = with_changes(
        reference,
        **{
            "pipeline-changes": '{ ($.eventSource = "codepipeline.amazonaws.com") && ($.eventName = "UpdatePipeline")'
            " && ($.errorCode NOT EXISTS) }"
        },
    )
    deployment = deployed(backend, made_only, deploy)
    with deployment.observed():
        detection.change_pipeline(deployment)
        detection.deliver(deployment)
        fired = detection.expect_alarm(deployment, "pipeline changes")
    assert fired == (f"{deployment.prefix}pipeline-changes",)
    assert "prevented" not in deployment.evidence.current().data


def test_stopping_the_trail_is_recorded_before_it_stops_and_the_trail_changes_alarm_goes_off(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, reference, deploy)
    with deployment.observed():
        detection.stop_trail(deployment)
        detection.deliver(deployment)
        fired = detection.expect_alarm(deployment, "trail changes")
        topics = detection.expect_notified(deployment, "trail changes")
    assert fired == (f"{deployment.prefix}trail-changes",)
    assert topics == [f"arn:aws:sns:us-east-1:123456789012:{deployment.prefix}security-alerts"]
    [record] = _records_of(deployment, "StopLogging")
    identity = record["userIdentity"]
    assert isinstance(identity, dict) and f":assumed-role/{deployment.prefix}account-admin/" in identity["arn"]
    status = deployment.backend.client("cloudtrail").get_trail_status(Name=f"{deployment.prefix}audit")
    assert status["IsLogging"] is False


def test_a_trail_stopped_unwatched_fails_the_claim_naming_the_missing_alarm(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, without_alarms(reference, "trail-changes"), deploy)
    with deployment.observed():
        detection.stop_trail(deployment)
        detection.deliver(deployment)
        with pytest.raises(CheckFailed, match=r"expected an alarm on PipelineSecurity/CloudTrailChanges"):
            detection.expect_alarm(deployment, "trail changes")


PROTECT_TRAIL = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "KeepTrailsOn", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
         "Resource": "*"},
    ],
}  # fmt: skip


def test_a_trail_stop_refused_by_an_scp_holds_the_claim_and_the_trail_keeps_logging(
    backend: Backend, reference: Definition, deploy: list[Deployment]
) -> None:
    deployment = deployed(backend, without_alarms(reference, "trail-changes"), deploy)
    deployment.enforcer.scps = [[PROTECT_TRAIL]]
    with deployment.observed():
        detection.stop_trail(deployment)
        detection.deliver(deployment)
        assert detection.expect_alarm(deployment, "trail changes") == ()
    assert "statement 'KeepTrailsOn' of the service control policy" in deployment.evidence.current().data["prevented"]
    status = deployment.backend.client("cloudtrail").get_trail_status(Name=f"{deployment.prefix}audit")
    assert status["IsLogging"] is True
