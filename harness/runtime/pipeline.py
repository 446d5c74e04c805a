"""Pipeline executions: stages in order, actions by runOrder, artifacts through the artifact bucket, approvals.

An execution reads the pipeline back from the backend (what CodePipeline would run) and acts as the pipeline's
service role (or an action's role): it reads the source object, writes and reads artifact zips in the artifact
store, starts builds, deploys to S3 and publishes approval notifications, each through the harness so IAM
enforcement, bucket policies and the trail apply. Actions with the same runOrder run one after the other with
the semantics of parallel actions (all run; the stage fails if any failed). A stage that fails stops the
execution. A manual approval pauses the execution until ``put_approval_result``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.errors import CheckFailed, PipewardenError, Unverified
from harness.provider.base import error_code
from harness.runtime.authorize import authorize
from harness.runtime.build import BuildRequest, S3Location, emit_event, start_build
from harness.runtime.identity import service_session
from harness.runtime.state import runtime
from harness.services import AVAILABLE, ConnectionsModel, OwnedServices

SourceHook = Callable[[Deployment, Identity, dict[str, str]], tuple[bytes, str]]
"""Fetches a source action's revision as a zip: (deployment, pipeline role session, action configuration) ->
(zip bytes, revision id). Registered per provider with ``register_source``."""

SOURCE_HOOKS_KEY = "source_hooks"


class ActionDenied(PipewardenError):
    """A call the runtime made on someone's behalf was refused (start an execution, approve a release)."""

    def __init__(self, message: str, *, code: str, principal: str, action: str) -> None:
        super().__init__(message, code=code, principal=principal, action=action)
        self.code = code
        self.principal = principal
        self.action = action


@dataclass(slots=True)
class ActionRun:
    """One action's execution in one pipeline execution."""

    stage: str
    name: str
    category: str
    owner: str
    provider: str
    version: str
    run_order: int
    configuration: dict[str, str]
    role_arn: str
    input_names: list[str]
    output_names: list[str]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = ""  # '' not started, InProgress, Succeeded, Failed, Abandoned
    start: float | None = None
    end: float | None = None
    summary: str = ""
    external_id: str = ""
    error_code: str = ""
    error_message: str = ""
    token: str = ""
    inputs: list[tuple[str, S3Location]] = field(default_factory=list)
    outputs: list[tuple[str, S3Location]] = field(default_factory=list)
    approved_by: str = ""

    def type_id(self) -> dict[str, str]:
        """The actionTypeId."""
        return {"category": self.category, "owner": self.owner, "provider": self.provider, "version": self.version}


@dataclass(slots=True)
class StageRun:
    """One stage's execution."""

    name: str
    actions: list[ActionRun]
    status: str = ""  # '' not started, InProgress, Succeeded, Failed, Stopped


@dataclass(slots=True)
class Execution:
    """One pipeline execution: its stages, artifacts, who started it and how it ended.

    Attributes:
        started_by: the identity that started it (the separation-of-duties checks compare approvers with it).
    """

    id: str
    pipeline: str
    pipeline_arn: str
    version: int
    role_arn: str
    artifact_bucket: str
    stages: list[StageRun]
    started_by: Identity
    start: float = field(default_factory=time.time)
    end: float | None = None
    status: str = "InProgress"
    artifacts: dict[str, S3Location] = field(default_factory=dict)
    revisions: list[dict[str, str]] = field(default_factory=list)

    def stage(self, name: str) -> StageRun:
        """A stage by name.

        Raises:
            CheckFailed: naming the stages there are.
        """
        found = next((s for s in self.stages if s.name == name), None)
        if found is None:
            raise CheckFailed(
                f"pipeline '{self.pipeline}': expected a stage '{name}', found {', '.join(s.name for s in self.stages)}"
            )
        return found

    def action(self, stage: str, name: str) -> ActionRun:
        """An action by stage and name.

        Raises:
            CheckFailed: naming the actions of the stage.
        """
        found = next((a for a in self.stage(stage).actions if a.name == name), None)
        if found is None:
            names = ", ".join(a.name for a in self.stage(stage).actions)
            raise CheckFailed(f"pipeline '{self.pipeline}' stage '{stage}': expected an action '{name}', found {names}")
        return found

    def pending_approvals(self) -> list[ActionRun]:
        """Manual approval actions waiting for a result."""
        return [a for s in self.stages for a in s.actions if a.category == "Approval" and a.status == "InProgress"]

    def failure(self) -> str:
        """The first failed action and its error, for messages ('' when none failed)."""
        for stage in self.stages:
            for action in stage.actions:
                if action.status == "Failed":
                    return f"{stage.name}/{action.name}: {action.error_code}: {action.error_message}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        """get_pipeline_execution's ``pipelineExecution``."""
        return {
            "pipelineName": self.pipeline,
            "pipelineVersion": self.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": list(self.revisions),
            "trigger": {"triggerType": "StartPipelineExecution", "triggerDetail": self.started_by.arn},
            "executionMode": "SUPERSEDED",
        }


