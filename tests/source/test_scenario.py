"""The scenario API in plain pytest: pushes, approvals, merges and overrides by role sessions, their checks and
messages, the audit trail, and the pipeline a merge to the watched branch starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import CheckFailed, Unverified
from harness.runtime.pipeline import get_execution
from harness.source import scenario as source
from tests.conftest import definition

PROTECTED = """
buckets:
  artifacts: {}
roles:
  developer:
    assumed_by: ["arn:aws:iam::${account_id}:root"]
    policies:
      source:
        Version: "2012-10-17"
        Statement:
          - {Sid: Work, Effect: Allow, Action: "codecommit:*", Resource: "${repositories.app.arn}"}
          - Sid: ProtectMain
            Effect: Deny
            Action: ["codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:Merge*"]
            Resource: "${repositories.app.arn}"
            Condition:
              StringEqualsIfExists: {"codecommit:References": ["refs/heads/main"]}
              "Null": {"codecommit:References": "false"}
  approver:
    assumed_by: ["arn:aws:iam::${account_id}:root"]
    policies:
      review:
        Version: "2012-10-17"
        Statement:
          - {Sid: Review, Effect: Allow, Action: "codecommit:*", Resource: "${repositories.app.arn}"}
  pipeline:
    assumed_by: codepipeline.amazonaws.com
    policies:
      pipeline:
        Version: "2012-10-17"
        Statement:
          - Sid: ReadSource
            Effect: Allow
            Action: ["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive"]
            Resource: "${repositories.app.arn}"
          - Sid: Artifacts
            Effect: Allow
            Action: ["s3:PutObject", "s3:GetObject"]
            Resource: "${buckets.artifacts.arn}/*"
repositories:
  app: {}
approval_rule_templates:
  two:
    approvals_needed: 2
    approval_pool: ["arn:aws:sts::${account_id}:assumed-role/${roles.approver.name}/*"]
    destination_branches: [main]
    repositories: [app]
pipelines:
  release:
    role: pipeline
    artifact_store: {bucket: artifacts}
    stages:
      - name: Source
        actions:
          - name: Source
            category: Source
            provider: CodeCommit
            configuration: {RepositoryName: "${repositories.app.name}", BranchName: main}
            output_artifacts: [source]
      - name: Release
        actions:
          - {name: Approve, category: Approval, provider: Manual}
