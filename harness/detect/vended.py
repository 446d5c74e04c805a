"""Metrics AWS services publish on their own (``AWS/CodeBuild``), derived from the state-change events they emit.

CodeBuild publishes its metrics per build project (dimension ``ProjectName``) and for the account (no dimension),
so an alarm on either sees every build. What is published when, as CodeBuild's metric reference documents it:

- ``Builds`` (Count, Sum): 1 when a build is triggered (its first ``IN_PROGRESS`` state change).
- ``SucceededBuilds`` (Count, Sum): 1 when a build ends ``SUCCEEDED``.
- ``FailedBuilds`` (Count, Sum): 1 when a build fails "because of client error or a timeout": ``FAILED`` or
  ``TIMED_OUT``. A ``FAULT`` (CodeBuild's own error) or a ``STOPPED`` build is neither succeeded nor failed.
- ``Duration`` (Seconds): when a build ends, how long it took in all.
- ``<Phase>Duration`` (Seconds): when a build ends, the duration of each phase it went through, among them
  ``QueuedDuration`` and ``BuildDuration`` (the ``BUILD`` phase; absent when the build never reached it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from harness.detect.metrics import MetricDatapoint

CODEBUILD_NAMESPACE: Final = "AWS/CodeBuild"
CODEBUILD_SOURCE: Final = "aws.codebuild"
BUILD_STATE_CHANGE: Final = "CodeBuild Build State Change"
PROJECT_DIMENSION: Final = "ProjectName"
COUNT_METRICS: Final = ("Builds", "SucceededBuilds", "FailedBuilds")
# The build phase each duration metric measures (COMPLETED is a marker, not a phase with a duration).
PHASE_METRICS: Final = {
    "SUBMITTED": "SubmittedDuration",
    "QUEUED": "QueuedDuration",
    "PROVISIONING": "ProvisioningDuration",
    "DOWNLOAD_SOURCE": "DownloadSourceDuration",
    "INSTALL": "InstallDuration",
    "PRE_BUILD": "PreBuildDuration",
    "BUILD": "BuildDuration",
    "POST_BUILD": "PostBuildDuration",
    "UPLOAD_ARTIFACTS": "UploadArtifactsDuration",
    "FINALIZING": "FinalizingDuration",
}
_OUTCOME_METRIC: Final = {"SUCCEEDED": "SucceededBuilds", "FAILED": "FailedBuilds", "TIMED_OUT": "FailedBuilds"}
_ENDED: Final = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"})


def is_build_state_change(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is CodeBuild's ``CodeBuild Build State Change``."""
    return event.get("source") == CODEBUILD_SOURCE and event.get("detail-type") == BUILD_STATE_CHANGE


def codebuild_metric_dimensions(project: str) -> tuple[dict[str, str], dict[str, str]]:
    """The two dimension sets CodeBuild publishes each metric under: the project's and the account's (none)."""
    return {PROJECT_DIMENSION: project}, {}


def codebuild_datapoints(event: Mapping[str, Any], at: datetime) -> list[MetricDatapoint]:
    """The ``AWS/CodeBuild`` datapoints CodeBuild publishes for one of its build state changes.

    Args:
        event: an EventBridge event; anything but a ``CodeBuild Build State Change`` publishes nothing.
        at: the datapoints' timestamp (the scenario clock's time, so that alarms count them in the period being
            evaluated; the build itself ran on the wall clock).

    Returns:
        The datapoints, each metric once per project and once for the account.
    """
    if not is_build_state_change(event):
        return []
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return []
    project = str(detail.get("project-name") or "")
    status = str(detail.get("build-status") or "")
    values: list[tuple[str, float, str]] = []
    if status == "IN_PROGRESS":
        values.append(("Builds", 1.0, "Count"))
    elif status in _ENDED:
        if status in _OUTCOME_METRIC:
            values.append((_OUTCOME_METRIC[status], 1.0, "Count"))
        phases = _phases(detail)
        durations = [(PHASE_METRICS[kind], seconds) for kind, seconds in phases if kind in PHASE_METRICS]
        values.append(("Duration", float(sum(seconds for _, seconds in durations)), "Seconds"))
        values.extend((name, float(seconds), "Seconds") for name, seconds in durations)
    dimension_sets = codebuild_metric_dimensions(project) if project else ({},)
    return [
        MetricDatapoint(CODEBUILD_NAMESPACE, name, value, at, dimensions, unit)
        for name, value, unit in values
        for dimensions in dimension_sets
    ]


def _phases(detail: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(phase type, seconds)`` of the phases the build went through and ended, in order."""
    information = detail.get("additional-information")
    phases: Sequence[Any] = (information.get("phases") or []) if isinstance(information, Mapping) else []
    found: list[tuple[str, float]] = []
    for phase in phases:
        if not isinstance(phase, Mapping) or not phase.get("phase-status"):
            continue  # not ended (COMPLETED, or a phase still running)
        seconds = phase.get("duration-in-seconds")
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            found.append((str(phase.get("phase-type", "")), float(seconds)))
    return found


def service_metric_alarm_applies(
    alarm_namespace: str, alarm_dimensions: Mapping[str, str], projects: Sequence[str]
) -> bool:
    """Whether an alarm on an ``AWS/CodeBuild`` metric watches the builds of ``projects``.

    CodeBuild publishes under ``ProjectName`` and under no dimension at all, and an alarm reads exactly one
    dimension set: one for the account, or one for a project among ``projects``, sees those builds; one for another
    project, or with a dimension CodeBuild does not publish, never receives a datapoint from them.
    """
    if alarm_namespace != CODEBUILD_NAMESPACE:
        return True
    if not alarm_dimensions:
        return True
    return set(alarm_dimensions) == {PROJECT_DIMENSION} and alarm_dimensions[PROJECT_DIMENSION] in projects


__all__ = [
    "BUILD_STATE_CHANGE",
    "CODEBUILD_NAMESPACE",
    "CODEBUILD_SOURCE",
    "COUNT_METRICS",
    "PHASE_METRICS",
    "PROJECT_DIMENSION",
    "codebuild_datapoints",
    "codebuild_metric_dimensions",
    "is_build_state_change",
    "service_metric_alarm_applies",
]
