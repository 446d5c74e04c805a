"""Golden cases: the least-privilege scenarios pass on the reference pipeline and fail on its insecure twin,
naming the statement that allowed each call."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce import least_privilege as probes
from harness.enforce.api import CallOutcome, expect_allowed, expect_denied
from harness.errors import CheckFailed
from harness.scenario import deploy, load_fixture

ROOT = Path(__file__).resolve().parents[2]
INSECURE = "fixtures/pipelines/insecure/pipeline.yaml"


@pytest.fixture
def deployed(backend: Backend, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        deploy(deployment, load_fixture(request.param))
        yield deployment
        deployment.teardown()


PROBES = {
    "create user": lambda d: probes.try_create_user(d, "build"),
    "attach admin": lambda d: probes.try_attach_admin_policy(d, "build"),
    "pass role": lambda d: probes.try_pass_other_role(d, "build"),
    "foreign artifacts": lambda d: probes.try_read_foreign_artifacts(d, "build"),
    "foreign build": lambda d: probes.try_start_build(d, "pipeline", own=False),
}


@pytest.mark.parametrize("deployed", ["reference"], indirect=True)
def test_reference_pipeline_denies_every_probe(deployed: Deployment) -> None:
    for name, probe in PROBES.items():
        outcome: CallOutcome = probe(deployed)
        assert expect_denied(outcome) is outcome, name
    expect_allowed(probes.try_start_build(deployed, "pipeline", own=True))
    kept = [e for s in deployed.evidence.steps for e in s.data.get("authorization", [])]
    assert any(e["call"] == "iam:CreateUser" and not e["allowed"] for e in kept)


@pytest.mark.parametrize("deployed", ["insecure"], indirect=True)
def test_insecure_pipeline_fails_with_the_statement_named(deployed: Deployment) -> None:
    with pytest.raises(CheckFailed) as caught:
        expect_denied(probes.try_create_user(deployed, "build"))
    where = deployed.require_definition().where("roles.build")
    assert str(caught.value) == (
        f"pipeline 'insecure': build role expected AccessDenied on iam:CreateUser, got success; "
        f"statement 'Admin' in {where} allows it; scope it to the actions the build needs."
    )
    assert caught.value.fields["statements"] == ["Admin"]
    assert deployed.backend.client("iam").list_users()["Users"] == []  # the probe's user was removed
    for name, statements in (
        ("attach admin", ["Admin"]),
        ("pass role", ["Admin", "PassAnyRole"]),
        ("foreign artifacts", ["Admin"]),
        ("foreign build", ["Everything"]),
    ):
        with pytest.raises(CheckFailed) as caught:
            expect_denied(PROBES[name](deployed))
        assert caught.value.fields["statements"] == statements, name
    attached = deployed.backend.client("iam").list_attached_role_policies(RoleName=f"{deployed.prefix}build")
    assert attached["AttachedPolicies"] == []


_DENIED = "expected AccessDenied on"
EXPECTED = {
    "test_the_build_role_cannot_create_iam_users": f"build role {_DENIED} iam:CreateUser, got success; stat",
    "test_the_build_role_cannot_give_itself_administrator_access": f"build role {_DENIED} iam:AttachRolePolicy",
    "test_the_build_role_cannot_pass_roles_other_than_its_own": "build role expected AccessDeniedException on iam:Pass",
    "test_the_build_role_cannot_read_another_pipelines_artifacts": f"build role {_DENIED} s3:GetObject, got success",
    "test_the_pipeline_role_can_start_its_own_build_but_not_another_pipelines": (
        "pipeline role expected AccessDeniedException on codebuild:StartBuild, got success; statement 'Everything' in"
    ),
}


def test_packaged_scenarios_fail_on_the_insecure_pipeline() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/features", "--pw-definition", INSECURE, "-k", "privilege",
         "-p", "no:cacheprovider", "-q", "--tb=short"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    out = run.stdout
    assert run.returncode == 1, out[-2000:]
    assert "5 failed" in out, out[-2000:]
    sections = dict(re.findall(r"_{3,} (test_\w+) _{3,}\n(.*?)(?=\n_{3,} test_|\n=+ short test summary)", out, re.S))
    for test, fragment in EXPECTED.items():
        assert test in sections, f"{test} did not fail:\n{out[-3000:]}"
        assert f"CheckFailed: pipeline 'insecure': {fragment}" in sections[test], sections[test][-1500:]
    assert "PassAnyRole" in out and "scope it to the actions the build needs." in out
