"""Build secrets: a Secrets Manager secret or an SSM SecureString parameter, and its handler.

Plain String and StringList parameters are configuration, not secrets: they are :mod:`ssm_parameter`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import MISSING, Cfn, Draft, Field, Fold, Origin, Props, Reader, Schema, StandIn, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class Secret(Resource):
    """A secret a build reads: in Secrets Manager (``store: secrets-manager``) or as an SSM SecureString parameter
    (``store: parameter-store``). ``value`` is what the emulated account holds; use a fake value in fixtures.
    """

    SECTION: ClassVar[str] = "secrets"
    KIND: ClassVar[str] = "secret"

    value: str = ""
    store: Literal["secrets-manager", "parameter-store"] = "secrets-manager"
    kms_key: Annotated[str, RefTo("keys")] | None = None
    description: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.value:
            raise ValueError("a value for the secret, found none; give a (fake) value")


class SecretHandler(Handler[Secret]):
    resource_type = Secret
    sweep_order = 60

    def arn(self, ctx: ProviderContext, resource: Secret) -> str:
        if resource.store == "parameter-store":
            return f"arn:{ctx.partition}:ssm:{ctx.region}:{ctx.account_id}:parameter/{ctx.physical_name(resource)}"
        return ""  # Secrets Manager adds a random suffix; known after create

    def _key(self, ctx: ProviderContext, resource: Secret) -> str | None:
        if resource.kms_key is None:
            return None
        return resource.kms_key if resource.kms_key.startswith("arn:") else ctx.state_of("keys", resource.kms_key).arn

    def desired(self, ctx: ProviderContext, resource: Secret) -> dict[str, Any]:
        return {
            "store": resource.store,
            "value": ctx.resolve(resource.value),
            "kms_key": self._key(ctx, resource),
            "description": resource.description,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Secret) -> dict[str, Any] | None:
        name = ctx.physical_name(resource)
        if resource.store == "parameter-store":
            ssm = ctx.clients("ssm")
            try:
                parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
            except Exception as exc:
                if error_code(exc) == "ParameterNotFound":
                    return None
                raise
            found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
            meta = found[0] if found else {}
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList", [])
            key = meta.get("KeyId")
            return {
                "store": "parameter-store",
                "value": parameter["Value"],
                # SSM reports its default key by alias when none was given.
                "kms_key": None if key in (None, "alias/aws/ssm") else key,
                "description": meta.get("Description", "") or "",
                "tags": tags_dict(tags),
            }
        sm = ctx.clients("secretsmanager")
        try:
            described = sm.describe_secret(SecretId=name)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        if described.get("DeletedDate"):
            return None
        value = sm.get_secret_value(SecretId=name).get("SecretString", "")
        return {
            "store": "secrets-manager",
            "value": value,
            "kms_key": described.get("KmsKeyId"),
            "description": described.get("Description", "") or "",
            "tags": tags_dict(described.get("Tags")),
        }

    def create(self, ctx: ProviderContext, resource: Secret) -> ResourceState:
        name = ctx.physical_name(resource)
        key = self._key(ctx, resource)
        if resource.store == "parameter-store":
            kwargs: dict[str, Any] = {
                "Name": name,
                "Value": ctx.resolve(resource.value),
                "Type": "SecureString",
                "Overwrite": False,
            }
            if key:
                kwargs["KeyId"] = key
            if resource.description:
                kwargs["Description"] = resource.description
            if resource.tags:
                kwargs["Tags"] = tags_list(resource.tags)
            ctx.clients("ssm").put_parameter(**kwargs)
            return ResourceState(str(resource.address), name, self.arn(ctx, resource))
        request: dict[str, Any] = {"Name": name, "SecretString": ctx.resolve(resource.value)}
        if key:
            request["KmsKeyId"] = key
        if resource.description:
            request["Description"] = resource.description
        if resource.tags:
            request["Tags"] = tags_list(resource.tags)
        created = ctx.clients("secretsmanager").create_secret(**request)
        return ResourceState(str(resource.address), name, created["ARN"])

    def state(self, ctx: ProviderContext, resource: Secret) -> ResourceState:
        name = ctx.physical_name(resource)
        if resource.store == "parameter-store":
            return ResourceState(str(resource.address), name, self.arn(ctx, resource))
        arn = ctx.clients("secretsmanager").describe_secret(SecretId=name)["ARN"]
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: Secret, changed: frozenset[str]) -> ResourceState:
        # Replacing keeps one path for every field (store, key, value, tags); secrets are cheap to recreate.
        self.delete(ctx, resource)
        return self.create(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Secret) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names: list[str] = []
        for page in ctx.clients("secretsmanager").get_paginator("list_secrets").paginate():
            names.extend(s["Name"] for s in page.get("SecretList", []) if s["Name"].startswith(prefix))
        # Plain parameters under the prefix are the parameters' handler's to sweep.
        filters = [
            {"Key": "Name", "Option": "BeginsWith", "Values": [prefix]},
            {"Key": "Type", "Values": ["SecureString"]},
        ]
        for page in ctx.clients("ssm").get_paginator("describe_parameters").paginate(ParameterFilters=filters):
            names.extend(p["Name"] for p in page.get("Parameters", []))
        return sorted(set(names))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # The physical name alone does not say which store holds it; deleting from both is idempotent.
        try:
            ctx.clients("secretsmanager").delete_secret(SecretId=physical_id, ForceDeleteWithoutRecovery=True)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        try:
            ctx.clients("ssm").delete_parameter(Name=physical_id)
        except Exception as exc:
            if error_code(exc) != "ParameterNotFound":
                raise


HANDLER = SecretHandler()


# -- how the source formats spell a secret ---------------------------------------------------------------------

STAND_IN_VALUE = "pipewarden-stand-in-secret"
"""The value held where the source gives none (never a real secret)."""


def _secret_string(reader: Reader, props: Props, draft: Draft) -> Any:
    value = props.text("SecretString")
    if value:
        return str(value)
    if props.has("GenerateSecretString"):
        props.raw("GenerateSecretString")
        reader.note(f"{props.at('GenerateSecretString')}: a generated value; a fixed stand-in value is stored instead")
    else:
        reader.note(f"{props.path}: no SecretString; a fixed stand-in value is stored")
    return STAND_IN_VALUE


def _parameter_value(reader: Reader, props: Props, draft: Draft) -> Any:
    return props.text("value") or props.text("insecure_value") or MISSING


def _secure_string(values: Mapping[str, Any]) -> bool:
    """A planned ``aws_ssm_parameter`` is a secret when it is a SecureString (a plain one is a parameter)."""
    return values.get("type") == "SecureString"


def _secure_type(reader: Reader, value: Any, path: str) -> Any:
    return "parameter-store"


def _parameter_key(reader: Reader, value: Any, path: str) -> Any:
    if value == "alias/aws/ssm":  # SSM's own key is what no key means
        return MISSING
    return reader.reference(value, "keys", path) or MISSING


def _stand_in_value(reader: Reader, draft: Draft) -> None:
    if not draft.kwargs.get("value"):
        reader.note(f"{draft.origin}: no secret value in the {reader.noun}; a fixed stand-in value is stored")
        draft.kwargs["value"] = STAND_IN_VALUE


SCHEMAS = (
    Schema(
        Secret,
        fields=(
            Field("store", default="secrets-manager"),
            Field("value", cfn_read=_secret_string),
            Field("kms_key", cfn="KmsKeyId", tf="kms_key_id", read="ref", section="keys"),
            Field("description", cfn="Description", tf="description", default=""),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        # A secret's Ref and Terraform id are its ARN.
        cfn=Cfn("AWS::SecretsManager::Secret", ref="{arn}", attributes={"Id": "{arn}"}, name="Name"),
        tf=Tf(
            "aws_secretsmanager_secret",
            name="name",
            attributes={"id": "arn", "arn": "arn", "name": "name"},
            quiet={"recovery_window_in_days": 30, "force_overwrite_replica_secret": False},
            ignore=("name_prefix",),
        ),
        check=_stand_in_value,
    ),
    # CloudFormation cannot create SecureString parameters: AWS::SSM::Parameter is always a plain parameter.
    Schema(
        Secret,
        fields=(
            Field("store", tf="type", required=True, parse=_secure_type),
            Field("value", tf_read=_parameter_value),
            Field("kms_key", tf="key_id", parse=_parameter_key),
            Field("description", tf="description", default=""),
            Field("tags", tf="tags", read="tags"),
        ),
        # A parameter's Terraform id is its name.
        tf=Tf(
            "aws_ssm_parameter",
            name="name",
            attributes={"id": "name", "arn": "arn", "name": "name"},
            quiet={"tier": "Standard", "data_type": "text"},
            ignore=("version", "overwrite"),
            when=_secure_string,
        ),
        check=_stand_in_value,
    ),
)


def _fold_version(reader: Reader, props: Props, origin: Origin) -> None:
    name = reader.here(props.require("secret_id"), props.at("secret_id"), "secrets", "a secret")
    secret = reader.draft("secrets", name)
    value = props.text("secret_string")
    if props.has("secret_binary"):
        props.raw("secret_binary")
        reader.note(f"{props.at('secret_binary')}: binary secrets are held as a fixed stand-in text")
    if value and secret is not None:
        secret.kwargs["value"] = value
    props.ignore("version_id", "version_stages", "arn")


FOLDS = (Fold(_fold_version, tf="aws_secretsmanager_secret_version"),)


STAND_IN = StandIn(
    Secret,
    fields=lambda request: {"value": STAND_IN_VALUE},
    deployed="a secret holding a stand-in value",
    unknown=("value",),
    settable=("kms_key",),
)
