"""S3 server access logging as the emulators lack it: a record of every request on a bucket that has logging on,
in S3's documented log format, delivered to the target bucket as logging.s3.amazonaws.com under that bucket's
policy and ACL.

Every call made through the backend's clients while a deployment is observed is a request S3 would log (the
harness's own reads and deliveries are not: they run while the CloudTrail recorder is suspended). Records are
batched per source bucket and delivered on :meth:`ServerAccessLogging.deliver`, one log object per batch, named as
the bucket's key format says. A target bucket that does not let the logging service write gets nothing, as in AWS,
and the loss is kept in :attr:`ServerAccessLogging.lost`.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import string
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import quote

from harness.backends.base import Backend, CallEvent, Identity
from harness.backends.moto_bucket_policy import delegate
from harness.iam import AuthorizationRequest, PolicySet, evaluate
from harness.iam.evaluator import resource_policy_judge
from harness.iam.s3_acl import LOG_DELIVERY_PRINCIPAL, acl_statements
from harness.provider.base import error_code
from harness.provider.resources.s3_bucket import key_format_of, read_grants, read_ownership
from harness.trail.config import Clock
from harness.trail.recorder import TrailRecorder

_UNIQUE = string.ascii_uppercase + string.digits

# Operation names of the log, as S3 documents them (REST.<HTTP method>.<resource type>); others are derived from
# the API operation's name (GetBucketCors -> REST.GET.CORS).
_OPERATIONS: dict[str, str] = {
    "GetObject": "REST.GET.OBJECT",
    "PutObject": "REST.PUT.OBJECT",
    "DeleteObject": "REST.DELETE.OBJECT",
    "HeadObject": "REST.HEAD.OBJECT",
    "CopyObject": "REST.COPY.OBJECT",
    "ListObjects": "REST.GET.BUCKET",
    "ListObjectsV2": "REST.GET.BUCKET",
    "ListObjectVersions": "REST.GET.BUCKETVERSIONS",
    "HeadBucket": "REST.HEAD.BUCKET",
    "CreateBucket": "REST.PUT.BUCKET",
    "DeleteBucket": "REST.DELETE.BUCKET",
    "DeleteObjects": "REST.POST.MULTI_OBJECT_DELETE",
    "GetBucketAcl": "REST.GET.ACL",
    "PutBucketAcl": "REST.PUT.ACL",
    "GetObjectAcl": "REST.GET.ACL",
    "PutObjectAcl": "REST.PUT.ACL",
    "GetBucketPolicy": "REST.GET.BUCKETPOLICY",
    "PutBucketPolicy": "REST.PUT.BUCKETPOLICY",
    "DeleteBucketPolicy": "REST.DELETE.BUCKETPOLICY",
    "GetBucketVersioning": "REST.GET.VERSIONING",
    "PutBucketVersioning": "REST.PUT.VERSIONING",
    "GetBucketLogging": "REST.GET.LOGGING_STATUS",
    "PutBucketLogging": "REST.PUT.LOGGING_STATUS",
    "GetBucketLocation": "REST.GET.LOCATION",
    "GetBucketNotificationConfiguration": "REST.GET.NOTIFICATION",
    "PutBucketNotificationConfiguration": "REST.PUT.NOTIFICATION",
    "GetPublicAccessBlock": "REST.GET.PUBLIC_ACCESS_BLOCK",
    "PutPublicAccessBlock": "REST.PUT.PUBLIC_ACCESS_BLOCK",
    "DeletePublicAccessBlock": "REST.DELETE.PUBLIC_ACCESS_BLOCK",
    "CreateMultipartUpload": "REST.POST.UPLOADS",
    "UploadPart": "REST.PUT.PART",
    "CompleteMultipartUpload": "REST.POST.UPLOAD",
    "AbortMultipartUpload": "REST.DELETE.UPLOAD",
    "GetObjectTagging": "REST.GET.OBJECT_TAGGING",
    "PutObjectTagging": "REST.PUT.OBJECT_TAGGING",
    "DeleteObjectTagging": "REST.DELETE.OBJECT_TAGGING",
}
_VERBS = (("Get", "GET"), ("List", "GET"), ("Head", "HEAD"), ("Put", "PUT"), ("Create", "PUT"), ("Delete", "DELETE"))
_SUCCESS = {"DELETE": 204}


def operation_name(operation: str) -> str:
    """The log's operation for an S3 API operation (``REST.GET.OBJECT`` for GetObject)."""
    if operation in _OPERATIONS:
        return _OPERATIONS[operation]
    verb, rest = next(((v, operation[len(p) :]) for p, v in _VERBS if operation.startswith(p)), ("POST", operation))
    rest = rest.removeprefix("Bucket") or "BUCKET"
    return f"REST.{verb}.{re.sub(r'(?<!^)(?=[A-Z])', '_', rest).upper()}"


