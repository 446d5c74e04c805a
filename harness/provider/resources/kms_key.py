"""KMS key: the resource type (key policy, rotation, tags) and its handler; found by its alias."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.model.base import JsonDoc, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import (
    Cfn,
    Field,
    Fold,
    Origin,
    Props,
    Reader,
    Schema,
    StandIn,
    Tf,
    describe,
    ref_parts,
)
from harness.provider.base import (
    Handler,
    ProviderContext,
    ResourceState,
    error_code,
    tags_dict,
    tags_list,
)

_GONE_STATES = ("PendingDeletion", "PendingReplicaDeletion")


@dataclass(frozen=True, slots=True)
class KmsKey(Resource):
    """A customer managed KMS key, addressed by the alias ``alias/<prefix><name>``.

    Without ``policy`` the key gets AWS's default key policy (the account root may use it, so IAM policies
    decide).
    """

    SECTION: ClassVar[str] = "keys"
    KIND: ClassVar[str] = "KMS key"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "id", "alias")

    policy: JsonDoc | None = None
    description: str = ""
    rotation: bool = True
    tags: Tags = field(default_factory=dict)


def default_key_policy(ctx: ProviderContext) -> dict[str, Any]:
    """AWS's default key policy: the account's root principal may use the key, delegating to IAM."""
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{ctx.partition}:iam::{ctx.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


class KmsKeyHandler(Handler[KmsKey]):
    resource_type = KmsKey
    sweep_order = 95

    def _alias(self, ctx: ProviderContext, resource: KmsKey) -> str:
        return f"alias/{ctx.physical_name(resource)}"

    def _key_meta(self, ctx: ProviderContext, alias: str) -> dict[str, Any] | None:
        """The metadata of the key ``alias`` names; None when there is none or it is pending deletion."""
        kms = ctx.clients("kms")
        try:
            meta: dict[str, Any] = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except Exception as exc:
            if error_code(exc) == "NotFoundException":
                return None
            raise
        return None if meta.get("KeyState") in _GONE_STATES else meta

    def _key_id(self, ctx: ProviderContext, alias: str) -> str | None:
        meta = self._key_meta(ctx, alias)
        return None if meta is None else str(meta["KeyId"])

    def _state(self, resource: KmsKey, alias: str, meta: Mapping[str, Any]) -> ResourceState:
        return ResourceState(
            str(resource.address), str(meta["KeyId"]), str(meta["Arn"]), {"alias": alias, "name": alias}
        )

    def _policy(self, ctx: ProviderContext, resource: KmsKey) -> dict[str, Any]:
        return dict(ctx.resolve(resource.policy)) if resource.policy else default_key_policy(ctx)

    def desired(self, ctx: ProviderContext, resource: KmsKey) -> dict[str, Any]:
        return {
            "policy": canonical_policy(self._policy(ctx, resource)),
            "description": resource.description,
            "rotation": resource.rotation,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: KmsKey) -> dict[str, Any] | None:
        return self.read_with_state(ctx, resource)[0]

    def read_with_state(
        self, ctx: ProviderContext, resource: KmsKey
    ) -> tuple[dict[str, Any] | None, ResourceState | None]:
        kms = ctx.clients("kms")
        alias = self._alias(ctx, resource)
        meta = self._key_meta(ctx, alias)
        if meta is None:
            return None, None
        key_id = meta["KeyId"]
        policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        actual = {
            "policy": canonical_policy(load_policy(policy)),
            "description": meta.get("Description", ""),
            "rotation": bool(kms.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled")),
            "tags": tags_dict(kms.list_resource_tags(KeyId=key_id).get("Tags", []), "TagKey", "TagValue"),
        }
        return actual, self._state(resource, alias, meta)

    def state(self, ctx: ProviderContext, resource: KmsKey) -> ResourceState:
        alias = self._alias(ctx, resource)
        return self._state(resource, alias, ctx.clients("kms").describe_key(KeyId=alias)["KeyMetadata"])

    def create(self, ctx: ProviderContext, resource: KmsKey) -> ResourceState:
        kms = ctx.clients("kms")
        kwargs: dict[str, Any] = {"Policy": policy_json(self._policy(ctx, resource))}
        if resource.description:
            kwargs["Description"] = resource.description
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags, "TagKey", "TagValue")
        meta = kms.create_key(**kwargs)["KeyMetadata"]
        key_id = meta["KeyId"]
        kms.create_alias(AliasName=self._alias(ctx, resource), TargetKeyId=key_id)
        if resource.rotation:
            kms.enable_key_rotation(KeyId=key_id)
        return self._state(resource, self._alias(ctx, resource), meta)

    def update(self, ctx: ProviderContext, resource: KmsKey, changed: frozenset[str]) -> ResourceState:
        kms = ctx.clients("kms")
        key_id = self._key_id(ctx, self._alias(ctx, resource))
        if "policy" in changed:
            kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy_json(self._policy(ctx, resource)))
        if "description" in changed:
            kms.update_key_description(KeyId=key_id, Description=resource.description)
        if "rotation" in changed:
            (kms.enable_key_rotation if resource.rotation else kms.disable_key_rotation)(KeyId=key_id)
        if "tags" in changed:
            current = tags_dict(kms.list_resource_tags(KeyId=key_id).get("Tags", []), "TagKey", "TagValue")
            stale = [k for k in current if k not in resource.tags]
            if stale:
                kms.untag_resource(KeyId=key_id, TagKeys=stale)
            if resource.tags:
                kms.tag_resource(KeyId=key_id, Tags=tags_list(resource.tags, "TagKey", "TagValue"))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: KmsKey) -> None:
        self.delete_physical(ctx, self._alias(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        kms = ctx.clients("kms")
        found: list[str] = []
        for page in kms.get_paginator("list_aliases").paginate():
            for alias in page["Aliases"]:
                if alias["AliasName"].startswith(f"alias/{prefix}") and alias.get("TargetKeyId"):
                    found.append(alias["AliasName"])
        return found

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # KMS never deletes a key at once: it schedules deletion (7 days at least). A key pending deletion
        # counts as destroyed; the alias is removed so the name can be reused.
        kms = ctx.clients("kms")
        key_id = self._key_id(ctx, physical_id) if physical_id.startswith("alias/") else physical_id
        if physical_id.startswith("alias/"):
            try:
                kms.delete_alias(AliasName=physical_id)
            except Exception as exc:
                if error_code(exc) != "NotFoundException":
                    raise
        if key_id:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


HANDLER = KmsKeyHandler()


# -- how the source formats spell a key ------------------------------------------------------------------------

SCHEMA = Schema(
    KmsKey,
    fields=(
        Field("policy", cfn="KeyPolicy", tf="policy", read="doc"),
        Field("description", cfn="Description", tf="description", default=""),
        # CloudFormation and Terraform leave rotation off unless asked.
        Field("rotation", cfn="EnableKeyRotation", tf="enable_key_rotation", read="flag", default=False),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::KMS::Key",
        ref="{id}",
        attributes={"Arn": "{arn}", "KeyId": "{id}"},
        quiet={"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Enabled": True},
    ),
    tf=Tf(
        "aws_kms_key",
        name=None,
        attributes={"arn": "arn", "id": "id", "key_id": "id"},
        quiet={
            "key_usage": "ENCRYPT_DECRYPT",
            "customer_master_key_spec": "SYMMETRIC_DEFAULT",
            "is_enabled": True,
            "multi_region": False,
            "bypass_policy_lockout_safety_check": False,
            "deletion_window_in_days": 30,
        },
    ),
)

_OWN_ALIAS = "the harness addresses keys by its own alias (alias/<prefix><name>), so this alias is not created"


def _fold_cfn_alias(reader: Reader, props: Props, origin: Origin) -> None:
    alias = props.text("AliasName", required=True)
    target = props.require("TargetKeyId")
    parts = ref_parts(target)
    key = parts[1] if parts and parts[0] == "keys" else describe(target)
    reader.note(f"{origin.path} (AWS::KMS::Alias): {alias!r} for key {key}; {_OWN_ALIAS}")


def _fold_tf_alias(reader: Reader, props: Props, origin: Origin) -> None:
    props.ignore("target_key_id", "target_key_arn")
    reader.note(f"{origin.path} (aws_kms_alias): {props.text('name')!r}; {_OWN_ALIAS}")


FOLDS = (Fold(_fold_cfn_alias, cfn="AWS::KMS::Alias"), Fold(_fold_tf_alias, tf="aws_kms_alias"))


STAND_IN = StandIn(
    KmsKey, fields=lambda request: {}, deployed="a key with the default key policy", settable=("policy",)
)
