"""The runtime's scenario checks on small definitions: plaintext secrets, masking, hanging builds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.acceptance import Deployment
from harness.errors import CheckFailed, Unverified
from harness.runtime import scenarios as rt
from tests.runtime.conftest import project_definition

Deploy = Callable[[str], Deployment]


def test_plaintext_secrets_in_project_and_buildspec_variables_are_flagged(deploy: Deploy) -> None:
    spec = {"version": 0.2, "env": {"variables": {"SLACK_TOKEN": "xoxb-1234567890-abcdefghij"}}, "phases": {}}
    pw = deploy(project_definition(spec, variables=[{"name": "DB_PASSWORD", "value": "hunter2"}]))
    findings = rt.plaintext_secrets(pw)
    assert sorted(f.variable for f in findings) == ["DB_PASSWORD", "SLACK_TOKEN"]
    with pytest.raises(CheckFailed, match="variable DB_PASSWORD is PLAINTEXT"):
        rt.expect_no_plaintext_secrets(findings)


def test_a_plaintext_secret_printed_by_the_build_is_caught_in_clear(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["true"]}}}
    pw = deploy(project_definition(spec, variables=[{"name": "API_TOKEN", "value": "tok-literal-123"}]))
    build, secrets = rt.run_build_printing_secrets(pw)
    assert "API_TOKEN=tok-literal-123" in build.lines
    with pytest.raises(CheckFailed, match="expected API_TOKEN masked in the build log, found its value in clear"):
        rt.expect_secrets_masked(pw, build, secrets)


def test_a_project_without_secrets_has_nothing_to_print(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    with pytest.raises(Unverified, match=r"^UNVERIFIED: build project 'app': receives no secret \(no SECRETS_MANAGER"):
        rt.run_build_printing_secrets(pw)


def test_a_hanging_build_within_the_limit_times_out_visibly(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    build = rt.run_hanging_build(pw, 10)  # the project's timeout is 5 minutes
    messages = rt.expect_timed_out(pw, build, 10)
    assert any("BUILD_TIMED_OUT" in m for m in messages)


def test_a_hanging_build_past_the_limit_is_reported_with_its_timeout(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}, timeout_minutes=30))
    build = rt.run_hanging_build(pw, 10)
    assert build.status == "STOPPED"
    with pytest.raises(CheckFailed, match="its timeout is 30 minutes"):
        rt.expect_timed_out(pw, build, 10)


REPOSITORY_BUILDSPEC = """\
version: 0.2
env:
  variables: {SLACK_TOKEN: xoxb-1234567890-abcdefghij}
  secrets-manager: {DB_PASSWORD: "${prefix}db:password"}
phases:
  build:
    commands: [aws ecr get-login --no-include-email]
