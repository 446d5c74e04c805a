"""CloudFormation loader: intrinsic functions, parameters, conditions and the mapping of each resource type."""

from __future__ import annotations

import base64
import json

import pytest

from harness.inputs.cloudformation import parse_template_text
from harness.provider.registry import Registry
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.codepipeline import Pipeline
from harness.provider.resources.iam_role import Role
from tests.inputs.conftest import ROLE, cfn, named, only

GROUP = """
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 30
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - {Key: value, Value: %s}
"""


def tag_value(value: str, head: str = "", parameters: dict[str, str] | None = None) -> object:
    """Evaluate ``value`` (YAML) as a tag value of a log group and return the result."""
    probe = only(cfn(GROUP % value, head, parameters), "topics")
    return probe.tags["value"]


# -- pseudo parameters and Ref ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pseudo", "expected"),
    [
        ("AWS::AccountId", "${account_id}"),
        ("AWS::Region", "${region}"),
        ("AWS::Partition", "${partition}"),
        ("AWS::URLSuffix", "amazonaws.com"),
        ("AWS::StackName", "t"),
    ],
)
def test_pseudo_parameters_become_deploy_time_values(pseudo: str, expected: str) -> None:
    assert tag_value(f"!Ref {pseudo}") == expected


def test_stack_id_is_an_arn_of_the_stack() -> None:
    assert tag_value("!Ref AWS::StackId") == (
        "arn:${partition}:cloudformation:${region}:${account_id}:stack/t/00000000-0000-0000-0000-000000000000"
    )


def test_ref_of_a_parameter_uses_its_default() -> None:
    assert tag_value("!Ref Stage", "Parameters:\n  Stage: {Type: String, Default: dev}\n") == "dev"


def test_ref_of_a_parameter_uses_the_override() -> None:
    head = "Parameters:\n  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n"
    assert tag_value("!Ref Stage", head, {"Stage": "prod"}) == "prod"


def test_number_parameter_is_text_when_referenced() -> None:
    assert tag_value("!Ref Days", "Parameters:\n  Days: {Type: Number, Default: 30}\n") == "30"


def test_comma_delimited_list_parameter_is_a_list() -> None:
    head = "Parameters:\n  Names: {Type: CommaDelimitedList, Default: 'a, b,c'}\n"
    assert tag_value("!Select [1, !Ref Names]", head) == "b"


def test_ssm_parameter_uses_its_default_and_is_noted() -> None:
    head = "Parameters:\n  Image: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /ci/image}\n"
    definition = cfn(GROUP % "!Ref Image", head)
    assert only(definition, "topics").tags["value"] == "/ci/image"
    assert any(
        n.startswith("Parameters.Image: AWS::SSM::Parameter::Value<String> is read from SSM") for n in definition.notes
    )


def test_ref_of_a_resource_names_it_for_reference_fields() -> None:
    project = """
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !Ref BuildRole
      Artifacts: {Type: CODEPIPELINE}
      Source: {Type: CODEPIPELINE}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: img}
"""
    assert only(cfn(ROLE + project), "build_projects").service_role == "build-role"


def test_ref_of_a_resource_in_free_text_is_an_interpolation() -> None:
    assert tag_value("!Ref Logs") == "${log_groups.logs.name}"


# -- Fn::GetAtt, Fn::Sub ------------------------------------------------------------------------------------


def test_get_att_dotted_form() -> None:
    assert tag_value("!GetAtt Logs.Arn") == "${log_groups.logs.arn}:*"


def test_get_att_list_form() -> None:
    assert tag_value("!GetAtt [Logs, Arn]") == "${log_groups.logs.arn}:*"


def test_get_att_long_form_in_json() -> None:
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {"Tags": [{"Key": "k", "Value": {"Fn::GetAtt": ["Key", "KeyId"]}}]},
            }
        }
    }
    key = only(parse_template_text(json.dumps(template), "t.json", lint_template=False), "keys")
    assert key.tags == {"k": "${keys.key.id}"}


