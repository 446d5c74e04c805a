"""Benchmark: a call by a pipeline role with IAM enforcement and recording vs the same raw call to moto.

One process, one moto backend, the reference pipeline deployed once. Each round makes the same calls three ways, in
alternating blocks so machine noise hits them alike:

* raw: the harness admin's client, nothing observing (moto's own cost plus botocore);
* enforced: the build role's session inside ``Deployment.observed()`` - mapped, decided against the deployed
  policies (cached), kept as evidence and recorded by every observer the deployment installs (CloudTrail);
* enforced, cold: the same, with the enforcer's caches dropped before each call (policies read back and
  compiled every time).

Prints per-call medians and the ratios.

    python bench/enforce.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.acceptance import Deployment
from harness.backends import make_backend
from harness.enforce.api import act_as
from harness.scenario import deploy, load_fixture

ROOT = Path(__file__).resolve().parent.parent


def _calls(deployment: Deployment, s3: Any, logs: Any) -> list[tuple[str, Callable[[], Any]]]:
    state = deployment.provider.state
    bucket = state["buckets.source"].physical_id
    group = state["log_groups.build"].physical_id
    return [
        ("s3:GetObject", lambda: s3.get_object(Bucket=bucket, Key="bench/artifact.txt")["Body"].read()),
        (
            "logs:PutLogEvents",
            lambda: logs.put_log_events(
                logGroupName=group,
                logStreamName="bench",
                logEvents=[{"timestamp": int(time.time() * 1000), "message": "building"}],
            ),
        ),
    ]


def _time(call: Callable[[], Any], before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    backend = make_backend("moto")
    backend.open()
    backend.reset()
    deployment = Deployment(backend)
    with deployment.observed():
        deploy(deployment, load_fixture("reference"))
        state = deployment.provider.state
        # The source bucket: moto applies a bucket policy's Deny to object calls itself, ignoring conditions, so
        # the artifact bucket's TLS-only policy refuses every object call there, even the admin's.
        bucket = state["buckets.source"].physical_id
        group = state["log_groups.build"].physical_id
        backend.client("s3").put_object(Bucket=bucket, Key="bench/artifact.txt", Body=b"x" * 1024)
        backend.client("logs").create_log_stream(logGroupName=group, logStreamName="bench")
        build = act_as(deployment, "build")  # writes build logs
        pipeline = act_as(deployment, "pipeline")  # reads the source
    raw = _calls(deployment, backend.client("s3"), backend.client("logs"))
    enforced = _calls(deployment, backend.client("s3", pipeline), backend.client("logs", build))
    samples: dict[str, dict[str, list[float]]] = {name: {"raw": [], "warm": [], "cold": []} for name, _ in raw}
    for _ in range(5):  # warm-up: clients, caches, moto's lazy imports
        for (_, r), (_, e) in zip(raw, enforced, strict=True):
            r()
            with deployment.observed():
                e()
    # Blocks of calls, alternating: entering and leaving observed() per call would time its own set-up.
    block = 20
    for _ in range(max(1, args.rounds // block)):
        for name, r in raw:
            samples[name]["raw"].extend(_time(r) for _ in range(block))
        with deployment.observed():
            for name, e in enforced:
                samples[name]["warm"].extend(_time(e) for _ in range(block))
                samples[name]["cold"].extend(_time(e, deployment.enforcer.invalidate) for _ in range(block))
    decisions = len(deployment.enforcer.decisions)
    deployment.destroy()
    backend.close()

    print(f"{args.rounds} rounds, {decisions} decisions kept; medians per call")
    print(f"{'call':<20} {'raw moto':>10} {'enforced':>10} {'ratio':>7} {'cold':>10} {'ratio':>7}")
    for name, by_kind in samples.items():
        raw_ms, warm_ms, cold_ms = (statistics.median(by_kind[k]) * 1000 for k in ("raw", "warm", "cold"))
        print(
            f"{name:<20} {raw_ms:>8.2f}ms {warm_ms:>8.2f}ms {warm_ms / raw_ms:>6.2f}x "
            f"{cold_ms:>8.2f}ms {cold_ms / raw_ms:>6.2f}x"
        )


if __name__ == "__main__":
    main()
