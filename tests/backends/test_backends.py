"""The backends: choosing one, the gated real-AWS backend, moto's server and LocalStack, all without network."""

from __future__ import annotations

import http.server
import socket
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from harness.backends import BACKEND_NAMES, EgressGuard, egress_guard, make_backend
from harness.backends.aws import AwsBackend, check_gate
from harness.backends.localstack import LocalStackBackend
from harness.backends.moto_inprocess import MotoBackend
from harness.backends.moto_server import MotoServerBackend
from harness.backends.safety import FAKE_ACCESS_KEY, Credentials
from harness.errors import BackendError, InputError, SafetyError

ALLOWED = "111122223333"
GATE_CLOSED = (
    "aws backend: expected PIPEWARDEN_ACC=1 to run against real AWS, found it {state}; "
    "set PIPEWARDEN_ACC=1 and list the account in PIPEWARDEN_ACC_ACCOUNTS, or use --pw-backend moto"
)
EMPTY_ALLOWLIST = (
    "aws backend: expected PIPEWARDEN_ACC_ACCOUNTS to list the accounts pipewarden may use, found it empty; "
    "set PIPEWARDEN_ACC_ACCOUNTS=<12-digit account id>[,...]"
)


@pytest.fixture
def guard() -> Iterator[EgressGuard]:
    with egress_guard().active() as active:
        before = len(active.blocked)
        yield active
        assert active.blocked[before:] == []


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- choosing a backend --------------------------------------------------------------------------------------
def test_make_backend_rejects_an_unknown_name() -> None:
    with pytest.raises(InputError) as caught:
        make_backend("gcp")

    assert str(caught.value) == (
        "--pw-backend: expected one of moto, moto-server, localstack, aws, found 'gcp'; "
        "choose one of the listed backends (moto is the default)"
    )


def test_make_backend_builds_each_emulator_without_opening_it() -> None:
    assert BACKEND_NAMES == ("moto", "moto-server", "localstack", "aws")
    assert isinstance(make_backend("moto"), MotoBackend)
    assert isinstance(make_backend("moto-server"), MotoServerBackend)
    local = make_backend("localstack", region="eu-west-1")
    assert isinstance(local, LocalStackBackend)
    assert local.region == "eu-west-1"
    assert local.describe() == "localstack (account 123456789012, region eu-west-1)"


