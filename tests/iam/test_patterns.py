"""Action and resource matching, from "IAM JSON policy elements: Action" and "...: Resource"."""

from __future__ import annotations

import pytest

from harness.iam.patterns import ResourcePattern, arn_regex, substitute, wildcard_regex

from .conftest import USER, allow, decide, policy, statement


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:getobject", True),  # action names are case-insensitive
        ("S3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetObjectAcl", False),
        ("s3:*Object", "s3:PutObject", True),
        ("*", "iam:CreateUser", True),
        ("codebuild:Batch*", "codebuild:StartBuild", False),
        ("s3:Get*", "s3x:GetObject", False),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    result = decide(USER, action, "*", identity_policies=[allow(pattern, "*")])
    assert (result == "Allowed") is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.txt", True),  # '*' spans '/' in the resource
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2/x", True),
        ("arn:aws:s3:::bucket/?.txt", "arn:aws:s3:::bucket/a.txt", True),
        ("arn:aws:s3:::bucket/?.txt", "arn:aws:s3:::bucket/ab.txt", False),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", False),  # case-sensitive
        ("arn:aws:logs:*:*:log-group:/ci/*", "arn:aws:logs:us-east-1:111122223333:log-group:/ci/build:*", True),
        ("arn:aws:sqs:*:111122223333:*", "arn:aws:sqs:us-east-1:111122223333:q", True),
        ("arn:aws:sqs:*:111122223333:*", "arn:aws:sqs:us-east-1:444455556666:q", False),
        # A wildcard stays within its ARN segment: "us-*" cannot swallow the account.
        ("arn:aws:sqs:us-*:q", "arn:aws:sqs:us-east-1:111122223333:q", False),
        ("arn:aws:s3:::a.b/c", "arn:aws:s3:::aXb/c", False),  # '.' is literal
        ("arn:aws:s3:::a+b/(c)", "arn:aws:s3:::a+b/(c)", True),
        ("*", "arn:aws:iam::111122223333:role/x", True),
    ],
)
def test_resource_matching(pattern: str, resource: str, expected: bool) -> None:
    assert (ResourcePattern.compile(pattern, True).matches(resource, {}) is True) is expected


def test_short_arn_pattern_with_trailing_wildcard_covers_the_rest() -> None:
    assert arn_regex("arn:aws:s3:*").fullmatch("arn:aws:s3:::bucket/key")


def test_wildcard_regex_is_literal_except_star_and_question_mark() -> None:
    assert wildcard_regex("a[b]^$").fullmatch("a[b]^$")
    assert not wildcard_regex("a.c").fullmatch("abc")


def test_variable_in_resource() -> None:
    doc = allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::home/alice/notes", identity_policies=[doc]) == "Allowed"
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::home/bob/notes", identity_policies=[doc]) == "ImplicitDeny"


def test_variable_from_principal_tag_in_resource() -> None:
    doc = allow("s3:*", "arn:aws:s3:::${aws:PrincipalTag/team}-artifacts/*")
    ctx = {"aws:PrincipalTag/team": "ci"}
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::ci-artifacts/x", identity_policies=[doc], context=ctx) == (
        "Allowed"
    )


def test_unresolved_variable_in_resource_does_not_match() -> None:
    doc = allow("s3:*", "arn:aws:s3:::${aws:PrincipalTag/team}*")
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::anything", identity_policies=[doc]) == "ImplicitDeny"


def test_variables_are_literal_without_version_2012() -> None:
    doc = policy(statement("Allow", "s3:*", "arn:aws:s3:::home/${aws:username}/*"), version=None)
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::home/alice/x", identity_policies=[doc]) == "ImplicitDeny"
    assert decide(USER, "s3:GetObject", "arn:aws:s3:::home/${aws:username}/x", identity_policies=[doc]) == "Allowed"


def test_substitute_rules() -> None:
    ctx: dict[str, str | tuple[str, ...]] = {"aws:username": "alice", "aws:tagkeys": ("a", "b")}
    assert substitute("x/${aws:username}", ctx) == "x/alice"
    assert substitute("x/${AWS:UserName}", ctx) == "x/alice"  # keys are case-insensitive
    assert substitute("${aws:TagKeys}", ctx) is None  # multivalued keys cannot be variables
    assert substitute("${aws:missing, 'dflt'}", ctx) == "dflt"
    assert substitute("${aws:missing}", ctx) is None
    assert substitute("${$}", ctx) == "$"
