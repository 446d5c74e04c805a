"""Reachability over the network model: can a source reach a destination on a protocol and port, and why.

The analysis follows one packet and its reply through every component AWS applies: source security groups
(stateful, so egress only), the source subnet's network ACL (stateless: outbound, and inbound for the reply on
the client's ephemeral ports), the source route table (longest prefix match), the next hop (local, peering,
internet gateway, NAT gateway, gateway endpoint), the destination subnet's network ACL (inbound, and outbound
for the reply), the destination security groups (ingress) and, for endpoints, the endpoint policy.

Sources and destinations are address *sets* (a build may get any address of its subnet). Each component is
evaluated over the whole set: when a component admits only part of it the answer is UNVERIFIED (the outcome
depends on the address the interface gets), never a guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from harness.errors import InputError
from harness.network.intervals import (
    ALL_ICMP_TYPES,
    ALL_PORTS,
    EMPTY,
    EPHEMERAL_PORTS,
    IntervalSet,
)
from harness.network.model import (
    ALL_PROTOCOLS,
    ICMP,
    TCP,
    UDP,
    CidrPeer,
    NaclEntry,
    NetworkInterface,
    NetworkModel,
    PrefixListPeer,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroupRule,
    Subnet,
    normalize_protocol,
    protocol_label,
)
from harness.network.policy import evaluate_endpoint_policy
from harness.network.targets import (
    Address,
    Destination,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    SubnetTarget,
)


class Verdict(StrEnum):
    REACHABLE = "REACHABLE"
    BLOCKED = "BLOCKED"
    UNVERIFIED = "UNVERIFIED"


class Component(StrEnum):
    SECURITY_GROUP = "security-group"
    NETWORK_ACL = "network-acl"
    ROUTE_TABLE = "route-table"
    INTERNET_GATEWAY = "internet-gateway"
    NAT_GATEWAY = "nat-gateway"
    PEERING = "vpc-peering-connection"
    GATEWAY_ENDPOINT = "gateway-endpoint"
    INTERFACE_ENDPOINT = "interface-endpoint"
    ENDPOINT_POLICY = "endpoint-policy"
    SOURCE = "source"
    DESTINATION = "destination"


Rule = SecurityGroupRule | NaclEntry | Route


@dataclass(frozen=True, slots=True)
class Hop:
    """One component the traffic passed, with the rules that let it through.

    ``direction`` is ``egress``/``ingress`` for security groups, ``outbound``/``inbound`` (and ``reply
    outbound``/``reply inbound`` for the return traffic) for network ACLs, ``forward``/``reply`` for routes.
    ``subnet_id`` names the subnet whose ACL or route table it is.
    """

    component_id: str
    kind: Component
    direction: str
    rules: tuple[Rule, ...] = ()
    detail: str = ""
    subnet_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.component_id} {self.direction}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Block:
    """The first component that stopped the traffic and its rule (None: no rule matched, implicit deny)."""

    component_id: str
    kind: Component
    direction: str
    rule: Rule | None
    detail: str


@dataclass(frozen=True, slots=True)
class Reachability:
    """The answer to one reachability question.

    ``hops`` is the path for REACHABLE (otherwise the part walked before the stop); ``blocked_by`` is set
    for BLOCKED; ``reason`` says why for BLOCKED and UNVERIFIED; ``explanation`` is the sentence to read.
    """

    verdict: Verdict
    source: str
    destination: str
    protocol: str
    port: int | None
    hops: tuple[Hop, ...] = ()
    blocked_by: Block | None = None
    reason: str = ""
    explanation: str = ""

    @property
    def reachable(self) -> bool:
        return self.verdict is Verdict.REACHABLE

    @property
    def endpoint_ids(self) -> tuple[str, ...]:
        """The VPC endpoints the path goes through (for checks on ``aws:SourceVpce`` in bucket policies)."""
        kinds = (Component.GATEWAY_ENDPOINT, Component.INTERFACE_ENDPOINT)
        return tuple(h.component_id for h in self.hops if h.kind in kinds)


@dataclass(frozen=True, slots=True)
class PortRange:
    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class PortReachability:
    """Which ports (ICMP: types) of one protocol a source reaches on a destination.

    ``reachable`` and ``unverified`` are disjoint; everything else is blocked. ``samples`` holds one full
    answer per range of ports that every rule treats alike.
    """

    protocol: str
    reachable: tuple[PortRange, ...]
    unverified: tuple[PortRange, ...]
    samples: tuple[Reachability, ...]

    @property
    def any_reachable(self) -> bool:
        return bool(self.reachable)


# Addresses that are not internet hosts: this network, RFC 1918, CGNAT, loopback, link-local, multicast
# and reserved space. "The internet" without an address means every other IPv4 address.
_NOT_INTERNET = IntervalSet.networks(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/3",
    )
)
_INTERNET = IntervalSet.all_ipv4().difference(_NOT_INTERNET)
# AWS public service endpoints listen for HTTP and HTTPS; interface endpoints for AWS services for HTTPS.
_PUBLIC_SERVICE_PORTS = IntervalSet.of([(80, 80), (443, 443)])
_INTERFACE_ENDPOINT_PORTS = IntervalSet.single(443)
# A NAT gateway picks its own source ports for the translated connection from 1024-65535.
_NAT_PORTS = EPHEMERAL_PORTS
_ICMP_ECHO_REQUEST = 8
_ICMP_ECHO_REPLY = 0


@dataclass(frozen=True, slots=True)
class _Flow:
    protocol: str
    port: int
    reply_ports: IntervalSet | None  # None: the protocol has no reply to check (ICMP other than echo)
    reply_protocol: str

    @property
    def label(self) -> str:
        if self.protocol in (TCP, UDP):
            return f"{protocol_label(self.protocol)} {self.port}"
        if self.protocol == ICMP:
            return f"icmp type {self.port}"
        return protocol_label(self.protocol)


@dataclass(frozen=True, slots=True)
class _Placement:
    label: str
    vpc_id: str
    subnet: Subnet
    groups: frozenset[str]
    group_order: tuple[str, ...]
    addresses: IntervalSet
    public_ip: bool


@dataclass(frozen=True, slots=True)
class _Host:
    label: str
    addresses: IntervalSet
    vpc_id: str | None = None  # None: outside every VPC (internet host or public service endpoint)
    subnet: Subnet | None = None
    groups: frozenset[str] | None = None  # None: not known (no network interface found)
    service: ServiceTarget | None = None
    service_pl: str | None = None
    interface_endpoint: str | None = None
    ungrouped_reason: str = ""


class _Stop(Exception):
    def __init__(self, verdict: Verdict, reason: str, block: Block | None = None) -> None:
        super().__init__(reason)
        self.verdict = verdict
        self.reason = reason
        self.block = block


_KIND_LABELS = {
    Component.SECURITY_GROUP: "security group",
    Component.NETWORK_ACL: "network ACL",
    Component.ROUTE_TABLE: "route table",
    Component.INTERNET_GATEWAY: "internet gateway",
    Component.NAT_GATEWAY: "NAT gateway",
    Component.PEERING: "peering connection",
    Component.GATEWAY_ENDPOINT: "gateway endpoint",
    Component.INTERFACE_ENDPOINT: "interface endpoint",
    Component.ENDPOINT_POLICY: "endpoint",
    Component.SOURCE: "source",
    Component.DESTINATION: "",
}


def _blocked(component_id: str, kind: Component, direction: str, rule: Rule | None, detail: str) -> _Stop:
    reason = f"{_KIND_LABELS[kind]} {component_id} {detail}".strip()
    return _Stop(Verdict.BLOCKED, reason, Block(component_id, kind, direction, rule, detail))


def _unverified(reason: str) -> _Stop:
    return _Stop(Verdict.UNVERIFIED, reason)


def _host_addresses(subnet: Subnet) -> IntervalSet:
    """Addresses a network interface can hold in a subnet: AWS reserves the first four and the last."""
    lo = int(subnet.cidr.network_address) + 4
    hi = int(subnet.cidr.broadcast_address) - 1
    return IntervalSet.span(lo, hi) if lo <= hi else IntervalSet.network(subnet.cidr)


class _Walk:
    """One packet and its reply from one placement to one host."""

    def __init__(self, model: NetworkModel, flow: _Flow, placement: _Placement, host: _Host) -> None:
        self.model = model
        self.flow = flow
        self.src = placement
        self.dst = host
        self.hops: list[Hop] = []
        self.pending: list[str] = []

    def undecided(self, reason: str) -> None:
        """A component that admits part of the traffic, or cannot be evaluated: keep walking, because a later
        component that blocks everything still decides BLOCKED; otherwise the answer is UNVERIFIED."""
        self.pending.append(reason)

    # -- security groups ----------------------------------------------------------------------------------

    def security_groups(
        self,
        group_ids: Sequence[str],
        *,
        egress: bool,
        peer: IntervalSet,
        peer_groups: frozenset[str],
        peer_pl: str | None,
        peer_label: str,
    ) -> None:
        """Security groups allow only; the union of all rules of all attached groups decides."""
        direction = "egress" if egress else "ingress"
        verb = "to" if egress else "from"
        owner = ", ".join(group_ids) if group_ids else "(none)"
        if not group_ids:
            raise _blocked(
                owner,
                Component.SECURITY_GROUP,
                direction,
                None,
                f"{direction}: no security group is attached, so nothing is allowed",
            )
        covered = EMPTY
        used: list[SecurityGroupRule] = []
        unknown: list[str] = []
        for group_id in group_ids:
            group = self.model.security_group.get(group_id)
            if group is None:
                unknown.append(f"group {group_id} (not in the model read from the backend)")
                continue
            for rule in group.egress if egress else group.ingress:
                if self.flow.port not in rule.ports_for(self.flow.protocol):
                    continue
                peer_part = self._rule_peer(rule, peer, peer_groups, peer_pl, unknown)
                if peer_part and not covered.covers(peer_part):
                    covered = covered.union(peer_part)
                    used.append(rule)
        owner_id = group_ids[0] if len(group_ids) == 1 else owner
        if covered.covers(peer):
            self.hops.append(
                Hop(owner_id, Component.SECURITY_GROUP, direction, tuple(used), "; ".join(str(r) for r in used))
            )
            return
        if unknown:
            self.undecided(
                f"security group {owner_id} {direction}: {', '.join(unknown)} cannot be evaluated, so it is not "
                f"known whether {self.flow.label} {verb} {peer_label} is allowed"
            )
            return
        if not covered:
            raise _blocked(
                owner_id,
                Component.SECURITY_GROUP,
                direction,
                None,
                f"{direction}: no rule allows {self.flow.label} {verb} {peer_label} "
                "(security groups deny what they do not allow)",
            )
        self.undecided(
            f"security group {owner_id} {direction} allows {self.flow.label} {verb} only "
            f"{covered.intersection(peer).describe_ipv4()} of {peer_label} ({peer.describe_ipv4()}); "
            "the outcome depends on the address in use"
        )

    def _rule_peer(
        self,
        rule: SecurityGroupRule,
        peer: IntervalSet,
        peer_groups: frozenset[str],
        peer_pl: str | None,
        unknown: list[str],
    ) -> IntervalSet:
        if isinstance(rule.peer, CidrPeer):
            cidr = rule.peer.cidr
            if isinstance(cidr, ipaddress.IPv6Network):
                return EMPTY  # IPv6 rules never match IPv4 traffic
            return IntervalSet.network(cidr).intersection(peer)
        if isinstance(rule.peer, PrefixListPeer):
            pl_id = rule.peer.prefix_list_id
            if pl_id == peer_pl:
                return peer
            pl = self.model.prefix_list.get(pl_id)
            entries = None if pl is None else pl.addresses()
            if entries is None:
                unknown.append(f"rule '{rule}' (prefix list entries unknown)")
                return EMPTY
            return entries.intersection(peer)
        # A group reference matches traffic from/to the private address of an interface in that group, only
        # within the VPC or across a same-Region peering (never through NAT, an internet gateway, endpoints).
        return peer if rule.peer.group_id in peer_groups else EMPTY

    # -- network ACLs -------------------------------------------------------------------------------------

    def network_acl(
        self,
        subnet: Subnet,
        *,
        egress: bool,
        protocol: str,
        ports: IntervalSet,
        peer: IntervalSet,
        direction: str,
        peer_label: str,
        ports_label: str,
    ) -> None:
        """Network ACL rules are evaluated lowest number first; the first match decides; none: deny."""
        acl = self.model.network_acl_for(subnet.id)
        if acl is None:
            self.undecided(f"no network ACL is known for subnet {subnet.id} (the backend returned none)")
            return
        rules = [r for r in acl.rules(egress=egress) if r.cidr is not None]  # IPv6 rules never match IPv4
        allowed: list[tuple[NaclEntry, IntervalSet, IntervalSet]] = []
        denied: list[tuple[NaclEntry | None, IntervalSet, IntervalSet]] = []
        incomplete: list[NaclEntry] = []
        for atom in peer.cut(IntervalSet.network(r.cidr) for r in rules if r.cidr is not None):
            remaining = ports
            probe = ipaddress.IPv4Address(atom.first)
            for rule in rules:
                if rule.cidr is None or probe not in rule.cidr:
                    continue
                hit = rule.ports_for(protocol).intersection(remaining)
                if not hit:
                    continue
                if rule.incomplete:
                    # What this rule matches is not known, so neither is anything decided after it.
                    incomplete.append(rule)
                    remaining = EMPTY
                    break
                if rule.allow:
                    allowed.append((rule, atom, hit))
                else:
                    denied.append((rule, atom, hit))
                remaining = remaining.difference(hit)
                if not remaining:
                    break
            if remaining:
                denied.append((None, atom, remaining))
        verb = "to" if egress else "from"
        what = f"{protocol_label(protocol)} {ports_label}"
        if not denied and not incomplete:
            rules_used = tuple(dict.fromkeys(r for r, _, _ in allowed))
            self.hops.append(
                Hop(acl.id, Component.NETWORK_ACL, direction, rules_used, "; ".join(map(str, rules_used)), subnet.id)
            )
            return
        if not allowed and not incomplete:
            deciding = denied[0][0]
            if deciding is None:
                detail = f"{direction}: no rule matches {what} {verb} {peer_label} (implicit deny)"
            else:
                detail = f"{direction} {deciding}"
                if f"{what} " not in f"{deciding} ":
                    detail += f" ({what} {verb} {peer_label})"
            raise _blocked(acl.id, Component.NETWORK_ACL, direction, deciding, detail)
        if incomplete:
            self.undecided(
                f"network ACL {acl.id} {direction} {incomplete[0]} may decide, but {incomplete[0].incomplete}"
            )
            return
        allowed_ports = IntervalSet.of(s for _, _, p in allowed for s in p)
        allowed_peers = IntervalSet.of(s for _, a, _ in allowed for s in a)
        self.undecided(
            f"network ACL {acl.id} {direction} allows {what} {verb} {peer_label} only in part "
            f"(ports {allowed_ports.describe_ports()}, addresses {allowed_peers.describe_ipv4()}); "
            "the outcome depends on the address or ephemeral port in use"
        )

    # -- routes -------------------------------------------------------------------------------------------

    def route(
        self, table: RouteTable, addresses: IntervalSet, peer_pl: str | None
    ) -> list[tuple[IntervalSet, Route | None]]:
        """Longest-prefix match of every address of ``addresses``; the parts that share a route, in order."""
        candidates: list[tuple[IntervalSet, int, int, Route]] = []
        for order, r in enumerate(table.routes):
            if r.destination is not None:
                candidates.append((IntervalSet.network(r.destination), r.destination.prefixlen, order, r))
                continue
            pl = self.model.prefix_list.get(r.prefix_list_id or "")
            if pl is None or pl.entries is None:
                if r.prefix_list_id == peer_pl:
                    candidates.append((addresses, 33, order, r))
                    continue
                if pl is not None and pl.name.startswith("com.amazonaws.") and not addresses.overlaps(_INTERNET):
                    continue  # AWS service prefix lists hold public service ranges, never private addresses
                raise _unverified(
                    f"route table {table.id} routes prefix list {r.prefix_list_id} whose entries the "
                    "backend did not return; cannot tell which addresses it covers"
                )
            for net in pl.entries:
                candidates.append((IntervalSet.network(net), net.prefixlen, order, r))
        parts: dict[int, tuple[list[tuple[int, int]], Route | None]] = {}
        for atom in addresses.cut(c[0] for c in candidates):
            probe = atom.first
            best: tuple[int, int, Route] | None = None
            for span, length, order, r in candidates:
                # Most specific wins; on a tie the route listed first (AWS forbids true duplicates).
                if probe in span and (best is None or length > best[0]):
                    best = (length, order, r)
            key = -1 if best is None else best[1]
            parts.setdefault(key, ([], None if best is None else best[2]))[0].extend(atom.spans)
        return [(IntervalSet.of(spans), r) for spans, r in parts.values()]

    def table_of(self, subnet: Subnet) -> RouteTable:
        table = self.model.route_table_for(subnet.id)
        if table is None:
            raise _unverified(f"no route table is known for subnet {subnet.id} (no association and no main table)")
        return table

    def route_hop(self, table: RouteTable, route: Route, subnet: Subnet, direction: str = "forward") -> None:
        self.hops.append(Hop(table.id, Component.ROUTE_TABLE, direction, (route,), str(route), subnet.id))

    def single_route(self, table: RouteTable, addresses: IntervalSet, peer_pl: str | None, label: str) -> Route:
        parts = self.route(table, addresses, peer_pl)
        if len(parts) > 1:
            described = "; ".join(f"{p.describe_ipv4()} -> {r.target_id if r else 'no route'}" for p, r in parts)
            raise _unverified(
                f"route table {table.id} sends different addresses of {label} different ways ({described})"
            )
        route = parts[0][1]
        if route is None:
            raise _blocked(table.id, Component.ROUTE_TABLE, "forward", None, f"has no route to {label}")
        if route.blackhole:
            raise _blocked(
                table.id,
                Component.ROUTE_TABLE,
                "forward",
                route,
                f"{route}: the target no longer exists, traffic is dropped",
            )
        return route

    # -- the walk -----------------------------------------------------------------------------------------

    def run(self) -> None:
        if self.dst.vpc_id is not None:
            self.to_vpc_host()
        else:
            self.to_outside()
        if self.pending:
            more = f" (and {len(self.pending) - 1} more undecided)" if len(self.pending) > 1 else ""
            raise _unverified(self.pending[0] + more)

    def _refs_allowed(self) -> bool:
        if self.dst.vpc_id == self.src.vpc_id:
            return True
        for pcx in self.model.peerings:
            if pcx.active and pcx.other(self.src.vpc_id) == self.dst.vpc_id and pcx.same_region:
                return True
        return False

    def to_vpc_host(self) -> None:
        src, dst, flow = self.src, self.dst, self.flow
        assert dst.subnet is not None and dst.vpc_id is not None
        same_subnet = dst.subnet.id == src.subnet.id
        refs = self._refs_allowed()
        self.security_groups(
            src.group_order,
            egress=True,
            peer=dst.addresses,
            peer_groups=(dst.groups or frozenset()) if refs else frozenset(),
            peer_pl=None,
            peer_label=dst.label,
        )
        if not same_subnet:
            self.network_acl(
                src.subnet,
                egress=True,
                protocol=flow.protocol,
                ports=IntervalSet.single(flow.port),
                peer=dst.addresses,
                direction="outbound",
                peer_label=dst.label,
                ports_label=self._port_text(),
            )
        table = self.table_of(src.subnet)
        route = self.single_route(table, dst.addresses, None, dst.label)
        peering_id: str | None = None
        if route.target_kind is RouteTargetKind.LOCAL:
            if dst.vpc_id != src.vpc_id:
                raise _unverified(f"{route} in {table.id} covers {dst.label} of another VPC (overlapping CIDRs)")
            self.route_hop(table, route, src.subnet)
        elif route.target_kind is RouteTargetKind.PEERING:
            peering_id = self.peering(table, route)
        elif route.target_kind is RouteTargetKind.INTERNET_GATEWAY:
            raise _blocked(
                table.id,
                Component.ROUTE_TABLE,
                "forward",
                route,
                f"{route}: an internet gateway does not deliver to the private address of {dst.label}",
            )
        elif route.target_kind is RouteTargetKind.GATEWAY_ENDPOINT:
            raise _blocked(
                table.id,
                Component.ROUTE_TABLE,
                "forward",
                route,
                f"{route}: a gateway endpoint only delivers to its AWS service",
            )
        elif route.target_kind is RouteTargetKind.NAT_GATEWAY:
            self.nat_to_private(table, route)
        else:
            raise _unverified(
                f"{route} in {table.id}: traffic to {dst.label} through a {route.target_kind} is not modelled"
            )
        if not same_subnet:
            self.network_acl(
                dst.subnet,
                egress=False,
                protocol=flow.protocol,
                ports=IntervalSet.single(flow.port),
                peer=src.addresses,
                direction="inbound",
                peer_label=src.label,
                ports_label=self._port_text(),
            )
        if dst.groups is None:
            self.undecided(
                f"{dst.label}: {dst.ungrouped_reason or 'no network interface is known there'}; "
                "its security groups cannot be evaluated"
            )
        else:
            self.security_groups(
                sorted(dst.groups),
                egress=False,
                peer=src.addresses,
                peer_groups=src.groups if refs else frozenset(),
                peer_pl=None,
                peer_label=src.label,
            )
        if dst.interface_endpoint is not None:
            self.interface_endpoint(dst.interface_endpoint)
        if flow.reply_ports is not None and not same_subnet:
            self.network_acl(
                dst.subnet,
                egress=True,
                protocol=flow.reply_protocol,
                ports=flow.reply_ports,
                peer=src.addresses,
                direction="reply outbound",
                peer_label=src.label,
                ports_label=self._reply_text(),
            )
        if peering_id is not None:
            back = self.table_of(dst.subnet)
            parts = self.route(back, src.addresses, None)
            routes = {r for _, r in parts}
            if len(routes) != 1 or next(iter(routes)) is None:
                raise _blocked(
                    back.id,
                    Component.ROUTE_TABLE,
                    "reply",
                    None,
                    f"has no single route back to {src.label} (replies are routed too)",
                )
            reply = next(iter(routes))
            assert reply is not None
            if reply.blackhole or reply.target_id != peering_id:
                raise _blocked(
                    back.id,
                    Component.ROUTE_TABLE,
                    "reply",
                    reply,
                    f"routes replies to {src.label} by {reply}, not by {peering_id}",
                )
            self.route_hop(back, reply, dst.subnet, "reply")
        if flow.reply_ports is not None and not same_subnet:
            self.network_acl(
                src.subnet,
                egress=False,
                protocol=flow.reply_protocol,
                ports=flow.reply_ports,
                peer=dst.addresses,
                direction="reply inbound",
                peer_label=dst.label,
                ports_label=self._reply_text(),
            )

    def nat_to_private(self, table: RouteTable, route: Route) -> None:
        """A private address of another VPC routed to a NAT gateway: the NAT gateway forwards by its own
        subnet's route table; an internet gateway there never delivers to a private address."""
        nat = self.model.nat_gateway.get(route.target_id)
        nat_subnet = None if nat is None else self.model.subnet.get(nat.subnet_id)
        if nat is None or nat_subnet is None:
            raise _unverified(f"{route} in {table.id}: NAT gateway {route.target_id} is not in the model")
        onward = self.model.route_table_for(nat_subnet.id)
        parts = [] if onward is None else self.route(onward, self.dst.addresses, None)
        if onward is not None and len(parts) == 1 and parts[0][1] is not None:
            next_route = parts[0][1]
            if next_route.target_kind is RouteTargetKind.INTERNET_GATEWAY:
                raise _blocked(
                    onward.id,
                    Component.ROUTE_TABLE,
                    "forward",
                    next_route,
                    f"(subnet {nat_subnet.id} of NAT gateway {nat.id}) sends {self.dst.label} to an internet "
                    "gateway, which does not deliver to a private address",
                )
        if onward is not None and len(parts) == 1 and parts[0][1] is None:
            raise _blocked(
                onward.id,
                Component.ROUTE_TABLE,
                "forward",
                None,
                f"(subnet {nat_subnet.id} of NAT gateway {nat.id}) has no route to {self.dst.label}",
            )
        raise _unverified(
            f"{route} in {table.id}: NAT gateway {nat.id} forwarding to the private address of {self.dst.label} "
            "is not modelled"
        )

    def peer_outside_model(self, table: RouteTable, route: Route) -> None:
        """An address routed to a peering that lies in the peer VPC, which the model does not hold (another
        account or Region): its side of the path cannot be evaluated."""
        pcx = self.model.peering.get(route.target_id)
        if pcx is None:
            raise _unverified(f"{route} in {table.id} names peering {route.target_id}, which is not in the model")
        other = pcx.other(self.src.vpc_id)
        if other is None or other in self.model.vpc:
            return
        peer_blocks = IntervalSet.networks(pcx.cidrs_of(other))
        if not peer_blocks or peer_blocks.overlaps(self.dst.addresses):
            raise _unverified(
                f"{self.dst.label} is routed to {pcx.id} towards {other}, a VPC the model does not hold "
                "(another account or Region); its network ACLs, routes and security groups cannot be evaluated"
            )

    def peering(self, table: RouteTable, route: Route) -> str:
        dst = self.dst
        pcx = self.model.peering.get(route.target_id)
        if pcx is None:
            raise _unverified(f"{route} in {table.id} names peering {route.target_id}, which is not in the model")
        if not pcx.active:
            raise _blocked(pcx.id, Component.PEERING, "forward", route, "is not active")
        other = pcx.other(self.src.vpc_id)
        if other is None:
            raise _blocked(pcx.id, Component.PEERING, "forward", route, f"does not connect {self.src.vpc_id}")
        if other != dst.vpc_id:
            raise _blocked(
                pcx.id,
                Component.PEERING,
                "forward",
                route,
                f"connects {self.src.vpc_id} with {other} only; {dst.label} is in {dst.vpc_id} and "
                "peering is not transitive",
            )
        self.route_hop(table, route, self.src.subnet)
        self.hops.append(
            Hop(pcx.id, Component.PEERING, "forward", (), f"{pcx.requester_vpc_id} <-> {pcx.accepter_vpc_id}")
        )
        return pcx.id

    def to_outside(self) -> None:
        src, dst, flow = self.src, self.dst, self.flow
        table = self.table_of(src.subnet)
        # A NAT gateway in the source's own subnet: the hop to it crosses no ACL; the NAT gateway's own hop
        # to the internet gateway crosses that subnet's ACL (checked with the NAT gateway).
        parts = self.route(table, dst.addresses, dst.service_pl)
        first = parts[0][1] if len(parts) == 1 else None
        nat = None
        if first is not None and first.target_kind is RouteTargetKind.NAT_GATEWAY and not first.blackhole:
            nat = self.model.nat_gateway.get(first.target_id)
        nat_here = nat is not None and nat.subnet_id == src.subnet.id
        self.security_groups(
            src.group_order,
            egress=True,
            peer=dst.addresses,
            peer_groups=frozenset(),
            peer_pl=dst.service_pl,
            peer_label=dst.label,
        )
        if not nat_here:
            self.network_acl(
                src.subnet,
                egress=True,
                protocol=flow.protocol,
                ports=IntervalSet.single(flow.port),
                peer=dst.addresses,
                direction="outbound",
                peer_label=dst.label,
                ports_label=self._port_text(),
            )
        route = self.single_route(table, dst.addresses, dst.service_pl, dst.label)
        kind = route.target_kind
        if kind is RouteTargetKind.INTERNET_GATEWAY:
            self.route_hop(table, route, src.subnet)
            self.internet_gateway(route.target_id, route, table)
            if not src.public_ip:
                raise _blocked(
                    src.label,
                    Component.SOURCE,
                    "forward",
                    route,
                    "has no public IPv4 address; an internet gateway only translates for interfaces "
                    "that have one (use a NAT gateway)",
                )
            self.service_port(_PUBLIC_SERVICE_PORTS, "its public endpoint")
        elif kind is RouteTargetKind.NAT_GATEWAY:
            self.route_hop(table, route, src.subnet)
            self.nat_gateway(route)
            self.service_port(_PUBLIC_SERVICE_PORTS, "its public endpoint")
        elif kind is RouteTargetKind.GATEWAY_ENDPOINT:
            self.route_hop(table, route, src.subnet)
            self.gateway_endpoint(route, table)
        elif kind is RouteTargetKind.PEERING:
            self.peer_outside_model(table, route)
            raise _blocked(
                route.target_id,
                Component.PEERING,
                "forward",
                route,
                f"does not carry traffic to {dst.label}: a peered VPC's internet gateway, NAT gateway "
                "and endpoints cannot be used (no edge-to-edge routing)",
            )
        elif kind is RouteTargetKind.LOCAL:
            raise _unverified(
                f"{route} in {table.id} covers {dst.label}: a VPC using public address space is not modelled"
            )
        else:
            raise _unverified(f"{route} in {table.id}: traffic through a {kind} is not modelled")
        if flow.reply_ports is not None and not nat_here:
            self.network_acl(
                src.subnet,
                egress=False,
                protocol=flow.reply_protocol,
                ports=flow.reply_ports,
                peer=dst.addresses,
                direction="reply inbound",
                peer_label=dst.label,
                ports_label=self._reply_text(),
            )
        if kind is not RouteTargetKind.GATEWAY_ENDPOINT:
            # Beyond the internet gateway the remote side's own filtering is outside the model.
            what = "public endpoint of the AWS service" if dst.service else "internet host, assumed to accept"
            self.hops.append(Hop(dst.label, Component.DESTINATION, "forward", (), what))

    def internet_gateway(self, igw_id: str, route: Route, table: RouteTable) -> None:
        igw = self.model.internet_gateway.get(igw_id)
        if igw is None:
            raise _unverified(f"{route} in {table.id} names {igw_id}, which is not in the model")
        if table.vpc_id not in igw.vpc_ids:
            raise _blocked(igw_id, Component.INTERNET_GATEWAY, "forward", route, f"is not attached to {table.vpc_id}")
        self.hops.append(Hop(igw_id, Component.INTERNET_GATEWAY, "forward", (), f"attached to {table.vpc_id}"))

    def nat_gateway(self, route: Route) -> None:
        src, dst, flow = self.src, self.dst, self.flow
        nat = self.model.nat_gateway.get(route.target_id)
        if nat is None:
            raise _unverified(f"{route}: NAT gateway {route.target_id} is not in the model")
        if not nat.available:
            raise _blocked(nat.id, Component.NAT_GATEWAY, "forward", route, "is not available")
        if nat.public is None:
            raise _unverified(f"NAT gateway {nat.id}: the backend did not say whether it is public or private")
        if not nat.public:
            raise _blocked(
                nat.id,
                Component.NAT_GATEWAY,
                "forward",
                route,
                "is a private NAT gateway; it cannot reach the internet",
            )
        nat_subnet = self.model.subnet.get(nat.subnet_id)
        if nat_subnet is None or nat.vpc_id != src.vpc_id:
            raise _unverified(f"NAT gateway {nat.id} sits in subnet {nat.subnet_id}, not in {src.vpc_id} of the model")
        reply = flow.reply_ports is not None
        if nat_subnet.id != src.subnet.id:
            # The leg from the source to the NAT gateway crosses the NAT subnet's ACL in both directions.
            self.network_acl(
                nat_subnet,
                egress=False,
                protocol=flow.protocol,
                ports=IntervalSet.single(flow.port),
                peer=src.addresses,
                direction="inbound",
                peer_label=src.label,
                ports_label=self._port_text(),
            )
            if reply:
                assert flow.reply_ports is not None
                self.network_acl(
                    nat_subnet,
                    egress=True,
                    protocol=flow.reply_protocol,
                    ports=flow.reply_ports,
                    peer=src.addresses,
                    direction="reply outbound",
                    peer_label=src.label,
                    ports_label=self._reply_text(),
                )
        self.hops.append(Hop(nat.id, Component.NAT_GATEWAY, "forward", (), f"in {nat.subnet_id}", nat.subnet_id))
        self.network_acl(
            nat_subnet,
            egress=True,
            protocol=flow.protocol,
            ports=IntervalSet.single(flow.port),
            peer=dst.addresses,
            direction="outbound",
            peer_label=dst.label,
            ports_label=self._port_text(),
        )
        table = self.table_of(nat_subnet)
        route2 = self.single_route(table, dst.addresses, dst.service_pl, dst.label)
        if route2.target_kind is not RouteTargetKind.INTERNET_GATEWAY:
            if route2.target_kind is RouteTargetKind.GATEWAY_ENDPOINT and dst.service is not None:
                raise _unverified(
                    f"NAT gateway {nat.id} subnet routes {dst.label} to {route2.target_id}: a NAT "
                    "gateway forwarding to a gateway endpoint is not modelled"
                )
            raise _blocked(
                table.id,
                Component.ROUTE_TABLE,
                "forward",
                route2,
                f"(subnet {nat_subnet.id} of NAT gateway {nat.id}) sends {dst.label} by {route2}, not "
                "to an internet gateway, so the NAT gateway cannot reach it",
            )
        self.route_hop(table, route2, nat_subnet)
        self.internet_gateway(route2.target_id, route2, table)
        if reply:
            # Replies come back to the NAT gateway's own ephemeral port.
            self.network_acl(
                nat_subnet,
                egress=False,
                protocol=flow.reply_protocol,
                ports=_NAT_PORTS if flow.reply_protocol in (TCP, UDP) else flow.reply_ports or EMPTY,
                peer=dst.addresses,
                direction="reply inbound",
                peer_label=dst.label,
                ports_label=f"to NAT ports {_NAT_PORTS.describe_ports()}",
            )

    def gateway_endpoint(self, route: Route, table: RouteTable) -> None:
        dst = self.dst
        ep = self.model.gateway_endpoint.get(route.target_id)
        if ep is None:
            raise _unverified(f"{route} in {table.id}: gateway endpoint {route.target_id} is not in the model")
        if dst.service is None:
            raise _unverified(
                f"{dst.label} is routed to gateway endpoint {ep.id} ({ep.service_name}); ask about the service itself"
            )
        wanted = dst.service.service_name(self.model.region)
        if ep.service_name != wanted:
            raise _blocked(
                ep.id, Component.GATEWAY_ENDPOINT, "forward", route, f"serves {ep.service_name}, not {wanted}"
            )
        if not ep.available:
            raise _blocked(ep.id, Component.GATEWAY_ENDPOINT, "forward", route, "is not available")
        if table.id not in ep.route_table_ids:
            raise _unverified(f"{table.id} routes to {ep.id} but the endpoint does not list that route table")
        self.hops.append(Hop(ep.id, Component.GATEWAY_ENDPOINT, "forward", (), ep.service_name))
        self.service_port(_PUBLIC_SERVICE_PORTS, f"gateway endpoint {ep.id}")
        self.endpoint_policy(ep.id, ep.policy)

    def interface_endpoint(self, endpoint_id: str) -> None:
        ep = self.model.interface_endpoint[endpoint_id]
        if not ep.available:
            raise _blocked(ep.id, Component.INTERFACE_ENDPOINT, "forward", None, "is not available")
        self.service_port(_INTERFACE_ENDPOINT_PORTS, f"interface endpoint {ep.id}")
        self.hops.append(Hop(ep.id, Component.INTERFACE_ENDPOINT, "forward", (), ep.service_name))
        self.endpoint_policy(ep.id, ep.policy)

    def service_port(self, ports: IntervalSet, where: str) -> None:
        if self.dst.service is None:
            return
        if self.flow.protocol != TCP or self.flow.port not in ports:
            raise _blocked(
                self.dst.service.service,
                Component.DESTINATION,
                "forward",
                None,
                f"listens on tcp {ports.describe_ports()} at {where}, not {self.flow.label}",
            )

    def endpoint_policy(self, endpoint_id: str, policy: str | None) -> None:
        service = self.dst.service
        assert service is not None
        decision = evaluate_endpoint_policy(
            policy, action=service.action, resource=service.resource, principal=service.principal
        )
        if decision.allowed is None:
            self.undecided(f"endpoint {endpoint_id}: {decision.reason}")
            return
        if not decision.allowed:
            raise _blocked(endpoint_id, Component.ENDPOINT_POLICY, "forward", None, f"policy: {decision.reason}")
        self.hops.append(Hop(endpoint_id, Component.ENDPOINT_POLICY, "forward", (), decision.reason))

    def _port_text(self) -> str:
        return (
            str(self.flow.port)
            if self.flow.protocol in (TCP, UDP)
            else (f"type {self.flow.port}" if self.flow.protocol == ICMP else "")
        )

    def _reply_text(self) -> str:
        ports = self.flow.reply_ports or EMPTY
        if self.flow.reply_protocol in (TCP, UDP):
            return f"replies to ports {ports.describe_ports()}"
        if self.flow.reply_protocol == ICMP:
            return f"reply type {ports.describe_ports()}"
        return "replies"


