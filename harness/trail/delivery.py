"""Delivery: recorded events to each logging trail's S3 bucket (gzipped JSON) and CloudWatch Logs group."""

from __future__ import annotations

import gzip
import json
import random
import string
import threading
from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.backends.base import Backend
from harness.backends.moto_bucket_policy import delegate
from harness.iam import AuthorizationRequest, PolicySet, evaluate
from harness.iam.evaluator import resource_policy_judge
from harness.provider.base import error_code
from harness.trail.config import Clock, TrailConfig
from harness.trail.integrity import DigestWriter, LogFileEntry, SigningKeys, sha256_hex
from harness.trail.recorder import TrailRecorder
from harness.trail.records import parse_time

CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"
BATCH_WINDOW = timedelta(minutes=5)
DIGEST_INTERVAL = timedelta(hours=1)
_NAME_CHARS = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    """One log file put into a trail bucket."""

    trail_arn: str
    bucket: str
    key: str
    records: int
    hash_value: str


@dataclass(slots=True)
class DeliveryStatus:
    """What delivery knows about one trail beyond GetTrailStatus (which the emulator does not keep).

    ``latest_delivery_error`` is the S3 error CloudTrail met last (``AccessDenied``, ``NoSuchBucket``), as
    GetTrailStatus's LatestDeliveryError reports it; ``latest_delivery_reason`` explains it.
    """

    latest_delivery_error: str = ""
    latest_delivery_reason: str = ""
    latest_delivery_time: datetime | None = None
    latest_cloudwatch_logs_error: str = ""
    latest_cloudwatch_logs_reason: str = ""
    latest_digest_time: datetime | None = None
    delivered: list[DeliveredFile] = field(default_factory=list)
    lost_records: int = 0


def log_file_key(trail: TrailConfig, region: str, account_id: str, when: datetime, unique: str) -> str:
    """``[prefix/]AWSLogs/ACCT/CloudTrail/REGION/YYYY/MM/DD/ACCT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz``."""
    folder = f"AWSLogs/{account_id}/CloudTrail/{region}/{when:%Y/%m/%d}/"
    name = f"{account_id}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{unique}.json.gz"
    return (f"{trail.key_prefix}/" if trail.key_prefix else "") + folder + name


def log_stream_name(account_id: str, region: str) -> str:
    """The CloudWatch Logs stream CloudTrail writes to: ``ACCT_CloudTrail_REGION``."""
    return f"{account_id}_CloudTrail_{region}"


@dataclass(frozen=True, slots=True)
class DeliveryVerdict:
    """Whether CloudTrail may deliver (to a bucket, or through a Logs role), and why not."""

    allowed: bool
    error: str
    reason: str


def delivery_context(backend: Backend, trail: TrailConfig) -> dict[str, str]:
    """What CloudTrail's requests to the trail bucket carry: the trail as ``aws:SourceArn``, its account, TLS and
    the ACL ``bucket-owner-full-control`` it writes with."""
    return {
        "aws:SourceArn": trail.arn,
        "aws:SourceAccount": backend.account_id,
        "aws:SecureTransport": "true",
        "s3:x-amz-acl": "bucket-owner-full-control",
    }


def bucket_allows_delivery(backend: Backend, trail: TrailConfig, key: str) -> DeliveryVerdict:
    """Evaluate the trail bucket's policy, read back from the backend, for CloudTrail's own requests.

    CloudTrail checks the bucket ACL (s3:GetBucketAcl on the bucket) and writes with
    s3:PutObject on the object, the ACL ``bucket-owner-full-control`` and ``aws:SourceArn`` = the trail ARN.
    A service principal has no identity policies, so only the bucket policy can allow it.
    """
    s3 = backend.client("s3")
    try:
        policy: Any = s3.get_bucket_policy(Bucket=trail.bucket)["Policy"]
    except Exception as exc:
        code = error_code(exc)
        if code in ("NoSuchBucket", "404"):
            return DeliveryVerdict(False, "NoSuchBucket", f"bucket '{trail.bucket}' does not exist")
        if code != "NoSuchBucketPolicy":
            raise
        return DeliveryVerdict(
            False,
            "AccessDenied",
            f"bucket '{trail.bucket}' has no bucket policy, so {CLOUDTRAIL_PRINCIPAL} may not write to it",
        )
    policies = PolicySet.compile(resource_policy=policy)
    context = delivery_context(backend, trail)
    checks = (
        ("s3:GetBucketAcl", f"arn:aws:s3:::{trail.bucket}"),
        ("s3:PutObject", f"arn:aws:s3:::{trail.bucket}/{key}"),
    )
    for action, resource in checks:
        request = AuthorizationRequest.create(
            CLOUDTRAIL_PRINCIPAL, action, resource, context, resource_account=backend.account_id
        )
        decision = evaluate(request, policies)
        if not decision.allowed:
            return DeliveryVerdict(
                False,
                "AccessDenied",
                f"the policy of bucket '{trail.bucket}' does not allow {CLOUDTRAIL_PRINCIPAL} {action} on "
                f"{resource} ({decision.decision}: {decision.reason})",
            )
    return DeliveryVerdict(True, "", "")


