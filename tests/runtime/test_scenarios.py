"""The runtime's scenario checks on small definitions: plaintext secrets, masking, hanging builds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.acceptance import Deployment
from harness.errors import CheckFailed
from harness.runtime import scenarios as rt
from tests.runtime.conftest import project_definition

Deploy = Callable[[str], Deployment]


def test_plaintext_secrets_in_project_and_buildspec_variables_are_flagged(deploy: Deploy) -> None:
    spec = {"version": 0.2, "env": {"variables": {"SLACK_TOKEN": "xoxb-1234567890-abcdefghij"}}, "phases": {}}
    pw = deploy(project_definition(spec, variables=[{"name": "DB_PASSWORD", "value": "hunter2"}]))
    findings = rt.plaintext_secrets(pw)
    assert sorted(f.variable for f in findings) == ["DB_PASSWORD", "SLACK_TOKEN"]
    with pytest.raises(CheckFailed, match="variable DB_PASSWORD is PLAINTEXT"):
        rt.expect_no_plaintext_secrets(findings)


def test_a_plaintext_secret_printed_by_the_build_is_caught_in_clear(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["true"]}}}
    pw = deploy(project_definition(spec, variables=[{"name": "API_TOKEN", "value": "tok-literal-123"}]))
    build, secrets = rt.run_build_printing_secrets(pw)
    assert "API_TOKEN=tok-literal-123" in build.lines
    with pytest.raises(CheckFailed, match="expected API_TOKEN masked in the build log, found its value in clear"):
        rt.expect_secrets_masked(pw, build, secrets)


def test_a_project_without_secrets_has_nothing_to_print(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    with pytest.raises(CheckFailed, match="expected it to receive a secret"):
        rt.run_build_printing_secrets(pw)


def test_a_hanging_build_within_the_limit_times_out_visibly(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    build = rt.run_hanging_build(pw, 10)  # the project's timeout is 5 minutes
    messages = rt.expect_timed_out(pw, build, 10)
    assert any("BUILD_TIMED_OUT" in m for m in messages)


def test_a_hanging_build_past_the_limit_is_reported_with_its_timeout(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}, timeout_minutes=30))
    build = rt.run_hanging_build(pw, 10)
    assert build.status == "STOPPED"
    with pytest.raises(CheckFailed, match="its timeout is 30 minutes"):
        rt.expect_timed_out(pw, build, 10)