# -- resolving the question -------------------------------------------------------------------------------


def _flow(protocol: str | int, port: int | None, ephemeral_ports: IntervalSet) -> _Flow:
    proto = normalize_protocol(protocol)
    if proto == ALL_PROTOCOLS:
        raise InputError(
            where="reachability question",
            expected="one protocol (tcp, udp, icmp or a number)",
            found="all protocols",
            fix="ask per protocol, or use reachable_ports()",
        )
    if proto in (TCP, UDP):
        if port is None or not 0 <= port <= 65535:
            raise InputError(
                where="reachability question",
                expected="a port from 0 to 65535",
                found=repr(port),
                fix=f"give the {protocol_label(proto)} port",
            )
        return _Flow(proto, port, ephemeral_ports, proto)
    if proto == ICMP:
        icmp_type = _ICMP_ECHO_REQUEST if port is None else port
        if not 0 <= icmp_type <= 255:
            raise InputError(
                where="reachability question",
                expected="an ICMP type from 0 to 255",
                found=repr(port),
                fix="give the ICMP type (8 for echo request)",
            )
        reply = IntervalSet.single(_ICMP_ECHO_REPLY) if icmp_type == _ICMP_ECHO_REQUEST else None
        return _Flow(proto, icmp_type, reply, proto)
    return _Flow(proto, 0, IntervalSet.single(0), proto)


