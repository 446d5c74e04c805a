"""Web identity federation: a CI job's OIDC token exchanged for a deploy role session, decided by the role's trust
policy with the provider's condition keys, through a real AssumeRoleWithWebIdentity call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.enforce.api import act_as, assume_with_web_identity, attempt, expect_allowed, expect_denied
from harness.enforce.web_identity import (
    GITHUB_ISSUER,
    InvalidIdentityToken,
    WebIdentityToken,
    token_for,
    trusted_providers,
)
from harness.errors import CheckFailed, InputError, Unverified
from tests.conftest import definition

GITHUB = "token.actions.githubusercontent.com"


def _trust(condition: dict[str, Any]) -> str:
    return f"""
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Sid: GitHubActions
          Effect: Allow
          Principal: {{Federated: "${{oidc_providers.github.arn}}"}}
          Action: sts:AssumeRoleWithWebIdentity
          Condition: {condition}
"""


FEDERATION = (
    """
oidc_providers:
  github:
    url: https://token.actions.githubusercontent.com
    client_ids: [sts.amazonaws.com]
    thumbprints: [6938fd4d98bab03faadb97b34396831e3780aea1]
roles:
  deploy:
    policies:
      deploy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:ListAllMyBuckets
            Resource: "*"
            Condition: {StringEquals: {"aws:FederatedProvider": "${oidc_providers.github.arn}"}}
