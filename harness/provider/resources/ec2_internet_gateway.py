"""Internet gateway: the resource type (the VPC it is attached to, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import CLOUDFORMATION, UNVERIFIED, Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)


@dataclass(frozen=True, slots=True)
class InternetGateway(Resource):
    """An internet gateway attached to one VPC: what makes a route to 0.0.0.0/0 reach the internet."""

    SECTION: ClassVar[str] = "internet_gateways"
    KIND: ClassVar[str] = "internet gateway"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        check_tags(self.tags)


class InternetGatewayHandler(Ec2Handler[InternetGateway]):
    resource_type = InternetGateway
    sweep_order = 46
    kind = Ec2Kind("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "internet-gateway",
                   "internet-gateway")  # fmt: skip

    def desired(self, ctx: ProviderContext, resource: InternetGateway) -> dict[str, Any]:
        return {"vpc": ref_id(ctx, "vpcs", resource.vpc), "tags": dict(resource.tags)}

    def read(self, ctx: ProviderContext, resource: InternetGateway) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        attached = [a["VpcId"] for a in item.get("Attachments", []) if a.get("State") in ("available", "attached")]
        return {"vpc": attached[0] if attached else None, "tags": user_tags(item.get("Tags"))}

    def create(self, ctx: ProviderContext, resource: InternetGateway) -> ResourceState:
        ec2 = ctx.clients("ec2")
        created = ec2.create_internet_gateway(TagSpecifications=self.tag_specifications(ctx, resource, resource.tags))[
            "InternetGateway"
        ]
        ec2.attach_internet_gateway(
            InternetGatewayId=created["InternetGatewayId"], VpcId=ref_id(ctx, "vpcs", resource.vpc)
        )
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: InternetGateway, changed: frozenset[str]) -> ResourceState:
        ec2 = ctx.clients("ec2")
        state = self.state(ctx, resource)
        if "vpc" in changed:
            self._detach_all(ctx, state.physical_id)
            ec2.attach_internet_gateway(InternetGatewayId=state.physical_id, VpcId=ref_id(ctx, "vpcs", resource.vpc))
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def _detach_all(self, ctx: ProviderContext, igw_id: str) -> None:
        ec2 = ctx.clients("ec2")
        for item in self.kind.items(ec2):
            if item["InternetGatewayId"] != igw_id:
                continue
            for attachment in item.get("Attachments", []):
                ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=attachment["VpcId"])

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        self._detach_all(ctx, physical_id)
        ignore_missing(lambda: ec2.delete_internet_gateway(InternetGatewayId=physical_id))


HANDLER = InternetGatewayHandler()


# -- how the source formats spell an internet gateway and its attachment ---------------------------------------


def _attached(reader: Reader, draft: Draft) -> None:
    """Every internet gateway is attached to a VPC of the definition."""
    if draft.kwargs.get("vpc"):
        return
    if reader.format == CLOUDFORMATION:
        reader.fail(
            draft.origin,
            "an AWS::EC2::VPCGatewayAttachment attaching the internet gateway to a VPC of this template",
            "none",
            "attach it with AWS::EC2::VPCGatewayAttachment (VpcId, InternetGatewayId) or remove it",
        )
    reader.fail(
        draft.origin,
        "vpc_id or an aws_internet_gateway_attachment attaching it to a VPC of this plan",
        "none",
        "set vpc_id = aws_vpc.main.id or remove the gateway",
    )


SCHEMA = Schema(
    InternetGateway,
    fields=(
        Field("vpc", tf="vpc_id", read="here", section="vpcs", what="a VPC"),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn("AWS::EC2::InternetGateway", ref="{id}", attributes={"InternetGatewayId": "{id}"}),
    tf=Tf("aws_internet_gateway", name=None, attributes={"id": "id", "arn": "arn"}),
    check=_attached,
)


def _fold_attachment(reader: Reader, props: Props, origin: Origin) -> None:
    cfn = reader.format == CLOUDFORMATION
    vpc_key, gateway_key = ("VpcId", "InternetGatewayId") if cfn else ("vpc_id", "internet_gateway_id")
    vpc = reader.here(props.require(vpc_key), props.at(vpc_key), "vpcs", "a VPC")
    if cfn and props.has("VpnGatewayId"):
        props.raw("VpnGatewayId")
        reader.note(f"{origin.path}: VPN gateways are {UNVERIFIED}")
        return
    name = reader.here(props.require(gateway_key), props.at(gateway_key), "internet_gateways", "an internet gateway")
    gateway = reader.draft("internet_gateways", name)
    if gateway is not None:
        gateway.kwargs["vpc"] = vpc


FOLDS = (
    Fold(_fold_attachment, cfn="AWS::EC2::VPCGatewayAttachment"),
    Fold(_fold_attachment, tf="aws_internet_gateway_attachment"),
)
