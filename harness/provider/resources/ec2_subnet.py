"""Subnet: the resource type (VPC, CIDR, zone, route table and network ACL associations, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import Cfn, Field, Reader, Schema, StandIn, StandInRequest, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    Item,
    cannot_change,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)
from harness.provider.resources.ec2_vpc import EXISTING_NETWORK, ipv4_cidr


@dataclass(frozen=True, slots=True)
class Subnet(Resource):
    """A subnet. Without ``route_table`` it uses the VPC's main route table; without ``network_acl`` the VPC's
    default network ACL (which allows everything)."""

    SECTION: ClassVar[str] = "subnets"
    KIND: ClassVar[str] = "subnet"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id", "cidr")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    cidr: str = ""
    availability_zone: str = ""
    route_table: Annotated[str, RefTo("route_tables")] | None = None
    network_acl: Annotated[str, RefTo("network_acls")] | None = None
    map_public_ip: bool = False
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        object.__setattr__(self, "cidr", ipv4_cidr(self.cidr, "a cidr"))
        check_tags(self.tags)


_SUBNETS = Ec2Kind("describe_subnets", "Subnets", "SubnetId", "subnet", "subnet")


def _explicit_table(ec2: Any, subnet_id: str) -> tuple[str, str] | None:
    """(route table id, association id) of the subnet's explicit association, if any."""
    for table in ec2.describe_route_tables().get("RouteTables", []):
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") == subnet_id and not assoc.get("Main"):
                return str(table["RouteTableId"]), str(assoc["RouteTableAssociationId"])
    return None


def _acl_association(ec2: Any, subnet_id: str) -> tuple[str, str, bool] | None:
    """(network ACL id, association id, is the VPC default) of the subnet's network ACL."""
    for acl in ec2.describe_network_acls().get("NetworkAcls", []):
        for assoc in acl.get("Associations", []):
            if assoc.get("SubnetId") == subnet_id:
                return str(acl["NetworkAclId"]), str(assoc["NetworkAclAssociationId"]), bool(acl.get("IsDefault"))
    return None


def default_acl(ec2: Any, vpc_id: str) -> str | None:
    """The default network ACL of a VPC."""
    found = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    ).get("NetworkAcls", [])
    return str(found[0]["NetworkAclId"]) if found else None


def move_to_acl(ec2: Any, subnet_id: str, acl_id: str | None, vpc_id: str) -> None:
    """Associate a subnet with ``acl_id`` (None: the VPC's default ACL), as ReplaceNetworkAclAssociation does."""
    current = _acl_association(ec2, subnet_id)
    target = acl_id or default_acl(ec2, vpc_id)
    if current is None or target is None or current[0] == target:
        return
    ec2.replace_network_acl_association(AssociationId=current[1], NetworkAclId=target)


