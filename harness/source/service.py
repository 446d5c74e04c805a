"""The CodeCommit service behind boto3: the model answers what the backend does not implement, every call by a
scenario identity is authorized first, and every call reaches the backend's recorders.

The service is a before-call hook and a call observer on the backend. For a ``codecommit`` call it:

1. authorizes the call (not the harness's admin identity) with its :class:`~harness.source.authz.Authorizer`
   and answers a denial with CodeCommit's AccessDeniedException;
2. lets the backend serve the operations it implements for real (moto: CreateRepository and DeleteRepository) and
   mirrors their outcome into the model; answers every other operation from the model;
3. keeps which implementation served each call in :attr:`SourceService.served`.

Because answers go back through botocore, evidence and CloudTrail recording see these calls like any other. A push
over Git is not an API call: :meth:`SourceService.git_push` authorizes it (``codecommit:GitPush`` with
``codecommit:References``) and hands the event to the backend's observers itself, as the build gateway does for the
calls it refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.backends.base import Backend, CallEvent, Identity, attached_once, hook_answer
from harness.errors import Unverified
from harness.iam import Decision
from harness.source.authz import Authorizer, SourceAccess, access_for, denial
from harness.source.errors import CodeCommitError
from harness.source.model import SourceModel
from harness.source.rules import full_reference

# What each backend implements itself; the model serves the rest. GetRepository is answered by the model for the
# repositories it holds, because the emulator knows no branches and so never reports a default branch.
BACKEND_OPERATIONS: Mapping[str, frozenset[str]] = {
    "moto": frozenset({"CreateRepository", "DeleteRepository", "GetRepository"}),
    "moto-server": frozenset({"CreateRepository", "DeleteRepository", "GetRepository"}),
}


_ATTRIBUTE = "pipewarden_source"


@dataclass(frozen=True, slots=True)
class SourceDecision:
    """The authorization of one source call: who, which operation, the IAM request and the decision."""

    identity: Identity
    operation: str
    access: SourceAccess
    decision: Decision

    @property
    def allowed(self) -> bool:
        """True when IAM allowed the call."""
        return self.decision.allowed


class SourceService:
    """CodeCommit for one backend: model, authorization and recording.

    There is one service per backend (:meth:`of`), because the model is the part of the backend's state the
    emulator lacks: it lives as long as the backend and is emptied when the backend is reset. A deployment sets
    :attr:`authorizer` (its enforcement engine) and adds branch listeners for as long as it runs.

    Args:
        backend: where the service is attached and whose observers record its calls.
        authorizer: decides calls by non-admin identities. With none, such calls are refused as UNVERIFIED: the
            harness never lets an unjudged call through.
    """

    def __init__(self, backend: Backend, authorizer: Authorizer | None = None) -> None:
        self.backend = backend
        self.model = SourceModel(backend.account_id, backend.region)
        self.authorizer = authorizer
        self.backend_operations = BACKEND_OPERATIONS.get(backend.name, frozenset())
        self.decisions: list[SourceDecision] = []
        self.served: list[tuple[str, str]] = []
        self._attached = False

    @classmethod
    def of(cls, backend: Backend) -> SourceService:
        """The backend's service, created and attached on first use.

        The backend's ``reset`` is wrapped so that resetting the backend also empties the model: the repositories
        the emulator forgets must not live on in the model.
        """
        return attached_once(backend, _ATTRIBUTE, lambda: cls(backend).attach())

    def reset(self) -> None:
        """Forget every repository, template and pull request, and what was decided and served."""
        self.model = SourceModel(self.backend.account_id, self.backend.region)
        self.decisions.clear()
        self.served.clear()

    # -- wiring ------------------------------------------------------------------------------------------------
    def attach(self) -> SourceService:
        """Serve and authorize every later ``codecommit`` call through the backend's clients."""
        if not self._attached:
            self.backend.add_before_call(self.before_call)
            self.backend.add_observer(self)
            self._attached = True
        return self

    def detach(self) -> None:
        """Stop serving."""
        if self._attached:
            self.backend.remove_before_call(self.before_call)
            self.backend.remove_observer(self)
            self._attached = False

    # -- authorization -----------------------------------------------------------------------------------------
    def authorize(self, identity: Identity, operation: str, params: Mapping[str, Any]) -> SourceDecision | None:
        """Decide one call (None for the harness's admin identity, which is never enforced).

        Raises:
            Unverified: when no authorizer is configured.
        """
        if identity == self.backend.admin:
            return None
        authorizer = self.authorizer
        if authorizer is None:
            raise Unverified(
                f"codecommit:{operation} by {identity.label}: no IAM enforcement is configured for source "
                "operations, so the harness cannot tell whether AWS would allow it"
            )
        access = access_for(self.model, operation, params)
        result = SourceDecision(identity, operation, access, authorizer.decide(identity, access))
        self.decisions.append(result)
        return result

    # -- the backend hook --------------------------------------------------------------------------------------
    def before_call(
        self, identity: Identity, service: str, operation: str, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """botocore before-call hook: authorize, then answer from the model or let the backend serve."""
        if service != "codecommit":
            return None
        api_params = params
        try:
            decided = self.authorize(identity, operation, api_params)
            if decided is not None and not decided.allowed:
                raise denial(identity, decided.decision)
            if self._backend_serves(operation, api_params):
                self.served.append((operation, self.backend.name))
                return None
            if not self.model.handles(operation):
                raise CodeCommitError(
                    "UnsupportedOperationException",
                    f"{operation} is not modelled by pipewarden's CodeCommit and the {self.backend.name} backend "
                    "does not implement it",
                )
            response = self.model.call(identity.arn, operation, api_params)
        except CodeCommitError as exc:
            return exc.botocore_answer()
        self.served.append((operation, "pipewarden"))
        parsed = {**response, "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
        return hook_answer(200, parsed)

    def _backend_serves(self, operation: str, params: Mapping[str, Any]) -> bool:
        if operation not in self.backend_operations:
            return False
        return not (operation == "GetRepository" and params.get("repositoryName") in self.model.repositories)

    def after_call(self, event: CallEvent) -> None:
        """Observer: mirror repositories the backend created or deleted into the model."""
        if event.service != "codecommit" or event.error_code or event.response is None:
            return
        if event.operation == "CreateRepository" and "repositoryMetadata" in event.response:
            # The backend created it, so anything the model still held under that name is from before a reset.
            self.model.forget(str(event.response["repositoryMetadata"]["repositoryName"]))
            self.model.adopt(event.response["repositoryMetadata"], event.params.get("tags"), self.backend.name)
        elif event.operation == "DeleteRepository":
            self.model.forget(str(event.params.get("repositoryName", "")))

    # -- Git over HTTPS ----------------------------------------------------------------------------------------
    def git_push(
        self, identity: Identity, repository: str, branch: str, files: Mapping[str, bytes | str], message: str = "push"
    ) -> dict[str, Any]:
        """``git push`` of one commit with ``files`` to ``branch`` (created from the default branch if new).

        Returns:
            ``{"commitId": ..., "references": [...]}``.

        Raises:
            CodeCommitError: AccessDeniedException when IAM denies codecommit:GitPush, or the model's refusal.
        """
        params: dict[str, Any] = {
            "repositoryName": repository,
            "references": [full_reference(branch)],
            "files": dict(files),
            "message": message,
        }
        recorded = {"repositoryName": repository, "references": [full_reference(branch)]}
        try:
            decided = self.authorize(identity, "GitPush", params)
            if decided is not None and not decided.allowed:
                raise denial(identity, decided.decision)
            response = self.model.call(identity.arn, "GitPush", params)
        except CodeCommitError as exc:
            self._notify(CallEvent(identity, "codecommit", "GitPush", recorded, None, exc.code, exc.message))
            raise
        self.served.append(("GitPush", "pipewarden"))
        self._notify(CallEvent(identity, "codecommit", "GitPush", recorded, dict(response)))
        return response

    def _notify(self, event: CallEvent) -> None:
        # The backend offers no public way to report a call that did not go through a client; the build gateway
        # reports the calls it refuses the same way.
        for observer in list(getattr(self.backend, "_observers", [])):
            observer.after_call(event)


__all__ = ["BACKEND_OPERATIONS", "SourceDecision", "SourceService"]
