"""Digest files and validation: layout, signature, chain, tampering, deleted log files, missing digests."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness.acceptance import Deployment
from harness.errors import CheckFailed, InputError
from harness.trail import audit, tamper
from harness.trail.integrity import FileState, string_to_sign
from tests.trail.conftest import apply, trail_definition

ACCOUNT = "123456789012"
DIGEST_FIELDS = {
    "awsAccountId",
    "digestStartTime",
    "digestEndTime",
    "digestS3Bucket",
    "digestS3Object",
    "digestPublicKeyFingerprint",
    "digestSignatureAlgorithm",
    "newestEventTime",
    "oldestEventTime",
    "previousDigestS3Bucket",
    "previousDigestS3Object",
    "previousDigestHashValue",
    "previousDigestHashAlgorithm",
    "previousDigestSignature",
    "logFiles",
}


def _digests(d: Deployment) -> list[str]:
    listing = d.backend.client("s3").list_objects_v2(
        Bucket=f"{d.prefix}logs", Prefix=f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/"
    )
    return sorted(o["Key"] for o in listing.get("Contents", []))


def _delivered_twice(d: Deployment) -> None:
    d.backend.client("s3").put_object(Bucket=f"{d.prefix}data", Key="one", Body=b"1")
    audit.deliver(d)
    d.trail.clock.advance(3600)
    d.backend.client("s3").put_object(Bucket=f"{d.prefix}data", Key="two", Body=b"2")
    audit.deliver(d)


def test_a_digest_follows_the_documented_layout_and_is_signed(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    (file,) = audit.deliver(d)

    (key,) = _digests(d)
    name = audit.trail_name(d)
    assert re.fullmatch(
        rf"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/\d{{4}}/\d\d/\d\d/"
        rf"{ACCOUNT}_CloudTrail-Digest_us-east-1_{name}_us-east-1_\d{{8}}T\d{{6}}Z\.json\.gz",
        key,
    )
    obj = d.backend.client("s3").get_object(Bucket=f"{d.prefix}logs", Key=key)
    content = gzip.decompress(obj["Body"].read())
    body = json.loads(content)
    assert set(body) == DIGEST_FIELDS
    assert body["digestSignatureAlgorithm"] == "SHA256withRSA"
    assert body["previousDigestSignature"] is None
    assert body["logFiles"] == [
        {
            "s3Bucket": f"{d.prefix}logs",
            "s3Object": file.key,
            "hashValue": file.hash_value,
            "hashAlgorithm": "SHA-256",
            "newestEventTime": body["newestEventTime"],
            "oldestEventTime": body["oldestEventTime"],
        }
    ]
    log = d.backend.client("s3").get_object(Bucket=f"{d.prefix}logs", Key=file.key)["Body"].read()
    assert hashlib.sha256(gzip.decompress(log)).hexdigest() == file.hash_value
    # The signature is in x-amz-meta-signature, over CloudTrail's string to sign, with the region's key.
    public = d.trail.keys.public_key(body["digestPublicKeyFingerprint"])
    assert public is not None
    public.verify(
        bytes.fromhex(obj["Metadata"]["signature"]),
        string_to_sign(body["digestEndTime"], f"{d.prefix}logs", key, content, None),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    der = d.trail.keys.for_region("us-east-1").public_der
    assert hashlib.md5(der, usedforsecurity=False).hexdigest() == body["digestPublicKeyFingerprint"]


def test_digests_chain_to_the_previous_one(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _delivered_twice(d)

    first, second = _digests(d)
    s3 = d.backend.client("s3")
    first_obj = s3.get_object(Bucket=f"{d.prefix}logs", Key=first)
    first_content = gzip.decompress(first_obj["Body"].read())
    second_body = json.loads(gzip.decompress(s3.get_object(Bucket=f"{d.prefix}logs", Key=second)["Body"].read()))

    assert second_body["previousDigestS3Object"] == first
    assert second_body["previousDigestSignature"] == first_obj["Metadata"]["signature"]
    assert second_body["previousDigestHashValue"] == hashlib.sha256(first_content).hexdigest()
    assert second_body["digestStartTime"] == json.loads(first_content)["digestEndTime"]


def test_untouched_logs_validate(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _delivered_twice(d)

    report = audit.validate_logs(d)

    assert report.ok, report.render()
    assert len(report.digests) == 2 and len(report.logs) == 2
    assert "2/2 digest files valid" in report.render()
    audit.expect_logs_valid()(d)


def test_a_tampered_log_file_is_reported_modified(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _delivered_twice(d)

    key = tamper.rewrite_log_file(d).key

    report = audit.validate_logs(d)
    assert not report.ok
    assert [(f.key, f.state) for f in report.failures()] == [(key, FileState.MODIFIED)]
    assert "INVALID: hash value doesn't match" in report.render()
    audit.expect_validation_failure(FileState.MODIFIED, key=key)(d)
    with pytest.raises(CheckFailed, match="expected every log file and digest valid"):
        audit.expect_logs_valid()(d)


def test_a_deleted_log_file_is_reported_deleted(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _delivered_twice(d)

    key = tamper.delete_log_file(d).key

    report = audit.validate_logs(d)
    assert [(f.key, f.state) for f in report.failures()] == [(key, FileState.DELETED)]
    with pytest.raises(CheckFailed, match=r"expected validation to report a log file modified, found:\n"):
        audit.expect_validation_failure(FileState.MODIFIED)(d)


def test_a_missing_digest_breaks_the_chain(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    _delivered_twice(d)
    first, second = _digests(d)
    d.backend.client("s3").delete_object(Bucket=f"{d.prefix}logs", Key=first)

    report = audit.validate_logs(d)

    states = {(f.kind, f.key): f.state for f in report.failures()}
    assert states == {("digest", first): FileState.MISSING, ("digest", second): FileState.BROKEN_CHAIN}
    # The log file only the missing digest listed can no longer be validated.
    assert len(report.with_state(FileState.UNCOVERED, "log")) == 1


def test_a_modified_digest_fails_its_signature(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    audit.deliver(d)
    (key,) = _digests(d)
    s3 = d.backend.client("s3")
    obj = s3.get_object(Bucket=f"{d.prefix}logs", Key=key)
    body = json.loads(gzip.decompress(obj["Body"].read()))
    body["logFiles"] = []
    s3.put_object(
        Bucket=f"{d.prefix}logs", Key=key, Body=gzip.compress(json.dumps(body).encode()), Metadata=obj["Metadata"]
    )

    report = audit.validate_logs(d)

    assert [(f.kind, f.state, f.detail) for f in report.failures()] == [
        ("digest", FileState.MODIFIED, "signature verification failed")
    ]


def test_without_validation_there_is_nothing_to_validate(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition(validation=False))
    d.backend.client("s3").put_object(Bucket=f"{d.prefix}data", Key="one", Body=b"1")
    audit.deliver(d)
    tamper.rewrite_log_file(d)

    report = audit.validate_logs(d)

    assert _digests(d) == []
    assert not report.ok and not report.validation_enabled
    with pytest.raises(CheckFailed, match="found log file validation off, so no digest can show it; set "):
        audit.expect_validation_failure(FileState.MODIFIED)(d)


def test_signing_keys_are_per_region_and_kept(deploy: Deployment) -> None:
    keys = deploy.trail.keys

    east, west = keys.for_region("us-east-1"), keys.for_region("eu-west-1")

    assert keys.for_region("us-east-1") is east
    assert east.fingerprint != west.fingerprint
    assert {k["Fingerprint"] for k in keys.list_public_keys()} == {east.fingerprint, west.fingerprint}
    assert keys.public_key("0" * 32) is None


def test_an_hour_without_deliveries_still_gets_a_digest_in_the_chain(deploy: Deployment) -> None:
    d = apply(deploy, trail_definition())
    audit.deliver(d)

    # The first digest ends a second after the delivery (digests never share an end time).
    d.trail.advance(3600)
    assert len(_digests(d)) == 1
    d.trail.advance(1)

    first, second = _digests(d)
    body = json.loads(
        gzip.decompress(d.backend.client("s3").get_object(Bucket=f"{d.prefix}logs", Key=second)["Body"].read())
    )
    assert body["logFiles"] == [] and body["previousDigestS3Object"] == first
    assert body["newestEventTime"] is None
    assert audit.validate_logs(d).ok


def test_a_step_naming_an_unknown_state_is_told_the_states() -> None:
    assert audit.file_state("deleted") is FileState.DELETED
    with pytest.raises(InputError, match=r"expected one of valid, modified, deleted, missing, .* found 'gone'"):
        audit.file_state("gone")
