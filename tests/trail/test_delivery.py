"""Delivery to trail buckets and log groups: key layout, gzip content, KMS, bucket policy, logging state, batches."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import threading

import pytest
from botocore.exceptions import ClientError

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.backends.base import Identity
from harness.errors import CheckFailed
from harness.trail import audit
from harness.trail.delivery import BATCH_WINDOW
from tests.trail.conftest import START, apply, trail_definition

ACCOUNT = "123456789012"


def _trail_bucket(d: Deployment) -> str:
    return f"{d.prefix}logs"


def _touch(d: Deployment, key: str = "a.txt") -> None:
    d.backend.client("s3").put_object(Bucket=f"{d.prefix}data", Key=key, Body=b"x")


def test_log_files_follow_cloudtrails_key_layout(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _touch(d)

    files = audit.deliver(d)

    assert len(files) == 1
    pattern = (
        rf"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{START:%Y/%m/%d}/"
        rf"{ACCOUNT}_CloudTrail_us-east-1_{START:%Y%m%dT%H%M}Z_[A-Za-z0-9]{{16}}\.json\.gz"
    )
    assert re.fullmatch(pattern, files[0].key), files[0].key


def test_the_key_prefix_comes_first(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(key_prefix="org/audit"))
    _touch(d)

    (file,) = audit.deliver(d)

    assert file.key.startswith(f"org/audit/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/")


def test_a_log_file_is_gzipped_json_records_encrypted_with_the_trails_key(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _touch(d)
    (file,) = audit.deliver(d)

    s3 = d.backend.client("s3")
    obj = s3.get_object(Bucket=_trail_bucket(d), Key=file.key)
    body = json.loads(gzip.decompress(obj["Body"].read()))

    assert list(body) == ["Records"]
    assert len(body["Records"]) == file.records
    assert obj["ServerSideEncryption"] == "aws:kms"
    assert obj["SSEKMSKeyId"] == d.provider.state["keys.trail"].arn
    put = audit.find_record(body["Records"], event_name="PutObject")
    assert put is not None and put["eventCategory"] == "Data"
    assert put["requestParameters"]["key"] == "a.txt"


def test_records_are_read_back_from_the_bucket_not_from_memory(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _touch(d)
    audit.deliver(d)
    d.trail.recorder.history.clear()

    records = audit.trail_records(d)

    assert audit.find_record(records, event_name="StartLogging") is not None
    assert audit.find_record(records, event_name="PutObject", identity_arn_contains=":root") is not None


def test_each_record_is_one_event_in_the_log_group(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _touch(d)
    audit.deliver(d)

    in_bucket = audit.trail_records(d)
    in_group = audit.log_group_records(d)

    assert [r["eventID"] for r in in_group] == [r["eventID"] for r in in_bucket]
    streams = d.backend.client("logs").describe_log_streams(logGroupName=f"{d.prefix}trail")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{ACCOUNT}_CloudTrail_us-east-1"]


def test_a_bucket_without_cloudtrails_policy_gets_nothing(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(policy=False))
    _touch(d)

    assert audit.deliver(d) == []

    assert d.backend.client("s3").list_objects_v2(Bucket=_trail_bucket(d)).get("KeyCount") == 0
    status = audit.trail_status(d)
    assert status["IsLogging"] is True
    assert status["LatestDeliveryError"] == "AccessDenied"
    with pytest.raises(CheckFailed, match=r"delivery failed with AccessDenied, bucket '.*logs' has no bucket policy"):
        audit.expect_record("PutObject")(d)


def test_a_policy_for_another_trail_does_not_allow_delivery(deploy: Deployment, backend: Backend) -> None:
    d = apply(deploy, trail_definition())
    policy = json.loads(backend.client("s3").get_bucket_policy(Bucket=_trail_bucket(d))["Policy"])
    for statement in policy["Statement"]:
        statement.get("Condition", {}).get("StringEquals", {}).pop("aws:SourceArn", None)
    policy["Statement"][1]["Condition"]["StringEquals"]["aws:SourceArn"] = "arn:aws:cloudtrail:us-east-1:1:trail/x"
    backend.client("s3").put_bucket_policy(Bucket=_trail_bucket(d), Policy=json.dumps(policy))

    assert audit.deliver(d) == []

    reason = d.trail.delivery.status(d.provider.state["trails.audit"].arn).latest_delivery_reason
    assert "does not allow cloudtrail.amazonaws.com s3:PutObject" in reason


def test_stop_logging_stops_delivery_and_is_itself_recorded(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    audit.deliver(d)
    name = audit.trail_name(d)
    d.backend.client("cloudtrail").stop_logging(Name=name)
    _touch(d, "after-stop.txt")

    audit.deliver(d)

    records = audit.trail_records(d)
    assert audit.find_record(records, event_name="StopLogging") is not None
    assert not any(r.get("requestParameters", {}).get("key") == "after-stop.txt" for r in records)
    assert audit.trail_status(d)["IsLogging"] is False
    # The event history still has it: LookupEvents answers whatever the trails do.
    lookup = d.trail.lookup_events([{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}])
    assert len(lookup["Events"]) == 1


def test_calls_before_the_trail_logs_are_not_delivered(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    records = audit.trail_records(d) if audit.deliver(d) else []

    assert audit.find_record(records, event_name="CreateBucket") is None
    assert audit.find_record(records, event_name="StartLogging") is not None


def test_management_selector_write_only_drops_reads(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(management="WriteOnly"))
    d.backend.client("iam").list_roles()
    d.backend.client("iam").create_user(UserName=f"{d.prefix}u")
    d.backend.client("iam").delete_user(UserName=f"{d.prefix}u")

    audit.deliver(d)

    records = audit.trail_records(d)
    assert audit.find_record(records, event_name="CreateUser") is not None
    assert audit.find_record(records, event_name="ListRoles") is None
    assert all(not r["readOnly"] for r in records if r["managementEvent"])


def test_only_selected_buckets_give_data_events(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    s3 = d.backend.client("s3")
    s3.put_object(Bucket=_trail_bucket(d), Key="unselected.txt", Body=b"x")
    _touch(d, "selected.txt")

    audit.deliver(d)

    keys = {r["requestParameters"].get("key") for r in audit.trail_records(d) if r["eventCategory"] == "Data"}
    assert keys == {"selected.txt"}


def test_batches_go_out_when_their_window_closes(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    audit.deliver(d)
    _touch(d)

    assert d.trail.advance(BATCH_WINDOW.total_seconds() - 1) == []
    delivered = d.trail.advance(1)

    assert len(delivered) == 1 and delivered[0].records == 1


def test_denied_calls_are_delivered_with_their_error(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    stranger = Identity("stranger", f"arn:aws:sts::{ACCOUNT}:assumed-role/outsider/s1", kind="AssumedRole")

    def deny(identity: Identity, service: str, operation: str, params: object) -> object:
        if identity is stranger:
            from botocore.awsrequest import AWSResponse

            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}, "ResponseMetadata": {}}
            return AWSResponse("", 403, {}, None), error
        return None

    d.backend.add_before_call(deny)  # type: ignore[arg-type]
    try:
        with pytest.raises(Exception, match="AccessDenied"):
            d.backend.client("iam", stranger).create_user(UserName="mallory")
    finally:
        d.backend.remove_before_call(deny)  # type: ignore[arg-type]

    audit.expect_record("CreateUser", error_code="AccessDenied", identity_arn_contains="assumed-role/outsider")(d)
    with pytest.raises(CheckFailed, match="found CreateUser only as: AccessDenied by arn:aws:sts::"):
        audit.expect_record("CreateUser", error_code="")(d)


def test_a_session_issued_without_sts_gets_its_assume_role_record(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{d.prefix}trail-logs"
    session = Identity(
        "trail role",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{d.prefix}trail-logs/AWSCodeBuild-9",
        kind="AssumedRole",
        principal_id="AROATRAILLOGS:AWSCodeBuild-9",
        account_id=ACCOUNT,
        attributes=(
            ("session_issuer_arn", role_arn),
            ("assumed_by", "codebuild.amazonaws.com"),
            ("invoked_by", "codebuild.amazonaws.com"),
        ),
    )
    for _ in range(2):
        with contextlib.suppress(ClientError):
            d.backend.client("iam", session).list_roles()

    audit.deliver(d)

    records = audit.trail_records(d)
    assumed = [r for r in records if r["eventName"] == "AssumeRole"]
    assert len(assumed) == 1
    assert assumed[0]["userIdentity"] == {"type": "AWSService", "invokedBy": "codebuild.amazonaws.com"}
    assert assumed[0]["requestParameters"] == {"roleArn": role_arn, "roleSessionName": "AWSCodeBuild-9"}
    assert assumed[0]["responseElements"]["assumedRoleUser"]["arn"] == session.arn
    assert records.index(assumed[0]) < records.index(audit.find_record(records, event_name="ListRoles"))  # type: ignore[arg-type]


def test_a_logs_role_without_permission_gets_no_events_into_the_group(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(role_policy=False))
    _touch(d)

    audit.deliver(d)

    assert audit.trail_records(d) != []
    assert audit.log_group_records(d) == []
    status = audit.trail_status(d)
    assert status["LatestCloudWatchLogsDeliveryError"] == "AccessDenied"
    reason = d.trail.delivery.status(d.provider.state["trails.audit"].arn).latest_cloudwatch_logs_reason
    assert re.search(r"role arn:aws:iam::\d+:role/.*trail-logs may not logs:CreateLogStream on arn:aws:logs:", reason)


def test_a_key_policy_without_cloudtrail_stops_delivery(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(key_policy=False))
    _touch(d)

    assert audit.deliver(d) == []

    assert audit.trail_status(d)["LatestDeliveryError"] == "KMS.AccessDeniedException"
    with pytest.raises(CheckFailed, match=r"does not allow cloudtrail.amazonaws.com kms:GenerateDataKey .*; let "):
        audit.require_delivery(d)


def test_calls_from_other_threads_are_recorded_while_the_harness_reads(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    s3 = d.backend.client("s3")
    started = threading.Event()

    def build() -> None:
        started.wait(5)
        for i in range(5):
            s3.put_object(Bucket=f"{d.prefix}data", Key=f"thread-{i}", Body=b"x")

    worker = threading.Thread(target=build)
    worker.start()
    with d.trail.recorder.suspended():
        started.set()
        worker.join(10)

    audit.deliver(d)

    keys = {r["requestParameters"].get("key") for r in audit.trail_records(d) if r["eventName"] == "PutObject"}
    assert keys == {f"thread-{i}" for i in range(5)}


DENY_PLAIN_HTTP = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _require_tls(d: Deployment) -> None:
    """Add the usual TLS-only statement to the trail bucket's policy."""
    s3 = d.backend.client("s3")
    bucket = _trail_bucket(d)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    policy["Statement"].append({**DENY_PLAIN_HTTP, "Resource": resources})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def test_a_bucket_that_requires_tls_receives_log_files_and_digests(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _require_tls(d)
    _touch(d)

    (file,) = audit.deliver(d)

    keys = [o["Key"] for o in d.backend.client("s3").list_objects_v2(Bucket=_trail_bucket(d))["Contents"]]
    assert file.key in keys
    assert any("/CloudTrail-Digest/" in key for key in keys)
    assert "LatestDeliveryError" not in audit.trail_status(d)
    assert audit.find_record(audit.trail_records(d), event_name="PutObject") is not None


def test_a_bucket_that_requires_tls_receives_log_files_without_enforcement(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _require_tls(d)
    d.enforcer.detach()
    _touch(d)

    (file,) = audit.deliver(d)

    assert d.backend.client("s3").head_object(Bucket=_trail_bucket(d), Key=file.key)["ContentLength"] > 0


def test_a_bucket_that_requires_tls_and_refuses_cloudtrail_still_gets_nothing(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    s3 = d.backend.client("s3")
    bucket = _trail_bucket(d)
    refusal = {"Sid": "NoCloudTrail", "Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}}
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    policy["Statement"].append({**refusal, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    _require_tls(d)
    _touch(d)

    assert audit.deliver(d) == []

    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    reason = d.trail.delivery.status(d.provider.state["trails.audit"].arn).latest_delivery_reason
    refused = f"the policy of bucket '{bucket}' does not allow cloudtrail.amazonaws.com s3:PutObject"
    assert reason.startswith(f"{refused} on arn:aws:s3:::{bucket}/AWSLogs/")
    assert reason.endswith("(ExplicitDeny: explicit Deny in resource)")
