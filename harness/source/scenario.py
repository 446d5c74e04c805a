"""The scenario API of source protection: push, propose, approve, merge and override as pipeline roles, and checks.

Usable from plain pytest::

    developer = act_as(deployment, "developer")
    expect_denied(push(deployment, developer, "main"))
    change = propose_change(deployment, developer, "feature/login")
    expect_refused(merge(deployment, act_as(deployment, "approver"), change), MERGE_BLOCKED)

Every call is a real CodeCommit call (or a Git push) by the role's session, authorized by the deployment's IAM
enforcement and recorded in its evidence and audit trail.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.enforce.api import act_as
from harness.errors import CheckFailed, Unverified
from harness.iam import Decision
from harness.model.definition import Definition
from harness.model.schema import ref_parts
from harness.provider.resources.codecommit import Repository
from harness.provider.resources.codepipeline import Pipeline
from harness.provider.resources.codestar_connection import SourceConnection
from harness.runtime.pipeline import register_source, start_pipeline_execution
from harness.source.authz import EnforcerAuthorizer
from harness.source.errors import CodeCommitError
from harness.source.model import Evaluation
from harness.source.rules import branch_name, full_reference
from harness.source.service import SourceDecision, SourceService

SOURCE_KEY = "source"
MERGE_BLOCKED = "PullRequestApprovalRulesNotSatisfiedException"
AUTHOR_APPROVAL = "PullRequestCannotBeApprovedByAuthorException"
ACCESS_DENIED = "AccessDeniedException"
CODECOMMIT_SOURCE = "codecommit.amazonaws.com"

# The statement of the CodeCommit user guide ("Limit pushes and merges to branches") that the fix points to.
_PROTECTION_FIX = (
    "deny codecommit:GitPush, DeleteBranch, PutFile and Merge* on the repository with StringEqualsIfExists "
    "codecommit:References = refs/heads/{branch} and Null codecommit:References = false, as the CodeCommit user "
    "guide shows"
)


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """A branch of a watched repository moved: the pipelines watching it, the executions started, what failed."""

    repository: str
    branch: str
    commit_id: str
    caller: str
    pipelines: tuple[str, ...]
    executions: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PullRequestRef:
    """A pull request a scenario opened: its id, repository, branches and author."""

    pull_request_id: str
    repository: str
    source: str
    destination: str
    author: Identity


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What happened to one source operation: the client's answer and the authorization decision.

    Attributes:
        actor: how messages name the caller (``developer role``).
        identity: the caller.
        operation: the CodeCommit operation (``GitPush``, ``MergePullRequestBySquash``...).
        target: what it acted on, for messages (``refs/heads/main of pw-...-app``, ``pull request 1``).
        response: the answer on success.
        error_code, error_message: the client's error ('' on success).
        decision: the IAM decision (None when the call was not authorized, e.g. by the harness).
        subject: ``pipeline 'name'`` for messages.
        grants: where the statements that allowed it are declared (``statement 'X' in file:line (roles.x)``).
        explanation: what the model knows about why a service rule let it through or refused it.
    """

    actor: str
    identity: Identity
    operation: str
    target: str
    response: Mapping[str, Any] | None
    error_code: str = ""
    error_message: str = ""
    decision: SourceDecision | None = None
    subject: str = "pipeline"
    grants: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def succeeded(self) -> bool:
        """True when the operation went through."""
        return not self.error_code


# -- the deployment's source -----------------------------------------------------------------------------------
def source(deployment: Deployment) -> SourceService:
    """The backend's source service, bound for this deployment's lifetime to its IAM enforcement, its pipeline
    triggers and the runtime's CodeCommit source actions."""
    service = SourceService.of(deployment.backend)
    bound: object = deployment.extras.get(SOURCE_KEY)
    if bound is service:
        return service
    service.authorizer = EnforcerAuthorizer(deployment.enforcer)
    model = service.model

    def moved(repository: str, branch: str, commit_id: str, caller: str) -> None:
        trigger(deployment, repository, branch, commit_id, caller)

    model.listeners.append(moved)
    register_source(deployment, "CodeCommit", fetch_source)
    deployment.extras[SOURCE_KEY] = service

    def unbind() -> None:
        service.authorizer = None
        if moved in model.listeners:
            model.listeners.remove(moved)
        deployment.extras.pop(SOURCE_KEY, None)

    deployment.cleanups.append(unbind)
    return service


