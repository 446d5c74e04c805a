"""LocalStack on this machine, reached over HTTP only (the harness never imports LocalStack itself)."""

from __future__ import annotations

import json
import os
import urllib.request

from harness.backends.base import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Backend
from harness.backends.safety import require_loopback_url
from harness.errors import BackendError

DEFAULT_URL = "http://127.0.0.1:4566"


class LocalStackBackend(Backend):
    """A LocalStack gateway on 127.0.0.1 (``PIPEWARDEN_LOCALSTACK_URL`` or ``http://127.0.0.1:4566``)."""

    name = "localstack"

    def __init__(
        self, account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION, url: str | None = None
    ) -> None:
        super().__init__(account_id, region)
        self.url = url or os.environ.get("PIPEWARDEN_LOCALSTACK_URL", DEFAULT_URL)
        require_loopback_url(self.url, "LocalStack")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def endpoint_url(self, service: str) -> str | None:
        return self.url

    def open(self) -> None:
        try:
            with self._opener.open(f"{self.url}/_localstack/health", timeout=5) as response:
                json.loads(response.read())
        except ValueError:
            raise BackendError(
                f"LocalStack at {self.url}: expected a running gateway, found another server answering there "
                "(its health endpoint did not return JSON); check PIPEWARDEN_LOCALSTACK_URL and the port"
            ) from None
        except OSError as exc:
            raise BackendError(
                f"LocalStack at {self.url}: expected a running gateway, found {exc}; start it with "
                "'GATEWAY_SERVER=hypercorn GATEWAY_LISTEN=127.0.0.1:4566 python3.13 -m localstack.runtime.main' "
                "or choose --pw-backend moto"
            ) from None

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/_localstack/state/reset", data=b"", method="POST")
        try:
            with self._opener.open(request, timeout=30):
                pass
        except OSError as exc:
            raise BackendError(
                f"LocalStack at {self.url}: expected the state reset endpoint to answer, found {exc}; "
                "use a LocalStack version with /_localstack/state/reset"
            ) from None
