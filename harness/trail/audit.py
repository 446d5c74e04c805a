"""Audit-trail operations and checks for scenarios: deliver, read the trail back, validate, expect."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from harness.errors import BESIDE, CheckFailed, InputError, Unverified, absent
from harness.iam.s3_acl import LOG_DELIVERY_PRINCIPAL
from harness.model.definition import RESOURCE_ASPECTS, Definition, Unknown, describe_unknowns
from harness.provider.resources.cloudtrail import Trail
from harness.provider.resources.s3_bucket import Bucket
from harness.trail.access_logs import AccessLogRecord, http_status, operation_name
from harness.trail.delivery import DeliveredFile
from harness.trail.integrity import FileState, ValidationReport

if TYPE_CHECKING:
    from harness.acceptance import Deployment, NamedCheck
    from harness.enforce.api import CallOutcome


def trail_resource(deployment: Deployment, trail: str | None = None) -> Trail:
    """The definition's trail named ``trail`` (its only trail when None).

    Raises:
        Unverified: when the definition declares no trail at all (the claim has no subject).
        CheckFailed: when it declares trails but not this one, listing those it declares.
    """
    definition = deployment.require_definition()
    trails = [r for r in definition.of_type(Trail) if isinstance(r, Trail)]
    if trail is None and len(trails) == 1:
        return trails[0]
    found = next((t for t in trails if t.name == trail), None)
    if found is None and not trails:
        raise absent(
            f"definition '{definition.name}'",
            "declares no trail",
            f"the account's trail often lives in another stack: declare it {BESIDE}",
        )
    if found is None:
        raise CheckFailed(
            f"definition '{definition.name}': expected "
            + (f"a trail '{trail}'" if trail else "exactly one trail")
            + f", found {', '.join(t.name for t in trails)}; name the trail"
        )
    return found


def trail_name(deployment: Deployment, trail: str | None = None) -> str:
    """The physical name of the definition's trail."""
    return deployment.provider.ctx.physical_name(trail_resource(deployment, trail))


def deliver(deployment: Deployment) -> list[DeliveredFile]:
    """Deliver everything recorded so far to every logging trail, now.

    Returns:
        The log files written.
    """
    files = deployment.trail.flush()
    for file in files:
        deployment.evidence.note(f"CloudTrail delivered {file.records} record(s) to s3://{file.bucket}/{file.key}")
    return files


def trail_records(deployment: Deployment, trail: str | None = None) -> list[dict[str, Any]]:
    """Every record in the trail's bucket, read back from S3 (not from the recorder's memory)."""
    return deployment.trail.bucket_records(trail_name(deployment, trail))


def log_group_records(deployment: Deployment, trail: str | None = None) -> list[dict[str, Any]]:
    """Every record the trail delivered to its CloudWatch Logs group, read back."""
    return deployment.trail.log_group_records(trail_name(deployment, trail))


def trail_status(deployment: Deployment, trail: str | None = None) -> dict[str, Any]:
    """GetTrailStatus of the trail, with LatestDeliveryError as CloudTrail would report it."""
    return deployment.trail.status(trail_name(deployment, trail))


def find_record(
    records: Iterable[Mapping[str, Any]],
    *,
    event_name: str | None = None,
    event_source: str | None = None,
    error_code: str | None = None,
    identity_arn_contains: str | None = None,
    identity_type: str | None = None,
) -> Mapping[str, Any] | None:
    """The first record matching every criterion given, or None.

    ``error_code=""`` asks for a call that succeeded.
    """
    for record in records:
        identity = record.get("userIdentity", {})
        if event_name is not None and record.get("eventName") != event_name:
            continue
        if event_source is not None and record.get("eventSource") != event_source:
            continue
        if error_code is not None and record.get("errorCode", "") != error_code:
            continue
        if identity_arn_contains is not None and identity_arn_contains not in str(identity.get("arn", "")):
            continue
        if identity_type is not None and identity.get("type") != identity_type:
            continue
        return record
    return None


def latest_log_file(deployment: Deployment, trail: str | None = None) -> tuple[str, str]:
    """The bucket and key of the trail's newest delivered log file.

    Raises:
        CheckFailed: when the trail has delivered none, with CloudTrail's latest delivery error.
    """
    name = trail_name(deployment, trail)
    keys = deployment.trail.log_file_keys(name)
    if not keys:
        status = deployment.trail.status(name)
        raise CheckFailed(
            f"trail '{name}': expected a delivered log file, found none"
            + (f" (LatestDeliveryError {status['LatestDeliveryError']})" if status.get("LatestDeliveryError") else "")
            + "; make a call and deliver before tampering"
        )
    return deployment.trail.trail(name).bucket, keys[-1]


