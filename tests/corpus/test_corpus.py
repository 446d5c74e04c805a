"""The real-world corpus: ``pipewarden check`` on real templates and plans, against an engineer's expectations.

One test per expectation file (``tests/corpus/<format>-<case>.yaml``): it runs ``pipewarden check`` on the case's
files in a fresh interpreter, reads each scenario's status and message back from ``junit.xml``, and compares them
with the file, reporting every mismatch of the case in one table. The corpus is read from ``PIPEWARDEN_CORPUS``,
else from ``../shared/corpus`` beside the repository; when that folder is absent there is a single skipped test
saying so. Runs only with ``--corpus`` (``tox -e corpus``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.corpus.expectations import (
    CaseExpectation,
    ExpectationError,
    Run,
    case_folders,
    compare,
    load_expectation,
    load_for_corpus,
    read_outcomes,
)

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS = Path(__file__).resolve().parent
CORPUS_VARIABLE = "PIPEWARDEN_CORPUS"
# A case runs the whole packaged suite; the slowest take several minutes.
TIMEOUT_SECONDS = 15 * 60
# Runs spend much of their time waiting (build timeouts, polling), so a few overlap well even on two cores.
WORKERS = int(os.environ.get("PIPEWARDEN_CORPUS_JOBS", "4"))


def corpus_root() -> Path:
    """``$PIPEWARDEN_CORPUS``, else ``<repository>/../shared/corpus``."""
    configured = os.environ.get(CORPUS_VARIABLE)
    return Path(configured).expanduser().resolve() if configured else (ROOT.parent / "shared" / "corpus").resolve()


def expectation_files() -> list[Path]:
    """Every expectation file, by name."""
    return sorted(EXPECTATIONS.glob("*.yaml"))


def run_check(expectation: CaseExpectation, corpus: Path, report: Path) -> Run:
    """Run ``pipewarden check`` on the case as a user would, in a fresh interpreter, and read its reports.

    The command runs from the repository root (so this checkout's harness is the one imported) with the case's
    files given by absolute path.
    """
    folder = corpus / expectation.case
    argv = [sys.executable, "-m", "harness.cli", "check", *(str(folder / name) for name in expectation.check)]
    if expectation.parameters:
        argv += ["--parameters", str(folder / expectation.parameters)]
    argv += ["--report", str(report)]
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        return Run(None, stderr=f"pipewarden check did not finish within {TIMEOUT_SECONDS // 60} minutes: {exc.cmd}")
    return Run(done.returncode, read_outcomes(report), done.stdout, done.stderr)


CORPUS = corpus_root()

if not CORPUS.is_dir():

    def test_corpus_is_present() -> None:
        pytest.skip(
            f"corpus folder {CORPUS} not found: set {CORPUS_VARIABLE} to the corpus folder (default: "
            "../shared/corpus beside the repository)"
        )

else:

    @pytest.fixture(scope="module")
    def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Run]]]:
        """Every runnable case, started at once, a few at a time; each test waits for its own."""
        # PIPEWARDEN_CORPUS_REPORTS keeps each case's reports (cucumber.json, junit.xml, evidence) for reading.
        kept = os.environ.get("PIPEWARDEN_CORPUS_REPORTS")
        reports = Path(kept).resolve() if kept else tmp_path_factory.mktemp("corpus-reports")
        started: dict[str, Future[Run]] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for path in expectation_files():
                try:
                    expectation = load_for_corpus(path, CORPUS)
                except ExpectationError:
                    continue  # its own test reports why
                started[path.name] = pool.submit(run_check, expectation, CORPUS, reports / path.stem)
            yield started
            for pending in started.values():
                pending.cancel()

    def test_every_case_has_an_expectation_file() -> None:
        named: set[str] = set()
        for path in expectation_files():
            try:
                named.add(load_expectation(path).case)
            except ExpectationError:
                continue  # its own test reports it
        missing = [case for case in case_folders(CORPUS) if case not in named]
        assert not missing, (
            f"corpus {CORPUS}: expected an expectation file for every case, found none for "
            + ", ".join(f"{case} (write tests/corpus/{case.replace('/', '-', 1)}.yaml)" for case in missing)
        )

    @pytest.mark.parametrize("path", expectation_files(), ids=lambda p: p.stem)
    def test_case(path: Path, runs: dict[str, Future[Run]], corpus_summary: list[str]) -> None:
        try:
            expectation = load_for_corpus(path, CORPUS)
        except ExpectationError as exc:
            corpus_summary.append(f"{path.stem}: FAIL, not run (key '{exc.key}' of its expectation file)")
            pytest.fail(str(exc), pytrace=False)
        comparison = compare(expectation, runs[path.name].result())
        corpus_summary.append(comparison.summary_line())
        if not comparison.ok:
            count = len(comparison.mismatches)
            pytest.fail(f"{path.name} ({expectation.case}): {count} mismatch(es)\n{comparison.table()}", pytrace=False)
