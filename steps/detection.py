"""Steps for the detection area: drive behaviour through the deployed trail, filters, alarms and topics."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from harness.acceptance import Deployment
from harness.detect import scenario as detection


@when(parsers.re(r"the (?P<role>[\w-]+) role makes (?P<count>\d+) calls? it is not allowed to make"))
def denied_calls(pw: Deployment, role: str, count: str) -> None:
    detection.make_denied_calls(pw, role, int(count))


@when(parsers.parse("someone changes the {role} role's permissions through the API"))
def role_permissions_changed(pw: Deployment, role: str) -> None:
    detection.change_role_permissions(pw, role)


@when("someone changes the pipeline definition through the API")
def pipeline_changed(pw: Deployment) -> None:
    detection.change_pipeline(pw)


@when("someone stops the audit trail through the API")
def trail_stopped(pw: Deployment) -> None:
    detection.stop_trail(pw)


@when(parsers.parse("the pipeline's build runs {count:d} times within {minutes:d} minutes"))
def many_builds(pw: Deployment, count: int, minutes: int) -> None:
    detection.run_builds(pw, count)


@when(parsers.parse("{count:d} builds of the pipeline hang until their timeout"))
def hanging_builds(pw: Deployment, count: int) -> None:
    detection.hang_builds(pw, count)


@when("the audit trail delivers its logs")
def trail_delivers(pw: Deployment) -> None:
    detection.deliver(pw)


@then(parsers.parse("an alarm on {kind} goes off"))
def alarm_goes_off(pw: Deployment, kind: str) -> None:
    detection.expect_alarm(pw, kind)


@then(parsers.parse("no alarm on {kind} goes off"))
def no_alarm(pw: Deployment, kind: str) -> None:
    detection.expect_no_alarm(pw, kind)


@then(parsers.parse("the security team is notified of {what}"))
def team_notified(pw: Deployment, what: str) -> None:
    detection.expect_notified(pw, detection.last_kind(pw) if what == "it" else what)


@then("every metric filter on the audit log has matched at least one event")
def every_filter_matched(pw: Deployment) -> None:
    detection.expect_every_filter_matched(pw)
