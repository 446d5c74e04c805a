"""FilterLogEvents answered with pipewarden's filter-pattern engine, so a pattern never matches everything.

The emulators match CloudWatch Logs filter patterns loosely (moto matches everything but plain terms, LocalStack
ignores patterns); a scenario reading logs back through ``filter_log_events`` would then see events a real account
would never return. This backend hook answers the call from the stored events and the real pattern semantics.
"""

from __future__ import annotations

import uuid
from typing import Any

from harness.backends.base import Backend, Identity, hook_answer
from harness.detect.patterns import FilterPattern, compile_pattern
from harness.errors import InputError


class FilterLogEventsService:
    """Backend before-call hook for ``logs:FilterLogEvents`` (install it after enforcement's hook)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._patterns: dict[str, FilterPattern] = {}

    def before_call(
        self, identity: Identity, service: str, operation: str, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        if service != "logs" or operation != "FilterLogEvents":
            return None
        request = params
        text = str(request.get("filterPattern", "") or "")
        try:
            pattern = self._patterns.get(text) or self._patterns.setdefault(text, compile_pattern(text))
        except InputError as exc:
            return hook_answer(
                400,
                {
                    "Error": {"Code": "InvalidParameterException", "Message": f"Invalid filter pattern: {exc}"},
                    "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0},
                },
            )
        return hook_answer(200, self.filter(request, pattern))

    def filter(self, request: dict[str, Any], pattern: FilterPattern) -> dict[str, Any]:
        """The FilterLogEvents response for a request (all pages at once, in time order)."""
        logs = self.backend.client("logs")
        group = str(request.get("logGroupName") or str(request.get("logGroupIdentifier", "")).split(":")[-1])
        streams = [s["logStreamName"] for s in _all_streams(logs, group, request.get("logStreamNamePrefix"))]
        wanted = request.get("logStreamNames")
        if wanted:
            streams = [s for s in streams if s in wanted]
        start, end = request.get("startTime"), request.get("endTime")
        events: list[dict[str, Any]] = []
        for stream in streams:
            for event in _all_events(logs, group, stream):
                timestamp = int(event["timestamp"])
                if start is not None and timestamp < int(start):
                    continue
                if end is not None and timestamp > int(end):
                    continue
                if pattern.matches(event["message"]):
                    events.append(
                        {
                            "logStreamName": stream,
                            "timestamp": timestamp,
                            "message": event["message"],
                            "ingestionTime": int(event.get("ingestionTime", timestamp)),
                            "eventId": uuid.uuid5(uuid.NAMESPACE_OID, f"{stream}/{timestamp}/{len(events)}").hex,
                        }
                    )
        events.sort(key=lambda e: (e["timestamp"], e["logStreamName"]))
        limit = request.get("limit")
        if limit:
            events = events[: int(limit)]
        return {
            "events": events,
            "searchedLogStreams": [{"logStreamName": s, "searchedCompletely": True} for s in streams],
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }


def _all_streams(logs: Any, group: str, prefix: Any) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"logGroupName": group}
    if prefix:
        kwargs["logStreamNamePrefix"] = prefix
    found: list[dict[str, Any]] = []
    for page in logs.get_paginator("describe_log_streams").paginate(**kwargs):
        found.extend(page.get("logStreams", []))
    return found


def _all_events(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        events.extend(page.get("events", []))
        following = page.get("nextForwardToken")
        if not following or following == token or not page.get("events"):
            return events
        token = following
