"""The CodeBuild report group operations pipewarden serves beside the emulator's projects, and the condition keys of
their S3 export under IAM enforcement."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.enforce import Enforcer
from harness.services import OwnedServices
from tests.enforce.conftest import RoleMaker

ARN = "arn:aws:codebuild:us-east-1:123456789012:report-group/tests"
S3 = {"exportConfigType": "S3", "s3Destination": {"bucket": "reports", "path": "junit", "encryptionDisabled": True}}


@pytest.fixture
def services(backend: Backend) -> OwnedServices:
    return OwnedServices.of(backend)


def test_a_report_group_is_created_read_updated_listed_and_deleted(backend: Backend, services: OwnedServices) -> None:
    codebuild = backend.client("codebuild")
    made = codebuild.create_report_group(
        name="tests", type="TEST", exportConfig=S3, tags=[{"key": "team", "value": "ci"}]
    )["reportGroup"]
    assert (made["arn"], made["type"], made["exportConfig"]) == (ARN, "TEST", S3)
    with pytest.raises(ClientError, match="ResourceAlreadyExistsException"):
        codebuild.create_report_group(name="tests", type="TEST", exportConfig={"exportConfigType": "NO_EXPORT"})
    codebuild.update_report_group(arn=ARN, exportConfig={"exportConfigType": "NO_EXPORT"})
    found = codebuild.batch_get_report_groups(reportGroupArns=[ARN, ARN + "x"])
    assert found["reportGroups"][0]["exportConfig"] == {"exportConfigType": "NO_EXPORT"}
    assert found["reportGroups"][0]["tags"] == [{"key": "team", "value": "ci"}]
    assert found["reportGroupsNotFound"] == [ARN + "x"]
    assert codebuild.list_report_groups()["reportGroups"] == [ARN]
    codebuild.delete_report_group(arn=ARN)
    assert codebuild.list_report_groups()["reportGroups"] == []
    # Projects are still the emulator's.
    assert codebuild.list_projects()["projects"] == []
    assert ("codebuild", "ListProjects") not in services.served


def test_an_s3_export_names_its_bucket(backend: Backend, services: OwnedServices) -> None:
    with pytest.raises(ClientError) as refused:
        backend.client("codebuild").create_report_group(
            name="tests", type="TEST", exportConfig={"exportConfigType": "S3", "s3Destination": {}}
        )
    assert refused.value.response["Error"]["Code"] == "InvalidInputException"


def test_a_policy_can_refuse_unencrypted_exports(
    backend: Backend, services: OwnedServices, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    builder = role_session(
        "builder",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "codebuild:CreateReportGroup", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "codebuild:CreateReportGroup",
                    "Resource": "*",
                    "Condition": {"Bool": {"codebuild:exportConfig.s3Destination.encryptionDisabled": "true"}},
                },
            ],
        },
    )
    codebuild = backend.client("codebuild", builder)
    with pytest.raises(ClientError) as denied:
        codebuild.create_report_group(name="tests", type="TEST", exportConfig=S3)
    assert "with an explicit deny in an identity-based policy" in str(denied.value)
    encrypted = {"exportConfigType": "S3", "s3Destination": {"bucket": "reports", "encryptionDisabled": False}}
    assert codebuild.create_report_group(name="tests", type="TEST", exportConfig=encrypted)["reportGroup"]["arn"] == ARN
