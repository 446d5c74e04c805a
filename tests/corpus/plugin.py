"""Selection and summary of the corpus tests: ``--corpus`` runs them, a plain run deselects them.

Tests marked ``corpus`` run pipewarden on real templates for minutes each, and need the corpus folder outside the
repository, so the default run leaves them out (deselected, whatever ``-m`` says). ``pytest --corpus tests/corpus``
(the tox env ``corpus``) runs them and ends with one line per case.
"""

from __future__ import annotations

import pytest

SUMMARY = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--corpus",
        action="store_true",
        default=False,
        help="run the real-world corpus cases (tests marked 'corpus'); they are deselected otherwise",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--corpus"):
        return
    deselected = [item for item in items if item.get_closest_marker("corpus") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("corpus") is None]


@pytest.fixture
def corpus_summary(request: pytest.FixtureRequest) -> list[str]:
    """Lines for the summary printed at the end of the run (one per case)."""
    return request.config.stash.setdefault(SUMMARY, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.write_sep("=", "corpus")
        for line in sorted(lines):
            terminalreporter.write_line(line)