def _placements(model: NetworkModel, source: Source) -> list[_Placement]:
    if source.vpc_id not in model.vpc:
        raise InputError(
            where=f"source '{source.name}'",
            expected="a VPC of the model",
            found=source.vpc_id,
            fix="check the vpcConfig against the deployed VPCs",
        )
    out = []
    for subnet_id in source.subnet_ids:
        subnet = model.subnet.get(subnet_id)
        if subnet is None or subnet.vpc_id != source.vpc_id:
            raise InputError(
                where=f"source '{source.name}'",
                expected=f"a subnet of {source.vpc_id}",
                found=subnet_id,
                fix="check the vpcConfig subnets against the deployed subnets",
            )
        if source.address is not None:
            ip = ipaddress.IPv4Address(source.address)
            if ip not in subnet.cidr:
                raise InputError(
                    where=f"source '{source.name}'",
                    expected=f"an address in {subnet.cidr}",
                    found=source.address,
                    fix="give the interface's private address",
                )
            addresses = IntervalSet.single(int(ip))
            label = f"{source.name} ({source.address})"
        else:
            addresses = _host_addresses(subnet)
            label = f"{source.name} in {subnet.id} ({subnet.cidr})"
        out.append(
            _Placement(
                label,
                source.vpc_id,
                subnet,
                frozenset(source.security_group_ids),
                tuple(source.security_group_ids),
                addresses,
                source.public_ip,
            )
        )
    return out


