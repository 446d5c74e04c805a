"""Fixtures for detection tests: builds deployed as the runtime's tests deploy them."""

from tests.runtime.conftest import deploy  # noqa: F401 - the fixture, shared with the runtime's tests
