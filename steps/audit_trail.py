"""Steps for the audit-trail area: delivered records, log file tampering and deletion, validation."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from harness.acceptance import Deployment
from harness.trail import audit, tamper
from harness.trail.tamper import Tampering


@given("the trail has delivered the pipeline's activity")
def trail_delivered(pw: Deployment) -> None:
    audit.require_delivery(pw)


@when("an administrator of the account rewrites the newest log file of the trail", target_fixture="tampering")
def rewrite_log_file(pw: Deployment) -> Tampering:
    return tamper.rewrite_log_file(pw)


@when("an administrator of the account deletes the newest log file of the trail", target_fixture="tampering")
def delete_log_file(pw: Deployment) -> Tampering:
    return tamper.delete_log_file(pw)


@when(parsers.parse("the {role} role tries to delete the newest log file of the trail"), target_fixture="outcome")
def role_deletes_log_file(pw: Deployment, role: str) -> Any:
    return audit.delete_newest_log_file_as(pw, role)


@then(parsers.parse("log file validation reports that log file {state}"))
def validation_reports(pw: Deployment, tampering: Tampering, state: str) -> None:
    tamper.expect_tampering_reported(tampering, audit.file_state(state))(pw)


@then("every log file of the trail still validates")
def logs_validate(pw: Deployment) -> None:
    audit.expect_logs_valid()(pw)


@then(parsers.parse("the trail holds a record of {operation} by the {role} role's session refused with {code}"))
def record_refused(pw: Deployment, operation: str, role: str, code: str) -> None:
    audit.expect_record(operation, error_code=code, identity_arn_contains=audit.session_arn_part(pw, role))(pw)


@then(parsers.parse("the trail holds a record of {operation} by the {role} role's session"))
def record_by_session(pw: Deployment, operation: str, role: str) -> None:
    audit.expect_record(operation, error_code="", identity_arn_contains=audit.session_arn_part(pw, role))(pw)


@then(parsers.parse("the trail bucket's access log records that attempt by the {role} role"))
def attempt_access_logged(pw: Deployment, outcome: Any, role: str) -> None:
    audit.expect_trail_access_logged(outcome, role)(pw)
