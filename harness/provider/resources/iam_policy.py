"""IAM customer managed policy: the resource type and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.model.base import JsonDoc, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, StandIn, Tf, attached
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list
from harness.provider.resources.iam_common import add_managed


@dataclass(frozen=True, slots=True)
class ManagedPolicy(Resource):
    """A customer managed IAM policy (used as attached policy or permissions boundary)."""

    SECTION: ClassVar[str] = "policies"
    KIND: ClassVar[str] = "IAM managed policy"

    document: JsonDoc = field(default_factory=dict)
    description: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if "Statement" not in self.document:
            raise ValueError("a policy document with a Statement, found none; add Version and Statement")


class ManagedPolicyHandler(Handler[ManagedPolicy]):
    resource_type = ManagedPolicy
    sweep_order = 80

    def arn(self, ctx: ProviderContext, resource: ManagedPolicy) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:policy/{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: ManagedPolicy) -> dict[str, Any]:
        return {
            "document": canonical_policy(ctx.resolve(resource.document)),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: ManagedPolicy) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        arn = self.arn(ctx, resource)
        try:
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        tags = iam.list_policy_tags(PolicyArn=arn).get("Tags", [])
        return {
            "document": canonical_policy(load_policy(version["PolicyVersion"]["Document"])),
            "tags": tags_dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: ManagedPolicy) -> ResourceState:
        iam = ctx.clients("iam")
        kwargs: dict[str, Any] = {
            "PolicyName": ctx.physical_name(resource),
            "PolicyDocument": policy_json(ctx.resolve(resource.document)),
        }
        if resource.description:
            kwargs["Description"] = resource.description
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = iam.create_policy(**kwargs)["Policy"]["Arn"]
        return ResourceState(str(resource.address), ctx.physical_name(resource), arn)

    def update(self, ctx: ProviderContext, resource: ManagedPolicy, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        arn = self.arn(ctx, resource)
        if "document" in changed:
            # A policy keeps at most five versions; drop the oldest non-default one first.
            versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
            old = [v for v in versions if not v["IsDefaultVersion"]]
            if len(versions) >= 5 and old:
                iam.delete_policy_version(PolicyArn=arn, VersionId=old[-1]["VersionId"])
            iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=policy_json(ctx.resolve(resource.document)), SetAsDefault=True
            )
        if "tags" in changed:
            current = tags_dict(iam.list_policy_tags(PolicyArn=arn).get("Tags", []))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                iam.untag_policy(PolicyArn=arn, TagKeys=stale)
            if resource.tags:
                iam.tag_policy(PolicyArn=arn, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: ManagedPolicy) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        iam = ctx.clients("iam")
        names: list[str] = []
        for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
            names.extend(p["PolicyName"] for p in page["Policies"] if p["PolicyName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        iam = ctx.clients("iam")
        arn = f"arn:{ctx.partition}:iam::{ctx.account_id}:policy/{physical_id}"
        try:
            entities = iam.list_entities_for_policy(PolicyArn=arn)
            for entity in entities.get("PolicyRoles", []):
                iam.detach_role_policy(RoleName=entity["RoleName"], PolicyArn=arn)
            for entity in entities.get("PolicyUsers", []):
                iam.detach_user_policy(UserName=entity["UserName"], PolicyArn=arn)
            for entity in entities.get("PolicyGroups", []):
                iam.detach_group_policy(GroupName=entity["GroupName"], PolicyArn=arn)
            for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=arn)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLER = ManagedPolicyHandler()


# -- how the source formats spell a managed policy -------------------------------------------------------------


# The principals a policy can be attached to: the source property (CloudFormation, Terraform) and the section.
_PRINCIPALS = (("Roles", "roles", "roles"), ("Users", "users", "users"), ("Groups", "groups", "groups"))


def _attach_cfn(reader: Reader, draft: Draft, props: Props) -> None:
    """``Roles``, ``Users`` and ``Groups`` of an AWS::IAM::ManagedPolicy attach it to them."""
    listed = [
        (section, owner, f"{props.at(key)}[{index}]")
        for key, _tf, section in _PRINCIPALS
        for index, owner in enumerate(props.seq(key))
    ]

    def attach() -> None:
        # Once every resource is mapped: the principals may be declared after the policy.
        for section, owner, path in listed:
            target = attached(reader, owner, section, path, "attaches to")
            if target is not None:
                add_managed(target, draft.name)

    reader.later(attach)


SCHEMA = Schema(
    ManagedPolicy,
    fields=(
        Field("document", cfn="PolicyDocument", tf="policy", read="doc", required=True),
        Field("description", cfn="Description", tf="description", default=""),
        Field("tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::IAM::ManagedPolicy",
        ref="{arn}",
        attributes={"PolicyArn": "{arn}", "PolicyId": None},
        name="ManagedPolicyName",
        finish=_attach_cfn,
    ),
    tf=Tf(
        "aws_iam_policy",
        name="name",
        attributes={"arn": "arn", "id": "arn", "name": "name"},
        ignore=("path", "policy_id", "attachment_count"),
    ),
)


def _fold_tf_exclusive_attachment(reader: Reader, props: Props, origin: Origin) -> None:
    """aws_iam_policy_attachment: the policy attached to the listed roles, users and groups, and to no one else.

    Terraform makes the listed principals the policy's only attachments in the account: at apply it detaches the
    policy from everyone else, including principals other resources of the same configuration attach it to.
    """
    props.ignore("name")
    policy = reader.reference(props.require("policy_arn"), "policies", props.at("policy_arn"))
    listed: list[Draft] = []
    for _cfn, key, section in _PRINCIPALS:
        for index, owner in enumerate(props.seq(key)):
            target = attached(reader, owner, section, f"{props.at(key)}[{index}]", "attaches to")
            if target is not None:
                listed.append(target)
    if policy is None:
        return
    for target in listed:
        add_managed(target, policy)
    if policy.startswith("arn:"):
        reader.note(
            f"{origin.path}: exclusive attachment of {policy}: at apply Terraform detaches it from every role, user "
            "and group of the account that this resource does not list"
        )
        return

    def others() -> None:
        # Attachments other resources declare are kept as declared, though Terraform removes them at apply (and
        # the next apply of those resources attaches them again).
        kept = [
            f"{d.cls.SECTION}.{d.name}"
            for _cfn, _tf, section in _PRINCIPALS
            for d in reader.declared(section)
            if d not in listed and policy in d.kwargs.get("managed_policies", ())
        ]
        if kept:
            reader.note(
                f"{origin.path}: exclusive attachment of policy '{policy}': at apply Terraform detaches it from "
                f"{', '.join(kept)}, attached by other resources; the model keeps those attachments and scenarios "
                "depending on them are unverified"
            )

    reader.later(others)


FOLDS = (Fold(_fold_tf_exclusive_attachment, tf="aws_iam_policy_attachment"),)


# A customer managed policy of the account that the definition only names: its document is unknown, so the
# stand-in allows nothing and the roles it is attached to have unknown permissions.
STAND_IN = StandIn(
    ManagedPolicy,
    fields=lambda request: {
        "document": {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "StandIn", "Effect": "Allow", "Action": "none:None", "Resource": "*"}],
        }
    },
    deployed="a managed policy that allows nothing",
    unknown=("document",),
)
