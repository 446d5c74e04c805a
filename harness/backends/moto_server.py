"""moto's threaded server on 127.0.0.1: a real HTTP endpoint, still on this machine."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from harness.backends.base import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Backend
from harness.backends.moto_accepts import teach_moto_what_aws_accepts
from harness.backends.moto_iam import teach_moto_iam
from harness.backends.moto_routing import route_moto_calls_once
from harness.backends.safety import require_loopback_url
from harness.errors import BackendError


class MotoServerBackend(Backend):
    """moto's ThreadedMotoServer bound to 127.0.0.1 on a free port, or an existing loopback server by URL."""

    name = "moto-server"
    unstored_fields = frozenset(
        {("build_projects", "encryption_key"), ("buckets", "log_key_format"), ("buckets", "eventbridge")}
    )

    def __init__(
        self, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION, url: str | None = None
    ) -> None:
        super().__init__(account_id, region)
        if url:
            require_loopback_url(url, "moto server")
            # A server of another process has not learnt the IAM operations moto lacks (see moto_iam).
            self.unstored_fields = self.unstored_fields | {
                ("users", "permissions_boundary"),
                ("saml_providers", "tags"),
            }
        self._url = url
        # A server this backend starts is the run's own; one at a given URL may hold anyone's resources.
        self.keeps_declared_names = url is None
        self._server: Any = None

    def open(self) -> None:
        if self._url is not None:
            return
        from moto.server import ThreadedMotoServer

        # The server started here answers from this process's moto, which learns what its IAM lacks.
        teach_moto_iam()
        teach_moto_what_aws_accepts()
        route_moto_calls_once()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._url = f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The server's base URL."""
        if self._url is None:
            raise BackendError("moto server: expected a started server, found none; call open() first")
        return self._url

    def endpoint_url(self, service: str) -> str | None:
        return self.url

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        try:
            # No proxy: the server is on this machine and a proxy from the environment must not see the call.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(request, timeout=10) as response:
                json.loads(response.read() or b"{}")
        except OSError as exc:
            raise BackendError(
                f"moto server at {self.url}: expected the reset endpoint to answer, found {exc}; "
                "check that the server is running"
            ) from None

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._url = None
        super().close()
