"""How CloudFormation and Terraform plans spell IAM users, groups, memberships, policy attachments, instance
profiles and identity providers, including the shapes of the corpus (checkov's IAM policies, terragoat)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.harness_yaml import parse_definition
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.iam_user import LoginProfile
from tests.inputs.conftest import ROLE, cfn, named, only
from tests.inputs.tfplan import R, doc, plan, ref, role

UNVERIFIED = "not modelled; scenarios depending on it are unverified"
GITHUB = "token.actions.githubusercontent.com"


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def _not_modelled(definition: Definition) -> list[str]:
    return [n for n in definition.notes if "resource type not modelled" in n]


# -- CloudFormation ----------------------------------------------------------------------------------------------

PEOPLE = """
  Developers:
    Type: AWS::IAM::Group
    Properties:
      GroupName: developers
      Path: /teams/
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AWSCodeCommitPowerUser]
      Policies:
        - PolicyName: push
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: codecommit:GitPush, Resource: "*"}]
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "codecommit:*", Resource: "*"}]
      Users: [!Ref Alice]
      Groups: [!Ref Developers]
  Alice:
    Type: AWS::IAM::User
    Properties:
      UserName: alice
      Path: /people/
      Groups: [!Ref Developers, Admins]
      PermissionsBoundary: !Ref Boundary
      LoginProfile: {Password: "Sup3r-Secret!", PasswordResetRequired: true}
      Policies:
        - PolicyName: own
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: s3:ListAllMyBuckets, Resource: "*"}]
      Tags: [{Key: team, Value: app}]
  Bob:
    Type: AWS::IAM::User
  AddBob:
    Type: AWS::IAM::UserToGroupAddition
    Properties:
      GroupName: !Ref Developers
      Users: [!Ref Bob, carol]
  BobKey:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: !Ref Bob, Serial: 1}
  OldBobKey:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: !Ref Bob, Status: Inactive}
  Shared:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: shared
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
      Users: [!Ref Bob]
      Groups: [!Ref Developers]
Outputs:
  AliceArn: {Value: !GetAtt Alice.Arn}
  GroupArn: {Value: !GetAtt Developers.Arn}
"""


def test_cfn_users_groups_memberships_and_attachments() -> None:
    definition = cfn(PEOPLE)
    alice = named(definition, "users", "alice")
    assert (alice.path, alice.groups, alice.permissions_boundary) == ("/people/", ("developers",), "boundary")
    assert alice.login_profile == LoginProfile(password_reset_required=True)
    assert alice.managed_policies == ("boundary",)
    assert alice.policies["own"]["Statement"][0]["Action"] == "s3:ListAllMyBuckets"
    assert alice.tags == {"team": "app"}
    bob = named(definition, "users", "bob")
    assert (bob.groups, bob.access_keys, list(bob.policies)) == (("developers",), 1, ["shared"])
    group = named(definition, "groups", "developers")
    assert group.path == "/teams/"
    assert group.managed_policies == ("arn:aws:iam::aws:policy/AWSCodeCommitPowerUser", "boundary")
    assert sorted(group.policies) == ["push", "shared"]
    notes = definition.notes
    assert (
        f"Resources.Alice.Properties.Groups[1]: refers to 'Admins', which is outside the definition; {UNVERIFIED}"
        in notes
    )
    assert (
        f"Resources.AddBob.Properties.Users[1]: adds to the group 'carol', outside the definition; {UNVERIFIED}"
        in notes
    )
    assert "Resources.OldBobKey: an inactive access key grants nothing and is not deployed" in notes
    assert not _not_modelled(definition)
    assert not [n for n in notes if "IAM users and groups" in n]


def test_cfn_a_console_password_is_recorded_but_never_kept() -> None:
    definition = cfn(PEOPLE)
    assert "Sup3r-Secret!" not in repr(definition)
    assert not [n for n in definition.notes if "LoginProfile" in n]


def test_cfn_a_user_has_at_most_two_access_keys() -> None:
    keys = "".join(
        f"""
  Key{i}:
    Type: AWS::IAM::AccessKey
    Properties: {{UserName: !Ref Bob}}
