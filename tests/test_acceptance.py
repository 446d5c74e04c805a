"""The acceptance runner: Case and Step validation, expected errors, plan-only steps, composed checks, cleanup."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from harness.acceptance import (
    Case,
    Deployment,
    NamedCheck,
    Step,
    compose,
    compose_all,
    expect_attribute,
    expect_drift,
    expect_empty_plan,
    expect_exists,
    run_case,
    run_step,
)
from harness.backends import Backend
from harness.errors import CheckFailed, DeployError
from harness.evidence.record import Outcome
from harness.model.definition import Definition
from harness.provider.base import ProviderContext
from harness.provider.lifecycle import Provider
from harness.provider.registry import Registry
from tests.conftest import definition

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _small(retention: int = 30) -> Definition:
    return definition(
        f"""
        log_groups:
          g:
            retention_days: {retention}
        roles:
          r:
            assumed_by: codebuild.amazonaws.com
            tags: {{team: blue}}
        """
    )


def _leftovers(backend: Backend) -> list[str]:
    """Everything any run left in the (reset) backend: every run prefix starts with 'pw-'."""
    return Provider(backend, "pw-").leftovers()


def _grant_admin(deployment: Deployment) -> None:
    deployment.backend.client("iam").put_role_policy(
        RoleName=f"{deployment.prefix}r", PolicyName="admin", PolicyDocument=json.dumps(ADMIN)
    )


def _failing(description: str, message: str, calls: list[str] | None = None) -> NamedCheck:
    def run(deployment: Deployment) -> None:
        if calls is not None:
            calls.append(description)
        raise CheckFailed(message)

    return NamedCheck(description, run)


def _passing(description: str, calls: list[str]) -> NamedCheck:
    return NamedCheck(description, lambda deployment: calls.append(description))


@pytest.fixture
def deployment(backend: Backend) -> Any:
    deployment = Deployment(backend)
    yield deployment
    deployment.provider.sweep()


# -- validation ----------------------------------------------------------------------------------------------
def test_a_step_needs_a_valid_expected_error_pattern() -> None:
    with pytest.raises(ValueError) as caught:
        Step(expect_error="(unclosed")

    assert str(caught.value) == (
        "Step.expect_error: expected a regular expression, found missing ), unterminated subpattern at position 0"
    )


def test_expect_non_empty_plan_needs_plan_only() -> None:
    with pytest.raises(ValueError) as caught:
        Step(definition=_small(), expect_non_empty_plan=True)

    assert str(caught.value) == "Step: expect_non_empty_plan needs plan_only=True (an applied step re-plans empty)"


def test_a_case_needs_steps_and_a_first_definition() -> None:
    with pytest.raises(ValueError, match=r"^Case: expected at least one step, found none$"):
        Case(steps=())
    with pytest.raises(ValueError, match=r"^Case: expected the first step to give a definition, found none$"):
        Case(steps=(Step(),))


def test_a_deployment_without_a_definition_says_so(deployment: Deployment) -> None:
    with pytest.raises(CheckFailed) as caught:
        deployment.apply()

    assert str(caught.value) == "deployment: expected a pipeline definition, found none; give one before deploying"


# -- expected errors -----------------------------------------------------------------------------------------
def _refuse_log_groups(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(ctx: ProviderContext, resource: Any) -> Any:
        raise DeployError("log group refused by the test", resource="log_groups.g", operation="create")

    monkeypatch.setattr(provider.registry.handlers["log_groups"], "create", refuse)


def test_an_expected_error_that_matches_passes(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    _refuse_log_groups(deployment.provider, monkeypatch)

    run_step(deployment, Step(definition=_small(), expect_error=r"refused by the test\. Rolled back 0"))

    assert deployment.provider.leftovers() == []


def test_an_expected_error_that_does_not_match_fails(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    _refuse_log_groups(deployment.provider, monkeypatch)

    with pytest.raises(CheckFailed) as caught:
        run_step(deployment, Step(definition=_small(), expect_error="AccessDenied"))

    assert str(caught.value) == (
        "step: expected an error matching 'AccessDenied', found: log group refused by the test. "
        "Rolled back 0 created resource(s)."
    )
    assert isinstance(caught.value.__cause__, DeployError)


def test_an_expected_error_that_does_not_happen_fails(deployment: Deployment) -> None:
    with pytest.raises(CheckFailed) as caught:
        run_step(deployment, Step(definition=_small(), expect_error="AccessDenied"))

    assert str(caught.value) == "step: expected an error matching 'AccessDenied', found success"


def test_an_unexpected_error_propagates_as_itself(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    _refuse_log_groups(deployment.provider, monkeypatch)

    with pytest.raises(DeployError, match="refused by the test"):
        run_step(deployment, Step(definition=_small()))


# -- plan-only steps -----------------------------------------------------------------------------------------
def test_plan_only_with_expect_non_empty_plan(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small(30)))

    run_step(deployment, Step(definition=_small(90), plan_only=True, expect_non_empty_plan=True))

    assert deployment.last_plan is not None
    assert deployment.last_plan.render() == "~ log_groups.g (log group): update\n    retention_days: 30 -> 90"
    assert deployment.evidence.current().data["plan"] == deployment.last_plan.render()
    with pytest.raises(CheckFailed) as caught:
        run_step(deployment, Step(definition=_small(30), plan_only=True, expect_non_empty_plan=True))
    assert str(caught.value) == "plan_only step: expected a non-empty plan, found no changes"


def test_plan_only_expects_an_empty_plan_by_default(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small(30)))
    run_step(deployment, Step(plan_only=True))

    with pytest.raises(CheckFailed) as caught:
        run_step(deployment, Step(definition=_small(90), plan_only=True))

    assert str(caught.value) == (
        "plan_only step: expected an empty plan, found:\n~ log_groups.g (log group): update\n"
        "    retention_days: 30 -> 90"
    )


def test_a_prepared_change_shows_as_drift(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small()))

    run_step(
        deployment,
        Step(
            prepare=_grant_admin,
            plan_only=True,
            expect_non_empty_plan=True,
            checks=(expect_drift("roles.r", "inline_policies"),),
        ),
    )


# -- checks --------------------------------------------------------------------------------------------------
def test_checks_have_readable_reprs() -> None:
    assert repr(expect_empty_plan()) == "<check expect_empty_plan()>"
    assert repr(expect_drift("roles.r", "tags")) == "<check expect_drift('roles.r', 'tags')>"
    assert repr(expect_exists("roles.r")) == "<check expect_exists('roles.r')>"
    assert repr(expect_attribute("log_groups.g", "retention_days", 30)) == (
        "<check expect_attribute('log_groups.g', 'retention_days', 30)>"
    )
    assert repr(compose(expect_empty_plan(), expect_exists("roles.r"))) == (
        "<check all of [<check expect_empty_plan()>, <check expect_exists('roles.r')>]>"
    )
    assert repr(compose_all(expect_empty_plan())) == "<check each of [<check expect_empty_plan()>]>"


def test_compose_stops_at_the_first_failure_and_says_which(deployment: Deployment) -> None:
    calls: list[str] = []
    check = compose(_passing("first", calls), _failing("second", "it broke", calls), _passing("third", calls))

    with pytest.raises(CheckFailed) as caught:
        check(deployment)

    assert str(caught.value) == "check 2/3 <check second>: it broke"
    assert caught.value.fields["index"] == 2
    assert calls == ["first", "second"]


def test_compose_all_runs_every_check_and_reports_every_failure(deployment: Deployment) -> None:
    calls: list[str] = []
    check = compose_all(_failing("first", "one", calls), _passing("second", calls), _failing("third", "three", calls))

    with pytest.raises(CheckFailed) as caught:
        check(deployment)

    assert str(caught.value) == "2 of 3 checks failed:\ncheck 1/3 <check first>: one\ncheck 3/3 <check third>: three"
    assert calls == ["first", "second", "third"]


def test_composed_checks_pass_when_all_pass(deployment: Deployment) -> None:
    calls: list[str] = []
    compose(_passing("a", calls), _passing("b", calls))(deployment)
    compose_all(_passing("c", calls))(deployment)

    assert calls == ["a", "b", "c"]


def test_resource_checks_pass_and_fail_with_messages(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small()))

    compose(
        expect_empty_plan(),
        expect_exists("roles.r"),
        expect_attribute("log_groups.g", "retention_days", 30),
        expect_attribute("roles.r", "tags", {"team": "blue"}),
    )(deployment)

    failures = {
        "missing address": (
            expect_exists("roles.nope"),
            "definition 'test': expected a resource 'roles.nope', found none",
        ),
        "wrong value": (
            expect_attribute("log_groups.g", "retention_days", 90),
            "log group 'log_groups.g': expected retention_days = 90, found 30",
        ),
        "no drift": (
            expect_drift("log_groups.g", "retention_days"),
            "plan for 'log_groups.g': expected drift on 'retention_days', found action 'no-op'; full plan:\nno changes",
        ),
        "unknown drift address": (
            expect_drift("log_groups.nope", "retention_days"),
            "plan: expected a resource 'log_groups.nope', found none in the definition",
        ),
    }
    for name, (check, message) in failures.items():
        with pytest.raises(CheckFailed) as caught:
            check(deployment)
        assert str(caught.value) == message, name

    deployment.provider.destroy(deployment.require_definition())
    with pytest.raises(CheckFailed, match=r"^IAM role 'roles\.r': expected it to exist in the backend, found nothing$"):
        expect_exists("roles.r")(deployment)


def test_expect_empty_plan_fails_on_drift(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small()))
    _grant_admin(deployment)

    with pytest.raises(CheckFailed) as caught:
        expect_empty_plan()(deployment)

    assert str(caught.value).startswith(
        "definition 'test': expected an empty plan, found:\n~ roles.r (IAM role): update\n    inline_policies: "
    )


def test_expect_drift_names_the_fields_that_did_change(deployment: Deployment) -> None:
    run_step(deployment, Step(definition=_small()))
    _grant_admin(deployment)

    with pytest.raises(CheckFailed) as caught:
        expect_drift("roles.r", "trust_policy")(deployment)

    assert str(caught.value).startswith(
        "plan for 'roles.r': expected drift on 'trust_policy', found changes to inline_policies; full plan:\n"
    )


# -- run_case ------------------------------------------------------------------------------------------------
def test_run_case_runs_steps_then_destroys_and_leaves_nothing(backend: Backend) -> None:
    case = Case(
        name="log retention can change",
        steps=(
            Step(definition=_small(30), checks=(expect_attribute("log_groups.g", "retention_days", 30),)),
            Step(definition=_small(90), checks=(expect_attribute("log_groups.g", "retention_days", 90),)),
        ),
    )

    evidence = run_case(case, backend)

    assert [s.name for s in evidence.steps] == ["step 1/2", "step 2/2", "destroy"]
    assert {s.outcome for s in evidence.steps} == {Outcome.PASSED}
    assert "iam:CreateRole" in {f"{c.service}:{c.operation}" for c in evidence.steps[0].calls}
    assert "logs:PutRetentionPolicy" in {f"{c.service}:{c.operation}" for c in evidence.steps[1].calls}
    assert "iam:DeleteRole" in {f"{c.service}:{c.operation}" for c in evidence.steps[2].calls}
    assert _leftovers(backend) == []


def test_run_case_destroys_even_when_a_step_fails(backend: Backend) -> None:
    case = Case(
        steps=(
            Step(definition=_small(30)),
            Step(checks=(expect_attribute("log_groups.g", "retention_days", 7),)),
            Step(definition=_small(90)),
        )
    )

    with pytest.raises(CheckFailed) as caught:
        run_case(case, backend)

    assert str(caught.value) == "log group 'log_groups.g': expected retention_days = 7, found 30"
    assert _leftovers(backend) == []
    assert backend.client("logs").describe_log_groups()["logGroups"] == []
    assert backend.client("iam").list_roles()["Roles"] == []


def test_run_case_destroys_when_deploying_fails_half_way(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    handlers = Registry.discover().handlers

    def refuse(ctx: ProviderContext, resource: Any) -> Any:
        raise RuntimeError("role service down")

    monkeypatch.setattr(handlers["roles"], "create", refuse)

    with pytest.raises(DeployError, match=re.escape("IAM role 'roles.r': create failed: RuntimeError: role")):
        run_case(Case(steps=(Step(definition=_small()),)), backend)

    assert _leftovers(backend) == []


def test_run_case_check_destroy_catches_leftovers_and_sweeps_them(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Registry.discover().handlers["log_groups"], "delete", lambda ctx, resource: None)

    with pytest.raises(CheckFailed) as caught:
        run_case(Case(steps=(Step(definition=_small()),)), backend)

    assert str(caught.value) == (
        "definition 'test': expected nothing left after destroy, found log_groups.g; "
        "the handlers' delete missed them (run 'pipewarden sweep' to remove leftovers)"
    )
    assert _leftovers(backend) == []


def test_run_case_without_check_destroy_still_destroys(backend: Backend) -> None:
    run_case(Case(steps=(Step(definition=_small()),), check_destroy=False), backend)

    assert _leftovers(backend) == []
