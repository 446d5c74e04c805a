"""IAM user: the resource type (policies, groups, boundary, console password, access keys, tags) and its handler.

Group membership lives on the user (``groups``), whichever way the source spells it: a user's ``Groups``,
AWS::IAM::UserToGroupAddition, ``aws_iam_user_group_membership`` or ``aws_iam_group_membership``.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy
from harness.model.schema import Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, Tf, attached
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list
from harness.provider.resources.iam_common import (
    PolicyApi,
    attachment_fold,
    cfn_inline_policies,
    inline_fold,
    policy_arn,
)

# AWS allows two access keys per user.
MAX_ACCESS_KEYS = 2


@dataclass(frozen=True, slots=True)
class LoginProfile:
    """That a user has a console password. The password itself is never read from the source nor kept."""

    password_reset_required: bool = False


@dataclass(frozen=True, slots=True)
class User(Resource):
    """An IAM user: a person or a machine with long-term credentials.

    Attributes:
        path: the user's path (``/``, ``/ci/``).
        policies: inline policies by name.
        managed_policies: managed policies attached (names under ``policies`` or ARNs).
        groups: the groups the user is a member of (names under ``groups``).
        permissions_boundary: the managed policy that bounds the user's permissions.
        login_profile: set when the user has a console password.
        access_keys: how many active access keys the user has (long-term credentials; at most two).
        tags: the user's tags.
    """

    SECTION: ClassVar[str] = "users"
    KIND: ClassVar[str] = "IAM user"

    path: str = "/"
    policies: dict[str, JsonDoc] = field(default_factory=dict)
    managed_policies: tuple[Annotated[str, RefTo("policies")], ...] = ()
    groups: tuple[Annotated[str, RefTo("groups")], ...] = ()
    permissions_boundary: Annotated[str, RefTo("policies")] | None = None
    login_profile: LoginProfile | None = None
    access_keys: int = 0
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not (self.path.startswith("/") and self.path.endswith("/")):
            raise ValueError(f"a path that starts and ends with '/', found {self.path!r}; use e.g. '/'")
        if len(set(self.groups)) != len(self.groups):
            raise ValueError(f"each group once, found {list(self.groups)}; list every group the user is in once")
        if isinstance(self.access_keys, bool) or not 0 <= self.access_keys <= MAX_ACCESS_KEYS:
            raise ValueError(
                f"at most {MAX_ACCESS_KEYS} access keys (AWS's limit per user), found {self.access_keys!r}; "
                "declare fewer keys"
            )


_API = PolicyApi("User")


def _group_name(ctx: ProviderContext, ref: str) -> str:
    return ctx.state_of("groups", ref).physical_id


def _password() -> str:
    """A console password satisfying any password policy; it is never shown, kept or compared."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40)) + "aA1!"


