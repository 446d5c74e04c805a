"""The packaged pipelines as audit-trail golden cases: the reference delivers and validates, the insecure twin fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.acceptance import Deployment
from harness.enforce.api import act_as, attempt
from harness.errors import CheckFailed, Unverified
from harness.inputs.formats import load_any
from harness.scenario import deploy as deploy_definition
from harness.scenario import fixture_path, load_fixture
from harness.trail import audit, tamper
from harness.trail.integrity import FileState
from tests.conftest import definition


def test_the_reference_trail_delivers_encrypted_validated_logs(deploy: Deployment) -> None:
    deploy_definition(deploy, load_fixture("reference"))

    keys = audit.require_delivery(deploy)

    trail = deploy.trail.trail(audit.trail_name(deploy))
    assert trail.validation and trail.multi_region and trail.kms_key_id and trail.log_group_name
    assert len(keys) == 1
    assert audit.log_group_records(deploy) == audit.trail_records(deploy)
    audit.expect_logs_valid()(deploy)


def test_the_insecure_trail_gets_nothing_and_says_why(deploy: Deployment) -> None:
    deploy_definition(deploy, load_fixture("insecure"))

    with pytest.raises(CheckFailed) as failure:
        audit.require_delivery(deploy)

    name = audit.trail_name(deploy)
    assert str(failure.value) == (
        f"trail '{name}': expected log files in bucket '{deploy.prefix}trail' after delivery, found none, delivery "
        f"failed with AccessDenied: bucket '{deploy.prefix}trail' has no bucket policy, so cloudtrail.amazonaws.com "
        "may not write to it; add the CloudTrail bucket policy (s3:GetBucketAcl and s3:PutObject for "
        "cloudtrail.amazonaws.com)"
    )
    assert audit.trail_status(deploy)["LatestDeliveryError"] == "AccessDenied"


def test_the_insecure_trail_cannot_show_tampering(deploy: Deployment) -> None:
    deploy_definition(deploy, load_fixture("insecure"))

    with pytest.raises(CheckFailed, match=re.escape("found log file validation off, so no digest can show it")):
        audit.expect_validation_failure(FileState.MODIFIED)(deploy)


def test_the_reference_trail_buckets_access_log_records_a_refused_attempt_on_a_log_file(deploy: Deployment) -> None:
    deploy_definition(deploy, load_fixture("reference"))
    audit.require_delivery(deploy)

    outcome = audit.delete_newest_log_file_as(deploy, "build")

    assert outcome.error_code == "AccessDenied"
    audit.expect_trail_access_logged(outcome, "build")(deploy)
    (target, _key), *_ = deploy.access_logs.delivered
    assert target == audit.bucket_name(deploy, "access-logs")


# The strongest protection of the reference's log files: nobody, the account's administrators included, may delete
# them. It goes before the statements CloudTrail needs.
LOCKED = """          - Sid: DenyLogDeletion
            Effect: Deny
            Principal: "*"
            Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"]
            Resource: "${buckets.trail.arn}/*"
"""


def test_the_reference_with_its_log_files_locked_refuses_an_administrator_and_holds_the_claim(
    deploy: Deployment, tmp_path: Path
) -> None:
    text = fixture_path("reference").read_text(encoding="utf-8")
    anchor = "          - Sid: AWSCloudTrailAclCheck\n"
    assert text.count(anchor) == 1
    locked = tmp_path / "pipeline.yaml"
    locked.write_text(text.replace(anchor, LOCKED + anchor), encoding="utf-8")
    deploy_definition(deploy, load_any(locked))
    audit.require_delivery(deploy)

    change = tamper.delete_log_file(deploy)
    tamper.expect_tampering_reported(change, FileState.DELETED)(deploy)

    assert change.refused
    line = text[: text.index("    trail:\n      versioning: true")].count("\n") + 1
    bucket = audit.bucket_name(deploy, "trail")
    assert (
        deploy.evidence.current()
        .data["tampering-refused"]
        .endswith(
            f"(ExplicitDeny, AccessDenied): statement 'DenyLogDeletion' of the resource policy 'bucket policy' of "
            f"arn:aws:s3:::{bucket} ({locked}:{line} (buckets.trail))"
        )
    )
    audit.expect_logs_valid()(deploy)


def test_the_insecure_trail_bucket_keeps_no_access_log(deploy: Deployment) -> None:
    deploy_definition(deploy, load_fixture("insecure"))
    # Nothing is delivered to this bucket (see above): the attempt is on where CloudTrail would write.
    bucket = audit.bucket_name(deploy, "trail")
    key = f"AWSLogs/{deploy.backend.account_id}/CloudTrail/log.json.gz"
    outcome = attempt(deploy, act_as(deploy, "build"), "s3", "DeleteObject", Bucket=bucket, Key=key)

    with pytest.raises(CheckFailed) as failure:
        audit.expect_trail_access_logged(outcome, "build")(deploy)

    assert str(failure.value).startswith(f"bucket '{bucket}' of trail '{audit.trail_name(deploy)}': expected a record")
    assert "found server access logging off; turn on server access logging" in str(failure.value)


def test_a_definition_without_a_trail_leaves_trail_claims_unverified(deploy: Deployment) -> None:
    deploy.definition = definition("buckets:\n  b: {}")

    with pytest.raises(Unverified) as caught:
        audit.trail_name(deploy)
    assert caught.value.reason == (
        f"definition '{deploy.definition.name}': declares no trail, so the claim cannot be tried; the account's "
        "trail often lives in another stack: declare it or give the template or plan that declares it with "
        "--baseline FILE (under pytest --pw-baseline FILE)"
    )
