"""The pytest plugin: options, the backend and deployment fixtures, UNVERIFIED outcomes and tag markers."""

from __future__ import annotations

import argparse
import json
import os
import re
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.backends import BACKEND_NAMES, Backend, egress_guard, make_backend
from harness.errors import InputError, Unverified
from harness.evidence.record import Evidence, Outcome
from harness.inputs.formats import FORMATS, load_any
from harness.inputs.lint import check_ignores
from harness.inputs.parameters import PLUGIN_OPTIONS, parse_assignments
from harness.model.definition import Definition

EVIDENCE_KEY = pytest.StashKey[Evidence]()
OUTCOME_KEY = pytest.StashKey[str]()
PARAMETERS_KEY = pytest.StashKey[dict[str, str]]()
LINT_IGNORE_KEY = pytest.StashKey[tuple[str, ...]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pipewarden", "pipewarden: pipeline security acceptance tests")
    group.addoption(
        "--pw-backend",
        choices=BACKEND_NAMES,
        default=os.environ.get("PIPEWARDEN_BACKEND", "moto"),
        help="where AWS calls go: moto (in-process, default), moto-server, localstack, aws (gated)",
    )
    group.addoption(
        "--pw-definition",
        default=None,
        help="the pipeline definition under test (harness YAML, CloudFormation or Terraform plan JSON); "
        "default: the packaged secure reference pipeline",
    )
    group.addoption("--pw-format", choices=FORMATS, default="auto", help="format of --pw-definition")
    group.addoption(
        "--pw-companion",
        action="append",
        default=[],
        metavar="TEMPLATE",
        help="a CloudFormation template deployed with --pw-definition (a companion stack whose exports it imports); "
        "repeatable",
    )
    group.addoption(
        "--pw-baseline",
        action="append",
        default=[],
        metavar="FILE",
        help="the account's guard rails that live in another template or plan (trail, account-wide metric filters "
        "and alarms), deployed and checked with --pw-definition; repeatable",
    )
    group.addoption(
        "--pw-map",
        action="append",
        default=[],
        metavar="SCENARIO_ROLE=ROLE",
        help="bind a scenario role (pipeline, build, developer, approver...) to a role of the definition; repeatable",
    )
    group.addoption(
        "--pw-map-option",
        default="--pw-map",
        help=argparse.SUPPRESS,  # how hints name the mapping option: --map when run by 'pipewarden check'
    )
    group.addoption(
        "--pw-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a CloudFormation template parameter of --pw-definition, e.g. Stage=prod; repeatable, replaces the "
        "--pw-parameters file's value",
    )
    group.addoption(
        "--pw-parameters",
        metavar="FILE",
        default=None,
        help="CloudFormation parameter values: the AWS CLI format or CodePipeline's template configuration",
    )
    group.addoption(
        "--pw-lint-ignore",
        action="append",
        default=[],
        metavar="RULE",
        help="leave out cfn-lint findings of this rule id or prefix (E3001, W); repeatable",
    )
    group.addoption(
        "--pw-evidence",
        metavar="DIR",
        default=None,
        help="write each scenario's evidence (calls, decisions, plans, notes) as JSON files into DIR",
    )
    group.addoption("--pw-region", default="us-east-1", help="region of the emulated account")


class _TagMarkers:
    """Registers every Gherkin tag as a marker so tags can be selected with -m and never warn."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.seen: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_bdd_apply_tag(self, tag: str, function: Any) -> bool:
        if tag not in self.seen:
            self.seen.add(tag)
            self.config.addinivalue_line("markers", f"{tag}: Gherkin tag")
        with warnings.catch_warnings():
            # Registered just above; the mark generator's cache may not have seen it yet.
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            getattr(pytest.mark, tag)(function)
        return True


def pytest_configure(config: pytest.Config) -> None:
    try:
        # Options that are spelt wrong stop the run at once, as a usage error without a traceback.
        config.stash[PARAMETERS_KEY] = parse_assignments(config.getoption("--pw-param", []), "--pw-param")
        config.stash[LINT_IGNORE_KEY] = check_ignores(config.getoption("--pw-lint-ignore", []), "--pw-lint-ignore")
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(_TagMarkers(config), "pipewarden-tags")
    config.addinivalue_line("markers", "unverified: the harness could not verify the claim")


# Scenarios that test pipewarden itself on a bundled definition, not the definition under test.
SELF_TEST = "self-test"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A check of the user's own definition (``--pw-definition``) leaves out the scenarios tagged ``@self-test``:
    they exercise a bundled definition, so they would pass whatever the user's pipeline is."""
    if not config.getoption("--pw-definition"):
        return
    left = [item for item in items if item.get_closest_marker(SELF_TEST) is not None]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item.get_closest_marker(SELF_TEST) is None]


