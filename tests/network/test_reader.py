"""The reader builds the network model from moto's EC2 describe calls, and reports what moto leaves out."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from harness.errors import BackendError
from harness.network import (
    Address,
    CidrPeer,
    GatewayEndpoint,
    GroupPeer,
    InterfaceEndpoint,
    InternetTarget,
    NetworkModel,
    PrefixListPeer,
    RouteTargetKind,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    Verdict,
    can_reach,
)
from harness.network.reader import read_network

REGION = "eu-west-1"
BUCKET_ONLY = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::prod-data/*"}]}
)


@dataclass
class Estate:
    ec2: Any
    ids: dict[str, str]


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    """dev VPC (build subnet -> NAT -> IGW) peered with prod VPC (build and db subnets, S3 and STS endpoints)."""
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        ids: dict[str, str] = {}
        ids["dev"] = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ids["prod"] = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        sub = lambda vpc, cidr: ec2.create_subnet(VpcId=ids[vpc], CidrBlock=cidr)["Subnet"]["SubnetId"]  # noqa: E731
        ids["dev-pub"], ids["dev-app"] = sub("dev", "10.0.0.0/24"), sub("dev", "10.0.1.0/24")
        ids["prod-build"], ids["prod-db"] = sub("prod", "10.1.1.0/24"), sub("prod", "10.1.2.0/24")
        ids["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["dev"])
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ids["nat"] = ec2.create_nat_gateway(SubnetId=ids["dev-pub"], AllocationId=allocation)["NatGateway"][
            "NatGatewayId"
        ]
        ids["pcx"] = ec2.create_vpc_peering_connection(VpcId=ids["dev"], PeerVpcId=ids["prod"])["VpcPeeringConnection"][
            "VpcPeeringConnectionId"
        ]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids["pcx"])

        def table(vpc: str, subnet: str) -> str:
            table_id = ec2.create_route_table(VpcId=ids[vpc])["RouteTable"]["RouteTableId"]
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=ids[subnet])
            return table_id

        ids["rtb-pub"], ids["rtb-app"] = table("dev", "dev-pub"), table("dev", "dev-app")
        ids["rtb-prod"] = table("prod", "prod-build")
        ec2.associate_route_table(RouteTableId=ids["rtb-prod"], SubnetId=ids["prod-db"])
        ec2.create_route(RouteTableId=ids["rtb-pub"], DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"])
        ec2.create_route(RouteTableId=ids["rtb-app"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=ids["nat"])
        ec2.create_route(
            RouteTableId=ids["rtb-app"], DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=ids["pcx"]
        )
        ec2.create_route(
            RouteTableId=ids["rtb-prod"], DestinationCidrBlock="10.0.1.0/24", VpcPeeringConnectionId=ids["pcx"]
        )
        group = lambda vpc, name: ec2.create_security_group(GroupName=name, Description=name, VpcId=ids[vpc])[  # noqa: E731
            "GroupId"
        ]
        ids["sg-dev"], ids["sg-build"] = group("dev", "dev-build"), group("prod", "prod-build")
        ids["sg-db"], ids["sg-vpce"] = group("prod", "db"), group("prod", "vpce")
        ec2.authorize_security_group_ingress(
            GroupId=ids["sg-db"],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "UserIdGroupPairs": [{"GroupId": ids["sg-build"]}],
                }
            ],
        )
        ec2.authorize_security_group_ingress(
            GroupId=ids["sg-vpce"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}
            ],
        )
        ids["eni-db"] = ec2.create_network_interface(
            SubnetId=ids["prod-db"], Groups=[ids["sg-db"]], PrivateIpAddress="10.1.2.10"
        )["NetworkInterface"]["NetworkInterfaceId"]
        ids["vpce-s3"] = ec2.create_vpc_endpoint(
            VpcId=ids["prod"],
            ServiceName=f"com.amazonaws.{REGION}.s3",
            RouteTableIds=[ids["rtb-prod"]],
            PolicyDocument=BUCKET_ONLY,
        )["VpcEndpoint"]["VpcEndpointId"]
        ids["vpce-sts"] = ec2.create_vpc_endpoint(
            VpcId=ids["prod"],
            ServiceName=f"com.amazonaws.{REGION}.sts",
            VpcEndpointType="Interface",
            SubnetIds=[ids["prod-db"]],
            SecurityGroupIds=[ids["sg-vpce"]],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
        ids["acl-db"] = ec2.create_network_acl(VpcId=ids["prod"])["NetworkAcl"]["NetworkAclId"]
        yield Estate(ec2, ids)


@pytest.fixture(scope="module")
def model(estate: Estate) -> NetworkModel:
    return read_network(estate.ec2)


def dev(e: Estate) -> Source:
    return Source.from_vpc_config(
        "dev-app", {"vpcId": e.ids["dev"], "subnets": [e.ids["dev-app"]], "securityGroupIds": [e.ids["sg-dev"]]}
    )


def prod(e: Estate) -> Source:
    return Source.from_vpc_config(
        "prod-build",
        {"vpcId": e.ids["prod"], "subnets": [e.ids["prod-build"]], "securityGroupIds": [e.ids["sg-build"]]},
    )


def test_vpcs_subnets_and_route_tables_are_read(estate: Estate, model: NetworkModel) -> None:
    ids = estate.ids
    assert model.region == REGION
    assert model.vpc[ids["prod"]].cidrs == (ipaddress.IPv4Network("10.1.0.0/16"),)
    assert model.subnet[ids["prod-db"]].cidr == ipaddress.IPv4Network("10.1.2.0/24")
    app = model.route_table_for(ids["dev-app"])
    assert app is not None and app.id == ids["rtb-app"]
    kinds = {(r.target_kind, r.target_id) for r in app.routes}
    assert kinds == {
        (RouteTargetKind.LOCAL, "local"),
        (RouteTargetKind.NAT_GATEWAY, ids["nat"]),
        (RouteTargetKind.PEERING, ids["pcx"]),
    }
    prod_table = model.route_table[ids["rtb-prod"]]
    s3_route = next(r for r in prod_table.routes if r.target_kind is RouteTargetKind.GATEWAY_ENDPOINT)
    s3_list = model.prefix_list_named(f"com.amazonaws.{REGION}.s3")
    assert s3_list is not None and s3_route.prefix_list_id == s3_list.id
    assert s3_list.entries  # moto returns the S3 ranges
    main = model.route_table_for(ids["dev-pub"])
    assert main is not None and main.id == ids["rtb-pub"]


def test_security_group_rules_keep_their_peers(estate: Estate, model: NetworkModel) -> None:
    db = model.security_group[estate.ids["sg-db"]]
    assert [(r.protocol, r.from_port, r.peer) for r in db.ingress] == [
        ("6", 5432, GroupPeer(estate.ids["sg-build"], "123456789012"))
    ]
    assert any(isinstance(r.peer, CidrPeer) and str(r.peer) == "0.0.0.0/0" for r in db.egress)
    assert not any(isinstance(r.peer, PrefixListPeer) for r in db.ingress)


def test_gateways_peering_endpoints_and_interfaces_are_read(estate: Estate, model: NetworkModel) -> None:
    ids = estate.ids
    assert model.internet_gateway[ids["igw"]].vpc_ids == (ids["dev"],)
    nat = model.nat_gateway[ids["nat"]]
    assert (nat.subnet_id, nat.public, nat.available) == (ids["dev-pub"], True, True)
    pcx = model.peering[ids["pcx"]]
    assert (pcx.requester_vpc_id, pcx.accepter_vpc_id, pcx.active, pcx.same_region) == (
        ids["dev"],
        ids["prod"],
        True,
        True,
    )
    assert pcx.cidrs_of(ids["prod"]) == (ipaddress.IPv4Network("10.1.0.0/16"),)
    s3 = model.gateway_endpoint[ids["vpce-s3"]]
    assert isinstance(s3, GatewayEndpoint) and s3.route_table_ids == (ids["rtb-prod"],)
    assert s3.policy is not None and json.loads(s3.policy) == json.loads(BUCKET_ONLY)
    sts = model.interface_endpoint[ids["vpce-sts"]]
    assert isinstance(sts, InterfaceEndpoint)
    assert (sts.security_group_ids, sts.private_dns, sts.private_dns_only_for_inbound_resolver) == (
        (ids["sg-vpce"],),
        True,
        None,
    )
    assert model.interface_with_ip(ipaddress.IPv4Address("10.1.2.10")) == model.network_interface[ids["eni-db"]]
    # moto omits the endpoint type of gateway endpoints: read as gateway, and said so.
    assert any(ids["vpce-s3"] in gap for gap in model.gaps)


def test_default_and_custom_network_acls(estate: Estate, model: NetworkModel) -> None:
    default = model.network_acl_for(estate.ids["prod-db"])
    assert default is not None and default.is_default
    assert [e.rule_number for e in default.rules(egress=False)] == [100, 32767]
    custom = model.network_acl[estate.ids["acl-db"]]
    assert not custom.is_default and custom.entries == ()


def test_reachability_over_the_read_model(estate: Estate, model: NetworkModel) -> None:
    ids = estate.ids
    assert can_reach(model, prod(estate), Address("10.1.2.10"), "tcp", 5432).verdict is Verdict.REACHABLE
    blocked = can_reach(model, dev(estate), SecurityGroupTarget(ids["sg-db"]), "tcp", 5432)
    assert blocked.verdict is Verdict.BLOCKED
    assert blocked.blocked_by is not None and blocked.blocked_by.component_id == ids["sg-db"]
    internet = can_reach(model, dev(estate), InternetTarget("93.184.216.34"), "tcp", 443)
    assert internet.verdict is Verdict.REACHABLE
    assert can_reach(model, prod(estate), InternetTarget("93.184.216.34"), "tcp", 443).verdict is Verdict.BLOCKED
    data = ServiceTarget("s3", action="s3:GetObject", resource="arn:aws:s3:::prod-data/build.zip")
    elsewhere = ServiceTarget("s3", action="s3:PutObject", resource="arn:aws:s3:::other/x")
    through = can_reach(model, prod(estate), data, "tcp", 443)
    assert through.verdict is Verdict.REACHABLE and through.endpoint_ids == (ids["vpce-s3"],)
    assert can_reach(model, prod(estate), elsewhere, "tcp", 443).verdict is Verdict.BLOCKED


def test_interface_endpoint_read_from_moto_is_reached(estate: Estate, model: NetworkModel) -> None:
    # moto gives the endpoint interface an address outside its subnet; the analysis uses the subnet instead.
    result = can_reach(model, prod(estate), ServiceTarget("sts"), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE
    assert result.endpoint_ids == (estate.ids["vpce-sts"],)


def test_opening_the_data_tier_to_the_world_is_seen_after_reading_again(estate: Estate) -> None:
    ids = estate.ids
    permission = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    estate.ec2.authorize_security_group_ingress(GroupId=ids["sg-db"], IpPermissions=[permission])
    try:
        result = can_reach(read_network(estate.ec2), dev(estate), SecurityGroupTarget(ids["sg-db"]), "tcp", 5432)
        assert result.verdict is Verdict.REACHABLE
        assert ids["pcx"] in [h.component_id for h in result.hops]
    finally:
        estate.ec2.revoke_security_group_ingress(GroupId=ids["sg-db"], IpPermissions=[permission])


def test_icmp_nacl_rule_without_its_type_is_unverified(estate: Estate) -> None:
    ids = estate.ids
    ec2 = estate.ec2
    acl = ec2.create_network_acl(VpcId=ids["prod"])["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="1",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            IcmpTypeCode={"Type": 8, "Code": -1},
        )
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [ids["prod-db"]]}])
    association = next(
        a["NetworkAclAssociationId"]
        for n in acls["NetworkAcls"]
        for a in n["Associations"]
        if a["SubnetId"] == ids["prod-db"]
    )
    new_association = ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    ping = {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}
    ec2.authorize_security_group_ingress(GroupId=ids["sg-db"], IpPermissions=[ping])
    try:
        model = read_network(ec2)
        entry = model.network_acl[acl].entries[0]
        assert entry.incomplete  # moto does not return IcmpTypeCode
        result = can_reach(model, prod(estate), Address("10.1.2.10"), "icmp", 8)
        assert result.verdict is Verdict.UNVERIFIED
        assert "ICMP type" in result.reason
    finally:
        ec2.revoke_security_group_ingress(GroupId=ids["sg-db"], IpPermissions=[ping])
        default = next(
            n["NetworkAclId"]
            for n in ec2.describe_network_acls()["NetworkAcls"]
            if n["IsDefault"] and n["VpcId"] == ids["prod"]
        )
        ec2.replace_network_acl_association(AssociationId=new_association["NewAssociationId"], NetworkAclId=default)


class _Failing:
    """An EC2 client whose named operations fail, as an emulator without them would."""

    def __init__(self, ec2: Any, *failing: str) -> None:
        self._ec2 = ec2
        self._failing = set(failing)

    def can_paginate(self, operation: str) -> bool:
        return operation not in self._failing and bool(self._ec2.can_paginate(operation))

    def get_paginator(self, operation: str) -> Any:
        return self._ec2.get_paginator(operation)

    def __getattr__(self, name: str) -> Any:
        if name in self._failing:

            def fail(**_: Any) -> Any:
                raise NotImplementedError(f"{name} is not implemented")

            return fail
        return getattr(self._ec2, name)


def test_a_missing_describe_call_becomes_a_gap_and_unverified(estate: Estate) -> None:
    model = read_network(_Failing(estate.ec2, "describe_nat_gateways", "get_managed_prefix_list_entries"))
    assert any("describe_nat_gateways" in g for g in model.gaps)
    assert all(pl.entries is None for pl in model.prefix_lists)
    result = can_reach(model, dev(estate), InternetTarget("93.184.216.34"), "tcp", 443)
    assert result.verdict is Verdict.UNVERIFIED
    assert estate.ids["nat"] in result.reason
    # Unknown S3 ranges are still public ranges: private traffic is decided; S3 itself is not.
    assert can_reach(model, prod(estate), Address("10.1.2.10"), "tcp", 5432).verdict is Verdict.REACHABLE
    s3 = can_reach(model, prod(estate), InternetTarget("52.216.1.1"), "tcp", 443)
    assert s3.verdict is Verdict.UNVERIFIED and "entries" in s3.reason


def test_missing_vpcs_are_a_backend_error(estate: Estate) -> None:
    with pytest.raises(BackendError, match="describe_vpcs"):
        read_network(_Failing(estate.ec2, "describe_vpcs"))


def test_reading_one_vpc_only(estate: Estate) -> None:
    model = read_network(estate.ec2, vpc_ids=[estate.ids["prod"]])
    assert [v.id for v in model.vpcs] == [estate.ids["prod"]]
    assert {s.vpc_id for s in model.subnets} == {estate.ids["prod"]}
