"""Principal ARNs and the Principal element, from "AWS JSON policy elements: Principal"."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.iam.principals import PrincipalKind, PrincipalMatch, match_entry, parse_principal

from .conftest import ACCOUNT, OTHER, ROLE, SESSION, USER, allow, decide, policy, statement


@pytest.mark.parametrize(
    ("text", "kind", "account"),
    [
        (USER, PrincipalKind.USER, ACCOUNT),
        (f"arn:aws:iam::{ACCOUNT}:user/path/to/alice", PrincipalKind.USER, ACCOUNT),
        (ROLE, PrincipalKind.ROLE, ACCOUNT),
        (SESSION, PrincipalKind.ASSUMED_ROLE, ACCOUNT),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/dana", PrincipalKind.FEDERATED_USER, ACCOUNT),
        (f"arn:aws:iam::{ACCOUNT}:root", PrincipalKind.ROOT, ACCOUNT),
        (ACCOUNT, PrincipalKind.ROOT, ACCOUNT),
        ("codebuild.amazonaws.com", PrincipalKind.SERVICE, None),
        ("accounts.google.com", PrincipalKind.FEDERATED, None),
        (f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta", PrincipalKind.FEDERATED, ACCOUNT),
        ("*", PrincipalKind.ANONYMOUS, None),
    ],
)
def test_principal_kinds(text: str, kind: PrincipalKind, account: str | None) -> None:
    principal = parse_principal(text)
    assert principal.kind is kind
    assert principal.account == account


def test_assumed_role_principal_arn_is_the_role() -> None:
    principal = parse_principal(SESSION)
    assert principal.principal_arn == ROLE
    assert principal.session_name == "run-1"


@pytest.mark.parametrize("text", ["alice", "arn:aws:iam::1234:user/x", f"arn:aws:iam::{ACCOUNT}:group/dev", ""])
def test_unknown_principal_forms_are_rejected(text: str) -> None:
    with pytest.raises(InputError):
        parse_principal(text)


def test_service_linked_role_detection() -> None:
    assert parse_principal(f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x.amazonaws.com/Any").is_service_linked_role
    assert parse_principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForSupport/s").is_service_linked_role
    assert not parse_principal(SESSION).is_service_linked_role


@pytest.mark.parametrize(
    ("kind", "entry", "caller", "expected"),
    [
        ("AWS", ACCOUNT, USER, PrincipalMatch.ACCOUNT),
        ("AWS", f"arn:aws:iam::{ACCOUNT}:root", SESSION, PrincipalMatch.ACCOUNT),
        ("AWS", OTHER, USER, PrincipalMatch.NONE),
        ("AWS", USER, USER, PrincipalMatch.DIRECT),
        ("AWS", ROLE, SESSION, PrincipalMatch.ROLE),
        ("AWS", SESSION, SESSION, PrincipalMatch.DIRECT),
        ("AWS", "*", SESSION, PrincipalMatch.DIRECT),
        ("*", "*", "codebuild.amazonaws.com", PrincipalMatch.DIRECT),
        ("AWS", ACCOUNT, "codebuild.amazonaws.com", PrincipalMatch.NONE),
        ("Service", "codebuild.amazonaws.com", "codebuild.amazonaws.com", PrincipalMatch.DIRECT),
        ("Service", "codebuild.amazonaws.com", USER, PrincipalMatch.NONE),
        ("Federated", "accounts.google.com", "accounts.google.com", PrincipalMatch.DIRECT),
        ("AWS", f"arn:aws:iam::{ACCOUNT}:role/*", SESSION, PrincipalMatch.NONE),  # no wildcards in Principal
    ],
)
def test_principal_entry_matching(kind: str, entry: str, caller: str, expected: PrincipalMatch) -> None:
    assert match_entry(kind, entry, parse_principal(caller)) is expected


def test_anonymous_caller_only_through_a_public_grant() -> None:
    public = policy(statement("Allow", "s3:GetObject", "*", Principal="*"))
    account_only = policy(statement("Allow", "s3:GetObject", "*", Principal={"AWS": ACCOUNT}))
    assert decide("*", identity_policies=[allow()], resource_policy=public) == "Allowed"
    assert decide("*", resource_policy=account_only) == "ImplicitDeny"


def test_web_identity_trust_policy() -> None:
    trust = policy(
        statement("Allow", "sts:AssumeRoleWithWebIdentity", "*", Principal={"Federated": "accounts.google.com"})
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/Web"
    assert decide("accounts.google.com", "sts:AssumeRoleWithWebIdentity", role, resource_policy=trust) == "Allowed"