class UserHandler(Handler[User]):
    resource_type = User
    sweep_order = 55

    def arn(self, ctx: ProviderContext, resource: User) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:user{resource.path}{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: User) -> dict[str, Any]:
        boundary = resource.permissions_boundary
        login = resource.login_profile
        return {
            "path": resource.path,
            "inline_policies": {
                name: canonical_policy(ctx.resolve(doc)) for name, doc in sorted(resource.policies.items())
            },
            "managed_policies": sorted(policy_arn(ctx, p) for p in resource.managed_policies),
            "groups": sorted(_group_name(ctx, g) for g in resource.groups),
            "permissions_boundary": policy_arn(ctx, boundary) if boundary else None,
            "login_profile": None if login is None else {"password_reset_required": login.password_reset_required},
            "access_keys": resource.access_keys,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: User) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        try:
            user = iam.get_user(UserName=name)["User"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        return {
            "path": user.get("Path", "/"),
            "inline_policies": _API.inline(iam, name),
            "managed_policies": _API.attached(iam, name),
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
            "permissions_boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "login_profile": _login_profile(iam, name),
            "access_keys": sum(1 for k in keys if k.get("Status") == "Active"),
            "tags": tags_dict(iam.list_user_tags(UserName=name).get("Tags", [])),
        }

    def create(self, ctx: ProviderContext, resource: User) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"UserName": name, "Path": resource.path}
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = iam.create_user(**kwargs)["User"]["Arn"]
        if resource.permissions_boundary:
            iam.put_user_permissions_boundary(
                UserName=name, PermissionsBoundary=policy_arn(ctx, resource.permissions_boundary)
            )
        _API.put_inline(ctx, name, dict(resource.policies), replace=False)
        _API.attach(ctx, name, {policy_arn(ctx, p) for p in resource.managed_policies})
        for group in resource.groups:
            iam.add_user_to_group(GroupName=_group_name(ctx, group), UserName=name)
        if resource.login_profile is not None:
            _create_login_profile(iam, name, resource.login_profile)
        for _ in range(resource.access_keys):
            # The secret is discarded: the harness acts as users with credentials of its own.
            iam.create_access_key(UserName=name)
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: User, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        if "path" in changed:
            iam.update_user(UserName=name, NewPath=resource.path)
        if "inline_policies" in changed:
            _API.put_inline(ctx, name, dict(resource.policies), replace=True)
        if "managed_policies" in changed:
            _API.attach(ctx, name, {policy_arn(ctx, p) for p in resource.managed_policies})
        if "groups" in changed:
            want = {_group_name(ctx, g) for g in resource.groups}
            have = {g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]}
            for group in sorted(have - want):
                iam.remove_user_from_group(GroupName=group, UserName=name)
            for group in sorted(want - have):
                iam.add_user_to_group(GroupName=group, UserName=name)
        if "permissions_boundary" in changed:
            if resource.permissions_boundary:
                iam.put_user_permissions_boundary(
                    UserName=name, PermissionsBoundary=policy_arn(ctx, resource.permissions_boundary)
                )
            else:
                iam.delete_user_permissions_boundary(UserName=name)
        if "login_profile" in changed:
            _update_login_profile(iam, name, resource.login_profile)
        if "access_keys" in changed:
            _update_access_keys(iam, name, resource.access_keys)
        if "tags" in changed:
            tagged = tags_dict(iam.list_user_tags(UserName=name).get("Tags", []))
            stale = [k for k in tagged if k not in resource.tags]
            if stale:
                iam.untag_user(UserName=name, TagKeys=stale)
            if resource.tags:
                iam.tag_user(UserName=name, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: User) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        iam = ctx.clients("iam")
        names: list[str] = []
        for page in iam.get_paginator("list_users").paginate():
            names.extend(u["UserName"] for u in page["Users"] if u["UserName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # IAM refuses to delete a user that still has a password, keys, policies or memberships.
        iam = ctx.clients("iam")
        try:
            if _login_profile(iam, physical_id) is not None:
                iam.delete_login_profile(UserName=physical_id)
            for key in iam.list_access_keys(UserName=physical_id)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=physical_id, AccessKeyId=key["AccessKeyId"])
            for group in iam.list_groups_for_user(UserName=physical_id)["Groups"]:
                iam.remove_user_from_group(GroupName=group["GroupName"], UserName=physical_id)
            _API.clear(iam, physical_id)
            iam.delete_user(UserName=physical_id)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLER = UserHandler()


def _login_profile(iam: Any, name: str) -> dict[str, bool] | None:
    try:
        profile = iam.get_login_profile(UserName=name)["LoginProfile"]
    except Exception as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise
    return {"password_reset_required": bool(profile.get("PasswordResetRequired", False))}


def _create_login_profile(iam: Any, name: str, profile: LoginProfile) -> None:
    password = _password()
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=profile.password_reset_required)
    if profile.password_reset_required:
        # Setting the flag with the password is what every backend stores (moto keeps no flag given to create).
        iam.update_login_profile(UserName=name, Password=password, PasswordResetRequired=True)


