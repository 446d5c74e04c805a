"""The CodeCommit model's API: branches, files, templates, pull requests, approvals, overrides and merges."""

from __future__ import annotations

from typing import Any

import pytest

from harness.source.errors import CodeCommitError
from harness.source.model import SourceModel
from harness.source.rules import content_text

ACCOUNT = "123456789012"
DEV = f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/dev-1"
APPROVER_1 = f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/alice"
APPROVER_2 = f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/bob"
OUTSIDER = f"arn:aws:sts::{ACCOUNT}:assumed-role/build/AWSCodeBuild-1"
POOL = f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/*"


def code_of(call: Any, *args: Any) -> str:
    with pytest.raises(CodeCommitError) as caught:
        call(*args)
    return caught.value.code


@pytest.fixture
def model() -> SourceModel:
    m = SourceModel(ACCOUNT, "us-east-1")
    m.create_repository("admin", {"repositoryName": "app"})
    m.put_file("admin", {"repositoryName": "app", "branchName": "main", "filePath": "README.md", "fileContent": b"hi"})
    m.create_approval_rule_template(
        "admin",
        {"approvalRuleTemplateName": "two-approvers", "approvalRuleTemplateContent": content_text(2, [POOL], ["main"])},
    )
    m.associate_approval_rule_template_with_repository(
        "admin", {"approvalRuleTemplateName": "two-approvers", "repositoryName": "app"}
    )
    return m


def feature(m: SourceModel, name: str = "feature", content: bytes = b"change") -> str:
    main = m.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    m.create_branch(DEV, {"repositoryName": "app", "branchName": name, "commitId": main})
    return str(
        m.put_file(
            DEV,
            {"repositoryName": "app", "branchName": name, "filePath": f"{name}.txt", "fileContent": content,
             "parentCommitId": main},
        )["commitId"]
    )


def open_pr(m: SourceModel, source: str = "feature", destination: str = "main") -> dict[str, Any]:
    response = m.create_pull_request(
        DEV,
        {"title": "change", "targets": [{"repositoryName": "app", "sourceReference": source,
                                         "destinationReference": destination}]},
    )
    return dict(response["pullRequest"])


def approve(m: SourceModel, pr: dict[str, Any], who: str, state: str = "APPROVE") -> None:
    current = m.get_pull_request(who, {"pullRequestId": pr["pullRequestId"]})["pullRequest"]
    m.update_pull_request_approval_state(
        who, {"pullRequestId": pr["pullRequestId"], "revisionId": current["revisionId"], "approvalState": state}
    )


def merge(m: SourceModel, pr: dict[str, Any], how: str = "squash") -> dict[str, Any]:
    method = getattr(m, f"merge_pull_request_by_{how}")
    return dict(method(DEV, {"pullRequestId": pr["pullRequestId"], "repositoryName": "app"})["pullRequest"])


# -- files and branches ----------------------------------------------------------------------------------------


def test_put_file_answers_commit_blob_and_tree_ids(model: SourceModel) -> None:
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    answer = model.put_file(
        DEV, {"repositoryName": "app", "branchName": "main", "filePath": "a.txt", "fileContent": b"a",
              "parentCommitId": main},
    )
    assert set(answer) == {"commitId", "blobId", "treeId"}
    got = model.get_file(DEV, {"repositoryName": "app", "filePath": "a.txt", "commitSpecifier": "main"})
    assert got["fileContent"] == b"a" and got["commitId"] == answer["commitId"]


def test_put_file_with_the_same_content_is_refused(model: SourceModel) -> None:
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    params = {"repositoryName": "app", "branchName": "main", "filePath": "README.md", "fileContent": b"hi",
              "parentCommitId": main}
    assert code_of(model.put_file, DEV, params) == "SameFileContentException"


def test_create_commit_reports_added_updated_and_deleted_files(model: SourceModel) -> None:
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    model.put_file(DEV, {"repositoryName": "app", "branchName": "main", "filePath": "old.txt", "fileContent": b"o",
                         "parentCommitId": main})
    tip = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    answer = model.create_commit(
        DEV,
        {"repositoryName": "app", "branchName": "main", "parentCommitId": tip,
         "putFiles": [{"filePath": "new.txt", "fileContent": b"n"}, {"filePath": "README.md", "fileContent": b"v2"}],
         "deleteFiles": [{"filePath": "old.txt"}]},
    )
    assert [f["absolutePath"] for f in answer["filesAdded"]] == ["new.txt"]
    assert [f["absolutePath"] for f in answer["filesUpdated"]] == ["README.md"]
    assert [f["absolutePath"] for f in answer["filesDeleted"]] == ["old.txt"]
    commit = model.get_commit(DEV, {"repositoryName": "app", "commitId": answer["commitId"]})["commit"]
    assert commit["parents"] == [tip]


def test_the_default_branch_cannot_be_deleted_but_others_can(model: SourceModel) -> None:
    assert code_of(model.delete_branch, DEV, {"repositoryName": "app", "branchName": "main"}) == (
        "DefaultBranchCannotBeDeletedException"
    )
    feature(model)
    deleted = model.delete_branch(DEV, {"repositoryName": "app", "branchName": "feature"})["deletedBranch"]
    assert deleted["branchName"] == "feature"
    assert model.list_branches(DEV, {"repositoryName": "app"})["branches"] == ["main"]


def test_unknown_repositories_and_existing_branch_names_are_refused(model: SourceModel) -> None:
    assert code_of(model.get_branch, DEV, {"repositoryName": "nope", "branchName": "main"}) == (
        "RepositoryDoesNotExistException"
    )
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    assert code_of(model.create_branch, DEV, {"repositoryName": "app", "branchName": "main", "commitId": main}) == (
        "BranchNameExistsException"
    )


def test_git_push_starts_a_new_branch_from_the_default_branch(model: SourceModel) -> None:
    answer = model.git_push(DEV, {"repositoryName": "app", "references": ["refs/heads/topic"],
                                  "files": {"t.txt": "t"}})
    assert answer["references"] == ["refs/heads/topic"]
    commit = model.get_commit(DEV, {"repositoryName": "app", "commitId": answer["commitId"]})["commit"]
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    assert commit["parents"] == [main]


# -- templates -------------------------------------------------------------------------------------------------


def test_a_template_creates_a_rule_on_pull_requests_into_its_destination_only(model: SourceModel) -> None:
    feature(model)
    into_main = open_pr(model)
    assert [r["approvalRuleName"] for r in into_main["approvalRules"]] == ["two-approvers"]
    origin = into_main["approvalRules"][0]["originApprovalRuleTemplate"]
    assert origin["approvalRuleTemplateName"] == "two-approvers"
    assert "DestinationReferences" not in into_main["approvalRules"][0]["approvalRuleContent"]
    feature(model, "other")
    into_feature = open_pr(model, "other", "feature")
    assert into_feature["approvalRules"] == []


def test_a_template_without_destination_references_applies_to_every_pull_request(model: SourceModel) -> None:
    model.create_approval_rule_template(
        "admin", {"approvalRuleTemplateName": "any", "approvalRuleTemplateContent": content_text(1)}
    )
    model.associate_approval_rule_template_with_repository(
        "admin", {"approvalRuleTemplateName": "any", "repositoryName": "app"}
    )
    feature(model)
    feature(model, "other")
    assert [r["approvalRuleName"] for r in open_pr(model, "other", "feature")["approvalRules"]] == ["any"]


def test_an_unassociated_template_creates_no_rule(model: SourceModel) -> None:
    model.disassociate_approval_rule_template_from_repository(
        "admin", {"approvalRuleTemplateName": "two-approvers", "repositoryName": "app"}
    )
    feature(model)
    assert open_pr(model)["approvalRules"] == []


def test_an_associated_template_cannot_be_deleted(model: SourceModel) -> None:
    params = {"approvalRuleTemplateName": "two-approvers"}
    assert code_of(model.delete_approval_rule_template, "admin", params) == "ApprovalRuleTemplateInUseException"
    assert model.list_repositories_for_approval_rule_template("admin", params)["repositoryNames"] == ["app"]


def test_template_names_are_unique_and_content_is_validated(model: SourceModel) -> None:
    params = {"approvalRuleTemplateName": "two-approvers", "approvalRuleTemplateContent": content_text(1)}
    assert code_of(model.create_approval_rule_template, "admin", params) == (
        "ApprovalRuleTemplateNameAlreadyExistsException"
    )
    bad = {"approvalRuleTemplateName": "bad", "approvalRuleTemplateContent": "{}"}
    assert code_of(model.create_approval_rule_template, "admin", bad) == "InvalidApprovalRuleTemplateContentException"


# -- approvals, revisions, merges ------------------------------------------------------------------------------


def test_a_merge_needs_two_approvals_from_the_pool(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    assert code_of(merge, model, pr) == "PullRequestApprovalRulesNotSatisfiedException"
    approve(model, pr, APPROVER_1)
    approve(model, pr, OUTSIDER)  # not in the pool: does not count
    assert code_of(merge, model, pr) == "PullRequestApprovalRulesNotSatisfiedException"
    approve(model, pr, APPROVER_2)
    merged = merge(model, pr)
    assert merged["pullRequestStatus"] == "CLOSED"
    assert merged["pullRequestTargets"][0]["mergeMetadata"]["isMerged"] is True
    assert merged["pullRequestTargets"][0]["mergeMetadata"]["mergedBy"] == DEV


def test_the_author_cannot_approve_their_own_pull_request(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    assert code_of(approve, model, pr, DEV) == "PullRequestCannotBeApprovedByAuthorException"


def test_revoking_an_approval_takes_it_back(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    approve(model, pr, APPROVER_1)
    approve(model, pr, APPROVER_2)
    approve(model, pr, APPROVER_2, "REVOKE")
    evaluation = model.evaluate_pull_request_approval_rules(
        DEV, {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"]}
    )["evaluation"]
    assert evaluation == {"approved": False, "overridden": False, "approvalRulesSatisfied": [],
                          "approvalRulesNotSatisfied": ["two-approvers"]}
    states = model.get_pull_request_approval_states(
        DEV, {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"]}
    )["approvals"]
    assert {s["userArn"]: s["approvalState"] for s in states} == {APPROVER_1: "APPROVE", APPROVER_2: "REVOKE"}


def test_a_new_commit_on_the_source_makes_a_new_revision_and_resets_approvals(model: SourceModel) -> None:
    tip = feature(model)
    pr = open_pr(model)
    approve(model, pr, APPROVER_1)
    approve(model, pr, APPROVER_2)
    model.put_file(DEV, {"repositoryName": "app", "branchName": "feature", "filePath": "late.txt",
                         "fileContent": b"slipped in", "parentCommitId": tip})
    current = model.get_pull_request(DEV, {"pullRequestId": pr["pullRequestId"]})["pullRequest"]
    assert current["revisionId"] != pr["revisionId"]
    assert code_of(merge, model, pr) == "PullRequestApprovalRulesNotSatisfiedException"
    stale = {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"], "approvalState": "APPROVE"}
    assert code_of(model.update_pull_request_approval_state, APPROVER_1, stale) == "RevisionNotCurrentException"


def test_an_override_lets_the_merge_through_and_names_the_overrider(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    params = {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"]}
    model.override_pull_request_approval_rules(APPROVER_1, {**params, "overrideStatus": "OVERRIDE"})
    assert model.get_pull_request_override_state(DEV, params) == {"overridden": True, "overrider": APPROVER_1}
    again = {**params, "overrideStatus": "OVERRIDE"}
    assert code_of(model.override_pull_request_approval_rules, APPROVER_1, again) == "OverrideAlreadySetException"
    assert merge(model, pr)["pullRequestTargets"][0]["mergeMetadata"]["isMerged"]


def test_a_revoked_override_no_longer_lets_the_merge_through(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    params = {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"]}
    model.override_pull_request_approval_rules(APPROVER_1, {**params, "overrideStatus": "OVERRIDE"})
    model.override_pull_request_approval_rules(APPROVER_1, {**params, "overrideStatus": "REVOKE"})
    assert code_of(merge, model, pr) == "PullRequestApprovalRulesNotSatisfiedException"


def test_a_merged_pull_request_is_closed_to_further_changes(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    approve(model, pr, APPROVER_1)
    approve(model, pr, APPROVER_2)
    merge(model, pr, "fast_forward")
    assert code_of(approve, model, pr, OUTSIDER) == "PullRequestAlreadyClosedException"
    assert code_of(merge, model, pr) == "PullRequestAlreadyClosedException"


def test_fast_forward_of_a_pull_request_is_refused_when_main_moved_on(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    model.override_pull_request_approval_rules(
        APPROVER_1, {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"], "overrideStatus": "OVERRIDE"}
    )
    main = model.get_branch(DEV, {"repositoryName": "app", "branchName": "main"})["branch"]["commitId"]
    model.put_file("admin", {"repositoryName": "app", "branchName": "main", "filePath": "hotfix.txt",
                             "fileContent": b"x", "parentCommitId": main})
    assert code_of(merge, model, pr, "fast_forward") == "ManualMergeRequiredException"
    assert merge(model, pr, "three_way")["pullRequestTargets"][0]["mergeMetadata"]["mergeOption"] == "THREE_WAY_MERGE"


def test_a_merge_with_a_stale_source_commit_is_refused(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    model.override_pull_request_approval_rules(
        APPROVER_1, {"pullRequestId": pr["pullRequestId"], "revisionId": pr["revisionId"], "overrideStatus": "OVERRIDE"}
    )
    params = {"pullRequestId": pr["pullRequestId"], "repositoryName": "app", "sourceCommitId": "0" * 40}
    assert code_of(model.merge_pull_request_by_squash, DEV, params) == "TipOfSourceReferenceIsDifferentException"


def test_title_and_description_updates_keep_the_revision(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    model.update_pull_request_title(DEV, {"pullRequestId": pr["pullRequestId"], "title": "better"})
    updated = model.update_pull_request_description(DEV, {"pullRequestId": pr["pullRequestId"], "description": "why"})
    assert (updated["pullRequest"]["title"], updated["pullRequest"]["description"]) == ("better", "why")
    assert updated["pullRequest"]["revisionId"] == pr["revisionId"]


def test_a_pull_request_from_a_branch_to_itself_is_refused(model: SourceModel) -> None:
    assert code_of(open_pr, model, "main", "main") == "SourceAndDestinationAreSameException"
    assert code_of(open_pr, model, "nope", "main") == "ReferenceDoesNotExistException"


def test_a_rule_added_to_the_pull_request_also_applies(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    model.create_pull_request_approval_rule(
        DEV, {"pullRequestId": pr["pullRequestId"], "approvalRuleName": "security",
              "approvalRuleContent": content_text(1, [OUTSIDER])},
    )
    approve(model, pr, APPROVER_1)
    approve(model, pr, APPROVER_2)
    assert code_of(merge, model, pr) == "PullRequestApprovalRulesNotSatisfiedException"
    approve(model, pr, OUTSIDER)
    assert merge(model, pr)["pullRequestStatus"] == "CLOSED"


def test_a_rule_from_a_template_cannot_be_deleted(model: SourceModel) -> None:
    feature(model)
    pr = open_pr(model)
    params = {"pullRequestId": pr["pullRequestId"], "approvalRuleName": "two-approvers"}
    assert code_of(model.delete_pull_request_approval_rule, DEV, params) == (
        "CannotDeleteApprovalRuleFromTemplateException"
    )


def test_branch_listeners_hear_every_move_with_the_caller(model: SourceModel) -> None:
    heard: list[tuple[str, str, str, str]] = []
    model.listeners.append(lambda *event: heard.append(event))
    feature(model)
    pr = open_pr(model)
    approve(model, pr, APPROVER_1)
    approve(model, pr, APPROVER_2)
    merged = merge(model, pr)
    commit = merged["pullRequestTargets"][0]["mergeMetadata"]["mergeCommitId"]
    assert heard[-1] == ("app", "main", commit, DEV)
    assert [e[1] for e in heard] == ["feature", "feature", "main"]


def test_deleting_a_repository_drops_its_pull_requests_and_associations(model: SourceModel) -> None:
    feature(model)
    open_pr(model)
    model.forget("app")
    assert model.pull_requests == {}
    assert model.templates["two-approvers"].repositories == set()