def key_allows_encryption(backend: Backend, trail: TrailConfig) -> DeliveryVerdict:
    """Evaluate the trail's KMS key policy, read back, for CloudTrail's kms:GenerateDataKey on each log file.

    CloudTrail asks with the encryption context ``aws:cloudtrail:arn`` = the trail ARN; a key policy that does
    not allow cloudtrail.amazonaws.com leaves the trail with nothing delivered.
    """
    if not trail.kms_key_id:
        return DeliveryVerdict(True, "", "")
    kms = backend.client("kms")
    try:
        key_arn = str(kms.describe_key(KeyId=trail.kms_key_id)["KeyMetadata"]["Arn"])
        policy = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    except Exception as exc:
        if error_code(exc) not in ("NotFoundException", "InvalidArnException"):
            raise
        return DeliveryVerdict(False, "KMS.NotFoundException", f"KMS key {trail.kms_key_id} does not exist")
    context = {
        "aws:SourceArn": trail.arn,
        "aws:SourceAccount": backend.account_id,
        "aws:SecureTransport": "true",
        "kms:EncryptionContext:aws:cloudtrail:arn": trail.arn,
    }
    request = AuthorizationRequest.create(
        CLOUDTRAIL_PRINCIPAL, "kms:GenerateDataKey", key_arn, context, resource_account=backend.account_id
    )
    decision = evaluate(request, PolicySet.compile(resource_policy=policy))
    if decision.allowed:
        return DeliveryVerdict(True, "", "")
    return DeliveryVerdict(
        False,
        "KMS.AccessDeniedException",
        f"the policy of KMS key {key_arn} does not allow {CLOUDTRAIL_PRINCIPAL} kms:GenerateDataKey "
        f"({decision.decision}: {decision.reason})",
    )


def _role_policies(iam: Any, role_name: str) -> tuple[Any, list[Any], Any]:
    """A role's trust policy, identity policies (inline and attached) and boundary, read back from IAM."""
    role = iam.get_role(RoleName=role_name)["Role"]
    documents: list[Any] = [
        iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    ]

    def managed(arn: str) -> Any:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

    documents.extend(
        managed(p["PolicyArn"]) for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    )
    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return role["AssumeRolePolicyDocument"], documents, managed(boundary_arn) if boundary_arn else None


def role_allows_logs_delivery(backend: Backend, trail: TrailConfig, region: str, stream: str) -> DeliveryVerdict:
    """Evaluate the trail's CloudWatch Logs role, read back from IAM, for what CloudTrail does with it.

    CloudTrail assumes the role (its trust policy must let cloudtrail.amazonaws.com call sts:AssumeRole) and
    then creates the stream and puts events with the role's permissions.
    """
    role_name = trail.role_arn.rsplit("/", 1)[-1]
    if not role_name:
        return DeliveryVerdict(False, "InvalidCloudWatchLogsRoleArn", "the trail names no role for CloudWatch Logs")
    iam = backend.client("iam")
    try:
        trust, identity_policies, boundary = _role_policies(iam, role_name)
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return DeliveryVerdict(False, "InvalidCloudWatchLogsRoleArn", f"role {trail.role_arn} does not exist")
    context = {"aws:SourceArn": trail.arn, "aws:SourceAccount": backend.account_id, "aws:SecureTransport": "true"}
    assume = AuthorizationRequest.create(
        CLOUDTRAIL_PRINCIPAL, "sts:AssumeRole", trail.role_arn, context, resource_account=backend.account_id
    )
    decision = evaluate(assume, PolicySet.compile(resource_policy=trust))
    if not decision.allowed:
        return DeliveryVerdict(
            False,
            "AccessDenied",
            f"the trust policy of role {trail.role_arn} does not let {CLOUDTRAIL_PRINCIPAL} assume it "
            f"({decision.decision}: {decision.reason})",
        )
    session = f"arn:aws:sts::{backend.account_id}:assumed-role/{role_name}/CloudTrail"
    policies = PolicySet.compile(identity_policies=identity_policies, permissions_boundary=boundary)
    group_arn = f"arn:aws:logs:{region}:{backend.account_id}:log-group:{trail.log_group_name}"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        request = AuthorizationRequest.create(session, action, f"{group_arn}:log-stream:{stream}")
        decision = evaluate(request, policies)
        if not decision.allowed:
            return DeliveryVerdict(
                False,
                "AccessDenied",
                f"role {trail.role_arn} may not {action} on {group_arn} ({decision.decision}: {decision.reason})",
            )
    return DeliveryVerdict(True, "", "")


