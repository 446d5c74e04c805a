"""Binding scenario roles to a definition's roles: by the names users know (logical id, Terraform address, physical
name), with hints naming the option of the interface in use, and no person played by a service role."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import InputError, Unverified
from harness.inputs.cloudformation import parse_template_text
from harness.inputs.formats import load_any
from harness.scenario import check_role_map, resolve_role

TEMPLATE = """
Resources:
  CodeBuildServiceRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: ci-build
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {Service: [codebuild.amazonaws.com]}, Action: sts:AssumeRole}
  Engineers:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: sts:AssumeRole}
"""


def _resolved(backend: Backend, mapping: dict[str, str], scenario_role: str, option: str = "--pw-map") -> str:
    pw = Deployment(backend, role_map=mapping, map_option=option)
    pw.definition = parse_template_text(TEMPLATE, "pipeline.yaml", lint_template=False)
    return resolve_role(pw, scenario_role).name


@pytest.mark.parametrize(
    "name", ["CodeBuildServiceRole", "Resources.CodeBuildServiceRole", "ci-build", "code-build-service-role"]
)
def test_a_role_is_mapped_by_logical_id_physical_name_or_its_name_here(backend: Backend, name: str) -> None:
    assert _resolved(backend, {"build": name}, "build") == "code-build-service-role"


def test_a_role_is_mapped_by_terraform_address_or_declared_name() -> None:
    plan = load_any(Path("fixtures/pipelines/tf-least-privilege/plan.json"), "auto", {})
    check_role_map(plan, {"build": "module.ci.aws_iam_role.build", "pipeline": "acme-release-pipeline-role"})
    with pytest.raises(InputError) as caught:
        check_role_map(plan, {"build": "aws_iam_role.example"}, "--map")
    assert str(caught.value) == (
        "--map build=aws_iam_role.example: expected a role of the definition, by its name, logical id, Terraform "
        "address or physical name, found no role called 'aws_iam_role.example' among ci-build "
        "(module.ci.aws_iam_role.build), ci-pipeline (module.ci.aws_iam_role.pipeline); map one of those"
    )


def test_a_person_mapped_to_a_service_role_is_refused_with_the_reason() -> None:
    definition = parse_template_text(TEMPLATE, "pipeline.yaml", lint_template=False)
    check_role_map(definition, {"developer": "Engineers"}, "--map")
    with pytest.raises(InputError) as caught:
        check_role_map(definition, {"developer": "CodeBuildServiceRole"}, "--map")
    assert str(caught.value) == (
        "--map developer=CodeBuildServiceRole: expected a role that people assume, to play 'developer', found "
        f"{definition.where('roles.code-build-service-role')}, which only AWS services may assume (its trust "
        "policy names only Service principals); map the role, user or group the people in that part use"
    )


def test_the_hint_names_the_option_of_the_interface_in_use(backend: Backend) -> None:
    with pytest.raises(Unverified) as caught:
        _resolved(backend, {}, "auditor", "--map")
    assert caught.value.reason == (
        "definition 'pipeline': has no role playing 'auditor' (roles: code-build-service-role "
        "(CodeBuildServiceRole), engineers (Engineers)), so the claim cannot be tried; map it with --map "
        "auditor=<role>, or give the template or plan that declares it with --baseline FILE (under pytest "
        "--pw-baseline FILE)"
    )


def test_pipewarden_check_refuses_a_mapping_to_nothing_before_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    template = tmp_path / "pipeline.yaml"
    template.write_text(TEMPLATE, encoding="utf-8")
    assert main(["check", str(template), "--map", "build=BuildRole"]) == 2
    assert capsys.readouterr().err == (
        "pipewarden: error: --map build=BuildRole: expected a role of the definition, by its name, logical id, "
        "Terraform address or physical name, found no role called 'BuildRole' among code-build-service-role "
        "(CodeBuildServiceRole), engineers (Engineers); map one of those\n"
    )
