"""Seeded generator of authorization requests for differential testing (and the benchmark corpus)."""

from __future__ import annotations

import random
from typing import Any

A = "111122223333"
B = "444455556666"

PRINCIPALS = [
    f"arn:aws:iam::{A}:user/alice",
    f"arn:aws:iam::{A}:user/bob",
    f"arn:aws:sts::{A}:assumed-role/Build/run-1",
    f"arn:aws:sts::{A}:assumed-role/Deploy/run-2",
    f"arn:aws:sts::{B}:assumed-role/Remote/s1",
    f"arn:aws:iam::{B}:user/carol",
    f"arn:aws:iam::{A}:root",
    f"arn:aws:sts::{A}:federated-user/dana",
    "codebuild.amazonaws.com",
    f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForSupport/s",
    f"arn:aws:iam::{A}:role/Build",
]

# (action, resource, resource account) triples that exist in the AWS catalogue.
TARGETS = [
    ("s3:GetObject", "arn:aws:s3:::artifacts/build/1.zip", A),
    ("s3:PutObject", "arn:aws:s3:::artifacts/build/2.zip", A),
    ("s3:GetObject", "arn:aws:s3:::partner-drop/in/x.csv", B),
    ("s3:ListBucket", "arn:aws:s3:::artifacts", A),
    ("s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", A),
    ("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:jobs", A),
    ("sqs:ReceiveMessage", f"arn:aws:sqs:us-east-1:{B}:events", B),
    ("sns:Publish", f"arn:aws:sns:eu-west-1:{A}:alerts", A),
    ("codebuild:StartBuild", f"arn:aws:codebuild:us-east-1:{A}:project/app", A),
    ("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{A}:log-group:/ci/app:log-stream:s1", A),
    ("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-0abc", A),
    ("kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab", A),
    ("kms:Encrypt", f"arn:aws:kms:us-east-1:{B}:key/0000abcd-12ab-34cd-56ef-1234567890ab", B),
    ("sts:AssumeRole", f"arn:aws:iam::{A}:role/Deploy", A),
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{A}:secret:db-AbCdEf", A),
]

