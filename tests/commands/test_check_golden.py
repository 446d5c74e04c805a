"""``pipewarden check`` on every golden case: the exit code, the input error, and each expected pass and failure
read back from the reports it writes (cucumber.json, junit.xml), with every scenario's tags.

Each case runs once, in its own process (pytest runs inside ``check``; a fresh interpreter keeps the runs from
sharing imported step modules, plugins or backend state), a few at a time, restricted to the case's ``select``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "pipelines"
FEATURES = ROOT / "features"
SOURCES = ("pipeline.yaml", "template.yaml", "template.json", "plan.json")
# Runs spend much of their time waiting (build timeouts, polling), so more runs than cores overlap well.
WORKERS = 4


def _cases() -> list[str]:
    return [
        e.parent.name
        for e in sorted(FIXTURES.glob("*/expected.yaml"))
        if any((e.parent / name).exists() for name in SOURCES)
    ]


CASES = _cases()


def expected_of(case: str) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def source_of(case: str) -> Path:
    return next(FIXTURES / case / name for name in SOURCES if (FIXTURES / case / name).exists())


@dataclass(frozen=True)
class Scenario:
    """One scenario as the reports saw it."""

    name: str
    tags: frozenset[str]
    status: str  # passed, failed or skipped
    messages: tuple[str, ...] = ()


@dataclass
class Run:
    """One ``pipewarden check`` of a case."""

    case: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    scenarios: list[Scenario] = field(default_factory=list)

    def matching(self, entry: str) -> list[Scenario]:
        """The scenarios an expected.yaml entry names: '@tag' (every scenario with it) or a scenario name."""
        if entry.startswith("@"):
            return [s for s in self.scenarios if entry[1:] in s.tags]
        return [s for s in self.scenarios if s.name == entry]


def python_name(scenario: str) -> str:
    """The test function pytest-bdd makes for a scenario (the junit.xml testcase name)."""
    return "test_" + re.sub(r"\W", "", scenario.lower().replace(" ", "_"))


def read_reports(report: Path) -> list[Scenario]:
    """Scenarios with their tags and outcome from cucumber.json; junit.xml adds errors raised outside a step."""
    junit: dict[str, tuple[str, str]] = {}
    if (report / "junit.xml").exists():
        for case in ET.parse(report / "junit.xml").getroot().iter("testcase"):
            outcome, message = "passed", ""
            for kind in ("failure", "error"):
                found = case.find(kind)
                if found is not None:
                    outcome, message = "failed", f"{found.get('message', '')}\n{found.text or ''}"
            skipped = case.find("skipped")
            if skipped is not None:
                outcome, message = "skipped", skipped.get("message", "")
            junit[case.get("name", "")] = (outcome, message)
    out: list[Scenario] = []
    for feature in json.loads((report / "cucumber.json").read_text(encoding="utf-8")):
        for element in feature.get("elements", []):
            statuses = [s.get("result", {}).get("status", "") for s in element.get("steps", [])]
            messages = [
                s["result"]["error_message"] for s in element.get("steps", []) if "error_message" in s.get("result", {})
            ]
            outcome, message = junit.get(python_name(element["name"]), ("", ""))
            if "failed" in statuses or outcome == "failed":
                status = "failed"
            elif statuses and all(s == "passed" for s in statuses) and outcome in ("", "passed"):
                status = "passed"
            else:
                status = "skipped"
            out.append(
                Scenario(
                    name=element["name"],
                    tags=frozenset(t["name"].lstrip("@") for t in element.get("tags", [])),
                    status=status,
                    messages=(*messages, message) if message else tuple(messages),
                )
            )
    return out


def run_case(case: str, root: Path) -> Run:
    expected = expected_of(case)
    report = root / case
    argv = [sys.executable, "-m", "harness.cli", "check", str(source_of(case)), "--report", str(report)]
    argv += [str(FIXTURES / case / name) for name in expected.get("companions") or []]
    argv += [f"--param={name}={value}" for name, value in (expected.get("parameters") or {}).items()]
    if expected.get("select"):
        argv += ["-m", str(expected["select"])]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1500, check=False)
    run = Run(case, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    if (report / "cucumber.json").exists():
        run.scenarios = read_reports(report)
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    root = tmp_path_factory.mktemp("check-reports")
    # The whole suite (cases without select) takes longest: start those first.
    order = sorted(CASES, key=lambda c: bool(expected_of(c).get("select")))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        done = dict(zip(order, pool.map(lambda c: run_case(c, root), order), strict=True))
    yield done
    timing = ", ".join(f"{r.case} {r.exit_code} in {r.seconds:.0f}s" for r in done.values())
    print(f"\npipewarden check golden runs: {timing}")


def feature_tags() -> dict[str, frozenset[str]]:
    """Every packaged scenario's tags, as the feature files write them (without '@')."""
    out: dict[str, frozenset[str]] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        pending: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("@"):
                pending += [t.lstrip("@") for t in text.split()]
            elif text.startswith(("Scenario:", "Scenario Outline:")):
                out[text.split(":", 1)[1].strip()] = frozenset(pending)
                pending = []
            elif text and not text.startswith("#"):
                pending = []
    return out


