"""The one error hierarchy of pipewarden: input, backend, deploy errors, unverified outcomes and failed checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PipewardenError(Exception):
    """Base of every error pipewarden raises on purpose.

    The message is what a person reads; the keyword fields are kept on the instance (``.fields``) so reports
    and tests can use them without parsing text.
    """

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: Mapping[str, Any] = dict(fields)

    def __str__(self) -> str:
        return self.message


class InputError(PipewardenError):
    """A user mistake in a definition, template, policy, pattern or step argument.

    The message reads, in this order: where (``file:line`` and field, or the resource), what was expected,
    what was found, and the fix.
    """

    def __init__(
        self,
        *,
        where: str,
        expected: str,
        found: str,
        fix: str,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
    ) -> None:
        message = f"{where}: expected {expected}, found {found}; {fix}"
        super().__init__(
            message,
            where=where,
            expected=expected,
            found=found,
            fix=fix,
            file=file,
            line=line,
            field=field,
            column=column,
        )
        self.where = where
        self.expected = expected
        self.found = found
        self.fix = fix
        self.file = file
        self.line = line
        self.field = field
        self.column = column


class BackendError(PipewardenError):
    """The emulator or cloud backend could not be reached, started or used."""


class SafetyError(BackendError):
    """A call or connection would have left the machine without the explicit real-AWS gate."""


class DeployError(PipewardenError):
    """Creating, updating or deleting a resource failed."""

    def __init__(self, message: str, *, resource: str = "", operation: str = "", **fields: Any) -> None:
        super().__init__(message, resource=resource, operation=operation, **fields)
        self.resource = resource
        self.operation = operation


class Unverified(PipewardenError):
    """The backend or the harness cannot verify this step; the scenario must not pass.

    Scenarios report it as a distinct UNVERIFIED status (a pytest skip carrying the reason).
    """

    def __init__(self, reason: str, **fields: Any) -> None:
        super().__init__(f"UNVERIFIED: {reason}", reason=reason, **fields)
        self.reason = reason


# How to give a claim a subject that another template or plan declares.
BESIDE = "or give the template or plan that declares it with --baseline FILE (under pytest --pw-baseline FILE)"


def absent(subject: str, missing: str, provide: str) -> Unverified:
    """A claim whose subject the definition does not have (no build project, no production environment, no trail):
    it cannot be tried, so it is neither a pass nor a weakness of the pipeline.

    Args:
        subject: what the message is about (``definition 'pipeline'``).
        missing: what is absent, as a statement (``declares no build project``).
        provide: how to give it (``declare one, or give the template that holds it with --baseline``).
    """
    return Unverified(f"{subject}: {missing}, so the claim cannot be tried; {provide}", missing=missing)


class CheckFailed(AssertionError, PipewardenError):
    """A check over the evidence did not hold."""

    def __init__(self, message: str, **fields: Any) -> None:
        AssertionError.__init__(self, message)
        self.message = message
        self.fields = dict(fields)

    def __str__(self) -> str:
        return self.message


__all__ = [
    "BackendError",
    "CheckFailed",
    "DeployError",
    "InputError",
    "PipewardenError",
    "SafetyError",
    "Unverified",
    "absent",
]
