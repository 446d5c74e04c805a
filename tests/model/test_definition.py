"""The Definition: unique addresses, references and interpolations, dependencies."""

from __future__ import annotations

import pytest

from harness.errors import InputError
from harness.model.definition import Definition, SourceLocation, reference_fields
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.iam_role import Role
from harness.provider.resources.kms_key import KmsKey
from harness.provider.resources.log_group import LogGroup
from harness.provider.resources.s3_bucket import Bucket, BucketEncryption

ROLE = Role(name="build", assumed_by=("codebuild.amazonaws.com",))


def test_a_resource_declared_twice_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        Definition(name="d", resources=(LogGroup(name="g"), LogGroup(name="g", retention_days=7)))

    assert str(caught.value) == (
        "<memory> (log_groups.g): expected unique resource names within a section, found 'log_groups.g' declared "
        "twice; rename one of them"
    )


def test_where_uses_the_location_when_known() -> None:
    d = Definition(
        name="d",
        resources=(LogGroup(name="g"),),
        source="p.yaml",
        locations={"log_groups.g": SourceLocation("p.yaml", 7)},
    )

    assert d.where("log_groups.g") == "p.yaml:7 (log_groups.g)"
    assert d.where("log_groups.other") == "p.yaml (log_groups.other)"


def test_dependencies_come_from_reference_fields_and_interpolations_without_duplicates() -> None:
    key = KmsKey(name="k")
    group = LogGroup(name="g", kms_key="k", tags={"key": "${keys.k.arn}", "self": "${log_groups.g.arn}"})
    project = BuildProject(
        name="p",
        service_role="build",
        description="logs to ${log_groups.g.name}",
        buildspec={"env": {"variables": {"KEY": "${keys.k.alias}"}}},
    )
    d = Definition(name="d", resources=(key, ROLE, group, project))

    assert [str(a) for a in d.dependencies(group)] == ["keys.k"]
    assert [str(a) for a in d.dependencies(project)] == ["roles.build", "keys.k", "log_groups.g"]  # in field order
    assert d.dependencies(key) == ()


def test_a_literal_arn_is_not_a_reference() -> None:
    bucket = Bucket(
        name="b", encryption=BucketEncryption(algorithm="aws:kms", kms_key="arn:aws:kms:us-east-1:1:key/abc")
    )
    d = Definition(name="d", resources=(bucket,))

    assert d.dependencies(bucket) == ()


def test_get_and_of_type() -> None:
    group = LogGroup(name="g")
    d = Definition(name="d", resources=(ROLE, group))

    assert d.get("log_groups", "g") is group
    assert d.get("log_groups", "build") is None
    assert list(d.of_type(Role)) == [ROLE]


def test_reference_fields_are_found_through_optional_and_tuple_annotations() -> None:
    assert reference_fields(Role) == {"managed_policies": "policies", "permissions_boundary": "policies"}
    assert reference_fields(BuildProject) == {
        "service_role": "roles",
        "encryption_key": "keys",
    }
    assert reference_fields(BucketEncryption) == {"kms_key": "keys"}


def test_a_dangling_reference_in_a_nested_field_names_its_path() -> None:
    bucket = Bucket(name="b", encryption=BucketEncryption(algorithm="aws:kms", kms_key="nokey"))

    with pytest.raises(InputError) as caught:
        Definition(name="d", resources=(KmsKey(name="k"), bucket))

    assert str(caught.value) == (
        "<memory> (buckets.b) field 'encryption.kms_key': expected the name of a resource under 'keys', found "
        "'nokey', which is not declared; declare 'keys.nokey' or use one of: k"
    )
    assert caught.value.field == "encryption.kms_key"
    assert (caught.value.file, caught.value.line) == ("<memory>", None)