def repository(deployment: Deployment, name: str | None = None) -> str:
    """The physical name of a repository of the definition (the only one when ``name`` is None).

    Raises:
        Unverified: when the definition declares no repository at all (its source lives outside CodeCommit, where
            the harness cannot exercise it).
        CheckFailed: when it declares no such repository, or several and no name is given, listing them.
    """
    definition = deployment.require_definition()
    if not any(True for _ in definition.of_type(Repository)):
        external = external_source(definition)
        if external:
            raise Unverified(
                f"definition '{definition.name}': {external}, outside AWS, so who may push, merge and approve there "
                "cannot be exercised; protect the branch in the provider (required reviews, no direct pushes)"
            )
        raise Unverified(
            f"definition '{definition.name}' declares no CodeCommit repository, so who may change its source cannot "
            "be exercised; declare the repository the pipeline builds from under 'repositories'"
        )
    found = [r for r in definition.of_type(Repository) if name is None or r.name == name]
    if len(found) != 1:
        names = sorted(r.name for r in definition.of_type(Repository))
        raise CheckFailed(
            f"definition '{definition.name}': expected "
            + (f"a repository '{name}'" if name else "exactly one repository")
            + f", found {', '.join(names) or 'none'}; declare it under 'repositories'"
            + ("" if name or not names else " or name the one the scenario means")
        )
    return deployment.provider.ctx.physical_name(found[0])


def external_source(definition: Definition) -> str:
    """How the definition's pipelines reach a source outside AWS through a connection, in words ('' when none do):
    ``the source is GitHub through connection 'github' (acme/app, branch main); branch protection lives in
    GitHub``."""
    for pipeline in definition.of_type(Pipeline):
        assert isinstance(pipeline, Pipeline)
        for action in (a for s in pipeline.stages for a in s.actions):
            if action.category != "Source" or action.provider != "CodeStarSourceConnection":
                continue
            config = action.configuration
            parts = ref_parts(config.get("ConnectionArn", ""))
            found = definition.get(*parts[:2]) if parts is not None and parts[0] == "connections" else None
            connection = found if isinstance(found, SourceConnection) else None
            if connection is not None:
                provider = connection.provider_type or f"the self-managed provider of host {connection.host_arn}"
                name = connection.name
            else:
                provider, name = "an external provider", config.get("ConnectionArn", "") or "(none)"
            branch = f"branch {config['BranchName']}" if config.get("BranchName") else ""
            where = ", ".join(part for part in (config.get("FullRepositoryId", ""), branch) if part)
            return (
                f"the source is {provider} through connection '{name}'"
                + (f" ({where})" if where else "")
                + f"; branch protection lives in {provider}"
            )
    return ""


def actor(deployment: Deployment, scenario_role: str) -> Identity:
    """The session of the role playing ``scenario_role`` (:func:`act_as`), for a change to the pipeline's source.

    The source is looked at first: a pipeline whose source lives outside CodeCommit is UNVERIFIED for that reason,
    whatever roles it declares.

    Raises:
        Unverified: when the definition declares no CodeCommit repository.
        CheckFailed: when no role plays that part.
    """
    repository(deployment)
    return act_as(deployment, scenario_role)


def triggers(deployment: Deployment) -> list[TriggerEvent]:
    """The trigger events recorded for this deployment, oldest first."""
    found: list[TriggerEvent] = deployment.extras.setdefault("source_triggers", [])
    return found


