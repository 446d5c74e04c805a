"""IAM enforcement on calls to the emulator: call mapping, deployed policies, role sessions, denials, checks."""

from __future__ import annotations

from typing import Any

from harness.enforce.denials import AwsError, access_denied_code, denial, denial_message
from harness.enforce.enforcer import AccessDecision, CallDecision, Enforcer
from harness.enforce.mapping import (
    OPERATIONS,
    Access,
    MappedCall,
    MappingEnv,
    RequiredAccess,
    StaticResolver,
    map_call,
)
from harness.enforce.policies import PolicyReader, PolicySource
from harness.enforce.principals import AssumeRoleDenied, Principals, SessionRequest
from harness.enforce.web_identity import InvalidIdentityToken, WebIdentityToken

# The scenario API sits above harness.acceptance, which itself builds an Enforcer: it is loaded on first use
# to keep the import graph acyclic.
_API = (
    "CallOutcome",
    "Grant",
    "act_as",
    "act_as_user",
    "assume_with_web_identity",
    "attempt",
    "expect_allowed",
    "expect_denied",
)


def __getattr__(name: str) -> Any:
    if name in _API:
        from harness.enforce import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = [
    "OPERATIONS",
    "Access",
    "AccessDecision",
    "AssumeRoleDenied",
    "AwsError",
    "CallDecision",
    "CallOutcome",
    "Enforcer",
    "Grant",
    "InvalidIdentityToken",
    "MappedCall",
    "MappingEnv",
    "PolicyReader",
    "PolicySource",
    "Principals",
    "RequiredAccess",
    "SessionRequest",
    "StaticResolver",
    "WebIdentityToken",
    "access_denied_code",
    "act_as",
    "act_as_user",
    "assume_with_web_identity",
    "attempt",
    "denial",
    "denial_message",
    "expect_allowed",
    "expect_denied",
    "map_call",
]
