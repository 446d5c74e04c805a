"""VPC: the resource type (CIDR block, environment, tags) and its handler."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.model.base import Resource, Tags
from harness.model.schema import CLOUDFORMATION, Cfn, Draft, Field, Props, Reader, Schema, StandIn, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    Item,
    cannot_change,
    check_tags,
    ec2_tags,
    user_tags,
)

ENVIRONMENT_TAG = "environment"


def ipv4_cidr(value: str, what: str) -> str:
    """The canonical text of an IPv4 CIDR block.

    Raises:
        ValueError: in the ``expected, found X; fix`` form.
    """
    try:
        return str(ipaddress.IPv4Network(value, strict=True))
    except ValueError:
        raise ValueError(
            f"{what} as an IPv4 CIDR block with no host bits set, found {value!r}; write it like 10.0.0.0/16"
        ) from None


@dataclass(frozen=True, slots=True)
class Vpc(Resource):
    """A VPC. ``environment`` (``prod``, ``dev``...) is kept as the ``environment`` tag, which is what tells the
    isolation scenarios which environment the network and everything placed in it belongs to."""

    SECTION: ClassVar[str] = "vpcs"
    KIND: ClassVar[str] = "VPC"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id", "cidr")

    cidr: str = ""
    environment: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        object.__setattr__(self, "cidr", ipv4_cidr(self.cidr, "a cidr"))
        prefix = int(self.cidr.split("/")[1])
        if not 16 <= prefix <= 28:
            raise ValueError(f"a VPC CIDR block from /16 to /28, found {self.cidr}; AWS allows only those sizes")
        check_tags(self.tags)
        tagged = self.tags.get(ENVIRONMENT_TAG)
        if tagged is not None and self.environment and tagged != self.environment:
            raise ValueError(
                f"one environment, found environment '{self.environment}' and tag environment '{tagged}'; "
                "keep one of them"
            )

    def all_tags(self) -> dict[str, str]:
        """The tags as deployed: the declared tags plus the environment tag."""
        tags = dict(self.tags)
        if self.environment:
            tags[ENVIRONMENT_TAG] = self.environment
        return tags

    @property
    def environment_name(self) -> str:
        """The environment the VPC belongs to ('' when none is declared)."""
        return self.environment or self.tags.get(ENVIRONMENT_TAG, "")


class VpcHandler(Ec2Handler[Vpc]):
    resource_type = Vpc
    sweep_order = 48
    kind = Ec2Kind("describe_vpcs", "Vpcs", "VpcId", "vpc", "vpc")

    def attributes(self, item: Item) -> dict[str, str]:
        return {"cidr": str(item.get("CidrBlock", ""))}

    def desired(self, ctx: ProviderContext, resource: Vpc) -> dict[str, Any]:
        return {"cidr": resource.cidr, "tags": resource.all_tags()}

    def read(self, ctx: ProviderContext, resource: Vpc) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        return {"cidr": item.get("CidrBlock"), "tags": user_tags(item.get("Tags"))}

    def create(self, ctx: ProviderContext, resource: Vpc) -> ResourceState:
        created = ctx.clients("ec2").create_vpc(
            CidrBlock=resource.cidr, TagSpecifications=self.tag_specifications(ctx, resource, resource.all_tags())
        )["Vpc"]
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: Vpc, changed: frozenset[str]) -> ResourceState:
        if "cidr" in changed:
            raise cannot_change(resource.KIND, str(resource.address), frozenset({"cidr"}))
        state = self.state(ctx, resource)
        self.sync_tags(ctx, state.physical_id, resource.all_tags())
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        ignore_missing(lambda: ec2.delete_vpc(VpcId=physical_id))


HANDLER = VpcHandler()


# -- how the source formats spell a VPC ------------------------------------------------------------------------


def _environment(reader: Reader, draft: Draft, props: Props) -> None:
    if reader.format == CLOUDFORMATION and not props.has("CidrBlock") and props.has("Ipv4IpamPoolId"):
        reader.fail(
            props.at("CidrBlock"),
            "a CidrBlock",
            "an address range allocated from an IPAM pool",
            "give the VPC's CidrBlock; IPAM allocation is not modelled",
        )
    # The isolation scenarios read the environment from a lower-case 'environment' tag; 'Environment' is common.
    tags = draft.kwargs.get("tags") or {}
    spelled = next((k for k in tags if k.lower() == "environment" and k != "environment"), None)
    if spelled is not None and "environment" not in tags:
        draft.kwargs["environment"] = tags[spelled]


SCHEMA = Schema(
    Vpc,
    fields=(
        Field("cidr", cfn="CidrBlock", tf="cidr_block", required=True),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn(
        "AWS::EC2::VPC",
        ref="{id}",
        attributes={
            "VpcId": "{id}",
            "CidrBlock": "{cidr}",
            "CidrBlockAssociations": None,
            "DefaultNetworkAcl": None,
            "DefaultSecurityGroup": None,
            "Ipv6CidrBlocks": None,
        },
        quiet={"EnableDnsSupport": True, "EnableDnsHostnames": False, "InstanceTenancy": "default"},
        finish=_environment,
    ),
    tf=Tf(
        "aws_vpc",
        name=None,
        attributes={"id": "id", "arn": "arn", "cidr_block": "cidr"},
        quiet={"instance_tenancy": "default", "enable_dns_support": True, "ipv6_netmask_length": 0},
        ignore=(
            "default_network_acl_id",
            "default_route_table_id",
            "default_security_group_id",
            "main_route_table_id",
            "dhcp_options_id",
            "ipv6_association_id",
            "ipv6_cidr_block_network_border_group",
        ),
        finish=_environment,
    ),
)


# -- a VPC the definition names but does not declare (an existing network) -------------------------------------

EXISTING_NETWORK = "existing-network"
"""The identifier of the VPC that holds stand-in subnets and groups whose own VPC is not named."""


def _cover(draft: Draft, drafts: list[Draft]) -> None:
    """Give the stand-in VPC an address range that holds the subnets the definition places in it."""
    members = [
        ipaddress.IPv4Network(str(d.kwargs.get("cidr")), strict=False)
        for d in drafts
        if d.cls.SECTION == "subnets" and d.kwargs.get("vpc") == draft.name and d.kwargs.get("cidr")
    ]
    if not members:
        return
    cover = members[0].supernet(new_prefix=16) if members[0].prefixlen > 16 else members[0]
    draft.kwargs["cidr"] = str(cover)


STAND_IN = StandIn(
    Vpc,
    fields=lambda request: {"cidr": "10.255.0.0/16" if request.identifier == EXISTING_NETWORK else "10.0.0.0/16"},
    deployed="an empty VPC",
    complete=_cover,
)