def _update_login_profile(iam: Any, name: str, profile: LoginProfile | None) -> None:
    exists = _login_profile(iam, name) is not None
    if profile is None:
        if exists:
            iam.delete_login_profile(UserName=name)
        return
    if not exists:
        _create_login_profile(iam, name, profile)
        return
    iam.update_login_profile(UserName=name, Password=_password(), PasswordResetRequired=profile.password_reset_required)


def _update_access_keys(iam: Any, name: str, wanted: int) -> None:
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    active = sorted((k for k in keys if k.get("Status") == "Active"), key=lambda k: str(k.get("CreateDate", "")))
    # Keys made outside the definition go first (the newest); inactive keys grant nothing and are left alone.
    for key in reversed(active[wanted:]):
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    for _ in range(max(0, wanted - len(active))):
        iam.create_access_key(UserName=name)


# -- how the source formats spell a user -----------------------------------------------------------------------


def _cfn_groups(reader: Reader, props: Props, draft: Draft) -> Any:
    return _groups(reader, props, "Groups")


def _groups(reader: Reader, props: Props, key: str) -> tuple[str, ...]:
    """Groups by reference or by a name the source spells out; groups outside the definition are noted."""
    names: list[str] = []
    for index, value in enumerate(props.seq(key)):
        # A membership names the group; a group outside the definition cannot be joined in the backend.
        found = reader.reference(value, "groups", f"{props.at(key)}[{index}]", arn_ok=False)
        if found is not None and found not in names:
            names.append(found)
    return tuple(names)


def _cfn_login_profile(reader: Reader, props: Props, draft: Draft) -> Any:
    profile = props.sub("LoginProfile")
    if profile is None:
        return None
    # The password is never read: that a console password exists is what the claims depend on.
    profile.ignore("Password")
    reset = bool(profile.flag("PasswordResetRequired", False))
    return reader.make(LoginProfile, profile.path, draft.line, password_reset_required=reset)


