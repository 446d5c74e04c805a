"""Network ACL: the resource type (VPC, numbered ingress and egress entries) and its handler.

Subnets choose their ACL (``subnets.x.network_acl``); a subnet without one uses the VPC's default ACL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.network.model import normalize_protocol
from harness.provider.base import ProviderContext, ResourceState
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    cannot_change,
    check_tags,
    ignore_missing,
    ref_id,
    user_tags,
)
from harness.provider.resources.ec2_subnet import move_to_acl

# The catch-all deny entries every network ACL ends with; AWS adds them and they cannot be changed.
DEFAULT_RULE = 32767


@dataclass(frozen=True, slots=True)
class NaclRule:
    """One numbered entry; entries are evaluated from the lowest number and the first match decides."""

    rule: int
    action: Literal["allow", "deny"]
    cidr: str
    egress: bool = False
    protocol: str = "-1"
    port: int | None = None
    from_port: int | None = None
    to_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.rule <= 32766:
            raise ValueError(f"a rule number from 1 to 32766, found {self.rule}; renumber the entry")
        try:
            object.__setattr__(self, "protocol", normalize_protocol(self.protocol))
        except Exception:
            raise ValueError(
                f"a protocol (tcp, udp, icmp, all/-1 or a number), found {self.protocol!r}; fix it"
            ) from None
        try:
            object.__setattr__(self, "cidr", str(ipaddress.IPv4Network(self.cidr, strict=True)))
        except ValueError:
            raise ValueError(f"an IPv4 CIDR block, found {self.cidr!r}; write it like 10.0.0.0/16") from None
        if self.port is not None:
            if self.from_port is not None or self.to_port is not None:
                raise ValueError("port or from_port/to_port, found both; keep one form")
            object.__setattr__(self, "from_port", self.port)
            object.__setattr__(self, "to_port", self.port)
        if self.protocol in ("6", "17"):
            if self.from_port is None or self.to_port is None:
                raise ValueError(
                    f"a port range for rule {self.rule} ({self.protocol}), found none; give port or from_port/to_port"
                )
        elif self.from_port is not None or self.to_port is not None:
            raise ValueError(f"ports only for tcp and udp rules, found them on rule {self.rule}; remove them")
        if self.protocol == "1" and self.icmp_type is None:
            object.__setattr__(self, "icmp_type", -1)
            object.__setattr__(self, "icmp_code", -1 if self.icmp_code is None else self.icmp_code)

    def key(self) -> list[Any]:
        """The comparable form: direction, number, action, protocol, CIDR, ports, ICMP type and code."""
        return [
            "egress" if self.egress else "ingress",
            self.rule,
            self.action,
            self.protocol,
            self.cidr,
            self.from_port,
            self.to_port,
            self.icmp_type,
            self.icmp_code,
        ]


@dataclass(frozen=True, slots=True)
class NetworkAcl(Resource):
    """A network ACL of a VPC: stateless, so replies need their own entries (ephemeral ports)."""

    SECTION: ClassVar[str] = "network_acls"
    KIND: ClassVar[str] = "network ACL"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    entries: tuple[NaclRule, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        check_tags(self.tags)
        seen: set[tuple[bool, int]] = set()
        for entry in self.entries:
            if (entry.egress, entry.rule) in seen:
                direction = "egress" if entry.egress else "ingress"
                raise ValueError(f"unique rule numbers per direction, found {direction} rule {entry.rule} twice; "
                                 "renumber one")  # fmt: skip
            seen.add((entry.egress, entry.rule))


def _read_entry(item: dict[str, Any]) -> list[Any]:
    protocol = normalize_protocol(item.get("Protocol", "-1"))
    ports = item.get("PortRange") or {}
    icmp = item.get("IcmpTypeCode") or {}
    return [
        "egress" if item.get("Egress") else "ingress",
        int(item["RuleNumber"]),
        item.get("RuleAction"),
        protocol,
        item.get("CidrBlock"),
        ports.get("From") if protocol in ("6", "17") else None,
        ports.get("To") if protocol in ("6", "17") else None,
        icmp.get("Type") if protocol == "1" else None,
        icmp.get("Code") if protocol == "1" else None,
    ]


def _entry_kwargs(key: list[Any]) -> dict[str, Any]:
    direction, number, action, protocol, cidr, low, high, icmp_type, icmp_code = key
    kwargs: dict[str, Any] = {
        "RuleNumber": number,
        "Protocol": protocol,
        "RuleAction": action,
        "Egress": direction == "egress",
        "CidrBlock": cidr,
    }
    if low is not None:
        kwargs["PortRange"] = {"From": low, "To": high}
    if icmp_type is not None:
        kwargs["IcmpTypeCode"] = {"Type": icmp_type, "Code": icmp_code}
    return kwargs


class NetworkAclHandler(Ec2Handler[NetworkAcl]):
    resource_type = NetworkAcl
    sweep_order = 42
    kind = Ec2Kind("describe_network_acls", "NetworkAcls", "NetworkAclId", "network-acl", "network-acl")

    def desired(self, ctx: ProviderContext, resource: NetworkAcl) -> dict[str, Any]:
        return {
            "vpc": ref_id(ctx, "vpcs", resource.vpc),
            "entries": sorted((e.key() for e in resource.entries), key=repr),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: NetworkAcl) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        entries = [_read_entry(e) for e in item.get("Entries", []) if int(e["RuleNumber"]) != DEFAULT_RULE]
        return {"vpc": item.get("VpcId"), "entries": sorted(entries, key=repr), "tags": user_tags(item.get("Tags"))}

    def create(self, ctx: ProviderContext, resource: NetworkAcl) -> ResourceState:
        ec2 = ctx.clients("ec2")
        created = ec2.create_network_acl(
            VpcId=ref_id(ctx, "vpcs", resource.vpc),
            TagSpecifications=self.tag_specifications(ctx, resource, resource.tags),
        )["NetworkAcl"]
        for entry in resource.entries:
            ec2.create_network_acl_entry(NetworkAclId=created["NetworkAclId"], **_entry_kwargs(entry.key()))
        return self.state_from(ctx, resource, created)

    def update(self, ctx: ProviderContext, resource: NetworkAcl, changed: frozenset[str]) -> ResourceState:
        if "vpc" in changed:
            raise cannot_change(resource.KIND, str(resource.address), frozenset({"vpc"}))
        state = self.state(ctx, resource)
        if "entries" in changed:
            ec2 = ctx.clients("ec2")
            have = {(k[0], k[1]): k for k in (self.read(ctx, resource) or {}).get("entries", [])}
            want = {(e.key()[0], e.key()[1]): e.key() for e in resource.entries}
            for slot, key in have.items():
                if slot not in want:
                    ec2.delete_network_acl_entry(
                        NetworkAclId=state.physical_id, RuleNumber=key[1], Egress=key[0] == "egress"
                    )
            for slot, key in want.items():
                if slot not in have:
                    ec2.create_network_acl_entry(NetworkAclId=state.physical_id, **_entry_kwargs(key))
                elif have[slot] != key:
                    ec2.replace_network_acl_entry(NetworkAclId=state.physical_id, **_entry_kwargs(key))
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        item = next((i for i in self.kind.items(ec2) if i["NetworkAclId"] == physical_id), None)
        if item is None:
            return
        # An ACL still associated with subnets cannot be deleted: they go back to the VPC's default ACL.
        for assoc in item.get("Associations", []):
            if assoc.get("SubnetId"):
                move_to_acl(ec2, assoc["SubnetId"], None, str(item["VpcId"]))
        ignore_missing(lambda: ec2.delete_network_acl(NetworkAclId=physical_id))


HANDLER = NetworkAclHandler()
