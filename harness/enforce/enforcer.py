"""Enforcement: every call by a scenario identity is mapped, evaluated against the deployed policies, and denied
with AWS's own error when AWS would deny it.

The emulators do not enforce IAM (or do it coarsely), so the harness does: an :class:`Enforcer` attached to a
backend answers a denied call itself, before it is sent, with the exact error a client of that service sees.
The harness's admin identity is never enforced: it deploys and reads back.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from harness.backends.base import Backend, CallEvent, Identity, hook_answer
from harness.enforce.denials import AwsError, denial
from harness.enforce.mapping import UNAUTHORIZED_OPERATIONS, MappedCall, MappingEnv, RequiredAccess, map_call
from harness.enforce.policies import PolicyReader, PolicySource, PrincipalPolicies
from harness.errors import Unverified
from harness.evidence.record import Evidence, redact
from harness.iam import AuthorizationRequest, CallDescription, Decision, PolicySet, PrincipalDescription, build_context
from harness.iam.evaluator import Outcome, evaluate
from harness.iam.principals import PrincipalKind, parse_principal
from harness.iam.s3_acl import OBJECT_ACL_ACTIONS

if TYPE_CHECKING:
    from harness.enforce.principals import Principals

# Operations that only read: they never change what enforcement reads back, so they keep the caches warm.
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Lookup", "Filter", "Search", "Select", "Decrypt")

# Services where a write can change a policy, a tag or whether a policy-bearing resource exists. Writes elsewhere
# (log events, objects, builds) leave the caches as they are.
_POLICY_SERVICES = frozenset({"iam", "kms", "sns", "sqs", "secretsmanager", "organizations", "ecr", "lambda"})

_S3_ARN = re.compile(r"arn:[^:]+:s3:::.")
_OBJECT_ACL_ACTIONS = frozenset(a.lower() for a in OBJECT_ACL_ACTIONS)

# Object writes that can set or drop an object's ACL.
_OBJECT_ACL_WRITES = frozenset({"PutObject", "CopyObject", "PutObjectAcl", "DeleteObject", "CompleteMultipartUpload"})


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """The decision on one access a call needed."""

    access: RequiredAccess
    decision: Decision

    @property
    def allowed(self) -> bool:
        """True when this access is allowed."""
        return self.decision.allowed


@dataclass(frozen=True, slots=True)
class CallDecision:
    """The authorization of one call: each access it needed and what was decided, with the error when denied.

    Attributes:
        seq: the call's number in this enforcer (ascending).
        identity: who made the call.
        service: boto3 service name; operation: API operation name.
        params: the call's parameters with secrets redacted.
        accesses: the decision on every access the call needed, in the order AWS checks them.
        error: the error the client sees when the call is denied, else None.
        explanations: matched policy names mapped to where they live (role, policy name).
    """

    seq: int
    identity: Identity
    service: str
    operation: str
    params: Mapping[str, Any]
    accesses: tuple[AccessDecision, ...]
    error: AwsError | None = None
    at: str = ""
    explanations: Mapping[str, PolicySource] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        """True when every access is allowed (AWS lets the call through)."""
        return self.error is None

    @property
    def denied_by(self) -> AccessDecision | None:
        """The first denied access: the one AWS's error names."""
        return next((a for a in self.accesses if not a.allowed), None)

    def for_action(self, action: str) -> AccessDecision | None:
        """The decision on the first access for ``action`` (case-insensitive), if the call needed it."""
        lowered = action.lower()
        return next((a for a in self.accesses if a.access.action.lower() == lowered), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON form kept in the evidence: decision, layer, policy, statement and request of each access."""
        return {
            "seq": self.seq,
            "at": self.at,
            "principal": self.identity.arn,
            "identity": self.identity.label,
            "call": f"{self.service}:{self.operation}",
            "allowed": self.allowed,
            "error": None if self.error is None else {"code": self.error.code, "message": self.error.message},
            "accesses": [
                {
                    **a.decision.to_dict(),
                    "sources": {
                        m.policy: self.explanations[m.policy].describe()
                        for m in a.decision.matched
                        if m.policy in self.explanations
                    },
                }
                for a in self.accesses
            ],
        }


class Enforcer:
    """Decides every call by a non-admin identity against the policies as deployed, and answers denials.

    Args:
        backend: the backend whose calls to enforce (attach with :meth:`attach`).
        evidence: where each decision is kept (under the current step's ``data["authorization"]``).
        scps: SCP levels to apply (root first, account last; each a list of policy documents); None: the account
            is not in an organization.
        rcps: RCP levels, likewise.
        organization_id: the id of the account's organization (``o-...``), which AWS services acting for the
            account's resources send as ``aws:SourceOrgID``; None when the account is in no organization.
        now: the clock for ``aws:CurrentTime`` / ``aws:EpochTime`` (default: the real time).
        secure_transport: the value of ``aws:SecureTransport``. True by default: clients use HTTPS endpoints;
            an http:// emulator endpoint (moto server, LocalStack) is a harness convenience on loopback, not the
            client's choice, so policies requiring TLS are evaluated as they would be against AWS.
    """

    def __init__(
        self,
        backend: Backend,
        evidence: Evidence | None = None,
        *,
        scps: Sequence[Sequence[Any]] | None = None,
        rcps: Sequence[Sequence[Any]] | None = None,
        now: Callable[[], datetime] | None = None,
        secure_transport: bool = True,
        organization_id: str | None = None,
    ) -> None:
        self.backend = backend
        self.organization_id = organization_id
        self.evidence = evidence
        self.scps = scps
        self.rcps = rcps
        self.now = now or (lambda: datetime.now(UTC))
        self.secure_transport = secure_transport
        self.reader = PolicyReader(backend)
        self.env = MappingEnv(backend.account_id, backend.region, self.reader)
        self.decisions: list[CallDecision] = []
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._compiled: dict[tuple[Identity, str], PolicySet] = {}
        self._pending: dict[int, tuple[Any, CallDecision]] = {}
        self._attached = False
        self._by_key: dict[str, Identity] = {}
        # Set by the Principals issuing this deployment's sessions; STS AssumeRole calls are answered through it.
        self.principals: Principals | None = None

    # -- wiring --------------------------------------------------------------------------------------------
    def attach(self) -> Enforcer:
        """Enforce every later call through the backend's clients (and watch writes to refresh the caches)."""
        if not self._attached:
            self.backend.add_before_call(self.before_call)
            self.backend.add_observer(self)
            self._attached = True
        return self

    def detach(self) -> None:
        """Stop enforcing."""
        if self._attached:
            self.backend.remove_before_call(self.before_call)
            self.backend.remove_observer(self)
            self._attached = False

    def is_admin(self, identity: Identity) -> bool:
        """The harness's own identity deploys and reads back; it is never enforced."""
        return identity == self.backend.admin

    # -- the backend hook ----------------------------------------------------------------------------------
    def before_call(
        self, identity: Identity, service: str, operation: str, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """botocore before-call hook: answer a denied call with AWS's error, let an allowed one through.

        ``params`` are the call's API parameters: the very dict later observers see as ``CallEvent.params``,
        so a decision can be found again from the event.
        """
        if service == "sts" and operation == "AssumeRoleWithWebIdentity" and self.principals is not None:
            # The token, not the signer, is who asks: even a call through the admin's client is decided.
            return self._assume_role_with_web_identity(identity, params)
        if self.is_admin(identity):
            return None
        api_params = params
        if service == "sts" and operation == "GetCallerIdentity":
            return self._caller_identity(identity)
        if service == "sts" and operation == "AssumeRole" and self.principals is not None:
            return self._assume_role(identity, api_params)
        decision = self.authorize_call(identity, service, operation, api_params)
        with self._lock:
            self._pending[id(api_params)] = (api_params, decision)
            if len(self._pending) > 256:  # events nobody looked up: keep the newest only
                for key in list(self._pending)[:128]:
                    del self._pending[key]
        if decision.error is not None:
            return decision.error.botocore_answer()
        return None

    def _assume_role(self, identity: Identity, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        # The emulator would hand out sessions the harness does not know (and skip the trust policy); the
        # harness issues the session itself, with the same checks as Principals.assume_role, and answers the
        # call with its credentials so the new session can be found by its access key.
        from harness.enforce.principals import AssumeRoleDenied, SessionRequest

        assert self.principals is not None
        tags = {str(t["Key"]): str(t["Value"]) for t in params.get("Tags") or ()}
        policy = params.get("Policy")
        request = SessionRequest(
            str(params["RoleArn"]),
            str(params["RoleSessionName"]),
            external_id=params.get("ExternalId"),
            tags=tags,
            policy=json.loads(policy) if isinstance(policy, str) else None,
            source_identity=params.get("SourceIdentity"),
        )
        try:
            session = self.principals.assume_role(identity, request)
        except AssumeRoleDenied as exc:
            error = denial("sts", identity.arn, exc.decision)
            with self._lock:
                self._pending[id(params)] = (params, self.decisions[-1])
            return error.botocore_answer()
        with self._lock:
            self._pending[id(params)] = (params, self.decisions[-1])
        credentials = session.credentials
        expiration = datetime.now(UTC) + timedelta(seconds=int(params.get("DurationSeconds") or 3600))
        parsed = {
            "Credentials": {
                "AccessKeyId": credentials.access_key_id,
                "SecretAccessKey": credentials.secret_access_key,
                "SessionToken": credentials.session_token,
                "Expiration": expiration,
            },
            "AssumedRoleUser": {"AssumedRoleId": session.principal_id, "Arn": session.arn},
            "PackedPolicySize": 0,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        return hook_answer(200, parsed)

    def _assume_role_with_web_identity(
        self, identity: Identity, params: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        # As for AssumeRole: the harness decides and issues the session itself, so the session is one it knows.
        from harness.enforce.principals import AssumeRoleDenied, SessionRequest
        from harness.enforce.web_identity import InvalidIdentityToken, WebIdentityToken

        assert self.principals is not None
        before = len(self.decisions)
        try:
            token = WebIdentityToken.decode(str(params.get("WebIdentityToken", "")))
            caller = identity if identity.kind == "WebIdentityUser" else self.principals.web_identity(token)
            session = self.principals.assume_role_with_web_identity(
                token, SessionRequest(str(params["RoleArn"]), str(params["RoleSessionName"])), caller=caller
            )
        except InvalidIdentityToken as exc:
            return AwsError(exc.code, exc.aws_message, 400, "query").botocore_answer()
        except AssumeRoleDenied as exc:
            with self._lock:
                self._pending[id(params)] = (params, self.decisions[-1])
            message = f"Not authorized to perform {exc.decision.request.action}"
            return AwsError("AccessDenied", message, 403, "query").botocore_answer()
        if len(self.decisions) > before:
            with self._lock:
                self._pending[id(params)] = (params, self.decisions[-1])
        credentials = session.credentials
        expiration = datetime.now(UTC) + timedelta(seconds=int(params.get("DurationSeconds") or 3600))
        parsed = {
            "Credentials": {
                "AccessKeyId": credentials.access_key_id,
                "SecretAccessKey": credentials.secret_access_key,
                "SessionToken": credentials.session_token,
                "Expiration": expiration,
            },
            "SubjectFromWebIdentityToken": token.subject,
            "AssumedRoleUser": {"AssumedRoleId": session.principal_id, "Arn": session.arn},
            "PackedPolicySize": 0,
            "Provider": token.issuer,
            "Audience": token.accepted_audience,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        return hook_answer(200, parsed)

    def register(self, identity: Identity) -> None:
        """Remember an identity the harness issued, so it can be found by its access key (the local gateway)."""
        with self._lock:
            self._by_key[identity.credentials.access_key_id] = identity

    def identity_for_key(self, access_key_id: str) -> Identity | None:
        """The identity the harness issued with this access key (role session, user), None when unknown."""
        return self._by_key.get(access_key_id)

    def _caller_identity(self, identity: Identity) -> tuple[Any, dict[str, Any]]:
        # GetCallerIdentity needs no permission and answers who the caller is; the emulator does not know the
        # sessions the harness issues, so the harness answers it.
        parsed = {
            "UserId": identity.principal_id or identity.account_id,
            "Account": identity.account_id or self.backend.account_id,
            "Arn": identity.arn,
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        return hook_answer(200, parsed)

    def after_call(self, event: CallEvent) -> None:
        """Observer: a call that may have changed policies, tags or resources refreshes the caches."""
        if event.error_code or event.operation.startswith(_READ_PREFIXES):
            return
        if event.service in _POLICY_SERVICES or (
            event.service == "s3" and not any(word in event.operation for word in ("Object", "Part", "Multipart"))
        ):
            self.invalidate()
        elif event.service == "s3" and event.operation in _OBJECT_ACL_WRITES:
            # An object's ACL is read with the object's resource policy: only that object's entries go stale.
            bucket, key = event.params.get("Bucket"), event.params.get("Key")
            if isinstance(bucket, str) and isinstance(key, str):
                self.forget(f"arn:aws:s3:::{bucket}/{key}")

    def forget(self, resource: str) -> None:
        """Forget the policies read and compiled for one resource."""
        with self._lock:
            for cached in [k for k in self._compiled if k[1].endswith(f" {resource}")]:
                del self._compiled[cached]
            self.reader.forget_resource(resource)

    def invalidate(self) -> None:
        """Forget every policy read and compiled so far (the next call reads the backend again)."""
        with self._lock:
            self._compiled.clear()
            self.reader.invalidate()

    def decision_for(self, event: CallEvent) -> CallDecision | None:
        """The decision taken before the call ``event`` reports (None for admin calls and unenforced ones).

        Observers such as CloudTrail recording call this from ``after_call``; the decision stays available for
        later lookups of the same event.
        """
        with self._lock:
            found = self._pending.get(id(event.params))
        if found is not None and found[0] is event.params:
            return found[1]
        return None

    # -- deciding ------------------------------------------------------------------------------------------
    def authorize_call(
        self, identity: Identity, service: str, operation: str, params: Mapping[str, Any]
    ) -> CallDecision:
        """Decide one call without making it (the local gateway calls this too).

        Args:
            identity: the caller.
            service: boto3 service name (``s3``, ``logs``...).
            operation: API operation name (``PutObject``).
            params: the API parameters.

        Returns:
            The :class:`CallDecision`; ``error`` is the error to answer with when denied. It is also kept in
            :attr:`decisions` and in the evidence.

        Raises:
            Unverified: when the operation has no authorization mapping.
        """
        seq = next(self._seq)
        at = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.is_admin(identity) or (service, operation) in UNAUTHORIZED_OPERATIONS:
            result = CallDecision(seq, identity, service, operation, redact(dict(params)), (), None, at)
            return self._keep(result)
        mapped = map_call(service, operation, params, self.env)
        accesses = tuple(AccessDecision(access, self.decide(identity, access, mapped)) for access in mapped.accesses)
        first_denied = next((a for a in accesses if not a.allowed), None)
        error = denial(service, identity.arn, first_denied.decision) if first_denied else None
        names = {m.policy for a in accesses for m in a.decision.matched}
        explanations = {n: s for n in names if (s := self.reader.source_of(n)) is not None}
        result = CallDecision(
            seq, identity, service, operation, redact(dict(params)), accesses, error, at, explanations
        )
        return self._keep(result)

    def record_assume(
        self, caller: Identity, action: str, role_arn: str, decision: Decision, *, operation: str = "AssumeRole"
    ) -> CallDecision:
        """Keep the decision on a role assumption the harness made on a caller's behalf (``sts:AssumeRole``,
        ``sts:AssumeRoleWithWebIdentity``)."""
        access = RequiredAccess(action, role_arn)
        error = denial("sts", caller.arn, decision) if not decision.allowed else None
        names = {m.policy for m in decision.matched}
        explanations = {n: s for n in names if (s := self.reader.source_of(n)) is not None}
        at = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._keep(
            CallDecision(
                next(self._seq),
                caller,
                "sts",
                operation,
                {"RoleArn": role_arn},
                (AccessDecision(access, decision),),
                error,
                at,
                explanations,
            )
        )

    def _keep(self, decision: CallDecision) -> CallDecision:
        with self._lock:
            self.decisions.append(decision)
        if self.evidence is not None and decision.accesses:
            self.evidence.current().data.setdefault("authorization", []).append(decision.to_dict())
        return decision

    def decide(self, identity: Identity, access: RequiredAccess, mapped: MappedCall | None = None) -> Decision:
        """Evaluate one access by ``identity`` against everything deployed that bears on it."""
        principal = self.principal_of(identity)
        context = build_context(
            PrincipalDescription(identity.arn, principal.tags, user_id=identity.principal_id or None),
            CallDescription(
                secure_transport=self.secure_transport,
                source_ip=_ip_or_none(identity.source_ip),
                now=self.now(),
                request_tags=dict(mapped.request_tags) if mapped else {},
                resource_tags=self.reader.resource_tags(access.resource),
                region=self.backend.region,
                extra=dict(access.context),
            ),
        )
        if identity.kind == "AssumedRole" and principal.arn:
            # aws:PrincipalArn of a role session is the role ARN with its path.
            context["aws:PrincipalArn"] = principal.arn
        federated = identity.attribute("federated_provider")
        if federated:
            # A session obtained through an identity provider carries the provider in every request it makes.
            context["aws:FederatedProvider"] = federated
        # Bucket and object ARNs carry no account: every bucket lives in the backend's account, which is what makes
        # a caller of another account a cross-account request.
        owner = self.backend.account_id if _S3_ARN.match(access.resource) else None
        request = AuthorizationRequest.create(identity.arn, access.action, access.resource, context, owner)
        object_acl = bool(owner) and access.action.lower() in _OBJECT_ACL_ACTIONS
        policies = self.policies_for(identity, access.resource, access.action.split(":", 1)[0], object_acl=object_acl)
        decision = evaluate(request, policies)
        if owner and not decision.allowed and decision.decision is not Outcome.EXPLICIT_DENY:
            self._unresolved_acl(identity, access, request, object_acl)
        return decision

    def _unresolved_acl(
        self, identity: Identity, access: RequiredAccess, request: AuthorizationRequest, object_acl: bool
    ) -> None:
        """A denial that an ACL grant the harness cannot resolve could turn into an allow is not decided here.

        Such a grant names a canonical user (whose account cannot be told) or sits in an object ACL that could not
        be read back.

        Raises:
            Unverified: naming the grant, for a caller of another account (for the owner's own principals an ACL
                grant adds nothing to what their policies allow).
        """
        if request.principal.account in (None, self.backend.account_id):
            return
        action = access.action.lower()
        for grant in self.reader.unresolved_grants(access.resource, object_acl=object_acl):
            if action not in (a.lower() for a in grant.actions):
                continue
            if not grant.grantee:
                raise Unverified(
                    f"{access.resource}: the object's ACL could not be read back, so whether it lets "
                    f"{identity.arn} {access.action} is not decided; check the bucket policy lets the account's "
                    "administrators read object ACLs"
                )
            raise Unverified(
                f"{access.resource}: the ACL grants {grant.permission} to canonical user {grant.grantee}; "
                f"whether that is the account of {identity.arn} cannot be told here, so {access.action} by it is "
                "not decided; grant to the account in a bucket policy instead, which names it"
            )

    def policies_for(
        self, identity: Identity, resource: str, service: str = "", *, object_acl: bool = False
    ) -> PolicySet:
        """The compiled policies for ``identity`` acting on ``resource`` (cached until a write).

        ``object_acl`` adds an S3 object's own ACL to its resource policy (for reads of the object and its ACL).
        """
        key = (identity, f"{service}{'+acl' if object_acl else ''} {resource}")
        found = self._compiled.get(key)
        if found is None:
            principal = self.principal_of(identity)
            session = identity.attribute("session_policy") or None
            resource_policy: Any = self.reader.resource_policy(resource, object_acl=object_acl)
            if service == "sts" and ":role/" in resource:
                # A role's trust policy is the resource-based policy of assuming it.
                resource_policy = self.reader.trust_policy(resource.rsplit("/", 1)[-1])
            if resource_policy is None and service == "kms" and ":key/" not in resource:
                resource_policy = self._kms_account_level()
            found = PolicySet.compile(
                identity_policies=principal.identity,
                resource_policy=resource_policy,
                permissions_boundary=principal.boundary,
                session_policy=session,
                scps=self.scps,
                rcps=self.rcps,
            )
            with self._lock:
                self._compiled[key] = found
        return found

    def _kms_account_level(self) -> Any:
        """The stand-in key policy for KMS actions that act on no key (ListKeys, CreateKey, aliases).

        The evaluator requires a key policy for every ``kms:`` action (true for actions on a key); actions on
        no key are governed by identity policies alone, which is what delegating to the account expresses.
        """
        from harness.iam import parse_policy

        account = self.backend.account_id
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountLevelAction",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
        name = f"arn:aws:iam::{account}:root#resource:account-level KMS action"
        self.reader.sources[name] = PolicySource("resource", f"arn:aws:iam::{account}:root", "account-level KMS action")
        return parse_policy(document, name)

    def principal_of(self, identity: Identity) -> PrincipalPolicies:
        """The caller's own side: identity policies, boundary and tags (session tags override role tags)."""
        principal = parse_principal(identity.arn)
        found: PrincipalPolicies | None = None
        people = (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE, PrincipalKind.USER, PrincipalKind.FEDERATED_USER)
        if principal.kind in people and principal.account not in (None, self.backend.account_id):
            found = self.reader.foreign(principal)
        elif principal.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE) and principal.name:
            found = self.reader.role(principal.name)
        elif principal.kind is PrincipalKind.USER and principal.name:
            found = self.reader.user(principal.name)
        found = found or PrincipalPolicies()
        session_tags = {k[len("tag:") :]: v for k, v in identity.attributes if k.startswith("tag:")}
        if session_tags:
            found = PrincipalPolicies(
                found.identity, found.boundary, {**found.tags, **session_tags}, found.unique_id, found.arn
            )
        return found


def _ip_or_none(value: str) -> str | None:
    """``aws:SourceIp`` exists only for calls from an IP address; a service calling (``codebuild.amazonaws.com``
    as CloudTrail's source) carries none."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


def is_enforced(backend: Backend, enforcer: Enforcer, identity: Identity) -> bool:
    """Tell whether calls by ``identity`` through ``backend`` are decided by ``enforcer``."""
    return enforcer._attached and enforcer.backend is backend and not enforcer.is_admin(identity)


__all__ = ["AccessDecision", "CallDecision", "Enforcer", "is_enforced"]
