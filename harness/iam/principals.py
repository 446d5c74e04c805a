"""Who is calling: classify a principal ARN and match it against Principal / NotPrincipal elements."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from harness.errors import InputError

_ACCOUNT = re.compile(r"^\d{12}$")
_WEB_IDENTITY_PROVIDERS = frozenset({"accounts.google.com", "graph.facebook.com", "www.amazon.com"})


class PrincipalKind(enum.StrEnum):
    """The kind of principal making a request."""

    USER = "User"
    ROLE = "Role"  # the role ARN itself given as the caller: treated as a session of that role
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    ROOT = "Account"
    SERVICE = "Service"
    FEDERATED = "WebIdentity"  # an identity provider (SAML/OIDC ARN or web identity provider name)
    ANONYMOUS = "Anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """A typed description of the caller, derived from its ARN.

    ``arn`` is the ARN AWS reports as the caller (for an assumed role, the session ARN); ``principal_arn`` is
    what AWS puts in ``aws:PrincipalArn`` (for an assumed role, the role ARN).
    """

    arn: str
    kind: PrincipalKind
    account: str | None
    partition: str = "aws"
    name: str | None = None  # user name, role name, federated user name or service name
    session_name: str | None = None
    role_path: str = "/"

    @property
    def principal_arn(self) -> str:
        """The value of ``aws:PrincipalArn``: the role ARN for role sessions, else the caller ARN."""
        if self.kind is PrincipalKind.ASSUMED_ROLE:
            return f"arn:{self.partition}:iam::{self.account}:role{self.role_path}{self.name}"
        return self.arn

    @property
    def role_arn(self) -> str | None:
        """The ARN of the role behind a role session (or the role itself), None for other kinds."""
        if self.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE):
            return f"arn:{self.partition}:iam::{self.account}:role{self.role_path}{self.name}"
        return None

    @property
    def is_service_linked_role(self) -> bool:
        """Service-linked roles live under /aws-service-role/ and are named AWSServiceRoleFor...."""
        if self.kind not in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.ROLE):
            return False
        return self.role_path.startswith("/aws-service-role/") or (self.name or "").startswith("AWSServiceRoleFor")


def parse_principal(text: str) -> Principal:
    """Classify a caller given as an ARN, an account id, a service principal or ``*`` (anonymous).

    Raises:
        InputError: when the text is not a principal AWS could authenticate.
    """
    value = text.strip()
    if value in ("*", "anonymous", "Anonymous"):
        return Principal(value, PrincipalKind.ANONYMOUS, None)
    if _ACCOUNT.match(value):
        return Principal(f"arn:aws:iam::{value}:root", PrincipalKind.ROOT, value)
    if value.endswith(".amazonaws.com") or value.endswith(".amazonaws.com.cn"):
        return Principal(value, PrincipalKind.SERVICE, None, name=value)
    if value in _WEB_IDENTITY_PROVIDERS:
        return Principal(value, PrincipalKind.FEDERATED, None, name=value)
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _ACCOUNT.match(parts[4]):
        partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
        if service == "iam":
            if resource.startswith(("saml-provider/", "oidc-provider/")):
                return Principal(value, PrincipalKind.FEDERATED, account, partition, name=resource)
            if resource == "root":
                return Principal(value, PrincipalKind.ROOT, account, partition)
            if resource.startswith("user/"):
                name = resource.rsplit("/", 1)[1]
                return Principal(value, PrincipalKind.USER, account, partition, name=name)
            if resource.startswith("role/"):
                path_and_name = resource[len("role") :]
                path, name = path_and_name.rsplit("/", 1)
                return Principal(value, PrincipalKind.ROLE, account, partition, name=name, role_path=path + "/")
        if service == "sts":
            if resource.startswith("assumed-role/") and resource.count("/") >= 2:
                _, role, session = resource.split("/", 2)
                return Principal(value, PrincipalKind.ASSUMED_ROLE, account, partition, name=role, session_name=session)
            if resource.startswith("federated-user/"):
                name = resource.split("/", 1)[1]
                return Principal(value, PrincipalKind.FEDERATED_USER, account, partition, name=name)
    raise InputError(
        where="request principal",
        expected="an IAM user, role, root or assumed-role/federated-user session ARN, an account id, "
        "a service principal (name.amazonaws.com) or '*'",
        found=repr(text),
        fix="give the caller's ARN, e.g. arn:aws:sts::111122223333:assumed-role/Build/session",
    )


class PrincipalMatch(enum.IntEnum):
    """How a resource-policy Principal entry names the caller, weakest first."""

    NONE = 0
    ACCOUNT = 1  # the caller's account: delegates to the account's identity policies
    ROLE = 2  # the role behind the caller's session: limited by boundary and session policy
    DIRECT = 3  # the caller itself (user, session, federated user, service, or "*")


def _account_of(entry: str) -> str | None:
    if _ACCOUNT.match(entry):
        return entry
    parts = entry.split(":")
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return None


def match_aws_entry(entry: str, principal: Principal) -> PrincipalMatch:
    """Match one ``"AWS"`` Principal value (account, root ARN, user/role/session ARN or ``*``)."""
    if entry == "*":
        return PrincipalMatch.DIRECT
    if principal.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.SERVICE, PrincipalKind.FEDERATED):
        return PrincipalMatch.NONE
    account = _account_of(entry)
    if account is not None:
        if account != principal.account:
            return PrincipalMatch.NONE
        # The root user is the account itself; every other principal of the account is delegated to.
        return PrincipalMatch.DIRECT if principal.kind is PrincipalKind.ROOT else PrincipalMatch.ACCOUNT
    if entry == principal.arn:
        # A caller given as the role itself stands for one of its sessions: naming the role is a role grant.
        return PrincipalMatch.ROLE if principal.kind is PrincipalKind.ROLE else PrincipalMatch.DIRECT
    role_arn = principal.role_arn
    if role_arn is not None and _same_role(entry, principal):
        return PrincipalMatch.ROLE
    return PrincipalMatch.NONE


def _same_role(entry: str, principal: Principal) -> bool:
    parts = entry.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or parts[4] != principal.account or not parts[5].startswith("role/"):
        return False
    return parts[5].rsplit("/", 1)[-1] == principal.name and parts[1] == principal.partition


def match_entry(kind: str, entry: str, principal: Principal) -> PrincipalMatch:
    """Match one Principal entry of a type (``AWS``, ``Service``, ``Federated``, ``CanonicalUser``)."""
    if kind == "*":
        return PrincipalMatch.DIRECT
    if kind == "AWS":
        return match_aws_entry(entry, principal)
    if kind == "Service":
        if entry == "*" or (principal.kind is PrincipalKind.SERVICE and entry == principal.arn):
            return PrincipalMatch.DIRECT
        return PrincipalMatch.NONE
    if kind == "Federated":
        if entry == "*" or (principal.kind is PrincipalKind.FEDERATED and entry == principal.arn):
            return PrincipalMatch.DIRECT
        return PrincipalMatch.NONE
    if entry == "*" or entry == principal.arn:
        return PrincipalMatch.DIRECT
    return PrincipalMatch.NONE


def not_principal_excludes(entries: tuple[tuple[str, str], ...], principal: Principal) -> bool:
    """Tell whether a NotPrincipal list exempts the caller.

    AWS checks each identity of the caller against the list: the account first, then the user; for an
    assumed-role session the account, then the role, then the session. The caller is exempt only when every
    one of them is listed ("you must also specify the account ARN of the not-denied principal").
    """
    if any(kind == "*" or entry == "*" for kind, entry in entries):
        return True
    if principal.kind is PrincipalKind.ANONYMOUS:
        return False
    if principal.kind is PrincipalKind.SERVICE:
        return any(kind == "Service" and entry == principal.arn for kind, entry in entries)
    if principal.kind is PrincipalKind.FEDERATED:
        return any(kind == "Federated" and entry == principal.arn for kind, entry in entries)
    named = False
    account_named = False
    role_named = False
    for kind, entry in entries:
        if kind != "AWS":
            if entry == principal.arn:
                named = True
            continue
        account = _account_of(entry)
        if account is not None and account == principal.account:
            account_named = True
        elif entry == principal.arn:
            named = True
        elif principal.role_arn is not None and _same_role(entry, principal):
            role_named = True
    if principal.kind is PrincipalKind.ROOT:
        return account_named
    if principal.kind is PrincipalKind.ROLE:
        return account_named and (named or role_named)
    if principal.kind is PrincipalKind.ASSUMED_ROLE:
        return account_named and role_named and named
    return named and account_named


__all__ = [
    "Principal",
    "PrincipalKind",
    "PrincipalMatch",
    "match_aws_entry",
    "match_entry",
    "not_principal_excludes",
    "parse_principal",
]
