"""How CloudFormation and Terraform plans spell connections, report groups, Security Hub and plain SSM parameters:
each maps field by field, references to them resolve (Ref, Fn::GetAtt, plan references), a pipeline's source
action names its connection, and the corpus cases that use them map without 'not modelled' notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.inputs.cloudformation import parse_template_text
from harness.inputs.harness_yaml import parse_definition
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from tests.inputs.conftest import cfn, named, only
from tests.inputs.tfplan import R, caller, plan, ref, role, trust

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
UNVERIFIED = "not modelled; scenarios depending on it are unverified"


def load(*resources: R) -> Definition:
    return parse_plan_text(json.dumps(plan(*resources, data=caller()), indent=2), "plan.json")


def not_modelled(definition: Definition, fragment: str) -> list[str]:
    """Notes saying a type or property containing ``fragment`` is not modelled."""
    return [n for n in definition.notes if fragment in n and "not modelled" in n]


# -- CloudFormation ---------------------------------------------------------------------------------------------

PIPELINE = """
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
        - PolicyName: source
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: codestar-connections:UseConnection
                Resource: !Ref GitHub
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
              Configuration:
                ConnectionArn: %s
                FullRepositoryId: acme/app
                BranchName: main
                DetectChanges: false
              OutputArtifacts: [{Name: src}]
        - Name: Approve
          Actions:
            - Name: Approve
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
"""

CONNECTIONS = """
  GitHub:
    Type: AWS::CodeStarConnections::Connection
    Properties:
      ConnectionName: acme-github
      ProviderType: GitHub
      Tags: [{Key: team, Value: ci}]
  Lab:
    Type: AWS::CodeConnections::Connection
    Properties:
      ConnectionName: acme-lab
      HostArn: arn:aws:codeconnections:us-east-1:123456789012:host/lab-1234
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - {Key: ref, Value: !Ref GitHub}
        - {Key: arn, Value: !GetAtt Lab.ConnectionArn}
        - {Key: owner, Value: !GetAtt GitHub.OwnerAccountId}