class SubnetHandler(Ec2Handler[Subnet]):
    resource_type = Subnet
    sweep_order = 36
    kind = _SUBNETS

    def attributes(self, item: Item) -> dict[str, str]:
        return {"cidr": str(item.get("CidrBlock", ""))}

    def _zone(self, ctx: ProviderContext, resource: Subnet) -> str:
        return resource.availability_zone or f"{ctx.region}a"

    def desired(self, ctx: ProviderContext, resource: Subnet) -> dict[str, Any]:
        return {
            "vpc": ref_id(ctx, "vpcs", resource.vpc),
            "cidr": resource.cidr,
            "availability_zone": self._zone(ctx, resource),
            "route_table": ref_id(ctx, "route_tables", resource.route_table) if resource.route_table else None,
            "network_acl": ref_id(ctx, "network_acls", resource.network_acl) if resource.network_acl else None,
            "map_public_ip": resource.map_public_ip,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Subnet) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        ec2 = ctx.clients("ec2")
        subnet_id = str(item["SubnetId"])
        table = _explicit_table(ec2, subnet_id)
        acl = _acl_association(ec2, subnet_id)
        return {
            "vpc": item.get("VpcId"),
            "cidr": item.get("CidrBlock"),
            "availability_zone": item.get("AvailabilityZone"),
            "route_table": table[0] if table else None,
            # The VPC's default ACL is what a subnet without a declared one gets.
            "network_acl": acl[0] if acl and not acl[2] else None,
            "map_public_ip": bool(item.get("MapPublicIpOnLaunch", False)),
            "tags": user_tags(item.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: Subnet) -> ResourceState:
        created = ctx.clients("ec2").create_subnet(
            VpcId=ref_id(ctx, "vpcs", resource.vpc),
            CidrBlock=resource.cidr,
            AvailabilityZone=self._zone(ctx, resource),
            TagSpecifications=self.tag_specifications(ctx, resource, resource.tags),
        )["Subnet"]
        state = self.state_from(ctx, resource, created)
        self._associate(ctx, resource, state.physical_id, frozenset({"route_table", "network_acl", "map_public_ip"}))
        return state

    def _associate(self, ctx: ProviderContext, resource: Subnet, subnet_id: str, changed: frozenset[str]) -> None:
        ec2 = ctx.clients("ec2")
        if "route_table" in changed:
            current = _explicit_table(ec2, subnet_id)
            want = ref_id(ctx, "route_tables", resource.route_table) if resource.route_table else None
            if current is not None and want is not None and current[0] != want:
                ec2.replace_route_table_association(AssociationId=current[1], RouteTableId=want)
            elif current is not None and want is None:
                ec2.disassociate_route_table(AssociationId=current[1])
            elif current is None and want is not None:
                ec2.associate_route_table(RouteTableId=want, SubnetId=subnet_id)
        if "network_acl" in changed:
            acl = ref_id(ctx, "network_acls", resource.network_acl) if resource.network_acl else None
            move_to_acl(ec2, subnet_id, acl, ref_id(ctx, "vpcs", resource.vpc))
        if "map_public_ip" in changed:
            ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": resource.map_public_ip})

    def update(self, ctx: ProviderContext, resource: Subnet, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"vpc", "cidr", "availability_zone"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        state = self.state(ctx, resource)
        self._associate(ctx, resource, state.physical_id, changed)
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        subnet = next((s for s in _SUBNETS.items(ec2) if s["SubnetId"] == physical_id), None)
        if subnet is None:
            return
        # AWS drops a deleted subnet's associations; releasing them first keeps every backend's route tables and
        # network ACLs deletable afterwards.
        table = _explicit_table(ec2, physical_id)
        if table is not None:
            ec2.disassociate_route_table(AssociationId=table[1])
        move_to_acl(ec2, physical_id, None, str(subnet["VpcId"]))
        ignore_missing(lambda: ec2.delete_subnet(SubnetId=physical_id))


HANDLER = SubnetHandler()


# -- how the source formats spell a subnet ---------------------------------------------------------------------


def _zone(reader: Reader, value: Any, path: str) -> str:
    zone = str(value)
    if "${region}" in zone:
        # Fn::GetAZs is known only at deploy; the harness places the subnet in the region's first zone.
        if zone != "${region}a":
            reader.note(f"{path}: a zone chosen at deploy; the subnet goes to the region's first zone")
        return ""
    return zone


SCHEMA = Schema(
    Subnet,
    fields=(
        Field("vpc", cfn="VpcId", tf="vpc_id", read="here", section="vpcs", what="a VPC", required=True),
        Field("cidr", cfn="CidrBlock", tf="cidr_block", required=True),
        Field("availability_zone", cfn="AvailabilityZone", tf="availability_zone", default="", parse=_zone),
        Field("map_public_ip", cfn="MapPublicIpOnLaunch", tf="map_public_ip_on_launch", read="flag", default=False),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn(
        "AWS::EC2::Subnet",
        ref="{id}",
        attributes={
            "SubnetId": "{id}",
            "CidrBlock": "{cidr}",
            "AvailabilityZone": None,
            "AvailabilityZoneId": None,
            "Ipv6CidrBlocks": None,
            "NetworkAclAssociationId": None,
            "OutpostArn": None,
            "VpcId": None,
        },
        quiet={"AssignIpv6AddressOnCreation": False, "EnableDns64": False},
    ),
    tf=Tf(
        "aws_subnet",
        name=None,
        attributes={"id": "id", "arn": "arn", "cidr_block": "cidr"},
        quiet={"private_dns_hostname_type_on_launch": "ip-name", "enable_lni_at_device_index": 0},
        ignore=("availability_zone_id", "ipv6_cidr_block_association_id"),
    ),
)


# -- a subnet the definition names but does not declare --------------------------------------------------------


def _stand_in(request: StandInRequest) -> dict[str, Any]:

    vpc = request.reader.stand_in(
        "vpcs",
        EXISTING_NETWORK,
        request.origin,
        f"{request.origin} names a subnet of a network the definition does not declare",
    )
    return {"vpc": vpc or EXISTING_NETWORK, "cidr": f"10.255.{request.index % 256}.0/24"}


STAND_IN = StandIn(Subnet, fields=_stand_in, deployed="an empty subnet of a stand-in VPC")
