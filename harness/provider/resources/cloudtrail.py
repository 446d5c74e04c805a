"""CloudTrail trail: the resource type (bucket, prefix, Logs, KMS, validation, selectors, logging) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import CLOUDFORMATION, MISSING, Cfn, Draft, Field, Props, Reader, Schema, Tf, describe
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

ManagementEvents = Literal["All", "ReadOnly", "WriteOnly", "none"]

S3_OBJECT = "AWS::S3::Object"


@dataclass(frozen=True, slots=True)
class Trail(Resource):
    """A CloudTrail trail: where the account's API activity is delivered, and how it is protected.

    ``data_events`` lists S3 object ARN prefixes whose object-level calls are recorded as data events, e.g.
    ``${buckets.source.arn}/`` (every object of a bucket) or ``arn:aws:s3`` (every bucket).
    ``management_events`` selects management events by read/write type; ``none`` records none.
    """

    SECTION: ClassVar[str] = "trails"
    KIND: ClassVar[str] = "trail"

    bucket: Annotated[str, RefTo("buckets")]
    s3_key_prefix: str = ""
    log_group: Annotated[str, RefTo("log_groups")] | None = None
    cloudwatch_role: Annotated[str, RefTo("roles")] | None = None
    kms_key: Annotated[str, RefTo("keys")] | None = None
    log_file_validation: bool = True
    multi_region: bool = False
    include_global_events: bool = True
    management_events: ManagementEvents = "All"
    data_events: tuple[str, ...] = ()
    logging: bool = True
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if (self.log_group is None) != (self.cloudwatch_role is None):
            raise ValueError(
                "both 'log_group' and 'cloudwatch_role' or neither, found only "
                + ("'log_group'" if self.log_group else "'cloudwatch_role'")
                + "; CloudTrail writes to CloudWatch Logs with a role it assumes, so give both"
            )
        if self.multi_region and not self.include_global_events:
            raise ValueError(
                "include_global_events true for a multi-region trail, found false; "
                "CloudTrail requires global service events on multi-region trails"
            )
        for prefix in self.data_events:
            if not (prefix.startswith("arn:") or prefix.startswith("${")):
                raise ValueError(
                    f"an S3 object ARN prefix in data_events, found {prefix!r}; "
                    "write e.g. '${buckets.source.arn}/' or 'arn:aws:s3' for every bucket"
                )
        if self.s3_key_prefix.startswith("/") or self.s3_key_prefix.endswith("/"):
            raise ValueError(
                f"an s3_key_prefix without leading or trailing '/', found {self.s3_key_prefix!r}; drop the slashes"
            )


def event_selectors(management: str, data_prefixes: list[str]) -> list[dict[str, Any]]:
    """The basic event selector CloudTrail's PutEventSelectors takes for a read/write type and data prefixes."""
    selector: dict[str, Any] = {
        "ReadWriteType": "All" if management == "none" else management,
        "IncludeManagementEvents": management != "none",
        "DataResources": [{"Type": S3_OBJECT, "Values": sorted(data_prefixes)}] if data_prefixes else [],
    }
    return [selector]


