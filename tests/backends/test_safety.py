"""Safety by construction: the egress guard, the scrubbed environment and fake credentials, proven offline."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends import Backend, EgressGuard, egress_guard, make_backend
from harness.backends.safety import (
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    Credentials,
    is_loopback_host,
    require_loopback_url,
    scrubbed_aws_environment,
)
from harness.errors import SafetyError
from harness.inputs.harness_yaml import load_definition
from harness.provider.lifecycle import Provider
from harness.scenario import fixture_path

# TEST-NET-1 (RFC 5737): reserved for documentation, never routed; the guard refuses it before any packet.
TEST_NET = "192.0.2.1"

BLOCKED_CONNECT = (
    "egress guard: expected only loopback traffic, found a connection to ('192.0.2.1', 443); "
    "pipewarden keeps every call on this machine unless the real-AWS gate is open"
)

DECOYS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN",
    "AWS_PROFILE": "prod-admin",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_REGION": "eu-west-3",
    "AWS_ENDPOINT_URL": "https://example.com",
    "AWS_ENDPOINT_URL_S3": "https://s3.example.com",
    "HTTPS_PROXY": f"http://{TEST_NET}:3128",
    "HTTP_PROXY": f"http://{TEST_NET}:3128",
}


@pytest.fixture
def guard() -> Iterator[EgressGuard]:
    with egress_guard().active() as active:
        yield active


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server
    server.close()


# -- the guard -----------------------------------------------------------------------------------------------
def test_a_connection_off_the_machine_is_refused_before_it_is_made(guard: EgressGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        with pytest.raises(SafetyError) as caught:
            sock.connect((TEST_NET, 443))

    assert str(caught.value) == BLOCKED_CONNECT
    assert guard.blocked[-1] == "connection to ('192.0.2.1', 443)"


def test_connect_ex_is_refused_too(guard: EgressGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        with pytest.raises(SafetyError, match=r"found a connection to \('192\.0\.2\.1', 80\)"):
            sock.connect_ex((TEST_NET, 80))


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 sockets")
def test_an_ipv6_connection_off_the_machine_is_refused(guard: EgressGuard) -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        with pytest.raises(SafetyError, match=r"found a connection to \('2001:db8::1', 443, 0, 0\)"):
            sock.connect(("2001:db8::1", 443, 0, 0))


@pytest.mark.parametrize("host", ["example.com", b"example.com", "sts.amazonaws.com", TEST_NET])
def test_a_name_lookup_off_the_machine_is_refused(guard: EgressGuard, host: str | bytes) -> None:
    with pytest.raises(SafetyError) as caught:
        socket.getaddrinfo(host, 443)

    name = host.decode() if isinstance(host, bytes) else host
    assert str(caught.value) == (
        f"egress guard: expected only loopback traffic, found a name lookup of {name!r}; "
        "pipewarden keeps every call on this machine unless the real-AWS gate is open"
    )


@pytest.mark.parametrize(
    ("event", "args", "blocked"),
    [
        ("socket.gethostbyname", ("example.com",), "name lookup of 'example.com'"),
        ("socket.gethostbyname_ex", ("example.com",), "name lookup of 'example.com'"),
        ("socket.gethostbyaddr", (TEST_NET,), "name lookup of '192.0.2.1'"),
        ("socket.sendto", (socket.socket(socket.AF_INET, socket.SOCK_DGRAM), (TEST_NET, 53)), None),
        ("socket.sendmsg", (socket.socket(socket.AF_INET, socket.SOCK_DGRAM), (TEST_NET, 53)), None),
    ],
    ids=["gethostbyname", "gethostbyname_ex", "gethostbyaddr", "sendto", "sendmsg"],
)
def test_other_ways_off_the_machine_are_refused(
    guard: EgressGuard, event: str, args: tuple[object, ...], blocked: str | None
) -> None:
    # The audit event is raised as CPython raises it before the lookup or datagram, without doing either.
    with pytest.raises(SafetyError):
        sys.audit(event, *args)

    assert guard.blocked[-1] == (blocked or "connection to ('192.0.2.1', 53)")
    for arg in args:
        if isinstance(arg, socket.socket):
            arg.close()


def test_loopback_traffic_is_allowed(guard: EgressGuard, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    before = len(guard.blocked)

    with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
        peer, _ = listener.accept()
        with peer:
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"
    assert socket.getaddrinfo("localhost", port)
    assert socket.getaddrinfo(None, port)  # a passive lookup names no host

    assert guard.blocked[before:] == []


def test_a_unix_socket_is_allowed(guard: EgressGuard, tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    before = len(guard.blocked)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            assert client.getpeername() == path

    assert guard.blocked[before:] == []


def test_the_guard_is_off_outside_its_block_and_nests() -> None:
    # A guard of its own: the process's guard may be held on by a session fixture of another test module.
    guard = EgressGuard()
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Called directly, so nothing is sent whatever the hook decides.
        guard._hook("socket.connect", (probe, (TEST_NET, 443)))  # off: no error
        with guard.active(), guard.active():
            assert guard._depth == 2
        assert guard._depth == 0
        with guard.active():
            with guard.active():
                pass
            with pytest.raises(SafetyError):
                guard._hook("socket.connect", (probe, (TEST_NET, 443)))
        guard._hook("socket.connect", (probe, (TEST_NET, 443)))
    finally:
        probe.close()
    assert guard.blocked == ["connection to ('192.0.2.1', 443)"]


def test_there_is_one_guard_per_process() -> None:
    assert egress_guard() is egress_guard()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("169.254.169.254", False),  # the instance metadata service
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_require_loopback_url_refuses_anything_else() -> None:
    require_loopback_url("http://localhost:4566", "LocalStack")

    with pytest.raises(SafetyError) as caught:
        require_loopback_url("https://s3.amazonaws.com", "LocalStack")

    assert str(caught.value) == (
        "LocalStack: expected an endpoint on this machine (127.0.0.1 or localhost), found "
        "'https://s3.amazonaws.com'; pipewarden never sends calls off the machine without the real-AWS gate "
        "(PIPEWARDEN_ACC=1)"
    )


# -- environment and credentials -----------------------------------------------------------------------------
def test_the_scrubbed_environment_hides_real_settings_and_restores_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in DECOYS.items():
        monkeypatch.setenv(key, value)
    config_file = os.environ.get("AWS_CONFIG_FILE")  # pinned already while an in-process moto backend is open

    with scrubbed_aws_environment():
        assert not {k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")}
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"):
            assert key not in os.environ
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
        assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"

    for key, value in DECOYS.items():
        assert os.environ[key] == value
    assert os.environ.get("AWS_CONFIG_FILE") == config_file


def test_credentials_never_show_the_secret() -> None:
    assert repr(Credentials()) == f"Credentials(access_key_id={FAKE_ACCESS_KEY!r}, secret_access_key='***')"
    assert FAKE_SECRET_KEY not in repr(Credentials())


def test_a_whole_scenario_with_decoy_credentials_stays_on_the_machine(
    moto_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in DECOYS.items():
        monkeypatch.setenv(key, value)
    definition = load_definition(fixture_path("reference"))

    with egress_guard().active() as guard:
        before = len(guard.blocked)
        backend = make_backend("moto")  # built while the decoys are set
        backend.open()
        try:
            backend.reset()
            provider = Provider(backend)
            provider.apply(definition)
            assert provider.plan(definition).empty
            assert provider.destroy(definition) == []
            provider.check_destroy(definition)
            clients = list(backend._clients.values())
        finally:
            backend.close()
        assert guard.blocked[before:] == []

    assert {"iam", "s3", "kms", "logs", "sns", "codebuild", "codepipeline"} <= {
        c.meta.service_model.service_name for c in clients
    }
    for client in clients:
        credentials = client._request_signer._credentials
        assert credentials.access_key == FAKE_ACCESS_KEY
        assert credentials.secret_key == FAKE_SECRET_KEY
        assert credentials.token is None
        assert client.meta.region_name in ("us-east-1", "aws-global")  # IAM is global
        assert "example.com" not in client.meta.endpoint_url
        assert client.meta.endpoint_url.endswith(".amazonaws.com")
    assert os.environ["AWS_PROFILE"] == "prod-admin"  # the user's environment is left as it was