class TrailDelivery:
    """Delivers what the recorder queued, trail by trail, batched on the clock.

    ``tick()`` delivers the batches whose five-minute window has closed, as CloudTrail does; ``flush()``
    delivers everything now (what steps call before reading a trail back). Trails with log file validation
    get a signed digest after each delivery.

    Args:
        backend: where buckets and log groups live.
        recorder: the queues to empty.
        clock: names log files and decides which batches are due.
        keys: digest signing keys (a new set when None).
        seed: makes the random part of log file names reproducible.
    """

    def __init__(
        self,
        backend: Backend,
        recorder: TrailRecorder,
        clock: Clock,
        keys: SigningKeys | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        self.backend = backend
        self.recorder = recorder
        self.clock = clock
        self.keys = keys or SigningKeys()
        self.digests = DigestWriter(self.keys)
        self.statuses: dict[str, DeliveryStatus] = defaultdict(DeliveryStatus)
        self._undigested: dict[tuple[str, str], list[LogFileEntry]] = defaultdict(list)
        self._first_delivery: dict[tuple[str, str], datetime] = {}
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def status(self, trail_arn: str) -> DeliveryStatus:
        """What delivery knows about a trail (errors, files delivered)."""
        return self.statuses[trail_arn]

    def tick(self) -> list[DeliveredFile]:
        """Deliver the queued records whose batch window (five minutes by the clock) has closed.

        A digest chain that has gone an hour without a digest gets one, empty when nothing was delivered, as
        CloudTrail writes a digest every hour while validation is on.
        """
        due = [
            arn
            for arn, records in self.recorder.queued().items()
            if self.clock.now() - parse_time(records[0]["eventTime"]) >= BATCH_WINDOW
        ]
        delivered = self._deliver(due)
        self._hourly_digests()
        return delivered

    def _hourly_digests(self) -> None:
        now = self.clock.now()
        stale = [key for key, link in self.digests.chains.items() if now - link.end >= DIGEST_INTERVAL]
        if not stale:
            return
        with self._lock, self.recorder.suspended():
            trails = self.recorder.refresh()
            s3 = self.backend.client("s3")
            for arn, region in stale:
                trail = trails.get(arn)
                if trail is None or not trail.validation or not trail.logging:
                    continue
                entries = self._undigested.pop((arn, region), [])
                with self._as_cloudtrail(trail):
                    self.digests.write(
                        s3, trail, region, self.backend.account_id, entries, now, self._first_delivery[(arn, region)]
                    )
                self.statuses[arn].latest_digest_time = now

    def flush(self) -> list[DeliveredFile]:
        """Deliver every queued record now, whatever its age."""
        return self._deliver(list(self.recorder.queued()))

    def _deliver(self, arns: list[str]) -> list[DeliveredFile]:
        delivered: list[DeliveredFile] = []
        with self._lock, self.recorder.suspended():
            trails = self.recorder.refresh()
            for arn in arns:
                records = self.recorder.take(arn)
                trail = trails.get(arn)
                if trail is None:
                    # The trail was deleted before its batch went out: those events are lost, as in AWS.
                    self.statuses[arn].lost_records += len(records)
                    continue
                with self._as_cloudtrail(trail):
                    delivered.extend(self._deliver_trail(trail, records))
        return delivered

    def _as_cloudtrail(self, trail: TrailConfig) -> AbstractContextManager[None]:
        """Make the harness's writes to the trail bucket CloudTrail's as far as the bucket policy can tell.

        The emulator's own bucket-policy check would judge them as a caller without context (moto refuses them
        under any conditional statement, ``aws:SecureTransport`` included); CloudTrail's requests carry the trail's
        ARN and account and come over TLS, and the bucket policy is evaluated for them as AWS does.
        """
        prefix = (f"{trail.key_prefix}/" if trail.key_prefix else "") + f"AWSLogs/{self.backend.account_id}/"
        judge = resource_policy_judge(CLOUDTRAIL_PRINCIPAL, delivery_context(self.backend, trail))
        return delegate(self.backend.name, trail.bucket, prefix, judge)

    def _deliver_trail(self, trail: TrailConfig, records: list[dict[str, Any]]) -> list[DeliveredFile]:
        status = self.statuses[trail.arn]
        account = self.backend.account_id
        now = self.clock.now()
        by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_region[str(record["awsRegion"])].append(record)
        delivered: list[DeliveredFile] = []
        s3 = self.backend.client("s3")
        for region, batch in sorted(by_region.items()):
            unique = "".join(self._rng.choice(_NAME_CHARS) for _ in range(16))
            key = log_file_key(trail, region, account, now, unique)
            verdict = bucket_allows_delivery(self.backend, trail, key)
            if verdict.allowed:
                verdict = key_allows_encryption(self.backend, trail)
            if not verdict.allowed:
                status.latest_delivery_error = verdict.error
                status.latest_delivery_reason = verdict.reason
                status.lost_records += len(batch)
                continue
            content = json.dumps({"Records": batch}).encode()
            kwargs: dict[str, Any] = {
                "Bucket": trail.bucket,
                "Key": key,
                "Body": gzip.compress(content),
                "ContentType": "application/json",
                "ACL": "bucket-owner-full-control",
            }
            if trail.kms_key_id:
                kwargs.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=trail.kms_key_id)
            s3.put_object(**kwargs)
            digest = sha256_hex(content)
            file = DeliveredFile(trail.arn, trail.bucket, key, len(batch), digest)
            delivered.append(file)
            status.delivered.append(file)
            status.latest_delivery_error = ""
            status.latest_delivery_reason = ""
            status.latest_delivery_time = now
            times = [str(r["eventTime"]) for r in batch]
            self._undigested[(trail.arn, region)].append(
                LogFileEntry(trail.bucket, key, digest, min(times), max(times))
            )
            self._first_delivery.setdefault((trail.arn, region), now)
            self._to_cloudwatch(trail, region, batch)
        if trail.validation:
            for (arn, region), entries in list(self._undigested.items()):
                if arn != trail.arn or not entries:
                    continue
                self.digests.write(s3, trail, region, account, entries, now, self._first_delivery[(arn, region)])
                status.latest_digest_time = now
                self._undigested[(arn, region)] = []
        return delivered

    def _to_cloudwatch(self, trail: TrailConfig, region: str, batch: list[dict[str, Any]]) -> None:
        if not trail.log_group_name:
            return
        logs = self.backend.client("logs")
        stream = log_stream_name(self.backend.account_id, region)
        verdict = role_allows_logs_delivery(self.backend, trail, region, stream)
        if not verdict.allowed:
            self.statuses[trail.arn].latest_cloudwatch_logs_error = verdict.error
            self.statuses[trail.arn].latest_cloudwatch_logs_reason = verdict.reason
            return
        try:
            try:
                logs.create_log_stream(logGroupName=trail.log_group_name, logStreamName=stream)
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            events = sorted(
                (
                    {"timestamp": int(parse_time(r["eventTime"]).timestamp() * 1000), "message": json.dumps(r)}
                    for r in batch
                ),
                key=lambda e: int(str(e["timestamp"])),
            )
            logs.put_log_events(logGroupName=trail.log_group_name, logStreamName=stream, logEvents=events)
            self.statuses[trail.arn].latest_cloudwatch_logs_error = ""
            self.statuses[trail.arn].latest_cloudwatch_logs_reason = ""
        except Exception as exc:
            code = error_code(exc)
            if not code:
                raise
            self.statuses[trail.arn].latest_cloudwatch_logs_error = code