"""


def _from_repository(files: dict[str, str], **project: object) -> str:
    """The project 'app' with its buildspec kept in the CodeCommit repository 'app' the definition declares."""
    return project_definition(
        "",
        project={"source": {"type": "CODECOMMIT", "repository": "app"}, **project},
        repositories={"app": {"files": files}},
        secrets={"db": {"value": '{"password": "s3cr3t-pw"}'}},
    )


def test_a_repository_buildspec_is_read_from_the_declared_repository(deploy: Deploy) -> None:
    pw = deploy(_from_repository({"buildspec.yml": REPOSITORY_BUILDSPEC}))
    project = rt.pipeline_build_project(pw)
    spec = rt.project_buildspec(pw, project)
    assert spec.env.variables == (("SLACK_TOKEN", "xoxb-1234567890-abcdefghij"),)
    assert spec.phase("build").commands == ("aws ecr get-login --no-include-email",)  # type: ignore[union-attr]
    assert [f.variable for f in rt.plaintext_secrets(pw)] == ["SLACK_TOKEN"]
    assert rt.secret_variables(pw) == {"DB_PASSWORD": ""}


def test_a_repository_buildspec_at_a_named_path_is_read(deploy: Deploy) -> None:
    pw = deploy(
        _from_repository({"buildspec/CIAction.yaml": REPOSITORY_BUILDSPEC}, buildspec="buildspec/CIAction.yaml")
    )
    spec = rt.project_buildspec(pw, rt.pipeline_build_project(pw))
    assert spec.env.secrets_manager[0][0] == "DB_PASSWORD"


def test_a_repository_without_the_buildspec_file_leaves_the_claims_unverified(deploy: Deploy) -> None:
    pw = deploy(_from_repository({"docs/README.md": "no buildspec"}))
    with pytest.raises(Unverified) as unknown:
        rt.project_buildspec(pw, rt.pipeline_build_project(pw))
    assert unknown.value.reason.startswith(
        "build project 'app': its buildspec is kept in the source (buildspec.yml), and repository 'app' as the "
        "definition declares it has no such file on branch 'main'"
    )
    with pytest.raises(Unverified, match=r"^UNVERIFIED: no secret is given to the build by its project; build pro"):
        rt.run_build_printing_secrets(pw)
    assert rt.plaintext_secrets(pw) == []


def test_a_source_outside_the_definition_leaves_the_buildspec_unverified(deploy: Deploy) -> None:
    body = project_definition("", project={"source": {"type": "GITHUB", "location": "https://github.com/a/b.git"}})
    pw = deploy(body)
    with pytest.raises(Unverified, match="its GITHUB source is not in the definition"):
        rt.project_buildspec(pw, rt.pipeline_build_project(pw))


def test_probes_run_a_buildspec_of_their_own_in_the_projects_environment(deploy: Deploy) -> None:
    # The project's own buildspec needs a tool the sandbox lacks; the probes do not run it.
    pw = deploy(_from_repository({"buildspec.yml": REPOSITORY_BUILDSPEC}))
    build = rt.run_pipeline_build(pw)
    assert build.status == "SUCCEEDED", build.failure()
    messages = rt.expect_build_logged(pw, build)
    assert rt.PROBE_LINE in messages
    assert not any("aws ecr get-login" in m for m in messages)
    printed, secrets = rt.run_build_printing_secrets(pw)
    rt.expect_secrets_masked(pw, printed, secrets)  # the repository buildspec's secret, fetched and masked
    assert "DB_PASSWORD=***" in printed.lines
    hung = rt.run_hanging_build(pw, 10)
    assert rt.expect_timed_out(pw, hung, 10)


def test_a_build_failing_for_a_missing_tool_leaves_the_timeout_claim_unverified(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    from harness.runtime.build import start_build

    spec = {"version": 0.2, "phases": {"build": {"commands": ["aws ecr get-login"]}}}
    build = start_build(pw, rt.BuildRequest("app", buildspec_override=spec))
    with pytest.raises(Unverified, match="the command 'aws ecr get-login' was not found"):
        rt.expect_timed_out(pw, build, 10)


def test_a_pipeline_fed_project_reads_its_buildspec_from_the_pipelines_codecommit_repository(deploy: Deploy) -> None:
    stages = [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Source",
                    "category": "Source",
                    "provider": "CodeCommit",
                    "configuration": {"RepositoryName": "${repositories.app.name}", "BranchName": "release"},
                    "output_artifacts": ["src"],
                }
            ],
        },
        {
            "name": "Build",
            "actions": [
                {
                    "name": "Build",
                    "category": "Build",
                    "provider": "CodeBuild",
                    "configuration": {"ProjectName": "${build_projects.app.name}"},
                    "input_artifacts": ["src"],
                }
            ],
        },
    ]
    body = project_definition(
        "buildspec/CIAction.yaml",
        repositories={"app": {"default_branch": "release", "files": {"buildspec/CIAction.yaml": REPOSITORY_BUILDSPEC}}},
        roles={"pipeline": {"assumed_by": ["codepipeline.amazonaws.com"]}},
        pipelines={"release": {"role": "pipeline", "artifact_store": {"bucket": "artifacts"}, "stages": stages}},
    )
    pw = deploy(body)
    project = rt.pipeline_build_project(pw)
    assert rt.source_repository(pw, project) == (pw.require_definition().get("repositories", "app"), "release")
    assert rt.project_buildspec(pw, project).env.variables == (("SLACK_TOKEN", "xoxb-1234567890-abcdefghij"),)
