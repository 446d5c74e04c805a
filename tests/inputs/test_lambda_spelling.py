"""Lambda functions and their permissions as CloudFormation and Terraform plans spell them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.lambda_function import Function, FunctionPermission
from tests.inputs.conftest import cfn, named, only
from tests.inputs.tfplan import R, caller, plan, ref, trust

LAMBDA_ROLE = """
  FunctionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
"""


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def stand_in_notes(d: Definition) -> list[str]:
    return [n for n in d.notes if "stand-in package is deployed" in n]


def test_cloudformation_function_with_inline_code_environment_and_key() -> None:
    d = cfn(
        LAMBDA_ROLE
        + """
  Key:
    Type: AWS::KMS::Key
  Merge:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: git-merge
      Role: !GetAtt FunctionRole.Arn
      Runtime: nodejs20.x
      Handler: index.handler
      Code:
        ZipFile: |
          exports.handler = async (event) => `merged ${branch} by ${event.user}`;
      Environment:
        Variables: {STAGE: prod, BUCKET: !Ref AWS::AccountId}
      KmsKeyArn: !GetAtt Key.Arn
      Timeout: 30
      MemorySize: 256
      Description: Merges branches
      Architectures: [x86_64]
      TracingConfig: {Mode: PassThrough}
      Tags: [{Key: team, Value: blue}]
"""
    )
    function = only(d, "functions")
    assert isinstance(function, Function)
    assert (function.name, function.role, function.runtime, function.handler) == (
        "merge",
        "function-role",
        "nodejs20.x",
        "index.handler",
    )
    # A template literal is kept as text, never read as one of the model's deploy-time values.
    assert function.code == "exports.handler = async (event) => `merged $branch by ${event.user}`;\n"
    assert function.environment == {"STAGE": "prod", "BUCKET": "${account_id}"}
    assert (function.kms_key, function.timeout, function.memory) == ("key", 30, 256)
    assert (function.description, function.tags, function.package) == ("Merges branches", {"team": "blue"}, "")
    assert not [n for n in d.notes if "not modelled" in n or "unverified" in n], d.notes


def test_cloudformation_function_whose_code_lives_in_s3_gets_a_stand_in_package() -> None:
    # The shape of a helper function packaged in a quick-start bucket, with a runtime since deprecated.
    d = cfn(
        LAMBDA_ROLE
        + """
  CleanUpFunction:
    Type: AWS::Lambda::Function
    Properties:
      Description: Empty the specified S3 bucket
      Handler: index.handler
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.8
      Timeout: 240
      Code:
        S3Bucket: !Sub 'quickstart-${AWS::Region}'
        S3Key: functions/packages/cleanup-bucket/lambda.zip
  CleanUp:
    Type: AWS::CloudFormation::CustomResource
    Properties:
      ServiceToken: !GetAtt CleanUpFunction.Arn
"""
    )
    function = only(d, "functions")
    assert function.package == "s3://quickstart-${region}/functions/packages/cleanup-bucket/lambda.zip"
    assert (function.code, function.runtime, function.deployed_runtime()) == ("", "python3.8", "python3.12")
    assert stand_in_notes(d) == [
        "Resources.CleanUpFunction.Properties.Code: the function's package "
        "(s3://quickstart-${region}/functions/packages/cleanup-bucket/lambda.zip) is not fetched; a stand-in package "
        "is deployed and scenarios depending on the function's code are unverified"
    ]
    assert (
        "Resources.CleanUpFunction.Properties.Runtime: runtime 'python3.8' is deprecated (AWS no longer creates "
        "functions with it); the function is deployed with python3.12 and scenarios depending on its runtime are "
        "unverified"
    ) in d.notes
    assert not [n for n in d.notes if "CleanUpFunction" in n and "not modelled" in n], d.notes


def test_cloudformation_references_to_a_function() -> None:
    d = cfn(
        LAMBDA_ROLE
        + """
  Merge:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): return None"}
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags: [{Key: ref, Value: !Ref Merge}, {Key: arn, Value: !GetAtt Merge.Arn}]
"""
    )
    assert only(d, "topics").tags == {"ref": "${functions.merge.name}", "arn": "${functions.merge.arn}"}


def test_cloudformation_image_function_needs_no_runtime() -> None:
    d = cfn(
        LAMBDA_ROLE
        + """
  Scanner:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      PackageType: Image
      Code: {ImageUri: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/scanner:1"}
"""
    )
    function = only(d, "functions")
    assert (function.package_type, function.runtime, function.deployed_runtime()) == ("Image", "", "provided.al2023")
    assert function.package == "image:${account_id}.dkr.ecr.${region}.amazonaws.com/scanner:1"
    assert len(stand_in_notes(d)) == 1


def test_cloudformation_vpc_placement_in_declared_subnets_and_groups() -> None:
    d = cfn(
        LAMBDA_ROLE
        + """
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Private:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}
  FunctionGroup:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: function, VpcId: !Ref Vpc}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): return None"}
      VpcConfig: {SubnetIds: [!Ref Private], SecurityGroupIds: [!Ref FunctionGroup]}
  Elsewhere:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): return None"}
      VpcConfig: {SubnetIds: [subnet-0123456789abcdef0], SecurityGroupIds: [!Ref FunctionGroup]}
