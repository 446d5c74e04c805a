"""EventBridge rule on the default bus: the resource type (event pattern, targets) and its handler."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class EventTarget:
    """Where a rule sends matching events: an SNS topic or a CloudWatch Logs log group of the definition."""

    topic: Annotated[str, RefTo("topics")] | None = None
    log_group: Annotated[str, RefTo("log_groups")] | None = None

    def __post_init__(self) -> None:
        if (self.topic is None) == (self.log_group is None):
            raise ValueError("exactly one of 'topic' or 'log_group', found " + ("both" if self.topic else "neither")
                             + "; name one target per entry")  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventRule(Resource):
    """Routes matching events (e.g. CodeBuild or CodePipeline state changes) to topics and log groups."""

    SECTION: ClassVar[str] = "event_rules"
    KIND: ClassVar[str] = "EventBridge rule"

    pattern: JsonDoc = field(default_factory=dict)
    targets: tuple[EventTarget, ...] = ()
    description: str = ""
    enabled: bool = True
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.pattern:
            raise ValueError("an event pattern, found none; add pattern: {source: [...], detail-type: [...]}")


class EventRuleHandler(Handler[EventRule]):
    resource_type = EventRule
    sweep_order = 15

    def arn(self, ctx: ProviderContext, resource: EventRule) -> str:
        return f"arn:{ctx.partition}:events:{ctx.region}:{ctx.account_id}:rule/{ctx.physical_name(resource)}"

    def _targets(self, ctx: ProviderContext, resource: EventRule) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for index, target in enumerate(resource.targets):
            if target.topic:
                arn = ctx.state_of("topics", target.topic).arn
            else:
                group = ctx.state_of("log_groups", str(target.log_group)).physical_id
                arn = f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{group}"
            out.append({"Id": f"target-{index}", "Arn": arn})
        return out

    def desired(self, ctx: ProviderContext, resource: EventRule) -> dict[str, Any]:
        return {
            "pattern": json.loads(json.dumps(ctx.resolve(resource.pattern))),
            "state": "ENABLED" if resource.enabled else "DISABLED",
            "targets": sorted(t["Arn"] for t in self._targets(ctx, resource)),
            "description": resource.description,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: EventRule) -> dict[str, Any] | None:
        events = ctx.clients("events")
        name = ctx.physical_name(resource)
        try:
            rule = events.describe_rule(Name=name)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        tags = events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
        return {
            "pattern": json.loads(rule.get("EventPattern") or "{}"),
            "state": rule.get("State"),
            "targets": sorted(t["Arn"] for t in targets),
            "description": rule.get("Description", "") or "",
            "tags": tags_dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: EventRule) -> ResourceState:
        events = ctx.clients("events")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {
            "Name": name,
            "EventPattern": json.dumps(ctx.resolve(resource.pattern)),
            "State": "ENABLED" if resource.enabled else "DISABLED",
        }
        if resource.description:
            kwargs["Description"] = resource.description
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = events.put_rule(**kwargs)["RuleArn"]
        targets = self._targets(ctx, resource)
        if targets:
            events.put_targets(Rule=name, Targets=targets)
        return ResourceState(str(resource.address), name, arn)

    def update(self, ctx: ProviderContext, resource: EventRule, changed: frozenset[str]) -> ResourceState:
        events = ctx.clients("events")
        name = ctx.physical_name(resource)
        current = [t["Id"] for t in events.list_targets_by_rule(Rule=name).get("Targets", [])]
        if current:
            events.remove_targets(Rule=name, Ids=current)
        state = self.create(ctx, resource)  # PutRule updates a rule of the same name
        if "tags" in changed:
            tags = tags_dict(events.list_tags_for_resource(ResourceARN=state.arn).get("Tags", []))
            stale = [k for k in tags if k not in resource.tags]
            if stale:
                events.untag_resource(ResourceARN=state.arn, TagKeys=stale)
            if resource.tags:
                events.tag_resource(ResourceARN=state.arn, Tags=tags_list(resource.tags))
        return state

    def delete(self, ctx: ProviderContext, resource: EventRule) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        rules = ctx.clients("events").list_rules(NamePrefix=prefix).get("Rules", [])
        return [r["Name"] for r in rules]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        events = ctx.clients("events")
        try:
            targets = [t["Id"] for t in events.list_targets_by_rule(Rule=physical_id).get("Targets", [])]
            if targets:
                events.remove_targets(Rule=physical_id, Ids=targets)
            events.delete_rule(Name=physical_id)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise


HANDLER = EventRuleHandler()
