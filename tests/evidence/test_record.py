"""Evidence: every call filed under the step that made it, secrets redacted, a JSON-ready form for reports."""

from __future__ import annotations

import io
import json

import pytest

from harness.backends import Backend
from harness.backends.base import CallEvent, Identity
from harness.evidence.record import CallRecord, Evidence, Outcome, redact


def test_redact_hides_secrets_bytes_and_streams_at_any_depth() -> None:
    params = {
        "RoleName": "build",
        "SecretString": "hunter2",
        "Password": "p",
        "SessionToken": "t",
        "Plaintext": b"key",
        "Body": b"12345",
        "Stream": io.BytesIO(b"x"),
        "Nested": {"client_secret": "s", "Keep": ["a", "b"]},
        "SecretId": "prod/db",
        "SecretAccessKey": "k",
        "AccessKeyId": "AKIA",
    }

    assert redact(params) == {
        "RoleName": "build",
        "SecretString": "***",
        "Password": "***",
        "SessionToken": "***",
        "Plaintext": "***",
        "Body": "<5 bytes>",
        "Stream": "<stream>",
        "Nested": {"client_secret": "***", "Keep": ["a", "b"]},
        "SecretId": "prod/db",  # which secret was asked for is evidence, not a secret
        "SecretAccessKey": "***",
        "AccessKeyId": "AKIA",
    }


def test_calls_through_the_backend_are_filed_under_the_current_step(backend: Backend) -> None:
    evidence = Evidence("scenario")
    backend.add_observer(evidence)
    try:
        with evidence.step("create") as step:
            backend.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        with evidence.step("read"), pytest.raises(Exception, match="NoSuchEntity"):
            backend.client("iam").get_role(RoleName="missing")
        backend.client("iam").list_roles()
    finally:
        backend.remove_observer(evidence)
    backend.client("iam").list_roles()  # after removal: not recorded

    assert [s.name for s in evidence.steps] == ["create", "read", "(outside steps)"]
    created = step.calls[0]
    assert (created.identity, created.principal, created.service, created.operation) == (
        "harness",
        f"arn:aws:iam::{backend.account_id}:root",
        "iam",
        "CreateRole",
    )
    assert created.params["RoleName"] == "r"
    assert created.outcome == "ok"
    assert created.summary() == "harness iam:CreateRole -> ok"
    failed = evidence.steps[1].calls[0]
    assert (failed.outcome, failed.error_code) == ("error", "NoSuchEntity")
    assert failed.summary() == "harness iam:GetRole -> NoSuchEntity"
    assert [c.operation for c in evidence.calls()] == ["CreateRole", "GetRole", "ListRoles"]
    assert step.duration > 0


def test_current_outside_steps_reuses_one_catch_all_step() -> None:
    evidence = Evidence()

    evidence.note("first")
    evidence.note("second")
    with evidence.step("inside"):
        evidence.note("third")
    evidence.note("fourth")

    assert [(s.name, s.notes) for s in evidence.steps] == [
        ("(outside steps)", ["first", "second"]),
        ("inside", ["third"]),
        ("(outside steps)", ["fourth"]),
    ]


def test_nested_steps_restore_the_outer_step() -> None:
    evidence = Evidence()
    with evidence.step("outer") as outer:
        with evidence.step("inner"):
            pass
        assert evidence.current() is outer


def test_to_dict_is_json_ready_and_redacted() -> None:
    evidence = Evidence("s")
    with evidence.step("deploy") as step:
        step.data["plan"] = "no changes"
        evidence.after_call(
            CallEvent(
                identity=Identity("build role", "arn:aws:iam::123456789012:role/build"),
                service="secretsmanager",
                operation="GetSecretValue",
                params={"SecretId": "db", "SecretString": "hunter2"},
                error_code="AccessDeniedException",
                error_message="denied",
            )
        )
    step.outcome = Outcome.UNVERIFIED

    out = evidence.to_dict()

    assert json.loads(json.dumps(out)) == out
    assert "hunter2" not in json.dumps(out)
    (recorded,) = out["steps"]
    assert recorded["name"] == "deploy"
    assert recorded["outcome"] == "unverified"
    assert recorded["data"] == {"plan": "no changes"}
    assert recorded["calls"] == [
        {
            "principal": "arn:aws:iam::123456789012:role/build",
            "identity": "build role",
            "call": "secretsmanager:GetSecretValue",
            "params": {"SecretId": "db", "SecretString": "***"},
            "outcome": "error",
            "error_code": "AccessDeniedException",
            "error_message": "denied",
        }
    ]


def test_outcomes_are_never_a_pass_by_another_name() -> None:
    assert [o.value for o in Outcome] == ["passed", "failed", "unverified", "error"]
    assert CallRecord("p", "i", "s", "o", {}, "ok").summary() == "i s:o -> ok"
