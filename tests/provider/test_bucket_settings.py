"""A bucket's object ownership, ACL, access logging and notifications on moto: deployed as declared, read back,
changed in place, and changes made behind the harness's back shown as drift; and what the model refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.backends import Backend
from harness.errors import InputError
from harness.provider.lifecycle import Provider
from harness.provider.resources.s3_bucket import (
    AclGrant,
    Bucket,
    BucketLogging,
    BucketNotification,
    PublicAccessBlock,
    canned_grants,
)
from tests.conftest import definition

ESTATE = """
topics:
  alerts: {{}}
buckets:
  logs:
    ownership: ObjectWriter
    acl: log-delivery-write
  data:
    ownership: {ownership}
    acl: {acl}
    logging: {{bucket: logs, prefix: {prefix}}}
    notifications:
      - {{events: ["s3:ObjectCreated:*"], topic: alerts, prefix: releases/}}
      - {{events: ["s3:ObjectRemoved:*"], queue: "arn:aws:sqs:us-east-1:${{account_id}}:removed"}}
    eventbridge: {eventbridge}
"""

BEFORE = {"ownership": "BucketOwnerPreferred", "acl": "private", "prefix": "data/", "eventbridge": "false"}


def estate(**changes: str) -> Any:
    return definition(ESTATE.format(**{**BEFORE, **changes}))


def _read(provider: Provider, d: Any) -> dict[str, Any]:
    resource = d.get("buckets", "data")
    found = provider.registry.handler_for(resource).read(provider.ctx, resource)
    assert found is not None
    return found


def test_settings_are_deployed_and_read_back_as_declared(provider: Provider) -> None:
    d = estate()
    provider.apply(d)

    found = _read(provider, d)
    assert found["ownership"] == "BucketOwnerPreferred"
    assert found["acl"] == ["owner:FULL_CONTROL"]
    assert found["logging"] == {"bucket": f"{provider.prefix}logs", "prefix": "data/"}
    assert [(n["kind"], n["events"], n["prefix"]) for n in found["notifications"]] == [
        ("queue", ["s3:ObjectRemoved:*"], ""),
        ("topic", ["s3:ObjectCreated:*"], "releases/"),
    ]
    assert found["notifications"][1]["target"] == provider.state["topics.alerts"].arn
    logs = d.get("buckets", "logs")
    assert provider.registry.handler_for(logs).read(provider.ctx, logs)["acl"] == [  # type: ignore[index]
        "log-delivery:READ_ACP",
        "log-delivery:WRITE",
        "owner:FULL_CONTROL",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"acl": "public-read"}, "acl"),
        ({"ownership": "ObjectWriter"}, "ownership"),
        ({"prefix": "elsewhere/"}, "logging"),
    ],
    ids=["acl", "ownership", "logging"],
)
def test_each_setting_changes_in_place(provider: Provider, change: dict[str, str], field: str) -> None:
    provider.apply(estate())
    edited = estate(**change)

    plan = provider.apply(edited)

    diffs = plan.for_address("buckets.data").diffs  # type: ignore[union-attr]
    assert [d.field for d in diffs] == [field]
    assert provider.plan(edited).empty


def test_what_moto_does_not_give_back_is_listed_as_unverified(backend: Backend, provider: Provider) -> None:
    provider.apply(estate(eventbridge="true"))

    assert {"buckets.data.eventbridge", "buckets.data.log_key_format"} <= provider.unverified_fields
    assert ("buckets", "eventbridge") in backend.unstored_fields


def test_disabling_acls_puts_the_acl_back_to_private_first(provider: Provider) -> None:
    provider.apply(estate(acl="authenticated-read"))

    provider.apply(estate(ownership="BucketOwnerEnforced"))

    assert _read(provider, estate(ownership="BucketOwnerEnforced"))["ownership"] == "BucketOwnerEnforced"


def _public_read(backend: Backend, p: Provider) -> None:
    backend.client("s3").put_bucket_acl(Bucket=f"{p.prefix}data", ACL="public-read")


def _logging_off(backend: Backend, p: Provider) -> None:
    backend.client("s3").put_bucket_logging(Bucket=f"{p.prefix}data", BucketLoggingStatus={})


def _notifications_off(backend: Backend, p: Provider) -> None:
    backend.client("s3").put_bucket_notification_configuration(Bucket=f"{p.prefix}data", NotificationConfiguration={})


def _ownership_off(backend: Backend, p: Provider) -> None:
    backend.client("s3").delete_bucket_ownership_controls(Bucket=f"{p.prefix}data")


@pytest.mark.parametrize(
    ("drift", "fields"),
    [
        (_public_read, ["acl"]),
        (_logging_off, ["logging", "log_key_format"]),
        (_notifications_off, ["notifications"]),
        (_ownership_off, ["ownership"]),
    ],
    ids=["acl", "logging", "notifications", "ownership"],
)
def test_changes_behind_the_harness_show_as_drift_and_are_repaired(
    backend: Backend, provider: Provider, drift: Callable[[Backend, Provider], None], fields: list[str]
) -> None:
    d = estate()
    provider.apply(d)

    drift(backend, provider)

    change = provider.plan(d).for_address("buckets.data")
    assert change is not None and change.action == "update"
    shown = [diff.field for diff in change.diffs if (("buckets", diff.field) not in backend.unstored_fields)]
    assert shown == [f for f in fields if ("buckets", f) not in backend.unstored_fields]
    provider.apply(d)
    assert provider.plan(d).empty


def test_a_bucket_logging_to_itself_is_destroyed_and_swept(provider: Provider) -> None:
    d = definition("buckets:\n  own: {ownership: ObjectWriter, acl: log-delivery-write, logging: {bucket: own}}\n")
    provider.apply(d)
    provider.ctx.clients("s3").put_object(Bucket=f"{provider.prefix}own", Key="a", Body=b"x")

    assert provider.destroy(d) == []
    assert provider.leftovers() == []


def test_a_bucket_whose_policy_denies_everyone_deletion_is_emptied_and_destroyed(provider: Provider) -> None:
    d = definition(
        """
