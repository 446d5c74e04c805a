"""Terraform plan network and secret types: each maps attribute by attribute, standalone rules, routes, ACL
rules, associations and versions fold into their parent, references resolve (lists in order, existing EC2 ids),
and references outside the plan are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.codebuild_project import VpcPlacement
from harness.provider.resources.ec2_network_acl import NaclRule
from harness.provider.resources.ec2_route_table import RouteSpec
from harness.provider.resources.ec2_security_group import SecurityGroupRule
from tests.inputs.conftest import named, only
from tests.inputs.tfplan import R, caller, plan, ref, role

NEW = {"id": True, "arn": True}


def load(*resources: R) -> Definition:
    return parse_plan_text(json.dumps(plan(*resources, data=caller()), indent=2), "plan.json")


def error_of(*resources: R) -> str:
    with pytest.raises(InputError) as info:
        load(*resources)
    return str(info.value)


def on(attribute: str, target: str) -> dict[str, Any]:
    """A configuration expression ``attribute = target`` (``aws_vpc.main.id``)."""
    return {attribute: ref(target, target.rsplit(".", 1)[0])}


def vpc(name: str = "main", cidr: str = "10.1.0.0/16", **tags: str) -> R:
    values = {"cidr_block": cidr, "instance_tenancy": "default", "enable_dns_support": True, "tags": tags or None}
    return R("aws_vpc", name, values, unknown={**NEW, "default_route_table_id": True})


def subnet(name: str, cidr: str, vpc_name: str = "main", **values: Any) -> R:
    return R(
        "aws_subnet",
        name,
        {"cidr_block": cidr, "availability_zone": "eu-west-1a", **values},
        unknown={**NEW, "vpc_id": True},
        expressions=on("vpc_id", f"aws_vpc.{vpc_name}.id"),
    )


def group(
    name: str, ingress: list[dict[str, Any]] | None = None, egress: list[dict[str, Any]] | None = None, **kw: Any
) -> R:
    values = {
        "name": f"acme-{name}",
        "description": kw.pop("description", "Managed by Terraform"),
        "ingress": ingress or [],
        "egress": egress or [],
        "revoke_rules_on_delete": False,
        "tags": kw.pop("tags", {}),
    }
    unknown = {**NEW, "vpc_id": True, **kw.pop("unknown", {})}
    expressions = {**on("vpc_id", "aws_vpc.main.id"), **kw.pop("expressions", {})}
    return R("aws_security_group", name, values, unknown=unknown, expressions=expressions)


def block(protocol: str = "tcp", low: int = 0, high: int = 0, **peers: Any) -> dict[str, Any]:
    out = {
        "protocol": protocol,
        "from_port": low,
        "to_port": high,
        "description": "",
        "self": False,
        "cidr_blocks": [],
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "security_groups": [],
    }
    out.update(peers)
    return out


def test_vpc_and_subnet_map_cidr_zone_environment_and_resolve_the_vpc_reference() -> None:
    definition = load(
        vpc(Name="main", Environment="prod"),
        subnet("build", "10.1.1.0/24", map_public_ip_on_launch=True, enable_dns64=False),
    )
    main = only(definition, "vpcs")
    assert (main.cidr, main.environment, main.tags) == ("10.1.0.0/16", "prod", {"Environment": "prod"})
    build = only(definition, "subnets")
    assert (build.vpc, build.cidr, build.availability_zone, build.map_public_ip) == (
        "main",
        "10.1.1.0/24",
        "eu-west-1a",
        True,
    )
    assert (
        "aws_vpc.main.tags: Name 'main' is not kept; the harness names EC2 resources after the run prefix and the "
        "logical name" in definition.notes
    )
    assert (
        "aws_subnet.build.vpc_id: known only after apply; taken as ${vpcs.main.id} from the configuration's "
        "reference" in definition.notes
    )


def test_security_group_inline_blocks_give_one_rule_per_peer_and_egress_is_exactly_what_is_declared() -> None:
    definition = load(
        vpc(),
        group("peer"),
        group(
            "db",
            ingress=[block("tcp", 5432, 5432, cidr_blocks=["10.1.1.0/24", "10.1.2.0/24"], self=True, description="db")],
            description="Database",
            tags={"tier": "data"},
            unknown={"ingress": [{"security_groups": [True]}]},
            expressions={
                "ingress": [{"security_groups": ref("aws_security_group.peer.id", "aws_security_group.peer")}]
            },
        ),
    )
    db = named(definition, "security_groups", "db")
    assert (db.vpc, db.description, db.tags) == ("main", "Database", {"tier": "data"})
    rule = {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "description": "db"}
    assert db.ingress == (
        SecurityGroupRule(**rule, cidr="10.1.1.0/24"),
        SecurityGroupRule(**rule, cidr="10.1.2.0/24"),
        SecurityGroupRule(**rule, group="peer"),
        SecurityGroupRule(**rule, group="db"),
    )
    # Terraform removes EC2's allow-all egress rule: no egress block is no egress at all.
    assert db.egress == ()
    assert named(definition, "security_groups", "peer").description == "Managed by Terraform"


def test_standalone_rules_fold_into_their_group_and_a_prefix_list_reference_names_the_endpoint_service() -> None:
    endpoint = R(
        "aws_vpc_endpoint",
        "s3",
        {"service_name": "com.amazonaws.eu-west-1.s3", "vpc_endpoint_type": "Gateway", "tags": None},
        unknown={**NEW, "vpc_id": True, "prefix_list_id": True, "route_table_ids": True},
        expressions=on("vpc_id", "aws_vpc.main.id"),
    )
    rules = [
        R(
            "aws_security_group_rule",
            "in",
            {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": None, "self": False},
            unknown={"id": True, "security_group_id": True, "source_security_group_id": True},
            expressions={
                **on("security_group_id", "aws_security_group.db.id"),
                **on("source_security_group_id", "aws_security_group.peer.id"),
            },
        ),
        R(
            "aws_security_group_rule",
            "s3",
            {"type": "egress", "protocol": "tcp", "from_port": 443, "to_port": 443},
            unknown={"id": True, "security_group_id": True, "prefix_list_ids": True},
            expressions={
                **on("security_group_id", "aws_security_group.db.id"),
                **on("prefix_list_ids", "aws_vpc_endpoint.s3.prefix_list_id"),
            },
        ),
        R(
            "aws_vpc_security_group_ingress_rule",
            "https",
            {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.0/8", "description": "x"},
            unknown={"id": True, "arn": True, "security_group_id": True, "security_group_rule_id": True},
            expressions=on("security_group_id", "aws_security_group.db.id"),
        ),
        R(
            "aws_vpc_security_group_egress_rule",
            "all",
            {"ip_protocol": "-1", "from_port": None, "to_port": None},
            unknown={"id": True, "security_group_id": True, "referenced_security_group_id": True},
            expressions={
                **on("security_group_id", "aws_security_group.db.id"),
                **on("referenced_security_group_id", "aws_security_group.peer.id"),
            },
        ),
    ]
    db = named(load(vpc(), endpoint, group("peer"), group("db"), *rules), "security_groups", "db")
    assert db.ingress == (
        SecurityGroupRule(protocol="tcp", from_port=22, to_port=22, group="peer"),
        SecurityGroupRule(protocol="tcp", from_port=443, to_port=443, cidr="10.0.0.0/8", description="x"),
    )
    assert db.egress == (
        SecurityGroupRule(protocol="tcp", from_port=443, to_port=443, prefix_list="s3"),
        SecurityGroupRule(protocol="-1", group="peer"),
    )


def test_a_rule_for_a_group_outside_the_plan_opens_a_stand_in() -> None:
    outside = R(
        "aws_security_group_rule",
        "open",
        {
            "type": "ingress",
            "security_group_id": "sg-0123456789abcdef0",
            "protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "cidr_blocks": ["0.0.0.0/0"],
        },
    )
    definition = load(vpc(), outside)
    group = definition.get("security_groups", "sg-0123456789abcdef0")
    assert group is not None and definition.is_stand_in(group.address)
    assert [(r.from_port, r.cidr) for r in group.ingress] == [(22, "0.0.0.0/0")]


def test_a_rule_admitting_a_group_outside_the_plan_admits_a_stand_in() -> None:
    definition = load(vpc(), group("db", ingress=[block("tcp", 5432, 5432, security_groups=["sg-0123456789abcdef0"])]))
    db = definition.get("security_groups", "db")
    assert db is not None and db.ingress[0].group == "sg-0123456789abcdef0"
    assert definition.unknowns_of("security_groups.sg-0123456789abcdef0")[0].reason == (
        "aws_security_group.db.ingress[0].security_groups[0] names 'sg-0123456789abcdef0', which the plan does not "
        "declare"
    )


def test_an_inline_rule_without_a_peer_opens_nothing_and_is_noted() -> None:
    definition = load(vpc(), group("db", ingress=[block("tcp", 5432, 5432)]))
    db = definition.get("security_groups", "db")
    assert db is not None and db.ingress == ()
    assert (
        "aws_security_group.db.ingress[0]: no peer in the plan; AWS refuses such a rule at apply; the rule is left out"
    ) in definition.notes


def test_routes_gateways_peering_and_associations_fold_into_place() -> None:
    resources = [
        vpc(),
        vpc("other", "10.2.0.0/16"),
        subnet("public", "10.1.100.0/24"),
        subnet("build", "10.1.1.0/24"),
        R(
            "aws_internet_gateway",
            "gw",
            {"tags": None},
            unknown={**NEW, "vpc_id": True},
            expressions=on("vpc_id", "aws_vpc.main.id"),
        ),
        R("aws_eip", "nat", {"domain": "vpc"}, unknown={**NEW, "public_ip": True}),
        R(
            "aws_nat_gateway",
            "nat",
            {"connectivity_type": "public"},
            unknown={"id": True, "subnet_id": True, "allocation_id": True, "public_ip": True},
            expressions={**on("subnet_id", "aws_subnet.public.id"), **on("allocation_id", "aws_eip.nat.id")},
        ),
        R(
            "aws_vpc_peering_connection",
            "other",
            {"auto_accept": False, "peer_region": None},
            unknown={"id": True, "vpc_id": True, "peer_vpc_id": True, "accept_status": True},
            expressions={**on("vpc_id", "aws_vpc.main.id"), **on("peer_vpc_id", "aws_vpc.other.id")},
        ),
        R(
            "aws_route_table",
            "public",
            {
                "route": [
                    {
                        "cidr_block": "0.0.0.0/0",
                        "gateway_id": "",
                        "nat_gateway_id": "",
                        "ipv6_cidr_block": "",
                        "vpc_peering_connection_id": "",
                        "transit_gateway_id": "",
                        "destination_prefix_list_id": "",
                    }
                ]
            },
            unknown={**NEW, "vpc_id": True, "route": [{"gateway_id": True}]},
            expressions={
                **on("vpc_id", "aws_vpc.main.id"),
                "route": [{"gateway_id": ref("aws_internet_gateway.gw.id", "aws_internet_gateway.gw")}],
            },
        ),
        R(
            "aws_route_table",
            "private",
            {"route": []},
            unknown={**NEW, "vpc_id": True},
            expressions=on("vpc_id", "aws_vpc.main.id"),
        ),
        R(
            "aws_route",
            "nat",
            {"destination_cidr_block": "0.0.0.0/0"},
            unknown={"id": True, "route_table_id": True, "nat_gateway_id": True},
            expressions={
                **on("route_table_id", "aws_route_table.private.id"),
                **on("nat_gateway_id", "aws_nat_gateway.nat.id"),
            },
        ),
        R(
            "aws_route",
            "other",
            {"destination_cidr_block": "10.2.0.0/16"},
            unknown={"id": True, "route_table_id": True, "vpc_peering_connection_id": True},
            expressions={
                **on("route_table_id", "aws_route_table.private.id"),
                **on("vpc_peering_connection_id", "aws_vpc_peering_connection.other.id"),
            },
        ),
        R(
            "aws_route",
            "transit",
            {"destination_cidr_block": "10.9.0.0/16", "transit_gateway_id": "tgw-0123456789abcdef0"},
            unknown={"id": True, "route_table_id": True},
            expressions=on("route_table_id", "aws_route_table.private.id"),
        ),
        R(
            "aws_route_table_association",
            "public",
            {},
            unknown={"id": True, "subnet_id": True, "route_table_id": True},
            expressions={
                **on("subnet_id", "aws_subnet.public.id"),
                **on("route_table_id", "aws_route_table.public.id"),
            },
        ),
        R(
            "aws_route_table_association",
            "build",
            {},
            unknown={"id": True, "subnet_id": True, "route_table_id": True},
            expressions={
                **on("subnet_id", "aws_subnet.build.id"),
                **on("route_table_id", "aws_route_table.private.id"),
            },
        ),
    ]
    definition = load(*resources)
    assert only(definition, "internet_gateways").vpc == "main"
    assert (only(definition, "nat_gateways").subnet, only(definition, "nat_gateways").connectivity) == (
        "public",
        "public",
    )
    peering = only(definition, "vpc_peerings")
    # Without auto_accept the connection stays pending in AWS.
    assert (peering.requester, peering.accepter, peering.accepted) == ("main", "other", False)
    assert named(definition, "route_tables", "public").routes == (
        RouteSpec(destination="0.0.0.0/0", internet_gateway="gw"),
    )
    assert named(definition, "route_tables", "private").routes == (
        RouteSpec(destination="0.0.0.0/0", nat_gateway="nat"),
        RouteSpec(destination="10.2.0.0/16", peering="other"),
    )
    assert (named(definition, "subnets", "public").route_table, named(definition, "subnets", "build").route_table) == (
        "public",
        "private",
    )
    assert (
        "aws_route.transit: a route to transit_gateway_id 'tgw-0123456789abcdef0' is not modelled; the route is "
        "left out and paths through it are unverified" in definition.notes
    )
    assert any(n.startswith("aws_eip.nat (aws_eip): the harness allocates one Elastic IP") for n in definition.notes)


def test_a_peering_accepter_accepts_the_connection() -> None:
    resources = [
        vpc(),
        vpc("other", "10.2.0.0/16"),
        R(
            "aws_vpc_peering_connection",
            "other",
            {"auto_accept": False},
            unknown={"id": True, "vpc_id": True, "peer_vpc_id": True},
            expressions={**on("vpc_id", "aws_vpc.main.id"), **on("peer_vpc_id", "aws_vpc.other.id")},
        ),
        R(
            "aws_vpc_peering_connection_accepter",
            "other",
            {"auto_accept": True},
            unknown={"id": True, "vpc_peering_connection_id": True},
            expressions=on("vpc_peering_connection_id", "aws_vpc_peering_connection.other.id"),
        ),
    ]
    assert only(load(*resources), "vpc_peerings").accepted is True


def test_an_internet_gateway_attached_to_nothing_is_refused() -> None:
    gateway = R("aws_internet_gateway", "gw", {"vpc_id": None, "tags": None}, unknown=NEW)
    assert error_of(vpc(), gateway).endswith(
        "(aws_internet_gateway.gw): expected vpc_id or an aws_internet_gateway_attachment attaching it to a VPC of "
        "this plan, found none; set vpc_id = aws_vpc.main.id or remove the gateway"
    )


def test_an_attachment_attaches_the_internet_gateway() -> None:
    gateway = R("aws_internet_gateway", "gw", {"vpc_id": None, "tags": None}, unknown=NEW)
    attachment = R(
        "aws_internet_gateway_attachment",
        "gw",
        {},
        unknown={"id": True, "vpc_id": True, "internet_gateway_id": True},
        expressions={**on("vpc_id", "aws_vpc.main.id"), **on("internet_gateway_id", "aws_internet_gateway.gw.id")},
    )
    assert only(load(vpc(), gateway, attachment), "internet_gateways").vpc == "main"


def acl_entry(
    number: int, protocol: str, cidr: str, low: int = 0, high: int = 0, action: str = "allow"
) -> dict[str, Any]:
    return {
        "rule_no": number,
        "action": action,
        "protocol": protocol,
        "cidr_block": cidr,
        "ipv6_cidr_block": "",
        "from_port": low,
        "to_port": high,
        "icmp_type": 0,
        "icmp_code": 0,
    }


def test_network_acl_inline_entries_subnets_and_standalone_rules() -> None:
    acl = R(
        "aws_network_acl",
        "data",
        {
            "ingress": [acl_entry(100, "6", "10.1.1.0/24", 5432, 5432)],
            "egress": [
                acl_entry(100, "-1", "0.0.0.0/0", action="deny"),
                {**acl_entry(110, "-1", "", action="allow"), "ipv6_cidr_block": "::/0"},
            ],
        },
        unknown={**NEW, "vpc_id": True, "subnet_ids": True},
        expressions={**on("vpc_id", "aws_vpc.main.id"), **on("subnet_ids", "aws_subnet.data.id")},
    )
    rule = R(
        "aws_network_acl_rule",
        "ping",
        {
            "rule_number": 120,
            "egress": False,
            "protocol": "icmp",
            "rule_action": "allow",
            "cidr_block": "10.1.0.0/16",
            "icmp_type": 8,
            "icmp_code": 0,
            "from_port": None,
            "to_port": None,
        },
        unknown={"id": True, "network_acl_id": True},
        expressions=on("network_acl_id", "aws_network_acl.data.id"),
    )
    definition = load(vpc(), subnet("data", "10.1.20.0/24"), acl, rule)
    assert only(definition, "network_acls").entries == (
        NaclRule(rule=100, action="allow", cidr="10.1.1.0/24", protocol="tcp", from_port=5432, to_port=5432),
        NaclRule(rule=100, action="deny", cidr="0.0.0.0/0", egress=True),
        NaclRule(rule=120, action="allow", cidr="10.1.0.0/16", protocol="icmp", icmp_type=8, icmp_code=0),
    )
    assert only(definition, "subnets").network_acl == "data"
    assert "aws_network_acl.data.egress[1]: IPv6 entries are not modelled; the entry is left out" in definition.notes


def test_a_subnet_in_two_network_acls_is_refused() -> None:
    acls = [
        R("aws_network_acl", name, {}, unknown={**NEW, "vpc_id": True}, expressions=on("vpc_id", "aws_vpc.main.id"))
        for name in ("a", "b")
    ] + [
        R(
            "aws_network_acl_association",
            name,
            {},
            unknown={"id": True, "subnet_id": True, "network_acl_id": True},
            expressions={**on("subnet_id", "aws_subnet.data.id"), **on("network_acl_id", f"aws_network_acl.{name}.id")},
        )
        for name in ("a", "b")
    ]
    assert error_of(vpc(), subnet("data", "10.1.20.0/24"), *acls).endswith(
        "(aws_network_acl_association.b): expected one network ACL per subnet, found subnet 'data' associated with "
        "'a' and 'b'; keep one association per subnet"
    )


def test_endpoints_resolve_lists_of_references_in_order_and_fold_their_route_tables_and_policy() -> None:
    tables = [
        R(
            "aws_route_table",
            name,
            {"route": []},
            unknown={**NEW, "vpc_id": True},
            expressions=on("vpc_id", "aws_vpc.main.id"),
        )
        for name in ("b", "a", "c")
    ]
    s3 = R(
        "aws_vpc_endpoint",
        "s3",
        {"service_name": "com.amazonaws.eu-west-1.s3", "vpc_endpoint_type": "Gateway", "private_dns_enabled": False},
        unknown={**NEW, "vpc_id": True, "route_table_ids": [True, True], "policy": True},
        expressions={
            **on("vpc_id", "aws_vpc.main.id"),
            "route_table_ids": ref(
                "aws_route_table.b.id", "aws_route_table.b", "aws_route_table.a.id", "aws_route_table.a"
            ),
        },
    )
    extra = R(
        "aws_vpc_endpoint_route_table_association",
        "c",
        {},
        unknown={"id": True, "vpc_endpoint_id": True, "route_table_id": True},
        expressions={**on("vpc_endpoint_id", "aws_vpc_endpoint.s3.id"), **on("route_table_id", "aws_route_table.c.id")},
    )
    policy = R(
        "aws_vpc_endpoint_policy",
        "s3",
        {
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
            )
        },
        unknown={"id": True, "vpc_endpoint_id": True},
        expressions=on("vpc_endpoint_id", "aws_vpc_endpoint.s3.id"),
    )
    endpoint = only(load(vpc(), *tables, s3, extra, policy), "vpc_endpoints")
    assert (endpoint.vpc, endpoint.service, endpoint.type) == ("main", "s3", "Gateway")
    assert endpoint.route_tables == ("b", "a", "c")
    assert endpoint.policy == {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]
    }


def test_a_build_in_the_plans_network_is_placed_by_reference() -> None:
    project = R(
        "aws_codebuild_project",
        "build",
        {
            "name": "acme-build",
            "build_timeout": 15,
            "environment": [
                {
                    "image": "aws/codebuild/standard:7.0",
                    "compute_type": "BUILD_GENERAL1_SMALL",
                    "type": "LINUX_CONTAINER",
                }
            ],
            "vpc_config": [{}],
        },
        unknown={
            **NEW,
            "service_role": True,
            "vpc_config": [{"vpc_id": True, "subnets": True, "security_group_ids": True}],
        },
        expressions={
            **on("service_role", "aws_iam_role.build.arn"),
            "vpc_config": [
                {
                    **on("vpc_id", "aws_vpc.main.id"),
                    "subnets": ref("aws_subnet.a.id", "aws_subnet.a", "aws_subnet.b.id", "aws_subnet.b"),
                    **on("security_group_ids", "aws_security_group.build.id"),
                }
            ],
        },
    )
    definition = load(role(), vpc(), subnet("a", "10.1.1.0/24"), subnet("b", "10.1.2.0/24"), group("build"), project)
    assert only(definition, "build_projects").vpc == VpcPlacement(
        vpc="main", subnets=("a", "b"), security_groups=("build",)
    )


def test_existing_network_resources_are_named_by_their_ec2_ids() -> None:
    existing = R(
        "aws_vpc",
        "main",
        {"id": "vpc-0a1b2c3d4e5f60001", "cidr_block": "10.1.0.0/16", "tags": {"environment": "prod"}},
        actions=("no-op",),
    )
    added = R("aws_subnet", "build", {"vpc_id": "vpc-0a1b2c3d4e5f60001", "cidr_block": "10.1.1.0/24"}, unknown=NEW)
    assert only(load(existing, added), "subnets").vpc == "main"


def test_a_subnet_in_an_existing_vpc_goes_into_a_stand_in_that_holds_it() -> None:
    added = R("aws_subnet", "build", {"vpc_id": "vpc-0a1b2c3d4e5f60001", "cidr_block": "10.1.1.0/24"}, unknown=NEW)
    definition = load(vpc(), added)
    subnet = definition.get("subnets", "build")
    assert subnet is not None and subnet.vpc == "vpc-0a1b2c3d4e5f60001"
    stand_in = definition.get("vpcs", "vpc-0a1b2c3d4e5f60001")
    assert stand_in is not None and stand_in.cidr == "10.1.0.0/16"
    assert definition.is_stand_in("vpcs.vpc-0a1b2c3d4e5f60001")
    assert not definition.is_stand_in("vpcs.main")


def test_secrets_take_their_version_and_parameters_their_value() -> None:
    key = R("aws_kms_key", "secrets", {"description": "k"}, unknown={**NEW, "key_id": True})
    token = R(
        "aws_secretsmanager_secret",
        "token",
        {"name": "ci/token", "description": "deploy token", "recovery_window_in_days": 30, "tags": {"team": "ci"}},
        unknown={**NEW, "kms_key_id": True},
        expressions=on("kms_key_id", "aws_kms_key.secrets.arn"),
    )
    version = R(
        "aws_secretsmanager_secret_version",
        "token",
        {"secret_string": "not-a-real-token", "version_stages": ["AWSCURRENT"]},
        unknown={"id": True, "arn": True, "secret_id": True, "version_id": True},
        expressions=on("secret_id", "aws_secretsmanager_secret.token.id"),
    )
    empty = R("aws_secretsmanager_secret", "empty", {"name": "ci/empty"}, unknown=NEW)
    parameter = R(
        "aws_ssm_parameter",
        "flag",
        {"name": "/ci/flag", "type": "SecureString", "value": "on", "key_id": "alias/aws/ssm", "tier": "Standard"},
        unknown={**NEW, "version": True},
    )
    definition = load(key, token, version, empty, parameter)
    secret = named(definition, "secrets", "token")
    assert (secret.store, secret.value, secret.kms_key, secret.description, secret.tags) == (
        "secrets-manager",
        "not-a-real-token",
        "secrets",
        "deploy token",
        {"team": "ci"},
    )
    flag = named(definition, "secrets", "flag")
    assert (flag.store, flag.value, flag.kms_key) == ("parameter-store", "on", None)
    assert named(definition, "secrets", "empty").value == "pipewarden-stand-in-secret"
    assert (
        "aws_secretsmanager_secret.empty: no secret value in the plan; a fixed stand-in value is stored"
        in definition.notes
    )
