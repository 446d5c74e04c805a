"""``pipewarden authorize``: files, standard input, batches and malformed input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

from .conftest import ACCOUNT, OBJECT, SESSION, USER, allow, deny

REQUEST: dict[str, Any] = {
    "principal": USER,
    "action": "s3:GetObject",
    "resource": OBJECT,
    "identity_policies": [allow("s3:GetObject", OBJECT, sid="Read")],
}


def run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *argv], input=stdin, capture_output=True, text=True, check=False
    )


def test_file_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(REQUEST))
    assert main(["authorize", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "Allowed"
    assert out["matched"] == [{"layer": "identity", "policy": "identity[0]", "statement": "Read", "effect": "Allow"}]
    assert out["request"]["principal"] == USER


def test_stdin_input_in_a_subprocess() -> None:
    request = dict(REQUEST, identity_policies=[deny("s3:*", sid="No")])
    done = run(["authorize", "-"], json.dumps(request))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["decision"] == "ExplicitDeny"
    assert out["matched"][0]["statement"] == "No"


def test_batch_keeps_order_and_reports_bad_items_in_place() -> None:
    batch = [
        REQUEST,
        dict(REQUEST, action="s3:PutObject"),
        dict(REQUEST, identity_policies=[{"Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}]),
        dict(REQUEST, identity_policies=[deny()]),
    ]
    done = run(["authorize", "--batch", "-", "--compact"], json.dumps(batch))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [item["decision"] for item in out] == ["Allowed", "ImplicitDeny", None, "ExplicitDeny"]
    assert out[2]["error"]["field"] == "Effect"
    assert out[2]["index"] == 2


def test_unreadable_json_exits_2_with_position() -> None:
    done = run(["authorize", "-"], '{"principal": ')
    assert done.returncode == 2
    assert "<stdin>:1:" in done.stderr and "valid JSON" in done.stderr
    assert done.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    done = run(["authorize", str(tmp_path / "absent.json")])
    assert done.returncode == 2
    assert "absent.json" in done.stderr


def test_batch_needs_an_array() -> None:
    done = run(["authorize", "--batch", "-"], json.dumps(REQUEST))
    assert done.returncode == 2
    assert "array" in done.stderr


def test_malformed_single_request_exits_2_naming_the_field() -> None:
    done = run(["authorize", "-"], json.dumps({"action": "s3:GetObject"}))
    assert done.returncode == 2
    assert "principal" in done.stderr


def test_unknown_request_field_is_rejected() -> None:
    done = run(["authorize", "-"], json.dumps(dict(REQUEST, identity_policy=[])))
    assert done.returncode == 2
    assert "identity_policy" in done.stderr


def test_lenient_forms() -> None:
    request = {
        "principal": SESSION,
        "action": "s3:GetObject",
        "resource": OBJECT,
        "identity_policies": [json.dumps(allow())],  # a policy given as a JSON string
        "permissions_boundary": {"name": "Boundary", "policy": allow("s3:*")},  # a named wrapper
        "scps": [allow()],  # a level given as one document
        "rcps": None,
        "session_policy": None,
        "resource_policy": None,
    }
    done = run(["authorize", "-"], json.dumps(request))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["decision"] == "Allowed"
    assert {m["policy"] for m in out["matched"]} == {"identity[0]", "Boundary", "scps[0][0]"}


def test_defaults_derived_from_principal_and_resource() -> None:
    request = {
        "principal": SESSION,
        "action": "sqs:SendMessage",
        "resource": "arn:aws:sqs:us-east-1:444455556666:q",
        "identity_policies": [allow()],
    }
    out = json.loads(run(["authorize", "-"], json.dumps(request)).stdout)
    assert out["request"]["resource_account"] == "444455556666"
    assert out["request"]["context"]["aws:principalarn"] == f"arn:aws:iam::{ACCOUNT}:role/Build"
    assert out["request"]["context"]["aws:principalaccount"] == ACCOUNT
    assert out["decision"] == "ImplicitDeny"  # cross-account without a resource policy


def test_context_given_wins_over_derived_defaults() -> None:
    request = dict(
        REQUEST,
        context={"aws:PrincipalArn": "arn:aws:iam::111122223333:user/other"},
        identity_policies=[allow(Condition={"StringEquals": {"aws:PrincipalArn": USER}})],
    )
    out = json.loads(run(["authorize", "-"], json.dumps(request)).stdout)
    assert out["decision"] == "ImplicitDeny"


def test_unknown_actions_option() -> None:
    request = dict(REQUEST, identity_policies=[allow("s3:GetObjekt")])
    warned = json.loads(run(["authorize", "--unknown-actions", "warn", "-"], json.dumps(request)).stdout)
    assert any("GetObjekt" in w for w in warned["warnings"])
    failed = run(["authorize", "--unknown-actions", "error", "-"], json.dumps(request))
    assert failed.returncode == 2 and "GetObjekt" in failed.stderr


def test_batch_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([REQUEST, dict(REQUEST, principal=SESSION)]))
    assert main(["authorize", "--batch", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [item["decision"] for item in out] == ["Allowed", "Allowed"]
    assert out[1]["request"]["context"]["aws:principalarn"] == f"arn:aws:iam::{ACCOUNT}:role/Build"


def test_literal_rcps_option() -> None:
    request = dict(
        REQUEST, rcps=[[{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}}]]
    )
    assert json.loads(run(["authorize", "-"], json.dumps(request)).stdout)["decision"] == "Allowed"
    literal = json.loads(run(["authorize", "--literal-rcps", "-"], json.dumps(request)).stdout)
    assert literal["decision"] == "ImplicitDeny" and literal["layers"] == ["rcp"]