def http_status(code: str, operation: str, response: Mapping[str, Any] | None) -> int:
    """The HTTP status S3 answered with: the response's own, or the one S3 gives the error code."""
    if not code:
        status = (response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int):
            return status
        return _SUCCESS.get(operation_name(operation).split(".")[1], 200)
    if code in ("AccessDenied", "AllAccessDisabled", "AccountProblem"):
        return 403
    if code.startswith("NoSuch") or code in ("404", "NotFound"):
        return 404
    if code in ("BucketNotEmpty", "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "OperationAborted"):
        return 409
    return 400


@dataclass(frozen=True, slots=True)
class AccessLogRecord:
    """One line of a server access log, field by field as S3 documents them ('-' where a field has no value)."""

    bucket_owner: str
    bucket: str
    time: str
    remote_ip: str
    requester: str
    request_id: str
    operation: str
    key: str
    request_uri: str
    http_status: str
    error_code: str
    bytes_sent: str
    object_size: str
    total_time: str
    turn_around_time: str
    referer: str
    user_agent: str
    version_id: str
    host_id: str
    signature_version: str
    cipher_suite: str
    authentication_type: str
    host_header: str
    tls_version: str
    access_point_arn: str
    acl_required: str

    def line(self) -> str:
        """The record as S3 writes it: space-separated, the time in brackets, three fields quoted."""
        values = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "time":
                value = f"[{value}]"
            elif item.name in ("request_uri", "referer", "user_agent"):
                value = f'"{value}"'
            values.append(value)
        return " ".join(values)

    @classmethod
    def parse(cls, line: str) -> AccessLogRecord:
        """Read one log line back.

        Raises:
            ValueError: when the line does not have the documented fields.
        """
        tokens = re.findall(r'\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+', line.strip())
        names = [f.name for f in fields(cls)]
        if len(tokens) < len(names) - 1:
            raise ValueError(f"an access log line of {len(names)} fields, found {len(tokens)}: {line!r}")
        tokens += ["-"] * (len(names) - len(tokens))
        values = [t[1:-1] if t[:1] in ('"', "[") else t for t in tokens[: len(names)]]
        return cls(*values)

    @property
    def status(self) -> int:
        """The HTTP status as a number."""
        return int(self.http_status)


@dataclass(frozen=True, slots=True)
class LoggingTarget:
    """Where a bucket's access logs go, as the backend holds its logging configuration."""

    bucket: str
    prefix: str
    key_format: str
    owner_id: str


@dataclass(frozen=True, slots=True)
class LostBatch:
    """Records the target bucket did not take, and why (as S3 drops them: silently to the requester)."""

    source: str
    target: str
    records: int
    reason: str


def log_object_key(target: LoggingTarget, bucket: str, account: str, region: str, now: datetime, unique: str) -> str:
    """The key of a log object: ``[prefix]YYYY-mm-DD-HH-MM-SS-UNIQUE`` (simple), or partitioned,
    ``[prefix]ACCOUNT/REGION/BUCKET/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-UNIQUE`` (the event's date or the delivery's:
    one here, as a batch is delivered when it is made)."""
    name = f"{now:%Y-%m-%d-%H-%M-%S}-{unique}"
    if target.key_format == "simple":
        return f"{target.prefix}{name}"
    return f"{target.prefix}{account}/{region}/{bucket}/{now:%Y/%m/%d}/{name}"


def _requester(identity: Identity, owner_id: str) -> str:
    # The account's root shows as its canonical user; an IAM principal by its ARN; a service as svc:<principal>.
    if identity.kind == "Root":
        return owner_id
    if identity.kind == "AWSService":
        return f"svc:{identity.arn}"
    return identity.arn


def _ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "-"
    return value


class ServerAccessLogging:
    """Records the S3 requests made through a backend on buckets with logging on, and delivers them as S3 does.

    Attach it as a call observer (:meth:`attach`); a :class:`harness.acceptance.Deployment` does so while observed.

    Args:
        backend: where the buckets live.
        recorder: the CloudTrail recorder whose suspension marks the harness's own calls (not logged).
        clock: the time of records and log object names.
        seed: makes request ids and log object names reproducible.
    """

    def __init__(self, backend: Backend, recorder: TrailRecorder, clock: Clock, *, seed: int | None = None) -> None:
        self.backend = backend
        self.recorder = recorder
        self.clock = clock
        self.pending: dict[str, list[AccessLogRecord]] = defaultdict(list)
        self.delivered: list[tuple[str, str]] = []  # (target bucket, key) in delivery order
        self.lost: list[LostBatch] = []
        self._targets: dict[str, LoggingTarget | None] = {}
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._attached = False
        self._restore_backend: Any = None

    # -- wiring --------------------------------------------------------------------------------------------
    def attach(self) -> ServerAccessLogging:
        """Record every later S3 call through the backend (and keep the emulator from logging on its own)."""
        if not self._attached:
            self.backend.add_observer(self)
            self._restore_backend = _quiet_emulator_logging(self.backend)
            self._attached = True
        return self

    def detach(self) -> None:
        """Stop recording."""
        if self._attached:
            self.backend.remove_observer(self)
            if self._restore_backend is not None:
                self._restore_backend()
                self._restore_backend = None
            self._attached = False

    # -- recording -----------------------------------------------------------------------------------------
    def after_call(self, event: CallEvent) -> None:
        """Record one call when it is an S3 request on a bucket that logs."""
        bucket = event.params.get("Bucket")
        if event.service != "s3" or not isinstance(bucket, str) or not self.recorder.recording:
            return
        with self._lock:
            if event.operation in ("PutBucketLogging", "DeleteBucket", "CreateBucket", "PutBucketAcl"):
                self._targets.pop(bucket, None)
            target = self.target(bucket)
            if target is None:
                return
            for record in self._records(event, bucket, target):
                self.pending[bucket].append(record)

    def target(self, bucket: str) -> LoggingTarget | None:
        """Where ``bucket`` logs to, read back once (again after a PutBucketLogging); None when it does not log."""
        if bucket not in self._targets:
            self._targets[bucket] = self._read_target(bucket)
        return self._targets[bucket]

    def _read_target(self, bucket: str) -> LoggingTarget | None:
        with self.recorder.suspended():
            s3 = self.backend.client("s3")
            try:
                enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
                owner = str(s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]) if enabled else ""
            except Exception as exc:
                if error_code(exc) in ("NoSuchBucket", "404"):
                    return None
                raise
        if not enabled:
            return None
        return LoggingTarget(
            str(enabled["TargetBucket"]), str(enabled.get("TargetPrefix", "")), key_format_of(enabled), owner
        )

    def _records(self, event: CallEvent, bucket: str, target: LoggingTarget) -> Iterator[AccessLogRecord]:
        params = event.params
        response = event.response or {}
        key = params.get("Key")
        operation = operation_name(event.operation)
        method = operation.split(".")[1] if operation.split(".")[1] != "COPY" else "PUT"
        status = http_status(event.error_code, event.operation, response)
        # S3 request ids are 16 upper-case hexadecimal digits; the emulator's own is kept when it gives one.
        request_id = str(response.get("ResponseMetadata", {}).get("RequestId") or "")
        request_id = request_id or format(self._rng.getrandbits(64), "016X")
        path = f"/{bucket}" + (f"/{quote(str(key))}" if isinstance(key, str) else "")
        size = response.get("ContentLength")
        common: dict[str, str] = {
            "bucket_owner": target.owner_id or "-",
            "bucket": bucket,
            "time": self.clock.now().strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "remote_ip": _ip(event.identity.source_ip),
            "requester": _requester(event.identity, target.owner_id),
            "request_id": request_id,
            "operation": operation,
            "key": quote(str(key)) if isinstance(key, str) else "-",
            "request_uri": f"{method} {path} HTTP/1.1",
            "http_status": str(status),
            "error_code": event.error_code or "-",
            "bytes_sent": str(size) if isinstance(size, int) and size and not event.error_code else "-",
            "object_size": str(size) if isinstance(size, int) and not event.error_code else "-",
            "total_time": "-",
            "turn_around_time": "-",
            "referer": "-",
            "user_agent": "-",
            "version_id": str(params.get("VersionId") or response.get("VersionId") or "-"),
            "host_id": "-",
            "signature_version": "SigV4",
            "cipher_suite": "-",
            "authentication_type": "AuthHeader",
            "host_header": f"{bucket}.s3.{self.backend.region}.amazonaws.com",
            "tls_version": "-",
            "access_point_arn": "-",
            "acl_required": "-",
        }
        yield AccessLogRecord(**common)
        if event.operation == "DeleteObjects" and not event.error_code:
            # S3 logs a multi-object delete once, then each object it deleted.
            for deleted in response.get("Deleted", []):
                name = quote(str(deleted.get("Key", "")))
                yield AccessLogRecord(
                    **{**common, "operation": "BATCH.DELETE.OBJECT", "key": name, "http_status": "204"}
                )

    # -- delivery ------------------------------------------------------------------------------------------
    def deliver(self) -> list[tuple[str, str]]:
        """Deliver every pending record now: one log object per source bucket.

        Returns:
            ``(target bucket, key)`` of each log object written.
        """
        written: list[tuple[str, str]] = []
        with self._lock, self.recorder.suspended():
            batches = {bucket: records for bucket, records in self.pending.items() if records}
            self.pending.clear()
            for bucket, records in batches.items():
                target = self.target(bucket)
                if target is None:
                    self.lost.append(LostBatch(bucket, "", len(records), "the bucket no longer logs"))
                    continue
                key = self._key(bucket, target)
                refused = self._refused(bucket, target, key)
                if refused:
                    self.lost.append(LostBatch(bucket, target.bucket, len(records), refused))
                    continue
                body = "".join(record.line() + "\n" for record in records).encode()
                # The write is the logging service's, as far as the target bucket's policy can tell.
                judge = resource_policy_judge(LOG_DELIVERY_PRINCIPAL, self._context(bucket))
                with delegate(self.backend.name, target.bucket, key, judge):
                    self.backend.client("s3").put_object(Bucket=target.bucket, Key=key, Body=body)
                written.append((target.bucket, key))
        self.delivered.extend(written)
        return written

    def _key(self, bucket: str, target: LoggingTarget) -> str:
        unique = "".join(self._rng.choice(_UNIQUE) for _ in range(16))
        return log_object_key(target, bucket, self.backend.account_id, self.backend.region, self.clock.now(), unique)

    def _context(self, bucket: str) -> dict[str, str]:
        """What the logging service's writes for ``bucket`` carry: the source bucket and its account, over TLS."""
        return {
            "aws:SourceArn": f"arn:aws:s3:::{bucket}",
            "aws:SourceAccount": self.backend.account_id,
            "aws:SecureTransport": "true",
        }

    def _refused(self, bucket: str, target: LoggingTarget, key: str) -> str:
        """Why the target bucket would refuse the logging service's PutObject ('' when it accepts it)."""
        s3 = self.backend.client("s3")
        try:
            try:
                policy: Any = s3.get_bucket_policy(Bucket=target.bucket)["Policy"]
            except Exception as exc:
                if error_code(exc) != "NoSuchBucketPolicy":
                    raise
                policy = None
            statements: list[dict[str, Any]] = []
            if read_ownership(s3, target.bucket) != "BucketOwnerEnforced":
                grants = [(g.grantee, g.permission) for g in read_grants(s3.get_bucket_acl(Bucket=target.bucket))]
                statements, _unresolved = acl_statements(target.bucket, grants)
        except Exception as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                return f"target bucket '{target.bucket}' does not exist"
            raise
        if policy is None and not statements:
            return (
                f"target bucket '{target.bucket}' has neither a bucket policy nor an ACL grant that lets "
                f"{LOG_DELIVERY_PRINCIPAL} write"
            )
        document = _combined(policy, statements)
        request = AuthorizationRequest.create(
            LOG_DELIVERY_PRINCIPAL,
            "s3:PutObject",
            f"arn:aws:s3:::{target.bucket}/{key}",
            self._context(bucket),
            resource_account=self.backend.account_id,
        )
        decision = evaluate(request, PolicySet.compile(resource_policy=document))
        if decision.allowed:
            return ""
        return (
            f"the policy and ACL of bucket '{target.bucket}' do not let {LOG_DELIVERY_PRINCIPAL} s3:PutObject "
            f"({decision.decision}: {decision.reason})"
        )

    # -- reading back --------------------------------------------------------------------------------------
    def records(self, bucket: str) -> list[AccessLogRecord]:
        """Every record of requests on ``bucket`` in its target bucket, read back and parsed, oldest object first.

        Delivers what is pending first. A bucket that does not log has none.
        """
        self.deliver()
        target = self.target(bucket)
        if target is None:
            return []
        out: list[AccessLogRecord] = []
        with self.recorder.suspended():
            s3 = self.backend.client("s3")
            keys: list[str] = []
            try:
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
                    keys.extend(o["Key"] for o in page.get("Contents", []))
            except Exception as exc:
                if error_code(exc) != "NoSuchBucket":
                    raise
            order = {key: index for index, (_target, key) in enumerate(self.delivered)}
            for key in sorted(keys, key=lambda k: (order.get(k, len(order)), k)):
                text = s3.get_object(Bucket=target.bucket, Key=key)["Body"].read().decode("utf-8", "replace")
                for line in text.splitlines():
                    if not line.strip():
                        continue
                    try:
                        record = AccessLogRecord.parse(line)
                    except ValueError:
                        continue  # not a log line (something else written under the prefix)
                    if record.bucket == bucket:
                        out.append(record)
        return out