def _when(at: float | None) -> dt.datetime | None:
    return None if at is None else dt.datetime.fromtimestamp(at, dt.UTC)


def register_source(deployment: Deployment, provider: str, hook: SourceHook) -> None:
    """Let source actions of ``provider`` (``CodeCommit``) fetch their revision through ``hook``."""
    deployment.extras.setdefault(SOURCE_HOOKS_KEY, {})[provider] = hook


def _physical(deployment: Deployment, name: str) -> str:
    return deployment.physical_name("pipelines", name)


def start_pipeline_execution(deployment: Deployment, pipeline: str, identity: Identity | None = None) -> Execution:
    """Start an execution of a deployed pipeline as ``identity`` (the harness when None) and run it until it ends
    or waits for an approval.

    Starting is a real ``codepipeline:StartPipelineExecution`` call by ``identity`` through the harness, so IAM
    enforcement decides who may start a release.

    Returns:
        The execution (Succeeded, Failed, or InProgress at a manual approval).

    Raises:
        ActionDenied: when ``identity`` may not start the pipeline.
        CheckFailed: when the pipeline is not deployed.
    """
    name = _physical(deployment, pipeline)
    starter = identity or deployment.backend.admin
    try:
        answer = deployment.backend.client("codepipeline", starter).start_pipeline_execution(name=name)
    except Exception as exc:
        code = error_code(exc)
        if not code:
            raise
        if code == "PipelineNotFoundException":
            raise CheckFailed(f"pipeline '{pipeline}': expected it to be deployed, found none") from None
        raise ActionDenied(
            f"pipeline '{pipeline}': {starter.label} could not start an execution: {code}: {_message(exc)}",
            code=code,
            principal=starter.arn,
            action="codepipeline:StartPipelineExecution",
        ) from None
    declaration = deployment.backend.client("codepipeline").get_pipeline(name=name)
    execution = _new_execution(deployment, declaration, str(answer["pipelineExecutionId"]), starter)
    runtime(deployment).executions[execution.id] = execution
    _pipeline_event(deployment, execution, "STARTED")
    deployment.evidence.note(f"pipeline {name}: execution {execution.id} started by {starter.arn}")
    _advance(deployment, execution)
    return execution


