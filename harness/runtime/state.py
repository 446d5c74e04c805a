"""What the runtime remembers for one deployment: builds, executions, events, notifications, its gateway."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.acceptance import Deployment
from harness.runtime.sandbox import Sandbox

if TYPE_CHECKING:
    from harness.runtime.build import BuildRecord
    from harness.runtime.gateway import Gateway
    from harness.runtime.pipeline import Execution

RUNTIME_KEY = "runtime"


@dataclass(slots=True)
class Runtime:
    """The runtime state of one deployment (kept on the deployment, never in a module global).

    Attributes:
        builds: every build started, by build id, in start order.
        executions: every pipeline execution, by execution id.
        events: EventBridge events the runtime emitted (CodeBuild and CodePipeline state changes), in AWS's shape.
        notifications: SNS messages the runtime published (approval requests), as ``(topic_arn, subject, message)``.
        seconds_per_minute: the build clock: real seconds per build minute (60 is real time).
        build_numbers: the next build number per project.
        gateway: the AWS endpoint builds call (started with the first build).
        sandbox: starts builds (probes once whether network isolation is available).
    """

    builds: dict[str, BuildRecord] = field(default_factory=dict)
    executions: dict[str, Execution] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[tuple[str, str, str]] = field(default_factory=list)
    seconds_per_minute: float = 60.0
    build_numbers: dict[str, int] = field(default_factory=dict)
    gateway: Gateway | None = None
    sandbox: Sandbox = field(default_factory=Sandbox)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called with every event the runtime emits (detection routes them through the deployed EventBridge rules).
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop the gateway, if one was started."""
        if self.gateway is not None:
            self.gateway.close()
            self.gateway = None


def runtime(deployment: Deployment) -> Runtime:
    """The runtime state of ``deployment``, created on first use and closed when the deployment is torn down."""
    found = deployment.extras.get(RUNTIME_KEY)
    if isinstance(found, Runtime):
        return found
    from harness.runtime.moto_compat import neutralize_bucket_policy_check

    state = Runtime()
    deployment.extras[RUNTIME_KEY] = state
    deployment.cleanups.append(state.close)
    neutralize_bucket_policy_check(deployment)
    return state


def set_build_clock(deployment: Deployment, seconds_per_minute: float) -> None:
    """Make one build minute last ``seconds_per_minute`` real seconds (timeouts and reported durations).

    Raises:
        ValueError: for a clock that does not run forward.
    """
    if seconds_per_minute <= 0:
        raise ValueError(f"seconds_per_minute: expected a positive number, found {seconds_per_minute}")
    runtime(deployment).seconds_per_minute = seconds_per_minute