# -- the real-AWS gate ---------------------------------------------------------------------------------------
def test_aws_refuses_without_the_gate(guard: EgressGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEWARDEN_ACC", raising=False)
    monkeypatch.setenv("PIPEWARDEN_ACC_ACCOUNTS", ALLOWED)

    with pytest.raises(SafetyError) as caught:
        make_backend("aws")

    assert str(caught.value) == GATE_CLOSED.format(state="unset")


@pytest.mark.parametrize("value", ["0", "true", "yes", " 1", ""])
def test_aws_refuses_a_gate_that_is_not_exactly_1(guard: EgressGuard, value: str) -> None:
    with pytest.raises(SafetyError) as caught:
        AwsBackend(environ={"PIPEWARDEN_ACC": value, "PIPEWARDEN_ACC_ACCOUNTS": ALLOWED})

    assert str(caught.value) == GATE_CLOSED.format(state=f"set to {value!r}")


@pytest.mark.parametrize("accounts", [None, "", " , ,"])
def test_aws_refuses_an_empty_allowlist(guard: EgressGuard, accounts: str | None) -> None:
    environ = {"PIPEWARDEN_ACC": "1"}
    if accounts is not None:
        environ["PIPEWARDEN_ACC_ACCOUNTS"] = accounts

    with pytest.raises(SafetyError) as caught:
        AwsBackend(environ=environ)

    assert str(caught.value) == EMPTY_ALLOWLIST


def test_aws_refuses_an_account_not_on_the_allowlist(guard: EgressGuard) -> None:
    backend = AwsBackend(
        environ={"PIPEWARDEN_ACC": "1", "PIPEWARDEN_ACC_ACCOUNTS": f"{ALLOWED}, 444455556666"},
        identify=lambda: "999999999999",
    )

    with pytest.raises(SafetyError) as caught:
        backend.open()

    assert str(caught.value) == (
        "aws backend: expected the credentials' account to be one of 111122223333, 444455556666, found "
        "999999999999; add it to PIPEWARDEN_ACC_ACCOUNTS only if it is a disposable test account"
    )
    assert backend.account_id != "999999999999"
    assert backend._clients == {}


def test_aws_opens_for_an_allowed_account_signs_with_the_callers_keys_and_never_resets(guard: EgressGuard) -> None:
    backend = AwsBackend(
        environ={"PIPEWARDEN_ACC": "1", "PIPEWARDEN_ACC_ACCOUNTS": f"444455556666,{ALLOWED}"},
        identify=lambda: ALLOWED,
        credentials=lambda: Credentials("AKIAALLOWEDACCOUNT01", "allowed-secret", "allowed-token"),
    )

    backend.open()
    backend.reset()

    assert backend.account_id == ALLOWED
    assert backend.admin.arn == f"arn:aws:iam::{ALLOWED}:root"
    signer = backend.client("sts")._request_signer._credentials  # building a client sends nothing
    assert (signer.access_key, signer.secret_key, signer.token) == (
        "AKIAALLOWEDACCOUNT01",
        "allowed-secret",
        "allowed-token",
    )
    assert signer.access_key != FAKE_ACCESS_KEY


def test_check_gate_returns_the_allowlist() -> None:
    assert check_gate({"PIPEWARDEN_ACC": "1", "PIPEWARDEN_ACC_ACCOUNTS": " 111122223333 ,444455556666"}) == [
        ALLOWED,
        "444455556666",
    ]


# -- moto server ---------------------------------------------------------------------------------------------
def test_moto_server_runs_on_loopback_serves_calls_and_resets(
    guard: EgressGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy from the environment must not see calls to an emulator on this machine.
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.1:3128")
    backend = MotoServerBackend()
    with pytest.raises(BackendError, match=r"^moto server: expected a started server, found none; call open\(\)"):
        _ = backend.url
    backend.open()
    try:
        assert backend.url.startswith("http://127.0.0.1:")
        assert backend.endpoint_url("s3") == backend.url
        s3 = backend.client("s3")
        assert s3.meta.endpoint_url == backend.url

        s3.create_bucket(Bucket="pw-server-check")

        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["pw-server-check"]
        # The server itself answers plain HTTP on loopback (an unsigned ListBuckets), so the call went there.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{backend.url}/", timeout=10) as response:
            assert b"<Name>pw-server-check</Name>" in response.read()
        backend.reset()
        assert s3.list_buckets()["Buckets"] == []
    finally:
        backend.close()
    with pytest.raises(BackendError):
        _ = backend.url


@pytest.mark.parametrize("url", ["http://10.0.0.5:5000", "https://moto.example.com", "http://0.0.0.0:5000"])
def test_moto_server_refuses_an_endpoint_off_the_machine(url: str) -> None:
    with pytest.raises(SafetyError) as caught:
        MotoServerBackend(url=url)

    assert str(caught.value) == (
        f"moto server: expected an endpoint on this machine (127.0.0.1 or localhost), found {url!r}; "
        "pipewarden never sends calls off the machine without the real-AWS gate (PIPEWARDEN_ACC=1)"
    )


# -- LocalStack ----------------------------------------------------------------------------------------------
def test_localstack_refuses_an_endpoint_off_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SafetyError, match=r"^LocalStack: expected an endpoint on this machine .* found 'http://192"):
        LocalStackBackend(url="http://192.0.2.1:4566")

    monkeypatch.setenv("PIPEWARDEN_LOCALSTACK_URL", "https://localstack.example.com:4566")
    with pytest.raises(SafetyError) as caught:
        make_backend("localstack")
    assert str(caught.value) == (
        "LocalStack: expected an endpoint on this machine (127.0.0.1 or localhost), found "
        "'https://localstack.example.com:4566'; pipewarden never sends calls off the machine without the "
        "real-AWS gate (PIPEWARDEN_ACC=1)"
    )


def test_localstack_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEWARDEN_LOCALSTACK_URL", "http://localhost:4599")

    backend = make_backend("localstack")

    assert backend.endpoint_url("iam") == "http://localhost:4599"


def test_localstack_not_running_is_a_clear_backend_error(guard: EgressGuard) -> None:
    url = f"http://127.0.0.1:{_free_loopback_port()}"
    backend = LocalStackBackend(url=url)

    with pytest.raises(BackendError) as caught:
        backend.open()

    message = str(caught.value)
    assert message.startswith(f"LocalStack at {url}: expected a running gateway, found <urlopen error ")
    assert "Connection refused" in message
    assert message.endswith(
        "; start it with 'GATEWAY_SERVER=hypercorn GATEWAY_LISTEN=127.0.0.1:4566 python3.13 -m "
        "localstack.runtime.main' or choose --pw-backend moto"
    )
    with pytest.raises(BackendError, match=rf"^LocalStack at {url}: expected the state reset endpoint to answer"):
        backend.reset()


def test_localstack_url_answered_by_another_server_is_a_clear_backend_error(guard: EgressGuard) -> None:
    class NotLocalStack(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>a development server</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotLocalStack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(BackendError) as caught:
            LocalStackBackend(url=url).open()
    finally:
        server.shutdown()
        server.server_close()

    assert str(caught.value) == (
        f"LocalStack at {url}: expected a running gateway, found another server answering there (its health "
        "endpoint did not return JSON); check PIPEWARDEN_LOCALSTACK_URL and the port"
    )
