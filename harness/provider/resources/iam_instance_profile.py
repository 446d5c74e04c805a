"""IAM instance profile: the resource type (the role an EC2 instance acts as, path, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import Cfn, Draft, Field, Props, Reader, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class InstanceProfile(Resource):
    """An instance profile: how an EC2 instance (a build host, a runner) receives a role's credentials.

    Attributes:
        roles: the role the instance acts as (AWS allows one per profile).
        path: the profile's path.
        tags: the profile's tags.
    """

    SECTION: ClassVar[str] = "instance_profiles"
    KIND: ClassVar[str] = "IAM instance profile"

    roles: tuple[Annotated[str, RefTo("roles")], ...] = ()
    path: str = "/"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if len(self.roles) > 1:
            raise ValueError(
                f"at most one role (AWS's limit per instance profile), found {list(self.roles)}; keep one role"
            )
        if not (self.path.startswith("/") and self.path.endswith("/")):
            raise ValueError(f"a path that starts and ends with '/', found {self.path!r}; use e.g. '/'")


def _role_name(ctx: ProviderContext, ref: str) -> str:
    return ctx.state_of("roles", ref).physical_id


class InstanceProfileHandler(Handler[InstanceProfile]):
    resource_type = InstanceProfile
    # Before the roles: IAM refuses to delete a role that is still in an instance profile.
    sweep_order = 60

    def arn(self, ctx: ProviderContext, resource: InstanceProfile) -> str:
        name = ctx.physical_name(resource)
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:instance-profile{resource.path}{name}"

    def desired(self, ctx: ProviderContext, resource: InstanceProfile) -> dict[str, Any]:
        return {
            "path": resource.path,
            "roles": sorted(_role_name(ctx, r) for r in resource.roles),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: InstanceProfile) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        try:
            profile = iam.get_instance_profile(InstanceProfileName=ctx.physical_name(resource))["InstanceProfile"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        return {
            "path": profile.get("Path", "/"),
            "roles": sorted(r["RoleName"] for r in profile.get("Roles", [])),
            "tags": tags_dict(profile.get("Tags", [])),
        }

    def create(self, ctx: ProviderContext, resource: InstanceProfile) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"InstanceProfileName": name, "Path": resource.path}
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = iam.create_instance_profile(**kwargs)["InstanceProfile"]["Arn"]
        for role in resource.roles:
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=_role_name(ctx, role))
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: InstanceProfile, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        if "path" in changed:
            # A profile's path cannot be changed: the profile is made again under the new path.
            self.delete_physical(ctx, name)
            return self.create(ctx, resource)
        if "roles" in changed:
            want = {_role_name(ctx, r) for r in resource.roles}
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            have = {r["RoleName"] for r in profile.get("Roles", [])}
            for role in sorted(have - want):
                iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
            for role in sorted(want - have):
                iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        if "tags" in changed:
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            stale = [k for k in tags_dict(profile.get("Tags", [])) if k not in resource.tags]
            if stale:
                iam.untag_instance_profile(InstanceProfileName=name, TagKeys=stale)
            if resource.tags:
                iam.tag_instance_profile(InstanceProfileName=name, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: InstanceProfile) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        iam = ctx.clients("iam")
        names: list[str] = []
        for page in iam.get_paginator("list_instance_profiles").paginate():
            listed = (p["InstanceProfileName"] for p in page["InstanceProfiles"])
            names.extend(n for n in listed if n.startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        iam = ctx.clients("iam")
        try:
            profile = iam.get_instance_profile(InstanceProfileName=physical_id)["InstanceProfile"]
            for role in profile.get("Roles", []):
                iam.remove_role_from_instance_profile(InstanceProfileName=physical_id, RoleName=role["RoleName"])
            iam.delete_instance_profile(InstanceProfileName=physical_id)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLER = InstanceProfileHandler()


# -- how the source formats spell an instance profile --------------------------------------------------------


def _roles(reader: Reader, props: Props, key: str) -> tuple[str, ...]:
    """Roles by reference or by the name the source spells out; a role outside the definition is noted."""
    names: list[str] = []
    for index, value in enumerate(props.seq(key)):
        path = f"{props.at(key)}[{index}]" if isinstance(props.values.get(key), list) else props.at(key)
        # The role is named: a role outside the definition cannot be put in the profile in the backend.
        found = reader.reference(value, "roles", path, arn_ok=False)
        if found is not None:
            names.append(found)
    return tuple(names)


def _cfn_roles(reader: Reader, props: Props, draft: Draft) -> Any:
    return _roles(reader, props, "Roles")


def _tf_role(reader: Reader, props: Props, draft: Draft) -> Any:
    return _roles(reader, props, "role")


SCHEMA = Schema(
    InstanceProfile,
    fields=(
        Field("roles", cfn_read=_cfn_roles, tf_read=_tf_role),
        Field("path", cfn="Path", tf="path", default="/"),
        Field("tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::IAM::InstanceProfile", ref="{name}", attributes={"Arn": "{arn}"}, name="InstanceProfileName"),
    tf=Tf("aws_iam_instance_profile", name="name", attributes={"arn": "arn", "id": "name", "name": "name"}),
)
