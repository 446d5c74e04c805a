"""The typed network model: VPCs, subnets, routes, gateways, peerings, endpoints, security groups, NACLs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from harness.errors import InputError
from harness.network.intervals import ALL_ICMP_TYPES, ALL_PORTS, EMPTY, IntervalSet

IPv4Network = ipaddress.IPv4Network
IPv6Network = ipaddress.IPv6Network
IPv4Address = ipaddress.IPv4Address

ALL_PROTOCOLS = "-1"
TCP = "6"
UDP = "17"
ICMP = "1"
ICMPV6 = "58"

_PROTOCOL_NAMES = {
    "tcp": TCP,
    "udp": UDP,
    "icmp": ICMP,
    "icmpv6": ICMPV6,
    "-1": ALL_PROTOCOLS,
    "all": ALL_PROTOCOLS,
}
_PROTOCOL_LABELS = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6", ALL_PROTOCOLS: "all traffic"}


def normalize_protocol(value: str | int, *, where: str = "protocol") -> str:
    """Return the IANA protocol number as a string ("6" for tcp), or "-1" for all protocols.

    Raises:
        InputError: the value is neither a known name nor a number from 0 to 255.
    """
    text = str(value).strip().lower()
    if text in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise InputError(
        where=where,
        expected="tcp, udp, icmp, icmpv6, -1/all or a protocol number 0-255",
        found=repr(value),
        fix="use a protocol name or its IANA number",
    )


def protocol_label(protocol: str) -> str:
    return _PROTOCOL_LABELS.get(protocol, f"protocol {protocol}")


def _rule_ports(protocol: str, rule_protocol: str, low: int | None, high: int | None) -> IntervalSet:
    """The ports (ICMP: types) of ``protocol`` traffic that a rule's protocol and range admit."""
    if rule_protocol == ALL_PROTOCOLS:
        return ALL_PORTS
    if rule_protocol != protocol:
        return EMPTY
    if protocol in (TCP, UDP):
        if low is None or high is None or low < 0 or high < 0:
            return ALL_PORTS
        return IntervalSet.span(low, high)
    if protocol in (ICMP, ICMPV6):
        if low is None or low < 0:
            return ALL_ICMP_TYPES
        return IntervalSet.single(low)
    # Protocols without ports: a rule for that protocol admits all of it.
    return ALL_PORTS


def _ports_text(protocol: str, low: int | None, high: int | None) -> str:
    if protocol == ALL_PROTOCOLS:
        return "all traffic"
    label = protocol_label(protocol)
    if protocol in (TCP, UDP):
        if low is None or high is None or low < 0:
            return f"{label} all ports"
        return f"{label} {low}" if low == high else f"{label} {low}-{high}"
    if protocol in (ICMP, ICMPV6):
        return f"{label} all types" if low is None or low < 0 else f"{label} type {low}"
    return label


class RouteTargetKind(StrEnum):
    LOCAL = "local"
    INTERNET_GATEWAY = "internet-gateway"
    EGRESS_ONLY_INTERNET_GATEWAY = "egress-only-internet-gateway"
    NAT_GATEWAY = "nat-gateway"
    PEERING = "vpc-peering-connection"
    GATEWAY_ENDPOINT = "gateway-endpoint"
    NETWORK_INTERFACE = "network-interface"
    INSTANCE = "instance"
    TRANSIT_GATEWAY = "transit-gateway"
    VIRTUAL_PRIVATE_GATEWAY = "virtual-private-gateway"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CidrPeer:
    """A security-group rule peer given as an IPv4 or IPv6 CIDR block."""

    cidr: IPv4Network | IPv6Network

    def __str__(self) -> str:
        return str(self.cidr)


@dataclass(frozen=True, slots=True)
class PrefixListPeer:
    """A security-group rule peer given as a managed prefix list."""

    prefix_list_id: str

    def __str__(self) -> str:
        return self.prefix_list_id


@dataclass(frozen=True, slots=True)
class GroupPeer:
    """A security-group rule peer given as another security group (network interfaces in it)."""

    group_id: str
    user_id: str | None = None
    vpc_id: str | None = None
    peering_id: str | None = None

    def __str__(self) -> str:
        return self.group_id


