"""CodeBuild projects as CodeBuild keeps them: source types, a buildspec kept in the source, default logging."""

from __future__ import annotations

import textwrap

import pytest

from harness.backends import Backend
from harness.errors import InputError
from harness.inputs.cloudformation import parse_template_text
from harness.provider.lifecycle import Provider
from harness.provider.resources.codebuild_project import BuildProject, BuildSource, CloudWatchLogs

TEMPLATE = """
Resources:
  Repo:
    Type: AWS::CodeCommit::Repository
    Properties: {{RepositoryName: app}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Principal: {{Service: codebuild.amazonaws.com}}, Action: sts:AssumeRole}}]
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      ServiceRole: !GetAtt Role.Arn
      Source: {source}
      Artifacts: {{Type: NO_ARTIFACTS}}
      Environment: {{Type: LINUX_CONTAINER, Image: aws/codebuild/standard:7.0, ComputeType: BUILD_GENERAL1_SMALL}}
{extra}"""

INLINE = '"version: 0.2\\nphases:\\n  build:\\n    commands: [echo hi]\\n"'


def _project(source: str, extra: str = "") -> BuildProject:
    text = textwrap.dedent(TEMPLATE).format(source=source, extra=textwrap.indent(extra, "      "))
    project = parse_template_text(text, "t.yaml", lint_template=False).get("build_projects", "build")
    assert isinstance(project, BuildProject)
    return project


SOURCES = [
    ("{Type: CODEPIPELINE}", BuildSource("CODEPIPELINE"), "buildspec.yml"),
    (f"{{Type: NO_SOURCE, BuildSpec: {INLINE}}}", BuildSource("NO_SOURCE"), None),
    (
        "{Type: CODECOMMIT, Location: !GetAtt Repo.CloneUrlHttp, BuildSpec: buildspec/CIAction.yaml}",
        BuildSource(
            "CODECOMMIT",
            "https://git-codecommit.${region}.amazonaws.com/v1/repos/${repositories.repo.name}",
            repository="repo",
        ),
        "buildspec/CIAction.yaml",
    ),
    (
        "{Type: GITHUB, Location: 'https://github.com/acme/app.git'}",
        BuildSource("GITHUB", "https://github.com/acme/app.git"),
        "buildspec.yml",
    ),
    (
        "{Type: BITBUCKET, Location: 'https://bitbucket.org/acme/app.git'}",
        BuildSource("BITBUCKET", "https://bitbucket.org/acme/app.git"),
        "buildspec.yml",
    ),
    ("{Type: S3, Location: 'acme-src/app.zip'}", BuildSource("S3", "acme-src/app.zip"), "buildspec.yml"),
]


@pytest.mark.parametrize(("source", "expected", "buildspec_file"), SOURCES, ids=[s[1].type for s in SOURCES])
def test_each_source_type_is_read_as_written(source: str, expected: BuildSource, buildspec_file: str | None) -> None:
    project = _project(source)
    assert project.source == expected
    assert project.buildspec_file() == buildspec_file


@pytest.mark.parametrize(("source", "expected", "buildspec_file"), SOURCES, ids=[s[1].type for s in SOURCES])
def test_each_source_type_deploys_and_reads_back_without_drift(
    source: str, expected: BuildSource, buildspec_file: str | None, backend: Backend, provider: Provider
) -> None:
    text = textwrap.dedent(TEMPLATE).format(source=source, extra="")
    definition = parse_template_text(text, "t.yaml", lint_template=False)
    provider.apply(definition)
    deployed = backend.client("codebuild").batch_get_projects(names=[f"{provider.prefix}build"])["projects"][0]
    assert deployed["source"]["type"] == expected.type
    if buildspec_file == "buildspec.yml":
        assert not deployed["source"].get("buildspec")  # none named: CodeBuild reads buildspec.yml from the source
    elif buildspec_file is None:
        assert deployed["source"]["buildspec"].startswith("version: 0.2\n")
    if expected.type == "CODECOMMIT":
        assert deployed["source"]["location"] == (
            f"https://git-codecommit.us-east-1.amazonaws.com/v1/repos/{provider.ctx.name_of('repositories', 'repo')}"
        )
        assert deployed["source"]["buildspec"] == "buildspec/CIAction.yaml"
    if expected.location and expected.type != "CODECOMMIT":
        assert deployed["source"]["location"] == expected.location
    assert deployed["artifacts"]["type"] == ("CODEPIPELINE" if expected.type == "CODEPIPELINE" else "NO_ARTIFACTS")
    assert provider.plan(definition).empty
    assert provider.destroy(definition) == []


def test_a_no_source_project_without_an_inline_buildspec_is_refused() -> None:
    with pytest.raises(InputError, match="NO_SOURCE project has no file to read a buildspec from"):
        _project("{Type: NO_SOURCE}")


def test_no_logs_configuration_deploys_codebuilds_default_and_shows_no_drift(
    backend: Backend, provider: Provider
) -> None:
    text = textwrap.dedent(TEMPLATE).format(source="{Type: CODEPIPELINE}", extra="")
    definition = parse_template_text(text, "t.yaml", lint_template=False)
    project = definition.get("build_projects", "build")
    assert isinstance(project, BuildProject) and project.logs is None
    provider.apply(definition)
    deployed = backend.client("codebuild").batch_get_projects(names=[f"{provider.prefix}build"])["projects"][0]
    assert deployed["logsConfig"]["cloudWatchLogs"] == {"status": "ENABLED"}
    assert deployed["logsConfig"]["s3Logs"] == {"status": "DISABLED"}
    assert provider.plan(definition).empty
    assert provider.destroy(definition) == []


def test_cloudwatch_logs_without_a_group_use_the_default_group_or_stay_disabled() -> None:
    enabled = _project("{Type: CODEPIPELINE}", "LogsConfig: {CloudWatchLogs: {Status: ENABLED, StreamName: ci}}")
    assert enabled.logs is not None
    assert enabled.logs.cloudwatch == CloudWatchLogs(group=None, stream_prefix="ci", enabled=True)
    disabled = _project("{Type: CODEPIPELINE}", "LogsConfig: {CloudWatchLogs: {Status: DISABLED}}")
    assert disabled.logs is not None
    assert disabled.logs.cloudwatch == CloudWatchLogs(group=None, enabled=False)
