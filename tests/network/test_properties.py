"""Laws of reachability over generated estates: fewer allows never open a path; a path holds hop by hop."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.network import (
    Address,
    CidrPeer,
    Component,
    GroupPeer,
    Hop,
    NaclEntry,
    NetworkAcl,
    NetworkInterface,
    NetworkModel,
    PeeringConnection,
    Reachability,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SecurityGroupRule,
    Source,
    Subnet,
    Verdict,
    Vpc,
    can_reach,
)

net = ipaddress.IPv4Network
ip = ipaddress.IPv4Address

CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16", "10.0.1.0/24", "10.1.0.0/24", "10.0.0.0/24"]
PORTS = [None, (22, 22), (5432, 5432), (1024, 65535), (0, 1023), (32768, 65535), (0, 65535), (5000, 6000)]
PROTOCOLS = ["-1", "tcp", "udp"]
SUBNETS = {
    "subnet-a0": ("vpc-a", "10.0.0.0/24"),
    "subnet-a1": ("vpc-a", "10.0.1.0/24"),
    "subnet-b0": ("vpc-b", "10.1.0.0/24"),
    "subnet-b1": ("vpc-b", "10.1.1.0/24"),
}
GROUPS = {"sg-a1": "vpc-a", "sg-a2": "vpc-a", "sg-b1": "vpc-b"}
RANK = {Verdict.BLOCKED: 0, Verdict.UNVERIFIED: 1, Verdict.REACHABLE: 2}
EPHEMERAL = (1024, 65535)


def _ports(pair: tuple[int, int] | None) -> tuple[int | None, int | None]:
    return pair if pair is not None else (None, None)


@st.composite
def nacl_entries(draw: st.DrawFn, egress: bool) -> tuple[NaclEntry, ...]:
    numbers = draw(st.lists(st.integers(1, 300), max_size=5, unique=True))
    out = []
    if draw(st.integers(0, 3)):  # mostly end with a broad allow, so that paths exist to be taken away
        out.append(NaclEntry(500, egress, True, "-1", net("0.0.0.0/0")))
    for n in numbers:
        protocol = draw(st.sampled_from(PROTOCOLS))
        low, high = _ports(draw(st.sampled_from(PORTS[1:]))) if protocol != "-1" else (None, None)
        out.append(
            NaclEntry(
                n,
                egress,
                draw(st.sampled_from([True, True, False])),
                protocol,
                net(draw(st.sampled_from(CIDRS))),
                None,
                low,
                high,
            )
        )
    return tuple(out)


@st.composite
def sg_rules(draw: st.DrawFn, egress: bool) -> tuple[SecurityGroupRule, ...]:
    out = []
    if draw(st.integers(0, 2)) == 0:
        out.append(SecurityGroupRule(egress, "-1", None, None, CidrPeer(net("10.0.0.0/8"))))
    for _ in range(draw(st.integers(0, 4))):
        protocol = draw(st.sampled_from(PROTOCOLS))
        low, high = _ports(draw(st.sampled_from(PORTS))) if protocol != "-1" else (None, None)
        target = draw(st.sampled_from([*CIDRS, *GROUPS]))
        peer = GroupPeer(target) if target.startswith("sg-") else CidrPeer(net(target))
        out.append(SecurityGroupRule(egress, protocol, low, high, peer))
    return tuple(out)


@dataclass(frozen=True)
class Case:
    model: NetworkModel
    source: Source
    destination: Address
    protocol: str
    port: int


@st.composite
def cases(draw: st.DrawFn) -> Case:
    vpcs = (Vpc("vpc-a", (net("10.0.0.0/16"),)), Vpc("vpc-b", (net("10.1.0.0/16"),)))
    subnets = tuple(Subnet(s, v, net(c)) for s, (v, c) in SUBNETS.items())
    peering_active = draw(st.integers(0, 3)) > 0
    a_routes = [Route(RouteTargetKind.LOCAL, "local", net("10.0.0.0/16"))]
    b_routes = [Route(RouteTargetKind.LOCAL, "local", net("10.1.0.0/16"))]
    if draw(st.integers(0, 3)):
        a_routes.append(Route(RouteTargetKind.PEERING, "pcx-1", net("10.1.0.0/16")))
    if draw(st.booleans()):
        b_routes.append(
            Route(RouteTargetKind.PEERING, "pcx-1", net(draw(st.sampled_from(["10.0.0.0/16", "10.0.1.0/24"]))))
        )
    if draw(st.booleans()):
        a_routes.append(Route(RouteTargetKind.PEERING, "pcx-old", net("10.1.1.0/24"), blackhole=True))
    tables = (
        RouteTable("rtb-a", "vpc-a", tuple(a_routes), (), True),
        RouteTable("rtb-b", "vpc-b", tuple(b_routes), (), True),
    )
    acls = []
    for vpc in ("vpc-a", "vpc-b"):
        acls.append(NetworkAcl(f"acl-{vpc}", vpc, draw(nacl_entries(False)) + draw(nacl_entries(True)), (), True))
    custom_subnets = draw(st.lists(st.sampled_from(["subnet-a1", "subnet-b1"]), unique=True))
    for subnet in custom_subnets:
        vpc = SUBNETS[subnet][0]
        acls.append(NetworkAcl(f"acl-{subnet}", vpc, draw(nacl_entries(False)) + draw(nacl_entries(True)), (subnet,)))
    groups = tuple(SecurityGroup(g, v, g, draw(sg_rules(False)), draw(sg_rules(True))) for g, v in GROUPS.items())
    enis = []
    for index in range(3):
        subnet = draw(st.sampled_from(sorted(SUBNETS)))
        vpc, cidr = SUBNETS[subnet]
        address = net(cidr)[10 + index]
        own = [g for g, v in GROUPS.items() if v == vpc]
        chosen = draw(st.lists(st.sampled_from(own), min_size=1, unique=True))
        enis.append(NetworkInterface(f"eni-{index}", vpc, subnet, (address,), tuple(chosen)))
    model = NetworkModel(
        region="eu-west-1",
        vpcs=vpcs,
        subnets=subnets,
        route_tables=tables,
        network_acls=tuple(acls),
        security_groups=groups,
        peerings=(PeeringConnection("pcx-1", "vpc-a", "vpc-b", peering_active, "eu-west-1", "eu-west-1"),),
        network_interfaces=tuple(enis),
    )
    src, dst = draw(st.permutations(enis))[:2]
    source = Source("src", src.vpc_id, (src.subnet_id,), src.group_ids, address=str(src.private_ips[0]))
    protocol = draw(st.sampled_from(["tcp", "udp"]))
    port = draw(st.sampled_from([22, 80, 5432, 5500, 40000]))
    return Case(model, source, Address(str(dst.private_ips[0])), protocol, port)


def ask(case: Case, model: NetworkModel | None = None) -> Reachability:
    return can_reach(
        model or case.model, case.source, case.destination, case.protocol, case.port, ephemeral_ports=EPHEMERAL
    )


def allow_rules(model: NetworkModel) -> list[tuple[str, int]]:
    """Every allow rule, as (owner id, index into its rules)."""
    found = []
    for group in model.security_groups:
        found += [(group.id, i) for i in range(len(group.ingress) + len(group.egress))]
    for acl in model.network_acls:
        found += [(acl.id, i) for i, e in enumerate(acl.entries) if e.allow]
    return found


def without(model: NetworkModel, owner: str, index: int) -> NetworkModel:
    if owner.startswith("sg-"):
        groups = []
        for g in model.security_groups:
            if g.id == owner:
                rules = [*g.ingress, *g.egress]
                del rules[index]
                g = replace(
                    g, ingress=tuple(r for r in rules if not r.egress), egress=tuple(r for r in rules if r.egress)
                )
            groups.append(g)
        return replace(model, security_groups=tuple(groups))
    acls = tuple(
        replace(a, entries=tuple(e for i, e in enumerate(a.entries) if i != index)) if a.id == owner else a
        for a in model.network_acls
    )
    return replace(model, network_acls=acls)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases(), st.data())
def test_removing_an_allow_rule_never_creates_a_path(case: Case, data: st.DataObject) -> None:
    rules = allow_rules(case.model)
    if not rules:
        return
    owner, index = data.draw(st.sampled_from(rules))
    before, after = ask(case), ask(case, without(case.model, owner, index))
    assert RANK[after.verdict] <= RANK[before.verdict], (before.explanation, after.explanation)


@SETTINGS
@given(cases(), st.data())
def test_adding_a_deny_nacl_rule_never_creates_a_path(case: Case, data: st.DataObject) -> None:
    acl = data.draw(st.sampled_from(case.model.network_acls))
    taken = {(e.rule_number, e.egress) for e in acl.entries}
    egress = data.draw(st.booleans())
    number = data.draw(st.integers(1, 400).filter(lambda n: (n, egress) not in taken))
    protocol = data.draw(st.sampled_from(PROTOCOLS))
    low, high = _ports(data.draw(st.sampled_from(PORTS[1:]))) if protocol != "-1" else (None, None)
    deny = NaclEntry(number, egress, False, protocol, net(data.draw(st.sampled_from(CIDRS))), None, low, high)
    denied = replace(
        case.model,
        network_acls=tuple(
            replace(a, entries=(*a.entries, deny)) if a.id == acl.id else a for a in case.model.network_acls
        ),
    )
    before, after = ask(case), ask(case, denied)
    assert RANK[after.verdict] <= RANK[before.verdict], (before.explanation, after.explanation)


# -- an independent re-check of each hop of a path ---------------------------------------------------------


def _first_match(acl: NetworkAcl, egress: bool, protocol: str, peer: ipaddress.IPv4Address, port: int) -> bool:
    """Plain first-match over one address and one port, written apart from the analysis."""
    number = {"tcp": "6", "udp": "17"}[protocol]
    for rule in sorted((e for e in acl.entries if e.egress == egress), key=lambda e: e.rule_number):
        if rule.cidr is None or peer not in rule.cidr:
            continue
        if rule.protocol not in ("-1", number):
            continue
        if rule.protocol != "-1" and rule.from_port is not None and not rule.from_port <= port <= (rule.to_port or 0):
            continue
        return rule.allow
    return False


def _nacl_hop_holds(case: Case, hop: Hop, src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address) -> bool:
    assert hop.subnet_id is not None
    acl = case.model.network_acl_for(hop.subnet_id)
    assert acl is not None and acl.id == hop.component_id
    source_side = hop.subnet_id == case.source.subnet_ids[0]
    peer = dst if source_side else src
    egress = hop.direction in ("outbound", "reply outbound")
    if hop.direction in ("outbound", "inbound"):
        return _first_match(acl, egress, case.protocol, peer, case.port)
    # Replies go to the client's ephemeral port: check the edges of every rule's range inside it.
    probes = {EPHEMERAL[0], EPHEMERAL[1]}
    for e in acl.entries:
        for p in (e.from_port, e.to_port):
            if p is not None:
                probes |= {p - 1, p, p + 1}
    return all(_first_match(acl, egress, case.protocol, peer, p) for p in probes if EPHEMERAL[0] <= p <= EPHEMERAL[1])


def _sg_hop_holds(case: Case, hop: Hop, src: ipaddress.IPv4Address, dst: ipaddress.IPv4Address) -> bool:
    egress = hop.direction == "egress"
    owners = case.source.security_group_ids if egress else _eni(case.model, dst).group_ids
    peer_ip = dst if egress else src
    peer_groups = _eni(case.model, dst).group_ids if egress else case.source.security_group_ids
    number = {"tcp": "6", "udp": "17"}[case.protocol]
    for rule in hop.rules:
        assert isinstance(rule, SecurityGroupRule)
        assert any(rule in (g.egress if egress else g.ingress) for g in case.model.security_groups if g.id in owners)
        if rule.protocol not in ("-1", number):
            return False
        if (
            rule.protocol != "-1"
            and rule.from_port is not None
            and not rule.from_port <= case.port <= (rule.to_port or 0)
        ):
            return False
        if isinstance(rule.peer, CidrPeer) and peer_ip in rule.peer.cidr:
            return True
        if isinstance(rule.peer, GroupPeer) and rule.peer.group_id in peer_groups:
            return True
    return False


def _eni(model: NetworkModel, address: ipaddress.IPv4Address) -> NetworkInterface:
    eni = model.interface_with_ip(address)
    assert eni is not None
    return eni


def _route_hop_holds(case: Case, hop: Hop, target: ipaddress.IPv4Address) -> bool:
    table = case.model.route_table[hop.component_id]
    matching = [r for r in table.routes if r.destination is not None and target in r.destination]
    best = max(matching, key=lambda r: r.destination.prefixlen if r.destination else -1)
    return hop.rules == (best,) and not best.blackhole


@SETTINGS
@given(cases())
def test_a_path_found_holds_hop_by_hop(case: Case) -> None:
    result = ask(case)
    if result.verdict is not Verdict.REACHABLE:
        return
    src = ip(case.source.address or "")
    dst = ip(case.destination.ip)
    dst_eni = _eni(case.model, dst)
    kinds = [h.kind for h in result.hops]
    assert kinds.count(Component.SECURITY_GROUP) == 2  # source egress and destination ingress, always
    for hop in result.hops:
        if hop.kind is Component.NETWORK_ACL:
            assert _nacl_hop_holds(case, hop, src, dst), hop
        elif hop.kind is Component.SECURITY_GROUP:
            assert _sg_hop_holds(case, hop, src, dst), hop
        elif hop.kind is Component.ROUTE_TABLE:
            assert _route_hop_holds(case, hop, dst if hop.direction == "forward" else src), hop
        elif hop.kind is Component.PEERING:
            pcx = case.model.peering[hop.component_id]
            assert pcx.active and {pcx.requester_vpc_id, pcx.accepter_vpc_id} == {case.source.vpc_id, dst_eni.vpc_id}
        else:
            raise AssertionError(f"unexpected hop {hop}")
    crossing = case.source.subnet_ids[0] != dst_eni.subnet_id
    # Four NACL crossings when the subnets differ (out, in, reply out, reply in); none inside one subnet.
    assert kinds.count(Component.NETWORK_ACL) == (4 if crossing else 0)
    if case.source.vpc_id != dst_eni.vpc_id:
        assert Component.PEERING in kinds