def require_delivery(deployment: Deployment, trail: str | None = None) -> list[str]:
    """Deliver what was recorded and return the trail's log file keys.

    Raises:
        CheckFailed: when the trail's bucket holds no log file afterwards, saying why delivery failed.
    """
    deliver(deployment)
    name = trail_name(deployment, trail)
    keys = deployment.trail.log_file_keys(name)
    if keys:
        return keys
    emulator = deployment.trail
    found = emulator.trail(name)
    status = emulator.status(name)
    if status.get("LatestDeliveryError"):
        cause = (
            f"delivery failed with {status['LatestDeliveryError']}: "
            f"{emulator.delivery.status(found.arn).latest_delivery_reason}"
        )
        fix = _delivery_fix(str(status["LatestDeliveryError"]))
    elif not status.get("IsLogging"):
        cause, fix = "the trail is not logging", "set logging: true on the trail"
    else:
        cause, fix = "no event the trail selects was recorded", "check the trail's event selectors"
    raise CheckFailed(
        f"trail '{name}': expected log files in bucket '{found.bucket}' after delivery, found none, {cause}; {fix}",
        trail=name,
    )


def _delivery_fix(error: str) -> str:
    if error.startswith("KMS."):
        return "let cloudtrail.amazonaws.com use the trail's key (kms:GenerateDataKey* in the key policy)"
    if error == "NoSuchBucket":
        return "deliver to a bucket that exists"
    return "add the CloudTrail bucket policy (s3:GetBucketAcl and s3:PutObject for cloudtrail.amazonaws.com)"


def session_arn_part(deployment: Deployment, scenario_role: str) -> str:
    """``:assumed-role/<role name>/``: what every session ARN of the role playing ``scenario_role`` contains."""
    from harness.scenario import role_physical_name

    return f":assumed-role/{role_physical_name(deployment, scenario_role)}/"


def delete_newest_log_file_as(deployment: Deployment, scenario_role: str, trail: str | None = None) -> Any:
    """The role playing ``scenario_role`` tries to delete the newest log file, with its own session.

    Returns:
        The enforcement outcome of the attempt (``harness.enforce.api.CallOutcome``).

    Raises:
        Unverified: when the harness runs without IAM enforcement.
    """
    api = _enforcement()
    bucket, key = latest_log_file(deployment, trail)
    identity = api.act_as(deployment, scenario_role)
    # moto applies a bucket policy's Deny statements without their conditions; the enforcer decides as AWS does.
    from harness.runtime.moto_compat import neutralize_bucket_policy_check

    neutralize_bucket_policy_check(deployment)
    return api.attempt(
        deployment, identity, "s3", "DeleteObject", actor=f"{scenario_role} role", Bucket=bucket, Key=key
    )


def _enforcement() -> Any:
    try:
        from harness.enforce import api
    except ImportError:  # pragma: no cover - only without the enforcement package
        from harness.errors import Unverified

        raise Unverified("IAM enforcement is not installed; a pipeline role cannot act under its own session") from None
    return api


def validate_logs(deployment: Deployment, trail: str | None = None) -> ValidationReport:
    """Validate the trail's log files against its digests, like ``aws cloudtrail validate-logs``."""
    report = deployment.trail.validate(trail_name(deployment, trail))
    deployment.evidence.current().data["validate-logs"] = report.render()
    return report


def file_state(word: str) -> FileState:
    """The validation state a step names (``modified``, ``deleted``, ``missing``...).

    Raises:
        InputError: naming the states there are.
    """
    try:
        return FileState(word)
    except ValueError:
        raise InputError(
            where="step argument (log file state)",
            expected="one of " + ", ".join(s.value for s in FileState),
            found=repr(word),
            fix="use one of those words in the step",
        ) from None