buckets:
  logs:
    versioning: true
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyLogDeletion
          Effect: Deny
          Principal: "*"
          Action: "s3:DeleteObject*"
          Resource: "${buckets.logs.arn}/*"
"""
    )
    provider.apply(d)
    provider.ctx.clients("s3").put_object(Bucket=f"{provider.prefix}logs", Key="a", Body=b"x")

    assert provider.destroy(d) == []
    assert provider.leftovers() == []


def test_canned_acls_expand_to_the_grants_s3_documents() -> None:
    assert canned_grants("public-read-write") == (
        AclGrant("owner", "FULL_CONTROL"),
        AclGrant("all-users", "READ"),
        AclGrant("all-users", "WRITE"),
    )
    assert canned_grants("bucket-owner-full-control") == (AclGrant("owner", "FULL_CONTROL"),)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"acl": "public-read", "grants": (AclGrant("all-users", "READ"),)}, "acl or grants, found both"),
        (
            {"acl": "authenticated-read", "ownership": "BucketOwnerEnforced"},
            "found grants to authenticated-users; set ownership to BucketOwnerPreferred or ObjectWriter",
        ),
        (
            {"acl": "public-read", "public_access_block": PublicAccessBlock()},
            "no public ACL while block_public_acls is on",
        ),
        ({"acl": "everyone"}, "a canned ACL (private, public-read"),
    ],
)
def test_the_model_refuses_acls_s3_refuses(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Bucket("data", **kwargs)


def test_log_delivery_is_not_public_for_block_public_access() -> None:
    bucket = Bucket("logs", acl="log-delivery-write", ownership="ObjectWriter", public_access_block=PublicAccessBlock())
    assert [g.public for g in bucket.acl_grants()] == [False, False, False]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": ("s3:ObjectCreated:*",)}, "exactly one of topic, queue or function, found 0"),
        ({"events": ("s3:ObjectCreated:*",), "topic": "t", "queue": "arn:aws:sqs:r:1:q"}, "found 2"),
        ({"events": (), "topic": "t"}, "at least one event"),
        ({"events": ("ObjectCreated",), "topic": "t"}, "an S3 event type"),
        ({"events": ("s3:ObjectCreated:*",), "queue": "arn:aws:sns:r:1:t"}, "the ARN of an SQS queue"),
    ],
)
def test_a_notification_names_one_destination_and_real_events(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BucketNotification(**kwargs)


def test_harness_yaml_names_the_field_of_a_bad_grant() -> None:
    with pytest.raises(InputError) as failed:
        definition("buckets:\n  b:\n    grants: [{grantee: everyone, permission: READ}]\n")
    assert "field 'resources.buckets.b.grants[0]'" in failed.value.where
    assert failed.value.found == "'everyone'"
    assert BucketLogging("b").key_format == "simple"
