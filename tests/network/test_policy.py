"""Endpoint policies: default full access, explicit deny wins, no allow is an implicit deny, conditions undecided."""

from __future__ import annotations

import json

from harness.network import evaluate_endpoint_policy


def doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_BUCKET = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject", "s3:PutObject"],
    "Resource": "arn:aws:s3:::prod-data/*",
}


def test_absent_policy_is_full_access() -> None:
    decision = evaluate_endpoint_policy(None, action="s3:DeleteBucket", resource="arn:aws:s3:::x")
    assert decision.allowed is True


def test_allow_matches_action_case_insensitively_and_resource_by_wildcard() -> None:
    policy = doc(ALLOW_BUCKET)
    assert evaluate_endpoint_policy(policy, action="S3:getobject", resource="arn:aws:s3:::prod-data/a/b").allowed
    other = evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::other/a")
    assert other.allowed is False and other.statement == "implicit deny"
    assert (
        evaluate_endpoint_policy(policy, action="s3:ListBucket", resource="arn:aws:s3:::prod-data/a").allowed is False
    )


def test_explicit_deny_wins_over_allow() -> None:
    deny = {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:Delete*", "Resource": "*"}
    policy = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}, deny)
    decision = evaluate_endpoint_policy(policy, action="s3:DeleteObject", resource="arn:aws:s3:::prod-data/a")
    assert decision.allowed is False and decision.statement == "statement 'NoDelete'"
    assert evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::prod-data/a").allowed


def test_not_action_and_principal_lists() -> None:
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:role/build"]},
            "NotAction": "s3:Delete*",
            "Resource": "*",
        }
    )
    build = "arn:aws:iam::111122223333:role/build"
    assert evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::b/k", principal=build).allowed
    assert (
        evaluate_endpoint_policy(policy, action="s3:DeleteObject", resource="arn:aws:s3:::b/k", principal=build).allowed
        is False
    )
    other = evaluate_endpoint_policy(
        policy, action="s3:GetObject", resource="arn:aws:s3:::b/k", principal="arn:aws:iam::111122223333:role/dev"
    )
    assert other.allowed is False
    unknown = evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::b/k")
    assert unknown.allowed is None


def test_conditions_are_not_guessed() -> None:
    conditional = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}},
    }
    policy = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}, conditional)
    assert evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::b/k").allowed is None
    # A conditional Allow does not matter when an unconditional Allow already decides and nothing denies.
    allow_if = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    policy = doc(ALLOW_BUCKET, allow_if)
    assert evaluate_endpoint_policy(policy, action="s3:GetObject", resource="arn:aws:s3:::prod-data/k").allowed


def test_question_without_an_action() -> None:
    full = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    assert evaluate_endpoint_policy(full, action=None, resource=None).allowed is True
    assert evaluate_endpoint_policy(doc(ALLOW_BUCKET), action=None, resource=None).allowed is None
    assert evaluate_endpoint_policy(doc(), action=None, resource=None).allowed is False


def test_malformed_policy_is_undecided() -> None:
    assert evaluate_endpoint_policy("{not json", action="s3:GetObject", resource="*").allowed is None
