"""Every resource handler on moto: create, read back, update, delete, and drift made with a raw boto3 client."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from harness.backends import Backend
from harness.model.base import Resource
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider
from harness.provider.registry import Registry
from tests.conftest import definition

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

ROLE = """
roles:
  r:
    assumed_by: codebuild.amazonaws.com
    description: {description}
    tags: {{team: {team}}}
    policies:
      logs:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: "logs:PutLogEvents", Resource: "*"}}
"""

MANAGED_POLICY = """
policies:
  p:
    tags: {{team: blue}}
    document:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "{action}", Resource: "*"}}
"""

BUCKET = """
buckets:
  b:
    versioning: {versioning}
    public_access_block: true
    encryption: {{algorithm: AES256}}
    ownership: BucketOwnerPreferred
    acl: log-delivery-write
    logging: {{bucket: b, prefix: access/}}
    tags: {{team: blue}}
"""

KEY = """
keys:
  k:
    description: {description}
    rotation: true
    tags: {{team: blue}}
"""

LOG_GROUP = """
log_groups:
  g:
    retention_days: {days}
    tags: {{team: blue}}
"""

TOPIC = """
topics:
  t:
    tags: {{team: {team}}}
"""

BUILD_ROLE = """
roles:
  build:
    assumed_by: codebuild.amazonaws.com
"""

BUILD_PROJECT = (
    BUILD_ROLE
    + """
build_projects:
  bp:
    service_role: build
    timeout_minutes: {timeout}
    environment:
      variables:
        - {{name: STAGE, value: dev}}
    buildspec:
      version: 0.2
      phases: {{build: {{commands: ["echo hi"]}}}}
"""
)

PIPELINE = """
roles:
  pipeline:
    assumed_by: codepipeline.amazonaws.com
buckets:
  artifacts: {{}}
pipelines:
  pl:
    role: pipeline
    artifact_store: {{bucket: artifacts}}
    tags: {{team: blue}}
    stages:
      - name: Source
        actions:
          - name: Source
            category: Source
            provider: S3
            configuration: {{S3Bucket: "${{buckets.artifacts.name}}", S3ObjectKey: {key}}}
            output_artifacts: [source]
      - name: Approve
        actions:
          - {{name: Approve, category: Approval, provider: Manual}}
"""

TRAIL = """
buckets:
  trail-logs: {{}}
trails:
  tr:
    bucket: trail-logs
    log_file_validation: true
    management_events: {management}
    tags: {{team: blue}}
"""


ALARM = """
topics:
  alerts: {{}}
alarms:
  a:
    metric_name: Errors
    namespace: Pipewarden
    threshold: {threshold}
    alarm_actions: [alerts]
    tags: {{team: blue}}
"""

EVENT_RULE = """
log_groups:
  events: {{}}
topics:
  alerts: {{}}
event_rules:
  e:
    pattern: {{source: [aws.codebuild], detail: {{build-status: [{status}]}}}}
    targets: [{{log_group: events}}, {{topic: alerts}}]
"""

METRIC_FILTER = """
log_groups:
  app: {{}}
metric_filters:
  f:
    log_group: app
    pattern: "{pattern}"
    metric_name: Errors
    namespace: Pipewarden
"""


def _drift_role(backend: Backend, p: Provider) -> None:
    backend.client("iam").put_role_policy(RoleName=f"{p.prefix}r", PolicyName="logs", PolicyDocument=json.dumps(ADMIN))


def _drift_policy(backend: Backend, p: Provider) -> None:
    arn = f"arn:aws:iam::{backend.account_id}:policy/{p.prefix}p"
    backend.client("iam").create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ADMIN), SetAsDefault=True)


def _drift_bucket(backend: Backend, p: Provider) -> None:
    backend.client("s3").delete_public_access_block(Bucket=f"{p.prefix}b")


def _drift_key(backend: Backend, p: Provider) -> None:
    kms = backend.client("kms")
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=f"alias/{p.prefix}k")["KeyMetadata"]["KeyId"])


def _drift_log_group(backend: Backend, p: Provider) -> None:
    backend.client("logs").put_retention_policy(logGroupName=f"{p.prefix}g", retentionInDays=1)


def _drift_topic(backend: Backend, p: Provider) -> None:
    arn = f"arn:aws:sns:{backend.region}:{backend.account_id}:{p.prefix}t"
    backend.client("sns").tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "mallory"}])


SECRET = """
secrets:
  s:
    value: {value}
    store: parameter-store
    tags: {{team: blue}}
