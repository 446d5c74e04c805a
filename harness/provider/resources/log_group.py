"""CloudWatch Logs log group: the resource type (retention, KMS key, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import Cfn, Field, Reader, Schema, StandIn, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code

# The values PutRetentionPolicy accepts (CloudWatch Logs API reference).
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@dataclass(frozen=True, slots=True)
class LogGroup(Resource):
    """A CloudWatch Logs log group for pipeline, build or trail logs."""

    SECTION: ClassVar[str] = "log_groups"
    KIND: ClassVar[str] = "log group"

    retention_days: int | None = None
    kms_key: Annotated[str, RefTo("keys")] | None = None
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if self.retention_days is not None and self.retention_days not in RETENTION_DAYS:
            raise ValueError(
                f"retention_days one of {', '.join(map(str, RETENTION_DAYS))}, found {self.retention_days}; "
                "pick the nearest allowed value"
            )


class LogGroupHandler(Handler[LogGroup]):
    resource_type = LogGroup
    sweep_order = 40

    def arn(self, ctx: ProviderContext, resource: LogGroup) -> str:
        return f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{ctx.physical_name(resource)}"

    def _key_arn(self, ctx: ProviderContext, resource: LogGroup) -> str | None:
        if resource.kms_key is None:
            return None
        return resource.kms_key if resource.kms_key.startswith("arn:") else ctx.state_of("keys", resource.kms_key).arn

    def desired(self, ctx: ProviderContext, resource: LogGroup) -> dict[str, Any]:
        return {
            "retention_days": resource.retention_days,
            "kms_key": self._key_arn(ctx, resource),
            "tags": dict(resource.tags),
        }

    def _describe(self, ctx: ProviderContext, name: str) -> dict[str, Any] | None:
        logs = ctx.clients("logs")
        for group in logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", []):
            if group["logGroupName"] == name:
                return dict(group)
        return None

    def read(self, ctx: ProviderContext, resource: LogGroup) -> dict[str, Any] | None:
        name = ctx.physical_name(resource)
        group = self._describe(ctx, name)
        if group is None:
            return None
        tags = ctx.clients("logs").list_tags_log_group(logGroupName=name).get("tags", {})
        return {
            "retention_days": group.get("retentionInDays"),
            "kms_key": group.get("kmsKeyId"),
            "tags": dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: LogGroup) -> ResourceState:
        logs = ctx.clients("logs")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"logGroupName": name}
        key = self._key_arn(ctx, resource)
        if key:
            kwargs["kmsKeyId"] = key
        if resource.tags:
            kwargs["tags"] = dict(resource.tags)
        logs.create_log_group(**kwargs)
        if resource.retention_days is not None:
            logs.put_retention_policy(logGroupName=name, retentionInDays=resource.retention_days)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: LogGroup, changed: frozenset[str]) -> ResourceState:
        logs = ctx.clients("logs")
        name = ctx.physical_name(resource)
        if "retention_days" in changed:
            if resource.retention_days is None:
                logs.delete_retention_policy(logGroupName=name)
            else:
                logs.put_retention_policy(logGroupName=name, retentionInDays=resource.retention_days)
        if "kms_key" in changed:
            key = self._key_arn(ctx, resource)
            if key:
                logs.associate_kms_key(logGroupName=name, kmsKeyId=key)
            else:
                logs.disassociate_kms_key(logGroupName=name)
        if "tags" in changed:
            current = logs.list_tags_log_group(logGroupName=name).get("tags", {})
            stale = [k for k in current if k not in resource.tags]
            if stale:
                logs.untag_log_group(logGroupName=name, tags=stale)
            if resource.tags:
                logs.tag_log_group(logGroupName=name, tags=dict(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: LogGroup) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        logs = ctx.clients("logs")
        names: list[str] = []
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            names.extend(g["logGroupName"] for g in page["logGroups"])
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("logs").delete_log_group(logGroupName=physical_id)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise


HANDLER = LogGroupHandler()


# -- how the source formats spell a log group ------------------------------------------------------------------


def _retention(reader: Reader, value: Any, path: str) -> Any:
    return value or None  # Terraform's 0 means never expire


SCHEMA = Schema(
    LogGroup,
    fields=(
        Field("retention_days", cfn="RetentionInDays", tf="retention_in_days", read="int", parse=_retention),
        Field("kms_key", cfn="KmsKeyId", tf="kms_key_id", read="ref", section="keys"),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    # A log group's Arn attribute ends in ':*'; the model's ARN does not.
    cfn=Cfn(
        "AWS::Logs::LogGroup",
        ref="{name}",
        attributes={"Arn": "{arn}:*"},
        name="LogGroupName",
        quiet={"LogGroupClass": "STANDARD"},
    ),
    tf=Tf(
        "aws_cloudwatch_log_group",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name"},
        quiet={"log_group_class": "STANDARD", "skip_destroy": False},
    ),
)


STAND_IN = StandIn(LogGroup, fields=lambda request: {}, deployed="a log group", settable=("retention_days", "kms_key"))
