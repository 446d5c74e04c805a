"""How CloudFormation and Terraform plans spell the data tier: DB subnet groups, instances, clusters and their
members, with the master password kept only as set or managed, and the shapes of the real plans in the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from tests.inputs.conftest import cfn, named, only
from tests.inputs.tfplan import R, plan, ref

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PASSWORD = "Correct-Horse-Battery-Staple-9"

NETWORK = """
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.1.0.0/16}
  DataA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.1.0/24}
  DataB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.2.0/24}
  DbGroup:
    Type: AWS::EC2::SecurityGroup
    Properties: {VpcId: !Ref Vpc, GroupDescription: database}
  Subnets:
    Type: AWS::RDS::DBSubnetGroup
    Properties:
      DBSubnetGroupDescription: data tier
      SubnetIds: [!Ref DataA, !Ref DataB]
      Tags: [{Key: tier, Value: data}]
"""


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def test_cloudformation_instance_with_placement_encryption_and_a_managed_password() -> None:
    resources = (
        NETWORK
        + """
  Key:
    Type: AWS::KMS::Key
  Params:
    Type: AWS::RDS::DBParameterGroup
    Properties: {Family: postgres16, Description: p, Parameters: {rds.force_ssl: 1}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      EngineVersion: "16.3"
      DBInstanceClass: db.m6g.large
      AllocatedStorage: "100"
      DBSubnetGroupName: !Ref Subnets
      VPCSecurityGroups: [!GetAtt DbGroup.GroupId]
      PubliclyAccessible: false
      StorageEncrypted: true
      KmsKeyId: !GetAtt Key.Arn
      EnableIAMDatabaseAuthentication: true
      DeletionProtection: true
      MasterUsername: app
      ManageMasterUserPassword: true
      DBParameterGroupName: !Ref Params
      Tags: [{Key: environment, Value: prod}]
  Reader:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: rds-db:connect, Resource: !GetAtt Db.DBInstanceArn}]
"""
    )
    definition = cfn(resources)
    group = only(definition, "db_subnet_groups")
    assert (group.name, group.subnets, group.description, group.tags) == (
        "subnets",
        ("data-a", "data-b"),
        "data tier",
        {"tier": "data"},
    )
    db = only(definition, "databases")
    assert (db.engine, db.instance_class, db.storage_gb, db.cluster) == ("postgres", "db.m6g.large", 100, None)
    assert (db.subnet_group, db.security_groups) == ("subnets", ("db-group",))
    assert (db.publicly_accessible, db.storage_encrypted, db.kms_key, db.iam_auth, db.deletion_protection) == (
        False,
        True,
        "key",
        True,
        True,
    )
    assert db.master_password == "managed"
    assert db.tags == {"environment": "prod"}
    policy = only(definition, "policies")
    assert policy.document["Statement"][0]["Resource"] == "${databases.db.arn}"
    # The parameter group (rds.force_ssl) is not analysed, and the instance's reference to it says so.
    assert definition.notes == (
        "Resources.Db.Properties.DBParameterGroupName.Ref: Ref of Params (AWS::RDS::DBParameterGroup) has no model "
        "value; a placeholder stands in and scenarios depending on it are unverified",
        "Resources.Db.Properties.DBParameterGroupName: not modelled; scenarios depending on it are unverified",
        "Resources.Params (AWS::RDS::DBParameterGroup): engine settings and options (such as rds.force_ssl or an "
        "audit plugin) are not analysed; scenarios that depend on them are unverified",
    )


def test_cloudformation_cluster_and_member_with_a_password_set() -> None:
    resources = (
        NETWORK
        + f"""
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
      DBSubnetGroupName: !Ref Subnets
      VpcSecurityGroupIds: [!Ref DbGroup]
      StorageEncrypted: true
      MasterUsername: app
      MasterUserPassword: {PASSWORD}
  Writer:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: aurora-postgresql
      DBClusterIdentifier: !Ref Cluster
      DBInstanceClass: db.r6g.large
      DBSubnetGroupName: !Ref Subnets
"""
    )
    definition = cfn(resources)
    cluster = only(definition, "db_clusters")
    assert (cluster.engine, cluster.subnet_group, cluster.storage_encrypted, cluster.master_password) == (
        "aurora-postgresql",
        "subnets",
        True,
        "set",
    )
    assert cluster.security_groups == ("db-group",)
    writer = only(definition, "databases")
    assert (writer.cluster, writer.subnet_group, writer.instance_class) == ("cluster", "subnets", "db.r6g.large")
    assert PASSWORD not in repr(definition)
    assert definition.notes == ()


def test_cloudformation_placement_outside_the_template_is_noted_not_failed() -> None:
    definition = cfn(
        """
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      DBSubnetGroupName: shared-data-subnets
      VPCSecurityGroups: [sg-0123456789abcdef0]
"""
    )
    db = only(definition, "databases")
    assert (db.subnet_group, db.security_groups) == (None, ())
    assert definition.notes == (
        "Resources.Db.Properties: the network placement names 'shared-data-subnets', 'sg-0123456789abcdef0', "
        "outside the definition; the RDS DB instance is deployed outside any VPC here, so isolation scenarios about "
        "it are unverified",
    )


def test_cloudformation_member_settings_belong_on_the_cluster() -> None:
    with pytest.raises(InputError) as failed:
        cfn(
            """
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-mysql}
  Member:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: aurora-mysql
      DBClusterIdentifier: !Ref Cluster
      DBInstanceClass: db.r6g.large
      StorageEncrypted: true