def _public_addresses(model: NetworkModel, placement: _Placement) -> IntervalSet:
    """Public IPv4 space, less the addresses the placement's route table sends to gateway endpoints.

    Those addresses belong to S3 or DynamoDB; they are asked about as a ServiceTarget, not as "the internet".
    """
    addresses = _INTERNET
    table = model.route_table_for(placement.subnet.id)
    for route in table.routes if table is not None else ():
        pl = model.prefix_list.get(route.prefix_list_id or "")
        entries = None if pl is None else pl.addresses()
        if route.target_kind is RouteTargetKind.GATEWAY_ENDPOINT and entries is not None:
            addresses = addresses.difference(entries)
    return addresses


def _service_host(model: NetworkModel, target: ServiceTarget, placement: _Placement) -> _Host:
    """The public endpoint of a service: its prefix list when the model has one, else any public address."""
    name = target.service_name(model.region)
    pl = model.prefix_list_named(name)
    entries = None if pl is None else pl.addresses()
    return _Host(
        label=str(target),
        addresses=entries if entries is not None else _public_addresses(model, placement),
        service=target,
        service_pl=None if pl is None else pl.id,
    )


def _hosts(model: NetworkModel, destination: Destination, placement: _Placement) -> list[_Host] | _Stop:
    if isinstance(destination, Address):
        ip = ipaddress.ip_address(destination.ip)
        if not isinstance(ip, ipaddress.IPv4Address):
            return _unverified(f"{destination.ip} is IPv6; IPv6 reachability is not modelled")
        single = IntervalSet.single(int(ip))
        eni = model.interface_with_ip(ip)
        if eni is not None:
            return [
                _Host(
                    f"{ip} ({eni.id})",
                    single,
                    eni.vpc_id,
                    model.subnet[eni.subnet_id],
                    frozenset(eni.group_ids),
                )
            ]
        subnet = model.subnet_containing(ip)
        if subnet is not None:
            return [
                _Host(
                    str(ip),
                    single,
                    subnet.vpc_id,
                    subnet,
                    None,
                    ungrouped_reason=f"no network interface holds {ip} in {subnet.id}",
                )
            ]
        vpc = model.vpc_containing(ip)
        if vpc is not None:
            return _Stop(
                Verdict.BLOCKED,
                f"{ip} is in {vpc.id} but in none of its subnets; nothing can hold it",
                Block(vpc.id, Component.DESTINATION, "forward", None, f"has no subnet holding {ip}"),
            )
        return _external(model, str(ip), ip)
    if isinstance(destination, SubnetTarget):
        subnet = model.subnet.get(destination.subnet_id)
        if subnet is None:
            raise InputError(
                where="destination",
                expected="a subnet of the model",
                found=destination.subnet_id,
                fix="check the subnet id against the deployed subnets",
            )
        enis = [e for e in model.network_interfaces if e.subnet_id == subnet.id]
        hosts = [_eni_host(model, e) for e in enis]
        if not hosts:
            hosts.append(
                _Host(
                    f"{subnet.id} ({subnet.cidr})",
                    _host_addresses(subnet),
                    subnet.vpc_id,
                    subnet,
                    None,
                    ungrouped_reason=f"subnet {subnet.id} holds no network interface, so the outcome "
                    "depends on the security groups of whatever is placed there",
                )
            )
        return hosts
    if isinstance(destination, SecurityGroupTarget):
        group = model.security_group.get(destination.group_id)
        if group is None:
            raise InputError(
                where="destination",
                expected="a security group of the model",
                found=destination.group_id,
                fix="check the group id against the deployed groups",
            )
        hosts = [_eni_host(model, e) for e in model.members_of(group.id)]
        for subnet_id in destination.subnet_ids:
            subnet = model.subnet.get(subnet_id)
            if subnet is None or subnet.vpc_id != group.vpc_id:
                raise InputError(
                    where=f"destination {destination}",
                    expected=f"a subnet of {group.vpc_id}",
                    found=subnet_id,
                    fix="give the subnets the tier is placed in",
                )
            hosts.append(
                _Host(
                    f"{group.id} in {subnet.id} ({subnet.cidr})",
                    _host_addresses(subnet),
                    subnet.vpc_id,
                    subnet,
                    frozenset({group.id}),
                )
            )
        if not hosts:
            return _unverified(
                f"no network interface is in {group.id} and no subnets were given for it; name the "
                "subnets the tier is placed in"
            )
        return hosts
    if isinstance(destination, ServiceTarget):
        return _service_hosts(model, destination, placement)
    if destination.address is None:
        return [_Host(str(destination), _public_addresses(model, placement))]
    ip = ipaddress.ip_address(destination.address)
    if not isinstance(ip, ipaddress.IPv4Address):
        return _unverified(f"{ip} is IPv6; IPv6 reachability is not modelled")
    return _external(model, str(destination), ip)


