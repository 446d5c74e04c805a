"""The CodeCommit of one account and region: repositories, pull requests, approval rules and their templates.

Every public operation takes the caller's ARN and the API's request parameters and returns the API's response
(``put_file``, ``create_pull_request``, ``update_pull_request_approval_state``, ``merge_pull_request_by_squash``...).
Refusals raise :class:`~harness.source.errors.CodeCommitError` with CodeCommit's exception code. Authorization is not
decided here (see :mod:`harness.source.service`); the business rules CodeCommit applies to everyone are:

* a pull request gets, when it is created, one approval rule per associated template whose destination references
  match its destination (a template without references matches every branch);
* approvals are given per revision; a new commit on the source branch makes a new revision, and approvals and
  overrides of earlier revisions no longer count;
* the author of a pull request cannot approve it (PullRequestCannotBeApprovedByAuthorException, per the
  UpdatePullRequestApprovalState API reference). The author is compared by ARN: another session of the same role
  is another user, as it is for CodeCommit;
* a pull request merges only when every rule is satisfied or the rules were overridden for the current revision
  (PullRequestApprovalRulesNotSatisfiedException).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.source.errors import CodeCommitError
from harness.source.repository import MergeOption, Repository, blob_id
from harness.source.rules import RuleContent, branch_name, full_reference, parse_content

BranchListener = Callable[[str, str, str, str], None]
"""Called as ``(repository, branch, commit_id, caller_arn)`` after a branch moved (commit, push, merge, creation)."""

MAX_TEMPLATES_PER_REPOSITORY = 10


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Template:
    """An approval rule template and the repositories it is associated with."""

    template_id: str
    name: str
    content: RuleContent
    description: str = ""
    created: datetime = field(default_factory=_now)
    modified: datetime = field(default_factory=_now)
    modified_by: str = ""
    repositories: set[str] = field(default_factory=set)

    def to_api(self) -> dict[str, Any]:
        """The ``ApprovalRuleTemplate`` shape."""
        return {
            "approvalRuleTemplateId": self.template_id,
            "approvalRuleTemplateName": self.name,
            "approvalRuleTemplateDescription": self.description,
            "approvalRuleTemplateContent": self.content.text,
            "ruleContentSha256": self.content.sha256,
            "lastModifiedDate": self.modified,
            "creationDate": self.created,
            "lastModifiedUser": self.modified_by,
        }


@dataclass(slots=True)
class ApprovalRule:
    """An approval rule on one pull request, possibly created from a template."""

    rule_id: str
    name: str
    content: RuleContent
    created_by: str
    origin: Template | None = None
    created: datetime = field(default_factory=_now)

    def to_api(self) -> dict[str, Any]:
        """The ``ApprovalRule`` shape."""
        answer: dict[str, Any] = {
            "approvalRuleId": self.rule_id,
            "approvalRuleName": self.name,
            "approvalRuleContent": self.content.text,
            "ruleContentSha256": self.content.sha256,
            "lastModifiedDate": self.created,
            "creationDate": self.created,
            "lastModifiedUser": self.created_by,
        }
        if self.origin is not None:
            answer["originApprovalRuleTemplate"] = {
                "approvalRuleTemplateId": self.origin.template_id,
                "approvalRuleTemplateName": self.origin.name,
            }
        return answer


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of a pull request: the source and destination commits when it was made."""

    revision_id: str
    source_commit: str
    destination_commit: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """EvaluatePullRequestApprovalRules: which rules the approvals of one revision satisfy."""

    approved: bool
    overridden: bool
    satisfied: tuple[str, ...]
    not_satisfied: tuple[str, ...]

    @property
    def mergeable(self) -> bool:
        """True when a merge would not be refused for approvals."""
        return self.approved or self.overridden

    def to_api(self) -> dict[str, Any]:
        """The ``Evaluation`` shape."""
        return {
            "approved": self.approved,
            "overridden": self.overridden,
            "approvalRulesSatisfied": list(self.satisfied),
            "approvalRulesNotSatisfied": list(self.not_satisfied),
        }