"""
    )
    placed = named(d, "functions", "fn")
    assert placed.vpc is not None
    assert (placed.vpc.subnets, placed.vpc.security_groups) == (("private",), ("function-group",))
    assert named(d, "functions", "elsewhere").vpc is None
    assert any(
        n.startswith("Resources.Elsewhere.Properties.VpcConfig: names subnets or security groups outside")
        for n in d.notes
    ), d.notes


def test_cloudformation_function_without_a_role_is_an_error() -> None:
    with pytest.raises(InputError) as caught:
        cfn("  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12, Handler: x.y}\n")
    assert "Resources.Fn.Properties.Role" in str(caught.value)
    assert caught.value.expected == "'Role' to be set"


def test_cloudformation_unknown_runtime_is_an_error() -> None:
    with pytest.raises(InputError) as caught:
        cfn(
            LAMBDA_ROLE
            + """
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt FunctionRole.Arn, Runtime: cobol85, Handler: main}
"""
        )
    assert "expected a Lambda runtime such as python3.12 or nodejs20.x, found 'cobol85'" in str(caught.value)


def test_cloudformation_permissions_fold_into_the_function_policy() -> None:
    d = cfn(
        LAMBDA_ROLE
        + """
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): return None"}
  FromNightly:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceArn: !Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/nightly
      SourceAccount: !Ref AWS::AccountId
  FromPartner:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Fn.Arn
      Action: lambda:InvokeFunction
      Principal: "444455556666"
      EventSourceToken: token
  ForSomeoneElse:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: arn:aws:lambda:eu-west-1:444455556666:function:theirs
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
"""
    )
    function = only(d, "functions")
    assert function.permissions == (
        FunctionPermission(
            "FromNightly",
            "events.amazonaws.com",
            source_arn="arn:${partition}:events:${region}:${account_id}:rule/nightly",
            source_account="${account_id}",
        ),
        FunctionPermission("FromPartner", "444455556666"),
    )
    assert (
        "Resources.FromPartner.Properties.EventSourceToken: not modelled; scenarios depending on it are unverified"
        in (d.notes)
    )
    assert any(n.startswith("Resources.ForSomeoneElse.Properties.FunctionName: a permission for") for n in d.notes)


def test_terraform_function_in_the_shape_of_a_plan_with_a_local_package() -> None:
    # A function packaged from a local file, with its role known only after apply and keys in its environment.
    role = R(
        "aws_iam_role",
        "iam_for_lambda",
        {"name": "iam_for_lambda", "assume_role_policy": trust("lambda.amazonaws.com"), "path": "/"},
        unknown={"arn": True, "id": True, "unique_id": True},
    )
    function = R(
        "aws_lambda_function",
        "analysis_lambda",
        {
            "dead_letter_config": [],
            "description": None,
            "environment": [{"variables": {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "not-a-real-key"}}],
            "file_system_config": [],
            "filename": "resources/lambda_function_payload.zip",
            "function_name": "acme-analysis",
            "handler": "exports.test",
            "kms_key_arn": None,
            "layers": None,
            "memory_size": 128,
            "publish": False,
            "reserved_concurrent_executions": -1,
            "runtime": "nodejs12.x",
            "s3_bucket": None,
            "s3_key": None,
            "s3_object_version": None,
            "source_code_hash": "Fne61Y/F2pmVywaVqIYcztFMK3LNeMJKpWFNnxDdGTw=",
            "tags": None,
            "timeout": 3,
            "timeouts": None,
            "vpc_config": [],
        },
        unknown={
            "arn": True,
            "id": True,
            "invoke_arn": True,
            "last_modified": True,
            "qualified_arn": True,
            "role": True,
            "source_code_size": True,
            "tracing_config": True,
            "version": True,
        },
        expressions={"role": ref("aws_iam_role.iam_for_lambda.arn", "aws_iam_role.iam_for_lambda")},
    )
    d = load(plan(role, function))
    found = only(d, "functions")
    assert (found.name, found.role, found.runtime, found.handler) == (
        "analysis-lambda",
        "iam-for-lambda",
        "nodejs12.x",
        "exports.test",
    )
    assert found.environment == {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "not-a-real-key"}
    assert found.package == "resources/lambda_function_payload.zip"
    assert found.deployed_runtime() == "nodejs20.x"
    assert len(stand_in_notes(d)) == 1
    assert not [n for n in d.notes if "not modelled" in n], d.notes


def test_terraform_function_in_a_vpc_outside_the_plan_with_event_permissions() -> None:
    # A scheduled metrics function: literal subnets from a data source, a group known after apply, and a
    # permission letting EventBridge invoke it for one rule.
    function = R(
        "aws_lambda_function",
        "lambda",
        {
            "function_name": "metrics-lambda",
            "handler": "main.lambda_handler",
            "runtime": "python3.12",
            "filename": "/workspace/output/lambda.zip",
            "environment": [{"variables": {"LOG_LEVEL": "WARNING"}}],
            "timeout": 60,
            "memory_size": 128,
            "package_type": "Zip",
            "vpc_config": [{"subnet_ids": ["subnet-081c9cbe188e2e3c5", "subnet-08a678ede68202ff3"]}],
            "tags": {"Team": "Metrics"},
        },
        unknown={"arn": True, "role": True, "vpc_config": [{"security_group_ids": True, "vpc_id": True}]},
        expressions={"role": ref("aws_iam_role.lambda_execution_role.arn", "aws_iam_role.lambda_execution_role")},
    )
    role = R(
        "aws_iam_role",
        "lambda_execution_role",
        {"name": "metrics-execution", "assume_role_policy": trust("lambda.amazonaws.com"), "path": "/"},
        unknown={"arn": True, "id": True, "unique_id": True},
    )
    permission = R(
        "aws_lambda_permission",
        "allow_events",
        {
            "action": "lambda:InvokeFunction",
            "function_name": "metrics-lambda",
            "principal": "events.amazonaws.com",
            "qualifier": None,
            "source_account": None,
            "source_arn": "arn:aws:events:eu-west-1:111122223333:rule/metrics-schedule",
            "statement_id_prefix": None,
        },
        unknown={"id": True, "statement_id": True},
    )
    d = load(plan(role, function, permission, data=caller()))
    found = only(d, "functions")
    assert found.role == "lambda-execution-role"
    assert found.vpc is None
    assert any(
        n.startswith("aws_lambda_function.lambda.vpc_config[0]: names subnets or security groups") for n in d.notes
    )
    assert found.permissions == (
        FunctionPermission(
            "allow_events",
            "events.amazonaws.com",
            source_arn="arn:${partition}:events:${region}:${account_id}:rule/metrics-schedule",
        ),
    )


def test_terraform_permission_by_function_arn_and_statement_id() -> None:
    function = R(
        "aws_lambda_function",
        "fn",
        {"function_name": "acme-fn", "handler": "h", "runtime": "python3.12", "filename": "fn.zip",
         "role": "arn:aws:iam::aws:role/r", "arn": "arn:aws:lambda:eu-west-1:111122223333:function:acme-fn"},
        actions=("no-op",),
    )  # fmt: skip
    permission = R(
        "aws_lambda_permission",
        "partner",
        {
            "action": "lambda:InvokeFunction",
            "function_name": "arn:aws:lambda:eu-west-1:111122223333:function:acme-fn",
            "principal": "444455556666",
            "statement_id": "PartnerInvokes",
        },
    )
    d = load(plan(function, permission, data=caller()))
    assert only(d, "functions").permissions == (FunctionPermission("PartnerInvokes", "444455556666"),)
