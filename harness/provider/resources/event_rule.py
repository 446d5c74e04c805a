"""EventBridge rule on the default bus: the resource type (event pattern or schedule, targets and the roles they are
called with) and its handler."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import INTERPOLATION, JsonDoc, RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Fold,
    Origin,
    Props,
    Reader,
    Schema,
    Tf,
    attached,
    describe,
    ref_parts,
)
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

# The target kinds the model names, by the section of the resource they refer to.
TARGET_SECTIONS = {
    "topic": "topics",
    "log_group": "log_groups",
    "pipeline": "pipelines",
    "build_project": "build_projects",
    "function": "functions",
}
# Targets EventBridge calls only with a role it assumes (PutTargets refuses them without RoleArn).
_NEEDS_ROLE = ("pipeline", "build_project")


@dataclass(frozen=True, slots=True)
class InputTransformer:
    """What a rule sends instead of the event: ``template`` with ``<name>`` filled from the event's ``paths``."""

    template: str
    paths: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventTarget:
    """Where a rule sends matching events: exactly one of a topic, log group, pipeline, build project or function of
    the definition, or any other target by ``arn`` (an SQS queue, another account's bus).

    Attributes:
        role: the role EventBridge assumes to call the target; starting a pipeline or a build needs one, allowed
            ``codepipeline:StartPipelineExecution`` or ``codebuild:StartBuild`` on it.
        id: the target's id in the rule (``target-<n>`` when not given).
        input: a constant JSON text sent instead of the event.
        input_path: the part of the event sent (a JSONPath such as ``$.detail``).
        input_transformer: the event rewritten through a template.
    """

    topic: Annotated[str, RefTo("topics")] | None = None
    log_group: Annotated[str, RefTo("log_groups")] | None = None
    pipeline: Annotated[str, RefTo("pipelines")] | None = None
    build_project: Annotated[str, RefTo("build_projects")] | None = None
    function: Annotated[str, RefTo("functions")] | None = None
    arn: str | None = None
    role: Annotated[str, RefTo("roles")] | None = None
    id: str = ""
    input: str = ""
    input_path: str = ""
    input_transformer: InputTransformer | None = None

    def __post_init__(self) -> None:
        given = [k for k in (*TARGET_SECTIONS, "arn") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "exactly one of 'topic', 'log_group', 'pipeline', 'build_project', 'function' or 'arn', found "
                + (", ".join(repr(k) for k in given) if given else "none")
                + "; name one target per entry"
            )
        if given[0] in _NEEDS_ROLE and self.role is None:
            raise ValueError(
                f"a role that EventBridge assumes to call the {given[0].replace('_', ' ')}, found none; add role "
                "(EventBridge refuses such a target without one)"
            )
        if self.id and not re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", self.id):
            raise ValueError(f"a target id of letters, digits, '.', '-' or '_' (at most 64), found {self.id!r}")
        if sum(1 for v in (self.input, self.input_path, self.input_transformer) if v) > 1:
            raise ValueError("at most one of 'input', 'input_path' or 'input_transformer', found several; keep one")

    @property
    def kind(self) -> str:
        """``topic``, ``log_group``, ``pipeline``, ``build_project``, ``function`` or ``arn``."""
        return next(k for k in (*TARGET_SECTIONS, "arn") if getattr(self, k) is not None)


@dataclass(frozen=True, slots=True)
class EventRule(Resource):
    """Routes matching events (e.g. CodeBuild or CodePipeline state changes, CodeCommit pushes), or fires on a
    schedule, to topics, log groups, pipelines, builds and functions."""

    SECTION: ClassVar[str] = "event_rules"
    KIND: ClassVar[str] = "EventBridge rule"

    pattern: JsonDoc = field(default_factory=dict)
    schedule: str = ""
    targets: tuple[EventTarget, ...] = ()
    description: str = ""
    enabled: bool = True
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.pattern and not self.schedule:
            raise ValueError(
                "an event pattern or a schedule, found neither; add pattern: {source: [...], detail-type: [...]} "
                "or schedule: rate(1 day)"
            )
        if self.schedule and not re.fullmatch(r"(rate|cron)\(.+\)", self.schedule):
            raise ValueError(f"a schedule such as rate(5 minutes) or cron(0 12 * * ? *), found {self.schedule!r}")
        ids = [t.id or f"target-{i}" for i, t in enumerate(self.targets)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"unique target ids, found {ids}; give each target its own id")