ACTION_PATTERNS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "s3:*Object",
    "s3:List*",
    "sqs:*",
    "sqs:Send*",
    "sns:Publish",
    "codebuild:Start*",
    "logs:*",
    "ec2:*",
    "*",
    "s3:Put?bject",
    "iam:PassRole",
    "sqs:ReceiveMessage",
    "kms:*",
    "kms:Decrypt",
    "sts:AssumeRole",
    "secretsmanager:Get*",
    "S3:getobject",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::artifacts/*",
    "arn:aws:s3:::artifacts",
    "arn:aws:s3:::*",
    "arn:aws:s3:::partner-drop/*",
    "arn:aws:s3:::home/${aws:username}/*",
    f"arn:aws:sqs:*:{A}:*",
    "arn:aws:sqs:us-east-1:*:jobs",
    f"arn:aws:sns:*:{A}:alerts",
    "arn:aws:codebuild:*:*:project/*",
    "arn:aws:logs:*:*:log-group:/ci/*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::artifacts/build/?.zip",
    f"arn:aws:sqs:*:{B}:*",
    "arn:aws:kms:*:*:key/*",
    f"arn:aws:iam::{A}:role/*",
    "arn:aws:secretsmanager:*:*:secret:db-*",
    "arn:aws:s3:::${aws:PrincipalTag/team}-*",
    "arn:aws:s3:::artifacts/${aws:PrincipalTag/team, 'build'}/*",
]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:PrincipalTag/team": "ci"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "qa"}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/team": "ci"}},
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/B*"}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "CI"}},
    {"StringNotLike": {"aws:PrincipalArn": "*carol*"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:*"}},
    {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:user/bob"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"BoolIfExists": {"aws:SecureTransport": "false"}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}},
    {"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
    {"NumericLessThan": {"s3:max-keys": "100"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}},
    {"DateLessThanEquals": {"aws:EpochTime": "1767225600"}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    {"Null": {"aws:SourceIp": "false"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": ["cost*"]}},
    {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}},
    {"ForAllValues:StringNotLike": {"aws:TagKeys": "secret*"}},
    {"StringEquals": {"aws:PrincipalAccount": A}},
    {"StringEquals": {"aws:username": "${aws:PrincipalTag/owner}"}},
    {"StringLike": {"aws:PrincipalTag/team": "${aws:username}*"}},
    {"StringEquals": {"aws:PrincipalTag/team": "ci", "aws:SecureTransport": "true"}},
    {"StringEquals": {"aws:PrincipalType": "AssumedRole"}},
    {"StringNotEquals": {"aws:PrincipalAccount": B}},
    {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    {"StringEquals": {"aws:PrincipalServiceName": "codebuild.amazonaws.com"}},
    {"StringLike": {"aws:userid": "*"}},
    {"DateLessThan": {"aws:CurrentTime": "2025-06-01"}},
    {"NumericGreaterThanEquals": {"aws:EpochTime": 1750000000}},
    {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "*"}},
    {"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}},
    {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "QA"}},
    {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/Build"}},
]
PRINCIPAL_ELEMENTS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": A},
    {"AWS": f"arn:aws:iam::{A}:root"},
    {"AWS": B},
    {"AWS": f"arn:aws:iam::{A}:user/alice"},
    {"AWS": f"arn:aws:iam::{B}:user/carol"},
    {"AWS": f"arn:aws:iam::{A}:role/Build"},
    {"AWS": f"arn:aws:sts::{A}:assumed-role/Build/run-1"},
    {"AWS": f"arn:aws:iam::{B}:role/Remote"},
    {"AWS": f"arn:aws:sts::{B}:assumed-role/Remote/s1"},
    {"AWS": [f"arn:aws:iam::{A}:user/bob", B]},
    {"Service": "codebuild.amazonaws.com"},
    {"Service": ["logs.amazonaws.com", "codebuild.amazonaws.com"]},
    {"AWS": f"arn:aws:sts::{A}:federated-user/dana"},
    {"AWS": f"arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"},
]
NOT_PRINCIPALS: list[Any] = [
    {"AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:root"]},
    {"AWS": [f"arn:aws:sts::{A}:assumed-role/Build/run-1", f"arn:aws:iam::{A}:role/Build", f"arn:aws:iam::{A}:root"]},
]


def _statement(rng: random.Random, effect: str, principal: bool, rcp: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect}
    if rng.random() < 0.4:
        body["Sid"] = f"S{rng.randrange(1000)}"
    # RCP grammar: no NotAction and no bare "*" action.
    patterns = [p for p in ACTION_PATTERNS if p != "*"] if rcp else ACTION_PATTERNS
    actions = rng.sample(patterns, rng.choice([1, 1, 2]))
    body["NotAction" if rng.random() < 0.1 and not rcp else "Action"] = actions if len(actions) > 1 else actions[0]
    resources = rng.sample(RESOURCE_PATTERNS, rng.choice([1, 1, 2]))
    body["NotResource" if rng.random() < 0.08 else "Resource"] = resources if len(resources) > 1 else resources[0]
    if rng.random() < 0.35:
        body["Condition"] = rng.choice(CONDITIONS)
    if rcp:
        body["Principal"] = "*"
    elif principal:
        if effect == "Deny" and rng.random() < 0.15:
            body["NotPrincipal"] = rng.choice(NOT_PRINCIPALS)
        else:
            body["Principal"] = rng.choice(PRINCIPAL_ELEMENTS)
    return body


def _policy(rng: random.Random, principal: bool = False, allow_bias: float = 0.75, rcp: bool = False) -> dict[str, Any]:
    statements = [
        _statement(rng, "Allow" if rng.random() < allow_bias else "Deny", principal, rcp)
        for _ in range(rng.choice([1, 1, 2, 3]))
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _levels(rng: random.Random, rcp: bool = False) -> list[list[dict[str, Any]]]:
    levels = []
    for _ in range(rng.choice([1, 2])):
        # Customer RCPs may only Deny (RCPFullAWSAccess is implicit); SCPs allow and deny.
        level = [_policy(rng, allow_bias=0.0 if rcp else 0.85, rcp=rcp)]
        if not rcp and rng.random() < 0.6:
            # Organizations attach FullAWSAccess to every level by default.
            full: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
            level.insert(0, {"Version": "2012-10-17", "Statement": [full]})
        levels.append(level)
    return levels


def _context(rng: random.Random) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if rng.random() < 0.5:
        context["aws:PrincipalTag/team"] = rng.choice(["ci", "qa", "CI"])
    if rng.random() < 0.3:
        context["aws:PrincipalTag/owner"] = rng.choice(["alice", "bob"])
    if rng.random() < 0.6:
        context["aws:SecureTransport"] = rng.choice(["true", "false"])
    if rng.random() < 0.5:
        context["aws:SourceIp"] = rng.choice(["10.0.3.4", "10.1.2.3", "192.0.2.10", "2001:db8::7"])
    if rng.random() < 0.4:
        context["aws:TagKeys"] = rng.sample(["env", "team", "cost-center", "secret"], rng.randrange(0, 3))
    if rng.random() < 0.5:
        context["aws:CurrentTime"] = rng.choice(["2024-06-01T00:00:00Z", "2026-03-01T12:00:00Z"])
    if rng.random() < 0.3:
        context["aws:EpochTime"] = rng.choice(["1700000000", "1800000000"])
    return context


def generate(count: int, seed: int = 20261126) -> list[dict[str, Any]]:
    """Build ``count`` requests in the ``pipewarden authorize`` JSON form, deterministically from ``seed``."""
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        principal = rng.choice(PRINCIPALS)
        action, resource, account = rng.choice(TARGETS)
        is_session = ":assumed-role/" in principal
        # AWS services carry no identity-side policies, and none can be attached to the root user.
        is_iam = not principal.endswith(".amazonaws.com") and not principal.endswith(":root")
        request: dict[str, Any] = {
            "principal": principal,
            "action": action,
            "resource": resource,
            "resource_account": account,
            "context": _context(rng),
            "identity_policies": [_policy(rng) for _ in range(rng.choice([0, 1, 1, 2]) if is_iam else 0)],
            "resource_policy": _policy(rng, principal=True) if rng.random() < 0.5 else None,
            "permissions_boundary": _policy(rng, allow_bias=0.9) if is_iam and rng.random() < 0.3 else None,
            "session_policy": _policy(rng, allow_bias=0.9) if is_session and rng.random() < 0.25 else None,
            "scps": _levels(rng) if rng.random() < 0.3 else None,
            "rcps": _levels(rng, rcp=True) if rng.random() < 0.2 else None,
        }
        requests.append(request)
    return requests


__all__ = ["generate"]
