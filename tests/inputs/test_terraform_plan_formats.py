"""Terraform plans as people have them: every format version and encoding, data sources, values known at apply."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.formats import detect_format
from harness.inputs.terraform_plan import load_plan, parse_plan_text
from harness.model.definition import Definition
from tests.inputs.conftest import named, only
from tests.inputs.tfplan import R, caller, doc, plan, ref, role, trust


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def _pipeline_plan(version: str) -> dict[str, Any]:
    build = role()
    policy = R("aws_iam_role_policy", "p", {"name": "p", "role": "acme-build", "policy": doc("logs:*")})
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"})
    return plan(build, policy, bucket, data=caller(), version=version)


def _shape(definition: Definition) -> list[Any]:
    return sorted((str(r.address), repr(r)) for r in definition.resources)


# -- format versions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.1", "0.2", "1.0", "1.1", "1.2"])
def test_every_plan_format_version_loads_the_same_definition(version: str) -> None:
    assert _shape(load(_pipeline_plan(version))) == _shape(load(_pipeline_plan("1.2")))


@pytest.mark.parametrize("version", ["2.0", "0.3", "1", ""])
def test_an_unknown_format_version_is_refused_with_the_supported_ones(version: str) -> None:
    with pytest.raises(InputError) as info:
        load(_pipeline_plan(version))
    assert str(info.value) == (
        f"plan.json:2 (format_version): expected a plan in JSON format version 0.1, 0.2 or 1.x (Terraform 0.12 or "
        f"later), found {version!r}; produce the plan with 'terraform show -json plan.out'"
    )


def test_keys_a_format_adds_or_a_person_adds_are_ignored() -> None:
    data = _pipeline_plan("1.2")
    data.update({"relevant_attributes": [], "checks": [], "timestamp": "2026-01-01T00:00:00Z", "applyable": True})
    data["comment-for-reader"] = "generated for a demo"
    assert _shape(load(data)) == _shape(load(_pipeline_plan("1.2")))


# -- encodings ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),  # Windows PowerShell's '>' writes this
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_a_plan_in_any_unicode_encoding_loads(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(bom + json.dumps(_pipeline_plan("1.1"), indent=2).encode(encoding))
    assert detect_format(path) == "terraform-plan"
    assert _shape(load_plan(path)) == _shape(load(_pipeline_plan("1.1")))


def test_bytes_that_are_not_text_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b'{\n  "format_version": "1.2",\n  "x": "\xff\xfe\xfa"\n}\n')
    with pytest.raises(InputError) as info:
        load_plan(path)
    assert str(info.value).startswith(
        f"{path}:3: expected a Terraform plan JSON file in UTF-8, or UTF-16 or UTF-32 with a byte order mark, found "
        "bytes that are not text in that encoding at byte 37"
    )
    assert str(info.value).endswith("; save the file as UTF-8 (in PowerShell: Out-File -Encoding utf8)")


def test_a_byte_order_mark_in_text_given_directly_is_skipped() -> None:
    text = "\ufeff" + json.dumps(_pipeline_plan("1.2"))
    assert _shape(parse_plan_text(text, "plan.json")) == _shape(load(_pipeline_plan("1.2")))


# -- data sources and values known only at apply ------------------------------------------------------------------


def _existing_role_data(arn: str) -> dict[str, Any]:
    return {
        "address": "data.aws_iam_role.existing",
        "mode": "data",
        "type": "aws_iam_role",
        "name": "existing",
        "values": {"arn": arn, "name": arn.rsplit("/", 1)[-1]},
    }


def _project(**unknown: Any) -> R:
    return R(
        "aws_codebuild_project",
        "build",
        {
            "name": "acme-build",
            "source": [{"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases: {}\n"}],
            "environment": [
                {
                    "image": "aws/codebuild/standard:7.0",
                    "compute_type": "BUILD_GENERAL1_SMALL",
                    "type": "LINUX_CONTAINER",
                }
            ],
            "artifacts": [{"type": "CODEPIPELINE"}],
        },
        unknown={"id": True, "arn": True, **unknown},
    )


def test_a_data_source_read_at_plan_time_gives_its_value_and_an_existing_role_a_stand_in() -> None:
    project = _project(service_role=True)
    project.expressions = {"service_role": ref("data.aws_iam_role.existing.arn", "data.aws_iam_role.existing")}
    data = [*caller(), _existing_role_data("arn:aws:iam::111122223333:role/ci/acme-existing")]
    definition = load(plan(project, data=data))
    assert only(definition, "build_projects").service_role == "acme-existing"
    assert named(definition, "roles", "acme-existing").path == "/ci/"
    assert definition.unknowns_of("roles.acme-existing", frozenset({"resource"}))[0].reason == (
        "aws_codebuild_project.build.service_role names 'arn:${partition}:iam::${account_id}:role/ci/acme-existing', "
        "which the plan does not declare"
    )


def _trust_document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": "data.aws_iam_policy_document.trust",
        "mode": "data",
        "type": "aws_iam_policy_document",
        "name": "trust",
        "expressions": {"statement": list(statements)},
    }


def _constant(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def test_a_policy_document_read_at_apply_is_rebuilt_from_its_configuration() -> None:
    build = R(
        "aws_iam_role",
        "build",
        {"name": "acme-build"},
        unknown={"assume_role_policy": True, "id": True, "arn": True},
        expressions={
            "assume_role_policy": ref("data.aws_iam_policy_document.trust.json", "data.aws_iam_policy_document.trust")
        },
    )
    statement = {
        "sid": _constant("Build"),
        "actions": _constant(["sts:AssumeRole"]),
        "principals": [{"type": _constant("Service"), "identifiers": _constant(["codebuild.amazonaws.com"])}],
        "condition": [
            {
                "test": _constant("StringEquals"),
                "variable": _constant("aws:SourceAccount"),
                "values": _constant(["111122223333"]),
            }
        ],
    }
    definition = load(plan(build, data=caller(), configured=[_trust_document(statement)]))
    assert only(definition, "roles").trust_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Build",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": "${account_id}"}},
            }
        ],
    }
    assert definition.unknowns == ()
    assert (
        "aws_iam_role.build.assume_role_policy: known only after apply; rebuilt from the configuration of "
        "data.aws_iam_policy_document.trust"
    ) in definition.notes


def test_a_rebuilt_document_whose_references_may_be_parts_of_values_is_unknown() -> None:
    build = role()
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"}, unknown={"arn": True, "id": True})
    inline = R(
        "aws_iam_role_policy",
        "p",
        {"name": "p", "role": "acme-build"},
        unknown={"policy": True},
        expressions={"policy": ref("data.aws_iam_policy_document.trust.json")},
    )
    statement = {
        "actions": _constant(["s3:GetObject"]),
        "resources": ref("aws_s3_bucket.artifacts.arn", "aws_s3_bucket.artifacts"),
    }
    definition = load(plan(build, bucket, inline, data=caller(), configured=[_trust_document(statement)]))
    policy = only(definition, "roles").policies["p"]
    assert policy["Statement"][0]["Resource"] == ["${buckets.artifacts.arn}"]
    (unknown,) = definition.unknowns
    assert (unknown.address, unknown.aspect) == ("roles.build", "policies")
    assert unknown.reason == (
        "data.aws_iam_policy_document.trust is read only at apply; rebuilt from its configuration, which does not "
        "show how statement[0].resources combine their references"
    )


def test_a_value_built_from_several_things_is_not_taken_for_one_of_them() -> None:
    build = role()
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"}, unknown={"arn": True, "id": True})
    inline = R(
        "aws_iam_role_policy",
        "p",
        {"name": "p", "role": "acme-build"},
        unknown={"policy": True},
        # jsonencode({... "arn:aws:s3:::${aws_s3_bucket.artifacts.id}/${data.aws_caller_identity.me.account_id}"})
        expressions={"policy": ref("data.aws_caller_identity.me.account_id", "aws_s3_bucket.artifacts.id")},
    )
    definition = load(plan(build, bucket, inline, data=caller()))
    assert only(definition, "roles").policies == {}
    assert [(u.address, u.aspect) for u in definition.unknowns] == [("roles.build", "policies")]


def test_a_whole_resource_reference_of_an_old_plan_takes_the_attribute_the_value_holds() -> None:
    vpc = R("aws_vpc", "main", {"cidr_block": "10.1.0.0/16"}, unknown={"id": True, "arn": True})
    group = R(
        "aws_security_group",
        "db",
        {"name": "db", "ingress": [], "egress": []},
        unknown={"id": True, "arn": True, "vpc_id": True},
        expressions={"vpc_id": ref("aws_vpc.main")},
    )
    rule = R(
        "aws_security_group_rule",
        "in",
        {"type": "ingress", "protocol": "tcp", "from_port": 5432, "to_port": 5432},
        unknown={"id": True, "security_group_id": True, "cidr_blocks": True},
        expressions={"security_group_id": ref("aws_security_group.db"), "cidr_blocks": ref("aws_vpc.main")},
    )
    definition = load(plan(vpc, group, rule, data=caller(), version="0.1"))
    db = named(definition, "security_groups", "db")
    assert db.vpc == "main"
    assert [r.cidr for r in db.ingress] == ["10.1.0.0/16"]  # the VPC's range, as the plan gives it


def test_a_rule_without_a_peer_is_left_out_with_a_note() -> None:
    vpc = R("aws_vpc", "main", {"cidr_block": "10.1.0.0/16"}, unknown={"id": True, "arn": True})
    group = R(
        "aws_security_group",
        "task",
        {"name": "task", "ingress": [], "egress": []},
        unknown={"id": True, "arn": True, "vpc_id": True},
        expressions={"vpc_id": ref("aws_vpc.main.id", "aws_vpc.main")},
    )
    rule = R(
        "aws_security_group_rule",
        "out",
        {"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": []},
        unknown={"id": True, "security_group_id": True, "cidr_blocks": [False], "source_security_group_id": True},
        expressions={"security_group_id": ref("aws_security_group.task.id", "aws_security_group.task")},
    )
    definition = load(plan(vpc, group, rule, data=caller()))
    assert named(definition, "security_groups", "task").egress == ()
    assert (
        "aws_security_group_rule.out: no peer in the plan; AWS refuses such a rule at apply; the rule is left out"
    ) in definition.notes


def test_nested_modules_with_count_and_for_each_name_and_refer() -> None:
    roles = [role(module="module.ci.module.team", index=k, values={"name": f"acme-{k}"}) for k in ("a", "b")]
    project = _project(service_role=True)
    project.module = "module.ci.module.team"
    project.index = "a"
    project.expressions = {"service_role": ref('aws_iam_role.build["a"].arn', "aws_iam_role.build")}
    definition = load(plan(*roles, project, data=caller()))
    assert sorted(r.name for r in definition.resources if r.SECTION == "roles") == [
        "ci-team-build-a",
        "ci-team-build-b",
    ]
    assert only(definition, "build_projects").service_role == "ci-team-build-a"


def test_trust_helper_matches_a_service_trust() -> None:
    assert json.loads(trust())["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}


def test_an_empty_value_an_old_plan_shows_for_a_reference_is_taken_from_the_reference() -> None:
    # Terraform 0.12 may show an attribute set from a resource being created as "" instead of unknown.
    build = role("build", values={"name": "acme-build"})
    inline = R(
        "aws_iam_role_policy",
        "build",
        {"name": "build", "role": "", "policy": doc("logs:PutLogEvents")},
        unknown={"id": True},
        expressions={"role": ref("aws_iam_role.build")},
    )
    definition = load(plan(build, inline, data=caller(), version="0.1"))
    assert list(named(definition, "roles", "build").policies) == ["build"]
    assert (
        "aws_iam_role_policy.build.role: known only after apply; taken as ${roles.build.name} from the "
        "configuration's reference" in definition.notes
    )


def test_a_whole_policy_document_reference_of_an_old_plan_is_its_json() -> None:
    statement = {"effect": _constant("Allow"), "actions": _constant(["logs:PutLogEvents"]),
                 "resources": _constant(["*"])}  # fmt: skip
    document = {**_trust_document(statement), "address": "data.aws_iam_policy_document.logs", "name": "logs"}
    build = role("build", values={"name": "acme-build"})
    inline = R(
        "aws_iam_role_policy",
        "build",
        {"name": "build", "role": "acme-build", "policy": ""},
        unknown={"id": True},
        expressions={"role": ref("aws_iam_role.build"), "policy": ref("data.aws_iam_policy_document.logs")},
    )
    definition = load(plan(build, inline, data=caller(), version="0.1", configured=[document]))
    policy = named(definition, "roles", "build").policies["build"]
    assert policy["Statement"][0]["Action"] == ["logs:PutLogEvents"]


def test_an_instance_the_plan_holds_no_values_for_is_left_out_with_a_note() -> None:
    ghost = R("aws_lambda_permission", "ghost", None, actions=("no-op",))  # type: ignore[arg-type]
    definition = load(plan(role(), ghost, data=caller()))
    assert (
        "aws_lambda_permission.ghost: the plan holds no values for it; left out, and scenarios that depend on it "
        "are unverified" in definition.notes
    )
