"""Web identity federation: the OIDC tokens CI systems present to ``sts:AssumeRoleWithWebIdentity``, and the
condition keys STS derives from them for a role's trust policy.

A GitHub Actions job asks GitHub for an ID token (issuer ``https://token.actions.githubusercontent.com``, audience
``sts.amazonaws.com``, subject ``repo:ORG/REPO:ref:refs/heads/main``) and exchanges it for a session of a deploy
role. STS accepts the token when the account has an IAM OIDC provider for its issuer that lists its audience, then
evaluates the role's trust policy with the provider's ARN as the (federated) principal and keys such as
``token.actions.githubusercontent.com:sub``. The harness issues such tokens itself: it cannot check signatures or
thumbprints, so it takes a token's claims as given and decides everything that follows from them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.errors import CheckFailed, InputError
from harness.iam import Policy

ACTION = "sts:AssumeRoleWithWebIdentity"

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

# The claims STS turns into condition keys for every OIDC provider (``<issuer>:aud`` and so on).
GENERAL_CLAIMS = frozenset({"aud", "sub", "amr", "oaud"})

# Provider-specific claims STS also turns into condition keys, by issuer (the AWS STS announcement of January
# 2026 for GitHub). Other providers' own claims are not known to the harness.
PROVIDER_CLAIMS: Mapping[str, frozenset[str]] = {
    "token.actions.githubusercontent.com": frozenset(
        {
            "actor",
            "actor_id",
            "job_workflow_ref",
            "repository",
            "repository_id",
            "workflow",
            "ref",
            "environment",
            "enterprise_id",
        }
    ),
}

TAGS_CLAIM = "https://aws.amazon.com/tags"
"""The claim by which a token asks for session tags (which then need sts:TagSession too); not modelled."""


class InvalidIdentityToken(CheckFailed):
    """STS refused the token before looking at the trust policy (no provider for its issuer, wrong audience,
    expired). ``code`` is STS's error code."""

    def __init__(self, code: str, message: str, **fields: Any) -> None:
        super().__init__(f"{code}: {message}", code=code, **fields)
        self.code = code
        self.aws_message = message


def issuer_key(issuer: str) -> str:
    """The issuer as STS names it in the provider ARN and in condition keys: the URL without ``https://``."""
    parts = urlsplit(issuer)
    return parts.netloc + parts.path


@dataclass(frozen=True, slots=True)
class WebIdentityToken:
    """The claims of an OIDC ID token.

    Attributes:
        issuer: ``iss``, the provider's URL (``https://token.actions.githubusercontent.com``).
        subject: ``sub`` (``repo:acme/app:ref:refs/heads/main`` for GitHub Actions).
        audience: ``aud`` (``sts.amazonaws.com`` for GitHub Actions' AWS integration).
        claims: any other claims (``azp``, ``amr``, ``repository``, ``ref``, ``exp``, ...).
    """

    issuer: str
    subject: str
    audience: str
    claims: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.scheme != "https" or not parts.netloc:
            raise InputError(
                where="web identity token",
                expected="an issuer URL starting with https://",
                found=repr(self.issuer),
                fix=f"give the provider's URL, e.g. {GITHUB_ISSUER}",
                field="iss",
            )
        for name, value in (("sub", self.subject), ("aud", self.audience)):
            if not isinstance(value, str) or not value:
                raise InputError(
                    where="web identity token",
                    expected=f"a non-empty '{name}' claim",
                    found=repr(value),
                    fix=f"give the token's '{name}'",
                    field=name,
                )
        reserved = {"iss", "sub", "aud"} & set(self.claims)
        if reserved:
            raise InputError(
                where="web identity token",
                expected="other claims than iss, sub and aud in 'claims'",
                found=", ".join(sorted(reserved)),
                fix="give them as issuer, subject and audience",
                field="claims",
            )

    @property
    def provider(self) -> str:
        """The issuer without ``https://``, as in the provider ARN and the condition keys."""
        return issuer_key(self.issuer)

    @property
    def accepted_audience(self) -> str:
        """The audience STS checks against the provider's client ids: ``azp`` when present, else ``aud``."""
        azp = self.claims.get("azp")
        return azp if isinstance(azp, str) and azp else self.audience

    def payload(self) -> dict[str, Any]:
        """The token's claims as a JSON object."""
        return {"iss": self.issuer, "sub": self.subject, "aud": self.audience, **self.claims}

    def encode(self) -> str:
        """The token as a JWT (unsigned: ``alg`` is ``none``), for the ``WebIdentityToken`` parameter."""
        header = {"alg": "none", "typ": "JWT"}
        return f"{_b64(header)}.{_b64(self.payload())}."

    @classmethod
    def decode(cls, text: str) -> WebIdentityToken:
        """Read a JWT's claims (the signature is not checked).

        Raises:
            InvalidIdentityToken: when the text is not a JWT with ``iss``, ``sub`` and ``aud``.
        """
        parts = text.split(".") if isinstance(text, str) else []
        try:
            if len(parts) != 3:
                raise ValueError("not three dot-separated parts")
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            if not isinstance(payload, dict):
                raise ValueError("claims that are not a JSON object")
            audience = payload.get("aud")
            if isinstance(audience, list) and len(audience) == 1:
                audience = audience[0]
            others = {k: v for k, v in payload.items() if k not in ("iss", "sub", "aud")}
            return cls(str(payload.get("iss", "")), str(payload.get("sub", "")), str(audience or ""), others)
        except (ValueError, binascii.Error, InputError) as exc:
            reason = exc.found if isinstance(exc, InputError) else str(exc)
            raise InvalidIdentityToken(
                "InvalidIdentityToken", f"The ID Token provided is not a valid JWT ({reason})"
            ) from None

    def condition_keys(self) -> dict[str, Any]:
        """The keys STS sets from this token for the trust policy, by their policy spelling.

        ``<issuer>:aud`` is the ``azp`` claim when the token has one (then ``<issuer>:oaud`` is its ``aud``), else
        ``aud``; ``<issuer>:sub`` the subject; ``<issuer>:amr`` the authentication methods (multivalued); and the
        provider-specific claims STS supports for the issuer (:data:`PROVIDER_CLAIMS`).
        """
        prefix = self.provider
        keys: dict[str, Any] = {f"{prefix}:sub": self.subject, f"{prefix}:aud": self.accepted_audience}
        if self.accepted_audience != self.audience:
            keys[f"{prefix}:oaud"] = self.audience
        amr = self.claims.get("amr")
        if amr is not None:
            keys[f"{prefix}:amr"] = [str(v) for v in amr] if isinstance(amr, list) else [str(amr)]
        for claim in sorted(PROVIDER_CLAIMS.get(prefix, frozenset())):
            value = self.claims.get(claim)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                keys[f"{prefix}:{claim}"] = str(value)
        return keys

    def known_claims(self) -> frozenset[str]:
        """The claims of this issuer that STS turns into condition keys."""
        return GENERAL_CLAIMS | PROVIDER_CLAIMS.get(self.provider, frozenset())


