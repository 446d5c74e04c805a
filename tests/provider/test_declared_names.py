"""Resources keep the physical names their definition declares on a backend fresh for the run, so names and ARNs
spelled out in policies match as they do in AWS; elsewhere the run prefix is kept and nothing is left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment, expect_empty_plan
from harness.backends import Backend
from harness.enforce import Enforcer, Principals, SessionRequest
from harness.errors import CheckFailed
from harness.evidence.record import Evidence
from harness.inputs.cloudformation import parse_template_text
from harness.provider.lifecycle import Provider

TEMPLATE = """
Resources:
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "ci-build-${AWS::Region}"
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
  Releaser:
    Type: AWS::IAM::Role
    Properties:
      RoleName: releaser
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              # Spelled out with a wildcard: no reference to rewrite, it matches only under the declared name.
              - {Effect: Allow, Action: iam:GetRole, Resource: !Sub "arn:aws:iam::${AWS::AccountId}:role/ci-*"}
"""


@pytest.fixture
def provider(backend: Backend) -> Iterator[Provider]:
    yield Provider(backend)


def test_a_policy_spelling_a_role_arn_by_name_matches_it_after_deploy(backend: Backend, provider: Provider) -> None:
    definition = parse_template_text(TEMPLATE, "pipeline.yaml", lint_template=False)
    provider.apply(definition)

    build_arn = backend.client("iam").get_role(RoleName=f"ci-build-{backend.region}")["Role"]["Arn"]
    assert provider.state["roles.build-role"].arn == build_arn
    enforcer = Enforcer(backend, Evidence("test")).attach()
    try:
        releaser = Principals(enforcer).assume_role(
            backend.admin, SessionRequest(provider.state["roles.releaser"].arn, "release")
        )
        decision = enforcer.authorize_call(releaser, "iam", "GetRole", {"RoleName": f"ci-build-{backend.region}"})
    finally:
        enforcer.detach()
    assert decision.allowed
    assert decision.accesses[0].access.resource == build_arn


def test_destroy_leaves_nothing_under_the_declared_names(backend: Backend, provider: Provider) -> None:
    definition = parse_template_text(TEMPLATE, "pipeline.yaml", lint_template=False)
    provider.apply(definition)
    backend.client("iam").create_role(RoleName="unrelated", AssumeRolePolicyDocument=json.dumps({"Statement": []}))

    assert sorted(provider.leftovers()) == ["roles:ci-build-us-east-1", "roles:releaser"]
    assert provider.destroy(definition) == []
    provider.check_destroy(definition)
    assert provider.leftovers() == []
    # Only what the definition declares is this run's: another role stays.
    assert [r["RoleName"] for r in backend.client("iam").list_roles()["Roles"]] == ["unrelated"]


def test_two_resources_declaring_one_name_fail_the_deploy_claim_and_the_rest_still_deploys(backend: Backend) -> None:
    twice = TEMPLATE.replace('RoleName: !Sub "ci-build-${AWS::Region}"', "RoleName: releaser")
    pw = Deployment(backend)
    pw.definition = parse_template_text(twice, "pipeline.yaml", lint_template=False)
    try:
        pw.apply()
        # The first keeps the name; the second gets the run prefix so the rest of the pipeline can be exercised.
        roles = sorted(r["RoleName"] for r in backend.client("iam").list_roles()["Roles"])
        assert roles == [f"{pw.prefix}releaser", "releaser"]
        with pytest.raises(CheckFailed) as caught:
            expect_empty_plan()(pw)
    finally:
        pw.teardown()
    where = pw.require_definition().where("roles.releaser")
    assert str(caught.value) == (
        "definition 'pipeline': expected every resource created under the name it declares, found "
        f"{where} declares 'releaser', the name of roles.build-role; AWS refuses the second create, so give each "
        "resource its own name"
    )


def test_a_backend_others_share_keeps_the_run_prefix(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "keeps_declared_names", False)
    provider = Provider(backend)
    definition = parse_template_text(TEMPLATE, "pipeline.yaml", lint_template=False)

    provider.apply(definition)

    names = sorted(r["RoleName"] for r in backend.client("iam").list_roles()["Roles"])
    assert names == [f"{provider.prefix}build-role", f"{provider.prefix}releaser"]
    provider.destroy(definition)


RETAINED = """
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    Properties:
      BucketName: acme-artifacts
  Logs:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
"""


def test_a_resource_retained_on_removal_stays_and_fails_the_nothing_left_claim(
    backend: Backend, provider: Provider
) -> None:
    definition = parse_template_text(RETAINED, "pipeline.yaml", lint_template=False)
    assert definition.retained == {"buckets.artifacts": "Resources.Artifacts.DeletionPolicy"}
    provider.apply(definition)

    assert provider.destroy(definition, as_declared=True) == []
    with pytest.raises(CheckFailed) as caught:
        provider.check_destroy(definition)

    assert str(caught.value) == (
        "definition 'pipeline': expected nothing left after the pipeline is removed, found pipeline.yaml:3 "
        "(buckets.artifacts) kept by Resources.Artifacts.DeletionPolicy: Retain; let the resource go with the "
        "pipeline, or remove it on purpose and record why"
    )
    assert [b["Name"] for b in backend.client("s3").list_buckets()["Buckets"]] == ["acme-artifacts"]
    # The run still cleans up after itself.
    assert provider.destroy(definition) == []
    provider.check_destroy(definition)
    assert backend.client("s3").list_buckets()["Buckets"] == []