SCHEMA = Schema(
    User,
    fields=(
        Field("path", cfn="Path", tf="path", default="/"),
        Field("policies", cfn_read=cfn_inline_policies),
        Field("managed_policies", cfn="ManagedPolicyArns", read="refs", section="policies"),
        Field("groups", cfn_read=_cfn_groups),
        Field(
            "permissions_boundary", cfn="PermissionsBoundary", tf="permissions_boundary", read="ref", section="policies"
        ),
        Field("login_profile", cfn_read=_cfn_login_profile),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::IAM::User", ref="{name}", attributes={"Arn": "{arn}"}, name="UserName"),
    tf=Tf(
        "aws_iam_user",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name"},
        # Whether Terraform may delete a user that has keys or a password it does not manage: no bearing on access.
        ignore=("force_destroy",),
    ),
)


def _user_of(reader: Reader, props: Props, key: str, what: str) -> Draft | None:
    return attached(reader, props.require(key), "users", props.at(key), what)


def _join(user: Draft, group: str) -> None:
    groups = tuple(user.kwargs.get("groups", ()))
    if group not in groups:
        user.kwargs["groups"] = (*groups, group)


def _fold_cfn_membership(reader: Reader, props: Props, origin: Origin) -> None:
    """AWS::IAM::UserToGroupAddition: the listed users join the group."""
    group = attached(reader, props.require("GroupName"), "groups", props.at("GroupName"), "adds users to")
    for index, value in enumerate(props.seq("Users")):
        user = attached(reader, value, "users", f"{props.at('Users')}[{index}]", "adds to the group")
        if user is not None and group is not None:
            _join(user, group.name)


def _fold_tf_user_groups(reader: Reader, props: Props, origin: Origin) -> None:
    """aws_iam_user_group_membership: the user joins the groups (memberships made elsewhere stay)."""
    user = _user_of(reader, props, "user", "group memberships for")
    for group in _groups(reader, props, "groups"):
        if user is not None:
            _join(user, group)


def _fold_tf_group_membership(reader: Reader, props: Props, origin: Origin) -> None:
    """aws_iam_group_membership: the group's members, and no one else.

    Terraform makes the listed users the group's only members: at apply it removes everyone else, including users
    other resources of the same configuration put in the group.
    """
    props.ignore("name")
    group = attached(reader, props.require("group"), "groups", props.at("group"), "the members of")
    members: list[Draft] = []
    for index, value in enumerate(props.seq("users")):
        user = attached(reader, value, "users", f"{props.at('users')}[{index}]", "a member")
        if user is not None:
            members.append(user)
    if group is None:
        return
    for user in members:
        _join(user, group.name)

    def others() -> None:
        kept = [
            u.name for u in reader.declared("users") if u not in members and group.name in u.kwargs.get("groups", ())
        ]
        if kept:
            reader.note(
                f"{origin.path}: exclusive membership of group '{group.name}': at apply Terraform removes "
                f"{', '.join(kept)}, put in the group by other resources; the model keeps them as members and "
                "scenarios depending on that are unverified"
            )

    reader.later(others)


def _fold_tf_login_profile(reader: Reader, props: Props, origin: Origin) -> None:
    """aws_iam_user_login_profile: a console password for the user (generated or PGP-encrypted, never read)."""
    props.ignore("pgp_key", "password_length", "password", "encrypted_password", "key_fingerprint")
    user = _user_of(reader, props, "user", "a console password for")
    reset = bool(props.flag("password_reset_required", False))
    if user is not None:
        profile = reader.make(LoginProfile, origin.path, origin.line, password_reset_required=reset)
        user.kwargs["login_profile"] = profile


def _add_access_key(reader: Reader, user: Draft, path: str, status: str | None) -> None:
    if status not in (None, "Active"):
        # An inactive key authenticates nobody; it is left out.
        reader.note(f"{path}: an inactive access key grants nothing and is not deployed")
        return
    count = int(user.kwargs.get("access_keys", 0)) + 1
    if count > MAX_ACCESS_KEYS:
        reader.fail(
            path, f"at most {MAX_ACCESS_KEYS} access keys per user", f"key number {count} for '{user.name}'",
            "remove the extra access keys",
        )  # fmt: skip
    user.kwargs["access_keys"] = count


def _fold_cfn_access_key(reader: Reader, props: Props, origin: Origin) -> None:
    """AWS::IAM::AccessKey: a long-term access key of the user (its secret is never read)."""
    props.ignore("Serial")
    user = _user_of(reader, props, "UserName", "an access key for")
    status = props.text("Status")
    if user is not None:
        _add_access_key(reader, user, origin.path, status)


def _fold_tf_access_key(reader: Reader, props: Props, origin: Origin) -> None:
    """aws_iam_access_key: a long-term access key of the user (its secret is never read)."""
    props.ignore("pgp_key", "secret", "encrypted_secret", "ses_smtp_password_v4", "key_fingerprint",
                 "encrypted_ses_smtp_password_v4")  # fmt: skip
    user = _user_of(reader, props, "user", "an access key for")
    status = props.text("status")
    if user is not None:
        _add_access_key(reader, user, origin.path, status)


FOLDS = (
    Fold(_fold_cfn_membership, cfn="AWS::IAM::UserToGroupAddition"),
    Fold(_fold_cfn_access_key, cfn="AWS::IAM::AccessKey"),
    Fold(inline_fold("user", "users"), tf="aws_iam_user_policy"),
    Fold(attachment_fold("user", "users"), tf="aws_iam_user_policy_attachment"),
    Fold(_fold_tf_user_groups, tf="aws_iam_user_group_membership"),
    Fold(_fold_tf_group_membership, tf="aws_iam_group_membership"),
    Fold(_fold_tf_login_profile, tf="aws_iam_user_login_profile"),
    Fold(_fold_tf_access_key, tf="aws_iam_access_key"),
)
