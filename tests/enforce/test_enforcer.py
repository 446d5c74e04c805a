"""Enforcement on real boto3 calls: AWS's error per protocol when denied, the backend's answer when allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend, CallEvent, Identity
from harness.enforce import CallDecision, Enforcer
from harness.errors import Unverified
from tests.enforce.conftest import ACCOUNT, ALLOW_ALL, RoleMaker

# CodeCommit is answered by the harness's source model (bound to enforcement per deployment); its denial is
# checked without a client below.
FAMILIES: list[tuple[str, str, dict[str, Any], str]] = [
    ("iam", "ListRoles", {}, "AccessDenied"),
    ("sts", "GetSessionToken", {}, "AccessDenied"),
    ("s3", "ListBuckets", {}, "AccessDenied"),
    ("kms", "ListKeys", {}, "AccessDeniedException"),
    ("logs", "DescribeLogGroups", {}, "AccessDeniedException"),
    ("cloudwatch", "ListMetrics", {}, "AccessDenied"),
    ("cloudtrail", "DescribeTrails", {}, "AccessDeniedException"),
    ("codebuild", "ListProjects", {}, "AccessDeniedException"),
    ("codepipeline", "ListPipelines", {}, "AccessDeniedException"),
    ("ec2", "DescribeVpcs", {}, "UnauthorizedOperation"),
    ("sns", "ListTopics", {}, "AccessDenied"),
    ("sqs", "ListQueues", {}, "AccessDenied"),
    ("events", "ListRules", {}, "AccessDeniedException"),
    ("secretsmanager", "ListSecrets", {}, "AccessDeniedException"),
    ("ssm", "DescribeParameters", {}, "AccessDeniedException"),
]


def call(backend: Backend, identity: Identity, service: str, operation: str, **params: Any) -> Any:
    from botocore import xform_name

    return getattr(backend.client(service, identity), xform_name(operation))(**params)


@pytest.mark.parametrize(("service", "operation", "params", "code"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_denied_call_raises_the_services_access_denied_error(
    backend: Backend, role_session: RoleMaker, service: str, operation: str, params: dict[str, Any], code: str
) -> None:
    nobody = role_session("nobody")
    with pytest.raises(ClientError) as caught:
        call(backend, nobody, service, operation, **params)
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    action = f"{service}:{operation}" if service != "s3" else "s3:ListAllMyBuckets"
    assert (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/nobody/test-session is not authorized to perform: "
        in error["Message"]
    )
    assert "because no identity-based policy allows the" in error["Message"]
    assert action.split(":")[0] in error["Message"]


@pytest.mark.parametrize(("service", "operation", "params", "code"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_allowed_call_reaches_the_backend(
    backend: Backend,
    enforcer: Enforcer,
    role_session: RoleMaker,
    service: str,
    operation: str,
    params: dict[str, Any],
    code: str,
) -> None:
    admin = role_session("admin", ALLOW_ALL)
    seen: list[CallEvent] = []

    class Spy:
        def after_call(self, event: CallEvent) -> None:
            seen.append(event)

    backend.add_observer(Spy())
    response = call(backend, admin, service, operation, **params)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert seen and seen[-1].response is not None and seen[-1].identity == admin
    decision = enforcer.decision_for(seen[-1])
    assert decision is not None and decision.allowed and decision.operation == operation


def test_s3_object_calls_are_scoped_to_the_object_arn(backend: Backend, role_session: RoleMaker) -> None:
    s3 = backend.client("s3")
    s3.create_bucket(Bucket="pw-one")
    s3.put_object(Bucket="pw-one", Key="a/k", Body=b"x")
    reader = role_session(
        "reader",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pw-one/a/*"}],
        },
    )
    assert call(backend, reader, "s3", "GetObject", Bucket="pw-one", Key="a/k")["Body"].read() == b"x"
    assert call(backend, reader, "s3", "HeadObject", Bucket="pw-one", Key="a/k")["ContentLength"] == 1
    with pytest.raises(ClientError) as caught:
        call(backend, reader, "s3", "ListObjectsV2", Bucket="pw-one")
    assert caught.value.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/test-session is not authorized to perform: "
        's3:ListBucket on resource: "arn:aws:s3:::pw-one" '
        "because no identity-based policy allows the s3:ListBucket action"
    )


def test_explicit_deny_in_identity_policy_is_named(backend: Backend, role_session: RoleMaker) -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}
    who = role_session("denied", ALLOW_ALL, deny)
    with pytest.raises(ClientError) as caught:
        call(backend, who, "iam", "CreateUser", UserName="x")
    assert caught.value.response["Error"]["Message"].endswith(
        f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/x with an explicit deny in an identity-based policy"
    )


def test_bucket_policy_explicit_deny_is_a_resource_based_deny(
    backend: Backend, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    s3 = backend.client("s3")
    s3.create_bucket(Bucket="pw-locked")
    s3.put_bucket_policy(
        Bucket="pw-locked",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::pw-locked/*",
                     "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "release"}}}
                ],
            }
        ),
    )  # fmt: skip
    who = role_session("writer", ALLOW_ALL, tags={"team": "dev"})
    with pytest.raises(ClientError) as caught:
        call(backend, who, "s3", "PutObject", Bucket="pw-locked", Key="k", Body=b"x")
    assert caught.value.response["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")
    release = role_session("releaser", ALLOW_ALL, tags={"team": "dev"}, session_tags={"team": "release"})
    # The session tag overrides the role's tag. (Decided without the call: moto applies a bucket policy's Deny
    # to object writes itself, ignoring its conditions.)
    assert enforcer.authorize_call(
        release, "s3", "PutObject", {"Bucket": "pw-locked", "Key": "k", "Body": b"x"}
    ).allowed


def test_permissions_boundary_limits(backend: Backend, role_session: RoleMaker) -> None:
    only_s3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    bounded = role_session("bounded", ALLOW_ALL, boundary=only_s3)
    call(backend, bounded, "s3", "ListBuckets")
    with pytest.raises(ClientError) as caught:
        call(backend, bounded, "iam", "CreateUser", UserName="x")
    assert caught.value.response["Error"]["Message"].endswith(
        "because no permissions boundary allows the iam:CreateUser action"
    )


def test_session_policy_limits(backend: Backend, role_session: RoleMaker) -> None:
    only_list = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
    }
    session = role_session("scoped", ALLOW_ALL, session_policy=only_list)
    call(backend, session, "s3", "ListBuckets")
    with pytest.raises(ClientError) as caught:
        call(backend, session, "kms", "ListKeys")
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert caught.value.response["Error"]["Message"].endswith(
        "because no session policy allows the kms:ListKeys action"
    )


def test_kms_key_policy_must_allow(backend: Backend, role_session: RoleMaker) -> None:
    kms = backend.client("kms")
    closed = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = kms.create_key(Policy=json.dumps(closed))["KeyMetadata"]["Arn"]
    open_key = kms.create_key()["KeyMetadata"]["Arn"]  # default policy: the account delegates to IAM
    who = role_session("keyuser", ALLOW_ALL)
    call(backend, who, "kms", "DescribeKey", KeyId=open_key)
    with pytest.raises(ClientError) as caught:
        call(backend, who, "kms", "DescribeKey", KeyId=key)
    assert caught.value.response["Error"]["Message"].endswith(
        "because no resource-based policy allows the kms:DescribeKey action"
    )


def test_pass_role_is_checked_with_passed_to_service(backend: Backend, role_session: RoleMaker) -> None:
    iam = backend.client("iam")
    build = iam.create_role(RoleName="pw-build", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    other = iam.create_role(RoleName="pw-other", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "codebuild:CreateProject", "Resource": "*"},
            {"Sid": "PassBuild", "Effect": "Allow", "Action": "iam:PassRole", "Resource": build,
             "Condition": {"StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}}},
        ],
    }  # fmt: skip
    deployer = role_session("deployer", policy)
    project = {
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
    }
    with pytest.raises(ClientError) as caught:
        call(backend, deployer, "codebuild", "CreateProject", name="p2", serviceRole=other, **project)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {other}" in caught.value.response["Error"]["Message"]
    try:
        call(backend, deployer, "codebuild", "CreateProject", name="p1", serviceRole=build, **project)
    except ClientError as exc:  # moto may refuse the project itself; authorization must not
        assert not exc.response["Error"]["Message"].startswith("User:")


def test_policy_changes_through_the_harness_are_seen_by_the_next_call(
    backend: Backend, role_session: RoleMaker
) -> None:
    who = role_session("grows")
    with pytest.raises(ClientError):
        call(backend, who, "s3", "ListBuckets")
    backend.client("iam").put_role_policy(RoleName="grows", PolicyName="more", PolicyDocument=json.dumps(ALLOW_ALL))
    call(backend, who, "s3", "ListBuckets")


def test_admin_is_never_enforced(backend: Backend, enforcer: Enforcer) -> None:
    backend.client("iam").create_user(UserName="made-by-harness")
    assert enforcer.decisions == []


def test_unmapped_operation_is_unverified(backend: Backend, role_session: RoleMaker) -> None:
    who = role_session("any", ALLOW_ALL)
    with pytest.raises(Unverified, match="no authorization mapping for s3:GetBucketAnalyticsConfiguration"):
        call(backend, who, "s3", "GetBucketAnalyticsConfiguration", Bucket="b", Id="x")


def test_get_caller_identity_names_the_session(backend: Backend, role_session: RoleMaker) -> None:
    who = role_session("me")
    found = call(backend, who, "sts", "GetCallerIdentity")
    assert found["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/me/test-session"
    assert found["UserId"] == who.principal_id


def test_every_decision_is_kept_with_its_explanation(
    backend: Backend, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    who = role_session("explained", ALLOW_ALL)
    call(backend, who, "s3", "ListBuckets")
    last: CallDecision = enforcer.decisions[-1]
    assert last.allowed and last.accesses[0].decision.matched[0].statement == "Everything"
    kept = enforcer.evidence.calls() if enforcer.evidence else []
    data = [s.data.get("authorization") for s in (enforcer.evidence.steps if enforcer.evidence else [])]
    entry = [e for entries in data if entries for e in entries][-1]
    assert entry["call"] == "s3:ListBuckets" and entry["allowed"] is True
    assert entry["accesses"][0]["matched"][0]["statement"] == "Everything"
    assert any("inline policy 'p0'" in text for text in entry["accesses"][0]["sources"].values())
    assert kept == []  # the enforcer keeps decisions; calls are recorded by the evidence observer


def test_authorize_call_without_a_client(enforcer: Enforcer, role_session: RoleMaker) -> None:
    who = role_session("gateway-caller")
    decision = enforcer.authorize_call(
        who, "logs", "PutLogEvents", {"logGroupName": "/g", "logStreamName": "s", "logEvents": []}
    )
    assert not decision.allowed and decision.error is not None
    assert decision.error.code == "AccessDeniedException" and decision.error.http_status == 403
    assert (
        f"logs:PutLogEvents on resource: arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/g:log-stream:s"
        in decision.error.message
    )


def test_observers_find_the_decision_of_a_denied_call(
    backend: Backend, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    nobody = role_session("watched")
    found: list[tuple[CallEvent, CallDecision | None]] = []

    class Recorder:
        def after_call(self, event: CallEvent) -> None:
            found.append((event, enforcer.decision_for(event)))

    recorder = Recorder()
    backend.add_observer(recorder)
    try:
        with pytest.raises(ClientError):
            call(backend, nobody, "iam", "CreateUser", UserName="x")
    finally:
        backend.remove_observer(recorder)
    event, decision = found[-1]
    assert event.error_code == "AccessDenied" and event.params == {"UserName": "x"}
    assert decision is not None and not decision.allowed and decision.error is not None
    assert decision.error.message == event.error_message
    assert decision.denied_by is not None and decision.denied_by.access.action == "iam:CreateUser"
    assert enforcer.decision_for(CallEvent(nobody, "iam", "CreateUser", {"UserName": "x"})) is None  # another call


def test_scps_are_applied_when_modelled(backend: Backend, role_session: RoleMaker) -> None:
    deny_iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    org = Enforcer(backend, scps=[[allow_all], [allow_all, deny_iam]]).attach()
    try:
        who = role_session("in-org", ALLOW_ALL)
        with pytest.raises(ClientError) as caught:
            call(backend, who, "iam", "ListRoles")
        assert caught.value.response["Error"]["Message"].endswith("with an explicit deny in a service control policy")
    finally:
        org.detach()


def test_codecommit_denial_shape(enforcer: Enforcer, role_session: RoleMaker) -> None:
    nobody = role_session("no-source")
    decision = enforcer.authorize_call(
        nobody, "codecommit", "GitPush", {"repositoryName": "r", "references": ["refs/heads/main"]}
    )
    assert decision.error is not None and decision.error.code == "AccessDeniedException"
    assert decision.error.message.endswith(
        f"codecommit:GitPush on resource: arn:aws:codecommit:us-east-1:{ACCOUNT}:r "
        "because no identity-based policy allows the codecommit:GitPush action"
    )


def test_source_ip_only_for_calls_from_an_address(enforcer: Enforcer, role_session: RoleMaker) -> None:
    only_local = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}
        ],
    }  # fmt: skip
    local = role_session("local", only_local)
    assert enforcer.authorize_call(local, "s3", "ListBuckets", {}).allowed
    from dataclasses import replace

    via_service = replace(local, source_ip="codebuild.amazonaws.com")
    decision = enforcer.authorize_call(via_service, "s3", "ListBuckets", {})
    assert not decision.allowed
    assert "aws:sourceip" not in decision.accesses[0].decision.request.context
