"""What AWS accepts and the emulator used to refuse: managed policies, Version-less policies, CodePipeline's trust
check as IAM reads a trust policy, CodeBuild's legacy enumeration spellings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.backends.moto_accepts import aws_managed_policy_document, codebuild_value, trusts_service

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
BUILD_ADMIN = "arn:aws:iam::aws:policy/AWSCodeBuildAdminAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_CODEPIPELINE = {
    "Effect": "Allow",
    "Principal": {"Service": "codepipeline.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


def _role(backend: Backend, name: str, trust: Any) -> str:
    iam = backend.client("iam")
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


# -- AWS managed policies -----------------------------------------------------------------------------------------


def test_an_aws_managed_policy_attaches_and_reads_back_with_its_real_document(backend: Backend) -> None:
    iam = backend.client("iam")
    _role(backend, "deployer", {"Version": "2012-10-17", "Statement": [TRUST_CODEPIPELINE]})

    iam.attach_role_policy(RoleName="deployer", PolicyArn=LAMBDA_BASIC)

    attached = iam.list_attached_role_policies(RoleName="deployer")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_BASIC}]
    policy = iam.get_policy(PolicyArn=LAMBDA_BASIC)["Policy"]
    version = iam.get_policy_version(PolicyArn=LAMBDA_BASIC, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    actions = {a for s in version["Document"]["Statement"] for a in s["Action"]}
    assert actions == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert version["Document"] == aws_managed_policy_document(LAMBDA_BASIC)


def test_a_managed_policy_exists_only_once_named(backend: Backend) -> None:
    iam = backend.client("iam")

    listed = iam.list_policies(Scope="AWS")["Policies"]
    iam.get_policy(PolicyArn=ADMIN)

    # Nothing is loaded ahead of use, so a reset stays cheap; once named, the policy is in the account.
    assert listed == []
    assert [p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]] == [ADMIN]


def test_a_managed_policy_serves_as_a_permissions_boundary(backend: Backend) -> None:
    iam = backend.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [TRUST_CODEPIPELINE]}

    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps(trust), PermissionsBoundary=BUILD_ADMIN)

    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BUILD_ADMIN


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam::aws:policy/AdministratorAcess", "arn:aws:iam::aws:policy/service-role/AdministratorAccess"],
)
def test_a_managed_policy_aws_does_not_have_is_refused_by_name(backend: Backend, arn: str) -> None:
    iam = backend.client("iam")
    _role(backend, "deployer", {"Version": "2012-10-17", "Statement": [TRUST_CODEPIPELINE]})

    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(RoleName="deployer", PolicyArn=arn)

    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    assert caught.value.response["Error"]["Message"] == f"Policy {arn} does not exist or is not attachable."
    assert aws_managed_policy_document(arn) is None


# -- Version ------------------------------------------------------------------------------------------------------

VERSIONLESS = {
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}"}]
}


@pytest.mark.parametrize("version", [None, "2008-10-17"], ids=["no Version", "2008-10-17"])
def test_a_policy_without_version_2012_is_accepted_and_kept_as_written(backend: Backend, version: str | None) -> None:
    iam = backend.client("iam")
    document = dict(VERSIONLESS, **({"Version": version} if version else {}))
    _role(backend, "builder", {"Statement": TRUST_CODEPIPELINE})

    iam.put_role_policy(RoleName="builder", PolicyName="read", PolicyDocument=json.dumps(document))
    managed = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(document))["Policy"]

    assert iam.get_role_policy(RoleName="builder", PolicyName="read")["PolicyDocument"] == document
    stored = iam.get_policy_version(PolicyArn=managed["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert stored == document


def test_an_unknown_version_is_still_refused(backend: Backend) -> None:
    iam = backend.client("iam")
    _role(backend, "builder", {"Statement": TRUST_CODEPIPELINE})

    with pytest.raises(ClientError) as caught:
        iam.put_role_policy(
            RoleName="builder", PolicyName="read", PolicyDocument=json.dumps(dict(VERSIONLESS, Version="2020-01-01"))
        )

    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"


# -- CodePipeline's trust check -----------------------------------------------------------------------------------


def _stages(role_arn: str) -> dict[str, Any]:
    source = {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": "bucket", "S3ObjectKey": "k"},
        "outputArtifacts": [{"name": "src"}],
    }
    approve = {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
    }
    return {
        "name": "release",
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": "bucket"},
        "stages": [{"name": "Source", "actions": [source]}, {"name": "Approve", "actions": [approve]}],
    }


@pytest.mark.parametrize(
    "trust",
    [
        {"Version": "2012-10-17", "Statement": TRUST_CODEPIPELINE},
        {
            "Version": "2012-10-17",
            "Statement": [dict(TRUST_CODEPIPELINE, Principal={"Service": ["codepipeline.amazonaws.com"]})],
        },
        {"Statement": [dict(TRUST_CODEPIPELINE, Action=["sts:AssumeRole"])]},
    ],
    ids=["statement object", "one-item service list", "action list, no Version"],
)
def test_codepipeline_assumes_a_role_whose_trust_policy_iam_accepts(backend: Backend, trust: dict[str, Any]) -> None:
    arn = _role(backend, "pipeline", trust)

    backend.client("codepipeline").create_pipeline(pipeline=_stages(arn))

    # The trust policy reads back as written.
    assert backend.client("iam").get_role(RoleName="pipeline")["Role"]["AssumeRolePolicyDocument"] == trust


def test_codepipeline_refuses_a_role_trusting_another_service(backend: Backend) -> None:
    trust = {"Statement": [dict(TRUST_CODEPIPELINE, Principal={"Service": ["codebuild.amazonaws.com"]})]}
    arn = _role(backend, "pipeline", trust)

    with pytest.raises(ClientError) as caught:
        backend.client("codepipeline").create_pipeline(pipeline=_stages(arn))

    assert caught.value.response["Error"]["Code"] == "InvalidStructureException"
    assert caught.value.response["Error"]["Message"] == (
        f"CodePipeline is not authorized to perform AssumeRole on role {arn}"
    )


@pytest.mark.parametrize(
    ("statement", "trusted"),
    [
        (TRUST_CODEPIPELINE, True),
        (dict(TRUST_CODEPIPELINE, Effect="Deny"), False),
        (dict(TRUST_CODEPIPELINE, Action="sts:TagSession"), False),
        (dict(TRUST_CODEPIPELINE, Action="sts:*"), True),
        (dict(TRUST_CODEPIPELINE, Principal="*"), True),
        (dict(TRUST_CODEPIPELINE, Principal={"AWS": "arn:aws:iam::123456789012:root"}), False),
    ],
)
def test_trusts_service_reads_a_trust_policy_as_iam_does(statement: dict[str, Any], trusted: bool) -> None:
    assert trusts_service({"Statement": statement}, "codepipeline.amazonaws.com") is trusted
    assert trusts_service(json.dumps({"Statement": [statement]}), "codepipeline.amazonaws.com") is trusted


# -- CodeBuild's enumerations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelled", "shape", "value"),
    [
        ("linuxContainer", "EnvironmentType", "LINUX_CONTAINER"),
        ("LINUX_LAMBDA_CONTAINER", "EnvironmentType", "LINUX_LAMBDA_CONTAINER"),
        ("BUILD_LAMBDA_1GB", "ComputeType", "BUILD_LAMBDA_1GB"),
        ("solarisContainer", "EnvironmentType", None),
    ],
)
def test_codebuild_values_are_read_without_case_or_underscores(spelled: str, shape: str, value: str | None) -> None:
    assert codebuild_value(spelled, shape) == value


def test_a_project_with_a_legacy_environment_spelling_is_created_as_written(backend: Backend) -> None:
    codebuild = backend.client("codebuild")
    role = _role(
        backend, "build", {"Statement": dict(TRUST_CODEPIPELINE, Principal={"Service": "codebuild.amazonaws.com"})}
    )
    environment = {
        "type": "linuxContainer",
        "image": "aws/codebuild/standard:7.0",
        "computeType": "BUILD_GENERAL1_SMALL",
    }

    codebuild.create_project(
        name="project-p",
        source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment=environment,
        serviceRole=role,
    )

    assert codebuild.batch_get_projects(names=["project-p"])["projects"][0]["environment"]["type"] == "linuxContainer"
    with pytest.raises(ClientError) as caught:
        codebuild.create_project(
            name="project-q",
            source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment=dict(environment, type="solarisContainer"),
            serviceRole=role,
        )
    assert caught.value.response["Error"]["Message"] == "Invalid type provided: solarisContainer"
