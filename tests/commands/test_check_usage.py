"""``pipewarden check`` usage and input errors: each exits 2 with one message saying what was expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "pipelines" / "tf-network-isolation" / "plan.json"
TEMPLATE = ROOT / "fixtures" / "pipelines" / "cfn-network-isolation" / "template.yaml"


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", str(PLAN), "--format", "yaml"])
    assert info.value.code == 2
    assert (
        "pipewarden check: error: argument --format: invalid choice: 'yaml' (choose from 'auto', 'harness', "
        "'cloudformation', 'terraform-plan')" in capsys.readouterr().err
    )


def test_a_missing_definition_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["check", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"pipewarden: error: {missing}: expected a readable definition file, found No such file or directory; "
        "check the path\n"
    )
    assert captured.out == ""


def test_a_definition_not_in_the_format_asked_for_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(TEMPLATE), "--format", "terraform-plan"]) == 2
    assert capsys.readouterr().err == (
        f"pipewarden: error: {TEMPLATE}:1: expected valid JSON, found a syntax error (Expecting value at column 1); "
        "regenerate the plan with 'terraform show -json plan.out'\n"
    )


def test_a_features_folder_without_features_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a feature\n", encoding="utf-8")
    assert main(["check", str(PLAN), "--features", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"pipewarden: error: --features {tmp_path}: expected a folder with .feature files, found none; point "
        "--features at your feature folder, or omit it to run the packaged suite\n"
    )


def test_a_features_folder_that_does_not_exist_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(PLAN), "--features", str(tmp_path / "none")]) == 2
    assert "expected a folder with .feature files, found no such folder" in capsys.readouterr().err


def test_a_tag_expression_selecting_nothing_exits_2_with_the_message(tmp_path: Path) -> None:
    # pytest runs inside check: a separate process keeps that run apart from this one.
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "check", str(PLAN), "-m", "no-such-area", "--report", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.endswith("pipewarden check: error: no scenario was selected; check -k/-m and --features\n")
    assert "no scenarios ran" in done.stdout


UNVERIFIABLE_FEATURE = """\
Feature: A claim the harness cannot verify

  @lifecycle @nist-800-53:CM-2
  Scenario: Something nobody can check here
    Given the pipeline under test is deployed
    Then a claim the backend cannot verify
"""

UNVERIFIABLE_STEPS = """\
from pytest_bdd import then

from harness.errors import Unverified


@then("a claim the backend cannot verify")
def cannot_verify() -> None:
    raise Unverified("the emulator has no such behaviour")
"""


def test_own_steps_beside_the_features_are_used_and_unverified_exits_0_unless_asked_to_fail(tmp_path: Path) -> None:
    features = tmp_path / "features"
    features.mkdir()
    (features / "claim.feature").write_text(UNVERIFIABLE_FEATURE, encoding="utf-8")
    (features / "conftest.py").write_text(UNVERIFIABLE_STEPS, encoding="utf-8")
    small = tmp_path / "pipeline.yaml"
    small.write_text("pipewarden: 1\nname: small\nresources:\n  buckets:\n    data: {}\n", encoding="utf-8")
    command = [sys.executable, "-m", "harness.cli", "check", str(small), "--features", str(features)]
    lenient = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "UNVERIFIED" in lenient.stdout and "the emulator has no such behaviour" in lenient.stdout
    strict = subprocess.run([*command, "--fail-on-unverified"], capture_output=True, text=True, timeout=600)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "1 scenario(s) could not be verified (--fail-on-unverified)" in strict.stdout


def test_the_summary_lists_each_remedy_for_the_unverified_scenarios_once() -> None:
    import io

    from harness.commands.check import _Progress

    progress = _Progress(io.StringIO())
    trail = (
        "UNVERIFIED: definition 'app': declares no trail, so the claim cannot be tried; declare it or give the "
        "template or plan that declares it with --baseline FILE"
    )
    progress.rows = [
        ("UNVERIFIED", "a", trail),
        ("PASS", "b", ""),
        ("UNVERIFIED", "c", trail),
        ("UNVERIFIED", "d", "UNVERIFIED: not tried: the pipeline did not deploy (the run's error, reported once)"),
        ("UNVERIFIED", "e", "UNVERIFIED: moto does not keep X; try it on LocalStack"),
    ]
    assert progress.to_verdicts() == [
        "\nto turn the 4 UNVERIFIED scenario(s) into verdicts:",
        "    2 scenario(s): declares no trail: declare it or give the template or plan that declares it with "
        "--baseline FILE",
        "    1 scenario(s): make the pipeline deploy (the run's error below)",
        "    1 scenario(s): try it on LocalStack",
    ]
    progress.rows = [("PASS", "b", "")]
    assert progress.to_verdicts() == []
