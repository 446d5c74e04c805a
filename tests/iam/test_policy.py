"""The IAM JSON policy grammar: what parses, what is rejected and how the error names the fault."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.iam import Policy, parse_policy

from .conftest import policy, statement


def error_for(document: Any, name: str = "p") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_policy(document, name)
    return caught.value


def test_statement_may_be_a_single_object_and_action_a_string() -> None:
    parsed = parse_policy(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    )
    assert isinstance(parsed, Policy)
    assert parsed.statements[0].actions == ("s3:GetObject",)


def test_policy_may_be_given_as_a_json_string() -> None:
    text = json.dumps(policy(statement("Allow", ["s3:Get*", "s3:List*"], "*", "Read")))
    parsed = parse_policy(text, "named")
    assert parsed.name == "named"
    assert parsed.statements[0].sid == "Read"
    assert parsed.statements[0].label == "Read"


def test_statement_without_sid_is_labelled_by_index() -> None:
    parsed = parse_policy(policy(statement("Allow", "*", "*"), statement("Deny", "*", "*")))
    assert [s.label for s in parsed.statements] == [0, 1]


def test_principal_forms() -> None:
    parsed = parse_policy(
        policy(
            statement("Allow", "*", "*", Principal="*"),
            statement("Allow", "*", "*", Principal={"AWS": ["111122223333", "arn:aws:iam::111122223333:root"]}),
            statement("Allow", "*", "*", Principal={"Service": "codebuild.amazonaws.com"}),
            statement("Allow", "*", "*", Principal={"Federated": "cognito-identity.amazonaws.com"}),
            statement("Allow", "*", "*", Principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbace"}),
            statement("Deny", "*", "*", NotPrincipal={"AWS": "arn:aws:iam::111122223333:user/alice"}),
        )
    )
    principals = [s.principal or s.not_principal for s in parsed.statements]
    assert principals[0] is not None and principals[0].is_wildcard
    assert principals[1] is not None and principals[1].entries == (
        ("AWS", "111122223333"),
        ("AWS", "arn:aws:iam::111122223333:root"),
    )
    assert principals[2] is not None and principals[2].entries == (("Service", "codebuild.amazonaws.com"),)
    assert principals[3] is not None and principals[3].entries[0][0] == "Federated"
    assert principals[4] is not None and principals[4].entries[0][0] == "CanonicalUser"
    assert parsed.statements[5].not_principal is not None


def test_unknown_statement_element_is_named() -> None:
    exc = error_for(policy(statement("Allow", "*", "*", "S1", Actions="s3:*")))
    assert exc.field == "Actions"
    assert "'S1'" in exc.where and "'p'" in exc.where


def test_unknown_top_level_element() -> None:
    assert error_for({"Version": "2012-10-17", "Statement": [], "Extra": 1}).field == "Extra"


@pytest.mark.parametrize("effect", ["allow", "Permit", None, 1])
def test_bad_effect(effect: Any) -> None:
    body = {"Action": "*", "Resource": "*"}
    if effect is not None:
        body["Effect"] = effect
    exc = error_for(policy(body))
    assert exc.field == "Effect"
    assert "statement 0" in exc.where


def test_action_and_not_action_together() -> None:
    body = {"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}
    assert error_for(policy(body)).field == "Action"


def test_resource_and_not_resource_together() -> None:
    body = {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "arn:aws:s3:::b"}
    assert error_for(policy(body)).field == "Resource"


def test_principal_and_not_principal_together() -> None:
    exc = error_for(policy(statement("Allow", "s3:*", "*", Principal="*", NotPrincipal={"AWS": "*"})))
    assert exc.field == "Principal"


def test_missing_action() -> None:
    assert error_for(policy({"Effect": "Allow", "Resource": "*"})).field == "Action"


@pytest.mark.parametrize(
    "arn", ["arn:aws:s3", "arn:aws:s3:::", "s3:::bucket", "arnaws:s3:::b:c:d", "bucket", "*bucket*"]
)
def test_malformed_resource_arn(arn: str) -> None:
    exc = error_for(policy(statement("Allow", "s3:*", arn)))
    assert exc.field == "Resource"


def test_malformed_action() -> None:
    assert error_for(policy(statement("Allow", "GetObject", "*"))).field == "Action"
    assert error_for(policy(statement("Allow", "s3:Get:Object", "*"))).field == "Action"


@pytest.mark.parametrize("value", [1, [], [1], {"a": 1}, None])
def test_wrong_value_types_for_action(value: Any) -> None:
    assert error_for(policy({"Effect": "Allow", "Action": value, "Resource": "*"})).field == "Action"


def test_bad_principal_type() -> None:
    assert error_for(policy(statement("Allow", "*", "*", Principal={"User": "x"}))).field == "Principal"


def test_bad_version() -> None:
    assert error_for({"Version": "2020-01-01", "Statement": []}).field == "Version"


def test_missing_statement() -> None:
    assert error_for({"Version": "2012-10-17"}).field == "Statement"


def test_not_json() -> None:
    assert "JSON" in str(error_for("{not json"))


def test_error_message_reads_where_expected_found_fix() -> None:
    message = str(error_for(policy(statement("Allow", "*", "*", "Wide", Condition={"Nope": {"a:b": "c"}}))))
    assert message.startswith("policy 'p', statement 'Wide'")
    assert "expected" in message and "found" in message
