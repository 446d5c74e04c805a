"""Security group: the resource type (VPC, ingress and egress rules to CIDR blocks, prefix lists or other groups,
the default egress rule) and its handler."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.network.model import normalize_protocol
from harness.provider.base import UNKNOWN, ProviderContext, ResourceState
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    cannot_change,
    check_tags,
    ignore_missing,
    is_raw_id,
    ref_id,
    user_tags,
)
from harness.provider.resources.ec2_route_table import prefix_list_id

_PORTED = ("6", "17")  # tcp, udp
_ICMP = ("1", "58")
_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "-1"}


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    """One rule: a protocol, ports (``port`` or ``from_port``/``to_port``; for ICMP the type and code) and
    exactly one peer: ``cidr``, ``prefix_list`` (``s3`` or a ``pl-`` id) or ``group`` (a security group name,
    this group's own name included)."""

    protocol: str = "tcp"
    port: int | None = None
    from_port: int | None = None
    to_port: int | None = None
    cidr: str | None = None
    prefix_list: str | None = None
    group: Annotated[str, RefTo("security_groups")] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        try:
            protocol = normalize_protocol(self.protocol)
        except Exception:
            raise ValueError(
                f"a protocol (tcp, udp, icmp, all/-1 or a number), found {self.protocol!r}; use one of those"
            ) from None
        object.__setattr__(self, "protocol", protocol)
        peers = [p for p in (self.cidr, self.prefix_list, self.group) if p is not None]
        if len(peers) != 1:
            raise ValueError(f"exactly one of cidr, prefix_list or group, found {len(peers)}; name who the rule admits")
        if self.cidr is not None:
            try:
                object.__setattr__(self, "cidr", str(ipaddress.ip_network(self.cidr, strict=True)))
            except ValueError:
                raise ValueError(f"a CIDR block, found {self.cidr!r}; write it like 10.0.0.0/16") from None
        if self.port is not None:
            if self.from_port is not None or self.to_port is not None:
                raise ValueError("port or from_port/to_port, found both; keep one form")
            object.__setattr__(self, "from_port", self.port)
            object.__setattr__(self, "to_port", self.port)
        if protocol in _PORTED:
            low = 0 if self.from_port is None else self.from_port
            high = 65535 if self.to_port is None else self.to_port
            if not 0 <= low <= high <= 65535:
                raise ValueError(f"ports from 0 to 65535 with from <= to, found {low}-{high}; fix the range")
            object.__setattr__(self, "from_port", low)
            object.__setattr__(self, "to_port", high)
        elif protocol in _ICMP:
            object.__setattr__(self, "from_port", -1 if self.from_port is None else self.from_port)
            object.__setattr__(self, "to_port", -1 if self.to_port is None else self.to_port)
        elif self.from_port is not None or self.to_port is not None:
            raise ValueError(f"no ports for protocol {self.protocol}, found some; remove them")


@dataclass(frozen=True, slots=True)
class SecurityGroup(Resource):
    """A security group of a VPC.

    ``egress`` left out keeps the rule AWS adds to every new group (all traffic to 0.0.0.0/0), and reads it back
    as such; ``egress: []`` removes it; a list of rules is exactly what the group allows out.
    """

    SECTION: ClassVar[str] = "security_groups"
    KIND: ClassVar[str] = "security group"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id")

    vpc: Annotated[str, RefTo("vpcs")] = ""
    description: str = "Managed by pipewarden"
    ingress: tuple[SecurityGroupRule, ...] = ()
    egress: tuple[SecurityGroupRule, ...] | None = None
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.vpc:
            raise ValueError("a vpc naming a VPC under 'vpcs', found none; add vpc")
        check_tags(self.tags)

    def egress_rules(self) -> tuple[SecurityGroupRule, ...]:
        """The egress rules as deployed (AWS's default rule when ``egress`` is not given)."""
        if self.egress is None:
            return (SecurityGroupRule(protocol="-1", cidr="0.0.0.0/0"),)
        return self.egress


RuleKey = tuple[str, int | None, int | None, str, str, str]
"""(protocol number, from, to, peer kind, peer id, description): one rule as compared and as sent."""


def _permission(key: RuleKey) -> dict[str, Any]:
    protocol, low, high, kind, peer, description = key
    permission: dict[str, Any] = {"IpProtocol": _NAMES.get(protocol, protocol)}
    if protocol != "-1" and low is not None and high is not None:
        permission["FromPort"], permission["ToPort"] = low, high
    extra = {"Description": description} if description else {}
    if kind == "cidr":
        if ":" in peer:
            permission["Ipv6Ranges"] = [{"CidrIpv6": peer, **extra}]
        else:
            permission["IpRanges"] = [{"CidrIp": peer, **extra}]
    elif kind == "prefix-list":
        permission["PrefixListIds"] = [{"PrefixListId": peer, **extra}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": peer, **extra}]
    return permission


def _read_rules(permissions: list[dict[str, Any]]) -> list[RuleKey]:
    out: list[RuleKey] = []
    for perm in permissions:
        protocol = normalize_protocol(perm.get("IpProtocol", "-1"))
        low = perm.get("FromPort") if protocol != "-1" else None
        high = perm.get("ToPort") if protocol != "-1" else None
        for r in perm.get("IpRanges", []):
            out.append((protocol, low, high, "cidr", r["CidrIp"], r.get("Description", "") or ""))
        for r in perm.get("Ipv6Ranges", []):
            out.append((protocol, low, high, "cidr", r["CidrIpv6"], r.get("Description", "") or ""))
        for r in perm.get("PrefixListIds", []):
            out.append((protocol, low, high, "prefix-list", r["PrefixListId"], ""))
        for r in perm.get("UserIdGroupPairs", []):
            out.append((protocol, low, high, "group", r["GroupId"], r.get("Description", "") or ""))
    return sorted(out, key=repr)


_GROUPS = Ec2Kind("describe_security_groups", "SecurityGroups", "GroupId", "security-group", "security-group")


class SecurityGroupHandler(Ec2Handler[SecurityGroup]):
    resource_type = SecurityGroup
    sweep_order = 38
    kind = _GROUPS

    def deferred_references(self, resource: SecurityGroup) -> frozenset[str]:
        # Groups may name each other (a build group's egress to the data tier, the data tier's ingress from the
        # build group): rules naming another group are added once both exist.
        return frozenset(
            f"security_groups.{r.group}"
            for r in (*resource.ingress, *resource.egress_rules())
            if r.group is not None and r.group != resource.name and not is_raw_id(r.group) and "${" not in r.group
        )

    def _keys(
        self,
        ctx: ProviderContext,
        resource: SecurityGroup,
        rules: tuple[SecurityGroupRule, ...],
        own_id: str | None,
        *,
        creating: bool = False,
    ) -> list[RuleKey]:
        out: list[RuleKey] = []
        for rule in rules:
            if rule.cidr is not None:
                kind, peer = "cidr", rule.cidr
            elif rule.prefix_list is not None:
                kind, peer = "prefix-list", prefix_list_id(ctx, rule.prefix_list)
            elif rule.group == resource.name and own_id is not None:
                kind, peer = "group", own_id
            else:
                group = str(rule.group)
                known = is_raw_id(group) or "${" in group or group == resource.name
                state = None if known else ctx.state.get(f"security_groups.{group}")
                if not known and (state is None or state.physical_id == UNKNOWN):
                    if creating:
                        # The group it names does not exist yet: the rule is added once it does.
                        continue
                    kind, peer = "group", UNKNOWN
                else:
                    kind, peer = "group", ref_id(ctx, "security_groups", group)
            low = rule.from_port if rule.protocol != "-1" else None
            high = rule.to_port if rule.protocol != "-1" else None
            # moto drops the description of a prefix-list rule, so it is neither sent nor compared.
            description = "" if kind == "prefix-list" else rule.description
            out.append((rule.protocol, low, high, kind, peer, description))
        return sorted(out, key=repr)

    def _own_id(self, ctx: ProviderContext, resource: SecurityGroup) -> str | None:
        item = self.find(ctx, resource)
        return str(item["GroupId"]) if item else None

    def desired(self, ctx: ProviderContext, resource: SecurityGroup) -> dict[str, Any]:
        own = self._own_id(ctx, resource)
        return {
            "vpc": ref_id(ctx, "vpcs", resource.vpc),
            "description": resource.description,
            "ingress": [list(k) for k in self._keys(ctx, resource, resource.ingress, own)],
            "egress": [list(k) for k in self._keys(ctx, resource, resource.egress_rules(), own)],
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: SecurityGroup) -> dict[str, Any] | None:
        item = self.find(ctx, resource)
        if item is None:
            return None
        return {
            "vpc": item.get("VpcId"),
            "description": item.get("Description", ""),
            "ingress": [list(k) for k in _read_rules(item.get("IpPermissions", []))],
            "egress": [list(k) for k in _read_rules(item.get("IpPermissionsEgress", []))],
            "tags": user_tags(item.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: SecurityGroup) -> ResourceState:
        ec2 = ctx.clients("ec2")
        group_id = ec2.create_security_group(
            GroupName=ctx.physical_name(resource),
            Description=resource.description,
            VpcId=ref_id(ctx, "vpcs", resource.vpc),
            TagSpecifications=self.tag_specifications(ctx, resource, resource.tags),
        )["GroupId"]
        self._sync_rules(ctx, resource, group_id)
        item = next(i for i in _GROUPS.items(ec2, GroupIds=[group_id]))
        return self.state_from(ctx, resource, item)

    def _sync_rules(self, ctx: ProviderContext, resource: SecurityGroup, group_id: str) -> None:
        ec2 = ctx.clients("ec2")
        item = next(i for i in _GROUPS.items(ec2, GroupIds=[group_id]))
        for rules, have_key, revoke, authorize in (
            (resource.ingress, "IpPermissions", ec2.revoke_security_group_ingress,
             ec2.authorize_security_group_ingress),
            (resource.egress_rules(), "IpPermissionsEgress", ec2.revoke_security_group_egress,
             ec2.authorize_security_group_egress),
        ):  # fmt: skip
            want = self._keys(ctx, resource, rules, group_id, creating=True)
            have = _read_rules(item.get(have_key, []))
            # Revoke first: a rule whose description changed is the same rule to EC2 and must go before it returns.
            stale = [_permission(k) for k in have if k not in want]
            if stale:
                revoke(GroupId=group_id, IpPermissions=stale)
            missing = [_permission(k) for k in want if k not in have]
            if missing:
                authorize(GroupId=group_id, IpPermissions=missing)

    def update(self, ctx: ProviderContext, resource: SecurityGroup, changed: frozenset[str]) -> ResourceState:
        fixed = changed & {"vpc", "description"}
        if fixed:
            raise cannot_change(resource.KIND, str(resource.address), fixed)
        state = self.state(ctx, resource)
        if changed & {"ingress", "egress"}:
            self._sync_rules(ctx, resource, state.physical_id)
        if "tags" in changed:
            self.sync_tags(ctx, state.physical_id, resource.tags)
        return state

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ec2 = ctx.clients("ec2")
        item = next((i for i in _GROUPS.items(ec2) if i["GroupId"] == physical_id), None)
        if item is None:
            return
        # Rules naming other groups keep those groups from being deleted; they go first. A rule naming a group
        # that is already gone (moto lets a referenced group be deleted first) is moot: revoking it fails NotFound.
        ingress, egress = item.get("IpPermissions"), item.get("IpPermissionsEgress")
        if ingress:
            ignore_missing(lambda: ec2.revoke_security_group_ingress(GroupId=physical_id, IpPermissions=ingress))
        if egress:
            ignore_missing(lambda: ec2.revoke_security_group_egress(GroupId=physical_id, IpPermissions=egress))
        ignore_missing(lambda: ec2.delete_security_group(GroupId=physical_id))


HANDLER = SecurityGroupHandler()
