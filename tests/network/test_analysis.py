"""Reachability decisions, each derived from the AWS VPC rules for routes, NACLs, security groups and endpoints."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace

import pytest

from harness.errors import InputError
from harness.network import (
    Address,
    Component,
    GatewayEndpoint,
    InterfaceEndpoint,
    InternetTarget,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PeeringConnection,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    Subnet,
    SubnetTarget,
    Verdict,
    Vpc,
    all_pairs,
    can_reach,
    reachable_ports,
)
from tests.network.builders import (
    ALL_OUT,
    REGION,
    S3_PL,
    egress,
    entry,
    estate,
    ingress,
    net,
    with_acl,
    with_group,
    with_table,
)

DEV = Source("dev-app", "vpc-dev", ("subnet-dev-app",), ("sg-dev-build",))
PROD = Source("prod-build", "vpc-prod", ("subnet-prod-build",), ("sg-prod-build",))
DB = Address("10.1.2.10")


def db_open_to(*cidrs_or_groups: str, port: int = 5432) -> SecurityGroup:
    return SecurityGroup("sg-db", "vpc-prod", "db", tuple(ingress("tcp", port, c) for c in cidrs_or_groups), (ALL_OUT,))


def hop_kinds(result: object) -> list[str]:
    return [f"{h.kind}:{h.component_id}" for h in result.hops]  # type: ignore[attr-defined]


# -- routes ------------------------------------------------------------------------------------------------


def test_local_route_carries_traffic_inside_the_vpc() -> None:
    result = can_reach(estate(), PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.REACHABLE
    routes = [h for h in result.hops if h.kind is Component.ROUTE_TABLE]
    assert [str(h.rules[0]) for h in routes] == ["route 10.1.0.0/16 -> local"]


def test_longest_prefix_match_prefers_the_more_specific_blackhole() -> None:
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    assert can_reach(model, DEV, DB, "tcp", 5432).verdict is Verdict.REACHABLE
    dev_table = model.route_table["rtb-dev-app"]
    blackhole = Route(RouteTargetKind.PEERING, "pcx-gone", net("10.1.2.0/24"), blackhole=True)
    model = with_table(model, replace(dev_table, routes=(*dev_table.routes, blackhole)))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.rule == blackhole
    assert "blackhole" in result.reason


def test_less_specific_route_does_not_override_a_longer_one() -> None:
    # 10.1.0.0/16 -> pcx-1 is longer than 10.0.0.0/8 -> blackhole, so the peering route is used.
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    dev_table = model.route_table["rtb-dev-app"]
    wide = Route(RouteTargetKind.NAT_GATEWAY, "nat-x", net("10.0.0.0/8"), blackhole=True)
    model = with_table(model, replace(dev_table, routes=(wide, *dev_table.routes)))
    assert can_reach(model, DEV, DB, "tcp", 5432).verdict is Verdict.REACHABLE


def test_no_route_to_the_internet_blocks() -> None:
    result = can_reach(estate(), PROD, InternetTarget("8.8.8.8"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "rtb-prod"
    assert "no route" in result.reason


def test_subnet_without_association_uses_the_main_route_table() -> None:
    model = estate()
    extra = Subnet("subnet-dev-extra", "vpc-dev", net("10.0.9.0/24"))
    model = replace(model, subnets=(*model.subnets, extra))
    assert model.route_table_for("subnet-dev-extra") == model.route_table["rtb-dev-main"]
    source = Source("extra", "vpc-dev", ("subnet-dev-extra",), ("sg-dev-build",))
    # The main table has only the local route: no way out.
    assert can_reach(model, source, InternetTarget("1.1.1.1"), "tcp", 443).verdict is Verdict.BLOCKED


def test_unmodelled_route_target_is_unverified() -> None:
    model = estate()
    dev_table = model.route_table["rtb-dev-app"]
    tgw = Route(RouteTargetKind.TRANSIT_GATEWAY, "tgw-1", net("0.0.0.0/0"))
    model = with_table(model, replace(dev_table, routes=(dev_table.routes[0], tgw)))
    result = can_reach(model, DEV, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.UNVERIFIED
    assert "transit-gateway" in result.reason


# -- peering -----------------------------------------------------------------------------------------------


def test_peering_reaches_the_peer_vpc_with_a_route_back() -> None:
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.REACHABLE
    assert "vpc-peering-connection:pcx-1" in hop_kinds(result)
    reply = [h for h in result.hops if h.kind is Component.ROUTE_TABLE and h.direction == "reply"]
    assert reply and reply[0].component_id == "rtb-prod"


def test_peering_without_a_route_back_blocks() -> None:
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    prod_table = model.route_table["rtb-prod"]
    model = with_table(model, replace(prod_table, routes=prod_table.routes[:2]))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.direction == "reply"


def test_inactive_peering_blocks() -> None:
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    model = replace(model, peerings=(PeeringConnection("pcx-1", "vpc-dev", "vpc-prod", False, REGION, REGION),))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.kind is Component.PEERING


def _three_vpcs() -> tuple[object, Address]:
    """dev -- pcx-1 -- prod -- pcx-2 -- shared; dev routes shared's CIDR at pcx-1."""
    model = estate()
    shared = Vpc("vpc-shared", (net("10.2.0.0/16"),))
    subnet = Subnet("subnet-shared", "vpc-shared", net("10.2.0.0/24"))
    group = SecurityGroup("sg-shared", "vpc-shared", "shared", (ingress("-1", None, "0.0.0.0/0"),), (ALL_OUT,))
    eni = NetworkInterface(
        "eni-shared", "vpc-shared", "subnet-shared", (ipaddress.IPv4Address("10.2.0.10"),), ("sg-shared",)
    )
    table = RouteTable(
        "rtb-shared",
        "vpc-shared",
        (
            Route(RouteTargetKind.LOCAL, "local", net("10.2.0.0/16")),
            Route(RouteTargetKind.PEERING, "pcx-2", net("10.0.0.0/8")),
        ),
        (),
        True,
    )
    acl = NetworkAcl("acl-shared", "vpc-shared", estate().network_acls[0].entries, (), True)
    dev_table = model.route_table["rtb-dev-app"]
    prod_table = model.route_table["rtb-prod"]
    model = replace(
        model,
        vpcs=(*model.vpcs, shared),
        subnets=(*model.subnets, subnet),
        security_groups=(*model.security_groups, group),
        network_interfaces=(*model.network_interfaces, eni),
        route_tables=(
            *(t for t in model.route_tables if t.id not in ("rtb-dev-app", "rtb-prod")),
            table,
            replace(dev_table, routes=(*dev_table.routes, Route(RouteTargetKind.PEERING, "pcx-1", net("10.2.0.0/16")))),
            replace(
                prod_table, routes=(*prod_table.routes, Route(RouteTargetKind.PEERING, "pcx-2", net("10.2.0.0/16")))
            ),
        ),
        network_acls=(*model.network_acls, acl),
        peerings=(*model.peerings, PeeringConnection("pcx-2", "vpc-prod", "vpc-shared", True, REGION, REGION)),
    )
    return model, Address("10.2.0.10")


