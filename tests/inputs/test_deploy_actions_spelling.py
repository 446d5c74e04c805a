"""CloudFormation deploy actions and their deploy roles, and nested stacks, as templates and plans spell them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.harness_yaml import parse_definition
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.codepipeline import Action, Pipeline
from tests.inputs.conftest import cfn, only
from tests.inputs.tfplan import R, caller, plan, ref, trust

ROLES_AND_BUCKET = """
  ArtifactBucket:
    Type: AWS::S3::Bucket
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: codepipeline.amazonaws.com}, Action: sts:AssumeRole}]
  CloudFormationRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub CloudFormationRole-${AWS::StackName}
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: [cloudformation.amazonaws.com]}, Action: [sts:AssumeRole]}]
      Path: /
"""


def pipeline(deploy_actions: str) -> str:
    return (
        ROLES_AND_BUCKET
        + """
  DeployPipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref ArtifactBucket}
      Stages:
        - Name: Source
          Actions:
            - Name: Template
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: !Ref ArtifactBucket, S3ObjectKey: templates.zip}
              OutputArtifacts: [{Name: CFNTemplateArtifact}]
        - Name: Test
          Actions:
"""
        + deploy_actions
    )


def deploy_actions(d: Definition) -> list[Action]:
    found: Pipeline = only(d, "pipelines")
    return [a for stage in found.stages for a in stage.actions if a.provider == "CloudFormation"]


def test_cloudformation_deploy_action_refers_to_its_deploy_role() -> None:
    d = cfn(
        pipeline(
            """
            - Name: CreateTestStack
              ActionTypeId: {Category: Deploy, Owner: AWS, Version: "1", Provider: CloudFormation}
              InputArtifacts: [{Name: CFNTemplateArtifact}]
              OutputArtifacts: [{Name: CreatedTestCFNStack}]
              Configuration:
                ActionMode: CREATE_UPDATE
                RoleArn:
                  Fn::GetAtt: [CloudFormationRole, Arn]
                Capabilities: CAPABILITY_NAMED_IAM
                StackName:
                  Fn::Sub: Test-${AWS::StackName}
                TemplateConfiguration: CFNTemplateArtifact::config-test.json
                TemplatePath: CFNTemplateArtifact::master-stack.yml
              RunOrder: 1
            - Name: DeleteTestStack
              ActionTypeId: {Category: Deploy, Owner: AWS, Version: "1", Provider: CloudFormation}
              Configuration:
                StackName:
                  Fn::Sub: Test-${AWS::StackName}
                ActionMode: DELETE_ONLY
                RoleArn:
                  Fn::GetAtt: [CloudFormationRole, Arn]
              RunOrder: 4
"""
        )
    )
    create, delete = deploy_actions(d)
    assert (create.deploy_role, delete.deploy_role) == ("cloud-formation-role", "cloud-formation-role")
    assert create.configuration == {
        "ActionMode": "CREATE_UPDATE",
        "Capabilities": "CAPABILITY_NAMED_IAM",
        "StackName": "Test-t",
        "TemplateConfiguration": "CFNTemplateArtifact::config-test.json",
        "TemplatePath": "CFNTemplateArtifact::master-stack.yml",
    }
    assert create.role is None
    assert not [n for n in d.notes if "not modelled" in n], d.notes


def test_cloudformation_change_set_actions_with_parameter_overrides() -> None:
    d = cfn(
        pipeline(
            """
            - Name: GenerateChangeSet
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: 1}
              Configuration:
                ActionMode: CHANGE_SET_REPLACE
                Capabilities: CAPABILITY_IAM
                ChangeSetName: test-stack-changeset
                ParameterOverrides: !Join ['', ['{"DeploymentBucket":"', !Ref ArtifactBucket, '"}']]
                RoleArn: !GetAtt [CloudFormationRole, Arn]
                StackName: !Join ['-', [!Ref 'AWS::StackName', test-stack]]
                TemplatePath: CFNTemplateArtifact::test-stack.yml
              InputArtifacts: [{Name: CFNTemplateArtifact}]
              RunOrder: 1
            - Name: ExecuteChangeSet
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: 1}
              Configuration:
                ActionMode: CHANGE_SET_EXECUTE
                ChangeSetName: test-stack-changeset
                StackName: !Join ['-', [!Ref 'AWS::StackName', test-stack]]
              RunOrder: 2
