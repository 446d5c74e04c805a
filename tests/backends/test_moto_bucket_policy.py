"""moto's bucket-policy check taken over: service writes and the harness's own calls judged with their context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.s3.models import FakeBucket

from harness.backends import Backend, egress_guard, make_backend
from harness.backends.moto_bucket_policy import delegate, hold_neutral, judge_signer
from harness.iam.evaluator import resource_policy_judge

ACCOUNT = "123456789012"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/audit"
CLOUDTRAIL = {"aws:SourceArn": TRAIL, "aws:SourceAccount": ACCOUNT, "aws:SecureTransport": "true"}


@pytest.fixture(params=["moto", "moto-server"])
def any_moto(request: pytest.FixtureRequest, backend: Backend) -> Iterator[Backend]:
    """The session's in-process moto, and a moto server of this process."""
    if request.param == "moto":
        yield backend
        return
    server = make_backend("moto-server")
    with egress_guard().active():
        server.open()
        try:
            yield server
        finally:
            server.close()


def _bucket(backend: Backend, name: str, *statements: dict[str, Any]) -> Any:
    """A bucket whose policy requires TLS, plus ``statements``."""
    s3 = backend.client("s3")
    s3.create_bucket(Bucket=name)
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [tls_only, *statements]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return s3


def _cloudtrail_writes(bucket: str, trail: str = TRAIL) -> dict[str, Any]:
    return {
        "Sid": "AWSCloudTrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*",
        "Condition": {"StringEquals": {"aws:SourceArn": trail}},
    }


def test_moto_alone_refuses_every_object_call_under_a_conditional_deny(backend: Backend) -> None:
    s3 = _bucket(backend, "pw-plain")

    with pytest.raises(ClientError, match=r"\(403\) when calling the PutObject operation"):
        s3.put_object(Bucket="pw-plain", Key="AWSLogs/x", Body=b"x")


def test_a_write_on_cloudtrails_behalf_is_judged_as_cloudtrails(any_moto: Backend) -> None:
    s3 = _bucket(any_moto, "pw-trail", _cloudtrail_writes("pw-trail"))
    original = FakeBucket.get_permission
    judge = resource_policy_judge("cloudtrail.amazonaws.com", CLOUDTRAIL)

    with delegate(any_moto.name, "pw-trail", f"AWSLogs/{ACCOUNT}/", judge):
        s3.put_object(Bucket="pw-trail", Key=f"AWSLogs/{ACCOUNT}/file.json.gz", Body=b"x")
        with pytest.raises(ClientError, match="403"):  # outside what CloudTrail writes: moto's own check
            s3.put_object(Bucket="pw-trail", Key="elsewhere", Body=b"x")

    assert FakeBucket.get_permission is original


def test_a_bucket_refusing_cloudtrail_still_refuses_the_write(any_moto: Backend) -> None:
    refusal = {
        "Sid": "NotThisTrail",
        "Effect": "Deny",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::pw-trail/*",
        "Condition": {"StringNotEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/other"}},
    }
    s3 = _bucket(any_moto, "pw-trail", _cloudtrail_writes("pw-trail"), refusal)
    judge = resource_policy_judge("cloudtrail.amazonaws.com", CLOUDTRAIL)

    with (
        delegate(any_moto.name, "pw-trail", f"AWSLogs/{ACCOUNT}/", judge),
        pytest.raises(ClientError, match=r"\(403\) when calling the PutObject operation"),
    ):
        s3.put_object(Bucket="pw-trail", Key=f"AWSLogs/{ACCOUNT}/file.json.gz", Body=b"x")


def test_the_harness_signs_as_the_root_over_tls(any_moto: Backend) -> None:
    no_deletes = {
        "Sid": "NoDeletes",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::pw-kept/*",
    }
    s3 = _bucket(any_moto, "pw-kept", no_deletes)
    admin = any_moto.admin
    release = judge_signer(
        any_moto.name,
        admin.credentials.access_key_id,
        resource_policy_judge(admin.arn, {"aws:SecureTransport": "true"}),
    )
    try:
        s3.put_object(Bucket="pw-kept", Key="a", Body=b"x")
        assert s3.get_object(Bucket="pw-kept", Key="a")["Body"].read() == b"x"
        with pytest.raises(ClientError, match=r"\(403\) when calling the DeleteObject operation"):
            s3.delete_object(Bucket="pw-kept", Key="a")
    finally:
        release()
    with pytest.raises(ClientError, match="403"):
        s3.get_object(Bucket="pw-kept", Key="a")


def test_a_neutral_hold_outranks_the_signer_and_releases_once(backend: Backend) -> None:
    s3 = _bucket(backend, "pw-held", {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    original = FakeBucket.get_permission
    admin = backend.admin
    release_signer = judge_signer(backend.name, admin.credentials.access_key_id, resource_policy_judge(admin.arn, {}))
    release = hold_neutral()
    s3.put_object(Bucket="pw-held", Key="a", Body=b"x")
    s3.get_object(Bucket="pw-held", Key="a")
    release()
    release()
    with pytest.raises(ClientError, match="403"):
        s3.get_object(Bucket="pw-held", Key="a")
    release_signer()
    assert FakeBucket.get_permission is original