@dataclass(slots=True)
class PullRequest:
    """A pull request in one repository, with its revisions, rules, approvals and overrides."""

    pull_request_id: str
    title: str
    description: str
    author_arn: str
    repository: str
    source_reference: str
    destination_reference: str
    revisions: list[Revision]
    rules: list[ApprovalRule] = field(default_factory=list)
    # revision id → approver ARN → APPROVE or REVOKE
    approvals: dict[str, dict[str, str]] = field(default_factory=dict)
    # revision id → the ARN that overrode the rules
    overrides: dict[str, str] = field(default_factory=dict)
    status: str = "OPEN"
    merge: dict[str, Any] | None = None
    client_request_token: str = ""
    created: datetime = field(default_factory=_now)
    activity: datetime = field(default_factory=_now)

    @property
    def revision(self) -> Revision:
        """The current revision."""
        return self.revisions[-1]

    def approvers(self, revision_id: str) -> tuple[str, ...]:
        """Who approves ``revision_id`` now (sorted)."""
        return tuple(sorted(a for a, s in self.approvals.get(revision_id, {}).items() if s == "APPROVE"))

    def evaluate(self, revision_id: str | None = None) -> Evaluation:
        """Evaluate every rule against the approvals of a revision (the current one by default)."""
        revision_id = revision_id or self.revision.revision_id
        approvers = self.approvers(revision_id)
        satisfied = tuple(r.name for r in self.rules if r.content.satisfied_by(approvers))
        missing = tuple(r.name for r in self.rules if r.name not in satisfied)
        return Evaluation(not missing, revision_id in self.overrides, satisfied, missing)

    def to_api(self) -> dict[str, Any]:
        """The ``PullRequest`` shape."""
        target: dict[str, Any] = {
            "repositoryName": self.repository,
            "sourceReference": self.source_reference,
            "destinationReference": self.destination_reference,
            "destinationCommit": self.revision.destination_commit,
            "sourceCommit": self.revision.source_commit,
            "mergeMetadata": self.merge or {"isMerged": False},
        }
        return {
            "pullRequestId": self.pull_request_id,
            "title": self.title,
            "description": self.description,
            "lastActivityDate": self.activity,
            "creationDate": self.created,
            "pullRequestStatus": self.status,
            "authorArn": self.author_arn,
            "pullRequestTargets": [target],
            "clientRequestToken": self.client_request_token,
            "revisionId": self.revision.revision_id,
            "approvalRules": [r.to_api() for r in self.rules],
        }


def _required(params: Mapping[str, Any], name: str, code: str) -> Any:
    value = params.get(name)
    if value in (None, "", []):
        raise CodeCommitError(code, f"{name} is required.")
    return value


