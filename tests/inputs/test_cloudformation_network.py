"""CloudFormation network and secret types: each maps property by property, split resources fold into their
parent, builds are placed in the template's network, and references outside the template are refused."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.inputs._common import UNVERIFIED
from harness.provider.resources.codebuild_project import VpcConfig, VpcPlacement
from harness.provider.resources.ec2_network_acl import NaclRule
from harness.provider.resources.ec2_route_table import RouteSpec
from harness.provider.resources.ec2_security_group import SecurityGroupRule
from tests.inputs.conftest import ROLE, cfn, named, only

VPC = """
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.1.0.0/16
      Tags: [{Key: Environment, Value: prod}, {Key: team, Value: data}]
  Build:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.1.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}
"""


def error_of(resources: str) -> str:
    with pytest.raises(InputError) as info:
        cfn(resources)
    return str(info.value)


def test_vpc_maps_cidr_environment_and_tags_and_drops_the_name_tag() -> None:
    definition = cfn(
        VPC.replace(
            "Tags: [",
            "EnableDnsSupport: true\n      InstanceTenancy: dedicated\n      Tags: [{Key: Name, Value: main}, ",
        )
    )
    vpc = only(definition, "vpcs")
    assert (vpc.name, vpc.cidr, vpc.environment) == ("vpc", "10.1.0.0/16", "prod")
    assert vpc.tags == {"Environment": "prod", "team": "data"}
    assert (
        "Resources.Vpc.Properties.Tags: Name 'main' is not kept; the harness names EC2 resources after the run "
        "prefix and the logical name" in definition.notes
    )
    # The default DNS setting is nothing to note; a dedicated tenancy is.
    assert f"Resources.Vpc.Properties.EnableDnsSupport: {UNVERIFIED}" not in definition.notes
    assert f"Resources.Vpc.Properties.InstanceTenancy: {UNVERIFIED}" in definition.notes


def test_subnet_maps_vpc_cidr_zone_and_public_addresses() -> None:
    definition = cfn(VPC.replace("AvailabilityZone", "MapPublicIpOnLaunch: true, AvailabilityZone"))
    subnet = only(definition, "subnets")
    assert (subnet.vpc, subnet.cidr, subnet.availability_zone, subnet.map_public_ip) == (
        "vpc",
        "10.1.1.0/24",
        "",  # the region's first zone, known at deploy
        True,
    )
    assert (subnet.route_table, subnet.network_acl) == (None, None)


def test_a_later_zone_chosen_at_deploy_is_noted() -> None:
    definition = cfn(VPC.replace("!Select [0,", "!Select [1,"))
    assert only(definition, "subnets").availability_zone == ""
    assert (
        "Resources.Build.Properties.AvailabilityZone: a zone chosen at deploy; the subnet goes to the region's "
        "first zone" in definition.notes
    )


def test_get_att_cidr_block_is_the_declared_block() -> None:
    resources = (
        VPC
        + """
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: g
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !GetAtt Vpc.CidrBlock}
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: !GetAtt Build.CidrBlock}
"""
    )
    group = only(cfn(resources), "security_groups")
    assert [r.cidr for r in group.ingress] == ["10.1.0.0/16", "10.1.1.0/24"]


SG = (
    VPC
    + """
  Peer:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: peer, VpcId: !Ref Vpc}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: Database
      GroupName: db
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !GetAtt Peer.GroupId, Description: app}
        - {IpProtocol: icmp, FromPort: 8, ToPort: -1, CidrIp: 10.1.0.0/16}
        - {IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv6: "fd00::/8"}
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, DestinationPrefixListId: pl-63a5400a}
      Tags: [{Key: tier, Value: data}]
"""
)


def test_security_group_maps_description_inline_rules_and_explicit_egress() -> None:
    definition = cfn(SG)
    group = named(definition, "security_groups", "group")
    assert (group.vpc, group.description, group.tags) == ("vpc", "Database", {"tier": "data"})
    assert group.ingress == (
        SecurityGroupRule(protocol="tcp", from_port=5432, to_port=5432, group="peer", description="app"),
        SecurityGroupRule(protocol="icmp", from_port=8, to_port=-1, cidr="10.1.0.0/16"),
        SecurityGroupRule(protocol="-1", cidr="fd00::/8"),
    )
    assert group.egress == (SecurityGroupRule(protocol="tcp", from_port=443, to_port=443, prefix_list="pl-63a5400a"),)
    # Without SecurityGroupEgress the group keeps EC2's allow-all rule.
    assert named(definition, "security_groups", "peer").egress is None
    assert "Resources.Group.Properties.GroupName: the group name is the run prefix plus 'group'" in definition.notes


def test_standalone_ingress_and_egress_fold_into_their_group() -> None:
    resources = (
        SG
        + """
  FromBuilds:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref Peer, IpProtocol: tcp, FromPort: 8080, ToPort: 8081, SourceSecurityGroupId: !Ref Group}
  ToDatabase:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !GetAtt Group.GroupId
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      DestinationSecurityGroupId: !GetAtt Peer.GroupId
  PeerOut:
    Type: AWS::EC2::SecurityGroupEgress
    Properties: {GroupId: !Ref Peer, IpProtocol: udp, FromPort: 53, ToPort: 53, CidrIp: 10.1.0.2/32}