"""
        )
    assert str(failed.value) == (
        "t.yaml:7 (Resources.Member): expected no storage_encrypted on a member of cluster 'cluster', found it set; "
        "set them on the cluster"
    )


def test_terraform_instance_reads_the_password_as_set_and_never_keeps_it() -> None:
    subnets = [
        R("aws_subnet", n, {"cidr_block": c}, unknown={"id": True, "vpc_id": True},
          expressions={"vpc_id": ref("aws_vpc.data.id", "aws_vpc.data")})
        for n, c in (("a", "10.2.1.0/24"), ("b", "10.2.2.0/24"))
    ]  # fmt: skip
    resources = [
        R("aws_vpc", "data", {"cidr_block": "10.2.0.0/16", "tags": {"environment": "prod"}}, unknown={"id": True}),
        *subnets,
        R(
            "aws_security_group",
            "db",
            {"name": "db", "description": "db", "ingress": [], "egress": []},
            unknown={"id": True, "vpc_id": True},
            expressions={"vpc_id": ref("aws_vpc.data.id", "aws_vpc.data")},
        ),
        R(
            "aws_db_subnet_group",
            "data",
            {"name": "acme-data", "description": "Managed by Terraform"},
            unknown={"subnet_ids": True, "id": True, "arn": True},
            expressions={"subnet_ids": ref("aws_subnet.a.id", "aws_subnet.a", "aws_subnet.b.id", "aws_subnet.b")},
        ),
        R(
            "aws_db_instance",
            "orders",
            {
                "identifier": "acme-orders",
                "engine": "postgres",
                "instance_class": "db.t4g.medium",
                "allocated_storage": 50,
                "db_subnet_group_name": "acme-data",
                "publicly_accessible": True,
                "storage_encrypted": False,
                "iam_database_authentication_enabled": None,
                "deletion_protection": None,
                "username": "app",
                "password": PASSWORD,
                "skip_final_snapshot": True,
                "monitoring_interval": 0,
                "tags": {"environment": "prod"},
            },
            unknown={"vpc_security_group_ids": True, "arn": True, "address": True, "endpoint": True},
            expressions={"vpc_security_group_ids": ref("aws_security_group.db.id", "aws_security_group.db")},
        ),
    ]
    definition = load(plan(*resources))
    db = only(definition, "databases")
    assert (db.subnet_group, db.security_groups, db.publicly_accessible, db.storage_gb) == ("data", ("db",), True, 50)
    assert db.master_password == "set"
    assert named(definition, "db_subnet_groups", "data").subnets == ("a", "b")
    assert PASSWORD not in repr(definition) and not any(PASSWORD in n for n in definition.notes)
    assert not [n for n in definition.notes if "not modelled" in n]


def test_terraform_cluster_with_a_managed_password_and_its_instances() -> None:
    resources = [
        R(
            "aws_rds_cluster",
            "orders",
            {
                "cluster_identifier": "acme-orders",
                "engine": "aurora-mysql",
                "storage_encrypted": True,
                "manage_master_user_password": True,
                "iam_database_authentication_enabled": True,
                "deletion_protection": True,
                "master_username": "app",
            },
            unknown={"arn": True, "id": True, "endpoint": True, "kms_key_id": True},
        ),
        R(
            "aws_rds_cluster_instance",
            "orders",
            {"identifier": "acme-orders-0", "engine": "aurora-mysql", "instance_class": "db.r6g.large",
             "publicly_accessible": False},
            unknown={"cluster_identifier": True, "arn": True},
            expressions={"cluster_identifier": ref("aws_rds_cluster.orders.id", "aws_rds_cluster.orders")},
            index=0,
        ),
    ]  # fmt: skip
    definition = load(plan(*resources))
    cluster = only(definition, "db_clusters")
    assert (cluster.master_password, cluster.iam_auth, cluster.deletion_protection, cluster.storage_encrypted) == (
        "managed",
        True,
        True,
        True,
    )
    member = only(definition, "databases")
    assert (member.name, member.cluster, member.instance_class) == ("orders-0", "orders", "db.r6g.large")


def test_terraform_corpus_terragoat_maps_the_database_and_its_subnet_group() -> None:
    path = CORPUS / "terraform" / "checkov-terragoat" / "plan.json"
    if not path.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}; this test reads its real plan")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"] = "1.0"  # format 0.1 is refused before any mapping; the shapes are those of 1.x
    definition = parse_plan_text(json.dumps(data, indent=1), str(path))
    db = named(definition, "databases", "default")
    assert (db.engine, db.instance_class, db.publicly_accessible, db.storage_encrypted) == (
        "mysql",
        "db.t3.micro",
        True,
        False,
    )
    assert (db.subnet_group, db.security_groups, db.master_password) == ("default", ("default",), "set")
    assert named(definition, "db_subnet_groups", "default").subnets == ("web-subnet", "web-subnet2")
    secret = data["planned_values"]["root_module"]["resources"][0]["values"]["password"]
    assert secret not in repr(definition)
    assert not [n for n in definition.notes if "(aws_db_" in n and "not modelled" in n]
    assert sum("engine settings and options" in n for n in definition.notes) == 2  # parameter and option groups
