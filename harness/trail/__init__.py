"""CloudTrail as the emulators lack it: records of every call, delivery, signed digests, validation, lookup.

Every :class:`harness.acceptance.Deployment` is recorded by a :class:`CloudTrailEmulator` (and, for buckets that
have server access logging on, by :class:`ServerAccessLogging`); scenarios use the functions of
:mod:`harness.trail.audit` and :mod:`harness.trail.tamper`::

    scenario.deploy(deployment, definition)
    audit.require_delivery(deployment)              # deliver now; fail when the bucket refuses CloudTrail
    change = tamper.rewrite_log_file(deployment)    # as an administrator of the account; a policy may refuse it
    tamper.expect_tampering_reported(change, FileState.MODIFIED)(deployment)  # refused, or reported by validation
    attempt = audit.delete_newest_log_file_as(deployment, "build")
    audit.expect_trail_access_logged(attempt, "build")(deployment)  # in the trail bucket's access log, as S3 logs it
"""

from __future__ import annotations

from harness.trail.access_logs import AccessLogRecord, ServerAccessLogging
from harness.trail.audit import (
    access_log_records,
    bucket_name,
    delete_newest_log_file_as,
    deliver,
    expect_access_logged,
    expect_logs_valid,
    expect_record,
    expect_trail_access_logged,
    expect_validation_failure,
    file_state,
    find_access_log_record,
    find_record,
    log_group_records,
    require_delivery,
    session_arn_part,
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
from harness.trail.tamper import (
    Tampering,
    account_administrator,
    delete_log_file,
    expect_tampering_reported,
    rewrite_log_file,
)

__all__ = [
    "EVENT_VERSION",
    "AccessLogRecord",
    "Clock",
    "CloudTrailEmulator",
    "DeliveredFile",
    "DeliveryStatus",
    "FileResult",
    "FileState",
    "ServerAccessLogging",
    "SigningKeys",
    "Tampering",
    "TrailConfig",
    "TrailDelivery",
    "TrailRecorder",
    "ValidationReport",
    "access_log_records",
    "account_administrator",
    "bucket_allows_delivery",
    "bucket_name",
    "build_record",
    "delete_log_file",
    "delete_newest_log_file_as",
    "deliver",
    "expect_access_logged",
    "expect_logs_valid",
    "expect_record",
    "expect_tampering_reported",
    "expect_trail_access_logged",
    "expect_validation_failure",
    "file_state",
    "find_access_log_record",
    "find_record",
    "log_group_records",
    "lookup_events",
    "read_trails",
    "require_delivery",
    "rewrite_log_file",
    "session_arn_part",
    "trail_name",
    "trail_records",
    "trail_resource",
    "trail_status",
    "validate_logs",
]
