"""Detection end to end: log events through metric filters into metrics, alarms evaluated, notifications delivered.

Everything is read back from the backend (the deployed metric filters, alarms, topic and key policies), so what
fires is what is deployed; only the behaviour the emulators lack (pattern matching, alarm evaluation, service
delivery rules) is computed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from harness.backends.base import Backend, CallEvent
from harness.detect.alarms import (
    AlarmDefinition,
    AlarmMonitor,
    ManualClock,
    MetricStore,
    Transition,
    notification_message,
)
from harness.detect.metrics import LogEvent, MetricDatapoint, MetricFilter, MetricTransformation
from harness.detect.patterns import FilterPattern, LogMessage, compile_pattern
from harness.detect.vended import codebuild_datapoints
from harness.errors import InputError
from harness.model.policy_doc import load_policy
from harness.provider.base import error_code

CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"
EVENTS_SERVICE = "events.amazonaws.com"
# Backends whose CloudWatch evaluates alarms on its own; pipewarden records where their verdicts differ.
BACKENDS_THAT_EVALUATE_ALARMS = frozenset({"localstack", "aws"})


class AdvancingClock(Protocol):
    """A clock steps can move forward (the scenario's one clock, shared with CloudTrail delivery)."""

    def now(self) -> datetime: ...

    def advance(self, delta: float) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Notification:
    """A message an alarm action delivered to an SNS topic (or failed to deliver, with the reason)."""

    topic_arn: str
    subject: str
    message: dict[str, Any]
    delivered: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AlarmDisagreement:
    """The backend evaluated an alarm itself and reached another state than pipewarden's evaluation."""

    alarm: str
    ours: str
    backend: str
    backend_reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionDelivery:
    """Events a subscription filter passed on to its destination (captured here: the destination is not run)."""

    log_group: str
    filter_name: str
    destination_arn: str
    messages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TargetDelivery:
    """What a rule did with a matching event at a target that is not a topic or a log group.

    Attributes:
        rule: the rule's name.
        target_arn: the target (a pipeline, a build project, a function, a queue...).
        kind: ``pipeline``, ``build_project``, ``function`` or ``other``.
        delivered: whether EventBridge could deliver the event (assume the target's role and call the target, or be
            let in by the function's policy).
        reason: why not, or what was not verified about a delivery.
        started: the pipeline execution a delivery started ('' when none).
    """

    rule: str
    target_arn: str
    kind: str
    delivered: bool
    reason: str = ""
    started: str = ""


TargetStarter = Callable[[str, str, str, str, Mapping[str, Any]], TargetDelivery]
"""Delivers an event to a pipeline or a build project as EventBridge does, with the target's role:
``(rule name, kind, target ARN, role ARN, event) -> delivery``. It needs the deployment, so the scenario layer
provides it."""


@dataclass(frozen=True, slots=True)
class FilterMatch:
    """One log event matched by a metric filter, and the datapoint it published."""

    log_group: str
    filter_name: str
    message: str
    datapoint: MetricDatapoint | None


@dataclass
class DetectionRuntime:
    """The behaviour CloudWatch has and the emulators lack, for one scenario.

    Args:
        backend: where logs, metrics, alarms and topics live.
        clock: the scenario's clock; steps advance it instead of sleeping.
    """

    backend: Backend
    clock: AdvancingClock = field(default_factory=lambda: ManualClock(_now_minute()))
    store: MetricStore = field(default_factory=MetricStore)
    notifications: list[Notification] = field(default_factory=list)
    matches: list[FilterMatch] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[AlarmDisagreement] = field(default_factory=list)
    subscriptions: list[SubscriptionDelivery] = field(default_factory=list)
    deliveries: list[TargetDelivery] = field(default_factory=list)
    starter: TargetStarter | None = None
    _monitors: dict[str, AlarmMonitor] = field(default_factory=dict)
    _patterns: dict[str, FilterPattern] = field(default_factory=dict)
    _sequence: dict[tuple[str, str], int] = field(default_factory=dict)

    # -- log events -------------------------------------------------------------------------------------
    def after_call(self, event: CallEvent) -> None:
        """See every PutLogEvents made through the harness (CloudTrail delivery, builds, steps) and run the log
        group's metric filters over what was written (``CallObserver``)."""
        if event.service != "logs" or event.operation != "PutLogEvents" or event.error_code:
            return
        group = str(event.params.get("logGroupName", ""))
        written = event.params.get("logEvents") or []
        items = [(e.get("timestamp"), str(e.get("message", ""))) for e in written if isinstance(e, Mapping)]
        if group and items:
            self.apply_filters(group, items)
            self.apply_subscription_filters(group, [message for _, message in items])
            self.evaluate_alarms()

    def write_log_events(
        self, group: str, stream: str, messages: Sequence[str], *, client: Any = None
    ) -> list[MetricDatapoint]:
        """Write events to a log group (as the given client, the harness admin by default), then apply the
        group's metric filters, publish what they produce and evaluate the alarms.

        Returns:
            The datapoints the metric filters published.
        """
        logs = client or self.backend.client("logs")
        timestamp = int(self.clock.now().timestamp() * 1000)
        key = (group, stream)
        if key not in self._sequence:
            try:
                self.backend.client("logs").create_log_stream(logGroupName=group, logStreamName=stream)
            except Exception as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            self._sequence[key] = 0
        before = len(self.matches)
        if messages:
            # The write is observed (``after_call``) when this runtime watches the backend; otherwise apply the
            # filters here, so the events go through them exactly once either way.
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": timestamp, "message": m} for m in messages],
            )
        if not any(o is self for o in self.backend.observers()):
            self.apply_filters(group, [(timestamp, m) for m in messages])
            self.apply_subscription_filters(group, messages)
            self.evaluate_alarms()
        return [m.datapoint for m in self.matches[before:] if m.datapoint is not None]

    def _pattern(self, text: str) -> FilterPattern:
        found = self._patterns.get(text)
        if found is None:
            found = self._patterns[text] = compile_pattern(text)
        return found

    def deployed_filters(self, group: str) -> list[MetricFilter]:
        """The metric filters of ``group`` as deployed, compiled.

        Raises:
            InputError: when a deployed filter pattern is invalid (CloudWatch would have refused it).
        """
        logs = self.backend.client("logs")
        filters: dict[str, MetricFilter] = {}
        for item in logs.describe_metric_filters(logGroupName=group).get("metricFilters", []):
            transformation = (item.get("metricTransformations") or [{}])[0]
            default = transformation.get("defaultValue")
            # Later definitions of the same name replace earlier ones, as PutMetricFilter does.
            filters[item["filterName"]] = MetricFilter(
                name=item["filterName"],
                pattern=self._pattern(item.get("filterPattern", "")),
                transformation=MetricTransformation(
                    namespace=transformation["metricNamespace"],
                    name=transformation["metricName"],
                    value=str(transformation.get("metricValue", "1")),
                    default_value=None if default is None else float(default),
                    dimensions=dict(transformation.get("dimensions") or {}),
                    unit=transformation.get("unit") or None,
                ),
            )
        return list(filters.values())

    def apply_subscription_filters(self, group: str, messages: Sequence[str]) -> list[SubscriptionDelivery]:
        """Pass the events each deployed subscription filter of ``group`` matches to its destination (captured)."""
        logs = self.backend.client("logs")
        try:
            filters = logs.describe_subscription_filters(logGroupName=group).get("subscriptionFilters", [])
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return []
            raise
        delivered: list[SubscriptionDelivery] = []
        for item in filters:
            pattern = self._pattern(str(item.get("filterPattern", "")))
            matched = tuple(m for m in messages if pattern.matches(m))
            if matched:
                delivery = SubscriptionDelivery(
                    group, str(item.get("filterName", "")), str(item.get("destinationArn", "")), matched
                )
                delivered.append(delivery)
                self.subscriptions.append(delivery)
        return delivered

    def apply_filters(self, group: str, events: Sequence[tuple[int | None, str]]) -> list[MetricDatapoint]:
        """Match ``(timestamp in ms or None, message)`` events against the group's deployed metric filters and
        publish the datapoints (at the events' own times, as CloudWatch Logs does)."""
        filters = self.deployed_filters(group)
        if not filters or not events:
            return []
        now = self.clock.now()
        published: list[MetricDatapoint] = []
        for timestamp, text in events:
            when = datetime.fromtimestamp(timestamp / 1000, UTC) if timestamp is not None else now
            event = LogEvent(when, text)
            parsed = LogMessage(text)
            for metric_filter in filters:
                point = metric_filter.apply(event, parsed)
                matched = metric_filter.pattern.matches(parsed)
                if matched:
                    self.matches.append(FilterMatch(group, metric_filter.name, text, point))
                if point is not None:
                    published.append(point)
        self.publish(published)
        return published

    def publish(self, points: Sequence[MetricDatapoint]) -> None:
        """Record datapoints and send them to the backend's CloudWatch (PutMetricData)."""
        if not points:
            return
        self.store.put(points)
        cloudwatch = self.backend.client("cloudwatch")
        by_namespace: dict[str, list[MetricDatapoint]] = {}
        for point in points:
            by_namespace.setdefault(point.namespace, []).append(point)
        for namespace, items in by_namespace.items():
            for start in range(0, len(items), 500):
                cloudwatch.put_metric_data(
                    Namespace=namespace,
                    MetricData=[
                        {
                            "MetricName": p.name,
                            "Value": p.value,
                            "Timestamp": p.timestamp,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(p.dimensions.items())],
                            **({"Unit": p.unit} if p.unit else {}),
                        }
                        for p in items[start : start + 500]
                    ],
                )

    # -- events (EventBridge) and the metrics services publish ---------------------------------------------
    def on_event(self, event: Mapping[str, Any]) -> None:
        """Take one event a service emitted (a CodeBuild or CodePipeline state change): publish the metrics the
        service publishes for it, route it through the deployed EventBridge rules, and evaluate the alarms."""
        self.events.append(dict(event))
        self.publish(codebuild_datapoints(event, self.clock.now()))
        self.route_event(event)
        self.evaluate_alarms()

    def deployed_rules(self) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
        """The enabled rules of the default event bus with a pattern, as ``(name, ARN, pattern JSON, targets)``."""
        events = self.backend.client("events")
        found: list[tuple[str, str, str, list[dict[str, Any]]]] = []
        for rule in events.list_rules().get("Rules", []):
            if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                continue
            targets = list(events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []))
            found.append((rule["Name"], str(rule.get("Arn", "")), rule["EventPattern"], targets))
        return found

    def route_event(self, event: Mapping[str, Any]) -> list[str]:
        """Deliver an event to the targets of every deployed rule whose pattern matches it.

        Topics get the event when their policy (and key) let EventBridge publish; log groups get it as a log event;
        pipelines and build projects are started with the target's role through :attr:`starter` (the scenario layer
        provides it); functions get it when their policy lets EventBridge invoke them for this rule (the function's
        code is not run). Other targets are recorded as not verified.

        Returns:
            The target ARNs the event was delivered to.
        """
        from harness.detect.events import compile_event_pattern

        delivered: list[str] = []
        for name, rule_arn, pattern, targets in self.deployed_rules():
            if not compile_event_pattern(pattern).matches(dict(event)):
                continue
            for target in targets:
                arn = str(target["Arn"])
                if ":sns:" in arn:
                    allowed, reason = self.service_may_publish(arn, EVENTS_SERVICE, source_arn=rule_arn)
                    if allowed:
                        self.backend.client("sns").publish(TopicArn=arn, Message=json.dumps(event, default=str))
                        delivered.append(arn)
                    subject = f"{event.get('detail-type', 'event')} ({name})"
                    self.notifications.append(Notification(arn, subject, dict(event), allowed, reason))
                elif ":log-group:" in arn:
                    group = arn.split(":log-group:", 1)[1].removesuffix(":*")
                    self.write_log_events(group, f"events/{name}", [json.dumps(event, default=str)])
                    delivered.append(arn)
                else:
                    delivery = self._deliver(name, rule_arn, target, event)
                    self.deliveries.append(delivery)
                    if delivery.delivered:
                        delivered.append(arn)
        return delivered

    def _deliver(self, rule: str, rule_arn: str, target: Mapping[str, Any], event: Mapping[str, Any]) -> TargetDelivery:
        arn = str(target["Arn"])
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        kind = {"codepipeline": "pipeline", "codebuild": "build_project", "lambda": "function"}.get(service, "other")
        if kind == "function":
            allowed, reason = self.function_may_be_invoked(arn, rule_arn)
            return TargetDelivery(rule, arn, kind, allowed, reason or "the function's code is not run by pipewarden")
        if kind == "other":
            return TargetDelivery(
                rule, arn, kind, False, f"target {arn} is not modelled; what it receives is unverified"
            )
        role = str(target.get("RoleArn") or "")
        if not role:
            return TargetDelivery(rule, arn, kind, False, f"target {arn} has no role for EventBridge to call it with")
        if self.starter is None:
            return TargetDelivery(rule, arn, kind, False, "no deployment runs pipelines and builds for this runtime")
        return self.starter(rule, kind, arn, role, event)

    def function_may_be_invoked(self, function_arn: str, rule_arn: str) -> tuple[bool, str]:
        """Whether a function's resource-based policy lets EventBridge invoke it for the rule ``rule_arn``.

        EventBridge calls a function with no role of its own: only the function's policy can let it in.

        Returns:
            (allowed, the reason when not).
        """
        from harness.iam import AuthorizationRequest, PolicySet, evaluate
        from harness.provider.resources.lambda_function import function_policy_document

        try:
            text = self.backend.client("lambda").get_policy(FunctionName=function_arn)["Policy"]
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            return False, f"function {function_arn} has no policy letting EventBridge invoke it (or does not exist)"
        account = self.backend.account_id
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": account, "aws:SecureTransport": "true"}
        request = AuthorizationRequest.create(EVENTS_SERVICE, "lambda:InvokeFunction", function_arn, context, account)
        policy = PolicySet.compile(resource_policy=function_policy_document(text, function_arn.split(":")[1]))
        if not evaluate(request, policy).allowed:
            return False, f"the policy of {function_arn} does not let {EVENTS_SERVICE} invoke it for rule {rule_arn}"
        return True, ""

    def deliveries_to(self, target_arn: str) -> list[TargetDelivery]:
        """Deliveries to a pipeline, build project, function or other target, oldest first (delivered or not)."""
        return [d for d in self.deliveries if d.target_arn == target_arn]

    # -- alarms -----------------------------------------------------------------------------------------
    def deployed_alarms(self) -> list[AlarmDefinition]:
        """Every metric alarm in the backend, as definitions."""
        cloudwatch = self.backend.client("cloudwatch")
        alarms: list[AlarmDefinition] = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            for alarm in page.get("MetricAlarms", []):
                if "MetricName" not in alarm:
                    continue  # metric-math alarms are not evaluated here
                alarms.append(
                    AlarmDefinition(
                        name=alarm["AlarmName"],
                        namespace=alarm["Namespace"],
                        metric_name=alarm["MetricName"],
                        statistic=alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Sum",
                        period=int(alarm["Period"]),
                        evaluation_periods=int(alarm["EvaluationPeriods"]),
                        threshold=float(alarm["Threshold"]),
                        comparison_operator=alarm["ComparisonOperator"],
                        datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
                        treat_missing_data=alarm.get("TreatMissingData", "missing"),
                        dimensions={d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
                        unit=alarm.get("Unit") or None,
                        alarm_actions=tuple(alarm.get("AlarmActions", [])),
                        ok_actions=tuple(alarm.get("OKActions", [])),
                        insufficient_data_actions=tuple(alarm.get("InsufficientDataActions", [])),
                        actions_enabled=bool(alarm.get("ActionsEnabled", True)),
                    )
                )
        return alarms

    def monitor(self, alarm_name: str) -> AlarmMonitor | None:
        """The monitor of an alarm once it has been evaluated."""
        return self._monitors.get(alarm_name)

    def evaluate_alarms(self) -> list[Transition]:
        """Evaluate every deployed alarm at the clock's time; apply state changes and fire actions.

        Returns:
            The transitions of this evaluation.
        """
        fired: list[Transition] = []
        evaluates = self.backend.name in BACKENDS_THAT_EVALUATE_ALARMS
        for definition in self.deployed_alarms():
            monitor = self._monitors.get(definition.name)
            if monitor is None or monitor.definition != definition:
                monitor = self._monitors[definition.name] = AlarmMonitor(definition, self.clock)
            transition = monitor.evaluate(self.store)
            if evaluates:
                self._compare_with_backend(definition.name, monitor.state.value)
            if transition is None:
                continue
            fired.append(transition)
            self.transitions.append(transition)
            self.backend.client("cloudwatch").set_alarm_state(
                AlarmName=definition.name,
                StateValue=transition.new_state.value,
                StateReason=transition.reason[:1023],
            )
            for action in transition.actions:
                self._notify(definition, transition, action)
        return fired

    def _compare_with_backend(self, alarm: str, ours: str) -> None:
        # A backend that evaluates alarms itself (LocalStack) is asked for its own verdict before ours is written;
        # both are kept and a difference is reported rather than hidden.
        found = self.backend.client("cloudwatch").describe_alarms(AlarmNames=[alarm]).get("MetricAlarms", [])
        theirs = str(found[0].get("StateValue", "")) if found else ""
        if theirs and theirs != ours and theirs != "INSUFFICIENT_DATA":
            self.disagreements.append(
                AlarmDisagreement(alarm, ours, theirs, str(found[0].get("StateReason", "")), self.clock.now())
            )

    def advance(self, seconds: float) -> list[Transition]:
        """Move the clock forward and evaluate the alarms at the new time."""
        self.clock.advance(seconds)
        return self.evaluate_alarms()

    def alarm_state(self, alarm_name: str) -> str:
        """The alarm's state as the backend reports it."""
        found = self.backend.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name]).get("MetricAlarms", [])
        if not found:
            raise InputError(
                where=f"alarm '{alarm_name}'", expected="a deployed alarm", found="none", fix="deploy the alarm"
            )
        return str(found[0]["StateValue"])

    # -- notifications ----------------------------------------------------------------------------------
    def _notify(self, definition: AlarmDefinition, transition: Transition, action: str) -> None:
        message = dict(
            notification_message(definition, transition, account=self.backend.account_id, region=self.backend.region)
        )
        subject = f'{transition.new_state.value}: "{definition.name}" in {self.backend.region}'
        if not action.startswith("arn:") or ":sns:" not in action:
            self.notifications.append(
                Notification(action, subject, message, False, f"action {action} is not an SNS topic; not modelled")
            )
            return
        alarm_arn = f"arn:aws:cloudwatch:{self.backend.region}:{self.backend.account_id}:alarm:{definition.name}"
        allowed, reason = self.service_may_publish(action, source_arn=alarm_arn)
        if allowed:
            self.backend.client("sns").publish(TopicArn=action, Subject=subject[:100], Message=json.dumps(message))
        self.notifications.append(Notification(action, subject, message, allowed, reason))

    def service_may_publish(
        self, topic_arn: str, service: str = CLOUDWATCH_SERVICE, *, source_arn: str | None = None
    ) -> tuple[bool, str]:
        """Whether a service (CloudWatch alarms, EventBridge rules) may publish to the topic: its access policy, and
        for an encrypted topic, the key policy (the service needs kms:GenerateDataKey* and kms:Decrypt on the
        topic's key, which the default key policy does not grant a service, so such a topic notifies no one).

        ``source_arn`` is the alarm or rule the service publishes for, its ``aws:SourceArn``.

        Returns:
            (allowed, the reason when not).
        """
        from harness.iam import AuthorizationRequest, PolicySet, evaluate

        sns = self.backend.client("sns")
        try:
            attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        except Exception as exc:
            return False, f"topic {topic_arn} cannot be read ({error_code(exc) or exc})"
        account = self.backend.account_id
        # A service acting for the account carries the account as source (SNS's default topic policy checks
        # AWS:SourceOwner) and the alarm or rule it acts for; services call over TLS.
        context = {"aws:SourceAccount": account, "aws:SourceOwner": account, "aws:SecureTransport": "true"}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        policy = attributes.get("Policy")
        if policy:
            request = AuthorizationRequest.create(service, "sns:Publish", topic_arn, context, account)
            decision = evaluate(request, PolicySet.compile(resource_policy=load_policy(policy)))
            if not decision.allowed:
                return False, f"the topic policy of {topic_arn} does not let {service} publish"
        key = attributes.get("KmsMasterKeyId")
        if key:
            kms = self.backend.client("kms")
            try:
                meta = kms.describe_key(KeyId=key)["KeyMetadata"]
                key_policy = load_policy(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
            except Exception as exc:
                return False, f"the topic's KMS key {key} cannot be read ({error_code(exc) or exc})"
            if meta.get("KeyManager") == "AWS":
                return False, (
                    f"topic {topic_arn} is encrypted with the AWS managed key {key}, whose policy the service "
                    f"cannot use; use a customer managed key that grants {service}"
                )
            compiled = PolicySet.compile(resource_policy=key_policy)
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                request = AuthorizationRequest.create(service, action, meta["Arn"], context, account)
                if not evaluate(request, compiled).allowed:
                    return False, (
                        f"the key policy of {meta['Arn']} (the key of topic {topic_arn}) does not grant "
                        f"{service} {action}, so it cannot publish encrypted notifications"
                    )
        return True, ""

    def notifications_to(self, topic_arn: str) -> list[Notification]:
        """Notifications delivered to a topic, oldest first."""
        return [n for n in self.notifications if n.topic_arn == topic_arn and n.delivered]


def _now_minute() -> datetime:
    now = datetime.now(UTC)
    return now.replace(second=0, microsecond=0)
