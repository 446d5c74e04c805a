"""The backend contract: where AWS calls go (moto in-process, moto server, LocalStack, gated real AWS)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import boto3
import botocore.config
import botocore.session

from harness.backends.safety import Credentials, scrubbed_aws_environment

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who makes a call: a label for people (``harness``, ``build role``), the principal ARN, credentials.

    Attributes:
        label: how messages and reports name the caller.
        arn: the principal ARN (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`` for a role session).
        credentials: the access key the caller signs with (fake outside the gated aws backend).
        kind: CloudTrail's userIdentity.type: Root, IAMUser, AssumedRole, AWSService, ...
        principal_id: CloudTrail's principalId (``AROA...:session`` for a role session).
        account_id: the principal's account.
        source_ip: the address calls come from (CloudTrail's sourceIPAddress).
        attributes: anything else enforcement or recording needs (session issuer ARN, session tags, MFA...).
    """

    label: str
    arn: str
    credentials: Credentials = field(default_factory=Credentials)
    kind: str = "Root"
    principal_id: str = ""
    account_id: str = ""
    source_ip: str = "127.0.0.1"
    attributes: tuple[tuple[str, str], ...] = ()

    def attribute(self, name: str, default: str = "") -> str:
        """One of ``attributes`` by name."""
        return next((v for k, v in self.attributes if k == name), default)


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One API call seen by a backend's clients, before or after it ran."""

    identity: Identity
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None = None
    error_code: str = ""
    error_message: str = ""


class CallObserver(Protocol):
    """Receives every call made through a backend's clients (evidence, CloudTrail recording)."""

    def after_call(self, event: CallEvent) -> None: ...


BeforeCallHook = Callable[[Identity, str, str, dict[str, Any]], "tuple[Any, dict[str, Any]] | None"]
"""Runs before a call is sent with (identity, service, operation, API parameters); returning
``(http_response, parsed)`` (see ``hook_answer``) answers the call without sending it."""


