"""Shared plumbing of the EC2 network resource types: Name tags, lookups by tag, tag updates, sweeping.

EC2 network resources have no name of their own: each is found again by its ``Name`` tag (the run prefix plus the
logical name) and carries a ``pipewarden:prefix`` tag, so a sweeper finds leftovers. Physical ids are the EC2 ids
(``vpc-...``), which is what ``${vpcs.main.id}`` and references resolve to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.model.base import Resource
from harness.model.schema import Draft, Reader
from harness.model.walker import tags_of
from harness.provider.base import Handler, ProviderContext, ResourceState, tags_dict, tags_list

NAME_TAG = "Name"
PREFIX_TAG = "pipewarden:prefix"
_RESERVED = frozenset({NAME_TAG, PREFIX_TAG})
# An EC2 id given where a reference is expected (``vpc-0a1b2c3d``) is used as is.
_RAW_ID = re.compile(r"^(vpc|subnet|sg|rtb|igw|nat|pcx|vpce|acl|pl)-[0-9a-f]{8,17}$")

R = TypeVar("R", bound=Resource)
Item = Mapping[str, Any]


def user_tags(pairs: Any) -> dict[str, str]:
    """The tags a definition declares: everything but the Name and pipewarden tags the harness sets itself."""
    return {k: v for k, v in tags_dict(pairs).items() if k not in _RESERVED}


def check_tags(tags: Mapping[str, str]) -> None:
    """Refuse tags the harness sets itself.

    Raises:
        ValueError: in the ``expected, found X; fix`` form the loaders turn into a located error.
    """
    taken = sorted(set(tags) & _RESERVED)
    if taken:
        raise ValueError(
            f"tags other than {', '.join(sorted(_RESERVED))}, found {', '.join(taken)}; "
            "remove them (the harness names EC2 resources after the run prefix and the logical name)"
        )


def ref_id(ctx: ProviderContext, section: str, ref: str) -> str:
    """The EC2 id a reference resolves to: a raw id or interpolation as given, else the deployed physical id."""
    if _RAW_ID.match(ref) or "${" in ref:
        return str(ctx.resolve(ref))
    return ctx.state_of(section, ref).physical_id


def is_raw_id(value: str) -> bool:
    """True for an EC2 id such as ``sg-0123456789abcdef0``."""
    return bool(_RAW_ID.match(value))


def ec2_arn(ctx: ProviderContext, word: str, ec2_id: str) -> str:
    """``arn:aws:ec2:REGION:ACCOUNT:WORD/ID``."""
    return f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:{word}/{ec2_id}"


@dataclass(frozen=True, slots=True)
class Ec2Kind:
    """How to list one EC2 resource type and recognise a deleted one (some stay listed for a while)."""

    operation: str
    key: str
    id_field: str
    tag_type: str  # the ResourceType of TagSpecifications
    arn_word: str
    gone: Callable[[Item], bool] = lambda item: False
    # Whether the describe call takes a ``tag:Name`` filter (moto's DescribeNatGateways filters on ids only).
    filters_by_tag: bool = True

    def items(self, ec2: Any, **kwargs: Any) -> list[Item]:
        if ec2.can_paginate(self.operation):
            found: list[Item] = []
            for page in ec2.get_paginator(self.operation).paginate(**kwargs):
                found.extend(page.get(self.key, []))
            return found
        return list(getattr(ec2, self.operation)(**kwargs).get(self.key, []))


def _name_of(item: Item) -> str:
    return tags_dict(item.get("Tags")).get(NAME_TAG, "")


class Ec2Handler(Handler[R]):
    """Base of the EC2 handlers: find by Name tag, state with the EC2 id, sweep by prefix, tags kept in sync."""

    kind: Ec2Kind

    def tag_specifications(self, ctx: ProviderContext, resource: R, tags: Mapping[str, str]) -> list[dict[str, Any]]:
        all_tags = {**tags, NAME_TAG: ctx.physical_name(resource), PREFIX_TAG: ctx.prefix}
        return [{"ResourceType": self.kind.tag_type, "Tags": tags_list(all_tags)}]

    def find(self, ctx: ProviderContext, resource: R) -> Item | None:
        """The live resource whose Name tag is the resource's physical name."""
        return self.find_named(ctx, ctx.physical_name(resource))

    def find_named(self, ctx: ProviderContext, name: str) -> Item | None:
        # Filtering on the Name tag in the call keeps responses small; the check below stays the authority.
        kwargs = {"Filters": [{"Name": f"tag:{NAME_TAG}", "Values": [name]}]} if self.kind.filters_by_tag else {}
        for item in self.kind.items(ctx.clients("ec2"), **kwargs):
            if _name_of(item) == name and not self.kind.gone(item):
                return item
        return None

    def state_from(self, ctx: ProviderContext, resource: R, item: Item) -> ResourceState:
        ec2_id = str(item[self.kind.id_field])
        return ResourceState(
            str(resource.address),
            ec2_id,
            ec2_arn(ctx, self.kind.arn_word, ec2_id),
            {"name": ctx.physical_name(resource), **self.attributes(item)},
        )

    def attributes(self, item: Item) -> dict[str, str]:
        """Extra attributes a reference may ask for (``cidr``)."""
        return {}

    def state(self, ctx: ProviderContext, resource: R) -> ResourceState:
        item = self.find(ctx, resource)
        if item is None:
            return ResourceState(str(resource.address), ctx.physical_name(resource), "")
        return self.state_from(ctx, resource, item)

    def delete(self, ctx: ProviderContext, resource: R) -> None:
        item = self.find(ctx, resource)
        if item is not None:
            self.delete_physical(ctx, str(item[self.kind.id_field]))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        return [
            str(item[self.kind.id_field])
            for item in self.kind.items(ctx.clients("ec2"))
            if _name_of(item).startswith(prefix) and not self.kind.gone(item)
        ]

    def sync_tags(self, ctx: ProviderContext, ec2_id: str, want: Mapping[str, str]) -> None:
        """Make the user tags of ``ec2_id`` equal ``want`` (the Name and prefix tags stay)."""
        ec2 = ctx.clients("ec2")
        found = next(
            (i for i in self.kind.items(ec2) if i[self.kind.id_field] == ec2_id),
            None,
        )
        have = user_tags(found.get("Tags")) if found else {}
        stale = [k for k in have if k not in want]
        if stale:
            ec2.delete_tags(Resources=[ec2_id], Tags=[{"Key": k} for k in stale])
        changed = {k: v for k, v in want.items() if have.get(k) != v}
        if changed:
            ec2.create_tags(Resources=[ec2_id], Tags=tags_list(changed))


