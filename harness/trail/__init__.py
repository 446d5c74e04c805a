"""CloudTrail as the emulators lack it: records of every call, delivery, signed digests, validation, lookup.

Every :class:`harness.acceptance.Deployment` is recorded by a :class:`CloudTrailEmulator`; scenarios use the
functions of :mod:`harness.trail.audit`::

    scenario.deploy(deployment, definition)
    audit.require_delivery(deployment)              # deliver now; fail when the bucket refuses CloudTrail
    key = audit.tamper_log_file(deployment)
    audit.expect_validation_failure(FileState.MODIFIED, key=key)(deployment)
"""

from __future__ import annotations

from harness.trail.audit import (
    delete_log_file,
    delete_newest_log_file_as,
    deliver,
    expect_logs_valid,
    expect_record,
    expect_validation_failure,
    file_state,
    find_record,
    log_group_records,
    require_delivery,
    session_arn_part,
    tamper_log_file,
    trail_name,
    trail_records,
    trail_resource,
    trail_status,
    validate_logs,
)
from harness.trail.config import Clock, TrailConfig, read_trails
from harness.trail.delivery import DeliveredFile, DeliveryStatus, TrailDelivery, bucket_allows_delivery
from harness.trail.integrity import FileResult, FileState, SigningKeys, ValidationReport
from harness.trail.lookup import lookup_events
from harness.trail.recorder import TrailRecorder
from harness.trail.records import EVENT_VERSION, build_record
from harness.trail.service import CloudTrailEmulator

__all__ = [
    "EVENT_VERSION",
    "Clock",
    "CloudTrailEmulator",
    "DeliveredFile",
    "DeliveryStatus",
    "FileResult",
    "FileState",
    "SigningKeys",
    "TrailConfig",
    "TrailDelivery",
    "TrailRecorder",
    "ValidationReport",
    "bucket_allows_delivery",
    "build_record",
    "delete_log_file",
    "delete_newest_log_file_as",
    "deliver",
    "expect_logs_valid",
    "expect_record",
    "expect_validation_failure",
    "file_state",
    "find_record",
    "log_group_records",
    "lookup_events",
    "read_trails",
    "require_delivery",
    "session_arn_part",
    "tamper_log_file",
    "trail_name",
    "trail_records",
    "trail_resource",
    "trail_status",
    "validate_logs",
]