class SourceModel:
    """CodeCommit's state for one account and region.

    Args:
        account_id: the account the repositories belong to.
        region: their region (part of every ARN).
    """

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.repositories: dict[str, Repository] = {}
        self.templates: dict[str, Template] = {}
        self.pull_requests: dict[str, PullRequest] = {}
        self.listeners: list[BranchListener] = []
        self._ids = itertools.count(1)

    # -- repositories ------------------------------------------------------------------------------------------
    def repository_arn(self, name: str) -> str:
        """``arn:aws:codecommit:REGION:ACCOUNT:NAME``."""
        return f"arn:aws:codecommit:{self.region}:{self.account_id}:{name}"

    def repository(self, name: str) -> Repository:
        """A repository by name.

        Raises:
            CodeCommitError: RepositoryDoesNotExistException.
        """
        found = self.repositories.get(name)
        if found is None:
            raise CodeCommitError("RepositoryDoesNotExistException", f"{name} does not exist")
        return found

    def adopt(
        self, metadata: Mapping[str, Any], tags: Mapping[str, str] | None = None, served_by: str = "moto"
    ) -> Repository:
        """Hold the Git content of a repository another implementation created (its ``repositoryMetadata``)."""
        name = str(metadata["repositoryName"])
        found = self.repositories.get(name)
        if found is None:
            found = Repository(
                name,
                str(metadata.get("Arn") or self.repository_arn(name)),
                str(metadata.get("repositoryId") or uuid.uuid4()),
                str(metadata.get("repositoryDescription") or ""),
                served_by=served_by,
                tags=dict(tags or {}),
            )
            self.repositories[name] = found
        return found

    def forget(self, name: str) -> None:
        """Drop a deleted repository, its pull requests and its template associations."""
        self.repositories.pop(name, None)
        for template in self.templates.values():
            template.repositories.discard(name)
        for pull_id in [p for p, pr in self.pull_requests.items() if pr.repository == name]:
            del self.pull_requests[pull_id]

    def create_repository(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = _required(params, "repositoryName", "RepositoryNameRequiredException")
        if name in self.repositories:
            raise CodeCommitError("RepositoryNameExistsException", f"Repository named {name} already exists")
        repo = self.adopt(
            {"repositoryName": name, "repositoryDescription": params.get("repositoryDescription", "")},
            params.get("tags"),
            served_by="pipewarden",
        )
        return {"repositoryMetadata": repo.metadata(self.account_id)}

    def get_repository(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"repositoryMetadata": self.repository(params["repositoryName"]).metadata(self.account_id)}

    def delete_repository(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        found = self.repositories.get(params["repositoryName"])
        self.forget(params["repositoryName"])
        return {"repositoryId": found.repository_id} if found else {}

    def list_repositories(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "repositories": [
                {"repositoryName": r.name, "repositoryId": r.repository_id}
                for r in sorted(self.repositories.values(), key=lambda r: r.name)
            ]
        }

    def update_repository_description(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.repository(params["repositoryName"]).description = str(params.get("repositoryDescription", ""))
        return {}

    def update_default_branch(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        repo.tip(params["defaultBranchName"])
        repo.default_branch = params["defaultBranchName"]
        return {}

    def _by_arn(self, arn: str) -> Repository:
        found = next((r for r in self.repositories.values() if r.arn == arn), None)
        if found is None:
            raise CodeCommitError("RepositoryDoesNotExistException", f"{arn} does not exist")
        return found

    def tag_resource(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self._by_arn(params["resourceArn"]).tags.update({str(k): str(v) for k, v in params["tags"].items()})
        return {}

    def untag_resource(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self._by_arn(params["resourceArn"])
        for key in params["tagKeys"]:
            repo.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._by_arn(params["resourceArn"]).tags)}

    # -- branches and commits ----------------------------------------------------------------------------------
    def _moved(self, repo: Repository, branch: str, caller: str) -> None:
        """A branch moved: open pull requests from it get a new revision; listeners (pipeline triggers) hear it."""
        tip = repo.branches[branch]
        for pr in self.pull_requests.values():
            if (
                pr.status == "OPEN"
                and pr.repository == repo.name
                and branch_name(pr.source_reference) == branch
                and pr.revision.source_commit != tip
            ):
                destination = repo.tip(branch_name(pr.destination_reference))
                pr.revisions.append(self._revision(pr.pull_request_id, tip, destination, len(pr.revisions)))
                pr.activity = _now()
        for listener in list(self.listeners):
            listener(repo.name, branch, tip, caller)

    def create_branch(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        name = _required(params, "branchName", "BranchNameRequiredException")
        if name in repo.branches:
            raise CodeCommitError("BranchNameExistsException", f"Branch {name} already exists in {repo.name}.")
        repo.branches[name] = repo.commit(_required(params, "commitId", "CommitIdRequiredException")).commit_id
        self._moved(repo, name, caller)
        return {}

    def delete_branch(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        name = params["branchName"]
        if name == repo.default_branch:
            raise CodeCommitError(
                "DefaultBranchCannotBeDeletedException",
                f"The branch {name} is the default branch of {repo.name} and cannot be deleted.",
            )
        if name not in repo.branches:
            return {"deletedBranch": {}}
        return {"deletedBranch": {"branchName": name, "commitId": repo.branches.pop(name)}}

    def get_branch(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        return {"branch": {"branchName": params["branchName"], "commitId": repo.tip(params["branchName"])}}

    def list_branches(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"branches": sorted(self.repository(params["repositoryName"]).branches)}

    def put_file(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        branch = params["branchName"]
        path = params["filePath"]
        content = _bytes(params["fileContent"])
        tip = repo.branches.get(branch)
        if tip is not None and repo.tree(tip).get(path) == content and params.get("parentCommitId") == tip:
            raise CodeCommitError(
                "SameFileContentException", f"The file {path} already has this content in {branch}; nothing to commit."
            )
        commit = repo.commit_changes(
            branch,
            params.get("parentCommitId"),
            {path: content},
            author=params.get("name") or _caller_name(caller),
            email=params.get("email", ""),
            message=params.get("commitMessage", ""),
        )
        self._moved(repo, branch, caller)
        return {"commitId": commit.commit_id, "blobId": blob_id(content), "treeId": commit.tree_id}

    def create_commit(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        branch = params["branchName"]
        before = dict(repo.tree(repo.branches[branch])) if branch in repo.branches else {}
        put = {f["filePath"]: _bytes(f.get("fileContent", b"")) for f in params.get("putFiles", [])}
        delete = tuple(f["filePath"] for f in params.get("deleteFiles", []))
        commit = repo.commit_changes(
            branch,
            params.get("parentCommitId"),
            put,
            delete,
            author=params.get("authorName") or _caller_name(caller),
            email=params.get("email", ""),
            message=params.get("commitMessage", ""),
        )
        self._moved(repo, branch, caller)

        def meta(paths: list[str]) -> list[dict[str, str]]:
            return [
                {"absolutePath": p, "blobId": blob_id(commit.tree.get(p, b"")), "fileMode": "NORMAL"} for p in paths
            ]

        return {
            "commitId": commit.commit_id,
            "treeId": commit.tree_id,
            "filesAdded": meta(sorted(p for p in put if p not in before)),
            "filesUpdated": meta(sorted(p for p in put if p in before)),
            "filesDeleted": meta(sorted(delete)),
        }

    def git_push(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A ``git push`` of one commit of file changes to one branch (``references`` names the pushed refs).

        Git over HTTPS is not an API operation; the model takes the pushed content as CreateCommit would, on top of
        the branch's tip (a new branch starts from the default branch).
        """
        repo = self.repository(params["repositoryName"])
        branch = branch_name(params["references"][0])
        if branch not in repo.branches and repo.branches:
            repo.branches[branch] = repo.tip(repo.default_branch)
        put = {path: _bytes(content) for path, content in params.get("files", {}).items()}
        commit = repo.commit_changes(
            branch,
            repo.branches.get(branch),
            put,
            author=_caller_name(caller),
            message=params.get("message", "push"),
        )
        self._moved(repo, branch, caller)
        return {"commitId": commit.commit_id, "references": [full_reference(branch)]}

    def get_commit(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"commit": self.repository(params["repositoryName"]).commit(params["commitId"]).to_api()}

    def get_file(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        repo = self.repository(params["repositoryName"])
        commit_id = repo.resolve(params.get("commitSpecifier") or repo.default_branch)
        path = params["filePath"]
        content = repo.tree(commit_id).get(path)
        if content is None:
            raise CodeCommitError("FileDoesNotExistException", f"The file {path} does not exist in {commit_id}.")
        return {
            "commitId": commit_id,
            "blobId": blob_id(content),
            "filePath": path,
            "fileMode": "NORMAL",
            "fileSize": len(content),
            "fileContent": content,
        }

    # -- approval rule templates -------------------------------------------------------------------------------
    def template(self, name: str) -> Template:
        """A template by name.

        Raises:
            CodeCommitError: ApprovalRuleTemplateDoesNotExistException.
        """
        found = self.templates.get(name)
        if found is None:
            raise CodeCommitError(
                "ApprovalRuleTemplateDoesNotExistException", f"The approval rule template {name} does not exist."
            )
        return found

    def create_approval_rule_template(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = _required(params, "approvalRuleTemplateName", "ApprovalRuleTemplateNameRequiredException")
        text = _required(params, "approvalRuleTemplateContent", "ApprovalRuleTemplateContentRequiredException")
        if name in self.templates:
            raise CodeCommitError(
                "ApprovalRuleTemplateNameAlreadyExistsException",
                f"An approval rule template named {name} already exists.",
            )
        template = Template(
            str(uuid.uuid4()),
            name,
            parse_content(text, template=True),
            params.get("approvalRuleTemplateDescription", ""),
            modified_by=caller,
        )
        self.templates[name] = template
        return {"approvalRuleTemplate": template.to_api()}

    def get_approval_rule_template(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"approvalRuleTemplate": self.template(params["approvalRuleTemplateName"]).to_api()}

    def list_approval_rule_templates(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"approvalRuleTemplateNames": sorted(self.templates)}

    def update_approval_rule_template_content(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        template = self.template(params["approvalRuleTemplateName"])
        expected = params.get("existingRuleContentSha256")
        if expected and expected != template.content.sha256:
            raise CodeCommitError(
                "InvalidRuleContentSha256Exception", "The SHA-256 hash does not match the current content."
            )
        template.content = parse_content(params["newRuleContent"], template=True)
        template.modified, template.modified_by = _now(), caller
        return {"approvalRuleTemplate": template.to_api()}

    def update_approval_rule_template_description(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        template = self.template(params["approvalRuleTemplateName"])
        template.description = params.get("approvalRuleTemplateDescription", "")
        template.modified, template.modified_by = _now(), caller
        return {"approvalRuleTemplate": template.to_api()}

    def delete_approval_rule_template(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        template = self.templates.get(params["approvalRuleTemplateName"])
        if template is None:
            return {"approvalRuleTemplateId": ""}
        if template.repositories:
            raise CodeCommitError(
                "ApprovalRuleTemplateInUseException",
                f"The approval rule template {template.name} is associated with "
                f"{', '.join(sorted(template.repositories))}; disassociate it first.",
            )
        del self.templates[template.name]
        return {"approvalRuleTemplateId": template.template_id}

    def associate_approval_rule_template_with_repository(
        self, caller: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        template = self.template(params["approvalRuleTemplateName"])
        repo = self.repository(params["repositoryName"])
        count = sum(1 for t in self.templates.values() if repo.name in t.repositories)
        if repo.name not in template.repositories and count >= MAX_TEMPLATES_PER_REPOSITORY:
            raise CodeCommitError(
                "MaximumRuleTemplatesAssociatedWithRepositoryException",
                f"{repo.name} already has {count} associated approval rule templates.",
            )
        template.repositories.add(repo.name)
        return {}

    def disassociate_approval_rule_template_from_repository(
        self, caller: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        template = self.template(params["approvalRuleTemplateName"])
        self.repository(params["repositoryName"])
        template.repositories.discard(params["repositoryName"])
        return {}

    def list_repositories_for_approval_rule_template(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"repositoryNames": sorted(self.template(params["approvalRuleTemplateName"]).repositories)}

    def list_associated_approval_rule_templates_for_repository(
        self, caller: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        name = self.repository(params["repositoryName"]).name
        return {"approvalRuleTemplateNames": sorted(t.name for t in self.templates.values() if name in t.repositories)}

    # -- pull requests -----------------------------------------------------------------------------------------
    def _revision(self, pull_id: str, source: str, destination: str, index: int) -> Revision:
        digest = hashlib.sha256(f"{pull_id}:{index}:{source}:{destination}".encode()).hexdigest()
        return Revision(digest, source, destination)

    def pull_request(self, pull_id: str) -> PullRequest:
        """A pull request by id.

        Raises:
            CodeCommitError: PullRequestDoesNotExistException.
        """
        found = self.pull_requests.get(str(pull_id))
        if found is None:
            raise CodeCommitError("PullRequestDoesNotExistException", f"The pull request {pull_id} does not exist.")
        return found

    def _open(self, pull_id: str) -> PullRequest:
        pr = self.pull_request(pull_id)
        if pr.status != "OPEN":
            raise CodeCommitError("PullRequestAlreadyClosedException", f"The pull request {pull_id} is already closed.")
        return pr

    def _current(self, pr: PullRequest, revision_id: str) -> None:
        if not revision_id:
            raise CodeCommitError("RevisionIdRequiredException", "A revision ID is required.")
        if revision_id != pr.revision.revision_id:
            known = any(r.revision_id == revision_id for r in pr.revisions)
            raise CodeCommitError(
                "RevisionNotCurrentException" if known else "InvalidRevisionIdException",
                f"The revision {revision_id} is not the current revision of pull request {pr.pull_request_id}.",
            )

    def create_pull_request(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        targets = _required(params, "targets", "TargetsRequiredException")
        target = targets[0]
        repo = self.repository(target["repositoryName"])
        source = branch_name(target["sourceReference"])
        destination = branch_name(target.get("destinationReference") or repo.default_branch)
        for branch in (source, destination):
            if branch not in repo.branches:
                raise CodeCommitError("ReferenceDoesNotExistException", f"The reference {branch} does not exist.")
        if source == destination:
            raise CodeCommitError(
                "SourceAndDestinationAreSameException", "The source and destination references are the same."
            )
        pull_id = str(next(self._ids))
        pr = PullRequest(
            pull_id,
            _required(params, "title", "TitleRequiredException"),
            params.get("description", ""),
            caller,
            repo.name,
            full_reference(source),
            full_reference(destination),
            [self._revision(pull_id, repo.branches[source], repo.branches[destination], 0)],
            client_request_token=params.get("clientRequestToken", ""),
        )
        # Templates create rules only when the pull request is created; later associations do not reach it.
        for template in sorted(self.templates.values(), key=lambda t: t.name):
            if repo.name in template.repositories and template.content.applies_to(pr.destination_reference):
                content = RuleContent(template.content.statements, (), _rule_text(template.content))
                pr.rules.append(ApprovalRule(str(uuid.uuid4()), template.name, content, caller, template))
        self.pull_requests[pull_id] = pr
        return {"pullRequest": pr.to_api()}

    def get_pull_request(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"pullRequest": self.pull_request(params["pullRequestId"]).to_api()}

    def list_pull_requests(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = self.repository(params["repositoryName"]).name
        status = params.get("pullRequestStatus")
        ids = [
            p.pull_request_id
            for p in self.pull_requests.values()
            if p.repository == name
            and (not status or p.status == status)
            and (not params.get("authorArn") or p.author_arn == params["authorArn"])
        ]
        return {"pullRequestIds": ids}

    def update_pull_request_title(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        pr.title = _required(params, "title", "TitleRequiredException")
        pr.activity = _now()
        return {"pullRequest": pr.to_api()}

    def update_pull_request_description(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        pr.description = params.get("description", "")
        pr.activity = _now()
        return {"pullRequest": pr.to_api()}

    def update_pull_request_status(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        if params.get("pullRequestStatus") != "CLOSED":
            raise CodeCommitError("InvalidPullRequestStatusUpdateException", "An open pull request can only be closed.")
        pr.status = "CLOSED"
        return {"pullRequest": pr.to_api()}

    def create_pull_request_approval_rule(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        name = _required(params, "approvalRuleName", "ApprovalRuleNameRequiredException")
        if any(r.name == name for r in pr.rules):
            raise CodeCommitError("ApprovalRuleNameAlreadyExistsException", f"An approval rule named {name} exists.")
        content = parse_content(params["approvalRuleContent"], template=False)
        rule = ApprovalRule(str(uuid.uuid4()), name, content, caller)
        pr.rules.append(rule)
        return {"approvalRule": rule.to_api()}

    def delete_pull_request_approval_rule(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        rule = next((r for r in pr.rules if r.name == params["approvalRuleName"]), None)
        if rule is None:
            return {"approvalRuleId": ""}
        if rule.origin is not None:
            # A rule a template created can only be overridden, not deleted (CodeCommit refuses it too).
            raise CodeCommitError(
                "CannotDeleteApprovalRuleFromTemplateException",
                f"The approval rule {rule.name} was created from a template and cannot be deleted.",
            )
        pr.rules.remove(rule)
        return {"approvalRuleId": rule.rule_id}

    def update_pull_request_approval_state(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        self._current(pr, params.get("revisionId", ""))
        state = _required(params, "approvalState", "ApprovalStateRequiredException")
        if state not in ("APPROVE", "REVOKE"):
            raise CodeCommitError("InvalidApprovalStateException", f"The approval state {state} is not valid.")
        if caller == pr.author_arn:
            raise CodeCommitError(
                "PullRequestCannotBeApprovedByAuthorException",
                "The approval cannot be applied because the user approving the pull request matches the user who "
                "created the pull request. You cannot approve a pull request that you created.",
            )
        pr.approvals.setdefault(pr.revision.revision_id, {})[caller] = state
        pr.activity = _now()
        return {}

    def get_pull_request_approval_states(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self.pull_request(params["pullRequestId"])
        states = pr.approvals.get(params["revisionId"], {})
        return {"approvals": [{"userArn": a, "approvalState": s} for a, s in sorted(states.items())]}

    def evaluate_pull_request_approval_rules(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self.pull_request(params["pullRequestId"])
        self._current(pr, params.get("revisionId", ""))
        return {"evaluation": pr.evaluate(params["revisionId"]).to_api()}

    def override_pull_request_approval_rules(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        self._current(pr, params.get("revisionId", ""))
        status = _required(params, "overrideStatus", "OverrideStatusRequiredException")
        revision = pr.revision.revision_id
        if status == "OVERRIDE":
            if revision in pr.overrides:
                raise CodeCommitError("OverrideAlreadySetException", "The approval rules are already overridden.")
            pr.overrides[revision] = caller
        elif status == "REVOKE":
            pr.overrides.pop(revision, None)
        else:
            raise CodeCommitError("InvalidOverrideStatusException", f"The override status {status} is not valid.")
        return {}

    def get_pull_request_override_state(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        pr = self.pull_request(params["pullRequestId"])
        overrider = pr.overrides.get(params["revisionId"])
        return {"overridden": overrider is not None, **({"overrider": overrider} if overrider else {})}

    def _merge(self, caller: str, params: Mapping[str, Any], option: MergeOption) -> dict[str, Any]:
        pr = self._open(params["pullRequestId"])
        if params.get("repositoryName") and params["repositoryName"] != pr.repository:
            raise CodeCommitError(
                "RepositoryNotAssociatedWithPullRequestException",
                f"The repository {params['repositoryName']} is not the repository of pull request "
                f"{pr.pull_request_id}.",
            )
        repo = self.repository(pr.repository)
        source = repo.tip(branch_name(pr.source_reference))
        if params.get("sourceCommitId") and params["sourceCommitId"] != source:
            raise CodeCommitError(
                "TipOfSourceReferenceIsDifferentException",
                f"The tip of the source branch is {source}, not {params['sourceCommitId']}.",
            )
        evaluation = pr.evaluate()
        if not evaluation.mergeable:
            raise CodeCommitError(
                "PullRequestApprovalRulesNotSatisfiedException",
                f"The pull request cannot be merged because approval rules are not satisfied: "
                f"{', '.join(evaluation.not_satisfied)}.",
            )
        destination = branch_name(pr.destination_reference)
        message = params.get("commitMessage") or f"Merge pull request {pr.pull_request_id}: {pr.title}"
        result = repo.merge(source, destination, option, author=params.get("authorName") or caller, message=message)
        pr.status = "CLOSED"
        pr.merge = {"isMerged": True, "mergedBy": caller, "mergeCommitId": result.commit_id, "mergeOption": option}
        pr.activity = _now()
        self._moved(repo, destination, caller)
        return {"pullRequest": pr.to_api()}

    def merge_pull_request_by_fast_forward(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self._merge(caller, params, "FAST_FORWARD_MERGE")

    def merge_pull_request_by_squash(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self._merge(caller, params, "SQUASH_MERGE")

    def merge_pull_request_by_three_way(self, caller: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self._merge(caller, params, "THREE_WAY_MERGE")

    # -- dispatch ----------------------------------------------------------------------------------------------
    def handles(self, operation: str) -> bool:
        """Tell whether the model serves an API operation (``PutFile``)."""
        return operation in OPERATIONS

    def call(self, caller: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Serve one operation by API name (``MergePullRequestBySquash``) for ``caller``.

        Raises:
            CodeCommitError: the service's refusal.
            KeyError: for an operation the model does not serve (see :meth:`handles`).
        """
        return OPERATIONS[operation](self, caller, params)


def _rule_text(content: RuleContent) -> str:
    """The content of a rule a template creates: the template's content without its destination references."""
    document = json.loads(content.text)
    document.pop("DestinationReferences", None)
    return json.dumps(document)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _caller_name(arn: str) -> str:
    """The last part of a caller ARN (a user name or a session name), used as a commit's author."""
    return arn.rsplit("/", 1)[-1] or arn


def _operation_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


OPERATIONS: dict[str, Callable[[SourceModel, str, Mapping[str, Any]], dict[str, Any]]] = {
    _operation_name(name): getattr(SourceModel, name)
    for name in (
        "create_repository",
        "get_repository",
        "delete_repository",
        "list_repositories",
        "update_repository_description",
        "update_default_branch",
        "tag_resource",
        "untag_resource",
        "list_tags_for_resource",
        "create_branch",
        "delete_branch",
        "get_branch",
        "list_branches",
        "put_file",
        "create_commit",
        "git_push",
        "get_commit",
        "get_file",
        "create_approval_rule_template",
        "get_approval_rule_template",
        "list_approval_rule_templates",
        "update_approval_rule_template_content",
        "update_approval_rule_template_description",
        "delete_approval_rule_template",
        "associate_approval_rule_template_with_repository",
        "disassociate_approval_rule_template_from_repository",
        "list_repositories_for_approval_rule_template",
        "list_associated_approval_rule_templates_for_repository",
        "create_pull_request",
        "get_pull_request",
        "list_pull_requests",
        "update_pull_request_title",
        "update_pull_request_description",
        "update_pull_request_status",
        "create_pull_request_approval_rule",
        "delete_pull_request_approval_rule",
        "update_pull_request_approval_state",
        "get_pull_request_approval_states",
        "evaluate_pull_request_approval_rules",
        "override_pull_request_approval_rules",
        "get_pull_request_override_state",
        "merge_pull_request_by_fast_forward",
        "merge_pull_request_by_squash",
        "merge_pull_request_by_three_way",
    )
}
"""API operation name → the model method that serves it."""


__all__ = ["OPERATIONS", "ApprovalRule", "Evaluation", "PullRequest", "Revision", "SourceModel", "Template"]
