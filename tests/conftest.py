"""Shared fixtures for the tests of the core: one moto backend per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import dedent

import pytest

from harness.backends import Backend, egress_guard, make_backend
from harness.inputs.harness_yaml import parse_definition
from harness.model.definition import Definition
from harness.provider.lifecycle import Provider

# The corpus plugin adds --corpus and keeps the slow real-world cases out of a plain run.
pytest_plugins = ["pytester", "tests.corpus.plugin"]


@pytest.fixture(scope="session")
def moto_backend() -> Iterator[Backend]:
    """moto in-process, opened once: building clients is the slow part, resetting costs milliseconds."""
    backend = make_backend("moto")
    backend.open()
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def backend(moto_backend: Backend) -> Iterator[Backend]:
    """The session's moto backend, emptied, with the egress guard on for the whole test."""
    moto_backend.reset()
    with egress_guard().active() as guard:
        blocked_before = len(guard.blocked)
        yield moto_backend
        assert guard.blocked[blocked_before:] == [], "a test using the backend tried to leave the machine"


@pytest.fixture
def provider(backend: Backend) -> Provider:
    """A provider with a fresh run prefix."""
    return Provider(backend)


def definition(resources_yaml: str, name: str = "test") -> Definition:
    """A definition from the indented body of a ``resources:`` mapping."""
    body = dedent(resources_yaml).strip("\n")
    text = f"pipewarden: 1\nname: {name}\nresources:\n" + "\n".join(f"  {line}" for line in body.splitlines())
    return parse_definition(text + "\n", f"{name}.yaml")
