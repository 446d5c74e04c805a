"""Scenario operations: the typed functions steps call (load definitions, deploy, change things out of band)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.acceptance import Deployment
from harness.errors import BESIDE, CheckFailed, DeployError, InputError, Unverified, absent
from harness.inputs.formats import load_any
from harness.model.definition import Definition
from harness.provider.resources.iam_group import Group
from harness.provider.resources.iam_role import Role
from harness.provider.resources.iam_user import User


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


def deploy_as_claim(deployment: Deployment, definition: Definition, failures: dict[int, str]) -> None:
    """Deploy a definition whose deployment is the claim itself: a failure fails it, and is kept in ``failures``
    (by definition) for the run to report once (see :func:`deploy_for_claim`)."""
    try:
        deploy(deployment, definition)
    except DeployError as exc:
        failures.setdefault(id(definition), str(exc))
        raise


def deploy_for_claim(deployment: Deployment, definition: Definition, failures: dict[int, str]) -> None:
    """Deploy a definition as the precondition of another claim.

    A definition that does not deploy leaves the claim untried, so it is UNVERIFIED, not failed: the deploy failure
    is the run's error, reported once with its cause (kept in ``failures``), and later scenarios do not try again.

    Raises:
        Unverified: the pipeline did not deploy, now or earlier in the run.
    """
    earlier = failures.get(id(definition))
    if earlier is not None:
        raise Unverified("not tried: the pipeline did not deploy (the run's error, reported once)", deploy=earlier)
    try:
        deploy(deployment, definition)
    except DeployError as exc:
        failures.setdefault(id(definition), str(exc))
        raise Unverified(f"not tried: the pipeline did not deploy: {exc}", deploy=str(exc)) from exc


# Scenario roles that people play: a role only a service may assume cannot play them.
PERSON_ROLES = frozenset({"developer", "another developer", "approver", "release-manager", "release manager"})


def resolve_role(deployment: Deployment, scenario_role: str) -> Role:
    """The definition's role that plays ``scenario_role`` in the scenarios (``pipeline``, ``build``, ...).

    In order: an explicit mapping (``--map build=CodeBuildServiceRole`` on the command line, ``--pw-map`` under
    pytest; by the role's name here, its CloudFormation logical id, its Terraform address or its physical name), a
    role of that very name, the role a tag ``pipewarden:role=<scenario role>`` marks, then the structure:
    ``pipeline`` is the pipeline's service role, ``build`` the service role of the (first) build project and
    ``deploy`` the role the (first) CloudFormation action passes to CloudFormation.

    Raises:
        InputError: a mapping that names no role of the definition, or points a person at a role only AWS services
            may assume.
        Unverified: when no role plays that part (the claim has no subject), listing the roles there are.
    """
    definition = deployment.require_definition()
    roles = {r.name: r for r in definition.of_type(Role) if isinstance(r, Role)}
    option = deployment.map_option
    wanted = deployment.role_map.get(scenario_role)
    if wanted is not None:
        found = next((r for r in roles.values() if wanted in _names_of(deployment, definition, r)), None)
        if found is None:
            raise _mapped_to_nothing(definition, roles, f"{option} {scenario_role}={wanted}", wanted)
        _refuse_service_role_for_person(definition, scenario_role, found, f"{option} {scenario_role}={wanted}")
        return found
    if scenario_role in roles:
        return roles[scenario_role]
    for role in roles.values():
        if role.tags.get("pipewarden:role") == scenario_role:
            return role
    structural = _structural_role(definition, scenario_role)
    if structural in roles:
        return roles[structural]
    raise absent(
        f"definition '{definition.name}'",
        f"has no role playing '{scenario_role}' (roles: {_listed(definition, roles)})",
        f"map it with {option} {scenario_role}=<role>, {BESIDE}",
    )


def check_role_map(definition: Definition, role_map: Mapping[str, str], option: str = "--pw-map") -> None:
    """Every mapping names a role of ``definition`` (see :func:`resolve_role`), and none points a person at a role
    only AWS services may assume.

    Raises:
        InputError: naming the mapping, the roles there are and the fix.
    """
    roles = {r.name: r for r in definition.of_type(Role) if isinstance(r, Role)}
    people = [r for cls in (User, Group) for r in definition.of_type(cls) if isinstance(r, User | Group)]
    for scenario_role, wanted in role_map.items():
        found: Role | User | Group | None = next(
            (r for r in roles.values() if wanted in _names_of(None, definition, r)), None
        )
        if found is None and scenario_role in PERSON_ROLES:
            found = next((p for p in people if wanted in _names_of(None, definition, p)), None)
        if isinstance(found, User | Group):
            continue
        if found is None:
            raise _mapped_to_nothing(definition, roles, f"{option} {scenario_role}={wanted}", wanted)
        _refuse_service_role_for_person(definition, scenario_role, found, f"{option} {scenario_role}={wanted}")


# What each part people play is allowed to do, by which a group or user of the definition is found to play it.
_PERSON_ACTIONS = {
    "developer": "codecommit:GitPush",
    "another developer": "codecommit:GitPush",
    "approver": "codecommit:UpdatePullRequestApprovalState",
    "release-manager": "codepipeline:PutApprovalResult",
    "release manager": "codepipeline:PutApprovalResult",
}


def resolve_person(deployment: Deployment, scenario_role: str) -> Role | User | Group:
    """The role, user or group of the definition whose people play ``scenario_role`` (``developer``, ``approver``,
    ``release-manager``).

    In order: an explicit mapping (by name, logical id, Terraform address or physical name); a role, user or group
    of that name (or its plural: ``developers``); one a tag ``pipewarden:role=<scenario role>`` marks; then the
    structure: the group (else the user) whose own policies allow what the part does (``codecommit:GitPush`` for a
    developer, ``codecommit:UpdatePullRequestApprovalState`` for an approver, ``codepipeline:PutApprovalResult``
    for a release manager), a grant of that very action before a wildcard one. The choice is noted in the evidence.

    Raises:
        InputError: a mapping that names nothing of the definition, or a role only AWS services may assume.
        Unverified: nothing of the definition plays the part (people are often users, groups or single sign-on
            outside it).
    """
    definition = deployment.require_definition()
    option = deployment.map_option
    people: list[Role | User | Group] = [
        r for cls in (Role, User, Group) for r in definition.of_type(cls) if isinstance(r, Role | User | Group)
    ]
    wanted = deployment.role_map.get(scenario_role)
    if wanted is not None:
        found = next((p for p in people if wanted in _names_of(deployment, definition, p)), None)
        if found is None:
            raise InputError(
                where=f"{option} {scenario_role}={wanted}",
                expected="a role, user or group of the definition, by its name, logical id, Terraform address or "
                "physical name",
                found=f"none called '{wanted}'",
                fix="map one of the definition's roles, users or groups",
            )
        if isinstance(found, Role):
            _refuse_service_role_for_person(definition, scenario_role, found, f"{option} {scenario_role}={wanted}")
        return found
    base = scenario_role.removeprefix("another ").replace(" ", "-")
    for candidate in people:
        if candidate.name in (base, f"{base}s"):
            return candidate
    for candidate in people:
        if getattr(candidate, "tags", {}).get("pipewarden:role") in (scenario_role, base):
            return candidate
    action = _PERSON_ACTIONS.get(scenario_role)
    ranked = sorted(
        (
            (rank, 0 if isinstance(c, Group) else 1, c.name, c)
            for c in people
            if isinstance(c, User | Group)
            for rank in [_grant_rank(deployment, definition, c, action)]
            if action and rank is not None
        ),
        key=lambda t: t[:3],
    )
    if ranked:
        chosen = ranked[0][3]
        deployment.evidence.note(
            f"'{scenario_role}' is played by {chosen.KIND} {chosen.name}: its policies allow {action}; map another "
            f"with {option} {scenario_role}=<role, user or group>"
        )
        return chosen
    raise absent(
        f"definition '{definition.name}'",
        f"has no role, user or group playing '{base}' (people are often IAM users, groups or single sign-on outside "
        "the template)",
        f"map one with {option} {base}=<role, user or group> or tag it pipewarden:role={base}, {BESIDE}",
    )


def _grant_rank(deployment: Deployment, definition: Definition, who: User | Group, action: str | None) -> int | None:
    """How directly ``who``'s own policies (a user's groups' too) allow ``action``: 0 by name, 1 by a wildcard
    within the service, None when they do not (or only by ``*``)."""
    from harness.backends.moto_accepts import aws_managed_policy_document
    from harness.iam.patterns import wildcard_regex

    if not action:
        return None
    holders: list[User | Group] = [who]
    if isinstance(who, User):
        holders += [g for g in definition.of_type(Group) if isinstance(g, Group) and g.name in who.groups]
    documents: list[Any] = []
    for holder in holders:
        documents += list(holder.policies.values())
        for managed in holder.managed_policies:
            if managed.startswith("arn:"):
                documents.append(aws_managed_policy_document(managed) or {})
            else:
                policy = definition.get("policies", managed)
                documents.append(getattr(policy, "document", {}))
    best: int | None = None
    for document in documents:
        statements = document.get("Statement", []) if isinstance(document, Mapping) else []
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            for pattern in [actions] if isinstance(actions, str) else actions if isinstance(actions, list) else []:
                text = str(pattern)
                if text == "*" or not wildcard_regex(text, ignore_case=True).fullmatch(action):
                    continue
                rank = 0 if text.lower() == action.lower() else 1
                best = rank if best is None else min(best, rank)
    return best


def _mapped_to_nothing(definition: Definition, roles: Mapping[str, Role], where: str, wanted: str) -> InputError:
    return InputError(
        where=where,
        expected="a role of the definition, by its name, logical id, Terraform address or physical name",
        found=f"no role called '{wanted}' among {_listed(definition, roles)}",
        fix="map one of those",
    )


def _names_of(deployment: Deployment | None, definition: Definition, role: Role | User | Group) -> set[str]:
    """What a user may call a role: its name here, how its source names it (``Resources.X`` or ``X``, a Terraform
    address), the physical name it declares and the one it is deployed under."""
    address = str(role.address)
    names = {role.name}
    if deployment is not None:
        names.add(deployment.provider.ctx.physical_name(role))
    origin = definition.origins.get(address, "")
    if origin:
        names |= {origin, origin.removeprefix("Resources.")}
    declared = definition.physical_names.get(address)
    if declared:
        names.add(declared)
    return names


def _listed(definition: Definition, roles: Mapping[str, Role]) -> str:
    if not roles:
        return "none"
    parts = []
    for name in sorted(roles):
        origin = definition.origins.get(f"roles.{name}", "").removeprefix("Resources.")
        parts.append(f"{name} ({origin})" if origin and origin != name else name)
    return ", ".join(parts)


def _refuse_service_role_for_person(definition: Definition, scenario_role: str, role: Role, where: str) -> None:
    """A person cannot play a role only AWS services may assume."""
    if scenario_role not in PERSON_ROLES:
        return
    statements = role.trust_document().get("Statement", [])
    principals: list[Any] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            principal = statement.get("Principal")
            if isinstance(principal, Mapping):
                principals.extend(principal.keys())
            elif principal is not None:
                principals.append("AWS")
    if principals and set(principals) == {"Service"}:
        raise InputError(
            where=where,
            expected=f"a role that people assume, to play '{scenario_role}'",
            found=f"{definition.where(role.address)}, which only AWS services may assume (its trust policy names "
            "only Service principals)",
            fix="map the role, user or group the people in that part use",
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