RulePeer = CidrPeer | PrefixListPeer | GroupPeer


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    """One permission of a security group: a protocol, a port range and exactly one peer."""

    egress: bool
    protocol: str
    from_port: int | None
    to_port: int | None
    peer: RulePeer
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "protocol", normalize_protocol(self.protocol, where="security group rule"))

    def ports_for(self, protocol: str) -> IntervalSet:
        return _rule_ports(protocol, self.protocol, self.from_port, self.to_port)

    def __str__(self) -> str:
        direction = "egress" if self.egress else "ingress"
        preposition = "to" if self.egress else "from"
        ports = _ports_text(self.protocol, self.from_port, self.to_port)
        return f"{direction} {ports} {preposition} {self.peer}"


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    vpc_id: str
    name: str = ""
    ingress: tuple[SecurityGroupRule, ...] = ()
    egress: tuple[SecurityGroupRule, ...] = ()

    def __post_init__(self) -> None:
        if any(r.egress for r in self.ingress) or any(not r.egress for r in self.egress):
            raise InputError(
                where=f"security group {self.id}",
                expected="ingress rules in ingress and egress rules in egress",
                found="a rule in the wrong direction",
                fix="build rules with egress=False for ingress and egress=True for egress",
            )


@dataclass(frozen=True, slots=True)
class NaclEntry:
    """One numbered network-ACL rule. Rules are evaluated in ascending number; the first match decides."""

    rule_number: int
    egress: bool
    allow: bool
    protocol: str
    cidr: IPv4Network | None = None
    ipv6_cidr: IPv6Network | None = None
    from_port: int | None = None
    to_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    incomplete: str = ""  # what the backend left out of this rule; a rule that might decide is then undecidable

    def __post_init__(self) -> None:
        object.__setattr__(self, "protocol", normalize_protocol(self.protocol, where=f"NACL rule {self.rule_number}"))
        if (self.cidr is None) == (self.ipv6_cidr is None):
            raise InputError(
                where=f"network ACL rule {self.rule_number}",
                expected="exactly one of an IPv4 or an IPv6 CIDR",
                found="both" if self.cidr is not None else "neither",
                fix="give CidrBlock or Ipv6CidrBlock",
            )

    def ports_for(self, protocol: str) -> IntervalSet:
        if self.protocol in (ICMP, ICMPV6):
            return _rule_ports(protocol, self.protocol, self.icmp_type, self.icmp_type)
        return _rule_ports(protocol, self.protocol, self.from_port, self.to_port)

    def __str__(self) -> str:
        number = "*" if self.rule_number >= 32767 else str(self.rule_number)
        action = "allows" if self.allow else "denies"
        preposition = "to" if self.egress else "from"
        if self.protocol in (ICMP, ICMPV6):
            what = _ports_text(self.protocol, self.icmp_type, self.icmp_type)
        else:
            what = _ports_text(self.protocol, self.from_port, self.to_port)
        return f"rule {number} {action} {what} {preposition} {self.cidr or self.ipv6_cidr}"


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    id: str
    vpc_id: str
    entries: tuple[NaclEntry, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    is_default: bool = False

    def rules(self, *, egress: bool) -> tuple[NaclEntry, ...]:
        return tuple(sorted((e for e in self.entries if e.egress == egress), key=lambda e: e.rule_number))


@dataclass(frozen=True, slots=True)
class Route:
    """One route: a destination (IPv4 CIDR or prefix list) and a target."""

    target_kind: RouteTargetKind
    target_id: str
    destination: IPv4Network | None = None
    prefix_list_id: str | None = None
    blackhole: bool = False

    def __post_init__(self) -> None:
        if (self.destination is None) == (self.prefix_list_id is None):
            raise InputError(
                where=f"route to {self.target_id}",
                expected="exactly one of a destination CIDR or a destination prefix list",
                found="both" if self.destination is not None else "neither",
                fix="give DestinationCidrBlock or DestinationPrefixListId",
            )

    def __str__(self) -> str:
        state = " (blackhole)" if self.blackhole else ""
        return f"route {self.destination or self.prefix_list_id} -> {self.target_id}{state}"


@dataclass(frozen=True, slots=True)
class RouteTable:
    id: str
    vpc_id: str
    routes: tuple[Route, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    main: bool = False


@dataclass(frozen=True, slots=True)
class Vpc:
    id: str
    cidrs: tuple[IPv4Network, ...]
    owner_id: str | None = None


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    vpc_id: str
    cidr: IPv4Network
    availability_zone: str = ""
    map_public_ip_on_launch: bool = False


@dataclass(frozen=True, slots=True)
class InternetGateway:
    id: str
    vpc_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NatGateway:
    """A NAT gateway; ``public`` is None when the backend did not say which connectivity type it has."""

    id: str
    vpc_id: str
    subnet_id: str
    public: bool | None = True
    available: bool = True


@dataclass(frozen=True, slots=True)
class PeeringConnection:
    id: str
    requester_vpc_id: str
    accepter_vpc_id: str
    active: bool
    requester_region: str | None = None
    accepter_region: str | None = None
    requester_cidrs: tuple[IPv4Network, ...] = ()
    accepter_cidrs: tuple[IPv4Network, ...] = ()

    def other(self, vpc_id: str) -> str | None:
        if vpc_id == self.requester_vpc_id:
            return self.accepter_vpc_id
        if vpc_id == self.accepter_vpc_id:
            return self.requester_vpc_id
        return None

    def cidrs_of(self, vpc_id: str) -> tuple[IPv4Network, ...]:
        """The IPv4 blocks the peering carries for one side (as the peering reports them)."""
        if vpc_id == self.requester_vpc_id:
            return self.requester_cidrs
        if vpc_id == self.accepter_vpc_id:
            return self.accepter_cidrs
        return ()

    @property
    def same_region(self) -> bool | None:
        if self.requester_region is None or self.accepter_region is None:
            return None
        return self.requester_region == self.accepter_region


@dataclass(frozen=True, slots=True)
class GatewayEndpoint:
    """A gateway VPC endpoint (S3, DynamoDB), reached by a prefix-list route in the listed route tables."""

    id: str
    vpc_id: str
    service_name: str
    route_table_ids: tuple[str, ...] = ()
    policy: str | None = None
    available: bool = True


@dataclass(frozen=True, slots=True)
class InterfaceEndpoint:
    """An interface VPC endpoint: network interfaces in subnets, guarded by security groups."""

    id: str
    vpc_id: str
    service_name: str
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    network_interface_ids: tuple[str, ...] = ()
    private_dns: bool = False
    private_dns_only_for_inbound_resolver: bool | None = None
    policy: str | None = None
    available: bool = True


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    id: str
    vpc_id: str
    subnet_id: str
    private_ips: tuple[IPv4Address, ...] = ()
    group_ids: tuple[str, ...] = ()
    public_ip: str | None = None
    interface_type: str = "interface"
    description: str = ""


@dataclass(frozen=True, slots=True)
class PrefixList:
    """A managed prefix list; ``entries`` is None when the backend did not return them."""

    id: str
    name: str = ""
    entries: tuple[IPv4Network, ...] | None = None

    def addresses(self) -> IntervalSet | None:
        return None if self.entries is None else IntervalSet.networks(self.entries)


_T = TypeVar("_T")


def _index(kind: str, items: Iterable[_T], key: str = "id") -> Mapping[str, _T]:
    out: dict[str, _T] = {}
    for item in items:
        ident = getattr(item, key)
        if ident in out:
            raise InputError(
                where=f"{kind} {ident}",
                expected=f"each {kind} id once",
                found="a duplicate",
                fix="remove the duplicate from the model",
            )
        out[ident] = item
    return MappingProxyType(out)


@dataclass(frozen=True, slots=True)
class NetworkModel:
    """The deployed network of one account and region, as read back from the backend.

    ``gaps`` lists what the backend did not provide (an unsupported describe call, a field it omits); the
    analysis cites these when it answers UNVERIFIED.
    """

    region: str
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    peerings: tuple[PeeringConnection, ...] = ()
    gateway_endpoints: tuple[GatewayEndpoint, ...] = ()
    interface_endpoints: tuple[InterfaceEndpoint, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    gaps: tuple[str, ...] = ()

    vpc: Mapping[str, Vpc] = field(init=False, repr=False, compare=False)
    subnet: Mapping[str, Subnet] = field(init=False, repr=False, compare=False)
    route_table: Mapping[str, RouteTable] = field(init=False, repr=False, compare=False)
    network_acl: Mapping[str, NetworkAcl] = field(init=False, repr=False, compare=False)
    security_group: Mapping[str, SecurityGroup] = field(init=False, repr=False, compare=False)
    internet_gateway: Mapping[str, InternetGateway] = field(init=False, repr=False, compare=False)
    nat_gateway: Mapping[str, NatGateway] = field(init=False, repr=False, compare=False)
    peering: Mapping[str, PeeringConnection] = field(init=False, repr=False, compare=False)
    gateway_endpoint: Mapping[str, GatewayEndpoint] = field(init=False, repr=False, compare=False)
    interface_endpoint: Mapping[str, InterfaceEndpoint] = field(init=False, repr=False, compare=False)
    network_interface: Mapping[str, NetworkInterface] = field(init=False, repr=False, compare=False)
    prefix_list: Mapping[str, PrefixList] = field(init=False, repr=False, compare=False)
    _subnet_table: Mapping[str, str | None] = field(init=False, repr=False, compare=False)
    _subnet_acl: Mapping[str, str | None] = field(init=False, repr=False, compare=False)
    _group_members: Mapping[str, tuple[NetworkInterface, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "vpc", _index("VPC", self.vpcs))
        put(self, "subnet", _index("subnet", self.subnets))
        put(self, "route_table", _index("route table", self.route_tables))
        put(self, "network_acl", _index("network ACL", self.network_acls))
        put(self, "security_group", _index("security group", self.security_groups))
        put(self, "internet_gateway", _index("internet gateway", self.internet_gateways))
        put(self, "nat_gateway", _index("NAT gateway", self.nat_gateways))
        put(self, "peering", _index("peering connection", self.peerings))
        put(self, "gateway_endpoint", _index("gateway endpoint", self.gateway_endpoints))
        put(self, "interface_endpoint", _index("interface endpoint", self.interface_endpoints))
        put(self, "network_interface", _index("network interface", self.network_interfaces))
        put(self, "prefix_list", _index("prefix list", self.prefix_lists))
        for subnet in self.subnets:
            self._require(subnet.vpc_id in self.vpc, f"subnet {subnet.id}", "a VPC in the model", subnet.vpc_id)
        owned: tuple[RouteTable | NetworkAcl | SecurityGroup, ...] = (
            *self.route_tables,
            *self.network_acls,
            *self.security_groups,
        )
        for item in owned:
            self._require(item.vpc_id in self.vpc, f"{item.id}", "a VPC in the model", item.vpc_id)
        for eni in self.network_interfaces:
            self._require(eni.subnet_id in self.subnet, f"network interface {eni.id}", "a subnet", eni.subnet_id)

        # A subnet without an explicit association uses its VPC's main route table and default network ACL.
        main = {t.vpc_id: t.id for t in self.route_tables if t.main}
        explicit_table = {s: t.id for t in self.route_tables for s in t.subnet_ids}
        default_acl = {a.vpc_id: a.id for a in self.network_acls if a.is_default}
        explicit_acl = {s: a.id for a in self.network_acls for s in a.subnet_ids}
        put(
            self,
            "_subnet_table",
            MappingProxyType({s.id: explicit_table.get(s.id, main.get(s.vpc_id)) for s in self.subnets}),
        )
        put(
            self,
            "_subnet_acl",
            MappingProxyType({s.id: explicit_acl.get(s.id, default_acl.get(s.vpc_id)) for s in self.subnets}),
        )
        members: dict[str, list[NetworkInterface]] = {}
        for eni in self.network_interfaces:
            for g in eni.group_ids:
                members.setdefault(g, []).append(eni)
        put(self, "_group_members", MappingProxyType({g: tuple(v) for g, v in members.items()}))

    @staticmethod
    def _require(ok: bool, where: str, expected: str, found: str) -> None:
        if not ok:
            raise InputError(where=where, expected=expected, found=repr(found), fix="add it to the model or drop it")

    def route_table_for(self, subnet_id: str) -> RouteTable | None:
        """The route table a subnet uses: its explicit association, else its VPC's main table."""
        table_id = self._subnet_table.get(subnet_id)
        return None if table_id is None else self.route_table[table_id]

    def network_acl_for(self, subnet_id: str) -> NetworkAcl | None:
        """The network ACL of a subnet: its explicit association, else its VPC's default ACL."""
        acl_id = self._subnet_acl.get(subnet_id)
        return None if acl_id is None else self.network_acl[acl_id]

    def members_of(self, group_id: str) -> tuple[NetworkInterface, ...]:
        """Network interfaces that have the security group attached."""
        return self._group_members.get(group_id, ())

    def subnet_containing(self, address: IPv4Address) -> Subnet | None:
        for subnet in self.subnets:
            if address in subnet.cidr:
                return subnet
        return None

    def vpc_containing(self, address: IPv4Address) -> Vpc | None:
        for vpc in self.vpcs:
            if any(address in c for c in vpc.cidrs):
                return vpc
        return None

    def interface_with_ip(self, address: IPv4Address) -> NetworkInterface | None:
        for eni in self.network_interfaces:
            if address in eni.private_ips:
                return eni
        return None

    def prefix_list_named(self, name: str) -> PrefixList | None:
        for pl in self.prefix_lists:
            if pl.name == name:
                return pl
        return None