def test_every_case_with_a_definition_is_run() -> None:
    assert {"reference", "insecure", "cfn-network-isolation", "tf-network-isolation"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_exit_code(case: str, runs: dict[str, Run]) -> None:
    run = runs[case]
    assert run.exit_code == expected_of(case)["exit_code"], (run.stdout[-3000:], run.stderr[-3000:])


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c)["exit_code"] == 2])
def test_input_error_is_reported(case: str, runs: dict[str, Run]) -> None:
    run = runs[case]
    assert expected_of(case)["error_contains"] in run.stderr
    assert run.stderr.startswith("pipewarden: error: ")
    assert "Traceback" not in run.stderr + run.stdout
    assert run.scenarios == []


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c)["exit_code"] != 2])
def test_expected_passes_passed(case: str, runs: dict[str, Run]) -> None:
    run = runs[case]
    assert run.scenarios, f"{case}: no scenario in cucumber.json"
    for entry in expected_of(case).get("passes") or []:
        found = run.matching(entry)
        assert found, f"{case}: no scenario matches {entry!r}"
        failed = [(s.name, s.status, s.messages) for s in found if s.status != "passed"]
        assert not failed, f"{case}: {entry!r} expected to pass: {failed}"


def expect_outcome(run: Run, entry: str, status: str, fragment: str) -> None:
    """Every scenario an expected.yaml entry names ended with ``status`` and a message holding ``fragment``."""
    found = run.matching(entry)
    assert found, f"{run.case}: no scenario matches {entry!r}"
    for scenario in found:
        assert scenario.status == status, f"{run.case}: {scenario.name!r} expected {status}, {scenario.status}"
        assert any(fragment in m for m in scenario.messages), (scenario.name, fragment, scenario.messages)


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c).get("failures")])
def test_expected_failures_failed_with_their_message(case: str, runs: dict[str, Run]) -> None:
    for failure in expected_of(case)["failures"]:
        expect_outcome(runs[case], failure["scenario"], "failed", failure["message_contains"])


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c).get("unverified")])
def test_expected_unverified_scenarios_say_why(case: str, runs: dict[str, Run]) -> None:
    for entry in expected_of(case)["unverified"]:
        expect_outcome(runs[case], entry["scenario"], "skipped", entry["reason_contains"])


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c)["exit_code"] == 0])
def test_a_passing_case_has_no_failed_scenario(case: str, runs: dict[str, Run]) -> None:
    assert [s.name for s in runs[case].scenarios if s.status == "failed"] == []


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c)["exit_code"] != 2])
def test_cucumber_json_carries_each_scenarios_tags(case: str, runs: dict[str, Run]) -> None:
    declared = feature_tags()
    for scenario in runs[case].scenarios:
        assert scenario.tags == declared[scenario.name], scenario.name
        select = expected_of(case).get("select")
        if select and " " not in select:  # a single area: only its scenarios ran
            assert select in scenario.tags, scenario.name
