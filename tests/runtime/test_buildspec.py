"""The buildspec model: sections, secret references, and errors that name the section and the fix."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import InputError
from harness.runtime.buildspec import SecretRef, parse_buildspec


def test_a_full_buildspec_parses() -> None:
    spec = parse_buildspec(
        """
version: 0.2
env:
  shell: bash
  variables: {STAGE: dev, DEBUG: yes}
  parameter-store: {DB: /prod/db}
  secrets-manager: {TOKEN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-AbCd:token:AWSCURRENT"}
  exported-variables: [IMAGE]
phases:
  install: {on-failure: CONTINUE, commands: [make deps]}
  build: {commands: [make], finally: [make clean]}
artifacts: {files: ["**/*"], base-directory: out, discard-paths: yes}
"""
    )
    assert spec.env.variables == (("STAGE", "dev"), ("DEBUG", "true"))
    assert spec.env.parameter_store == (("DB", "/prod/db"),)
    name, ref = spec.env.secrets_manager[0]
    assert name == "TOKEN"
    assert ref == SecretRef("arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-AbCd", "token", "AWSCURRENT")
    assert [p.name for p in spec.phases] == ["install", "build"]
    assert spec.phase("install").on_failure == "CONTINUE"  # type: ignore[union-attr]
    assert spec.phase("build").finally_commands == ("make clean",)  # type: ignore[union-attr]
    assert spec.artifacts is not None and spec.artifacts.discard_paths and spec.artifacts.base_directory == "out"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 0.3\nphases: {}", "buildspec version: expected 0.1 or 0.2, found '0.3'"),
        ("version: 0.2\nphases: {deploy: {commands: [x]}}", "buildspec phases: expected only install"),
        ("version: 0.2\nphases: {build: {on-failure: RETRY}}", "expected ABORT or CONTINUE"),
        ("version: 0.2\nphases: {build: {commands: {a: b}}}", "expected a list of commands"),
        ("version: 0.2\nphases: [", "buildspec text: expected valid YAML"),
    ],
)
def test_bad_buildspecs_name_the_section(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        parse_buildspec(text)


@pytest.mark.parametrize(("version", "shared"), [("0.1", False), ("0.2", True)])
def test_both_versions_parse_and_only_0_2_shares_one_shell(version: str, shared: bool) -> None:
    spec = parse_buildspec(f"version: {version}\nphases: {{build: {{commands: [make]}}}}")
    assert (spec.version, spec.shared_shell) == (version, shared)
    assert spec.phase("build").commands == ("make",)  # type: ignore[union-attr]


def test_secret_references_split_plain_names() -> None:
    assert SecretRef.parse("db:password") == SecretRef("db", "password")
    assert SecretRef.parse("db::AWSPREVIOUS") == SecretRef("db", "", "AWSPREVIOUS")


@given(st.text(max_size=200))
def test_parsing_never_crashes_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_buildspec(text)
