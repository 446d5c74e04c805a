"""Templates given together: a pipeline and its companion stacks share names and resolve each other's exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import InputError
from harness.inputs.cloudformation import parse_templates
from harness.inputs.formats import load_any
from harness.model.definition import Definition

PREREQS = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String}
  DevAccount: {Type: String}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${DevAccount}:root"}
            Action: kms:Decrypt
            Resource: "*"
Outputs:
  BucketName:
    Value: !Ref Bucket
    Export: {Name: !Sub "${Env}-artifacts"}
  KeyArn:
    Value: !GetAtt Key.Arn
    Export: {Name: !Sub "${Env}-artifact-key"}
  NotExported:
    Value: !Ref Bucket
"""

PIPELINE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String}
Resources:
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub
                  - "arn:aws:s3:::${Bucket}/*"
                  - Bucket: {"Fn::ImportValue": !Sub "${Env}-artifacts"}
              - Effect: Allow
                Action: kms:Decrypt
                Resource: {"Fn::ImportValue": !Sub "${Env}-artifact-key"}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      KmsKeyId: {"Fn::ImportValue": !Sub "${Env}-artifact-key"}
"""


def _load(*sources: tuple[str, str], **parameters: str) -> Definition:
    return parse_templates(list(sources), parameters or None, lint_template=False)


def test_an_import_resolves_to_the_exporting_template_s_resource() -> None:
    definition = _load((PIPELINE, "pipeline.yaml"), (PREREQS, "pre-reqs.yaml"), Env="dev", DevAccount="222222222222")
    assert sorted(str(r.address) for r in definition.resources) == [
        "buckets.bucket",
        "keys.key",
        "log_groups.logs",
        "roles.build-role",
    ]
    role = definition.get("roles", "build-role")
    statements = role.policies["artifacts"]["Statement"]
    assert statements[0]["Resource"] == "arn:aws:s3:::${buckets.bucket.name}/*"
    assert statements[1]["Resource"] == "${keys.key.arn}"
    assert definition.get("log_groups", "logs").kms_key == "key"
    assert definition.unknowns == ()
    assert definition.name == "pipeline"


def test_each_resource_is_located_in_its_own_file() -> None:
    definition = _load((PIPELINE, "pipeline.yaml"), (PREREQS, "pre-reqs.yaml"), Env="dev", DevAccount="2")
    assert str(definition.locations["buckets.bucket"]) == "pre-reqs.yaml:7"
    assert str(definition.locations["roles.build-role"]) == "pipeline.yaml:6"


def test_an_import_no_template_exports_becomes_a_stand_in_named_after_the_export() -> None:
    definition = _load((PIPELINE, "pipeline.yaml"), Env="dev")
    logs = definition.get("log_groups", "logs")
    assert logs.kms_key == "dev-artifact-key"
    assert definition.is_stand_in("keys.dev-artifact-key")
    assert (
        "Resources.Logs.Properties.KmsKeyId.Fn::ImportValue: Fn::ImportValue 'dev-artifact-key' reads an output of a "
        "stack none of the given templates declares; give that template too to have it resolved"
    ) in definition.notes


def test_a_parameter_applies_to_every_template_that_declares_it_and_must_be_declared_by_one() -> None:
    with pytest.raises(InputError) as info:
        _load((PIPELINE, "pipeline.yaml"), (PREREQS, "pre-reqs.yaml"), Env="dev", DevAcount="2")
    assert str(info.value) == (
        "pipeline.yaml (parameter override 'DevAcount'): expected the name of a parameter one of the templates "
        "declares, found 'DevAcount'; did you mean 'DevAccount'?"
    )
    with pytest.raises(InputError) as missing:
        _load((PIPELINE, "pipeline.yaml"), (PREREQS, "pre-reqs.yaml"), Env="dev")
    assert str(missing.value).startswith("pre-reqs.yaml:5 (Parameters.DevAccount): expected a value for the parameter")


def test_an_export_name_used_twice_is_refused() -> None:
    twice = PREREQS.replace('${Env}-artifact-key"', '${Env}-artifacts"')
    with pytest.raises(InputError) as info:
        _load((PIPELINE, "pipeline.yaml"), (twice, "pre-reqs.yaml"), Env="dev", DevAccount="2")
    assert "expected export names unique across the templates" in str(info.value)
    assert "found 'dev-artifacts' exported by pre-reqs.yaml too" in str(info.value)


def test_a_companion_that_is_not_a_template_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "pipeline.yaml"
    template.write_text(PIPELINE)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {}}}))
    with pytest.raises(InputError) as info:
        load_any(template, parameters={"Env": "dev"}, companions=[plan])
    assert str(info.value) == (
        f"{plan}: expected companion templates only beside a CloudFormation template, found a terraform-plan file "
        "beside a cloudformation definition; give one definition, or CloudFormation templates only"
    )


def test_check_takes_companions_before_or_after_its_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "pipeline.yaml"
    template.write_text(PIPELINE)
    prereqs = tmp_path / "pre-reqs.yaml"
    prereqs.write_text(PREREQS)
    # A parameter no template declares stops the run before any scenario, wherever the companion is given.
    for argv in (
        ["check", str(template), str(prereqs), "--param", "Env=dev", "--param", "Nope=1"],
        ["check", str(template), "--param", "Env=dev", str(prereqs), "--param", "Nope=1"],
    ):
        assert main(argv) == 2
        assert "(parameter override 'Nope'): expected the name of a parameter one of the templates declares" in (
            capsys.readouterr().err
        )