class EventRuleHandler(Handler[EventRule]):
    resource_type = EventRule
    sweep_order = 15

    def arn(self, ctx: ProviderContext, resource: EventRule) -> str:
        return f"arn:{ctx.partition}:events:{ctx.region}:{ctx.account_id}:rule/{ctx.physical_name(resource)}"

    def _target_arn(self, ctx: ProviderContext, target: EventTarget) -> str:
        kind = target.kind
        if kind == "arn":
            return str(ctx.resolve(target.arn))
        name = str(getattr(target, kind))
        if name.startswith("arn:"):
            return name
        state = ctx.state_of(TARGET_SECTIONS[kind], name)
        if kind == "log_group":
            return f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{state.physical_id}"
        return state.arn

    def _targets(self, ctx: ProviderContext, resource: EventRule) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for index, target in enumerate(resource.targets):
            entry: dict[str, Any] = {"Id": target.id or f"target-{index}", "Arn": self._target_arn(ctx, target)}
            if target.role:
                entry["RoleArn"] = (
                    target.role if target.role.startswith("arn:") else ctx.state_of("roles", target.role).arn
                )
            if target.input:
                entry["Input"] = str(ctx.resolve(target.input))
            if target.input_path:
                entry["InputPath"] = target.input_path
            if target.input_transformer:
                entry["InputTransformer"] = {
                    "InputPathsMap": dict(target.input_transformer.paths),
                    "InputTemplate": str(ctx.resolve(target.input_transformer.template)),
                }
            out.append(entry)
        return out

    @staticmethod
    def _comparable_targets(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer")
        return sorted(({k: t[k] for k in keys if t.get(k)} for t in targets), key=lambda t: str(t["Id"]))

    def desired(self, ctx: ProviderContext, resource: EventRule) -> dict[str, Any]:
        return {
            "pattern": json.loads(json.dumps(ctx.resolve(resource.pattern))) if resource.pattern else None,
            "schedule": resource.schedule or None,
            "state": "ENABLED" if resource.enabled else "DISABLED",
            "targets": self._comparable_targets(self._targets(ctx, resource)),
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
            "pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
            "schedule": rule.get("ScheduleExpression") or None,
            "state": rule.get("State"),
            "targets": self._comparable_targets(targets),
            "description": rule.get("Description", "") or "",
            "tags": tags_dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: EventRule) -> ResourceState:
        events = ctx.clients("events")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"Name": name, "State": "ENABLED" if resource.enabled else "DISABLED"}
        if resource.pattern:
            kwargs["EventPattern"] = json.dumps(ctx.resolve(resource.pattern))
        if resource.schedule:
            kwargs["ScheduleExpression"] = resource.schedule
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


# -- how the source formats spell a rule and its targets -------------------------------------------------------

# The service in an ARN of each kind of target (``arn:aws:codepipeline:...``).
_SERVICES = {"topics": "sns", "log_groups": "logs", "pipelines": "codepipeline", "build_projects": "codebuild",
             "functions": "lambda"}  # fmt: skip
_KINDS = {section: kind for kind, section in TARGET_SECTIONS.items()}


def target_of(reader: Reader, value: Any) -> tuple[str, str] | None:
    """The target kind and the declared resource an ARN names: a reference (``!GetAtt Fn.Arn``,
    ``aws_lambda_function.f.arn``), or an ARN built around one (``arn:aws:codepipeline:REGION:ACCOUNT:${Pipeline}``),
    or a physical name the plan spells out. None when it names nothing of the definition.
    """
    for section in _KINDS:
        parts = ref_parts(reader.spelled(value, section))
        if parts is not None and parts[0] == section:
            return _KINDS[section], parts[1]
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    named = [(m.group(1), m.group(2)) for m in INTERPOLATION.finditer(value) if m.group(2) is not None]
    service = value.split(":")[2] if value.count(":") >= 5 else ""
    if len(named) == 1 and named[0][0] in _KINDS and _SERVICES[named[0][0]] == service:
        return _KINDS[named[0][0]], named[0][1]
    return None


