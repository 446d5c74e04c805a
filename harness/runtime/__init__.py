"""Pipelines that run: builds in a sandbox, executions through stages, approvals, and the AWS gateway builds call.

Layers, bottom up: :mod:`~harness.runtime.buildspec` (the buildspec as data), :mod:`~harness.runtime.sandbox` (a
loopback-only network namespace, scrubbed environment, limits), :mod:`~harness.runtime.gateway` (the endpoint builds
call: caller by access key, authorized, recorded, forwarded), :mod:`~harness.runtime.logs` (the one function every
log event goes through, masking), :mod:`~harness.runtime.secrets`, :mod:`~harness.runtime.build` (CodeBuild's phases
and records), :mod:`~harness.runtime.pipeline` (executions, artifacts, approvals, events) and
:mod:`~harness.runtime.scenarios` (what scenarios call, and the checks).
"""

from __future__ import annotations

from harness.runtime.build import (
    BuildRecord,
    BuildRequest,
    S3Location,
    batch_get_builds,
    gateway_for,
    get_build,
    start_build,
)
from harness.runtime.buildspec import Buildspec, parse_buildspec
from harness.runtime.gateway import Authorizer, Denial, Gateway
from harness.runtime.logs import LogEvent, LogWrite, read_log_messages, write_log_events
from harness.runtime.pipeline import (
    ActionDenied,
    ApprovalOutcome,
    Execution,
    get_pipeline_execution,
    get_pipeline_state,
    list_action_executions,
    put_approval_result,
    register_source,
    start_pipeline_execution,
)
from harness.runtime.sandbox import Sandbox
from harness.runtime.secrets import PlaintextSecret, plain_parameter, plaintext_secret
from harness.runtime.state import Runtime, runtime, set_build_clock

__all__ = [
    "ActionDenied",
    "ApprovalOutcome",
    "Authorizer",
    "BuildRecord",
    "BuildRequest",
    "Buildspec",
    "Denial",
    "Execution",
    "Gateway",
    "LogEvent",
    "LogWrite",
    "PlaintextSecret",
    "Runtime",
    "S3Location",
    "Sandbox",
    "batch_get_builds",
    "gateway_for",
    "get_build",
    "get_pipeline_execution",
    "get_pipeline_state",
    "list_action_executions",
    "parse_buildspec",
    "plain_parameter",
    "plaintext_secret",
    "put_approval_result",
    "read_log_messages",
    "register_source",
    "runtime",
    "set_build_clock",
    "start_build",
    "start_pipeline_execution",
    "write_log_events",
]
