"""S3 server access logging emulated: requests on a logging bucket are written to its target bucket in S3's
documented format, as the logging service, only when the target bucket's policy lets that service write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce.api import act_as, attempt
from harness.errors import CheckFailed, InputError, Unverified
from harness.inputs.cloudformation import parse_template_text
from harness.model.definition import Unknown
from harness.trail import audit
from harness.trail.access_logs import AccessLogRecord, LoggingTarget, http_status, log_object_key, operation_name
from harness.trail.config import Clock
from harness.trail.service import CloudTrailEmulator
from tests.conftest import definition
from tests.trail.conftest import CLOUDTRAIL_POLICY, START

ESTATE = """
buckets:
  access-logs:
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: S3ServerAccessLogs
          Effect: Allow
          Principal: {{Service: logging.s3.amazonaws.com}}
          Action: s3:PutObject
          Resource: "${{buckets.access-logs.arn}}/*"
          Condition:
            # Spelled, not referred to: the source bucket's logging refers to this bucket already.
            ArnLike: {{"aws:SourceArn": "arn:${{partition}}:s3:::${{prefix}}{source}"}}
            StringEquals: {{"aws:SourceAccount": "${{account_id}}"}}
  data:
    logging: {{bucket: access-logs, prefix: data/, key_format: {key_format}}}
  quiet: {{}}
roles:
  reader:
    assumed_by: codebuild.amazonaws.com
    policies:
      objects:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["s3:GetObject", "s3:DeleteObject", "s3:PutObject"]
            Resource: ["${{buckets.data.arn}}/*", "${{buckets.quiet.arn}}/*"]
