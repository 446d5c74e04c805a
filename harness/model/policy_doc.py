"""Canonical form of IAM policy documents, so that a desired and a read-back policy compare equal."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

_LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")


def load_policy(value: Any) -> dict[str, Any]:
    """Return a policy document as a dict, whether given as a dict, a JSON string or a URL-encoded string.

    IAM returns policy documents URL-encoded in its XML responses; SDKs and emulators differ in whether they
    decode them, so both shapes are accepted.
    """
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            text = urllib.parse.unquote(text)
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise ValueError("a policy document must be a JSON object")
        return loaded
    raise TypeError(f"cannot read a policy document from {type(value).__name__}")


def _as_sorted_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return sorted({json.dumps(v, sort_keys=True): v for v in value}.values(), key=str)
    return value


def _canonical_principal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _as_sorted_list(v) for k, v in sorted(value.items())}
    return value


def _canonical_statement(stmt: Any) -> Any:
    if not isinstance(stmt, Mapping):
        return stmt
    out: dict[str, Any] = {}
    for key in sorted(stmt):
        value = stmt[key]
        if key in _LIST_ELEMENTS:
            out[key] = _as_sorted_list(value)
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _canonical_principal(value)
        elif key == "Condition" and isinstance(value, Mapping):
            out[key] = {
                op: (
                    {ck: _as_sorted_list(cv) for ck, cv in sorted(keys.items())} if isinstance(keys, Mapping) else keys
                )
                for op, keys in sorted(value.items())
            }
        else:
            out[key] = value
    return out


def canonical_policy(doc: Any) -> dict[str, Any] | None:
    """Normalize a policy document for comparison.

    Single strings and one-element lists are equal, lists of actions/resources are order-free, and the
    statement list keeps its order (IAM stores it as given).

    Args:
        doc: a policy document in any shape ``load_policy`` accepts, or None.

    Returns:
        The canonical document, or None for None.
    """
    if doc is None:
        return None
    policy = load_policy(doc)
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    out = {k: v for k, v in sorted(policy.items()) if k != "Statement"}
    out["Statement"] = [_canonical_statement(s) for s in statements]
    return out


def policy_json(doc: Mapping[str, Any]) -> str:
    """Serialize a policy document compactly, as sent to AWS."""
    return json.dumps(doc, separators=(",", ":"), sort_keys=False)
