"""The error a CodeCommit client sees: the service's exception code and message."""

from __future__ import annotations

from typing import Any

from harness.backends.base import hook_answer


class CodeCommitError(Exception):
    """A refusal by the source repository model, with CodeCommit's exception code (``BranchDoesNotExistException``).

    Attributes:
        code: the exception name CodeCommit returns (botocore raises the class of that name).
        message: CodeCommit-style message.
        status: the HTTP status the service answers with.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def parsed(self) -> dict[str, Any]:
        """The parsed error response botocore builds for this error."""
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": self.status, "HTTPHeaders": {}, "RetryAttempts": 0},
        }

    def botocore_answer(self) -> tuple[Any, dict[str, Any]]:
        """``(http_response, parsed)`` for a before-call hook: botocore raises the modelled exception from it."""
        return hook_answer(self.status, self.parsed())


__all__ = ["CodeCommitError"]
