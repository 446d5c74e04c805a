"""Property tests: any text or structure gives a Definition or one InputError, never another exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.inputs.cloudformation import parse_template_text
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.registry import Registry

CFN_KINDS = Registry.discover().cfn_types()
TF_KINDS = Registry.discover().tf_types()
TF_FOLDED = Registry.discover().tf_folded()

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pipelines"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5000)
    | st.text(max_size=12)
    | st.sampled_from(
        ["Enabled", "ENABLED", "aws:kms", "CODEPIPELINE", "Source", "2012-10-17", "arn:aws:s3:::b", "*", "${x}", "!Ref"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
intrinsics = st.sampled_from(
    [
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::If",
        "Fn::FindInMap",
        "Condition",
        "Fn::Equals",
        "Fn::And",
        "Fn::Not",
        "Fn::Base64",
        "Fn::ImportValue",
        "Fn::GetAZs",
        "Fn::Length",
        "Fn::Nope",
    ]
)
cfn_values = st.recursive(
    scalars | st.sampled_from(["A", "B", "AWS::Region", "AWS::NoValue", "A.Arn", "C1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(intrinsics, inner, min_size=1, max_size=1)
        | st.dictionaries(
            st.sampled_from(["PolicyDocument", "Status", "Type", "Name", "Key", "Value", "Tags"]), inner, max_size=3
        )
    ),
    max_leaves=20,
)
cfn_types = st.sampled_from(
    [
        *CFN_KINDS,
        "AWS::IAM::Policy",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::KMS::Alias",
        "AWS::CloudTrail::Trail",
        "AWS::CDK::Metadata",
    ]
)


def outcome(func: Any, *args: Any, **kw: Any) -> Definition | InputError:
    try:
        result = func(*args, **kw)
    except InputError as exc:
        assert str(exc)  # a message a person can read
        return exc
    assert isinstance(result, Definition)
    return result


@SETTINGS
@given(json_values)
def test_any_json_value_as_template(value: Any) -> None:
    outcome(parse_template_text, json.dumps(value), "t.json", lint_template=False)


@SETTINGS
@given(json_values)
def test_any_yaml_structure_as_template(value: Any) -> None:
    outcome(parse_template_text, yaml.safe_dump(value), "t.yaml", lint_template=False)


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["A", "B", "Bucket1", "c"]),
        st.fixed_dictionaries(
            {"Type": cfn_types},
            optional={
                "Properties": st.dictionaries(
                    st.sampled_from(
                        [
                            "PolicyDocument",
                            "AssumeRolePolicyDocument",
                            "Roles",
                            "Bucket",
                            "Topics",
                            "Tags",
                            "RetentionInDays",
                            "ServiceRole",
                            "RoleArn",
                            "Stages",
                            "Environment",
                            "Source",
                            "ArtifactStore",
                            "KmsKeyId",
                            "BucketEncryption",
                            "TargetKeyId",
                            "KeyPolicy",
                        ]
                    ),
                    cfn_values,
                    max_size=4,
                ),
                "Condition": st.just("C1"),
            },
        ),
        min_size=1,
        max_size=4,
    ),
    st.dictionaries(st.sampled_from(["C1", "C2"]), cfn_values, max_size=2),
)
def test_template_shaped_structures(resources: dict[str, Any], conditions: dict[str, Any]) -> None:
    template = {
        "Resources": resources,
        "Conditions": conditions,
        "Parameters": {"P": {"Type": "String", "Default": "x"}},
    }
    outcome(parse_template_text, json.dumps(template), "t.json", lint_template=False)


@SETTINGS
@given(st.data())
def test_truncated_templates(data: st.DataObject) -> None:
    text = (FIXTURES / "cfn-least-privilege" / "template.yaml").read_text()
    cut = data.draw(st.integers(0, len(text)))
    outcome(parse_template_text, text[:cut], "t.yaml", lint_template=False)


@settings(max_examples=5, deadline=None)
@given(st.data())
def test_truncated_templates_through_cfn_lint(data: st.DataObject) -> None:
    text = (FIXTURES / "cfn-least-privilege" / "template.yaml").read_text()
    cut = data.draw(st.integers(0, len(text)))
    outcome(parse_template_text, text[:cut], "t.yaml")


@SETTINGS
@given(json_values)
def test_any_json_value_as_plan(value: Any) -> None:
    outcome(parse_plan_text, json.dumps(value), "plan.json")


@SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "address": st.sampled_from(
                    ["aws_iam_role.a", "aws_s3_bucket.b", 'module.m.aws_s3_bucket.b["k"]', "x.y[0]"]
                ),
                "type": st.sampled_from([*TF_KINDS, *TF_FOLDED, "aws_cloudtrail", "random_id"]),
                "name": st.sampled_from(["a", "b"]),
                "values": st.dictionaries(
                    st.sampled_from(
                        [
                            "name",
                            "bucket",
                            "policy",
                            "assume_role_policy",
                            "role",
                            "rule",
                            "stage",
                            "artifact_store",
                            "service_role",
                            "environment",
                            "tags",
                            "retention_in_days",
                        ]
                    ),
                    json_values,
                    max_size=5,
                ),
            },
            optional={"mode": st.sampled_from(["managed", "data"]), "index": st.integers(0, 2) | st.text(max_size=3)},
        ),
        max_size=5,
    ),
    json_values,
)
def test_plan_shaped_structures(resources: list[dict[str, Any]], unknown: Any) -> None:
    changes = [
        {"address": r["address"], "change": {"actions": ["create"], "after": r["values"], "after_unknown": unknown}}
        for r in resources
    ]
    data = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
    }
    outcome(parse_plan_text, json.dumps(data), "plan.json")


@SETTINGS
@given(st.data())
def test_truncated_plans(data: st.DataObject) -> None:
    text = (FIXTURES / "tf-least-privilege" / "plan.json").read_text()
    cut = data.draw(st.integers(0, len(text)))
    outcome(parse_plan_text, text[:cut], "plan.json")


def test_deeply_nested_input_is_an_input_error() -> None:
    deep = "[" * 5000 + "]" * 5000
    for func, name in ((parse_template_text, "t.json"), (parse_plan_text, "plan.json")):
        result = outcome(
            func, '{"Resources": {"A": {"Type": "AWS::KMS::Key", "Properties": {"Tags": ' + deep + "}}}}", name
        )
        assert isinstance(result, InputError)