"""


def test_connections_map_provider_host_service_and_tags_and_resolve_as_their_arn() -> None:
    definition = cfn(CONNECTIONS)
    github = named(definition, "connections", "git-hub")
    assert (github.provider_type, github.host_arn, github.service, github.tags) == (
        "GitHub",
        "",
        "codestar-connections",
        {"team": "ci"},
    )
    lab = named(definition, "connections", "lab")
    assert (lab.provider_type, lab.host_arn, lab.service) == (
        "",
        "arn:aws:codeconnections:us-east-1:123456789012:host/lab-1234",
        "codeconnections",
    )
    assert only(definition, "topics").tags == {
        "ref": "${connections.git-hub.arn}",
        "arn": "${connections.lab.arn}",
        "owner": "${account_id}",
    }
    assert (
        "Resources.GitHub: created AVAILABLE; in AWS a connection stays PENDING until its handshake with the "
        "provider is completed in the console" in definition.notes
    )
    assert not_modelled(definition, "Connection") == []


def test_a_connection_names_a_provider_aws_offers() -> None:
    with pytest.raises(InputError) as refused:
        cfn(CONNECTIONS.replace("ProviderType: GitHub", "ProviderType: Gitea"))
    assert "t.yaml:" in str(refused.value)
    assert "(Resources.GitHub.Properties.ProviderType): expected one of Bitbucket, GitHub" in str(refused.value)


def test_a_pipeline_source_action_refers_to_its_connection() -> None:
    definition = cfn(PIPELINE % "!Ref GitHub" + CONNECTIONS)
    source = only(definition, "pipelines").stages[0].actions[0]
    assert source.provider == "CodeStarSourceConnection"
    assert source.configuration == {
        "ConnectionArn": "${connections.git-hub.arn}",
        "FullRepositoryId": "acme/app",
        "BranchName": "main",
        "DetectChanges": "false",
    }
    policy = named(definition, "roles", "pipeline-role").policies["source"]
    assert policy["Statement"][0]["Resource"] == "${connections.git-hub.arn}"
    assert not any("outside the template" in n for n in definition.notes)


def test_a_connection_outside_the_template_stands_in_with_its_provider_unknown() -> None:
    arn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/shared"
    definition = cfn(PIPELINE % arn + CONNECTIONS)
    stand_in = named(definition, "connections", "shared")
    assert (stand_in.service, stand_in.provider_type) == ("codestar-connections", "GitHub")
    assert {u.aspect for u in definition.unknowns_of("connections.shared")} == {"resource", "provider_type", "host_arn"}
    (source,) = [a for s in only(definition, "pipelines").stages for a in s.actions if a.category == "Source"]
    assert source.configuration["ConnectionArn"] == "${connections.shared.arn}"
    (note,) = [n for n in definition.notes if "stands in" in n]
    assert note.startswith(
        "Resources.Pipeline.Properties.Stages[0].Actions[0].Configuration.ConnectionArn: 'arn:aws:codestar-connections:"
    )
    assert note.endswith(
        "is not declared here; an available connection (its provider taken as GitHub) stands in for it as "
        "connections.shared, and scenarios that depend on what the template does not say of it are unverified"
    )


REPORT_GROUPS = """
  Reports:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {Version: "2012-10-17", Statement: []}
  UnitTests:
    Type: AWS::CodeBuild::ReportGroup
    Properties:
      Name: unit-tests
      Type: TEST
      DeleteReports: true
      ExportConfig:
        ExportConfigType: S3
        S3Destination:
          Bucket: !Ref Reports
          Path: junit
          Packaging: ZIP
          EncryptionDisabled: true
      Tags: [{Key: team, Value: ci}]
  Coverage:
    Type: AWS::CodeBuild::ReportGroup
    Properties:
      Type: CODE_COVERAGE
      ExportConfig:
        ExportConfigType: S3
        S3Destination: {Bucket: !Ref Reports, EncryptionKey: !GetAtt Key.Arn}
  Kept:
    Type: AWS::CodeBuild::ReportGroup
    Properties:
      Type: TEST
      ExportConfig: {ExportConfigType: NO_EXPORT}
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags: [{Key: ref, Value: !Ref UnitTests}, {Key: arn, Value: !GetAtt Kept.Arn}]
"""


def test_report_groups_map_type_export_encryption_and_tags() -> None:
    definition = cfn(REPORT_GROUPS)
    unit = named(definition, "report_groups", "unit-tests")
    assert (unit.type, unit.delete_reports, unit.tags) == ("TEST", True, {"team": "ci"})
    assert unit.export is not None
    assert (unit.export.bucket, unit.export.path, unit.export.packaging, unit.export.encrypted) == (
        "${buckets.reports.name}",
        "junit",
        "ZIP",
        False,
    )
    coverage = named(definition, "report_groups", "coverage")
    assert coverage.type == "CODE_COVERAGE"
    assert coverage.export is not None and (coverage.export.encryption_key, coverage.export.encrypted) == ("key", True)
    assert named(definition, "report_groups", "kept").export is None
    assert only(definition, "topics").tags == {
        "ref": "${report_groups.unit-tests.arn}",
        "arn": "${report_groups.kept.arn}",
    }
    assert not_modelled(definition, "ReportGroup") == []


def test_a_report_group_needs_its_export_configuration() -> None:
    with pytest.raises(InputError, match=r"Resources\.Kept\.Properties\.ExportConfig\): expected 'ExportConfig'"):
        cfn(REPORT_GROUPS.replace("      ExportConfig: {ExportConfigType: NO_EXPORT}\n", ""))


HUB = """
  MySecurityHub:
    Type: AWS::SecurityHub::Hub
    Properties:
      EnableDefaultStandards: false
      ControlFindingGenerator: STANDARD_CONTROL
      AutoEnableControls: false
      Tags:
        Name: MySecurityHub
        Purpose: Security
  Pci:
    Type: AWS::SecurityHub::Standard
    Properties:
      StandardsArn: !Sub arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/pci-dss/v/3.2.1
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: ["securityhub:Get*", "securityhub:Describe*"], Resource: !Ref MySecurityHub}
          - {Effect: Allow, Action: securityhub:GetFindings, Resource: !GetAtt MySecurityHub.ARN}
