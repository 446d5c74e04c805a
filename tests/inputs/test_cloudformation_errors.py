"""CloudFormation loader: every kind of broken template gives one InputError with file, line and path."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.inputs.cloudformation import parse_template_text
from tests.inputs.conftest import ROLE, cfn

GROUP = "  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      %s\n"


def error_of(text: str, parameters: dict[str, str] | None = None, lint: bool = False) -> str:
    with pytest.raises(InputError) as info:
        parse_template_text(text, "t.yaml", parameters, lint_template=lint)
    return str(info.value)


def error_in(resources: str, head: str = "", parameters: dict[str, str] | None = None, **kw: bool) -> InputError:
    with pytest.raises(InputError) as info:
        cfn(resources, head, parameters, **kw)
    return info.value


def test_yaml_syntax_error_names_the_line() -> None:
    assert error_of("Resources:\n  A: [\n") == (
        "t.yaml:3: expected valid YAML, found a syntax error (expected the node content, but found '<stream end>'); "
        "fix the YAML at that line (indentation, quotes, colons, tags)"
    )


def test_json_syntax_error_names_line_and_column() -> None:
    assert error_of('{\n  "Resources": {"A": }\n}') == (
        "t.yaml:2: expected valid JSON, found a syntax error (Expecting value at column 22); "
        "fix the JSON at that line (commas, quotes, brackets)"
    )


def test_duplicate_key_is_a_syntax_error() -> None:
    assert "found a syntax error (the key 'A' repeated)" in error_of("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n")


def test_missing_resources() -> None:
    assert error_of("AWSTemplateFormatVersion: '2010-09-09'\n") == (
        "t.yaml:1: expected a 'Resources' section with at least one resource, found none; "
        "declare the pipeline's resources under Resources"
    )


def test_empty_resources() -> None:
    assert error_of("Resources: {}\n") == (
        "t.yaml:1 (Resources): expected a 'Resources' section with at least one resource, found no resources; "
        "declare the pipeline's resources under Resources"
    )


def test_not_a_mapping() -> None:
    assert error_of("- a\n") == (
        "t.yaml:1: expected a CloudFormation template (a mapping with 'Resources'), found a list; "
        "start from a template with AWSTemplateFormatVersion and Resources"
    )


def test_unknown_section_suggests_the_closest() -> None:
    assert error_of("Resources:\n  R: {Type: AWS::KMS::Key}\nOutput: {}\n") == (
        "t.yaml:3 (Output): expected a template section (AWSTemplateFormatVersion, Description, Metadata, "
        "Parameters, Rules, Mappings, Conditions, Transform, Resources, Outputs), found 'Output'; "
        "did you mean 'Outputs'?"
    )


def test_resource_without_type() -> None:
    assert str(error_in("  R:\n    Properties: {}\n")) == (
        "t.yaml:3 (Resources.R): expected a resource Type such as AWS::S3::Bucket, found nothing (null); add 'Type'"
    )


def test_unknown_ref() -> None:
    error = error_in(ROLE + GROUP % "LogGroupName: !Ref BuildRol")
    assert str(error) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Ref): expected the name of a parameter, a resource or a "
        "pseudo parameter, found 'BuildRol', which is not declared; did you mean 'BuildRole'?"
    )
    assert (error.file, error.line) == ("t.yaml", 14)


def test_get_att_of_unknown_resource() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !GetAtt Nope.Arn")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::GetAtt[0]): expected the logical id of a resource, "
        "found 'Nope', which is not declared; declare the resource under Resources"
    )


def test_get_att_of_unknown_attribute() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !GetAtt BuildRole.Foo")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::GetAtt): expected an attribute of AWS::IAM::Role "
        "(Arn, RoleId), found 'Foo'; use one of the listed attributes"
    )


def test_sub_with_unknown_variable() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !Sub '${Nope}-x'")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::Sub): expected a parameter, resource, "
        "Resource.Attribute or pseudo parameter inside ${}, found '${Nope}'; declare 'Nope', pass it in the "
        "variable map, or write '${!Nope}' for a literal"
    )


def test_select_out_of_range() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !Select [3, [a, b]]")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::Select[0]): expected an index below 2 (the list has "
        "2 item(s)), found 3; select an existing item"
    )


def test_unknown_condition_in_if() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !If [Nope, a, b]")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::If[0]): expected the name of a condition declared "
        "under Conditions, found 'Nope'; declare the condition under Conditions"
    )


def test_unknown_condition_on_a_resource() -> None:
    assert str(
        error_in(
            "  K:\n    Type: AWS::KMS::Key\n    Condition: IsProd\n", "Conditions:\n  IsProduction: !Equals [a, a]\n"
        )
    ) == (
        "t.yaml:7 (Resources.K.Condition): expected the name of a condition declared under Conditions, "
        "found 'IsProd'; did you mean 'IsProduction'?"
    )


def test_ref_of_a_resource_whose_condition_is_false() -> None:
    head = "Conditions:\n  Never: !Equals [a, b]\n"
    resources = "  K:\n    Type: AWS::KMS::Key\n    Condition: Never\n" + GROUP % "KmsKeyId: !GetAtt K.Arn"
    assert str(error_in(resources, head)) == (
        "t.yaml:11 (Resources.G.Properties.KmsKeyId.Fn::GetAtt): expected a reference to a resource that is "
        "created, found 'K', which is not created because condition 'Never' is false; guard the reference with "
        "Fn::If [Never, ..., !Ref AWS::NoValue]"
    )


def test_find_in_map_missing_key() -> None:
    head = "Mappings:\n  M:\n    dev: {Name: x}\n"
    assert str(error_in(ROLE + GROUP % "LogGroupName: !FindInMap [M, dev, Nope]", head)) == (
        "t.yaml:17 (Resources.G.Properties.LogGroupName.Fn::FindInMap): expected a key of Mappings.M.dev (Name), "
        "found 'Nope'; add the key to the mapping or pick an existing one"
    )


def test_wrong_property_type() -> None:
    assert str(error_in(ROLE + GROUP % "RetentionInDays: lots")) == (
        "t.yaml:14 (Resources.G.Properties.RetentionInDays): expected a whole number, found 'lots'; "
        "write 'RetentionInDays' as a number such as 30"
    )


def test_value_the_model_rejects() -> None:
    assert str(error_in(ROLE + GROUP % "RetentionInDays: 12")) == (
        "t.yaml:11 (Resources.G): expected retention_days one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
        "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, found 12; pick the nearest allowed value"
    )


def test_unknown_intrinsic_function() -> None:
    assert str(error_in(ROLE + GROUP % "LogGroupName: !Frobnicate x")) == (
        "t.yaml:14 (Resources.G.Properties.LogGroupName.Fn::Frobnicate): expected a CloudFormation intrinsic "
        "function, found 'Fn::Frobnicate'; check the function name"
    )


def test_policy_document_that_is_not_json() -> None:
    error = error_in("  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: '{nope'\n")
    assert str(error).startswith(
        "t.yaml:6 (Resources.R.Properties.AssumeRolePolicyDocument): expected a JSON policy document, "
        "found text that is not JSON ("
    )


def test_missing_required_property() -> None:
    assert str(error_in("  R:\n    Type: AWS::IAM::Role\n    Properties: {Description: x}\n")) == (
        "t.yaml:5 (Resources.R.Properties.AssumeRolePolicyDocument): expected 'AssumeRolePolicyDocument' to be "
        "set, found it missing; add 'AssumeRolePolicyDocument'"
    )


def test_override_of_an_undeclared_parameter() -> None:
    assert str(error_in(ROLE, "Parameters:\n  Stage: {Type: String, Default: a}\n", {"Stag": "x"})) == (
        "t.yaml (parameter override 'Stag'): expected the name of a declared parameter, found 'Stag'; "
        "did you mean 'Stage'?"
    )


def test_condition_cycle() -> None:
    head = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n"
    assert str(error_in(ROLE, head)) == (
        "t.yaml:3 (Conditions.A): expected conditions that do not depend on themselves, found the cycle "
        "A -> B -> A; break the cycle"
    )


def test_unknown_action_category() -> None:
    resources = (
        ROLE
        + """
  Bucket:
    Type: AWS::S3::Bucket
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt BuildRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref Bucket}
      Stages:
        - Name: S
          Actions:
            - Name: A
              ActionTypeId: {Category: Sauce, Owner: AWS, Provider: S3, Version: "1"}