def _external(model: NetworkModel, label: str, ip: ipaddress.IPv4Address) -> list[_Host] | _Stop:
    owner = next((e for e in model.network_interfaces if e.public_ip == str(ip)), None)
    if owner is not None:
        return _unverified(
            f"{ip} is the public address of {owner.id}; reaching the model's own interfaces through the internet "
            "is not modelled (ask about its private address)"
        )
    return [_Host(label, IntervalSet.single(int(ip)))]


def _eni_host(model: NetworkModel, eni: NetworkInterface) -> _Host:
    subnet = model.subnet[eni.subnet_id]
    inside = [ip for ip in eni.private_ips if ip in subnet.cidr]
    if inside:
        addresses = IntervalSet.of((int(ip), int(ip)) for ip in inside)
        label = f"{eni.id} ({', '.join(str(i) for i in inside)})"
    else:
        # The backend gave no usable address (moto gives endpoint interfaces addresses outside their subnet).
        addresses = _host_addresses(subnet)
        label = f"{eni.id} in {subnet.id} ({subnet.cidr})"
    return _Host(label, addresses, eni.vpc_id, subnet, frozenset(eni.group_ids))


def _service_hosts(model: NetworkModel, target: ServiceTarget, placement: _Placement) -> list[_Host] | _Stop:
    name = target.service_name(model.region)
    public = _service_host(model, target, placement)
    endpoints = [
        e
        for e in model.interface_endpoints
        if e.vpc_id == placement.vpc_id and e.service_name == name and e.private_dns
    ]
    if not endpoints:
        return [public]
    table = model.route_table_for(placement.subnet.id)
    gateway_routed = (
        table is not None
        and public.service_pl is not None
        and any(r.prefix_list_id == public.service_pl for r in table.routes)
    )
    endpoint = endpoints[0]
    if gateway_routed:
        # With both endpoint types, "private DNS only for inbound resolver endpoints" keeps VPC traffic on the
        # gateway endpoint; without it the interface endpoint's private DNS answers.
        if endpoint.private_dns_only_for_inbound_resolver is None:
            return _unverified(
                f"{name} has gateway and interface endpoint {endpoint.id} with private DNS; the backend "
                "did not say whether private DNS is only for inbound resolver endpoints"
            )
        if endpoint.private_dns_only_for_inbound_resolver:
            return [public]
    hosts = []
    for eni_id in endpoint.network_interface_ids:
        eni = model.network_interface.get(eni_id)
        if eni is not None:
            host = _eni_host(model, eni)
            hosts.append(
                _Host(
                    f"{endpoint.id} {host.label}",
                    host.addresses,
                    host.vpc_id,
                    host.subnet,
                    frozenset(endpoint.security_group_ids) or host.groups,
                    target,
                    public.service_pl,
                    endpoint.id,
                )
            )
    if not hosts:
        for subnet_id in endpoint.subnet_ids:
            subnet = model.subnet.get(subnet_id)
            if subnet is not None:
                hosts.append(
                    _Host(
                        f"{endpoint.id} in {subnet.id}",
                        _host_addresses(subnet),
                        subnet.vpc_id,
                        subnet,
                        frozenset(endpoint.security_group_ids),
                        target,
                        public.service_pl,
                        endpoint.id,
                    )
                )
    if not hosts:
        return _unverified(f"interface endpoint {endpoint.id} has no network interface or subnet in the model")
    return hosts


