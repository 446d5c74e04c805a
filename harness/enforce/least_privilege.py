"""Least-privilege probes: the calls a pipeline's roles must not be able to make, made for real, then undone.

Each probe acts as a scenario role (as its service would), attempts one call and returns the
:class:`~harness.enforce.api.CallOutcome`; when a call that should have been denied succeeded, what it created
is removed with the admin client so the scenario still leaves nothing behind.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from typing import Any

from harness.acceptance import Deployment
from harness.enforce.api import CallOutcome, act_as, attempt
from harness.errors import Unverified
from harness.model.base import INTERPOLATION, iter_strings
from harness.provider.base import error_code
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.codepipeline import Pipeline
from harness.provider.resources.iam_role import Role
from harness.provider.resources.lambda_function import Function
from harness.provider.resources.s3_bucket import Bucket

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ARTIFACT_KEY = "release/artifact.zip"


def _undo(deployment: Deployment, outcome: CallOutcome, action: Callable[[], Any]) -> CallOutcome:
    """Remove what a call that should have been denied created; a missing thing is not an error."""
    if outcome.decision is not None and outcome.decision.allowed:
        try:
            action()
        except Exception as exc:
            if not error_code(exc):
                raise
        deployment.evidence.note(f"removed what {outcome.service}:{outcome.operation} by the {outcome.actor} created")
    return outcome


def _actor(scenario_role: str) -> str:
    return f"{scenario_role} role"


def try_create_user(deployment: Deployment, scenario_role: str) -> CallOutcome:
    """The role tries to create an IAM user."""
    name = f"{deployment.prefix}probe-user"
    identity = act_as(deployment, scenario_role)
    outcome = attempt(deployment, identity, "iam", "CreateUser", actor=_actor(scenario_role), UserName=name)
    iam = deployment.backend.client("iam")
    return _undo(deployment, outcome, lambda: iam.delete_user(UserName=name))


def try_attach_admin_policy(deployment: Deployment, scenario_role: str) -> CallOutcome:
    """The role tries to attach AdministratorAccess to itself."""
    from harness.scenario import role_physical_name

    role_name = role_physical_name(deployment, scenario_role)
    identity = act_as(deployment, scenario_role)
    outcome = attempt(
        deployment,
        identity,
        "iam",
        "AttachRolePolicy",
        actor=_actor(scenario_role),
        RoleName=role_name,
        PolicyArn=ADMINISTRATOR_ACCESS,
    )
    iam = deployment.backend.client("iam")
    return _undo(
        deployment, outcome, lambda: iam.detach_role_policy(RoleName=role_name, PolicyArn=ADMINISTRATOR_ACCESS)
    )


def other_role_arns(deployment: Deployment, scenario_role: str) -> list[str]:
    """The deployed roles of the definition other than the one playing ``scenario_role``, riskiest to pass first:
    the pipeline's role (or the build's, for the pipeline), the deploy roles its CloudFormation actions pass to
    CloudFormation (often allowed to create anything), the execution roles of its functions, then every other role.

    Raises:
        Unverified: when the definition has no other role to pass.
    """
    from harness.scenario import resolve_role

    own = resolve_role(deployment, scenario_role)
    definition = deployment.require_definition()
    preferred = "pipeline" if scenario_role != "pipeline" else "build"
    try:
        names = [resolve_role(deployment, preferred).name]
    except Unverified:  # nothing plays that part: the other roles are still candidates
        names = []
    names += deploy_roles(deployment)
    names += [f.role for f in definition.of_type(Function) if isinstance(f, Function)]
    names += [r.name for r in definition.of_type(Role)]
    arns: list[str] = []
    for name in dict.fromkeys(names):
        state = deployment.provider.state.get(f"roles.{name}")
        if name != own.name and state is not None:
            arns.append(state.arn)
    if not arns:
        raise Unverified(f"definition '{definition.name}' has no role besides '{own.name}' to try passing")
    return arns


def other_role_arn(deployment: Deployment, scenario_role: str) -> str:
    """The first of :func:`other_role_arns`: the riskiest other role of the definition.

    Raises:
        Unverified: when the definition has no other role to pass.
    """
    return other_role_arns(deployment, scenario_role)[0]


def deploy_roles(deployment: Deployment) -> list[str]:
    """The roles of the definition the pipelines' CloudFormation actions pass to CloudFormation, in stage order."""
    found: list[str] = []
    for pipeline in deployment.require_definition().of_type(Pipeline):
        assert isinstance(pipeline, Pipeline)
        for action in (a for stage in pipeline.stages for a in stage.actions):
            if action.deploy_role and not action.deploy_role.startswith("arn:"):
                found.append(action.deploy_role)
    return list(dict.fromkeys(found))


