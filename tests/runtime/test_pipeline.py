"""Pipeline executions: stages in order, artifacts through the artifact bucket as the pipeline role, approvals."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest

from harness.acceptance import Deployment
from harness.enforce.api import principals_of
from harness.enforce.principals import SessionRequest
from harness.runtime.pipeline import (
    ActionDenied,
    get_pipeline_execution,
    get_pipeline_state,
    list_action_executions,
    put_approval_result,
    start_pipeline_execution,
)
from harness.runtime.state import runtime
from tests.runtime.conftest import pipeline_definition

Deploy = Callable[[str], Deployment]


def upload_source(pw: Deployment, files: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    pw.backend.client("s3").put_object(Bucket=f"{pw.prefix}source", Key="source.zip", Body=buffer.getvalue())


def person(pw: Deployment, role: str, name: str):  # type: ignore[no-untyped-def]
    principals = principals_of(pw)
    arn = pw.provider.state[f"roles.{role}"].arn
    return principals.assume_role(pw.backend.admin, SessionRequest(arn, name), label=f"{name} ({role})")


def test_an_execution_runs_source_build_and_deploy_as_the_pipeline_role(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition())
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Succeeded", execution.failure()
    site = pw.backend.client("s3").get_object(Bucket=f"{pw.prefix}site", Key="app.txt")["Body"].read()
    assert site == b"hello\nbuilt\n"
    state = get_pipeline_state(pw, "release")
    assert [s["latestExecution"]["status"] for s in state["stageStates"]] == ["Succeeded"] * 3
    details = list_action_executions(pw, "release", execution.id)["actionExecutionDetails"]
    build = next(d for d in details if d["actionName"] == "Build")
    assert build["input"]["inputArtifacts"][0]["s3location"]["bucket"] == f"{pw.prefix}artifacts"
    assert build["output"]["executionResult"]["externalExecutionId"].startswith(f"{pw.prefix}app:")
    kinds = [
        (e["detail-type"], e["detail"].get("state") or e["detail"].get("build-status")) for e in runtime(pw).events
    ]
    assert kinds[0] == ("CodePipeline Pipeline Execution State Change", "STARTED")
    assert kinds[-1] == ("CodePipeline Pipeline Execution State Change", "SUCCEEDED")
    assert ("CodeBuild Build State Change", "SUCCEEDED") in kinds
    writers = {c.principal for c in pw.evidence.calls() if c.operation == "PutObject"}
    assert any("/pw-" in w and "pipeline" in w for w in writers)  # the pipeline role's session wrote artifacts


def test_pipeline_events_carry_the_fields_aws_documents(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition())
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    events = [e for e in runtime(pw).events if e["source"] == "aws.codepipeline"]
    assert {e["time"] for e in events} == {pw.trail.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    started = events[0]["detail"]
    assert started["execution-id"] == execution.id and started["pipeline-execution-attempt"] == 1
    assert started["execution-trigger"]["trigger-type"] == "StartPipelineExecution"
    assert started["start-time"].endswith("Z") and started["start-time"].startswith(
        dt.datetime.fromtimestamp(execution.start, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )
    build = [
        e["detail"]
        for e in events
        if e["detail-type"] == "CodePipeline Action Execution State Change" and e["detail"]["action"] == "Build"
    ]
    assert [d["state"] for d in build] == ["STARTED", "SUCCEEDED"]
    run = execution.stage("Build").actions[0]
    artifacts = f"{pw.prefix}artifacts"
    assert build[1]["action-execution-id"] == run.id
    assert [(a["name"], a["s3location"]["bucket"]) for a in build[1]["input-artifacts"]] == [
        (name, artifacts) for name, _ in run.inputs
    ]
    assert [a["name"] for a in build[1]["output-artifacts"]] == [name for name, _ in run.outputs] != []
    assert build[1]["execution-result"]["external-execution-id"] == run.external_id
    assert "output-artifacts" not in build[0] and "execution-result" not in build[0]
    stages = [e["detail"] for e in events if e["detail-type"] == "CodePipeline Stage Execution State Change"]
    assert [(d["stage"], d["state"]) for d in stages][:2] == [("Source", "STARTED"), ("Source", "SUCCEEDED")]


def test_a_failed_build_fails_its_stage_and_stops_the_execution(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition(build_commands=["exit 1"]))
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Failed"
    assert execution.stage("Build").status == "Failed"
    assert execution.stage("Deploy").status == ""
    assert "Build terminated with state: FAILED" in execution.failure()
    assert get_pipeline_execution(pw, "release", execution.id)["pipelineExecution"]["status"] == "Failed"


def test_a_missing_source_object_fails_the_source_stage(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition())
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Failed"
    assert execution.stage("Source").status == "Failed"
    assert "NoSuchKey" in execution.failure()


def test_approval_pauses_notifies_and_only_release_managers_resume(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition(approval=True))
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        dev = person(pw, "developer", "dana")
        manager = person(pw, "release-manager", "rita")
        execution = start_pipeline_execution(pw, "release", dev)
        assert execution.status == "InProgress"
        (waiting,) = execution.pending_approvals()
        topic, subject, message = runtime(pw).notifications[-1]
        assert topic.endswith(f":{pw.prefix}approvals") and "APPROVAL NEEDED" in subject and "ship it?" in message
        assert dev.arn in message

        own = put_approval_result(pw, dev, "release", "Release", "Approve", waiting.token, "Approved")
        assert not own.accepted and own.error_code == "AccessDeniedException"
        assert execution.status == "InProgress"

        ok = put_approval_result(pw, manager, "release", "Release", "Approve", waiting.token, "Approved", "lgtm")
    assert ok.accepted and execution.status == "Succeeded"
    assert waiting.approved_by == manager.arn
    assert execution.started_by.arn == dev.arn


def test_a_rejection_stops_the_release(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition(approval=True))
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        execution = start_pipeline_execution(pw, "release", person(pw, "developer", "dana"))
        token = execution.pending_approvals()[0].token
        put_approval_result(
            pw, person(pw, "release-manager", "rita"), "release", "Release", "Approve", token, "Rejected", "not today"
        )
    assert execution.status == "Failed"
    assert execution.stage("Deploy").status == ""
    assert "Rejected by" in execution.failure()
    objects = pw.backend.client("s3").list_objects_v2(Bucket=f"{pw.prefix}site").get("Contents", [])
    assert objects == []


def test_someone_without_permission_cannot_start_a_release(deploy: Deploy) -> None:
    pw = deploy(pipeline_definition(approval=True))
    with pw.observed(), pytest.raises(ActionDenied, match="could not start an execution: AccessDenied"):
        start_pipeline_execution(pw, "release", person(pw, "release-manager", "rita"))


def test_actions_with_the_same_run_order_all_run_and_one_failure_fails_the_stage(deploy: Deploy) -> None:
    import yaml

    body = yaml.safe_load(pipeline_definition())
    stages = body["pipelines"]["release"]["stages"]
    deploy_stage = stages[-1]
    good = deploy_stage["actions"][0]
    bad = dict(good, name="DeployElsewhere", configuration={"BucketName": "no-such-bucket-anywhere", "Extract": "true"})
    later = dict(good, name="AfterBoth", run_order=2)
    deploy_stage["actions"] = [good, bad, later]
    pw = deploy(yaml.safe_dump(body))
    upload_source(pw, {"app.txt": "hello\n"})
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Failed"
    assert execution.action("Deploy", "Deploy").status == "Succeeded"
    assert execution.action("Deploy", "DeployElsewhere").status == "Failed"
    assert execution.action("Deploy", "AfterBoth").status == ""  # the next runOrder never starts
    assert execution.stage("Deploy").status == "Failed"


def test_a_source_provider_without_a_registered_hook_is_unverified(deploy: Deploy) -> None:
    import yaml

    from harness.errors import Unverified

    body = yaml.safe_load(pipeline_definition())
    source = body["pipelines"]["release"]["stages"][0]["actions"][0]
    source.update(provider="CodeCommit", configuration={"RepositoryName": "app", "BranchName": "main"})
    pw = deploy(yaml.safe_dump(body))
    with pw.observed(), pytest.raises(Unverified, match="no CodeCommit source is registered"):
        start_pipeline_execution(pw, "release")


def test_a_registered_source_hook_supplies_the_revision(deploy: Deploy) -> None:
    import yaml

    from harness.runtime.pipeline import register_source

    body = yaml.safe_load(pipeline_definition())
    source = body["pipelines"]["release"]["stages"][0]["actions"][0]
    source.update(provider="CodeCommit", configuration={"RepositoryName": "app", "BranchName": "main"})
    pw = deploy(yaml.safe_dump(body))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.txt", "from the repository\n")
    calls: list[dict[str, str]] = []

    def hook(deployment: Deployment, identity: object, config: dict[str, str]) -> tuple[bytes, str]:
        calls.append(config)
        return buffer.getvalue(), "abc123"

    register_source(pw, "CodeCommit", hook)  # type: ignore[arg-type]
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Succeeded", execution.failure()
    assert calls == [{"RepositoryName": "app", "BranchName": "main"}]
    assert execution.revisions == [{"name": "src", "revisionId": "abc123"}]
