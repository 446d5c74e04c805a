"""Templates with connections and a Security Hub deploy on moto: references to them resolve to their ARNs in what
refers to them (a pipeline's source action, a policy), and destroy leaves nothing behind."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

from harness.backends import Backend
from harness.inputs.cloudformation import parse_template_text
from harness.provider.lifecycle import Provider
from harness.provider.resources.codestar_connection import SourceConnection, connection_name

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  MySecurityHub:
    Type: AWS::SecurityHub::Hub
    Properties:
      Tags: {Name: MySecurityHub, Purpose: Security}
  GitHub:
    Type: AWS::CodeStarConnections::Connection
    Properties:
      ConnectionName: acme-github
      ProviderType: GitHub
  Artifacts:
    Type: AWS::S3::Bucket
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codepipeline.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: pipeline
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: codestar-connections:UseConnection, Resource: !Ref GitHub}
              - {Effect: Allow, Action: ["securityhub:Get*", "securityhub:Describe*"], Resource: !Ref MySecurityHub}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore: {Type: S3, Location: !Ref Artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"}
              Configuration: {ConnectionArn: !GetAtt GitHub.ConnectionArn, FullRepositoryId: acme/app, BranchName: main}
              OutputArtifacts: [{Name: src}]
        - Name: Approve
          Actions:
            - Name: Approve
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
"""


def test_refs_to_a_hub_and_a_connection_deploy_as_their_arns(backend: Backend, provider: Provider) -> None:
    definition = parse_template_text(textwrap.dedent(TEMPLATE), "t.yaml", lint_template=False)
    provider.apply(definition)
    hub_arn = provider.state["security_hubs.my-security-hub"].arn
    connection_arn = provider.state["connections.git-hub"].arn
    assert hub_arn == "arn:aws:securityhub:us-east-1:123456789012:hub/default"
    assert connection_arn.startswith("arn:aws:codestar-connections:us-east-1:123456789012:connection/")
    iam = backend.client("iam")
    document = iam.get_role_policy(RoleName=f"{provider.prefix}pipeline-role", PolicyName="pipeline")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert [s["Resource"] for s in document["Statement"]] == [connection_arn, hub_arn]
    pipeline = backend.client("codepipeline").get_pipeline(name=f"{provider.prefix}pipeline")["pipeline"]
    assert pipeline["stages"][0]["actions"][0]["configuration"]["ConnectionArn"] == connection_arn
    assert backend.client("securityhub").describe_hub()["HubArn"] == hub_arn

    assert provider.destroy(definition) == []
    assert provider.leftovers() == []
    assert backend.client("codestar-connections").list_connections()["Connections"] == []


def test_a_long_connection_name_is_shortened_to_the_32_characters_aws_allows(provider: Provider) -> None:
    long = SourceConnection(name="release-pipeline-github-connection", provider_type="GitHub")
    name = connection_name(provider.ctx, long)
    assert len(name) == 32
    assert name.startswith(f"{provider.prefix}release-pipel-")
    assert name != connection_name(provider.ctx, replace(long, name="release-pipeline-github-other"))
    short = SourceConnection(name="github", provider_type="GitHub")
    assert connection_name(provider.ctx, short) == f"{provider.prefix}github"
