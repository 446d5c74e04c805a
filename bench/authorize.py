"""Benchmark of the IAM authorization engine: decisions per second, side by side with iam-simulate.

Usage (from the repository root)::

    .venv/bin/python bench/authorize.py [--cases 10000] [--seed 20261126] [--repeat 5] [--no-oracle]

Figures, all on one core in one process:

* ``cold``: parse + compile every request's policies, then decide (each generated request carries its own
  policies, so nothing is reused);
* ``hot``: decide with policies compiled beforehand (the enforcement path: a principal's policies are compiled
  once and every call is only evaluated);
* ``oracle``: the same requests through ``@cloud-copilot/iam-simulate`` (installed with npm into a temporary
  folder when node and npm are available): node's CPU time while reading, parsing and simulating them.

Rates are per CPU-second of the measuring process (``time.process_time`` / ``process.cpuUsage``), so a busy
machine does not distort them; the oracle's wall time including node start-up is printed as well.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.iam.command import build  # noqa: E402
from harness.iam.evaluator import evaluate  # noqa: E402
from tests.iam.oracle.cases import generate  # noqa: E402

DRIVER = ROOT / "tests" / "iam" / "oracle" / "driver.mjs"


def _oracle(requests: list[dict[str, object]], version: str) -> tuple[float, float, float, list[str]] | str:
    """Run the oracle; returns (CPU seconds, seconds inside the request loop, wall seconds, decisions) or the
    reason it could not run. Node's CPU time covers all its threads (GC helpers included)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found"
    with tempfile.TemporaryDirectory(prefix="iam-oracle-") as home:
        installed = subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-package-lock",
                "--no-audit",
                "--no-fund",
                "--prefix",
                home,
                f"@cloud-copilot/iam-simulate@{version}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            return f"npm install failed: {installed.stderr.strip()[-300:]}"
        payload = "\n".join(json.dumps(r) for r in requests) + "\n"
        started = time.perf_counter()
        done = subprocess.run(
            ["node", str(DRIVER)],
            input=payload,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "ORACLE_HOME": home, "ORACLE_TIMING": "1"},
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            return f"oracle failed: {done.stderr.strip()[-300:]}"
        timing = json.loads(done.stderr.strip().splitlines()[-1])
        decisions = [json.loads(line).get("decision", "error") for line in done.stdout.splitlines()]
        return float(timing["cpu_seconds"]), float(timing["seconds"]), wall, decisions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the corpus for the hot figure")
    parser.add_argument("--no-oracle", action="store_true")
    parser.add_argument("--oracle-version", default="0.1.173")
    args = parser.parse_args()

    corpus = generate(args.cases, args.seed)
    print(f"corpus: {len(corpus)} generated requests (seed {args.seed})")

    # CPU time of this process (one core): stable when the machine is shared, unlike wall time.
    started = time.process_time()
    compiled = [build(case)[:2] for case in corpus]
    decisions = [evaluate(request, policies).decision.value for request, policies in compiled]
    cold = time.process_time() - started

    started = time.process_time()
    for _ in range(args.repeat):
        for request, policies in compiled:
            evaluate(request, policies)
    hot = time.process_time() - started
    hot_rate = args.repeat * len(corpus) / hot
    cold_rate = len(corpus) / cold

    cold_us = cold * 1e6 / len(corpus)
    hot_us = hot * 1e6 / (args.repeat * len(corpus))
    print(f"harness cold (parse + compile + decide): {cold_rate:>10,.0f} decisions/s  ({cold_us:.1f} us each)")
    print(f"harness hot  (decide, policies compiled): {hot_rate:>10,.0f} decisions/s  ({hot_us:.1f} us each)")

    if args.no_oracle:
        return 0
    # The oracle gets the context the engine used, including the principal keys the engine derives.
    requests = [
        dict(case, context=request.to_dict()["context"]) for case, (request, _) in zip(corpus, compiled, strict=True)
    ]
    result = _oracle(requests, args.oracle_version)
    if isinstance(result, str):
        print(f"oracle: skipped ({result})")
        return 0
    busy, in_loop, wall, answers = result
    oracle_rate = len(corpus) / busy
    agree = sum(1 for mine, theirs in zip(decisions, answers, strict=True) if mine == theirs)
    label = f"oracle iam-simulate {args.oracle_version} (node CPU time)"
    print(f"{label}: {oracle_rate:>10,.0f} decisions/s  ({busy * 1e6 / len(corpus):.1f} us each)")
    loop_rate = len(corpus) / in_loop
    print(f"  oracle timed around its request loop (wall): {loop_rate:,.0f} decisions/s; {wall:.2f} s with start-up")
    print(f"ratio harness cold / oracle: {cold_rate / oracle_rate:.1f}x", end="   ")
    print(f"harness hot / oracle: {hot_rate / oracle_rate:.1f}x")
    print(f"agreement: {agree}/{len(corpus)} identical decisions (differences: tests/iam/oracle/KNOWN_DIFFERENCES.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
