"""AWS managed policies in authorization decisions: a role is allowed exactly what the policy's real document
allows."""

from __future__ import annotations

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce import Enforcer
from harness.enforce import least_privilege as probes
from harness.enforce.api import expect_denied
from harness.errors import CheckFailed
from tests.conftest import definition
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


ADMIN_BUILD = """
roles:
  build:
    assumed_by: [codebuild.amazonaws.com]
    managed_policies: ["arn:aws:iam::aws:policy/AdministratorAccess"]
build_projects:
  app: {service_role: build, buildspec: {version: 0.2, phases: {}}}
"""


def test_a_grant_by_an_aws_managed_policy_is_named_with_the_role_it_is_attached_to(backend: Backend) -> None:
    pw = Deployment(backend)
    pw.definition = definition(ADMIN_BUILD)
    pw.apply()
    try:
        with pw.observed(), pytest.raises(CheckFailed) as caught:
            expect_denied(probes.try_create_user(pw, "build"))
    finally:
        pw.teardown()
    where = pw.require_definition().where("roles.build")
    assert f"statement 0 in the AWS managed policy AdministratorAccess attached to {where} allows it" in str(
        caught.value
    )
