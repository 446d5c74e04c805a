"""IAM group: the resource type (path, inline and managed policies) and its handler.

Who is in a group is declared on the users (``User.groups``); a group's policies apply to every member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import JsonDoc, RefTo, Resource
from harness.model.policy_doc import canonical_policy
from harness.model.schema import Cfn, Field, Fold, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code
from harness.provider.resources.iam_common import (
    PolicyApi,
    attachment_fold,
    cfn_inline_policies,
    inline_fold,
    policy_arn,
)


@dataclass(frozen=True, slots=True)
class Group(Resource):
    """An IAM group: people (or machines) who share permissions, such as developers or release managers.

    Attributes:
        path: the group's path (``/``, ``/teams/``).
        policies: inline policies by name.
        managed_policies: managed policies attached (names under ``policies`` or ARNs).
    """

    SECTION: ClassVar[str] = "groups"
    KIND: ClassVar[str] = "IAM group"

    path: str = "/"
    policies: dict[str, JsonDoc] = field(default_factory=dict)
    managed_policies: tuple[Annotated[str, RefTo("policies")], ...] = ()

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not (self.path.startswith("/") and self.path.endswith("/")):
            raise ValueError(f"a path that starts and ends with '/', found {self.path!r}; use e.g. '/'")


_API = PolicyApi("Group")


class GroupHandler(Handler[Group]):
    resource_type = Group
    # After the users, whose memberships name their groups.
    sweep_order = 60

    def arn(self, ctx: ProviderContext, resource: Group) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:group{resource.path}{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: Group) -> dict[str, Any]:
        return {
            "path": resource.path,
            "inline_policies": {
                name: canonical_policy(ctx.resolve(doc)) for name, doc in sorted(resource.policies.items())
            },
            "managed_policies": sorted(policy_arn(ctx, p) for p in resource.managed_policies),
        }

    def read(self, ctx: ProviderContext, resource: Group) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        try:
            group = iam.get_group(GroupName=name)["Group"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        return {
            "path": group.get("Path", "/"),
            "inline_policies": _API.inline(iam, name),
            "managed_policies": _API.attached(iam, name),
        }

    def create(self, ctx: ProviderContext, resource: Group) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        arn = iam.create_group(GroupName=name, Path=resource.path)["Group"]["Arn"]
        _API.put_inline(ctx, name, dict(resource.policies), replace=False)
        _API.attach(ctx, name, {policy_arn(ctx, p) for p in resource.managed_policies})
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: Group, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        if "path" in changed:
            iam.update_group(GroupName=name, NewPath=resource.path)
        if "inline_policies" in changed:
            _API.put_inline(ctx, name, dict(resource.policies), replace=True)
        if "managed_policies" in changed:
            _API.attach(ctx, name, {policy_arn(ctx, p) for p in resource.managed_policies})
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Group) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        iam = ctx.clients("iam")
        names: list[str] = []
        for page in iam.get_paginator("list_groups").paginate():
            names.extend(g["GroupName"] for g in page["Groups"] if g["GroupName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # IAM refuses to delete a group that still has members or policies.
        iam = ctx.clients("iam")
        try:
            for user in iam.get_group(GroupName=physical_id)["Users"]:
                iam.remove_user_from_group(GroupName=physical_id, UserName=user["UserName"])
            _API.clear(iam, physical_id)
            iam.delete_group(GroupName=physical_id)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLER = GroupHandler()


# -- how the source formats spell a group ----------------------------------------------------------------------

SCHEMA = Schema(
    Group,
    fields=(
        Field("path", cfn="Path", tf="path", default="/"),
        Field("policies", cfn_read=cfn_inline_policies),
        Field("managed_policies", cfn="ManagedPolicyArns", read="refs", section="policies"),
    ),
    cfn=Cfn("AWS::IAM::Group", ref="{name}", attributes={"Arn": "{arn}"}, name="GroupName"),
    tf=Tf("aws_iam_group", name="name", attributes={"arn": "arn", "id": "name", "name": "name"}),
)

FOLDS = (
    Fold(inline_fold("group", "groups"), tf="aws_iam_group_policy"),
    Fold(attachment_fold("group", "groups"), tf="aws_iam_group_policy_attachment"),
)
