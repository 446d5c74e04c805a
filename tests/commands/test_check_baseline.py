"""``--baseline``: the account's guard rails from another file, deployed and checked with the pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.inputs.formats import load_any

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "fixtures" / "pipelines" / "cfn-network-isolation" / "template.yaml"
BASELINE = ROOT / "fixtures" / "baselines" / "account-baseline.yaml"


def test_a_baseline_joins_its_resources_to_the_pipelines_keeping_where_each_came_from() -> None:
    alone = load_any(PIPELINE)
    merged = load_any(PIPELINE, baselines=[BASELINE])
    baseline = load_any(BASELINE)
    assert merged.name == alone.name
    assert [str(r.address) for r in merged.resources] == [
        *(str(r.address) for r in alone.resources),
        *(str(r.address) for r in baseline.resources),
    ]
    assert merged.locations["trails.account-trail"].file == str(BASELINE)
    assert merged.locations[str(alone.resources[0].address)].file == str(PIPELINE)


def test_a_name_both_declare_is_refused_naming_both_places(tmp_path: Path) -> None:
    clash = tmp_path / "clash.yaml"
    clash.write_text("pipewarden: 1\nname: clash\nresources:\n  topics:\n    account-alerts: {}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_any(clash, baselines=[BASELINE])
    assert "'topics.account-alerts', also declared at" in str(caught.value)
    assert str(BASELINE) in str(caught.value) and str(clash) in str(caught.value)


def _check(*extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "harness.cli", "check", str(PIPELINE), "-k", "log_file_changed", *extra]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_the_trail_of_a_baseline_gives_the_audit_trail_claim_its_subject() -> None:
    without = _check()
    assert without.returncode == 0, without.stdout + without.stderr
    assert "UNVERIFIED a log file changed after delivery" in " ".join(without.stdout.split())
    assert "--baseline FILE" in without.stdout

    given = _check("--baseline", str(BASELINE))
    assert given.returncode == 0, given.stdout + given.stderr
    assert "PASS a log file changed after delivery is detected by log file validation" in " ".join(
        given.stdout.split()
    )