def hook_answer(status: int, parsed: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """What a before-call hook returns to answer a call itself: an HTTP status and the parsed response
    (with ``Error`` for a failure, which botocore then raises as a ClientError)."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse("https://pipewarden.invalid/", status, {}, None), parsed


class Backend:
    """Base of every backend: creates boto3 clients once per (service, identity) and reuses them.

    Subclasses choose the endpoint (``endpoint_url``) and implement ``reset`` and ``close``. Clients are built
    with explicit fake credentials and region, in an environment scrubbed of real AWS settings.
    """

    name = "base"
    # (section, field) pairs this backend accepts but does not store, so they cannot be read back; plans skip
    # them and record them as unverified instead of reporting false drift.
    unstored_fields: frozenset[tuple[str, str]] = frozenset()
    # Whether resources are created under the physical names their definition declares. Only where the backend is
    # fresh for the run and nobody else's resources can be there (an emulator pipewarden starts and resets), so a
    # declared name cannot collide with another run's and policies that spell names out match as in AWS. Elsewhere
    # every name gets the run prefix, which the sweeper finds leftovers by.
    keeps_declared_names: bool = False

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> None:
        self.account_id = account_id
        self.region = region
        self._clients: dict[tuple[str, Identity], Any] = {}
        self._lock = threading.Lock()
        self._observers: list[CallObserver] = []
        self._before_hooks: list[BeforeCallHook] = []
        with scrubbed_aws_environment():
            # Cut the session's profile and config-file settings loose from the environment: botocore also
            # reads them at request time, so a real AWS_PROFILE or config file could otherwise be picked up later.
            botocore_session = botocore.session.Session(
                session_vars={
                    "profile": (None, None, None, None),
                    "config_file": (None, None, os.devnull, None),
                    "credentials_file": (None, None, os.devnull, None),
                }
            )
            botocore_session.set_config_variable("region", region)
            botocore_session.set_config_variable("ignore_configured_endpoint_urls", True)
            self._session = boto3.session.Session(botocore_session=botocore_session)
        self.admin = Identity("harness", f"arn:aws:iam::{account_id}:root", account_id=account_id)

    # -- endpoint ------------------------------------------------------------------------------------------
    def endpoint_url(self, service: str) -> str | None:
        """The endpoint for ``service``; None means the SDK's default (used only in-process or gated)."""
        return None

    # -- clients -------------------------------------------------------------------------------------------
    def client(self, service: str, identity: Identity | None = None) -> Any:
        """A boto3 client for ``service`` acting as ``identity`` (the harness's admin identity by default).

        Clients are cached: creating one costs tens of milliseconds, reusing one costs nothing.
        """
        identity = identity or self.admin
        key = (service, identity)
        found = self._clients.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self._make_client(service, identity)
                self._clients[key] = found
        return found

    def _make_client(self, service: str, identity: Identity) -> Any:
        creds = identity.credentials
        endpoint = self.endpoint_url(service)
        config = botocore.config.Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            parameter_validation=True,
            # An emulator on this machine is reached directly: a proxy from the environment (HTTPS_PROXY) would
            # carry the calls off the machine, where the egress guard refuses them.
            proxies={} if endpoint is not None else None,
        )
        with scrubbed_aws_environment():
            client = self._session.client(
                service,
                region_name=self.region,
                endpoint_url=endpoint,
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
                aws_session_token=creds.session_token,
                config=config,
            )
        self._instrument(client, service, identity)
        return client

    def _instrument(self, client: Any, service: str, identity: Identity) -> None:
        events = client.meta.events

        def before_call(model: Any, params: Any, context: Any = None, **_: Any) -> Any:
            # Hooks get the API parameters the caller passed (captured below), not botocore's serialized request;
            # it is the same dict observers later see as CallEvent.params.
            api = context.get("pipewarden_params") if isinstance(context, dict) else None
            request = api if isinstance(api, dict) else {}
            for hook in self._before_hooks:
                answer = hook(identity, service, model.name, request)
                if answer is not None:
                    return answer
            return None

        def capture_params(params: Any, model: Any, context: Any, **_: Any) -> None:
            context["pipewarden_params"] = dict(params)

        def after_call_with_params(model: Any, parsed: Any, context: Any, **kwargs: Any) -> None:
            if not self._observers:
                return
            error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
            event = CallEvent(
                identity=identity,
                service=service,
                operation=model.name,
                params=context.get("pipewarden_params", {}),
                response=None if error else parsed,
                error_code=str(error.get("Code", "")),
                error_message=str(error.get("Message", "")),
            )
            for observer in list(self._observers):
                observer.after_call(event)

        events.register("provide-client-params", capture_params)
        events.register("before-call", before_call)
        events.register("after-call", after_call_with_params)

    # -- observers and hooks -------------------------------------------------------------------------------
    def add_observer(self, observer: CallObserver) -> None:
        """Send every later call to ``observer``."""
        self._observers.append(observer)

    def observers(self) -> tuple[CallObserver, ...]:
        """The observers currently receiving calls."""
        return tuple(self._observers)

    def remove_observer(self, observer: CallObserver) -> None:
        """Stop sending calls to ``observer``."""
        if observer in self._observers:
            self._observers.remove(observer)

    def add_before_call(self, hook: BeforeCallHook) -> None:
        """Run ``hook`` before every call (used for enforcement); it may answer the call itself."""
        self._before_hooks.append(hook)

    def remove_before_call(self, hook: BeforeCallHook) -> None:
        """Remove a hook added with ``add_before_call``."""
        if hook in self._before_hooks:
            self._before_hooks.remove(hook)

    # -- lifecycle -----------------------------------------------------------------------------------------
    def open(self) -> None:
        """Start the backend (idempotent)."""

    def reset(self) -> None:
        """Return the backend to an empty account, cheaply; clients stay valid."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the backend and drop its clients."""
        self._clients.clear()

    def describe(self) -> str:
        """One line for reports: which backend, which account and region."""
        return f"{self.name} (account {self.account_id}, region {self.region})"


class _Resettable(Protocol):
    def reset(self) -> None: ...


_Kept = TypeVar("_Kept", bound=_Resettable)


def attached_once(backend: Backend, attribute: str, make: Callable[[], _Kept]) -> _Kept:
    """The object kept on ``backend`` under ``attribute``, made on first use; resetting the backend resets it too.

    Models the harness keeps beside an emulator (what it serves itself) must forget what the emulator forgets.
    """
    found = backend.__dict__.get(attribute)
    if found is not None:
        return found  # type: ignore[no-any-return]
    made = make()
    backend.__dict__[attribute] = made
    reset = backend.reset

    def reset_both() -> None:
        reset()
        made.reset()

    backend.__dict__["reset"] = reset_both
    return made
