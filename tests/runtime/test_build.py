"""The build runner with real buildspecs: phases, logs and their names, artifacts, timeouts, records."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import yaml

from harness.acceptance import Deployment
from harness.runtime.build import BuildRequest, batch_get_builds, get_build, start_build
from harness.runtime.logs import read_log_messages
from harness.runtime.state import runtime
from tests.runtime.conftest import BUILD_ROLE_POLICY, project_definition

Deploy = Callable[[str], Deployment]


def source_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_successful_build_logs_to_the_configured_group_and_stream(deploy: Deploy) -> None:
    pw = deploy(
        project_definition(
            {"version": 0.2, "phases": {"build": {"commands": ["echo building $STAGE", "cat input.txt"]}}},
            variables=[{"name": "STAGE", "value": "dev"}],
        )
    )
    build = start_build(pw, BuildRequest("app", source=source_zip({"input.txt": "from the source"})))
    assert build.status == "SUCCEEDED", build.failure()
    assert build.log_group == f"{pw.prefix}build"
    assert build.log_stream == f"app/{build.uuid}"
    messages = read_log_messages(pw, build.log_group, build.log_stream)
    assert "building dev" in messages
    assert "from the source" in messages
    assert any(m.startswith("[Container] ") and m.endswith("Running command echo building $STAGE") for m in messages)
    assert any(m.endswith("Phase complete: BUILD State: SUCCEEDED") for m in messages)
    phases = [p["phaseType"] for p in build.to_dict()["phases"]]
    assert phases == [
        "SUBMITTED",
        "QUEUED",
        "PROVISIONING",
        "DOWNLOAD_SOURCE",
        "BUILD",
        "UPLOAD_ARTIFACTS",
        "FINALIZING",
        "COMPLETED",
    ]


def test_the_build_sees_what_codebuild_defines(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["env | sort"]}}}))
    build = start_build(pw, "app")
    env = dict(line.split("=", 1) for line in build.lines if "=" in line and not line.startswith("["))
    assert env["CODEBUILD_BUILD_ID"] == build.id
    assert env["CODEBUILD_BUILD_ARN"] == build.arn
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    secret = build.identity.credentials.secret_access_key  # type: ignore[union-attr]
    assert not any(secret in line for line in build.lines)
    assert env["CODEBUILD_SRC_DIR"].endswith("/src")


def test_a_failed_command_fails_the_build_post_build_and_finally_still_run(deploy: Deploy) -> None:
    pw = deploy(
        project_definition(
            {
                "version": 0.2,
                "phases": {
                    "build": {"commands": ["false", "echo unreachable"], "finally": ["echo finally ran"]},
                    "post_build": {"commands": ["echo post succeeding=$CODEBUILD_BUILD_SUCCEEDING"]},
                },
            }
        )
    )
    build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.phase("BUILD").status == "FAILED"  # type: ignore[union-attr]
    assert build.phase("POST_BUILD").status == "SUCCEEDED"  # type: ignore[union-attr]
    assert "finally ran" in build.lines and "post succeeding=0" in build.lines
    assert "unreachable" not in build.lines
    assert build.failure() == (
        "BUILD FAILED (COMMAND_EXECUTION_ERROR: Error while executing command: false. Reason: exit status 1)"
    )


def test_abort_and_continue_in_install(deploy: Deploy) -> None:
    aborting = {"version": 0.2, "phases": {"install": {"commands": ["exit 2"]}, "build": {"commands": ["echo b"]}}}
    pw = deploy(project_definition(aborting))
    build = start_build(pw, "app")
    assert build.status == "FAILED" and build.phase("BUILD") is None and "b" not in build.lines
    continuing = {
        "version": 0.2,
        "phases": {"install": {"on-failure": "CONTINUE", "commands": ["exit 2"]}, "build": {"commands": ["echo b"]}},
    }
    pw2 = deploy(project_definition(continuing))
    build2 = start_build(pw2, "app")
    assert build2.status == "FAILED"
    assert build2.phase("BUILD").status == "SUCCEEDED" and "b" in build2.lines  # type: ignore[union-attr]


def test_a_hanging_build_times_out_with_its_partial_log(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["echo started", "sleep 30"]}}}))
    build = start_build(pw, "app")
    assert build.status == "TIMED_OUT"
    assert build.phase("BUILD").status == "TIMED_OUT"  # type: ignore[union-attr]
    messages = read_log_messages(pw, build.log_group, build.log_stream)
    assert "started" in messages
    assert any("BUILD_TIMED_OUT" in m and "5 minutes" in m for m in messages)
    record = batch_get_builds(pw, [build.id, "nope:1"])
    assert record["builds"][0]["buildStatus"] == "TIMED_OUT"
    assert record["builds"][0]["timeoutInMinutes"] == 5
    assert record["buildsNotFound"] == ["nope:1"]


def test_artifacts_are_collected_with_base_directory_and_uploaded(deploy: Deploy) -> None:
    spec = {
        "version": 0.2,
        "phases": {"build": {"commands": ["mkdir -p out/sub && echo x > out/a.txt && echo y > out/sub/b.txt"]}},
        "artifacts": {"files": ["**/*"], "base-directory": "out"},
    }
    pw = deploy(project_definition(spec))
    bucket = f"{pw.prefix}artifacts"
    from harness.runtime.build import S3Location

    build = start_build(pw, BuildRequest("app", artifact=S3Location(bucket, "out.zip")))
    assert build.status == "SUCCEEDED", build.failure()
    body = pw.backend.client("s3").get_object(Bucket=bucket, Key="out.zip")["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["a.txt", "sub/b.txt"]


def test_no_matching_artifact_fails_upload(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["true"]}}, "artifacts": {"files": ["missing/*"]}}
    pw = deploy(project_definition(spec))
    build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert "no matching artifact paths" in build.failure()


def test_build_state_change_events_and_record_lookup(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["true"]}}}))
    build = start_build(pw, "app")
    events = [e for e in runtime(pw).events if e["detail-type"] == "CodeBuild Build State Change"]
    assert [e["detail"]["build-status"] for e in events] == ["IN_PROGRESS", "SUCCEEDED"]
    assert events[-1]["source"] == "aws.codebuild" and events[-1]["resources"] == [build.arn]
    assert get_build(pw, build.id) is build


def test_a_role_trusting_codebuild_only_for_one_project_runs_that_projects_builds_only(deploy: Deploy) -> None:
    spec = {"version": 0.2, "phases": {"build": {"commands": ["echo built"]}}}
    body = project_definition(spec)
    # AWS's confused-deputy advice: the account, and the one project the role is for.
    project = "arn:${partition}:codebuild:${region}:${account_id}:project/${prefix}app"
    condition = {"StringEquals": {"aws:SourceAccount": "${account_id}"}, "ArnLike": {"aws:SourceArn": project}}
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    document = yaml.safe_load(body)
    document["roles"]["build"] = {"trust_policy": trust, "policies": {"build": BUILD_ROLE_POLICY}}
    document["build_projects"]["other"] = dict(document["build_projects"]["app"])
    pw = deploy(yaml.safe_dump(document, sort_keys=False))

    mine = start_build(pw, "app")
    other = start_build(pw, "other")

    assert mine.status == "SUCCEEDED", mine.failure()
    assert other.status == "FAILED"
    assert other.failure() == (
        "PROVISIONING FAILED (ACCESS_DENIED: CodeBuild could not assume the service role: AccessDenied: User: "
        "codebuild.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
        f"arn:aws:iam::123456789012:role/{pw.prefix}build because no resource-based policy allows the "
        "sts:AssumeRole action)"
    )


def _default_logs_definition(actions: list[str]) -> str:
    """A project with no logs configuration whose role may call ``actions`` on the project's default log group."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": actions,
                "Resource": "arn:aws:logs:${region}:${account_id}:log-group:/aws/codebuild/${prefix}app*",
            }
        ],
    }
    body = yaml.safe_load(
        project_definition({"version": 0.2, "phases": {"build": {"commands": ["echo hi"]}}}, role_policy=policy)
    )
    del body["build_projects"]["app"]["logs"]
    return yaml.safe_dump(body, sort_keys=False)


