"""EventBridge rules and their targets as CloudFormation and Terraform plans spell them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.event_rule import EventRule, EventTarget, InputTransformer
from harness.provider.resources.lambda_function import FunctionPermission
from tests.inputs.conftest import cfn, named, only
from tests.inputs.tfplan import R, caller, plan, ref, trust

UNVERIFIED = "not modelled; scenarios depending on it are unverified"

PIPELINE = """
  ArtifactBucket:
    Type: AWS::S3::Bucket
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: codepipeline.amazonaws.com}, Action: sts:AssumeRole}]
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref ArtifactBucket}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: app, BranchName: master, PollForSourceChanges: false}
              OutputArtifacts: [{Name: src}]
        - Name: Approve
          Actions:
            - Name: Approve
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
  EventsRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: start
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: codepipeline:StartPipelineExecution
                Resource: !Join ["", ["arn:aws:codepipeline:", !Ref "AWS::Region", ":", !Ref "AWS::AccountId", ":",
                                      !Ref Pipeline]]
"""


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def test_cloudformation_rule_starting_a_pipeline_on_a_source_change() -> None:
    # The common shape: the target ARN is joined around the pipeline's name, and the rule's role may start it.
    d = cfn(
        PIPELINE
        + """
  CodePipelineEventTrigger:
    Type: "AWS::Events::Rule"
    Properties:
      Description: Start the pipeline when the source branch changes
      State: ENABLED
      EventPattern:
        source: [aws.codecommit]
        detail-type: [CodeCommit Repository State Change]
        resources: [!Sub "arn:aws:codecommit:${AWS::Region}:${AWS::AccountId}:app"]
        detail: {event: [referenceCreated, referenceUpdated], referenceType: [branch], referenceName: [master]}
      Targets:
        - Id: TargetCodePipeline
          Arn: !Join ["", ["arn:aws:codepipeline:", !Ref "AWS::Region", ":", !Ref "AWS::AccountId", ":",
                           !Ref Pipeline]]
          RoleArn: !GetAtt [EventsRole, Arn]
"""
    )
    rule = only(d, "event_rules")
    assert isinstance(rule, EventRule)
    assert rule.name == "code-pipeline-event-trigger"
    assert rule.pattern["source"] == ["aws.codecommit"]
    # The repository is named, not declared: its stand-in's ARN is what the pattern matches once deployed.
    assert rule.pattern["resources"] == ["${repositories.app.arn}"]
    assert rule.targets == (EventTarget(pipeline="pipeline", role="events-role", id="TargetCodePipeline"),)
    assert (rule.enabled, rule.schedule) == (True, "")
    assert not [n for n in d.notes if "CodePipelineEventTrigger" in n], d.notes


def test_cloudformation_rule_notifying_a_topic_through_an_input_transformer() -> None:
    d = cfn(
        """
  Alerts:
    Type: AWS::SNS::Topic
  BuildStateRule:
    Type: "AWS::Events::Rule"
    Properties:
      EventPattern:
        source: [aws.codebuild]
        detail-type: [CodeBuild Build State Change]
        detail: {build-status: [FAILED, SUCCEEDED]}
      State: "ENABLED"
      Targets:
        - Arn: !Ref Alerts
          Id: BuildNotification
          InputTransformer:
            InputPathsMap: {build-id: "$.detail.build-id", build-status: "$.detail.build-status"}
            InputTemplate: |
              {"buildStatus": "Build <build-id> has reached status of <build-status>"}
"""
    )
    (target,) = only(d, "event_rules").targets
    assert (target.kind, target.topic, target.id) == ("topic", "alerts", "BuildNotification")
    assert target.input_transformer == InputTransformer(
        '{"buildStatus": "Build <build-id> has reached status of <build-status>"}\n',
        {"build-id": "$.detail.build-id", "build-status": "$.detail.build-status"},
    )
    assert not d.notes, d.notes


def test_cloudformation_rule_naming_a_pipeline_by_a_spelled_out_name_is_noted() -> None:
    d = cfn(
        PIPELINE
        + """
  SourceEvent:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [aws.codecommit]}
      Targets:
        - Arn: !Join [":", [arn, aws, codepipeline, !Ref "AWS::Region", !Ref "AWS::AccountId", !Ref "AWS::StackName"]]
          Id: ProjectPipelineTarget
          RoleArn: !GetAtt EventsRole.Arn
