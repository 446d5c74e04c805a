"""Golden runs of the packaged isolation scenarios: all pass on the reference pipeline; each fails on the insecure
one, and the failure names the path or the statement that breaks isolation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_isolation(definition: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/features", "-k", "isolation", "-p", "no:cacheprovider", "-q",
         "--tb=short", "--pw-definition", definition],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def test_every_isolation_scenario_passes_on_the_reference_pipeline() -> None:
    result = run_isolation("fixtures/pipelines/reference/pipeline.yaml")

    assert result.returncode == 0, result.stdout[-4000:]
    assert "5 passed" in result.stdout


def test_every_isolation_scenario_fails_on_the_insecure_pipeline_naming_what_breaks_it() -> None:
    result = run_isolation("fixtures/pipelines/insecure/pipeline.yaml")

    out = result.stdout
    assert result.returncode == 1 and "5 failed" in out, out[-4000:]
    # The development build's path to the database, hop by hop, through the group open to 0.0.0.0/0.
    assert "non-production builds -> production data tier: expected no path" in out
    assert "dev build 'dev-build' reaches security group sg-" in out and "on tcp 5432" in out
    # The production build's way to the internet through the NAT gateway.
    assert "production builds: expected no path to the internet" in out and "nat-gateway nat-" in out
    # The statement that lets the development role read production data.
    assert "dev role 'dev-build' expected AccessDenied on s3:GetObject, got success; statement 'AllData'" in out
    # Any workload of the network reaches the data tier.
    assert "other workloads of the production network -> production data tier: expected no path" in out
    # The production role reads its data from anywhere.
    assert "outside the production endpoint expected AccessDenied on s3:GetObject, got success" in out
