"""cfn-lint as advice: findings are notes in line order; only what CloudFormation refuses stops; rules are ignorable."""

from __future__ import annotations

import glob
import os
import re

import pytest

from harness.errors import InputError
from harness.inputs.cloudformation import parse_template_text
from harness.inputs.lint import FATAL_RULES, Finding, check_ignores, ignored, lint
from tests.inputs.conftest import ROLE, cfn

# A resource-level Description (CloudFormation accepts it, cfn-lint E3001 does not), a shell variable in an inline
# buildspec named like a parameter (E1029), a Lambda runtime long deprecated (E2533) and an unused parameter (W2001).
ADVISED = """
  BuildRole:
    Type: AWS::IAM::Role
    Description: the role the build runs as
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt BuildRole.Arn
      Artifacts: {Type: NO_ARTIFACTS}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
      Source:
        Type: NO_SOURCE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - cfn-lint ${TemplatesPath}/*.yaml
  Cleaner:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python2.7
      Handler: index.handler
      Role: !GetAtt BuildRole.Arn
      Code: {ZipFile: "def handler(event, context): pass"}
"""
UNUSED = "Parameters:\n  Unused: {Type: String, Default: x}\n  TemplatesPath: {Type: String, Default: templates}\n"


def lint_notes(notes: tuple[str, ...]) -> list[str]:
    return [note for note in notes if note.startswith("cfn-lint ")]


def test_findings_cloudformation_accepts_are_notes_in_line_order() -> None:
    definition = cfn(ADVISED, UNUSED, lint_template=True)
    notes = lint_notes(definition.notes)
    assert notes == [
        "cfn-lint W2001 line 3: Parameter Unused not used.",
        "cfn-lint W2001 line 4: Parameter TemplatesPath not used.",
        "cfn-lint E3001 line 9: Additional properties are not allowed ('Description' was unexpected)",
        'cfn-lint E1029 line 23: Found an embedded parameter "${TemplatesPath}" outside of an "Fn::Sub" at '
        "Resources/Build/Properties/Source/BuildSpec",
        notes[4],
    ]
    assert notes[4].startswith("cfn-lint E2533 line 32: Runtime 'python2.7' was deprecated"), notes[4]
    # ...and the loader reads the template, resource-level Description included.
    assert {r.name for r in definition.resources} == {"build-role", "build", "cleaner"}


def test_the_loader_accepts_a_resource_level_description() -> None:
    resources = ROLE.replace("    Type: AWS::IAM::Role\n", "    Type: AWS::IAM::Role\n    Description: builds\n")
    definition = cfn(resources)
    assert [r.name for r in definition.resources] == ["build-role"]
    assert not any("Description" in note for note in definition.notes), definition.notes


def test_a_rule_cloudformation_refuses_stops_with_each_finding_and_its_reason() -> None:
    resources = ROLE + "  Topic:\n    Type: AWS::SNS::Topic\n    DependsOn: BuildRol\n"
    with pytest.raises(InputError) as info:
        cfn(resources, lint_template=True)
    assert str(info.value) == (
        "t.yaml:13: expected a template CloudFormation accepts, found 1 finding(s) it refuses: cfn-lint E3005 line "
        "13: 'BuildRol' is not one of ['BuildRole'] (DependsOn names a resource that is not declared or not created "
        "under the template's conditions; CloudFormation refuses the unresolved dependency); correct the template "
        "at those lines"
    )
    assert info.value.line == 13


def test_a_cycle_lists_every_finding() -> None:
    resources = "  A:\n    Type: AWS::SNS::Topic\n    DependsOn: B\n  B:\n    Type: AWS::SNS::Topic\n    DependsOn: A\n"
    with pytest.raises(InputError) as info:
        cfn(resources, lint_template=True)
    message = str(info.value)
    assert message.startswith("t.yaml:3: expected a template CloudFormation accepts, found 2 finding(s) it refuses:")
    assert "cfn-lint E3004 line 3: Circular Dependencies for resource A" in message
    assert "cfn-lint E3004 line 6: Circular Dependencies for resource B" in message


def test_a_template_version_cloudformation_does_not_know_stops() -> None:
    with pytest.raises(InputError) as info:
        parse_template_text("AWSTemplateFormatVersion: '2011-01-01'\nResources:\n" + ROLE, "t.yaml")
    assert str(info.value) == (
        "t.yaml:1: expected a template CloudFormation accepts, found 1 finding(s) it refuses: cfn-lint E1001 line 1: "
        "'2011-01-01' is not one of ['2010-09-09'] (the template's basic structure (sections, Resources present, "
        "AWSTemplateFormatVersion 2010-09-09) fails CloudFormation's template format validation); correct the "
        "template at those lines"
    )


def test_ignored_rules_by_id_and_by_prefix_are_not_shown() -> None:
    everything = lint_notes(cfn(ADVISED, UNUSED, lint_template=True).notes)
    by_id = lint_notes(cfn(ADVISED, UNUSED, lint_template=True, lint_ignore=["E3001"]).notes)
    assert [n for n in everything if not n.startswith("cfn-lint E3001 ")] == by_id
    by_prefix = lint_notes(cfn(ADVISED, UNUSED, lint_template=True, lint_ignore=["W", "E25"]).notes)
    assert [n for n in everything if not n.startswith(("cfn-lint W", "cfn-lint E25"))] == by_prefix
    assert any(n.startswith("cfn-lint E3001 ") for n in by_prefix)


def test_an_ignored_fatal_rule_no_longer_stops() -> None:
    resources = ROLE + "  Topic:\n    Type: AWS::SNS::Topic\n    DependsOn: BuildRol\n"
    definition = cfn(resources, lint_template=True, lint_ignore=["E3005"])
    assert not any("E3005" in note for note in definition.notes)


def test_ignore_values_are_rule_ids_or_prefixes() -> None:
    assert check_ignores(["E3001", "W", "E30", "I"]) == ("E3001", "W", "E30", "I")
    with pytest.raises(InputError) as info:
        check_ignores(["E3001", "3001"], "--pw-lint-ignore")
    assert str(info.value) == (
        "--pw-lint-ignore '3001': expected a cfn-lint rule id or a prefix of one (E3001, W, E30, I), found "
        "'3001'; name the rule as cfn-lint prints it"
    )
    assert ignored("E3001", ["E3"]) and not ignored("E3001", ["E30012", "W"]) and not ignored("", ["E"])


def test_informational_findings_are_included() -> None:
    resources = "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Join ['', [a, b]]\n"
    findings = lint("Resources:\n" + resources)
    assert Finding("I1022", 5, "Prefer using Fn::Sub over Fn::Join with an empty delimiter") in findings


def test_a_linter_crash_is_a_note_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import cfnlint.api

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cfnlint.api, "lint", crash)
    definition = cfn(ROLE, lint_template=True)
    assert "cfn-lint: could not check the template (RuntimeError)" in definition.notes


def test_a_finding_without_a_line() -> None:
    assert Finding("W1001", 0, "m").note == "cfn-lint W1001: m"
    assert Finding("E3005", 4, "m").fatal and not Finding("E3001", 4, "m").fatal


def test_every_fatal_rule_is_a_cfn_lint_rule() -> None:
    import cfnlint.rules

    folder = os.path.dirname(cfnlint.rules.__file__)
    declared = set()
    for path in glob.glob(os.path.join(folder, "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as source:
            declared.update(re.findall(r'\bid = "([EWI]\d{4})"', source.read()))
    assert set(FATAL_RULES) <= declared, set(FATAL_RULES) - declared
    assert all(FATAL_RULES.values())
