"""pipewarden: acceptance tests that prove a CI/CD pipeline on AWS is secure.

The top-level names are the typed API a scenario needs in plain pytest; each subpackage exports more in its own
``__all__`` (``harness.iam``, ``harness.enforce``, ``harness.trail``, ``harness.detect``, ``harness.runtime``,
``harness.source``, ``harness.services``, ``harness.network``). Names are imported on first use, so
``import harness`` stays cheap and the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.acceptance import (
        Case,
        Deployment,
        NamedCheck,
        Step,
        compose,
        compose_all,
        expect_attribute,
        expect_drift,
        expect_empty_plan,
        expect_exists,
        run_case,
        run_step,
    )
    from harness.backends import Backend, Credentials, Identity, egress_guard, make_backend
    from harness.detect import compile_event_pattern, compile_pattern
    from harness.detect.monitoring import DetectionRuntime
    from harness.enforce import (
        WebIdentityToken,
        act_as,
        act_as_user,
        assume_with_web_identity,
        attempt,
        expect_allowed,
        expect_denied,
    )
    from harness.errors import (
        BackendError,
        CheckFailed,
        DeployError,
        InputError,
        PipewardenError,
        SafetyError,
        Unverified,
    )
    from harness.evidence import Evidence
    from harness.iam import AuthorizationRequest, Decision, PolicySet, authorize, evaluate, parse_policy
    from harness.inputs.cloudformation import load_template, parse_template_text
    from harness.inputs.formats import load_any
    from harness.inputs.harness_yaml import load_definition, parse_definition
    from harness.inputs.parameters import read_parameter_file
    from harness.inputs.terraform_plan import load_plan, parse_plan_text
    from harness.model.definition import Definition
    from harness.network import can_reach, reachable_ports, read_network
    from harness.provider.lifecycle import Plan, Provider
    from harness.scenario import load_fixture, resolve_role
    from harness.trail import CloudTrailEmulator, validate_logs

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "Case",
            "Deployment",
            "NamedCheck",
            "Step",
            "compose",
            "compose_all",
            "expect_attribute",
            "expect_drift",
            "expect_empty_plan",
            "expect_exists",
            "run_case",
            "run_step",
        ),
        "harness.acceptance",
    ),
    **dict.fromkeys(("Backend", "Credentials", "Identity", "egress_guard", "make_backend"), "harness.backends"),
    **dict.fromkeys(("compile_event_pattern", "compile_pattern"), "harness.detect"),
    "DetectionRuntime": "harness.detect.monitoring",
    **dict.fromkeys(
        (
            "WebIdentityToken",
            "act_as",
            "act_as_user",
            "assume_with_web_identity",
            "attempt",
            "expect_allowed",
            "expect_denied",
        ),
        "harness.enforce",
    ),
    **dict.fromkeys(
        ("BackendError", "CheckFailed", "DeployError", "InputError", "PipewardenError", "SafetyError", "Unverified"),
        "harness.errors",
    ),
    "Evidence": "harness.evidence",
    **dict.fromkeys(
        ("AuthorizationRequest", "Decision", "PolicySet", "authorize", "evaluate", "parse_policy"), "harness.iam"
    ),
    **dict.fromkeys(("load_template", "parse_template_text"), "harness.inputs.cloudformation"),
    "load_any": "harness.inputs.formats",
    **dict.fromkeys(("load_definition", "parse_definition"), "harness.inputs.harness_yaml"),
    "read_parameter_file": "harness.inputs.parameters",
    **dict.fromkeys(("load_plan", "parse_plan_text"), "harness.inputs.terraform_plan"),
    "Definition": "harness.model.definition",
    **dict.fromkeys(("can_reach", "read_network", "reachable_ports"), "harness.network"),
    **dict.fromkeys(("Plan", "Provider"), "harness.provider.lifecycle"),
    **dict.fromkeys(("load_fixture", "resolve_role"), "harness.scenario"),
    **dict.fromkeys(("CloudTrailEmulator", "validate_logs"), "harness.trail"),
}

__all__ = [
    "AuthorizationRequest",
    "Backend",
    "BackendError",
    "Case",
    "CheckFailed",
    "CloudTrailEmulator",
    "Credentials",
    "Decision",
    "Definition",
    "DeployError",
    "Deployment",
    "DetectionRuntime",
    "Evidence",
    "Identity",
    "InputError",
    "NamedCheck",
    "PipewardenError",
    "Plan",
    "PolicySet",
    "Provider",
    "SafetyError",
    "Step",
    "Unverified",
    "WebIdentityToken",
    "act_as",
    "act_as_user",
    "assume_with_web_identity",
    "attempt",
    "authorize",
    "can_reach",
    "compile_event_pattern",
    "compile_pattern",
    "compose",
    "compose_all",
    "egress_guard",
    "evaluate",
    "expect_allowed",
    "expect_attribute",
    "expect_denied",
    "expect_drift",
    "expect_empty_plan",
    "expect_exists",
    "load_any",
    "load_definition",
    "load_fixture",
    "load_plan",
    "load_template",
    "make_backend",
    "parse_definition",
    "parse_plan_text",
    "parse_policy",
    "parse_template_text",
    "reachable_ports",
    "read_network",
    "read_parameter_file",
    "resolve_role",
    "run_case",
    "run_step",
    "validate_logs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
