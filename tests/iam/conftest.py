"""Shared helpers for the IAM engine tests; registers the ``oracle`` marker."""

from __future__ import annotations

from typing import Any

import pytest

from harness.iam import authorize

ACCOUNT = "111122223333"
OTHER = "444455556666"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Build"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Build/run-1"
OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/key.txt"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oracle: differential tests against @cloud-copilot/iam-simulate (PIPEWARDEN_ORACLE=1, node, npm)",
    )


def allow(action: Any = "*", resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    """A one-statement Allow policy."""
    return policy(statement("Allow", action, resource, sid, **extra))


def deny(action: Any = "*", resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    """A one-statement Deny policy."""
    return policy(statement("Deny", action, resource, sid, **extra))


def statement(effect: str, action: Any, resource: Any, sid: str | None = None, **extra: Any) -> dict[str, Any]:
    """One statement; ``extra`` adds Principal, Condition, NotAction (replacing Action), ..."""
    body: dict[str, Any] = {"Effect": effect}
    if sid:
        body["Sid"] = sid
    if "NotAction" not in extra:
        body["Action"] = action
    if "NotResource" not in extra:
        body["Resource"] = resource
    body.update(extra)
    return body


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    """A policy document with the given statements."""
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def decide(principal: str = USER, action: str = "s3:GetObject", resource: str = OBJECT, **kwargs: Any) -> str:
    """The decision string for one request."""
    return authorize(principal, action, resource, **kwargs).decision.value
