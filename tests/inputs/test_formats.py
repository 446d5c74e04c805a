"""Format detection and the one loading entry point used by 'pipewarden check'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.inputs.formats import FORMATS, detect_format, load_any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pipelines"
CFN = FIXTURES / "cfn-least-privilege" / "template.yaml"
PLAN = FIXTURES / "tf-least-privilege" / "plan.json"
HARNESS = FIXTURES / "reference" / "pipeline.yaml"


def test_formats_are_the_documented_ones() -> None:
    assert FORMATS == ("auto", "harness", "cloudformation", "terraform-plan")


@pytest.mark.parametrize(
    ("path", "expected"), [(CFN, "cloudformation"), (PLAN, "terraform-plan"), (HARNESS, "harness")]
)
def test_detects_each_fixture(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


def test_detects_a_json_template(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"K": {"Type": "AWS::KMS::Key"}}}))
    assert detect_format(path) == "cloudformation"


def test_detects_a_yaml_template_without_version_even_with_tags(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "# a comment\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties: {Description: !Ref AWS::Region}\n"
    )
    assert detect_format(path) == "cloudformation"


def test_a_word_inside_a_value_does_not_decide(tmp_path: Path) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("title: Resources and pipewarden: notes\n")
    with pytest.raises(InputError) as info:
        detect_format(path)
    assert str(info.value) == (
        f"{path}: expected a harness YAML definition, a CloudFormation template or a Terraform plan JSON, "
        "found none of them; pass --format explicitly or check the file"
    )


def test_load_any_dispatches_cloudformation_with_parameters() -> None:
    definition = load_any(CFN, parameters={"Stage": "prod"})
    project = definition.get("build_projects", "build-project")
    assert project is not None
    assert project.timeout_minutes == 30  # type: ignore[attr-defined]
    assert definition.source == str(CFN)


def test_load_any_dispatches_terraform_plans() -> None:
    definition = load_any(PLAN, "terraform-plan")
    assert definition.get("pipelines", "release") is not None


def test_load_any_dispatches_harness_yaml(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text("pipewarden: 1\nname: small\nresources:\n  keys:\n    artifacts: {rotation: true}\n")
    definition = load_any(path, "auto")
    assert (definition.name, [str(r.address) for r in definition.resources]) == ("small", ["keys.artifacts"])


def test_parameters_for_a_plan_are_refused() -> None:
    with pytest.raises(InputError) as info:
        load_any(PLAN, parameters={"Stage": "prod"})
    assert str(info.value) == (
        f"{PLAN}: expected parameters only for a CloudFormation template, found 1 parameter(s) for a "
        "terraform-plan definition; drop the parameters (Terraform plans carry their variables already)"
    )


def test_unknown_format_is_refused() -> None:
    with pytest.raises(InputError) as info:
        load_any(CFN, "cdk")
    assert str(info.value) == (
        "--format: expected one of auto, harness, cloudformation, terraform-plan, found 'cdk'; choose a listed format"
    )


def test_forced_format_that_does_not_fit_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        load_any(CFN, "terraform-plan")
    assert "expected valid JSON" in str(info.value)


def test_missing_file() -> None:
    missing = FIXTURES / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_any(missing)
    assert (
        str(info.value)
        == f"{missing}: expected a readable definition file, found No such file or directory; check the path"
    )