@pytest.fixture(scope="session")
def pw_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend for the whole session, opened once; each scenario resets it (cheap) instead of restarting."""
    name = request.config.getoption("--pw-backend")
    backend = make_backend(name, region=request.config.getoption("--pw-region"))
    if name == "aws":
        backend.open()
        yield backend
        backend.close()
        return
    with egress_guard().active():
        backend.open()
        try:
            yield backend
        finally:
            backend.close()


@pytest.fixture(scope="session")
def pw_definition_path(request: pytest.FixtureRequest) -> Path:
    """The definition file under test."""
    given = request.config.getoption("--pw-definition")
    if given:
        return Path(given)
    from harness.scenario import fixture_path

    return fixture_path("reference")


@pytest.fixture(scope="session")
def pw_definition(request: pytest.FixtureRequest, pw_definition_path: Path) -> Definition:
    """The validated definition under test, with the parameters of --pw-param and --pw-parameters."""
    config = request.config
    parameters_file = config.getoption("--pw-parameters")
    lint_ignore: tuple[str, ...] = config.stash[LINT_IGNORE_KEY]
    try:
        return load_any(
            pw_definition_path,
            config.getoption("--pw-format"),
            config.stash[PARAMETERS_KEY],
            parameters_file=Path(parameters_file) if parameters_file else None,
            lint_ignore=lint_ignore,
            options=PLUGIN_OPTIONS,
            companions=[Path(c) for c in config.getoption("--pw-companion")],
            baselines=[Path(b) for b in config.getoption("--pw-baseline")],
        )
    except InputError as exc:
        message = str(exc)
    # A mistake in the user's definition or parameters: the message says what to fix; a traceback would not.
    pytest.fail(message, pytrace=False)


DEPLOY_FAILURES_KEY = pytest.StashKey[dict[int, str]]()


def deploy_failures(config: pytest.Config) -> dict[int, str]:
    """The deploy failures of this run, by definition: each is the run's error, reported once."""
    return config.stash.setdefault(DEPLOY_FAILURES_KEY, {})


@pytest.fixture(scope="session")
def pw_deploy_failures(request: pytest.FixtureRequest) -> dict[int, str]:
    """Where the deploy steps keep a definition's deploy failure (see ``harness.scenario.deploy_for_claim``)."""
    return deploy_failures(request.config)


@pytest.fixture(scope="session")
def pw_role_map(request: pytest.FixtureRequest) -> dict[str, str]:
    """Scenario roles bound to definition roles with --pw-map."""
    mapping: dict[str, str] = {}
    for item in request.config.getoption("--pw-map"):
        scenario_role, sep, role = item.partition("=")
        if not sep or not scenario_role or not role:
            raise pytest.UsageError(
                f"--pw-map: expected SCENARIO_ROLE=ROLE (e.g. build=MyBuildRole), found {item!r}; fix the option"
            )
        mapping[scenario_role.strip()] = role.strip()
    return mapping


@pytest.fixture
def pw(request: pytest.FixtureRequest, pw_backend: Backend, pw_role_map: dict[str, str]) -> Iterator[Deployment]:
    """A fresh deployment in a reset backend; destroyed, checked and swept at the end of the test."""
    pw_backend.reset()
    evidence = evidence_of(request.node)
    deployment = Deployment(
        pw_backend, evidence, role_map=pw_role_map, map_option=request.config.getoption("--pw-map-option")
    )
    try:
        with deployment.observed():
            yield deployment
            with evidence.step("destroy"):
                deployment.teardown()
    finally:
        folder = request.config.getoption("--pw-evidence")
        if folder:
            write_evidence(Path(folder), request.node, evidence)


def evidence_of(item: pytest.Item) -> Evidence:
    """The evidence of a test item, created on first use (steps open records in it before fixtures run)."""
    found = item.stash.get(EVIDENCE_KEY, None)
    if found is None:
        found = item.stash[EVIDENCE_KEY] = Evidence(item.nodeid)
    return found


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any
) -> None:
    evidence_of(request.node).begin(f"{step.keyword} {step.name}")


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_after_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any
) -> None:
    evidence_of(request.node).end(Outcome.PASSED)


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: Any,
    exception: BaseException,
) -> None:
    record = evidence_of(request.node).end(Outcome.UNVERIFIED if isinstance(exception, Unverified) else Outcome.FAILED)
    if record is not None:
        record.notes.append(str(exception))


def write_evidence(folder: Path, item: pytest.Item, evidence: Evidence) -> Path:
    """Write one scenario's evidence as JSON (named after the test) and return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::")[-1])[:150] or "scenario"
    data = evidence.to_dict()
    data["outcome"] = item.stash.get(OUTCOME_KEY, "unknown")
    data["tags"] = sorted(m.name for m in item.iter_markers())
    target = folder / f"{name}.json"
    target.write_text(json.dumps(data, indent=2, default=str, sort_keys=True) + "\n", encoding="utf-8")
    return target


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    excinfo = call.excinfo
    if excinfo is not None and excinfo.errisinstance(Unverified):
        # UNVERIFIED is reported as a skip carrying the reason, never as a pass.
        report.outcome = "skipped"
        path, line, _ = item.reportinfo()
        report.longrepr = (str(path), (line or 0) + 1, str(excinfo.value))
        report.user_properties.append(("pipewarden", "unverified"))
    if report.when == "call" or not report.passed:
        unverified = ("pipewarden", "unverified") in report.user_properties
        item.stash[OUTCOME_KEY] = "unverified" if unverified else report.outcome
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    # Any phase: a fixture that cannot be verified (setup) is as unverified as a step that cannot (call).
    if ("pipewarden", "unverified") in getattr(report, "user_properties", ()):
        return "unverified", "U", "UNVERIFIED"
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A pipeline that did not deploy is the run's error even when every claim it stopped is only UNVERIFIED.
    if deploy_failures(session.config) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for cause in dict.fromkeys(deploy_failures(config).values()):
        terminalreporter.section("pipewarden: the pipeline did not deploy", sep="=", red=True)
        terminalreporter.write_line(cause)
    # Unverified reports are skips with their own category, which pytest's -r summaries never list: without this
    # section the reason a claim could not be verified would not appear in the terminal at all.
    reports = terminalreporter.stats.get("unverified", [])
    if not reports:
        return
    terminalreporter.section("unverified", sep="=")
    for report in reports:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"{report.nodeid}: {reason}")
