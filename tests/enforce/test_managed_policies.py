"""AWS managed policies in authorization decisions: a role is allowed exactly what the policy's real document
allows."""

from __future__ import annotations

from harness.backends import Backend
from harness.enforce import Enforcer
from tests.enforce.conftest import ACCOUNT, RoleMaker

READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_a_managed_policy_attachment_is_decided_by_its_real_document(
    backend: Backend, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    reader = role_session("reader")
    backend.client("iam").attach_role_policy(RoleName="reader", PolicyArn=READ_ONLY)
    enforcer.reader.invalidate()

    read = enforcer.authorize_call(reader, "s3", "GetObject", {"Bucket": "artifacts", "Key": "release.zip"})
    write = enforcer.authorize_call(reader, "s3", "PutObject", {"Bucket": "artifacts", "Key": "release.zip"})

    assert read.allowed
    (allowing,) = read.accesses[0].decision.matched
    assert allowing.layer == "identity"
    assert allowing.policy == f"arn:aws:iam::{ACCOUNT}:role/reader#managed:{READ_ONLY}"
    assert not write.allowed
    assert write.accesses[0].decision.decision.value == "ImplicitDeny"
