"""Security group: the resource type (VPC, ingress and egress rules to CIDR blocks, prefix lists or other groups,
the default egress rule) and its handler."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Fold,
    Origin,
    Props,
    Reader,
    Schema,
    StandIn,
    StandInRequest,
    Tf,
    describe,
)
from harness.network.model import normalize_protocol
from harness.provider.base import UNKNOWN, ProviderContext, ResourceState, ignore_missing
from harness.provider.resources.ec2_common import (
    Ec2Handler,
    Ec2Kind,
    append,
    cannot_change,
    check_tags,
    ec2_tags,
    is_raw_id,
    ref_id,
    user_tags,
)
from harness.provider.resources.ec2_route_table import prefix_list_id
from harness.provider.resources.ec2_vpc import EXISTING_NETWORK

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


# -- how the source formats spell a group and its rules --------------------------------------------------------

_ALL = ("-1", "all")


def _ports(props: Props, protocol: str, kw: dict[str, Any], low: str, high: str) -> None:
    if protocol.lower() in _ALL:
        props.ignore(low, high)  # every port of every protocol: EC2 ignores the range
    else:
        kw["from_port"] = props.integer(low)
        kw["to_port"] = props.integer(high)


def _cfn_rule(reader: Reader, props: Props, egress: bool, line: int | None) -> SecurityGroupRule:
    """One ingress or egress rule, inline or standalone (the peer properties are named for the direction)."""
    protocol = str(props.text("IpProtocol", required=True))
    kw: dict[str, Any] = {"protocol": protocol, "description": props.text("Description", "")}
    _ports(props, protocol, kw, "FromPort", "ToPort")
    peer_group = "DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"
    peer_list = "DestinationPrefixListId" if egress else "SourcePrefixListId"
    cidrs = [c for c in (props.text("CidrIp"), props.text("CidrIpv6")) if c]
    if len(cidrs) > 1:
        reader.fail(props.path, "one of CidrIp or CidrIpv6", "both", "split the rule in two")
    kw["cidr"] = cidrs[0] if cidrs else None
    kw["prefix_list"] = props.text(peer_list)
    if props.has(peer_group):
        kw["group"] = reader.here(props.raw(peer_group), props.at(peer_group), "security_groups", "a security group")
    if not egress and props.has("SourceSecurityGroupName"):
        reader.fail(
            props.at("SourceSecurityGroupName"),
            "SourceSecurityGroupId naming a group of this template",
            describe(props.raw("SourceSecurityGroupName")),
            "name the group by id (!GetAtt Group.GroupId); groups by name belong to the default VPC",
        )
    if props.has("SourceSecurityGroupOwnerId") and props.raw("SourceSecurityGroupOwnerId") != "${account_id}":
        reader.note(f"{props.at('SourceSecurityGroupOwnerId')}: a group of another account is {UNVERIFIED}")
    return reader.make(SecurityGroupRule, props.path, line, **kw)


def _tf_rules(reader: Reader, props: Props, own: str, line: int | None) -> list[SecurityGroupRule]:
    """The rules of one inline ingress/egress block or aws_security_group_rule: one per peer."""
    protocol = str(props.text("protocol", required=True))
    base: dict[str, Any] = {"protocol": protocol, "description": props.text("description", "")}
    _ports(props, protocol, base, "from_port", "to_port")
    peers: list[dict[str, Any]] = []
    peers += [{"cidr": c} for c in (*props.strings("cidr_blocks"), *props.strings("ipv6_cidr_blocks"))]
    peers += [{"prefix_list": reader.prefix_list(v)} for v in props.strings("prefix_list_ids")]
    peers += [
        {"group": reader.here(v, f"{props.at('security_groups')}[{i}]", "security_groups", "a security group")}
        for i, v in enumerate(props.seq("security_groups"))
    ]
    if props.has("source_security_group_id"):
        key = "source_security_group_id"
        peers.append({"group": reader.here(props.raw(key), props.at(key), "security_groups", "a security group")})
    if props.flag("self", False):
        peers.append({"group": own})
    if not peers:
        # A plan may hold a rule whose peer is known only at apply, or none at all (which AWS refuses at apply):
        # either way it opens nothing the plan shows.
        peer_keys = ("source_security_group_id", "cidr_blocks", "prefix_list_ids")
        unknown = next((p for p in peer_keys if reader.unknown_at(props.at(p))), None)
        reader.note(
            f"{props.path}: no peer in the plan"
            + (f" ({unknown} is known only after apply)" if unknown else "; AWS refuses such a rule at apply")
            + "; the rule is left out"
        )
        props.ignore(*props.values)
        return []
    return [reader.make(SecurityGroupRule, props.path, line, **base, **peer) for peer in peers]


def _vpc(reader: Reader, props: Props, draft: Draft) -> Any:
    cfn = reader.format == CLOUDFORMATION
    key = "VpcId" if cfn else "vpc_id"
    if not props.has(key):
        reader.fail(
            props.at(key),
            f"a {key} naming a VPC of this {reader.noun}",
            "none (a group of the default VPC)",
            "declare the VPC in the template and give VpcId: !Ref Vpc"
            if cfn
            else "declare the VPC and set vpc_id = aws_vpc.main.id",
        )
    return reader.here(props.raw(key), props.at(key), "vpcs", "a VPC")


def _cfn_ingress(reader: Reader, props: Props, draft: Draft) -> Any:
    return tuple(_cfn_rule(reader, rule, False, draft.line) for rule in props.items("SecurityGroupIngress"))


def _cfn_egress(reader: Reader, props: Props, draft: Draft) -> Any:
    if not props.has("SecurityGroupEgress"):
        return MISSING  # EC2's allow-all egress rule stays
    # Declaring egress rules replaces the allow-all rule EC2 gives every new group.
    return tuple(_cfn_rule(reader, rule, True, draft.line) for rule in props.items("SecurityGroupEgress"))


def _tf_direction(direction: str) -> Any:
    def read(reader: Reader, props: Props, draft: Draft) -> Any:
        # Terraform removes the allow-all egress rule EC2 gives a new group: egress is exactly what is declared.
        return tuple(r for block in props.items(direction) for r in _tf_rules(reader, block, draft.name, draft.line))

    return read


def _group_name(reader: Reader, draft: Draft, props: Props) -> None:
    if props.has("GroupName"):
        props.raw("GroupName")
        reader.note(f"{props.at('GroupName')}: the group name is the run prefix plus '{draft.name}'")


SCHEMA = Schema(
    SecurityGroup,
    fields=(
        Field("vpc", cfn_read=_vpc, tf_read=_vpc),
        Field(
            "description", cfn="GroupDescription", tf="description", required=True, tf_default="Managed by Terraform"
        ),
        Field("ingress", cfn_read=_cfn_ingress, tf_read=_tf_direction("ingress")),
        Field("egress", cfn_read=_cfn_egress, tf_read=_tf_direction("egress")),
        Field("tags", cfn="Tags", tf="tags", read="tags", parse=ec2_tags),
    ),
    cfn=Cfn("AWS::EC2::SecurityGroup", ref="{id}", attributes={"GroupId": "{id}", "VpcId": None}, finish=_group_name),
    tf=Tf("aws_security_group", name="name", attributes={"id": "id", "arn": "arn", "name": "name"},
          quiet={"revoke_rules_on_delete": False}),
)  # fmt: skip


def _add(group: Draft, direction: str, rules: list[SecurityGroupRule]) -> None:
    field_name = "egress" if direction == "egress" else "ingress"
    current = tuple(group.kwargs.get(field_name) or ())
    # An existing group shows the rules its separate rule resources manage in its own ingress/egress too.
    group.kwargs[field_name] = (*current, *(r for r in rules if r not in current))


def _group(reader: Reader, props: Props, key: str) -> Draft | None:
    return reader.draft(
        "security_groups", reader.here(props.require(key), props.at(key), "security_groups", "a security group")
    )


def _fold_cfn(egress: bool) -> Any:
    def fold(reader: Reader, props: Props, origin: Origin) -> None:
        if not egress and not props.has("GroupId") and props.has("GroupName"):
            reader.fail(
                props.at("GroupName"),
                "GroupId naming a security group of this template",
                describe(props.raw("GroupName")),
                "use GroupId: !GetAtt Group.GroupId; groups by name belong to the default VPC",
            )
        group = _group(reader, props, "GroupId")
        rule = _cfn_rule(reader, props, egress, origin.line)
        if group is None:
            return
        if not egress:
            append(group, "ingress", rule)
            return
        current = group.kwargs.get("egress")
        if current is None:
            # The group kept EC2's allow-all rule; whether a separate egress rule removes it depends on the
            # order of operations, so the wider reading (both rules) is analysed.
            reader.note(
                f"{origin.path}: the group '{group.name}' declares no egress of its own; EC2's "
                "allow-all egress rule is kept next to this one"
            )
            current = (SecurityGroupRule(protocol="-1", cidr="0.0.0.0/0"),)
        group.kwargs["egress"] = (*current, rule)

    return fold


def _fold_tf_rule(reader: Reader, props: Props, origin: Origin) -> None:
    direction = props.text("type", required=True)
    if direction not in ("ingress", "egress"):
        reader.fail(props.at("type"), "ingress or egress", repr(direction), "use one")
    group = _group(reader, props, "security_group_id")
    if group is not None:
        _add(group, direction, _tf_rules(reader, props, group.name, origin.line))
    props.ignore("security_group_rule_id")


def _fold_tf_vpc_rule(direction: str) -> Any:
    """aws_vpc_security_group_ingress_rule / _egress_rule: one rule with one peer each."""

    def fold(reader: Reader, props: Props, origin: Origin) -> None:
        group = _group(reader, props, "security_group_id")
        protocol = str(props.text("ip_protocol", required=True))
        kw: dict[str, Any] = {"protocol": protocol, "description": props.text("description", "")}
        _ports(props, protocol, kw, "from_port", "to_port")
        peers = [
            k for k in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id") if props.has(k)
        ]
        if len(peers) != 1:
            reader.fail(
                props.path,
                "one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id",
                f"{len(peers)} of them",
                "give exactly one peer per rule",
            )
        if peers[0] == "referenced_security_group_id":
            kw["group"] = reader.here(props.raw(peers[0]), props.at(peers[0]), "security_groups", "a security group")
        elif peers[0] == "prefix_list_id":
            kw["prefix_list"] = reader.prefix_list(props.text(peers[0]))
        else:
            kw["cidr"] = props.text(peers[0])
        rule = reader.make(SecurityGroupRule, props.path, origin.line, **kw)
        if group is not None:
            _add(group, direction, [rule])
        props.ignore("security_group_rule_id", "tags")

    return fold


FOLDS = (
    Fold(_fold_cfn(False), cfn="AWS::EC2::SecurityGroupIngress"),
    Fold(_fold_cfn(True), cfn="AWS::EC2::SecurityGroupEgress"),
    Fold(_fold_tf_rule, tf="aws_security_group_rule"),
    Fold(_fold_tf_vpc_rule("ingress"), tf="aws_vpc_security_group_ingress_rule"),
    Fold(_fold_tf_vpc_rule("egress"), tf="aws_vpc_security_group_egress_rule"),
)


# -- a security group the definition names but does not declare ------------------------------------------------


def _stand_in(request: StandInRequest) -> dict[str, Any]:

    vpc = request.reader.stand_in(
        "vpcs",
        EXISTING_NETWORK,
        request.origin,
        f"{request.origin} names a group of a network the definition does not declare",
    )
    return {"vpc": vpc or EXISTING_NETWORK, "description": "stands in for a group the definition does not declare"}


STAND_IN = StandIn(SecurityGroup, fields=_stand_in, deployed="a security group without rules")