"""


@pytest.fixture
def deploy(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    deployment.trail = CloudTrailEmulator(backend, clock=Clock(START), seed=7)
    with deployment.observed():
        yield deployment
        deployment.teardown()


def estate(deploy: Deployment, source: str = "data", key_format: str = "simple") -> Deployment:
    deploy.definition = definition(ESTATE.format(source=source, key_format=key_format))
    deploy.apply()
    return deploy


def put(deploy: Deployment, bucket: str, key: str) -> None:
    with deploy.trail.recorder.suspended():
        deploy.backend.client("s3").put_object(Bucket=audit.bucket_name(deploy, bucket), Key=key, Body=b"payload")


def test_a_read_and_a_deletion_are_logged_with_requester_operation_key_and_status(deploy: Deployment) -> None:
    estate(deploy)
    put(deploy, "data", "builds/app 1.zip")
    reader = act_as(deploy, "reader")
    name = audit.bucket_name(deploy, "data")

    attempt(deploy, reader, "s3", "GetObject", Bucket=name, Key="builds/app 1.zip")
    attempt(deploy, reader, "s3", "DeleteObject", Bucket=name, Key="builds/app 1.zip")
    attempt(deploy, reader, "s3", "GetBucketPolicy", Bucket=name)

    records = audit.access_log_records(deploy, "data")
    by_reader = [r for r in records if ":assumed-role/" in r.requester]
    assert [(r.operation, r.key, r.status, r.error_code) for r in by_reader] == [
        ("REST.GET.OBJECT", "builds/app%201.zip", 200, "-"),
        ("REST.DELETE.OBJECT", "builds/app%201.zip", 204, "-"),
        ("REST.GET.BUCKETPOLICY", "-", 403, "AccessDenied"),
    ]
    session = by_reader[0].requester
    assert re.fullmatch(rf"arn:aws:sts::{deploy.backend.account_id}:assumed-role/{deploy.prefix}reader/\S+", session)
    first = by_reader[0]
    assert (first.bucket, first.request_uri, first.object_size, first.bytes_sent) == (
        name,
        f"GET /{name}/builds/app%201.zip HTTP/1.1",
        "7",
        "7",
    )
    assert first.time == START.strftime("%d/%b/%Y:%H:%M:%S +0000")
    audit.expect_access_logged("data", "REST.DELETE.OBJECT", key="builds/app%201.zip", status=204)(deploy)
    # One object per delivered batch, under the prefix, named by the delivery time.
    (target, key), *_ = deploy.access_logs.delivered
    assert target == audit.bucket_name(deploy, "access-logs")
    assert re.fullmatch(r"data/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[A-Z0-9]{16}", key)


def test_a_bucket_without_logging_has_no_records(deploy: Deployment) -> None:
    estate(deploy)
    put(deploy, "quiet", "k")
    reader = act_as(deploy, "reader")
    attempt(deploy, reader, "s3", "GetObject", Bucket=audit.bucket_name(deploy, "quiet"), Key="k")

    assert audit.access_log_records(deploy, "quiet") == []
    with pytest.raises(CheckFailed) as failed:
        audit.expect_access_logged("quiet", "REST.GET.OBJECT")(deploy)
    assert str(failed.value) == (
        f"bucket '{deploy.prefix}quiet': expected an access log record of REST.GET.OBJECT, found server access "
        "logging off; turn on server access logging (a target bucket and prefix) to a log bucket whose policy lets "
        "logging.s3.amazonaws.com s3:PutObject"
    )


def test_a_target_whose_policy_refuses_the_logging_service_gets_nothing(deploy: Deployment) -> None:
    estate(deploy, source="quiet")  # the policy lets the service write the logs of another bucket only
    put(deploy, "data", "k")
    attempt(deploy, act_as(deploy, "reader"), "s3", "GetObject", Bucket=audit.bucket_name(deploy, "data"), Key="k")

    assert audit.access_log_records(deploy, "data") == []
    (lost,) = deploy.access_logs.lost
    assert lost.reason.startswith(
        f"the policy and ACL of bucket '{deploy.prefix}access-logs' do not let logging.s3.amazonaws.com s3:PutObject"
    )
    with pytest.raises(CheckFailed, match="found none delivered: the policy and ACL of bucket"):
        audit.expect_access_logged("data", "REST.GET.OBJECT")(deploy)


def test_a_target_bucket_acl_for_the_log_delivery_group_is_enough(deploy: Deployment) -> None:
    deploy.definition = definition(
        "buckets:\n  access-logs: {ownership: ObjectWriter, acl: log-delivery-write}\n"
        "  data: {logging: {bucket: access-logs, prefix: data/}}\n"
    )
    deploy.apply()
    put(deploy, "data", "k")

    deploy.backend.client("s3").get_object(Bucket=audit.bucket_name(deploy, "data"), Key="k")

    (record,) = [r for r in audit.access_log_records(deploy, "data") if r.operation == "REST.GET.OBJECT"]
    # The account's root shows as the bucket owner's canonical user.
    assert record.requester == record.bucket_owner


def test_partitioned_log_objects_carry_account_region_bucket_and_date() -> None:
    partitioned = LoggingTarget("logs", "data/", "partitioned-event-time", "owner")
    assert log_object_key(partitioned, "src", "123456789012", "eu-west-1", START, "A" * 16) == (
        f"data/123456789012/eu-west-1/src/{START:%Y/%m/%d}/{START:%Y-%m-%d-%H-%M-%S}-{'A' * 16}"
    )
    simple = LoggingTarget("logs", "data/", "simple", "owner")
    assert log_object_key(simple, "src", "123456789012", "eu-west-1", START, "B" * 16) == (
        f"data/{START:%Y-%m-%d-%H-%M-%S}-{'B' * 16}"
    )


def test_the_key_format_follows_what_the_backend_keeps(deploy: Deployment) -> None:
    estate(deploy, key_format="partitioned-event-time")

    target = deploy.access_logs.target(audit.bucket_name(deploy, "data"))

    assert target is not None
    # moto keeps no TargetObjectKeyFormat (the provider lists it as unverified): its logs are named simply.
    assert target.key_format == ("simple" if deploy.backend.name.startswith("moto") else "partitioned-event-time")
    assert "buckets.data.log_key_format" in deploy.provider.unverified_fields


TRAIL_ESTATE = (
    ESTATE.format(source="logs", key_format="simple")
    .replace('["${buckets.data.arn}/*", "${buckets.quiet.arn}/*"]', '"${buckets.logs.arn}/*"')
    .replace(
        "  quiet: {}\n",
        "  logs:\n    logging: {bucket: access-logs, prefix: trail/}\n"
        + CLOUDTRAIL_POLICY.format(resource_prefix="", deny="").replace("{{", "{").replace("}}", "}"),
    )
    + """trails:
  audit: {bucket: logs, log_file_validation: false}
