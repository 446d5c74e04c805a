"""Authorization of source operations: the IAM request each CodeCommit operation makes, and who decides it.

Every operation is authorized as CodeCommit does: the action ``codecommit:<Operation>`` (``codecommit:GitPush`` for a
push over Git) on the repository ARN ``arn:aws:codecommit:REGION:ACCOUNT:REPO``, with ``codecommit:References``
naming the branch a change lands on: the branch of PutFile, CreateCommit, CreateBranch and DeleteBranch, the pushed
references of GitPush, and the destination branch of a pull request merge. The branch-protection policy in the
CodeCommit user guide ("Limit pushes and merges to branches") relies on exactly this key::

    {"Effect": "Deny",
     "Action": ["codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:Merge*"],
     "Resource": "arn:aws:codecommit:REGION:ACCOUNT:REPO",
     "Condition": {"StringEqualsIfExists": {"codecommit:References": ["refs/heads/main"]},
                   "Null": {"codecommit:References": "false"}}}

Approval rule templates that are not tied to a repository (create, get, update, delete, list) take no resource
(``*``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.backends.base import Identity
from harness.iam import (
    AuthorizationRequest,
    CallDescription,
    Decision,
    Outcome,
    PolicySet,
    PrincipalDescription,
    build_context,
    evaluate,
)
from harness.source.errors import CodeCommitError
from harness.source.model import SourceModel
from harness.source.rules import branch_name, full_reference

# Operations on templates alone: CodeCommit authorizes them on no particular resource.
_TEMPLATE_ONLY = frozenset(
    {
        "CreateApprovalRuleTemplate",
        "GetApprovalRuleTemplate",
        "ListApprovalRuleTemplates",
        "UpdateApprovalRuleTemplateContent",
        "UpdateApprovalRuleTemplateDescription",
        "UpdateApprovalRuleTemplateName",
        "DeleteApprovalRuleTemplate",
        "ListRepositoriesForApprovalRuleTemplate",
        "ListRepositories",
    }
)
_BRANCH_PARAM = {
    "PutFile": "branchName",
    "CreateCommit": "branchName",
    "CreateBranch": "branchName",
    "DeleteBranch": "branchName",
    "DeleteFile": "branchName",
}
_MERGES = frozenset({"MergePullRequestByFastForward", "MergePullRequestBySquash", "MergePullRequestByThreeWay"})


@dataclass(frozen=True, slots=True)
class SourceAccess:
    """One authorization request of a source operation: action, resource and context keys.

    The attribute names are those of the enforcement engine's required accesses, so either can decide it.
    """

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.action.startswith("codecommit:"):
            raise ValueError(f"SourceAccess.action: expected codecommit:<Operation>, found {self.action!r}")


def access_for(model: SourceModel, operation: str, params: Mapping[str, Any]) -> SourceAccess:
    """The IAM request CodeCommit makes for ``operation`` with ``params``.

    Pull request operations are authorized on the pull request's repository (looked up in ``model``); an unknown
    pull request is authorized on ``*`` (CodeCommit then answers PullRequestDoesNotExistException).
    """
    action = f"codecommit:{operation}"
    if operation in _TEMPLATE_ONLY:
        return SourceAccess(action, "*")
    repository = params.get("repositoryName")
    if repository is None and params.get("targets"):
        repository = params["targets"][0].get("repositoryName")
    if repository is None and params.get("resourceArn"):
        return SourceAccess(action, str(params["resourceArn"]))
    pull = model.pull_requests.get(str(params.get("pullRequestId", "")))
    if repository is None and pull is not None:
        repository = pull.repository
    resource = model.repository_arn(repository) if repository else "*"
    references: list[str] = []
    if operation in _BRANCH_PARAM and params.get(_BRANCH_PARAM[operation]):
        references = [full_reference(str(params[_BRANCH_PARAM[operation]]))]
    elif operation == "GitPush":
        references = [str(r) for r in params.get("references", [])]
    elif operation in _MERGES and pull is not None:
        references = [full_reference(branch_name(pull.destination_reference))]
    return SourceAccess(action, resource, {"codecommit:References": references} if references else {})


class Authorizer(Protocol):
    """Decides one access by one identity (the enforcement engine, or policies given directly)."""

    def decide(self, identity: Identity, access: SourceAccess) -> Decision: ...


class PolicyAuthorizer:
    """Decides with harness.iam over the policies a function returns for each identity.

    Args:
        policies: the compiled policies that bear on an identity's calls (identity policies, boundary...).
        tags: the principal tags of an identity (``aws:PrincipalTag/*``), none by default.
    """

    def __init__(
        self,
        policies: Callable[[Identity], PolicySet],
        tags: Callable[[Identity], Mapping[str, str]] | None = None,
    ) -> None:
        self.policies = policies
        self.tags = tags or (lambda identity: {})

    def decide(self, identity: Identity, access: SourceAccess) -> Decision:
        """Evaluate the access under the identity's policies, with the principal's keys in the context."""
        session_tags = {k.removeprefix("tag:"): v for k, v in identity.attributes if k.startswith("tag:")}
        context = build_context(
            PrincipalDescription(identity.arn, {**self.tags(identity), **session_tags}, identity.principal_id or None),
            CallDescription(source_ip=identity.source_ip or None, extra=dict(access.context)),
        )
        request = AuthorizationRequest.create(identity.arn, access.action, access.resource, context)
        return evaluate(request, self.policies(identity))


class EnforcerAuthorizer:
    """Decides through a deployment's enforcement engine (its ``decide(identity, access)``), so the policies are
    read back from the backend exactly as for every other call."""

    def __init__(self, enforcer: Any) -> None:
        self.enforcer = enforcer

    def decide(self, identity: Identity, access: SourceAccess) -> Decision:
        """The enforcer's decision on ``access``, kept in the enforcer's evidence like its own decisions."""
        decision = self.enforcer.decide(identity, access)
        if not isinstance(decision, Decision):
            raise TypeError(f"enforcer.decide: expected a Decision, found {type(decision).__name__}")
        evidence = getattr(self.enforcer, "evidence", None)
        if evidence is not None:
            evidence.current().data.setdefault("authorization", []).append(
                {
                    "principal": identity.arn,
                    "identity": identity.label,
                    "call": access.action,
                    "allowed": decision.allowed,
                    "accesses": [decision.to_dict()],
                }
            )
        return decision


def denial(identity: Identity, decision: Decision) -> CodeCommitError:
    """The AccessDeniedException CodeCommit answers a denied request with, in AWS's wording."""
    request = decision.request
    on = f" on resource: {request.resource}" if request.resource != "*" else ""
    if decision.decision is Outcome.EXPLICIT_DENY:
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {request.action} action"
    return CodeCommitError(
        "AccessDeniedException", f"User: {identity.arn} is not authorized to perform: {request.action}{on} {reason}"
    )


__all__ = ["Authorizer", "EnforcerAuthorizer", "PolicyAuthorizer", "SourceAccess", "access_for", "denial"]