"""


def _drift_secret(backend: Backend, p: Provider) -> None:
    backend.client("ssm").put_parameter(Name=f"{p.prefix}s", Value="changed", Type="SecureString", Overwrite=True)


def _drift_build_project(backend: Backend, p: Provider) -> None:
    codebuild = backend.client("codebuild")
    project = codebuild.batch_get_projects(names=[f"{p.prefix}bp"])["projects"][0]
    codebuild.delete_project(name=project["name"])
    codebuild.create_project(
        name=project["name"],
        source=project["source"],
        artifacts=project["artifacts"],
        environment=project["environment"],
        serviceRole=project["serviceRole"],
        timeoutInMinutes=480,
    )


def _drift_pipeline(backend: Backend, p: Provider) -> None:
    codepipeline = backend.client("codepipeline")
    declaration = codepipeline.get_pipeline(name=f"{p.prefix}pl")["pipeline"]
    declaration["stages"][1]["actions"][0]["configuration"] = {"CustomData": "approve anything"}
    codepipeline.update_pipeline(pipeline=declaration)


def _drift_trail(backend: Backend, p: Provider) -> None:
    backend.client("cloudtrail").stop_logging(Name=f"{p.prefix}tr")


def _drift_alarm(backend: Backend, p: Provider) -> None:
    arn = f"arn:aws:cloudwatch:{backend.region}:{backend.account_id}:alarm:{p.prefix}a"
    backend.client("cloudwatch").tag_resource(ResourceARN=arn, Tags=[{"Key": "owner", "Value": "mallory"}])


def _drift_event_rule(backend: Backend, p: Provider) -> None:
    # The SNS target is removed behind the harness's back: the rule no longer notifies anyone.
    backend.client("events").remove_targets(Rule=f"{p.prefix}e", Ids=["target-1"])


def _drift_metric_filter(backend: Backend, p: Provider) -> None:
    backend.client("logs").put_metric_filter(
        logGroupName=f"{p.prefix}app",
        filterName=f"{p.prefix}f",
        filterPattern="NOTHING-EVER-MATCHES",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "Pipewarden", "metricValue": "1"}],
    )


VPC = """
vpcs:
  v: {{cidr: 10.0.0.0/16, environment: {env}}}
"""

INTERNET_GATEWAY = """
vpcs:
  a: {{cidr: 10.0.0.0/16}}
  b: {{cidr: 10.1.0.0/16}}
internet_gateways:
  igw: {{vpc: {vpc}}}
"""

SUBNET = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
route_tables:
  one: {{vpc: v}}
  two: {{vpc: v}}
network_acls:
  acl: {{vpc: v}}
subnets:
  s: {{vpc: v, cidr: 10.0.1.0/24, route_table: {table}, network_acl: acl, tags: {{tier: build}}}}
"""

ROUTE_TABLE = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
internet_gateways:
  igw: {{vpc: v}}
route_tables:
  rt:
    vpc: v
    routes: [{{destination: {destination}, internet_gateway: igw}}]
"""

NAT_GATEWAY = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
subnets:
  public: {{vpc: v, cidr: 10.0.0.0/24}}
nat_gateways:
  n: {{subnet: public, tags: {{team: {team}}}}}
"""

VPC_PEERING = """
vpcs:
  a: {{cidr: 10.0.0.0/16}}
  b: {{cidr: 10.1.0.0/16}}
vpc_peerings:
  pc: {{requester: a, accepter: b, accepted: {accepted}}}
"""

VPC_ENDPOINT = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
route_tables:
  rt: {{vpc: v}}