def test_get_att_of_an_attribute_without_model_value_is_a_noted_placeholder() -> None:
    definition = cfn(ROLE + GROUP % "!GetAtt BuildRole.RoleId")
    assert only(definition, "topics").tags["value"] == "${prefix}BuildRole-RoleId"
    assert (
        "Resources.Probe.Properties.Tags[0].Value.Fn::GetAtt: Fn::GetAtt BuildRole.RoleId of BuildRole "
        "(AWS::IAM::Role) has no model value; a placeholder stands in and scenarios depending on it are unverified"
    ) in definition.notes


@pytest.mark.parametrize(
    ("rtype", "value"),
    [
        # The type's primary identifier is its ARN, so Ref gives an ARN (IAM refuses any other Resource).
        (
            "AWS::CodeStarNotifications::NotificationRule",
            "arn:${partition}:codestarnotifications:${region}:${account_id}:notificationrule/${prefix}Thing",
        ),
        ("AWS::SQS::Queue", "https://sqs.${region}.amazonaws.com/${account_id}/${prefix}Thing"),
        ("AWS::ECS::Cluster", "${prefix}Thing"),
        ("Custom::Resolver", "${prefix}Thing"),
    ],
)
def test_ref_of_a_type_not_modelled_stands_for_what_cloudformation_documents(rtype: str, value: str) -> None:
    template = {
        "Resources": {
            "Thing": {"Type": rtype, "Properties": {}},
            "Probe": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "value", "Value": {"Ref": "Thing"}}]}},
        }
    }
    definition = parse_template_text(json.dumps(template), "t.json", lint_template=False)
    assert only(definition, "topics").tags["value"] == value


def test_get_att_arn_of_a_type_not_modelled_is_an_arn_of_its_service() -> None:
    template = {
        "Resources": {
            "Thing": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Probe": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"Tags": [{"Key": "value", "Value": {"Fn::GetAtt": ["Thing", "Arn"]}}]},
            },
        }
    }
    definition = parse_template_text(json.dumps(template), "t.json", lint_template=False)
    assert (
        only(definition, "topics").tags["value"] == "arn:${partition}:sqs:${region}:${account_id}:queue/${prefix}Thing"
    )


def test_sub_string_form_with_pseudo_parameters_and_attributes() -> None:
    value = tag_value("!Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:x/${Logs}/${Logs.Arn}'")
    assert value == "arn:${partition}:logs:${region}:${account_id}:x/${log_groups.logs.name}/${log_groups.logs.arn}:*"


def test_sub_list_form_with_a_variable_map() -> None:
    assert tag_value("!Sub ['${Who}-${AWS::Region}', {Who: !Ref Logs}]") == "${log_groups.logs.name}-${region}"


def test_sub_literal_escape_keeps_the_dollar_brace() -> None:
    assert tag_value("!Sub '${!aws:username}-${AWS::Region}'") == "${aws:username}-${region}"


# -- Join, Select, Split, If, FindInMap, Base64, GetAZs, ImportValue ----------------------------------------


def test_join() -> None:
    assert tag_value("!Join ['-', [a, !Ref AWS::Region, c]]") == "a-${region}-c"


def test_select() -> None:
    assert tag_value("!Select ['2', [a, b, c]]") == "c"


def test_split_then_select() -> None:
    assert tag_value("!Select [1, !Split ['/', 'a/b/c']]") == "b"


def test_if_picks_the_branch_of_the_condition() -> None:
    head = """
    Parameters:
      Stage: {Type: String, Default: prod}
    Conditions:
      IsProd: !Equals [!Ref Stage, prod]
    """
    assert tag_value("!If [IsProd, stable, preview]", head) == "stable"
    assert tag_value("!If [IsProd, stable, preview]", head, {"Stage": "dev"}) == "preview"