def trigger(deployment: Deployment, repo: str, branch: str, commit_id: str, caller: str) -> TriggerEvent | None:
    """Start the pipelines whose CodeCommit source action watches ``repo``/``branch`` through the runtime, as
    CodePipeline's change detection does (an EventBridge rule, or polling when PollForSourceChanges is true: both
    start an execution on the new commit), and record the trigger event.

    A pipeline that cannot start or fails does not undo the change that triggered it: its error is kept in the
    event and the evidence.

    Returns:
        The event, or None when no pipeline watches the branch.
    """
    definition = deployment.definition
    if definition is None:
        return None
    ctx = deployment.provider.ctx
    watching: dict[str, None] = {}
    for pipeline in definition.of_type(Pipeline):
        assert isinstance(pipeline, Pipeline)
        for action in (a for s in pipeline.stages for a in s.actions):
            config = {k: str(ctx.resolve(v)) for k, v in action.configuration.items()}
            if (
                action.category == "Source"
                and action.provider == "CodeCommit"
                and config.get("RepositoryName") == repo
                and branch_name(config.get("BranchName", "")) == branch
            ):
                watching[pipeline.name] = None
    if not watching:
        return None
    executions: list[str] = []
    errors: list[str] = []
    for name in watching:
        try:
            executions.append(start_pipeline_execution(deployment, name).id)
        except Exception as exc:  # the change stands whatever happens to the pipeline
            errors.append(f"{name}: {exc}")
    event = TriggerEvent(repo, branch, commit_id, caller, tuple(watching), tuple(executions), tuple(errors))
    triggers(deployment).append(event)
    deployment.evidence.note(
        f"{full_reference(branch)} of {repo} moved to {commit_id[:12]} by {caller}: started "
        + (", ".join(executions) or "no execution")
        + (f"; could not start {'; '.join(errors)}" if errors else "")
    )
    return event


def fetch_source(deployment: Deployment, identity: Identity, configuration: dict[str, str]) -> tuple[bytes, str]:
    """The runtime's CodeCommit source action: the branch tip as a zip, read as the pipeline role.

    Raises:
        ClientError: CodeCommit's refusal (AccessDeniedException when the role may not read the branch).
    """
    client = deployment.backend.client("codecommit", identity)
    repo = configuration["RepositoryName"]
    tip = client.get_branch(repositoryName=repo, branchName=configuration["BranchName"])["branch"]["commitId"]
    client.get_commit(repositoryName=repo, commitId=tip)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in sorted(source(deployment).model.repository(repo).tree(tip).items()):
            archive.writestr(path, content)
    return buffer.getvalue(), tip


# -- acting ----------------------------------------------------------------------------------------------------
def _subject(deployment: Deployment) -> str:
    return f"pipeline '{deployment.definition.name}'" if deployment.definition else "pipeline"


def _outcome(
    deployment: Deployment,
    identity: Identity,
    operation: str,
    target: str,
    before: int,
    response: Mapping[str, Any] | None = None,
    error: tuple[str, str] = ("", ""),
) -> SourceOutcome:
    service = source(deployment)
    decision = next(
        (d for d in reversed(service.decisions[before:]) if d.identity == identity and d.operation == operation), None
    )
    grants = tuple(_grants(deployment, decision.decision)) if decision is not None and decision.allowed else ()
    return SourceOutcome(
        identity.label,
        identity,
        operation,
        target,
        response,
        error[0],
        error[1],
        decision,
        _subject(deployment),
        grants,
    )


