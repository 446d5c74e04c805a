"""Steps for the least-privilege area: a pipeline role attempts a call with its own session; it is denied or not."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from harness.acceptance import Deployment
from harness.enforce import least_privilege as probes
from harness.enforce.api import CallOutcome, expect_allowed, expect_denied


@when(parsers.parse("the {role} role tries to create an IAM user"), target_fixture="outcome")
def create_user(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_create_user(pw, role)


@when(
    parsers.parse("the {role} role tries to attach the AdministratorAccess policy to its own role"),
    target_fixture="outcome",
)
def attach_admin(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_attach_admin_policy(pw, role)


@when(
    parsers.parse("the {role} role tries to pass another role of the pipeline to a new build project"),
    target_fixture="outcome",
)
def pass_other_role(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_pass_other_role(pw, role)


@when(parsers.parse("the {role} role tries to read an artifact of another pipeline"), target_fixture="outcome")
def read_foreign_artifact(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_read_foreign_artifacts(pw, role)


@when(parsers.parse("the {role} role starts a build of its own project"), target_fixture="outcome")
def start_own_build(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_start_build(pw, role, own=True)


@when(parsers.parse("the {role} role starts a build of another pipeline's project"), target_fixture="outcome")
def start_foreign_build(pw: Deployment, role: str) -> CallOutcome:
    return probes.try_start_build(pw, role, own=False)


@then("the call is denied")
def call_denied(outcome: CallOutcome) -> None:
    expect_denied(outcome)


@then("the call is allowed")
def call_allowed(outcome: CallOutcome) -> None:
    expect_allowed(outcome)
