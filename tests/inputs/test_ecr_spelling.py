"""ECR repositories as CloudFormation and Terraform plans spell them: properties, folds, references."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import InputError
from harness.inputs.terraform_plan import parse_plan_text
from harness.model.definition import Definition
from harness.provider.resources.ecr_repository import EcrRepository
from tests.inputs.conftest import ROLE, cfn, named, only
from tests.inputs.tfplan import R, caller, plan, ref

LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        }
    ]
}


def load(data: dict[str, Any]) -> Definition:
    return parse_plan_text(json.dumps(data, indent=2), "plan.json")


def test_cloudformation_repository_with_every_property() -> None:
    d = cfn(
        ROLE
        + f"""
  Key:
    Type: AWS::KMS::Key
    Properties: {{}}
  Images:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: acme/app
      ImageScanningConfiguration: {{ScanOnPush: true}}
      ImageTagMutability: IMMUTABLE
      EncryptionConfiguration: {{EncryptionType: KMS, KmsKey: !GetAtt Key.Arn}}
      EmptyOnDelete: true
      LifecyclePolicy:
        LifecyclePolicyText: '{json.dumps(LIFECYCLE)}'
        RegistryId: !Ref AWS::AccountId
      RepositoryPolicyText:
        Version: "2012-10-17"
        Statement:
          - Sid: BuildPushes
            Effect: Allow
            Principal: {{AWS: !GetAtt BuildRole.Arn}}
            Action: [ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload]
      Tags: [{{Key: team, Value: blue}}]
