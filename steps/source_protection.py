"""Steps for source protection: pushes, pull requests, approvals, merges and overrides by pipeline roles."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness.acceptance import Deployment
from harness.source import scenario as source
from harness.source.scenario import PullRequestRef, SourceOutcome

# "a developer" or "the build role": the scenario role whose session acts.
ACTOR = r"(?:a|an|the) (?P<role>[a-z-]+?)(?: role)?"


@given(parsers.parse('a developer has proposed a change from "{branch}" to "{destination}"'), target_fixture="change")
def proposed_change(pw: Deployment, branch: str, destination: str) -> PullRequestRef:
    return source.propose_change(pw, source.actor(pw, "developer"), branch, destination)


@when(parsers.re(ACTOR + r' pushes a change to "(?P<branch>[^"]+)"'), target_fixture="outcome")
def push_change(pw: Deployment, role: str, branch: str) -> SourceOutcome:
    return source.push(pw, source.actor(pw, role), branch)


@when(parsers.re(ACTOR + r' deletes the branch "(?P<branch>[^"]+)"'), target_fixture="outcome")
def delete_branch(pw: Deployment, role: str, branch: str) -> SourceOutcome:
    return source.delete_branch(pw, source.actor(pw, role), branch)


@when("an approver approves the change", target_fixture="outcome")
def approve_change(pw: Deployment, change: PullRequestRef) -> SourceOutcome:
    return source.approve(pw, source.actor(pw, "approver"), change)


@when("the author approves the change", target_fixture="outcome")
def author_approves(pw: Deployment, change: PullRequestRef) -> SourceOutcome:
    return source.approve(pw, change.author, change)


@when("an approver merges the change", target_fixture="outcome")
def merge_change(pw: Deployment, change: PullRequestRef) -> SourceOutcome:
    return source.merge(pw, source.actor(pw, "approver"), change)


@when("an approver overrides the approval rules of the change", target_fixture="outcome")
def override_rules(pw: Deployment, change: PullRequestRef) -> SourceOutcome:
    return source.expect_allowed(source.override(pw, source.actor(pw, "approver"), change))


@then("IAM denies it")
def iam_denies(outcome: SourceOutcome) -> None:
    source.expect_denied(outcome)


@then("it is allowed")
def it_is_allowed(outcome: SourceOutcome) -> None:
    source.expect_allowed(outcome)


@then("the merge is refused until the approval rules are satisfied")
def merge_refused(outcome: SourceOutcome) -> None:
    source.expect_refused(outcome, source.MERGE_BLOCKED)


@then("CodeCommit refuses the author's own approval")
def author_refused(outcome: SourceOutcome) -> None:
    source.expect_refused(outcome, source.AUTHOR_APPROVAL)


@then("the change still needs approvals before it can merge")
def still_pending(pw: Deployment, change: PullRequestRef) -> None:
    source.expect_rules_pending(pw, change)


@then("the audit trail records the override by that approver")
def override_recorded(pw: Deployment, outcome: SourceOutcome) -> None:
    source.expect_recorded(pw, "OverridePullRequestApprovalRules", outcome.identity)
