"""Approval laws for generated approvers, pools and rules, checked with hypothesis."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.source.errors import CodeCommitError
from harness.source.model import SourceModel
from harness.source.rules import content_text

ACCOUNT = "123456789012"
AUTHOR = f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/author"
CALLERS = [
    AUTHOR,
    f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/peer",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/alice",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/bob",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/carol",
    f"arn:aws:iam::{ACCOUNT}:user/dana",
    f"arn:aws:sts::{ACCOUNT}:federated-user/erin",
]
PATTERNS = [
    f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/*",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/*",
    f"arn:aws:iam::{ACCOUNT}:user/dana",
    f"arn:aws:sts::{ACCOUNT}:federated-user/*",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/*/alice",
    "arn:aws:sts::999999999999:assumed-role/approver/*",
]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

rules = st.lists(
    st.tuples(st.integers(min_value=1, max_value=3), st.lists(st.sampled_from(PATTERNS), max_size=3, unique=True)),
    min_size=0,
    max_size=3,
)
approvers = st.lists(st.sampled_from(CALLERS[1:]), max_size=6, unique=True)


def setup(rule_specs: list[tuple[int, list[str]]]) -> tuple[SourceModel, str, str]:
    model = SourceModel(ACCOUNT, "us-east-1")
    model.create_repository("admin", {"repositoryName": "app"})
    model.put_file("admin", {"repositoryName": "app", "branchName": "main", "filePath": "a", "fileContent": b"a"})
    main = model.repository("app").tip("main")
    model.create_branch(AUTHOR, {"repositoryName": "app", "branchName": "f", "commitId": main})
    model.put_file(AUTHOR, {"repositoryName": "app", "branchName": "f", "filePath": "b", "fileContent": b"b",
                            "parentCommitId": main})
    for index, (needed, pool) in enumerate(rule_specs):
        name = f"rule-{index}"
        model.create_approval_rule_template(
            "admin",
            {"approvalRuleTemplateName": name, "approvalRuleTemplateContent": content_text(needed, pool, ["main"])},
        )
        model.associate_approval_rule_template_with_repository(
            "admin", {"approvalRuleTemplateName": name, "repositoryName": "app"}
        )
    pr = model.create_pull_request(
        AUTHOR, {"title": "t", "targets": [{"repositoryName": "app", "sourceReference": "f",
                                            "destinationReference": "main"}]},
    )["pullRequest"]
    return model, pr["pullRequestId"], pr["revisionId"]


def oracle(rule_specs: list[tuple[int, list[str]]], given_approvers: list[str]) -> bool:
    """Independent statement of the rule: each rule needs that many distinct approvers matching its pool."""
    return all(
        len({a for a in given_approvers if not pool or any(fnmatchcase(a, p) for p in pool)}) >= needed
        for needed, pool in rule_specs
    )


@SETTINGS
@given(rules, approvers)
def test_a_merge_succeeds_iff_every_rule_is_satisfied(rule_specs: list[tuple[int, list[str]]], who: list[str]) -> None:
    model, pull_id, revision = setup(rule_specs)
    for approver in who:
        model.update_pull_request_approval_state(
            approver, {"pullRequestId": pull_id, "revisionId": revision, "approvalState": "APPROVE"}
        )
    try:
        model.merge_pull_request_by_squash(AUTHOR, {"pullRequestId": pull_id, "repositoryName": "app"})
        merged = True
    except CodeCommitError as exc:
        assert exc.code == "PullRequestApprovalRulesNotSatisfiedException"
        merged = False
    assert merged == oracle(rule_specs, who)


@SETTINGS
@given(rules, approvers, st.data())
def test_revoking_an_approval_never_satisfies_a_rule(
    rule_specs: list[tuple[int, list[str]]], who: list[str], data: st.DataObject
) -> None:
    model, pull_id, revision = setup(rule_specs)
    for approver in who:
        model.update_pull_request_approval_state(
            approver, {"pullRequestId": pull_id, "revisionId": revision, "approvalState": "APPROVE"}
        )
    before = set(model.pull_request(pull_id).evaluate().satisfied)
    revoker = data.draw(st.sampled_from(CALLERS[1:]))
    model.update_pull_request_approval_state(
        revoker, {"pullRequestId": pull_id, "revisionId": revision, "approvalState": "REVOKE"}
    )
    after = set(model.pull_request(pull_id).evaluate().satisfied)
    assert after <= before


@SETTINGS
@given(rules, approvers)
def test_a_new_revision_resets_approvals(rule_specs: list[tuple[int, list[str]]], who: list[str]) -> None:
    model, pull_id, revision = setup(rule_specs)
    for approver in who:
        model.update_pull_request_approval_state(
            approver, {"pullRequestId": pull_id, "revisionId": revision, "approvalState": "APPROVE"}
        )
    model.git_push(AUTHOR, {"repositoryName": "app", "references": ["refs/heads/f"], "files": {"c": "c"}})
    pr = model.pull_request(pull_id)
    assert pr.revision.revision_id != revision
    assert pr.approvers(pr.revision.revision_id) == ()
    assert pr.evaluate().approved == (not rule_specs)
