"""Network reachability over VPCs, subnets, routes, security groups, network ACLs and endpoints.

Emulators store network configuration but never apply it, so pipewarden decides reachability itself over the
state read back from the backend::

    model = read_network(boto3.client("ec2"))
    build = Source.from_vpc_config("dev build 'app'", project["vpcConfig"])
    expect_blocked(can_reach(model, build, SecurityGroupTarget(prod_db_group), "tcp", 5432))
    expect_all_blocked(a for p in reachable_protocols(model, build, SubnetTarget(prod_db_subnet)) for a in p.samples)

Every answer is REACHABLE (with the path hop by hop), BLOCKED (with the first component and rule that stopped
it) or UNVERIFIED (with the reason the model cannot decide); a guess is never REACHABLE.
"""

from __future__ import annotations

from harness.network.analysis import (
    Block,
    Component,
    Hop,
    PortRange,
    PortReachability,
    Reachability,
    Verdict,
    all_pairs,
    can_reach,
    reachable_ports,
    reachable_protocols,
)
from harness.network.checks import expect_all_blocked, expect_blocked, expect_reachable
from harness.network.intervals import IntervalSet
from harness.network.model import (
    CidrPeer,
    GatewayEndpoint,
    GroupPeer,
    InterfaceEndpoint,
    InternetGateway,
    NaclEntry,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    NetworkModel,
    PeeringConnection,
    PrefixList,
    PrefixListPeer,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Vpc,
    normalize_protocol,
)
from harness.network.policy import EndpointPolicyDecision, evaluate_endpoint_policy
from harness.network.reader import read_network
from harness.network.targets import (
    Address,
    Destination,
    InternetTarget,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    SubnetTarget,
)

__all__ = [
    "Address",
    "Block",
    "CidrPeer",
    "Component",
    "Destination",
    "EndpointPolicyDecision",
    "GatewayEndpoint",
    "GroupPeer",
    "Hop",
    "InterfaceEndpoint",
    "InternetGateway",
    "InternetTarget",
    "IntervalSet",
    "NaclEntry",
    "NatGateway",
    "NetworkAcl",
    "NetworkInterface",
    "NetworkModel",
    "PeeringConnection",
    "PortRange",
    "PortReachability",
    "PrefixList",
    "PrefixListPeer",
    "Reachability",
    "Route",
    "RouteTable",
    "RouteTargetKind",
    "SecurityGroup",
    "SecurityGroupRule",
    "SecurityGroupTarget",
    "ServiceTarget",
    "Source",
    "Subnet",
    "SubnetTarget",
    "Verdict",
    "Vpc",
    "all_pairs",
    "can_reach",
    "evaluate_endpoint_policy",
    "expect_all_blocked",
    "expect_blocked",
    "expect_reachable",
    "normalize_protocol",
    "reachable_ports",
    "reachable_protocols",
    "read_network",
]
