"""VPC peering connection: the resource type (requester and accepter VPCs, accepted, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import CLOUDFORMATION, UNVERIFIED, Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    cannot_change,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)

_GONE = ("deleted", "deleting", "rejected", "failed", "expired")


@dataclass(frozen=True, slots=True)
class VpcPeering(Resource):
    """A peering connection between two VPCs of the account; ``accepted: false`` leaves it pending."""

    SECTION: ClassVar[str] = "vpc_peerings"
    KIND: ClassVar[str] = "VPC peering connection"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    requester: Annotated[str, RefTo("vpcs")] = ""
    accepter: Annotated[str, RefTo("vpcs")] = ""
    accepted: bool = True
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.requester or not self.accepter:
            raise ValueError("requester and accepter naming VPCs under 'vpcs', found one missing; add both")
        if self.requester == self.accepter:
            raise ValueError(f"two different VPCs, found '{self.requester}' twice; peer it with another VPC")
        check_tags(self.tags)


class VpcPeeringHandler(Ec2Handler[VpcPeering]):
    resource_type = VpcPeering
    sweep_order = 34
    kind = Ec2Kind("describe_vpc_peering_connections", "VpcPeeringConnections", "VpcPeeringConnectionId",
                   "vpc-peering-connection", "vpc-peering-connection",
                   lambda item: item.get("Status", {}).get("Code") in _GONE)  # fmt: skip

    def desired(self, ctx: ProviderContext, resource: VpcPeering) -> dict[str, Any]:
        return {
            "requester": ref_id(ctx, "vpcs", resource.requester),
            "accepter": ref_id(ctx, "vpcs", resource.accepter),
            "accepted": resource.accepted,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: VpcPeering) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        return {
            "requester": item.get("RequesterVpcInfo", {}).get("VpcId"),
            "accepter": item.get("AccepterVpcInfo", {}).get("VpcId"),
            "accepted": item.get("Status", {}).get("Code") == "active",
            "tags": user_tags(item.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: VpcPeering) -> ResourceState:
        ec2 = ctx.clients("ec2")
        created = ec2.create_vpc_peering_connection(
            VpcId=ref_id(ctx, "vpcs", resource.requester),
            PeerVpcId=ref_id(ctx, "vpcs", resource.accepter),
            TagSpecifications=self.tag_specifications(ctx, resource, resource.tags),
        )["VpcPeeringConnection"]
        if resource.accepted:
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=created["VpcPeeringConnectionId"])
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: VpcPeering, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"requester", "accepter"}
        if "accepted" in changed and not resource.accepted:
            fixed = fixed | {"accepted"}  # an accepted peering cannot go back to pending
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), frozenset(fixed))
        state = self.state(ctx, resource)
        if "accepted" in changed:
            ctx.clients("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=state.physical_id)
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        ignore_missing(lambda: ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=physical_id))


HANDLER = VpcPeeringHandler()


# -- how the source formats spell a peering connection ---------------------------------------------------------


def _other_account_or_region(reader: Reader, draft: Draft, props: Props) -> None:
    cfn = reader.format == CLOUDFORMATION
    keys = (("PeerOwnerId", "${account_id}"), ("PeerRegion", "${region}"), ("PeerRoleArn", None)) if cfn else (
        ("peer_owner_id", "${account_id}"), ("peer_region", "${region}"))  # fmt: skip
    for key, own in keys:
        value = props.raw(key)
        if value not in (None, "", own):
            reader.note(f"{props.at(key)}: peering with another account or region is {UNVERIFIED}")


SCHEMA = Schema(
    VpcPeering,
    fields=(
        Field("requester", cfn="VpcId", tf="vpc_id", read="here", section="vpcs", what="a VPC", required=True),
        Field("accepter", cfn="PeerVpcId", tf="peer_vpc_id", read="here", section="vpcs", what="a VPC",
              required=True),
        # Between two VPCs of one account and region, CloudFormation's request is accepted at once; Terraform's
        # stays pending (and carries no traffic) without auto_accept or an accepter resource.
        Field("accepted", cfn_read=lambda reader, props, draft: True, tf="auto_accept", read="flag", default=False),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn("AWS::EC2::VPCPeeringConnection", ref="{id}", attributes={"Id": "{id}"},
            finish=_other_account_or_region),
    tf=Tf("aws_vpc_peering_connection", name=None, attributes={"id": "id"}, ignore=("accept_status",),
          finish=_other_account_or_region),
)  # fmt: skip


def _fold_accepter(reader: Reader, props: Props, origin: Origin) -> None:
    key = "vpc_peering_connection_id"
    name = reader.here(props.require(key), props.at(key), "vpc_peerings", "a VPC peering connection")
    peering = reader.draft("vpc_peerings", name)
    if peering is not None and props.flag("auto_accept", False):
        peering.kwargs["accepted"] = True
    props.ignore("accept_status", "peer_vpc_id", "vpc_id", "peer_owner_id", "peer_region", "tags")


FOLDS = (Fold(_fold_accepter, tf="aws_vpc_peering_connection_accepter"),)
