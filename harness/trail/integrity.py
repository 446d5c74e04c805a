"""Log file integrity: signed, chained digest files as CloudTrail writes them, and validate-logs over them."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from harness.provider.base import error_code
from harness.trail.config import TrailConfig, in_window
from harness.trail.records import format_time, parse_time

SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"


@dataclass(frozen=True, slots=True)
class RegionKey:
    """One region's signing key pair and its public key fingerprint (MD5 of the DER PKCS#1 public key)."""

    region: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    public_der: bytes = field(repr=False)
    fingerprint: str


class SigningKeys:
    """Per-region RSA key pairs CloudTrail signs digests with; generated on first use and kept here.

    Args:
        key_size: RSA modulus size (CloudTrail uses 2048-bit keys).
    """

    def __init__(self, key_size: int = 2048) -> None:
        self.key_size = key_size
        self._by_region: dict[str, RegionKey] = {}

    def for_region(self, region: str) -> RegionKey:
        """The region's key pair, generated the first time it is asked for."""
        found = self._by_region.get(region)
        if found is None:
            private = rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)
            der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
            # CloudTrail's public key fingerprint is the MD5 of the key, not a security hash.
            found = RegionKey(region, private, der, hashlib.md5(der, usedforsecurity=False).hexdigest())
            self._by_region[region] = found
        return found

    def public_key(self, fingerprint: str) -> rsa.RSAPublicKey | None:
        """The public key with this fingerprint (what ListPublicKeys returns), or None when unknown."""
        for key in self._by_region.values():
            if key.fingerprint == fingerprint:
                return key.private_key.public_key()
        return None

    def list_public_keys(self) -> list[dict[str, Any]]:
        """The ListPublicKeys shape: ``Value`` (DER PKCS#1), ``Fingerprint``."""
        return [{"Value": k.public_der, "Fingerprint": k.fingerprint} for k in self._by_region.values()]


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256, CloudTrail's hash of uncompressed log and digest file content."""
    return hashlib.sha256(data).hexdigest()


def string_to_sign(end_time: str, bucket: str, key: str, content: bytes, previous_signature: str | None) -> bytes:
    """CloudTrail's digest string to sign.

    ``digestEndTime \\n bucket/key \\n hex(sha256(uncompressed digest)) \\n previous signature (or "null")``.
    """
    return f"{end_time}\n{bucket}/{key}\n{sha256_hex(content)}\n{previous_signature or 'null'}".encode()


@dataclass(frozen=True, slots=True)
class LogFileEntry:
    """One delivered log file as a digest lists it."""

    bucket: str
    key: str
    hash_value: str
    oldest: str
    newest: str

    def to_digest(self) -> dict[str, str]:
        """The digest's ``logFiles`` entry."""
        return {
            "s3Bucket": self.bucket,
            "s3Object": self.key,
            "hashValue": self.hash_value,
            "hashAlgorithm": HASH_ALGORITHM,
            "newestEventTime": self.newest,
            "oldestEventTime": self.oldest,
        }


@dataclass(frozen=True, slots=True)
class DigestLink:
    """The last digest of a chain: what the next digest points back to."""

    bucket: str
    key: str
    signature: str
    hash_value: str
    end: datetime


def digest_key(trail: TrailConfig, region: str, account_id: str, end: datetime) -> str:
    """``[prefix/]AWSLogs/ACCT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCT_CloudTrail-Digest_REGION_TRAIL_REGION_TS``."""
    folder = f"AWSLogs/{account_id}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
    name = f"{account_id}_CloudTrail-Digest_{region}_{trail.name}_{region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    return (f"{trail.key_prefix}/" if trail.key_prefix else "") + folder + name


class DigestWriter:
    """Writes the digest files of trails with log file validation on, one chain per trail and region."""

    def __init__(self, keys: SigningKeys) -> None:
        self.keys = keys
        self.chains: dict[tuple[str, str], DigestLink] = {}

    def write(
        self,
        s3: Any,
        trail: TrailConfig,
        region: str,
        account_id: str,
        files: Iterable[LogFileEntry],
        now: datetime,
        first_delivery: datetime,
    ) -> str:
        """Sign and put one digest covering ``files``; return its key.

        The digest starts where the previous one of the chain ended (or at the first delivery) and ends now,
        a second after the previous end at least, so keys never collide.
        """
        previous = self.chains.get((trail.arn, region))
        start = previous.end if previous else first_delivery
        end = max(now, start + timedelta(seconds=1))
        key = digest_key(trail, region, account_id, end)
        entries = list(files)
        newest = max((e.newest for e in entries), default=None)
        oldest = min((e.oldest for e in entries), default=None)
        region_key = self.keys.for_region(region)
        body: dict[str, Any] = {
            "awsAccountId": account_id,
            "digestStartTime": format_time(start),
            "digestEndTime": format_time(end),
            "digestS3Bucket": trail.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": region_key.fingerprint,
            "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
            "newestEventTime": newest,
            "oldestEventTime": oldest,
            "previousDigestS3Bucket": previous.bucket if previous else None,
            "previousDigestS3Object": previous.key if previous else None,
            "previousDigestHashValue": previous.hash_value if previous else None,
            "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
            "previousDigestSignature": previous.signature if previous else None,
            "logFiles": [e.to_digest() for e in entries],
        }
        content = json.dumps(body).encode()
        signature = region_key.private_key.sign(
            string_to_sign(body["digestEndTime"], trail.bucket, key, content, body["previousDigestSignature"]),
            padding.PKCS1v15(),
            hashes.SHA256(),
        ).hex()
        kwargs: dict[str, Any] = {
            "Bucket": trail.bucket,
            "Key": key,
            "Body": gzip.compress(content),
            "ContentType": "application/json",
            "ACL": "bucket-owner-full-control",
            # The signature travels as object metadata: x-amz-meta-signature.
            "Metadata": {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM},
        }
        if trail.kms_key_id:
            kwargs.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=trail.kms_key_id)
        s3.put_object(**kwargs)
        self.chains[(trail.arn, region)] = DigestLink(trail.bucket, key, signature, sha256_hex(content), end)
        return key


