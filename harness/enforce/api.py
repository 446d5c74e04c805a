"""The scenario API of enforcement: act as a pipeline role, attempt a call, and check it was denied or allowed.

Usable from plain pytest::

    build = act_as(deployment, "build")
    outcome = attempt(deployment, build, "iam", "CreateUser", actor="build role", UserName="x")
    expect_denied(outcome)
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.backends.moto_accepts import AWS_MANAGED_PREFIXES
from harness.enforce.denials import access_denied_code
from harness.enforce.enforcer import AccessDecision, CallDecision, Enforcer
from harness.enforce.principals import AssumeRoleDenied, Principals, SessionRequest
from harness.enforce.web_identity import InvalidIdentityToken, WebIdentityToken, token_for, trusted_providers
from harness.errors import CheckFailed, Unverified
from harness.evidence.record import redact
from harness.iam.evaluator import Outcome
from harness.model.definition import PRINCIPAL_ASPECTS, RESOURCE_ASPECTS, Definition, Unknown, describe_unknowns
from harness.provider.resources.iam_user import User

# How AWS services name the sessions of the service roles they assume.
_SESSION_PREFIX = {
    "codebuild.amazonaws.com": "AWSCodeBuild",
    "codepipeline.amazonaws.com": "AWSCodePipeline",
}


@dataclass(frozen=True, slots=True)
class Grant:
    """A statement that allowed an access, and where it is declared."""

    statement: str | int
    where: str

    def describe(self) -> str:
        """``statement 'Admin' in file:line (roles.build)``."""
        return f"statement {self.statement!r} in {self.where}"


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What happened to one attempted call: the authorization decision and what the client saw.

    Attributes:
        actor: how messages name the caller (``build role``).
        identity: the caller.
        service, operation: the call.
        params: the parameters (secrets redacted).
        decision: the enforcer's decision (None when the call was not enforced).
        error_code, error_message: the client's error ('' on success).
        response: the parsed response on success.
        focus: the action the claim is about (``iam:PassRole`` for a call that passes a role).
        subject: ``pipeline 'name'`` for messages.
        grants: the statements that allowed the focus action, with their locations.
        unknowns: what the decision depends on that the definition does not say (then it cannot be judged).
    """

    actor: str
    identity: Identity
    service: str
    operation: str
    params: dict[str, Any]
    decision: CallDecision | None
    error_code: str = ""
    error_message: str = ""
    response: dict[str, Any] | None = None
    focus: str = ""
    subject: str = "pipeline"
    grants: tuple[Grant, ...] = ()
    fix: str = "scope it to the actions the role needs"
    unknowns: tuple[Unknown, ...] = ()

    @property
    def focused(self) -> AccessDecision | None:
        """The decision on the focus action (or the first denied access, or the first access)."""
        if self.decision is None:
            return None
        if self.focus:
            found = self.decision.for_action(self.focus)
            if found is not None:
                return found
        return self.decision.denied_by or (self.decision.accesses[0] if self.decision.accesses else None)

    @property
    def denied(self) -> bool:
        """True when the focus access was denied."""
        focused = self.focused
        return focused is not None and not focused.allowed


def enforcer_of(deployment: Deployment) -> Enforcer:
    """The deployment's enforcer.

    Raises:
        Unverified: when the deployment runs without enforcement.
    """
    enforcer = getattr(deployment, "enforcer", None)
    if not isinstance(enforcer, Enforcer):
        raise Unverified("this deployment runs without IAM enforcement; calls cannot be judged")
    return enforcer


def principals_of(deployment: Deployment) -> Principals:
    """The deployment's principal issuer (role sessions and users)."""
    found = getattr(deployment, "principals", None)
    if not isinstance(found, Principals):
        raise Unverified("this deployment runs without IAM enforcement; it issues no role sessions")
    return found