"""
    )
    repository = only(d, "ecr_repositories")
    assert isinstance(repository, EcrRepository)
    assert repository.name == "images"
    assert (repository.scan_on_push, repository.tag_mutability) == (True, "IMMUTABLE")
    assert (repository.encryption, repository.kms_key) == ("KMS", "key")
    assert repository.lifecycle_policy == LIFECYCLE
    assert repository.policy is not None
    assert repository.policy["Statement"][0]["Principal"] == {"AWS": "${roles.build-role.arn}"}
    assert repository.tags == {"team": "blue"}
    assert not [n for n in d.notes if "not modelled" in n], d.notes
    assert d.physical_names["ecr_repositories.images"] == "acme/app"


def test_cloudformation_ref_and_attributes_of_a_repository() -> None:
    # The shape of a pipeline whose build pushes to a repository of its own stack: the build's policy and its
    # environment name the repository by Ref inside Fn::Sub, and by its URI.
    d = cfn(
        """
  Repository:
    Type: AWS::ECR::Repository
    DeletionPolicy: Retain
  Probe:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - {Key: arn, Value: !Sub "arn:aws:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Repository}"}
        - {Key: getatt, Value: !GetAtt Repository.Arn}
        - {Key: uri, Value: !GetAtt Repository.RepositoryUri}
        - {Key: image, Value: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/${Repository}"}
"""
    )
    repository = only(d, "ecr_repositories")
    assert (repository.encryption, repository.tag_mutability, repository.policy) == ("AES256", "MUTABLE", None)
    tags = only(d, "topics").tags
    assert tags["arn"] == "arn:aws:ecr:${region}:${account_id}:repository/${ecr_repositories.repository.name}"
    assert tags["getatt"] == "${ecr_repositories.repository.arn}"
    assert (
        tags["uri"]
        == tags["image"]
        == ("${account_id}.dkr.ecr.${region}.amazonaws.com/${ecr_repositories.repository.name}")
    )
    assert not [n for n in d.notes if "Repository" in n], d.notes


def test_cloudformation_repository_logical_ids_become_lower_case_names() -> None:
    d = cfn("  AppImages:\n    Type: AWS::ECR::Repository\n")
    assert only(d, "ecr_repositories").name == "app-images"


def test_cloudformation_tag_exclusions_are_noted() -> None:
    d = cfn(
        """
  Images:
    Type: AWS::ECR::Repository
    Properties: {ImageTagMutability: IMMUTABLE_WITH_EXCLUSION}
"""
    )
    assert only(d, "ecr_repositories").tag_mutability == "IMMUTABLE"
    assert any("ImageTagMutability: the tags excluded from IMMUTABLE are not modelled" in n for n in d.notes)


def test_cloudformation_bad_tag_mutability_is_an_error_at_its_line() -> None:
    with pytest.raises(InputError) as caught:
        cfn("  Images:\n    Type: AWS::ECR::Repository\n    Properties: {ImageTagMutability: FROZEN}\n")
    assert caught.value.line == 5
    assert "expected one of MUTABLE, IMMUTABLE" in str(caught.value)


def test_cloudformation_key_without_kms_encryption_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        cfn(
            """
  Key:
    Type: AWS::KMS::Key
  Images:
    Type: AWS::ECR::Repository
    Properties:
      EncryptionConfiguration: {EncryptionType: AES256, KmsKey: !GetAtt Key.Arn}
"""
        )
    assert "expected encryption 'KMS' when kms_key is set, found 'AES256'" in str(caught.value)


def test_terraform_repository_with_policy_and_lifecycle_folds() -> None:
    repository = R(
        "aws_ecr_repository",
        "app",
        {
            "name": "acme-app",
            "image_tag_mutability": "IMMUTABLE",
            "image_scanning_configuration": [{"scan_on_push": True}],
            "encryption_configuration": [{"encryption_type": "AES256", "kms_key": ""}],
            "force_delete": False,
            "tags": {"team": "blue"},
        },
        unknown={"arn": True, "id": True, "registry_id": True, "repository_url": True, "tags_all": True},
    )
    policy = R(
        "aws_ecr_repository_policy",
        "app",
        {
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Pull",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        }
                    ],
                }
            )
        },
        unknown={"repository": True, "registry_id": True, "id": True},
        expressions={"repository": ref("aws_ecr_repository.app.name", "aws_ecr_repository.app")},
    )
    lifecycle = R(
        "aws_ecr_lifecycle_policy",
        "app",
        {"repository": "acme-app", "policy": json.dumps(LIFECYCLE)},
        unknown={"registry_id": True, "id": True},
    )
    d = load(plan(repository, policy, lifecycle, data=caller()))
    found = named(d, "ecr_repositories", "app")
    assert (found.tag_mutability, found.scan_on_push, found.encryption) == ("IMMUTABLE", True, "AES256")
    assert found.policy["Statement"][0]["Principal"] == {"AWS": "arn:${partition}:iam::444455556666:root"}
    assert found.lifecycle_policy == LIFECYCLE
    assert found.tags == {"team": "blue"}
    assert not [n for n in d.notes if "not modelled" in n], d.notes


def test_terraform_repository_in_the_shape_of_a_plan_without_configuration_blocks() -> None:
    # Older providers show empty blocks for scanning and encryption, and the name known at plan time.
    repository = R(
        "aws_ecr_repository",
        "repository",
        {
            "encryption_configuration": [],
            "image_scanning_configuration": [],
            "image_tag_mutability": "MUTABLE",
            "name": "123456789123-acme-corp-repository",
            "tags": {"Name": "123456789123-acme-corp-repository"},
            "timeouts": None,
        },
        unknown={
            "arn": True,
            "encryption_configuration": [],
            "id": True,
            "image_scanning_configuration": [],
            "registry_id": True,
            "repository_url": True,
            "tags": {},
        },
    )
    d = load(plan(repository))
    found = only(d, "ecr_repositories")
    assert (found.name, found.scan_on_push, found.encryption) == ("repository", False, "AES256")
    assert not d.notes, d.notes


def test_terraform_reference_to_a_repository_url() -> None:
    repository = R("aws_ecr_repository", "app", {"name": "acme-app"}, unknown={"arn": True, "repository_url": True})
    topic = R(
        "aws_sns_topic",
        "probe",
        {"name": "probe", "tags": {"uri": None}},
        unknown={"tags": {"uri": True}},
        expressions={"tags": {"uri": ref("aws_ecr_repository.app.repository_url", "aws_ecr_repository.app")}},
    )
    d = load(plan(repository, topic))
    assert only(d, "topics").tags["uri"] == "${ecr_repositories.app.uri}"


def test_terraform_policy_for_a_repository_outside_the_plan_is_noted() -> None:
    policy = R(
        "aws_ecr_repository_policy",
        "other",
        {"repository": "someone-elses", "policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
    )
    d = load(plan(R("aws_ecr_repository", "app", {"name": "acme-app"}), policy))
    assert only(d, "ecr_repositories").policy is None
    assert any(
        "aws_ecr_repository_policy.other.repository: a repository policy for 'someone-elses', outside the definition"
        in n
        for n in d.notes
    ), d.notes