"""
        )
    )
    generate, execute = deploy_actions(d)
    assert generate.deploy_role == "cloud-formation-role"
    assert generate.configuration["ParameterOverrides"] == '{"DeploymentBucket":"${buckets.artifact-bucket.name}"}'
    # Executing a change set takes no role of its own: the one the change set was made with deploys it.
    assert (execute.deploy_role, execute.configuration["ActionMode"]) == (None, "CHANGE_SET_EXECUTE")


def test_cloudformation_deploy_role_in_another_account_stays_a_literal_arn() -> None:
    d = cfn(
        pipeline(
            """
            - Name: CreateChangeSetTest
              ActionTypeId: {Category: Deploy, Owner: AWS, Version: 1, Provider: CloudFormation}
              Configuration:
                ChangeSetName: sample-lambda-test
                ActionMode: CHANGE_SET_REPLACE
                StackName: sample-lambda-test
                TemplatePath: CFNTemplateArtifact::packaged-template.yml
                RoleArn:
                  Fn::If:
                  - InTestAccount
                  - !Sub arn:aws:iam::${TestAccount}:role/cloudformationdeployer-role
                  - !Ref AWS::NoValue
              RoleArn: !Sub arn:aws:iam::${TestAccount}:role/ToolsAcctCodePipelineCloudFormationRole
"""
        ),
        head="""
Parameters:
  TestAccount: {Type: String, Default: "222233334444"}
Conditions:
  InTestAccount: !Not [!Equals [!Ref TestAccount, ""]]
""",
    )
    (action,) = deploy_actions(d)
    assert action.deploy_role == "arn:aws:iam::222233334444:role/cloudformationdeployer-role"
    assert action.role == "arn:aws:iam::222233334444:role/ToolsAcctCodePipelineCloudFormationRole"
    assert "RoleArn" not in action.configuration


def test_cloudformation_nested_stack_is_ignored_with_its_reason() -> None:
    d = cfn(
        ROLES_AND_BUCKET
        + """
  Network:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://example.com/network.yaml
      Parameters: {Cidr: 10.0.0.0/16}
