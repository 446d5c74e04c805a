"""The service behind boto3: which implementation serves each call, IAM authorization with codecommit:References,
AWS's error shapes, and recording of calls (Git pushes included) for evidence and CloudTrail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.backends.base import CallEvent, Identity
from harness.errors import Unverified
from harness.iam import PolicySet
from harness.source.authz import PolicyAuthorizer, access_for
from harness.source.errors import CodeCommitError
from harness.source.rules import content_text
from harness.source.service import SourceService
from harness.trail.service import CloudTrailEmulator

ACCOUNT = "123456789012"
REPO_ARN = f"arn:aws:codecommit:us-east-1:{ACCOUNT}:app"
DEVELOPER = Identity("developer", f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/dev", kind="AssumedRole",
                     account_id=ACCOUNT)
APPROVER = Identity("approver", f"arn:aws:sts::{ACCOUNT}:assumed-role/approver/alice", kind="AssumedRole",
                    account_id=ACCOUNT)

# The branch-protection statement of the CodeCommit user guide, after an allow of everything on the repository.
DEVELOPER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "UseRepository", "Effect": "Allow", "Action": "codecommit:*", "Resource": REPO_ARN},
        {
            "Sid": "ProtectMain",
            "Effect": "Deny",
            "Action": ["codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:Merge*"],
            "Resource": REPO_ARN,
            "Condition": {
                "StringEqualsIfExists": {"codecommit:References": ["refs/heads/main"]},
                "Null": {"codecommit:References": "false"},
            },
        },
    ],
}
APPROVER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Review", "Effect": "Allow", "Resource": REPO_ARN,
                   "Action": ["codecommit:GetPullRequest", "codecommit:UpdatePullRequestApprovalState"]}],
}


class Recorder:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []

    def after_call(self, event: CallEvent) -> None:
        self.events.append(event)


def policies(identity: Identity) -> PolicySet:
    document = {"developer": DEVELOPER_POLICY, "approver": APPROVER_POLICY}.get(identity.label)
    return PolicySet.compile(identity_policies=[document] if document else [])


@pytest.fixture
def service(backend: Backend) -> Iterator[SourceService]:
    found = SourceService.of(backend)
    found.authorizer = PolicyAuthorizer(policies)
    try:
        admin = backend.client("codecommit")
        admin.create_repository(repositoryName="app")
        admin.put_file(repositoryName="app", branchName="main", filePath="README.md", fileContent=b"hi")
        yield found
    finally:
        found.authorizer = None


def error_code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def main_tip(backend: Backend) -> str:
    return str(backend.client("codecommit").get_branch(repositoryName="app", branchName="main")["branch"]["commitId"])


def test_the_backend_serves_what_it_implements_and_the_model_the_rest(service: SourceService) -> None:
    assert ("CreateRepository", "moto") in service.served
    assert ("PutFile", "pipewarden") in service.served
    assert service.model.repository("app").served_by == "moto"
    metadata = service.backend.client("codecommit").get_repository(repositoryName="app")["repositoryMetadata"]
    assert metadata["defaultBranch"] == "main"
    assert metadata["Arn"] == REPO_ARN


def test_deleting_the_repository_in_the_backend_drops_it_from_the_model(service: SourceService) -> None:
    service.backend.client("codecommit").delete_repository(repositoryName="app")
    assert "app" not in service.model.repositories
    assert ("DeleteRepository", "moto") in service.served


def test_a_developer_cannot_put_a_file_on_main_but_can_on_a_feature_branch(service: SourceService) -> None:
    client = service.backend.client("codecommit", DEVELOPER)
    tip = main_tip(service.backend)
    assert error_code(client.put_file, repositoryName="app", branchName="main", filePath="x", fileContent=b"x",
                      parentCommitId=tip) == "AccessDeniedException"
    client.create_branch(repositoryName="app", branchName="feature", commitId=tip)
    client.put_file(repositoryName="app", branchName="feature", filePath="x", fileContent=b"x", parentCommitId=tip)
    denied = next(d for d in service.decisions if not d.allowed)
    assert denied.access.context == {"codecommit:References": ["refs/heads/main"]}
    assert [m.statement for m in denied.decision.matched] == ["ProtectMain"]


def test_a_denial_is_answered_with_codecommits_access_denied_message(service: SourceService) -> None:
    client = service.backend.client("codecommit", DEVELOPER)
    with pytest.raises(ClientError) as caught:
        client.delete_branch(repositoryName="app", branchName="main")
    assert caught.value.response["Error"]["Message"] == (
        f"User: {DEVELOPER.arn} is not authorized to perform: codecommit:DeleteBranch on resource: {REPO_ARN} "
        "with an explicit deny in an identity-based policy"
    )


def test_a_git_push_is_authorized_on_its_references_and_recorded(service: SourceService) -> None:
    recorder = Recorder()
    service.backend.add_observer(recorder)
    try:
        with pytest.raises(CodeCommitError) as caught:
            service.git_push(DEVELOPER, "app", "main", {"x": "x"})
        assert caught.value.code == "AccessDeniedException"
        service.git_push(DEVELOPER, "app", "feature/x", {"x": "x"})
    finally:
        service.backend.remove_observer(recorder)
    pushes = [(e.operation, e.params["references"], e.error_code) for e in recorder.events]
    assert pushes == [
        ("GitPush", ["refs/heads/main"], "AccessDeniedException"),
        ("GitPush", ["refs/heads/feature/x"], ""),
    ]
    assert "feature/x" in service.model.repository("app").branches


def test_pushes_and_model_served_calls_reach_cloudtrail(service: SourceService) -> None:
    trail = CloudTrailEmulator(service.backend)
    service.backend.add_observer(trail)
    try:
        service.git_push(DEVELOPER, "app", "feature", {"x": "x"})
        service.backend.client("codecommit", DEVELOPER).get_branch(repositoryName="app", branchName="feature")
    finally:
        service.backend.remove_observer(trail)
    names = [(r["eventName"], r["eventSource"], r["userIdentity"]["arn"]) for r in trail.recorder.history]
    assert ("GitPush", "codecommit.amazonaws.com", DEVELOPER.arn) in names
    assert ("GetBranch", "codecommit.amazonaws.com", DEVELOPER.arn) in names


def test_merging_a_pull_request_into_main_is_authorized_on_the_destination_reference(service: SourceService) -> None:
    dev = service.backend.client("codecommit", DEVELOPER)
    service.git_push(DEVELOPER, "app", "feature", {"x": "x"})
    pr = dev.create_pull_request(title="t", targets=[{"repositoryName": "app", "sourceReference": "feature",
                                                      "destinationReference": "main"}])["pullRequest"]
    access = access_for(service.model, "MergePullRequestBySquash", {"pullRequestId": pr["pullRequestId"]})
    assert (access.resource, access.context) == (REPO_ARN, {"codecommit:References": ["refs/heads/main"]})
    assert error_code(dev.merge_pull_request_by_squash, pullRequestId=pr["pullRequestId"], repositoryName="app") == (
        "AccessDeniedException"
    )


def test_unsatisfied_rules_refuse_the_merge_with_codecommits_exception(service: SourceService) -> None:
    admin = service.backend.client("codecommit")
    admin.create_approval_rule_template(
        approvalRuleTemplateName="one", approvalRuleTemplateContent=content_text(1, [APPROVER.arn], ["main"])
    )
    admin.associate_approval_rule_template_with_repository(approvalRuleTemplateName="one", repositoryName="app")
    service.git_push(DEVELOPER, "app", "feature", {"x": "x"})
    pr = service.backend.client("codecommit", DEVELOPER).create_pull_request(
        title="t", targets=[{"repositoryName": "app", "sourceReference": "feature"}]
    )["pullRequest"]
    with pytest.raises(admin.exceptions.PullRequestApprovalRulesNotSatisfiedException):
        admin.merge_pull_request_by_fast_forward(pullRequestId=pr["pullRequestId"], repositoryName="app")
    service.backend.client("codecommit", APPROVER).update_pull_request_approval_state(
        pullRequestId=pr["pullRequestId"], revisionId=pr["revisionId"], approvalState="APPROVE"
    )
    merged = admin.merge_pull_request_by_fast_forward(pullRequestId=pr["pullRequestId"], repositoryName="app")
    assert merged["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]["isMerged"]


def test_an_override_needs_its_own_permission(service: SourceService) -> None:
    service.git_push(DEVELOPER, "app", "feature", {"x": "x"})
    pr = service.backend.client("codecommit", DEVELOPER).create_pull_request(
        title="t", targets=[{"repositoryName": "app", "sourceReference": "feature"}]
    )["pullRequest"]
    approver = service.backend.client("codecommit", APPROVER)
    assert error_code(approver.override_pull_request_approval_rules, pullRequestId=pr["pullRequestId"],
                      revisionId=pr["revisionId"], overrideStatus="OVERRIDE") == "AccessDeniedException"
    assert service.decisions[-1].access.action == "codecommit:OverridePullRequestApprovalRules"


def test_calls_by_scenario_identities_are_unverified_without_an_authorizer(backend: Backend) -> None:
    assert SourceService.of(backend).authorizer is None
    with pytest.raises(Unverified, match="no IAM enforcement"):
        backend.client("codecommit", DEVELOPER).list_branches(repositoryName="app")


def test_one_service_per_backend_emptied_when_the_backend_is_reset(service: SourceService) -> None:
    assert SourceService.of(service.backend) is service
    service.backend.reset()
    assert service.model.repositories == {} and service.served == []
    service.backend.client("codecommit").create_repository(repositoryName="app")
    assert service.model.repository("app").branches == {}


def test_other_services_pass_through(service: SourceService) -> None:
    service.backend.client("s3").list_buckets()
    assert all(op != "ListBuckets" for op, _ in service.served)
