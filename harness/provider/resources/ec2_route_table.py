"""Route table: the resource type (VPC, routes to gateways, NAT gateways and peerings, tags) and its handler.

Subnets declare which route table they use (``subnets.x.route_table``); the VPC's local route is implicit, and
the routes of gateway endpoints are made by the endpoint (``vpc_endpoints.x.route_tables``), as AWS does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Fold,
    Origin,
    Props,
    Reader,
    Schema,
    Tf,
    describe,
    ref_parts,
)
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    append,
    associate,
    cannot_change,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)
from harness.provider.resources.ec2_vpc import ipv4_cidr


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: a destination (a CIDR block or a managed prefix list such as ``s3``) and exactly one target."""

    destination: str | None = None
    prefix_list: str | None = None
    internet_gateway: Annotated[str, RefTo("internet_gateways")] | None = None
    nat_gateway: Annotated[str, RefTo("nat_gateways")] | None = None
    peering: Annotated[str, RefTo("vpc_peerings")] | None = None

    def __post_init__(self) -> None:
        if (self.destination is None) == (self.prefix_list is None):
            raise ValueError(
                "exactly one of destination or prefix_list, found "
                + ("both" if self.destination is not None else "neither")
                + "; give the CIDR block or the prefix list the route is for"
            )
        if self.destination is not None:
            object.__setattr__(self, "destination", ipv4_cidr(self.destination, "a destination"))
        targets = [t for t in (self.internet_gateway, self.nat_gateway, self.peering) if t is not None]
        if len(targets) != 1:
            raise ValueError(
                f"exactly one target (internet_gateway, nat_gateway or peering), found {len(targets)}; "
                "name where the route sends traffic"
            )


def prefix_list_id(ctx: ProviderContext, name: str) -> str:
    """A managed prefix list id from ``pl-...``, a full name or an AWS service (``s3`` is com.amazonaws.REGION.s3).

    Raises:
        ValueError: no such prefix list in the backend.
    """
    if name.startswith("pl-"):
        return name
    full = name if "." in name else f"com.amazonaws.{ctx.region}.{name}"
    for item in ctx.clients("ec2").describe_managed_prefix_lists().get("PrefixLists", []):
        if item.get("PrefixListName") == full:
            return str(item["PrefixListId"])
    raise ValueError(f"a managed prefix list named {full}, found none in the backend; check the service name")


def _route_key(route: dict[str, Any]) -> tuple[str, str, str, str]:
    destination = route.get("DestinationCidrBlock") or route.get("DestinationPrefixListId") or ""
    for field_name, kind in (
        ("NatGatewayId", "nat-gateway"),
        ("VpcPeeringConnectionId", "peering"),
        ("GatewayId", "gateway"),
    ):
        if route.get(field_name):
            return str(destination), kind, str(route[field_name]), str(route.get("State", "active"))
    return str(destination), "other", "", str(route.get("State", "active"))