def act_as(deployment: Deployment, scenario_role: str) -> Identity:
    """Assume the role playing ``scenario_role`` as its service would (CodeBuild for a build role).

    The caller is the first service principal the role trusts in the definition; a role trusting no service is
    assumed by the harness as a principal of the account. The trust policy deployed is what decides.

    Raises:
        CheckFailed: when no role plays that part, or its trust policy refuses the caller.
    """
    from harness.scenario import PERSON_ROLES, resolve_role

    if scenario_role in PERSON_ROLES:
        return act_as_person(deployment, scenario_role)
    role = resolve_role(deployment, scenario_role)
    principals = principals_of(deployment)
    state = deployment.provider.state.get(str(role.address))
    if state is None:
        raise CheckFailed(
            f"role '{role.address}': expected it to be deployed, found it missing; deploy the pipeline first"
        )
    trust = deployment.provider.ctx.resolve(role.trust_document())
    service = _trusted_service(trust)
    label = f"{scenario_role} role"
    if service is None:
        providers = trusted_providers(trust)
        if providers:
            return _act_with_web_identity(deployment, state.arn, trust, providers[0], label)
    if service:
        from harness.runtime.identity import acting_for

        caller = principals.service(service, source_arn=acting_for(deployment, role, service))
    else:
        caller = deployment.backend.admin
    session = f"{_SESSION_PREFIX.get(service or '', 'pipewarden')}-{secrets.token_hex(8)}"
    return principals.assume_role(caller, SessionRequest(state.arn, session), label=label)


# Who acts when a scenario names a part people play without naming a person.
DEFAULT_PEOPLE = {"developer": "dana", "another developer": "devin", "approver": "avery", "release-manager": "rita"}


def act_as_person(deployment: Deployment, scenario_role: str, name: str = "") -> Identity:
    """A person (``dana``) in the part ``scenario_role`` (``developer``), acting with that part's real permissions.

    The part is played by a role, a user or a group of the definition (see :func:`harness.scenario.resolve_person`):
    a role is assumed by the account with the person's name as the session name; a user acts with its own
    long-term credentials (its groups' policies included); for a group, the harness adds a user of its own for the
    person to the group, so only the group's policies decide (the user leaves the group before the pipeline is
    removed).

    Raises:
        Unverified: when nothing of the definition plays the part.
        InputError: when a mapping names nothing of the definition or a role only services may assume.
    """
    from harness.enforce.principals import SessionRequest
    from harness.provider.base import error_code
    from harness.provider.resources.iam_group import Group
    from harness.provider.resources.iam_role import Role
    from harness.scenario import resolve_person

    who = name or DEFAULT_PEOPLE.get(scenario_role, "pat")
    found = resolve_person(deployment, scenario_role)
    label = f"{who} ({scenario_role})" if name or not isinstance(found, Role) else f"{scenario_role} role"
    principals = principals_of(deployment)
    if isinstance(found, Role):
        arn = deployment.provider.state[str(found.address)].arn
        # A named person is one session name; each unnamed one is a new person of the part.
        session = name or f"{who}-{secrets.token_hex(4)}"
        return principals.assume_role(deployment.backend.admin, SessionRequest(arn, session), label=label)
    if isinstance(found, User):
        return act_as_user(deployment, found.name)
    assert isinstance(found, Group)
    group = deployment.provider.ctx.physical_name(found)
    member = f"{deployment.prefix}person-{who}-{secrets.token_hex(3)}"
    iam = deployment.backend.client("iam")
    with deployment.trail.recorder.suspended():
        iam.create_user(UserName=member)
        iam.add_user_to_group(GroupName=group, UserName=member)

    def leave() -> None:
        with deployment.trail.recorder.suspended():
            for call, params in (
                (iam.remove_user_from_group, {"GroupName": group, "UserName": member}),
                (iam.delete_user, {"UserName": member}),
            ):
                try:
                    call(**params)
                except Exception as exc:
                    if not error_code(exc):
                        raise

    deployment.departures.append(leave)
    deployment.evidence.note(f"{who} is a member of group {group} ({found.address}) for the scenario, as {member}")
    return principals_of(deployment).user(member, label=label)