"""
)


def test_reading_and_deleting_a_trail_log_file_leaves_access_log_records(deploy: Deployment) -> None:
    deploy.definition = definition(TRAIL_ESTATE)
    deploy.apply()
    reader = act_as(deploy, "reader")
    (key,) = audit.require_delivery(deploy)
    bucket = audit.bucket_name(deploy, "logs")

    attempt(deploy, reader, "s3", "GetObject", Bucket=bucket, Key=key)
    outcome = audit.delete_newest_log_file_as(deploy, "reader")

    assert outcome.error_code == ""
    records = [r for r in audit.access_log_records(deploy, "logs") if ":assumed-role/" in r.requester]
    assert [(r.operation, r.key, r.status) for r in records] == [
        ("REST.GET.OBJECT", key, 200),
        ("REST.DELETE.OBJECT", key, 204),
    ]
    # CloudTrail's own delivery and the harness's reads are not requests anyone made.
    assert not [r for r in audit.access_log_records(deploy, "logs") if r.operation == "REST.PUT.OBJECT"]


# -- the claim: an attempt on the trail's log files is in the trail bucket's access log ------------------------

LOGGED_TRAIL = """
buckets:
  access-logs:
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: S3ServerAccessLogs
          Effect: Allow
          Principal: {{Service: logging.s3.amazonaws.com}}
          Action: s3:PutObject
          Resource: "${{buckets.access-logs.arn}}/trail/*"
          Condition:
            ArnLike: {{"aws:SourceArn": "arn:${{partition}}:s3:::${{prefix}}{source}"}}
            StringEquals: {{"aws:SourceAccount": "${{account_id}}"}}
  logs:
{logging}{policy}
roles:
  build:
    assumed_by: codebuild.amazonaws.com
    description: may do nothing to the trail's bucket
  reader:
    assumed_by: codebuild.amazonaws.com
    description: never acts here
trails:
  audit: {{bucket: logs, log_file_validation: false}}