"""
    )
    assert str(error_in(resources)) == (
        "t.yaml:23 (Resources.P.Properties.Stages[0].Actions[0].ActionTypeId.Category): expected one of Source, "
        "Build, Test, Deploy, Approval, Invoke, Compute, found 'Sauce'; use one"
    )


def test_pipeline_the_model_rejects_names_the_resource() -> None:
    resources = (
        ROLE
        + """
  Bucket:
    Type: AWS::S3::Bucket
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt BuildRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref Bucket}
      Stages:
        - Name: S
          Actions:
            - Name: A
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
"""
    )
    assert str(error_in(resources)) == (
        "t.yaml:14 (Resources.P): expected at least two stages, found 1; CodePipeline requires two or more"
    )


def test_unreadable_file(tmp_path: object) -> None:
    from pathlib import Path

    from harness.inputs.cloudformation import load_template

    missing = Path(str(tmp_path)) / "missing.yaml"
    with pytest.raises(InputError) as info:
        load_template(missing)
    assert (
        str(info.value)
        == f"{missing}: expected a readable CloudFormation template, found No such file or directory; check the path"
    )


def test_condition_that_refers_to_a_resource() -> None:
    head = "Conditions:\n  C: !Equals [!Ref K, x]\n"
    assert str(error_in("  K:\n    Type: AWS::KMS::Key\n", head)) == (
        "t.yaml:3 (Conditions.C.Fn::Equals[0].Ref): expected parameters, mappings and pseudo parameters in a "
        "condition, found a reference to the resource 'K'; conditions are decided before resources exist; compare "
        "a parameter instead"
    )


def test_a_pipeline_stage_without_actions() -> None:
    stage = """
  Artifacts:
    Type: AWS::S3::Bucket
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/pipeline
      ArtifactStore: {Type: S3, Location: !Ref Artifacts}
      Stages:
        - Name: Deploy
"""
    assert str(error_in(stage)) == (
        "t.yaml:12 (Resources.Pipeline.Properties.Stages[0].Actions): expected 'Actions' to be set, found it missing; "
        "add 'Actions'"
    )