def _act_with_web_identity(deployment: Deployment, role_arn: str, trust: Any, provider: str, label: str) -> Identity:
    """A role only an identity provider's tokens may assume (a CI system's deploy role): assume it with a token
    carrying the claims its trust policy asks for, as the CI job it trusts would present."""
    found = enforcer_of(deployment).reader.oidc_provider(provider.split(":oidc-provider/", 1)[1])
    token = token_for(trust, provider, found[1] if found else ())
    try:
        return principals_of(deployment).assume_role_with_web_identity(
            token, SessionRequest(role_arn, f"pipewarden-{secrets.token_hex(8)}"), label=label
        )
    except (AssumeRoleDenied, InvalidIdentityToken) as exc:
        raise Unverified(
            f"{label} ({role_arn}) is assumed with tokens of {token.issuer}; a token with the claims its trust policy "
            f"names (sub {token.subject!r}, aud {token.audience!r}) was refused ({exc}); the harness cannot tell "
            "which tokens the CI system presents, so it cannot act as this role"
        ) from None


def act_as_user(deployment: Deployment, user: str) -> Identity:
    """An IAM user of the definition (by logical name or physical name), signing with long-term credentials.

    The user's own and its groups' policies and its permissions boundary, as deployed, decide its calls.

    Raises:
        CheckFailed: when the definition declares no such user or it is not deployed.
    """
    definition = deployment.require_definition()
    users = {r.name: r for r in definition.of_type(User)}
    ctx = deployment.provider.ctx
    found = users.get(user) or next((u for u in users.values() if ctx.physical_name(u) == user), None)
    if found is None:
        raise CheckFailed(
            f"definition '{definition.name}': expected a user '{user}', found users: "
            f"{', '.join(sorted(users)) or 'none'}; declare it under 'users'"
        )
    state = deployment.provider.state.get(str(found.address))
    if state is None:
        raise CheckFailed(f"user '{found.address}': expected it to be deployed, found it missing; deploy it first")
    return principals_of(deployment).user(state.physical_id, label=f"user {found.name}")


def assume_with_web_identity(
    deployment: Deployment, scenario_role: str, token: WebIdentityToken, *, actor: str | None = None
) -> CallOutcome:
    """Present ``token`` to STS for a session of the role playing ``scenario_role`` (a real
    ``AssumeRoleWithWebIdentity`` call), and report what happened.

    Returns:
        The outcome: allowed with the session's credentials in ``response``, or denied (``AccessDenied`` by the
        trust policy, ``InvalidIdentityToken`` when the account has no provider for the issuer or it does not
        list the audience).
    """
    from harness.scenario import resolve_role

    role = resolve_role(deployment, scenario_role)
    state = deployment.provider.state.get(str(role.address))
    if state is None:
        raise CheckFailed(
            f"role '{role.address}': expected it to be deployed, found it missing; deploy the pipeline first"
        )
    holder = principals_of(deployment).web_identity(token)
    return attempt(
        deployment,
        holder,
        "sts",
        "AssumeRoleWithWebIdentity",
        actor=actor or holder.label,
        RoleArn=state.arn,
        RoleSessionName=f"pipewarden-{secrets.token_hex(8)}",
        WebIdentityToken=token.encode(),
    )


def _trusted_service(trust: dict[str, Any]) -> str | None:
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        if isinstance(services, str):
            return services
        if isinstance(services, list) and services:
            return str(services[0])
    return None


