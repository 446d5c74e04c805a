"""A claim whose subject the definition does not have is UNVERIFIED, saying what is missing and how to give it:
never a pass over nothing, never a failure the pipeline does not have."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.detect import scenario as detection
from harness.errors import Unverified
from harness.isolation.identity import production_data
from harness.runtime.scenarios import main_pipeline, pipeline_build_project
from tests.conftest import definition

BESIDE = "or give the template or plan that declares it with --baseline FILE (under pytest --pw-baseline FILE)"


@pytest.fixture
def bare(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    deployment.definition = definition("buckets:\n  data: {tags: {Environment: Dev}}\n", "bare")
    with deployment.observed():
        deployment.apply()
        yield deployment
        deployment.teardown()


def _reason(call: object, deployment: Deployment) -> str:
    assert callable(call)
    with pytest.raises(Unverified) as caught:
        call(deployment)
    return caught.value.reason


def test_no_pipeline(bare: Deployment) -> None:
    assert _reason(main_pipeline, bare) == (
        f"definition 'bare': declares no pipeline, so the claim cannot be tried; declare the pipeline {BESIDE}"
    )
    assert _reason(detection.change_pipeline, bare) == (
        f"definition 'bare': declares no pipeline to change, so the claim cannot be tried; declare it {BESIDE}"
    )


def test_no_build_project(bare: Deployment) -> None:
    assert _reason(pipeline_build_project, bare) == (
        f"definition 'bare': declares no build project, so the claim cannot be tried; declare the build project "
        f"{BESIDE}"
    )


def test_no_production_data(bare: Deployment) -> None:
    assert _reason(production_data, bare) == (
        "definition 'bare': declares no production environment, so the claim cannot be tried; tag the production "
        "resources 'Environment: Production' (or 'env: prod'), or declare an environment with 'production: true' "
        f"under 'environments', {BESIDE}"
    )


def test_no_trail_for_detection(bare: Deployment) -> None:
    def alarm(deployment: Deployment) -> None:
        detection.expect_alarm(deployment, "unauthorized calls")

    assert _reason(alarm, bare) == (
        "pipeline 'bare': declares no trail to bring API activity to a log group, so the claim cannot be tried; "
        f"the account's trail often lives in another stack: declare it {BESIDE}"
    )


def test_no_build_to_keep_a_plaintext_secret(bare: Deployment) -> None:
    from harness.runtime.scenarios import plaintext_secrets

    assert _reason(plaintext_secrets, bare) == (
        "definition 'bare': declares no build project, so the claim cannot be tried; declare the build project "
        f"{BESIDE}"
    )


def test_a_function_alone_is_no_build_to_keep_a_plaintext_secret(backend: Backend) -> None:
    from harness.runtime.scenarios import plaintext_secrets

    deployment = Deployment(backend)
    deployment.definition = definition(
        """
roles:
  runner: {assumed_by: lambda.amazonaws.com}
functions:
  f: {role: runner, runtime: python3.12, handler: index.handler, environment: {STAGE: prod}}
""",
        "functions",
    )
    with deployment.observed():
        deployment.apply()
        try:
            assert _reason(plaintext_secrets, deployment) == (
                f"definition 'functions': declares no build project, so the claim cannot be tried; declare the build "
                f"project {BESIDE}"
            )
        finally:
            deployment.teardown()