def _target(reader: Reader, props: Props, path: str, keys: Mapping[str, str]) -> EventTarget:
    """One target from its properties; ``keys`` are the format's spellings of id, arn, role, input, path and the
    transformer's template and paths."""
    arn = props.require(keys["arn"])
    found = target_of(reader, arn)
    kwargs: dict[str, Any] = {}
    if found is not None:
        kwargs[found[0]] = found[1]
    else:
        kwargs["arn"] = str(arn)
        reader.note(f"{props.at(keys['arn'])}: sends events to {describe(arn)}, outside the definition; {UNVERIFIED}")
    if props.has(keys["role"]):
        role = reader.reference(props.raw(keys["role"]), "roles", props.at(keys["role"]))
        if role is not None:
            kwargs["role"] = role
    target_id = props.text(keys["id"])
    if target_id:
        kwargs["id"] = target_id
    kwargs["input"] = props.text(keys["input"], "")
    kwargs["input_path"] = props.text(keys["input_path"], "")
    transformer = props.block(keys["transformer"])
    if transformer is not None:
        kwargs["input_transformer"] = reader.make(
            InputTransformer,
            transformer.path,
            None,
            template=transformer.text(keys["template"], required=True),
            paths={str(k): str(v) for k, v in transformer.mapping(keys["paths"]).items()},
        )
    return reader.make(EventTarget, path, None, **kwargs)


_CFN_TARGET = {"id": "Id", "arn": "Arn", "role": "RoleArn", "input": "Input", "input_path": "InputPath",
               "transformer": "InputTransformer", "template": "InputTemplate", "paths": "InputPathsMap"}  # fmt: skip
_TF_TARGET = {"id": "target_id", "arn": "arn", "role": "role_arn", "input": "input", "input_path": "input_path",
              "transformer": "input_transformer", "template": "input_template", "paths": "input_paths"}  # fmt: skip


def _cfn_targets(reader: Reader, props: Props, draft: Draft) -> Any:
    items = props.items("Targets")
    return tuple(_target(reader, item, item.path, _CFN_TARGET) for item in items)


def _enabled(reader: Reader, value: Any, path: str) -> Any:
    if value == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
        reader.note(f"{path}: management events delivered by CloudTrail alone are not told apart; read as ENABLED")
    return value != "DISABLED"


def _tf_enabled(reader: Reader, props: Props, draft: Draft) -> Any:
    # Providers before 5.x say is_enabled; later ones say state and keep is_enabled as a deprecated echo.
    if props.has("state"):
        props.ignore("is_enabled")
        return _enabled(reader, props.text("state"), props.at("state"))
    if props.has("is_enabled"):
        return bool(props.flag("is_enabled"))
    return MISSING


def _bus(reader: Reader, draft: Draft, props: Props) -> None:
    key = "EventBusName" if reader.format == CLOUDFORMATION else "event_bus_name"
    bus = props.text(key, "default")
    if bus not in ("default", None) and not str(bus).endswith(":event-bus/default"):
        reader.note(
            f"{props.at(key)}: a rule of the event bus {describe(bus)} is deployed on the default bus; {UNVERIFIED}"
        )
    role_key = "RoleArn" if reader.format == CLOUDFORMATION else "role_arn"
    if props.raw(role_key):
        reader.note(f"{props.at(role_key)}: the rule's own role (for targets on other buses) is {UNVERIFIED}")


SCHEMA = Schema(
    EventRule,
    fields=(
        Field("pattern", cfn="EventPattern", tf="event_pattern", read="doc"),
        Field("schedule", cfn="ScheduleExpression", tf="schedule_expression", default=""),
        Field("targets", cfn_read=_cfn_targets),
        Field("description", cfn="Description", tf="description", default=""),
        Field(
            "enabled",
            cfn="State",
            tf="state",
            default=True,
            choices=("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"),
            parse=_enabled,
            tf_read=_tf_enabled,
        ),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::Events::Rule", ref="{name}", attributes={"Arn": "{arn}"}, name="Name", finish=_bus),
    tf=Tf(
        "aws_cloudwatch_event_rule",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name"},
        quiet={"force_destroy": False},
        finish=_bus,
    ),
)


def _fold_tf_target(reader: Reader, props: Props, origin: Origin) -> None:
    rule = attached(reader, props.require("rule"), "event_rules", props.at("rule"), "a target of the rule")
    props.ignore("event_bus_name")
    target = _target(reader, props, origin.path, _TF_TARGET)
    if rule is not None:
        rule.kwargs["targets"] = (*rule.kwargs.get("targets", ()), target)


FOLDS = (Fold(_fold_tf_target, tf="aws_cloudwatch_event_target"),)
