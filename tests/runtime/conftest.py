"""Deployments for the runtime tests: a build project (and pipelines) deployed into the session's moto backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.runtime.state import set_build_clock
from tests.conftest import definition

# One build minute lasts a fifth of a second: CodeBuild's smallest timeout (5 minutes) is one real second.
FAST_CLOCK = 0.2

BUILD_ROLE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
        {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
    ],
}


def project_definition(
    buildspec: dict[str, Any] | str, variables: list[dict[str, str]] | None = None, **extra: Any
) -> str:
    """The body of a definition with one build project 'app' whose logs go to group 'build' with prefix 'app'."""
    project: dict[str, Any] = {
        "service_role": "build",
        "timeout_minutes": extra.pop("timeout_minutes", 5),
        "buildspec": buildspec,
        "environment": {"variables": variables or []},
        "logs": {"cloudwatch": {"group": "build", "stream_prefix": "app"}},
    }
    project.update(extra.pop("project", {}))
    body: dict[str, Any] = {
        "log_groups": {"build": {"retention_days": 7}},
        "buckets": {"artifacts": {}},
        "roles": {
            "build": {
                "assumed_by": ["codebuild.amazonaws.com"],
                "policies": {"build": extra.pop("role_policy", BUILD_ROLE_POLICY)},
            }
        },
        "build_projects": {"app": project},
    }
    for section, resources in extra.items():
        body.setdefault(section, {}).update(resources)
    return yaml.safe_dump(body, sort_keys=False)


@pytest.fixture
def deploy(backend: Backend) -> Iterator[Callable[[str], Deployment]]:
    """Deploy a definition body into a fresh deployment on the fast build clock; torn down after the test."""
    made: list[Deployment] = []

    def make(body: str) -> Deployment:
        deployment = Deployment(backend)
        deployment.definition = definition(body)
        deployment.apply(check_idempotent=False)
        set_build_clock(deployment, FAST_CLOCK)
        made.append(deployment)
        return deployment

    yield make
    for deployment in made:
        deployment.teardown()