class FileState(StrEnum):
    """What validation found for one file."""

    VALID = "valid"
    MODIFIED = "modified"
    DELETED = "deleted"
    MISSING = "missing"
    BROKEN_CHAIN = "broken chain"
    MOVED = "moved"
    UNCOVERED = "not covered by a digest"


@dataclass(frozen=True, slots=True)
class FileResult:
    """One log or digest file and what validation found."""

    kind: str
    bucket: str
    key: str
    state: FileState
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True for a valid file (a file no digest covers is not a failure, as validate-logs ignores it)."""
        return self.state in (FileState.VALID, FileState.UNCOVERED)

    def render(self) -> str:
        """``Log file s3://b/k INVALID: hash value doesn't match`` in validate-logs' words."""
        label = "Digest file" if self.kind == "digest" else "Log file"
        verdict = "valid" if self.state is FileState.VALID else f"INVALID: {self.detail or self.state.value}"
        if self.state is FileState.UNCOVERED:
            verdict = "not validated: no digest file lists it"
        return f"{label}\ts3://{self.bucket}/{self.key}\t{verdict}"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of validating a trail's log files, like ``aws cloudtrail validate-logs --verbose``."""

    trail_arn: str
    validation_enabled: bool
    digests: tuple[FileResult, ...]
    logs: tuple[FileResult, ...]

    @property
    def ok(self) -> bool:
        """True when validation is on, at least one digest was found, and every file is valid."""
        return self.validation_enabled and bool(self.digests) and all(f.ok for f in (*self.digests, *self.logs))

    def failures(self) -> tuple[FileResult, ...]:
        """The files that did not validate."""
        return tuple(f for f in (*self.digests, *self.logs) if not f.ok)

    def with_state(self, state: FileState, kind: str | None = None) -> tuple[FileResult, ...]:
        """The files found in ``state`` (of one kind, ``log`` or ``digest``, when given)."""
        return tuple(f for f in (*self.digests, *self.logs) if f.state is state and kind in (None, f.kind))

    def render(self) -> str:
        """A validate-logs style summary and one line per file that did not validate."""
        if not self.validation_enabled:
            return f"Trail {self.trail_arn}: log file validation is not enabled; no digest files to validate"
        valid_digests = sum(1 for d in self.digests if d.state is FileState.VALID)
        covered = [f for f in self.logs if f.state is not FileState.UNCOVERED]
        valid_logs = sum(1 for f in covered if f.state is FileState.VALID)
        lines = [
            f"Validating log files for trail {self.trail_arn}",
            f"{valid_digests}/{len(self.digests)} digest files valid",
            f"{valid_logs}/{len(covered)} log files valid",
        ]
        lines.extend(f.render() for f in (*self.digests, *self.logs) if f.state is not FileState.VALID)
        return "\n".join(lines)


def _get(s3: Any, bucket: str, key: str) -> tuple[bytes, dict[str, str]] | None:
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return obj["Body"].read(), dict(obj.get("Metadata", {}))


