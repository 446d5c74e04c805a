"""Bucket and object ACLs in enforcement: a public grant lets other accounts in unless Block Public Access ignores
it or object ownership disables ACLs; grants to accounts that cannot be told apart are unverified, not decided."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend, Identity
from harness.backends.safety import Credentials
from harness.enforce import Enforcer
from harness.errors import Unverified
from harness.provider.lifecycle import Provider
from tests.conftest import definition
from tests.enforce.conftest import RoleMaker

OTHER = "210987654321"


@pytest.fixture
def deployed(provider: Provider, enforcer: Enforcer) -> Iterator[Provider]:
    """The provider; what it deploys is removed afterwards."""
    yield provider
    provider.sweep()


def outsider(name: str = "reader") -> Identity:
    """A role session of another account, as it reaches this account's buckets."""
    return Identity(
        f"{name} of account {OTHER}",
        f"arn:aws:sts::{OTHER}:assumed-role/{name}/s1",
        Credentials("ASIAOTHERACCOUNT0001", "outside-secret", "outside-token"),
        kind="AssumedRole",
        principal_id=f"AROAOTHER:{name}",
        account_id=OTHER,
    )


def bucket(provider: Provider, settings: str) -> str:
    provider.apply(definition(f"buckets:\n  shared: {{{settings}}}\n"))
    return f"{provider.prefix}shared"


def list_as(backend: Backend, who: Identity, name: str) -> Any:
    return backend.client("s3", who).list_objects_v2(Bucket=name)


def test_a_public_read_bucket_is_listed_by_another_account(
    backend: Backend, enforcer: Enforcer, deployed: Provider
) -> None:
    name = bucket(deployed, "ownership: ObjectWriter, acl: public-read")

    list_as(backend, outsider(), name)

    decision = enforcer.decisions[-1]
    assert decision.allowed and decision.operation == "ListObjectsV2"
    (access,) = decision.accesses
    assert access.decision.reason == "cross-account: both the identity side and the resource-based policy allow"
    assert {m.statement for m in access.decision.matched} == {"OutsideThisDeployment", "BucketAcl:all-users:READ"}
    assert decision.explanations[access.decision.matched[-1].policy].describe() == (
        f"resource policy 'bucket ACL' of arn:aws:s3:::{name}"
    )


def test_ignore_public_acls_keeps_another_account_out(backend: Backend, enforcer: Enforcer, deployed: Provider) -> None:
    name = bucket(
        deployed,
        "ownership: ObjectWriter, acl: public-read, public_access_block: {block_public_acls: false, "
        "ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true}",
    )

    with pytest.raises(ClientError) as denied:
        list_as(backend, outsider(), name)

    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert enforcer.decisions[-1].denied_by.decision.reason == (  # type: ignore[union-attr]
        "cross-account request: no applicable Allow in resource"
    )


def test_bucket_owner_enforced_disables_an_objects_public_acl(
    backend: Backend, enforcer: Enforcer, deployed: Provider
) -> None:
    name = bucket(deployed, "ownership: ObjectWriter")
    backend.client("s3").put_object(Bucket=name, Key="release.zip", Body=b"zip", ACL="public-read")
    assert backend.client("s3", outsider()).get_object(Bucket=name, Key="release.zip")["Body"].read() == b"zip"
    assert enforcer.decisions[-1].accesses[0].decision.matched[-1].statement == "ObjectAcl:all-users:READ"

    backend.client("s3").put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )

    with pytest.raises(ClientError) as denied:
        backend.client("s3", outsider()).get_object(Bucket=name, Key="release.zip")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_a_private_bucket_needs_a_policy_naming_the_other_account(
    backend: Backend, enforcer: Enforcer, deployed: Provider
) -> None:
    name = bucket(deployed, "")
    with pytest.raises(ClientError):
        list_as(backend, outsider(), name)

    principal = f"arn:aws:iam::{OTHER}:root"
    policy = (
        '{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "PRINCIPAL"}, '
        'Action: "s3:ListBucket", Resource: "arn:aws:s3:::${prefix}shared"}]}'
    ).replace("PRINCIPAL", principal)
    bucket(deployed, f"policy: {policy}")

    list_as(backend, outsider(), name)
    assert enforcer.decisions[-1].allowed


def test_the_owners_own_roles_are_let_in_by_a_public_acl_too(
    backend: Backend, enforcer: Enforcer, deployed: Provider, role_session: RoleMaker
) -> None:
    name = bucket(deployed, "ownership: BucketOwnerPreferred, acl: authenticated-read")
    nobody = role_session("nobody")

    list_as(backend, nobody, name)

    assert enforcer.decisions[-1].accesses[0].decision.matched[0].statement == "BucketAcl:authenticated-users:READ"
    deployed.apply(definition("buckets:\n  shared: {ownership: BucketOwnerPreferred}\n"))
    with pytest.raises(ClientError):
        list_as(backend, nobody, name)


def test_a_grant_to_a_canonical_user_is_unverified_for_another_account(
    backend: Backend, enforcer: Enforcer, deployed: Provider
) -> None:
    grantee = "c" * 64
    name = bucket(
        deployed,
        f"ownership: ObjectWriter, grants: [{{grantee: owner, permission: FULL_CONTROL}}, "
        f"{{grantee: {grantee}, permission: READ}}]",
    )

    with pytest.raises(Unverified) as unverified:
        list_as(backend, outsider(), name)

    assert unverified.value.reason.startswith(
        f"arn:aws:s3:::{name}: the ACL grants READ to canonical user {grantee}; whether that is the account of "
        f"arn:aws:sts::{OTHER}:assumed-role/reader/s1 cannot be told here"
    )
    # Writing is not what the grant is about: it is decided.
    with pytest.raises(ClientError):
        backend.client("s3", outsider()).put_object(Bucket=name, Key="x", Body=b"x")


def test_a_bucket_policy_deny_wins_over_a_public_acl(backend: Backend, enforcer: Enforcer, deployed: Provider) -> None:
    policy = (
        '{Version: "2012-10-17", Statement: [{Sid: NoLists, Effect: Deny, Principal: "*", Action: "s3:ListBucket", '
        'Resource: "arn:aws:s3:::${prefix}shared"}]}'
    )
    name = bucket(deployed, f"ownership: ObjectWriter, acl: public-read, policy: {policy}")

    with pytest.raises(ClientError):
        list_as(backend, outsider(), name)

    denied = enforcer.decisions[-1].denied_by
    assert denied is not None and [m.statement for m in denied.decision.matched] == ["NoLists"]
