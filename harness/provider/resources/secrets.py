"""Build secrets: a Secrets Manager secret or an SSM SecureString parameter, and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
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
        filters = [{"Key": "Name", "Option": "BeginsWith", "Values": [prefix]}]
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