"""
    )
    definition = cfn(resources)
    peer = named(definition, "security_groups", "peer")
    group = named(definition, "security_groups", "group")
    assert peer.ingress == (SecurityGroupRule(protocol="tcp", from_port=8080, to_port=8081, group="group"),)
    assert group.egress[-1] == SecurityGroupRule(protocol="tcp", from_port=5432, to_port=5432, group="peer")
    assert len(group.egress) == 2
    # A group without egress of its own keeps the allow-all rule next to the separate one (the wider reading).
    assert peer.egress == (
        SecurityGroupRule(protocol="-1", cidr="0.0.0.0/0"),
        SecurityGroupRule(protocol="udp", from_port=53, to_port=53, cidr="10.1.0.2/32"),
    )
    assert any(
        n.startswith("Resources.PeerOut: the group 'peer' declares no egress of its own") for n in definition.notes
    )


def test_a_rule_naming_a_group_outside_the_template_admits_a_stand_in() -> None:
    definition = cfn(SG.replace("!GetAtt Peer.GroupId", "sg-0123456789abcdef0"))
    rule = named(definition, "security_groups", "group").ingress[0]
    assert rule.group == "sg-0123456789abcdef0"
    assert definition.is_stand_in("security_groups.sg-0123456789abcdef0")
    assert definition.unknowns_of("security_groups.sg-0123456789abcdef0")[0].reason == (
        "Resources.Group.Properties.SecurityGroupIngress[0].SourceSecurityGroupId names 'sg-0123456789abcdef0', "
        "which the template does not declare"
    )
    # A group whose own VPC is not named sits in one stand-in VPC for the whole existing network.
    assert named(definition, "security_groups", "sg-0123456789abcdef0").vpc == "existing-network"
    assert definition.is_stand_in("vpcs.existing-network")


def test_a_standalone_rule_for_a_group_outside_the_template_opens_the_stand_in() -> None:
    resources = (
        VPC
        + """
  Open:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: sg-0123456789abcdef0, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
"""
    )
    definition = cfn(resources)
    group = named(definition, "security_groups", "sg-0123456789abcdef0")
    assert [(r.from_port, r.cidr) for r in group.ingress] == [(22, "0.0.0.0/0")]
    assert definition.is_stand_in(group.address)


def test_a_group_of_the_default_vpc_is_refused() -> None:
    resources = VPC + "  Lonely:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: x}\n"
    assert error_of(resources) == (
        "t.yaml:14 (Resources.Lonely.Properties.VpcId): expected a VpcId naming a VPC of this template, found none "
        "(a group of the default VPC); declare the VPC in the template and give VpcId: !Ref Vpc"
    )


def test_a_rule_with_two_peers_is_refused_with_the_model_reason() -> None:
    resources = SG.replace("CidrIp: 10.1.0.0/16}", "CidrIp: 10.1.0.0/16, SourcePrefixListId: pl-63a5400a}")
    message = error_of(resources)
    assert "expected exactly one of cidr, prefix_list or group, found 2" in message
    assert "Resources.Group.Properties.SecurityGroupIngress[1]" in message


NETWORK = (
    VPC
    + """
  Gateway:
    Type: AWS::EC2::InternetGateway
    Properties: {Tags: [{Key: Name, Value: igw}]}
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Gateway}
  Public:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.1.100.0/24}
  Address:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {SubnetId: !Ref Public, AllocationId: !GetAtt Address.AllocationId}
  Other:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.2.0.0/16}
  Peering:
    Type: AWS::EC2::VPCPeeringConnection
    Properties: {VpcId: !Ref Vpc, PeerVpcId: !Ref Other}
  PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  ToInternet:
    Type: AWS::EC2::Route
    DependsOn: Attach
    Properties: {RouteTableId: !Ref PublicRoutes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Gateway}
  ThroughNat:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRoutes, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  ToOther:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRoutes, DestinationCidrBlock: 10.2.0.0/16,
      VpcPeeringConnectionId: !Ref Peering}
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Public, RouteTableId: !Ref PublicRoutes}
  PrivateAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Build, RouteTableId: !Ref PrivateRoutes}