def selectors_summary(selectors: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The (management read/write type, sorted S3 object prefixes) that basic event selectors select.

    A trail without selectors logs every management event (AWS's default selector).
    """
    if not selectors:
        return "All", []
    management = "none"
    prefixes: set[str] = set()
    for selector in selectors:
        if selector.get("IncludeManagementEvents", True):
            kind = str(selector.get("ReadWriteType", "All"))
            management = kind if management in ("none", kind) else "All"
        for resource in selector.get("DataResources", []) or []:
            if resource.get("Type") == S3_OBJECT:
                prefixes.update(resource.get("Values", []))
    return management, sorted(prefixes)


class TrailHandler(Handler[Trail]):
    resource_type = Trail
    # Trails go before the buckets, log groups, roles and keys they deliver through.
    sweep_order = 30

    def arn(self, ctx: ProviderContext, resource: Trail) -> str:
        return f"arn:{ctx.partition}:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{ctx.physical_name(resource)}"

    def _ref_arn(self, ctx: ProviderContext, section: str, ref: str | None) -> str | None:
        if ref is None:
            return None
        return ref if ref.startswith("arn:") else ctx.state_of(section, ref).arn

    def _log_group_arn(self, ctx: ProviderContext, resource: Trail) -> str | None:
        arn = self._ref_arn(ctx, "log_groups", resource.log_group)
        # CloudTrail takes the log group ARN with its ':*' suffix (as DescribeLogGroups returns it).
        return None if arn is None else (arn if arn.endswith(":*") else f"{arn}:*")

    def _bucket_name(self, ctx: ProviderContext, resource: Trail) -> str:
        if resource.bucket.startswith("arn:"):
            return resource.bucket.split(":::", 1)[1]
        return ctx.state_of("buckets", resource.bucket).physical_id

    def desired(self, ctx: ProviderContext, resource: Trail) -> dict[str, Any]:
        return {
            "bucket": self._bucket_name(ctx, resource),
            "s3_key_prefix": resource.s3_key_prefix,
            "log_group": self._log_group_arn(ctx, resource),
            "cloudwatch_role": self._ref_arn(ctx, "roles", resource.cloudwatch_role),
            "kms_key": self._ref_arn(ctx, "keys", resource.kms_key),
            "log_file_validation": resource.log_file_validation,
            "multi_region": resource.multi_region,
            "include_global_events": resource.include_global_events,
            "management_events": resource.management_events,
            "data_events": sorted(ctx.resolve(list(resource.data_events))),
            "logging": resource.logging,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Trail) -> dict[str, Any] | None:
        cloudtrail = ctx.clients("cloudtrail")
        name = ctx.physical_name(resource)
        try:
            trail = cloudtrail.get_trail(Name=name)["Trail"]
        except Exception as exc:
            if error_code(exc) == "TrailNotFoundException":
                return None
            raise
        status = cloudtrail.get_trail_status(Name=name)
        selectors = cloudtrail.get_event_selectors(TrailName=name).get("EventSelectors", [])
        management, prefixes = selectors_summary(selectors)
        tag_lists = cloudtrail.list_tags(ResourceIdList=[trail["TrailARN"]]).get("ResourceTagList", [])
        return {
            "bucket": trail.get("S3BucketName"),
            "s3_key_prefix": trail.get("S3KeyPrefix") or "",
            "log_group": trail.get("CloudWatchLogsLogGroupArn") or None,
            "cloudwatch_role": trail.get("CloudWatchLogsRoleArn") or None,
            "kms_key": trail.get("KmsKeyId") or None,
            "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "multi_region": bool(trail.get("IsMultiRegionTrail")),
            "include_global_events": bool(trail.get("IncludeGlobalServiceEvents")),
            "management_events": management,
            "data_events": prefixes,
            "logging": bool(status.get("IsLogging")),
            "tags": tags_dict(tag_lists[0].get("TagsList", []) if tag_lists else []),
        }

    def _trail_kwargs(self, ctx: ProviderContext, resource: Trail) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "Name": ctx.physical_name(resource),
            "S3BucketName": self._bucket_name(ctx, resource),
            "IncludeGlobalServiceEvents": resource.include_global_events,
            "IsMultiRegionTrail": resource.multi_region,
            "EnableLogFileValidation": resource.log_file_validation,
        }
        if resource.s3_key_prefix:
            kwargs["S3KeyPrefix"] = resource.s3_key_prefix
        group = self._log_group_arn(ctx, resource)
        if group:
            kwargs["CloudWatchLogsLogGroupArn"] = group
            kwargs["CloudWatchLogsRoleArn"] = self._ref_arn(ctx, "roles", resource.cloudwatch_role)
        key = self._ref_arn(ctx, "keys", resource.kms_key)
        if key:
            kwargs["KmsKeyId"] = key
        return kwargs

    def create(self, ctx: ProviderContext, resource: Trail) -> ResourceState:
        cloudtrail = ctx.clients("cloudtrail")
        kwargs = self._trail_kwargs(ctx, resource)
        if resource.tags:
            kwargs["TagsList"] = tags_list(resource.tags)
        arn = cloudtrail.create_trail(**kwargs)["TrailARN"]
        name = ctx.physical_name(resource)
        cloudtrail.put_event_selectors(
            TrailName=name,
            EventSelectors=event_selectors(resource.management_events, ctx.resolve(list(resource.data_events))),
        )
        # A new trail does not log until StartLogging (the console does it for you; the API does not).
        if resource.logging:
            cloudtrail.start_logging(Name=name)
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: Trail, changed: frozenset[str]) -> ResourceState:
        cloudtrail = ctx.clients("cloudtrail")
        name = ctx.physical_name(resource)
        config_fields = {
            "bucket",
            "s3_key_prefix",
            "log_group",
            "cloudwatch_role",
            "kms_key",
            "log_file_validation",
            "multi_region",
            "include_global_events",
        }
        if changed & config_fields:
            kwargs = self._trail_kwargs(ctx, resource)
            # UpdateTrail leaves out what is not given; an empty string clears the prefix, the Logs settings and
            # the KMS key.
            kwargs.setdefault("S3KeyPrefix", "")
            kwargs.setdefault("CloudWatchLogsLogGroupArn", "")
            kwargs.setdefault("CloudWatchLogsRoleArn", "")
            kwargs.setdefault("KmsKeyId", "")
            cloudtrail.update_trail(**kwargs)
        if changed & {"management_events", "data_events"}:
            cloudtrail.put_event_selectors(
                TrailName=name,
                EventSelectors=event_selectors(resource.management_events, ctx.resolve(list(resource.data_events))),
            )
        if "logging" in changed:
            (cloudtrail.start_logging if resource.logging else cloudtrail.stop_logging)(Name=name)
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            tag_lists = cloudtrail.list_tags(ResourceIdList=[arn]).get("ResourceTagList", [])
            current = tags_dict(tag_lists[0].get("TagsList", []) if tag_lists else [])
            stale = {k: v for k, v in current.items() if k not in resource.tags}
            if stale:
                cloudtrail.remove_tags(ResourceId=arn, TagsList=tags_list(stale))
            if resource.tags:
                cloudtrail.add_tags(ResourceId=arn, TagsList=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Trail) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        trails = ctx.clients("cloudtrail").list_trails().get("Trails", [])
        return sorted({t["Name"] for t in trails if t["Name"].startswith(prefix) and t["HomeRegion"] == ctx.region})

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("cloudtrail").delete_trail(Name=physical_id)
        except Exception as exc:
            if error_code(exc) != "TrailNotFoundException":
                raise


HANDLER = TrailHandler()


# -- how the source formats spell a trail ----------------------------------------------------------------------

_SELECTOR_KEYS = {
    CLOUDFORMATION: (
        "EventSelectors", "ReadWriteType", "IncludeManagementEvents", "DataResources", "Type", "Values"
    ),
    "terraform": ("event_selector", "read_write_type", "include_management_events", "data_resource", "type", "values"),
}  # fmt: skip


def _selectors(reader: Reader, props: Props, draft: Draft) -> Any:
    """Management and S3 data events of the first event selector (the only one modelled)."""
    key, rw, include, data_key, kind, values = _SELECTOR_KEYS[reader.format]
    selectors = props.items(key)
    if not selectors:
        return MISSING
    first = selectors[0]
    management = first.text(rw, "All") if first.flag(include, True) else "none"
    if management not in ("All", "ReadOnly", "WriteOnly", "none"):
        reader.fail(first.at(rw), "All, ReadOnly or WriteOnly", repr(management), "use one")
    data: list[str] = []
    for resource in first.items(data_key):
        if resource.text(kind, required=True) == "AWS::S3::Object":
            data.extend(resource.strings(values))
        else:
            reader.note(f"{resource.path}: {resource.text(kind)} data events are not modelled")
            resource.ignore(values)
    first.ignore("exclude_management_event_sources")
    for extra in selectors[1:]:
        reader.note(f"{extra.path}: only the first event selector is modelled")
        extra.ignore(*extra.values)
    draft.kwargs["data_events"] = tuple(data)
    return management


def _bucket(reader: Reader, draft: Draft, props: Props) -> None:
    if not draft.kwargs.get("bucket"):
        key = "S3BucketName" if reader.format == CLOUDFORMATION else "s3_bucket_name"
        cfn = reader.format == CLOUDFORMATION
        reader.fail(
            props.at(key),
            f"a bucket of this {reader.noun}" + (" (!Ref Bucket)" if cfn else ""),
            describe(props.values.get(key)),
            "declare the trail bucket in the template" if cfn else "declare the bucket",
        )


SCHEMA = Schema(
    Trail,
    fields=(
        Field("bucket", cfn="S3BucketName", tf="s3_bucket_name", read="ref", section="buckets", arn_ok=False,
              required=True),
        Field("s3_key_prefix", cfn="S3KeyPrefix", tf="s3_key_prefix", default=""),
        Field("log_group", cfn="CloudWatchLogsLogGroupArn", tf="cloud_watch_logs_group_arn", read="ref",
              section="log_groups", arn_ok=False),
        Field("cloudwatch_role", cfn="CloudWatchLogsRoleArn", tf="cloud_watch_logs_role_arn", read="ref",
              section="roles"),
        Field("kms_key", cfn="KMSKeyId", tf="kms_key_id", read="ref", section="keys"),
        # CloudFormation and Terraform leave log file validation and multi-region off unless asked.
        Field("log_file_validation", cfn="EnableLogFileValidation", tf="enable_log_file_validation", read="flag",
              default=False),
        Field("multi_region", cfn="IsMultiRegionTrail", tf="is_multi_region_trail", read="flag", default=False),
        Field("include_global_events", cfn="IncludeGlobalServiceEvents", tf="include_global_service_events",
              read="flag", default=True),
        Field("logging", cfn="IsLogging", tf="enable_logging", read="flag", default=True),
        Field("management_events", cfn_read=_selectors, tf_read=_selectors),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::CloudTrail::Trail", ref="{name}", attributes={"Arn": "{arn}", "SnsTopicArn": None},
            name="TrailName", finish=_bucket),
    tf=Tf("aws_cloudtrail", name="name", attributes={"arn": "arn", "id": "name", "name": "name"},
          ignore=("home_region",), finish=_bucket),
)  # fmt: skip