def _combined(policy: Any, statements: list[dict[str, Any]]) -> Any:
    """A bucket policy (JSON text or None) with extra statements beside its own."""
    document = json.loads(policy) if isinstance(policy, str) else (policy or {"Version": "2012-10-17"})
    own = document.get("Statement", [])
    return {**document, "Statement": [*(own if isinstance(own, list) else [own]), *statements]}


# -- the emulator's own logging ------------------------------------------------------------------------------

_QUIET_LOCK = threading.Lock()
_QUIET: dict[str, Any] = {"count": 0, "original": None}


def _quiet_emulator_logging(backend: Backend) -> Any:
    """moto writes an access log object of its own for every request (no requester, status or permission check);
    while the harness logs, moto's are switched off so the target bucket holds only the documented records.

    Returns:
        What undoes it (None when the backend is not moto).
    """
    if backend.name not in ("moto", "moto-server"):
        return None
    try:
        from moto.s3.models import S3Backend
    except ImportError:  # pragma: no cover - moto is a dependency of both backends
        return None
    with _QUIET_LOCK:
        if _QUIET["count"] == 0:
            _QUIET["original"] = S3Backend.log_incoming_request

            def quiet(self: Any, request: Any, bucket_name: str) -> None:
                return None

            S3Backend.log_incoming_request = quiet  # type: ignore[method-assign]
        _QUIET["count"] += 1

    def restore() -> None:
        with _QUIET_LOCK:
            _QUIET["count"] -= 1
            if _QUIET["count"] == 0 and _QUIET["original"] is not None:
                S3Backend.log_incoming_request = _QUIET["original"]  # type: ignore[method-assign]
                _QUIET["original"] = None

    return restore


__all__ = [
    "AccessLogRecord",
    "LoggingTarget",
    "LostBatch",
    "ServerAccessLogging",
    "http_status",
    "log_object_key",
    "operation_name",
]
