"""Decisions that depend on what the definition does not say are UNVERIFIED, naming what is unknown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce.api import act_as, attempt, expect_allowed, expect_denied, unknowns_behind
from harness.errors import CheckFailed, Unverified
from harness.inputs.cloudformation import parse_template_text

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ArtifactBucket: {Type: String}
  BuildRoleArn: {Type: String}
Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !Ref BuildRoleArn
      Artifacts: {Type: NO_ARTIFACTS}
      Source: {Type: NO_SOURCE, BuildSpec: "version: 0.2\\nphases:\\n  build:\\n    commands: [echo hi]\\n"}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
  Logs:
    Type: AWS::Logs::LogGroup
  KnownRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codepipeline.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Sid: Logs, Effect: Allow, Action: logs:DescribeLogGroups, Resource: "*"}
              - {Sid: NoUsers, Effect: Deny, Action: iam:CreateUser, Resource: "*"}
              - {Sid: Artifacts, Effect: Allow, Action: s3:ListBucket, Resource: !Sub "arn:aws:s3:::${ArtifactBucket}"}
  ArtifactPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref ArtifactBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: NoDeletes
            Effect: Deny
            Principal: "*"
            Action: s3:DeleteBucket
            Resource: !Sub "arn:aws:s3:::${ArtifactBucket}"
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt KnownRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref ArtifactBucket}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: !Ref ArtifactBucket, S3ObjectKey: src.zip}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Build}
              InputArtifacts: [{Name: src}]
"""


@pytest.fixture
def deployed(backend: Backend) -> Iterator[Deployment]:
    definition = parse_template_text(
        TEMPLATE,
        "stack.yaml",
        {"ArtifactBucket": "acme-artifacts", "BuildRoleArn": "arn:aws:iam::123456789012:role/acme-build"},
        lint_template=False,
    )
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition
        deployment.apply()
        yield deployment
        deployment.teardown()


def test_a_stand_in_roles_denial_is_unverified_naming_the_unknown(deployed: Deployment) -> None:
    build = act_as(deployed, "build")
    outcome = attempt(deployed, build, "iam", "CreateUser", actor="build role", UserName="x")
    assert outcome.denied  # nothing known allows it, but the role's own policies are not in the definition
    with pytest.raises(Unverified) as caught:
        expect_denied(outcome)
    message = str(caught.value)
    assert message.startswith("UNVERIFIED: pipeline 'stack': the decision on build role's iam:CreateUser on ")
    assert (
        "roles.acme-build: its policies, managed policies and permissions boundary are unknown "
        "(Resources.Build.Properties.ServiceRole names 'arn:aws:iam::123456789012:role/acme-build', which the "
        "template does not declare); give"
    ) in message
    assert message.endswith(
        "give the template or plan that declares it too (--baseline FILE; under pytest --pw-baseline FILE), or "
        "declare it here"
    )


def test_a_known_roles_decision_on_a_known_resource_is_judged(deployed: Deployment) -> None:
    pipeline = act_as(deployed, "pipeline")
    outcome = attempt(deployed, pipeline, "logs", "DescribeLogGroups", actor="pipeline role")
    assert unknowns_behind(deployed, outcome) == ()
    expect_allowed(outcome)
    with pytest.raises(CheckFailed):
        expect_denied(outcome)


def test_an_explicit_deny_stands_whatever_is_unknown(deployed: Deployment) -> None:
    pipeline = act_as(deployed, "pipeline")
    outcome = attempt(deployed, pipeline, "iam", "CreateUser", actor="pipeline role", UserName="x")
    assert expect_denied(outcome) is outcome


def test_a_decision_on_a_stand_in_resource_depends_on_its_policy_unless_declared(deployed: Deployment) -> None:
    pipeline = act_as(deployed, "pipeline")
    bucket = deployed.provider.state["buckets.acme-artifacts"].physical_id
    listed = attempt(deployed, pipeline, "s3", "ListObjectsV2", actor="pipeline role", Bucket=bucket)
    # The stand-in bucket's policy is declared here (ArtifactPolicy), so the decision can be judged.
    assert unknowns_behind(deployed, listed) == ()
    expect_allowed(listed)
    deleted = attempt(deployed, pipeline, "s3", "DeleteBucket", actor="pipeline role", Bucket=bucket)
    assert expect_denied(deleted) is deleted  # an explicit deny of the declared bucket policy