def _evaluate(
    model: NetworkModel, flow: _Flow, source: Source, destination: Destination, placements: list[_Placement]
) -> Reachability:
    answers: list[tuple[Verdict, list[Hop], str, Block | None, str]] = []
    for placement in placements:
        hosts = _hosts(model, destination, placement)
        if isinstance(hosts, _Stop):
            answers.append((hosts.verdict, [], hosts.reason, hosts.block, placement.label))
            continue
        for host in hosts:
            walk = _Walk(model, flow, placement, host)
            try:
                walk.run()
            except _Stop as stop:
                answers.append((stop.verdict, walk.hops, stop.reason, stop.block, f"{placement.label} -> {host.label}"))
            else:
                answers.append((Verdict.REACHABLE, walk.hops, "", None, f"{placement.label} -> {host.label}"))
    # A path from any placement to any host is a path: the build may land in any subnet, the tier has many
    # interfaces. Otherwise an undecided case keeps the answer UNVERIFIED; only all-blocked is BLOCKED.
    by = {v: [a for a in answers if a[0] is v] for v in Verdict}
    chosen_verdict = next(v for v in (Verdict.REACHABLE, Verdict.UNVERIFIED, Verdict.BLOCKED) if by[v])
    verdict, hops, reason, block, pair = by[chosen_verdict][0]
    total = len(answers)
    scope = "" if total == 1 else f" ({len(by[chosen_verdict])} of {total} placements; first: {pair})"
    who = source.name
    what = f"{destination} on {flow.label}"
    if verdict is Verdict.REACHABLE:
        path = " -> ".join(f"{h.kind} {h.component_id} ({h.direction})" for h in hops)
        explanation = f"{who} reaches {what}{scope}: {path}"
    elif verdict is Verdict.BLOCKED:
        explanation = f"{who} cannot reach {what}{scope}: {reason}"
    else:
        explanation = f"cannot verify whether {who} reaches {what}{scope}: {reason}"
    return Reachability(
        verdict,
        source.name,
        str(destination),
        protocol_label(flow.protocol),
        flow.port if flow.protocol in (TCP, UDP, ICMP) else None,
        tuple(hops),
        block,
        reason,
        explanation,
    )


