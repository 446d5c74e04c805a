"""VPC endpoint policies: does an endpoint's policy let a request through."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True, slots=True)
class EndpointPolicyDecision:
    """``allowed`` is True, False, or None when the policy cannot be decided here (the reason says why)."""

    allowed: bool | None
    statement: str
    reason: str


@lru_cache(maxsize=512)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _matches(patterns: Sequence[Any], value: str, *, ignore_case: bool) -> bool:
    return any(isinstance(p, str) and _pattern(p, ignore_case).match(value) for p in patterns)


def _label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"statement '{sid}'" if isinstance(sid, str) and sid else f"statement {index}"


def _is_full_access(statement: Mapping[str, Any]) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and "Condition" not in statement
        and "NotAction" not in statement
        and "NotResource" not in statement
        and "NotPrincipal" not in statement
        and _as_list(statement.get("Action")) == ["*"]
        and _as_list(statement.get("Resource")) == ["*"]
        and statement.get("Principal") in ("*", {"AWS": "*"}, {"AWS": ["*"]})
    )


def evaluate_endpoint_policy(
    policy: str | None,
    *,
    action: str | None,
    resource: str | None,
    principal: str | None = None,
) -> EndpointPolicyDecision:
    """Decide whether an endpoint policy lets a request through the endpoint.

    An absent policy is the default full-access policy. Explicit Deny wins over Allow; no matching Allow is
    an implicit deny. Statements with conditions, or a question that names no action, cannot be decided here
    unless the outcome does not depend on them, and yield ``allowed=None``.

    Args:
        policy: the policy document as JSON text, or None for the default policy.
        action: the service action (``s3:GetObject``), or None for "any request at all".
        resource: the resource ARN, or None when the question names none.
        principal: the calling principal's ARN, or None when unknown.

    Returns:
        The decision with the deciding statement and a reason.
    """
    if policy is None:
        return EndpointPolicyDecision(True, "default policy", "the default endpoint policy allows full access")
    try:
        document = json.loads(policy)
    except ValueError:
        return EndpointPolicyDecision(None, "policy", "the endpoint policy is not valid JSON")
    if not isinstance(document, dict):
        return EndpointPolicyDecision(None, "policy", "the endpoint policy is not a JSON object")
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]

    if action is None:
        if any(s.get("Effect") == "Deny" for s in statements):
            return EndpointPolicyDecision(
                None,
                "policy",
                "the endpoint policy denies some requests; name the action and resource to decide",
            )
        for index, statement in enumerate(statements):
            if _is_full_access(statement):
                return EndpointPolicyDecision(True, _label(index, statement), "the endpoint policy allows all")
        if not any(s.get("Effect") == "Allow" for s in statements):
            return EndpointPolicyDecision(False, "policy", "the endpoint policy allows nothing (implicit deny)")
        return EndpointPolicyDecision(
            None,
            "policy",
            "the endpoint policy allows only some requests; name the action and resource to decide",
        )

    allow: str | None = None
    undecided: list[str] = []
    undecided_allow: list[str] = []
    for index, statement in enumerate(statements):
        label = _label(index, statement)
        match = _statement_matches(statement, action=action, resource=resource, principal=principal)
        if match is False:
            continue
        if "Condition" in statement or match is None:
            # An undecidable Allow only matters when nothing else allows; an undecidable Deny always matters.
            (undecided_allow if statement.get("Effect") == "Allow" else undecided).append(label)
            continue
        if statement.get("Effect") == "Deny":
            return EndpointPolicyDecision(False, label, f"{label} of the endpoint policy denies {action}")
        if statement.get("Effect") == "Allow" and allow is None:
            allow = label
    if allow is None:
        undecided.extend(undecided_allow)
    if undecided:
        return EndpointPolicyDecision(
            None,
            undecided[0],
            f"{undecided[0]} of the endpoint policy has conditions or names a principal or resource that the "
            "question does not give; it cannot be decided from the network model",
        )
    if allow is not None:
        return EndpointPolicyDecision(True, allow, f"{allow} of the endpoint policy allows {action}")
    return EndpointPolicyDecision(False, "implicit deny", f"no statement of the endpoint policy allows {action}")


def _statement_matches(
    statement: Mapping[str, Any], *, action: str, resource: str | None, principal: str | None
) -> bool | None:
    """True, False, or None when matching needs something the question does not give."""
    if "NotPrincipal" in statement:
        return None
    principals = statement.get("Principal", "*")
    if principals != "*":
        aws = principals.get("AWS") if isinstance(principals, dict) else None
        values = _as_list(aws)
        if "*" not in values:
            if principal is None:
                return None
            if not _matches(values, principal, ignore_case=False):
                return False
    if "Action" in statement:
        if not _matches(_as_list(statement["Action"]), action, ignore_case=True):
            return False
    elif "NotAction" in statement:
        if _matches(_as_list(statement["NotAction"]), action, ignore_case=True):
            return False
    else:
        return False
    if "Resource" in statement:
        patterns = _as_list(statement["Resource"])
        if "*" in patterns:
            return True
        if resource is None:
            return None
        return _matches(patterns, resource, ignore_case=False)
    if "NotResource" in statement:
        if resource is None:
            return None
        return not _matches(_as_list(statement["NotResource"]), resource, ignore_case=False)
    return False
