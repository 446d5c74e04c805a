"""Principals: role sessions issued the way STS issues them (trust policy, ExternalId, tags, session policy) and
IAM users, as :class:`~harness.backends.base.Identity` values the backend's clients sign with.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from harness.backends.base import Identity
from harness.backends.safety import Credentials
from harness.enforce.enforcer import Enforcer
from harness.enforce.mapping import RequiredAccess
from harness.enforce.policies import PrincipalPolicies
from harness.enforce.web_identity import ACTION as WEB_IDENTITY
from harness.enforce.web_identity import TAGS_CLAIM, InvalidIdentityToken, WebIdentityToken, unknown_claim_keys
from harness.errors import CheckFailed, InputError, Unverified
from harness.iam import AuthorizationRequest, CallDescription, Decision, PolicySet, PrincipalDescription, build_context
from harness.iam.evaluator import evaluate
from harness.iam.principals import parse_principal

_KEY_CHARS = string.ascii_uppercase + string.digits


def _token(prefix: str, length: int = 16) -> str:
    return prefix + "".join(secrets.choice(_KEY_CHARS) for _ in range(length))


class AssumeRoleDenied(CheckFailed):
    """STS refused to issue the session; carries the decision on the trust policy."""

    def __init__(self, message: str, *, caller: str, role_arn: str, decision: Decision) -> None:
        super().__init__(message, caller=caller, role_arn=role_arn)
        self.caller = caller
        self.role_arn = role_arn
        self.decision = decision


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """What a caller asks STS for: the role, a session name and the optional session parameters."""

    role_arn: str
    session_name: str
    external_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    policy: Mapping[str, Any] | None = None
    source_identity: str | None = None

    def __post_init__(self) -> None:
        if not (2 <= len(self.session_name) <= 64) or not all(c.isalnum() or c in "=,.@-_" for c in self.session_name):
            raise InputError(
                where="role session name",
                expected="2 to 64 letters, digits or =,.@-_",
                found=repr(self.session_name),
                fix="choose a session name STS accepts, e.g. 'build-1'",
            )
        parse_principal(self.role_arn)


class Principals:
    """Issues identities for one deployment: role sessions (checked against the deployed trust policy) and users.

    Args:
        enforcer: the deployment's enforcer (its policy reader and clock are reused, its decisions get the
            AssumeRole decisions too).
    """

    def __init__(self, enforcer: Enforcer) -> None:
        self.enforcer = enforcer
        self.backend = enforcer.backend
        self.sessions: list[Identity] = []
        if enforcer.principals is None:
            enforcer.principals = self

    def service(self, service_principal: str, *, source_arn: str | None = None) -> Identity:
        """An AWS service acting as itself (``codebuild.amazonaws.com``), e.g. to assume its service role.

        A service acts for one of the account's resources (the build project, pipeline, trail or rule), and AWS
        tells the policies it meets which one: its requests carry ``aws:SourceArn`` (that resource),
        ``aws:SourceAccount`` (its account) and, when the account is in an organization, ``aws:SourceOrgID``.

        Args:
            service_principal: the service's principal name.
            source_arn: the ARN of the resource the service acts for; None when it acts for none in particular
                (then only ``aws:SourceAccount`` is known: the deployment's account).

        Raises:
            InputError: for a name that is not a service principal.
        """
        if not service_principal.endswith(".amazonaws.com"):
            raise InputError(
                where="service principal",
                expected="a name ending in .amazonaws.com",
                found=repr(service_principal),
                fix="use e.g. codebuild.amazonaws.com",
            )
        account = (source_arn.split(":")[4] if source_arn and source_arn.count(":") >= 5 else "") or (
            self.backend.account_id
        )
        attributes: list[tuple[str, str]] = [("source_account", account)]
        if source_arn:
            attributes.append(("source_arn", source_arn))
        org = self.enforcer.organization_id
        if org and account == self.backend.account_id:
            attributes.append(("source_org_id", org))
        return Identity(
            service_principal,
            service_principal,
            Credentials(_token("AKIA"), secrets.token_urlsafe(30)),
            kind="AWSService",
            principal_id=service_principal,
            account_id="",
            source_ip=service_principal,
            attributes=tuple(attributes),
        )

    def assume_role(
        self,
        caller: Identity,
        request: SessionRequest,
        *,
        label: str | None = None,
    ) -> Identity:
        """Assume a role the way STS does and return the session's identity.

        The role's trust policy, read back from the backend, is evaluated as the resource-based policy of
        ``sts:AssumeRole`` (with ``sts:ExternalId``, ``sts:RoleSessionName``, ``sts:SourceIdentity`` and the
        request tags); a caller that is an IAM principal also needs its own identity-based permission unless
        the trust policy names it directly. Session tags need ``sts:TagSession`` as well.

        Args:
            caller: who asks (the harness admin is the account's root; a user or role session; a service).
            request: the role and session parameters.
            label: how messages name the session (default: the role name).

        Returns:
            The session: ARN ``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``, kind ``AssumedRole``, principal id
            ``ROLEID:SESSION``, fresh ``ASIA...`` credentials, and attributes for enforcement and CloudTrail
            (``session_issuer_arn``, ``session_issuer_id``, ``session_issuer_name``, ``creation_date``,
            ``session_policy``, ``tag:<key>``, ``source_identity``, ``invoked_by``, ``mfa_authenticated``).

        Raises:
            AssumeRoleDenied: when STS would refuse, with AWS's message and the decision.
            CheckFailed: when the role does not exist.
        """
        role_name = request.role_arn.rsplit("/", 1)[-1]
        role = self.enforcer.reader.role(role_name)
        trust = self.enforcer.reader.trust_policy(role_name)
        if role is None or trust is None:
            raise CheckFailed(
                f"role {request.role_arn}: expected it to exist in the backend, found nothing; deploy it first"
            )
        extra: dict[str, Any] = {"sts:RoleSessionName": request.session_name}
        if request.external_id is not None:
            extra["sts:ExternalId"] = request.external_id
        if request.source_identity is not None:
            extra["sts:SourceIdentity"] = request.source_identity
        actions = ["sts:AssumeRole"]
        if request.tags:
            actions.append("sts:TagSession")
        if request.source_identity is not None:
            actions.append("sts:SetSourceIdentity")
        for action in actions:
            decision = self._decide_trust(caller, action, role.arn, trust, request.tags, extra)
            self.enforcer.record_assume(caller, action, role.arn, decision)
            if not decision.allowed:
                from harness.enforce.denials import denial_message

                raise AssumeRoleDenied(
                    f"AccessDenied: {denial_message('sts', caller.arn, decision)}",
                    caller=caller.arn,
                    role_arn=role.arn,
                    decision=decision,
                )
        return self._session(caller, role, role_name, request, label)

    def _session(
        self,
        caller: Identity,
        role: PrincipalPolicies,
        role_name: str,
        request: SessionRequest,
        label: str | None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> Identity:
        """The session STS issues once it allowed the assumption, registered with the enforcer."""
        account = self.backend.account_id
        created = self.enforcer.now().astimezone(UTC)
        attributes: list[tuple[str, str]] = [
            ("session_issuer_arn", role.arn),
            ("session_issuer_id", role.unique_id),
            ("session_issuer_name", role_name),
            ("session_issuer_account", account),
            ("creation_date", created.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("mfa_authenticated", "false"),
            ("assumed_by", caller.arn),
            *extra,
        ]
        if caller.kind == "AWSService":
            attributes.append(("invoked_by", caller.arn))
        if request.policy is not None:
            attributes.append(("session_policy", json.dumps(dict(request.policy), sort_keys=True)))
        if request.source_identity is not None:
            attributes.append(("source_identity", request.source_identity))
        attributes.extend((f"tag:{k}", v) for k, v in sorted(request.tags.items()))
        identity = Identity(
            label or role_name,
            f"arn:aws:sts::{account}:assumed-role/{role_name}/{request.session_name}",
            Credentials(_token("ASIA"), secrets.token_urlsafe(30), secrets.token_urlsafe(48)),
            kind="AssumedRole",
            principal_id=f"{role.unique_id}:{request.session_name}",
            account_id=account,
            source_ip=caller.source_ip if caller.kind != "AWSService" else caller.arn,
            attributes=tuple(attributes),
        )
        self.sessions.append(identity)
        self.enforcer.register(identity)
        return identity

    def _decide_trust(
        self,
        caller: Identity,
        action: str,
        role_arn: str,
        trust: Any,
        tags: Mapping[str, str],
        extra: Mapping[str, Any],
    ) -> Decision:
        caller_side = self.enforcer.principal_of(caller)
        principal_arn = caller.arn
        service = caller.kind == "AWSService"
        context = build_context(
            PrincipalDescription(principal_arn, caller_side.tags, user_id=caller.principal_id or None),
            CallDescription(
                # A service calls STS over TLS whatever endpoint the harness's own clients use.
                secure_transport=True if service else self.enforcer.secure_transport,
                source_ip=None if service else caller.source_ip,
                now=self.enforcer.now(),
                request_tags=dict(tags),
                region=self.backend.region,
                extra={**(service_source_context(caller) if service else {}), **extra},
            ),
        )
        session = caller.attribute("session_policy") or None
        policies = PolicySet.compile(
            identity_policies=caller_side.identity,
            resource_policy=trust,
            permissions_boundary=caller_side.boundary,
            session_policy=session,
            scps=self.enforcer.scps,
            rcps=self.enforcer.rcps,
        )
        request = AuthorizationRequest.create(principal_arn, action, role_arn, context)
        return evaluate(request, policies)

    # -- web identity federation ---------------------------------------------------------------------------
    def web_identity(self, token: WebIdentityToken, *, label: str | None = None) -> Identity:
        """The holder of an OIDC token (a CI job), as the caller of ``sts:AssumeRoleWithWebIdentity``.

        Its ARN is the account's provider for the token's issuer, the principal the trust policy names; its
        principal id is CloudTrail's ``PROVIDER_ARN:AUDIENCE:SUBJECT``. It has no permissions of its own: it can
        only exchange its token for a role session.
        """
        account = self.backend.account_id
        provider = f"arn:aws:iam::{account}:oidc-provider/{token.provider}"
        return Identity(
            label or f"web identity {token.subject}",
            provider,
            Credentials(_token("AKIA"), secrets.token_urlsafe(30)),
            kind="WebIdentityUser",
            principal_id=f"{provider}:{token.accepted_audience}:{token.subject}",
            account_id=account,
            attributes=(("web_identity_token", token.encode()), ("user_name", token.subject)),
        )

    def assume_role_with_web_identity(
        self,
        token: WebIdentityToken,
        request: SessionRequest,
        *,
        caller: Identity | None = None,
        label: str | None = None,
    ) -> Identity:
        """Exchange an OIDC token for a role session the way STS does.

        STS first looks for the account's IAM OIDC provider for the token's issuer and checks that the provider
        lists the token's audience; then it evaluates the role's trust policy as the resource-based policy of
        ``sts:AssumeRoleWithWebIdentity`` with the provider's ARN as the (federated) principal and the token's
        condition keys (``<issuer>:sub``, ``<issuer>:aud``, ...; see :class:`WebIdentityToken`), plus
        ``sts:RoleSessionName`` and ``aws:FederatedProvider``. The token's signature and the provider's
        thumbprints are not checked: the harness issues the tokens.

        Args:
            token: the token's claims.
            request: the role and session name (session tags, policy and source identity are not modelled for web
                identity and must be left out).
            caller: the token holder as made by :meth:`web_identity` (made here when None).
            label: how messages name the session (default: the role name).

        Returns:
            The role session, with ``federated_provider`` and ``web_identity_subject`` among its attributes.

        Raises:
            InvalidIdentityToken: no provider for the issuer, an audience it does not list, or an expired token.
            AssumeRoleDenied: when the trust policy does not allow the token.
            Unverified: when the trust policy tests claims the harness does not know STS to set, or the token
                asks for session tags.
            CheckFailed: when the role does not exist.
        """
        caller = caller or self.web_identity(token)
        role_name = request.role_arn.rsplit("/", 1)[-1]
        reader = self.enforcer.reader
        role = reader.role(role_name)
        trust = reader.trust_policy(role_name)
        if role is None or trust is None:
            raise CheckFailed(
                f"role {request.role_arn}: expected it to exist in the backend, found nothing; deploy it first"
            )
        if request.tags or request.policy is not None or request.source_identity is not None:
            raise InputError(
                where=f"AssumeRoleWithWebIdentity of {request.role_arn}",
                expected="a role and a session name only",
                found="session tags, a session policy or a source identity",
                fix="leave them out: the harness does not model them for web identity sessions",
            )
        provider = self._provider_for(token)
        if TAGS_CLAIM in token.claims:
            raise Unverified(
                f"web identity token of {token.issuer}: it asks for session tags ({TAGS_CLAIM}), which the harness "
                "does not model for web identity sessions; the role assumption cannot be judged"
            )
        unknown = unknown_claim_keys(trust, token)
        if unknown:
            raise Unverified(
                f"role {role.arn}: its trust policy tests {', '.join(unknown)}, which the harness does not know STS "
                f"to set for tokens of {token.issuer}; whether AWS lets the token assume the role cannot be judged"
            )
        context = build_context(
            PrincipalDescription(provider),
            CallDescription(
                secure_transport=self.enforcer.secure_transport,
                source_ip=caller.source_ip,
                now=self.enforcer.now(),
                region=self.backend.region,
                extra={
                    **token.condition_keys(),
                    "sts:RoleSessionName": request.session_name,
                    "aws:FederatedProvider": provider,
                },
            ),
        )
        policies = PolicySet.compile(resource_policy=trust, scps=self.enforcer.scps, rcps=self.enforcer.rcps)
        decision = evaluate(AuthorizationRequest.create(provider, WEB_IDENTITY, role.arn, context), policies)
        self.enforcer.record_assume(caller, WEB_IDENTITY, role.arn, decision, operation="AssumeRoleWithWebIdentity")
        if not decision.allowed:
            raise AssumeRoleDenied(
                f"AccessDenied: Not authorized to perform {WEB_IDENTITY} (trust policy of {role.arn}: "
                f"{decision.reason})",
                caller=caller.arn,
                role_arn=role.arn,
                decision=decision,
            )
        return self._session(
            caller,
            role,
            role_name,
            request,
            label,
            extra=(("federated_provider", provider), ("web_identity_subject", token.subject)),
        )

    def _provider_for(self, token: WebIdentityToken) -> str:
        found = self.enforcer.reader.oidc_provider(token.provider)
        if found is None:
            raise InvalidIdentityToken(
                "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {token.issuer}"
            )
        provider, audiences = found
        if token.accepted_audience not in audiences:
            raise InvalidIdentityToken("InvalidIdentityToken", "Incorrect token audience")
        expires = token.claims.get("exp")
        now = self.enforcer.now().timestamp()
        if isinstance(expires, int | float) and not isinstance(expires, bool) and expires <= now:
            raise InvalidIdentityToken("ExpiredTokenException", "Token expired: the current time is after its 'exp'")
        return provider

    def user(self, user_name: str, *, label: str | None = None) -> Identity:
        """An IAM user of the deployment, with fresh long-term ``AKIA...`` credentials.

        Raises:
            CheckFailed: when the user does not exist in the backend.
        """
        found = self.enforcer.reader.user(user_name)
        if found is None:
            raise CheckFailed(f"IAM user '{user_name}': expected it to exist in the backend, found nothing")
        identity = Identity(
            label or user_name,
            found.arn,
            Credentials(_token("AKIA"), secrets.token_urlsafe(30)),
            kind="IAMUser",
            principal_id=found.unique_id,
            account_id=self.backend.account_id,
        )
        self.enforcer.register(identity)
        return identity


def service_source_context(service: Identity) -> dict[str, str]:
    """The keys AWS adds to a service principal's requests about the resource it acts for: ``aws:SourceAccount``,
    ``aws:SourceArn`` and ``aws:SourceOrgID``, as far as :meth:`Principals.service` knows them."""
    return {key: value for attribute, key in _SOURCE_KEYS if (value := service.attribute(attribute))}


_SOURCE_KEYS = (
    ("source_account", "aws:SourceAccount"),
    ("source_arn", "aws:SourceArn"),
    ("source_org_id", "aws:SourceOrgID"),
)


def required_access(action: str, resource: str, **context: Any) -> RequiredAccess:
    """A single access to decide directly with :meth:`Enforcer.decide` (for probes that make no call)."""
    return RequiredAccess(action, resource, context)


__all__ = ["AssumeRoleDenied", "Principals", "SessionRequest", "required_access", "service_source_context"]
