"""A pipeline whose source is reached through a CodeStar/CodeConnections connection: the pipeline role must be
allowed UseConnection on the connection for the repository it reads, else the source action fails as CodePipeline's
does; allowed, the action produces a stand-in artifact, since the external repository's content is not available."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from harness.acceptance import Deployment
from harness.errors import Unverified
from harness.runtime.pipeline import Execution, register_source, start_pipeline_execution
from tests.runtime.conftest import pipeline_definition

Deploy = Callable[[str], Deployment]

USE = "codestar-connections:UseConnection"


def use(repository: str, action: str = USE, resource: str = "${connections.github.arn}") -> dict[str, Any]:
    key = f"{action.split(':')[0]}:FullRepositoryId"
    return {"Effect": "Allow", "Action": action, "Resource": resource, "Condition": {"StringEquals": {key: repository}}}


def connected(statement: dict[str, Any] | None, service: str = "codestar-connections", **source: str) -> str:
    """The runtime's release pipeline with its source on GitHub through connection 'github'."""
    body = yaml.safe_load(pipeline_definition(build_commands=["mkdir -p out", "cp README.md out/"]))
    action = body["pipelines"]["release"]["stages"][0]["actions"][0]
    configuration = {"ConnectionArn": "${connections.github.arn}", "FullRepositoryId": "acme/app", "BranchName": "main"}
    action.update(provider="CodeStarSourceConnection", configuration={**configuration, **source})
    body["connections"] = {"github": {"provider_type": "GitHub", "service": service}}
    if statement is not None:
        body["roles"]["pipeline"]["policies"]["pipeline"]["Statement"].append(statement)
    return str(yaml.safe_dump(body))


def run(pw: Deployment) -> Execution:
    with pw.observed():
        return start_pipeline_execution(pw, "release")


def test_a_pipeline_role_without_use_connection_cannot_get_its_source(deploy: Deploy) -> None:
    pw = deploy(connected(None))
    execution = run(pw)
    assert execution.status == "Failed"
    source = execution.action("Source", "Source")
    assert (source.status, source.error_code) == ("Failed", "JobFailed")
    arn = pw.provider.state["connections.github"].arn
    assert source.error_message.startswith(
        f"Insufficient permissions: Unable to use Connection: {arn}. The provided role does not have sufficient "
        "permissions. AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/"
    )
    assert f"is not authorized to perform: {USE} on resource: {arn}" in source.error_message
    assert execution.stage("Build").status == ""


def test_a_pipeline_role_allowed_for_the_repository_gets_a_stand_in_source(deploy: Deploy) -> None:
    pw = deploy(connected(use("acme/app")))
    execution = run(pw)
    assert execution.status == "Succeeded", execution.failure()
    [revision] = execution.revisions
    assert revision["revisionId"].startswith("stand-in-")
    location = execution.action("Source", "Source").outputs[0][1]
    body = pw.backend.client("s3").get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "stand-in for acme/app (main) on GitHub" in archive.read("README.md").decode()
    decisions = [
        a for a in pw.evidence.current().data["authorization"] if a["call"] == "codestar-connections:UseConnection"
    ]
    assert [d["allowed"] for d in decisions] == [True]
    context = decisions[0]["accesses"][0]["request"]["context"]  # keys as IAM compares them, in lower case
    assert context["codestar-connections:fullrepositoryid"] == "acme/app"
    assert context["codestar-connections:providerpermissionsrequired"] == "read_only"
    assert any(
        "its content is outside AWS, so a stand-in source artifact is used" in n
        for s in pw.evidence.steps
        for n in s.notes
    )


def test_a_pipeline_role_allowed_only_for_another_repository_is_refused(deploy: Deploy) -> None:
    pw = deploy(connected(use("acme/other", resource="*")))
    execution = run(pw)
    source = execution.action("Source", "Source")
    assert source.status == "Failed"
    assert "because no identity-based policy allows the codestar-connections:UseConnection action" in (
        source.error_message
    )


def test_a_codeconnections_connection_needs_the_codeconnections_action(deploy: Deploy) -> None:
    refused = deploy(connected(use("acme/app", resource="*"), service="codeconnections"))
    assert "codeconnections:UseConnection on resource: arn:aws:codeconnections:" in (
        run(refused).action("Source", "Source").error_message
    )
    allowed = deploy(connected(use("acme/app", "codeconnections:UseConnection"), service="codeconnections"))
    assert run(allowed).status == "Succeeded"


def test_a_registered_source_hook_supplies_the_content_once_the_connection_may_be_used(deploy: Deploy) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "the real thing\n")
    seen: list[dict[str, str]] = []

    def hook(deployment: Deployment, identity: object, config: dict[str, str]) -> tuple[bytes, str]:
        seen.append(config)
        return buffer.getvalue(), "0123abcd"

    refused = deploy(connected(None))
    register_source(refused, "CodeStarSourceConnection", hook)  # type: ignore[arg-type]
    assert run(refused).status == "Failed" and seen == []
    allowed = deploy(connected(use("acme/app")))
    register_source(allowed, "CodeStarSourceConnection", hook)  # type: ignore[arg-type]
    execution = run(allowed)
    assert execution.status == "Succeeded", execution.failure()
    assert execution.revisions == [{"name": "src", "revisionId": "0123abcd"}]
    assert seen[0]["FullRepositoryId"] == "acme/app"


def test_a_connection_outside_the_definition_is_unverified(deploy: Deploy) -> None:
    outside = "arn:aws:codestar-connections:us-east-1:123456789012:connection/elsewhere"
    pw = deploy(connected(use("acme/app", resource="*"), ConnectionArn=outside))
    with (
        pw.observed(),
        pytest.raises(Unverified, match=r"the connection .*/elsewhere is not declared in the definition"),
    ):
        start_pipeline_execution(pw, "release")
