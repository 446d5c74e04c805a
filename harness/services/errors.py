"""The error a client of a modelled service sees: the service's exception code, message and HTTP status."""

from __future__ import annotations

from typing import Any

from harness.backends.base import hook_answer


class ServiceError(Exception):
    """A refusal by one of pipewarden's service models, with the service's exception code.

    Attributes:
        code: the exception name the service returns (botocore raises the modelled class of that name).
        message: the message, worded as the service words it.
        status: the HTTP status the service answers with.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def botocore_answer(self) -> tuple[Any, dict[str, Any]]:
        """``(http_response, parsed)`` for a before-call hook: botocore raises the modelled exception from it."""
        return hook_answer(
            self.status,
            {
                "Error": {"Code": self.code, "Message": self.message},
                "ResponseMetadata": {"HTTPStatusCode": self.status, "HTTPHeaders": {}, "RetryAttempts": 0},
            },
        )


__all__ = ["ServiceError"]
