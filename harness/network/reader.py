"""Read the deployed network back from the backend through a boto3 EC2 client into a NetworkModel."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from harness.errors import BackendError
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

Item = Mapping[str, Any]

# Route fields naming the target, in the order AWS documents them; GatewayId covers local, igw-, vgw-, vpce-.
_TARGET_FIELDS: tuple[tuple[str, RouteTargetKind | None], ...] = (
    ("GatewayId", None),
    ("NatGatewayId", RouteTargetKind.NAT_GATEWAY),
    ("VpcPeeringConnectionId", RouteTargetKind.PEERING),
    ("TransitGatewayId", RouteTargetKind.TRANSIT_GATEWAY),
    ("EgressOnlyInternetGatewayId", RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY),
    ("NetworkInterfaceId", RouteTargetKind.NETWORK_INTERFACE),
    ("InstanceId", RouteTargetKind.INSTANCE),
    ("LocalGatewayId", RouteTargetKind.OTHER),
    ("CarrierGatewayId", RouteTargetKind.OTHER),
    ("CoreNetworkArn", RouteTargetKind.OTHER),
)
_GATEWAY_PREFIXES = {
    "igw-": RouteTargetKind.INTERNET_GATEWAY,
    "vgw-": RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY,
    "vpce-": RouteTargetKind.GATEWAY_ENDPOINT,
}


class _Reader:
    def __init__(self, ec2: Any) -> None:
        self.ec2 = ec2
        self.gaps: list[str] = []

    def list(self, operation: str, key: str, *, required: bool = False, **kwargs: Any) -> list[Item]:
        """All items of a describe call, following pagination; a failure is a gap unless required."""
        try:
            if self.ec2.can_paginate(operation):
                items: list[Item] = []
                for page in self.ec2.get_paginator(operation).paginate(**kwargs):
                    items.extend(page.get(key, []))
                return items
            response = getattr(self.ec2, operation)(**kwargs)
            return list(response.get(key, []))
        except Exception as exc:  # botocore ClientError, an emulator's "not implemented", a transport error
            if required:
                raise BackendError(
                    f"network reader: {operation} failed ({exc}); the network model cannot be built without it",
                    operation=operation,
                ) from exc
            self.gaps.append(f"{operation} failed: {exc}")
            return []


def _v4(text: str | None) -> ipaddress.IPv4Network | None:
    if not text:
        return None
    try:
        return ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return None


def _vpc(item: Item) -> Vpc:
    cidrs = [
        a.get("CidrBlock")
        for a in item.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
    ] or [item.get("CidrBlock")]
    nets = tuple(n for n in (_v4(c) for c in cidrs) if n is not None)
    return Vpc(item["VpcId"], nets, item.get("OwnerId"))


def _subnet(item: Item) -> Subnet | None:
    cidr = _v4(item.get("CidrBlock"))
    if cidr is None:
        return None  # IPv6-only subnet: not modelled
    return Subnet(
        item["SubnetId"],
        item["VpcId"],
        cidr,
        item.get("AvailabilityZone", ""),
        bool(item.get("MapPublicIpOnLaunch", False)),
    )


def _route(item: Item, table_id: str, gaps: list[str]) -> Route | None:
    destination = _v4(item.get("DestinationCidrBlock"))
    prefix_list = item.get("DestinationPrefixListId")
    if destination is None and not prefix_list:
        return None  # IPv6 route: never matches IPv4 traffic
    kind: RouteTargetKind | None = None
    target = ""
    for field, field_kind in _TARGET_FIELDS:
        value = item.get(field)
        if not value:
            continue
        target = str(value)
        if field_kind is not None:
            kind = field_kind
        elif value == "local":
            kind = RouteTargetKind.LOCAL
        else:
            kind = next((k for p, k in _GATEWAY_PREFIXES.items() if target.startswith(p)), RouteTargetKind.OTHER)
        break
    if kind is None:
        gaps.append(f"route table {table_id}: route to {destination or prefix_list} has no target the reader knows")
        kind, target = RouteTargetKind.OTHER, "unknown-target"
    return Route(
        kind,
        target,
        destination,
        None if destination is not None else str(prefix_list),
        blackhole=item.get("State") == "blackhole",
    )


def _route_table(item: Item, gaps: list[str]) -> RouteTable:
    table_id = item["RouteTableId"]
    routes = tuple(r for r in (_route(x, table_id, gaps) for x in item.get("Routes", [])) if r is not None)
    associations = [a for a in item.get("Associations", []) if _associated(a)]
    return RouteTable(
        table_id,
        item["VpcId"],
        routes,
        tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        any(a.get("Main") for a in associations),
    )


def _associated(association: Item) -> bool:
    return bool(association.get("AssociationState", {}).get("State", "associated") == "associated")


def _rules(item: Item, key: str, egress: bool) -> tuple[SecurityGroupRule, ...]:
    out: list[SecurityGroupRule] = []
    for permission in item.get(key, []):
        protocol = normalize_protocol(permission.get("IpProtocol", "-1"), where=f"security group {item['GroupId']}")
        low, high = permission.get("FromPort"), permission.get("ToPort")
        peers: list[tuple[CidrPeer | PrefixListPeer | GroupPeer, Item]] = []
        peers += [
            (CidrPeer(ipaddress.IPv4Network(r["CidrIp"], strict=False)), r) for r in permission.get("IpRanges", [])
        ]
        peers += [
            (CidrPeer(ipaddress.IPv6Network(r["CidrIpv6"], strict=False)), r) for r in permission.get("Ipv6Ranges", [])
        ]
        peers += [(PrefixListPeer(r["PrefixListId"]), r) for r in permission.get("PrefixListIds", [])]
        peers += [
            (GroupPeer(r["GroupId"], r.get("UserId"), r.get("VpcId"), r.get("VpcPeeringConnectionId")), r)
            for r in permission.get("UserIdGroupPairs", [])
        ]
        for peer, raw in peers:
            out.append(SecurityGroupRule(egress, protocol, low, high, peer, str(raw.get("Description", ""))))
    return tuple(out)


def _security_group(item: Item) -> SecurityGroup:
    return SecurityGroup(
        item["GroupId"],
        item.get("VpcId", ""),
        item.get("GroupName", ""),
        _rules(item, "IpPermissions", False),
        _rules(item, "IpPermissionsEgress", True),
    )


def _nacl_entry(item: Item, acl_id: str) -> NaclEntry:
    protocol = normalize_protocol(item.get("Protocol", "-1"), where=f"network ACL {acl_id}")
    ports = item.get("PortRange")
    icmp = item.get("IcmpTypeCode")
    incomplete = ""
    if protocol in ("6", "17") and not ports:
        incomplete = "the backend returned no port range for it"
    if protocol in ("1", "58") and not icmp:
        incomplete = "the backend returned no ICMP type and code for it"
    v6 = item.get("Ipv6CidrBlock")
    return NaclEntry(
        int(item["RuleNumber"]),
        bool(item.get("Egress", False)),
        item.get("RuleAction") == "allow",
        protocol,
        _v4(item.get("CidrBlock")),
        ipaddress.IPv6Network(v6, strict=False) if v6 else None,
        ports.get("From") if ports else None,
        ports.get("To") if ports else None,
        icmp.get("Type") if icmp else None,
        icmp.get("Code") if icmp else None,
        incomplete,
    )


def _network_acl(item: Item) -> NetworkAcl:
    acl_id = item["NetworkAclId"]
    return NetworkAcl(
        acl_id,
        item["VpcId"],
        tuple(_nacl_entry(e, acl_id) for e in item.get("Entries", [])),
        tuple(a["SubnetId"] for a in item.get("Associations", []) if a.get("SubnetId")),
        bool(item.get("IsDefault", False)),
    )


def _policy(document: Any) -> str | None:
    if document is None:
        return None
    return document if isinstance(document, str) else json.dumps(document)


def _endpoint(item: Item, gaps: list[str]) -> GatewayEndpoint | InterfaceEndpoint | None:
    endpoint_id = item["VpcEndpointId"]
    kind = item.get("VpcEndpointType")
    available = item.get("State", "available").lower() == "available"
    if kind is None:
        # moto leaves the type out of gateway endpoints; AWS always returns it. A route-table list and no
        # network interfaces is what a gateway endpoint looks like.
        if item.get("NetworkInterfaceIds") or item.get("SubnetIds"):
            gaps.append(f"VPC endpoint {endpoint_id}: no VpcEndpointType and it has subnets; not modelled")
            return None
        gaps.append(f"VPC endpoint {endpoint_id}: no VpcEndpointType; read as a gateway endpoint (route tables)")
        kind = "Gateway"
    if kind == "Gateway":
        return GatewayEndpoint(
            endpoint_id,
            item["VpcId"],
            item.get("ServiceName", ""),
            tuple(item.get("RouteTableIds", [])),
            _policy(item.get("PolicyDocument")),
            available,
        )
    if kind == "Interface":
        dns_options = item.get("DnsOptions") or {}
        inbound_only = dns_options.get("PrivateDnsOnlyForInboundResolverEndpoint")
        return InterfaceEndpoint(
            endpoint_id,
            item["VpcId"],
            item.get("ServiceName", ""),
            tuple(item.get("SubnetIds", [])),
            tuple(g["GroupId"] for g in item.get("Groups", [])),
            tuple(item.get("NetworkInterfaceIds", [])),
            bool(item.get("PrivateDnsEnabled", False)),
            None if inbound_only is None else bool(inbound_only),
            _policy(item.get("PolicyDocument")),
            available,
        )
    gaps.append(f"VPC endpoint {endpoint_id}: type {kind} is not modelled")
    return None


def _peer_cidrs(info: Item) -> tuple[ipaddress.IPv4Network, ...]:
    blocks = [b.get("CidrBlock") for b in info.get("CidrBlockSet", [])] or [info.get("CidrBlock")]
    return tuple(n for n in (_v4(b) for b in blocks) if n is not None)


def _peering(item: Item) -> PeeringConnection:
    requester = item.get("RequesterVpcInfo", {})
    accepter = item.get("AccepterVpcInfo", {})
    return PeeringConnection(
        item["VpcPeeringConnectionId"],
        requester.get("VpcId", ""),
        accepter.get("VpcId", ""),
        item.get("Status", {}).get("Code") == "active",
        requester.get("Region"),
        accepter.get("Region"),
        _peer_cidrs(requester),
        _peer_cidrs(accepter),
    )


def _nat_gateway(item: Item, gaps: list[str]) -> NatGateway:
    connectivity = item.get("ConnectivityType")
    public: bool | None
    if connectivity is not None:
        public = connectivity == "public"
    elif any(a.get("PublicIp") for a in item.get("NatGatewayAddresses", [])):
        public = True  # only a public NAT gateway holds an Elastic IP
    else:
        public = None
        gaps.append(f"NAT gateway {item['NatGatewayId']}: no ConnectivityType and no public address")
    return NatGateway(
        item["NatGatewayId"],
        item.get("VpcId", ""),
        item.get("SubnetId", ""),
        public,
        item.get("State") == "available",
    )


def _network_interface(item: Item) -> NetworkInterface:
    addresses = [a.get("PrivateIpAddress") for a in item.get("PrivateIpAddresses", [])] or [
        item.get("PrivateIpAddress")
    ]
    ips = []
    for a in addresses:
        try:
            ips.append(ipaddress.IPv4Address(a))
        except (ValueError, TypeError):
            continue
    return NetworkInterface(
        item["NetworkInterfaceId"],
        item.get("VpcId", ""),
        item.get("SubnetId", ""),
        tuple(ips),
        tuple(g["GroupId"] for g in item.get("Groups", [])),
        (item.get("Association") or {}).get("PublicIp"),
        item.get("InterfaceType", "interface"),
        item.get("Description", ""),
    )


def _keep(items: Iterable[Any], vpc_ids: set[str] | None, vpc: Callable[[Any], Iterable[str]]) -> tuple[Any, ...]:
    if vpc_ids is None:
        return tuple(items)
    return tuple(i for i in items if set(vpc(i)) & vpc_ids)


def read_network(ec2: Any, *, vpc_ids: Sequence[str] | None = None, region: str | None = None) -> NetworkModel:
    """Build the network model from the backend.

    Args:
        ec2: a boto3 EC2 client for the backend (moto, LocalStack or AWS).
        vpc_ids: keep only these VPCs and what belongs to them (all VPCs when None).
        region: the Region of the model; defaults to the client's.

    Returns:
        The model. Whatever a describe call could not provide is listed in ``model.gaps``; the analysis
        answers UNVERIFIED where a missing piece would decide.

    Raises:
        BackendError: the VPCs or subnets themselves cannot be read.
    """
    reader = _Reader(ec2)
    gaps = reader.gaps
    wanted = set(vpc_ids) if vpc_ids is not None else None

    vpcs = tuple(v for v in (_vpc(i) for i in reader.list("describe_vpcs", "Vpcs", required=True)) if v.cidrs)
    vpcs = _keep(vpcs, wanted, lambda v: [v.id])
    known = {v.id for v in vpcs}
    subnets = tuple(
        s
        for s in (_subnet(i) for i in reader.list("describe_subnets", "Subnets", required=True))
        if s is not None and s.vpc_id in known
    )
    subnet_ids = {s.id for s in subnets}
    tables = tuple(
        t
        for t in (_route_table(i, gaps) for i in reader.list("describe_route_tables", "RouteTables"))
        if t.vpc_id in known
    )
    acls = tuple(
        a for a in (_network_acl(i) for i in reader.list("describe_network_acls", "NetworkAcls")) if a.vpc_id in known
    )
    groups = tuple(
        g
        for g in (_security_group(i) for i in reader.list("describe_security_groups", "SecurityGroups"))
        if g.vpc_id in known
    )
    igws = tuple(
        InternetGateway(
            i["InternetGatewayId"],
            tuple(
                a["VpcId"]
                for a in i.get("Attachments", [])
                if a.get("State") in ("available", "attached") and a.get("VpcId") in known
            ),
        )
        for i in reader.list("describe_internet_gateways", "InternetGateways")
    )
    nats = tuple(
        n
        for n in (
            _nat_gateway(i, gaps)
            for i in reader.list("describe_nat_gateways", "NatGateways")
            if i.get("State") not in ("deleted", "deleting", "failed")
        )
        if n.vpc_id in known and n.subnet_id in subnet_ids
    )
    peerings = tuple(
        p
        for p in (_peering(i) for i in reader.list("describe_vpc_peering_connections", "VpcPeeringConnections"))
        if {p.requester_vpc_id, p.accepter_vpc_id} & known
    )
    gateway_endpoints: list[GatewayEndpoint] = []
    interface_endpoints: list[InterfaceEndpoint] = []
    for item in reader.list("describe_vpc_endpoints", "VpcEndpoints"):
        if item.get("VpcId") not in known or str(item.get("State", "")).lower() in ("deleted", "deleting"):
            continue
        endpoint = _endpoint(item, gaps)
        if isinstance(endpoint, GatewayEndpoint):
            gateway_endpoints.append(endpoint)
        elif isinstance(endpoint, InterfaceEndpoint):
            interface_endpoints.append(endpoint)
    enis = tuple(
        e
        for e in (_network_interface(i) for i in reader.list("describe_network_interfaces", "NetworkInterfaces"))
        if e.subnet_id in subnet_ids
    )
    prefix_lists = _prefix_lists(reader)
    return NetworkModel(
        region=region or str(getattr(getattr(ec2, "meta", None), "region_name", "") or ""),
        vpcs=vpcs,
        subnets=subnets,
        route_tables=tables,
        network_acls=acls,
        security_groups=groups,
        internet_gateways=igws,
        nat_gateways=nats,
        peerings=peerings,
        gateway_endpoints=tuple(gateway_endpoints),
        interface_endpoints=tuple(interface_endpoints),
        network_interfaces=enis,
        prefix_lists=prefix_lists,
        gaps=tuple(gaps),
    )


def _prefix_lists(reader: _Reader) -> tuple[PrefixList, ...]:
    out: list[PrefixList] = []
    for item in reader.list("describe_managed_prefix_lists", "PrefixLists"):
        if item.get("AddressFamily", "IPv4") != "IPv4":
            continue
        pl_id = item["PrefixListId"]
        before = len(reader.gaps)
        entries = reader.list("get_managed_prefix_list_entries", "Entries", PrefixListId=pl_id)
        nets: tuple[ipaddress.IPv4Network, ...] | None = tuple(
            n for n in (_v4(e.get("Cidr")) for e in entries) if n is not None
        )
        if len(reader.gaps) > before:
            nets = None  # the call failed: entries unknown, not empty
        out.append(PrefixList(pl_id, item.get("PrefixListName", ""), nets))
    return tuple(out)