vpc_endpoints:
  e:
    vpc: v
    service: s3
    route_tables: [rt]
    policy:
      Version: "2012-10-17"
      Statement: [{{Effect: Allow, Principal: "*", Action: "{action}", Resource: "arn:aws:s3:::data/*"}}]
"""

SECURITY_GROUP = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
security_groups:
  sg:
    vpc: v
    ingress: [{{protocol: tcp, port: {port}, group: sg, description: from its own members}}]
    egress: [{{protocol: tcp, port: 443, prefix_list: s3}}]
"""

NETWORK_ACL = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
network_acls:
  acl:
    vpc: v
    entries:
      - {{rule: 100, action: allow, cidr: 10.0.0.0/16, protocol: tcp, port: {port}}}
      - {{rule: 100, egress: true, action: allow, cidr: 10.0.0.0/16, protocol: tcp, from_port: 1024, to_port: 65535}}
"""


def _ec2_id(backend: Backend, p: Provider, operation: str, key: str, id_field: str, name: str) -> str:
    items = getattr(backend.client("ec2"), operation)()[key]
    return next(i[id_field] for i in items if {"Key": "Name", "Value": f"{p.prefix}{name}"} in i.get("Tags", []))


def _tag_as_mallory(operation: str, key: str, id_field: str, name: str) -> Callable[[Backend, Provider], None]:
    def drift(backend: Backend, p: Provider) -> None:
        ec2_id = _ec2_id(backend, p, operation, key, id_field, name)
        backend.client("ec2").create_tags(Resources=[ec2_id], Tags=[{"Key": "owner", "Value": "mallory"}])

    return drift


def _drift_vpc(backend: Backend, p: Provider) -> None:
    vpc_id = _ec2_id(backend, p, "describe_vpcs", "Vpcs", "VpcId", "v")
    backend.client("ec2").create_tags(Resources=[vpc_id], Tags=[{"Key": "environment", "Value": "prod"}])


def _drift_subnet(backend: Backend, p: Provider) -> None:
    ec2 = backend.client("ec2")
    subnet_id = _ec2_id(backend, p, "describe_subnets", "Subnets", "SubnetId", "s")
    acls = ec2.describe_network_acls()["NetworkAcls"]
    current = next((a, x) for a in acls for x in a.get("Associations", []) if x.get("SubnetId") == subnet_id)
    default = next(a for a in acls if a["IsDefault"] and a["VpcId"] == current[0]["VpcId"])
    ec2.replace_network_acl_association(
        AssociationId=current[1]["NetworkAclAssociationId"], NetworkAclId=default["NetworkAclId"]
    )


def _drift_route_table(backend: Backend, p: Provider) -> None:
    table = _ec2_id(backend, p, "describe_route_tables", "RouteTables", "RouteTableId", "rt")
    igw = _ec2_id(backend, p, "describe_internet_gateways", "InternetGateways", "InternetGatewayId", "igw")
    backend.client("ec2").create_route(RouteTableId=table, DestinationCidrBlock="192.168.0.0/16", GatewayId=igw)


def _drift_vpc_endpoint(backend: Backend, p: Provider) -> None:
    endpoint = _ec2_id(backend, p, "describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "e")
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                          "Resource": "*"}]}  # fmt: skip
    backend.client("ec2").modify_vpc_endpoint(VpcEndpointId=endpoint, PolicyDocument=json.dumps(everything))


def _drift_security_group(backend: Backend, p: Provider) -> None:
    group = _ec2_id(backend, p, "describe_security_groups", "SecurityGroups", "GroupId", "sg")
    backend.client("ec2").authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


def _drift_network_acl(backend: Backend, p: Provider) -> None:
    acl = _ec2_id(backend, p, "describe_network_acls", "NetworkAcls", "NetworkAclId", "acl")
    backend.client("ec2").create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=50, Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0"
    )


REPOSITORY = """
repositories:
  repo:
    description: {description}
    tags: {{team: blue}}
"""

APPROVAL_RULE_TEMPLATE = """
repositories:
  repo: {{}}
approval_rule_templates:
  art:
    approvals_needed: {needed}
    approval_pool: ["arn:aws:sts::${{account_id}}:assumed-role/approver/*"]
    destination_branches: [main]
    repositories: [repo]
