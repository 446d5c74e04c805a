"""Role sessions issued the way STS issues them: trust policy, ExternalId, service principals, tags, users."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.enforce import AssumeRoleDenied, Enforcer, Principals, SessionRequest
from harness.errors import InputError
from tests.enforce.conftest import ACCOUNT, ALLOW_ALL


def make_role(backend: Backend, name: str, trust: dict[str, Any], *policies: dict[str, Any]) -> str:
    iam = backend.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for index, policy in enumerate(policies):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(policy))
    return str(arn)


def trust(
    principal: dict[str, Any], condition: dict[str, Any] | None = None, actions: Any = "sts:AssumeRole"
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": actions}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_a_session_looks_like_an_sts_session(backend: Backend, principals: Principals) -> None:
    arn = make_role(backend, "pw-build", trust({"Service": "codebuild.amazonaws.com"}))
    session = principals.assume_role(
        principals.service("codebuild.amazonaws.com"), SessionRequest(arn, "AWSCodeBuild-1")
    )
    role_id = backend.client("iam").get_role(RoleName="pw-build")["Role"]["RoleId"]
    assert session.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/pw-build/AWSCodeBuild-1"
    assert session.kind == "AssumedRole"
    assert session.principal_id == f"{role_id}:AWSCodeBuild-1" and role_id.startswith("AROA")
    assert session.credentials.access_key_id.startswith("ASIA") and session.credentials.session_token
    assert session.attribute("session_issuer_arn") == arn
    assert session.attribute("invoked_by") == "codebuild.amazonaws.com"
    again = principals.assume_role(principals.service("codebuild.amazonaws.com"), SessionRequest(arn, "AWSCodeBuild-1"))
    assert again.credentials.access_key_id != session.credentials.access_key_id


def test_only_the_trusted_service_may_assume(backend: Backend, principals: Principals) -> None:
    arn = make_role(backend, "pw-build", trust({"Service": "codebuild.amazonaws.com"}))
    with pytest.raises(AssumeRoleDenied) as caught:
        principals.assume_role(principals.service("codepipeline.amazonaws.com"), SessionRequest(arn, "s1"))
    assert str(caught.value) == (
        "AccessDenied: User: codepipeline.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
        f"{arn} because no resource-based policy allows the sts:AssumeRole action"
    )
    with pytest.raises(AssumeRoleDenied):
        principals.assume_role(backend.admin, SessionRequest(arn, "s1"))


def test_external_id_is_required_and_checked(backend: Backend, principals: Principals) -> None:
    arn = make_role(
        backend,
        "pw-deploy",
        trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"StringEquals": {"sts:ExternalId": "tenant-42"}}),
    )
    with pytest.raises(AssumeRoleDenied):
        principals.assume_role(backend.admin, SessionRequest(arn, "s1"))
    with pytest.raises(AssumeRoleDenied):
        principals.assume_role(backend.admin, SessionRequest(arn, "s1", external_id="tenant-41"))
    assert principals.assume_role(backend.admin, SessionRequest(arn, "s1", external_id="tenant-42")).arn.endswith("/s1")


def test_a_role_session_needs_its_own_permission_when_trust_names_only_the_account(
    backend: Backend, principals: Principals
) -> None:
    target = make_role(backend, "pw-target", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    may = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]}
    account_trust = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    with_permission = principals.assume_role(
        backend.admin, SessionRequest(make_role(backend, "pw-a", account_trust, may), "s-a")
    )
    without = principals.assume_role(backend.admin, SessionRequest(make_role(backend, "pw-b", account_trust), "s-b"))
    assert principals.assume_role(with_permission, SessionRequest(target, "chained")).arn.endswith("pw-target/chained")
    with pytest.raises(AssumeRoleDenied, match="because no identity-based policy allows the sts:AssumeRole action"):
        principals.assume_role(without, SessionRequest(target, "chained"))


def test_a_trust_policy_naming_another_principal_denies(backend: Backend, principals: Principals) -> None:
    arn = make_role(backend, "pw-x", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone"}))
    with pytest.raises(AssumeRoleDenied):
        principals.assume_role(backend.admin, SessionRequest(arn, "arn-s"))


def test_session_tags_need_tag_session_and_become_principal_tags(
    backend: Backend, enforcer: Enforcer, principals: Principals
) -> None:
    only_assume = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    by_tag = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/stage": "prod"}}}
        ],
    }  # fmt: skip
    arn = make_role(backend, "pw-tagged", only_assume, by_tag)
    with pytest.raises(AssumeRoleDenied, match="sts:TagSession"):
        principals.assume_role(backend.admin, SessionRequest(arn, "arn-s", tags={"stage": "prod"}))
    backend.client("iam").update_assume_role_policy(
        RoleName="pw-tagged",
        PolicyDocument=json.dumps(
            trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, actions=["sts:AssumeRole", "sts:TagSession"])
        ),
    )
    enforcer.invalidate()
    tagged = principals.assume_role(backend.admin, SessionRequest(arn, "arn-s", tags={"stage": "prod"}))
    untagged = principals.assume_role(backend.admin, SessionRequest(arn, "arn-t"))
    backend.client("s3", tagged).list_buckets()
    with pytest.raises(ClientError):
        backend.client("s3", untagged).list_buckets()


def test_session_policy_is_carried_by_the_identity(backend: Backend, principals: Principals) -> None:
    arn = make_role(backend, "pw-wide", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), ALLOW_ALL)
    narrow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    }
    session = principals.assume_role(backend.admin, SessionRequest(arn, "arn-s", policy=narrow))
    assert json.loads(session.attribute("session_policy")) == narrow
    backend.client("s3", session).list_buckets()
    with pytest.raises(ClientError):
        backend.client("iam", session).list_roles()


def test_users_sign_with_their_own_keys(backend: Backend, principals: Principals) -> None:
    iam = backend.client("iam")
    iam.create_user(UserName="pw-dev")
    iam.put_user_policy(UserName="pw-dev", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    ))  # fmt: skip
    dev = principals.user("pw-dev")
    assert dev.kind == "IAMUser" and dev.arn == f"arn:aws:iam::{ACCOUNT}:user/pw-dev"
    assert dev.principal_id == iam.get_user(UserName="pw-dev")["User"]["UserId"]
    assert dev.credentials.access_key_id.startswith("AKIA")
    backend.client("s3", dev).list_buckets()
    with pytest.raises(ClientError) as caught:
        backend.client("iam", dev).create_user(UserName="x")
    assert caught.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:iam::{ACCOUNT}:user/pw-dev is not authorized"
    )


def test_bad_session_names_are_refused() -> None:
    with pytest.raises(InputError, match="role session name"):
        SessionRequest(f"arn:aws:iam::{ACCOUNT}:role/r", "has space")


def test_sts_assume_role_calls_are_answered_with_a_known_session(
    backend: Backend, enforcer: Enforcer, principals: Principals
) -> None:
    target = make_role(backend, "pw-next", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/pw-first"}), ALLOW_ALL)
    may = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    first_arn = make_role(backend, "pw-first", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), may)
    other_arn = make_role(backend, "pw-other", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), may)
    first = principals.assume_role(backend.admin, SessionRequest(first_arn, "first"))
    answer = backend.client("sts", first).assume_role(RoleArn=target, RoleSessionName="chained")
    key = answer["Credentials"]["AccessKeyId"]
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/pw-next/chained"
    chained = enforcer.identity_for_key(key)
    assert chained is not None and chained.arn == answer["AssumedRoleUser"]["Arn"]
    backend.client("iam", chained).list_roles()  # the chained session carries pw-next's permissions
    other = principals.assume_role(backend.admin, SessionRequest(other_arn, "other"))
    with pytest.raises(ClientError) as caught:
        backend.client("sts", other).assume_role(RoleArn=target, RoleSessionName="chained")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["Error"]["Message"].endswith(
        "because no resource-based policy allows the sts:AssumeRole action"
    )
    decision = enforcer.authorize_call(other, "sts", "AssumeRole", {"RoleArn": target, "RoleSessionName": "x1"})
    assert not decision.allowed  # the gateway's direct path reads the trust policy too


PROJECT = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/app"
OTHER_PROJECT = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/other"


def test_a_trust_on_the_source_account_admits_the_service_acting_for_the_account(
    backend: Backend, principals: Principals
) -> None:
    mine = make_role(
        backend,
        "pw-build",
        trust({"Service": "codebuild.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    )
    theirs = make_role(
        backend,
        "pw-theirs",
        trust({"Service": "codebuild.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": "210987654321"}}),
    )
    codebuild = principals.service("codebuild.amazonaws.com", source_arn=PROJECT)

    assert principals.assume_role(codebuild, SessionRequest(mine, "AWSCodeBuild-1")).arn.endswith("/AWSCodeBuild-1")
    assert principals.assume_role(
        principals.service("codebuild.amazonaws.com"), SessionRequest(mine, "AWSCodeBuild-2")
    ).arn.endswith("/AWSCodeBuild-2")
    with pytest.raises(AssumeRoleDenied) as caught:
        principals.assume_role(codebuild, SessionRequest(theirs, "AWSCodeBuild-3"))
    assert str(caught.value) == (
        "AccessDenied: User: codebuild.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
        f"{theirs} because no resource-based policy allows the sts:AssumeRole action"
    )


def test_a_trust_on_the_source_arn_admits_only_that_projects_builds(backend: Backend, principals: Principals) -> None:
    arn = make_role(
        backend,
        "pw-build",
        trust(
            {"Service": "codebuild.amazonaws.com"},
            {"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/app"}},
        ),
    )

    session = principals.assume_role(
        principals.service("codebuild.amazonaws.com", source_arn=PROJECT), SessionRequest(arn, "AWSCodeBuild-1")
    )
    assert session.attribute("invoked_by") == "codebuild.amazonaws.com"
    with pytest.raises(AssumeRoleDenied) as caught:
        principals.assume_role(
            principals.service("codebuild.amazonaws.com", source_arn=OTHER_PROJECT), SessionRequest(arn, "s2")
        )
    assert caught.value.decision.decision.value == "ImplicitDeny"
    with pytest.raises(AssumeRoleDenied):  # acting for no resource in particular: no aws:SourceArn to match
        principals.assume_role(principals.service("codebuild.amazonaws.com"), SessionRequest(arn, "s3"))


def test_a_service_assumes_over_tls_as_itself(backend: Backend, principals: Principals) -> None:
    condition = {
        "Bool": {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "true"},
        "StringEquals": {"aws:PrincipalServiceName": "codepipeline.amazonaws.com"},
    }
    arn = make_role(backend, "pw-pipeline", trust({"Service": "codepipeline.amazonaws.com"}, condition))
    pipeline = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:release"

    session = principals.assume_role(
        principals.service("codepipeline.amazonaws.com", source_arn=pipeline), SessionRequest(arn, "s1")
    )

    assert session.attribute("session_issuer_arn") == arn
    (decision,) = [d for d in principals.enforcer.decisions if d.operation == "AssumeRole"]
    context = decision.accesses[0].decision.request.context
    assert {k: context[k] for k in ("aws:sourcearn", "aws:sourceaccount", "aws:securetransport")} == {
        "aws:sourcearn": pipeline,
        "aws:sourceaccount": ACCOUNT,
        "aws:securetransport": "true",
    }
    assert "aws:sourceorgid" not in context and "aws:sourceip" not in context


def test_the_source_organization_is_sent_when_the_account_is_in_one(backend: Backend) -> None:
    enforcer = Enforcer(backend, organization_id="o-a1b2c3d4e5").attach()
    try:
        principals = Principals(enforcer)
        condition = {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}
        arn = make_role(backend, "pw-rule", trust({"Service": "events.amazonaws.com"}, condition))
        rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/deploy"
        events = principals.service("events.amazonaws.com", source_arn=rule)

        assert principals.assume_role(events, SessionRequest(arn, "s1")).arn.endswith("/s1")
        outside = Principals(Enforcer(backend))
        with pytest.raises(AssumeRoleDenied):
            outside.assume_role(outside.service("events.amazonaws.com", source_arn=rule), SessionRequest(arn, "s2"))
    finally:
        enforcer.detach()