def _b64(value: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def unknown_claim_keys(trust: Policy, token: WebIdentityToken) -> list[str]:
    """Condition keys of the token's issuer a trust policy tests that STS is not known to set.

    Against such a key the harness cannot tell what AWS decides (a key STS does not set is absent; one it sets
    since a change the harness does not know has a value), so a decision resting on it is not a verdict.
    """
    prefix = token.provider.lower() + ":"
    known = token.known_claims()
    found = {
        key
        for statement in trust.statements
        if statement.condition is not None
        for key in statement.condition.keys
        if key.startswith(prefix) and key[len(prefix) :] not in known
    }
    return sorted(found)


def _statements(document: Any) -> list[Mapping[str, Any]]:
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, Mapping)]


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def trusted_providers(trust: Any) -> list[str]:
    """The OIDC provider ARNs a trust policy lets assume the role with web identity (Allow statements only)."""
    found: list[str] = []
    for statement in _statements(trust):
        if statement.get("Effect") != "Allow" or not _allows_web_identity(statement):
            continue
        principal = statement.get("Principal")
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        for arn in _values(federated) if federated is not None else []:
            if isinstance(arn, str) and ":oidc-provider/" in arn and arn not in found:
                found.append(arn)
    return found


def _allows_web_identity(statement: Mapping[str, Any]) -> bool:
    actions = [str(a).lower() for a in _values(statement.get("Action", []))]
    return any(a in ("*", "sts:*", ACTION.lower()) for a in actions)


def token_for(trust: Any, provider_arn: str, audiences: tuple[str, ...]) -> WebIdentityToken:
    """A token the trust policy means to accept from ``provider_arn``: the claims its conditions ask for.

    Values of ``StringEquals`` (and ``ForAnyValue:``, ``IfExists`` forms) are taken as they are; ``StringLike``
    patterns with ``*`` and ``?`` filled in. The first Allow statement for the provider is followed; the trust
    policy then decides the token like any other.

    Args:
        trust: the role's trust policy as deployed.
        provider_arn: the provider the token comes from.
        audiences: the provider's client ids (the audience is the first one unless the trust policy names one).
    """
    issuer = "https://" + provider_arn.split(":oidc-provider/", 1)[1]
    prefix = issuer_key(issuer).lower() + ":"
    claims: dict[str, Any] = {}
    for statement in _statements(trust):
        principal = statement.get("Principal")
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        if statement.get("Effect") != "Allow" or provider_arn not in _values(federated):
            continue
        conditions = statement.get("Condition")
        for operator, tests in conditions.items() if isinstance(conditions, Mapping) else ():
            base = str(operator).split(":")[-1].removesuffix("IfExists")
            if base not in ("StringEquals", "StringLike") or not isinstance(tests, Mapping):
                continue
            for key, value in tests.items():
                lowered = str(key).lower()
                if not lowered.startswith(prefix):
                    continue
                first = str(_values(value)[0]) if _values(value) else ""
                claims.setdefault(lowered[len(prefix) :], _filled(first) if base == "StringLike" else first)
        break
    subject = str(claims.pop("sub", "pipewarden"))
    audience = str(claims.pop("aud", audiences[0] if audiences else "sts.amazonaws.com"))
    if "amr" in claims:
        claims["amr"] = [claims["amr"]]
    return WebIdentityToken(issuer, subject, audience, claims)


def _filled(pattern: str) -> str:
    """A value a ``StringLike`` pattern matches: ``*`` becomes ``pipewarden``, ``?`` becomes ``x``."""
    return pattern.replace("*", "pipewarden").replace("?", "x")


__all__ = [
    "ACTION",
    "GITHUB_ISSUER",
    "TAGS_CLAIM",
    "InvalidIdentityToken",
    "WebIdentityToken",
    "issuer_key",
    "token_for",
    "trusted_providers",
    "unknown_claim_keys",
]