def attempt(
    deployment: Deployment,
    identity: Identity,
    service: str,
    operation: str,
    *,
    actor: str | None = None,
    focus: str = "",
    **params: Any,
) -> CallOutcome:
    """Make one real call as ``identity`` through the backend and report what happened.

    Args:
        deployment: the deployment (its backend, enforcer and definition).
        identity: the caller (see :func:`act_as`).
        service: boto3 service name; operation: API operation name (``CreateUser``).
        actor: how messages name the caller (default: the identity's label).
        focus: the action the claim is about when the call needs several (``iam:PassRole``).
        params: the API parameters.

    Returns:
        The :class:`CallOutcome`, allowed or denied, with the decision that explains it.
    """
    enforcer = enforcer_of(deployment)
    client = deployment.backend.client(service, identity)
    before = len(enforcer.decisions)
    error_code = error_message = ""
    response: dict[str, Any] | None = None
    try:
        response = getattr(client, xform_name(operation))(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        error_code, error_message = str(error.get("Code", "")), str(error.get("Message", ""))
    decision = next(
        (
            d
            for d in reversed(enforcer.decisions[before:])
            if d.identity == identity and d.service == service and d.operation == operation
        ),
        None,
    )
    outcome = CallOutcome(
        actor=actor or identity.label,
        identity=identity,
        service=service,
        operation=operation,
        params=redact(dict(params)),
        decision=decision,
        error_code=error_code,
        error_message=error_message,
        response=response,
        focus=focus,
    )
    return _explained(deployment, enforcer, outcome)


def _explained(deployment: Deployment, enforcer: Enforcer, outcome: CallOutcome) -> CallOutcome:
    definition = deployment.definition
    focused = outcome.focused
    grants: list[Grant] = []
    if focused is not None and focused.allowed:
        for matched in focused.decision.matched:
            if matched.effect != "Allow":
                continue
            source = enforcer.reader.source_of(matched.policy)
            grants.append(
                Grant(
                    matched.statement,
                    _where(
                        deployment,
                        definition,
                        source.owner_arn if source else "",
                        source.name if source else "",
                        matched.policy,
                    ),
                )
            )
    subject = f"pipeline '{definition.name}'" if definition else "pipeline"
    role_word = outcome.actor.removesuffix(" role")
    return dataclasses.replace(
        outcome,
        subject=subject,
        grants=tuple(grants),
        fix=f"scope it to the actions the {role_word} needs",
        unknowns=unknowns_behind(deployment, outcome),
    )


def _where(deployment: Deployment, definition: Definition | None, owner_arn: str, name: str, fallback: str) -> str:
    """Where a policy is declared: the definition's ``file:line (address)`` when the harness deployed it; an AWS
    managed policy by its name, attached where the definition attaches it."""
    if name.startswith(AWS_MANAGED_PREFIXES):
        return f"the AWS managed policy {name.rsplit('/', 1)[-1]} attached to " + _where(
            deployment, definition, owner_arn, "", fallback
        )
    if definition is not None:
        by_arn = {state.arn: address for address, state in deployment.provider.state.items() if state.arn}
        address = by_arn.get(name) or by_arn.get(owner_arn)
        if address is not None:
            return definition.where(address)
    return owner_arn or fallback


def _expected_code(outcome: CallOutcome) -> str:
    return access_denied_code(outcome.service)[0]


def _grants_text(grants: tuple[Grant, ...]) -> str:
    """``statement 'Admin' in f:1 (roles.build) allows it`` / ``statements 'A', 'B' in ... allow it``."""
    by_where: dict[str, list[str]] = {}
    for grant in grants:
        by_where.setdefault(grant.where, []).append(repr(grant.statement))
    parts = [
        f"statement{'s' if len(names) > 1 else ''} {', '.join(names)} in {where}" for where, names in by_where.items()
    ]
    return "; ".join(parts) + (" allows it" if len(grants) == 1 else " allow it")


def unknowns_behind(deployment: Deployment, outcome: CallOutcome) -> tuple[Unknown, ...]:
    """What the decision on the focus access depends on that the definition does not say.

    An explicit deny stands whatever else exists; any other decision could be turned by a policy the definition
    does not show: the caller's own (a stand-in role, an attached policy known only by name, a policy known only
    at apply) or the resource's (a bucket or key of another stack), or by a wildcard that reaches a resource only
    by the name it declares, on a backend that gives it another (see ``harness.provider.spelling``).
    """
    definition = deployment.definition
    focused = outcome.focused
    unknowns = (*definition.unknowns, *deployment.provider.unrewritten) if definition is not None else ()
    if definition is None or not unknowns or focused is None:
        return ()
    if focused.decision.decision is Outcome.EXPLICIT_DENY:
        return ()

    def unknowns_of(address: str, aspects: frozenset[str]) -> list[Unknown]:
        return [u for u in unknowns if u.address == address and u.aspect in aspects]

    states = deployment.provider.state
    request = focused.decision.request
    found: list[Unknown] = []
    role_name = _role_name(request.principal.arn)
    for address, state in states.items():
        if address.startswith("roles.") and state.physical_id == role_name:
            found.extend(unknowns_of(address, PRINCIPAL_ASPECTS))
            role = definition.get("roles", address.split(".", 1)[1])
            for policy in getattr(role, "managed_policies", ()):
                found.extend(unknowns_of(f"policies.{policy}", PRINCIPAL_ASPECTS))
        elif state.arn and (request.resource == state.arn or request.resource.startswith(state.arn + "/")):
            found.extend(unknowns_of(address, RESOURCE_ASPECTS))
    return tuple(dict.fromkeys(found))


def _role_name(principal_arn: str) -> str:
    """The role of an assumed-role session (``arn:aws:sts::1:assumed-role/build/s`` -> ``build``) or role ARN."""
    if ":assumed-role/" in principal_arn:
        return principal_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    if ":role/" in principal_arn:
        return principal_arn.rsplit("/", 1)[-1]
    return ""


def _require_known(outcome: CallOutcome) -> None:
    if outcome.unknowns:
        focused = outcome.focused
        access = f"{focused.access.action} on {focused.access.resource}" if focused else outcome.operation
        raise Unverified(
            f"{outcome.subject}: the decision on {outcome.actor}'s {access} depends on what the definition does "
            f"not say: {describe_unknowns(outcome.unknowns)}; give the template or plan that declares it "
            "too (--baseline FILE; under pytest --pw-baseline FILE), or declare it here",
            unknowns=[str(u) for u in outcome.unknowns],
        )


def expect_denied(outcome: CallOutcome) -> CallOutcome:
    """The call was denied the way AWS denies it (the focus action, with the service's access-denied error).

    A decision that depends on what the definition does not say is UNVERIFIED.

    Raises:
        Unverified: the decision depends on an unknown (a stand-in's policies, a value known only at apply).
        CheckFailed: ``pipeline 'x': build role expected AccessDenied on iam:CreateUser, got success; statement
            'Admin' in file:line (roles.build) allows it; scope it to the actions the build needs.``
    """
    _require_known(outcome)
    expected = _expected_code(outcome)
    focused = outcome.focused
    if focused is None:
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected {expected} on {outcome.service}:{outcome.operation}, "
            "found the call was not enforced; make it with an identity from act_as()",
        )
    action = focused.access.action
    if focused.allowed:
        got = (
            "success" if not outcome.error_code else f"an allowed call (the service then answered {outcome.error_code})"
        )
        grants = outcome.grants
        why = _grants_text(grants) if grants else focused.decision.reason
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected {expected} on {action}, got {got}; {why}; {outcome.fix}.",
            action=action,
            resource=focused.access.resource,
            statements=[g.statement for g in grants],
            decision=focused.decision.to_dict(),
        )
    if outcome.error_code != expected:
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected the client to see {expected} on {action}, "
            f"found {outcome.error_code or 'success'}; the call was denied but not answered as AWS answers it",
            action=action,
        )
    return outcome


