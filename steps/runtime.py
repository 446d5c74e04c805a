"""Steps for build logs and release approvals: run builds and releases, approve, and check what happened."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.acceptance import Deployment
from harness.runtime import scenarios as rt
from harness.runtime.build import BuildRecord
from harness.runtime.pipeline import ApprovalOutcome, Execution
from harness.runtime.secrets import PlaintextSecret

PEOPLE = {"developer": "dana", "another developer": "devin", "release manager": "rita"}
ROLES = {"developer": "developer", "another developer": "developer", "release manager": "release-manager"}


@when("the pipeline's build runs", target_fixture="build")
@given("the pipeline's build has run", target_fixture="build")
def pipeline_build(pw: Deployment) -> BuildRecord:
    return rt.run_pipeline_build(pw)


@then("its output is in the configured log group under the build's stream name")
def output_logged(pw: Deployment, build: BuildRecord) -> None:
    rt.expect_build_logged(pw, build)


@when("another pipeline's build role tries to read the build's log", target_fixture="read_attempt")
def other_pipeline_reads(pw: Deployment, build: BuildRecord) -> rt.ReadAttempt:
    reader = rt.role_session(pw, rt.other_pipeline_role(pw), "another pipeline's build role")
    return rt.try_read_build_logs(pw, build, reader)


@then("the read is denied")
def read_denied(read_attempt: rt.ReadAttempt) -> None:
    rt.expect_logs_unreadable(read_attempt)


@when("the build prints the secrets it was given", target_fixture="printed")
def print_secrets(pw: Deployment) -> tuple[BuildRecord, dict[str, str]]:
    return rt.run_build_printing_secrets(pw)


@then("every secret shows as *** in the build log")
def secrets_masked(pw: Deployment, printed: tuple[BuildRecord, dict[str, str]]) -> None:
    rt.expect_secrets_masked(pw, *printed)


@when("the build projects are read back", target_fixture="plaintext_findings")
def read_projects(pw: Deployment) -> list[PlaintextSecret]:
    return rt.plaintext_secrets(pw)


@then("no plaintext environment variable holds a secret")
def no_plaintext(plaintext_findings: list[PlaintextSecret]) -> None:
    rt.expect_no_plaintext_secrets(plaintext_findings)


@when(parsers.parse("a build of the pipeline hangs for more than {limit:d} minutes"), target_fixture="hung")
def hanging_build(pw: Deployment, limit: int) -> tuple[BuildRecord, int]:
    return rt.run_hanging_build(pw, limit), limit


@then("the build times out, and the build record and the build log both show it")
def timed_out(pw: Deployment, hung: tuple[BuildRecord, int]) -> None:
    rt.expect_timed_out(pw, *hung)


@given(parsers.parse("a {who} has started a release"), target_fixture="release")
def started_release(pw: Deployment, who: str) -> Execution:
    # Without an approval action nobody approves a release, whoever the people are: that is decided first.
    rt.require_approval_action(pw)
    return rt.start_release(pw, rt.person(pw, ROLES[who], PEOPLE[who]))


@when(parsers.parse("{who} tries to approve the release"), target_fixture="approval")
@when(parsers.parse("a {who} approves the release"), target_fixture="approval")
def approve(pw: Deployment, release: Execution, who: str) -> ApprovalOutcome:
    who = "developer" if who == "the same developer" else who
    return rt.answer_approval(pw, release, rt.person(pw, ROLES[who], PEOPLE[who]), "Approved")


@when(parsers.parse("a {who} rejects the release"), target_fixture="approval")
def reject(pw: Deployment, release: Execution, who: str) -> ApprovalOutcome:
    return rt.answer_approval(pw, release, rt.person(pw, ROLES[who], PEOPLE[who]), "Rejected", "not this one")


@then("the approval is refused")
def approval_refused(approval: ApprovalOutcome, release: Execution) -> None:
    rt.expect_approval_refused(approval, release)


@then("the release is deployed")
def release_deployed(approval: ApprovalOutcome, release: Execution) -> None:
    rt.expect_approval_accepted(approval)
    rt.expect_release_deployed(release)


@then("the release stops before deployment")
def release_stopped(pw: Deployment, approval: ApprovalOutcome, release: Execution) -> None:
    rt.expect_approval_accepted(approval)
    rt.expect_not_deployed(pw, release)


@when(parsers.parse("a {who} starts a release and tries to approve it"), target_fixture="self_approval")
def self_approve(pw: Deployment, who: str) -> rt.SelfApproval:
    return rt.start_and_self_approve(pw, ROLES[who], PEOPLE[who])


@then("they cannot have both started and approved it")
def no_self_approval(self_approval: rt.SelfApproval) -> None:
    rt.expect_no_self_approval(self_approval)