def call(deployment: Deployment, identity: Identity, operation: str, target: str, **params: Any) -> SourceOutcome:
    """Make one CodeCommit API call as ``identity`` and report what happened."""
    service = source(deployment)
    before = len(service.decisions)
    client = deployment.backend.client("codecommit", identity)
    try:
        response = getattr(client, xform_name(operation))(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        pair = (str(error.get("Code", "")), str(error.get("Message", "")))
        return _outcome(deployment, identity, operation, target, before, error=pair)
    return _outcome(deployment, identity, operation, target, before, response)


def push(
    deployment: Deployment,
    identity: Identity,
    branch: str,
    files: Mapping[str, str] | None = None,
    *,
    repository_name: str | None = None,
) -> SourceOutcome:
    """``git push`` of one commit to ``branch`` (a new branch starts from the default branch)."""
    service = source(deployment)
    repo = repository_name or repository(deployment)
    before = len(service.decisions)
    content = dict(files or {f"changes/{identity.label.replace(' ', '-')}.txt": f"change by {identity.arn}\n"})
    target = f"{full_reference(branch)} of {repo}"
    try:
        response = service.git_push(identity, repo, branch, {k: v.encode() for k, v in content.items()})
    except CodeCommitError as exc:
        return _outcome(deployment, identity, "GitPush", target, before, error=(exc.code, exc.message))
    return _outcome(deployment, identity, "GitPush", target, before, response)


def delete_branch(deployment: Deployment, identity: Identity, branch: str) -> SourceOutcome:
    """DeleteBranch as ``identity``."""
    repo = repository(deployment)
    return call(
        deployment,
        identity,
        "DeleteBranch",
        f"{full_reference(branch)} of {repo}",
        repositoryName=repo,
        branchName=branch,
    )


def propose_change(
    deployment: Deployment, author: Identity, branch: str, destination: str | None = None, title: str = "change"
) -> PullRequestRef:
    """Push a change to ``branch`` and open a pull request from it (into the default branch when not given).

    Raises:
        CheckFailed: when the author may not push the branch or open the pull request (the scenario cannot start).
    """
    expect_allowed(push(deployment, author, branch))
    repo = repository(deployment)
    target: dict[str, str] = {"repositoryName": repo, "sourceReference": branch}
    if destination:
        target["destinationReference"] = destination
    opened = expect_allowed(
        call(
            deployment,
            author,
            "CreatePullRequest",
            f"a pull request from {branch} in {repo}",
            title=title,
            targets=[target],
        )
    )
    assert opened.response is not None
    answer = opened.response["pullRequest"]
    found = answer["pullRequestTargets"][0]
    return PullRequestRef(
        str(answer["pullRequestId"]), repo, found["sourceReference"], found["destinationReference"], author
    )


def _revision(deployment: Deployment, change: PullRequestRef) -> str:
    return source(deployment).model.pull_request(change.pull_request_id).revision.revision_id


def _target(change: PullRequestRef) -> str:
    return f"pull request {change.pull_request_id} ({change.source} into {change.destination} of {change.repository})"


def approve(deployment: Deployment, identity: Identity, change: PullRequestRef) -> SourceOutcome:
    """Approve the current revision of a pull request as ``identity``."""
    return call(
        deployment,
        identity,
        "UpdatePullRequestApprovalState",
        _target(change),
        pullRequestId=change.pull_request_id,
        revisionId=_revision(deployment, change),
        approvalState="APPROVE",
    )


def override(deployment: Deployment, identity: Identity, change: PullRequestRef) -> SourceOutcome:
    """Override the approval rules of the current revision of a pull request as ``identity``."""
    return call(
        deployment,
        identity,
        "OverridePullRequestApprovalRules",
        _target(change),
        pullRequestId=change.pull_request_id,
        revisionId=_revision(deployment, change),
        overrideStatus="OVERRIDE",
    )


MERGE_OPERATIONS = {
    "fast-forward": "MergePullRequestByFastForward",
    "squash": "MergePullRequestBySquash",
    "three-way": "MergePullRequestByThreeWay",
}


def merge(
    deployment: Deployment, identity: Identity, change: PullRequestRef, strategy: str = "squash"
) -> SourceOutcome:
    """Merge a pull request as ``identity`` with ``strategy`` (fast-forward, squash or three-way).

    The outcome's explanation says which approval rules applied and who approved, for messages.
    """
    if strategy not in MERGE_OPERATIONS:
        raise ValueError(f"merge strategy: expected one of {', '.join(MERGE_OPERATIONS)}, found {strategy!r}")
    outcome = call(
        deployment,
        identity,
        MERGE_OPERATIONS[strategy],
        _target(change),
        pullRequestId=change.pull_request_id,
        repositoryName=change.repository,
    )
    return replace(outcome, explanation=rules_explanation(deployment, change))


def evaluation(deployment: Deployment, change: PullRequestRef) -> Evaluation:
    """How the approval rules of a pull request's current revision stand (EvaluatePullRequestApprovalRules)."""
    return source(deployment).model.pull_request(change.pull_request_id).evaluate()


def rules_explanation(deployment: Deployment, change: PullRequestRef) -> str:
    """Which approval rules apply to a pull request and who approved its current revision, in words."""
    service = source(deployment)
    pr = service.model.pull_request(change.pull_request_id)
    approvers = pr.approvers(pr.revision.revision_id)
    who = f"approved by {', '.join(approvers)}" if approvers else "approved by no one"
    if not pr.rules:
        templates = sorted(t.name for t in service.model.templates.values() if change.repository in t.repositories)
        why = (
            f"the templates associated with {change.repository} ({', '.join(templates)}) do not apply to "
            f"{change.destination}"
            if templates
            else f"no approval rule template is associated with {change.repository}"
        )
        return f"no approval rule applies to {_target(change)}, {who}: {why}"
    rules = "; ".join(f"'{r.name}' needs {r.content.text}" for r in pr.rules)
    overrider = pr.overrides.get(pr.revision.revision_id)
    overridden = f", overridden by {overrider}" if overrider else ""
    return f"{_target(change)} is {who}{overridden}; rules: {rules}"


# -- checks ----------------------------------------------------------------------------------------------------
def _grants(deployment: Deployment, decision: Decision) -> list[str]:
    """Where the statements that allowed a request are declared (``statement 'X' in file:line (roles.x)``)."""
    reader = deployment.enforcer.reader
    definition = deployment.definition
    by_arn = {state.arn: address for address, state in deployment.provider.state.items() if state.arn}
    found: list[str] = []
    for matched in decision.matched:
        if matched.effect != "Allow":
            continue
        origin = reader.source_of(matched.policy)
        address = by_arn.get(origin.owner_arn) if origin else None
        if definition is not None and address is not None:
            where = definition.where(address)
        else:
            where = origin.describe() if origin else matched.policy
        found.append(f"statement {matched.statement!r} in {where}")
    return found


def _describe(outcome: SourceOutcome) -> str:
    action = outcome.decision.access.action if outcome.decision else f"codecommit:{outcome.operation}"
    return f"{action} on {outcome.target}"


def expect_denied(outcome: SourceOutcome) -> SourceOutcome:
    """IAM denied the operation: the client saw AccessDeniedException and the decision was a deny.

    Raises:
        CheckFailed: naming the statements that allowed it and the documented branch protection as the fix.
    """
    decision = outcome.decision
    if decision is not None and not decision.allowed and outcome.error_code == ACCESS_DENIED:
        return outcome
    if decision is None:
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected {ACCESS_DENIED} on {_describe(outcome)}, found the call "
            "was not authorized by IAM enforcement; make it as a role session (act_as)"
        )
    got = "success" if outcome.succeeded else f"an allowed call (CodeCommit then answered {outcome.error_code})"
    grants = outcome.grants
    if grants:
        why = "; ".join(grants) + (" allows it" if len(grants) == 1 else " allow it")
    else:
        why = decision.decision.reason
    references = decision.access.context.get("codecommit:References") or ["refs/heads/main"]
    fix = _PROTECTION_FIX.format(branch=branch_name(str(references[0])))
    raise CheckFailed(
        f"{outcome.subject}: {outcome.actor} expected {ACCESS_DENIED} on {_describe(outcome)}, got {got}; {why}; "
        f"{fix}.",
        action=decision.access.action,
        resource=decision.access.resource,
        statements=list(grants),
    )