"""
    )
    (target,) = only(d, "event_rules").targets
    assert (target.kind, target.arn, target.role) == (
        "arn",
        "arn:aws:codepipeline:${region}:${account_id}:t",
        "events-role",
    )
    assert (
        "Resources.SourceEvent.Properties.Targets[0].Arn: sends events to "
        f"'arn:aws:codepipeline:${{region}}:${{account_id}}:t', outside the definition; {UNVERIFIED}"
    ) in d.notes


def test_cloudformation_scheduled_rule_invoking_a_function_it_is_allowed_to() -> None:
    # The rule names the function and the function's permission names the rule: a cycle the model spells out.
    d = cfn(
        """
  FunctionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FunctionRole.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(event, context): return None"}
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      State: DISABLED
      Targets: [{Id: fn, Arn: !GetAtt Fn.Arn, Input: '{"mode": "full"}'}]
  FromNightly:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Nightly.Arn
"""
    )
    rule = only(d, "event_rules")
    assert (rule.schedule, rule.pattern, rule.enabled) == ("rate(1 day)", {}, False)
    assert rule.targets == (EventTarget(function="fn", id="fn", input='{"mode": "full"}'),)
    (permission,) = only(d, "functions").permissions
    assert permission == FunctionPermission(
        "FromNightly",
        "events.amazonaws.com",
        source_arn="arn:${partition}:events:${region}:${account_id}:rule/${physical:event_rules/nightly}",
    )


def test_cloudformation_targets_outside_the_definition_and_other_buses_are_noted() -> None:
    d = cfn(
        """
  Logs:
    Type: AWS::Logs::LogGroup
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: audit
      EventPattern: {source: [aws.codepipeline]}
      Targets:
        - {Id: logs, Arn: !GetAtt Logs.Arn}
        - Id: queue
          Arn: !Sub arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:pipeline-events
          RetryPolicy: {MaximumRetryAttempts: 2}
"""
    )
    targets = only(d, "event_rules").targets
    assert [t.kind for t in targets] == ["log_group", "arn"]
    assert targets[1].arn == "arn:aws:sqs:${region}:${account_id}:pipeline-events"
    notes = "\n".join(d.notes)
    assert (
        "Resources.Rule.Properties.EventBusName: a rule of the event bus 'audit' is deployed on the default bus"
        in notes
    )
    assert f"Resources.Rule.Properties.Targets[1].RetryPolicy: {UNVERIFIED}" in notes
    assert "Resources.Rule.Properties.Targets[1].Arn: sends events to 'arn:aws:sqs:" in notes


def test_cloudformation_pipeline_target_without_a_role_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        cfn(
            PIPELINE
            + """
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [aws.codecommit]}
      Targets: [{Id: p, Arn: !Sub "arn:aws:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}"}]
