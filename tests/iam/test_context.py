"""Global condition keys derived from the caller and the call ("AWS global condition context keys")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harness.errors import InputError
from harness.iam import AuthorizationRequest, CallDescription, PrincipalDescription, build_context
from harness.iam.context import normalize_context

from .conftest import ACCOUNT, ROLE, SESSION, USER


def test_role_session_context() -> None:
    context = build_context(
        PrincipalDescription(SESSION, tags={"team": "ci"}, org_id="o-abc123"),
        CallDescription(source_ip="10.0.0.1", source_vpc="vpc-1", now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    )
    assert context["aws:PrincipalArn"] == ROLE  # the role, not the session
    assert context["aws:PrincipalAccount"] == ACCOUNT
    assert context["aws:PrincipalType"] == "AssumedRole"
    assert context["aws:PrincipalTag/team"] == "ci"
    assert context["aws:PrincipalOrgID"] == "o-abc123"
    assert context["aws:SecureTransport"] == "true"
    assert context["aws:SourceIp"] == "10.0.0.1"
    assert context["aws:SourceVpc"] == "vpc-1"
    assert context["aws:CurrentTime"] == "2026-01-02T03:04:05Z"
    assert context["aws:EpochTime"] == str(int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()))
    assert "aws:username" not in context  # only IAM users carry aws:username


def test_user_context_and_tags() -> None:
    context = build_context(
        PrincipalDescription(USER, user_id="AIDAEXAMPLE"),
        CallDescription(
            request_tags={"env": "prod", "team": "ci"},
            resource_tags={"owner": "x"},
            called_via=["cloudformation.amazonaws.com"],
            secure_transport=None,
        ),
    )
    assert context["aws:username"] == "alice"
    assert context["aws:userid"] == "AIDAEXAMPLE"
    assert context["aws:PrincipalType"] == "User"
    assert context["aws:RequestTag/env"] == "prod"
    assert context["aws:TagKeys"] == ["env", "team"]
    assert context["aws:ResourceTag/owner"] == "x"
    assert context["aws:CalledVia"] == ["cloudformation.amazonaws.com"]
    assert context["aws:ViaAWSService"] == "true"
    assert "aws:SecureTransport" not in context


def test_service_principal_context() -> None:
    context = build_context(PrincipalDescription("codebuild.amazonaws.com"))
    assert context["aws:PrincipalServiceName"] == "codebuild.amazonaws.com"
    assert context["aws:PrincipalIsAWSService"] == "true"
    assert "aws:PrincipalArn" not in context


def test_bad_principal_fails_where_made() -> None:
    with pytest.raises(InputError):
        PrincipalDescription("not-an-arn")


def test_request_defaults_do_not_override_given_keys() -> None:
    request = AuthorizationRequest.create(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:PrincipalArn": "given"})
    assert request.context["aws:principalarn"] == "given"
    assert request.context["aws:principalaccount"] == ACCOUNT
    assert request.resource_account == ACCOUNT  # an S3 ARN has no account: same account assumed


def test_resource_account_from_arn() -> None:
    request = AuthorizationRequest.create(USER, "sqs:SendMessage", "arn:aws:sqs:us-east-1:444455556666:q")
    assert request.resource_account == "444455556666"
    assert request.context["aws:resourceaccount"] == "444455556666"


def test_context_values_normalized() -> None:
    assert normalize_context({"AWS:SecureTransport": True, "s3:max-keys": 5, "aws:TagKeys": ["a", 1]}) == {
        "aws:securetransport": "true",
        "s3:max-keys": "5",
        "aws:tagkeys": ("a", "1"),
    }
    with pytest.raises(InputError):
        normalize_context({"k": {"nested": "x"}})


def test_action_without_service_is_rejected() -> None:
    with pytest.raises(InputError):
        AuthorizationRequest.create(USER, "GetObject", "*")
