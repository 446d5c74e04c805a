"""Acceptance runner in the style of terraform-plugin-testing: a Case of Steps, each a definition plus checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from harness.backends.base import Backend
from harness.backends.moto_bucket_policy import judge_signer
from harness.detect.filtering import FilterLogEventsService
from harness.enforce.enforcer import Enforcer
from harness.enforce.principals import Principals
from harness.errors import CheckFailed, PipewardenError
from harness.evidence.record import Evidence, Outcome
from harness.iam.evaluator import resource_policy_judge
from harness.model.definition import Definition
from harness.provider.lifecycle import Plan, Provider
from harness.trail.access_logs import ServerAccessLogging
from harness.trail.service import CloudTrailEmulator


class Deployment:
    """One deployed definition in one backend, with its evidence: what steps and checks act on.

    Args:
        backend: an open backend.
        evidence: where calls and notes are recorded (a new one when None).
        prefix: the run's name prefix (a fresh one when None).
        role_map: scenario role (``build``) to definition role name, when names differ.
    """

    def __init__(
        self,
        backend: Backend,
        evidence: Evidence | None = None,
        prefix: str | None = None,
        role_map: dict[str, str] | None = None,
        map_option: str = "--pw-map",
    ) -> None:
        self.backend = backend
        self.role_map: dict[str, str] = dict(role_map or {})
        # How the interface in use binds a scenario role (``--map`` on the command line), for hints.
        self.map_option = map_option
        self.evidence = evidence or Evidence()
        self.provider = Provider(backend, prefix) if prefix else Provider(backend)
        # IAM as AWS enforces it, on every call by a scenario identity while the deployment is observed (the
        # emulators do not enforce it); the harness's admin identity is never enforced.
        self.enforcer = Enforcer(backend, self.evidence)
        self.principals = Principals(self.enforcer)
        # Every call made while the deployment is observed is recorded as CloudTrail would record it.
        self.trail = CloudTrailEmulator(backend)
        # S3 server access logs of the buckets that have logging on, for the same calls.
        self.access_logs = ServerAccessLogging(backend, self.trail.recorder, self.trail.clock)
        self.log_search = FilterLogEventsService(backend)
        self.definition: Definition | None = None
        self.last_plan: Plan | None = None
        self.deployed: list[Definition] = []
        # Per-deployment state of other engines (the runtime's builds and executions), keyed by engine, and what
        # must be stopped when the deployment is torn down (a gateway thread). Never module globals.
        self.extras: dict[str, Any] = {}
        self.cleanups: list[Callable[[], None]] = []
        # What scenarios added to the pipeline's resources that must go before they can (a person added to a
        # group), run before the pipeline is removed.
        self.departures: list[Callable[[], None]] = []

    @property
    def prefix(self) -> str:
        """The run's name prefix."""
        return self.provider.prefix

    def physical_name(self, section: str, name: str) -> str:
        """The physical name of ``name`` in ``section``.

        A name of the definition becomes the name it is deployed under (declared, or the run prefix plus it); a
        physical name stays as it is; anything else gets the run prefix.
        """
        definition = self.definition
        if definition is not None and definition.get(section, name) is not None:
            return self.provider.ctx.name_of(section, name)
        declared = {str(self.provider.ctx.resolve(n)) for n in self.provider.ctx.declared.values()}
        return name if name.startswith(self.prefix) or name in declared else f"{self.prefix}{name}"

    def require_definition(self) -> Definition:
        """The current definition.

        Raises:
            CheckFailed: when no definition has been given yet.
        """
        if self.definition is None:
            raise CheckFailed("deployment: expected a pipeline definition, found none; give one before deploying")
        return self.definition

    def plan(self) -> Plan:
        """Plan the current definition against the backend and remember the plan."""
        self.last_plan = self.provider.plan(self.require_definition())
        self.evidence.current().data["plan"] = self.last_plan.render()
        return self.last_plan

    def apply(self, *, check_idempotent: bool = True) -> Plan:
        """Apply the current definition (see ``Provider.apply``)."""
        definition = self.require_definition()
        if definition not in self.deployed:
            self.deployed.append(definition)
        try:
            plan = self.provider.apply(definition, check_idempotent=check_idempotent)
        finally:
            for unknown in self.provider.unrewritten:
                self.evidence.note(f"not rewritten for the run prefix: {unknown}")
        self.evidence.current().data["applied"] = plan.render()
        return plan

    def destroy(self, *, as_declared: bool = False) -> list[str]:
        """Destroy every definition this deployment applied, newest first; return what could not be deleted.

        With ``as_declared``, what a definition retains on removal stays (see ``Provider.destroy``).
        """
        while self.departures:
            self.departures.pop()()
        failed: list[str] = []
        for definition in reversed(self.deployed):
            failed.extend(self.provider.destroy(definition, as_declared=as_declared))
        return failed

    def check_destroy(self) -> None:
        """Every resource of every applied definition must be gone, and nothing left under the prefix."""
        for definition in self.deployed:
            self.provider.check_destroy(definition)
        left = self.provider.leftovers()
        if left:
            raise CheckFailed(
                f"run {self.prefix}: expected no resources left under the run prefix, found {', '.join(left)}; "
                "the sweeper removes them ('pipewarden sweep --prefix ...')",
                left=left,
            )

    @contextmanager
    def _as_owner(self) -> Iterator[None]:
        """While the block runs, the harness's own calls (deploy, read back, clean up) are the account root's, made
        over TLS as far as bucket policies can tell: the emulator's bucket-policy check, blind to conditions, must
        not refuse them where AWS would not (a TLS-only bucket), and still refuses what AWS would (a Deny on every
        principal)."""
        admin = self.backend.admin
        judge = resource_policy_judge(admin.arn, {"aws:SecureTransport": "true"})
        release = judge_signer(self.backend.name, admin.credentials.access_key_id, judge)
        try:
            yield
        finally:
            release()

    @contextmanager
    def observed(self) -> Iterator[Deployment]:
        """Record every call made through the backend, and enforce IAM on it, while the block runs."""
        self.backend.add_observer(self.evidence)
        self.backend.add_observer(self.trail)
        # Access logs follow the CloudTrail emulator in use (its clock, and its suspension of the harness's calls).
        self.access_logs.recorder, self.access_logs.clock = self.trail.recorder, self.trail.clock
        self.access_logs.attach()
        self.enforcer.attach()
        # After enforcement's hook: the emulator answers only the CloudTrail calls enforcement let through.
        self.backend.add_before_call(self.trail.before_call)
        # Log searches use pipewarden's filter-pattern engine (the emulators match patterns loosely).
        self.backend.add_before_call(self.log_search.before_call)
        try:
            with self._as_owner():
                yield self
        finally:
            self.backend.remove_before_call(self.log_search.before_call)
            self.backend.remove_before_call(self.trail.before_call)
            self.enforcer.detach()
            self.access_logs.detach()
            self.backend.remove_observer(self.trail)
            self.backend.remove_observer(self.evidence)

    def teardown(self) -> None:
        """Destroy, check destruction, and sweep anything left (a failure half-way still cleans up).

        Raises:
            CheckFailed: when something was left behind (after the sweeper removed it).
        """
        try:
            with self._as_owner():
                failed = self.destroy()
                try:
                    self.check_destroy()
                except CheckFailed:
                    self.provider.sweep()
                    raise
        finally:
            while self.cleanups:
                self.cleanups.pop()()
        if failed:
            raise CheckFailed(f"run {self.prefix}: could not delete {', '.join(failed)}", failed=failed)


