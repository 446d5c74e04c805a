"""The runtime on the moto-server backend: the gateway forwards a build's calls over HTTP to the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend, egress_guard, make_backend
from harness.runtime.build import start_build
from harness.runtime.state import set_build_clock
from tests.conftest import definition
from tests.runtime.conftest import BUILD_ROLE_POLICY, project_definition


@pytest.fixture(scope="module")
def server() -> Iterator[Backend]:
    backend = make_backend("moto-server")
    with egress_guard().active():
        backend.open()
        try:
            yield backend
        finally:
            backend.close()


def test_a_build_writes_to_s3_through_the_gateway_on_moto_server(server: Backend) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [*BUILD_ROLE_POLICY["Statement"]],
    }
    script = (
        "python3 -c \"import boto3; boto3.client('s3').put_object("
        "Bucket='${buckets.artifacts.name}', Key='over-http', Body=b'via the server'); print('PUT OK')\""
    )
    pw = Deployment(server)
    with pw.observed():
        pw.definition = definition(
            project_definition({"version": 0.2, "phases": {"build": {"commands": [script]}}}, role_policy=policy)
        )
        pw.apply(check_idempotent=False)
        set_build_clock(pw, 12)
        try:
            build = start_build(pw, "app")
            assert build.status == "SUCCEEDED", "\n".join(build.lines)
            assert "PUT OK" in build.lines
            body = server.client("s3").get_object(Bucket=f"{pw.prefix}artifacts", Key="over-http")["Body"].read()
            assert body == b"via the server"
            server.client("s3").delete_object(Bucket=f"{pw.prefix}artifacts", Key="over-http")
        finally:
            pw.teardown()
