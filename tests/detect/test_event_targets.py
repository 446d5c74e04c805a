"""EventBridge rules deliver to pipelines, builds and functions as EventBridge does: with the target's role, or through
the function's policy."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import yaml

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.detect.scenario import announce_source_change, detection_of
from harness.runtime.pipeline import get_execution
from tests.conftest import definition

START_RELEASE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "StartRelease",
            "Effect": "Allow",
            "Action": "codepipeline:StartPipelineExecution",
            "Resource": "${pipelines.release.arn}",
        }
    ],
}


def body(events_policy: dict[str, Any] | None = START_RELEASE, **extra: Any) -> str:
    """A pipeline (S3 source, then a manual approval) started by a rule on pushes to main of repository 'app'."""
    pipeline_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${buckets.source.arn}/*"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "${buckets.artifacts.arn}/*"},
        ],
    }
    events_role: dict[str, Any] = {"assumed_by": ["events.amazonaws.com"]}
    if events_policy:
        events_role["policies"] = {"start": events_policy}
    data: dict[str, Any] = {
        "buckets": {"source": {}, "artifacts": {}},
        "roles": {
            "pipeline": {"assumed_by": ["codepipeline.amazonaws.com"], "policies": {"run": pipeline_policy}},
            "events": events_role,
        },
        "pipelines": {
            "release": {
                "role": "pipeline",
                "artifact_store": {"bucket": "artifacts"},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [
                            {
                                "name": "Source",
                                "category": "Source",
                                "provider": "S3",
                                "configuration": {"S3Bucket": "${buckets.source.name}", "S3ObjectKey": "src.zip"},
                                "output_artifacts": ["src"],
                            }
                        ],
                    },
                    {"name": "Release", "actions": [{"name": "Approve", "category": "Approval", "provider": "Manual"}]},
                ],
            }
        },
        "event_rules": {
            "on-push": {
                "pattern": {
                    "source": ["aws.codecommit"],
                    "detail-type": ["CodeCommit Repository State Change"],
                    "detail": {"referenceType": ["branch"], "referenceName": ["main"]},
                },
                "targets": [{"pipeline": "release", "role": "events", "id": "StartRelease"}],
            }
        },
    }
    for section, resources in extra.items():
        data.setdefault(section, {}).update(resources)
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture
def deploy(backend: Backend) -> Iterator[Any]:
    """Deploy a definition body with a source object in place, observed (IAM enforced) until the test ends."""
    made: list[Deployment] = []
    observing = ExitStack()

    def make(text: str) -> Deployment:
        deployment = Deployment(backend)
        deployment.definition = definition(text)
        deployment.apply(check_idempotent=False)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.txt", "hello\n")
        backend.client("s3").put_object(Bucket=f"{deployment.prefix}source", Key="src.zip", Body=buffer.getvalue())
        made.append(deployment)
        observing.enter_context(deployment.observed())
        return deployment

    yield make
    observing.close()
    for deployment in made:
        deployment.teardown()


def test_a_push_to_main_starts_the_pipeline_with_the_rules_role(deploy: Any) -> None:
    pw = deploy(body())
    (delivery,) = announce_source_change(pw, "app", "main", "c0ffee")
    assert (delivery.kind, delivery.delivered, delivery.reason) == ("pipeline", True, "")
    assert delivery.target_arn == pw.provider.state["pipelines.release"].arn
    execution = get_execution(pw, delivery.started)
    assert execution.status == "InProgress" and execution.pending_approvals()
    # EventBridge started it, with the role of the target: the execution and the trail say so.
    events_role = pw.provider.state["roles.events"].physical_id
    assert f":assumed-role/{events_role}/events-" in execution.started_by.arn
    decision = next(d for d in reversed(pw.enforcer.decisions) if d.operation == "StartPipelineExecution")
    assert decision.allowed and decision.identity == execution.started_by


def test_a_push_to_another_branch_starts_nothing(deploy: Any) -> None:
    pw = deploy(body())
    assert announce_source_change(pw, "app", "feature/x", "c0ffee") == []


def test_a_rule_whose_role_may_not_start_the_pipeline_starts_nothing(deploy: Any) -> None:
    pw = deploy(body(events_policy=None))
    (delivery,) = announce_source_change(pw, "app", "main", "c0ffee")
    assert not delivery.delivered and delivery.started == ""
    assert "AccessDeniedException" in delivery.reason
    assert "codepipeline:StartPipelineExecution" in delivery.reason
    assert not [e for e in detection_of(pw).events if e.get("source") == "aws.codepipeline"]


def test_a_role_that_does_not_trust_eventbridge_cannot_be_used(deploy: Any) -> None:
    text = body().replace("- events.amazonaws.com", "- codebuild.amazonaws.com")
    pw = deploy(text)
    (delivery,) = announce_source_change(pw, "app", "main", "c0ffee")
    assert not delivery.delivered
    assert delivery.reason.startswith(f"EventBridge cannot assume {pw.provider.state['roles.events'].arn}")


FUNCTION = {
    "roles": {"runner": {"assumed_by": ["lambda.amazonaws.com"]}},
    "functions": {
        "notify": {
            "role": "runner",
            "runtime": "python3.12",
            "handler": "index.handler",
            "permissions": [
                {"sid": "FromPushes", "principal": "events.amazonaws.com", "source_arn": "${event_rules.on-push.arn}"}
            ],
        },
        "closed": {"role": "runner", "runtime": "python3.12", "handler": "index.handler"},
    },
}


def test_a_function_target_is_reached_only_through_its_policy(deploy: Any) -> None:
    text = body(**FUNCTION)
    data = yaml.safe_load(text)
    data["event_rules"]["on-push"]["targets"] += [{"function": "notify"}, {"function": "closed"}]
    pw = deploy(yaml.safe_dump(data, sort_keys=False))
    deliveries = {d.target_arn: d for d in announce_source_change(pw, "app", "main", "c0ffee")}
    notify = deliveries[pw.provider.state["functions.notify"].arn]
    assert (notify.kind, notify.delivered) == ("function", True)
    assert notify.reason == "the function's code is not run by pipewarden"
    closed = deliveries[pw.provider.state["functions.closed"].arn]
    assert not closed.delivered and "has no policy letting EventBridge invoke it" in closed.reason


def test_a_function_policy_for_another_rule_does_not_let_this_one_in(deploy: Any) -> None:
    data = yaml.safe_load(body(**FUNCTION))
    data["functions"]["notify"]["permissions"][0]["source_arn"] = "arn:aws:events:${region}:${account_id}:rule/other"
    data["event_rules"]["on-push"]["targets"].append({"function": "notify"})
    pw = deploy(yaml.safe_dump(data, sort_keys=False))
    (delivery,) = [d for d in announce_source_change(pw, "app", "main", "c0ffee") if d.kind == "function"]
    assert not delivery.delivered
    assert "does not let events.amazonaws.com invoke it for rule" in delivery.reason


def test_a_build_target_is_authorized_with_the_rules_role(deploy: Any) -> None:
    data = yaml.safe_load(body())
    data["roles"]["build"] = {"assumed_by": ["codebuild.amazonaws.com"]}
    data["build_projects"] = {"app": {"service_role": "build", "buildspec": {"version": 0.2, "phases": {}}}}
    data["event_rules"]["on-push"]["targets"] = [{"build_project": "app", "role": "events"}]
    pw = deploy(yaml.safe_dump(data, sort_keys=False))
    (denied,) = announce_source_change(pw, "app", "main", "c0ffee")
    assert (denied.kind, denied.delivered) == ("build_project", False)
    assert "codebuild:StartBuild" in denied.reason
    pw.backend.client("iam").put_role_policy(
        RoleName=pw.provider.state["roles.events"].physical_id,
        PolicyName="build",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codebuild:StartBuild", '
            f'"Resource": "{pw.provider.state["build_projects.app"].arn}"}}]}}'
        ),
    )
    pw.enforcer.invalidate()
    (allowed,) = announce_source_change(pw, "app", "main", "c0ffee")
    assert allowed.delivered and "not run outside its pipeline" in allowed.reason


def test_a_disabled_rule_delivers_nothing(deploy: Any) -> None:
    data = yaml.safe_load(body())
    data["event_rules"]["on-push"]["enabled"] = False
    pw = deploy(yaml.safe_dump(data, sort_keys=False))
    assert announce_source_change(pw, "app", "main", "c0ffee") == []