Check = Callable[[Deployment], None]


@dataclass(frozen=True, slots=True)
class NamedCheck:
    """A check with a readable description, shown in failures and reprs."""

    description: str
    func: Check

    def __call__(self, deployment: Deployment) -> None:
        self.func(deployment)

    def __repr__(self) -> str:
        return f"<check {self.description}>"


def compose(*checks: Check) -> NamedCheck:
    """Run checks in order and stop at the first failure, saying which one ("check 2/3").

    Returns:
        One check.
    """

    def run(deployment: Deployment) -> None:
        for index, check in enumerate(checks, start=1):
            try:
                check(deployment)
            except CheckFailed as exc:
                raise CheckFailed(f"check {index}/{len(checks)} {check!r}: {exc}", index=index) from exc

    return NamedCheck(f"all of {list(checks)!r}", run)


def compose_all(*checks: Check) -> NamedCheck:
    """Run every check and report every failure together.

    Returns:
        One check.
    """

    def run(deployment: Deployment) -> None:
        failures: list[str] = []
        for index, check in enumerate(checks, start=1):
            try:
                check(deployment)
            except CheckFailed as exc:
                failures.append(f"check {index}/{len(checks)} {check!r}: {exc}")
        if failures:
            raise CheckFailed(f"{len(failures)} of {len(checks)} checks failed:\n" + "\n".join(failures))

    return NamedCheck(f"each of {list(checks)!r}", run)


