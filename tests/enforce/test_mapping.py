"""The call → authorization request table: every action is real, every operation exists, resources are right."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from harness.enforce.mapping import (
    OPERATIONS,
    PSEUDO_OPERATIONS,
    MappingEnv,
    StaticResolver,
    map_call,
    mapped_actions,
    request_tags,
)
from harness.errors import Unverified
from harness.iam import Catalogue

ACCOUNT, REGION = "123456789012", "us-east-1"
ENV = MappingEnv(ACCOUNT, REGION, StaticResolver(ACCOUNT, REGION))
CATALOGUE = Catalogue()


@pytest.mark.parametrize(("service", "operation", "action"), mapped_actions())
def test_every_mapped_action_is_in_the_catalogue(service: str, operation: str, action: str) -> None:
    assert CATALOGUE.action_exists(action), f"{service}:{operation} maps to unknown action {action}"


def test_every_mapped_operation_is_a_real_api_operation() -> None:
    session = botocore.session.get_session()
    unknown = [
        f"{service}:{operation}"
        for service, table in OPERATIONS.items()
        for operation in table
        if (service, operation) not in PSEUDO_OPERATIONS
        and operation not in session.get_service_model(service).operation_names
    ]
    assert unknown == []


def test_the_table_covers_every_service_in_scope() -> None:
    assert set(OPERATIONS) == {
        "iam", "sts", "s3", "kms", "logs", "cloudwatch", "cloudtrail", "codebuild", "codepipeline",
        "codecommit", "ec2", "sns", "sqs", "events", "ecr", "lambda", "secretsmanager", "ssm", "codestar-connections",
        "codeconnections", "securityhub",
    }  # fmt: skip


def test_an_unmapped_operation_is_unverified_not_allowed() -> None:
    with pytest.raises(Unverified, match=r"no authorization mapping for s3:GetBucketAnalyticsConfiguration"):
        map_call("s3", "GetBucketAnalyticsConfiguration", {"Bucket": "b", "Id": "x"}, ENV)
    with pytest.raises(Unverified, match=r"no authorization mapping for lambda:CreateCodeSigningConfig"):
        map_call("lambda", "CreateCodeSigningConfig", {"AllowedPublishers": {}}, ENV)


def one(service: str, operation: str, **params: Any) -> list[tuple[str, str, dict[str, Any]]]:
    mapped = map_call(service, operation, params, ENV)
    return [(a.action, a.resource, dict(a.context)) for a in mapped.accesses]


CASES: list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]] = [
    ("s3", "ListObjectsV2", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("s3", "HeadObject", {"Bucket": "b", "Key": "a/k"}, [("s3:GetObject", "arn:aws:s3:::b/a/k")]),
    ("s3", "GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v1"}, [("s3:GetObjectVersion", "arn:aws:s3:::b/k")]),
    ("s3", "ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
    (
        "s3",
        "CopyObject",
        {"Bucket": "d", "Key": "k2", "CopySource": {"Bucket": "s", "Key": "k1"}},
        [("s3:PutObject", "arn:aws:s3:::d/k2"), ("s3:GetObject", "arn:aws:s3:::s/k1")],
    ),
    ("iam", "CreateUser", {"UserName": "u", "Path": "/ci/"}, [("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/ci/u")]),
    (
        "iam",
        "AttachRolePolicy",
        {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/X"},
        [("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/r")],
    ),
    (
        "sts",
        "AssumeRole",
        {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r", "RoleSessionName": "s"},
        [("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/r")],
    ),
    (
        "kms",
        "Decrypt",
        {"CiphertextBlob": b"x", "KeyId": "abcd"},
        [("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abcd")],
    ),
    (
        "kms",
        "GenerateDataKey",
        {"KeyId": "1234"},
        [("kms:GenerateDataKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234")],
    ),
    (
        "logs",
        "PutLogEvents",
        {"logGroupName": "/g", "logStreamName": "s", "logEvents": []},
        [("logs:PutLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/g:log-stream:s")],
    ),
    (
        "logs",
        "CreateLogGroup",
        {"logGroupName": "/g"},
        [("logs:CreateLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/g:*")],
    ),
    (
        "cloudwatch",
        "PutMetricAlarm",
        {"AlarmName": "a"},
        [("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a")],
    ),
    ("cloudwatch", "PutMetricData", {"Namespace": "n", "MetricData": []}, [("cloudwatch:PutMetricData", "*")]),
    (
        "cloudtrail",
        "StopLogging",
        {"Name": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/t"},
        [("cloudtrail:StopLogging", f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/t")],
    ),
    (
        "codebuild",
        "StartBuild",
        {"projectName": "p"},
        [("codebuild:StartBuild", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p")],
    ),
    (
        "codebuild",
        "BatchGetBuilds",
        {"ids": ["p:1", "q:2"]},
        [
            ("codebuild:BatchGetBuilds", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p"),
            ("codebuild:BatchGetBuilds", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/q"),
        ],
    ),
    (
        "codepipeline",
        "PutApprovalResult",
        {"pipelineName": "p", "stageName": "S", "actionName": "A", "result": {}, "token": "t"},
        [("codepipeline:PutApprovalResult", f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:p/S/A")],
    ),
    (
        "codecommit",
        "GetBranch",
        {"repositoryName": "r", "branchName": "main"},
        [("codecommit:GetBranch", f"arn:aws:codecommit:{REGION}:{ACCOUNT}:r")],
    ),
    (
        "ec2",
        "CreateTags",
        {"Resources": ["vpc-1", "sg-2"], "Tags": []},
        [
            ("ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1"),
            ("ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-2"),
        ],
    ),
    (
        "ec2",
        "CreateSubnet",
        {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"},
        [
            ("ec2:CreateSubnet", f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/*"),
            ("ec2:CreateSubnet", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1"),
        ],
    ),
    (
        "sns",
        "Publish",
        {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:t", "Message": "m"},
        [("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:t")],
    ),
    (
        "sqs",
        "SendMessage",
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q", "MessageBody": "m"},
        [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")],
    ),
    (
        "events",
        "PutEvents",
        {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]},
        [("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")],
    ),
    (
        "events",
        "PutRule",
        {"Name": "r", "EventBusName": "b"},
        [("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/b/r")],
    ),
    (
        "secretsmanager",
        "GetSecretValue",
        {"SecretId": "s"},
        [("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:s-??????")],
    ),
    (
        "ssm",
        "GetParameter",
        {"Name": "/app/db"},
        [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/db")],
    ),
    (
        "ssm",
        "GetParameters",
        {"Names": ["/a", "b"]},
        [
            ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a"),
            ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/b"),
        ],
    ),
]


@pytest.mark.parametrize(("service", "operation", "params", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_operation_maps_to_action_and_resource(
    service: str, operation: str, params: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    got = [(action, resource) for action, resource, _ in one(service, operation, **params)]
    assert got == expected
    for action, resource in got:
        assert CATALOGUE.resource_matches_action(action, resource), f"{resource} is not a resource of {action}"


def test_codebuild_create_project_passes_the_service_role_to_codebuild() -> None:
    got = one("codebuild", "CreateProject", name="p", serviceRole="build-role")
    assert got[1] == (
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/build-role",
        {"iam:PassedToService": "codebuild.amazonaws.com"},
    )


def test_codepipeline_create_pipeline_passes_the_pipeline_and_action_roles() -> None:
    pipeline = {
        "name": "p",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipe",
        "stages": [{"name": "S", "actions": [{"name": "A", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/act"}]}],
    }
    got = one("codepipeline", "CreatePipeline", pipeline=pipeline)
    assert got[0][:2] == ("codepipeline:CreatePipeline", f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:p")
    assert [(a, r) for a, r, _ in got[1:]] == [
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/pipe"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/act"),
    ]
    assert got[1][2] == {"iam:PassedToService": "codepipeline.amazonaws.com"}


def test_a_role_passed_only_when_present() -> None:
    assert [a for a, _, _ in one("codebuild", "StartBuild", projectName="p")] == ["codebuild:StartBuild"]


def test_request_specific_condition_keys() -> None:
    assert one("s3", "ListObjectsV2", Bucket="b", Prefix="home/", Delimiter="/")[0][2] == {
        "s3:prefix": "home/",
        "s3:delimiter": "/",
    }
    put = one("s3", "PutObject", Bucket="b", Key="k", ACL="public-read", ServerSideEncryption="aws:kms", Tagging="a=1")[
        0
    ][2]
    assert put["s3:x-amz-acl"] == "public-read"
    assert put["s3:x-amz-server-side-encryption"] == "aws:kms"
    assert put["s3:RequestObjectTag/a"] == "1"
    kms = one("kms", "Encrypt", KeyId="k", Plaintext=b"x", EncryptionContext={"app": "ci"})[0][2]
    assert kms["kms:EncryptionContext:app"] == "ci"
    assert kms["kms:EncryptionContextKeys"] == ["app"]
    assert one("codecommit", "GitPush", repositoryName="r", references=["refs/heads/main"])[0][2] == {
        "codecommit:References": ["refs/heads/main"]
    }
    assert one("codecommit", "PutFile", repositoryName="r", branchName="main")[0][2] == {
        "codecommit:References": ["refs/heads/main"]
    }
    assert one("sts", "AssumeRole", RoleArn="arn:aws:iam::1:role/r", RoleSessionName="s", ExternalId="x")[0][2] == {
        "sts:ExternalId": "x",
        "sts:RoleSessionName": "s",
    }


def test_request_tags_in_every_shape() -> None:
    assert request_tags({"Tags": [{"Key": "a", "Value": "1"}]}) == {"a": "1"}
    assert request_tags({"tags": [{"key": "a", "value": "1"}]}) == {"a": "1"}
    assert request_tags({"Tags": [{"TagKey": "a", "TagValue": "1"}]}) == {"a": "1"}
    assert request_tags({"tags": {"a": "1"}}) == {"a": "1"}
    assert request_tags({"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "1"}]}]}) == {
        "a": "1"
    }


_ROLE = "arn:aws:iam::1:role/r"
PASSING = [
    ("cloudtrail", "CreateTrail", {"Name": "t", "S3BucketName": "b", "CloudWatchLogsRoleArn": _ROLE}, "cloudtrail"),
    (
        "logs",
        "PutSubscriptionFilter",
        {"logGroupName": "g", "filterName": "f", "filterPattern": "", "destinationArn": "d", "roleArn": _ROLE},
        "logs",
    ),
    ("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "1", "Arn": "a", "RoleArn": _ROLE}]}, "events"),
]


@pytest.mark.parametrize(("service", "operation", "params", "service_principal"), PASSING)
def test_calls_that_pass_a_role_need_pass_role(
    service: str, operation: str, params: dict[str, Any], service_principal: str
) -> None:
    got = one(service, operation, **params)
    assert ("iam:PassRole", _ROLE, {"iam:PassedToService": f"{service_principal}.amazonaws.com"}) in got


CONNECTION = f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/0c1d"


def test_using_a_connection_carries_the_repository_branch_and_access() -> None:
    params = {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "acme/app",
        "BranchName": "main",
        "ProviderPermissionsRequired": "read_only",
    }
    assert one("codestar-connections", "UseConnection", **params) == [
        (
            "codestar-connections:UseConnection",
            CONNECTION,
            {
                "codestar-connections:FullRepositoryId": "acme/app",
                "codestar-connections:OwnerId": "acme",
                "codestar-connections:RepositoryName": "app",
                "codestar-connections:BranchName": "main",
                "codestar-connections:ProviderPermissionsRequired": "read_only",
            },
        )
    ]
    # The newer service name asks for its own actions and keys.
    [(action, _resource, context)] = one("codeconnections", "UseConnection", **params)
    assert action == "codeconnections:UseConnection"
    assert context["codeconnections:FullRepositoryId"] == "acme/app"


def test_connection_calls_and_report_group_exports() -> None:
    assert one("codeconnections", "CreateConnection", ConnectionName="c", ProviderType="GitHub") == [
        ("codeconnections:CreateConnection", "*", {"codeconnections:ProviderType": "GitHub"})
    ]
    assert one("codestar-connections", "GetConnection", ConnectionArn=CONNECTION) == [
        ("codestar-connections:GetConnection", CONNECTION, {})
    ]
    export = {"exportConfigType": "S3", "s3Destination": {"bucket": "b", "encryptionDisabled": True}}
    assert one("codebuild", "CreateReportGroup", name="tests", type="TEST", exportConfig=export) == [
        (
            "codebuild:CreateReportGroup",
            f"arn:aws:codebuild:{REGION}:{ACCOUNT}:report-group/tests",
            {
                "codebuild:exportConfig.s3Destination.bucket": "b",
                "codebuild:exportConfig.s3Destination.encryptionDisabled": "true",
            },
        )
    ]
    assert one("securityhub", "DescribeHub") == [
        ("securityhub:DescribeHub", f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default", {})
    ]
