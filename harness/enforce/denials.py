"""The access-denied error a real AWS client sees, per service protocol, with AWS's message wording."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import botocore.session

from harness.backends.base import hook_answer
from harness.iam import Decision, Outcome
from harness.iam.evaluator import BOUNDARY, IDENTITY, RCP, RESOURCE, SCP, SESSION

# How AWS's messages name each policy layer ("with an explicit deny in a service control policy",
# "because no identity-based policy allows the s3:GetObject action").
_LAYER_WORDS = {
    SCP: "service control policy",
    RCP: "resource control policy",
    IDENTITY: "identity-based policy",
    RESOURCE: "resource-based policy",
    BOUNDARY: "permissions boundary",
    SESSION: "session policy",
}
# Which missing layer a message names first when several lacked an Allow.
_IMPLICIT_ORDER = (SCP, RCP, BOUNDARY, SESSION, IDENTITY, RESOURCE)


@dataclass(frozen=True, slots=True)
class AwsError:
    """An error as the service returns it: code, message, HTTP status and the protocol it is encoded in."""

    code: str
    message: str
    http_status: int
    protocol: str

    def parsed(self) -> dict[str, Any]:
        """The parsed response botocore builds for this error (what its parsers produce from the wire)."""
        error: dict[str, Any] = {"Code": self.code, "Message": self.message}
        if self.protocol in ("query", "rest-xml", "ec2"):
            error["Type"] = "Sender"
        return {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": self.http_status, "HTTPHeaders": {}, "RetryAttempts": 0},
        }

    def botocore_answer(self) -> tuple[Any, dict[str, Any]]:
        """``(http_response, parsed)`` for a before-call hook: botocore raises the ClientError from it."""
        return hook_answer(self.http_status, self.parsed())


@lru_cache(maxsize=64)
def _service_protocol(service: str) -> tuple[str, bool]:
    """The service's wire protocol and whether it keeps its old query error codes (``awsQueryCompatible``).

    Cached because service models are immutable package data; the cache only avoids re-loading them.
    """
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:
        return "json", False
    return model.protocol, "awsQueryCompatible" in model.metadata


def access_denied_code(service: str) -> tuple[str, str]:
    """The error code a denied call raises in botocore, and the protocol.

    EC2 says ``UnauthorizedOperation``; query and REST-XML services (IAM, STS, SNS, S3) and JSON services that
    kept their query error codes (SQS, CloudWatch) say ``AccessDenied``; other JSON services
    ``AccessDeniedException``.
    """
    protocol, query_compatible = _service_protocol(service)
    if protocol == "ec2":
        return "UnauthorizedOperation", protocol
    if protocol in ("query", "rest-xml") or query_compatible:
        return "AccessDenied", protocol
    return "AccessDeniedException", protocol


def denial_message(service: str, principal_arn: str, decision: Decision) -> str:
    """AWS's message for a denied request, naming the principal, the action, the resource and why.

    Implicit denies say ``because no <layer> allows the <action> action``; explicit denies say
    ``with an explicit deny in a <layer>``. S3 quotes the resource; EC2 prefixes its fixed sentence.
    """
    request = decision.request
    action = request.action
    resource = request.resource
    if decision.decision is Outcome.EXPLICIT_DENY:
        layer = next((layer for layer in _IMPLICIT_ORDER if layer in decision.layers), decision.layers[0])
        reason = f"with an explicit deny in {_article(_LAYER_WORDS.get(layer, layer))}"
    else:
        layer = next((layer for layer in _IMPLICIT_ORDER if layer in decision.layers), IDENTITY)
        reason = f"because no {_LAYER_WORDS.get(layer, layer)} allows the {action} action"
    shown = f'"{resource}"' if service == "s3" else resource
    on = f" on resource: {shown}" if resource != "*" else ""
    message = f"User: {principal_arn} is not authorized to perform: {action}{on} {reason}"
    if service == "ec2":
        message = "You are not authorized to perform this operation. " + message
    return message


def _article(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def denial(service: str, principal_arn: str, decision: Decision) -> AwsError:
    """The error AWS returns to a client whose request ``decision`` denied."""
    code, protocol = access_denied_code(service)
    return AwsError(code, denial_message(service, principal_arn, decision), 403, protocol)


__all__ = ["AwsError", "access_denied_code", "denial", "denial_message"]
