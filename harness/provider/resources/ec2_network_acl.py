"""Network ACL: the resource type (VPC, numbered ingress and egress entries) and its handler.

Subnets choose their ACL (``subnets.x.network_acl``); a subnet without one uses the VPC's default ACL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import CLOUDFORMATION, UNVERIFIED, Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, Tf
from harness.network.model import normalize_protocol
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


# -- how the source formats spell an ACL, its entries and associations -----------------------------------------


def _cfn_entry(reader: Reader, props: Props, origin: str, line: int | None) -> NaclRule | None:
    if props.has("Ipv6CidrBlock"):
        props.raw("Ipv6CidrBlock")
        reader.note(f"{origin}: IPv6 entries are {UNVERIFIED.split(';')[0]}; the entry is left out")
        props.ignore(*props.values)
        return None
    protocol = str(props.text("Protocol", required=True))
    action = props.text("RuleAction", required=True)
    if action not in ("allow", "deny"):
        reader.fail(props.at("RuleAction"), "allow or deny", repr(action), "use allow or deny")
    kw: dict[str, Any] = {
        "rule": props.integer("RuleNumber", required=True),
        "action": action,
        "cidr": props.text("CidrBlock", required=True),
        "egress": bool(props.flag("Egress", False)),
        "protocol": protocol,
    }
    ports = props.sub("PortRange")
    icmp = props.sub("Icmp")
    if ports is not None:
        if protocol in ("6", "17", "tcp", "udp"):
            kw["from_port"] = ports.integer("From", required=True)
            kw["to_port"] = ports.integer("To", required=True)
        else:
            ports.ignore(*ports.values)  # EC2 ignores a port range for other protocols
    if icmp is not None:
        if protocol in ("1", "icmp"):
            kw["icmp_type"] = icmp.integer("Type", -1)
            kw["icmp_code"] = icmp.integer("Code", -1)
        else:
            icmp.ignore(*icmp.values)
    return reader.make(NaclRule, origin, line, **kw)


def _tf_entry(reader: Reader, props: Props, egress: bool, number_key: str, action_key: str, line: int | None) -> Any:
    if props.text("ipv6_cidr_block"):
        reader.note(f"{props.path}: IPv6 entries are {UNVERIFIED.split(';')[0]}; the entry is left out")
        props.ignore(*props.values)
        return None
    protocol = str(props.text("protocol", required=True))
    action = props.text(action_key, required=True)
    if action not in ("allow", "deny"):
        reader.fail(props.at(action_key), "allow or deny", repr(action), "use allow or deny")
    kw: dict[str, Any] = {
        "rule": props.integer(number_key, required=True),
        "action": action,
        "cidr": props.text("cidr_block", required=True),
        "egress": egress,
        "protocol": protocol,
    }
    if protocol.lower() in ("6", "17", "tcp", "udp"):
        kw["from_port"] = props.integer("from_port", required=True)
        kw["to_port"] = props.integer("to_port", required=True)
    else:
        props.ignore("from_port", "to_port")  # EC2 ignores a port range for other protocols
    if protocol.lower() in ("1", "icmp"):
        kw["icmp_type"] = props.integer("icmp_type", -1)
        kw["icmp_code"] = props.integer("icmp_code", -1)
    else:
        props.ignore("icmp_type", "icmp_code")
    return reader.make(NaclRule, props.path, line, **kw)


def _tf_entries(reader: Reader, props: Props, draft: Draft) -> Any:
    entries = [_tf_entry(reader, b, False, "rule_no", "action", draft.line) for b in props.items("ingress")]
    entries += [_tf_entry(reader, b, True, "rule_no", "action", draft.line) for b in props.items("egress")]
    for index, value in enumerate(props.seq("subnet_ids")):
        path = f"{props.at('subnet_ids')}[{index}]"
        associate(
            reader, path, reader.here(value, path, "subnets", "a subnet"), "network_acl", draft.name, "network ACL"
        )
    return tuple(e for e in entries if e is not None)


SCHEMA = Schema(
    NetworkAcl,
    fields=(
        Field("vpc", cfn="VpcId", tf="vpc_id", read="here", section="vpcs", what="a VPC", required=True),
        Field("entries", cfn_read=lambda reader, props, draft: (), tf_read=_tf_entries),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn("AWS::EC2::NetworkAcl", ref="{id}", attributes={"Id": "{id}"}),
    tf=Tf("aws_network_acl", name=None, attributes={"id": "id", "arn": "arn"}),
)


def _acl(reader: Reader, props: Props, key: str) -> Draft | None:
    return reader.draft("network_acls", reader.here(props.require(key), props.at(key), "network_acls", "a network ACL"))


def _fold_cfn_entry(reader: Reader, props: Props, origin: Origin) -> None:
    acl = _acl(reader, props, "NetworkAclId")
    entry = _cfn_entry(reader, props, origin.path, origin.line)
    if acl is not None and entry is not None:
        append(acl, "entries", entry)


def _fold_tf_rule(reader: Reader, props: Props, origin: Origin) -> None:
    acl = _acl(reader, props, "network_acl_id")
    entry = _tf_entry(reader, props, bool(props.flag("egress", False)), "rule_number", "rule_action", origin.line)
    if acl is not None and entry is not None:
        append(acl, "entries", entry)


def _fold_association(reader: Reader, props: Props, origin: Origin) -> None:
    subnet_key, acl_key = ("SubnetId", "NetworkAclId") if reader.format == CLOUDFORMATION else (
        "subnet_id", "network_acl_id")  # fmt: skip
    subnet = reader.here(props.require(subnet_key), props.at(subnet_key), "subnets", "a subnet")
    acl = reader.here(props.require(acl_key), props.at(acl_key), "network_acls", "a network ACL")
    associate(reader, origin.path, subnet, "network_acl", acl, "network ACL")


FOLDS = (
    Fold(_fold_cfn_entry, cfn="AWS::EC2::NetworkAclEntry"),
    Fold(_fold_tf_rule, tf="aws_network_acl_rule"),
    Fold(_fold_association, cfn="AWS::EC2::SubnetNetworkAclAssociation"),
    Fold(_fold_association, tf="aws_network_acl_association"),
)