def expect_allowed(outcome: SourceOutcome) -> SourceOutcome:
    """The operation went through.

    Raises:
        CheckFailed: naming the error and, for an IAM denial, the decision's reason.
    """
    if outcome.succeeded:
        return outcome
    reason = ""
    if outcome.decision is not None and not outcome.decision.allowed:
        reason = f" ({outcome.decision.decision.reason}); grant it in the role's policy, scoped to the repository"
    raise CheckFailed(
        f"{outcome.subject}: {outcome.actor} expected {_describe(outcome)} to succeed, got {outcome.error_code}: "
        f"{outcome.error_message}{reason}"
    )


def expect_refused(outcome: SourceOutcome, code: str) -> SourceOutcome:
    """CodeCommit itself refused the operation with ``code`` (``PullRequestApprovalRulesNotSatisfiedException``).

    Raises:
        CheckFailed: when it went through or failed otherwise, with what the model knows about why.
    """
    if outcome.error_code == code:
        return outcome
    got = "success" if outcome.succeeded else f"{outcome.error_code}: {outcome.error_message}"
    why = f"; {outcome.explanation}" if outcome.explanation else ""
    fix = ""
    if code == MERGE_BLOCKED and outcome.succeeded:
        fix = (
            "; associate an approval rule template with the repository whose destination references include the "
            "branch and whose pool holds the approvers"
        )
    raise CheckFailed(
        f"{outcome.subject}: {outcome.actor} expected {code} on {_describe(outcome)}, got {got}{why}{fix}"
    )