def test_if_with_no_value_removes_the_property() -> None:
    head = "Conditions:\n  Never: !Equals [a, b]\n"
    resources = """
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !If [Never, 30, !Ref AWS::NoValue]
"""
    assert only(cfn(resources, head), "log_groups").retention_days is None


def test_no_value_in_a_list_removes_the_item() -> None:
    assert tag_value("!Join [',', [a, !Ref AWS::NoValue, b]]") == "a,b"


def test_conditions_and_or_not_and_condition() -> None:
    head = """
    Parameters:
      Stage: {Type: String, Default: prod}
    Conditions:
      IsProd: !Equals [!Ref Stage, prod]
      IsDev: !Equals [!Ref Stage, dev]
      Both: !And [!Condition IsProd, !Not [!Condition IsDev]]
      Either: !Or [!Condition IsDev, !Equals [x, y]]
    """
    assert tag_value("!Join ['', [!If [Both, T, F], !If [Either, T, F]]]", head) == "TF"


def test_resource_condition_false_leaves_the_resource_out() -> None:
    head = "Conditions:\n  Never: !Equals [a, b]\n"
    resources = ROLE + "  Logs:\n    Type: AWS::Logs::LogGroup\n    Condition: Never\n"
    definition = cfn(resources, head)
    assert [str(r.address) for r in definition.resources] == ["roles.build-role"]


def test_find_in_map() -> None:
    head = "Mappings:\n  Settings:\n    dev: {Retention: 14}\n"
    assert tag_value("!FindInMap [Settings, dev, Retention]", head) == "14"


def test_base64() -> None:
    assert tag_value("!Base64 hello") == base64.b64encode(b"hello").decode()


def test_get_azs_are_in_the_deploy_region() -> None:
    assert tag_value("!Select [0, !GetAZs '']") == "${region}a"


def test_import_value_of_a_stack_not_given_is_the_export_name_and_noted() -> None:
    definition = cfn(GROUP % "!ImportValue shared-vpc")
    assert only(definition, "topics").tags["value"] == "shared-vpc"
    assert (
        "Resources.Probe.Properties.Tags[0].Value.Fn::ImportValue: Fn::ImportValue 'shared-vpc' reads an output of a "
        "stack none of the given templates declares; give that template too to have it resolved"
    ) in definition.notes


def test_ref_of_an_unsupported_resource_is_a_noted_placeholder() -> None:
    resources = (
        GROUP % "!Ref Repo"
        + "  Repo:\n    Type: AWS::Glue::Database\n    Properties: {DatabaseInput: {Name: events}}\n"
    )
    definition = cfn(resources)
    assert only(definition, "topics").tags["value"] == "${prefix}Repo"
    assert (
        "Resources.Repo (AWS::Glue::Database): resource type not modelled; "
        "scenarios depending on it are unverified" in definition.notes
    )


# -- resource types -----------------------------------------------------------------------------------------


def test_every_supported_type_is_listed() -> None:
    assert set(Registry.discover().cfn_types()) == {
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::CodeBuild::Project",
        "AWS::CodePipeline::Pipeline",
        "AWS::SNS::Topic",
        "AWS::CloudTrail::Trail",
        "AWS::Logs::MetricFilter",
        "AWS::CloudWatch::Alarm",
        "AWS::CodeCommit::Repository",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::RouteTable",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::NetworkAcl",
        "AWS::SecretsManager::Secret",
        "AWS::SSM::Parameter",
        "AWS::RDS::DBSubnetGroup",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::ECR::Repository",
        "AWS::Lambda::Function",
        "AWS::Events::Rule",
        "AWS::CodeStarConnections::Connection",
        "AWS::CodeConnections::Connection",
        "AWS::CodeBuild::ReportGroup",
        "AWS::SecurityHub::Hub",
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::SAMLProvider",
    }