# -- checks ------------------------------------------------------------------------------------------------
def expect_record(
    event_name: str,
    *,
    error_code: str | None = None,
    identity_arn_contains: str | None = None,
    identity_type: str | None = None,
    trail: str | None = None,
) -> NamedCheck:
    """After delivery, the trail's bucket holds a record of ``event_name`` with the given outcome and caller."""
    from harness.acceptance import NamedCheck

    wanted = {
        k: v
        for k, v in {
            "error_code": error_code,
            "identity_arn_contains": identity_arn_contains,
            "identity_type": identity_type,
        }.items()
        if v is not None
    }

    def run(deployment: Deployment) -> None:
        deliver(deployment)
        name = trail_name(deployment, trail)
        records = trail_records(deployment, trail)
        if find_record(records, event_name=event_name, **wanted) is not None:
            return
        what = _describe(event_name, error_code, identity_arn_contains, identity_type)
        status = deployment.trail.status(name)
        if not records:
            cause = "no records in its bucket"
            reason = deployment.trail.delivery.status(deployment.trail.trail(name).arn).latest_delivery_reason
            if status.get("LatestDeliveryError"):
                cause += f": delivery failed with {status['LatestDeliveryError']}, {reason}"
                fix = _delivery_fix(str(status["LatestDeliveryError"]))
            elif not status.get("IsLogging"):
                cause += ": the trail is not logging"
                fix = "set logging: true on the trail"
            else:
                fix = "check the trail's event selectors select this event"
            raise CheckFailed(f"trail '{name}': expected {what}, found {cause}; {fix}", records=0)
        same_name = [r for r in records if r.get("eventName") == event_name]
        seen = ", ".join(
            f"{r.get('errorCode') or 'success'} by {r.get('userIdentity', {}).get('arn', '?')}" for r in same_name[:3]
        )
        raise CheckFailed(
            f"trail '{name}': expected {what}, found "
            + (f"{event_name} only as: {seen}" if same_name else f"{len(records)} records, none of {event_name}")
            + "; check the call was made under that identity while the trail was logging",
            records=len(records),
        )

    return NamedCheck(f"expect_record({event_name!r}, {wanted!r})", run)


def _describe(event_name: str, error_code: str | None, arn_part: str | None, identity_type: str | None) -> str:
    text = f"a record of {event_name}"
    if error_code == "":
        text += " that succeeded"
    elif error_code is not None:
        text += f" refused with {error_code}"
    if arn_part is not None:
        match = re.fullmatch(r":assumed-role/([^/]+)/", arn_part)
        text += f" by a session of role {match.group(1)}" if match else f" by a caller whose ARN contains {arn_part!r}"
    if identity_type is not None:
        text += f" (userIdentity.type {identity_type})"
    return text


def expect_logs_valid(trail: str | None = None) -> NamedCheck:
    """Validation finds at least one digest and every digest and log file valid."""
    from harness.acceptance import NamedCheck

    def run(deployment: Deployment) -> None:
        deliver(deployment)
        report = validate_logs(deployment, trail)
        if not report.ok:
            raise CheckFailed(
                f"trail '{trail_name(deployment, trail)}': expected every log file and digest valid, found:\n"
                f"{report.render()}",
                failures=len(report.failures()),
            )

    return NamedCheck(f"expect_logs_valid({trail!r})", run)


def expect_validation_failure(
    state: FileState, kind: str = "log", key: str | None = None, trail: str | None = None
) -> NamedCheck:
    """Validation reports a ``kind`` file (``log`` or ``digest``) in ``state`` (the file ``key`` when given)."""
    from harness.acceptance import NamedCheck

    def run(deployment: Deployment) -> None:
        name = trail_name(deployment, trail)
        report = validate_logs(deployment, trail)
        if not report.validation_enabled:
            raise CheckFailed(
                f"trail '{name}': expected validation to report a {kind} file {state.value}, found log file "
                "validation off, so no digest can show it; set log_file_validation: true on the trail",
                state=state.value,
            )
        found = [f for f in report.with_state(state, kind) if key is None or f.key == key]
        if not found:
            raise CheckFailed(
                f"trail '{name}': expected validation to report "
                + (f"{kind} file {key}" if key else f"a {kind} file")
                + f" {state.value}, found:\n{report.render()}",
                state=state.value,
            )

    return NamedCheck(f"expect_validation_failure({state.value!r}, {kind!r})", run)


# -- S3 server access logs ---------------------------------------------------------------------------------