def expect_allowed(outcome: CallOutcome) -> CallOutcome:
    """The call was authorized and the service answered it.

    A decision that depends on what the definition does not say is UNVERIFIED.

    Raises:
        Unverified: the decision depends on an unknown (a stand-in's policies, a value known only at apply).
        CheckFailed: naming the denied action, resource and AWS's message.
    """
    _require_known(outcome)
    focused = outcome.focused
    if focused is None:
        raise CheckFailed(f"{outcome.subject}: {outcome.actor} expected an enforced call, found none")
    denied = outcome.decision.denied_by if outcome.decision else None
    if denied is not None:
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected to be allowed {denied.access.action} on "
            f"{denied.access.resource}, got {outcome.error_code}: {outcome.error_message}; "
            "grant it in the role's policy (scoped to that resource)",
            action=denied.access.action,
            decision=denied.decision.to_dict(),
        )
    if outcome.error_code:
        raise CheckFailed(
            f"{outcome.subject}: {outcome.actor} expected {outcome.service}:{outcome.operation} to succeed, "
            f"got {outcome.error_code}: {outcome.error_message}",
        )
    return outcome


__all__ = [
    "CallOutcome",
    "Grant",
    "act_as",
    "act_as_user",
    "assume_with_web_identity",
    "attempt",
    "enforcer_of",
    "expect_allowed",
    "expect_denied",
    "principals_of",
    "unknowns_behind",
]