"""
        for i in range(3)
    )
    with pytest.raises(InputError) as caught:
        cfn("  Bob:\n    Type: AWS::IAM::User\n" + keys)
    assert "expected at most 2 access keys per user, found key number 3 for 'bob'" in str(caught.value)


def test_cfn_instance_profile_refers_to_its_role() -> None:
    definition = cfn(
        ROLE
        + """
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      InstanceProfileName: runners
      Path: /ci/
      Roles: [!Ref BuildRole]
  Other:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [existing-role]
Outputs:
  ProfileArn: {Value: !GetAtt Profile.Arn}
"""
    )
    profile = named(definition, "instance_profiles", "profile")
    assert (profile.roles, profile.path) == (("build-role",), "/ci/")
    assert named(definition, "instance_profiles", "other").roles == ("existing-role",)
    assert definition.is_stand_in("roles.existing-role")
    assert (
        "Resources.Other.Properties.Roles[0]: 'existing-role' is not declared here; a role without policies, trusted "
        "by the pipeline services, stands in for it as roles.existing-role, and scenarios that depend on what the "
        "template does not say of it are unverified"
    ) in definition.notes


def test_cfn_an_instance_profile_holds_one_role() -> None:
    two = ROLE.replace("BuildRole", "OtherRole")
    with pytest.raises(InputError) as caught:
        cfn(ROLE + two + "  Profile:\n    Type: AWS::IAM::InstanceProfile\n"
            "    Properties: {Roles: [!Ref BuildRole, !Ref OtherRole]}\n")  # fmt: skip
    assert str(caught.value).startswith("t.yaml:")
    assert "expected at most one role (AWS's limit per instance profile)" in str(caught.value)


GITHUB_DEPLOY = """
  GithubOidc:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList: [sts.amazonaws.com]
      ThumbprintList: [6938fd4d98bab03faadb97b34396831e3780aea1]
      Tags: [{Key: team, Value: platform}]
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Federated: %s}
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringLike: {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}
"""


@pytest.mark.parametrize(
    "federated",
    [
        "!Ref GithubOidc",
        "!GetAtt GithubOidc.Arn",
        '!Sub "arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"',
        '!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com"',
    ],
)
def test_cfn_a_role_trusting_the_oidc_provider_refers_to_it(federated: str) -> None:
    definition = cfn(GITHUB_DEPLOY % federated)
    provider = only(definition, "oidc_providers")
    assert (provider.url, provider.client_ids, provider.tags) == (
        "https://token.actions.githubusercontent.com",
        ("sts.amazonaws.com",),
        {"team": "platform"},
    )
    statement = only(definition, "roles").trust_policy["Statement"][0]
    assert statement["Principal"] == {"Federated": "${oidc_providers.github-oidc.arn}"}
    assert [str(a) for a in definition.dependencies(only(definition, "roles"))] == ["oidc_providers.github-oidc"]


def test_cfn_a_provider_of_another_account_stays_spelled_out() -> None:
    definition = cfn(GITHUB_DEPLOY % "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com")
    statement = only(definition, "roles").trust_policy["Statement"][0]
    assert statement["Principal"]["Federated"].startswith("arn:aws:iam::210987654321:")


def test_cfn_saml_provider() -> None:
    metadata = "<EntityDescriptor>" + "x" * 1000 + "</EntityDescriptor>"
    definition = cfn(
        f"""
  Idp:
    Type: AWS::IAM::SAMLProvider
    Properties:
      Name: corp
      SamlMetadataDocument: "{metadata}"
  People:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {{Effect: Allow, Principal: {{Federated: !Ref Idp}}, Action: sts:AssumeRoleWithSAML}}