"""


def _drift_repository(backend: Backend, p: Provider) -> None:
    arn = p.state["repositories.repo"].arn
    backend.client("codecommit").tag_resource(resourceArn=arn, tags={"team": "mallory"})


def _drift_approval_rule_template(backend: Backend, p: Provider) -> None:
    backend.client("codecommit").disassociate_approval_rule_template_from_repository(
        approvalRuleTemplateName=f"{p.prefix}art", repositoryName=f"{p.prefix}repo"
    )


DB_NETWORK = """
vpcs:
  v: {{cidr: 10.0.0.0/16}}
subnets:
  a: {{vpc: v, cidr: 10.0.1.0/24, availability_zone: us-east-1a}}
  b: {{vpc: v, cidr: 10.0.2.0/24, availability_zone: us-east-1b}}
  c: {{vpc: v, cidr: 10.0.3.0/24, availability_zone: us-east-1c}}
security_groups:
  db: {{vpc: v, ingress: [{{protocol: tcp, port: 5432, cidr: 10.0.0.0/16}}]}}
"""

DB_SUBNET_GROUP = (
    DB_NETWORK
    + """
db_subnet_groups:
  g: {{subnets: {subnets}, tags: {{team: blue}}}}
"""
)

DATABASE = (
    DB_NETWORK
    + """
keys:
  data: {{}}
db_subnet_groups:
  g: {{subnets: [a, b]}}
databases:
  db:
    engine: postgres
    instance_class: {instance_class}
    subnet_group: g
    security_groups: [db]
    storage_encrypted: true
    kms_key: data
    iam_auth: true
    deletion_protection: true
    master_password: managed
    tags: {{environment: prod}}
"""
)

DB_CLUSTER = (
    DB_NETWORK
    + """
db_subnet_groups:
  g: {{subnets: [a, b]}}
db_clusters:
  c:
    engine: aurora-postgresql
    subnet_group: g
    security_groups: [db]
    storage_encrypted: true
    iam_auth: true
    deletion_protection: true
    master_password: set
    tags: {{team: {team}}}
"""
)


def _drift_db_subnet_group(backend: Backend, p: Provider) -> None:
    rds = backend.client("rds")
    arn = rds.describe_db_subnet_groups(DBSubnetGroupName=f"{p.prefix}g")["DBSubnetGroups"][0]["DBSubnetGroupArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "owner", "Value": "mallory"}])


def _drift_database(backend: Backend, p: Provider) -> None:
    backend.client("rds").modify_db_instance(
        DBInstanceIdentifier=f"{p.prefix}db", PubliclyAccessible=True, ApplyImmediately=True
    )


def _drift_db_cluster(backend: Backend, p: Provider) -> None:
    backend.client("rds").modify_db_cluster(
        DBClusterIdentifier=f"{p.prefix}c", DeletionProtection=False, ApplyImmediately=True
    )


ECR_REPOSITORY = """
roles:
  build:
    assumed_by: codebuild.amazonaws.com
ecr_repositories:
  images:
    scan_on_push: true
    tag_mutability: {mutability}
    tags: {{team: blue}}
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: BuildPushes
          Effect: Allow
          Principal: {{AWS: "${{roles.build.arn}}"}}
          Action: [ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload]
    lifecycle_policy:
      rules:
        - rulePriority: 1
          selection: {{tagStatus: untagged, countType: imageCountMoreThan, countNumber: 10}}
          action: {{type: expire}}
"""


def _drift_ecr_repository(backend: Backend, p: Provider) -> None:
    # Someone opens the repository to every account behind the harness's back.
    everyone = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
    backend.client("ecr").set_repository_policy(repositoryName=f"{p.prefix}images", policyText=json.dumps(everyone))


FUNCTION = """
roles:
  runner:
    assumed_by: lambda.amazonaws.com
