"""Tampering with delivered log files as an administrator of the account: refused by a policy (prevention is the
evidence and the claim holds), made and reported by validation (the claim holds), made and not reported (FAIL)."""

from __future__ import annotations

import re

import pytest

from harness.acceptance import Deployment
from harness.backends.base import hook_answer
from harness.errors import CheckFailed, Unverified
from harness.trail import audit, tamper
from harness.trail.integrity import FileState
from tests.trail.conftest import apply, trail_definition

ACCOUNT = "123456789012"
ADMIN_SESSION = re.compile(rf"arn:aws:sts::{ACCOUNT}:assumed-role/pw-[0-9a-f]+-account-admin/pipewarden-admin-\w+")


def _delivered(d: Deployment) -> str:
    d.backend.client("s3").put_object(Bucket=f"{d.prefix}data", Key="one", Body=b"1")
    audit.deliver(d)
    (key,) = d.trail.log_file_keys(audit.trail_name(d))
    return key


def _exists(d: Deployment, key: str) -> bool:
    listing = d.backend.client("s3").list_objects_v2(Bucket=f"{d.prefix}logs", Prefix=key)
    return [o["Key"] for o in listing.get("Contents", [])] == [key]


def test_a_deletion_refused_by_the_bucket_policy_holds_the_claim_with_the_refusal_as_evidence(
    deploy: Deployment,
) -> None:
    d = apply(deploy, trail_definition(deny_deletion=True))
    key = _delivered(d)

    change = tamper.delete_log_file(d)
    tamper.expect_tampering_reported(change, FileState.DELETED)(d)

    assert change.refused and change.key == key and _exists(d, key)
    assert change.outcome.error_code == "AccessDenied"
    focused = change.outcome.focused
    assert focused is not None
    assert [(m.layer, m.statement, m.effect) for m in focused.decision.matched] == [
        ("resource", "DenyLogDeletion", "Deny")
    ]
    assert ADMIN_SESSION.fullmatch(change.outcome.identity.arn)
    refused = d.evidence.current().data["tampering-refused"]
    assert refused == (
        f"an administrator of the account ({change.outcome.identity.arn}) was refused s3:DeleteObject on "
        f"arn:aws:s3:::{d.prefix}logs/{key} (ExplicitDeny, AccessDenied): statement 'DenyLogDeletion' of the "
        f"resource policy 'bucket policy' of arn:aws:s3:::{d.prefix}logs (test.yaml:5 (buckets.logs))"
    )
    # The file is as delivered: validation, had it been asked, finds nothing wrong.
    audit.expect_logs_valid()(d)
    # The administrator's role was the harness's, for the attempt only.
    roles = d.backend.client("iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles if r["RoleName"].endswith("account-admin")] == []


def test_a_deletion_refused_by_an_scp_names_the_scp_statement(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(validation=False))
    d.enforcer.scps = [
        [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Sid": "ProtectTrailLogs", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
                ],
            }
        ]
    ]
    key = _delivered(d)

    change = tamper.delete_log_file(d)
    tamper.expect_tampering_reported(change, FileState.DELETED)(d)

    assert change.refused and _exists(d, key)
    refused = d.evidence.current().data["tampering-refused"]
    assert refused.endswith(
        "(ExplicitDeny, AccessDenied): statement 'ProtectTrailLogs' of the service control policy 'scp[0][0]'"
    )


def test_an_allowed_deletion_reported_by_validation_holds_the_claim(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    key = _delivered(d)

    change = tamper.delete_log_file(d)
    tamper.expect_tampering_reported(change, FileState.DELETED)(d)

    assert not change.refused and not _exists(d, key)
    assert change.outcome.error_code == "" and change.outcome.focused is not None
    assert change.outcome.focused.allowed
    # Allowed by AWS's own AdministratorAccess, attached to the administrator's role.
    assert [
        (m.layer, m.policy.endswith("#managed:arn:aws:iam::aws:policy/AdministratorAccess"))
        for m in change.outcome.focused.decision.matched
    ] == [("identity", True)]
    assert tamper.refusal(d, change) == ""
    assert [(f.key, f.state) for f in audit.validate_logs(d).failures()] == [(key, FileState.DELETED)]
    assert "tampering-refused" not in d.evidence.current().data


def test_an_allowed_deletion_validation_does_not_report_fails(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(validation=False))
    key = _delivered(d)

    change = tamper.delete_log_file(d)

    assert not change.refused and not _exists(d, key)
    with pytest.raises(CheckFailed) as failed:
        tamper.expect_tampering_reported(change, FileState.DELETED)(d)
    assert str(failed.value) == (
        f"trail '{d.prefix}audit': expected validation to report a log file deleted, found log file validation "
        "off, so no digest can show it; set log_file_validation: true on the trail"
    )


def test_a_rewrite_the_bucket_policy_does_not_refuse_is_reported_modified(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(deny_deletion=True))
    key = _delivered(d)

    change = tamper.rewrite_log_file(d)
    tamper.expect_tampering_reported(change, FileState.MODIFIED)(d)

    assert not change.refused and change.change == "rewrite" and _exists(d, key)
    assert [(f.key, f.state) for f in audit.validate_logs(d).failures()] == [(key, FileState.MODIFIED)]
    with pytest.raises(CheckFailed, match=rf"expected validation to report log file {re.escape(key)} deleted"):
        tamper.expect_tampering_reported(change, FileState.DELETED)(d)


def test_an_error_that_is_neither_a_refusal_nor_the_change_leaves_the_claim_unverified(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(validation=False))
    key = _delivered(d)

    def slow_down(identity: object, service: str, operation: str, params: object) -> object:
        if operation != "DeleteObject":
            return None
        return hook_answer(503, {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}})

    d.backend.add_before_call(slow_down)
    try:
        with pytest.raises(Unverified) as unverified:
            tamper.delete_log_file(d)
    finally:
        d.backend.remove_before_call(slow_down)

    assert unverified.value.reason == (
        f"log file s3://{d.prefix}logs/{key}: an administrator of the account tried to delete it and S3 answered "
        "SlowDown: Please reduce your request rate., which is neither a refusal nor the change; whether the trail "
        "shows the change cannot be tried"
    )
    assert _exists(d, key)


def test_a_tampering_names_its_change() -> None:
    with pytest.raises(ValueError, match="expected a change among rewrite, delete, found 'move'"):
        tamper.Tampering("move", "b", "k", "someone", None, "")  # type: ignore[arg-type]
