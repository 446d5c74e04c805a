"""CloudWatch metric alarm: the resource type (metric, statistic, period, M of N, missing data, actions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, get_args

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import UNVERIFIED, Cfn, Draft, Field, Props, Reader, Schema, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, tags_dict, tags_list

Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
MissingData = Literal["missing", "notBreaching", "breaching", "ignore"]


@dataclass(frozen=True, slots=True)
class Alarm(Resource):
    """A CloudWatch alarm on one metric; ``alarm_actions`` name SNS topics of the definition (or ARNs)."""

    SECTION: ClassVar[str] = "alarms"
    KIND: ClassVar[str] = "alarm"

    metric_name: str = ""
    namespace: str = ""
    statistic: str = "Sum"
    period: int = 300
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    threshold: float = 1.0
    comparison: Comparison = "GreaterThanOrEqualToThreshold"
    treat_missing_data: MissingData = "missing"
    dimensions: Mapping[str, str] = field(default_factory=dict)
    alarm_actions: tuple[Annotated[str, RefTo("topics")], ...] = ()
    ok_actions: tuple[Annotated[str, RefTo("topics")], ...] = ()
    insufficient_data_actions: tuple[Annotated[str, RefTo("topics")], ...] = ()
    description: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        for name in ("metric_name", "namespace"):
            if not getattr(self, name):
                raise ValueError(f"'{name}' to be set, found it empty; add {name} to the alarm")
        if (
            self.period < 10
            or (self.period >= 60 and self.period % 60)
            or (self.period < 60 and self.period not in (10, 20, 30))
        ):
            raise ValueError(
                f"a period of 10, 20, 30 or a multiple of 60 seconds, found {self.period}; "
                "CloudWatch accepts only those"
            )
        if self.evaluation_periods < 1:
            raise ValueError(f"evaluation_periods of at least 1, found {self.evaluation_periods}; use 1 or more")
        m = self.datapoints_to_alarm
        if m is not None and not 1 <= m <= self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm between 1 and evaluation_periods ({self.evaluation_periods}), found {m}; "
                "M of N needs M <= N"
            )


class AlarmHandler(Handler[Alarm]):
    resource_type = Alarm
    sweep_order = 25

    def arn(self, ctx: ProviderContext, resource: Alarm) -> str:
        return f"arn:{ctx.partition}:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:{ctx.physical_name(resource)}"

    def _actions(self, ctx: ProviderContext, refs: tuple[str, ...]) -> list[str]:
        return sorted(r if r.startswith("arn:") else ctx.state_of("topics", r).arn for r in refs)

    def _request(self, ctx: ProviderContext, resource: Alarm) -> dict[str, Any]:
        request: dict[str, Any] = {
            "AlarmName": ctx.physical_name(resource),
            "MetricName": resource.metric_name,
            "Namespace": resource.namespace,
            "Statistic": resource.statistic,
            "Period": resource.period,
            "EvaluationPeriods": resource.evaluation_periods,
            "Threshold": float(resource.threshold),
            "ComparisonOperator": resource.comparison,
            "TreatMissingData": resource.treat_missing_data,
            "Dimensions": [{"Name": k, "Value": ctx.resolve(v)} for k, v in sorted(resource.dimensions.items())],
            "AlarmActions": self._actions(ctx, resource.alarm_actions),
            "OKActions": self._actions(ctx, resource.ok_actions),
            "InsufficientDataActions": self._actions(ctx, resource.insufficient_data_actions),
            "ActionsEnabled": True,
        }
        if resource.datapoints_to_alarm is not None:
            request["DatapointsToAlarm"] = resource.datapoints_to_alarm
        if resource.description:
            request["AlarmDescription"] = resource.description
        return request

    @staticmethod
    def _comparable(alarm: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
        return {
            "metric": [alarm.get("Namespace"), alarm.get("MetricName"), alarm.get("Statistic")],
            "period": alarm.get("Period"),
            "evaluation_periods": alarm.get("EvaluationPeriods"),
            "datapoints_to_alarm": alarm.get("DatapointsToAlarm"),
            "threshold": float(alarm.get("Threshold", 0.0)),
            "comparison": alarm.get("ComparisonOperator"),
            "treat_missing_data": alarm.get("TreatMissingData", "missing"),
            "dimensions": sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])),
            "actions": [
                sorted(alarm.get("AlarmActions", [])),
                sorted(alarm.get("OKActions", [])),
                sorted(alarm.get("InsufficientDataActions", [])),
            ],
            "description": alarm.get("AlarmDescription", "") or "",
            "tags": tags,
        }

    def desired(self, ctx: ProviderContext, resource: Alarm) -> dict[str, Any]:
        return self._comparable(self._request(ctx, resource), dict(resource.tags))

    def read(self, ctx: ProviderContext, resource: Alarm) -> dict[str, Any] | None:
        cloudwatch = ctx.clients("cloudwatch")
        found = cloudwatch.describe_alarms(AlarmNames=[ctx.physical_name(resource)]).get("MetricAlarms", [])
        if not found:
            return None
        tags = cloudwatch.list_tags_for_resource(ResourceARN=self.arn(ctx, resource)).get("Tags", [])
        return self._comparable(found[0], tags_dict(tags))

    def create(self, ctx: ProviderContext, resource: Alarm) -> ResourceState:
        request = self._request(ctx, resource)
        if resource.tags:
            request["Tags"] = tags_list(resource.tags)
        ctx.clients("cloudwatch").put_metric_alarm(**request)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: Alarm, changed: frozenset[str]) -> ResourceState:
        # PutMetricAlarm replaces the alarm's configuration; tags are only applied on creation.
        cloudwatch = ctx.clients("cloudwatch")
        cloudwatch.put_metric_alarm(**self._request(ctx, resource))
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            current = tags_dict(cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags", []))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                cloudwatch.untag_resource(ResourceARN=arn, TagKeys=stale)
            if resource.tags:
                cloudwatch.tag_resource(ResourceARN=arn, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Alarm) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        cloudwatch = ctx.clients("cloudwatch")
        names: list[str] = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix):
            names.extend(a["AlarmName"] for a in page.get("MetricAlarms", []))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # DeleteAlarms ignores names that do not exist.
        ctx.clients("cloudwatch").delete_alarms(AlarmNames=[physical_id])


HANDLER = AlarmHandler()


# -- how the source formats spell an alarm ---------------------------------------------------------------------


def _cfn_dimensions(reader: Reader, props: Props, draft: Draft) -> Any:
    return {str(p.text("Name", required=True)): str(p.text("Value", required=True)) for p in props.items("Dimensions")}


def _metric_math(reader: Reader, draft: Draft, props: Props) -> None:
    if props.has("Metrics"):
        props.raw("Metrics")
        reader.note(f"{props.at('Metrics')}: metric math alarms are {UNVERIFIED.split(';')[0]}")


SCHEMA = Schema(
    Alarm,
    fields=(
        Field("metric_name", cfn="MetricName", tf="metric_name", default=""),
        Field("namespace", cfn="Namespace", tf="namespace", default=""),
        Field("statistic", cfn="Statistic", tf="statistic", default="Sum"),
        Field("period", cfn="Period", tf="period", read="int", default=300),
        Field("evaluation_periods", cfn="EvaluationPeriods", tf="evaluation_periods", read="int", required=True),
        Field("datapoints_to_alarm", cfn="DatapointsToAlarm", tf="datapoints_to_alarm", read="int"),
        Field("threshold", cfn="Threshold", tf="threshold", read="number", default=1.0),
        Field("comparison", cfn="ComparisonOperator", tf="comparison_operator", required=True,
              choices=get_args(Comparison)),
        Field("treat_missing_data", cfn="TreatMissingData", tf="treat_missing_data", default="missing",
              choices=get_args(MissingData)),
        Field("dimensions", cfn_read=_cfn_dimensions, tf="dimensions", read="map"),
        Field("alarm_actions", cfn="AlarmActions", tf="alarm_actions", read="refs", section="topics"),
        Field("ok_actions", cfn="OKActions", tf="ok_actions", read="refs", section="topics"),
        Field("insufficient_data_actions", cfn="InsufficientDataActions", tf="insufficient_data_actions",
              read="refs", section="topics"),
        Field("description", cfn="AlarmDescription", tf="alarm_description", default=""),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::CloudWatch::Alarm", ref="{name}", attributes={"Arn": "{arn}"}, name="AlarmName",
            quiet={"ActionsEnabled": True}, finish=_metric_math),
    tf=Tf("aws_cloudwatch_metric_alarm", name="alarm_name",
          attributes={"arn": "arn", "id": "name", "alarm_name": "name"},
          quiet={"actions_enabled": True, "treat_missing_data": "missing"}),
)  # fmt: skip
