"""The request context: the global condition keys a real AWS call carries, from a typed description."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.errors import InputError
from harness.iam.catalogue import key_is_multivalued
from harness.iam.patterns import ContextValue
from harness.iam.principals import Principal, PrincipalKind, parse_principal


def _scalar(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _as_values(key: str, value: Any) -> ContextValue:
    """A scalar stays single-valued; a list is a multivalued key (set operators apply to it)."""
    if isinstance(value, str | int | float | bool):
        return _scalar(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float | bool) for v in value):
        return tuple(_scalar(v) for v in value)
    raise InputError(
        where=f"request context key {key!r}",
        expected="a string, number, boolean or a list of them",
        found=repr(value)[:80],
        fix="give each context key a string value or a list of strings",
        field="context",
    )


def normalize_context(context: Mapping[str, Any]) -> dict[str, ContextValue]:
    """Lower-case the keys (condition key names are case-insensitive); lists become tuples.

    Raises:
        InputError: when a value is not a string, number, boolean or list of those.
    """
    if not isinstance(context, Mapping):
        raise InputError(
            where="request context",
            expected="an object of condition keys",
            found=type(context).__name__,
            fix='give "context" as {"aws:Key": "value"}',
            field="context",
        )
    normalized: dict[str, ContextValue] = {}
    for key, value in context.items():
        name = str(key).lower()
        values = _as_values(str(key), value)
        # Keys have a fixed shape in AWS: a one-element list given for a single-valued key is its value, and
        # a string given for a multivalued key (aws:TagKeys, ...) is a set of one.
        multivalued = key_is_multivalued(name)
        if multivalued is False and isinstance(values, tuple) and len(values) == 1:
            values = values[0]
        elif multivalued and isinstance(values, str):
            values = (values,)
        normalized[name] = values
    return normalized


def principal_context(principal: Principal) -> dict[str, ContextValue]:
    """The global keys AWS derives from the caller itself.

    ``aws:PrincipalArn`` is the role ARN for a role session (not the session ARN), ``aws:username`` exists
    only for IAM users, ``aws:userid`` is the account id for the root user and ``anonymous`` for anonymous
    callers; AWS service principals carry ``aws:PrincipalServiceName`` and ``aws:PrincipalIsAWSService``.
    """
    values: dict[str, ContextValue] = {}
    kind = principal.kind
    if kind is PrincipalKind.SERVICE:
        values["aws:PrincipalServiceName"] = principal.arn
        values["aws:PrincipalIsAWSService"] = "true"
        return {k.lower(): v for k, v in values.items()}
    if kind is PrincipalKind.FEDERATED:
        values["aws:PrincipalIsAWSService"] = "false"
        return {k.lower(): v for k, v in values.items()}
    if kind is PrincipalKind.ANONYMOUS:
        values["aws:userid"] = "anonymous"
        values["aws:PrincipalIsAWSService"] = "false"
        return {k.lower(): v for k, v in values.items()}
    values["aws:PrincipalArn"] = principal.principal_arn
    if principal.account:
        values["aws:PrincipalAccount"] = principal.account
    values["aws:PrincipalIsAWSService"] = "false"
    values["aws:PrincipalType"] = kind.value if kind is not PrincipalKind.ROLE else "AssumedRole"
    if kind is PrincipalKind.USER and principal.name:
        values["aws:username"] = principal.name
    if kind is PrincipalKind.ROOT and principal.account:
        values["aws:userid"] = principal.account
    return {k.lower(): v for k, v in values.items()}


@dataclass(frozen=True, slots=True)
class PrincipalDescription:
    """What is known about a caller, beyond its ARN, to build the context of its calls."""

    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    user_id: str | None = None
    org_id: str | None = None
    org_paths: Sequence[str] = ()

    def __post_init__(self) -> None:
        parse_principal(self.arn)  # fail where a bad ARN is made


@dataclass(frozen=True, slots=True)
class CallDescription:
    """What is known about one call: transport, network origin, time, tags and the service chain."""

    secure_transport: bool | None = True
    source_ip: str | None = None
    source_vpc: str | None = None
    source_vpce: str | None = None
    now: datetime | None = None
    request_tags: Mapping[str, str] = field(default_factory=dict)
    resource_tags: Mapping[str, str] = field(default_factory=dict)
    called_via: Sequence[str] = ()
    region: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def build_context(principal: PrincipalDescription, call: CallDescription | None = None) -> dict[str, Any]:
    """Build the context dict a real call by ``principal`` carries.

    Args:
        principal: the caller and its tags / ids / organization.
        call: facts about the call; transport, time and origin keys appear only when known.

    Returns:
        A mapping of condition keys (AWS spelling) to a string or a list of strings, suitable for
        :meth:`harness.iam.evaluator.AuthorizationRequest.create`.
    """
    call = call or CallDescription()
    who = parse_principal(principal.arn)
    out: dict[str, Any] = {}
    for key, value in principal_context(who).items():
        out[_SPELLING.get(key, key)] = value if isinstance(value, str) else list(value)
    if principal.user_id:
        out["aws:userid"] = principal.user_id
    for tag, value in principal.tags.items():
        out[f"aws:PrincipalTag/{tag}"] = value
    if principal.org_id:
        out["aws:PrincipalOrgID"] = principal.org_id
    if principal.org_paths:
        out["aws:PrincipalOrgPaths"] = list(principal.org_paths)
    if call.secure_transport is not None:
        out["aws:SecureTransport"] = "true" if call.secure_transport else "false"
    if call.source_ip:
        out["aws:SourceIp"] = call.source_ip
    if call.source_vpc:
        out["aws:SourceVpc"] = call.source_vpc
    if call.source_vpce:
        out["aws:SourceVpce"] = call.source_vpce
    if call.region:
        out["aws:RequestedRegion"] = call.region
    now = call.now or datetime.now(UTC)
    out["aws:CurrentTime"] = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out["aws:EpochTime"] = str(int(now.timestamp()))
    for tag, value in call.request_tags.items():
        out[f"aws:RequestTag/{tag}"] = value
    if call.request_tags:
        out["aws:TagKeys"] = list(call.request_tags)
    for tag, value in call.resource_tags.items():
        out[f"aws:ResourceTag/{tag}"] = value
    if call.called_via:
        out["aws:CalledVia"] = list(call.called_via)
        out["aws:CalledViaFirst"] = call.called_via[0]
        out["aws:CalledViaLast"] = call.called_via[-1]
        out["aws:ViaAWSService"] = "true"
    else:
        out["aws:ViaAWSService"] = "false"
    out.update(call.extra)
    return out


_SPELLING = {
    key.lower(): key
    for key in (
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalType",
        "aws:PrincipalServiceName",
        "aws:username",
        "aws:userid",
    )
}

__all__ = [
    "CallDescription",
    "PrincipalDescription",
    "build_context",
    "normalize_context",
    "principal_context",
]
