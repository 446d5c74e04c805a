"""Alarm evaluation: the AWS missing-data tables, M of N, statistics, transitions, history and actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.detect.alarms import (
    AlarmDefinition,
    AlarmMonitor,
    AlarmState,
    ManualClock,
    MetricStore,
    evaluate_alarm,
    notification_message,
    statistic_value,
)
from harness.detect.metrics import MetricDatapoint
from harness.errors import InputError, Unverified

START = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
PERIOD = 300
TOPIC = "arn:aws:sns:us-east-1:123456789012:security-alerts"


def definition(**overrides: object) -> AlarmDefinition:
    fields: dict[str, object] = {
        "name": "unauthorized-api-calls",
        "namespace": "CISBenchmark",
        "metric_name": "UnauthorizedAPICalls",
        "statistic": "Sum",
        "period": PERIOD,
        "evaluation_periods": 3,
        "threshold": 1.0,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "alarm_actions": (TOPIC,),
    }
    fields.update(overrides)
    return AlarmDefinition(**fields)  # type: ignore[arg-type]


def point(value: float, at: datetime, **dimensions: str) -> MetricDatapoint:
    return MetricDatapoint("CISBenchmark", "UnauthorizedAPICalls", value, at, dimensions, "Count")


def store_from(row: str) -> tuple[MetricStore, datetime]:
    """A store holding the documented notation ("0 - X - X", newest on the right), and the time just after."""
    store = MetricStore()
    marks = row.split()
    for index, mark in enumerate(marks):
        at = START + timedelta(seconds=PERIOD * index + 30)
        if mark == "X":
            store.put([point(5.0, at)])
        elif mark == "0":
            store.put([point(0.0, at)])
    return store, START + timedelta(seconds=PERIOD * len(marks) + 10)


RETAIN = None
# The two tables of "How alarm state is evaluated when data is missing", evaluation range 5, N = 3.
THREE_OF_THREE = [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - X - -", "ALARM", RETAIN, "ALARM", "OK"),
]
TWO_OF_THREE = [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - X -", "ALARM", RETAIN, "ALARM", "OK"),
]
MODES = ("missing", "ignore", "breaching", "notBreaching")


@pytest.mark.parametrize(("m", "table"), [(3, THREE_OF_THREE), (2, TWO_OF_THREE)])
def test_documented_missing_data_tables(m: int, table: list[tuple[str, ...]]) -> None:
    for row, *expected in table:
        store, now = store_from(row)
        for mode, want in zip(MODES, expected, strict=True):
            outcome = evaluate_alarm(
                definition(datapoints_to_alarm=m, treat_missing_data=mode, evaluation_range=5), store, now
            )
            got = outcome.state.value if outcome.state is not None else None
            assert got == want, (m, row, mode, outcome.reason)


def test_premature_alarm_waits_for_the_next_datapoint() -> None:
    # AWS: with 3 of 3, "- - - - X" and "- - - X -" do not go to ALARM at once.
    for row in ("- - - - X", "- - - X -"):
        store, now = store_from(row)
        assert evaluate_alarm(definition(evaluation_range=5), store, now).state is not AlarmState.ALARM


def test_new_alarm_starts_insufficient_and_records_creation() -> None:
    clock = ManualClock(START)
    monitor = AlarmMonitor(definition(), clock)
    assert monitor.state is AlarmState.INSUFFICIENT_DATA
    assert monitor.reason == "Unchecked: Initial alarm creation"
    assert [item.item_type for item in monitor.history] == ["ConfigurationUpdate"]
    assert monitor.history[0].summary == 'Alarm "unauthorized-api-calls" created'


def test_transition_to_alarm_fires_alarm_actions_with_cloudwatch_reason() -> None:
    clock = ManualClock(START)
    store = MetricStore()
    monitor = AlarmMonitor(definition(evaluation_periods=1, ok_actions=("arn:ok",)), clock)
    store.put([point(3.0, START + timedelta(seconds=10)), point(2.0, START + timedelta(seconds=20))])
    clock.advance(PERIOD)
    transition = monitor.evaluate(store)
    assert transition is not None
    assert (transition.old_state, transition.new_state) == (AlarmState.INSUFFICIENT_DATA, AlarmState.ALARM)
    assert transition.actions == (TOPIC,)
    assert transition.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (26/11/26 15:00:00)] was greater than or equal to "
        "the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert monitor.history[-2].summary == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert monitor.history[-1].summary == f"Successfully executed action {TOPIC}"
    # Same state again: no transition, no new history.
    store.put([point(4.0, START + timedelta(seconds=PERIOD + 5))])
    clock.advance(PERIOD)
    assert monitor.evaluate(store) is None
    assert len(monitor.history) == 3
    # Not breaching: back to OK with the OK actions.
    store.put([point(0.0, START + timedelta(seconds=2 * PERIOD + 5))])
    clock.advance(PERIOD)
    back = monitor.evaluate(store)
    assert back is not None and back.new_state is AlarmState.OK and back.actions == ("arn:ok",)
    assert back.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (26/11/26 15:10:00)] was not greater than or equal "
        "to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )


def test_m_of_n_reason_lists_the_breaching_datapoints() -> None:
    store, now = store_from("0 X 0 X")
    outcome = evaluate_alarm(definition(datapoints_to_alarm=2, evaluation_periods=3), store, now)
    assert outcome.state is AlarmState.ALARM
    assert outcome.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (26/11/26 15:15:00), 5.0 (26/11/26 15:05:00)] "
        "were greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )
    store, now = store_from("X 0 0 X")
    assert evaluate_alarm(definition(datapoints_to_alarm=2), store, now).state is AlarmState.OK


def test_missing_data_reasons() -> None:
    store, now = store_from("- - -")
    breaching = evaluate_alarm(definition(evaluation_periods=1, treat_missing_data="breaching"), store, now)
    assert breaching.state is AlarmState.ALARM
    assert breaching.reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[Breaching]."
    )
    good = evaluate_alarm(definition(treat_missing_data="notBreaching"), store, now)
    assert good.state is AlarmState.OK
    assert good.reason == (
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as "
        "[NonBreaching]."
    )
    unknown = evaluate_alarm(definition(), store, now)
    assert (unknown.state, unknown.reason) == (
        AlarmState.INSUFFICIENT_DATA,
        "Insufficient Data: 3 datapoints were unknown.",
    )


def test_ignore_keeps_the_current_state_on_a_monitor() -> None:
    clock = ManualClock(START)
    store = MetricStore([point(5.0, START + timedelta(seconds=1))])
    monitor = AlarmMonitor(definition(evaluation_periods=1, treat_missing_data="ignore"), clock)
    clock.advance(PERIOD)
    assert monitor.evaluate(store) is not None and monitor.state is AlarmState.ALARM
    clock.advance(PERIOD * 10)
    assert monitor.evaluate(store) is None
    assert monitor.state is AlarmState.ALARM


def test_missing_data_returns_to_insufficient_data_with_its_actions() -> None:
    clock = ManualClock(START)
    store = MetricStore([point(5.0, START + timedelta(seconds=1))])
    monitor = AlarmMonitor(definition(evaluation_periods=1, insufficient_data_actions=("arn:insufficient",)), clock)
    clock.advance(PERIOD)
    monitor.evaluate(store)
    clock.advance(PERIOD * 4)
    transition = monitor.evaluate(store)
    assert transition is not None
    assert transition.new_state is AlarmState.INSUFFICIENT_DATA
    assert transition.actions == ("arn:insufficient",)


def test_actions_disabled_fire_nothing() -> None:
    clock = ManualClock(START)
    store = MetricStore([point(5.0, START + timedelta(seconds=1))])
    monitor = AlarmMonitor(definition(evaluation_periods=1, actions_enabled=False), clock)
    clock.advance(PERIOD)
    transition = monitor.evaluate(store)
    assert transition is not None and transition.actions == ()


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ("SampleCount", 10.0),
        ("Sum", 55.0),
        ("Average", 5.5),
        ("Minimum", 1.0),
        ("Maximum", 10.0),
        ("p50", 5.0),
        ("p90", 9.0),
        ("p99", 10.0),
        ("p99.9", 10.0),
        ("p10", 1.0),
        ("p0", 1.0),
        ("p100", 10.0),
    ],
)
def test_statistics(statistic: str, expected: float) -> None:
    assert statistic_value(statistic, [float(v) for v in (7, 3, 1, 10, 2, 9, 4, 8, 6, 5)]) == expected


def test_percentile_alarm() -> None:
    store = MetricStore(point(float(v), START + timedelta(seconds=v)) for v in range(1, 101))
    now = START + timedelta(seconds=PERIOD)
    p99 = definition(statistic="p99", evaluation_periods=1, threshold=99, comparison_operator="GreaterThanThreshold")
    assert evaluate_alarm(p99, store, now).state is AlarmState.OK
    p100 = definition(statistic="p100", evaluation_periods=1, threshold=99, comparison_operator="GreaterThanThreshold")
    assert evaluate_alarm(p100, store, now).state is AlarmState.ALARM


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("GreaterThanOrEqualToThreshold", 1.0, AlarmState.ALARM),
        ("GreaterThanThreshold", 1.0, AlarmState.OK),
        ("LessThanThreshold", 0.5, AlarmState.ALARM),
        ("LessThanThreshold", 1.0, AlarmState.OK),
        ("LessThanOrEqualToThreshold", 1.0, AlarmState.ALARM),
    ],
)
def test_comparison_operators(operator: str, value: float, expected: AlarmState) -> None:
    store = MetricStore([point(value, START)])
    outcome = evaluate_alarm(
        definition(comparison_operator=operator, evaluation_periods=1), store, START + timedelta(seconds=PERIOD)
    )
    assert outcome.state is expected


def test_only_the_exact_metric_counts() -> None:
    store = MetricStore([point(5.0, START, Service="iam"), MetricDatapoint("Other", "UnauthorizedAPICalls", 5, START)])
    now = START + timedelta(seconds=PERIOD)
    assert evaluate_alarm(definition(evaluation_periods=1), store, now).state is AlarmState.INSUFFICIENT_DATA
    scoped = definition(evaluation_periods=1, dimensions={"Service": "iam"})
    assert evaluate_alarm(scoped, store, now).state is AlarmState.ALARM
    assert evaluate_alarm(definition(evaluation_periods=1, unit="Seconds"), store, now).state is not AlarmState.ALARM


def test_current_period_is_not_evaluated_until_complete() -> None:
    store = MetricStore([point(5.0, START + timedelta(seconds=10))])
    assert evaluate_alarm(definition(evaluation_periods=1), store, START + timedelta(seconds=299)).state is (
        AlarmState.INSUFFICIENT_DATA
    )


def test_anomaly_operators_are_unverified() -> None:
    with pytest.raises(Unverified, match="anomaly detection"):
        evaluate_alarm(
            definition(comparison_operator="GreaterThanUpperThreshold"), MetricStore(), START + timedelta(hours=1)
        )


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"statistic": "Median"}, "Statistic"),
        ({"statistic": "p101"}, "Statistic"),
        ({"period": 45}, "Period"),
        ({"evaluation_periods": 0}, "EvaluationPeriods"),
        ({"datapoints_to_alarm": 4}, "DatapointsToAlarm"),
        ({"comparison_operator": "GreaterThan"}, "ComparisonOperator"),
        ({"treat_missing_data": "NotBreaching"}, "TreatMissingData"),
        ({"threshold": float("nan")}, "Threshold"),
        ({"evaluation_range": 2}, "evaluation range"),
    ],
)
def test_invalid_definitions(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        definition(**overrides)


def test_manual_clock_only_moves_forward() -> None:
    clock = ManualClock(START)
    assert clock.advance(60) == START + timedelta(minutes=1)
    with pytest.raises(InputError):
        clock.advance(-1)
    with pytest.raises(InputError):
        ManualClock(datetime(2026, 1, 1))


def test_notification_message_for_sns() -> None:
    clock = ManualClock(START)
    store = MetricStore([point(5.0, START + timedelta(seconds=1))])
    alarm = definition(evaluation_periods=1)
    monitor = AlarmMonitor(alarm, clock)
    clock.advance(PERIOD)
    transition = monitor.evaluate(store)
    assert transition is not None
    message = notification_message(alarm, transition, account="123456789012", region="us-east-1")
    assert message["NewStateValue"] == "ALARM"
    assert message["OldStateValue"] == "INSUFFICIENT_DATA"
    assert message["NewStateReason"] == transition.reason
    assert message["StateChangeTime"] == "2026-11-26T15:05:00.000+0000"
    assert message["Region"] == "US East (N. Virginia)"
    assert message["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:unauthorized-api-calls"
    trigger = message["Trigger"]
    assert isinstance(trigger, dict)
    assert (trigger["Statistic"], trigger["StatisticType"], trigger["Threshold"]) == ("SUM", "Statistic", 1.0)
    p99 = notification_message(definition(statistic="p99"), transition, account="1", region="eu-west-1")
    assert isinstance(p99["Trigger"], dict) and p99["Trigger"]["ExtendedStatistic"] == "p99"
