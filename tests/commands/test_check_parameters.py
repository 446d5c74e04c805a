"""``pipewarden check`` with template parameters (--param, --parameters) and cfn-lint as advice (--lint-ignore)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "pipelines" / "tf-network-isolation" / "plan.json"

# A resource-level Description (cfn-lint E3001, which CloudFormation accepts) and an unused parameter (W2001).
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
  Retention:
    Type: Number
  Unused:
    Type: String
    Default: x
  Token:
    Type: String
    NoEcho: true
    Default: default-token
    MinLength: 8
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Description: where the builds write
    Properties:
      RetentionInDays: !Ref Retention
      Tags:
        - {Key: stage, Value: !Ref Stage}
        - {Key: token, Value: !Ref Token}
"""

I3011 = (
    "The default action when replacing/removing a resource is to delete it. Set explicit values for stateful resource"
)

FEATURE = """\
Feature: Template parameters reach the pipeline under test

  @lifecycle @nist-800-53:CM-2
  Scenario: The log group is configured by the parameters
    Then the log group keeps its logs for 14 days in the prod stage
"""

STEPS = """\
from pytest_bdd import then


@then("the log group keeps its logs for 14 days in the prod stage")
def kept(pw_definition):
    (group,) = [r for r in pw_definition.resources if r.SECTION == "log_groups"]
    assert (group.retention_days, group.tags["stage"]) == (14, "prod"), group
"""


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A template, a template configuration with Tags, and a feature folder whose step checks the values."""
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    config = {"Parameters": {"Stage": "prod", "Retention": 7}, "Tags": {"team": "ci"}}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    features = tmp_path / "features"
    features.mkdir()
    (features / "parameters.feature").write_text(FEATURE, encoding="utf-8")
    (features / "conftest.py").write_text(STEPS, encoding="utf-8")
    return tmp_path


def check(*args: str) -> subprocess.CompletedProcess[str]:
    # pytest runs inside check: a separate process keeps that run apart from this one.
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def notes_of(stdout: str) -> list[str]:
    return [line.removeprefix("note: ") for line in stdout.splitlines() if line.startswith("note: ")]


def test_parameters_from_a_file_and_options_reach_the_scenarios_and_lint_findings_are_notes(stack: Path) -> None:
    done = check(
        str(stack / "template.yaml"),
        "--parameters",
        str(stack / "config.json"),
        "--param",
        "Retention=14",
        "--features",
        str(stack / "features"),
    )
    # The option replaced the file's 7, which the step would refuse; an advisory finding leaves the exit alone.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS       the log group is configured by the parameters" in done.stdout
    # The file's notes first, then cfn-lint's findings in line order, informational ones included.
    assert notes_of(done.stdout) == [
        f"{stack / 'config.json'}:1 (Tags): not applied; only a template configuration's Parameters are read",
        "cfn-lint W2001 line 8: Parameter Unused not used.",
        f"cfn-lint I3011 line 17: 'DeletionPolicy' is a required property ({I3011})",
        f"cfn-lint I3011 line 17: 'UpdateReplacePolicy' is a required property ({I3011})",
        "cfn-lint E3001 line 19: Additional properties are not allowed ('Description' was unexpected)",
    ]
    assert "default-token" not in done.stdout + done.stderr


def test_ignored_lint_rules_by_id_and_by_prefix_are_not_shown(stack: Path) -> None:
    done = check(
        str(stack / "template.yaml"),
        "--parameters",
        str(stack / "config.json"),
        "--param",
        "Retention=14",
        "--lint-ignore",
        "E3001",
        "--lint-ignore",
        "W",
        "--features",
        str(stack / "features"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # W2001 and E3001 are gone; the informational findings, neither ignored by id nor by prefix, stay.
    assert [note for note in notes_of(done.stdout) if note.startswith("cfn-lint")] == [
        f"cfn-lint I3011 line 17: 'DeletionPolicy' is a required property ({I3011})",
        f"cfn-lint I3011 line 17: 'UpdateReplacePolicy' is a required property ({I3011})",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--param", "Retention=14"],
            "{template}:3 (Parameters.Stage): expected a value for the parameter, found no Default and no override; "
            "give a Default or pass --param Stage=VALUE or a --parameters file",
        ),
        (
            ["--param", "Stage=qa", "--param", "Retention=14"],
            "{template}:3 (Parameters.Stage): expected one of dev, prod (AllowedValues), found 'qa'; pass an allowed "
            "value or change AllowedValues",
        ),
        (
            ["--param", "Stage=dev", "--param", "Retention=14", "--param", "Token=short"],
            "{template}:11 (Parameters.Token): expected at least 8 characters (MinLength), found ****; pass a longer "
            "value or change MinLength",
        ),
        (
            ["--param", "Stage=dev", "--param", "Retension=14"],
            "{template} (parameter override 'Retension'): expected the name of a declared parameter, found "
            "'Retension'; did you mean 'Retention'?",
        ),
        (
            ["--param", "Stage"],
            "--param 'Stage': expected NAME=VALUE (e.g. --param Stage=prod), found no '='; write the parameter as "
            "NAME=VALUE",
        ),
        (
            ["--lint-ignore", "everything"],
            "--lint-ignore 'everything': expected a cfn-lint rule id or a prefix of one (E3001, W, E30, I), found "
            "'everything'; name the rule as cfn-lint prints it",
        ),
    ],
)
def test_parameter_and_option_mistakes_exit_2_with_one_message(
    stack: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    template = stack / "template.yaml"
    assert main(["check", str(template), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"pipewarden: error: {message.format(template=template)}\n"
    assert captured.out == ""
    assert "short" not in captured.err.replace("shorter", "")


def test_use_previous_value_in_the_file_exits_2_naming_its_line(
    stack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = stack / "params.json"
    params.write_text('[\n  {"ParameterKey": "Stage", "UsePreviousValue": true}\n]\n', encoding="utf-8")
    assert main(["check", str(stack / "template.yaml"), "--parameters", str(params)]) == 2
    assert capsys.readouterr().err == (
        f"pipewarden: error: {params}:2 ([0].UsePreviousValue): expected a ParameterValue for 'Stage', found "
        '"UsePreviousValue": true; there is no previous stack to take the value from; give a ParameterValue instead\n'
    )


def test_a_missing_parameters_file_exits_2(stack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = stack / "nope.json"
    assert main(["check", str(stack / "template.yaml"), "--parameters", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"pipewarden: error: {missing}: expected a readable parameters file, found No such file or directory; "
        "check the path\n"
    )


def test_parameters_for_a_plan_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(PLAN), "--param", "Stage=prod"]) == 2
    assert capsys.readouterr().err == (
        f"pipewarden: error: {PLAN}: expected parameters only for a CloudFormation template, found 1 parameter(s) "
        "for a terraform-plan definition; drop the parameters (Terraform plans carry their variables already)\n"
    )


def test_a_template_cloudformation_refuses_exits_2_naming_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    DependsOn: Queue\n", encoding="utf-8")
    assert main(["check", str(template)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"pipewarden: error: {template}:4: expected a template CloudFormation accepts, found 1 finding(s) it "
        "refuses: cfn-lint E3005 line 4: 'Queue' is not one of [] (DependsOn names a resource that is not declared "
        "or not created under the template's conditions; CloudFormation refuses the unresolved dependency); "
        "correct the template at those lines\n"
    )
    assert captured.out == ""
