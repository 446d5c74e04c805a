"""Fixtures for enforcement tests: an enforcer on the session's moto backend and roles to act as."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.backends import Backend, Identity
from harness.enforce import Enforcer, Principals, SessionRequest
from harness.evidence.record import Evidence

ACCOUNT = "123456789012"
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ],
}
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture
def enforcer(backend: Backend) -> Iterator[Enforcer]:
    """An enforcer attached to the (reset) backend, keeping its decisions as evidence."""
    found = Enforcer(backend, Evidence("test")).attach()
    try:
        yield found
    finally:
        found.detach()


@pytest.fixture
def principals(enforcer: Enforcer) -> Principals:
    """Role sessions and users of the test's account."""
    return Principals(enforcer)


RoleMaker = Callable[..., Identity]


@pytest.fixture
def role_session(backend: Backend, principals: Principals) -> RoleMaker:
    """Create a role with the given inline policies (and boundary, tags) and return a session of it."""

    def make(
        name: str,
        *policies: dict[str, Any],
        boundary: dict[str, Any] | None = None,
        trust: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        session_policy: dict[str, Any] | None = None,
        session_tags: dict[str, str] | None = None,
    ) -> Identity:
        iam = backend.client("iam")
        kwargs: dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(trust or TRUST_ACCOUNT)}
        if boundary is not None:
            arn = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
            kwargs["PermissionsBoundary"] = arn
        if tags:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        arn = iam.create_role(**kwargs)["Role"]["Arn"]
        for index, policy in enumerate(policies):
            iam.put_role_policy(RoleName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(policy))
        request = SessionRequest(arn, "test-session", policy=session_policy, tags=session_tags or {})
        return principals.assume_role(backend.admin, request)

    return make