def test_a_project_without_logs_configuration_logs_to_codebuilds_default_group(deploy: Deploy) -> None:
    pw = deploy(_default_logs_definition(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "SUCCEEDED", build.failure()
    assert build.log_group == f"/aws/codebuild/{pw.prefix}app"
    assert build.log_stream == build.uuid
    assert "hi" in read_log_messages(pw, build.log_group, build.log_stream)
    assert build.to_dict()["logs"]["cloudWatchLogs"]["groupName"] == f"/aws/codebuild/{pw.prefix}app"


def test_the_default_group_is_not_created_for_a_role_without_create_log_group(deploy: Deploy) -> None:
    pw = deploy(_default_logs_definition(["logs:CreateLogStream", "logs:PutLogEvents"]))
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.log_group == "" and build.phase("BUILD") is None
    provisioning = build.phase("PROVISIONING")
    assert provisioning is not None and provisioning.status == "FAILED"
    assert provisioning.contexts[0]["statusCode"] == "ACCESS_DENIED"
    assert "logs:CreateLogGroup" in provisioning.contexts[0]["message"]


def test_a_role_without_logs_permissions_gets_no_default_logs(deploy: Deploy) -> None:
    pw = deploy(_default_logs_definition(["s3:GetObject"]))
    with pw.observed():
        build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.log_group == "" and "hi" not in build.lines
    groups = pw.backend.client("logs").describe_log_groups(logGroupNamePrefix="/aws/codebuild/")["logGroups"]
    assert [g["logGroupName"] for g in groups if g["logGroupName"].endswith(f"{pw.prefix}app")] == []


def test_buildspec_0_1_runs_each_command_in_its_own_shell_and_0_2_keeps_state(deploy: Deploy) -> None:
    commands = ["export STAGE=dev", "mkdir -p sub && cd sub", 'echo "stage=$STAGE dir=$(basename $PWD)"']
    old = deploy(project_definition({"version": 0.1, "phases": {"build": {"commands": commands}}}))
    build = start_build(old, "app")
    assert build.status == "SUCCEEDED", build.failure()
    assert "stage= dir=src" in build.lines
    new = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": commands}}}))
    build2 = start_build(new, "app")
    assert build2.status == "SUCCEEDED", build2.failure()
    assert "stage=dev dir=sub" in build2.lines


def test_a_buildspec_kept_in_the_source_is_read_from_the_downloaded_source(deploy: Deploy) -> None:
    pw = deploy(project_definition("ci/build.yaml"))
    spec = "version: 0.2\nphases:\n  build:\n    commands: [echo from the repository buildspec]\n"
    build = start_build(pw, BuildRequest("app", source=source_zip({"ci/build.yaml": spec})))
    assert build.status == "SUCCEEDED", build.failure()
    assert "from the repository buildspec" in build.lines


def test_no_buildspec_means_buildspec_yml_and_a_missing_file_fails_download_source(deploy: Deploy) -> None:
    body = yaml.safe_load(project_definition({}))
    del body["build_projects"]["app"]["buildspec"]
    pw = deploy(yaml.safe_dump(body, sort_keys=False))
    spec = "version: 0.1\nphases:\n  build:\n    commands: [echo from buildspec.yml]\n"
    build = start_build(pw, BuildRequest("app", source=source_zip({"buildspec.yml": spec})))
    assert build.status == "SUCCEEDED", build.failure()
    assert "from buildspec.yml" in build.lines
    missing = start_build(pw, BuildRequest("app", source=source_zip({"README.md": "no buildspec here"})))
    assert missing.status == "FAILED" and missing.phase("BUILD") is None
    assert missing.failure() == (
        "DOWNLOAD_SOURCE FAILED (YAML_FILE_ERROR: stat buildspec.yml: no such file or directory in the source; "
        "keep the buildspec at that path)"
    )


def test_a_command_the_sandbox_lacks_is_reported_as_such(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["aws-tool-not-here --x"]}}}))
    build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.shortfall == (
        "the command 'aws-tool-not-here --x' was not found (exit status 127): the build sandbox has the system's "
        "tools and python3 only, not the rest of the build image"
    )
    assert build.failure().endswith(f"; {build.shortfall}")


def test_a_command_that_needs_the_network_is_reported_as_such(deploy: Deploy) -> None:
    command = "echo 'ERROR: Could not fetch URL https://pypi.org/simple/requests/' && exit 1"
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": [command]}}}))
    build = start_build(pw, "app")
    assert build.status == "FAILED"
    assert build.shortfall.startswith(f"the command '{command}' needed the network (ERROR: Could not fetch URL")
    assert build.shortfall.endswith("the build sandbox reaches only the AWS endpoints")


def test_a_failing_command_of_the_pipeline_is_no_shortfall(deploy: Deploy) -> None:
    pw = deploy(project_definition({"version": 0.2, "phases": {"build": {"commands": ["exit 3"]}}}))
    build = start_build(pw, "app")
    assert build.status == "FAILED" and build.shortfall == ""
