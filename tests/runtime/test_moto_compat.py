"""moto's condition-blind bucket-policy check is neutral while a runtime is active, and restored after."""

from __future__ import annotations

import json

import pytest
from moto.s3.models import FakeBucket

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.runtime.state import runtime


def deny_plain_http(bucket: str) -> str:
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_conditional_deny_blocks_nothing_while_the_runtime_runs(backend: Backend) -> None:
    original = FakeBucket.get_permission
    s3 = backend.client("s3")
    s3.create_bucket(Bucket="pw-guarded-bucket")
    s3.put_bucket_policy(Bucket="pw-guarded-bucket", Policy=deny_plain_http("pw-guarded-bucket"))
    with pytest.raises(Exception, match="Forbidden"):
        s3.put_object(Bucket="pw-guarded-bucket", Key="before", Body=b"x")  # moto ignores the condition
    pw = Deployment(backend)
    runtime(pw)
    s3.put_object(Bucket="pw-guarded-bucket", Key="during", Body=b"x")
    assert FakeBucket.get_permission is not original
    s3.delete_object(Bucket="pw-guarded-bucket", Key="during")
    pw.teardown()
    assert FakeBucket.get_permission is original
    s3.delete_bucket_policy(Bucket="pw-guarded-bucket")
    s3.delete_bucket(Bucket="pw-guarded-bucket")
