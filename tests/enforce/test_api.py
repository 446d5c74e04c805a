"""The scenario API's checks: what expect_denied and expect_allowed say when a claim does not hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce import AssumeRoleDenied
from harness.enforce.api import act_as, attempt, expect_allowed, expect_denied
from harness.errors import CheckFailed
from tests.conftest import definition

ROLES = """
buckets:
  data:
    tags: {pipeline: demo}
roles:
  build:
    assumed_by: codebuild.amazonaws.com
    policies:
      build:
        Version: "2012-10-17"
        Statement:
          - Sid: ReadData
            Effect: Allow
            Action: s3:ListBucket
            Resource: "${buckets.data.arn}"
          - Sid: NoUsers
            Effect: Deny
            Action: iam:CreateUser
            Resource: "*"
"""


@pytest.fixture
def deployed(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition(ROLES, "demo")
        deployment.apply()
        yield deployment
        deployment.teardown()


def test_expect_allowed_names_the_denied_action_and_aws_message(deployed: Deployment) -> None:
    build = act_as(deployed, "build")
    bucket = deployed.provider.state["buckets.data"].physical_id
    expect_allowed(attempt(deployed, build, "s3", "ListObjectsV2", actor="build role", Bucket=bucket))
    denied = attempt(deployed, build, "s3", "GetBucketPolicy", actor="build role", Bucket=bucket)
    with pytest.raises(CheckFailed) as caught:
        expect_allowed(denied)
    assert str(caught.value).startswith(
        f"pipeline 'demo': build role expected to be allowed s3:GetBucketPolicy on arn:aws:s3:::{bucket}, "
        f"got AccessDenied: User: {build.arn} is not authorized to perform: s3:GetBucketPolicy"
    )


def test_expect_denied_accepts_an_explicit_deny(deployed: Deployment) -> None:
    build = act_as(deployed, "build")
    outcome = attempt(deployed, build, "iam", "CreateUser", actor="build role", UserName="x")
    assert expect_denied(outcome) is outcome
    assert outcome.error_message.endswith("with an explicit deny in an identity-based policy")


def test_expect_denied_names_the_allowing_statement(deployed: Deployment) -> None:
    build = act_as(deployed, "build")
    bucket = deployed.provider.state["buckets.data"].physical_id
    outcome = attempt(deployed, build, "s3", "ListObjectsV2", actor="build role", Bucket=bucket)
    with pytest.raises(CheckFailed) as caught:
        expect_denied(outcome)
    assert str(caught.value) == (
        "pipeline 'demo': build role expected AccessDenied on s3:ListBucket, got success; "
        f"statement 'ReadData' in {deployed.require_definition().where('roles.build')} allows it; "
        "scope it to the actions the build needs."
    )


def test_act_as_uses_the_trusted_service(deployed: Deployment) -> None:
    build = act_as(deployed, "build")
    assert build.attribute("invoked_by") == "codebuild.amazonaws.com"
    assert ":assumed-role/" in build.arn and "/AWSCodeBuild-" in build.arn
    assert build.label == "build role"


CONFUSED_DEPUTY = """
roles:
  build:
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {{Service: codebuild.amazonaws.com}}
          Action: sts:AssumeRole
          Condition:
            StringEquals: {{"aws:SourceAccount": "{account}"}}
            ArnLike: {{"aws:SourceArn": "arn:${{partition}}:codebuild:${{region}}:${{account_id}}:project/{project}"}}
    policies:
      logs:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: "logs:PutLogEvents", Resource: "*"}}
build_projects:
  app:
    service_role: build
    buildspec: {{version: 0.2, phases: {{build: {{commands: [echo]}}}}}}
"""


@pytest.mark.parametrize(
    ("account", "project", "admitted"),
    [
        ("123456789012", "${prefix}app", True),
        ("210987654321", "${prefix}app", False),
        ("123456789012", "${prefix}other", False),
    ],
)
def test_act_as_assumes_for_the_project_the_role_serves(
    backend: Backend, account: str, project: str, admitted: bool
) -> None:
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition(CONFUSED_DEPUTY.format(account=account, project=project), "demo")
        deployment.apply()
        try:
            if admitted:
                assert act_as(deployment, "build").attribute("invoked_by") == "codebuild.amazonaws.com"
            else:
                with pytest.raises(AssumeRoleDenied, match=r"codebuild\.amazonaws\.com is not authorized"):
                    act_as(deployment, "build")
        finally:
            deployment.teardown()
