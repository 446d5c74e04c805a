"""Authorizing what the runtime does on someone's behalf without a boto3 call (start a build, approve a release)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.errors import Unverified
from harness.runtime.gateway import Denial


def authorize(
    deployment: Deployment,
    identity: Identity,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    *,
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
) -> Denial | None:
    """Decide one call with the deployment's IAM enforcement, without making it.

    The enforcer's own call mapping decides when it knows the operation; otherwise the single access the
    operation needs (``action`` on ``resource``, from the service authorization reference, with the request's
    own condition keys ``context`` such as ``iam:PassedToService``) is decided.

    Returns:
        None when allowed, else the denial (code and message as AWS words them).

    Raises:
        Unverified: when the deployment runs without IAM enforcement, so no decision can be trusted.
    """
    enforcer = getattr(deployment, "enforcer", None)
    if enforcer is None:
        raise Unverified(
            f"{service}:{operation} by {identity.label}: this deployment runs without IAM enforcement, so whether "
            "it is allowed cannot be decided"
        )
    try:
        decision = enforcer.authorize_call(identity, service, operation, dict(params))
        error = decision.error
    except Unverified:
        from harness.enforce.denials import denial
        from harness.enforce.mapping import RequiredAccess

        if enforcer.is_admin(identity):
            return None
        verdict = enforcer.decide(identity, RequiredAccess(action, resource, dict(context or {})))
        error = None if verdict.allowed else denial(service, identity.arn, verdict)
    if error is None:
        return None
    return Denial(str(error.code), str(error.message), int(error.http_status))
