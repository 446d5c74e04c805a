"""SSM parameters that are not secrets: String and StringList configuration values, and their handler.

Pipelines keep ordinary configuration in Parameter Store (an image tag, a bucket name); those parameters are
stored as declared, in clear. A SecureString parameter is a secret and belongs to :mod:`secrets`.
CloudFormation cannot create SecureString parameters at all; a Terraform plan can, and its SecureString
parameters map onto secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.model.base import INTERPOLATION, Resource, Tags
from harness.model.schema import CLOUDFORMATION, Cfn, Draft, Field, Props, Reader, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

PLAIN_TYPES = ("String", "StringList")

STAND_IN = "pipewarden-stand-in-value"
"""The value held where the source gives none."""


@dataclass(frozen=True, slots=True)
class Parameter(Resource):
    """A String or StringList SSM parameter (``value`` as the account holds it; a StringList is comma-separated).

    ``allowed_pattern`` is the regular expression Parameter Store checks every value against.
    """

    SECTION: ClassVar[str] = "parameters"
    KIND: ClassVar[str] = "SSM parameter"

    value: str = ""
    type: Literal["String", "StringList"] = "String"
    description: str = ""
    allowed_pattern: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        kind: str = self.type  # harness YAML may give any text here
        if kind not in PLAIN_TYPES:
            fix = (
                "declare a SecureString under 'secrets' with store: parameter-store"
                if kind == "SecureString"
                else "use String or StringList"
            )
            raise ValueError(f"type String or StringList, found {kind!r}; {fix}")
        if not self.value:
            raise ValueError("a value for the parameter, found none; give its value")
        if self.allowed_pattern and not INTERPOLATION.search(self.value):
            try:
                matches = re.search(self.allowed_pattern, self.value) is not None
            except re.error:
                matches = True  # a pattern Python cannot read is Parameter Store's to judge
            if not matches:
                raise ValueError(
                    f"a value matching allowed_pattern {self.allowed_pattern!r}, found {self.value!r}; change the "
                    "value or the pattern"
                )


class ParameterHandler(Handler[Parameter]):
    resource_type = Parameter
    sweep_order = 60

    def arn(self, ctx: ProviderContext, resource: Parameter) -> str:
        return f"arn:{ctx.partition}:ssm:{ctx.region}:{ctx.account_id}:parameter/{ctx.physical_name(resource)}"

    def desired(self, ctx: ProviderContext, resource: Parameter) -> dict[str, Any]:
        return {
            "value": str(ctx.resolve(resource.value)),
            "type": resource.type,
            "description": resource.description,
            "allowed_pattern": resource.allowed_pattern,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Parameter) -> dict[str, Any] | None:
        ssm = ctx.clients("ssm")
        name = ctx.physical_name(resource)
        try:
            parameter = ssm.get_parameter(Name=name)["Parameter"]
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        meta = found[0] if found else {}
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList", [])
        return {
            "value": parameter["Value"],
            "type": parameter["Type"],
            "description": meta.get("Description", "") or "",
            "allowed_pattern": meta.get("AllowedPattern", "") or "",
            "tags": tags_dict(tags),
        }

    def _put(self, ctx: ProviderContext, resource: Parameter, overwrite: bool) -> None:
        kwargs: dict[str, Any] = {
            "Name": ctx.physical_name(resource),
            "Value": str(ctx.resolve(resource.value)),
            "Type": resource.type,
            "Overwrite": overwrite,
            "Description": resource.description,
        }
        if resource.allowed_pattern:
            kwargs["AllowedPattern"] = resource.allowed_pattern
        if resource.tags and not overwrite:  # PutParameter refuses tags together with Overwrite
            kwargs["Tags"] = tags_list(resource.tags)
        ctx.clients("ssm").put_parameter(**kwargs)

    def create(self, ctx: ProviderContext, resource: Parameter) -> ResourceState:
        self._put(ctx, resource, overwrite=False)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: Parameter, changed: frozenset[str]) -> ResourceState:
        ssm = ctx.clients("ssm")
        name = ctx.physical_name(resource)
        if changed & {"type", "allowed_pattern"}:
            # A pattern the current value breaks, or a new type, is simplest made afresh.
            self.delete(ctx, resource)
            return self.create(ctx, resource)
        if changed & {"value", "description"}:
            self._put(ctx, resource, overwrite=True)
        if "tags" in changed:
            current = tags_dict(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList"))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=stale)
            if resource.tags:
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Parameter) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        filters = [
            {"Key": "Name", "Option": "BeginsWith", "Values": [prefix]},
            {"Key": "Type", "Values": list(PLAIN_TYPES)},
        ]
        names: list[str] = []
        for page in ctx.clients("ssm").get_paginator("describe_parameters").paginate(ParameterFilters=filters):
            names.extend(p["Name"] for p in page.get("Parameters", []))
        return sorted(names)

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("ssm").delete_parameter(Name=physical_id)
        except Exception as exc:
            if error_code(exc) != "ParameterNotFound":
                raise


HANDLER = ParameterHandler()


# -- how the source formats spell a parameter ------------------------------------------------------------------


def _type(reader: Reader, value: Any, path: str) -> Any:
    if value == "SecureString" and reader.format == CLOUDFORMATION:
        reader.fail(
            path,
            "String or StringList (CloudFormation cannot create SecureString parameters)",
            repr(value),
            "keep the secret in an AWS::SecretsManager::Secret, or create the parameter outside the template and "
            "refer to it by name",
        )
    if value not in PLAIN_TYPES:
        reader.fail(path, "String or StringList", repr(value), "use String or StringList")
    return value


def _value(reader: Reader, props: Props, draft: Draft) -> Any:
    if reader.format == CLOUDFORMATION:
        value = props.text("Value")
    else:
        # The provider shows a parameter's value only when it is not marked sensitive (insecure_value never is).
        value = props.text("value") or props.text("insecure_value")
    if value:
        return str(value)
    reader.note(f"{draft.origin}: no value in the {reader.noun}; a fixed stand-in value is stored")
    return STAND_IN


SCHEMA = Schema(
    Parameter,
    fields=(
        Field("type", cfn="Type", tf="type", required=True, parse=_type),
        Field("value", cfn_read=_value, tf_read=_value),
        Field("description", cfn="Description", tf="description", default=""),
        Field("allowed_pattern", cfn="AllowedPattern", tf="allowed_pattern", default=""),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    # A parameter's Ref and Terraform id are its name.
    cfn=Cfn(
        "AWS::SSM::Parameter",
        ref="{name}",
        attributes={"Type": None, "Value": None},
        name="Name",
        quiet={"Tier": "Standard", "DataType": "text"},
    ),
    tf=Tf(
        "aws_ssm_parameter",
        name="name",
        attributes={"id": "name", "arn": "arn", "name": "name"},
        quiet={"tier": "Standard", "data_type": "text"},
        ignore=("version", "overwrite", "key_id"),
    ),
)
