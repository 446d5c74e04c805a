"""Backends: where AWS calls go. moto in-process is the default; real AWS only behind a gate."""

from __future__ import annotations

from harness.backends.base import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    Backend,
    CallEvent,
    CallObserver,
    Identity,
)
from harness.backends.safety import Credentials, EgressGuard, egress_guard
from harness.errors import InputError

BACKEND_NAMES = ("moto", "moto-server", "localstack", "aws")


def make_backend(name: str, region: str = DEFAULT_REGION) -> Backend:
    """Create (not yet open) the backend called ``name``.

    Raises:
        InputError: for an unknown backend name.
        SafetyError: for ``aws`` when the gate is closed.
    """
    if name == "moto":
        from harness.backends.moto_inprocess import MotoBackend

        return MotoBackend(region=region)
    if name == "moto-server":
        from harness.backends.moto_server import MotoServerBackend

        return MotoServerBackend(region=region)
    if name == "localstack":
        from harness.backends.localstack import LocalStackBackend

        return LocalStackBackend(region=region)
    if name == "aws":
        from harness.backends.aws import AwsBackend

        return AwsBackend(region=region)
    raise InputError(
        where="--pw-backend",
        expected=f"one of {', '.join(BACKEND_NAMES)}",
        found=repr(name),
        fix="choose one of the listed backends (moto is the default)",
    )


__all__ = [
    "BACKEND_NAMES",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "Backend",
    "CallEvent",
    "CallObserver",
    "Credentials",
    "EgressGuard",
    "Identity",
    "egress_guard",
    "make_backend",
]
