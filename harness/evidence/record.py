"""What each step did and saw: calls with principal, parameters and outcome; plans; reads; notes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.backends.base import CallEvent


class Outcome(StrEnum):
    """How a step ended. UNVERIFIED is never a pass: the backend or harness could not prove the claim."""

    PASSED = "passed"
    FAILED = "failed"
    UNVERIFIED = "unverified"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One API call: who made it, what was asked and what happened."""

    principal: str
    identity: str
    service: str
    operation: str
    params: dict[str, Any]
    outcome: str
    error_code: str = ""
    error_message: str = ""
    at: float = 0.0

    def summary(self) -> str:
        """``identity service:Operation -> outcome`` for messages."""
        result = self.error_code or "ok"
        return f"{self.identity} {self.service}:{self.operation} -> {result}"


@dataclass(slots=True)
class StepRecord:
    """The evidence of one step."""

    name: str
    started: float = field(default_factory=time.time)
    duration: float = 0.0
    outcome: Outcome = Outcome.PASSED
    calls: list[CallRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


_SECRET_KEYS = ("secret", "password", "token", "SecretString", "SecretBinary", "Plaintext")
# Names of a secret are not secret: which secret a denied call asked for is what the evidence must show.
_IDENTIFIER_SUFFIXES = ("Id", "Arn", "Name")


def redact(params: dict[str, Any]) -> dict[str, Any]:
    """Drop secret values from call parameters before they are kept as evidence."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if any(s.lower() in key.lower() for s in _SECRET_KEYS) and not key.endswith(_IDENTIFIER_SUFFIXES):
            out[key] = "***"
        elif isinstance(value, bytes | bytearray):
            out[key] = f"<{len(value)} bytes>"
        elif isinstance(value, dict):
            out[key] = redact(value)
        elif hasattr(value, "read"):
            out[key] = "<stream>"
        else:
            out[key] = value
    return out


class Evidence:
    """The evidence of one scenario: a list of step records, filled as steps run.

    It observes a backend's calls (``CallObserver``) and files each under the current step.
    """

    def __init__(self, scenario: str = "") -> None:
        self.scenario = scenario
        self.steps: list[StepRecord] = []
        self._current: StepRecord | None = None
        self._open: list[tuple[StepRecord | None, StepRecord, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        """Record everything that happens inside the block under a new step."""
        record = self.begin(name)
        try:
            yield record
        finally:
            self.end()

    def begin(self, name: str) -> StepRecord:
        """Open a step (for callers that cannot use ``step`` as a block, such as test-framework hooks)."""
        record = StepRecord(name)
        self.steps.append(record)
        self._open.append((self._current, record, time.perf_counter()))
        self._current = record
        return record

    def end(self, outcome: Outcome | None = None) -> StepRecord | None:
        """Close the innermost open step, optionally setting its outcome; returns it (None if none is open)."""
        if not self._open:
            return None
        previous, record, start = self._open.pop()
        record.duration = time.perf_counter() - start
        if outcome is not None:
            record.outcome = outcome
        self._current = previous
        return record

    def current(self) -> StepRecord:
        """The step being recorded (a catch-all step when none is open)."""
        if self._current is None:
            if not self.steps or self.steps[-1].name != "(outside steps)":
                self.steps.append(StepRecord("(outside steps)"))
            return self.steps[-1]
        return self._current

    def after_call(self, event: CallEvent) -> None:
        """Keep one call as evidence (``CallObserver``)."""
        self.current().calls.append(
            CallRecord(
                principal=event.identity.arn,
                identity=event.identity.label,
                service=event.service,
                operation=event.operation,
                params=redact(event.params),
                outcome="error" if event.error_code else "ok",
                error_code=event.error_code,
                error_message=event.error_message,
                at=time.time(),
            )
        )

    def note(self, text: str) -> None:
        """Attach a remark to the current step."""
        self.current().notes.append(text)

    def calls(self) -> list[CallRecord]:
        """Every call of the scenario, in order."""
        return [c for s in self.steps for c in s.calls]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for reports."""
        return {
            "scenario": self.scenario,
            "steps": [
                {
                    "name": s.name,
                    "outcome": s.outcome.value,
                    "duration": round(s.duration, 6),
                    "notes": list(s.notes),
                    "data": s.data,
                    "calls": [
                        {
                            "principal": c.principal,
                            "identity": c.identity,
                            "call": f"{c.service}:{c.operation}",
                            "params": c.params,
                            "outcome": c.outcome,
                            "error_code": c.error_code,
                            "error_message": c.error_message,
                        }
                        for c in s.calls
                    ],
                }
                for s in self.steps
            ],
        }