def test_peering_is_not_transitive() -> None:
    model, shared = _three_vpcs()
    result = can_reach(model, DEV, shared, "tcp", 22)  # type: ignore[arg-type]
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "pcx-1"
    assert "not transitive" in result.reason
    # The directly peered VPC does reach it.
    assert can_reach(model, PROD, shared, "tcp", 22).verdict is Verdict.REACHABLE  # type: ignore[arg-type]


def test_no_edge_to_edge_routing_through_a_peer() -> None:
    # dev sends its default route to the peering: prod's gateway endpoint and the internet are not reachable.
    model = estate()
    dev_table = model.route_table["rtb-dev-app"]
    through_peer = Route(RouteTargetKind.PEERING, "pcx-1", net("0.0.0.0/0"))
    model = with_table(model, replace(dev_table, routes=(dev_table.routes[0], through_peer)))
    for target in (InternetTarget("1.1.1.1"), ServiceTarget("s3")):
        result = can_reach(model, DEV, target, "tcp", 443)
        assert result.verdict is Verdict.BLOCKED, target
        assert "edge-to-edge" in result.reason


def test_group_reference_across_same_region_peering_matches() -> None:
    model = with_group(estate(), db_open_to("sg-dev-build"))
    assert can_reach(model, DEV, DB, "tcp", 5432).verdict is Verdict.REACHABLE


def test_group_reference_across_regions_does_not_match() -> None:
    model = with_group(estate(), db_open_to("sg-dev-build"))
    model = replace(model, peerings=(PeeringConnection("pcx-1", "vpc-dev", "vpc-prod", True, REGION, "us-east-1"),))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "sg-db"


# -- network ACLs ------------------------------------------------------------------------------------------


def db_acl(*entries: object) -> NetworkAcl:
    return NetworkAcl("acl-db", "vpc-prod", tuple(entries), ("subnet-prod-db",))  # type: ignore[arg-type]


ALLOW_ALL_OUT = entry(100, True, True, "-1", "0.0.0.0/0")