"""
        )
    assert "expected a role that EventBridge assumes to call the pipeline, found none" in str(caught.value)
    assert "Resources.Rule.Properties.Targets[0]" in str(caught.value)


def test_cloudformation_rule_without_pattern_or_schedule_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        cfn("  Rule:\n    Type: AWS::Events::Rule\n    Properties: {Description: nothing}\n")
    assert caught.value.expected == "an event pattern or a schedule"


def test_terraform_scheduled_rule_invoking_a_function_through_a_target_and_a_permission() -> None:
    # The shape of a metrics function run on a schedule: the target's ARN and the permission's source are known
    # only after apply and rebuilt from the configuration's references.
    role = R(
        "aws_iam_role",
        "lambda_execution_role",
        {"name": "metrics-execution", "assume_role_policy": trust("lambda.amazonaws.com"), "path": "/"},
        unknown={"arn": True, "id": True, "unique_id": True},
    )
    function = R(
        "aws_lambda_function",
        "lambda",
        {"function_name": "metrics-lambda", "handler": "main.handler", "runtime": "python3.12", "filename": "l.zip"},
        unknown={"arn": True, "role": True},
        expressions={"role": ref("aws_iam_role.lambda_execution_role.arn", "aws_iam_role.lambda_execution_role")},
    )
    rule = R(
        "aws_cloudwatch_event_rule",
        "metrics_schedule",
        {
            "name": "metrics-lambda-pri20210708075056362700000001",
            "name_prefix": "metrics-lambda-pri",
            "description": "",
            "event_bus_name": "default",
            "event_pattern": None,
            "is_enabled": True,
            "role_arn": "",
            "schedule_expression": "rate(2 minutes)",
            "tags": {"Team": "Metrics"},
        },
        unknown={"arn": True, "id": True},
    )
    target = R(
        "aws_cloudwatch_event_target",
        "metric_event_target",
        {
            "batch_target": [],
            "dead_letter_config": [],
            "ecs_target": [],
            "event_bus_name": "default",
            "input": '{"actions":["publish_alb_max_rules"]}',
            "input_path": "",
            "input_transformer": [],
            "retry_policy": [],
            "role_arn": "",
            "rule": "metrics-lambda-pri20210708075056362700000001",
            "sqs_target": [],
            "target_id": "terraform-20210708075329318900000003",
        },
        unknown={"arn": True, "id": True},
        expressions={
            "arn": ref("aws_lambda_function.lambda"),
            "rule": ref("aws_cloudwatch_event_rule.metrics_schedule"),
        },
    )
    permission = R(
        "aws_lambda_permission",
        "allow_metric_event_bridge",
        {"action": "lambda:InvokeFunction", "function_name": "metrics-lambda", "principal": "events.amazonaws.com"},
        unknown={"id": True, "statement_id": True, "source_arn": True},
        expressions={"source_arn": ref("aws_cloudwatch_event_rule.metrics_schedule.arn")},
    )
    d = load(plan(role, function, rule, target, permission, data=caller()))
    found = only(d, "event_rules")
    assert (found.name, found.schedule, found.enabled, found.tags) == (
        "metrics-schedule",
        "rate(2 minutes)",
        True,
        {"Team": "Metrics"},
    )
    assert found.targets == (
        EventTarget(
            function="lambda", id="terraform-20210708075329318900000003", input='{"actions":["publish_alb_max_rules"]}'
        ),
    )
    (permission_found,) = only(d, "functions").permissions
    assert (
        permission_found.source_arn
        == "arn:${partition}:events:${region}:${account_id}:rule/${physical:event_rules/metrics-schedule}"
    )
    assert not [n for n in d.notes if UNVERIFIED in n], d.notes


def test_terraform_rule_starting_a_pipeline_with_its_role() -> None:
    events = R(
        "aws_iam_role",
        "events",
        {"name": "acme-events", "assume_role_policy": trust("events.amazonaws.com"), "path": "/"},
        unknown={"arn": True, "id": True, "unique_id": True},
    )
    pipeline_role = R(
        "aws_iam_role",
        "pipeline",
        {"name": "acme-pipeline", "assume_role_policy": trust("codepipeline.amazonaws.com"), "path": "/"},
        unknown={"arn": True, "id": True, "unique_id": True},
    )
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"})
    pipeline = R(
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
                {"name": "Approve", "action": [{"name": "Approve", "category": "Approval", "owner": "AWS",
                                                "provider": "Manual", "version": "1"}]},
            ],
        },
        unknown={"arn": True, "id": True, "role_arn": True},
        expressions={"role_arn": ref("aws_iam_role.pipeline.arn", "aws_iam_role.pipeline")},
    )  # fmt: skip
    rule = R(
        "aws_cloudwatch_event_rule",
        "on_push",
        {
            "name": "acme-on-push",
            "event_pattern": json.dumps({"source": ["aws.codecommit"], "detail": {"referenceName": ["main"]}}),
            "state": "ENABLED",
            "is_enabled": True,
        },
        unknown={"arn": True, "id": True},
    )
    target = R(
        "aws_cloudwatch_event_target",
        "start",
        {"rule": "acme-on-push", "target_id": "start-release", "input_transformer": [], "input": None},
        unknown={"arn": True, "role_arn": True},
        expressions={
            "arn": ref("aws_codepipeline.release.arn", "aws_codepipeline.release"),
            "role_arn": ref("aws_iam_role.events.arn", "aws_iam_role.events"),
        },
    )
    d = load(plan(events, pipeline_role, bucket, pipeline, rule, target, data=caller()))
    found = named(d, "event_rules", "on-push")
    assert found.pattern == {"source": ["aws.codecommit"], "detail": {"referenceName": ["main"]}}
    assert found.targets == (EventTarget(pipeline="release", role="events", id="start-release"),)


def test_terraform_rule_disabled_by_an_older_provider_and_a_target_of_another_rule() -> None:
    rule = R("aws_cloudwatch_event_rule", "old", {"name": "acme-old", "schedule_expression": "rate(1 hour)",
                                                   "is_enabled": False})  # fmt: skip
    stray = R(
        "aws_cloudwatch_event_target",
        "stray",
        {"rule": "someone-elses-rule", "arn": "arn:aws:sns:eu-west-1:111122223333:elsewhere", "target_id": "x"},
    )
    d = load(plan(rule, stray, data=caller()))
    found = only(d, "event_rules")
    assert (found.enabled, found.targets) == (False, ())
    assert any(
        n.startswith("aws_cloudwatch_event_target.stray.rule: a target of the rule 'someone-elses-rule', outside")
        for n in d.notes
    ), d.notes