"""
    + _trust(
        {
            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main"},
        }
    )
    + "  loose:"
    + _trust({"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}})
    + "  by-repository:"
    + _trust({"StringEquals": {f"{GITHUB}:repository": "acme/app", f"{GITHUB}:environment": "production"}})
    + "  by-unknown-claim:"
    + _trust({"StringEquals": {f"{GITHUB}:repository_owner": "acme"}})
    + "  from-the-office:"
    + _trust({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
)


def _token(subject: str = "repo:acme/app:ref:refs/heads/main", **claims: Any) -> WebIdentityToken:
    audience = claims.pop("audience", "sts.amazonaws.com")
    return WebIdentityToken(claims.pop("issuer", GITHUB_ISSUER), subject, audience, claims)


@pytest.fixture
def deployed(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        deployment.definition = definition(FEDERATION, "federation")
        deployment.apply()
        yield deployment
        deployment.teardown()


def test_the_trusted_repository_s_main_branch_gets_a_session_that_carries_the_provider(deployed: Deployment) -> None:
    outcome = expect_allowed(assume_with_web_identity(deployed, "deploy", _token()))
    assert outcome.response is not None
    assert outcome.response["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    session = deployed.enforcer.identity_for_key(outcome.response["Credentials"]["AccessKeyId"])
    assert session is not None and session.kind == "AssumedRole"
    assert session.arn.startswith(f"arn:aws:sts::{deployed.backend.account_id}:assumed-role/{deployed.prefix}deploy/")
    provider = deployed.provider.state["oidc_providers.github"].arn
    assert session.attribute("federated_provider") == provider
    # The role's policy requires aws:FederatedProvider: the session's own calls carry it.
    expect_allowed(attempt(deployed, session, "s3", "ListBuckets"))
    decision = outcome.focused
    assert decision is not None and decision.decision.matched[0].statement == "GitHubActions"
    context = decision.decision.request.context
    assert context[f"{GITHUB}:sub"] == "repo:acme/app:ref:refs/heads/main"
    assert context["aws:federatedprovider"] == provider


def test_the_audit_trail_names_the_token_holder_and_the_session_s_provider(deployed: Deployment) -> None:
    outcome = expect_allowed(assume_with_web_identity(deployed, "deploy", _token()))
    assert outcome.response is not None
    session = deployed.enforcer.identity_for_key(outcome.response["Credentials"]["AccessKeyId"])
    assert session is not None
    attempt(deployed, session, "s3", "ListBuckets")
    provider = deployed.provider.state["oidc_providers.github"].arn

    def record(name: str) -> dict[str, Any]:
        lookup = [{"AttributeKey": "EventName", "AttributeValue": name}]
        [event] = deployed.trail.lookup_events(lookup)["Events"]
        found: dict[str, Any] = json.loads(event["CloudTrailEvent"])
        return found

    assert record("AssumeRoleWithWebIdentity")["userIdentity"] == {
        "type": "WebIdentityUser",
        "principalId": f"{provider}:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main",
        "userName": "repo:acme/app:ref:refs/heads/main",
        "identityProvider": provider,
    }
    federation = record("ListBuckets")["userIdentity"]["sessionContext"]["webIdFederationData"]
    assert federation == {"federatedProvider": provider, "attributes": {}}


def test_another_branch_or_repository_is_refused_by_the_trust_policy(deployed: Deployment) -> None:
    for subject in ("repo:acme/app:ref:refs/heads/feature", "repo:mallory/app:ref:refs/heads/main"):
        outcome = expect_denied(assume_with_web_identity(deployed, "deploy", _token(subject)))
        assert (outcome.error_code, outcome.error_message) == (
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        )


def test_a_trust_policy_without_a_subject_condition_lets_any_repository_in(deployed: Deployment) -> None:
    outcome = assume_with_web_identity(deployed, "loose", _token("repo:mallory/app:ref:refs/heads/main"))
    with pytest.raises(CheckFailed) as caught:
        expect_denied(outcome)
    message = str(caught.value)
    assert "expected AccessDenied on sts:AssumeRoleWithWebIdentity, got success" in message
    assert f"statement 'GitHubActions' in {deployed.require_definition().where('roles.loose')} allows it" in message


def test_github_specific_claims_are_condition_keys(deployed: Deployment) -> None:
    production = _token(repository="acme/app", environment="production")
    expect_allowed(assume_with_web_identity(deployed, "by-repository", production))
    staging = _token(repository="acme/app", environment="staging")
    expect_denied(assume_with_web_identity(deployed, "by-repository", staging))


def test_a_claim_sts_is_not_known_to_set_makes_the_decision_unverified(deployed: Deployment) -> None:
    with pytest.raises(Unverified, match=f"tests {GITHUB}:repository_owner, which the harness does not know STS"):
        assume_with_web_identity(deployed, "by-unknown-claim", _token(repository_owner="acme"))


def test_sts_refuses_tokens_the_account_s_provider_does_not_accept(deployed: Deployment) -> None:
    wrong_audience = assume_with_web_identity(deployed, "deploy", _token(audience="api://mallory"))
    assert (wrong_audience.error_code, wrong_audience.error_message) == (
        "InvalidIdentityToken",
        "Incorrect token audience",
    )
    other_issuer = assume_with_web_identity(deployed, "deploy", _token(issuer="https://gitlab.example.com"))
    assert (other_issuer.error_code, other_issuer.error_message) == (
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://gitlab.example.com",
    )
    expired = assume_with_web_identity(deployed, "deploy", _token(exp=1_000_000_000))
    assert expired.error_code == "ExpiredTokenException"


def test_a_token_that_is_not_a_jwt_is_refused(deployed: Deployment, backend: Backend) -> None:
    with pytest.raises(Exception) as caught:
        backend.client("sts").assume_role_with_web_identity(
            RoleArn=deployed.provider.state["roles.deploy"].arn, RoleSessionName="s1", WebIdentityToken="x" * 20
        )
    assert "InvalidIdentityToken" in str(caught.value)


def test_act_as_assumes_a_ci_role_with_the_token_its_trust_policy_names(deployed: Deployment) -> None:
    deploy = act_as(deployed, "deploy")
    assert deploy.attribute("web_identity_subject") == "repo:acme/app:ref:refs/heads/main"
    assert deploy.label == "deploy role"
    expect_allowed(attempt(deployed, deploy, "s3", "ListBuckets"))


def test_act_as_a_ci_role_no_derivable_token_satisfies_is_unverified(deployed: Deployment) -> None:
    with pytest.raises(Unverified, match="the harness cannot tell which tokens the CI system presents"):
        act_as(deployed, "from-the-office")


# -- the token and its condition keys ------------------------------------------------------------------------


def test_condition_keys_follow_sts() -> None:
    token = _token(azp="client-1", amr=["authenticated", "mfa"], repository="acme/app", actor="dev", run_id="7")
    assert token.condition_keys() == {
        f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main",
        f"{GITHUB}:aud": "client-1",  # azp, when present, is what :aud holds
        f"{GITHUB}:oaud": "sts.amazonaws.com",
        f"{GITHUB}:amr": ["authenticated", "mfa"],
        f"{GITHUB}:repository": "acme/app",
        f"{GITHUB}:actor": "dev",
    }
    other = WebIdentityToken("https://idp.example.com/tenant", "user-1", "app", {"repository": "x"})
    assert other.condition_keys() == {"idp.example.com/tenant:sub": "user-1", "idp.example.com/tenant:aud": "app"}


def test_a_token_round_trips_as_a_jwt() -> None:
    token = _token(ref="refs/heads/main", exp=2_000_000_000)
    assert WebIdentityToken.decode(token.encode()) == token
    with pytest.raises(InvalidIdentityToken, match="not a valid JWT"):
        WebIdentityToken.decode("a.b")


def test_a_token_needs_an_https_issuer_and_a_subject() -> None:
    with pytest.raises(InputError, match="an issuer URL starting with https://"):
        WebIdentityToken("token.actions.githubusercontent.com", "s", "a")
    with pytest.raises(InputError, match="a non-empty 'sub' claim"):
        WebIdentityToken(GITHUB_ISSUER, "", "a")


def test_the_token_a_trust_policy_names_fills_in_its_patterns() -> None:
    arn = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"
    trust = {
        "Statement": [
            {"Effect": "Deny", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity"},
            {
                "Effect": "Allow",
                "Principal": {"Federated": [arn]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringLike": {f"{GITHUB}:sub": ["repo:acme/*:ref:refs/heads/ma?n", "repo:other"]},
                    "ForAnyValue:StringEquals": {f"{GITHUB}:amr": "mfa"},
                    "StringEqualsIfExists": {f"{GITHUB}:environment": "production"},
                },
            },
        ]
    }
    assert trusted_providers(trust) == [arn]
    token = token_for(trust, arn, ("sts.amazonaws.com",))
    assert (token.issuer, token.subject, token.audience) == (GITHUB_ISSUER, "repo:acme/pipewarden:ref:refs/heads/maxn",
                                                             "sts.amazonaws.com")  # fmt: skip
    assert token.claims == {"amr": ["mfa"], "environment": "production"}
