"""How CloudFormation and Terraform plans spell a bucket's object ownership, ACL, access logging and notifications,
including the shapes of the real templates and plans in the shared corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.s3_bucket import AclGrant, BucketLogging, BucketNotification
from tests.inputs.conftest import cfn, named, only
from tests.inputs.tfplan import R, plan, ref

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
UNVERIFIED = "not modelled; scenarios depending on it are unverified"


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def corpus_plan(case: str) -> Definition:
    """A corpus plan, read as format 1.x (older format versions are refused before any mapping)."""
    path = CORPUS / "terraform" / case / "plan.json"
    if not path.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}; these tests read its real plans")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"] = "1.0"
    return parse_plan_text(json.dumps(data, indent=1), str(path))


def bucket(name: str, **values: Any) -> R:
    return R("aws_s3_bucket", name, {"bucket": f"acme-{name}", "force_destroy": False, **values}, unknown={"arn": True})


def on(name: str) -> dict[str, Any]:
    """The expression of a ``bucket`` argument naming the bucket ``name``, known only after apply."""
    return {"bucket": ref(f"aws_s3_bucket.{name}.id", f"aws_s3_bucket.{name}")}


# -- CloudFormation -------------------------------------------------------------------------------------------


def test_cloudformation_ownership_acl_logging_and_notifications() -> None:
    resources = """
  Alerts:
    Type: AWS::SNS::Topic
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      OwnershipControls: {Rules: [{ObjectOwnership: ObjectWriter}]}
      AccessControl: LogDeliveryWrite
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      LoggingConfiguration:
        DestinationBucketName: !Ref Logs
        LogFilePrefix: artifacts/
        TargetObjectKeyFormat: {PartitionedPrefix: {PartitionDateSource: EventTime}}
      NotificationConfiguration:
        EventBridgeConfiguration: {EventBridgeEnabled: true}
        TopicConfigurations:
          - Topic: !Ref Alerts
            Event: s3:ObjectRemoved:*
            Filter: {S3Key: {Rules: [{Name: prefix, Value: releases/}, {Name: suffix, Value: .zip}]}}
        QueueConfigurations:
          - {Queue: !Sub "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:builds", Event: s3:ObjectCreated:*}
"""
    definition = cfn(resources)
    logs = named(definition, "buckets", "logs")
    assert (logs.ownership, logs.acl) == ("ObjectWriter", "log-delivery-write")
    artifacts = named(definition, "buckets", "artifacts")
    assert artifacts.logging == BucketLogging("logs", "artifacts/", "partitioned-event-time")
    assert artifacts.eventbridge is True
    assert artifacts.notifications == (
        BucketNotification(("s3:ObjectRemoved:*",), topic="alerts", prefix="releases/", suffix=".zip"),
        BucketNotification(("s3:ObjectCreated:*",), queue="arn:${partition}:sqs:${region}:${account_id}:builds"),
    )
    assert definition.notes == (
        "Resources.Artifacts.Properties.NotificationConfiguration.QueueConfigurations[0].Queue: an SQS queue is not "
        "modelled; the notification is configured but its delivery is unverified",
    )


def test_cloudformation_logging_without_destination_logs_to_the_bucket_itself() -> None:
    definition = cfn("""
  Data:
    Type: AWS::S3::Bucket
    Properties:
      LoggingConfiguration: {LogFilePrefix: self/}
""")
    assert only(definition, "buckets").logging == BucketLogging("data", "self/")


def test_cloudformation_notification_to_a_function_of_the_template_refers_to_it() -> None:
    definition = cfn("""
  Runner:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Runner.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): pass"}
  Data:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations: [{Function: !GetAtt Handler.Arn, Event: "s3:ObjectCreated:Put"}]
""")
    assert only(definition, "buckets").notifications == (
        BucketNotification(events=("s3:ObjectCreated:Put",), function="${functions.handler.arn}"),
    )
    assert (
        "Resources.Data.Properties.NotificationConfiguration.LambdaConfigurations[0].Function: the notification to "
        "${functions.handler.arn} is configured; its delivery is not emulated, so unverified" in definition.notes
    )


def test_cloudformation_acl_spelling_and_refusals() -> None:
    assert only(
        cfn("  B:\n    Type: AWS::S3::Bucket\n    Properties: {AccessControl: AwsExecRead}\n"), "buckets"
    ).acl == ("aws-exec-read")
    with pytest.raises(InputError) as wrong:
        cfn("  B:\n    Type: AWS::S3::Bucket\n    Properties: {AccessControl: Everyone}\n")
    assert wrong.value.expected.startswith("a canned ACL (Private, PublicRead, PublicReadWrite, AuthenticatedRead")
    assert wrong.value.found == "'Everyone'"
    with pytest.raises(InputError) as enforced:
        cfn("""
  B:
    Type: AWS::S3::Bucket
    Properties:
      OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]}
      AccessControl: PublicRead
