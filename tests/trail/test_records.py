"""Records against CloudTrail's documented record contents and userIdentity element."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from harness.backends.base import CallEvent, Identity
from harness.backends.safety import Credentials
from harness.iam.catalogue import Catalogue
from harness.trail.records import CallFacts, build_record, event_source, is_data_event, is_read_only

# The record fields of "CloudTrail record contents for management, data, and network activity events"
# (AWS CloudTrail User Guide): name -> (Since, Optional). Transcribed from the documentation, not from output.
DOCUMENTED_FIELDS: dict[str, tuple[str, bool]] = {
    "eventTime": ("1.0", False),
    "eventVersion": ("1.0", False),
    "userIdentity": ("1.0", False),
    "eventSource": ("1.0", False),
    "eventName": ("1.0", False),
    "awsRegion": ("1.0", False),
    "sourceIPAddress": ("1.0", False),
    "userAgent": ("1.0", False),
    "errorCode": ("1.0", True),
    "errorMessage": ("1.0", True),
    "requestParameters": ("1.0", False),
    "responseElements": ("1.0", False),
    "additionalEventData": ("1.0", True),
    "requestID": ("1.01", False),
    "eventID": ("1.01", False),
    "eventType": ("1.02", False),
    "apiVersion": ("1.01", True),
    "managementEvent": ("1.06", True),
    "readOnly": ("1.01", True),
    "resources": ("1.01", True),
    "recipientAccountId": ("1.02", True),
    "serviceEventDetails": ("1.05", True),
    "sharedEventID": ("1.03", True),
    "vpcEndpointId": ("1.04", True),
    "vpcEndpointAccountId": ("1.09", True),
    "eventCategory": ("1.07", False),
    "addendum": ("1.08", True),
    "sessionCredentialFromConsole": ("1.08", True),
    "edgeDeviceDetails": ("1.08", True),
    "tlsDetails": ("1.08", True),
}
# The userIdentity element ("CloudTrail userIdentity element"): its fields and the documented type values.
USER_IDENTITY_FIELDS = {
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "sessionContext",
    "invokedBy",
    "identityProvider",
    "credentialId",
    "onBehalfOf",
    "inScopeOf",
}
USER_IDENTITY_TYPES = {
    "Root",
    "IAMUser",
    "AssumedRole",
    "Role",
    "FederatedUser",
    "Directory",
    "AWSAccount",
    "AWSService",
    "IdentityCenterUser",
    "Unknown",
}
SESSION_CONTEXT_FIELDS = {"sessionIssuer", "webIdFederationData", "attributes", "sourceIdentity", "ec2RoleDelivery"}
EVENT_CATEGORIES = {"Management", "Data", "NetworkActivity", "Insight"}
TLS_FIELDS = {"tlsVersion", "cipherSuite", "clientProvidedHostHeader"}


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def check_documented(record: dict[str, Any]) -> None:
    """Fail unless the record has every always-present field of its version and only documented fields."""
    version = _version(record["eventVersion"])
    assert version[0] == 1
    extra = set(record) - set(DOCUMENTED_FIELDS)
    assert not extra, f"fields not in the record contents reference: {extra}"
    for name, (since, optional) in DOCUMENTED_FIELDS.items():
        if name in record:
            assert _version(since) <= version, f"{name} appears only from {since}"
        elif not optional and _version(since) <= version:
            raise AssertionError(f"{name} is always present from {since}, missing")
    identity = record["userIdentity"]
    assert set(identity) <= USER_IDENTITY_FIELDS
    assert identity["type"] in USER_IDENTITY_TYPES
    if "sessionContext" in identity:
        assert set(identity["sessionContext"]) <= SESSION_CONTEXT_FIELDS
    assert record["eventCategory"] in EVENT_CATEGORIES
    assert record["eventType"] == "AwsApiCall"
    assert datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    if "tlsDetails" in record:
        assert set(record["tlsDetails"]) <= TLS_FIELDS
    assert ("errorCode" in record) == ("errorMessage" in record)


ACCOUNT = "123456789012"
WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
FACTS = CallFacts(WHEN, "eu-west-1", ACCOUNT, "REQ1", "1b2f0d57-3c6f-4f56-9a36-5c2b8e3d2a10")
ROOT = Identity("harness", f"arn:aws:iam::{ACCOUNT}:root", Credentials("AKIAROOT", "s", None), account_id=ACCOUNT)
SESSION = Identity(
    "build role",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/pw-1-build/AWSCodeBuild-1a2b",
    Credentials("ASIASESSION", "s", "t"),
    kind="AssumedRole",
    principal_id="AROAEXAMPLEROLEID0001:AWSCodeBuild-1a2b",
    account_id=ACCOUNT,
    source_ip="codebuild.amazonaws.com",
    attributes=(
        ("session_issuer_arn", f"arn:aws:iam::{ACCOUNT}:role/pw-1-build"),
        ("session_issuer_id", "AROAEXAMPLEROLEID0001"),
        ("session_issuer_name", "pw-1-build"),
        ("creation_date", "2026-03-04T05:00:00Z"),
        ("mfa_authenticated", "false"),
        ("invoked_by", "codebuild.amazonaws.com"),
    ),
)
USER = Identity(
    "developer",
    f"arn:aws:iam::{ACCOUNT}:user/dev/alice",
    Credentials("AKIAALICE", "s", None),
    kind="IAMUser",
    principal_id="AIDAALICE",
    account_id=ACCOUNT,
    source_ip="198.51.100.7",
)
SERVICE = Identity("codepipeline", "codepipeline.amazonaws.com", kind="AWSService")


def record_of(identity: Identity, service: str, operation: str, params: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return build_record(CallEvent(identity, service, operation, params, **kw), FACTS, Catalogue())


@pytest.mark.parametrize("identity", [ROOT, SESSION, USER, SERVICE], ids=lambda i: i.kind)
def test_every_identity_kind_gives_a_documented_record(identity: Identity) -> None:
    record = record_of(identity, "iam", "CreateRole", {"RoleName": "r"}, response={"Role": {"RoleName": "r"}})

    check_documented(record)
    assert record["userIdentity"]["type"] == identity.kind


def test_the_field_check_catches_a_missing_or_undocumented_field() -> None:
    record = record_of(ROOT, "s3", "ListBuckets", {}, response={"Buckets": []})
    without = {k: v for k, v in record.items() if k != "recipientAccountId" and k != "eventID"}
    with pytest.raises(AssertionError, match="eventID"):
        check_documented(without)
    with pytest.raises(AssertionError, match="not in the record contents"):
        check_documented({**record, "principal": "x"})


def test_assumed_role_identity_carries_the_session_context() -> None:
    identity = record_of(SESSION, "s3", "ListBuckets", {}, response={})["userIdentity"]

    assert identity == {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID0001:AWSCodeBuild-1a2b",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/pw-1-build/AWSCodeBuild-1a2b",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIASESSION",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID0001",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/pw-1-build",
                "accountId": ACCOUNT,
                "userName": "pw-1-build",
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-03-04T05:00:00Z", "mfaAuthenticated": "false"},
        },
        "invokedBy": "codebuild.amazonaws.com",
    }


def test_a_session_without_attributes_gets_its_issuer_from_the_arn() -> None:
    bare = Identity("s", f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/s1", kind="AssumedRole")
    context = record_of(bare, "s3", "ListBuckets", {})["userIdentity"]["sessionContext"]

    assert context["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/deployer"
    assert context["sessionIssuer"]["userName"] == "deployer"
    assert context["attributes"]["creationDate"] == "2026-03-04T05:06:07Z"


def test_root_user_and_service_identities() -> None:
    assert record_of(ROOT, "s3", "ListBuckets", {})["userIdentity"] == {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAROOT",
    }
    user = record_of(USER, "s3", "ListBuckets", {})
    assert user["userIdentity"]["userName"] == "alice"
    assert user["sourceIPAddress"] == "198.51.100.7"
    service = record_of(SERVICE, "s3", "ListBuckets", {})
    assert service["userIdentity"] == {"type": "AWSService", "invokedBy": "codepipeline.amazonaws.com"}
    assert service["sourceIPAddress"] == "codepipeline.amazonaws.com"


def test_a_denied_call_carries_the_error_and_no_response() -> None:
    record = record_of(
        SESSION,
        "iam",
        "CreateUser",
        {"UserName": "mallory"},
        error_code="AccessDenied",
        error_message="User: ... is not authorized to perform: iam:CreateUser",
    )

    check_documented(record)
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"].startswith("User: ")
    assert record["responseElements"] is None
    assert record["requestParameters"] == {"userName": "mallory"}


def test_reads_have_null_response_elements_and_writes_keep_a_small_one() -> None:
    read = record_of(ROOT, "iam", "GetRole", {"RoleName": "r"}, response={"Role": {"RoleName": "r"}})
    write = record_of(
        ROOT, "iam", "CreateRole", {"RoleName": "r"}, response={"Role": {"RoleName": "r"}, "ResponseMetadata": {}}
    )
    big = record_of(ROOT, "iam", "CreateRole", {"RoleName": "r"}, response={"Role": {"Doc": "x" * 5000}})

    assert read["readOnly"] is True and read["responseElements"] is None
    assert write["readOnly"] is False and write["responseElements"] == {"role": {"roleName": "r"}}
    assert big["responseElements"] == {"omitted": True}


def test_secrets_and_bodies_never_reach_the_record() -> None:
    secret = record_of(
        ROOT,
        "secretsmanager",
        "CreateSecret",
        {"Name": "deploy-token", "SecretString": "ghp_plaintext"},
        response={"Name": "deploy-token"},
    )
    put = record_of(ROOT, "s3", "PutObject", {"Bucket": "b", "Key": "k", "Body": b"payload"}, response={})

    assert "ghp_plaintext" not in str(secret)
    assert secret["requestParameters"] == {"name": "deploy-token"}
    assert put["requestParameters"] == {"bucketName": "b", "Host": "b.s3.eu-west-1.amazonaws.com", "key": "k"}
    assert "payload" not in str(put)


def test_s3_object_calls_are_data_events_with_resources() -> None:
    record = record_of(ROOT, "s3", "GetObject", {"Bucket": "b", "Key": "a/k.txt"}, response={})

    check_documented(record)
    assert record["eventCategory"] == "Data" and record["managementEvent"] is False
    assert record["resources"] == [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/a/k.txt"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"},
    ]
    assert record_of(ROOT, "s3", "PutBucketPolicy", {"Bucket": "b"})["eventCategory"] == "Management"


def test_global_service_events_are_recorded_in_us_east_1() -> None:
    assert record_of(ROOT, "iam", "ListRoles", {})["awsRegion"] == "us-east-1"
    assert record_of(ROOT, "logs", "DescribeLogGroups", {})["awsRegion"] == "eu-west-1"


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("s3", "GetObject", True),
        ("s3", "HeadBucket", True),
        ("iam", "ListRoles", True),
        ("ec2", "DescribeVpcs", True),
        ("iam", "CreateUser", False),
        ("s3", "PutObject", False),
        ("sts", "AssumeRole", False),
        ("cloudtrail", "StopLogging", False),
        ("kms", "Decrypt", True),
        ("kms", "ScheduleKeyDeletion", False),
    ],
)
def test_read_only_by_name_or_access_level(service: str, operation: str, expected: bool) -> None:
    assert is_read_only(service, operation, Catalogue()) is expected


def test_event_sources_and_data_operations() -> None:
    assert event_source("s3") == "s3.amazonaws.com"
    assert event_source("cloudwatch") == "monitoring.amazonaws.com"
    assert event_source("codebuild") == "codebuild.amazonaws.com"
    assert is_data_event("s3", "DeleteObject") and not is_data_event("s3", "DeleteBucket")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        CallFacts(datetime(2026, 1, 1), "us-east-1", ACCOUNT, "r", "e")
