"""The CloudTrail the emulators lack: recorder, delivery, digests and event history over one backend."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.backends.base import Backend, CallEvent, Identity, hook_answer
from harness.errors import CheckFailed, InputError
from harness.provider.base import error_code
from harness.trail.config import Clock, TrailConfig
from harness.trail.delivery import DeliveredFile, TrailDelivery, log_stream_name
from harness.trail.integrity import SigningKeys, ValidationReport, validate_logs
from harness.trail.lookup import lookup_events
from harness.trail.recorder import TrailRecorder


class CloudTrailEmulator:
    """Records every call through a backend as CloudTrail would, and delivers it to the trails deployed there.

    Attach it as a call observer (``backend.add_observer(emulator)``); a :class:`harness.acceptance.Deployment`
    does this for every scenario.

    Args:
        backend: the backend whose calls are recorded and whose trails receive them.
        clock: the clock of eventTime, file names and digests (the current time when None).
        keys: digest signing keys (a new set when None).
        seed: makes ids and file names reproducible.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Clock | None = None,
        keys: SigningKeys | None = None,
        seed: int | None = None,
    ) -> None:
        self.backend = backend
        self.clock = clock or Clock()
        self.recorder = TrailRecorder(backend, self.clock, seed=seed)
        self.delivery = TrailDelivery(backend, self.recorder, self.clock, keys, seed=seed)

    @property
    def keys(self) -> SigningKeys:
        """The per-region digest signing keys."""
        return self.delivery.keys

    def after_call(self, event: CallEvent) -> None:
        """Record one call (the backend's observer hook)."""
        self.recorder.after_call(event)

    def before_call(
        self, identity: Identity, service: str, operation: str, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """Backend hook: answer the CloudTrail calls the emulator cannot (LookupEvents, ListPublicKeys).

        Install it after enforcement's hook, so a caller without cloudtrail:LookupEvents is refused first.
        """
        if service != "cloudtrail" or operation not in ("LookupEvents", "ListPublicKeys"):
            return None
        api = params
        metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
        if operation == "ListPublicKeys":
            keys = [
                {
                    "Value": k["Value"],
                    "ValidityStartTime": self.clock.now() - timedelta(days=30),
                    "ValidityEndTime": self.clock.now() + timedelta(days=365),
                    "Fingerprint": k["Fingerprint"],
                }
                for k in self.keys.list_public_keys()
            ]
            return hook_answer(200, {"PublicKeyList": keys, "ResponseMetadata": metadata})
        try:
            found = self.lookup_events(
                api.get("LookupAttributes", []),
                _aware(api.get("StartTime")),
                _aware(api.get("EndTime")),
                int(api.get("MaxResults", 50)),
            )
        except InputError as exc:
            code = (
                "InvalidLookupAttributesException" if "attribute" in exc.where.lower() else "InvalidParameterException"
            )
            metadata["HTTPStatusCode"] = 400
            return hook_answer(400, {"Error": {"Code": code, "Message": exc.message}, "ResponseMetadata": metadata})
        return hook_answer(200, {**found, "ResponseMetadata": metadata})

    def advance(self, delta: timedelta | float) -> list[DeliveredFile]:
        """Move the clock forward and deliver the batches that became due."""
        self.clock.advance(delta)
        return self.delivery.tick()

    def flush(self) -> list[DeliveredFile]:
        """Deliver every queued record now."""
        return self.delivery.flush()

    # -- reading back --------------------------------------------------------------------------------------
    def trail(self, name_or_arn: str) -> TrailConfig:
        """A trail as the backend holds it now.

        Raises:
            CheckFailed: when no such trail exists, listing the trails there are.
        """
        trails = self.recorder.refresh()
        for trail in trails.values():
            if name_or_arn in (trail.name, trail.arn):
                return trail
        raise CheckFailed(
            f"trail '{name_or_arn}': expected it in the backend, found "
            + (", ".join(sorted(t.name for t in trails.values())) or "no trails")
            + "; deploy the definition that declares it"
        )

    def status(self, name_or_arn: str) -> dict[str, Any]:
        """GetTrailStatus as the backend answers it, with the delivery fields only this harness knows.

        ``LatestDeliveryError`` is the S3 error of the last failed delivery (``AccessDenied`` when the bucket
        policy refuses CloudTrail), ``LatestCloudWatchLogsDeliveryError`` likewise for the log group.
        """
        trail = self.trail(name_or_arn)
        with self.recorder.suspended():
            answer = dict(self.backend.client("cloudtrail").get_trail_status(Name=trail.arn))
        answer.pop("ResponseMetadata", None)
        delivery = self.delivery.status(trail.arn)
        if delivery.latest_delivery_error:
            answer["LatestDeliveryError"] = delivery.latest_delivery_error
        if delivery.latest_delivery_time is not None:
            answer["LatestDeliveryTime"] = delivery.latest_delivery_time
        if delivery.latest_cloudwatch_logs_error:
            answer["LatestCloudWatchLogsDeliveryError"] = delivery.latest_cloudwatch_logs_error
        if delivery.latest_digest_time is not None:
            answer["LatestDigestDeliveryTime"] = delivery.latest_digest_time
        return answer

    def bucket_records(self, name_or_arn: str) -> list[dict[str, Any]]:
        """Every record in the trail's log files in its bucket, read back and unzipped, oldest file first."""
        trail = self.trail(name_or_arn)
        prefix = (f"{trail.key_prefix}/" if trail.key_prefix else "") + f"AWSLogs/{self.backend.account_id}/CloudTrail/"
        records: list[dict[str, Any]] = []
        with self.recorder.suspended():
            s3 = self.backend.client("s3")
            for key in self.log_file_keys(name_or_arn):
                if not key.startswith(prefix):
                    continue
                body = s3.get_object(Bucket=trail.bucket, Key=key)["Body"].read()
                records.extend(json.loads(gzip.decompress(body))["Records"])
        return records

    def log_file_keys(self, name_or_arn: str) -> list[str]:
        """Keys of the trail's log files in its bucket, in delivery order (the key carries the time)."""
        trail = self.trail(name_or_arn)
        prefix = (f"{trail.key_prefix}/" if trail.key_prefix else "") + f"AWSLogs/{self.backend.account_id}/CloudTrail/"
        keys: list[str] = []
        with self.recorder.suspended():
            s3 = self.backend.client("s3")
            try:
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=trail.bucket, Prefix=prefix):
                    keys.extend(o["Key"] for o in page.get("Contents", []))
            except Exception as exc:
                if error_code(exc) != "NoSuchBucket":
                    raise
        delivered = [f.key for f in self.delivery.status(trail.arn).delivered]
        return sorted(keys, key=lambda k: (delivered.index(k) if k in delivered else len(delivered), k))

    def log_group_records(self, name_or_arn: str) -> list[dict[str, Any]]:
        """Every record delivered to the trail's CloudWatch Logs group (one log event per record)."""
        trail = self.trail(name_or_arn)
        if not trail.log_group_name:
            return []
        stream = log_stream_name(self.backend.account_id, trail.home_region)
        with self.recorder.suspended():
            logs = self.backend.client("logs")
            try:
                events = logs.get_log_events(
                    logGroupName=trail.log_group_name, logStreamName=stream, startFromHead=True
                )["events"]
            except Exception as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return []
                raise
        return [json.loads(e["message"]) for e in events]

    def validate(
        self, name_or_arn: str, start: datetime | None = None, end: datetime | None = None
    ) -> ValidationReport:
        """Validate the trail's log files and digests (``aws cloudtrail validate-logs``)."""
        trail = self.trail(name_or_arn)
        with self.recorder.suspended():
            return validate_logs(
                self.backend.client("s3"), self.keys, trail, self.backend.account_id, start=start, end=end
            )

    def lookup_events(
        self,
        lookup_attributes: Sequence[Mapping[str, str]] = (),
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        max_results: int = 50,
    ) -> dict[str, Any]:
        """LookupEvents over the management events recorded so far (see :func:`harness.trail.lookup.lookup_events`)."""
        return lookup_events(
            self.recorder.history, self.clock.now(), lookup_attributes, start_time, end_time, max_results
        )


def _aware(value: Any) -> datetime | None:
    """A time parameter as given to boto3 (datetime, ISO text or epoch seconds), in UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
