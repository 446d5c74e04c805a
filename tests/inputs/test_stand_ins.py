"""Stand-ins: resources a definition names but does not declare (companion stacks, parameters, literal ARNs)."""

from __future__ import annotations

from harness.model.definition import Definition
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.codepipeline import Pipeline
from tests.inputs.conftest import ROLE, cfn, named, only

PARAMETERS = """
Parameters:
  ArtifactBucket: {Type: String}
  ArtifactKeyArn: {Type: String}
  BuildRoleArn: {Type: String}
"""

PIPELINE = (
    ROLE
    + """
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codepipeline.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: !Sub arn:aws:s3:::${ArtifactBucket}/*
              - Effect: Allow
                Action: kms:Decrypt
                Resource: !Ref ArtifactKeyArn
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !Ref BuildRoleArn
      Artifacts: {Type: CODEPIPELINE}
      Source: {Type: CODEPIPELINE}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore:
        Type: S3
        Location: !Ref ArtifactBucket
        EncryptionKey: {Type: KMS, Id: !Ref ArtifactKeyArn}
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
)

VALUES = {
    "ArtifactBucket": "acme-artifacts",
    "ArtifactKeyArn": "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    "BuildRoleArn": "arn:aws:iam::123456789012:role/ci/acme-build",
}


def _definition(extra: str = "") -> Definition:
    return cfn(PIPELINE + extra, PARAMETERS, VALUES)


def test_a_bucket_key_and_role_given_by_parameter_become_stand_ins() -> None:
    definition = _definition()
    pipeline = only(definition, "pipelines")
    assert isinstance(pipeline, Pipeline)
    assert pipeline.artifact_store is not None
    assert pipeline.artifact_store.bucket == "acme-artifacts"
    assert pipeline.artifact_store.kms_key == "11111111-2222-3333-4444-555555555555"
    project = only(definition, "build_projects")
    assert isinstance(project, BuildProject)
    assert project.service_role == "acme-build"
    role = named(definition, "roles", "acme-build")
    assert role.path == "/ci/"  # the role's own path, from its ARN
    assert role.policies == {}
    for address in ("buckets.acme-artifacts", "keys.11111111-2222-3333-4444-555555555555", "roles.acme-build"):
        assert definition.is_stand_in(address), address
    assert not definition.is_stand_in("roles.pipeline-role")


def test_what_a_stand_in_leaves_unknown_is_recorded_with_where_it_was_named() -> None:
    definition = _definition()
    assert {u.aspect for u in definition.unknowns_of("buckets.acme-artifacts")} == {
        "resource",
        "policy",
        "encryption",
        "public_access_block",
        "versioning",
        "ownership",
        "acl",
        "logging",
    }
    (reason,) = {u.reason for u in definition.unknowns_of("buckets.acme-artifacts")}
    assert reason == (
        "Resources.Pipeline.Properties.ArtifactStore.Location names 'acme-artifacts', which the template does not "
        "declare"
    )
    assert {u.aspect for u in definition.unknowns_of("roles.acme-build")} >= {"policies", "trust_policy"}
    assert (
        "Resources.Pipeline.Properties.ArtifactStore.Location: 'acme-artifacts' is not declared here; an empty "
        "bucket stands in for it as buckets.acme-artifacts, and scenarios that depend on what the template does "
        "not say of it are unverified"
    ) in definition.notes


def test_one_stand_in_serves_every_reference_by_name_or_arn() -> None:
    definition = _definition()
    buckets = [r for r in definition.resources if r.SECTION == "buckets"]
    assert [b.name for b in buckets] == ["acme-artifacts"]
    action = only(definition, "pipelines").stages[0].actions[0]
    assert action.configuration["S3Bucket"] == "${buckets.acme-artifacts.name}"  # follows the physical name


def test_policies_spelling_a_stand_in_arn_refer_to_the_stand_in() -> None:
    statements = named(_definition(), "roles", "pipeline-role").policies["artifacts"]["Statement"]
    assert statements[0]["Resource"] == "${buckets.acme-artifacts.arn}/*"
    assert statements[1]["Resource"] == "${keys.11111111-2222-3333-4444-555555555555.arn}"


def test_a_bucket_policy_declared_for_a_stand_in_makes_its_policy_known() -> None:
    policy = """
  ArtifactPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref ArtifactBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: !Sub arn:aws:s3:::${ArtifactBucket}/*
            Condition: {Bool: {aws:SecureTransport: "false"}}
"""
    definition = _definition(policy)
    bucket = named(definition, "buckets", "acme-artifacts")
    # The policy names its own bucket, spelled with the name it is deployed under (as for declared buckets).
    assert bucket.policy["Statement"][0]["Resource"] == "arn:${partition}:s3:::${physical:buckets/acme-artifacts}/*"
    aspects = {u.aspect for u in definition.unknowns_of("buckets.acme-artifacts")}
    assert "policy" not in aspects
    assert "encryption" in aspects


def test_a_role_arn_built_with_the_account_pseudo_parameter_is_a_stand_in() -> None:
    resources = """
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/CodeBuildRole
      Artifacts: {Type: NO_ARTIFACTS}
      Source: {Type: NO_SOURCE, BuildSpec: "version: 0.2\\nphases: {}\\n"}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
"""
    definition = cfn(resources)
    assert only(definition, "build_projects").service_role == "CodeBuildRole"
    assert definition.is_stand_in("roles.CodeBuildRole")


def test_an_aws_managed_policy_stays_its_arn_and_is_no_stand_in() -> None:
    resources = """
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AWSCodeBuildDeveloperAccess
"""
    definition = cfn(resources)
    assert only(definition, "roles").managed_policies == ("arn:aws:iam::aws:policy/AWSCodeBuildDeveloperAccess",)
    assert definition.unknowns == ()


def test_a_cross_account_action_role_stays_its_arn() -> None:
    definition = cfn(
        PIPELINE.replace(
            "              InputArtifacts: [{Name: src}]\n",
            "              InputArtifacts: [{Name: src}]\n"
            "              RoleArn: arn:aws:iam::222222222222:role/deployer\n",
        ),
        PARAMETERS,
        VALUES,
    )
    action = only(definition, "pipelines").stages[1].actions[0]
    assert action.role == "arn:aws:iam::222222222222:role/deployer"
    assert not definition.is_stand_in("roles.deployer")
    assert (
        "Resources.Pipeline.Properties.Stages[1].Actions[0].RoleArn: 'arn:aws:iam::222222222222:role/deployer' is a "
        "resource of account 222222222222; it stays as named"
    ) in definition.notes


def test_a_resource_named_by_its_declared_physical_name_is_the_declared_one() -> None:
    head = """
Parameters:
  ProjectName: {Type: String}
"""
    resources = (
        ROLE.replace("    Properties:\n", "    Properties:\n      RoleName: acme-build-role\n", 1)
        + """
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Ref ProjectName
      ServiceRole: !Sub arn:aws:iam::${AWS::AccountId}:role/acme-build-role
      Artifacts: {Type: CODEPIPELINE}
      Source: {Type: CODEPIPELINE}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt BuildRole.Arn
      ArtifactStore: {Type: S3, Location: acme-artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: acme-artifacts, S3ObjectKey: src.zip}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref ProjectName}
              InputArtifacts: [{Name: src}]
"""
    )
    definition = cfn(resources, head, {"ProjectName": "acme-build"})
    assert only(definition, "build_projects").service_role == "build-role"
    action = only(definition, "pipelines").stages[1].actions[0]
    assert action.configuration["ProjectName"] == "${build_projects.build.name}"
    assert not definition.is_stand_in("roles.acme-build-role")
    assert [str(u.address) for u in definition.unknowns if u.aspect == "resource"] == ["buckets.acme-artifacts"]


def test_a_log_bucket_named_by_logging_accepts_the_logs_and_keeps_its_policy_unknown() -> None:
    from harness.backends import make_backend
    from harness.provider.lifecycle import Provider

    definition = cfn("""
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      LoggingConfiguration: {DestinationBucketName: central-access-logs, LogFilePrefix: artifacts/}
""")
    logs = named(definition, "buckets", "central-access-logs")
    (statement,) = logs.policy["Statement"]
    assert (statement["Principal"], statement["Action"]) == ({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject")
    # The policy is the harness's guess at what the existing bucket must allow: what it really says is unknown.
    assert "policy" in {u.aspect for u in definition.unknowns_of("buckets.central-access-logs")}
    backend = make_backend("moto")
    backend.open()
    try:
        provider = Provider(backend)
        provider.apply(definition)  # S3 refuses logging to a bucket that does not let the logging service write
        assert provider.destroy(definition) == []
    finally:
        backend.close()
