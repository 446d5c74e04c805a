"""The AWS policy evaluation logic, one documented rule per test.

Sources: IAM User Guide, "Policy evaluation logic", "How AWS enforcement code logic evaluates requests",
"Cross-account policy evaluation logic", "Permissions boundaries for IAM entities", "Session policies",
AWS Organizations "Service control policies" and "Resource control policies".
"""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.iam import AuthorizationRequest, Outcome, PolicySet, authorize, evaluate, parse_policy

from .conftest import (
    ACCOUNT,
    OBJECT,
    OTHER,
    QUEUE,
    ROLE,
    SESSION,
    USER,
    allow,
    decide,
    deny,
    policy,
    statement,
)

ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitDeny", "ImplicitDeny"


def grant(principal: object, action: str = "s3:GetObject", resource: str = OBJECT) -> dict[str, object]:
    """A resource policy allowing ``principal``."""
    return policy(statement("Allow", action, resource, Principal=principal))


# --- basics ---------------------------------------------------------------------------------------------


def test_no_policy_means_implicit_deny() -> None:
    assert decide() == IMPLICIT


def test_identity_allow_allows() -> None:
    assert decide(identity_policies=[allow("s3:GetObject", OBJECT)]) == ALLOWED


def test_explicit_deny_overrides_allow_in_the_same_layer() -> None:
    assert decide(identity_policies=[allow(), deny("s3:GetObject")]) == EXPLICIT


def test_allow_for_another_action_does_not_apply() -> None:
    assert decide(identity_policies=[allow("s3:PutObject")]) == IMPLICIT


def test_explicit_deny_in_resource_policy_overrides_identity_allow() -> None:
    rp = policy(statement("Deny", "s3:*", "*", Principal="*"))
    assert decide(identity_policies=[allow()], resource_policy=rp) == EXPLICIT


def test_explicit_deny_in_boundary_wins() -> None:
    assert decide(identity_policies=[allow()], permissions_boundary=deny("s3:GetObject")) == EXPLICIT


def test_explicit_deny_in_session_policy_wins_even_over_direct_session_grant() -> None:
    rp = grant({"AWS": SESSION})
    assert decide(SESSION, resource_policy=rp, session_policy=deny()) == EXPLICIT


def test_deny_decision_lists_every_applicable_deny_statement() -> None:
    result = authorize(
        USER,
        "s3:GetObject",
        OBJECT,
        identity_policies=[policy(statement("Deny", "s3:*", "*", "A"), statement("Deny", "*", "*", "B"))],
    )
    assert [(m.layer, m.statement) for m in result.matched] == [("identity", "A"), ("identity", "B")]


def test_statement_without_sid_is_named_by_index() -> None:
    result = authorize(
        USER,
        "s3:GetObject",
        OBJECT,
        identity_policies=[policy(statement("Allow", "ec2:*", "*"), statement("Allow", "s3:*", "*"))],
    )
    assert result.matched[0].statement == 1


# --- organizations: SCPs --------------------------------------------------------------------------------


def test_scp_level_without_allow_implicitly_denies() -> None:
    scps = [[allow()], [allow("ec2:*")]]
    result = authorize(USER, "s3:GetObject", OBJECT, identity_policies=[allow()], scps=scps)
    assert result.decision is Outcome.IMPLICIT_DENY
    assert result.layers == ("scp",)


def test_every_scp_level_allowing_lets_identity_decide() -> None:
    assert decide(identity_policies=[allow()], scps=[[allow()], [allow("s3:*")]]) == ALLOWED


def test_scp_alone_grants_nothing() -> None:
    assert decide(scps=[[allow()]]) == IMPLICIT


def test_scp_deny_wins() -> None:
    assert decide(identity_policies=[allow()], scps=[[allow(), deny("s3:GetObject")]]) == EXPLICIT


def test_within_a_level_one_allowing_policy_is_enough() -> None:
    assert decide(identity_policies=[allow()], scps=[[allow("ec2:*"), allow("s3:*")]]) == ALLOWED