def bucket_name(deployment: Deployment, bucket: str) -> str:
    """The physical name of the definition's bucket ``bucket``.

    Raises:
        CheckFailed: when the definition declares no such bucket, listing those it declares.
    """
    definition = deployment.require_definition()
    found = definition.get("buckets", bucket)
    if not isinstance(found, Bucket):
        declared = ", ".join(r.name for r in definition.of_type(Bucket)) or "none"
        raise CheckFailed(
            f"definition '{definition.name}': expected a bucket '{bucket}', found {declared}; name a declared bucket"
        )
    return deployment.provider.ctx.physical_name(found)


def access_log_records(deployment: Deployment, bucket: str) -> list[AccessLogRecord]:
    """The server access log records of requests on the definition's bucket ``bucket``, delivered now and read back
    from its target bucket (not from memory); none when the bucket does not log."""
    name = bucket_name(deployment, bucket)
    records = deployment.access_logs.records(name)
    deployment.evidence.note(f"read {len(records)} server access log record(s) of bucket {name}")
    return records


def find_access_log_record(
    records: Iterable[AccessLogRecord],
    *,
    operation: str | None = None,
    key: str | None = None,
    requester_contains: str | None = None,
    status: int | None = None,
) -> AccessLogRecord | None:
    """The first record matching every criterion given (``key`` as S3 writes it, URL-encoded), or None."""
    for record in records:
        if operation is not None and record.operation != operation:
            continue
        if key is not None and record.key != key:
            continue
        if requester_contains is not None and requester_contains not in record.requester:
            continue
        if status is not None and record.status != status:
            continue
        return record
    return None


def expect_access_logged(
    bucket: str,
    operation: str,
    *,
    key: str | None = None,
    requester_contains: str | None = None,
    status: int | None = None,
) -> NamedCheck:
    """The bucket's server access log holds a record of ``operation`` (``REST.DELETE.OBJECT``) as described."""
    from harness.acceptance import NamedCheck

    wanted: dict[str, Any] = {
        k: v for k, v in {"key": key, "requester_contains": requester_contains, "status": status}.items() if v
    }

    def run(deployment: Deployment) -> None:
        name = bucket_name(deployment, bucket)
        records = access_log_records(deployment, bucket)
        if find_access_log_record(records, operation=operation, **wanted) is not None:
            return
        what = f"an access log record of {operation}" + "".join(f", {k} {v!r}" for k, v in wanted.items())
        raise _not_logged(deployment, f"bucket '{name}'", name, what, records, operation)

    return NamedCheck(f"expect_access_logged({bucket!r}, {operation!r}, {wanted!r})", run)


def _not_logged(
    deployment: Deployment, subject: str, name: str, what: str, records: list[AccessLogRecord], operation: str
) -> CheckFailed:
    """Why bucket ``name``'s access log holds no record as described: logging off, the target bucket refusing the
    logging service, or other records only (those of ``operation`` shown first)."""
    logs = deployment.access_logs
    if logs.target(name) is None:
        return CheckFailed(
            f"{subject}: expected {what}, found server access logging off; turn on server access logging (a target "
            f"bucket and prefix) to a log bucket whose policy lets {LOG_DELIVERY_PRINCIPAL} s3:PutObject",
            records=0,
        )
    lost = [b for b in logs.lost if b.source == name]
    if not records and lost:
        return CheckFailed(
            f"{subject}: expected {what}, found none delivered: {lost[-1].reason}; let {LOG_DELIVERY_PRINCIPAL} "
            "s3:PutObject into the target bucket (bucket policy, with aws:SourceArn the source bucket)",
            lost=sum(b.records for b in lost),
        )
    shown = sorted(records, key=lambda r: r.operation != operation)[:3]
    seen = ", ".join(f"{r.operation} {r.key} {r.http_status} by {r.requester}" for r in shown)
    return CheckFailed(
        f"{subject}: expected {what}, found "
        + (f"{len(records)} other record(s): {seen}" if records else "no records")
        + "; check the request was made on that bucket while the deployment was observed",
        records=len(records),
    )


# What decides whether the logging service may write into a target bucket besides its policy: its ACL, unless
# ownership disables ACLs. ACLs only ever allow, so they matter only when the policy does not.
_LOG_TARGET_ACL_ASPECTS = frozenset({"acl", "ownership"})