def try_pass_other_role(deployment: Deployment, scenario_role: str) -> CallOutcome:
    """The role tries to pass each other role of the pipeline to a new build project (iam:PassRole).

    Returns:
        The first attempt that was let through (the claim is refuted), else the attempt with the first role
        tried; every attempt is in the evidence.
    """
    name = f"{deployment.prefix}passrole-probe"
    identity = act_as(deployment, scenario_role)
    codebuild = deployment.backend.client("codebuild")
    outcomes: list[CallOutcome] = []
    for role_arn in other_role_arns(deployment, scenario_role):
        outcome = attempt(
            deployment,
            identity,
            "codebuild",
            "CreateProject",
            actor=_actor(scenario_role),
            focus="iam:PassRole",
            name=name,
            source={"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands: [echo probe]\n"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=role_arn,
        )
        outcome = _undo(deployment, outcome, lambda: codebuild.delete_project(name=name))
        if not outcome.denied:
            return outcome
        outcomes.append(outcome)
    return outcomes[0]


def _pipeline_references(deployment: Deployment, section: str) -> set[str]:
    """Logical names in ``section`` that any pipeline of the definition uses (store, action configuration)."""
    definition = deployment.require_definition()
    used: set[str] = set()
    for pipeline in definition.of_type(Pipeline):
        assert isinstance(pipeline, Pipeline)
        if section == "buckets" and pipeline.artifact_store is not None:
            used.add(pipeline.artifact_store.bucket)
        for text in iter_strings(pipeline.stages):
            for match in INTERPOLATION.finditer(text):
                if match.group(1) == section and match.group(2):
                    used.add(match.group(2))
    return used


def _physical(deployment: Deployment, section: str, names: Iterator[str]) -> str | None:
    for name in names:
        state = deployment.provider.state.get(f"{section}.{name}")
        if state is not None:
            return state.physical_id
    return None


def _own_pipeline_tag(deployment: Deployment) -> str:
    """The value of the ``pipeline`` tag this definition's pipelines carry (its name when they carry none)."""
    definition = deployment.require_definition()
    for pipeline in definition.of_type(Pipeline):
        assert isinstance(pipeline, Pipeline)
        if pipeline.tags.get("pipeline"):
            return pipeline.tags["pipeline"]
    return definition.name


def foreign_bucket(deployment: Deployment) -> str:
    """A bucket of another pipeline: one the definition tags with a different ``pipeline`` tag.

    When the definition declares none, a name under the run prefix that no pipeline uses stands for it:
    authorization is decided on the ARN, whether or not the bucket exists.
    """
    own = _own_pipeline_tag(deployment)
    definition = deployment.require_definition()
    names = (
        b.name
        for b in definition.of_type(Bucket)
        if isinstance(b, Bucket) and b.tags.get("pipeline") not in (None, own)
    )
    return _physical(deployment, "buckets", names) or f"{deployment.prefix}another-pipeline-artifacts"


def granted_foreign_buckets(deployment: Deployment, scenario_role: str) -> list[str]:
    """Buckets of other pipelines that the role's own grants reach by a wildcard, riskiest first.

    A statement allowing ``arn:aws:s3:::codepipeline-us-east-1-*`` names no bucket of this pipeline: it reaches
    the artifact bucket of every pipeline made in the console in that region. For each Allow whose bucket part
    is a wildcard matching none of the pipeline's own buckets, a bucket name the wildcard matches stands for
    another pipeline's bucket (``codepipeline-us-east-1-another-pipeline``). Wildcards that match a bucket of
    this pipeline are taken to name it, and policy variables are left alone.
    """
    from harness.scenario import role_physical_name

    found = deployment.enforcer.reader.role(role_physical_name(deployment, scenario_role))
    if found is None:
        return []
    own = [s.physical_id for a, s in deployment.provider.state.items() if a.startswith("buckets.")]
    names: list[str] = []
    for policy in found.identity:
        for statement in policy.statements:
            if statement.effect != "Allow" or not statement.resources:
                continue
            for resource in statement.resources:
                match = re.fullmatch(r"arn:[\w-]+:s3:::([^/]+)(?:/.*)?", resource)
                pattern = match.group(1) if match else ""
                if not pattern.strip("*") or not any(c in pattern for c in "*?") or "${" in pattern:
                    continue
                if any(fnmatch.fnmatchcase(bucket, pattern) for bucket in own):
                    continue
                name = re.sub(r"\*+", "another-pipeline", pattern).replace("?", "x").lower()
                if name not in names and fnmatch.fnmatchcase(name, pattern.lower()):
                    names.append(name)
    return names


def try_read_foreign_artifacts(deployment: Deployment, scenario_role: str) -> CallOutcome:
    """The role tries to read an artifact from another pipeline's artifact bucket: first from each bucket its own
    wildcard grants reach (see ``granted_foreign_buckets``), then from the definition's other pipeline's bucket
    or a stand-in name. The first read allowed is the outcome; else the first refusal."""
    outcomes: list[CallOutcome] = []
    for bucket in [*granted_foreign_buckets(deployment, scenario_role), foreign_bucket(deployment)]:
        outcome = _read_artifact(deployment, scenario_role, bucket)
        if not outcome.denied:
            return outcome
        outcomes.append(outcome)
    return outcomes[0]


def _read_artifact(deployment: Deployment, scenario_role: str, bucket: str) -> CallOutcome:
    s3 = deployment.backend.client("s3")
    try:
        s3.put_object(Bucket=bucket, Key=ARTIFACT_KEY, Body=b"another pipeline's build output")
    except Exception as exc:
        if not error_code(exc):
            raise
        deployment.evidence.note(f"bucket {bucket} does not exist; the read is judged on its ARN alone")
    identity = act_as(deployment, scenario_role)
    outcome = attempt(
        deployment, identity, "s3", "GetObject", actor=_actor(scenario_role), Bucket=bucket, Key=ARTIFACT_KEY
    )
    if outcome.response is not None and hasattr(outcome.response.get("Body"), "close"):
        outcome.response["Body"].close()
    return _undo(deployment, outcome, lambda: s3.delete_object(Bucket=bucket, Key=ARTIFACT_KEY))


def own_build_project(deployment: Deployment) -> str:
    """The build project the pipeline invokes.

    Raises:
        Unverified: when no pipeline action names a deployed build project.
    """
    found = _physical(deployment, "build_projects", iter(sorted(_pipeline_references(deployment, "build_projects"))))
    if found is None:
        raise Unverified("no pipeline action of the definition invokes a deployed build project")
    return found


def foreign_build_project(deployment: Deployment) -> str:
    """A build project of another pipeline (tagged with a different ``pipeline`` tag, else one no pipeline
    invokes), or a stand-in name under the run prefix."""
    own = _own_pipeline_tag(deployment)
    used = _pipeline_references(deployment, "build_projects")
    projects = [p for p in deployment.require_definition().of_type(BuildProject) if isinstance(p, BuildProject)]
    tagged = (p.name for p in projects if p.tags.get("pipeline") not in (None, own))
    unused = (p.name for p in projects if p.name not in used)
    return (
        _physical(deployment, "build_projects", tagged)
        or _physical(deployment, "build_projects", unused)
        or f"{deployment.prefix}another-pipeline-build"
    )


def try_start_build(deployment: Deployment, scenario_role: str, *, own: bool) -> CallOutcome:
    """The role starts a build of the pipeline's own project (``own``) or of another pipeline's."""
    project = own_build_project(deployment) if own else foreign_build_project(deployment)
    identity = act_as(deployment, scenario_role)
    return attempt(deployment, identity, "codebuild", "StartBuild", actor=_actor(scenario_role), projectName=project)


__all__ = [
    "ADMINISTRATOR_ACCESS",
    "deploy_roles",
    "foreign_bucket",
    "foreign_build_project",
    "other_role_arn",
    "other_role_arns",
    "own_build_project",
    "try_attach_admin_policy",
    "try_create_user",
    "try_pass_other_role",
    "try_read_foreign_artifacts",
    "try_start_build",
]
