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


def pipeline_definition(approval: bool = False, build_commands: list[str] | None = None) -> str:
    """Source bucket -> build -> (approval) -> deploy to a site bucket, with least-privilege roles.

    People: ``developer`` may start the pipeline, ``release-manager`` may approve; neither may do the other.
    """
    commands = build_commands or ["mkdir -p out", "cp app.txt out/app.txt", "echo built >> out/app.txt"]
    stages: list[dict[str, Any]] = [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Source",
                    "category": "Source",
                    "provider": "S3",
                    "configuration": {"S3Bucket": "${buckets.source.name}", "S3ObjectKey": "source.zip"},
                    "output_artifacts": ["src"],
                }
            ],
        },
        {
            "name": "Build",
            "actions": [
                {
                    "name": "Build",
                    "category": "Build",
                    "provider": "CodeBuild",
                    "configuration": {"ProjectName": "${build_projects.app.name}"},
                    "input_artifacts": ["src"],
                    "output_artifacts": ["built"],
                }
            ],
        },
    ]
    if approval:
        stages.append(
            {
                "name": "Release",
                "actions": [
                    {
                        "name": "Approve",
                        "category": "Approval",
                        "provider": "Manual",
                        "configuration": {"NotificationArn": "${topics.approvals.arn}", "CustomData": "ship it?"},
                    }
                ],
            }
        )
    stages.append(
        {
            "name": "Deploy",
            "actions": [
                {
                    "name": "Deploy",
                    "category": "Deploy",
                    "provider": "S3",
                    "configuration": {"BucketName": "${buckets.site.name}", "Extract": "true"},
                    "input_artifacts": ["built"],
                }
            ],
        }
    )
    account_root = "arn:aws:iam::${account_id}:root"
    pipeline_arn = "arn:aws:codepipeline:${region}:${account_id}:${prefix}release"
    pipeline_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "${buckets.source.arn}/*"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "${buckets.artifacts.arn}/*"},
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "${buckets.site.arn}/*"},
            {"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": "${build_projects.app.arn}"},
            {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": "${topics.approvals.arn}"},
        ],
    }
    body = project_definition(
        {
            "version": 0.2,
            "phases": {"build": {"commands": commands}},
            "artifacts": {"files": ["**/*"], "base-directory": "out"},
        },
        buckets={"source": {}, "site": {}},
        topics={"approvals": {}},
        roles={
            "pipeline": {"assumed_by": ["codepipeline.amazonaws.com"], "policies": {"pipeline": pipeline_policy}},
            "developer": {
                "assumed_by": [account_root],
                "policies": {
                    "start": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "codepipeline:StartPipelineExecution",
                                "Resource": pipeline_arn,
                            }
                        ],
                    }
                },
            },
            "release-manager": {
                "assumed_by": [account_root],
                "policies": {
                    "approve": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "codepipeline:PutApprovalResult",
                                "Resource": f"{pipeline_arn}/Release/Approve",
                            }
                        ],
                    }
                },
            },
        },
        pipelines={
            "release": {"role": "pipeline", "artifact_store": {"bucket": "artifacts"}, "stages": stages},
        },
    )
    return body