"""
)


def test_gateways_peering_routes_and_associations_fold_into_place() -> None:
    definition = cfn(NETWORK)
    assert only(definition, "internet_gateways").vpc == "vpc"
    nat = only(definition, "nat_gateways")
    assert (nat.subnet, nat.connectivity) == ("public", "public")
    peering = only(definition, "vpc_peerings")
    assert (peering.requester, peering.accepter, peering.accepted) == ("vpc", "other", True)
    assert named(definition, "route_tables", "public-routes").routes == (
        RouteSpec(destination="0.0.0.0/0", internet_gateway="gateway"),
    )
    assert named(definition, "route_tables", "private-routes").routes == (
        RouteSpec(destination="0.0.0.0/0", nat_gateway="nat"),
        RouteSpec(destination="10.2.0.0/16", peering="peering"),
    )
    assert named(definition, "subnets", "public").route_table == "public-routes"
    assert named(definition, "subnets", "build").route_table == "private-routes"
    assert (
        "Resources.Address (AWS::EC2::EIP): the harness allocates one Elastic IP with each public NAT gateway; "
        "this address is not created" in definition.notes
    )
    assert not any("Nat.Properties.AllocationId" in n for n in definition.notes)


def test_a_route_to_an_unmodelled_target_is_left_out_and_noted() -> None:
    resources = (
        NETWORK
        + """
  ToTransit:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRoutes, DestinationCidrBlock: 10.9.0.0/16,
      TransitGatewayId: tgw-0123456789abcdef0}
"""
    )
    definition = cfn(resources)
    assert len(named(definition, "route_tables", "private-routes").routes) == 2
    assert (
        "Resources.ToTransit: a route to TransitGatewayId 'tgw-0123456789abcdef0' is not modelled; the route is "
        "left out and paths through it are unverified" in definition.notes
    )


def test_an_unattached_internet_gateway_is_refused() -> None:
    resources = NETWORK.replace(
        "  Attach:\n    Type: AWS::EC2::VPCGatewayAttachment\n", "  Attach:\n    Type: AWS::SNS::Topic\n"
    )
    resources = resources.replace("Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Gateway}", "Properties: {}")
    assert error_of(resources) == (
        "t.yaml:13 (Resources.Gateway): expected an AWS::EC2::VPCGatewayAttachment attaching the internet gateway "
        "to a VPC of this template, found none; attach it with AWS::EC2::VPCGatewayAttachment (VpcId, "
        "InternetGatewayId) or remove it"
    )


def test_two_route_tables_for_one_subnet_are_refused() -> None:
    resources = (
        NETWORK
        + """
  Again:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Build, RouteTableId: !Ref PublicRoutes}
"""
    )
    assert error_of(resources).endswith(
        "(Resources.Again): expected one route table per subnet, found subnet 'build' associated with "
        "'private-routes' and 'public-routes'; keep one association per subnet"
    )


def test_network_acl_entries_and_association_fold_into_place() -> None:
    resources = (
        VPC
        + """
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: !Ref Vpc}
  In:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: 6, RuleAction: allow,
      CidrBlock: 10.1.0.0/16, PortRange: {From: 443, To: 443}}
  Ping:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 110, Protocol: 1, RuleAction: allow,
      CidrBlock: 10.1.0.0/16, Icmp: {Type: 8, Code: 0}}
  Out:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Egress: true, Protocol: -1, RuleAction: deny,
      CidrBlock: 0.0.0.0/0}
  Six:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 120, Protocol: -1, RuleAction: allow, Ipv6CidrBlock: "::/0"}
  Assoc:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !Ref Build, NetworkAclId: !Ref Acl}
"""
    )
    definition = cfn(resources)
    acl = only(definition, "network_acls")
    assert acl.entries == (
        NaclRule(rule=100, action="allow", cidr="10.1.0.0/16", protocol="tcp", from_port=443, to_port=443),
        NaclRule(rule=110, action="allow", cidr="10.1.0.0/16", protocol="icmp", icmp_type=8, icmp_code=0),
        NaclRule(rule=100, action="deny", cidr="0.0.0.0/0", egress=True),
    )
    assert only(definition, "subnets").network_acl == "acl"
    assert "Resources.Six: IPv6 entries are not modelled; the entry is left out" in definition.notes


def test_a_network_acl_entry_with_an_unknown_action_is_refused() -> None:
    resources = (
        VPC
        + """
  Acl:
    Type: AWS::EC2::NetworkAcl
    Properties: {VpcId: !Ref Vpc}
  In:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 100, Protocol: -1, RuleAction: permit, CidrBlock: 10.1.0.0/16}