def _inflate(data: bytes) -> bytes | None:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError):
        return None


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def validate_logs(
    s3: Any,
    keys: SigningKeys,
    trail: TrailConfig,
    account_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ValidationReport:
    """Validate a trail's digest chain and every log file its digests list, as ``validate-logs`` does.

    Digest files are checked for their signature (with the public key their fingerprint names), their own
    location, and their link to the previous digest (its signature and hash); a digest the chain points to
    that is gone is MISSING. Each listed log file is DELETED when gone and MODIFIED when its hash differs.
    Log files under the trail's prefix that no digest lists are reported as not covered.

    Args:
        s3: an S3 client able to read the trail bucket.
        keys: the signing keys the digests were signed with.
        trail: the trail, as read back from the backend.
        account_id: the trail's account.
        start: validate digests ending at or after this time (all when None).
        end: ... and at or before this time (all when None).

    Returns:
        The report.
    """
    prefix = f"{trail.key_prefix}/" if trail.key_prefix else ""
    # Several trails may share a bucket: a digest names its trail between two region names.
    own = re.compile(
        rf"{account_id}_CloudTrail-Digest_[a-z0-9-]+_{re.escape(trail.name)}_[a-z0-9-]+_\d{{8}}T\d{{6}}Z\.json\.gz"
    )
    digest_keys = [
        k
        for k in _list_keys(s3, trail.bucket, f"{prefix}AWSLogs/{account_id}/CloudTrail-Digest/")
        if own.fullmatch(k.rsplit("/", 1)[-1])
    ]
    parsed: dict[str, tuple[dict[str, Any], bytes, str]] = {}
    digest_results: list[FileResult] = []
    listed_logs: dict[str, LogFileEntry] = {}
    for key in sorted(digest_keys):
        fetched = _get(s3, trail.bucket, key)
        if fetched is None:
            continue
        raw, metadata = fetched
        content = _inflate(raw)
        body: dict[str, Any] | None = None
        if content is not None:
            try:
                loaded = json.loads(content)
                body = loaded if isinstance(loaded, dict) else None
            except ValueError:
                body = None
        if body is None or content is None:
            digest_results.append(FileResult("digest", trail.bucket, key, FileState.MODIFIED, "unreadable"))
            continue
        if not in_window(parse_time(str(body.get("digestEndTime"))), start, end):
            continue
        parsed[key] = (body, content, metadata.get("signature", ""))
    for key, (body, content, signature) in parsed.items():
        state, detail = _check_digest(keys, trail.bucket, key, body, content, signature)
        if state is FileState.VALID:
            state, detail = _check_link(s3, trail.bucket, body, parsed, digest_results)
        digest_results.append(FileResult("digest", trail.bucket, key, state, detail))
        for entry in body.get("logFiles", []):
            listed_logs[entry["s3Object"]] = LogFileEntry(
                entry["s3Bucket"],
                entry["s3Object"],
                entry["hashValue"],
                entry.get("oldestEventTime", ""),
                entry.get("newestEventTime", ""),
            )
    log_results: list[FileResult] = []
    for key, entry in sorted(listed_logs.items()):
        fetched = _get(s3, entry.bucket, key)
        if fetched is None:
            log_results.append(FileResult("log", entry.bucket, key, FileState.DELETED, "not found"))
            continue
        content = _inflate(fetched[0])
        if content is None or sha256_hex(content) != entry.hash_value:
            log_results.append(FileResult("log", entry.bucket, key, FileState.MODIFIED, "hash value doesn't match"))
        else:
            log_results.append(FileResult("log", entry.bucket, key, FileState.VALID))
    for key in _list_keys(s3, trail.bucket, f"{prefix}AWSLogs/{account_id}/CloudTrail/"):
        if key not in listed_logs:
            log_results.append(FileResult("log", trail.bucket, key, FileState.UNCOVERED))
    return ValidationReport(trail.arn, trail.validation or bool(parsed), tuple(digest_results), tuple(log_results))


def _check_digest(
    keys: SigningKeys, bucket: str, key: str, body: dict[str, Any], content: bytes, signature: str
) -> tuple[FileState, str]:
    if body.get("digestS3Object") != key or body.get("digestS3Bucket") != bucket:
        return FileState.MOVED, "has been moved from its original location"
    public = keys.public_key(str(body.get("digestPublicKeyFingerprint", "")))
    if public is None:
        return FileState.MODIFIED, "public key not found for fingerprint"
    if not signature:
        return FileState.MODIFIED, "signature metadata is missing"
    try:
        public.verify(
            bytes.fromhex(signature),
            string_to_sign(str(body.get("digestEndTime")), bucket, key, content, body.get("previousDigestSignature")),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return FileState.MODIFIED, "signature verification failed"
    return FileState.VALID, ""


def _check_link(
    s3: Any,
    bucket: str,
    body: dict[str, Any],
    parsed: dict[str, tuple[dict[str, Any], bytes, str]],
    results: list[FileResult],
) -> tuple[FileState, str]:
    previous_key = body.get("previousDigestS3Object")
    if not previous_key:
        return FileState.VALID, ""
    previous_bucket = str(body.get("previousDigestS3Bucket") or bucket)
    found = parsed.get(previous_key)
    if found is None:
        fetched = _get(s3, previous_bucket, previous_key)
        if fetched is None:
            if not any(r.key == previous_key for r in results):
                results.append(FileResult("digest", previous_bucket, previous_key, FileState.MISSING, "not found"))
            return FileState.BROKEN_CHAIN, f"previous digest {previous_key} not found"
        content = _inflate(fetched[0]) or b""
        previous_signature = fetched[1].get("signature", "")
    else:
        _, content, previous_signature = found
    if body.get("previousDigestSignature") != previous_signature:
        return FileState.BROKEN_CHAIN, "previous digest signature does not match"
    if body.get("previousDigestHashValue") != sha256_hex(content):
        return FileState.BROKEN_CHAIN, "previous digest hash does not match"
    return FileState.VALID, ""