def expect_trail_access_logged(outcome: CallOutcome, scenario_role: str, trail: str | None = None) -> NamedCheck:
    """The trail's bucket's server access log holds the record of ``outcome``, an attempt on one of its objects by
    a session of the role playing ``scenario_role``: that operation on that key, with the status S3 answered
    (allowed or refused alike, as S3 logs both).

    Args:
        outcome: the attempt (from :func:`delete_newest_log_file_as`, or ``harness.enforce.api.attempt`` on the
            trail's bucket).
        scenario_role: the role the scenario names (``build``).
        trail: the definition's trail (its only one when None).

    Returns:
        A check over a deployment; it delivers pending access logs and reads them back from the target bucket.

    Raises:
        CheckFailed: (when run) the definition has no such trail; the trail's bucket does not log; the target
            bucket refuses the logging service; or the log holds no record of the attempt.
        Unverified: (when run) the verdict depends on what the definition does not say: the logging of a trail
            bucket that stands in for one outside the definition, or the policy (or, when that refuses, the ACL)
            of a target bucket outside it.
        InputError: (when run) the attempt was not made on the trail's bucket.
    """
    from harness.acceptance import NamedCheck

    def run(deployment: Deployment) -> None:
        definition = deployment.require_definition()
        found = trail_resource(deployment, trail)
        subject = f"trail '{trail_name(deployment, trail)}'"
        source = _trail_bucket(definition, found)
        _require_known_logging(subject, _logging_unknowns(definition, source))
        name = deployment.provider.ctx.physical_name(source)
        if outcome.params.get("Bucket") != name:
            raise InputError(
                where=f"{subject} (the attempt by the {scenario_role} role)",
                expected=f"an attempt on the trail's bucket '{name}'",
                found=f"{outcome.service}:{outcome.operation} on {outcome.params.get('Bucket')!r}",
                fix="make the attempt on one of the trail's log files",
            )
        operation = operation_name(outcome.operation)
        key = quote(str(outcome.params["Key"])) if "Key" in outcome.params else "-"
        session = session_arn_part(deployment, scenario_role)
        status = http_status(outcome.error_code, outcome.operation, outcome.response)
        records = access_log_records(deployment, source.name)
        record = find_access_log_record(
            records, operation=operation, key=key, requester_contains=session, status=status
        )
        if record is not None:
            deployment.evidence.note(
                f"the access log of bucket {name} records {record.operation} {record.key} {record.http_status} "
                f"{record.error_code} by {record.requester}"
            )
            deployment.evidence.current().data["access-log-record"] = record.line()
            return
        lost = [b for b in deployment.access_logs.lost if b.source == name]
        target = definition.get("buckets", source.logging.bucket) if source.logging is not None else None
        if not records and lost and target is not None:
            _require_known_logging(subject, definition.unknowns_of(target.address, _LOG_TARGET_ACL_ASPECTS))
        answered = f"{status} {outcome.error_code}" if outcome.error_code else str(status)
        what = f"a record of {operation} on '{key}' ({answered}) by a session of role {session.split('/')[1]}"
        raise _not_logged(deployment, f"bucket '{name}' of {subject}", name, what, records, operation)

    return NamedCheck(f"expect_trail_access_logged({outcome.operation!r}, {scenario_role!r}, {trail!r})", run)


def _trail_bucket(definition: Definition, found: Trail) -> Bucket:
    """The bucket the trail delivers to (a reference the definition has resolved when it was loaded)."""
    source = definition.get("buckets", found.bucket)
    if not isinstance(source, Bucket):
        raise InputError(
            where=definition.where(found.address),
            expected="the name of a bucket of the definition in field 'bucket'",
            found=repr(found.bucket),
            fix="name the bucket the trail delivers to",
        )
    return source


def _logging_unknowns(definition: Definition, source: Bucket) -> tuple[Unknown, ...]:
    """What whether ``source``'s access log is delivered depends on that the definition does not say: its own
    logging (a stand-in's, unless the definition configures it) and its target bucket's policy."""
    found = list(definition.unknowns_of(source.address, frozenset({"logging"})))
    if source.logging is not None:
        target = definition.get("buckets", source.logging.bucket)
        if target is not None:
            found.extend(definition.unknowns_of(target.address, RESOURCE_ASPECTS))
    return tuple(dict.fromkeys(found))


def _require_known_logging(subject: str, unknowns: tuple[Unknown, ...]) -> None:
    if unknowns:
        raise Unverified(
            f"{subject}: whether its bucket's server access log records the attempt depends on what the definition "
            f"does not say: {describe_unknowns(unknowns)}; give the template or plan that declares it too "
            "(--baseline FILE; under pytest --pw-baseline FILE), or declare it here",
            unknowns=[str(u) for u in unknowns],
        )
