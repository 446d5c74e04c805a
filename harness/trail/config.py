"""What a deployed trail is configured to do, read back from the backend, and which records it selects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.backends.base import Backend
from harness.provider.base import error_code
from harness.provider.resources.cloudtrail import selectors_summary
from harness.trail.records import GLOBAL_SERVICES


class Clock:
    """A controllable UTC clock: eventTime, log file names and digests read it; tests and steps advance it.

    Args:
        start: the first time it shows (the current time, to the second, when None).
    """

    def __init__(self, start: datetime | None = None) -> None:
        now = start or datetime.now(UTC).replace(microsecond=0)
        if now.tzinfo is None:
            raise ValueError(f"an aware UTC start time, found naive {now!r}; pass tzinfo=UTC")
        self._now = now.astimezone(UTC)

    def now(self) -> datetime:
        """The current time."""
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (seconds or a timedelta) and return the new time.

        Raises:
            ValueError: when asked to move backwards.
        """
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"a clock moving forward, found a step of {step}; clocks here never go back")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"Clock({self._now.isoformat()})"


@dataclass(frozen=True, slots=True)
class TrailConfig:
    """A trail as the backend holds it, with what decides delivery."""

    name: str
    arn: str
    home_region: str
    bucket: str
    key_prefix: str
    log_group_arn: str
    role_arn: str
    kms_key_id: str
    validation: bool
    multi_region: bool
    global_events: bool
    logging: bool
    management: str
    data_prefixes: tuple[str, ...]

    @property
    def log_group_name(self) -> str:
        """The CloudWatch Logs group name from its ARN (``...:log-group:NAME:*``), or ''."""
        if not self.log_group_arn:
            return ""
        name = self.log_group_arn.split(":log-group:", 1)[-1]
        return name[:-2] if name.endswith(":*") else name

    def selects(self, record: Mapping[str, Any]) -> bool:
        """Tell whether this trail's selectors and regions take a record (logging state aside)."""
        region = str(record.get("awsRegion", ""))
        source = str(record.get("eventSource", "")).split(".", 1)[0]
        if source in GLOBAL_SERVICES:
            if not self.global_events:
                return False
        elif not self.multi_region and region != self.home_region:
            return False
        if record.get("managementEvent", True):
            if self.management == "none":
                return False
            if self.management == "ReadOnly":
                return bool(record.get("readOnly"))
            if self.management == "WriteOnly":
                return not record.get("readOnly")
            return True
        for resource in record.get("resources", []) or []:
            arn = str(resource.get("ARN", ""))
            if resource.get("type") == "AWS::S3::Object" and any(arn.startswith(p) for p in self.data_prefixes):
                return True
            # A bucket-level data event (ListObjects) is selected by a prefix naming the whole bucket.
            if resource.get("type") == "AWS::S3::Bucket" and any(
                p.rstrip("/") in (arn, "arn:aws:s3") or p == "arn:aws:s3:::" for p in self.data_prefixes
            ):
                return True
        return False


def read_trails(backend: Backend) -> dict[str, TrailConfig]:
    """Every trail visible in the backend's region, by ARN, with its status and event selectors."""
    cloudtrail = backend.client("cloudtrail")
    found: dict[str, TrailConfig] = {}
    for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
        arn = str(trail["TrailARN"])
        try:
            status = cloudtrail.get_trail_status(Name=arn)
            selectors = cloudtrail.get_event_selectors(TrailName=arn).get("EventSelectors", [])
        except Exception as exc:
            if error_code(exc) == "TrailNotFoundException":
                continue
            raise
        management, prefixes = selectors_summary(selectors)
        found[arn] = TrailConfig(
            name=str(trail["Name"]),
            arn=arn,
            home_region=str(trail.get("HomeRegion") or arn.split(":")[3]),
            bucket=str(trail.get("S3BucketName") or ""),
            key_prefix=str(trail.get("S3KeyPrefix") or ""),
            log_group_arn=str(trail.get("CloudWatchLogsLogGroupArn") or ""),
            role_arn=str(trail.get("CloudWatchLogsRoleArn") or ""),
            kms_key_id=str(trail.get("KmsKeyId") or ""),
            validation=bool(trail.get("LogFileValidationEnabled")),
            multi_region=bool(trail.get("IsMultiRegionTrail")),
            global_events=bool(trail.get("IncludeGlobalServiceEvents")),
            logging=bool(status.get("IsLogging")),
            management=management,
            data_prefixes=tuple(prefixes),
        )
    return found


def in_window(when: datetime, start: datetime | None, end: datetime | None) -> bool:
    """Tell whether ``when`` falls in [start, end] (an open side when None)."""
    return (start is None or when >= start) and (end is None or when <= end)


NINETY_DAYS = timedelta(days=90)
