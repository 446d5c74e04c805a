"""NAT gateway: the resource type (subnet, public or private connectivity, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import Cfn, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing, tags_dict
from harness.provider.resources.ec2_common import (
    NAME_TAG,
    Ec2Handler,
    Ec2Kind,
    cannot_change,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)

_GONE = ("deleted", "deleting", "failed")


@dataclass(frozen=True, slots=True)
class NatGateway(Resource):
    """A NAT gateway in a subnet. A public one (with an Elastic IP the harness allocates) gives private subnets a
    way to the internet through the internet gateway of its own subnet's route table."""

    SECTION: ClassVar[str] = "nat_gateways"
    KIND: ClassVar[str] = "NAT gateway"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    subnet: Annotated[str, RefTo("subnets")] = ""
    connectivity: Literal["public", "private"] = "public"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.subnet:
            raise ValueError("a subnet naming a subnet under 'subnets', found none; add subnet")
        check_tags(self.tags)


class NatGatewayHandler(Ec2Handler[NatGateway]):
    resource_type = NatGateway
    sweep_order = 32
    kind = Ec2Kind("describe_nat_gateways", "NatGateways", "NatGatewayId", "natgateway", "natgateway",
                   lambda item: item.get("State") in _GONE, filters_by_tag=False)  # fmt: skip

    def desired(self, ctx: ProviderContext, resource: NatGateway) -> dict[str, Any]:
        return {
            "subnet": ref_id(ctx, "subnets", resource.subnet),
            "connectivity": resource.connectivity,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: NatGateway) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        return {
            "subnet": item.get("SubnetId"),
            "connectivity": item.get("ConnectivityType", "public"),
            "tags": user_tags(item.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: NatGateway) -> ResourceState:
        ec2 = ctx.clients("ec2")
        kwargs: dict[str, Any] = {
            "SubnetId": ref_id(ctx, "subnets", resource.subnet),
            "ConnectivityType": resource.connectivity,
            "TagSpecifications": self.tag_specifications(ctx, resource, resource.tags),
        }
        if resource.connectivity == "public":
            spec = self.tag_specifications(ctx, resource, {})
            spec[0]["ResourceType"] = "elastic-ip"
            kwargs["AllocationId"] = ec2.allocate_address(Domain="vpc", TagSpecifications=spec)["AllocationId"]
        created = ec2.create_nat_gateway(**kwargs)["NatGateway"]
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: NatGateway, changed: frozenset[str]) -> ResourceState:
        fixed = changed - {"tags"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        state = self.state(ctx, resource)
        self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        item = next((i for i in self.kind.items(ec2) if i["NatGatewayId"] == physical_id), None)
        if item is None or self.kind.gone(item):
            return
        name = tags_dict(item.get("Tags")).get(NAME_TAG)
        ec2.delete_nat_gateway(NatGatewayId=physical_id)
        # The Elastic IP allocated for it goes with it (found by the same Name tag).
        allocations = [
            str(a["AllocationId"])
            for a in ec2.describe_addresses().get("Addresses", [])
            if name and tags_dict(a.get("Tags")).get(NAME_TAG) == name
        ]
        for allocation in allocations:
            ignore_missing(partial(ec2.release_address, AllocationId=allocation))


HANDLER = NatGatewayHandler()


# -- how the source formats spell a NAT gateway (and the Elastic IPs the harness allocates with it) ------------

SCHEMA = Schema(
    NatGateway,
    fields=(
        Field("subnet", cfn="SubnetId", tf="subnet_id", read="here", section="subnets", what="a subnet",
              required=True),
        Field("connectivity", cfn="ConnectivityType", tf="connectivity_type", default="public",
              choices=("public", "private")),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    # A public NAT gateway gets an Elastic IP the harness allocates with it, whichever the source names.
    cfn=Cfn("AWS::EC2::NatGateway", ref="{id}", attributes={"NatGatewayId": "{id}"}, ignore=("AllocationId",)),
    tf=Tf("aws_nat_gateway", name=None, attributes={"id": "id"},
          ignore=("allocation_id", "association_id", "network_interface_id", "private_ip", "public_ip")),
)  # fmt: skip


def _fold_eip(reader: Reader, props: Props, origin: Origin) -> None:
    props.ignore(*props.values)
    kind = "AWS::EC2::EIP" if origin.path.startswith("Resources.") else "aws_eip"
    reader.note(
        f"{origin.path} ({kind}): the harness allocates one Elastic IP with each public NAT gateway; this "
        "address is not created"
    )


FOLDS = (Fold(_fold_eip, cfn="AWS::EC2::EIP"), Fold(_fold_eip, tf="aws_eip"))