def test_lowest_numbered_matching_nacl_rule_decides() -> None:
    deny_first = db_acl(
        entry(100, False, False, "tcp", "10.1.1.0/24", (5432, 5432)),
        entry(200, False, True, "-1", "0.0.0.0/0"),
        ALLOW_ALL_OUT,
    )
    result = can_reach(with_acl(estate(), deny_first), PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None
    assert (result.blocked_by.component_id, result.blocked_by.direction) == ("acl-db", "inbound")
    assert result.reason == "network ACL acl-db inbound rule 100 denies tcp 5432 from 10.1.1.0/24"
    allow_first = db_acl(
        entry(100, False, True, "-1", "0.0.0.0/0"),
        entry(200, False, False, "tcp", "10.1.1.0/24", (5432, 5432)),
        ALLOW_ALL_OUT,
    )
    result = can_reach(with_acl(estate(), allow_first), PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.REACHABLE
    inbound = next(h for h in result.hops if h.component_id == "acl-db" and h.direction == "inbound")
    assert [r.rule_number for r in inbound.rules] == [100]  # type: ignore[union-attr]


def test_nacl_without_a_matching_rule_denies_implicitly() -> None:
    acl = db_acl(entry(100, False, True, "tcp", "10.1.1.0/24", (5432, 5432)))  # nothing outbound
    result = can_reach(with_acl(estate(), acl), PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.rule is None
    assert result.blocked_by.direction == "reply outbound"
    assert "implicit deny" in result.reason


@pytest.mark.parametrize(
    ("reply_ports", "ephemeral", "verdict"),
    [
        ((1024, 65535), (1024, 65535), Verdict.REACHABLE),
        ((32768, 65535), (1024, 65535), Verdict.UNVERIFIED),  # some client ports would fail
        ((32768, 65535), (32768, 60999), Verdict.REACHABLE),  # a Linux client's range is covered
        ((0, 1023), (1024, 65535), Verdict.BLOCKED),
    ],
)
def test_nacl_is_stateless_replies_need_the_ephemeral_ports_outbound(
    reply_ports: tuple[int, int], ephemeral: tuple[int, int], verdict: Verdict
) -> None:
    acl = db_acl(
        entry(100, False, True, "tcp", "10.1.1.0/24", (5432, 5432)),
        entry(100, True, True, "tcp", "10.1.1.0/24", reply_ports),
    )
    result = can_reach(with_acl(estate(), acl), PROD, DB, "tcp", 5432, ephemeral_ports=ephemeral)
    assert result.verdict is verdict, result.explanation
    if verdict is not Verdict.REACHABLE:
        assert "reply outbound" in result.reason


def test_nacl_replies_need_the_ephemeral_ports_inbound_at_the_source() -> None:
    build_acl = NetworkAcl(
        "acl-build",
        "vpc-prod",
        (
            ALLOW_ALL_OUT,
            entry(100, False, False, "tcp", "0.0.0.0/0", (1024, 65535)),
            entry(200, False, True, "-1", "0.0.0.0/0"),
        ),
        ("subnet-prod-build",),
    )
    result = can_reach(with_acl(estate(), build_acl), PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None
    assert (result.blocked_by.component_id, result.blocked_by.direction) == ("acl-build", "reply inbound")


def test_nacls_do_not_apply_inside_one_subnet() -> None:
    deny_all = NetworkAcl("acl-build", "vpc-prod", (), ("subnet-prod-build",))
    neighbour = NetworkInterface(
        "eni-n", "vpc-prod", "subnet-prod-build", (ipaddress.IPv4Address("10.1.1.50"),), ("sg-db",)
    )
    model = with_acl(estate(), deny_all)
    model = replace(model, network_interfaces=(*model.network_interfaces, neighbour))
    assert can_reach(model, PROD, Address("10.1.1.50"), "tcp", 5432).verdict is Verdict.REACHABLE
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.BLOCKED


def test_rule_covering_part_of_the_source_subnet_depends_on_the_address() -> None:
    acl = db_acl(entry(100, False, True, "tcp", "10.1.1.0/25", (5432, 5432)), ALLOW_ALL_OUT)
    model = with_acl(estate(), acl)
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.UNVERIFIED
    low = replace(PROD, address="10.1.1.10")
    high = replace(PROD, address="10.1.1.200")
    assert can_reach(model, low, DB, "tcp", 5432).verdict is Verdict.REACHABLE
    assert can_reach(model, high, DB, "tcp", 5432).verdict is Verdict.BLOCKED


def test_icmp_echo_needs_the_echo_reply_through_stateless_acls() -> None:
    model = with_group(estate(), SecurityGroup("sg-db", "vpc-prod", "db", (ingress("icmp", 8, "10.1.0.0/16"),), ()))
    assert can_reach(model, PROD, DB, "icmp", 8).verdict is Verdict.REACHABLE
    acl = db_acl(
        entry(100, False, True, "-1", "0.0.0.0/0"),
        entry(100, True, False, "icmp", "0.0.0.0/0", icmp_type=0),
        entry(200, True, True, "-1", "0.0.0.0/0"),
    )
    result = can_reach(with_acl(model, acl), PROD, DB, "icmp")
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.direction == "reply outbound"


# -- security groups ---------------------------------------------------------------------------------------


def test_security_groups_are_stateful_no_rule_needed_for_replies() -> None:
    # The database group has no egress rule at all; replies to an allowed connection still flow.
    model = with_group(estate(), SecurityGroup("sg-db", "vpc-prod", "db", (ingress("tcp", 5432, "10.1.1.0/24"),), ()))
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.REACHABLE


def test_source_egress_must_allow_the_flow() -> None:
    model = with_group(
        estate(), SecurityGroup("sg-prod-build", "vpc-prod", "b", (), (egress("tcp", 443, "0.0.0.0/0"),))
    )
    result = can_reach(model, PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None
    assert (result.blocked_by.component_id, result.blocked_by.direction) == ("sg-prod-build", "egress")
    assert can_reach(model, PROD, ServiceTarget("s3"), "tcp", 443).verdict is Verdict.REACHABLE


def test_group_reference_matches_only_members_of_the_group() -> None:
    other = SecurityGroup("sg-other", "vpc-prod", "other", (), (ALL_OUT,))
    model = with_group(estate(), other)
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.REACHABLE
    stranger = replace(PROD, name="stranger", security_group_ids=("sg-other",))
    result = can_reach(model, stranger, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "sg-db"


def test_data_tier_opened_to_the_world_is_a_path_from_dev() -> None:
    model = estate()
    assert can_reach(model, DEV, SecurityGroupTarget("sg-db"), "tcp", 5432).verdict is Verdict.BLOCKED
    opened = with_group(model, db_open_to("sg-prod-build", "0.0.0.0/0"))
    result = can_reach(opened, DEV, SecurityGroupTarget("sg-db"), "tcp", 5432)
    assert result.verdict is Verdict.REACHABLE
    ingress_hop = next(h for h in result.hops if h.component_id == "sg-db")
    assert [str(r) for r in ingress_hop.rules] == ["ingress tcp 5432 from 0.0.0.0/0"]


def test_all_traffic_rule_admits_every_port() -> None:
    model = with_group(estate(), SecurityGroup("sg-db", "vpc-prod", "db", (ingress("-1", None, "10.1.1.0/24"),), ()))
    assert can_reach(model, PROD, DB, "tcp", 22).verdict is Verdict.REACHABLE
    assert can_reach(model, PROD, DB, "udp", 53).verdict is Verdict.REACHABLE


def test_ipv6_rules_do_not_admit_ipv4_traffic() -> None:
    model = with_group(estate(), SecurityGroup("sg-db", "vpc-prod", "db", (ingress("tcp", 5432, "::/0"),), ()))
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.BLOCKED


def test_source_group_missing_from_the_model_is_unverified() -> None:
    ghost = replace(PROD, security_group_ids=("sg-ghost",))
    model = with_group(estate(), db_open_to("10.1.1.0/24"))
    result = can_reach(model, ghost, DB, "tcp", 5432)
    assert result.verdict is Verdict.UNVERIFIED
    assert "sg-ghost" in result.reason
    # An undecidable component does not hide a later one that blocks everything.
    assert can_reach(estate(), ghost, DB, "tcp", 5432).verdict is Verdict.BLOCKED


# -- internet and NAT gateways -----------------------------------------------------------------------------


def test_private_subnet_reaches_the_internet_through_nat_then_igw() -> None:
    result = can_reach(estate(), DEV, InternetTarget(), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE
    kinds = hop_kinds(result)
    assert kinds.index("nat-gateway:nat-dev") < kinds.index("internet-gateway:igw-dev")


def test_nat_gateway_needs_an_igw_route_in_its_own_subnet() -> None:
    model = estate()
    pub = model.route_table["rtb-dev-pub"]
    model = with_table(model, replace(pub, routes=pub.routes[:1]))
    result = can_reach(model, DEV, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "rtb-dev-pub"


def test_private_nat_gateway_cannot_reach_the_internet() -> None:
    model = replace(estate(), nat_gateways=(NatGateway("nat-dev", "vpc-dev", "subnet-dev-pub", public=False),))
    result = can_reach(model, DEV, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.kind is Component.NAT_GATEWAY


def test_nat_subnet_acl_must_admit_replies_on_the_nat_ports() -> None:
    pub_acl = NetworkAcl(
        "acl-pub",
        "vpc-dev",
        (
            entry(100, True, True, "-1", "0.0.0.0/0"),
            entry(100, False, True, "-1", "10.0.0.0/16"),  # from the VPC: yes; replies from the internet: no
        ),
        ("subnet-dev-pub",),
    )
    result = can_reach(with_acl(estate(), pub_acl), DEV, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None
    assert (result.blocked_by.component_id, result.blocked_by.direction) == ("acl-pub", "reply inbound")


def test_igw_needs_a_public_address_on_the_source() -> None:
    public = Source("runner", "vpc-dev", ("subnet-dev-pub",), ("sg-dev-build",))
    result = can_reach(estate(), public, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert "public IPv4" in result.reason
    with_ip = replace(public, public_ip=True)
    result = can_reach(estate(), with_ip, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE
    assert "internet-gateway:igw-dev" in hop_kinds(result)


def test_detached_internet_gateway_blocks() -> None:
    public = Source("runner", "vpc-dev", ("subnet-dev-pub",), ("sg-dev-build",), public_ip=True)
    model = replace(estate(), internet_gateways=(replace(estate().internet_gateways[0], vpc_ids=()),))
    result = can_reach(model, public, InternetTarget("1.1.1.1"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.kind is Component.INTERNET_GATEWAY


# -- endpoints ---------------------------------------------------------------------------------------------

BUCKET_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::prod-data", "arn:aws:s3:::prod-data/*"],
            }
        ]
    }
)


def test_gateway_endpoint_carries_s3_through_its_prefix_list_route() -> None:
    result = can_reach(estate(), PROD, ServiceTarget("s3"), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE
    assert result.endpoint_ids == ("vpce-s3",)
    route_hop = next(h for h in result.hops if h.kind is Component.ROUTE_TABLE)
    assert route_hop.rules[0].prefix_list_id == S3_PL  # type: ignore[union-attr]


def test_gateway_endpoint_policy_limits_the_buckets() -> None:
    model = estate()
    model = replace(model, gateway_endpoints=(replace(model.gateway_endpoints[0], policy=BUCKET_POLICY),))
    ours = ServiceTarget("s3", action="s3:GetObject", resource="arn:aws:s3:::prod-data/app.zip")
    theirs = ServiceTarget("s3", action="s3:PutObject", resource="arn:aws:s3:::exfil-bucket/loot")
    assert can_reach(model, PROD, ours, "tcp", 443).verdict is Verdict.REACHABLE
    blocked = can_reach(model, PROD, theirs, "tcp", 443)
    assert blocked.verdict is Verdict.BLOCKED
    assert blocked.blocked_by is not None and blocked.blocked_by.kind is Component.ENDPOINT_POLICY
    assert can_reach(model, PROD, ServiceTarget("s3"), "tcp", 443).verdict is Verdict.UNVERIFIED


def test_egress_to_the_s3_prefix_list_only() -> None:
    only_s3 = SecurityGroup("sg-prod-build", "vpc-prod", "b", (), (egress("tcp", 443, S3_PL),))
    model = with_group(estate(), only_s3)
    assert can_reach(model, PROD, ServiceTarget("s3"), "tcp", 443).verdict is Verdict.REACHABLE
    assert can_reach(model, PROD, DB, "tcp", 5432).verdict is Verdict.BLOCKED


def test_gateway_endpoint_replies_must_pass_the_source_acl() -> None:
    acl = NetworkAcl(
        "acl-build",
        "vpc-prod",
        (
            ALLOW_ALL_OUT,
            entry(100, False, True, "-1", "10.0.0.0/8"),
        ),
        ("subnet-prod-build",),
    )
    result = can_reach(with_acl(estate(), acl), PROD, ServiceTarget("s3"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.direction == "reply inbound"


def test_service_does_not_listen_on_other_ports() -> None:
    result = can_reach(estate(), PROD, ServiceTarget("s3"), "tcp", 22)
    assert result.verdict is Verdict.BLOCKED


def _with_sts_endpoint(**changes: object) -> object:
    model = estate()
    group = SecurityGroup("sg-vpce", "vpc-prod", "vpce", (ingress("tcp", 443, "10.1.0.0/16"),), ())
    eni = NetworkInterface(
        "eni-vpce",
        "vpc-prod",
        "subnet-prod-db",
        (ipaddress.IPv4Address("10.1.2.50"),),
        ("sg-vpce",),
        interface_type="vpc_endpoint",
    )
    endpoint = InterfaceEndpoint(
        "vpce-sts",
        "vpc-prod",
        f"com.amazonaws.{REGION}.sts",
        ("subnet-prod-db",),
        ("sg-vpce",),
        ("eni-vpce",),
        private_dns=True,
    )
    endpoint = replace(endpoint, **changes)  # type: ignore[arg-type]
    return replace(
        model,
        security_groups=(*model.security_groups, group),
        network_interfaces=(*model.network_interfaces, eni),
        interface_endpoints=(endpoint,),
    )


def test_interface_endpoint_with_private_dns_is_reached_inside_the_vpc() -> None:
    model = _with_sts_endpoint()
    result = can_reach(model, PROD, ServiceTarget("sts"), "tcp", 443)  # type: ignore[arg-type]
    assert result.verdict is Verdict.REACHABLE
    assert result.endpoint_ids == ("vpce-sts",)
    assert "security-group:sg-vpce" in hop_kinds(result)
    assert can_reach(model, PROD, ServiceTarget("sts"), "tcp", 80).verdict is Verdict.BLOCKED  # type: ignore[arg-type]


def test_interface_endpoint_security_group_must_admit_the_source() -> None:
    model = _with_sts_endpoint()
    model = with_group(
        model,
        SecurityGroup(
            "sg-vpce",
            "vpc-prod",
            "vpce",
            (ingress("tcp", 443, "10.9.0.0/16"),),  # type: ignore[arg-type]
            (),
        ),
    )
    result = can_reach(model, PROD, ServiceTarget("sts"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "sg-vpce"


def test_interface_endpoint_policy_deny_blocks() -> None:
    deny = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                {"Sid": "NoRoles", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"},
            ]
        }
    )
    model = _with_sts_endpoint(policy=deny)
    result = can_reach(
        model,
        PROD,
        ServiceTarget("sts", action="sts:AssumeRole", resource="arn:aws:iam::1:role/x"),  # type: ignore[arg-type]
        "tcp",
        443,
    )
    assert result.verdict is Verdict.BLOCKED
    assert "NoRoles" in result.reason


def test_interface_endpoint_without_private_dns_is_not_used() -> None:
    model = _with_sts_endpoint(private_dns=False)
    # sts without private DNS resolves to its public address; prod has no internet route.
    result = can_reach(model, PROD, ServiceTarget("sts"), "tcp", 443)  # type: ignore[arg-type]
    assert result.verdict is Verdict.BLOCKED
    assert result.endpoint_ids == ()


def test_s3_with_both_endpoint_types_and_unknown_dns_option_is_unverified() -> None:
    model = estate()
    endpoint = InterfaceEndpoint(
        "vpce-s3i", "vpc-prod", f"com.amazonaws.{REGION}.s3", ("subnet-prod-db",), (), (), private_dns=True
    )
    model = replace(model, interface_endpoints=(endpoint,))
    assert can_reach(model, PROD, ServiceTarget("s3"), "tcp", 443).verdict is Verdict.UNVERIFIED
    inbound_only = replace(model, interface_endpoints=(replace(endpoint, private_dns_only_for_inbound_resolver=True),))
    result = can_reach(inbound_only, PROD, ServiceTarget("s3"), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE and result.endpoint_ids == ("vpce-s3",)


def test_gateway_endpoint_for_another_service_blocks() -> None:
    model = estate()
    wrong = GatewayEndpoint("vpce-s3", "vpc-prod", f"com.amazonaws.{REGION}.dynamodb", ("rtb-prod",))
    result = can_reach(replace(model, gateway_endpoints=(wrong,)), PROD, ServiceTarget("s3"), "tcp", 443)
    assert result.verdict is Verdict.BLOCKED


# -- destinations and unverified cases ---------------------------------------------------------------------


def test_address_with_no_interface_is_unverified_when_the_network_is_open() -> None:
    result = can_reach(estate(), PROD, Address("10.1.2.99"), "tcp", 5432)
    assert result.verdict is Verdict.UNVERIFIED
    assert "no network interface" in result.reason


def test_address_with_no_interface_is_blocked_when_the_network_is_closed() -> None:
    acl = db_acl(ALLOW_ALL_OUT)
    assert can_reach(with_acl(estate(), acl), PROD, Address("10.1.2.99"), "tcp", 5432).verdict is Verdict.BLOCKED


def test_ipv6_destination_is_unverified() -> None:
    result = can_reach(estate(), PROD, Address("2001:db8::1"), "tcp", 443)
    assert result.verdict is Verdict.UNVERIFIED
    assert "IPv6" in result.reason


def test_dev_build_cannot_reach_the_production_database_subnet() -> None:
    result = can_reach(estate(), DEV, SubnetTarget("subnet-prod-db"), "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    ports = reachable_ports(estate(), DEV, SubnetTarget("subnet-prod-db"), "tcp")
    assert ports.reachable == () and ports.unverified == ()


def test_security_group_target_without_interfaces_needs_subnets() -> None:
    model = replace(estate(), network_interfaces=())
    assert can_reach(model, PROD, SecurityGroupTarget("sg-db"), "tcp", 5432).verdict is Verdict.UNVERIFIED
    placed = SecurityGroupTarget("sg-db", ("subnet-prod-db",))
    assert can_reach(model, PROD, placed, "tcp", 5432).verdict is Verdict.REACHABLE
    assert can_reach(model, DEV, placed, "tcp", 5432).verdict is Verdict.BLOCKED


def test_source_in_several_subnets_reaches_if_any_placement_does() -> None:
    model = with_group(estate(), db_open_to("10.0.1.0/24"))
    both = Source("both", "vpc-dev", ("subnet-dev-pub", "subnet-dev-app"), ("sg-dev-build",))
    result = can_reach(model, both, DB, "tcp", 5432)
    assert result.verdict is Verdict.REACHABLE
    assert "1 of 2 placements" in result.explanation


# -- any port, all pairs, bad input -------------------------------------------------------------------------


def test_reachable_ports_uses_ranges_not_single_ports() -> None:
    group = SecurityGroup(
        "sg-db",
        "vpc-prod",
        "db",
        (ingress("tcp", 5432, "10.1.1.0/24"), ingress("tcp", (6000, 6010), "10.1.1.0/24")),
        (),
    )
    acl = db_acl(
        entry(100, False, False, "tcp", "0.0.0.0/0", (6005, 6005)),
        entry(200, False, True, "-1", "0.0.0.0/0"),
        ALLOW_ALL_OUT,
    )
    model = with_acl(with_group(estate(), group), acl)
    ports = reachable_ports(model, PROD, DB, "tcp")
    assert [str(p) for p in ports.reachable] == ["5432", "6000-6004", "6006-6010"]
    assert ports.unverified == ()
    assert len(ports.samples) < 20
    assert reachable_ports(model, PROD, DB, "udp").reachable == ()


def test_all_pairs_answers_every_combination_in_order() -> None:
    results = all_pairs(estate(), [DEV, PROD], [DB, ServiceTarget("s3")], "tcp", 443)
    assert [(r.source, r.destination) for r in results] == [
        ("dev-app", "10.1.2.10"),
        ("dev-app", "AWS service s3"),
        ("prod-build", "10.1.2.10"),
        ("prod-build", "AWS service s3"),
    ]
    assert [r.verdict for r in results] == [Verdict.BLOCKED, Verdict.REACHABLE, Verdict.BLOCKED, Verdict.REACHABLE]


def test_unknown_subnet_in_the_source_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        can_reach(estate(), replace(PROD, subnet_ids=("subnet-nope",)), DB, "tcp", 5432)
    assert err.value.found == "subnet-nope"
    assert "vpcConfig" in err.value.fix


@pytest.mark.parametrize(("protocol", "port"), [("tcp", None), ("tcp", 70000), ("xyz", 1), ("-1", 1)])
def test_bad_protocol_or_port_is_an_input_error(protocol: str, port: int | None) -> None:
    with pytest.raises(InputError):
        can_reach(estate(), PROD, DB, protocol, port)


def test_explanations_name_source_destination_and_the_deciding_rule() -> None:
    acl = db_acl(
        entry(100, False, False, "tcp", "10.0.0.0/16", (5432, 5432)),
        entry(200, False, True, "-1", "0.0.0.0/0"),
        ALLOW_ALL_OUT,
    )
    model = with_acl(with_group(estate(), db_open_to("0.0.0.0/0")), acl)
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.explanation == (
        "dev-app cannot reach 10.1.2.10 on tcp 5432: network ACL acl-db inbound rule 100 denies "
        "tcp 5432 from 10.0.0.0/16"
    )


def test_private_address_of_an_unpeered_vpc_is_not_reached_through_nat() -> None:
    # Without the peering route, dev's default route sends 10.1.2.10 to the NAT gateway, whose subnet sends
    # it to the internet gateway: an internet gateway never delivers to a private address.
    model = with_group(estate(), db_open_to("0.0.0.0/0"))
    dev_table = model.route_table["rtb-dev-app"]
    model = with_table(model, replace(dev_table, routes=dev_table.routes[:2]))
    result = can_reach(model, DEV, DB, "tcp", 5432)
    assert result.verdict is Verdict.BLOCKED
    assert result.blocked_by is not None and result.blocked_by.component_id == "rtb-dev-pub"
    assert "private address" in result.reason


def test_any_protocol_question_covers_all_traffic_rules() -> None:
    from harness.network import reachable_protocols

    group = SecurityGroup("sg-db", "vpc-prod", "db", (ingress("-1", None, "10.1.1.0/24"),), ())
    answers = reachable_protocols(with_group(estate(), group), PROD, DB)
    by_protocol = {a.protocol: a for a in answers}
    assert [str(p) for p in by_protocol["tcp"].reachable] == ["0-65535"]
    assert [str(p) for p in by_protocol["icmp"].reachable] == ["0-255"]
    closed = reachable_protocols(estate(), DEV, DB)
    assert not any(a.reachable or a.unverified for a in closed)


def test_dynamodb_gateway_endpoint_is_its_own_prefix_list_route() -> None:
    from harness.network import PrefixList

    model = estate()
    ddb = PrefixList("pl-ddb", f"com.amazonaws.{REGION}.dynamodb", (net("52.94.0.0/22"),))
    prod_table = model.route_table["rtb-prod"]
    route = Route(RouteTargetKind.GATEWAY_ENDPOINT, "vpce-ddb", prefix_list_id="pl-ddb")
    model = with_table(model, replace(prod_table, routes=(*prod_table.routes, route)))
    assert can_reach(model, PROD, ServiceTarget("dynamodb"), "tcp", 443).verdict is Verdict.UNVERIFIED  # no list
    model = replace(
        model,
        prefix_lists=(*model.prefix_lists, ddb),
        gateway_endpoints=(
            *model.gateway_endpoints,
            GatewayEndpoint("vpce-ddb", "vpc-prod", f"com.amazonaws.{REGION}.dynamodb", ("rtb-prod",)),
        ),
    )
    result = can_reach(model, PROD, ServiceTarget("dynamodb"), "tcp", 443)
    assert result.verdict is Verdict.REACHABLE and result.endpoint_ids == ("vpce-ddb",)
    # dev has no endpoint: DynamoDB goes out through the NAT gateway.
    assert can_reach(model, DEV, ServiceTarget("dynamodb"), "tcp", 443).endpoint_ids == ()


def test_security_group_covering_part_of_the_source_subnet_is_unverified() -> None:
    model = with_group(estate(), db_open_to("10.1.1.0/26"))
    result = can_reach(model, PROD, DB, "tcp", 5432)
    assert result.verdict is Verdict.UNVERIFIED
    assert "allows tcp 5432 from only 10.1.1.4-10.1.1.63 of prod-build" in result.reason
    assert can_reach(model, replace(PROD, address="10.1.1.20"), DB, "tcp", 5432).verdict is Verdict.REACHABLE


def test_address_in_a_peer_vpc_outside_the_model_is_unverified() -> None:
    # pcx-9 leads to a VPC of another account; only the peering's own CIDR information is known.
    model = estate()
    pcx = PeeringConnection(
        "pcx-9", "vpc-dev", "vpc-partner", True, REGION, REGION, (net("10.0.0.0/16"),), (net("172.20.0.0/16"),)
    )
    dev_table = model.route_table["rtb-dev-app"]
    to_partner = Route(RouteTargetKind.PEERING, "pcx-9", net("172.20.0.0/16"))
    model = with_table(
        replace(model, peerings=(*model.peerings, pcx)), replace(dev_table, routes=(*dev_table.routes, to_partner))
    )
    result = can_reach(model, DEV, Address("172.20.1.5"), "tcp", 443)
    assert result.verdict is Verdict.UNVERIFIED
    assert "vpc-partner" in result.reason
    # Internet traffic pointed at that peering is still edge-to-edge routing.
    wide = Route(RouteTargetKind.PEERING, "pcx-9", net("0.0.0.0/0"))
    model = with_table(model, replace(dev_table, routes=(dev_table.routes[0], wide)))
    assert can_reach(model, DEV, InternetTarget("1.1.1.1"), "tcp", 443).verdict is Verdict.BLOCKED


def test_public_address_of_a_modelled_interface_is_unverified() -> None:
    model = estate()
    eni = replace(model.network_interfaces[0], public_ip="54.1.2.3")
    model = replace(model, network_interfaces=(eni,))
    result = can_reach(model, DEV, InternetTarget("54.1.2.3"), "tcp", 5432)
    assert result.verdict is Verdict.UNVERIFIED
    assert "eni-db" in result.reason
    other = can_reach(model, DEV, InternetTarget("54.1.2.4"), "tcp", 5432)
    assert other.verdict is Verdict.REACHABLE
    assert other.hops[-1].kind is Component.DESTINATION