def test_no_organization_means_no_scp_limit() -> None:
    assert decide(identity_policies=[allow()], scps=None) == ALLOWED


def test_scps_do_not_apply_to_service_linked_roles() -> None:
    slr = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForCodeBuild/session"
    assert decide(slr, identity_policies=[allow()], scps=[[allow("ec2:*")]]) == ALLOWED


def test_scp_limits_a_resource_policy_grant_too() -> None:
    assert decide(resource_policy=grant({"AWS": USER}), scps=[[allow("ec2:*")]]) == IMPLICIT


def test_scp_limits_the_root_user_of_a_member_account() -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assert decide(root, scps=[[allow("ec2:*")]]) == IMPLICIT
    assert decide(root, scps=[[allow()]]) == ALLOWED


# --- organizations: RCPs --------------------------------------------------------------------------------


def rcp_allow(action: str = "*") -> dict[str, object]:
    return policy(statement("Allow", action, "*", Principal="*"))


def test_rcp_full_aws_access_is_always_attached_so_rcps_only_deny() -> None:
    # RCPFullAWSAccess is attached to every root, OU and account and cannot be detached.
    result = authorize(USER, "s3:GetObject", OBJECT, identity_policies=[allow()], rcps=[[rcp_allow("sqs:*")]])
    assert result.decision is Outcome.ALLOWED
    assert decide(rcps=[[rcp_allow()]]) == IMPLICIT  # an RCP grants nothing


def test_rcp_deny_wins() -> None:
    rcp = policy(statement("Deny", "s3:*", "*", Principal="*"))
    assert decide(identity_policies=[allow()], rcps=[[rcp_allow(), rcp]]) == EXPLICIT


def test_rcps_do_not_apply_to_unsupported_services() -> None:
    rcp = policy(statement("Deny", "*", "*", Principal="*"))
    instance = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123"
    assert decide(action="ec2:StartInstances", resource=instance, identity_policies=[allow()], rcps=[[rcp]]) == ALLOWED


def test_rcps_do_not_apply_to_service_linked_roles() -> None:
    slr = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSServiceRoleForSupport/s"
    rcp = policy(statement("Deny", "s3:*", "*", Principal="*"))
    assert decide(slr, identity_policies=[allow()], rcps=[[rcp]]) == ALLOWED
    assert decide(identity_policies=[allow()], rcps=[[rcp]]) == EXPLICIT


def test_rcp_condition_on_principal_org() -> None:
    rcp = policy(
        statement(
            "Deny",
            "s3:*",
            "*",
            Principal="*",
            Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-123"}},
        )
    )
    levels = [[rcp_allow(), rcp]]
    assert decide(identity_policies=[allow()], rcps=levels, context={"aws:PrincipalOrgID": "o-123"}) == ALLOWED
    assert decide(identity_policies=[allow()], rcps=levels, context={"aws:PrincipalOrgID": "o-999"}) == EXPLICIT


# --- resource-based policies within one account ---------------------------------------------------------


def test_same_account_resource_policy_naming_user_suffices_alone() -> None:
    assert decide(resource_policy=grant({"AWS": USER})) == ALLOWED


def test_same_account_user_grant_is_not_limited_by_boundary() -> None:
    assert decide(resource_policy=grant({"AWS": USER}), permissions_boundary=allow("ec2:*")) == ALLOWED


def test_same_account_role_grant_suffices_without_boundary_or_session_policy() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": ROLE})) == ALLOWED


def test_same_account_role_grant_is_limited_by_boundary() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": ROLE}), permissions_boundary=allow("ec2:*")) == IMPLICIT


def test_same_account_role_grant_within_boundary_is_allowed() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": ROLE}), permissions_boundary=allow("s3:*")) == ALLOWED


def test_same_account_role_grant_is_limited_by_session_policy() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": ROLE}), session_policy=allow("ec2:*")) == IMPLICIT


def test_same_account_session_grant_is_not_limited_by_boundary() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": SESSION}), permissions_boundary=allow("ec2:*")) == ALLOWED


