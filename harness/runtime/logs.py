"""Build logs: the one function every log event the runtime writes goes through, masking and reading back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.provider.base import error_code

MASK = "***"
# PutLogEvents accepts at most 10,000 events per batch.
BATCH = 10_000


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One log event: milliseconds since the epoch and the message."""

    timestamp: int
    message: str


@dataclass(frozen=True, slots=True)
class LogWrite:
    """The result of one ``write_log_events``: how many events were stored, and the error that lost the rest."""

    group: str
    stream: str
    written: int
    error_code: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        """True when every event was stored."""
        return not self.error_code


def write_log_events(
    deployment: Deployment,
    group: str,
    stream: str,
    events: Sequence[LogEvent],
    identity: Identity | None = None,
) -> LogWrite:
    """Write events to a log stream as ``identity`` (the harness when None), through the backend's clients.

    Every log event the runtime produces passes here, so one place can see them all (metric filters match
    here). The call goes through the harness, so enforcement and recording apply: a role that may not call
    logs:PutLogEvents loses these events, as in AWS, and the result says so instead of raising.

    Returns:
        What was written and, if the write was refused, the error.
    """
    if not events:
        return LogWrite(group, stream, 0)
    logs = deployment.backend.client("logs", identity)
    ordered = sorted(events, key=lambda e: e.timestamp)
    written = 0
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        try:
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": e.timestamp, "message": e.message} for e in batch],
            )
        except Exception as exc:
            code = error_code(exc)
            if not code:
                raise
            return LogWrite(group, stream, written, code, str(exc))
        written += len(batch)
    return LogWrite(group, stream, written)


def read_log_messages(deployment: Deployment, group: str, stream: str, identity: Identity | None = None) -> list[str]:
    """Every message of a log stream, oldest first, read as ``identity`` (the harness when None).

    Raises:
        botocore ClientError: when the stream does not exist or ``identity`` may not read it.
    """
    logs = deployment.backend.client("logs", identity)
    messages: list[str] = []
    kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    token = None
    while True:
        page = logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
        messages.extend(e["message"] for e in page.get("events", []))
        if not page.get("events") or page.get("nextForwardToken") == token:
            return messages
        token = page.get("nextForwardToken")


class Masker:
    """Replaces secret values with ``***`` in log text, as CodeBuild masks parameter-store and secrets-manager
    values; longer values are replaced first so a secret containing another is masked whole."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)
