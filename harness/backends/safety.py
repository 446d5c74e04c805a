"""Safety by construction: fake credentials, an environment scrubbed of real AWS settings, an egress guard."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from harness.errors import SafetyError

FAKE_ACCESS_KEY = "AKIAPIPEWARDENFAKE00"
FAKE_SECRET_KEY = "pipewarden-fake-secret-key-not-a-real-one"

# Variables botocore reads that could point a client at a real account or endpoint.
AWS_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_CA_BUNDLE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key pair (and session token for assumed roles). Never real outside the gated aws backend."""

    access_key_id: str = FAKE_ACCESS_KEY
    secret_access_key: str = FAKE_SECRET_KEY
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key='***')"


_ENV_LOCK = threading.RLock()
_PINNED = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def hide_aws_environment() -> dict[str, str]:
    """Remove every real AWS setting from ``os.environ`` and pin config files to nothing.

    Returns:
        What was there before, for ``restore_aws_environment``.
    """
    with _ENV_LOCK:
        saved = {k: v for k, v in os.environ.items() if k in AWS_ENVIRONMENT or k.startswith("AWS_ENDPOINT_URL_")}
        for key in saved:
            del os.environ[key]
        os.environ.update(_PINNED)
        return saved


def restore_aws_environment(saved: dict[str, str]) -> None:
    """Undo ``hide_aws_environment``."""
    with _ENV_LOCK:
        for key in _PINNED:
            os.environ.pop(key, None)
        os.environ.update(saved)


@contextmanager
def scrubbed_aws_environment() -> Iterator[None]:
    """Hide every real AWS setting from botocore while sessions and clients are built.

    botocore resolves profiles, endpoints and credentials from the environment and from ~/.aws when a session
    or client is created; hiding them then means a harness client can only use what the harness gives it.
    """
    with _ENV_LOCK:
        saved = hide_aws_environment()
        try:
            yield
        finally:
            restore_aws_environment(saved)


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (127.0.0.0/8, ::1)."""
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_loopback_url(url: str, what: str) -> None:
    """Refuse an endpoint URL that is not on this machine.

    Raises:
        SafetyError: naming the endpoint and the fix.
    """
    host = urlparse(url).hostname or ""
    if not is_loopback_host(host):
        raise SafetyError(
            f"{what}: expected an endpoint on this machine (127.0.0.1 or localhost), found {url!r}; "
            "pipewarden never sends calls off the machine without the real-AWS gate (PIPEWARDEN_ACC=1)"
        )


class EgressGuard:
    """Refuses any socket connection or name lookup that would leave the machine, while enabled.

    Audit hooks cannot be removed once added, so one hook is installed per process (``egress_guard()``) and
    switched on and off; that one hook is the only process-wide state pipewarden keeps, by necessity.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._lock = threading.Lock()
        self.blocked: list[str] = []
        self._installed = False

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self._depth <= 0:
            return
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            # sendto and sendmsg carry their own destination: a UDP datagram needs no connect to leave.
            sock, address = args[0], args[1]
            if address is None or getattr(sock, "family", None) == getattr(socket, "AF_UNIX", object()):
                return
            host = address[0] if isinstance(address, tuple) else str(address)
            if not is_loopback_host(str(host)):
                self._refuse(f"connection to {address!r}")
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode(errors="replace")
            if host and not is_loopback_host(str(host)):
                self._refuse(f"name lookup of {host!r}")

    def _refuse(self, what: str) -> None:
        self.blocked.append(what)
        raise SafetyError(
            f"egress guard: expected only loopback traffic, found a {what}; "
            "pipewarden keeps every call on this machine unless the real-AWS gate is open"
        )

    @contextmanager
    def active(self) -> Iterator[EgressGuard]:
        """Enable the guard for the duration of the block (nesting allowed)."""
        with self._lock:
            if not self._installed:
                sys.addaudithook(self._hook)
                self._installed = True
            self._depth += 1
        try:
            yield self
        finally:
            with self._lock:
                self._depth -= 1


_GUARD = EgressGuard()


def egress_guard() -> EgressGuard:
    """The process's egress guard (see ``EgressGuard`` for why there is one)."""
    return _GUARD
