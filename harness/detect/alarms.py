"""CloudWatch metric alarm evaluation on a controllable clock: statistics, M of N, missing data, transitions."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from harness.detect.metrics import MetricDatapoint
from harness.errors import InputError, Unverified

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PERCENTILE: Final = re.compile(r"p(\d{1,2}(?:\.\d{1,10})?|100)")
STATISTICS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
ANOMALY_OPERATORS: Final = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
_OPERATOR_WORDS: Final = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
TREAT_MISSING: Final = ("missing", "notBreaching", "breaching", "ignore")
# Notifications name the region in words.
REGION_NAMES: Final = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}


class Clock(Protocol):
    """What alarm evaluation reads the time from; tests and scenarios advance it explicitly."""

    def now(self) -> datetime: ...


class ManualClock:
    """A clock that moves only when told to.

    Args:
        start: the initial time (timezone-aware).
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise InputError(
                where="clock", expected="a timezone-aware start", found="a naive datetime", fix="add tzinfo=UTC"
            )
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time."""
        if seconds < 0:
            raise InputError(
                where="clock", expected="a non-negative step", found=str(seconds), fix="clocks only move forward"
            )
        self._now += timedelta(seconds=seconds)
        return self._now


class AlarmState(enum.Enum):
    """The three states of a metric alarm."""

    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


def _dims(dimensions: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dimensions.items()))


class MetricStore:
    """Published datapoints, queryable by namespace, metric name and exact dimension set (as CloudWatch
    identifies a metric). One store per scenario; it is not shared."""

    __slots__ = ("_series",)

    def __init__(self, datapoints: Iterable[MetricDatapoint] = ()) -> None:
        self._series: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[MetricDatapoint]] = {}
        self.put(datapoints)

    def put(self, datapoints: Iterable[MetricDatapoint]) -> None:
        """Add datapoints (PutMetricData, or what a metric filter published)."""
        for datapoint in datapoints:
            key = (datapoint.namespace, datapoint.name, _dims(datapoint.dimensions))
            self._series.setdefault(key, []).append(datapoint)

    def query(
        self,
        namespace: str,
        name: str,
        dimensions: Mapping[str, str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        unit: str | None = None,
    ) -> list[MetricDatapoint]:
        """Datapoints of one metric with ``start <= timestamp < end``, oldest first.

        Args:
            namespace: the metric namespace.
            name: the metric name.
            dimensions: the exact dimension set (none when omitted).
            start: inclusive lower bound.
            end: exclusive upper bound.
            unit: only datapoints published with this unit, when given.

        Returns:
            The matching datapoints sorted by timestamp.
        """
        series = self._series.get((namespace, name, _dims(dimensions or {})), [])
        selected = [
            point
            for point in series
            if (start is None or point.timestamp >= start)
            and (end is None or point.timestamp < end)
            and (unit is None or point.unit == unit)
        ]
        return sorted(selected, key=lambda point: point.timestamp)


@dataclass(frozen=True, slots=True)
class AlarmDefinition:
    """A metric alarm as PutMetricAlarm defines it (single metric; no metric math)."""

    name: str
    namespace: str
    metric_name: str
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison_operator: str
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    actions_enabled: bool = True
    # How many recent periods CloudWatch retrieves when some are missing. AWS does not publish the formula
    # (it depends on the period and resolution); its documented examples use 5 for 3 evaluation periods.
    evaluation_range: int | None = None

    def __post_init__(self) -> None:
        where = f"alarm {self.name!r}"
        if not self.name or len(self.name) > 255:
            raise InputError(where=where, expected="a name of 1 to 255 characters", found=repr(self.name),
                             fix="name the alarm", field="AlarmName")  # fmt: skip
        if self.statistic not in STATISTICS and _PERCENTILE.fullmatch(self.statistic) is None:
            raise InputError(
                where=where,
                expected="Statistic SampleCount, Average, Sum, Minimum or Maximum, or an extended statistic pNN",
                found=repr(self.statistic),
                fix="use a statistic such as Sum or p99",
                field="Statistic",
            )
        if self.period not in (10, 20, 30) and (self.period <= 0 or self.period % 60):
            raise InputError(
                where=where,
                expected="a Period of 10, 20, 30 or a multiple of 60 seconds",
                found=str(self.period),
                fix="use 60 or 300 seconds",
                field="Period",
            )
        if self.evaluation_periods < 1:
            raise InputError(where=where, expected="EvaluationPeriods of at least 1",
                             found=str(self.evaluation_periods), fix="evaluate at least one period",
                             field="EvaluationPeriods")  # fmt: skip
        if self.datapoints_to_alarm is not None and not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise InputError(
                where=where,
                expected=f"DatapointsToAlarm between 1 and EvaluationPeriods ({self.evaluation_periods})",
                found=str(self.datapoints_to_alarm),
                fix="lower DatapointsToAlarm or raise EvaluationPeriods",
                field="DatapointsToAlarm",
            )
        if self.comparison_operator not in _OPERATOR_WORDS and self.comparison_operator not in ANOMALY_OPERATORS:
            raise InputError(
                where=where,
                expected="a ComparisonOperator such as GreaterThanOrEqualToThreshold",
                found=repr(self.comparison_operator),
                fix="use GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or "
                "LessThanOrEqualToThreshold",
                field="ComparisonOperator",
            )
        if self.treat_missing_data not in TREAT_MISSING:
            raise InputError(
                where=where,
                expected="TreatMissingData missing, notBreaching, breaching or ignore",
                found=repr(self.treat_missing_data),
                fix="use one of the four values (case-sensitive)",
                field="TreatMissingData",
            )
        if not math.isfinite(self.threshold):
            raise InputError(where=where, expected="a finite Threshold", found=repr(self.threshold),
                             fix="set a number", field="Threshold")  # fmt: skip
        if self.evaluation_range is not None and self.evaluation_range < self.evaluation_periods:
            raise InputError(
                where=where,
                expected="an evaluation range of at least EvaluationPeriods",
                found=str(self.evaluation_range),
                fix="leave it unset for the default",
                field="evaluation_range",
            )
        object.__setattr__(self, "dimensions", dict(self.dimensions))
        for label in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            object.__setattr__(self, label, tuple(getattr(self, label)))

    @property
    def required_breaches(self) -> int:
        """M: how many breaching datapoints among the last N put the alarm in ALARM."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def range_periods(self) -> int:
        return self.evaluation_range or self.evaluation_periods + 2

    def actions_for(self, state: AlarmState) -> tuple[str, ...]:
        """The actions configured for entering ``state`` (none while actions are disabled)."""
        if not self.actions_enabled:
            return ()
        return {
            AlarmState.ALARM: self.alarm_actions,
            AlarmState.OK: self.ok_actions,
            AlarmState.INSUFFICIENT_DATA: self.insufficient_data_actions,
        }[state]


