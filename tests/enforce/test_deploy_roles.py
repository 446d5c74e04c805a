"""Deploy roles and function execution roles are roles of the pipeline: a build role that may pass them fails the
claim that it passes no role but its own, and a pipeline role needs iam:PassRole to hand the deploy role to
CloudFormation."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce import least_privilege as probes
from harness.enforce.api import expect_denied
from harness.errors import CheckFailed, Unverified
from harness.runtime.pipeline import start_pipeline_execution
from harness.runtime.state import runtime
from harness.scenario import resolve_role
from tests.conftest import definition

ADMIN = {"Version": "2012-10-17", "Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
CREATE_PROJECTS = {"Sid": "Projects", "Effect": "Allow", "Action": "codebuild:CreateProject", "Resource": "*"}


def body(build_statements: list[dict[str, Any]], pipeline_passes_deploy_role: bool = True) -> str:
    pipeline_statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${buckets.source.arn}/*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "${buckets.artifacts.arn}/*"},
        {"Effect": "Allow", "Action": ["cloudformation:CreateStack", "cloudformation:DescribeStacks"], "Resource": "*"},
    ]
    if pipeline_passes_deploy_role:
        pipeline_statements.append(
            {
                "Sid": "PassDeployRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "${roles.deploy.arn}",
                "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
            }
        )
    data = {
        "buckets": {"source": {}, "artifacts": {}},
        "roles": {
            "pipeline": {
                "assumed_by": ["codepipeline.amazonaws.com"],
                "policies": {"run": {"Version": "2012-10-17", "Statement": pipeline_statements}},
            },
            "build": {
                "assumed_by": ["codebuild.amazonaws.com"],
                "policies": {"build": {"Version": "2012-10-17", "Statement": [CREATE_PROJECTS, *build_statements]}},
            },
            "deploy": {"assumed_by": ["cloudformation.amazonaws.com"], "policies": {"admin": ADMIN}},
            "runner": {"assumed_by": ["lambda.amazonaws.com"]},
        },
        "functions": {"merge": {"role": "runner", "runtime": "python3.12", "handler": "index.handler"}},
        "build_projects": {"app": {"service_role": "build", "buildspec": {"version": 0.2, "phases": {}}}},
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
                    {
                        "name": "Deploy",
                        "actions": [
                            {
                                "name": "Stack",
                                "category": "Deploy",
                                "provider": "CloudFormation",
                                "input_artifacts": ["src"],
                                "configuration": {
                                    "ActionMode": "CREATE_UPDATE",
                                    "StackName": "app",
                                    "TemplatePath": "src::template.yaml",
                                    "Capabilities": "CAPABILITY_IAM",
                                    "RoleArn": "${roles.deploy.arn}",
                                },
                            }
                        ],
                    },
                ],
            }
        },
    }
    return yaml.safe_dump(data, sort_keys=False)


def pass_role(resource: str) -> dict[str, Any]:
    return {"Sid": "PassOne", "Effect": "Allow", "Action": "iam:PassRole", "Resource": resource}


@pytest.fixture
def deploy(backend: Backend) -> Iterator[Any]:
    made: list[Deployment] = []

    def make(text: str) -> Deployment:
        deployment = Deployment(backend)
        deployment.definition = definition(text)
        made.append(deployment)
        deployment.apply()
        return deployment

    yield make
    for deployment in made:
        deployment.teardown()


def test_the_deploy_role_is_a_reference_of_the_cloudformation_action(deploy: Any) -> None:
    pw = deploy(body([]))
    action = pw.require_definition().get("pipelines", "release").stages[1].actions[0]  # type: ignore[union-attr]
    assert action.deploy_role == "deploy"
    assert "RoleArn" not in action.configuration
    declared = pw.backend.client("codepipeline").get_pipeline(name=f"{pw.prefix}release")["pipeline"]
    configuration = declared["stages"][1]["actions"][0]["configuration"]
    assert configuration["RoleArn"] == pw.provider.state["roles.deploy"].arn
    assert probes.deploy_roles(pw) == ["deploy"]


def test_the_other_roles_of_the_pipeline_include_deploy_and_function_roles(deploy: Any) -> None:
    pw = deploy(body([]))
    state = pw.provider.state
    assert probes.other_role_arns(pw, "build") == [
        state["roles.pipeline"].arn,
        state["roles.deploy"].arn,
        state["roles.runner"].arn,
    ]


def test_a_build_role_that_may_pass_the_admin_deploy_role_fails_the_claim(deploy: Any) -> None:
    pw = deploy(body([pass_role("${roles.deploy.arn}")]))
    with pw.observed():
        outcome = probes.try_pass_other_role(pw, "build")
        assert outcome.params["serviceRole"] == pw.provider.state["roles.deploy"].arn
        with pytest.raises(CheckFailed) as caught:
            expect_denied(outcome)
    assert "build role expected AccessDeniedException on iam:PassRole, got success" in str(caught.value)
    assert caught.value.fields["statements"] == ["PassOne"]
    assert pw.backend.client("codebuild").list_projects()["projects"] == [f"{pw.prefix}app"]  # the probe was undone


def test_a_build_role_that_may_pass_a_function_role_fails_the_claim(deploy: Any) -> None:
    pw = deploy(body([pass_role("${roles.runner.arn}")]))
    with pw.observed():
        outcome = probes.try_pass_other_role(pw, "build")
    assert not outcome.denied
    assert outcome.params["serviceRole"] == pw.provider.state["roles.runner"].arn


def test_a_build_role_without_pass_role_passes_the_claim(deploy: Any) -> None:
    pw = deploy(body([pass_role("${roles.build.arn}")]))  # its own role only
    with pw.observed():
        outcome = probes.try_pass_other_role(pw, "build")
        assert expect_denied(outcome) is outcome
    tried = [
        e["accesses"][1]["request"]["resource"]
        for s in pw.evidence.steps
        for e in s.data.get("authorization", [])
        if e["call"] == "codebuild:CreateProject"
    ]
    assert tried == probes.other_role_arns(pw, "build")


def _upload_source(pw: Deployment) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("template.yaml", "Resources: {}\n")
    pw.backend.client("s3").put_object(Bucket=f"{pw.prefix}source", Key="src.zip", Body=buffer.getvalue())


def test_a_pipeline_role_without_pass_role_on_the_deploy_role_fails_the_deploy_action(deploy: Any) -> None:
    pw = deploy(body([], pipeline_passes_deploy_role=False))
    _upload_source(pw)
    with pw.observed():
        execution = start_pipeline_execution(pw, "release")
    assert execution.status == "Failed"
    failure = execution.failure()
    assert failure.startswith("Deploy/Stack: JobFailed: AccessDenied")
    assert f"iam:PassRole on resource: {pw.provider.state['roles.deploy'].arn}" in failure


def test_a_deploy_action_the_pipeline_may_run_is_unverified_past_its_checks(deploy: Any) -> None:
    pw = deploy(body([]))
    _upload_source(pw)
    with pw.observed(), pytest.raises(Unverified, match=r"the stack app \(CREATE_UPDATE\) from src::template\.yaml"):
        start_pipeline_execution(pw, "release")
    (execution,) = runtime(pw).executions.values()
    assert execution.stage("Source").status == "Succeeded"


def test_the_deploy_scenario_role_is_the_cloudformation_actions_role(backend: Backend) -> None:
    text = body([]).replace("roles.deploy.", "roles.cfn-deployer.").replace("\n  deploy:\n", "\n  cfn-deployer:\n")
    pw = Deployment(backend)
    pw.definition = definition(text)
    assert resolve_role(pw, "deploy").name == "cfn-deployer"


# -- another pipeline's artifacts, reached by a wildcard grant ---------------------------------------------------


def read_objects(resource: str) -> dict[str, Any]:
    return {"Sid": "ReadArtifacts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}


def test_a_wildcard_grant_reaching_the_regions_console_artifact_buckets_fails_the_claim(deploy: Any) -> None:
    pw = deploy(body([read_objects("arn:aws:s3:::codepipeline-us-east-1-*")]))
    with pw.observed():
        outcome = probes.try_read_foreign_artifacts(pw, "build")
        with pytest.raises(CheckFailed) as caught:
            expect_denied(outcome)
    assert outcome.params["Bucket"] == "codepipeline-us-east-1-another-pipeline"
    assert caught.value.fields["statements"] == ["ReadArtifacts"]


def test_a_wildcard_naming_the_pipelines_own_bucket_is_not_taken_for_another_pipelines(deploy: Any) -> None:
    pw = deploy(body([read_objects("${buckets.artifacts.arn}*/*")]))
    own = pw.provider.state["buckets.artifacts"].physical_id
    assert probes.granted_foreign_buckets(pw, "build") == []
    with pw.observed():
        outcome = probes.try_read_foreign_artifacts(pw, "build")
        assert expect_denied(outcome) is outcome
    assert outcome.params["Bucket"] != own