def expect_rules_pending(deployment: Deployment, change: PullRequestRef) -> Evaluation:
    """Approval rules apply to the pull request and are not satisfied yet (its author's approval does not count).

    Raises:
        CheckFailed: when no rule applies or the rules are already satisfied.
    """
    found = evaluation(deployment, change)
    if found.not_satisfied and not found.overridden:
        return found
    raise CheckFailed(
        f"{_subject(deployment)}: expected approval rules still to be satisfied on {_target(change)} before it can "
        f"merge, found {'none unsatisfied' if found.satisfied else 'no rule'}: "
        f"{rules_explanation(deployment, change)}; "
        "associate an approval rule template that requires approvers other than the author"
    )


def expect_recorded(deployment: Deployment, event_name: str, identity: Identity) -> dict[str, Any]:
    """The audit trail answers LookupEvents with a CodeCommit ``event_name`` record by ``identity``.

    Returns:
        The CloudTrail record.

    Raises:
        CheckFailed: listing the CodeCommit events the trail holds.
    """
    found = deployment.trail.lookup_events([{"AttributeKey": "EventSource", "AttributeValue": CODECOMMIT_SOURCE}])
    records = [json.loads(e["CloudTrailEvent"]) for e in found["Events"]]
    for record in records:
        if (
            record.get("eventName") == event_name
            and record.get("userIdentity", {}).get("arn") == identity.arn
            and not record.get("errorCode")
        ):
            return dict(record)
    seen = [f"{r['eventName']} by {r.get('userIdentity', {}).get('arn')}" for r in records]
    raise CheckFailed(
        f"{_subject(deployment)}: expected the audit trail to record codecommit {event_name} by {identity.arn}, "
        f"found {', '.join(seen) or 'no CodeCommit events'}"
    )


__all__ = [
    "ACCESS_DENIED",
    "AUTHOR_APPROVAL",
    "MERGE_BLOCKED",
    "PullRequestRef",
    "SourceOutcome",
    "TriggerEvent",
    "act_as",
    "actor",
    "approve",
    "call",
    "delete_branch",
    "evaluation",
    "expect_allowed",
    "expect_denied",
    "expect_recorded",
    "expect_refused",
    "expect_rules_pending",
    "external_source",
    "fetch_source",
    "merge",
    "override",
    "propose_change",
    "push",
    "repository",
    "rules_explanation",
    "source",
    "trigger",
    "triggers",
]
