"""Scenario operations: the typed functions steps call (load definitions, deploy, change things out of band)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from harness.acceptance import Deployment
from harness.errors import CheckFailed, InputError
from harness.inputs.formats import load_any
from harness.model.definition import Definition
from harness.provider.resources.iam_role import Role


def _data_dir(name: str) -> Path:
    # In a source checkout the folder sits beside harness/; in an installed wheel it is a top-level
    # data-only (namespace) package.
    beside = Path(__file__).resolve().parent.parent / name
    if beside.is_dir():
        return beside
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise InputError(
        where=f"pipewarden installation ({name}/)",
        expected=f"the packaged {name} folder",
        found="none",
        fix="reinstall pipewarden",
    )


def packaged_fixtures() -> Path:
    """The folder of packaged fixture pipelines (``fixtures/pipelines``)."""
    return _data_dir("fixtures") / "pipelines"


def packaged_features() -> Path:
    """The folder of packaged feature files."""
    return _data_dir("features")


def fixture_path(name: str) -> Path:
    """The definition file of a packaged fixture pipeline.

    Raises:
        InputError: naming the fixture and listing the available ones.
    """
    folder = packaged_fixtures() / name
    for candidate in ("pipeline.yaml", "template.yaml", "template.json", "plan.json"):
        if (folder / candidate).is_file():
            return folder / candidate
    available = sorted(p.name for p in packaged_fixtures().iterdir() if p.is_dir())
    raise InputError(
        where=f"fixture '{name}'",
        expected="a folder under fixtures/pipelines with pipeline.yaml",
        found="none",
        fix=f"use one of: {', '.join(available)}",
    )


def load_fixture(name: str) -> Definition:
    """Load a packaged fixture pipeline by name."""
    return load_any(fixture_path(name))


def try_load(path: str | Path) -> Definition | InputError:
    """Load a definition and return the InputError instead of raising it (for scenarios about bad input)."""
    try:
        return load_any(path)
    except InputError as exc:
        return exc


def expect_load_error(outcome: Definition | InputError, fragment: str) -> InputError:
    """Check a load failed with a message containing ``fragment``.

    Raises:
        CheckFailed: when loading succeeded or the message differs.
    """
    if not isinstance(outcome, InputError):
        raise CheckFailed(
            f"definition '{outcome.name}': expected loading to fail with {fragment!r}, found it valid",
        )
    if fragment not in str(outcome):
        raise CheckFailed(f"loading: expected an error containing {fragment!r}, found: {outcome}")
    return outcome


def deploy(deployment: Deployment, definition: Definition) -> None:
    """Deploy a definition; the plan after apply must be empty."""
    deployment.definition = definition
    deployment.apply()


def resolve_role(deployment: Deployment, scenario_role: str) -> Role:
    """The definition's role that plays ``scenario_role`` in the scenarios (``pipeline``, ``build``, ...).

    In order: an explicit mapping (``--pw-map build=MyBuildRole``), a role of that very name, the role a tag
    ``pipewarden:role=<scenario role>`` marks, then the structure: ``pipeline`` is the pipeline's service role,
    ``build`` the service role of the (first) build project and ``deploy`` the role the (first) CloudFormation
    action passes to CloudFormation.

    Raises:
        CheckFailed: when no role plays that part, listing the roles there are.
    """
    definition = deployment.require_definition()
    roles = {r.name: r for r in definition.of_type(Role) if isinstance(r, Role)}
    wanted = deployment.role_map.get(scenario_role)
    if wanted is not None and wanted in roles:
        return roles[wanted]
    if wanted is None:
        if scenario_role in roles:
            return roles[scenario_role]
        for role in roles.values():
            if role.tags.get("pipewarden:role") == scenario_role:
                return role
        structural = _structural_role(definition, scenario_role)
        if structural in roles:
            return roles[structural]
    raise CheckFailed(
        f"definition '{definition.name}': expected a role playing '{scenario_role}'"
        + (f" (mapped to '{wanted}')" if wanted else "")
        + f", found roles: {', '.join(sorted(roles)) or 'none'}; map it with --pw-map {scenario_role}=<role name>"
    )


def _structural_role(definition: Definition, scenario_role: str) -> str | None:
    from harness.provider.resources.codebuild_project import BuildProject
    from harness.provider.resources.codepipeline import Pipeline

    if scenario_role == "pipeline":
        for pipeline in definition.of_type(Pipeline):
            if isinstance(pipeline, Pipeline):
                return pipeline.role
    if scenario_role == "build":
        for project in definition.of_type(BuildProject):
            if isinstance(project, BuildProject):
                return project.service_role
    if scenario_role == "deploy":
        for pipeline in definition.of_type(Pipeline):
            assert isinstance(pipeline, Pipeline)
            for action in (a for stage in pipeline.stages for a in stage.actions):
                if action.deploy_role and not action.deploy_role.startswith("arn:"):
                    return action.deploy_role
    return None


def role_physical_name(deployment: Deployment, scenario_role: str) -> str:
    """The physical name of the role playing ``scenario_role``."""
    return deployment.provider.ctx.physical_name(resolve_role(deployment, scenario_role))


def role_address(deployment: Deployment, scenario_role: str) -> str:
    """The definition address (``roles.<name>``) of the role playing ``scenario_role``."""
    return str(resolve_role(deployment, scenario_role).address)


DRIFT_POLICY_NAME = "pipewarden-out-of-band"


def grant_admin_out_of_band(deployment: Deployment, scenario_role: str) -> None:
    """Attach an administrator inline policy to a role directly in the backend, behind the harness's back."""
    iam = deployment.backend.client("iam")
    iam.put_role_policy(
        RoleName=role_physical_name(deployment, scenario_role),
        PolicyName=DRIFT_POLICY_NAME,
        PolicyDocument=json.dumps(ADMIN_POLICY),
    )
    deployment.evidence.note(f"granted the {scenario_role} role administrator access outside the definition")


ADMIN_POLICY: dict[str, Any] = {  # what an out-of-band change typically adds
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def destroy_and_check(deployment: Deployment) -> None:
    """Remove what was deployed as its definition removes it (keeping what it retains), and check that nothing is
    left, by reading back and by prefix."""
    failed = deployment.destroy(as_declared=True)
    if failed:
        raise CheckFailed(f"run {deployment.prefix}: could not delete {', '.join(failed)}")
    deployment.check_destroy()
