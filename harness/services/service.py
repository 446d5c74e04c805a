"""The service models of one backend behind boto3: authorized like any call, then answered by the model.

:class:`OwnedServices` is a before-call hook and a call observer on a backend. For a call one of its models serves,
it first lets the deployment's IAM enforcement decide (the :class:`~harness.enforce.enforcer.Enforcer` observing
the backend, if any: its denial is the answer, its decision lands in the evidence and the audit trail), then answers
from the model. Calls the models do not serve go on to the emulator, and the models see every answer the emulator
gives (Security Hub mirrors the emulator enabling the hub).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from harness.backends.base import Backend, CallEvent, Identity, attached_once, hook_answer
from harness.services.connections import ConnectionsModel
from harness.services.errors import ServiceError
from harness.services.report_groups import ReportGroupsModel
from harness.services.security_hub import SecurityHubModel

M = TypeVar("M")

_ATTRIBUTE = "pipewarden_services"


class ServiceModel(Protocol):
    """A model of a service (or of the part of one) the emulators lack."""

    def serves(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """Whether the model answers this call (the emulator answers the others)."""
        ...

    def call(self, caller: Identity, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The answer to one call it serves; a :class:`ServiceError` is the service's refusal."""
        ...

    def observe(self, event: CallEvent) -> None:
        """See one call the backend answered (to mirror what the emulator keeps)."""
        ...


class OwnedServices:
    """The service models of one backend: connections, report groups and the Security Hub record.

    There is one per backend (:meth:`of`): the models are the part of the backend's state the emulator lacks, so
    they live as long as the backend and are emptied when it is reset.

    Args:
        backend: where the models are attached.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.models: tuple[ServiceModel, ...] = self._fresh()
        self.served: list[tuple[str, str]] = []
        self._attached = False

    def _fresh(self) -> tuple[ServiceModel, ...]:
        account, region = self.backend.account_id, self.backend.region
        return (
            ConnectionsModel(account, region),
            ReportGroupsModel(account, region),
            SecurityHubModel(account, region),
        )

    @classmethod
    def of(cls, backend: Backend) -> OwnedServices:
        """The backend's models, created and attached on first use; resetting the backend empties them."""
        return attached_once(backend, _ATTRIBUTE, lambda: cls(backend).attach())

    def reset(self) -> None:
        """Forget every connection, report group and hub setting."""
        self.models = self._fresh()
        self.served.clear()

    def model(self, kind: type[M]) -> M:
        """The model of one kind (``ConnectionsModel``...)."""
        for model in self.models:
            if isinstance(model, kind):
                return model
        raise KeyError(kind.__name__)  # every kind is built in _fresh

    # -- wiring --------------------------------------------------------------------------------------------------
    def attach(self) -> OwnedServices:
        """Serve every later call of the modelled services through the backend's clients."""
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

    def before_call(
        self, identity: Identity, service: str, operation: str, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """botocore before-call hook: let enforcement decide, then answer from the model that serves the call."""
        model = next((m for m in self.models if m.serves(service, operation, params)), None)
        if model is None:
            return None
        enforcer = self._enforcer()
        if enforcer is not None:
            # The enforcer's own hook comes after this one; deciding here keeps its denials, evidence and the
            # decision the audit trail looks up exactly as for a call the emulator serves.
            denied: tuple[Any, dict[str, Any]] | None = enforcer.before_call(identity, service, operation, params)
            if denied is not None:
                return denied
        try:
            response = model.call(identity, service, operation, params)
        except ServiceError as exc:
            return exc.botocore_answer()
        self.served.append((service, operation))
        parsed = {**response, "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
        return hook_answer(200, parsed)

    def after_call(self, event: CallEvent) -> None:
        """Observer: every model sees what the backend answered."""
        for model in self.models:
            model.observe(event)

    def _enforcer(self) -> Any:
        from harness.enforce.enforcer import Enforcer

        return next((o for o in self.backend.observers() if isinstance(o, Enforcer)), None)


__all__ = ["OwnedServices", "ServiceModel"]