def test_role_maps_trust_inline_managed_boundary_path_description_tags() -> None:
    resources = """
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
  Build:
    Type: AWS::IAM::Role
    Properties:
      RoleName: my-build
      Path: /ci/
      Description: builds
      AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": []}'
      Policies:
        - PolicyName: logs
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:*", Resource: "*"}]}
      ManagedPolicyArns:
        - !Ref Boundary
        - !Sub arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess
      PermissionsBoundary: !Ref Boundary
      MaxSessionDuration: 3600
      Tags: [{Key: team, Value: ci}]
"""
    definition = cfn(resources)
    role = named(definition, "roles", "build")
    assert role.trust_policy == {"Version": "2012-10-17", "Statement": []}
    assert role.policies == {
        "logs": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    }
    assert role.managed_policies == ("boundary", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert role.permissions_boundary == "boundary"
    assert (role.path, role.description, role.tags) == ("/ci/", "builds", {"team": "ci"})
    assert (
        "Resources.Build.Properties.MaxSessionDuration: not modelled; scenarios depending on it are unverified"
        in definition.notes
    )
    assert definition.physical_names == {"roles.build": "my-build"}


def test_a_physical_name_known_only_at_deploy_is_noted_and_not_declared() -> None:
    resources = """
  Build:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Unmodelled}-build"
      AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": []}'
  Unmodelled:
    Type: AWS::ECS::Cluster
  Named:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "ci-${AWS::AccountId}-${AWS::Region}"
      AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": []}'
"""
    definition = cfn(resources)
    assert definition.physical_names == {"roles.named": "ci-${account_id}-${region}"}
    assert (
        "Resources.Build.Properties.RoleName: the physical name is known only at deploy; the run prefix plus 'build' "
        "stands in, so names spelled out elsewhere will not match"
    ) in definition.notes


def test_iam_policy_folds_into_the_roles_it_attaches_to() -> None:
    resources = (
        ROLE
        + """
  BuildPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref BuildRole, someone-elses-role]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
"""
    )
    definition = cfn(resources)
    assert only(definition, "roles").policies == {
        "extra": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    }
    assert (
        "Resources.BuildPolicy.Properties.Roles[1]: attaches to 'someone-elses-role', outside the definition; "
        "not modelled; scenarios depending on it are unverified"
    ) in definition.notes


def test_managed_policy_attaches_through_its_roles_property() -> None:
    resources = (
        ROLE
        + """
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: shared
      Roles: [!Ref BuildRole]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
"""
    )
    definition = cfn(resources)
    policy = only(definition, "policies")
    assert (policy.name, policy.description) == ("shared", "shared")
    assert policy.document["Statement"][0]["Action"] == "s3:GetObject"
    assert only(definition, "roles").managed_policies == ("shared",)


def test_bucket_maps_encryption_public_access_versioning_tags_and_policy() -> None:
    resources = """
  Key:
    Type: AWS::KMS::Key
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: !GetAtt Key.Arn}
            BucketKeyEnabled: true
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true}
      VersioningConfiguration: {Status: Suspended}
      LoggingConfiguration: {DestinationBucketName: elsewhere}
      Tags: [{Key: a, Value: b}]
  ArtifactsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Artifacts
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: !Sub "${Artifacts.Arn}/*"}]
"""
    definition = cfn(resources)
    (bucket,) = [b for b in definition.resources if b.SECTION == "buckets" and b.name == "artifacts"]
    assert (bucket.encryption.algorithm, bucket.encryption.kms_key, bucket.encryption.bucket_key) == (
        "aws:kms",
        "key",
        True,
    )
    block = bucket.public_access_block
    assert (
        block.block_public_acls,
        block.ignore_public_acls,
        block.block_public_policy,
        block.restrict_public_buckets,
    ) == (
        True,
        False,
        True,
        False,
    )
    assert bucket.versioning is False
    assert bucket.tags == {"a": "b"}
    # A bucket policy naming its own bucket is written with the ARN the bucket will have.
    assert bucket.policy["Statement"][0]["Resource"] == "arn:${partition}:s3:::${physical:buckets/artifacts}/*"
    # Access logs go to a bucket of another stack: an empty bucket stands in for it.
    assert bucket.logging.bucket == "elsewhere"
    assert definition.is_stand_in("buckets.elsewhere")
    assert definition.notes == (
        "Resources.Artifacts.Properties.LoggingConfiguration.DestinationBucketName: 'elsewhere' is not declared here; "
        "an empty bucket stands in for it as buckets.elsewhere, and scenarios that depend on what the template does "
        "not say of it are unverified",
    )


def test_kms_key_maps_policy_description_rotation_and_notes_alias() -> None:
    resources = """
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: artifacts
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: "kms:*",
             Resource: "*"}
      KeyUsage: ENCRYPT_DECRYPT
      PendingWindowInDays: 7
  Alias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/artifacts, TargetKeyId: !Ref Key}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      Tags: [{Key: alias, Value: !Ref Alias}]
"""
    definition = cfn(resources)
    key = only(definition, "keys")
    assert key.description == "artifacts"
    assert key.rotation is False  # CloudFormation's default
    assert key.policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::${account_id}:root"}
    assert only(definition, "log_groups").tags == {"alias": "${keys.key.alias}"}
    assert (
        "Resources.Key.Properties.PendingWindowInDays: not modelled; scenarios depending on it are unverified"
        in definition.notes
    )
    assert (
        "Resources.Key.Properties.KeyUsage: not modelled; scenarios depending on it are unverified"
        not in definition.notes
    )
    assert any(
        n.startswith("Resources.Alias (AWS::KMS::Alias): 'alias/artifacts' for key key") for n in definition.notes
    )


def test_log_group_maps_retention_key_and_tags() -> None:
    resources = """
  Key:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: true}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: "90", KmsKeyId: !GetAtt Key.Arn, LogGroupName: /ci/build}
"""
    definition = cfn(resources)
    group = only(definition, "log_groups")
    assert (group.retention_days, group.kms_key) == (90, "key")
    assert only(definition, "keys").rotation is True


PROJECT = """
  Logs:
    Type: AWS::Logs::LogGroup
  Reports:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: build
      Description: the build
      ServiceRole: !GetAtt BuildRole.Arn
      EncryptionKey: !GetAtt Key.Arn
      TimeoutInMinutes: 20
      Artifacts: {Type: CODEPIPELINE}
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands: ["echo ${STAGE}"]
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_MEDIUM
        Image: aws/codebuild/standard:7.0
        PrivilegedMode: true
        EnvironmentVariables:
          - {Name: STAGE, Value: dev}
          - {Name: TOKEN, Value: /ci/token, Type: PARAMETER_STORE}
      LogsConfig:
        CloudWatchLogs: {Status: ENABLED, GroupName: !Ref Logs, StreamName: build}
        S3Logs: {Status: ENABLED, Location: !Sub "${Reports}/build-logs", EncryptionDisabled: true}
      VpcConfig: {VpcId: vpc-1, Subnets: [subnet-1, subnet-2], SecurityGroupIds: [sg-1]}
      Cache: {Type: S3, Location: reports/cache}
      Tags: [{Key: a, Value: b}]
"""


def test_build_project_maps_every_modelled_property() -> None:
    definition = cfn(ROLE + PROJECT)
    project: BuildProject = only(definition, "build_projects")
    assert project.service_role == "build-role"
    assert project.encryption_key == "key"
    assert project.timeout_minutes == 20
    assert project.description == "the build"
    # Shell variables in a buildspec are kept apart from the model's ${...} interpolations.
    assert project.buildspec == 'version: 0.2\nphases:\n  build:\n    commands: ["echo $STAGE"]\n'
    env = project.environment
    assert (env.type, env.compute_type, env.image, env.privileged_mode) == (
        "LINUX_CONTAINER",
        "BUILD_GENERAL1_MEDIUM",
        "aws/codebuild/standard:7.0",
        True,
    )
    assert [(v.name, v.value, v.type) for v in env.variables] == [
        ("STAGE", "dev", "PLAINTEXT"),
        ("TOKEN", "/ci/token", "PARAMETER_STORE"),
    ]
    assert project.logs is not None and project.logs.cloudwatch is not None and project.logs.s3 is not None
    assert (project.logs.cloudwatch.group, project.logs.cloudwatch.stream_prefix) == ("logs", "build")
    assert (project.logs.s3.bucket, project.logs.s3.prefix, project.logs.s3.encrypted) == (
        "reports",
        "build-logs",
        False,
    )
    assert project.vpc is not None
    assert (project.vpc.vpc_id, project.vpc.subnets, project.vpc.security_groups) == (
        "vpc-1",
        ("subnet-1", "subnet-2"),
        ("sg-1",),
    )
    assert project.tags == {"a": "b"}
    assert (
        "Resources.Build.Properties.Cache: not modelled; scenarios depending on it are unverified" in definition.notes
    )


PIPELINE = """
  Artifacts:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt BuildRole.Arn
      ArtifactStore:
        Type: S3
        Location: !Ref Artifacts
        EncryptionKey: {Id: !GetAtt Key.Arn, Type: KMS}
      RestartExecutionOnUpdate: true
      Stages:
        - Name: Source
          Actions:
            - Name: Fetch
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: !Ref Artifacts, S3ObjectKey: src.zip, PollForSourceChanges: false}
              OutputArtifacts: [{Name: src}]
        - Name: Approve
          Actions:
            - Name: Approve
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              RunOrder: 2
              RoleArn: !GetAtt BuildRole.Arn
              InputArtifacts: [{Name: src}]
"""


def test_pipeline_maps_role_store_stages_and_actions() -> None:
    definition = cfn(ROLE + PIPELINE)
    pipeline: Pipeline = only(definition, "pipelines")
    assert pipeline.role == "build-role"
    assert pipeline.artifact_store is not None
    assert (pipeline.artifact_store.bucket, pipeline.artifact_store.kms_key) == ("artifacts", "key")
    assert [s.name for s in pipeline.stages] == ["Source", "Approve"]
    fetch = pipeline.stages[0].actions[0]
    assert (fetch.name, fetch.category, fetch.owner, fetch.provider, fetch.version) == (
        "Fetch",
        "Source",
        "AWS",
        "S3",
        "1",
    )
    assert fetch.configuration == {
        "S3Bucket": "${buckets.artifacts.name}",
        "S3ObjectKey": "src.zip",
        "PollForSourceChanges": "false",
    }
    assert fetch.output_artifacts == ("src",)
    approve = pipeline.stages[1].actions[0]
    assert (approve.run_order, approve.role, approve.input_artifacts) == (2, "build-role", ("src",))
    assert (
        "Resources.Pipeline.Properties.RestartExecutionOnUpdate: not modelled; scenarios depending on it are unverified"
        in definition.notes
    )


def test_topic_maps_key_tags_and_topic_policy() -> None:
    resources = """
  Key:
    Type: AWS::KMS::Key
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref Key
      Tags: [{Key: a, Value: b}]
      Subscription: [{Protocol: email, Endpoint: sec@example.com}]
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: "sns:Publish", Resource: !Ref Alerts}
"""
    definition = cfn(resources)
    topic = only(definition, "topics")
    assert (topic.kms_key, topic.tags) == ("key", {"a": "b"})
    assert (
        topic.policy["Statement"][0]["Resource"]
        == "arn:${partition}:sns:${region}:${account_id}:${physical:topics/alerts}"
    )
    assert (
        "Resources.Alerts.Properties.Subscription: not modelled; scenarios depending on it are unverified"
        in definition.notes
    )


def test_cycle_through_a_folded_policy_is_broken_by_spelling_the_arn() -> None:
    # Key policy names the role; the role's separately attached policy names the key.
    resources = (
        ROLE
        + """
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {AWS: !GetAtt BuildRole.Arn}, Action: "kms:Decrypt", Resource: "*"}]
  BuildPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: key
      Roles: [!Ref BuildRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "kms:Decrypt", Resource: !GetAtt Key.Arn}]
"""
    )
    definition = cfn(resources)
    role: Role = only(definition, "roles")
    key = only(definition, "keys")
    assert role.policies["key"]["Statement"][0]["Resource"] == "${keys.key.arn}"
    assert key.policy["Statement"][0]["Principal"] == {
        "AWS": "arn:${partition}:iam::${account_id}:role/${physical:roles/build-role}"
    }


def test_long_logical_ids_are_shortened_uniquely() -> None:
    long_a = "PipelineArtifactsBucketEncryptionKeyAlias5C510EA6PipelineArtifactsBucketA"
    long_b = "PipelineArtifactsBucketEncryptionKeyAlias5C510EA6PipelineArtifactsBucketB"
    resources = f"  {long_a}:\n    Type: AWS::S3::Bucket\n  {long_b}:\n    Type: AWS::S3::Bucket\n"
    names = [r.name for r in cfn(resources).resources]
    assert len(set(names)) == 2
    assert all(len(n) <= 48 and n == n.lower() for n in names)


def test_unsupported_property_inside_nested_structure_is_reported_by_path() -> None:
    resources = ROLE + PROJECT.replace(
        "PrivilegedMode: true", "PrivilegedMode: true\n        Certificate: bucket/cert.pem"
    )
    assert (
        "Resources.Build.Properties.Environment.Certificate: not modelled; scenarios depending on it are unverified"
    ) in cfn(resources).notes


def test_cdk_metadata_and_transform_are_noted() -> None:
    head = "Transform: AWS::Serverless-2016-10-31\n"
    definition = cfn(ROLE + "  CDKMetadata:\n    Type: AWS::CDK::Metadata\n    Properties: {Analytics: v2}\n", head)
    assert "Resources.CDKMetadata (AWS::CDK::Metadata): CDK version reporting; nothing to test" in definition.notes
    assert (
        "Transform 'AWS::Serverless-2016-10-31': macros are not expanded; resources they add are missing"
        in definition.notes
    )


def test_source_locations_point_at_the_logical_ids() -> None:
    definition = cfn(ROLE)
    assert str(definition.locations["roles.build-role"]) == "t.yaml:4"  # ROLE starts with a blank line


def test_default_values_are_not_reported() -> None:
    resources = ROLE + PROJECT.replace("Cache: {Type: S3, Location: reports/cache}", "Cache: {Type: NO_CACHE}")
    assert not [n for n in cfn(resources).notes if ".Cache" in n]


TRAIL = """
  TrailBucket:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
  TrailLogs:
    Type: AWS::Logs::LogGroup
  TrailToLogs:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref TrailBucket
      S3KeyPrefix: audit
      CloudWatchLogsLogGroupArn: !GetAtt TrailLogs.Arn
      CloudWatchLogsRoleArn: !GetAtt TrailToLogs.Arn
      KMSKeyId: !Ref Key
      IsMultiRegionTrail: true
      EventSelectors:
        - ReadWriteType: WriteOnly
          DataResources:
            - {Type: "AWS::S3::Object", Values: [!Sub "${TrailBucket.Arn}/"]}
      Tags: [{Key: a, Value: b}]
"""


def test_trail_maps_bucket_logs_key_validation_and_selectors() -> None:
    trail = only(cfn(TRAIL), "trails")
    assert (trail.bucket, trail.s3_key_prefix, trail.log_group, trail.cloudwatch_role, trail.kms_key) == (
        "trail-bucket",
        "audit",
        "trail-logs",
        "trail-to-logs",
        "key",
    )
    # CloudFormation's defaults: no log file validation unless enabled.
    assert (trail.log_file_validation, trail.multi_region, trail.include_global_events, trail.logging) == (
        False,
        True,
        True,
        True,
    )
    assert (trail.management_events, trail.data_events) == ("WriteOnly", ("${buckets.trail-bucket.arn}/",))
    assert trail.tags == {"a": "b"}


def test_metric_filter_and_alarm() -> None:
    resources = """
  Logs:
    Type: AWS::Logs::LogGroup
  Alerts:
    Type: AWS::SNS::Topic
  Denied:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Logs
      FilterPattern: '{ $.errorCode = "AccessDenied" }'
      MetricTransformations:
        - {MetricName: Denied, MetricNamespace: Security, MetricValue: "1", DefaultValue: 0}
  DeniedAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: access denied
      MetricName: Denied
      Namespace: Security
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref Alerts]
"""
    definition = cfn(resources)
    metric = only(definition, "metric_filters")
    assert (
        metric.log_group,
        metric.pattern,
        metric.metric_name,
        metric.namespace,
        metric.value,
        metric.default_value,
    ) == (
        "logs",
        '{ $.errorCode = "AccessDenied" }',
        "Denied",
        "Security",
        "1",
        0.0,
    )
    alarm = only(definition, "alarms")
    assert (alarm.metric_name, alarm.namespace, alarm.period, alarm.threshold, alarm.comparison) == (
        "Denied",
        "Security",
        60,
        1.0,
        "GreaterThanOrEqualToThreshold",
    )
    assert (alarm.treat_missing_data, alarm.alarm_actions, alarm.description) == (
        "notBreaching",
        ("alerts",),
        "access denied",
    )


def test_codecommit_repository_and_a_source_action_naming_it() -> None:
    resources = (
        ROLE
        + """
  Repo:
    Type: AWS::CodeCommit::Repository
    Properties:
      RepositoryName: app
      RepositoryDescription: the application
      Code:
        BranchName: trunk
        S3: {Bucket: seed, Key: app.zip}
      Triggers: [{Name: t, DestinationArn: arn:aws:sns:us-east-1:111122223333:t, Events: [all]}]
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags: [{Key: clone, Value: !GetAtt Repo.CloneUrlHttp}, {Key: name, Value: !GetAtt Repo.Name}]
"""
    )
    definition = cfn(resources)
    repo = only(definition, "repositories")
    assert (repo.name, repo.description, repo.default_branch) == ("repo", "the application", "trunk")
    assert only(definition, "topics").tags == {
        "clone": "https://git-codecommit.${region}.amazonaws.com/v1/repos/${repositories.repo.name}",
        "name": "${repositories.repo.name}",
    }
    assert (
        "Resources.Repo.Properties.Triggers: not modelled; scenarios depending on it are unverified" in definition.notes
    )
    assert (
        "Resources.Repo.Properties.Code.S3: the initial content is not copied; the branch starts with one empty commit"
    ) in definition.notes


def test_build_in_a_vpc_that_is_not_modelled_runs_outside_it_and_is_noted() -> None:
    resources = (
        ROLE
        + PROJECT.replace(
            "VpcConfig: {VpcId: vpc-1, Subnets: [subnet-1, subnet-2], SecurityGroupIds: [sg-1]}",
            "VpcConfig: {VpcId: !Ref Vpc, Subnets: [subnet-1], SecurityGroupIds: [sg-1]}",
        )
        + "  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n"
    )
    definition = cfn(resources)
    assert only(definition, "build_projects").vpc is None
    assert (
        "Resources.Build.Properties.VpcConfig: names a VPC, subnets or security groups that are not modelled; the "
        "build runs outside a VPC here and network scenarios about it are unverified"
    ) in definition.notes


def test_a_numeric_sid_is_read_as_its_text_as_cloudformation_hands_it_to_iam() -> None:
    resources = """
  Build:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Sid: 1, Effect: Allow, Principal: {Service: [codepipeline.amazonaws.com]}, Action: sts:AssumeRole}
"""
    role = named(cfn(resources), "roles", "build")
    assert role.trust_policy == {
        "Statement": [
            {
                "Sid": "1",
                "Effect": "Allow",
                "Principal": {"Service": ["codepipeline.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ]
    }
