"""Source protection for a pipeline that reads GitHub, Bitbucket or GitLab through a connection: who may push, merge
and approve is decided by the provider's branch protection, outside AWS, so the claims are UNVERIFIED with that
reason (naming the connection and the provider), never failed for the lack of a CodeCommit repository."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import Unverified
from harness.source import scenario as source
from tests.conftest import definition

CONNECTED = """
buckets:
  artifacts: {}
connections:
  github: {provider_type: %s}
roles:
  pipeline:
    assumed_by: codepipeline.amazonaws.com
pipelines:
  release:
    role: pipeline
    artifact_store: {bucket: artifacts}
    stages:
      - name: Source
        actions:
          - name: Source
            category: Source
            provider: CodeStarSourceConnection
            configuration: {ConnectionArn: "${connections.github.arn}", FullRepositoryId: acme/app, BranchName: main}
            output_artifacts: [source]
      - name: Release
        actions:
          - {name: Approve, category: Approval, provider: Manual}
"""


@pytest.fixture
def deployment(backend: Backend) -> Iterator[Deployment]:
    found = Deployment(backend)
    with found.observed():
        found.definition = definition(CONNECTED % "Bitbucket")
        found.apply()
        yield found
        found.teardown()


def test_every_source_operation_is_unverified_naming_the_connection_and_the_provider(deployment: Deployment) -> None:
    expected = (
        "definition 'test': the source is Bitbucket through connection 'github' (acme/app, branch main); branch "
        "protection lives in Bitbucket, outside AWS, so who may push, merge and approve there cannot be exercised"
    )
    # No role plays 'developer' here: the source is what makes the claim unverifiable, and it is said first.
    with pytest.raises(Unverified) as caught:
        source.actor(deployment, "developer")
    assert caught.value.reason.startswith(expected)
    pipeline_role = source.act_as(deployment, "pipeline")
    with pytest.raises(Unverified, match="through connection 'github'"):
        source.push(deployment, pipeline_role, "main")
    with pytest.raises(Unverified, match="branch protection lives in Bitbucket"):
        source.delete_branch(deployment, pipeline_role, "main")


def test_the_external_source_is_described_from_the_definition() -> None:
    assert source.external_source(definition(CONNECTED % "GitHub")) == (
        "the source is GitHub through connection 'github' (acme/app, branch main); branch protection lives in GitHub"
    )
    assert source.external_source(definition("buckets:\n  b: {}\n")) == ""
