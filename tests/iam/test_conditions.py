"""Condition operators, written from "IAM JSON policy elements: Condition operators" and
"Multivalued context keys" / "Single-valued vs multivalued context keys" in the IAM User Guide."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import InputError
from harness.iam import parse_policy

from .conftest import OBJECT, USER, allow, decide, policy, statement


def holds(condition: dict[str, Any], context: dict[str, Any] | None = None) -> bool:
    """Whether an Allow with ``condition`` applies to a request carrying ``context``."""
    doc = allow(Condition=condition)
    return decide(USER, "s3:GetObject", OBJECT, identity_policies=[doc], context=context or {}) == "Allowed"


# --- strings ---------------------------------------------------------------------------------------------


def test_string_equals_is_case_sensitive() -> None:
    assert holds({"StringEquals": {"aws:PrincipalTag/team": "ci"}}, {"aws:PrincipalTag/team": "ci"})
    assert not holds({"StringEquals": {"aws:PrincipalTag/team": "ci"}}, {"aws:PrincipalTag/team": "CI"})


def test_condition_key_names_are_case_insensitive() -> None:
    assert holds({"StringEquals": {"AWS:principaltag/TEAM": "ci"}}, {"aws:PrincipalTag/team": "ci"})


def test_string_equals_ignore_case() -> None:
    assert holds({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "CI"}}, {"aws:PrincipalTag/team": "ci"})
    assert not holds({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "CI"}}, {"aws:PrincipalTag/team": "ci"})


def test_string_like_wildcards_are_case_sensitive() -> None:
    assert holds({"StringLike": {"s3:prefix": "home/*/docs/?"}}, {"s3:prefix": "home/alice/docs/1"})
    assert not holds({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "Home/alice"})


def test_string_equals_treats_asterisk_literally() -> None:
    assert not holds({"StringEquals": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"})
    assert holds({"StringEquals": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/*"})


def test_multiple_values_for_one_key_are_ored() -> None:
    assert holds(
        {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
        {"aws:RequestedRegion": "us-east-1"},
    )


def test_multiple_keys_in_one_operator_are_anded() -> None:
    condition = {"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "ci"}}
    assert holds(condition, {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "ci"})
    assert not holds(condition, {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "qa"})


def test_multiple_operators_are_anded() -> None:
    condition = {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    assert holds(condition, {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"})
    assert not holds(condition, {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "false"})


def test_string_not_equals_with_several_values_means_none_of_them() -> None:
    condition = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}
    assert not holds(condition, {"aws:RequestedRegion": "us-east-1"})
    assert holds(condition, {"aws:RequestedRegion": "ap-south-1"})


# --- missing keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        "StringEquals",
        "StringLike",
        "ArnLike",
        "IpAddress",
        "NumericEquals",
        "DateEquals",
        "Bool",
        "BinaryEquals",
        "ArnEquals",
    ],
)
def test_missing_key_makes_a_positive_operator_false(operator: str) -> None:
    values = {
        "IpAddress": "10.0.0.0/8",
        "NumericEquals": "1",
        "DateEquals": "2020-01-01T00:00:00Z",
        "Bool": "true",
        "BinaryEquals": "QmluYXJ5",
        "ArnLike": "arn:aws:iam::*:role/*",
        "ArnEquals": "arn:aws:iam::111122223333:role/x",
    }
    assert not holds({operator: {"aws:Absent": values.get(operator, "x")}})


@pytest.mark.parametrize(
    "operator",
    [
        "StringNotEquals",
        "StringNotLike",
        "ArnNotLike",
        "NotIpAddress",
        "NumericNotEquals",
        "DateNotEquals",
        "StringNotEqualsIgnoreCase",
        "ArnNotEquals",
    ],
)
def test_missing_key_makes_a_negated_operator_true(operator: str) -> None:
    values = {
        "NotIpAddress": "10.0.0.0/8",
        "NumericNotEquals": "1",
        "DateNotEquals": "2020-01-01",
        "ArnNotLike": "arn:aws:iam::*:role/*",
        "ArnNotEquals": "arn:aws:iam::111122223333:role/x",
    }
    assert holds({operator: {"aws:Absent": values.get(operator, "x")}})


def test_if_exists_is_true_when_the_key_is_missing() -> None:
    assert holds({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})
    assert holds({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, {"ec2:InstanceType": "t3.micro"})
    assert not holds({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, {"ec2:InstanceType": "m5.large"})


def test_bool_if_exists_secure_transport_deny_pattern() -> None:
    deny_insecure = policy(statement("Deny", "*", "*", Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}))
    docs = [allow(), deny_insecure]
    assert decide(identity_policies=docs, context={"aws:SecureTransport": "false"}) == "ExplicitDeny"
    assert decide(identity_policies=docs, context={"aws:SecureTransport": "true"}) == "Allowed"
    # IfExists: a missing key makes the condition true, so the Deny applies.
    assert decide(identity_policies=docs) == "ExplicitDeny"


def test_null_checks_presence() -> None:
    assert holds({"Null": {"aws:TokenIssueTime": "true"}})
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert not holds({"Null": {"aws:TokenIssueTime": "false"}})


# --- set operators ---------------------------------------------------------------------------------------


def test_for_all_values_every_request_value_must_match() -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert holds(condition, {"aws:TagKeys": ["env"]})
    assert holds(condition, {"aws:TagKeys": ["env", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["env", "owner"]})


def test_for_all_values_is_true_for_missing_and_empty_sets() -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}
    assert holds(condition)
    assert holds(condition, {"aws:TagKeys": []})


def test_for_any_value_needs_one_matching_request_value() -> None:
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert holds(condition, {"aws:TagKeys": ["owner", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["owner"]})


def test_for_any_value_is_false_for_missing_and_empty_sets() -> None:
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}
    assert not holds(condition)
    assert not holds(condition, {"aws:TagKeys": []})


def test_for_all_values_with_negated_operator() -> None:
    condition = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}
    assert holds(condition, {"aws:TagKeys": ["env", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["env", "secret"]})


def test_for_any_value_with_negated_operator() -> None:
    condition = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}
    assert holds(condition, {"aws:TagKeys": ["env", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["env"]})


def test_for_any_value_string_like() -> None:
    assert holds({"ForAnyValue:StringLike": {"aws:TagKeys": "cost-*"}}, {"aws:TagKeys": ["x", "cost-center"]})


# --- numbers, dates, booleans, binary --------------------------------------------------------------------


def test_numeric_operators() -> None:
    ctx = {"s3:max-keys": "10"}
    assert holds({"NumericLessThanEquals": {"s3:max-keys": "10"}}, ctx)
    assert not holds({"NumericLessThan": {"s3:max-keys": "10"}}, ctx)
    assert holds({"NumericGreaterThan": {"s3:max-keys": "9.5"}}, ctx)
    assert holds({"NumericGreaterThanEquals": {"s3:max-keys": 10}}, ctx)
    assert holds({"NumericEquals": {"s3:max-keys": "10.0"}}, ctx)
    assert holds({"NumericNotEquals": {"s3:max-keys": "11"}}, ctx)


def test_non_numeric_request_value_does_not_match() -> None:
    assert not holds({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"})


def test_date_operators_accept_iso_8601_and_epoch() -> None:
    ctx = {"aws:CurrentTime": "2024-06-01T12:00:00Z"}
    assert holds({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, ctx)
    assert holds({"DateLessThan": {"aws:CurrentTime": "2024-06-02"}}, ctx)
    assert holds({"DateGreaterThan": {"aws:CurrentTime": "1704067200"}}, ctx)  # 2024-01-01 in epoch seconds
    assert holds({"DateEquals": {"aws:CurrentTime": "2024-06-01T14:00:00+02:00"}}, ctx)
    assert not holds({"DateLessThan": {"aws:CurrentTime": "2024-06-01T12:00:00Z"}}, ctx)
    assert holds({"DateLessThanEquals": {"aws:EpochTime": "2024-06-01T12:00:00Z"}}, {"aws:EpochTime": "1717243200"})


def test_bool_compares_true_false() -> None:
    assert holds({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": "true"})
    assert holds({"Bool": {"aws:MultiFactorAuthPresent": True}}, {"aws:MultiFactorAuthPresent": True})
    assert not holds({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": "false"})


def test_binary_equals_compares_base64_bytes() -> None:
    assert holds(
        {"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5"}},
        {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5"},
    )
    assert not holds(
        {"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5"}},
        {"kms:RecipientAttestation:ImageSha384": "T3RoZXI="},
    )


# --- addresses and ARNs ----------------------------------------------------------------------------------


def test_ip_address_cidr_v4_and_v6() -> None:
    assert holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"})
    assert not holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.7"})
    assert holds({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8:1::5"})
    assert holds({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.7"})
    assert holds({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}, {"aws:SourceIp": "8.8.8.8"})


def test_arn_like_matches_per_segment() -> None:
    role = "arn:aws:iam::111122223333:role/ci/Build"
    assert holds({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci/*"}}, {"aws:PrincipalArn": role})
    assert holds({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ci/*"}}, {"aws:PrincipalArn": role})
    assert not holds({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, {"aws:PrincipalArn": role})
    # A wildcard does not span the colon between the account and the resource segments.
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}}, {"aws:SourceArn": "arn:aws:sqs:us:1:q"})
    assert holds({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, {"aws:PrincipalArn": role})


def test_arn_operator_on_a_non_arn_value_does_not_match() -> None:
    assert not holds({"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": "not-an-arn"})


# --- policy variables ------------------------------------------------------------------------------------


def test_variable_in_condition_value() -> None:
    condition = {"StringEquals": {"s3:prefix": "home/${aws:username}"}}
    assert holds(condition, {"s3:prefix": "home/alice"})  # aws:username comes from the user ARN
    assert not holds(condition, {"s3:prefix": "home/bob"})


def test_variable_is_literal_in_numeric_operators() -> None:
    with pytest.raises(InputError):
        parse_policy(allow(Condition={"NumericEquals": {"s3:max-keys": "${aws:username}"}}))


def test_variable_with_default_value() -> None:
    condition = {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'none'}"}}
    assert holds(condition, {"s3:prefix": "none"})
    assert holds(condition, {"s3:prefix": "ci", "aws:PrincipalTag/team": "ci"})


def test_missing_variable_without_default_never_matches() -> None:
    assert not holds({"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}*"}}, {"s3:prefix": "x"})


def test_special_character_variables() -> None:
    assert holds({"StringLike": {"s3:prefix": "a${*}b"}}, {"s3:prefix": "a*b"})
    assert not holds({"StringLike": {"s3:prefix": "a${*}b"}}, {"s3:prefix": "axb"})
    assert holds({"StringEquals": {"s3:prefix": "${$}{x}${?}"}}, {"s3:prefix": "${x}?"})


def test_variables_are_literal_before_version_2012() -> None:
    doc = policy(
        statement("Allow", "*", "*", Condition={"StringEquals": {"s3:prefix": "${aws:username}"}}),
        version="2008-10-17",
    )
    assert decide(identity_policies=[doc], context={"s3:prefix": "alice"}) == "ImplicitDeny"
    assert decide(identity_policies=[doc], context={"s3:prefix": "${aws:username}"}) == "Allowed"


# --- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ({"StringEqualz": {"a:b": "c"}}, "StringEqualz"),
        ({"NumericLessThan": {"a:b": "many"}}, "a number"),
        ({"DateLessThan": {"a:b": "yesterday"}}, "ISO 8601"),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}, "CIDR"),
        ({"Bool": {"aws:SecureTransport": "yes"}}, "true"),
        ({"ForSomeValues:StringEquals": {"a:b": "c"}}, "ForSomeValues"),
        ({"NullIfExists": {"a:b": "true"}}, "NullIfExists"),
        ({"StringEquals": {"a:b": {"nested": 1}}}, "string, number or boolean"),
        ({"StringEquals": "a:b"}, "StringEquals"),
    ],
)
def test_malformed_conditions_are_rejected_with_the_statement_named(condition: dict[str, Any], fragment: str) -> None:
    doc = policy(statement("Allow", "*", "*", "Guarded", Condition=condition))
    with pytest.raises(InputError) as caught:
        parse_policy(doc, "p1")
    assert fragment in str(caught.value)
    assert "'p1'" in str(caught.value) and "'Guarded'" in str(caught.value)


def test_single_valued_operator_never_matches_a_multivalued_key() -> None:
    # A multivalued key needs ForAllValues/ForAnyValue; a plain operator, even a negated one, does not match.
    assert not holds({"StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["env"]})
    assert not holds({"StringNotEquals": {"aws:TagKeys": "other"}}, {"aws:TagKeys": ["env"]})
    assert holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["env"]})


def test_request_value_of_the_wrong_type_makes_any_operator_false() -> None:
    assert not holds({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "many"})
    assert not holds({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.0.2.300"})
    assert not holds({"DateNotEquals": {"aws:CurrentTime": "2024-01-01"}}, {"aws:CurrentTime": "soon"})
    assert not holds({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}, {"aws:SourceArn": "not-an-arn"})


def test_arn_operators_compare_all_six_components() -> None:
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket"})
    assert holds({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket"})


def test_ip_address_whole_range() -> None:
    assert holds({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "10.1.2.3"})
    assert holds({"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "2001:db8::1"})
    assert not holds({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "2001:db8::1"})


def test_date_operators_compare_epoch_request_values_as_dates() -> None:
    # aws:EpochTime carries epoch seconds; Date operators accept ISO 8601 or epoch values.
    assert holds({"DateEquals": {"aws:EpochTime": "2024-01-01T00:00:00Z"}}, {"aws:EpochTime": "1704067200"})


def test_key_shapes_follow_aws() -> None:
    # aws:SourceIp is single-valued: a one-element list is its value; aws:TagKeys is multivalued: a string is a
    # set of one, so a plain operator does not match it.
    assert holds({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": ["10.0.0.1"]})
    assert not holds({"StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": "env"})
    assert holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": "env"})