def expect_empty_plan() -> NamedCheck:
    """The definition and the backend agree: planning again changes nothing, and every resource has the name it
    declares (where the backend keeps declared names)."""

    def run(deployment: Deployment) -> None:
        plan = deployment.plan()
        definition = deployment.require_definition()
        if not plan.empty:
            raise CheckFailed(f"definition '{definition.name}': expected an empty plan, found:\n{plan.render()}")
        if deployment.provider.collisions:
            found = "; ".join(
                f"{definition.where(address)} declares '{name}', the name of {holder}"
                for address, holder, name in deployment.provider.collisions
            )
            raise CheckFailed(
                f"definition '{definition.name}': expected every resource created under the name it declares, found "
                f"{found}; AWS refuses the second create, so give each resource its own name",
                collisions=list(deployment.provider.collisions),
            )

    return NamedCheck("expect_empty_plan()", run)


def expect_drift(address: str, field_name: str) -> NamedCheck:
    """The next plan shows ``address`` to be updated because ``field_name`` differs from the definition."""

    def run(deployment: Deployment) -> None:
        plan = deployment.plan()
        change = plan.for_address(address)
        if change is None:
            raise CheckFailed(f"plan: expected a resource '{address}', found none in the definition")
        fields = [d.field for d in change.diffs]
        if change.action != "update" or field_name not in fields:
            raise CheckFailed(
                f"plan for '{address}': expected drift on '{field_name}', found "
                + (f"changes to {', '.join(fields)}" if fields else f"action '{change.action}'")
                + f"; full plan:\n{plan.render()}"
            )

    return NamedCheck(f"expect_drift({address!r}, {field_name!r})", run)


def expect_exists(address: str) -> NamedCheck:
    """Reading ``address`` back from the backend finds it."""

    def run(deployment: Deployment) -> None:
        definition = deployment.require_definition()
        section, _, name = address.partition(".")
        resource = definition.get(section, name)
        if resource is None:
            raise CheckFailed(f"definition '{definition.name}': expected a resource '{address}', found none")
        if deployment.provider.registry.handler_for(resource).read(deployment.provider.ctx, resource) is None:
            raise CheckFailed(f"{resource.KIND} '{address}': expected it to exist in the backend, found nothing")

    return NamedCheck(f"expect_exists({address!r})", run)