def cannot_change(kind: str, address: str, fields: frozenset[str]) -> ValueError:
    """The error for a change EC2 cannot make in place."""
    listed = ", ".join(sorted(fields))
    return ValueError(
        f"{kind} '{address}': {listed} cannot change in place in EC2; give the resource a new name to replace it"
    )


# -- spelling helpers shared by the network types --------------------------------------------------------------


def ec2_tags(reader: Reader, value: Any, path: str) -> dict[str, str]:
    """Tags of an EC2 network resource; its Name tag is the harness's own (run prefix plus logical name)."""
    tags = tags_of(reader, value, path) if not isinstance(value, dict) else dict(value)
    if NAME_TAG in tags:
        reader.note(
            f"{path}: Name {tags.pop(NAME_TAG)!r} is not kept; the harness names EC2 resources after the run prefix "
            "and the logical name"
        )
    return tags


def associate(reader: Reader, origin: str, subnet: str, field_name: str, target: str, what: str) -> None:
    """Associate a subnet with a route table or network ACL once every resource is mapped (one per subnet)."""

    def apply() -> None:
        draft = reader.draft("subnets", subnet)
        if draft is None:  # here() guarantees the subnet is declared; kept for the type checker
            return
        if draft.kwargs.get(field_name) not in (None, target):
            reader.fail(
                origin,
                f"one {what} per subnet",
                f"subnet '{subnet}' associated with '{draft.kwargs[field_name]}' and '{target}'",
                "keep one association per subnet",
            )
        draft.kwargs[field_name] = target

    reader.later(apply)


def append(draft: Draft, field_name: str, *items: Any) -> None:
    """Add items to a tuple field of a draft (rules, routes, entries, route tables)."""
    draft.kwargs[field_name] = (*draft.kwargs.get(field_name, ()), *items)