"""


def logged_trail(deploy: Deployment, *, logging: bool = True, source: str = "logs") -> Deployment:
    """Trail ``audit`` delivering to bucket ``logs``, which logs to ``access-logs`` (whose policy lets the logging
    service write the logs of bucket ``source``) unless ``logging`` is false."""
    deploy.definition = definition(
        LOGGED_TRAIL.format(
            source=source,
            logging="    logging: {bucket: access-logs, prefix: trail/}\n" if logging else "",
            policy=CLOUDTRAIL_POLICY.format(resource_prefix="", deny="")
            .strip("\n")
            .replace("{{", "{")
            .replace("}}", "}"),
        )
    )
    deploy.apply()
    audit.require_delivery(deploy)
    return deploy


def test_a_refused_deletion_of_a_trail_log_file_is_in_the_trail_buckets_access_log(deploy: Deployment) -> None:
    logged_trail(deploy)
    outcome = audit.delete_newest_log_file_as(deploy, "build")
    assert outcome.error_code == "AccessDenied"

    audit.expect_trail_access_logged(outcome, "build")(deploy)

    line = deploy.evidence.current().data["access-log-record"]
    record = AccessLogRecord.parse(line)
    assert (record.operation, record.key, record.status, record.error_code) == (
        "REST.DELETE.OBJECT",
        outcome.params["Key"],
        403,
        "AccessDenied",
    )
    assert f":assumed-role/{deploy.prefix}build/" in record.requester
    # That attempt, by that role: the same record is no attempt of another role.
    with pytest.raises(CheckFailed, match=r"found \d+ other record\(s\): REST.DELETE.OBJECT \S+ 403 by arn:aws:sts:"):
        audit.expect_trail_access_logged(outcome, "reader")(deploy)


def test_a_trail_bucket_without_access_logging_fails_naming_it_and_the_fix(deploy: Deployment) -> None:
    logged_trail(deploy, logging=False)
    outcome = audit.delete_newest_log_file_as(deploy, "build")

    with pytest.raises(CheckFailed) as failed:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    key = outcome.params["Key"]
    assert str(failed.value) == (
        f"bucket '{deploy.prefix}logs' of trail '{deploy.prefix}audit': expected a record of REST.DELETE.OBJECT on "
        f"'{key}' (403 AccessDenied) by a session of role {deploy.prefix}build, found server access logging off; "
        "turn on server access logging (a target bucket and prefix) to a log bucket whose policy lets "
        "logging.s3.amazonaws.com s3:PutObject"
    )


def test_a_log_bucket_refusing_the_logging_service_fails_saying_why(deploy: Deployment) -> None:
    logged_trail(deploy, source="elsewhere")  # the log bucket takes the logs of another bucket only
    outcome = audit.delete_newest_log_file_as(deploy, "build")

    with pytest.raises(CheckFailed) as failed:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    message = str(failed.value)
    assert message.startswith(f"bucket '{deploy.prefix}logs' of trail '{deploy.prefix}audit': expected a record of")
    assert (
        f"found none delivered: the policy and ACL of bucket '{deploy.prefix}access-logs' do not let "
        "logging.s3.amazonaws.com s3:PutObject (ImplicitDeny"
    ) in message
    assert message.endswith(
        "; let logging.s3.amazonaws.com s3:PutObject into the target bucket (bucket policy, with aws:SourceArn the "
        "source bucket)"
    )


def test_an_attempt_on_another_bucket_is_refused_as_a_step_mistake(deploy: Deployment) -> None:
    logged_trail(deploy)
    other = audit.bucket_name(deploy, "access-logs")
    outcome = attempt(deploy, act_as(deploy, "build"), "s3", "DeleteObject", Bucket=other, Key="k")

    with pytest.raises(InputError, match=f"expected an attempt on the trail's bucket '{deploy.prefix}logs'"):
        audit.expect_trail_access_logged(outcome, "build")(deploy)


STAND_IN_TRAIL = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  TrailBucketName: {Type: String}
  AccessLogBucketName: {Type: String}
Resources:
  Build:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: !Ref TrailBucketName
      IsLogging: true
"""

# The trail's bucket is declared and logs to a bucket the template only names.
STAND_IN_LOG_BUCKET = (
    STAND_IN_TRAIL.replace("!Ref TrailBucketName", "!Ref TrailBucket")
    + """
  TrailBucket:
    Type: AWS::S3::Bucket
    Properties:
      LoggingConfiguration: {DestinationBucketName: !Ref AccessLogBucketName, LogFilePrefix: trail/}
"""
)

# ... whose policy the template declares, for another bucket's logs: the log bucket's ACL could still let S3 in.
STAND_IN_LOG_BUCKET_POLICY = (
    STAND_IN_LOG_BUCKET
    + """
  AccessLogBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref AccessLogBucketName
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: logging.s3.amazonaws.com}
            Action: s3:PutObject
            Resource: !Sub "arn:aws:s3:::${AccessLogBucketName}/*"
            Condition: {ArnLike: {"aws:SourceArn": "arn:aws:s3:::another-bucket"}}
"""
)


def stand_in_attempt(deploy: Deployment, template: str) -> Any:
    """Deploy ``template`` and make the build role try to delete an object of the trail's bucket."""
    deploy.definition = parse_template_text(
        template,
        "stack.yaml",
        {"TrailBucketName": "acme-trail", "AccessLogBucketName": "acme-access-logs"},
        lint_template=False,
    )
    deploy.apply()
    bucket = audit.bucket_name(deploy, audit.trail_resource(deploy).bucket)
    return attempt(deploy, act_as(deploy, "build"), "s3", "DeleteObject", Bucket=bucket, Key="AWSLogs/x.json.gz")


def test_the_emulators_own_access_logs_stay_off_while_observed(deploy: Deployment) -> None:
    estate(deploy)
    put(deploy, "data", "k")
    attempt(deploy, act_as(deploy, "reader"), "s3", "GetObject", Bucket=audit.bucket_name(deploy, "data"), Key="k")
    audit.access_log_records(deploy, "data")

    with deploy.trail.recorder.suspended():
        s3 = deploy.backend.client("s3")
        target = audit.bucket_name(deploy, "access-logs")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=target).get("Contents", [])]
    assert sorted(keys) == sorted(k for _t, k in deploy.access_logs.delivered)