"""
    )
    assert (
        "Resources.Network (AWS::CloudFormation::Stack): a nested stack: its template (TemplateURL) is not loaded, so "
        "the resources it creates are not deployed and scenarios depending on them are unverified; check that "
        "template on its own"
    ) in d.notes
    assert not [n for n in d.notes if "resource type not modelled" in n]


def _tf_pipeline(configuration: dict[str, Any], unknown: dict[str, Any], expressions: dict[str, Any]) -> R:
    return R(
        "aws_codepipeline",
        "release",
        {
            "name": "acme-release",
            "artifact_store": [{"location": "acme-artifacts", "type": "S3", "encryption_key": []}],
            "stage": [
                {"name": "Source", "action": [{"name": "Source", "category": "Source", "owner": "AWS",
                                               "provider": "S3", "version": "1", "output_artifacts": ["src"],
                                               "configuration": {"S3Bucket": "acme-artifacts",
                                                                 "S3ObjectKey": "s.zip"}}]},
                {"name": "Deploy", "action": [{"name": "Stack", "category": "Deploy", "owner": "AWS",
                                               "provider": "CloudFormation", "version": "1",
                                               "input_artifacts": ["src"], "configuration": configuration}]},
            ],
        },
        unknown={"arn": True, "id": True, "role_arn": True, **unknown},
        expressions={"role_arn": ref("aws_iam_role.pipeline.arn", "aws_iam_role.pipeline"), **expressions},
    )  # fmt: skip


def _tf_roles() -> list[R]:
    return [
        R(
            "aws_iam_role",
            name,
            {"name": f"acme-{name}", "assume_role_policy": trust(f"{service}.amazonaws.com"), "path": "/"},
            unknown={"arn": True, "id": True, "unique_id": True},
        )
        for name, service in (("pipeline", "codepipeline"), ("deploy", "cloudformation"))
    ] + [R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"})]


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def test_terraform_deploy_role_spelled_as_an_arn_becomes_a_reference() -> None:
    configuration = {
        "ActionMode": "CREATE_UPDATE",
        "StackName": "app",
        "TemplatePath": "src::template.yaml",
        "RoleArn": "arn:aws:iam::111122223333:role/acme-deploy",
    }
    d = load(plan(*_tf_roles(), _tf_pipeline(configuration, {}, {}), data=caller()))
    (action,) = deploy_actions(d)
    assert action.deploy_role == "deploy"
    assert "RoleArn" not in action.configuration


def test_terraform_deploy_role_known_only_after_apply_is_taken_from_the_reference() -> None:
    configuration = {"ActionMode": "CREATE_UPDATE", "StackName": "app", "TemplatePath": "src::template.yaml"}
    unknown = {"stage": [{}, {"action": [{"configuration": {"RoleArn": True}}]}]}
    expressions = {
        "stage": [
            {},
            {"action": [{"configuration": {"references": ["aws_iam_role.deploy.arn", "aws_iam_role.deploy"]}}]},
        ]
    }
    d = load(plan(*_tf_roles(), _tf_pipeline(configuration, unknown, expressions), data=caller()))
    (action,) = deploy_actions(d)
    assert action.deploy_role == "deploy", d.notes


def test_terraform_cloudformation_stack_is_ignored() -> None:
    stack = R("aws_cloudformation_stack", "network", {"name": "network", "template_url": "https://example.com/n.yaml"})
    d = load(plan(*_tf_roles(), stack))
    assert any(
        n.startswith("aws_cloudformation_stack.network (aws_cloudformation_stack): a CloudFormation stack")
        for n in d.notes
    )


def test_harness_yaml_deploy_role_as_a_field_or_in_the_configuration() -> None:
    text = """
pipewarden: 1
name: deploys
resources:
  roles:
    pipeline: {assumed_by: codepipeline.amazonaws.com}
    deploy: {assumed_by: cloudformation.amazonaws.com}
  buckets:
    artifacts: {}
  pipelines:
    release:
      role: pipeline
      artifact_store: {bucket: artifacts}
      stages:
        - name: Source
          actions:
            - {name: Source, category: Source, provider: S3, output_artifacts: [src],
               configuration: {S3Bucket: "${buckets.artifacts.name}", S3ObjectKey: s.zip}}
        - name: Deploy
          actions:
            - {name: A, category: Deploy, provider: CloudFormation, deploy_role: deploy,
               configuration: {ActionMode: CREATE_UPDATE, StackName: a}}
            - {name: B, category: Deploy, provider: CloudFormation,
               configuration: {ActionMode: CREATE_UPDATE, StackName: b, RoleArn: "${roles.deploy.arn}"}}
"""
    d = parse_definition(text, "deploys.yaml")
    assert [a.deploy_role for a in deploy_actions(d)] == ["deploy", "deploy"]
    with pytest.raises(InputError) as caught:
        parse_definition(text.replace("deploy_role: deploy,", "deploy_role: nobody,"), "deploys.yaml")
    assert "found 'nobody', which is not declared" in str(caught.value)
    both = text.replace("StackName: a}", 'StackName: a, RoleArn: "${roles.deploy.arn}"}')
    with pytest.raises(InputError) as caught:
        parse_definition(both, "deploys.yaml")
    assert "expected one deploy role for action 'A', found deploy_role and configuration RoleArn" in str(caught.value)
