"""S3 ACL grants as policy statements: the documented permission-to-action table, grantees as principals."""

from __future__ import annotations

from harness.iam import PolicySet
from harness.iam.s3_acl import LOG_DELIVERY_PRINCIPAL, Unresolved, acl_statements


def test_bucket_permissions_map_to_the_documented_actions_and_resources() -> None:
    statements, unresolved = acl_statements("logs", [("log-delivery", "WRITE"), ("log-delivery", "READ_ACP")])
    assert unresolved == []
    assert statements == [
        {
            "Sid": "BucketAcl:log-delivery:WRITE",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_PRINCIPAL},
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": "arn:aws:s3:::logs/*",
        },
        {
            "Sid": "BucketAcl:log-delivery:READ_ACP",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_PRINCIPAL},
            "Action": ["s3:GetBucketAcl"],
            "Resource": "arn:aws:s3:::logs",
        },
    ]


def test_full_control_is_every_permission_and_the_owner_adds_nothing() -> None:
    statements, _ = acl_statements("b", [("owner", "FULL_CONTROL"), ("all-users", "FULL_CONTROL")])
    assert [s["Sid"] for s in statements] == [
        "BucketAcl:all-users:READ",
        "BucketAcl:all-users:WRITE",
        "BucketAcl:all-users:READ_ACP",
        "BucketAcl:all-users:WRITE_ACP",
    ]
    assert {s["Principal"] for s in statements} == {"*"}


def test_object_grants_name_the_object_and_public_ones_can_be_ignored() -> None:
    statements, _ = acl_statements("b", [("authenticated-users", "READ")], key="dist/app.zip")
    assert statements == [
        {
            "Sid": "ObjectAcl:authenticated-users:READ",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"],
            "Resource": "arn:aws:s3:::b/dist/app.zip",
        }
    ]
    assert acl_statements("b", [("authenticated-users", "READ")], key="k", ignore_public=True) == ([], [])
    # The log delivery group is not the public: IgnorePublicAcls leaves it.
    assert len(acl_statements("b", [("log-delivery", "WRITE")], ignore_public=True)[0]) == 1


def test_canonical_users_are_set_aside_with_the_actions_they_would_allow() -> None:
    grantee = "d" * 64
    statements, unresolved = acl_statements("b", [(grantee, "READ_ACP")])
    assert statements == []
    assert unresolved == [Unresolved(grantee, "READ_ACP", ("s3:GetBucketAcl",))]


def test_the_evaluator_reads_the_statements_as_a_resource_policy() -> None:
    statements, _ = acl_statements("b", [("all-users", "READ")])
    policies = PolicySet.compile(resource_policy={"Version": "2012-10-17", "Statement": statements})
    listed = policies.decide(
        "arn:aws:iam::210987654321:root", "s3:ListBucket", "arn:aws:s3:::b", resource_account="1" * 12
    )
    got = policies.decide(
        "arn:aws:iam::210987654321:root", "s3:GetObject", "arn:aws:s3:::b/k", resource_account="1" * 12
    )
    assert listed.allowed
    assert not got.allowed
