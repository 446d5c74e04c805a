"""Steps for the lifecycle area: deploy, re-plan, drift, destroy, and refusing broken definitions."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from harness import scenario
from harness.acceptance import Deployment, expect_drift, expect_empty_plan
from harness.errors import InputError
from harness.model.definition import Definition


@given("the pipeline under test is deployed")
def deployed_pipeline(pw: Deployment, pw_definition: Definition, pw_deploy_failures: dict[int, str]) -> None:
    scenario.deploy_for_claim(pw, pw_definition, pw_deploy_failures)


@when("the pipeline under test is deployed")
def deploy_pipeline(pw: Deployment, pw_definition: Definition, pw_deploy_failures: dict[int, str]) -> None:
    scenario.deploy_as_claim(pw, pw_definition, pw_deploy_failures)


@then("a second plan shows no changes")
def second_plan_empty(pw: Deployment) -> None:
    expect_empty_plan()(pw)


@when(parsers.parse("someone grants the {role} role administrator access directly"))
def drift_role_policy(pw: Deployment, role: str) -> None:
    scenario.grant_admin_out_of_band(pw, role)


@then(parsers.parse("the next plan reports drift in the {role} role's inline policies"))
def plan_shows_drift(pw: Deployment, role: str) -> None:
    expect_drift(scenario.role_address(pw, role), "inline_policies")(pw)


@when("the pipeline is destroyed")
def destroy_pipeline(pw: Deployment) -> None:
    scenario.destroy_and_check(pw)


@then("no resource of the pipeline remains")
def nothing_remains(pw: Deployment) -> None:
    pw.check_destroy()


@when(parsers.parse('the definition "{name}" is loaded'), target_fixture="load_outcome")
def load_named(name: str) -> Definition | InputError:
    return scenario.try_load(scenario.fixture_path(name))


@then(parsers.parse('loading fails with "{fragment}"'))
def loading_fails(load_outcome: Definition | InputError, fragment: str) -> None:
    scenario.expect_load_error(load_outcome, fragment)
