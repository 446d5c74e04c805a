"""CloudWatch Logs metric filter: the resource type (pattern and metric transformation) and its handler."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import RefTo, Resource
from harness.model.schema import Cfn, Draft, Field, Props, Reader, Schema, Tf
from harness.provider.base import UNKNOWN, Handler, ProviderContext, ResourceState, error_code


@dataclass(frozen=True, slots=True)
class MetricFilter(Resource):
    """Turns matching log events of a log group into a CloudWatch metric.

    ``pattern`` uses the CloudWatch Logs filter pattern syntax; ``value`` is a number or a field reference
    (``$.field`` for JSON events, ``$name`` for space-delimited ones); ``default_value`` is published when an
    event does not match (AWS publishes nothing without it).
    """

    SECTION: ClassVar[str] = "metric_filters"
    KIND: ClassVar[str] = "metric filter"

    log_group: Annotated[str, RefTo("log_groups")] = ""
    pattern: str = ""
    metric_name: str = ""
    namespace: str = ""
    value: str = "1"
    default_value: float | None = None
    unit: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        for name in ("log_group", "metric_name", "namespace"):
            if not getattr(self, name):
                raise ValueError(f"'{name}' to be set, found it empty; add {name} to the metric filter")
        if self.dimensions and self.default_value is not None:
            # PutMetricFilter rejects dimensions together with a default value.
            raise ValueError("either dimensions or default_value, found both; CloudWatch Logs allows only one")


class MetricFilterHandler(Handler[MetricFilter]):
    resource_type = MetricFilter
    sweep_order = 35

    def _group(self, ctx: ProviderContext, resource: MetricFilter) -> str:
        return ctx.state_of("log_groups", resource.log_group).physical_id

    def arn(self, ctx: ProviderContext, resource: MetricFilter) -> str:
        return ""

    def _transformation(self, ctx: ProviderContext, resource: MetricFilter) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metricName": resource.metric_name,
            "metricNamespace": resource.namespace,
            "metricValue": resource.value,
        }
        if resource.default_value is not None:
            out["defaultValue"] = float(resource.default_value)
        if resource.unit:
            out["unit"] = resource.unit
        if resource.dimensions:
            out["dimensions"] = dict(resource.dimensions)
        return out

    def desired(self, ctx: ProviderContext, resource: MetricFilter) -> dict[str, Any]:
        return {
            "log_group": self._group(ctx, resource),
            "pattern": resource.pattern,
            "transformation": self._transformation(ctx, resource),
        }

    def _find(self, ctx: ProviderContext, group: str, name: str) -> dict[str, Any] | None:
        logs = ctx.clients("logs")
        try:
            found = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=name).get("metricFilters", [])
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        # PutMetricFilter replaces a filter of the same name in AWS; moto appends instead, so the latest wins.
        same = [dict(f) for f in found if f["filterName"] == name]
        return same[-1] if same else None

    def read(self, ctx: ProviderContext, resource: MetricFilter) -> dict[str, Any] | None:
        group = ctx.state.get(f"log_groups.{resource.log_group}")
        if group is None or group.physical_id == UNKNOWN:
            return None  # the log group is not there yet, so neither is its filter
        found = self._find(ctx, group.physical_id, ctx.physical_name(resource))
        if found is None:
            return None
        transformation = dict((found.get("metricTransformations") or [{}])[0])
        if "defaultValue" in transformation:
            transformation["defaultValue"] = float(transformation["defaultValue"])
        if not transformation.get("dimensions"):
            transformation.pop("dimensions", None)
        if transformation.get("unit") in (None, "", "None"):
            transformation.pop("unit", None)
        return {
            "log_group": found.get("logGroupName"),
            "pattern": found.get("filterPattern", ""),
            "transformation": transformation,
        }

    def create(self, ctx: ProviderContext, resource: MetricFilter) -> ResourceState:
        ctx.clients("logs").put_metric_filter(
            logGroupName=self._group(ctx, resource),
            filterName=ctx.physical_name(resource),
            filterPattern=resource.pattern,
            metricTransformations=[self._transformation(ctx, resource)],
        )
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: MetricFilter, changed: frozenset[str]) -> ResourceState:
        # PutMetricFilter replaces a filter of the same name; deleting first keeps emulators that append honest.
        self.delete(ctx, resource)
        return self.create(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: MetricFilter) -> None:
        group = ctx.state.get(f"log_groups.{resource.log_group}")
        name = ctx.physical_name(resource)
        group_name = group.physical_id if group else ctx.name_of("log_groups", resource.log_group)
        self.delete_physical(ctx, f"{group_name}|{name}")

    def state(self, ctx: ProviderContext, resource: MetricFilter) -> ResourceState:
        name = ctx.physical_name(resource)
        return ResourceState(str(resource.address), name, "", {"log_group": self._group(ctx, resource)})

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        logs = ctx.clients("logs")
        found: list[str] = []
        for page in logs.get_paginator("describe_metric_filters").paginate(filterNamePrefix=prefix):
            found.extend(f"{f['logGroupName']}|{f['filterName']}" for f in page.get("metricFilters", []))
        return found

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        group, _, name = physical_id.partition("|")
        # Delete until none is left: an emulator may hold several filters under one name.
        for _attempt in range(20):
            if self._find(ctx, group, name) is None:
                return
            try:
                ctx.clients("logs").delete_metric_filter(logGroupName=group, filterName=name)
            except Exception as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
                return


HANDLER = MetricFilterHandler()


# -- how the source formats spell a metric filter --------------------------------------------------------------


def _cfn_dimensions(reader: Reader, props: Props, draft: Draft) -> Any:
    first = props.block("MetricTransformations")
    if first is None:
        return {}
    return {str(p.text("Key", required=True)): str(p.text("Value", required=True)) for p in first.items("Dimensions")}


def _unit(reader: Reader, value: Any, path: str) -> Any:
    return None if value == "None" else value  # the provider's way of saying no unit


SCHEMA = Schema(
    MetricFilter,
    fields=(
        Field("log_group", cfn="LogGroupName", tf="log_group_name", read="ref", section="log_groups", arn_ok=False,
              required=True),
        Field("pattern", cfn="FilterPattern", tf="pattern", default=""),
        # Only the first transformation is modelled; CloudFormation allows one per filter anyway.
        Field("metric_name", cfn="MetricTransformations.MetricName", tf="metric_transformation.name", required=True),
        Field("namespace", cfn="MetricTransformations.MetricNamespace", tf="metric_transformation.namespace",
              required=True),
        Field("value", cfn="MetricTransformations.MetricValue", tf="metric_transformation.value", default="1"),
        Field("default_value", cfn="MetricTransformations.DefaultValue", tf="metric_transformation.default_value",
              read="number"),
        Field("unit", cfn="MetricTransformations.Unit", tf="metric_transformation.unit", parse=_unit),
        Field("dimensions", cfn_read=_cfn_dimensions, tf="metric_transformation.dimensions", read="map"),
    ),
    cfn=Cfn("AWS::Logs::MetricFilter", ref="{name}", name="FilterName"),
    tf=Tf("aws_cloudwatch_log_metric_filter", name="name", attributes={"id": "name", "name": "name"}),
)  # fmt: skip