def test_same_account_session_grant_is_not_limited_by_session_policy() -> None:
    assert decide(SESSION, resource_policy=grant({"AWS": SESSION}), session_policy=allow("ec2:*")) == ALLOWED


def test_role_grant_with_a_role_path_matches_the_session() -> None:
    with_path = f"arn:aws:iam::{ACCOUNT}:role/ci/Build"
    assert decide(SESSION, resource_policy=grant({"AWS": with_path})) == ALLOWED


def test_grant_to_another_session_of_the_role_does_not_apply() -> None:
    other = f"arn:aws:sts::{ACCOUNT}:assumed-role/Build/run-2"
    assert decide(SESSION, resource_policy=grant({"AWS": other})) == IMPLICIT


def test_same_account_account_grant_delegates_to_identity_policies() -> None:
    assert decide(resource_policy=grant({"AWS": ACCOUNT})) == IMPLICIT
    assert (
        decide(resource_policy=grant({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), identity_policies=[allow()]) == ALLOWED
    )


def test_wildcard_principal_grants_directly() -> None:
    assert decide(SESSION, resource_policy=grant("*"), permissions_boundary=allow("ec2:*")) == ALLOWED
    assert decide(SESSION, resource_policy=grant({"AWS": "*"})) == ALLOWED


def test_identity_allow_is_enough_when_resource_policy_is_silent() -> None:
    rp = grant({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"})
    assert decide(identity_policies=[allow()], resource_policy=rp) == ALLOWED


# --- permissions boundaries and session policies --------------------------------------------------------


def test_boundary_limits_identity_policy() -> None:
    assert decide(identity_policies=[allow()], permissions_boundary=allow("ec2:*")) == IMPLICIT


def test_boundary_grants_nothing_by_itself() -> None:
    assert decide(permissions_boundary=allow()) == IMPLICIT


def test_effective_permissions_are_the_intersection_of_identity_and_boundary() -> None:
    assert decide(identity_policies=[allow("s3:*")], permissions_boundary=allow("s3:Get*")) == ALLOWED


def test_session_policy_limits_identity_policy() -> None:
    assert decide(SESSION, identity_policies=[allow()], session_policy=allow("ec2:*")) == IMPLICIT


def test_session_policy_grants_nothing_by_itself() -> None:
    assert decide(SESSION, session_policy=allow()) == IMPLICIT


def test_identity_boundary_and_session_policy_must_all_allow() -> None:
    assert (
        decide(
            SESSION,
            identity_policies=[allow()],
            permissions_boundary=allow(),
            session_policy=allow("s3:GetObject"),
        )
        == ALLOWED
    )


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    rp = policy(
        statement("Allow", "s3:*", "*", Principal={"AWS": USER}),
        statement("Deny", "s3:*", "*", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCOUNT}:root"]}),
    )
    assert decide(resource_policy=rp) == ALLOWED
    assert decide(resource_policy=rp, permissions_boundary=allow()) == EXPLICIT


# --- cross-account --------------------------------------------------------------------------------------


OTHER_QUEUE = f"arn:aws:sqs:us-east-1:{OTHER}:jobs"


def test_cross_account_needs_the_resource_policy() -> None:
    assert decide(action="sqs:SendMessage", resource=OTHER_QUEUE, identity_policies=[allow()]) == IMPLICIT


def test_cross_account_needs_the_identity_policy() -> None:
    rp = grant({"AWS": USER}, "sqs:SendMessage", OTHER_QUEUE)
    assert decide(action="sqs:SendMessage", resource=OTHER_QUEUE, resource_policy=rp) == IMPLICIT


def test_cross_account_allowed_when_both_sides_allow() -> None:
    rp = grant({"AWS": USER}, "sqs:SendMessage", OTHER_QUEUE)
    assert (
        decide(action="sqs:SendMessage", resource=OTHER_QUEUE, resource_policy=rp, identity_policies=[allow()])
        == ALLOWED
    )


def test_cross_account_account_grant_plus_identity_allow() -> None:
    rp = grant({"AWS": ACCOUNT}, "sqs:SendMessage", OTHER_QUEUE)
    assert (
        decide(action="sqs:SendMessage", resource=OTHER_QUEUE, resource_policy=rp, identity_policies=[allow()])
        == ALLOWED
    )


def test_cross_account_session_grant_is_still_limited_by_boundary() -> None:
    rp = grant({"AWS": SESSION}, "sqs:SendMessage", OTHER_QUEUE)
    assert (
        decide(
            SESSION,
            "sqs:SendMessage",
            OTHER_QUEUE,
            resource_policy=rp,
            identity_policies=[allow()],
            permissions_boundary=allow("ec2:*"),
        )
        == IMPLICIT
    )


def test_grant_to_another_account_does_not_apply() -> None:
    rp = grant({"AWS": "999988887777"}, "sqs:SendMessage", OTHER_QUEUE)
    assert (
        decide(action="sqs:SendMessage", resource=OTHER_QUEUE, resource_policy=rp, identity_policies=[allow()])
        == IMPLICIT
    )


def test_s3_arn_without_account_is_same_account_unless_told() -> None:
    assert decide(resource_policy=grant({"AWS": USER})) == ALLOWED
    assert decide(resource_policy=grant({"AWS": USER}), resource_account=OTHER) == IMPLICIT


# --- special principals and resources -------------------------------------------------------------------


def test_root_user_has_full_access_in_its_account() -> None:
    assert decide(f"arn:aws:iam::{ACCOUNT}:root", action="sqs:DeleteQueue", resource=QUEUE) == ALLOWED


def test_service_principal_is_allowed_only_by_resource_policy() -> None:
    rp = grant({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject")
    assert decide("cloudtrail.amazonaws.com", "s3:PutObject", resource_policy=rp) == ALLOWED
    assert decide("config.amazonaws.com", "s3:PutObject", resource_policy=rp) == IMPLICIT


def test_kms_key_policy_must_enable_identity_policies() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    silent = grant({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, "kms:*", "*")
    enabling = grant({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "kms:*", "*")
    assert decide(action="kms:Decrypt", resource=key, identity_policies=[allow()], resource_policy=silent) == IMPLICIT
    assert decide(action="kms:Decrypt", resource=key, identity_policies=[allow()], resource_policy=enabling) == ALLOWED


def test_role_trust_policy_must_allow_assume_role() -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
    trust = grant({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, "sts:AssumeRole", "*")
    assert (
        decide(action="sts:AssumeRole", resource=target, identity_policies=[allow()], resource_policy=trust) == IMPLICIT
    )
    assert (
        decide(
            action="sts:AssumeRole",
            resource=target,
            resource_policy=grant({"AWS": USER}, "sts:AssumeRole", "*"),
        )
        == ALLOWED
    )



def test_kms_actions_on_no_key_are_decided_by_identity_policies_alone() -> None:
    # CreateKey, ListKeys and alias actions act on no key, so no key policy takes part.
    for action in ("kms:CreateKey", "kms:ListKeys", "kms:ListAliases"):
        assert decide(action=action, resource="*", identity_policies=[allow()]) == ALLOWED
        assert decide(action=action, resource="*") == IMPLICIT


def test_a_request_on_a_key_without_its_key_policy_is_not_granted() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert decide(action="kms:Decrypt", resource=key, identity_policies=[allow()]) == IMPLICIT


def test_assume_role_without_a_trust_policy_in_the_request_is_decided_by_the_identity_side() -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
    assert decide(action="sts:AssumeRole", resource=target, identity_policies=[allow()]) == ALLOWED
    assert decide(action="sts:AssumeRole", resource=target) == IMPLICIT

# --- NotAction, NotResource, NotPrincipal ---------------------------------------------------------------


def test_not_action_allow_covers_every_other_action() -> None:
    doc = policy(statement("Allow", None, "*", NotAction="iam:*"))
    assert decide(identity_policies=[doc]) == ALLOWED
    assert decide(action="iam:CreateUser", resource="*", identity_policies=[doc]) == IMPLICIT


def test_not_action_deny_denies_every_other_action() -> None:
    doc = policy(statement("Deny", None, "*", NotAction=["s3:Get*"]))
    assert decide(identity_policies=[allow(), doc]) == ALLOWED
    assert decide(action="s3:PutObject", identity_policies=[allow(), doc]) == EXPLICIT


def test_not_resource_allow_excludes_listed_resources() -> None:
    doc = policy(statement("Allow", "s3:*", None, NotResource="arn:aws:s3:::amzn-s3-demo-bucket/*"))
    assert decide(identity_policies=[doc]) == IMPLICIT
    assert decide(resource="arn:aws:s3:::other/key", identity_policies=[doc]) == ALLOWED


def test_not_principal_deny_spares_listed_user_with_its_account() -> None:
    rp = policy(
        statement("Allow", "s3:*", "*", Principal="*"),
        statement("Deny", "s3:*", "*", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{ACCOUNT}:root"]}),
    )
    assert decide(resource_policy=rp) == ALLOWED
    assert decide(f"arn:aws:iam::{ACCOUNT}:user/bob", resource_policy=rp) == EXPLICIT


def test_not_principal_deny_spares_a_session_only_with_account_role_and_session_listed() -> None:
    # AWS checks the account, then the role, then the assumed-role session: all must be listed.
    root = f"arn:aws:iam::{ACCOUNT}:root"

    def with_not_principal(*listed: str) -> dict[str, object]:
        return policy(
            statement("Allow", "s3:*", "*", Principal="*"),
            statement("Deny", "s3:*", "*", NotPrincipal={"AWS": list(listed)}),
        )

    assert decide(SESSION, resource_policy=with_not_principal(ROLE, root)) == EXPLICIT
    assert decide(SESSION, resource_policy=with_not_principal(SESSION, root)) == EXPLICIT
    assert decide(SESSION, resource_policy=with_not_principal(SESSION, ROLE)) == EXPLICIT
    assert decide(SESSION, resource_policy=with_not_principal(SESSION, ROLE, root)) == ALLOWED


def test_not_principal_with_allow_is_not_supported() -> None:
    doc = policy(statement("Allow", "s3:*", "*", NotPrincipal={"AWS": USER}))
    with pytest.raises(InputError):
        parse_policy(doc)


# --- reuse ----------------------------------------------------------------------------------------------


def test_compiled_policy_set_is_reusable_across_requests() -> None:
    policies = PolicySet.compile([allow("s3:Get*", "arn:aws:s3:::amzn-s3-demo-bucket/*")])
    hits = [
        evaluate(AuthorizationRequest.create(USER, action, resource), policies).decision
        for action, resource in [
            ("s3:GetObject", OBJECT),
            ("s3:PutObject", OBJECT),
            ("s3:GetObject", "arn:aws:s3:::other/key"),
        ]
    ]
    assert hits == [Outcome.ALLOWED, Outcome.IMPLICIT_DENY, Outcome.IMPLICIT_DENY]


def test_allowed_decision_names_every_layer_that_allowed() -> None:
    result = authorize(
        SESSION,
        "s3:GetObject",
        OBJECT,
        identity_policies=[allow(sid="Id")],
        permissions_boundary=allow(sid="Pb"),
        session_policy=allow(sid="Sp"),
        scps=[[allow(sid="Scp")]],
    )
    assert {(m.layer, m.statement) for m in result.matched} == {
        ("identity", "Id"),
        ("permissions_boundary", "Pb"),
        ("session", "Sp"),
        ("scp", "Scp"),
    }


def test_caller_given_as_the_role_arn_is_limited_like_a_role_grant() -> None:
    assert decide(ROLE, resource_policy=grant({"AWS": ROLE})) == ALLOWED
    assert decide(ROLE, resource_policy=grant({"AWS": ROLE}), permissions_boundary=allow("ec2:*")) == IMPLICIT


def test_policy_set_swaps_resource_policy_and_decides() -> None:
    principal_side = PolicySet.compile([allow("sqs:*")], permissions_boundary=allow("sqs:*"))
    remote = "arn:aws:sqs:us-east-1:444455556666:q"
    assert principal_side.decide(USER, "sqs:SendMessage", remote).decision is Outcome.IMPLICIT_DENY
    granted = principal_side.with_resource_policy(grant({"AWS": USER}, "sqs:SendMessage", remote))
    assert granted.decide(USER, "sqs:SendMessage", remote).decision is Outcome.ALLOWED
    assert granted.with_resource_policy(None).decide(USER, "sqs:SendMessage", remote).decision is Outcome.IMPLICIT_DENY


def test_rcp_statement_without_principal_applies_to_everyone() -> None:
    assert decide(identity_policies=[allow()], rcps=[[deny("s3:GetObject")]]) == EXPLICIT


def test_rcps_do_not_stop_a_service_assuming_its_service_linked_role() -> None:
    slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
    trust = grant({"Service": "support.amazonaws.com"}, "sts:AssumeRole", "*")
    rcp = policy(statement("Deny", "sts:*", "*", Principal="*"))
    assert decide("support.amazonaws.com", "sts:AssumeRole", slr, resource_policy=trust, rcps=[[rcp]]) == ALLOWED
    other = f"arn:aws:iam::{ACCOUNT}:role/Deploy"
    assert decide("support.amazonaws.com", "sts:AssumeRole", other, resource_policy=trust, rcps=[[rcp]]) == EXPLICIT


def test_summary_names_outcome_request_and_statement() -> None:
    result = authorize(USER, "s3:GetObject", OBJECT, identity_policies=[deny("s3:*", sid="NoS3")])
    assert result.summary() == (
        f"ExplicitDeny: {USER} s3:GetObject on {OBJECT}: explicit Deny in identity "
        "(identity 'identity[0]' statement 'NoS3')"
    )


def test_literal_rcp_levels_must_each_allow_when_asked() -> None:
    rcps = [[rcp_allow("sqs:*")]]
    literal = PolicySet.compile([allow()], rcps=rcps, rcp_full_access=False)
    assert literal.decide(USER, "s3:GetObject", OBJECT).decision is Outcome.IMPLICIT_DENY
    assert literal.decide(USER, "s3:GetObject", OBJECT).layers == ("rcp",)
    assert PolicySet.compile([allow()], rcps=rcps).decide(USER, "s3:GetObject", OBJECT).allowed


def test_scps_do_not_apply_to_aws_service_principals() -> None:
    rp = grant({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject")
    assert decide("cloudtrail.amazonaws.com", "s3:PutObject", resource_policy=rp, scps=[[allow("ec2:*")]]) == ALLOWED


def test_unresolvable_variable_invalidates_a_not_resource_statement() -> None:
    # A role session has no aws:username: the statement is invalid, it neither allows nor denies.
    deny_elsewhere = policy(statement("Deny", "s3:*", None, NotResource="arn:aws:s3:::home/${aws:username}/*"))
    allow_elsewhere = policy(statement("Allow", "s3:*", None, NotResource="arn:aws:s3:::home/${aws:username}/*"))
    assert decide(SESSION, identity_policies=[allow(), deny_elsewhere]) == ALLOWED
    assert decide(SESSION, identity_policies=[allow_elsewhere]) == IMPLICIT
    assert decide(USER, identity_policies=[allow(), deny_elsewhere]) == EXPLICIT  # alice has a user name


def test_unresolvable_variable_in_a_deny_resource_matches_nothing() -> None:
    doc = policy(statement("Deny", "s3:*", "arn:aws:s3:::${aws:PrincipalTag/team}/*"))
    assert decide(identity_policies=[allow(), doc]) == ALLOWED
    assert decide(identity_policies=[allow(), doc], context={"aws:PrincipalTag/team": "amzn-s3-demo-bucket"}) == (
        EXPLICIT
    )