""")
    assert str(enforced.value).startswith(
        "t.yaml:4 (Resources.B): expected an ACL that grants only the owner when ownership is BucketOwnerEnforced "
        "(ACLs disabled), found grants to all-users; set ownership to BucketOwnerPreferred or ObjectWriter"
    )
    with pytest.raises(InputError, match="found grants to all-users; drop the public grants"):
        cfn("""
  B:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration: {BlockPublicAcls: true}
      OwnershipControls: {Rules: [{ObjectOwnership: ObjectWriter}]}
      AccessControl: PublicReadWrite
""")


def test_cloudformation_acl_without_ownership_controls_is_noted() -> None:
    definition = cfn("  B:\n    Type: AWS::S3::Bucket\n    Properties: {AccessControl: PublicRead}\n")
    assert only(definition, "buckets").acl == "public-read"
    assert definition.notes == (
        "Resources.B: an ACL granting all-users without ownership controls; S3 refuses ACLs on new buckets unless "
        "object ownership is BucketOwnerPreferred or ObjectWriter, so this deploys in AWS only onto a bucket made "
        "before April 2023; the harness applies the ACL as such a bucket keeps it",
    )


def test_cloudformation_corpus_logging_bucket_shape() -> None:
    path = CORPUS / "cloudformation" / "eks-devsecops" / "build_deployment.yaml"
    if not path.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}; this test reads its real template")
    from harness.inputs.cloudformation import parse_template_text

    parameters = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in json.loads((path.parent / "params-build_deployment.json").read_text(encoding="utf-8"))
    }
    definition = parse_template_text(path.read_text(encoding="utf-8"), str(path), parameters, lint_template=False)
    logging = named(definition, "buckets", "logging-bucket")
    assert (logging.ownership, logging.acl) == ("ObjectWriter", "log-delivery-write")
    assert logging.public_access_block.block_public_acls is True  # the log delivery group is not the public
    assert named(definition, "buckets", "code-pipeline-artifact-bucket").logging == BucketLogging(
        "logging-bucket", "codeartifact-logs"
    )
    assert named(definition, "buckets", "code-guru-reviewer-bucket").logging == BucketLogging(
        "logging-bucket", "codegurureviewer-logs"
    )
    mentions = [n for n in definition.notes if "LoggingConfiguration" in n or "AccessControl" in n]
    assert mentions == []


# -- Terraform ------------------------------------------------------------------------------------------------


def test_terraform_standalone_ownership_acl_logging_and_notification() -> None:
    resources = [
        bucket("logs"),
        bucket("data"),
        R("aws_sns_topic", "alerts", {"name": "acme-alerts"}, unknown={"arn": True, "id": True}),
        R(
            "aws_s3_bucket_ownership_controls",
            "logs",
            {"rule": [{"object_ownership": "BucketOwnerPreferred"}]},
            unknown={"bucket": True},
            expressions=on("logs"),
        ),
        R(
            "aws_s3_bucket_acl",
            "logs",
            {"acl": "log-delivery-write", "expected_bucket_owner": None},
            unknown={"bucket": True, "access_control_policy": True},
            expressions=on("logs"),
        ),
        R(
            "aws_s3_bucket_logging",
            "data",
            {
                "target_prefix": "data/",
                "target_grant": [],
                "target_object_key_format": [{"partitioned_prefix": [{"partition_date_source": "DeliveryTime"}],
                                              "simple_prefix": []}],
            },
            unknown={"bucket": True, "target_bucket": True},
            expressions={**on("data"), "target_bucket": ref("aws_s3_bucket.logs.id", "aws_s3_bucket.logs")},
        ),
        R(
            "aws_s3_bucket_notification",
            "data",
            {
                "eventbridge": True,
                "topic": [{"events": ["s3:ObjectCreated:*"], "filter_prefix": "in/", "filter_suffix": None,
                           "id": "t"}],
                "queue": [{"events": ["s3:ObjectRemoved:Delete"], "filter_prefix": None, "filter_suffix": None,
                           "queue_arn": "arn:aws:sqs:eu-west-1:111122223333:removed", "id": "q"}],
                "lambda_function": [],
            },
            unknown={"bucket": True, "topic": [{"topic_arn": True}]},
            expressions={**on("data"), "topic": [{"topic_arn": ref("aws_sns_topic.alerts.arn",
                                                                    "aws_sns_topic.alerts")}]},
        ),
    ]  # fmt: skip
    definition = load(plan(*resources))
    logs = named(definition, "buckets", "logs")
    assert (logs.ownership, logs.acl, logs.grants) == ("BucketOwnerPreferred", "log-delivery-write", ())
    data = named(definition, "buckets", "data")
    assert data.logging == BucketLogging("logs", "data/", "partitioned-delivery-time")
    assert data.eventbridge is True
    assert data.notifications == (
        BucketNotification(("s3:ObjectCreated:*",), topic="alerts", prefix="in/"),
        # The plan's account is the deploying account: ARNs naming it follow the backend's.
        BucketNotification(("s3:ObjectRemoved:Delete",), queue="arn:${partition}:sqs:eu-west-1:${account_id}:removed"),
    )
    assert not [n for n in definition.notes if UNVERIFIED in n]


def test_terraform_access_control_policy_reads_the_owner_and_groups() -> None:
    owner = "a" * 64
    other = "b" * 64
    grant = R(
        "aws_s3_bucket_acl",
        "data",
        {
            "acl": None,
            "access_control_policy": [
                {
                    "owner": [{"id": owner, "display_name": "me"}],
                    "grant": [
                        {"grantee": [{"type": "CanonicalUser", "id": owner, "display_name": "me"}],
                         "permission": "FULL_CONTROL"},
                        {"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}],
                         "permission": "READ"},
                        {"grantee": [{"type": "CanonicalUser", "id": other}], "permission": "WRITE"},
                    ],
                }
            ],
        },
        unknown={"bucket": True},
        expressions=on("data"),
    )  # fmt: skip
    definition = load(plan(bucket("data"), grant))
    data = only(definition, "buckets")
    assert data.grants == (
        AclGrant("owner", "FULL_CONTROL"),
        AclGrant("all-users", "READ"),
        AclGrant(other, "WRITE"),
    )
    assert data.acl == "private"
    assert any(f"a grant to canonical user {other}; which account that is cannot be told here" in n
               for n in definition.notes)  # fmt: skip


def test_terraform_acl_refusals_name_the_attribute() -> None:
    wrong = R("aws_s3_bucket_acl", "data", {"acl": "world-readable"}, unknown={"bucket": True}, expressions=on("data"))
    with pytest.raises(InputError) as failed:
        load(plan(bucket("data"), wrong))
    assert failed.value.field == "aws_s3_bucket_acl.data.acl"
    assert failed.value.found == "'world-readable'"
    group = R(
        "aws_s3_bucket",
        "data",
        {
            "bucket": "acme-data",
            "grant": [{"type": "Group", "uri": "http://example.com/everyone", "permissions": ["READ"]}],
        },
    )
    with pytest.raises(InputError) as unknown_group:
        load(plan(group))
    assert unknown_group.value.field == "aws_s3_bucket.data.grant[0].uri"


def test_terraform_logging_to_a_bucket_outside_the_plan_goes_to_a_stand_in() -> None:
    logging = R(
        "aws_s3_bucket_logging",
        "data",
        {"target_bucket": "central-access-logs", "target_prefix": "data/"},
        unknown={"bucket": True},
        expressions=on("data"),
    )
    definition = load(plan(bucket("data"), logging))
    assert named(definition, "buckets", "data").logging == BucketLogging("central-access-logs", "data/")
    assert definition.is_stand_in("buckets.central-access-logs")
    assert definition.notes[-1] == (
        "aws_s3_bucket_logging.data.target_bucket: 'central-access-logs' is not declared here; an empty bucket "
        "stands in for it as buckets.central-access-logs, and scenarios that depend on what the plan does not say "
        "of it are unverified"
    )


def test_terraform_corpus_count_plan_maps_logging_acl_and_ownership() -> None:
    definition = corpus_plan("pe-s3-count-tf137")
    logs = named(definition, "buckets", "logbucket1")
    assert (logs.ownership, logs.acl) == ("BucketOwnerPreferred", "log-delivery-write")
    assert named(definition, "buckets", "validbucket1-0").logging == BucketLogging("logbucket1", "log/")
    assert named(definition, "buckets", "validbucket2-0").logging == BucketLogging("logbucket1", "")
    assert [n for n in definition.notes if "not modelled" in n] == []


def test_terraform_corpus_pre_v4_inline_acl_and_logging() -> None:
    definition = corpus_plan("checkov-terragoat")
    assert named(definition, "buckets", "data").acl == "public-read"
    assert named(definition, "buckets", "logs").acl == "log-delivery-write"
    assert named(definition, "buckets", "data-science").logging == BucketLogging("logs", "log/")
    assert [n for n in definition.notes if "aws_s3_bucket" in n and "not modelled" in n and ".logging" in n] == []
    # Inline ACLs without ownership controls are applied as a bucket of that time kept them, and said so.
    assert any(n.startswith("aws_s3_bucket.data: an ACL granting all-users without ownership controls")
               for n in definition.notes)  # fmt: skip