@dataclass(frozen=True, slots=True)
class RouteTable(Resource):
    """A route table of a VPC with its routes; subnets choose it with ``route_table``."""

    SECTION: ClassVar[str] = "route_tables"
    KIND: ClassVar[str] = "route table"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    routes: tuple[RouteSpec, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        check_tags(self.tags)
        seen: set[str] = set()
        for route in self.routes:
            key = route.destination or f"prefix list {route.prefix_list}"
            if key in seen:
                raise ValueError(f"one route per destination, found two for {key}; keep one of them")
            seen.add(key)


class RouteTableHandler(Ec2Handler[RouteTable]):
    resource_type = RouteTable
    sweep_order = 40
    kind = Ec2Kind("describe_route_tables", "RouteTables", "RouteTableId", "route-table", "route-table")

    def _routes(self, ctx: ProviderContext, resource: RouteTable) -> list[list[str]]:
        out: list[list[str]] = []
        for route in resource.routes:
            destination = route.destination or prefix_list_id(ctx, str(route.prefix_list))
            if route.internet_gateway:
                target = ["gateway", ref_id(ctx, "internet_gateways", route.internet_gateway)]
            elif route.nat_gateway:
                target = ["nat-gateway", ref_id(ctx, "nat_gateways", route.nat_gateway)]
            else:
                target = ["peering", ref_id(ctx, "vpc_peerings", str(route.peering))]
            out.append([destination, *target, "active"])
        return sorted(out)

    def desired(self, ctx: ProviderContext, resource: RouteTable) -> dict[str, Any]:
        return {"vpc": ref_id(ctx, "vpcs", resource.vpc), "routes": self._routes(ctx, resource),
                "tags": dict(resource.tags)}  # fmt: skip

    def read(self, ctx: ProviderContext, resource: RouteTable) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        routes = []
        for route in item.get("Routes", []):
            key = _route_key(route)
            # The local route is implicit; gateway-endpoint routes belong to the endpoint.
            if key[1] == "gateway" and (key[2] == "local" or key[2].startswith("vpce-")):
                continue
            routes.append(list(key))
        return {"vpc": item.get("VpcId"), "routes": sorted(routes), "tags": user_tags(item.get("Tags"))}

    def create(self, ctx: ProviderContext, resource: RouteTable) -> ResourceState:
        created = ctx.clients("ec2").create_route_table(
            VpcId=ref_id(ctx, "vpcs", resource.vpc),
            TagSpecifications=self.tag_specifications(ctx, resource, resource.tags),
        )["RouteTable"]
        state = self.state_from(ctx, resource, created)
        for route in self._routes(ctx, resource):
            self._create_route(ctx, state.physical_id, route)
        return state

    @staticmethod
    def _destination(destination: str) -> dict[str, str]:
        if destination.startswith("pl-"):
            return {"DestinationPrefixListId": destination}
        return {"DestinationCidrBlock": destination}

    def _create_route(self, ctx: ProviderContext, table_id: str, route: list[str]) -> None:
        destination, kind, target = route[0], route[1], route[2]
        field_name = {"gateway": "GatewayId", "nat-gateway": "NatGatewayId", "peering": "VpcPeeringConnectionId"}[kind]
        ctx.clients("ec2").create_route(RouteTableId=table_id, **self._destination(destination), **{field_name: target})

    def update(self, ctx: ProviderContext, resource: RouteTable, changed: frozenset[str]) -> ResourceState:
        if "vpc" in changed:
            raise cannot_change(resource.KIND, str(resource.address), frozenset({"vpc"}))
        state = self.state(ctx, resource)
        if "routes" in changed:
            ec2 = ctx.clients("ec2")
            have = (self.read(ctx, resource) or {}).get("routes", [])
            want = self._routes(ctx, resource)
            for route in have:
                if route not in want:
                    ec2.delete_route(RouteTableId=state.physical_id, **self._destination(route[0]))
            for route in want:
                if route not in have:
                    self._create_route(ctx, state.physical_id, route)
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        for item in self.kind.items(ec2):
            if item["RouteTableId"] != physical_id:
                continue
            for assoc in item.get("Associations", []):
                if assoc.get("SubnetId") and not assoc.get("Main"):
                    ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
        ignore_missing(lambda: ec2.delete_route_table(RouteTableId=physical_id))


HANDLER = RouteTableHandler()


# -- how the source formats spell a route table, its routes and associations -----------------------------------

_ROUTE_KEYS = {
    # (IPv6 destination, IPv4 destination, prefix list, gateway, NAT gateway, peering)
    CLOUDFORMATION: (
        "DestinationIpv6CidrBlock", "DestinationCidrBlock", "DestinationPrefixListId", "GatewayId", "NatGatewayId",
        "VpcPeeringConnectionId",
    ),
    "terraform": (
        "destination_ipv6_cidr_block", "destination_cidr_block", "destination_prefix_list_id", "gateway_id",
        "nat_gateway_id", "vpc_peering_connection_id",
    ),
}  # fmt: skip


def route(reader: Reader, props: Props, origin: str, line: int | None, inline: bool = False) -> RouteSpec | None:
    """One route (a separate route resource, or a route block of a Terraform route table); None (noted) for a
    target the model has no type for, or an IPv6 destination."""
    ipv6, ipv4, prefix_list, gateway_key, nat_key, peering_key = _ROUTE_KEYS[reader.format]
    if inline:  # a route block of aws_route_table spells its destinations without the 'destination_' prefix
        ipv6, ipv4 = "ipv6_cidr_block", "cidr_block"
    if props.text(ipv6):
        reader.note(f"{origin}: IPv6 routes are {UNVERIFIED.split(';')[0]}; the route is left out")
        props.ignore(*props.values)
        return None
    kw: dict[str, Any] = {"destination": props.text(ipv4) or None, "prefix_list": props.text(prefix_list) or None}
    parts = ref_parts(reader.spelled(props.raw(gateway_key), "internet_gateways"))
    if parts is not None and parts[0] == "internet_gateways":
        kw["internet_gateway"] = parts[1]
    elif props.text(nat_key):
        kw["nat_gateway"] = reader.here(props.raw(nat_key), props.at(nat_key), "nat_gateways", "a NAT gateway")
    elif props.text(peering_key):
        kw["peering"] = reader.here(
            props.raw(peering_key), props.at(peering_key), "vpc_peerings", "a VPC peering connection"
        )
    else:
        target = next(
            (k for k, v in props.values.items() if k.lower().endswith("id") and v and "estination" not in k
             and k.lower() not in ("routetableid", "route_table_id")),
            "no target",
        )  # fmt: skip
        reader.note(
            f"{origin}: a route to {target} {describe(props.values.get(target))} is {UNVERIFIED.split(';')[0]}; "
            "the route is left out and paths through it are unverified"
        )
        props.ignore(*props.values)
        return None
    props.ignore(*props.values)  # the other targets are empty in a route block
    return reader.make(RouteSpec, origin, line, **kw)


def _inline_routes(reader: Reader, props: Props, draft: Draft) -> Any:
    routes = [route(reader, block, block.path, draft.line, inline=True) for block in props.items("route")]
    return tuple(r for r in routes if r is not None)


SCHEMA = Schema(
    RouteTable,
    fields=(
        Field("vpc", cfn="VpcId", tf="vpc_id", read="here", section="vpcs", what="a VPC", required=True),
        Field("routes", tf_read=_inline_routes),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn("AWS::EC2::RouteTable", ref="{id}", attributes={"RouteTableId": "{id}"}),
    tf=Tf("aws_route_table", name=None, attributes={"id": "id", "arn": "arn"}),
)


def _fold_route(reader: Reader, props: Props, origin: Origin) -> None:
    key = "RouteTableId" if reader.format == CLOUDFORMATION else "route_table_id"
    table = reader.here(props.require(key), props.at(key), "route_tables", "a route table")
    found = route(reader, props, origin.path, origin.line)
    draft = reader.draft("route_tables", table)
    if found is not None and draft is not None:
        append(draft, "routes", found)


def _fold_association(reader: Reader, props: Props, origin: Origin) -> None:
    cfn = reader.format == CLOUDFORMATION
    subnet_key, table_key = ("SubnetId", "RouteTableId") if cfn else ("subnet_id", "route_table_id")
    if not cfn and props.has("gateway_id") and not props.has("subnet_id"):
        props.ignore(*props.values)
        reader.note(f"{origin.path}: an edge association with a gateway is {UNVERIFIED}")
        return
    subnet = reader.here(props.require(subnet_key), props.at(subnet_key), "subnets", "a subnet")
    table = reader.here(props.require(table_key), props.at(table_key), "route_tables", "a route table")
    associate(reader, origin.path, subnet, "route_table", table, "route table")


FOLDS = (
    Fold(_fold_route, cfn="AWS::EC2::Route"),
    Fold(_fold_route, tf="aws_route"),
    Fold(_fold_association, cfn="AWS::EC2::SubnetRouteTableAssociation"),
    Fold(_fold_association, tf="aws_route_table_association"),
)