functions:
  fn:
    role: runner
    runtime: python3.12
    handler: index.handler
    code: |
      def handler(event, context):
          return {{"ok": True}}
    timeout: {timeout}
    environment: {{STAGE: dev, BUCKET: "${{roles.runner.name}}"}}
    tags: {{team: blue}}
    permissions:
      - sid: FromScheduler
        principal: events.amazonaws.com
        source_arn: "arn:aws:events:${{region}}:${{account_id}}:rule/nightly"
        source_account: "${{account_id}}"
"""


def _drift_function(backend: Backend, p: Provider) -> None:
    # Anyone may now invoke the function: a permission added behind the harness's back.
    backend.client("lambda").add_permission(
        FunctionName=f"{p.prefix}fn", StatementId="Everyone", Action="lambda:InvokeFunction", Principal="*"
    )


CONNECTION = """
connections:
  c:
    provider_type: {provider}
    tags: {{team: blue}}
"""

REPORT_GROUP = """
buckets:
  reports: {{}}
report_groups:
  rg:
    type: TEST
    export: {{bucket: "${{buckets.reports.name}}", path: {path}, packaging: ZIP}}
    tags: {{team: blue}}
"""

SECURITY_HUB = """
security_hubs:
  hub:
    control_finding_generator: {generator}
    standards: ["arn:${{partition}}:securityhub:${{region}}::standards/pci-dss/v/3.2.1"]
    tags: {{team: blue}}
"""

PARAMETER = """
parameters:
  p:
    value: "{value}"
    description: image tag
    tags: {{team: blue}}
"""


def _drift_connection(backend: Backend, p: Provider) -> None:
    arn = p.state["connections.c"].arn
    backend.client("codestar-connections").tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "mallory"}])


def _drift_report_group(backend: Backend, p: Provider) -> None:
    backend.client("codebuild").update_report_group(
        arn=p.state["report_groups.rg"].arn,
        exportConfig={
            "exportConfigType": "S3",
            "s3Destination": {"bucket": f"{p.prefix}reports", "path": "junit", "encryptionDisabled": True},
        },
    )


def _drift_security_hub(backend: Backend, p: Provider) -> None:
    backend.client("securityhub").update_security_hub_configuration(AutoEnableControls=False)


def _drift_parameter(backend: Backend, p: Provider) -> None:
    backend.client("ssm").add_tags_to_resource(
        ResourceType="Parameter", ResourceId=f"{p.prefix}p", Tags=[{"Key": "owner", "Value": "mallory"}]
    )


PEOPLE_POLICY = """
policies:
  boundary:
    document:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "codecommit:*", Resource: "*"}}
groups:
  devs: {{}}
"""

USER = (
    PEOPLE_POLICY
    + """
users:
  u:
    path: {path}
    groups: [devs]
    managed_policies: [boundary]
    permissions_boundary: boundary
    login_profile: {{password_reset_required: true}}
    access_keys: 1
    tags: {{team: blue}}
    policies:
      read:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: "codecommit:GitPull", Resource: "*"}}
"""
)

GROUP = """
policies:
  read:
    document:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "s3:GetObject", Resource: "*"}}
groups:
  g:
    path: {path}
    managed_policies: [read]
    policies:
      push:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Action: "codecommit:GitPush", Resource: "*"}}
"""

INSTANCE_PROFILE = """
roles:
  one: {{assumed_by: ec2.amazonaws.com}}
  two: {{assumed_by: ec2.amazonaws.com}}
instance_profiles:
  ip:
    roles: [{role}]
    tags: {{team: blue}}
"""

OIDC_PROVIDER = """
oidc_providers:
  github:
    url: https://token.actions.githubusercontent.com
    client_ids: [sts.amazonaws.com]
    thumbprints: [{thumbprint}]
    tags: {{team: blue}}
roles:
  deploy:
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {{Federated: "${{oidc_providers.github.arn}}"}}
          Action: sts:AssumeRoleWithWebIdentity
"""

SAML_METADATA = (
    "<EntityDescriptor entityID='https://idp.example.com'>" + "<!-- signing keys -->" * 60 + "</EntityDescriptor>"
)

SAML_PROVIDER = """
saml_providers:
  idp:
    metadata: "{metadata}"
    tags: {{team: blue}}
