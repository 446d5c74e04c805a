"""Resources keep the physical names their definition declares on a backend fresh for the run, so names and ARNs
spelled out in policies match as they do in AWS; elsewhere the run prefix is kept and nothing is left behind."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment, expect_empty_plan
from harness.backends import Backend
from harness.enforce import Enforcer, Principals, SessionRequest
from harness.enforce.api import act_as, attempt, expect_allowed
from harness.errors import CheckFailed, Unverified
from harness.evidence.record import Evidence
from harness.inputs.cloudformation import parse_template_text
from harness.model.definition import Unknown
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


SPELLED = """
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-artifacts
  Build:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: artifacts
          PolicyDocument:
            Statement:
              - {Sid: Spelled, Effect: Allow, Action: s3:PutObject, Resource: "arn:aws:s3:::acme-artifacts/*"}
              - {Sid: Wildcard, Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::acme-*/*"}
"""


def _shared(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    monkeypatch.setattr(backend, "keeps_declared_names", False)
    pw = Deployment(backend)
    pw.definition = parse_template_text(SPELLED, "pipeline.yaml", lint_template=False)
    return pw


def test_on_a_shared_backend_an_arn_spelling_a_declared_name_follows_the_run_prefix(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = _shared(backend, monkeypatch)
    with pw.observed():
        try:
            pw.apply()
            document = backend.client("iam").get_role_policy(RoleName=f"{pw.prefix}build", PolicyName="artifacts")
            resources = [s["Resource"] for s in document["PolicyDocument"]["Statement"]]
            build = act_as(pw, "build")
            put = attempt(pw, build, "s3", "PutObject", Bucket=f"{pw.prefix}artifacts", Key="a", Body=b"x")
        finally:
            pw.teardown()
    # The whole ARN is rewritten; the wildcard is kept as written.
    assert resources == [f"arn:aws:s3:::{pw.prefix}artifacts/*", "arn:aws:s3:::acme-*/*"]
    assert put.error_code == "" and put.focused is not None and put.focused.allowed
    assert [m.statement for m in put.focused.decision.matched] == ["Spelled"]


def test_on_a_shared_backend_a_wildcard_reaching_a_resource_only_by_its_declared_name_is_unverified(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = _shared(backend, monkeypatch)
    with pw.observed():
        try:
            pw.apply()
            notes = pw.evidence.current().notes
            build = act_as(pw, "build")
            get = attempt(pw, build, "s3", "GetObject", Bucket=f"{pw.prefix}artifacts", Key="a")
            with pytest.raises(Unverified) as caught:
                expect_allowed(get)
        finally:
            pw.teardown()
    reason = (
        "'arn:aws:s3:::acme-*/*' matches buckets.artifacts ('arn:aws:s3:::acme-artifacts/pipewarden-probe') only by "
        f"its declared name 'acme-artifacts', and on this shared backend it is created as '{pw.prefix}artifacts'"
    )
    assert pw.provider.unrewritten == (Unknown("roles.build", "policies", reason),)
    assert f"not rewritten for the run prefix: roles.build: its policies are unknown ({reason})" in notes
    assert f"roles.build: its policies are unknown ({reason})" in caught.value.reason


def test_on_a_fresh_backend_nothing_is_rewritten_and_the_wildcard_matches_the_declared_name(backend: Backend) -> None:
    pw = Deployment(backend)
    pw.definition = parse_template_text(SPELLED, "pipeline.yaml", lint_template=False)
    with pw.observed():
        try:
            pw.apply()
            build = act_as(pw, "build")
            get = attempt(pw, build, "s3", "GetObject", Bucket="acme-artifacts", Key="a")
        finally:
            pw.teardown()
    assert pw.provider.unrewritten == ()
    assert get.focused is not None and get.focused.allowed
    assert [m.statement for m in get.focused.decision.matched] == ["Wildcard"]
