"""Small constructors for hand-built network models used by the network tests."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from harness.network import (
    CidrPeer,
    GatewayEndpoint,
    GroupPeer,
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
)

REGION = "eu-west-1"
S3_PL = "pl-s3"
S3_CIDRS = ("52.218.0.0/17", "3.5.64.0/21")

net = ipaddress.IPv4Network


def peer(value: str) -> CidrPeer | PrefixListPeer | GroupPeer:
    if value.startswith("sg-"):
        return GroupPeer(value)
    if value.startswith("pl-"):
        return PrefixListPeer(value)
    return CidrPeer(ipaddress.ip_network(value))


def ingress(protocol: str, ports: int | tuple[int, int] | None, source: str) -> SecurityGroupRule:
    low, high = (ports, ports) if isinstance(ports, int) else (ports or (None, None))
    return SecurityGroupRule(False, protocol, low, high, peer(source))


def egress(protocol: str, ports: int | tuple[int, int] | None, target: str) -> SecurityGroupRule:
    low, high = (ports, ports) if isinstance(ports, int) else (ports or (None, None))
    return SecurityGroupRule(True, protocol, low, high, peer(target))


ALL_OUT = egress("-1", None, "0.0.0.0/0")


def entry(
    number: int,
    egress_: bool,
    allow: bool,
    protocol: str,
    cidr: str,
    ports: tuple[int, int] | None = None,
    icmp_type: int | None = None,
) -> NaclEntry:
    low, high = ports or (None, None)
    return NaclEntry(
        number, egress_, allow, protocol, net(cidr), None, low, high, icmp_type, -1 if icmp_type is not None else None
    )


def open_acl_entries() -> tuple[NaclEntry, ...]:
    """The default network ACL: rule 100 allows everything both ways, then the implicit deny."""
    return (entry(100, False, True, "-1", "0.0.0.0/0"), entry(100, True, True, "-1", "0.0.0.0/0"))


def estate(**changes: object) -> NetworkModel:
    """A dev VPC (build subnet behind a NAT gateway) peered with a prod VPC (build and database subnets, S3 endpoint).

    dev  10.0.0.0/16: subnet-dev-pub 10.0.0.0/24 (NAT, route 0/0 -> igw), subnet-dev-app 10.0.1.0/24 (0/0 -> nat)
    prod 10.1.0.0/16: subnet-prod-build 10.1.1.0/24, subnet-prod-db 10.1.2.0/24 (eni-db 10.1.2.10 in sg-db);
    prod route table: local, S3 prefix list -> vpce-s3; no internet route. pcx-1 peers dev and prod.
    """
    vpcs = (Vpc("vpc-dev", (net("10.0.0.0/16"),)), Vpc("vpc-prod", (net("10.1.0.0/16"),)))
    subnets = (
        Subnet("subnet-dev-pub", "vpc-dev", net("10.0.0.0/24"), "eu-west-1a"),
        Subnet("subnet-dev-app", "vpc-dev", net("10.0.1.0/24"), "eu-west-1a"),
        Subnet("subnet-prod-build", "vpc-prod", net("10.1.1.0/24"), "eu-west-1a"),
        Subnet("subnet-prod-db", "vpc-prod", net("10.1.2.0/24"), "eu-west-1b"),
    )
    local_dev = Route(RouteTargetKind.LOCAL, "local", net("10.0.0.0/16"))
    local_prod = Route(RouteTargetKind.LOCAL, "local", net("10.1.0.0/16"))
    tables = (
        RouteTable("rtb-dev-main", "vpc-dev", (local_dev,), (), True),
        RouteTable(
            "rtb-dev-pub",
            "vpc-dev",
            (local_dev, Route(RouteTargetKind.INTERNET_GATEWAY, "igw-dev", net("0.0.0.0/0"))),
            ("subnet-dev-pub",),
        ),
        RouteTable(
            "rtb-dev-app",
            "vpc-dev",
            (
                local_dev,
                Route(RouteTargetKind.NAT_GATEWAY, "nat-dev", net("0.0.0.0/0")),
                Route(RouteTargetKind.PEERING, "pcx-1", net("10.1.0.0/16")),
            ),
            ("subnet-dev-app",),
        ),
        RouteTable(
            "rtb-prod",
            "vpc-prod",
            (
                local_prod,
                Route(RouteTargetKind.GATEWAY_ENDPOINT, "vpce-s3", prefix_list_id=S3_PL),
                Route(RouteTargetKind.PEERING, "pcx-1", net("10.0.1.0/24")),
            ),
            (),
            True,
        ),
    )
    acls = (
        NetworkAcl("acl-dev", "vpc-dev", open_acl_entries(), (), True),
        NetworkAcl("acl-prod", "vpc-prod", open_acl_entries(), (), True),
    )
    groups = (
        SecurityGroup("sg-dev-build", "vpc-dev", "dev-build", (), (ALL_OUT,)),
        SecurityGroup("sg-prod-build", "vpc-prod", "prod-build", (), (ALL_OUT,)),
        SecurityGroup(
            "sg-db",
            "vpc-prod",
            "db",
            (ingress("tcp", 5432, "sg-prod-build"),),
            (ALL_OUT,),
        ),
    )
    enis = (
        NetworkInterface("eni-db", "vpc-prod", "subnet-prod-db", (ipaddress.IPv4Address("10.1.2.10"),), ("sg-db",)),
    )
    fields: dict[str, object] = {
        "region": REGION,
        "vpcs": vpcs,
        "subnets": subnets,
        "route_tables": tables,
        "network_acls": acls,
        "security_groups": groups,
        "internet_gateways": (InternetGateway("igw-dev", ("vpc-dev",)),),
        "nat_gateways": (NatGateway("nat-dev", "vpc-dev", "subnet-dev-pub"),),
        "peerings": (PeeringConnection("pcx-1", "vpc-dev", "vpc-prod", True, REGION, REGION),),
        "gateway_endpoints": (GatewayEndpoint("vpce-s3", "vpc-prod", f"com.amazonaws.{REGION}.s3", ("rtb-prod",)),),
        "network_interfaces": enis,
        "prefix_lists": (PrefixList(S3_PL, f"com.amazonaws.{REGION}.s3", tuple(net(c) for c in S3_CIDRS)),),
    }
    fields.update(changes)
    return NetworkModel(**fields)  # type: ignore[arg-type]


def with_group(model: NetworkModel, group: SecurityGroup) -> NetworkModel:
    return replace(model, security_groups=(*(g for g in model.security_groups if g.id != group.id), group))


def with_acl(model: NetworkModel, acl: NetworkAcl) -> NetworkModel:
    """Replace or add an ACL; an explicit association moves the subnets off other ACLs."""
    others = []
    for a in model.network_acls:
        if a.id == acl.id:
            continue
        others.append(replace(a, subnet_ids=tuple(s for s in a.subnet_ids if s not in acl.subnet_ids)))
    return replace(model, network_acls=(*others, acl))


def with_table(model: NetworkModel, table: RouteTable) -> NetworkModel:
    return replace(model, route_tables=(*(t for t in model.route_tables if t.id != table.id), table))