"""


def _drift_user(backend: Backend, p: Provider) -> None:
    backend.client("iam").put_user_policy(UserName=f"{p.prefix}u", PolicyName="admin", PolicyDocument=json.dumps(ADMIN))


def _drift_group(backend: Backend, p: Provider) -> None:
    iam = backend.client("iam")
    arn = iam.create_policy(PolicyName=f"{p.prefix}admin", PolicyDocument=json.dumps(ADMIN))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=f"{p.prefix}g", PolicyArn=arn)


def _drift_instance_profile(backend: Backend, p: Provider) -> None:
    backend.client("iam").remove_role_from_instance_profile(
        InstanceProfileName=f"{p.prefix}ip", RoleName=f"{p.prefix}one"
    )


def _drift_oidc_provider(backend: Backend, p: Provider) -> None:
    # Any GitHub Actions token whose audience is 'mallory' is now accepted.
    backend.client("iam").add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=p.state["oidc_providers.github"].arn, ClientID="mallory"
    )


def _drift_saml_provider(backend: Backend, p: Provider) -> None:
    arn = p.state["saml_providers.idp"].arn
    backend.client("iam").update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=SAML_METADATA + "<!--x-->")




@dataclass(frozen=True)
class Spec:
    """How to exercise one resource type: a template, two sets of values, the field they differ in, and drift."""

    address: str
    template: str
    before: dict[str, Any]
    after: dict[str, Any]
    changed_field: str
    drift: Callable[[Backend, Provider], None]
    drift_field: str

    def definition(self, values: dict[str, Any]) -> Definition:
        return definition(self.template.format(**values))

    @property
    def id(self) -> str:
        return self.address.split(".")[0]


SPECS = [
    Spec("roles.r", ROLE, {"description": "one", "team": "blue"}, {"description": "two", "team": "blue"},
         "description", _drift_role, "inline_policies"),
    Spec("policies.p", MANAGED_POLICY, {"action": "s3:GetObject"}, {"action": "s3:PutObject"},
         "document", _drift_policy, "document"),
    Spec("buckets.b", BUCKET, {"versioning": "true"}, {"versioning": "false"},
         "versioning", _drift_bucket, "public_access_block"),
    Spec("keys.k", KEY, {"description": "one"}, {"description": "two"}, "description", _drift_key, "rotation"),
    Spec("log_groups.g", LOG_GROUP, {"days": 30}, {"days": 90}, "retention_days", _drift_log_group, "retention_days"),
    Spec("topics.t", TOPIC, {"team": "blue"}, {"team": "red"}, "tags", _drift_topic, "tags"),
    Spec("build_projects.bp", BUILD_PROJECT, {"timeout": 15}, {"timeout": 30},
         "timeout_minutes", _drift_build_project, "timeout_minutes"),
    Spec("pipelines.pl", PIPELINE, {"key": "source.zip"}, {"key": "other.zip"},
         "stages", _drift_pipeline, "stages"),
    Spec("trails.tr", TRAIL, {"management": "All"}, {"management": "WriteOnly"},
         "management_events", _drift_trail, "logging"),
    Spec("secrets.s", SECRET, {"value": "one"}, {"value": "two"}, "value", _drift_secret, "value"),
    Spec("alarms.a", ALARM, {"threshold": 1}, {"threshold": 5}, "threshold", _drift_alarm, "tags"),
    Spec("event_rules.e", EVENT_RULE, {"status": "TIMED_OUT"}, {"status": "FAILED"}, "pattern", _drift_event_rule,
         "targets"),
    Spec("metric_filters.f", METRIC_FILTER, {"pattern": "ERROR"}, {"pattern": "FATAL"},
         "pattern", _drift_metric_filter, "pattern"),
    Spec("vpcs.v", VPC, {"env": "dev"}, {"env": "staging"}, "tags", _drift_vpc, "tags"),
    Spec("internet_gateways.igw", INTERNET_GATEWAY, {"vpc": "a"}, {"vpc": "b"}, "vpc",
         _tag_as_mallory("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "igw"), "tags"),
    Spec("subnets.s", SUBNET, {"table": "one"}, {"table": "two"}, "route_table", _drift_subnet, "network_acl"),
    Spec("route_tables.rt", ROUTE_TABLE, {"destination": "0.0.0.0/0"}, {"destination": "10.9.0.0/16"},
         "routes", _drift_route_table, "routes"),
    Spec("nat_gateways.n", NAT_GATEWAY, {"team": "blue"}, {"team": "red"}, "tags",
         _tag_as_mallory("describe_nat_gateways", "NatGateways", "NatGatewayId", "n"), "tags"),
    Spec("vpc_peerings.pc", VPC_PEERING, {"accepted": "false"}, {"accepted": "true"}, "accepted",
         _tag_as_mallory("describe_vpc_peering_connections", "VpcPeeringConnections", "VpcPeeringConnectionId", "pc"),
         "tags"),
    Spec("vpc_endpoints.e", VPC_ENDPOINT, {"action": "s3:GetObject"}, {"action": "s3:PutObject"}, "policy",
         _drift_vpc_endpoint, "policy"),
    Spec("security_groups.sg", SECURITY_GROUP, {"port": 443}, {"port": 8443}, "ingress", _drift_security_group,
         "ingress"),
    Spec("network_acls.acl", NETWORK_ACL, {"port": 443}, {"port": 8443}, "entries", _drift_network_acl, "entries"),
    Spec("repositories.repo", REPOSITORY, {"description": "one"}, {"description": "two"}, "description",
         _drift_repository, "tags"),
    Spec("approval_rule_templates.art", APPROVAL_RULE_TEMPLATE, {"needed": 1}, {"needed": 2}, "content",
         _drift_approval_rule_template, "repositories"),
    Spec("db_subnet_groups.g", DB_SUBNET_GROUP, {"subnets": "[a, b]"}, {"subnets": "[a, b, c]"}, "subnets",
         _drift_db_subnet_group, "tags"),
    Spec("databases.db", DATABASE, {"instance_class": "db.t3.micro"}, {"instance_class": "db.t3.small"},
         "instance_class", _drift_database, "publicly_accessible"),
    Spec("db_clusters.c", DB_CLUSTER, {"team": "blue"}, {"team": "red"}, "tags", _drift_db_cluster,
         "deletion_protection"),
    Spec("ecr_repositories.images", ECR_REPOSITORY, {"mutability": "MUTABLE"}, {"mutability": "IMMUTABLE"},
         "tag_mutability", _drift_ecr_repository, "policy"),
    Spec("functions.fn", FUNCTION, {"timeout": 30}, {"timeout": 60}, "timeout", _drift_function, "permissions"),
    Spec("connections.c", CONNECTION, {"provider": "GitHub"}, {"provider": "Bitbucket"}, "provider_type",
         _drift_connection, "tags"),
    Spec("report_groups.rg", REPORT_GROUP, {"path": "junit"}, {"path": "coverage"}, "export",
         _drift_report_group, "export"),
    Spec("security_hubs.hub", SECURITY_HUB, {"generator": "SECURITY_CONTROL"}, {"generator": "STANDARD_CONTROL"},
         "control_finding_generator", _drift_security_hub, "auto_enable_controls"),
    Spec("parameters.p", PARAMETER, {"value": "1.0.0"}, {"value": "1.0.1"}, "value", _drift_parameter, "tags"),
    Spec("users.u", USER, {"path": "/ci/"}, {"path": "/people/"}, "path", _drift_user, "inline_policies"),
    Spec("groups.g", GROUP, {"path": "/teams/"}, {"path": "/people/"}, "path", _drift_group, "managed_policies"),
    Spec("instance_profiles.ip", INSTANCE_PROFILE, {"role": "one"}, {"role": "two"}, "roles",
         _drift_instance_profile, "roles"),
    Spec("oidc_providers.github", OIDC_PROVIDER, {"thumbprint": "a" * 40}, {"thumbprint": "b" * 40}, "thumbprints",
         _drift_oidc_provider, "client_ids"),
    Spec("saml_providers.idp", SAML_PROVIDER, {"metadata": SAML_METADATA}, {"metadata": SAML_METADATA + "<!---->"},
         "metadata", _drift_saml_provider, "metadata"),
]  # fmt: skip

by_type = pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])


def _resource(d: Definition, address: str) -> Resource:
    section, name = address.split(".")
    found = d.get(section, name)
    assert found is not None
    return found


def _comparable(backend: Backend, resource: Resource, values: dict[str, Any]) -> dict[str, Any]:
    """Drop the fields the backend accepts but does not store (they are never compared)."""
    return {k: v for k, v in values.items() if (resource.SECTION, k) not in backend.unstored_fields}


def test_every_registered_type_is_covered() -> None:
    missing = sorted(set(Registry.discover().handlers) - {s.id for s in SPECS})
    assert missing == [], f"add a Spec to tests/provider/test_handlers.py for each of: {', '.join(missing)}"
    assert len({s.id for s in SPECS}) == len(SPECS)


@by_type
def test_create_then_read_equals_desired(spec: Spec, backend: Backend, provider: Provider) -> None:
    d = spec.definition(spec.before)
    resource = _resource(d, spec.address)
    handler = provider.registry.handler_for(resource)

    plan = provider.apply(d)

    assert plan.for_address(spec.address).action == "create"  # type: ignore[union-attr]
    actual = handler.read(provider.ctx, resource)
    assert actual is not None
    desired = handler.desired(provider.ctx, resource)
    assert _comparable(backend, resource, actual) == _comparable(backend, resource, desired)
    assert provider.plan(d).empty
    assert provider.state[spec.address].physical_id != ""


@by_type
def test_update_changes_only_the_edited_field(spec: Spec, provider: Provider) -> None:
    provider.apply(spec.definition(spec.before))
    edited = spec.definition(spec.after)
    resource = _resource(edited, spec.address)
    handler = provider.registry.handler_for(resource)
    before = handler.read(provider.ctx, resource)

    plan = provider.apply(edited)

    change = plan.for_address(spec.address)
    assert change is not None and change.action == "update"
    assert [d.field for d in change.diffs] == [spec.changed_field]
    assert [c.address for c in plan.pending()] == [spec.address]
    after = handler.read(provider.ctx, resource)
    assert after is not None and before is not None
    assert after[spec.changed_field] == handler.desired(provider.ctx, resource)[spec.changed_field]
    assert after[spec.changed_field] != before[spec.changed_field]
    assert provider.plan(edited).empty


@by_type
def test_delete_and_the_sweepers_delete_physical(spec: Spec, provider: Provider) -> None:
    d = spec.definition(spec.before)
    provider.apply(d)
    resource = _resource(d, spec.address)
    handler = provider.registry.handler_for(resource)
    assert len(handler.list_by_prefix(provider.ctx, provider.prefix)) == 1
    assert handler.list_by_prefix(provider.ctx, "pw-00000000-") == []

    handler.delete(provider.ctx, resource)

    assert handler.read(provider.ctx, resource) is None
    assert handler.list_by_prefix(provider.ctx, provider.prefix) == []
    handler.delete(provider.ctx, resource)  # deleting what is gone is not an error
    assert provider.plan(d).for_address(spec.address).action == "create"  # type: ignore[union-attr]

    provider.apply(d)  # re-created, then removed the way the sweeper does: by physical id
    (found,) = handler.list_by_prefix(provider.ctx, provider.prefix)
    handler.delete_physical(provider.ctx, found)

    assert handler.read(provider.ctx, resource) is None
    assert handler.list_by_prefix(provider.ctx, provider.prefix) == []


@by_type
def test_drift_shows_as_an_update_of_the_field_and_apply_repairs_it(
    spec: Spec, backend: Backend, provider: Provider
) -> None:
    d = spec.definition(spec.before)
    provider.apply(d)

    spec.drift(backend, provider)

    plan = provider.plan(d)
    change = plan.for_address(spec.address)
    assert change is not None and change.action == "update", plan.render()
    assert [diff.field for diff in change.diffs] == [spec.drift_field]
    assert [c.address for c in plan.pending()] == [spec.address]
    provider.apply(d)
    assert provider.plan(d).empty
