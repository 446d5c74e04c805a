"""Terraform plan loader: broken or foreign JSON gives one InputError naming file, line and address."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from tests.inputs.tfplan import R, plan, role


def error_of(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_plan_text(text, "plan.json")
    return str(info.value)


def error_for(data: Any) -> str:
    return error_of(json.dumps(data, indent=2))


def test_json_syntax_error() -> None:
    assert error_of('{\n  "format_version": "1.2",\n  "planned_values": {\n}') == (
        "plan.json:4: expected valid JSON, found a syntax error (Expecting ',' delimiter at column 2); "
        "regenerate the plan with 'terraform show -json plan.out'"
    )


def test_not_an_object() -> None:
    assert error_for([1, 2]) == (
        "plan.json: expected a Terraform plan (a JSON object from 'terraform show -json PLANFILE'), found a list; "
        "run 'terraform show -json plan.out > plan.json'"
    )


def test_wrong_format_version() -> None:
    assert error_for({**plan(role()), "format_version": "2.0"}) == (
        "plan.json:2 (format_version): expected a plan in JSON format version 0.1, 0.2 or 1.x (Terraform 0.12 or "
        "later), found '2.0'; produce the plan with 'terraform show -json plan.out'"
    )


def test_missing_format_version() -> None:
    data = plan(role())
    del data["format_version"]
    assert error_for(data) == (
        "plan.json (format_version): expected a plan in JSON format version 0.1, 0.2 or 1.x (Terraform 0.12 or "
        "later), found none; produce the plan with 'terraform show -json plan.out'"
    )


def test_missing_planned_values() -> None:
    data = plan(role())
    del data["planned_values"]
    assert error_for(data) == (
        "plan.json (planned_values): expected a plan with planned_values.root_module, found no planned_values; "
        "show a saved plan, not the state: 'terraform plan -out plan.out && terraform show -json plan.out'"
    )


def test_state_instead_of_plan() -> None:
    assert error_for({"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}) == (
        "plan.json (planned_values): expected a plan with planned_values.root_module, found a state; "
        "show a saved plan, not the state: 'terraform plan -out plan.out && terraform show -json plan.out'"
    )


def test_resource_without_address() -> None:
    data = plan(role())
    del data["planned_values"]["root_module"]["resources"][0]["address"]
    assert error_for(data) == (
        "plan.json (root_module.resources[0].address): expected 'address' as a string, found nothing (null); "
        "regenerate it"
    )


def test_child_modules_not_a_list() -> None:
    data = plan(role())
    data["planned_values"]["root_module"]["child_modules"] = {"oops": 1}
    assert error_for(data) == "plan.json (root_module.child_modules): expected a list, found a mapping; regenerate it"


def test_no_modelled_resources() -> None:
    message = error_for(plan(R("aws_glue_job", "t", {"name": "t"})))
    assert message.startswith("plan.json (planned_values): expected at least one resource of a modelled type (")
    assert "aws_iam_role, " in message and "aws_codebuild_project, " in message
    assert message.endswith("), found 1 resource(s) of other types; plan the pipeline's resources")


def test_wrong_attribute_type_names_address_and_line() -> None:
    group = R("aws_cloudwatch_log_group", "build", {"name": "/b", "retention_in_days": "a year"})
    assert error_for(plan(group)) == (
        "plan.json:8 (aws_cloudwatch_log_group.build.retention_in_days): expected a whole number, found 'a year'; "
        "write 'retention_in_days' as a number such as 30"
    )


def test_value_the_model_rejects() -> None:
    group = R("aws_cloudwatch_log_group", "build", {"name": "/b", "retention_in_days": 12})
    assert error_for(plan(group)).startswith(
        "plan.json:8 (aws_cloudwatch_log_group.build): expected retention_days one of 1, 3, 5,"
    )


def test_policy_that_is_not_json() -> None:
    bad = role(values={"assume_role_policy": "{not json"})
    assert error_for(plan(bad)).startswith(
        "plan.json:8 (aws_iam_role.build.assume_role_policy): expected a JSON policy document, found text that is "
        "not JSON ("
    )


def test_project_naming_a_role_outside_the_plan_gets_a_stand_in() -> None:
    project = R("aws_codebuild_project", "b", {"name": "b", "service_role": "someone"})
    definition = parse_plan_text(json.dumps(plan(project), indent=2), "plan.json")
    (built,) = [r for r in definition.resources if r.SECTION == "build_projects"]
    assert built.service_role == "someone"
    assert definition.is_stand_in("roles.someone")
    assert {u.aspect for u in definition.unknowns_of("roles.someone")} == {
        "resource",
        "policies",
        "managed_policies",
        "permissions_boundary",
        "trust_policy",
    }
    assert definition.unknowns_of("roles.someone")[0].reason == (
        "aws_codebuild_project.b.service_role names 'someone', which the plan does not declare"
    )


def test_unreadable_file(tmp_path: Any) -> None:
    from harness.inputs.terraform_plan import load_plan

    missing = tmp_path / "plan.json"
    with pytest.raises(InputError) as info:
        load_plan(missing)
    assert str(info.value) == (
        f"{missing}: expected a readable Terraform plan JSON file, found No such file or directory; check the path"
    )