"""


def test_a_hub_maps_its_settings_tags_and_standards_and_ref_is_its_arn() -> None:
    definition = cfn(HUB)
    hub = named(definition, "security_hubs", "my-security-hub")
    assert (hub.enable_default_standards, hub.control_finding_generator, hub.auto_enable_controls) == (
        False,
        "STANDARD_CONTROL",
        False,
    )
    assert hub.tags == {"Name": "MySecurityHub", "Purpose": "Security"}
    assert hub.standards == ("arn:${partition}:securityhub:${region}::standards/pci-dss/v/3.2.1",)
    statements = named(definition, "policies", "reader").document["Statement"]
    assert [s["Resource"] for s in statements] == ["${security_hubs.my-security-hub.arn}"] * 2
    assert not_modelled(definition, "SecurityHub") == []
    assert not any("MySecurityHub" in n and "placeholder" in n for n in definition.notes)


def test_a_definition_holds_one_hub_at_most() -> None:
    second = "  Other:\n    Type: AWS::SecurityHub::Hub\n"
    with pytest.raises(InputError) as refused:
        cfn(HUB + second)
    message = str(refused.value)
    assert message.startswith("t.yaml:")
    assert "expected at most one Security Hub (an account and region hold only one), found 'security_hubs.other' " \
           "besides 'security_hubs.my-security-hub'; keep one of them" in message  # fmt: skip
    yaml_text = "pipewarden: 1\nname: two\nresources:\n  security_hubs:\n    a: {}\n    b: {}\n"
    with pytest.raises(InputError, match=r"two\.yaml:\d+ \(security_hubs\.b\): expected at most one Security Hub"):
        parse_definition(yaml_text, "two.yaml")


def test_a_standard_without_a_hub_in_the_template_is_noted() -> None:
    definition = cfn(HUB.split("  Reader:")[0].replace("Type: AWS::SecurityHub::Hub", "Type: AWS::SNS::Topic", 1))
    assert any(n.startswith("Resources.Pci: subscribes a hub outside the template") for n in definition.notes)


PARAMETERS = """
  ImageTag:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /app/image-tag
      Type: String
      Value: "1.4.2"
      AllowedPattern: "^[0-9.]+$"
      Description: image to deploy
      Tags: {team: ci}
  Regions:
    Type: AWS::SSM::Parameter
    Properties:
      Type: StringList
      Value: eu-west-1,us-east-1