@dataclass(frozen=True, slots=True)
class PeriodValue:
    """One evaluated period: its start, the statistic (None when missing) and whether it breaches."""

    start: datetime
    value: float | None
    sample_count: int
    breaching: bool | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one evaluation: the state it calls for (None: keep the current state) and why."""

    state: AlarmState | None
    reason: str
    periods: tuple[PeriodValue, ...]


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """An alarm history entry, as DescribeAlarmHistory reports it."""

    timestamp: datetime
    item_type: str
    summary: str
    old_state: AlarmState | None = None
    new_state: AlarmState | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change and the actions it fires."""

    alarm: str
    timestamp: datetime
    old_state: AlarmState
    new_state: AlarmState
    reason: str
    actions: tuple[str, ...]


def statistic_value(statistic: str, values: Sequence[float]) -> float:
    """Aggregate one period's values.

    Args:
        statistic: SampleCount, Average, Sum, Minimum, Maximum or pNN (nearest-rank percentile).
        values: the values published in the period (at least one).

    Returns:
        The statistic.
    """
    if statistic == "SampleCount":
        return float(len(values))
    if statistic == "Sum":
        return math.fsum(values)
    if statistic == "Average":
        return math.fsum(values) / len(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    percentile = float(statistic[1:])
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def _breaches(operator: str, value: float, threshold: float) -> bool:
    if operator == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "LessThanThreshold":
        return value < threshold
    return value <= threshold


def period_values(definition: AlarmDefinition, store: MetricStore, now: datetime) -> list[PeriodValue]:
    """The evaluation range: the most recent complete periods before ``now``, oldest first.

    Periods are aligned to the epoch, as CloudWatch aligns them, and labelled by their start.
    """
    period = definition.period
    seconds = (now - _EPOCH).total_seconds()
    end = _EPOCH + timedelta(seconds=math.floor(seconds / period) * period)
    count = definition.range_periods
    start = end - timedelta(seconds=period * count)
    points = store.query(
        definition.namespace, definition.metric_name, definition.dimensions, start=start, end=end,
        unit=definition.unit,
    )  # fmt: skip
    buckets: list[list[float]] = [[] for _ in range(count)]
    for point in points:
        index = int((point.timestamp - start).total_seconds() // period)
        buckets[index].append(point.value)
    result: list[PeriodValue] = []
    for index, values in enumerate(buckets):
        period_start = start + timedelta(seconds=period * index)
        if not values:
            result.append(PeriodValue(period_start, None, 0, None))
            continue
        value = statistic_value(definition.statistic, values)
        breaching = _breaches(definition.comparison_operator, value, definition.threshold)
        result.append(PeriodValue(period_start, value, len(values), breaching))
    return result


def evaluate_alarm(definition: AlarmDefinition, store: MetricStore, now: datetime) -> Evaluation:
    """Decide the state an alarm should be in at ``now``.

    Follows AWS's documented rules: with at least N real datapoints in the evaluation range, the most recent
    N real ones decide; with fewer, missing ones are filled per TreatMissingData (as few as possible), and a
    breaching datapoint at least M periods old followed only by breaching or missing ones alarms early.

    Args:
        definition: the alarm.
        store: where the metric's datapoints are.
        now: the evaluation time.

    Returns:
        The state to be in (None to keep the current one) and the reason in CloudWatch's wording.

    Raises:
        Unverified: anomaly-detection operators, which need a model the harness does not have.
    """
    if definition.comparison_operator in ANOMALY_OPERATORS:
        raise Unverified(
            f"alarm {definition.name!r} uses {definition.comparison_operator}; anomaly detection bands are not "
            "modelled by the harness"
        )
    periods = period_values(definition, store, now)
    n = definition.evaluation_periods
    m = definition.required_breaches
    real = [period for period in periods if period.value is not None]
    if len(real) >= n:
        evaluated = real[-n:]
        return _threshold_evaluation(definition, evaluated, 0, tuple(periods))
    treat = definition.treat_missing_data
    fills = n - len(real)
    if treat in ("breaching", "notBreaching"):
        return _threshold_evaluation(definition, real, fills, tuple(periods))
    if not real:
        if treat == "ignore":
            return Evaluation(None, "", tuple(periods))
        plural = "s were" if n != 1 else " was"
        return Evaluation(AlarmState.INSUFFICIENT_DATA, f"Insufficient Data: {n} datapoint{plural} unknown.",
                          tuple(periods))  # fmt: skip
    if _premature_alarm(periods, n, m):
        if treat == "ignore":
            return Evaluation(None, "", tuple(periods))
        return _threshold_evaluation(definition, real, 0, tuple(periods), force_alarm=True)
    return _threshold_evaluation(definition, real, 0, tuple(periods))


def _premature_alarm(periods: Sequence[PeriodValue], n: int, m: int) -> bool:
    """AWS alarms early when the oldest breaching datapoint among the last N periods is at least M periods old
    and every other datapoint is breaching or missing. Its tables show that a non-breaching datapoint anywhere
    in the evaluation range prevents this (row "0 - X - -" of the 2 out of 3 example stays OK)."""
    if any(period.breaching is False for period in periods):
        return False
    ages = [age for age, period in enumerate(reversed(periods[-n:]), start=1) if period.breaching]
    return bool(ages) and max(ages) >= m


def _threshold_evaluation(
    definition: AlarmDefinition,
    real: Sequence[PeriodValue],
    fills: int,
    periods: tuple[PeriodValue, ...],
    *,
    force_alarm: bool = False,
) -> Evaluation:
    m = definition.required_breaches
    n = definition.evaluation_periods
    treat_as_breaching = definition.treat_missing_data == "breaching"
    breaches = sum(1 for period in real if period.breaching) + (fills if treat_as_breaching else 0)
    state = AlarmState.ALARM if force_alarm or breaches >= m else AlarmState.OK
    words = _OPERATOR_WORDS[definition.comparison_operator]
    threshold = _number(definition.threshold)
    label = "Breaching" if treat_as_breaching else "NonBreaching"
    if not real:
        period_word = "period" if fills == 1 else "periods"
        datapoint_words = "datapoint was" if fills == 1 else "datapoints were"
        reason = (
            f"Threshold Crossed: no datapoints were received for {fills} {period_word} and {fills} missing "
            f"{datapoint_words} treated as [{label}]."
        )
        return Evaluation(state, reason, periods)
    newest_first = list(reversed(real))
    if state is AlarmState.ALARM:
        shown = [period for period in newest_first if period.breaching]
        relation = words
        minimum = m
        transition = "OK -> ALARM"
    else:
        shown = [period for period in newest_first if not period.breaching]
        relation = f"not {words}"
        minimum = n - m + 1
        transition = "ALARM -> OK"
    listed = ", ".join(f"{_number(p.value or 0.0)} ({p.start.strftime('%d/%m/%y %H:%M:%S')})" for p in shown)
    missing = ""
    if fills:
        missing = f" ({fills} missing datapoint{'s were' if fills != 1 else ' was'} treated as [{label}])"
    # CloudWatch's wording (since 2019) always counts "K out of the last N datapoints" and names the minimum.
    verb = "was" if len(shown) == 1 else "were"
    reason = (
        f"Threshold Crossed: {len(shown)} out of the last {len(real) + fills} datapoints [{listed}] {verb} "
        f"{relation} the threshold ({threshold}){missing} (minimum {minimum} "
        f"datapoint{'s' if minimum != 1 else ''} for {transition} transition)."
    )
    return Evaluation(state, reason, periods)


def _number(value: float) -> str:
    # CloudWatch prints doubles the Java way: 1.0, 0.5, 1.0E7.
    if value == int(value) and abs(value) < 1e7:
        return f"{int(value)}.0"
    return repr(value)


class AlarmMonitor:
    """One alarm's life: its state, history and the actions its transitions fire.

    It starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") and changes only when
    :meth:`evaluate` is called, at the clock's time.

    Args:
        definition: the alarm.
        clock: the clock the caller advances.
    """

    __slots__ = ("_history", "_reason", "_state", "clock", "definition")

    def __init__(self, definition: AlarmDefinition, clock: Clock) -> None:
        self.definition = definition
        self.clock = clock
        self._state = AlarmState.INSUFFICIENT_DATA
        self._reason = "Unchecked: Initial alarm creation"
        now = clock.now()
        self._history: list[HistoryItem] = [
            HistoryItem(now, "ConfigurationUpdate", f'Alarm "{definition.name}" created')
        ]

    @property
    def state(self) -> AlarmState:
        return self._state

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def history(self) -> tuple[HistoryItem, ...]:
        """History entries, oldest first."""
        return tuple(self._history)

    def evaluate(self, store: MetricStore) -> Transition | None:
        """Evaluate at the clock's current time.

        Args:
            store: the metric datapoints.

        Returns:
            The transition with the actions to fire, or None when the state does not change.

        Raises:
            Unverified: the alarm uses an anomaly-detection operator.
        """
        now = self.clock.now()
        outcome = evaluate_alarm(self.definition, store, now)
        if outcome.state is None or outcome.state is self._state:
            return None
        old = self._state
        self._state = outcome.state
        self._reason = outcome.reason
        self._history.append(
            HistoryItem(
                now,
                "StateUpdate",
                f"Alarm updated from {old.value} to {outcome.state.value}",
                old,
                outcome.state,
                outcome.reason,
            )
        )
        actions = self.definition.actions_for(outcome.state)
        for action in actions:
            self._history.append(HistoryItem(now, "Action", f"Successfully executed action {action}"))
        return Transition(self.definition.name, now, old, outcome.state, outcome.reason, actions)


def notification_message(
    definition: AlarmDefinition, transition: Transition, *, account: str, region: str
) -> dict[str, object]:
    """The JSON body CloudWatch publishes to an SNS topic for a state change.

    Args:
        definition: the alarm.
        transition: the state change.
        account: the account id of the alarm.
        region: the region code, such as us-east-1.

    Returns:
        The message as a JSON-ready dict, with CloudWatch's field names.
    """
    extended = definition.statistic not in STATISTICS
    trigger: dict[str, object] = {
        "MetricName": definition.metric_name,
        "Namespace": definition.namespace,
        "StatisticType": "ExtendedStatistic" if extended else "Statistic",
        "Unit": definition.unit,
        "Dimensions": [{"value": value, "name": name} for name, value in definition.dimensions.items()],
        "Period": definition.period,
        "EvaluationPeriods": definition.evaluation_periods,
        "DatapointsToAlarm": definition.required_breaches,
        "ComparisonOperator": definition.comparison_operator,
        "Threshold": definition.threshold,
        "TreatMissingData": definition.treat_missing_data,
        "EvaluateLowSampleCountPercentile": "",
    }
    # CloudWatch writes standard statistics in capitals in notifications (SUM, AVERAGE), percentiles as given.
    if extended:
        trigger["ExtendedStatistic"] = definition.statistic
    else:
        trigger["Statistic"] = definition.statistic.upper()
    return {
        "AlarmName": definition.name,
        "AlarmDescription": None,
        "AWSAccountId": account,
        "NewStateValue": transition.new_state.value,
        "NewStateReason": transition.reason,
        "StateChangeTime": transition.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{definition.name}",
        "OldStateValue": transition.old_state.value,
        "OKActions": list(definition.ok_actions),
        "AlarmActions": list(definition.alarm_actions),
        "InsufficientDataActions": list(definition.insufficient_data_actions),
        "Trigger": trigger,
    }


__all__ = [
    "ANOMALY_OPERATORS",
    "STATISTICS",
    "TREAT_MISSING",
    "AlarmDefinition",
    "AlarmMonitor",
    "AlarmState",
    "Clock",
    "Evaluation",
    "HistoryItem",
    "ManualClock",
    "MetricStore",
    "PeriodValue",
    "Transition",
    "evaluate_alarm",
    "notification_message",
    "period_values",
    "statistic_value",
]
