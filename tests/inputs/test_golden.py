"""Golden cases: each fixtures/pipelines/<case>/ template or plan loads as its expected.yaml says and deploys.

The expected.yaml format is documented at the top of each file: ``format``, ``select`` (the ``-m`` tag
expression the outcome is about), ``exit_code`` (of ``pipewarden check``), ``error_contains`` (input refused),
``companions`` (further templates of the case, given after it), ``resources``, ``values``, ``notes`` (every note,
exactly), ``notes_contain``, ``unknowns`` (every unknown, exactly), ``passes``, ``failures`` and ``unverified``.
These tests check everything loading decides (format, resources, values, notes, unknowns, the input error) and that
the definition deploys, stays as declared and is destroyed without leftovers on moto; ``passes``, ``failures`` and
``unverified`` are for the suite run of ``pipewarden check``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.backends import make_backend
from harness.backends.base import Backend
from harness.errors import InputError
from harness.inputs.formats import detect_format, load_any
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pipelines"
SOURCES = ("template.yaml", "template.json", "plan.json")
KEYS = {
    "format",
    "select",
    "parameters",
    "companions",
    "exit_code",
    "error_contains",
    "resources",
    "values",
    "notes",
    "notes_contain",
    "unknowns",
    "passes",
    "failures",
    "unverified",
}


def _cases() -> list[str]:
    found = []
    for expected in sorted(FIXTURES.glob("*/expected.yaml")):
        if any((expected.parent / name).exists() for name in SOURCES):
            found.append(expected.parent.name)
    return found


CASES = _cases()


def source_of(case: str) -> Path:
    return next(FIXTURES / case / name for name in SOURCES if (FIXTURES / case / name).exists())


def expected_of(case: str) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / case / "expected.yaml").read_text())
    assert isinstance(data, dict)
    return data


def value_at(definition: Definition, path: str) -> Any:
    section, name, *fields = path.split(".")
    node: Any = definition.get(section, name)
    assert node is not None, f"{section}.{name} not in the definition"
    for step in fields:
        if dataclasses.is_dataclass(node):
            node = getattr(node, step)
        elif isinstance(node, Mapping):
            node = node[step]
        else:
            node = node[int(step)]
    return node


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    # Opening moto and creating clients is the expensive part: once per module, reset per test.
    made = make_backend("moto")
    made.open()
    yield made
    made.close()


@pytest.fixture(scope="module")
def loaded() -> dict[str, Definition]:
    """Definitions loaded by this module, by case: linting a large template takes seconds, so load once."""
    return {}


def companions_of(case: str) -> list[Path]:
    return [FIXTURES / case / name for name in expected_of(case).get("companions") or []]


def load_case(case: str, loaded: dict[str, Definition]) -> Definition:
    if case not in loaded:
        expected = expected_of(case)
        loaded[case] = load_any(source_of(case), parameters=expected.get("parameters"), companions=companions_of(case))
    return loaded[case]


def as_given(case: str, text: str) -> str:
    """A note with the case's folder left out of file names, as the expected file writes them."""
    return text.replace(f"{FIXTURES / case}/", "")


def test_the_required_cases_are_present() -> None:
    assert {"cfn-least-privilege", "cfn-cdk-synth", "tf-least-privilege", "cfn-insecure"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_expected_yaml_is_well_formed(case: str) -> None:
    expected = expected_of(case)
    assert set(expected) <= KEYS, set(expected) - KEYS
    assert expected["format"] in ("harness", "cloudformation", "terraform-plan")
    assert expected["exit_code"] in (0, 1, 2)
    if expected["exit_code"] == 2:
        assert expected.get("error_contains")
    else:
        assert expected.get("resources")
        for failure in expected.get("failures") or []:
            assert set(failure) == {"scenario", "message_contains"}
        for entry in expected.get("unverified") or []:
            assert set(entry) == {"scenario", "reason_contains"}
        assert (expected["exit_code"] == 1) == bool(expected.get("failures")), (
            "exit code 1 exactly when a scenario fails"
        )


@pytest.mark.parametrize("case", CASES)
def test_case_loads_as_expected(case: str, loaded: dict[str, Definition]) -> None:
    expected = expected_of(case)
    path = source_of(case)
    assert detect_format(path) == expected["format"]
    if expected["exit_code"] == 2:
        with pytest.raises(InputError) as info:
            load_any(path, parameters=expected.get("parameters"), companions=companions_of(case))
        assert expected["error_contains"] in str(info.value)
        return
    definition = load_case(case, loaded)
    assert sorted(str(r.address) for r in definition.resources) == sorted(expected["resources"])
    for field_path, value in (expected.get("values") or {}).items():
        assert value_at(definition, field_path) == value, field_path
    for fragment in expected.get("notes_contain") or []:
        assert any(fragment in note for note in definition.notes), (fragment, definition.notes)
    if "notes" in expected:
        assert [as_given(case, n) for n in definition.notes] == expected["notes"]
    if "unknowns" in expected:
        found = [f"{u.address} {u.aspect}: {as_given(case, u.reason)}" for u in definition.unknowns]
        assert found == expected["unknowns"]


@pytest.mark.parametrize("case", [c for c in CASES if expected_of(c)["exit_code"] != 2])
def test_case_deploys_and_is_destroyed(case: str, backend: Backend, loaded: dict[str, Definition]) -> None:
    backend.reset()
    definition = load_case(case, loaded)
    provider = Provider(backend)
    try:
        provider.apply(definition)  # re-plans after apply: the plan must be empty
    finally:
        failed = provider.destroy(definition)
    assert failed == []
    provider.check_destroy(definition)
