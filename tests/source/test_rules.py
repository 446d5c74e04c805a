"""Approval rule content: parsing, destination references and how pool members match approvers."""

from __future__ import annotations

import json

import pytest

from harness.source.errors import CodeCommitError
from harness.source.rules import PoolMember, Statement, content_text, full_reference, parse_content

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/Mary_Major"
USER_WITH_PATH = f"arn:aws:iam::{ACCOUNT}:user/engineering/Mary_Major"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/Mary_Major"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/CodeCommitReview/Mary_Major"
OTHER_ACCOUNT_USER = "arn:aws:iam::999999999999:user/Mary_Major"


@pytest.mark.parametrize("caller", [USER, USER_WITH_PATH, FEDERATED])
def test_codecommit_approvers_counts_users_and_federated_users_of_that_name(caller: str) -> None:
    assert PoolMember(f"CodeCommitApprovers:{ACCOUNT}:Mary_Major").matches(caller)


def test_codecommit_approvers_does_not_count_a_role_session_of_that_name_without_a_wildcard() -> None:
    assert not PoolMember(f"CodeCommitApprovers:{ACCOUNT}:Mary_Major").matches(SESSION)


def test_codecommit_approvers_with_a_wildcard_counts_the_role_session() -> None:
    assert PoolMember(f"CodeCommitApprovers:{ACCOUNT}:*Mary_Major").matches(SESSION)


def test_codecommit_approvers_is_bound_to_its_account() -> None:
    assert not PoolMember(f"CodeCommitApprovers:{ACCOUNT}:Mary_Major").matches(OTHER_ACCOUNT_USER)


def test_an_arn_pattern_counts_every_session_of_a_role_and_nothing_else() -> None:
    member = PoolMember(f"arn:aws:sts::{ACCOUNT}:assumed-role/CodeCommitReview/*")
    assert member.matches(SESSION)
    assert member.matches(f"arn:aws:sts::{ACCOUNT}:assumed-role/CodeCommitReview/other")
    assert not member.matches(f"arn:aws:sts::{ACCOUNT}:assumed-role/Developer/Mary_Major")
    assert not member.matches(USER)


def test_an_exact_arn_counts_only_that_principal() -> None:
    member = PoolMember(USER)
    assert member.matches(USER)
    assert not member.matches(USER_WITH_PATH)


def test_arn_patterns_are_case_sensitive_and_question_mark_is_one_character() -> None:
    assert not PoolMember(USER.replace("Mary_Major", "mary_major")).matches(USER)
    assert PoolMember(f"arn:aws:iam::{ACCOUNT}:user/Mary_Majo?").matches(USER)
    assert not PoolMember(f"arn:aws:iam::{ACCOUNT}:user/Mary_Maj?").matches(USER)


@pytest.mark.parametrize("text", ["Mary", "CodeCommitApprovers:123", "CodeCommitApprovers::Mary"])
def test_a_member_that_is_neither_form_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="CodeCommitApprovers:ACCOUNT:NAME"):
        PoolMember(text)


def test_a_statement_counts_distinct_pool_approvers_only() -> None:
    statement = Statement(2, (PoolMember(f"arn:aws:sts::{ACCOUNT}:assumed-role/CodeCommitReview/*"),))
    outsider = f"arn:aws:sts::{ACCOUNT}:assumed-role/Developer/dev"
    assert not statement.satisfied_by([SESSION, SESSION, outsider])
    assert statement.satisfied_by([SESSION, f"arn:aws:sts::{ACCOUNT}:assumed-role/CodeCommitReview/second"])


def test_a_statement_without_a_pool_counts_anyone() -> None:
    assert Statement(1).satisfied_by([USER])
    assert not Statement(1).satisfied_by([])


def test_template_content_round_trips_with_destination_references() -> None:
    text = content_text(2, [f"CodeCommitApprovers:{ACCOUNT}:Mary_Major"], ["main"])
    content = parse_content(text, template=True)
    assert content.destination_references == ("refs/heads/main",)
    assert content.statements[0].needed == 2
    assert content.applies_to("main") and content.applies_to("refs/heads/main")
    assert not content.applies_to("feature/x")
    assert len(content.sha256) == 64


def test_a_template_without_destination_references_applies_to_every_branch() -> None:
    content = parse_content(content_text(1), template=True)
    assert content.applies_to("anything")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"Version": "2012-10-17", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]}, "Version"),
        ({"Version": "2018-11-08", "Statements": []}, "non-empty Statements"),
        ({"Version": "2018-11-08", "Statements": [{"Type": "Other", "NumberOfApprovalsNeeded": 1}]}, "Approvers"),
        ({"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 0}]}, "at least 1"),
        ({"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": "2"}]}, "integer"),
        (
            {"Version": "2018-11-08", "DestinationReferences": ["main"],
             "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]},
            "full references",
        ),
    ],
)
def test_invalid_template_content_is_refused_with_the_reason(document: dict[str, object], fragment: str) -> None:
    with pytest.raises(CodeCommitError, match=fragment) as caught:
        parse_content(json.dumps(document), template=True)
    assert caught.value.code == "InvalidApprovalRuleTemplateContentException"


def test_rule_content_may_not_carry_destination_references() -> None:
    with pytest.raises(CodeCommitError) as caught:
        parse_content(content_text(1, destination_references=["main"]), template=False)
    assert caught.value.code == "InvalidApprovalRuleContentException"


def test_content_that_is_not_json_is_refused() -> None:
    with pytest.raises(CodeCommitError, match="not valid JSON"):
        parse_content("{", template=True)


def test_full_reference_keeps_full_references() -> None:
    assert full_reference("main") == "refs/heads/main"
    assert full_reference("refs/heads/main") == "refs/heads/main"
