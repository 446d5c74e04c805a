"""VPC endpoint: the resource type (gateway or interface endpoint of an AWS service, its route tables, subnets,
security groups and endpoint policy) and its handler."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.provider.base import ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    append,
    cannot_change,
    check_tags,
    ec2_tags,
    ref_id,
    user_tags,
)

_GONE = ("deleted", "deleting", "failed", "rejected")

# What AWS attaches (and returns) when an endpoint is created without a policy: full access.
FULL_ACCESS: dict[str, Any] = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True, slots=True)
class VpcEndpoint(Resource):
    """A VPC endpoint for an AWS service (``s3`` stands for com.amazonaws.REGION.s3).

    A ``Gateway`` endpoint (S3, DynamoDB) adds a route to the service's prefix list in each of ``route_tables``;
    an ``Interface`` endpoint places network interfaces in ``subnets`` behind ``security_groups``. Without
    ``policy`` the endpoint allows every principal every action on every resource, as AWS does.
    """

    SECTION: ClassVar[str] = "vpc_endpoints"
    KIND: ClassVar[str] = "VPC endpoint"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    service: str = ""
    type: Literal["Gateway", "Interface"] = "Gateway"
    route_tables: tuple[Annotated[str, RefTo("route_tables")], ...] = ()
    subnets: tuple[Annotated[str, RefTo("subnets")], ...] = ()
    security_groups: tuple[Annotated[str, RefTo("security_groups")], ...] = ()
    private_dns: bool = False
    policy: JsonDoc | None = None
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        if not self.service:
            raise ValueError("a service such as s3 or com.amazonaws.us-east-1.s3, found none; add service")
        if self.type == "Gateway" and (self.subnets or self.security_groups or self.private_dns):
            raise ValueError(
                "route_tables only for a Gateway endpoint, found subnets, security groups or private_dns; "
                "use type: Interface for an endpoint with network interfaces"
            )
        if self.type == "Interface" and self.route_tables:
            raise ValueError(
                "subnets and security_groups for an Interface endpoint, found route_tables; "
                "use type: Gateway for an endpoint reached through routes"
            )
        check_tags(self.tags)

    def service_name(self, region: str) -> str:
        """The full service name (``com.amazonaws.us-east-1.s3``)."""
        return self.service if "." in self.service else f"com.amazonaws.{region}.{self.service}"


def _policy(document: Any) -> dict[str, Any] | None:
    if document is None:
        return None
    canonical = canonical_policy(load_policy(document))
    full = canonical_policy(FULL_ACCESS) or {}
    # The full-access document (whatever its Version) is what "no policy" reads back as.
    if canonical is None or canonical.get("Statement") == full.get("Statement"):
        return None
    return canonical


class VpcEndpointHandler(Ec2Handler[VpcEndpoint]):
    resource_type = VpcEndpoint
    sweep_order = 30
    kind = Ec2Kind("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "vpc-endpoint", "vpc-endpoint",
                   lambda item: str(item.get("State", "")).lower() in _GONE)  # fmt: skip

    def _ids(self, ctx: ProviderContext, section: str, refs: tuple[str, ...]) -> list[str]:
        return sorted(ref_id(ctx, section, r) for r in refs)

    def desired(self, ctx: ProviderContext, resource: VpcEndpoint) -> dict[str, Any]:
        return {
            "vpc": ref_id(ctx, "vpcs", resource.vpc),
            "service": resource.service_name(ctx.region),
            "type": resource.type,
            "route_tables": self._ids(ctx, "route_tables", resource.route_tables),
            "subnets": self._ids(ctx, "subnets", resource.subnets),
            "security_groups": self._ids(ctx, "security_groups", resource.security_groups),
            "private_dns": resource.private_dns,
            "policy": _policy(ctx.resolve(dict(resource.policy))) if resource.policy else None,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: VpcEndpoint) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        # moto leaves VpcEndpointType out of gateway endpoints; AWS always returns it.
        kind = item.get("VpcEndpointType") or "Gateway"
        return {
            "vpc": item.get("VpcId"),
            "service": item.get("ServiceName"),
            "type": kind,
            "route_tables": sorted(item.get("RouteTableIds", [])),
            "subnets": sorted(item.get("SubnetIds", [])),
            "security_groups": sorted(g["GroupId"] for g in item.get("Groups", [])),
            "private_dns": bool(item.get("PrivateDnsEnabled", False)) if kind == "Interface" else False,
            "policy": _policy(item.get("PolicyDocument")),
            "tags": user_tags(item.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: VpcEndpoint) -> ResourceState:
        kwargs: dict[str, Any] = {
            "VpcId": ref_id(ctx, "vpcs", resource.vpc),
            "ServiceName": resource.service_name(ctx.region),
            "VpcEndpointType": resource.type,
            "TagSpecifications": self.tag_specifications(ctx, resource, resource.tags),
        }
        if resource.policy:
            kwargs["PolicyDocument"] = policy_json(ctx.resolve(dict(resource.policy)))
        if resource.type == "Gateway":
            kwargs["RouteTableIds"] = self._ids(ctx, "route_tables", resource.route_tables)
        else:
            kwargs["SubnetIds"] = self._ids(ctx, "subnets", resource.subnets)
            kwargs["SecurityGroupIds"] = self._ids(ctx, "security_groups", resource.security_groups)
            kwargs["PrivateDnsEnabled"] = resource.private_dns
        created = ctx.clients("ec2").create_vpc_endpoint(**kwargs)["VpcEndpoint"]
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: VpcEndpoint, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"vpc", "service", "type"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        state = self.state(ctx, resource)
        have = self.read(ctx, resource) or {}
        want = self.desired(ctx, resource)
        kwargs: dict[str, Any] = {}
        for key, add, remove in (
            ("route_tables", "AddRouteTableIds", "RemoveRouteTableIds"),
            ("subnets", "AddSubnetIds", "RemoveSubnetIds"),
            ("security_groups", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        ):
            if key in changed:
                added = sorted(set(want[key]) - set(have.get(key, [])))
                removed = sorted(set(have.get(key, [])) - set(want[key]))
                if added:
                    kwargs[add] = added
                if removed:
                    kwargs[remove] = removed
        if "policy" in changed:
            # Writing the full-access document is what ResetPolicy does; every backend accepts a document.
            document = ctx.resolve(dict(resource.policy)) if resource.policy else FULL_ACCESS
            kwargs["PolicyDocument"] = policy_json(document)
        if "private_dns" in changed:
            kwargs["PrivateDnsEnabled"] = resource.private_dns
        if kwargs:
            ctx.clients("ec2").modify_vpc_endpoint(VpcEndpointId=state.physical_id, **kwargs)
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        ignore_missing(lambda: ec2.delete_vpc_endpoints(VpcEndpointIds=[physical_id]))


HANDLER = VpcEndpointHandler()


# -- how the source formats spell an endpoint ------------------------------------------------------------------


def _service(reader: Reader, value: Any, path: str) -> str:
    """``com.amazonaws.${region}.s3`` is the model's ``s3`` (the deploy region's service)."""
    match = re.fullmatch(r"com\.amazonaws\.\$\{region\}\.([a-z0-9.-]+)", str(value))
    return match.group(1) if match else str(value)


def _type(reader: Reader, value: Any, path: str) -> str:
    if value not in ("Gateway", "Interface"):
        reader.fail(path, "Gateway or Interface", repr(value), f"{value} endpoints are not modelled")
    return str(value)


def _private_dns(reader: Reader, draft: Draft, props: Props) -> None:
    # Terraform shows private_dns_enabled for every endpoint; only an Interface endpoint has private DNS.
    if draft.kwargs.get("type", "Gateway") == "Gateway":
        draft.kwargs["private_dns"] = False


SCHEMA = Schema(
    VpcEndpoint,
    fields=(
        Field("vpc", cfn="VpcId", tf="vpc_id", read="here", section="vpcs", what="a VPC", required=True),
        Field("service", cfn="ServiceName", tf="service_name", required=True, parse=_service),
        Field("type", cfn="VpcEndpointType", tf="vpc_endpoint_type", default="Gateway", parse=_type),
        Field("route_tables", cfn="RouteTableIds", tf="route_table_ids", read="heres", section="route_tables",
              what="a route table"),
        Field("subnets", cfn="SubnetIds", tf="subnet_ids", read="heres", section="subnets", what="a subnet"),
        Field("security_groups", cfn="SecurityGroupIds", tf="security_group_ids", read="heres",
              section="security_groups", what="a security group"),
        Field("private_dns", cfn="PrivateDnsEnabled", tf="private_dns_enabled", read="flag", default=False),
        Field("policy", cfn="PolicyDocument", tf="policy", read="doc"),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn(
        "AWS::EC2::VPCEndpoint",
        ref="{id}",
        attributes={"Id": "{id}", "CreationTimestamp": None, "DnsEntries": None, "NetworkInterfaceIds": None},
    ),
    # A gateway endpoint's prefix_list_id names its service in a rule.
    tf=Tf(
        "aws_vpc_endpoint",
        name=None,
        attributes={"id": "id", "arn": "arn", "prefix_list_id": "prefix_list"},
        ignore=(
            "cidr_blocks",
            "dns_entry",
            "network_interface_ids",
            "prefix_list_id",
            "requester_managed",
            "state",
            "ip_address_type",
            "dns_options",
            "auto_accept",
        ),
        finish=_private_dns,
    ),
)  # fmt: skip


def _endpoint(reader: Reader, props: Props) -> Draft | None:
    key = "vpc_endpoint_id"
    return reader.draft(
        "vpc_endpoints", reader.here(props.require(key), props.at(key), "vpc_endpoints", "a VPC endpoint")
    )


def _fold_route_table(reader: Reader, props: Props, origin: Origin) -> None:
    endpoint = _endpoint(reader, props)
    table = reader.here(props.require("route_table_id"), props.at("route_table_id"), "route_tables", "a route table")
    if endpoint is not None:
        append(endpoint, "route_tables", table)


def _fold_policy(reader: Reader, props: Props, origin: Origin) -> None:
    endpoint = _endpoint(reader, props)
    document = props.doc("policy", required=True)
    if endpoint is not None:
        endpoint.kwargs["policy"] = document


FOLDS = (
    Fold(_fold_route_table, tf="aws_vpc_endpoint_route_table_association"),
    Fold(_fold_policy, tf="aws_vpc_endpoint_policy"),
)
