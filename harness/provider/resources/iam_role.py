"""IAM role: the resource type (trust, inline and managed policies, boundary, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, ClassVar

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import (
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
    attached,
)
from harness.provider.base import (
    Handler,
    ProviderContext,
    ResourceState,
    error_code,
    ignore_missing,
    tags_dict,
    tags_list,
)
from harness.provider.resources.iam_common import (
    add_inline,
    attachment_fold,
    cfn_inline_policies,
    inline_fold,
    policy_arn,
)


@dataclass(frozen=True, slots=True)
class Role(Resource):
    """An IAM role a pipeline, a build or a person assumes.

    Give either ``trust_policy`` (a full document) or ``assumed_by`` (service principals such as
    ``codebuild.amazonaws.com`` or principal ARNs), from which the trust policy is generated.
    """

    SECTION: ClassVar[str] = "roles"
    KIND: ClassVar[str] = "IAM role"

    trust_policy: JsonDoc | None = None
    assumed_by: tuple[str, ...] = ()
    policies: dict[str, JsonDoc] = field(default_factory=dict)
    managed_policies: tuple[Annotated[str, RefTo("policies")], ...] = ()
    permissions_boundary: Annotated[str, RefTo("policies")] | None = None
    description: str = ""
    path: str = "/"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if (self.trust_policy is None) == (not self.assumed_by):
            raise ValueError(
                "exactly one of 'trust_policy' or 'assumed_by', found "
                + ("both" if self.trust_policy is not None else "neither")
                + "; say who may assume the role with one of them"
            )
        if not (self.path.startswith("/") and self.path.endswith("/")):
            raise ValueError(f"a path that starts and ends with '/', found {self.path!r}; use e.g. '/'")

    def trust_document(self) -> dict[str, Any]:
        """The trust policy, generated from ``assumed_by`` when not given."""
        if self.trust_policy is not None:
            return dict(self.trust_policy)
        services = sorted(p for p in self.assumed_by if p.endswith(".amazonaws.com"))
        others = sorted(p for p in self.assumed_by if not p.endswith(".amazonaws.com"))
        principal: dict[str, Any] = {}
        if services:
            principal["Service"] = services if len(services) > 1 else services[0]
        if others:
            principal["AWS"] = others if len(others) > 1 else others[0]
        return {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }


class RoleHandler(Handler[Role]):
    resource_type = Role
    sweep_order = 70

    def arn(self, ctx: ProviderContext, resource: Role) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account_id}:role{resource.path}{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: Role) -> dict[str, Any]:
        boundary = resource.permissions_boundary
        return {
            "trust_policy": canonical_policy(ctx.resolve(resource.trust_document())),
            "inline_policies": {
                name: canonical_policy(ctx.resolve(doc)) for name, doc in sorted(resource.policies.items())
            },
            "managed_policies": sorted(policy_arn(ctx, p) for p in resource.managed_policies),
            "permissions_boundary": policy_arn(ctx, boundary) if boundary else None,
            "description": resource.description,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Role) -> dict[str, Any] | None:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        inline = {}
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            inline[policy_name] = canonical_policy(load_policy(doc))
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        return {
            "trust_policy": canonical_policy(load_policy(role["AssumeRolePolicyDocument"])),
            "inline_policies": dict(sorted(inline.items())),
            "managed_policies": sorted(p["PolicyArn"] for p in attached),
            "permissions_boundary": boundary,
            "description": role.get("Description", "") or "",
            # GetRole returns the role's tags (all of them: a role holds at most 50); none when it has none.
            "tags": tags_dict(role.get("Tags", [])),
        }

    def create(self, ctx: ProviderContext, resource: Role) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {
            "RoleName": name,
            "Path": resource.path,
            "AssumeRolePolicyDocument": policy_json(ctx.resolve(resource.trust_document())),
        }
        if resource.description:
            kwargs["Description"] = resource.description
        if resource.permissions_boundary:
            kwargs["PermissionsBoundary"] = policy_arn(ctx, resource.permissions_boundary)
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = iam.create_role(**kwargs)["Role"]["Arn"]
        for policy_name, doc in resource.policies.items():
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=policy_json(ctx.resolve(doc)))
        for ref in resource.managed_policies:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn(ctx, ref))
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: Role, changed: frozenset[str]) -> ResourceState:
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        if "trust_policy" in changed:
            iam.update_assume_role_policy(
                RoleName=name, PolicyDocument=policy_json(ctx.resolve(resource.trust_document()))
            )
        if "inline_policies" in changed:
            current = set(iam.list_role_policies(RoleName=name)["PolicyNames"])
            for stale in current - set(resource.policies):
                iam.delete_role_policy(RoleName=name, PolicyName=stale)
            for policy_name, doc in resource.policies.items():
                iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=policy_json(ctx.resolve(doc)))
        if "managed_policies" in changed:
            want = {policy_arn(ctx, p) for p in resource.managed_policies}
            have = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
            for arn in have - want:
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)
            for arn in want - have:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        if "permissions_boundary" in changed:
            if resource.permissions_boundary:
                iam.put_role_permissions_boundary(
                    RoleName=name, PermissionsBoundary=policy_arn(ctx, resource.permissions_boundary)
                )
            else:
                iam.delete_role_permissions_boundary(RoleName=name)
        if "description" in changed:
            iam.update_role(RoleName=name, Description=resource.description)
        if "tags" in changed:
            tagged = tags_dict(iam.list_role_tags(RoleName=name).get("Tags", []))
            stale = [k for k in tagged if k not in resource.tags]
            if stale:
                iam.untag_role(RoleName=name, TagKeys=stale)
            if resource.tags:
                iam.tag_role(RoleName=name, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Role) -> None:
        # Remove what the definition gave the role, then the role; only when something else was added behind the
        # harness's back (IAM refuses with DeleteConflict) is everything the role holds listed and removed.
        iam = ctx.clients("iam")
        name = ctx.physical_name(resource)
        try:
            # A policy of the definition that is already gone (a second destroy) has no ARN left to detach by.
            attached = [policy_arn(ctx, ref) for ref in resource.managed_policies]
        except Exception:
            self.delete_physical(ctx, name)
            return
        try:
            for policy_name in resource.policies:
                ignore_missing(partial(iam.delete_role_policy, RoleName=name, PolicyName=policy_name), "NoSuchEntity")
            for arn in attached:
                ignore_missing(partial(iam.detach_role_policy, RoleName=name, PolicyArn=arn), "NoSuchEntity")
            iam.delete_role(RoleName=name)
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return
            if error_code(exc) != "DeleteConflict":
                raise
            self.delete_physical(ctx, name)

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        iam = ctx.clients("iam")
        names: list[str] = []
        for page in iam.get_paginator("list_roles").paginate():
            names.extend(r["RoleName"] for r in page["Roles"] if r["RoleName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        iam = ctx.clients("iam")
        try:
            for policy_name in iam.list_role_policies(RoleName=physical_id)["PolicyNames"]:
                iam.delete_role_policy(RoleName=physical_id, PolicyName=policy_name)
            for attached in iam.list_attached_role_policies(RoleName=physical_id)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=physical_id, PolicyArn=attached["PolicyArn"])
            iam.delete_role(RoleName=physical_id)
        except Exception as exc:
            if error_code(exc) != "NoSuchEntity":
                raise


HANDLER = RoleHandler()


# The services that assume a pipeline's roles; a role whose trust is
# unknown (a stand-in, or a trust policy known only at apply) trusts them so the harness can act as they do.
PIPELINE_SERVICES = (
    "cloudformation.amazonaws.com",
    "codebuild.amazonaws.com",
    "codepipeline.amazonaws.com",
    "events.amazonaws.com",
    "lambda.amazonaws.com",
)


# -- how the source formats spell a role -----------------------------------------------------------------------


def _tf_inline(reader: Reader, props: Props, draft: Draft) -> Any:
    policies: dict[str, Any] = {}
    for block in props.items("inline_policy"):
        name = block.text("name")
        # An existing role shows its inline policies with an empty document when they are managed elsewhere.
        document = block.doc("policy") if block.values.get("policy") else None
        block.ignore("policy")
        if name and document:
            policies[name] = document
    return policies


SCHEMA = Schema(
    Role,
    fields=(
        Field(
            "trust_policy",
            cfn="AssumeRolePolicyDocument",
            tf="assume_role_policy",
            read="doc",
            required=True,
            when_unknown=Role(name="trust", assumed_by=PIPELINE_SERVICES).trust_document(),
        ),
        Field("policies", cfn_read=cfn_inline_policies, tf_read=_tf_inline),
        Field("managed_policies", cfn="ManagedPolicyArns", tf="managed_policy_arns", read="refs", section="policies"),
        Field(
            "permissions_boundary", cfn="PermissionsBoundary", tf="permissions_boundary", read="ref", section="policies"
        ),
        Field("description", cfn="Description", tf="description", default=""),
        Field("path", cfn="Path", tf="path", default="/"),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::IAM::Role", ref="{name}", attributes={"Arn": "{arn}", "RoleId": None}, name="RoleName"),
    tf=Tf(
        "aws_iam_role",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name"},
        quiet={"max_session_duration": 3600, "force_detach_policies": False},
    ),
)


def _fold_cfn_policy(reader: Reader, props: Props, origin: Origin) -> None:
    """AWS::IAM::Policy: one inline policy put on each role, user and group it lists."""
    name = props.text("PolicyName", required=True)
    document = props.doc("PolicyDocument", required=True)
    for key, section in (("Roles", "roles"), ("Users", "users"), ("Groups", "groups")):
        for index, owner in enumerate(props.seq(key)):
            target = attached(reader, owner, section, f"{props.at(key)}[{index}]", "attaches to")
            if target is not None:
                add_inline(target, name, document)


FOLDS = (
    Fold(_fold_cfn_policy, cfn="AWS::IAM::Policy"),
    Fold(inline_fold("role", "roles"), tf="aws_iam_role_policy"),
    Fold(attachment_fold("role", "roles"), tf="aws_iam_role_policy_attachment"),
)


# -- a role the definition names but does not declare ----------------------------------------------------------


def _stand_in(request: StandInRequest) -> dict[str, Any]:
    path = "/"
    if request.identifier.startswith("arn:") and ":role/" in request.identifier:
        inner = request.identifier.split(":role/", 1)[1].rsplit("/", 1)
        path = f"/{inner[0]}/" if len(inner) == 2 else "/"
    return {"assumed_by": PIPELINE_SERVICES, "path": path}


STAND_IN = StandIn(
    Role,
    fields=_stand_in,
    deployed="a role without policies, trusted by the pipeline services,",
    unknown=("policies", "managed_policies", "permissions_boundary", "trust_policy"),
)