def test_a_record_line_is_read_back_field_for_field() -> None:
    values = [f"v{i}" for i in range(26)]
    values[2], values[14] = "06/Feb/2019:00:00:38 +0000", 'say "hi"'
    record = AccessLogRecord(*values)
    assert AccessLogRecord.parse(record.line()).time == "06/Feb/2019:00:00:38 +0000"
    documented = (
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
        "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
        '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - '
        '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
        "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -"
    )
    parsed = AccessLogRecord.parse(documented)
    assert (parsed.operation, parsed.request_uri, parsed.status, parsed.user_agent) == (
        "REST.GET.VERSIONING",
        "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1",
        200,
        "S3Console/0.4",
    )
    assert AccessLogRecord.parse(parsed.line()) == parsed


@pytest.mark.parametrize(
    ("operation", "logged"),
    [("GetObject", "REST.GET.OBJECT"), ("DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"),
     ("GetBucketCors", "REST.GET.CORS"), ("PutBucketLifecycleConfiguration", "REST.PUT.LIFECYCLE_CONFIGURATION")],
)  # fmt: skip
def test_operations_are_named_as_s3_logs_them(operation: str, logged: str) -> None:
    assert operation_name(operation) == logged


def test_statuses_follow_the_error_code_or_the_response() -> None:
    assert http_status("", "DeleteObject", None) == 204
    assert http_status("", "GetObject", {"ResponseMetadata": {"HTTPStatusCode": 206}}) == 206
    assert (http_status("AccessDenied", "GetObject", None), http_status("NoSuchKey", "GetObject", None)) == (403, 404)


def test_a_trail_bucket_outside_the_template_leaves_the_claim_unverified(deploy: Deployment) -> None:
    outcome = stand_in_attempt(deploy, STAND_IN_TRAIL)

    with pytest.raises(Unverified) as unverified:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    assert unverified.value.reason == (
        f"trail '{deploy.prefix}trail': whether its bucket's server access log records the attempt depends on what "
        "the definition does not say: buckets.acme-trail: its logging is unknown (Resources.Trail.Properties."
        "S3BucketName names 'acme-trail', which the template does not declare); give the template or plan that "
        "declares it too (--baseline FILE; under pytest --pw-baseline FILE), or declare it here"
    )


def test_a_log_bucket_outside_the_definition_leaves_the_claim_unverified(deploy: Deployment) -> None:
    logged_trail(deploy)
    # What a loader records of a log bucket a template only names (CloudFormation's LoggingConfiguration naming a
    # bucket by parameter): everything but its name unknown, its policy among it. (The emulator refuses logging
    # into an empty stand-in outright, so the log bucket deployed here has the policy the real one may lack.)
    reason = "LoggingConfiguration.DestinationBucketName names 'central-logs', which the template does not declare"
    deploy.definition = replace(
        deploy.require_definition(),
        unknowns=(Unknown("buckets.access-logs", "resource", reason), Unknown("buckets.access-logs", "policy", reason)),
    )
    outcome = audit.delete_newest_log_file_as(deploy, "build")

    with pytest.raises(Unverified) as unverified:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    assert unverified.value.reason == (
        f"trail '{deploy.prefix}audit': whether its bucket's server access log records the attempt depends on what "
        f"the definition does not say: buckets.access-logs: its policy is unknown ({reason}); give the template or "
        "plan that declares it too (--baseline FILE; under pytest --pw-baseline FILE), or declare it here"
    )


def test_a_declared_policy_of_a_log_bucket_outside_the_template_that_refuses_leaves_its_acl_to_decide(
    deploy: Deployment,
) -> None:
    outcome = stand_in_attempt(deploy, STAND_IN_LOG_BUCKET_POLICY)

    with pytest.raises(Unverified) as unverified:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    assert "buckets.acme-access-logs: its ownership and acl are unknown (" in unverified.value.reason
    (lost,) = deploy.access_logs.lost
    assert lost.target == deploy.provider.state["buckets.acme-access-logs"].physical_id