"""
    )
    assert only(definition, "saml_providers").metadata == metadata
    assert only(definition, "roles").trust_policy["Statement"][0]["Principal"] == {
        "Federated": "${saml_providers.idp.arn}"
    }


def test_cfn_an_oidc_provider_url_must_be_https() -> None:
    with pytest.raises(InputError) as caught:
        cfn("  P:\n    Type: AWS::IAM::OIDCProvider\n    Properties: {Url: token.actions.githubusercontent.com}\n")
    assert "expected an issuer URL starting with https://" in str(caught.value)


# -- Terraform ---------------------------------------------------------------------------------------------------


def test_tf_checkov_iam_policies_shape_user_and_group_named_alike() -> None:
    # The corpus plan names a user and a group 'example' and attaches inline policies to each by name.
    group = R("aws_iam_group", "fail_2", {"name": "example", "path": "/"}, unknown={"arn": True, "id": True})
    group_policy = R("aws_iam_group_policy", "fail_2",
                     {"group": "example", "name": "example", "name_prefix": None, "policy": doc("iam:*")})  # fmt: skip
    user = R("aws_iam_user", "fail_3",
             {"force_destroy": False, "name": "example", "path": "/", "permissions_boundary": None, "tags": None},
             unknown={"arn": True, "id": True, "tags_all": True, "unique_id": True})  # fmt: skip
    user_policy = R("aws_iam_user_policy", "fail_3",
                    {"name": "example", "name_prefix": None, "policy": doc("s3:*"), "user": "example"})  # fmt: skip
    definition = load(plan(group, group_policy, user, user_policy, version="1.0"))
    assert named(definition, "groups", "fail-2").policies["example"]["Statement"][0]["Action"] == "iam:*"
    assert named(definition, "users", "fail-3").policies["example"]["Statement"][0]["Action"] == "s3:*"
    assert not _not_modelled(definition)
    assert definition.notes == ()


def test_tf_terragoat_shape_names_holding_the_account_id() -> None:
    # Terragoat names its user and role '<account>-acme-corp-...' and refers to them by those names.
    account = "123456789123"
    ec2 = role("ec2role", values={"name": f"{account}-acme-corp-role",
                                  "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": [
                                      {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                       "Action": "sts:AssumeRole"}]})})  # fmt: skip
    user = R("aws_iam_user", "user", {"name": f"{account}-acme-corp-user", "path": "/", "force_destroy": True,
                                      "permissions_boundary": None, "tags": {"Name": f"{account}-acme-corp-user"}},
             unknown={"arn": True, "id": True, "unique_id": True})  # fmt: skip
    key = R("aws_iam_access_key", "user", {"pgp_key": None, "user": f"{account}-acme-corp-user"},
            unknown={"encrypted_secret": True, "id": True, "secret": True, "status": True})  # fmt: skip
    policy = R("aws_iam_user_policy", "userpolicy",
               {"name": "excess_policy", "policy": doc("ec2:*"), "user": f"{account}-acme-corp-user"})  # fmt: skip
    profile = R("aws_iam_instance_profile", "ec2profile",
                {"name": f"{account}-acme-corp-profile", "path": "/", "role": f"{account}-acme-corp-role"},
                unknown={"arn": True, "create_date": True, "id": True, "unique_id": True})  # fmt: skip
    data = plan(ec2, user, key, policy, profile, version="0.1")
    data["format_version"] = "1.0"  # the loader's reading of format 0.1 is not what this test is about
    definition = load(data)
    found = only(definition, "users")
    assert (found.access_keys, list(found.policies)) == (1, ["excess_policy"])
    assert only(definition, "instance_profiles").roles == ("ec2role",)
    assert not _not_modelled(definition)
    assert not [n for n in definition.notes if "outside the definition" in n]


def test_tf_memberships_attachments_login_profile_and_keys() -> None:
    boundary = R("aws_iam_policy", "boundary", {"name": "acme-boundary", "path": "/", "policy": doc("codecommit:*")},
                 unknown={"arn": True, "id": True})  # fmt: skip
    devs = R("aws_iam_group", "devs", {"name": "acme-devs", "path": "/teams/"}, unknown={"arn": True})
    ops = R("aws_iam_group", "ops", {"name": "acme-ops", "path": "/"}, unknown={"arn": True})
    to_boundary = ref("aws_iam_policy.boundary.arn", "aws_iam_policy.boundary")
    alice = R("aws_iam_user", "alice", {"name": "alice", "path": "/", "tags": {"team": "app"}},
              unknown={"arn": True, "permissions_boundary": True},
              expressions={"permissions_boundary": to_boundary})  # fmt: skip
    bob = R("aws_iam_user", "bob", {"name": "bob", "path": "/"}, unknown={"arn": True})
    memberships = R("aws_iam_user_group_membership", "alice", {"user": "alice", "groups": ["acme-devs", "outsiders"]})
    team = R("aws_iam_group_membership", "ops", {"name": "ops-team", "group": "acme-ops", "users": ["alice", "bob"]})
    login = R("aws_iam_user_login_profile", "alice",
              {"user": "alice", "password_reset_required": True, "pgp_key": "keybase:alice", "password_length": 20},
              unknown={"encrypted_password": True, "key_fingerprint": True})  # fmt: skip
    attach = R("aws_iam_user_policy_attachment", "alice", {"user": "alice"}, unknown={"policy_arn": True},
               expressions={"policy_arn": ref("aws_iam_policy.boundary.arn", "aws_iam_policy.boundary")})  # fmt: skip
    group_attach = R("aws_iam_group_policy_attachment", "devs",
                     {"group": "acme-devs", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})  # fmt: skip
    group_policy = R("aws_iam_group_policy", "devs", {"group": "acme-devs", "name": "push", "policy": doc("s3:*")})
    key = R("aws_iam_access_key", "bob", {"user": "bob", "status": "Active"}, unknown={"secret": True})
    carol = R("aws_iam_user", "carol", {"name": "carol", "path": "/"}, unknown={"arn": True})
    carol_joins = R("aws_iam_user_group_membership", "carol", {"user": "carol", "groups": ["acme-ops"]})
    definition = load(plan(boundary, devs, ops, alice, bob, memberships, team, login, attach, group_attach,
                           group_policy, key, carol, carol_joins))  # fmt: skip
    a = named(definition, "users", "alice")
    assert (a.groups, a.permissions_boundary, a.managed_policies) == (("devs", "ops"), "boundary", ("boundary",))
    assert a.login_profile == LoginProfile(password_reset_required=True)
    b = named(definition, "users", "bob")
    assert (b.groups, b.access_keys) == (("ops",), 1)
    d = named(definition, "groups", "devs")
    assert (d.path, d.managed_policies, list(d.policies)) == (
        "/teams/", ("arn:aws:iam::aws:policy/ReadOnlyAccess",), ["push"])  # fmt: skip
    notes = definition.notes
    outside = "refers to 'outsiders', which is outside the definition"
    assert f"aws_iam_user_group_membership.alice.groups[1]: {outside}; {UNVERIFIED}" in notes
    assert (
        "aws_iam_group_membership.ops: exclusive membership of group 'ops': at apply Terraform removes carol, put in "
        "the group by other resources; the model keeps them as members and scenarios depending on that are unverified"
    ) in notes
    assert named(definition, "users", "carol").groups == ("ops",)
    assert not _not_modelled(definition)
    assert "keybase:alice" not in repr(definition)


def test_tf_exclusive_policy_attachment_says_where_it_removes_attachments() -> None:
    shared = R("aws_iam_policy", "shared", {"name": "acme-shared", "path": "/", "policy": doc()}, unknown={"arn": True})
    devs = R("aws_iam_group", "devs", {"name": "acme-devs", "path": "/"}, unknown={"arn": True})
    exclusive = R("aws_iam_policy_attachment", "shared",
                  {"name": "shared", "users": [], "roles": ["acme-build"], "groups": ["acme-devs"]},
                  unknown={"policy_arn": True},
                  expressions={"policy_arn": ref("aws_iam_policy.shared.arn", "aws_iam_policy.shared")})  # fmt: skip
    also = R("aws_iam_role_policy_attachment", "deploy", {"role": "acme-deploy"}, unknown={"policy_arn": True},
             expressions={"policy_arn": ref("aws_iam_policy.shared.arn", "aws_iam_policy.shared")})  # fmt: skip
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    aws_managed = R("aws_iam_policy_attachment", "readonly",
                    {"name": "ro", "policy_arn": read_only, "groups": ["acme-devs"]})  # fmt: skip
    definition = load(plan(shared, devs, role(), role("deploy"), exclusive, also, aws_managed))
    assert named(definition, "roles", "build").managed_policies == ("shared",)
    assert named(definition, "roles", "deploy").managed_policies == ("shared",)
    assert named(definition, "groups", "devs").managed_policies == ("shared", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    notes = definition.notes
    assert (
        "aws_iam_policy_attachment.shared: exclusive attachment of policy 'shared': at apply Terraform detaches it "
        "from roles.deploy, attached by other resources; the model keeps those attachments and scenarios depending "
        "on them are unverified"
    ) in notes
    assert (
        "aws_iam_policy_attachment.readonly: exclusive attachment of arn:aws:iam::aws:policy/ReadOnlyAccess: at "
        "apply Terraform detaches it from every role, user and group of the account that this resource does not list"
    ) in notes


def test_tf_oidc_provider_and_a_role_trusting_it_by_its_spelled_arn() -> None:
    provider = R("aws_iam_openid_connect_provider", "github",
                 {"url": "https://token.actions.githubusercontent.com", "client_id_list": ["sts.amazonaws.com"],
                  "thumbprint_list": ["6938fd4d98bab03faadb97b34396831e3780aea1"], "tags": None},
                 unknown={"arn": True, "id": True})  # fmt: skip
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{GITHUB}"},
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}}]}  # fmt: skip
    deploy = role("deploy", values={"assume_role_policy": json.dumps(trust)})
    definition = load(plan(provider, deploy, data=[{
        "address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity", "name": "me",
        "values": {"account_id": "111122223333"}}]))  # fmt: skip
    found = only(definition, "oidc_providers")
    assert (found.url, found.client_ids, found.thumbprints) == (
        "https://token.actions.githubusercontent.com",
        ("sts.amazonaws.com",),
        ("6938fd4d98bab03faadb97b34396831e3780aea1",),
    )
    statement = only(definition, "roles").trust_policy["Statement"][0]
    assert statement["Principal"] == {"Federated": "${oidc_providers.github.arn}"}


def test_tf_a_trust_policy_built_at_apply_from_the_provider_is_unknown_with_the_reason() -> None:
    provider = R("aws_iam_openid_connect_provider", "github",
                 {"url": "https://token.actions.githubusercontent.com", "client_id_list": ["sts.amazonaws.com"]},
                 unknown={"arn": True})  # fmt: skip
    deploy = R("aws_iam_role", "deploy", {"name": "deploy", "path": "/"},
               unknown={"arn": True, "assume_role_policy": True},
               expressions={"assume_role_policy": ref("aws_iam_openid_connect_provider.github.arn",
                                                      "aws_iam_openid_connect_provider.github")})  # fmt: skip
    definition = load(plan(provider, deploy))
    unknowns = definition.unknowns_of("roles.deploy", frozenset({"trust_policy"}))
    assert [u.reason for u in unknowns] == [
        "aws_iam_role.deploy.assume_role_policy is known only after apply (built from "
        "aws_iam_openid_connect_provider.github)"
    ]


def test_tf_saml_provider() -> None:
    metadata = "<EntityDescriptor>" + "x" * 1000 + "</EntityDescriptor>"
    saml = R("aws_iam_saml_provider", "corp", {"name": "corp", "saml_metadata_document": metadata, "tags": None},
             unknown={"arn": True, "valid_until": True})  # fmt: skip
    definition = load(plan(saml))
    assert only(definition, "saml_providers").metadata == metadata
    assert definition.notes == ()


# -- harness YAML ------------------------------------------------------------------------------------------------


def _yaml(body: str) -> Definition:
    return parse_definition(f"pipewarden: 1\nname: t\nresources:\n{body}", "people.yaml")


def test_yaml_people_and_their_validation() -> None:
    definition = _yaml(
        "  groups:\n    devs: {path: /teams/}\n"
        "  users:\n    alice: {groups: [devs], login_profile: {}, access_keys: 2}\n"
    )
    assert named(definition, "users", "alice").login_profile == LoginProfile()
    with pytest.raises(InputError) as caught:
        _yaml("  users:\n    alice: {access_keys: 3}\n")
    assert "expected at most 2 access keys (AWS's limit per user), found 3" in str(caught.value)
    with pytest.raises(InputError) as caught:
        _yaml("  users:\n    alice: {groups: [devs]}\n")
    assert "expected the name of a resource under 'groups', found 'devs', which is not declared" in str(caught.value)
    with pytest.raises(InputError) as caught:
        _yaml("  groups:\n    devs: {path: teams}\n")
    assert "expected a path that starts and ends with '/', found 'teams'" in str(caught.value)
