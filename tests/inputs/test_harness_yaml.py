"""The harness YAML loader: valid files load into the model; every mistake is one InputError with file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.inputs.harness_yaml import load_definition, parse_definition
from harness.model.definition import Definition, SourceLocation
from harness.provider.registry import Registry
from harness.provider.resources.log_group import LogGroup
from harness.scenario import fixture_path

SECTIONS = ", ".join(Registry.discover().resource_types())
RETENTIONS = "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"


def error_of(text: str, filename: str = "p.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_definition(text, filename)
    return caught.value


# -- valid input ---------------------------------------------------------------------------------------------
def test_a_valid_file_loads_into_the_model_with_locations(tmp_path: Path) -> None:
    path = tmp_path / "release.yaml"
    path.write_text(
        "pipewarden: 1\nresources:\n  log_groups:\n    build:\n      retention_days: 30\n      tags: {team: blue}\n"
    )

    d = load_definition(path)

    assert d.name == "release"  # the file's stem when 'name' is not given
    assert d.resources == (LogGroup(name="build", retention_days=30, tags={"team": "blue"}),)
    assert d.locations == {"log_groups.build": SourceLocation(str(path), 4)}
    assert d.where("log_groups.build") == f"{path}:4 (log_groups.build)"


def test_the_reference_pipeline_loads() -> None:
    d = load_definition(fixture_path("reference"))

    assert d.name == "reference"
    assert {"keys", "buckets", "log_groups", "topics", "roles", "build_projects", "pipelines"} <= {
        r.SECTION for r in d.resources
    }
    assert str(d.get("build_projects", "build").service_role) == "build"  # type: ignore[union-attr]


def test_a_single_string_where_a_list_of_strings_is_expected_is_accepted() -> None:
    d = parse_definition("pipewarden: 1\nresources:\n  roles:\n    r: {assumed_by: codebuild.amazonaws.com}\n")

    role = d.get("roles", "r")
    assert role is not None and role.assumed_by == ("codebuild.amazonaws.com",)  # type: ignore[attr-defined]


# -- each mistake, with its exact message --------------------------------------------------------------------
BAD_FILES = [
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      retention_dayz: 30\n",
        "p.yaml:5 field 'resources.log_groups.g.retention_dayz': expected one of retention_days, kms_key, tags, "
        "found unknown field 'retention_dayz'; did you mean 'retention_days'?",
        id="unknown-field-with-suggestion",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      colour: blue\n",
        "p.yaml:5 field 'resources.log_groups.g.colour': expected one of retention_days, kms_key, tags, "
        "found unknown field 'colour'; remove it or check the schema in the README",
        id="unknown-field-without-suggestion",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  role:\n    r: {}\n",
        "p.yaml:3 field 'resources.role': expected one of <sections>, found unknown field 'role'; "
        "did you mean 'roles'?",
        id="unknown-section",
    ),
    pytest.param(
        "pipewarden: 1\nnmae: x\nresources: {}\n",
        "p.yaml:2 field 'nmae': expected one of pipewarden, name, description, environments, resources, "
        "found unknown field 'nmae'; did you mean 'name'?",
        id="unknown-top-level-field",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      retention_days: thirty\n",
        "p.yaml:5 field 'resources.log_groups.g.retention_days': expected whole number, found str 'thirty'; "
        "write a whole number",
        id="string-for-number",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      retention_days: true\n",
        "p.yaml:5 field 'resources.log_groups.g.retention_days': expected whole number, found bool 'true'; "
        "write a whole number",
        id="bool-for-number",
    ),
    pytest.param(
        "pipewarden: 1\ndescription: [a, b]\nresources: {}\n",
        "p.yaml:2 field 'description': expected a single value, found a list; write a single value",
        id="list-for-description",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      tags: [a, b]\n",
        "p.yaml:5 field 'resources.log_groups.g.tags': expected a mapping, found a list; "
        "write 'resources.log_groups.g.tags' as key: value pairs",
        id="list-for-mapping",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  keys:\n    k:\n      description: 12\n",
        "p.yaml:5 field 'resources.keys.k.description': expected string, found int '12'; write a string (quote it)",
        id="number-for-string",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  roles:\n    r: {assumed_by: [1]}\n",
        "p.yaml:4 field 'resources.roles.r.assumed_by[0]': expected string, found int '1'; write a string (quote it)",
        id="wrong-type-inside-a-list",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  roles:\n    r: {assumed_by: {service: codebuild}}\n",
        "p.yaml:4 field 'resources.roles.r.assumed_by': expected a list, found a mapping; write a YAML list (- item)",
        id="mapping-for-list",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      kms_key: nokey\n",
        "p.yaml:4 (log_groups.g) field 'kms_key': expected the name of a resource under 'keys', found 'nokey', "
        "which is not declared; declare 'nokey' under 'keys'",
        id="dangling-reference",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  roles:\n    pipeline: {assumed_by: codepipeline.amazonaws.com}\n"
        "  build_projects:\n    b: {service_role: builder}\n",
        "p.yaml:6 (build_projects.b) field 'service_role': expected the name of a resource under 'roles', "
        "found 'builder', which is not declared; declare 'roles.builder' or use one of: pipeline",
        id="dangling-reference-with-candidates",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      tags: {key: '${keys.k.arn}'}\n",
        "p.yaml:4 (log_groups.g) field 'tags': expected the name of a resource under 'keys', found 'k', "
        "which is not declared; declare 'k' under 'keys'",
        id="dangling-interpolation",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  keys:\n    k: {}\n  log_groups:\n    g:\n      tags: {a: '${keys.k.colour}'}\n",
        "p.yaml:6 (log_groups.g): expected an attribute of KMS key (name, arn, id, alias), found 'colour' in "
        "'${keys.k.colour}'; use one of the listed attributes",
        id="unknown-attribute",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      tags: {a: '${nope}'}\n",
        "p.yaml:4 (log_groups.g): expected one of ${account_id}, ${partition}, ${prefix}, ${region} or "
        "${section.name.attribute}, found '${nope}'; correct the interpolation",
        id="unknown-variable",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g: {retention_days: 30\n",
        "p.yaml:5: expected valid YAML, found a syntax error (expected ',' or '}', but got '<stream end>'); "
        "fix the YAML syntax at that line (indentation, quotes, colons)",
        id="yaml-syntax",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n\t- x\n",
        "p.yaml:3: expected valid YAML, found a syntax error (found character '\\t' that cannot start any token); "
        "fix the YAML syntax at that line (indentation, quotes, colons)",
        id="yaml-tab",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  build_projects:\n    b:\n      logs:\n        s3: {prefix: x}\n",
        "p.yaml:6 field 'resources.build_projects.b.logs.s3.bucket': expected 'bucket' to be set, "
        "found it missing; add 'bucket' to resources.build_projects.b.logs.s3",
        id="missing-required-field",
    ),
    pytest.param(
        "pipewarden: 1\nname: x\n",
        "p.yaml:1 field 'resources': expected a 'resources' mapping, found none; declare the pipeline's resources",
        id="missing-resources",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  buckets:\n    b:\n      encryption: {algorithm: DES}\n",
        "p.yaml:5 field 'resources.buckets.b.encryption.algorithm': expected one of 'AES256', 'aws:kms', "
        "found 'DES'; use an allowed value",
        id="bad-enum",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g: {}\n    g: {}\n",
        "p.yaml:5 field 'resources.log_groups.g': expected each key once, found 'g' repeated; remove one of them",
        id="duplicate-key",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    'bad name': {}\n",
        "p.yaml:4 field 'resources.log_groups.bad name': expected a name of letters, digits, '-' or '_' "
        "(at most 63), found 'bad name'; rename the resource",
        id="invalid-name",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  buckets:\n    Bucket: {}\n",
        "p.yaml:4 field 'resources.buckets.Bucket': expected a bucket name of lowercase letters, digits and '-', "
        "found 'Bucket'; rename the bucket",
        id="invalid-bucket-name",
    ),
    pytest.param(
        "name: x\nresources: {}\n",
        "p.yaml:1 field 'pipewarden': expected the schema version 1, found nothing; add 'pipewarden: 1'",
        id="missing-version",
    ),
    pytest.param(
        "pipewarden: 2\nresources: {}\n",
        "p.yaml:1 field 'pipewarden': expected the schema version 1, found int '2'; add 'pipewarden: 1'",
        id="wrong-version",
    ),
    pytest.param(
        "pipewarden: true\nresources: {}\n",
        "p.yaml:1 field 'pipewarden': expected the schema version 1, found bool 'true'; add 'pipewarden: 1'",
        id="true-is-not-version-1",
    ),
    pytest.param(
        "",
        "p.yaml: expected a mapping with 'pipewarden', 'name' and 'resources', found an empty file; "
        "start from fixtures/pipelines/reference",
        id="empty-file",
    ),
    pytest.param(
        "just text\n",
        "p.yaml:1: expected a mapping with 'pipewarden', 'name' and 'resources', found str 'just text'; "
        "start from fixtures/pipelines/reference",
        id="not-a-mapping",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  log_groups:\n    g:\n      retention_days: 42\n",
        f"p.yaml:5 field 'resources.log_groups.g': expected retention_days one of {RETENTIONS}, found 42; "
        "pick the nearest allowed value",
        id="model-retention-days",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  roles:\n    b: {assumed_by: codebuild.amazonaws.com}\n"
        "  build_projects:\n    p:\n      service_role: b\n      timeout_minutes: 1\n",
        "p.yaml:7 field 'resources.build_projects.p': expected timeout_minutes between 5 and 2160, found 1; "
        "CodeBuild allows only that range",
        id="model-timeout-minutes",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  roles:\n    r: {}\n",
        "p.yaml:4 field 'resources.roles.r': expected exactly one of 'trust_policy' or 'assumed_by', found "
        "neither; say who may assume the role with one of them",
        id="model-role-trust",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  buckets:\n    b:\n      public_access_block: maybe\n",
        "p.yaml:5 field 'resources.buckets.b.public_access_block': expected true, false or a mapping of the four "
        "settings, found 'maybe'; correct the value",
        id="model-from-scalar",
    ),
    pytest.param(
        "pipewarden: 1\nname: a\x1fb\n",
        "p.yaml:2: expected valid YAML, found the character #x001f (special characters are not allowed); "
        "remove that character or write it as an escape in a double-quoted string",
        id="control-character",
    ),
    pytest.param(
        "pipewarden: !Ref Version\nresources: {}\n",
        "p.yaml:1 field 'pipewarden': expected a plain YAML value, found one the safe YAML loader cannot read "
        "(could not determine a constructor for the tag '!Ref'); remove the tag (harness YAML has no !Ref or "
        "!Sub) or quote the value",
        id="unknown-tag",
    ),
    pytest.param(
        "pipewarden: 1\nresources:\n  policies:\n    p:\n      document: &a {Statement: [*a]}\n",
        "p.yaml:5 field 'resources.policies.p.document.Statement': expected a plain YAML value, found one the safe "
        "YAML loader cannot read (found unconstructable recursive node); remove the tag (harness YAML has no !Ref "
        "or !Sub) or quote the value",
        id="recursive-anchor",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_mistake_is_one_input_error_with_the_exact_message(text: str, message: str) -> None:
    # The section list grows with the registered resource types, so it is read when the test runs.
    sections = ", ".join(Registry.discover().resource_types())
    assert str(error_of(text)) == message.replace("<sections>", sections)


def test_the_error_carries_structured_fields() -> None:
    exc = error_of("pipewarden: 1\nresources:\n  log_groups:\n    g:\n      retention_days: thirty\n")

    assert (exc.file, exc.line, exc.field) == ("p.yaml", 5, "resources.log_groups.g.retention_days")
    assert exc.expected == "whole number"
    assert exc.found == "str 'thirty'"
    assert exc.fix == "write a whole number"
    assert exc.fields["line"] == 5


def test_a_dangling_reference_carries_file_and_line() -> None:
    exc = error_of("pipewarden: 1\nresources:\n  log_groups:\n    g:\n      kms_key: nokey\n")

    assert (exc.file, exc.line, exc.field) == ("p.yaml", 4, "kms_key")


def test_a_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "pipeline.yaml"

    with pytest.raises(InputError) as caught:
        load_definition(missing)

    assert (
        str(caught.value) == f"{missing}: expected a readable harness YAML file, found No such file or directory; "
        "check the path"
    )
    assert caught.value.file == str(missing)


def test_an_error_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("pipewarden: 1\nresources:\n  topics:\n    t: {kms_key: nokey}\n")

    with pytest.raises(InputError, match=r"^.*pipeline\.yaml:4 \(topics\.t\) field 'kms_key': "):
        load_definition(path)


def test_a_resource_declared_twice_across_sections_is_allowed_within_a_section_once() -> None:
    d = parse_definition("pipewarden: 1\nresources:\n  topics:\n    x: {}\n  log_groups:\n    x: {}\n")

    assert [str(r.address) for r in d.resources] == ["topics.x", "log_groups.x"]


# -- properties ----------------------------------------------------------------------------------------------
def _outcome(text: str) -> Definition | InputError:
    try:
        return parse_definition(text, "p.yaml")
    except InputError as exc:
        assert str(exc).startswith("p.yaml"), str(exc)
        return exc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_gives_a_definition_or_an_input_error(text: str) -> None:
    assert isinstance(_outcome(text), Definition | InputError)


_FIELD_NAMES = [
    "name", "retention_days", "kms_key", "tags", "policy", "encryption", "algorithm", "versioning",
    "public_access_block", "assumed_by", "trust_policy", "policies", "managed_policies", "permissions_boundary",
    "description", "rotation", "service_role", "buildspec", "environment", "variables", "logs", "cloudwatch",
    "group", "timeout_minutes", "role", "artifact_store", "bucket", "stages", "actions", "category", "provider",
    "document", "Statement", "path", "x",
]  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 5000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["g", "k", "r", "b", "${keys.k.arn}", "${region}", "${x}", "aws:kms", "AES256", "/", "Source"]),
    st.text(max_size=8),
)
_trees: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELD_NAMES), inner, max_size=4),
    max_leaves=12,
)
_names = st.sampled_from(["g", "k", "r", "b", "p", "Bad Name", "x" * 70])
_resources = st.dictionaries(
    st.sampled_from([*SECTIONS.split(", "), "nope"]),
    st.one_of(st.dictionaries(_names, _trees, max_size=3), _trees),
    max_size=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([1, 1, 1, 2, "1", None]), resources=_resources, extra=_trees)
def test_any_structure_gives_a_definition_or_an_input_error(version: Any, resources: Any, extra: Any) -> None:
    doc: dict[str, Any] = {"pipewarden": version, "resources": resources}
    if isinstance(extra, dict):
        doc.update(extra)
    text = yaml.safe_dump(doc, sort_keys=False)

    outcome = _outcome(text)

    assert isinstance(outcome, Definition | InputError)
    if isinstance(outcome, InputError):
        assert outcome.expected and outcome.found and outcome.fix