"""


@pytest.fixture
def deployment(backend: Backend) -> Iterator[Deployment]:
    found = Deployment(backend)
    with found.observed():
        found.definition = definition(PROTECTED)
        found.apply()
        yield found
        found.teardown()


def test_a_developer_pushes_to_a_feature_branch_but_not_to_main(deployment: Deployment) -> None:
    developer = source.act_as(deployment, "developer")
    source.expect_denied(source.push(deployment, developer, "main"))
    source.expect_allowed(source.push(deployment, developer, "feature/a"))
    source.expect_denied(source.delete_branch(deployment, developer, "main"))
    kept = [(a["call"], a["allowed"]) for a in deployment.evidence.current().data["authorization"]
            if a["call"].startswith("codecommit:")]
    assert kept == [("codecommit:GitPush", False), ("codecommit:GitPush", True), ("codecommit:DeleteBranch", False)]


def test_a_merge_needs_two_approvers_and_the_author_cannot_be_one(deployment: Deployment) -> None:
    change = source.propose_change(deployment, source.act_as(deployment, "developer"), "feature/a", "main")
    source.expect_refused(source.approve(deployment, change.author, change), source.AUTHOR_APPROVAL)
    source.expect_rules_pending(deployment, change)
    source.expect_allowed(source.approve(deployment, source.act_as(deployment, "approver"), change))
    merger = source.act_as(deployment, "approver")
    source.expect_refused(source.merge(deployment, merger, change), source.MERGE_BLOCKED)
    source.expect_allowed(source.approve(deployment, source.act_as(deployment, "approver"), change))
    source.expect_allowed(source.merge(deployment, merger, change, "three-way"))


def test_an_override_is_authorized_and_recorded_in_the_audit_trail(deployment: Deployment) -> None:
    change = source.propose_change(deployment, source.act_as(deployment, "developer"), "feature/a", "main")
    source.expect_denied(source.override(deployment, source.act_as(deployment, "pipeline"), change))
    approver = source.act_as(deployment, "approver")
    source.expect_allowed(source.override(deployment, approver, change))
    record = source.expect_recorded(deployment, "OverridePullRequestApprovalRules", approver)
    assert record["requestParameters"]["overrideStatus"] == "OVERRIDE"
    source.expect_allowed(source.merge(deployment, approver, change))


def test_a_merge_to_main_starts_the_pipeline_that_watches_it(deployment: Deployment) -> None:
    change = source.propose_change(deployment, source.act_as(deployment, "developer"), "feature/a", "main")
    assert source.triggers(deployment) == []  # the feature branch is not watched
    approver = source.act_as(deployment, "approver")
    source.expect_allowed(source.override(deployment, approver, change))
    merged = source.expect_allowed(source.merge(deployment, approver, change))
    assert merged.response is not None
    commit = merged.response["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]["mergeCommitId"]
    [event] = source.triggers(deployment)
    assert (event.branch, event.commit_id, event.caller) == ("main", commit, approver.arn)
    assert event.pipelines == ("release",)
    execution = get_execution(deployment, event.executions[0])
    assert execution.revisions[0]["revisionId"] == commit


def test_a_denial_expected_but_allowed_names_the_statement_and_the_fix(deployment: Deployment) -> None:
    outcome = source.push(deployment, source.act_as(deployment, "developer"), "feature/a")
    with pytest.raises(CheckFailed) as caught:
        source.expect_denied(outcome)
    message = str(caught.value)
    assert message.startswith("pipeline 'test': developer role expected AccessDeniedException on codecommit:GitPush")
    assert "statement 'Work' in test.yaml:" in message and "(roles.developer) allows it" in message
    assert "StringEqualsIfExists codecommit:References = refs/heads/feature/a" in message


def test_an_approval_refused_for_another_reason_is_not_taken_for_a_pass(deployment: Deployment) -> None:
    change = source.propose_change(deployment, source.act_as(deployment, "developer"), "feature/a", "main")
    outcome = source.approve(deployment, source.act_as(deployment, "pipeline"), change)
    with pytest.raises(CheckFailed, match=r"expected PullRequestCannotBeApprovedByAuthorException .* got AccessDenied"):
        source.expect_refused(outcome, source.AUTHOR_APPROVAL)


def test_a_scenario_role_the_definition_lacks_is_named(deployment: Deployment) -> None:
    with pytest.raises(Unverified, match="has no role playing 'auditor'"):
        source.act_as(deployment, "auditor")


def test_a_definition_without_a_repository_leaves_source_claims_unverified(backend: Backend) -> None:
    deployment = Deployment(backend)
    deployment.definition = definition("buckets:\n  b: {}\n")
    with pytest.raises(Unverified, match="declares no CodeCommit repository"):
        source.repository(deployment)


def test_a_repository_name_the_definition_lacks_is_named(deployment: Deployment) -> None:
    with pytest.raises(CheckFailed, match="expected a repository 'web', found app"):
        source.repository(deployment, "web")


def test_a_pipeline_that_cannot_read_its_source_does_not_undo_the_merge(backend: Backend) -> None:
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition(PROTECTED.replace('"codecommit:GetBranch", ', ""))
        deployment.apply()
        try:
            change = source.propose_change(deployment, source.act_as(deployment, "developer"), "feature/a", "main")
            approver = source.act_as(deployment, "approver")
            source.expect_allowed(source.override(deployment, approver, change))
            source.expect_allowed(source.merge(deployment, approver, change))
            [event] = source.triggers(deployment)
            assert event.executions == () and len(event.errors) == 1
            assert "AccessDeniedException" in event.errors[0] and "codecommit:GetBranch" in event.errors[0]
        finally:
            deployment.teardown()
