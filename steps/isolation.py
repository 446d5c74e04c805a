"""Steps for the isolation area: network paths between environments and the data tier, and what non-production
identities can do to production data."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from harness import isolation
from harness.acceptance import Deployment
from harness.enforce.api import CallOutcome


@then("no non-production build reaches the production data tier on any protocol or port")
def no_path_to_data_tier(pw: Deployment) -> None:
    isolation.expect_no_path(isolation.survey_data_tier_from_non_production(pw))


@then("each production build reaches AWS services only through its VPC endpoints")
def endpoints_only(pw: Deployment) -> None:
    isolation.expect_endpoints_only(isolation.survey_production_egress(pw))


@then("no other workload of the production network reaches the production data tier")
def data_tier_closed(pw: Deployment) -> None:
    isolation.expect_no_path(isolation.survey_data_tier_exposure(pw))


@when(
    parsers.parse("someone opens the production data tier to {cidr} on port {port:d}"),
    target_fixture="opened_rules",
)
def open_data_tier(pw: Deployment, cidr: str, port: int) -> tuple[isolation.OpenedRule, ...]:
    return isolation.open_data_tier(pw, cidr, port)


@then("the opened rule is reported as a path to the production data tier")
def opened_rule_reported(pw: Deployment, opened_rules: tuple[isolation.OpenedRule, ...]) -> None:
    isolation.expect_reported_path(isolation.survey_data_tier_exposure(pw), opened_rules)


@then("the next plan reports drift in the production data tier's ingress rules")
def data_tier_drift(pw: Deployment) -> None:
    isolation.expect_data_tier_drift(pw)


@when(
    "each non-production role tries to read, copy and decrypt production data",
    target_fixture="data_attempts",
)
def non_production_attempts(pw: Deployment) -> tuple[CallOutcome, ...]:
    return isolation.non_production_attempts(pw)


@when(
    "each production role reads production data from outside the production endpoint",
    target_fixture="data_attempts",
)
def reads_from_outside(pw: Deployment) -> tuple[CallOutcome, ...]:
    return isolation.production_reads_from_outside(pw)


@then("every attempt is denied")
def every_attempt_denied(data_attempts: tuple[CallOutcome, ...]) -> None:
    isolation.expect_all_denied(data_attempts)


@then("each production build may read production data through its VPC endpoint")
def reads_through_endpoint(pw: Deployment) -> None:
    isolation.expect_endpoint_reads_allowed(isolation.production_reads_through_endpoint(pw))