def can_reach(
    model: NetworkModel,
    source: Source,
    destination: Destination,
    protocol: str | int,
    port: int | None = None,
    *,
    ephemeral_ports: tuple[int, int] = (1024, 65535),
) -> Reachability:
    """Decide whether ``source`` can open a connection to ``destination`` on ``protocol``/``port``.

    Args:
        model: the network read back from the backend.
        source: the compute asking (a build's vpcConfig).
        destination: an address, subnet, security group, AWS service or the internet.
        protocol: ``tcp``, ``udp``, ``icmp`` or an IANA number.
        port: the destination port (tcp/udp), or the ICMP type (default 8, echo request).
        ephemeral_ports: the range the client picks its source port from; replies must pass stateless
            network ACLs on every port of it (Linux uses 32768-60999; AWS documents 1024-65535).

    Returns:
        REACHABLE with the path, BLOCKED with the first blocking component and rule, or UNVERIFIED with the
        reason the model cannot decide.

    Raises:
        InputError: the question names something the model does not hold, or a bad protocol or port.
    """
    low, high = ephemeral_ports
    if not 0 <= low <= high <= 65535:
        raise InputError(
            where="ephemeral_ports",
            expected="a range within 0-65535",
            found=repr(ephemeral_ports),
            fix="give (first, last), for example (32768, 60999)",
        )
    flow = _flow(protocol, port, IntervalSet.span(low, high))
    return _evaluate(model, flow, source, destination, _placements(model, source))