"""


def test_plain_parameters_are_parameters_stored_as_declared() -> None:
    definition = cfn(PARAMETERS)
    tag = named(definition, "parameters", "image-tag")
    assert (tag.type, tag.value, tag.allowed_pattern, tag.description, tag.tags) == (
        "String",
        "1.4.2",
        "^[0-9.]+$",
        "image to deploy",
        {"team": "ci"},
    )
    assert named(definition, "parameters", "regions").type == "StringList"
    assert [r.SECTION for r in definition.resources] == ["parameters", "parameters"]
    assert not any("SecureString" in n for n in definition.notes)


def test_cloudformation_cannot_declare_a_secure_string() -> None:
    with pytest.raises(InputError) as refused:
        cfn(PARAMETERS.replace("Type: StringList", "Type: SecureString"))
    message = str(refused.value)
    assert "(Resources.Regions.Properties.Type): expected String or StringList (CloudFormation cannot create " \
           "SecureString parameters), found 'SecureString'" in message  # fmt: skip
    assert "keep the secret in an AWS::SecretsManager::Secret" in message


def test_a_value_the_allowed_pattern_refuses_is_an_error() -> None:
    with pytest.raises(InputError, match=r"expected a value matching allowed_pattern '\^\[0-9\.\]\+\$'"):
        cfn(PARAMETERS.replace('Value: "1.4.2"', "Value: latest"))


# -- Terraform plans --------------------------------------------------------------------------------------------

NEW = {"id": True, "arn": True}


def _source_pipeline(connection: str) -> R:
    action = {
        "name": "Source",
        "category": "Source",
        "owner": "AWS",
        "provider": "CodeStarSourceConnection",
        "version": "1",
        "run_order": 1,
        "configuration": {"FullRepositoryId": "acme/app", "BranchName": "main"},
        "output_artifacts": ["src"],
        "input_artifacts": [],
    }
    approve = {"name": "Approve", "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
    return R(
        "aws_codepipeline",
        "release",
        {
            "name": "acme-release",
            "artifact_store": [{"location": "acme-artifacts", "type": "S3", "encryption_key": []}],
            "stage": [{"name": "Source", "action": [action]}, {"name": "Approve", "action": [approve]}],
        },
        unknown={"arn": True, "role_arn": True, "stage": [{"action": [{"configuration": {"ConnectionArn": True}}]}]},
        expressions={
            "role_arn": ref("aws_iam_role.pipeline.arn", "aws_iam_role.pipeline"),
            "stage": [{"action": [{"configuration": ref(f"{connection}.arn", connection)}]}],
        },
    )


def test_plan_connections_map_and_a_source_action_refers_to_its_connection() -> None:
    github = R(
        "aws_codestarconnections_connection",
        "github",
        {"name": "acme-github", "provider_type": "GitHub", "tags": {"team": "ci"}},
        unknown={**NEW, "connection_status": True, "owner_account_id": True},
    )
    lab = R("aws_codeconnections_connection", "lab", {"name": "acme-lab", "provider_type": "GitLab"}, unknown=NEW)
    bucket = R("aws_s3_bucket", "artifacts", {"bucket": "acme-artifacts"})
    pipeline_role = role("pipeline", values={"assume_role_policy": trust("codepipeline.amazonaws.com")})
    definition = load(github, lab, bucket, pipeline_role, _source_pipeline("aws_codestarconnections_connection.github"))
    connection = named(definition, "connections", "github")
    assert (connection.provider_type, connection.service, connection.tags) == (
        "GitHub",
        "codestar-connections",
        {"team": "ci"},
    )
    assert named(definition, "connections", "lab").service == "codeconnections"
    source = only(definition, "pipelines").stages[0].actions[0]
    assert source.configuration["ConnectionArn"] == "${connections.github.arn}"
    assert (
        "aws_codepipeline.release.stage[0].action[0].configuration.ConnectionArn: known only after apply; taken as "
        "${connections.github.arn} from the configuration's reference" in definition.notes
    )
    assert not_modelled(definition, "connection") == []


def test_plan_report_group_maps_its_export_by_bucket_name_and_key_reference() -> None:
    key = R("aws_kms_key", "reports", {"description": "k"}, unknown={**NEW, "key_id": True})
    bucket = R("aws_s3_bucket", "reports", {"bucket": "acme-reports"})
    group = R(
        "aws_codebuild_report_group",
        "tests",
        {
            "name": "acme-tests",
            "type": "TEST",
            "delete_reports": False,
            "export_config": [
                {
                    "type": "S3",
                    "s3_destination": [
                        {"bucket": "acme-reports", "encryption_disabled": False, "packaging": "NONE", "path": "junit"}
                    ],
                }
            ],
            "tags": {"team": "ci"},
        },
        unknown={**NEW, "created": True, "export_config": [{"s3_destination": [{"encryption_key": True}]}]},
        expressions={"export_config": [{"s3_destination": [{"encryption_key": ref("aws_kms_key.reports.arn")}]}]},
    )
    definition = load(key, bucket, group)
    tests = named(definition, "report_groups", "tests")
    assert tests.export is not None
    assert (tests.export.bucket, tests.export.path, tests.export.encryption_key, tests.export.encrypted) == (
        "${buckets.reports.name}",
        "junit",
        "reports",
        True,
    )
    assert tests.tags == {"team": "ci"}
    assert not_modelled(definition, "report_group") == []


def test_plan_hub_and_its_standards_subscriptions() -> None:
    account = R(
        "aws_securityhub_account",
        "main",
        {
            "enable_default_standards": True,
            "auto_enable_controls": True,
            "control_finding_generator": "SECURITY_CONTROL",
        },
        unknown=NEW,
    )
    pci = R(
        "aws_securityhub_standards_subscription",
        "pci",
        {"standards_arn": "arn:aws:securityhub:eu-west-1::standards/pci-dss/v/3.2.1"},
        unknown={"id": True},
    )
    definition = load(account, pci)
    hub = only(definition, "security_hubs")
    assert (hub.enable_default_standards, hub.control_finding_generator) == (True, "SECURITY_CONTROL")
    assert hub.standards == ("arn:${partition}:securityhub:${region}::standards/pci-dss/v/3.2.1",)
    alone = load(R("aws_s3_bucket", "b", {"bucket": "acme-b"}), pci)
    assert any(n.startswith("aws_securityhub_standards_subscription.pci: subscribes a hub outside the plan")
               for n in alone.notes)  # fmt: skip


def test_plan_parameters_are_plain_or_secret_by_their_type() -> None:
    tag = R("aws_ssm_parameter", "tag", {"name": "/app/tag", "type": "String", "value": "1.4.2"}, unknown=NEW)
    hosts = R("aws_ssm_parameter", "hosts", {"name": "/app/hosts", "type": "StringList", "value": "a,b"}, unknown=NEW)
    token = R(
        "aws_ssm_parameter",
        "token",
        {"name": "/app/token", "type": "SecureString", "value": "not-a-real-token", "key_id": "alias/aws/ssm"},
        unknown=NEW,
    )
    hidden = R("aws_ssm_parameter", "hidden", {"name": "/app/hidden", "type": "String"}, unknown={**NEW, "value": True})
    definition = load(tag, hosts, token, hidden)
    assert (named(definition, "parameters", "tag").type, named(definition, "parameters", "tag").value) == (
        "String",
        "1.4.2",
    )
    assert named(definition, "parameters", "hosts").type == "StringList"
    secret = named(definition, "secrets", "token")
    assert (secret.store, secret.value) == ("parameter-store", "not-a-real-token")
    assert definition.get("parameters", "token") is None and definition.get("secrets", "tag") is None
    assert named(definition, "parameters", "hidden").value == "pipewarden-stand-in-value"
    assert "aws_ssm_parameter.hidden: no value in the plan; a fixed stand-in value is stored" in definition.notes


def test_a_build_variable_reads_a_parameter_of_the_plan_by_its_name() -> None:
    tag = R("aws_ssm_parameter", "tag", {"name": "/app/tag", "type": "String", "value": "1.4.2"}, unknown=NEW)
    token = R("aws_ssm_parameter", "token", {"name": "/app/token", "type": "SecureString", "value": "x"}, unknown=NEW)
    variables = [
        {"name": "IMAGE_TAG", "value": "/app/tag", "type": "PARAMETER_STORE"},
        {"name": "TOKEN", "value": "/app/token", "type": "PARAMETER_STORE"},
        {"name": "STAGE", "value": "/app/tag", "type": "PLAINTEXT"},
    ]
    project = R(
        "aws_codebuild_project",
        "build",
        {
            "name": "acme-build",
            "source": [{"type": "CODEPIPELINE", "buildspec": "version: 0.2\n"}],
            "artifacts": [{"type": "CODEPIPELINE"}],
            "environment": [
                {
                    "image": "aws/codebuild/standard:7.0",
                    "compute_type": "BUILD_GENERAL1_SMALL",
                    "type": "LINUX_CONTAINER",
                    "environment_variable": variables,
                }
            ],
        },
        unknown={"arn": True, "service_role": True},
        expressions={"service_role": ref("aws_iam_role.build.arn", "aws_iam_role.build")},
    )
    definition = load(role(), tag, token, project)
    found = [(v.name, v.value) for v in only(definition, "build_projects").environment.variables]
    assert found == [
        ("IMAGE_TAG", "${parameters.tag.name}"),
        ("TOKEN", "${secrets.token.name}"),
        ("STAGE", "/app/tag"),
    ]


# -- the corpus -------------------------------------------------------------------------------------------------


def corpus(path: str) -> Path:
    found = CORPUS / path
    if not found.exists():
        pytest.skip(f"the corpus of real templates is not at {CORPUS}")
    return found


def parameters_of(path: Path) -> dict[str, str]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(path.read_text(encoding="utf-8"))}


def test_corpus_eks_devsecops_hub_is_modelled_and_the_roles_refer_to_its_arn() -> None:
    case = corpus("cloudformation/eks-devsecops")
    definition = parse_template_text(
        (case / "build_deployment.yaml").read_text(encoding="utf-8"),
        "build_deployment.yaml",
        parameters_of(case / "params-build_deployment.json"),
        lint_template=False,
    )
    hub = named(definition, "security_hubs", "my-security-hub")
    assert hub.tags == {"Name": "MySecurityHub", "Purpose": "Security"}
    assert not_modelled(definition, "SecurityHub") == []
    assert not any("MySecurityHub" in n for n in definition.notes)
    for name in ("code-pipeline-service-role", "code-build-service-role"):
        text = json.dumps(named(definition, "roles", name).policies)
        assert '"Resource": "${security_hubs.my-security-hub.arn}"' in text


def test_corpus_tfc_issue_522_parameter_is_a_plain_parameter() -> None:
    case = corpus("terraform/tfc-issue-522")
    data = json.loads((case / "plan.json").read_text(encoding="utf-8"))
    # The parameter as the plan shows it. The rest of this plan stops the loader for reasons of its own (format
    # 0.1, inline policies known only after apply, a security group in a VPC outside the plan), so it is left out.
    kept = ("aws_ssm_parameter",)
    data["format_version"] = "1.0"
    for holder in (data["planned_values"]["root_module"], data["configuration"]["root_module"]):
        holder["resources"] = [r for r in holder["resources"] if r["type"] in kept and r["mode"] == "managed"]
    data["resource_changes"] = [c for c in data["resource_changes"] if c["type"] in kept]
    definition = parse_plan_text(json.dumps(data), "plan.json")
    parameter = named(definition, "parameters", "lambda-sg-id")
    # Its value is the id of a security group left out above: known only after apply, so a stand-in is stored.
    assert (parameter.type, parameter.value) == ("String", "pipewarden-stand-in-value")
    assert parameter.tags["Name"] == "metrics-lambda-primary-lambda_sg_id"
    assert not_modelled(definition, "(aws_ssm_parameter): resource type") == []
    assert "aws_ssm_parameter.lambda_sg_id: no value in the plan; a fixed stand-in value is stored" in definition.notes
    assert definition.get("secrets", "lambda-sg-id") is None
