"""Detection engines: CloudWatch Logs filter patterns, metric filters, alarm evaluation, event patterns and the
metrics AWS services publish themselves."""

from __future__ import annotations

from harness.detect.alarms import (
    AlarmDefinition,
    AlarmMonitor,
    AlarmState,
    Clock,
    Evaluation,
    HistoryItem,
    ManualClock,
    MetricStore,
    Transition,
    evaluate_alarm,
    notification_message,
    statistic_value,
)
from harness.detect.events import EventPattern, compile_event_pattern
from harness.detect.metrics import (
    LogEvent,
    MetricDatapoint,
    MetricFilter,
    MetricTransformation,
    apply_metric_filter,
)
from harness.detect.patterns import FilterPattern, LogMessage, PatternKind, compile_pattern
from harness.detect.vended import codebuild_datapoints

__all__ = [
    "AlarmDefinition",
    "AlarmMonitor",
    "AlarmState",
    "Clock",
    "Evaluation",
    "EventPattern",
    "FilterPattern",
    "HistoryItem",
    "LogEvent",
    "LogMessage",
    "ManualClock",
    "MetricDatapoint",
    "MetricFilter",
    "MetricStore",
    "MetricTransformation",
    "PatternKind",
    "Transition",
    "apply_metric_filter",
    "codebuild_datapoints",
    "compile_event_pattern",
    "compile_pattern",
    "evaluate_alarm",
    "notification_message",
    "statistic_value",
]