def _message(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Message", exc))


def _new_execution(deployment: Deployment, answer: dict[str, Any], execution_id: str, starter: Identity) -> Execution:
    pipeline = answer["pipeline"]
    stages = []
    for stage in pipeline["stages"]:
        actions = [
            ActionRun(
                stage=stage["name"],
                name=a["name"],
                category=a["actionTypeId"]["category"],
                owner=a["actionTypeId"]["owner"],
                provider=a["actionTypeId"]["provider"],
                version=a["actionTypeId"]["version"],
                run_order=int(a.get("runOrder", 1)),
                configuration=dict(a.get("configuration") or {}),
                role_arn=a.get("roleArn", ""),
                input_names=[i["name"] for i in a.get("inputArtifacts", [])],
                output_names=[o["name"] for o in a.get("outputArtifacts", [])],
            )
            for a in stage["actions"]
        ]
        stages.append(StageRun(stage["name"], actions))
    arn = answer.get("metadata", {}).get("pipelineArn") or (
        f"arn:aws:codepipeline:{deployment.backend.region}:{deployment.backend.account_id}:{pipeline['name']}"
    )
    return Execution(
        id=execution_id,
        pipeline=pipeline["name"],
        pipeline_arn=arn,
        version=int(pipeline.get("version", 1)),
        role_arn=pipeline["roleArn"],
        artifact_bucket=pipeline["artifactStore"]["location"],
        stages=stages,
        started_by=starter,
    )


def _session(deployment: Deployment, execution: Execution, action: ActionRun) -> Identity:
    role = action.role_arn or execution.role_arn
    return service_session(
        deployment,
        role,
        f"{int(time.time() * 1000)}",
        f"pipeline role ({role.rsplit('/', 1)[-1]})",
        service="codepipeline.amazonaws.com",
        source_arn=execution.pipeline_arn,
    )


def _advance(deployment: Deployment, execution: Execution) -> None:
    """Run actions until the execution ends or waits for an approval."""
    for stage in execution.stages:
        if stage.status in ("Succeeded",):
            continue
        if stage.status == "":
            stage.status = "InProgress"
            _stage_event(deployment, execution, stage, "STARTED")
        for order in sorted({a.run_order for a in stage.actions}):
            group = [a for a in stage.actions if a.run_order == order]
            for action in group:
                if action.status == "":
                    _run_action(deployment, execution, action)
            if any(a.status == "InProgress" for a in group):
                return  # paused at a manual approval
            if any(a.status == "Failed" for a in group):
                _fail_stage(deployment, execution, stage)
                return
        stage.status = "Succeeded"
        _stage_event(deployment, execution, stage, "SUCCEEDED")
    execution.status = "Succeeded"
    execution.end = time.time()
    _pipeline_event(deployment, execution, "SUCCEEDED")


def _fail_stage(deployment: Deployment, execution: Execution, stage: StageRun) -> None:
    stage.status = "Failed"
    _stage_event(deployment, execution, stage, "FAILED")
    execution.status = "Failed"
    execution.end = time.time()
    _pipeline_event(deployment, execution, "FAILED")
    deployment.evidence.note(f"pipeline {execution.pipeline}: execution {execution.id} failed ({execution.failure()})")


def _run_action(deployment: Deployment, execution: Execution, action: ActionRun) -> None:
    action.status = "InProgress"
    action.start = time.time()
    _action_event(deployment, execution, action, "STARTED")
    try:
        action.inputs = [(n, execution.artifacts[n]) for n in action.input_names if n in execution.artifacts]
        runner = _RUNNERS.get((action.category, action.provider))
        if runner is None:
            raise Unverified(
                f"pipeline '{execution.pipeline}' action '{action.name}': {action.category} actions of provider "
                f"{action.provider} are not run by pipewarden; the execution cannot be verified"
            )
        identity = _session(deployment, execution, action)
        runner(deployment, execution, action, identity)
    except _ActionFailed as failure:
        action.status = "Failed"
        action.error_code, action.error_message = failure.code, failure.message
    if action.status == "InProgress":
        return  # an approval waits
    action.end = time.time()
    for name, location in action.outputs:
        execution.artifacts[name] = location
    _action_event(deployment, execution, action, "SUCCEEDED" if action.status == "Succeeded" else "FAILED")


class _ActionFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _artifact_location(execution: Execution, artifact: str) -> S3Location:
    # CodePipeline's layout: <pipeline name, 20 chars>/<artifact name, 20 chars>/<random id>.
    return S3Location(
        execution.artifact_bucket, f"{execution.pipeline[:20]}/{artifact[:20]}/{secrets.token_hex(4)[:7]}"
    )


def _client_failure(exc: Exception, what: str) -> _ActionFailed:
    code = error_code(exc)
    if not code:
        raise exc
    return _ActionFailed("JobFailed", f"{what}: {code}: {_message(exc)}")


def _put_artifact(deployment: Deployment, identity: Identity, location: S3Location, body: bytes) -> None:
    try:
        deployment.backend.client("s3", identity).put_object(Bucket=location.bucket, Key=location.key, Body=body)
    except Exception as exc:
        raise _client_failure(exc, f"writing artifact s3://{location.bucket}/{location.key}") from None


def _get_object(deployment: Deployment, identity: Identity, location: S3Location) -> bytes:
    try:
        answer = deployment.backend.client("s3", identity).get_object(Bucket=location.bucket, Key=location.key)
        return bytes(answer["Body"].read())
    except Exception as exc:
        raise _client_failure(exc, f"reading s3://{location.bucket}/{location.key}") from None


def _source_s3(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    config = action.configuration
    body = _get_object(deployment, identity, S3Location(config["S3Bucket"], config["S3ObjectKey"]))
    _store_source(deployment, execution, action, identity, body, f"s3://{config['S3Bucket']}/{config['S3ObjectKey']}")


def _store_source(
    deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity, body: bytes, revision: str
) -> None:
    for name in action.output_names:
        location = _artifact_location(execution, name)
        _put_artifact(deployment, identity, location, body)
        action.outputs.append((name, location))
    execution.revisions.append(
        {"name": action.output_names[0] if action.output_names else action.name, "revisionId": revision}
    )
    action.status = "Succeeded"
    action.summary = f"Source revision {revision}"


def _source_hooked(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    hook = deployment.extras.get(SOURCE_HOOKS_KEY, {}).get(action.provider)
    if hook is None:
        raise Unverified(
            f"pipeline '{execution.pipeline}' action '{action.name}': no {action.provider} source is registered "
            "with this deployment (register_source), so the source cannot be fetched"
        )
    body, revision = hook(deployment, identity, dict(action.configuration))
    _store_source(deployment, execution, action, identity, body, revision)


STAND_IN_SOURCE = "README.md"


def _source_connection(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    """A source reached through a CodeStar/CodeConnections connection (GitHub, Bitbucket, GitLab).

    As the pipeline role, the action must be allowed ``UseConnection`` on the connection (the action's prefix is
    the one its ARN carries), with the repository (``FullRepositoryId``, its owner and name), the branch and
    ``ProviderPermissionsRequired`` = ``read_only`` as condition keys. Which provider calls CodePipeline makes is not
    documented, so ``ProviderAction`` is not set. Allowed, the action produces the revision a registered source
    hook supplies for the provider, else a stand-in artifact: the external repository's content is not available.
    """
    config = action.configuration
    arn = config.get("ConnectionArn", "")
    where = f"pipeline '{execution.pipeline}' action '{action.name}'"
    connection = OwnedServices.of(deployment.backend).model(ConnectionsModel).connection(arn)
    if connection is None:
        deployed = {s.arn for a, s in deployment.provider.state.items() if a.startswith("connections.")}
        if arn in deployed:
            raise _ActionFailed("JobFailed", f"Connection {arn} does not exist")
        raise Unverified(
            f"{where}: the connection {arn or '(none)'} is not declared in the definition, so whether the pipeline "
            "role may use it cannot be decided; declare the connection under 'connections' and refer to it"
        )
    if connection.status != AVAILABLE:
        raise _ActionFailed("JobFailed", f"Connection {arn} is not available (status {connection.status})")
    repository = config.get("FullRepositoryId", "")
    branch = config.get("BranchName", "")
    service = connection.service
    params = {
        "ConnectionArn": arn,
        "FullRepositoryId": repository,
        "BranchName": branch,
        "ProviderPermissionsRequired": "read_only",
    }
    denial = authorize(
        deployment, identity, service, "UseConnection", params, action=f"{service}:UseConnection", resource=arn
    )
    if denial is not None:
        raise _ActionFailed(
            "JobFailed",
            f"Insufficient permissions: Unable to use Connection: {arn}. The provided role does not have "
            f"sufficient permissions. {denial.code}: {denial.message}",
        )
    hook = deployment.extras.get(SOURCE_HOOKS_KEY, {}).get(action.provider)
    if hook is not None:
        body, revision = hook(deployment, identity, dict(config))
        _store_source(deployment, execution, action, identity, body, revision)
        return
    provider = connection.provider_type or "a self-managed provider"
    deployment.evidence.note(
        f"{where}: {repository or 'the repository'} ({branch or 'default branch'}) is read from {provider} through "
        f"connection '{connection.name}'; its content is outside AWS, so a stand-in source artifact is used"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            STAND_IN_SOURCE,
            f"stand-in for {repository} ({branch}) on {provider}: the repository's content is not available to "
            "pipewarden\n",
        )
    revision = "stand-in-" + hashlib.sha1(f"{arn}|{repository}|{branch}".encode()).hexdigest()[:12]
    _store_source(deployment, execution, action, identity, buffer.getvalue(), revision)


def _build(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    project = action.configuration.get("ProjectName", "")
    account = execution.pipeline_arn.split(":")[4]
    project_arn = f"arn:aws:codebuild:{deployment.backend.region}:{account}:project/{project}"
    denial = authorize(
        deployment,
        identity,
        "codebuild",
        "StartBuild",
        {"projectName": project},
        action="codebuild:StartBuild",
        resource=project_arn,
    )
    if denial is not None:
        raise _ActionFailed("JobFailed", f"{denial.code}: {denial.message}")
    source = action.inputs[0][1] if action.inputs else None
    output = _artifact_location(execution, action.output_names[0]) if action.output_names else None
    build = start_build(
        deployment,
        BuildRequest(
            project,
            source=source,
            artifact=output,
            initiator=f"codepipeline/{execution.pipeline}",
            source_version=execution.revisions[0]["revisionId"] if execution.revisions else "",
        ),
    )
    action.external_id = build.id
    if build.status != "SUCCEEDED":
        raise _ActionFailed("JobFailed", f"Build terminated with state: {build.status}. {build.failure()}")
    if output is not None and build.artifact is not None:
        action.outputs.append((action.output_names[0], output))
    action.status = "Succeeded"


def _deploy_s3(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    if not action.inputs:
        missing = ", ".join(action.input_names) or "none declared"
        raise _ActionFailed("JobFailed", f"the input artifact was never produced ({missing})")
    body = _get_object(deployment, identity, action.inputs[0][1])
    config = action.configuration
    bucket = config["BucketName"]
    s3 = deployment.backend.client("s3", identity)
    try:
        if config.get("Extract", "false").lower() == "true":
            prefix = config.get("ObjectKey", "").strip("/")
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                for member in archive.infolist():
                    if member.is_dir():
                        continue
                    key = f"{prefix}/{member.filename}" if prefix else member.filename
                    s3.put_object(Bucket=bucket, Key=key, Body=archive.read(member))
        else:
            s3.put_object(Bucket=bucket, Key=config.get("ObjectKey", action.input_names[0]), Body=body)
    except zipfile.BadZipFile:
        raise _ActionFailed("JobFailed", "the input artifact is not a zip archive") from None
    except Exception as exc:
        raise _client_failure(exc, f"deploying to s3://{bucket}") from None
    action.status = "Succeeded"


def _approval(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    action.token = str(uuid.uuid4())
    topic = action.configuration.get("NotificationArn", "")
    if topic:
        subject = f"APPROVAL NEEDED: AWS CodePipeline {execution.pipeline} for action {action.name}"
        message = (
            f"Pipeline {execution.pipeline}, stage {action.stage}, action {action.name}: approval needed for "
            f"execution {execution.id} started by {execution.started_by.arn}. "
            + (action.configuration.get("CustomData", "") or "")
            + (
                f" Review: {action.configuration['ExternalEntityLink']}"
                if "ExternalEntityLink" in action.configuration
                else ""
            )
        )
        try:
            deployment.backend.client("sns", identity).publish(TopicArn=topic, Subject=subject[:100], Message=message)
        except Exception as exc:
            raise _client_failure(exc, f"publishing the approval request to {topic}") from None
        runtime(deployment).notifications.append((topic, subject, message))
    # The action stays InProgress until put_approval_result.


# What CodePipeline asks CloudFormation for in each action mode, as the action's role (CodePipeline's user guide,
# "CloudFormation action reference"); the stack ARN ends in the stack's id, unknown before it exists.
_STACK_ACTIONS = {
    "CREATE_UPDATE": "cloudformation:CreateStack",
    "REPLACE_ON_FAILURE": "cloudformation:CreateStack",
    "DELETE_ONLY": "cloudformation:DeleteStack",
    "CHANGE_SET_REPLACE": "cloudformation:CreateChangeSet",
    "CHANGE_SET_EXECUTE": "cloudformation:ExecuteChangeSet",
}


def _deploy_cloudformation(deployment: Deployment, execution: Execution, action: ActionRun, identity: Identity) -> None:
    """A CloudFormation deploy action: the action's role must be allowed the stack operation and to pass the deploy
    role (``RoleArn``) to CloudFormation, as CodePipeline checks before it calls CloudFormation. The stack itself
    is not deployed (its template comes from an artifact pipewarden does not deploy), so a run that gets that far
    is unverified."""
    config = action.configuration
    stack = config.get("StackName", "")
    mode = config.get("ActionMode", "")
    region, account = execution.pipeline_arn.split(":")[3:5]
    stack_arn = f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/*"
    wanted = _STACK_ACTIONS.get(mode)
    if wanted is not None:
        operation = wanted.split(":", 1)[1]
        denial = authorize(
            deployment, identity, "cloudformation", operation, {"StackName": stack}, action=wanted, resource=stack_arn
        )
        if denial is not None:
            raise _ActionFailed("JobFailed", f"{denial.code}: {denial.message}")
    deploy_role = config.get("RoleArn", "")
    if deploy_role:
        denial = authorize(
            deployment,
            identity,
            "iam",
            "PassRole",
            {"RoleArn": deploy_role},
            action="iam:PassRole",
            resource=deploy_role,
            context={"iam:PassedToService": "cloudformation.amazonaws.com"},
        )
        if denial is not None:
            raise _ActionFailed("JobFailed", f"{denial.code}: {denial.message}")
    raise Unverified(
        f"pipeline '{execution.pipeline}' action '{action.name}': the stack {stack or '(unnamed)'} ({mode}) from "
        f"{config.get('TemplatePath', 'its template')} is not deployed by pipewarden; what it would create is "
        "unverified"
    )


_RUNNERS: dict[tuple[str, str], Callable[[Deployment, Execution, ActionRun, Identity], None]] = {
    ("Source", "S3"): _source_s3,
    ("Source", "CodeCommit"): _source_hooked,
    ("Source", "CodeStarSourceConnection"): _source_connection,
    ("Build", "CodeBuild"): _build,
    ("Test", "CodeBuild"): _build,
    ("Deploy", "S3"): _deploy_s3,
    ("Approval", "Manual"): _approval,
    ("Deploy", "CloudFormation"): _deploy_cloudformation,
}


# -- approvals -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    """What happened to one approval attempt: accepted, or refused with AWS's error."""

    approver: Identity
    pipeline: str
    stage: str
    action: str
    status: str
    accepted: bool
    error_code: str = ""
    error_message: str = ""
    execution_status: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("Approved", "Rejected"):
            raise ValueError(f"approval status: expected Approved or Rejected, found {self.status!r}")


def put_approval_result(
    deployment: Deployment,
    identity: Identity,
    pipeline: str,
    stage: str,
    action: str,
    token: str,
    status: str,
    summary: str = "",
) -> ApprovalOutcome:
    """Answer a manual approval as ``identity``, authorized as ``codepipeline:PutApprovalResult`` on
    ``arn:aws:codepipeline:REGION:ACCOUNT:PIPELINE/STAGE/ACTION``; an approval resumes the execution, a rejection
    fails the action, its stage and the execution.

    Returns:
        The outcome; a refused attempt changes nothing and carries AWS's error.

    Raises:
        CheckFailed: when no execution waits at that action with that token.
        Unverified: when the deployment runs without IAM enforcement.
    """
    name = _physical(deployment, pipeline)
    execution = next(
        (
            e
            for e in reversed(list(runtime(deployment).executions.values()))
            if e.pipeline == name and any(a.token == token for a in e.pending_approvals())
        ),
        None,
    )
    if execution is None:
        raise CheckFailed(
            f"pipeline '{pipeline}' action '{stage}/{action}': expected an approval waiting with token {token}, "
            "found none; start an execution that reaches the approval first"
        )
    run = execution.action(stage, action)
    resource = f"{execution.pipeline_arn}/{stage}/{action}"
    params = {
        "pipelineName": name,
        "stageName": stage,
        "actionName": action,
        "result": {"summary": summary, "status": status},
        "token": token,
    }
    denial = authorize(
        deployment,
        identity,
        "codepipeline",
        "PutApprovalResult",
        params,
        action="codepipeline:PutApprovalResult",
        resource=resource,
    )
    if denial is not None:
        deployment.evidence.note(f"approval of {resource} by {identity.arn} refused: {denial.code}")
        _record(deployment, identity, params, denial.code, denial.message)
        return ApprovalOutcome(
            identity, name, stage, action, status, False, denial.code, denial.message, execution.status
        )
    _record(deployment, identity, params, "", "")
    run.end = time.time()
    run.summary = summary
    run.approved_by = identity.arn
    if status == "Approved":
        run.status = "Succeeded"
        _action_event(deployment, execution, run, "SUCCEEDED")
        deployment.evidence.note(f"approval of {resource} by {identity.arn}: approved")
        _advance(deployment, execution)
    else:
        run.status = "Failed"
        run.error_code, run.error_message = "Rejected", f"Rejected by {identity.arn}: {summary}"
        _action_event(deployment, execution, run, "FAILED")
        deployment.evidence.note(f"approval of {resource} by {identity.arn}: rejected")
        stage_run = execution.stage(stage)
        if not any(a.status == "InProgress" for a in stage_run.actions):
            _fail_stage(deployment, execution, stage_run)
    return ApprovalOutcome(identity, name, stage, action, status, True, execution_status=execution.status)


def _record(deployment: Deployment, identity: Identity, params: dict[str, Any], code: str, message: str) -> None:
    # The call is decided without a client, so the recorders (evidence, trail) are told as a client would tell them.
    from harness.backends.base import CallEvent

    event = CallEvent(identity, "codepipeline", "PutApprovalResult", params, None if code else {}, code, message)
    for observer in list(getattr(deployment.backend, "_observers", [])):
        observer.after_call(event)


# -- reading executions back ---------------------------------------------------------------------------------
def get_execution(deployment: Deployment, execution_id: str) -> Execution:
    """An execution of this deployment by id.

    Raises:
        CheckFailed: for an unknown id.
    """
    found = runtime(deployment).executions.get(execution_id)
    if not isinstance(found, Execution):
        raise CheckFailed(f"pipeline execution '{execution_id}': expected an execution of this run, found none")
    return found


def get_pipeline_execution(deployment: Deployment, pipeline: str, execution_id: str) -> dict[str, Any]:
    """get_pipeline_execution's response shape."""
    return {"pipelineExecution": get_execution(deployment, execution_id).to_dict()}


def get_pipeline_state(deployment: Deployment, pipeline: str) -> dict[str, Any]:
    """get_pipeline_state's response shape, from the latest execution of ``pipeline``.

    Raises:
        CheckFailed: when the pipeline has not run in this deployment.
    """
    name = _physical(deployment, pipeline)
    executions = [e for e in runtime(deployment).executions.values() if e.pipeline == name]
    if not executions:
        raise CheckFailed(f"pipeline '{pipeline}': expected an execution, found none; start one first")
    latest = executions[-1]
    stages = []
    for stage in latest.stages:
        actions = []
        for a in stage.actions:
            entry: dict[str, Any] = {"actionName": a.name}
            if a.status:
                latest_exec: dict[str, Any] = {
                    "actionExecutionId": a.id,
                    "status": a.status,
                    "lastStatusChange": _when(a.end or a.start),
                }
                if a.summary:
                    latest_exec["summary"] = a.summary
                if a.token and a.status == "InProgress":
                    latest_exec["token"] = a.token
                if a.external_id:
                    latest_exec["externalExecutionId"] = a.external_id
                if a.error_code:
                    latest_exec["errorDetails"] = {"code": a.error_code, "message": a.error_message}
                entry["latestExecution"] = latest_exec
            actions.append(entry)
        state: dict[str, Any] = {
            "stageName": stage.name,
            "inboundTransitionState": {"enabled": True},
            "actionStates": actions,
        }
        if stage.status:
            state["latestExecution"] = {"pipelineExecutionId": latest.id, "status": stage.status}
        stages.append(state)
    return {"pipelineName": name, "pipelineVersion": latest.version, "stageStates": stages}


def list_action_executions(deployment: Deployment, pipeline: str, execution_id: str) -> dict[str, Any]:
    """list_action_executions' response shape for one execution (newest first, as AWS lists them)."""
    execution = get_execution(deployment, execution_id)
    details: list[dict[str, Any]] = []
    for stage in execution.stages:
        for a in stage.actions:
            if not a.status:
                continue
            output: dict[str, Any] = {
                "outputArtifacts": [
                    {"name": n, "s3location": {"bucket": loc.bucket, "key": loc.key}} for n, loc in a.outputs
                ],
                "executionResult": {"externalExecutionId": a.external_id, "externalExecutionSummary": a.summary},
            }
            details.append(
                {
                    "pipelineExecutionId": execution.id,
                    "actionExecutionId": a.id,
                    "pipelineVersion": execution.version,
                    "stageName": stage.name,
                    "actionName": a.name,
                    "startTime": _when(a.start),
                    "lastUpdateTime": _when(a.end or a.start),
                    "status": a.status,
                    "input": {
                        "actionTypeId": a.type_id(),
                        "configuration": dict(a.configuration),
                        "roleArn": a.role_arn or execution.role_arn,
                        "region": execution.pipeline_arn.split(":")[3],
                        "inputArtifacts": [
                            {"name": n, "s3location": {"bucket": loc.bucket, "key": loc.key}} for n, loc in a.inputs
                        ],
                    },
                    "output": output,
                }
            )
    details.sort(key=lambda d: d["startTime"] or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return {"actionExecutionDetails": details}


# -- events --------------------------------------------------------------------------------------------------
def _account(execution: Execution) -> str:
    return execution.pipeline_arn.split(":")[4]


# An execution is tried once here: stages are not retried, so every event is of the first attempt.
_ATTEMPT = 1


def _iso(at: float | None) -> str | None:
    when = _when(at)
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _execution_detail(execution: Execution, state: str) -> dict[str, Any]:
    """The fields every CodePipeline execution event carries, as AWS documents them."""
    return {
        "pipeline": execution.pipeline,
        "execution-id": execution.id,
        "start-time": _iso(execution.start),
        "state": state,
        "version": execution.version,
        "pipeline-execution-attempt": _ATTEMPT,
    }


def _pipeline_event(deployment: Deployment, execution: Execution, state: str) -> None:
    detail = {
        **_execution_detail(execution, state),
        "execution-trigger": {"trigger-type": "StartPipelineExecution", "trigger-detail": execution.started_by.arn},
    }
    emit_event(
        deployment,
        "aws.codepipeline",
        "CodePipeline Pipeline Execution State Change",
        [execution.pipeline_arn],
        detail,
        _account(execution),
    )


def _stage_event(deployment: Deployment, execution: Execution, stage: StageRun, state: str) -> None:
    detail = {**_execution_detail(execution, state), "stage": stage.name}
    emit_event(
        deployment,
        "aws.codepipeline",
        "CodePipeline Stage Execution State Change",
        [execution.pipeline_arn],
        detail,
        _account(execution),
    )


def _artifacts(found: list[tuple[str, S3Location]]) -> list[dict[str, Any]]:
    return [{"name": name, "s3location": {"bucket": loc.bucket, "key": loc.key}} for name, loc in found]


def _action_event(deployment: Deployment, execution: Execution, action: ActionRun, state: str) -> None:
    detail: dict[str, Any] = {
        **_execution_detail(execution, state),
        "stage": action.stage,
        "action-execution-id": action.id,
        "action": action.name,
        "region": execution.pipeline_arn.split(":")[3],
        "type": action.type_id(),
        "input-artifacts": _artifacts(action.inputs),
    }
    if state != "STARTED":
        detail["output-artifacts"] = _artifacts(action.outputs)
    result = {
        key: value
        for key, value in (
            ("external-execution-id", action.external_id),
            ("external-execution-summary", action.summary),
            ("error-code", action.error_code),
        )
        if value
    }
    if result and state != "STARTED":
        detail["execution-result"] = result
    emit_event(
        deployment,
        "aws.codepipeline",
        "CodePipeline Action Execution State Change",
        [execution.pipeline_arn],
        detail,
        _account(execution),
    )