def expect_attribute(address: str, field_name: str, expected: Any) -> NamedCheck:
    """The value read back for ``field_name`` of ``address`` equals ``expected``."""

    def run(deployment: Deployment) -> None:
        definition = deployment.require_definition()
        section, _, name = address.partition(".")
        resource = definition.get(section, name)
        if resource is None:
            raise CheckFailed(f"definition '{definition.name}': expected a resource '{address}', found none")
        actual = deployment.provider.registry.handler_for(resource).read(deployment.provider.ctx, resource)
        if actual is None:
            raise CheckFailed(f"{resource.KIND} '{address}': expected it to exist in the backend, found nothing")
        if actual.get(field_name) != expected:
            raise CheckFailed(
                f"{resource.KIND} '{address}': expected {field_name} = {expected!r}, found {actual.get(field_name)!r}"
            )

    return NamedCheck(f"expect_attribute({address!r}, {field_name!r}, {expected!r})", run)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a case: (maybe) a new definition, something done out of band, then checks.

    Attributes:
        definition: the definition to apply; None keeps the previous step's.
        prepare: runs before planning (e.g. a change made behind the harness's back).
        checks: run after apply (or after plan with ``plan_only``).
        expect_error: a regular expression the step's error must match; the step fails if no error occurs.
        plan_only: only plan, do not apply.
        expect_non_empty_plan: with ``plan_only``, the plan must have changes (else it must be empty).
    """

    definition: Definition | None = None
    prepare: Callable[[Deployment], None] | None = None
    checks: tuple[Check, ...] = ()
    expect_error: str | None = None
    plan_only: bool = False
    expect_non_empty_plan: bool = False

    def __post_init__(self) -> None:
        if self.expect_error is not None:
            try:
                re.compile(self.expect_error)
            except re.error as exc:
                raise ValueError(f"Step.expect_error: expected a regular expression, found {exc}") from None
        if self.expect_non_empty_plan and not self.plan_only:
            raise ValueError("Step: expect_non_empty_plan needs plan_only=True (an applied step re-plans empty)")


@dataclass(frozen=True, slots=True)
class Case:
    """A test case: steps run in order against one backend, then destroy and CheckDestroy."""

    steps: tuple[Step, ...]
    name: str = "case"
    check_destroy: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("Case: expected at least one step, found none")
        if self.steps[0].definition is None:
            raise ValueError("Case: expected the first step to give a definition, found none")


def run_step(deployment: Deployment, step: Step) -> None:
    """Run one step on a deployment (see ``Step``).

    Raises:
        CheckFailed: when a check fails, an expected error does not occur, or an error does not match.
    """
    if step.definition is not None:
        deployment.definition = step.definition
    try:
        if step.prepare is not None:
            step.prepare(deployment)
        if step.plan_only:
            plan = deployment.plan()
            if step.expect_non_empty_plan and plan.empty:
                raise CheckFailed("plan_only step: expected a non-empty plan, found no changes")
            if not step.expect_non_empty_plan and not plan.empty:
                raise CheckFailed(f"plan_only step: expected an empty plan, found:\n{plan.render()}")
        else:
            deployment.apply()
        for check in step.checks:
            check(deployment)
    except PipewardenError as exc:
        if step.expect_error is None:
            raise
        if not re.search(step.expect_error, str(exc)):
            raise CheckFailed(
                f"step: expected an error matching {step.expect_error!r}, found: {exc}", error=str(exc)
            ) from exc
        return
    if step.expect_error is not None:
        raise CheckFailed(f"step: expected an error matching {step.expect_error!r}, found success")


def run_case(case: Case, backend: Backend) -> Evidence:
    """Run a case end to end on an open backend: steps, then destroy, CheckDestroy and sweep.

    Returns:
        The case's evidence.

    Raises:
        CheckFailed: the first failing step (after cleanup), or leftovers after destroy.
    """
    evidence = Evidence(case.name)
    deployment = Deployment(backend, evidence)
    with deployment.observed():
        try:
            for index, step in enumerate(case.steps, start=1):
                with evidence.step(f"step {index}/{len(case.steps)}") as record:
                    try:
                        run_step(deployment, step)
                    except CheckFailed:
                        record.outcome = Outcome.FAILED
                        raise
        finally:
            with evidence.step("destroy"):
                if case.check_destroy:
                    deployment.teardown()
                else:
                    deployment.destroy()
    return evidence