def all_pairs(
    model: NetworkModel,
    sources: Iterable[Source],
    destinations: Iterable[Destination],
    protocol: str | int,
    port: int | None = None,
    *,
    ephemeral_ports: tuple[int, int] = (1024, 65535),
) -> tuple[Reachability, ...]:
    """Answer :func:`can_reach` for every source and destination, sources outer, in the order given."""
    targets = list(destinations)
    return tuple(
        can_reach(model, s, d, protocol, port, ephemeral_ports=ephemeral_ports) for s in sources for d in targets
    )


def _port_boundaries(model: NetworkModel, protocol: str) -> list[IntervalSet]:
    bounds: list[IntervalSet] = [_PUBLIC_SERVICE_PORTS, _INTERFACE_ENDPOINT_PORTS]
    for group in model.security_groups:
        for rule in (*group.ingress, *group.egress):
            bounds.append(rule.ports_for(protocol))
    for acl in model.network_acls:
        for entry in acl.entries:
            bounds.append(entry.ports_for(protocol))
    return bounds


def reachable_ports(
    model: NetworkModel,
    source: Source,
    destination: Destination,
    protocol: str | int = "tcp",
    *,
    ephemeral_ports: tuple[int, int] = (1024, 65535),
) -> PortReachability:
    """Which ports (ICMP: types) of ``protocol`` the source reaches on the destination.

    The port space is cut into ranges on which every security-group and network-ACL rule of the model (and
    every service port) gives the same answer; one representative port per range is analysed, so the cost
    grows with the number of rules, not with 65536 ports.

    Returns:
        Reachable and unverified port ranges, and one sample answer per range.
    """
    proto = normalize_protocol(protocol)
    if proto in (TCP, UDP):
        universe = ALL_PORTS
    elif proto == ICMP:
        universe = ALL_ICMP_TYPES
    else:
        universe = IntervalSet.single(0)
    samples: list[Reachability] = []
    reachable: list[tuple[int, int]] = []
    unverified: list[tuple[int, int]] = []
    for atom in universe.cut(_port_boundaries(model, proto)):
        answer = can_reach(model, source, destination, proto, atom.first, ephemeral_ports=ephemeral_ports)
        samples.append(answer)
        if answer.verdict is Verdict.REACHABLE:
            reachable.extend(atom.spans)
        elif answer.verdict is Verdict.UNVERIFIED:
            unverified.extend(atom.spans)
    return PortReachability(
        protocol_label(proto),
        tuple(PortRange(lo, hi) for lo, hi in IntervalSet.of(reachable)),
        tuple(PortRange(lo, hi) for lo, hi in IntervalSet.of(unverified)),
        tuple(samples),
    )


def reachable_protocols(
    model: NetworkModel,
    source: Source,
    destination: Destination,
    *,
    ephemeral_ports: tuple[int, int] = (1024, 65535),
) -> tuple[PortReachability, ...]:
    """The "any port, any protocol" question: what, if anything, the source reaches on the destination.

    Answers tcp and udp by port range and icmp by type, then every other protocol number that a rule of the
    model names, and one protocol number no rule names (which "all traffic" rules alone decide).

    Returns:
        One :class:`PortReachability` per protocol, those with anything reachable or unverified first.
    """
    named = {rule.protocol for group in model.security_groups for rule in (*group.ingress, *group.egress)} | {
        entry.protocol for acl in model.network_acls for entry in acl.entries
    }
    others = sorted((p for p in named if p not in (ALL_PROTOCOLS, TCP, UDP, ICMP)), key=int)
    unnamed = next(str(n) for n in range(256) if str(n) not in named and str(n) not in (TCP, UDP, ICMP, "58"))
    answers = [
        reachable_ports(model, source, destination, p, ephemeral_ports=ephemeral_ports)
        for p in (TCP, UDP, ICMP, *others, unnamed)
    ]
    return tuple(sorted(answers, key=lambda a: not (a.reachable or a.unverified)))