"""
    )
    assert error_of(resources) == (
        "t.yaml:18 (Resources.In.Properties.RuleAction): expected allow or deny, found 'permit'; use allow or deny"
    )


ENDPOINT = (
    VPC
    + """
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: endpoints, VpcId: !Ref Vpc}
  S3:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      RouteTableIds: [!Ref Routes]
      PolicyDocument: '{"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}'
  Logs:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: com.amazonaws.eu-west-1.logs
      VpcEndpointType: Interface
      SubnetIds: [!Ref Build]
      SecurityGroupIds: [!GetAtt Group.GroupId]
      PrivateDnsEnabled: true
"""
)


def test_gateway_and_interface_endpoints_map_service_placement_and_policy() -> None:
    definition = cfn(ENDPOINT)
    s3 = named(definition, "vpc_endpoints", "s3")
    assert (s3.vpc, s3.service, s3.type, s3.route_tables, s3.subnets) == ("vpc", "s3", "Gateway", ("routes",), ())
    assert s3.policy == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
    }
    logs = named(definition, "vpc_endpoints", "logs")
    assert (logs.service, logs.type, logs.subnets, logs.security_groups, logs.private_dns, logs.policy) == (
        "com.amazonaws.eu-west-1.logs",
        "Interface",
        ("build",),
        ("group",),
        True,
        None,
    )


def test_an_unmodelled_endpoint_type_is_refused() -> None:
    resources = ENDPOINT.replace("VpcEndpointType: Interface", "VpcEndpointType: GatewayLoadBalancer")
    assert error_of(resources).endswith(
        "(Resources.Logs.Properties.VpcEndpointType): expected Gateway or Interface, found 'GatewayLoadBalancer'; "
        "GatewayLoadBalancer endpoints are not modelled"
    )


BUILD = (
    ROLE
    + ENDPOINT
    + """
  Project:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt BuildRole.Arn
      Artifacts: {Type: CODEPIPELINE}
      Source: {Type: CODEPIPELINE}
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
      VpcConfig: {VpcId: !Ref Vpc, Subnets: [!Ref Build], SecurityGroupIds: [!Ref Group]}
"""
)


def test_a_build_in_the_templates_network_is_placed_by_reference() -> None:
    project = only(cfn(BUILD), "build_projects")
    assert project.vpc == VpcPlacement(vpc="vpc", subnets=("build",), security_groups=("group",))


def test_a_build_in_a_network_outside_the_template_keeps_its_ids() -> None:
    resources = BUILD.replace(
        "VpcConfig: {VpcId: !Ref Vpc, Subnets: [!Ref Build], SecurityGroupIds: [!Ref Group]}",
        "VpcConfig: {VpcId: vpc-1, Subnets: [subnet-1], SecurityGroupIds: [sg-1]}",
    )
    project = only(cfn(resources), "build_projects")
    assert project.vpc == VpcConfig(vpc_id="vpc-1", subnets=("subnet-1",), security_groups=("sg-1",))


SECRETS = """
  Key:
    Type: AWS::KMS::Key
  Token:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: ci/token
      Description: deploy token
      KmsKeyId: !Ref Key
      SecretString: '{"token": "fake"}'
      Tags: [{Key: team, Value: ci}]
  Generated:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {PasswordLength: 20}
  Flag:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /ci/flag
      Type: String
      Value: "on"
      Tier: Standard
      Tags: {team: ci}
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags: [{Key: token, Value: !Ref Token}, {Key: flag, Value: !Ref Flag}, {Key: id, Value: !GetAtt Token.Id}]
"""


def test_secrets_and_parameters_map_value_key_description_and_tags() -> None:
    definition = cfn(SECRETS)
    token = named(definition, "secrets", "token")
    assert (token.store, token.value, token.kms_key, token.description, token.tags) == (
        "secrets-manager",
        '{"token": "fake"}',
        "key",
        "deploy token",
        {"team": "ci"},
    )
    # A String parameter is configuration, stored in clear as declared: not a secret.
    assert definition.get("secrets", "flag") is None
    flag = named(definition, "parameters", "flag")
    assert (flag.type, flag.value, flag.tags) == ("String", "on", {"team": "ci"})
    assert named(definition, "secrets", "generated").value == "pipewarden-stand-in-secret"
    assert (
        "Resources.Generated.Properties.GenerateSecretString: a generated value; a fixed stand-in value is stored "
        "instead" in definition.notes
    )
    # A secret's Ref and Id are its ARN, a parameter's Ref its name.
    assert only(definition, "topics").tags == {
        "token": "${secrets.token.arn}",
        "flag": "${parameters.flag.name}",
        "id": "${secrets.token.arn}",
    }
