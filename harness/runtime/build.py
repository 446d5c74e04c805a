"""The build runner: a CodeBuild build of a deployed project, run for real in the sandbox.

A build follows CodeBuild's phases: SUBMITTED, QUEUED, PROVISIONING (assume the service role, create the log
stream), DOWNLOAD_SOURCE (fetch secrets and the source, as the service role), INSTALL, PRE_BUILD, BUILD,
POST_BUILD (the buildspec's commands, in the sandbox), UPLOAD_ARTIFACTS, FINALIZING, COMPLETED. Its output goes to
CloudWatch Logs under the names CodeBuild uses, written as the service role, with secret values masked.

What CodeBuild does when the role may not write logs: if ``logs:CreateLogStream`` is refused the build fails in
PROVISIONING with ``ACCESS_DENIED`` (CodeBuild cannot start a build it cannot log); if only
``logs:PutLogEvents`` is refused the build runs and its events are lost, which the record's ``logDelivery``
reports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import io
import re
import secrets
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.errors import CheckFailed, InputError
from harness.provider.base import error_code
from harness.runtime.buildspec import Buildspec, SecretRef, buildspec_file, parse_buildspec
from harness.runtime.gateway import CREDENTIALS_PATH, Authorizer, Gateway
from harness.runtime.identity import service_session
from harness.runtime.logs import LogEvent, LogWrite, Masker, write_log_events
from harness.runtime.sandbox import SandboxPlan
from harness.runtime.secrets import SecretFailure, fetch_parameter, fetch_secret
from harness.runtime.state import runtime

# What a command prints when the sandbox, which reaches only the AWS endpoints, kept it from the network.
NO_NETWORK = re.compile(
    r"Could not resolve host|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|Failed to establish a new connection|Could not fetch URL|getaddrinfo failed|Connection refused",
    re.IGNORECASE,
)
COMMAND_NOT_FOUND = 127
RELAY_PORT = 4599  # inside the build's own namespace, so any free port number will do
BUILD_STATUSES = ("SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "IN_PROGRESS", "STOPPED")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class S3Location:
    """An object in a bucket (a source archive or an artifact)."""

    bucket: str
    key: str


@dataclass(slots=True)
class PhaseRecord:
    """One phase of a build, as batch_get_builds reports it (durations on the build clock)."""

    phase_type: str
    start: float
    end: float | None = None
    status: str = ""
    contexts: list[dict[str, str]] = field(default_factory=list)
    seconds_per_minute: float = 60.0

    @property
    def duration(self) -> int:
        """The phase's duration in build-clock seconds."""
        if self.end is None:
            return 0
        return round((self.end - self.start) * 60.0 / self.seconds_per_minute)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"phaseType": self.phase_type, "startTime": _when(self.start)}
        if self.end is not None:
            out["endTime"] = _when(self.end)
            out["durationInSeconds"] = self.duration
        if self.status:
            out["phaseStatus"] = self.status
        if self.contexts:
            out["contexts"] = list(self.contexts)
        return out


@dataclass(slots=True)
class BuildRecord:
    """One build: status, phases, logs, artifacts; ``to_dict`` gives batch_get_builds' shape.

    Attributes:
        lines: the build's log as written (masked), one line per event.
        log_group, log_stream: where CloudWatch Logs has it ('' when CloudWatch logs are disabled).
        log_delivery: the results of writing the log (an error means events were lost).
        artifact: the uploaded primary artifact, or None; ``artifact_zip`` its bytes.
        exported: the buildspec's exported variables.
        identity: the service role session the build ran as.
        shortfall: why a command failed for lack of what the build sandbox does not provide (a tool of the build
            image, the network beyond AWS), '' otherwise: such a failure says nothing about the pipeline.
    """

    id: str
    arn: str
    number: int
    project: str
    project_arn: str
    service_role: str
    initiator: str
    timeout_minutes: int
    start: float
    status: str = "IN_PROGRESS"
    current_phase: str = "SUBMITTED"
    end: float | None = None
    phases: list[PhaseRecord] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    log_group: str = ""
    log_stream: str = ""
    s3_log: S3Location | None = None
    log_delivery: list[LogWrite] = field(default_factory=list)
    artifact: S3Location | None = None
    artifact_zip: bytes = b""
    exported: dict[str, str] = field(default_factory=dict)
    environment: list[dict[str, str]] = field(default_factory=list)
    identity: Identity | None = None
    source_version: str = ""
    shortfall: str = ""

    @property
    def uuid(self) -> str:
        """The build id's uuid part (also the log stream's last component)."""
        return self.id.partition(":")[2]

    @property
    def complete(self) -> bool:
        """True once the build has ended."""
        return self.status != "IN_PROGRESS"

    def phase(self, phase_type: str) -> PhaseRecord | None:
        """The record of one phase (upper case, e.g. ``BUILD``)."""
        return next((p for p in self.phases if p.phase_type == phase_type), None)

    def failure(self) -> str:
        """The first failed phase and its context, for messages ('' for a successful build), with the sandbox's
        shortfall when that is why."""
        for p in self.phases:
            if p.status not in ("", "SUCCEEDED"):
                context = "; ".join(f"{c['statusCode']}: {c['message']}" for c in p.contexts)
                found = f"{p.phase_type} {p.status}" + (f" ({context})" if context else "")
                return found + (f"; {self.shortfall}" if self.shortfall else "")
        return ""

    def to_dict(self) -> dict[str, Any]:
        """The build as batch_get_builds returns it (the fields the runtime knows)."""
        logs: dict[str, Any] = {}
        if self.log_group:
            logs = {
                "groupName": self.log_group,
                "streamName": self.log_stream,
                "cloudWatchLogs": {"status": "ENABLED", "groupName": self.log_group, "streamName": self.log_stream},
            }
        if self.s3_log is not None:
            logs["s3LogsArn"] = f"arn:aws:s3:::{self.s3_log.bucket}/{self.s3_log.key}"
            logs["s3Logs"] = {"status": "ENABLED", "location": f"{self.s3_log.bucket}/{self.s3_log.key}"}
        out: dict[str, Any] = {
            "id": self.id,
            "arn": self.arn,
            "buildNumber": self.number,
            "startTime": _when(self.start),
            "currentPhase": self.current_phase,
            "buildStatus": self.status,
            "projectName": self.project,
            "phases": [p.to_dict() for p in self.phases],
            "environment": {"environmentVariables": list(self.environment)},
            "serviceRole": self.service_role,
            "logs": logs,
            "timeoutInMinutes": self.timeout_minutes,
            "buildComplete": self.complete,
            "initiator": self.initiator,
            "exportedEnvironmentVariables": [{"name": k, "value": v} for k, v in self.exported.items()],
        }
        if self.end is not None:
            out["endTime"] = _when(self.end)
        if self.source_version:
            out["sourceVersion"] = self.source_version
        if self.artifact is not None:
            out["artifacts"] = {"location": f"arn:aws:s3:::{self.artifact.bucket}/{self.artifact.key}"}
        return out


def _when(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.UTC)


def _stamp(at: float) -> str:
    return _when(at).strftime("%Y/%m/%d %H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """A project as the backend stores it (what CodeBuild reads when a build starts).

    Attributes:
        buildspec: the project's inline buildspec; None when it is kept in the source (``buildspec_file``), which
            the build reads once it has downloaded the source.
        buildspec_file: the path of the buildspec in the source ('' for an inline buildspec).
        source_type, source_location: the project's source as CodeBuild keeps it.
    """

    name: str
    arn: str
    service_role: str
    buildspec: Buildspec | None
    variables: tuple[dict[str, str], ...]
    timeout_minutes: int
    log_group: str
    stream_prefix: str
    cloudwatch_enabled: bool
    s3_logs: S3Location | None
    image: str
    buildspec_file: str = ""
    source_type: str = "CODEPIPELINE"
    source_location: str = ""


def read_project(deployment: Deployment, name: str) -> ProjectConfig:
    """Read a build project back from the backend; ``name`` is the definition's name or the physical name.

    Raises:
        CheckFailed: when no such project is deployed.
        InputError: when its inline buildspec is not a valid buildspec.
    """
    physical = deployment.physical_name("build_projects", name)
    found = deployment.backend.client("codebuild").batch_get_projects(names=[physical]).get("projects", [])
    if not found:
        raise CheckFailed(f"build project '{name}': expected it to be deployed, found none; deploy the pipeline first")
    project = found[0]
    source = project.get("source") or {}
    spec_text = source.get("buildspec") or ""
    in_source = buildspec_file(spec_text)
    buildspec = None
    if in_source is None:
        try:
            buildspec = parse_buildspec(spec_text)
        except InputError as exc:
            raise InputError(
                where=f"build project '{name}' buildspec", expected=exc.expected, found=exc.found, fix=exc.fix
            ) from None
    logs = project.get("logsConfig") or {}
    cw = logs.get("cloudWatchLogs") or {}
    s3 = logs.get("s3Logs") or {}
    cw_enabled = cw.get("status", "ENABLED") == "ENABLED"
    s3_location = None
    if s3.get("status") == "ENABLED" and s3.get("location"):
        bucket, _, prefix = str(s3["location"]).partition("/")
        s3_location = S3Location(bucket, prefix)
    return ProjectConfig(
        name=project["name"],
        arn=project["arn"],
        service_role=project["serviceRole"],
        buildspec=buildspec,
        variables=tuple(project.get("environment", {}).get("environmentVariables", [])),
        timeout_minutes=int(project.get("timeoutInMinutes") or 60),
        log_group=cw.get("groupName") or f"/aws/codebuild/{project['name']}",
        stream_prefix=cw.get("streamName") or "",
        cloudwatch_enabled=cw_enabled,
        s3_logs=s3_location,
        image=project.get("environment", {}).get("image", ""),
        buildspec_file=in_source or "",
        source_type=str(source.get("type") or "CODEPIPELINE"),
        source_location=str(source.get("location") or ""),
    )


def gateway_for(deployment: Deployment, authorizer: Authorizer | None = None) -> Gateway:
    """The deployment's build gateway, started on first use; ``authorizer`` replaces its authorizer when given."""
    state = runtime(deployment)
    if state.gateway is None:
        state.gateway = Gateway(deployment.backend, authorizer)
        state.gateway.start()
    elif authorizer is not None:
        state.gateway.authorizer = authorizer
    return state.gateway


class _LogSink:
    """Buffers masked log lines and writes them through ``write_log_events`` at phase boundaries."""

    def __init__(self, deployment: Deployment, record: BuildRecord, identity: Identity | None) -> None:
        self.deployment = deployment
        self.record = record
        self.identity = identity
        self.masker = Masker()
        self.pending: list[LogEvent] = []
        self.enabled = False

    def line(self, text: str, at: float | None = None) -> None:
        masked = self.masker(text)
        self.record.lines.append(masked)
        if self.enabled:
            self.pending.append(LogEvent(int((at or time.time()) * 1000), masked))
            if len(self.pending) >= 1000:
                self.flush()

    def container(self, text: str) -> None:
        now = time.time()
        self.line(f"[Container] {_stamp(now)} {text}", now)

    def flush(self) -> None:
        if not self.enabled or not self.pending:
            self.pending.clear()
            return
        events, self.pending = self.pending, []
        result = write_log_events(
            self.deployment, self.record.log_group, self.record.log_stream, events, identity=self.identity
        )
        self.record.log_delivery.append(result)


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What starts a build: the project, the source, where the artifact goes, who asked.

    Attributes:
        project: the project's name in the definition (or its physical name).
        source: a zip archive's bytes, a directory, or an object in S3 (read as the service role); None for none.
        artifact: where the primary artifact is uploaded (as the service role); None keeps it on the record only.
        initiator: who started the build (``codepipeline/<pipeline>`` for a pipeline action).
        variables: environment variable overrides (start-build's ``environmentVariablesOverride``).
        source_version: the source revision, shown as CODEBUILD_SOURCE_VERSION.
        buildspec_override: a buildspec replacing the project's for this build (start-build's
            ``buildspecOverride``), parsed, as a mapping or as YAML text.
        stop_after_minutes: stop the build (status STOPPED, as StopBuild would) if it is still running after this
            many build minutes; None lets it run to its timeout.
    """

    project: str
    source: bytes | Path | S3Location | None = None
    artifact: S3Location | None = None
    initiator: str = "pipewarden"
    variables: tuple[dict[str, str], ...] = ()
    source_version: str = ""
    buildspec_override: Buildspec | Mapping[str, Any] | str | None = None
    stop_after_minutes: float | None = None

    def __post_init__(self) -> None:
        if self.stop_after_minutes is not None and self.stop_after_minutes <= 0:
            raise ValueError(f"stop_after_minutes: expected a positive number, found {self.stop_after_minutes}")


def start_build(deployment: Deployment, request: BuildRequest | str) -> BuildRecord:
    """Run a build of a deployed project to completion and return its record.

    Args:
        deployment: the deployment holding the project.
        request: a ``BuildRequest``, or just the project's name.

    Returns:
        The completed build (status SUCCEEDED, FAILED or TIMED_OUT); also kept for ``get_build``.

    Raises:
        Unverified: when builds cannot be sandboxed on this machine.
        CheckFailed: when the project is not deployed.
    """
    if isinstance(request, str):
        request = BuildRequest(request)
    state = runtime(deployment)
    state.sandbox.require()
    project = read_project(deployment, request.project)
    override = request.buildspec_override
    if override is not None:
        spec = override if isinstance(override, Buildspec) else parse_buildspec(override)
        project = dataclasses.replace(project, buildspec=spec, buildspec_file="")
    with state.lock:
        number = state.build_numbers.get(project.name, 0) + 1
        state.build_numbers[project.name] = number
    build_uuid = str(uuid.uuid4())
    build_id = f"{project.name}:{build_uuid}"
    account = project.arn.split(":")[4]
    record = BuildRecord(
        id=build_id,
        arn=f"arn:aws:codebuild:{deployment.backend.region}:{account}:build/{build_id}",
        number=number,
        project=project.name,
        project_arn=project.arn,
        service_role=project.service_role,
        initiator=request.initiator,
        timeout_minutes=project.timeout_minutes,
        start=time.time(),
        source_version=request.source_version,
    )
    state.builds[build_id] = record
    _BuildRun(deployment, project, request, record).run()
    return record


class _BuildRun:
    """One build from PROVISIONING to COMPLETED."""

    def __init__(self, deployment: Deployment, project: ProjectConfig, request: BuildRequest, record: BuildRecord):
        self.deployment = deployment
        self.project = project
        self.request = request
        self.record = record
        self.state = runtime(deployment)
        self.spm = self.state.seconds_per_minute
        self.sink = _LogSink(deployment, record, None)
        self.failed = False
        self.credentials_token = ""

    # -- phase bookkeeping ---------------------------------------------------------------------------------
    def begin(self, phase_type: str) -> PhaseRecord:
        phase = PhaseRecord(phase_type, time.time(), seconds_per_minute=self.spm)
        self.record.phases.append(phase)
        self.record.current_phase = phase_type
        return phase

    def end(self, phase: PhaseRecord, status: str, code: str = "", message: str = "") -> None:
        phase.end = time.time()
        phase.status = status
        if code or message:
            phase.contexts.append({"statusCode": code, "message": message})
        if status != "SUCCEEDED":
            self.failed = True

    def instant(self, phase_type: str, status: str = "SUCCEEDED") -> None:
        self.end(self.begin(phase_type), status)

    def emit(self) -> None:
        _emit_build_event(self.deployment, self.record)

    # -- the build -----------------------------------------------------------------------------------------
    def run(self) -> None:
        self.emit()
        self.instant("SUBMITTED")
        self.instant("QUEUED")
        workspace = Path(tempfile.mkdtemp(prefix="pw-build-"))
        gateway: Gateway | None = None
        try:
            identity = self.provision()
            if identity is not None:
                gateway = gateway_for(self.deployment)
                self.credentials_token = gateway.register(identity)
                env = self.download_source(identity, workspace)
                if env is not None:
                    self.build_phases(workspace, env, gateway)
        except BaseException:
            # The harness itself broke: CodeBuild's word for a build that ended for reasons not its own.
            self.record.status = "FAULT"
            raise
        finally:
            if gateway is not None and self.record.identity is not None:
                gateway.unregister(self.record.identity)
            self.finish()
            shutil.rmtree(workspace, ignore_errors=True)

    def provision(self) -> Identity | None:
        phase = self.begin("PROVISIONING")
        try:
            identity = service_session(
                self.deployment,
                self.project.service_role,
                f"AWSCodeBuild-{self.record.uuid}",
                "CodeBuild build role",
                source_arn=self.project.arn,
            )
        except Exception as exc:
            self.end(phase, "FAILED", "ACCESS_DENIED", f"CodeBuild could not assume the service role: {exc}")
            return None
        self.record.identity = identity
        self.sink.identity = identity
        if self.project.cloudwatch_enabled:
            self.record.log_group = self.project.log_group
            prefix = self.project.stream_prefix
            self.record.log_stream = f"{prefix}/{self.record.uuid}" if prefix else self.record.uuid
            refusal = self._create_stream(identity)
            if refusal:
                self.end(
                    phase,
                    "FAILED",
                    "ACCESS_DENIED",
                    f"Service role {self.project.service_role} does not allow AWS CodeBuild to create Amazon "
                    f"CloudWatch Logs log streams for build {self.record.arn}. Error message: {refusal}",
                )
                self.record.log_group = self.record.log_stream = ""
                return None
            self.sink.enabled = True
        self.end(phase, "SUCCEEDED")
        self.sink.container("Waiting for agent ping")
        self.sink.container("Waiting for DOWNLOAD_SOURCE")
        return identity

    def _create_stream(self, identity: Identity) -> str:
        logs = self.deployment.backend.client("logs", identity)
        group, stream = self.record.log_group, self.record.log_stream
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            return ""
        except Exception as exc:
            code = error_code(exc)
            if not code:
                raise
            if code != "ResourceNotFoundException":
                return str(exc)
        # CodeBuild creates a missing group when the role may (logs:CreateLogGroup), then the stream.
        try:
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            return ""
        except Exception as exc:
            if not error_code(exc):
                raise
            return str(exc)

    def download_source(self, identity: Identity, workspace: Path) -> dict[str, str] | None:
        phase = self.begin("DOWNLOAD_SOURCE")
        src = workspace / "src"
        src.mkdir()
        problem = self._fetch_source(identity, src)
        code = "CLIENT_ERROR"
        if not problem:
            code, problem = "YAML_FILE_ERROR", self._buildspec_from_source(src)
        if problem:
            self.end(phase, "FAILED", code, problem)
            self.sink.container("Phase complete: DOWNLOAD_SOURCE State: FAILED")
            self.sink.container(f"Phase context status code: {code} Message: {problem}")
            return None
        spec = self.buildspec
        plain: dict[str, str] = dict(spec.env.variables)
        secret_values: list[str] = []
        try:
            for name, parameter in spec.env.parameter_store:
                value = fetch_parameter(self.deployment, identity, name, parameter)
                plain[name] = value
                secret_values.append(value)
            for name, ref in spec.env.secrets_manager:
                value = fetch_secret(self.deployment, identity, name, ref)
                plain[name] = value
                secret_values.append(value)
            # Project variables (and start-build overrides) take precedence over the buildspec's.
            for variable in (*self.project.variables, *self.request.variables):
                kind = variable.get("type", "PLAINTEXT")
                name, value = variable["name"], variable.get("value", "")
                if kind == "PARAMETER_STORE":
                    value = fetch_parameter(self.deployment, identity, name, value)
                    secret_values.append(value)
                elif kind == "SECRETS_MANAGER":
                    value = fetch_secret(self.deployment, identity, name, SecretRef.parse(value))
                    secret_values.append(value)
                plain[name] = value
                self.record.environment.append({"name": name, "value": variable.get("value", ""), "type": kind})
        except SecretFailure as failure:
            self.sink.container("Phase complete: DOWNLOAD_SOURCE State: FAILED")
            self.sink.container(f"Phase context status code: {failure.code} Message: {failure.message}")
            self.end(phase, "FAILED", failure.code, failure.message)
            return None
        self.sink.masker = Masker(secret_values)
        self.end(phase, "SUCCEEDED")
        self.sink.container(f"CODEBUILD_SRC_DIR={src}")
        self.sink.container("Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED")
        self.sink.container("Phase context status code:  Message: ")
        return plain

    @property
    def buildspec(self) -> Buildspec:
        """The buildspec this build runs (known once the source is downloaded)."""
        assert self.project.buildspec is not None, "the buildspec is read in DOWNLOAD_SOURCE"
        return self.project.buildspec

    def _buildspec_from_source(self, src: Path) -> str:
        """Read the buildspec kept in the source, as CodeBuild does after downloading it; '' or the problem."""
        if self.project.buildspec is not None:
            return ""
        path = self.project.buildspec_file
        target = (src / path).resolve()
        if not target.is_relative_to(src.resolve()) or not target.is_file():
            return f"stat {path}: no such file or directory in the source; keep the buildspec at that path"
        try:
            spec = parse_buildspec(target.read_text(errors="replace"))
        except InputError as exc:
            return f"{path}: expected {exc.expected}, found {exc.found}; {exc.fix}"
        self.project = dataclasses.replace(self.project, buildspec=spec)
        return ""

    def _fetch_source(self, identity: Identity, src: Path) -> str:
        source = self.request.source
        if source is None:
            return ""
        if isinstance(source, Path):
            shutil.copytree(source, src, dirs_exist_ok=True)
            return ""
        if isinstance(source, S3Location):
            s3 = self.deployment.backend.client("s3", identity)
            try:
                source = s3.get_object(Bucket=source.bucket, Key=source.key)["Body"].read()
            except Exception as exc:
                if not error_code(exc):
                    raise
                return f"{error_code(exc)}: {exc} for primary source"
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(source))) as archive:
                _safe_extract(archive, src)
        except zipfile.BadZipFile:
            return "the source is not a zip archive"
        return ""

    def _environment(self, workspace: Path, plain: Mapping[str, str], gateway: Gateway) -> dict[str, str]:
        assert self.record.identity is not None
        tools = workspace / "tools"
        tools.mkdir()
        # The build image provides python3 with the AWS SDK, as aws/codebuild/standard does.
        for name in ("python3", "python"):
            wrapper = tools / name
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            wrapper.chmod(0o755)
        home = workspace / "home"
        home.mkdir()
        tmp = workspace / "tmp"
        tmp.mkdir()
        region = self.deployment.backend.region
        env = {
            "PATH": f"{tools}:{SYSTEM_PATH}",
            "HOME": str(home),
            "TMPDIR": str(tmp),
            "LANG": "C.UTF-8",
            "CODEBUILD_BUILD_ID": self.record.id,
            "CODEBUILD_BUILD_ARN": self.record.arn,
            "CODEBUILD_BUILD_NUMBER": str(self.record.number),
            "CODEBUILD_BUILD_IMAGE": self.project.image,
            "CODEBUILD_INITIATOR": self.record.initiator,
            "CODEBUILD_SRC_DIR": str(workspace / "src"),
            "CODEBUILD_START_TIME": str(int(self.record.start * 1000)),
            "CODEBUILD_SOURCE_VERSION": self.record.source_version,
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # The role session comes from the container credentials endpoint, as in CodeBuild, not from keys in
            # the environment.
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{RELAY_PORT}{CREDENTIALS_PATH}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.credentials_token,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{RELAY_PORT}",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update(plain)
        return env

    def build_phases(self, workspace: Path, plain: dict[str, str], gateway: Gateway) -> None:
        spec = self.buildspec
        env = self._environment(workspace, plain, gateway)
        state_dir = workspace / "state"
        state_dir.mkdir()
        phases = tuple(
            {
                "name": p.name,
                "commands": list(p.commands),
                "finally": list(p.finally_commands),
                "on_failure": p.on_failure,
            }
            for p in spec.phases
        )
        plan = SandboxPlan(
            workdir=workspace / "src",
            state_dir=state_dir,
            env=env,
            phases=phases,
            marker=secrets.token_hex(16),
            exported=spec.env.exported_variables,
            relay_port=RELAY_PORT,
            relay_socket=gateway.socket_path,
            shared_shell=spec.shared_shell,
        )
        current: dict[str, PhaseRecord | None] = {}
        output_from = [0]

        def on_event(event: dict[str, Any]) -> None:
            kind = event["e"]
            if kind == "phase_start":
                self.sink.container(f"Entering phase {event['phase']}")
                current["phase"] = self.begin(event["phase"])
            elif kind == "command":
                self.sink.container(f"Running command {event['command']}")
                output_from[0] = len(self.record.lines)
            elif kind == "command_end" and event.get("rc") and not self.record.shortfall:
                self.record.shortfall = _shortfall(
                    event["command"], int(event["rc"]), self.record.lines[output_from[0] :]
                )
            elif kind == "phase_end":
                phase = current.pop("phase", None) or self.begin(event["phase"])
                self.end(phase, event["status"], event.get("code", ""), event.get("message", ""))
                self.sink.container(f"Phase complete: {event['phase']} State: {event['status']}")
                self.sink.container(
                    f"Phase context status code: {event.get('code', '')} Message: {event.get('message', '')}"
                )
                self.sink.flush()

        # The build clock runs while the buildspec's commands run: the harness's own provisioning (role session,
        # log stream, secrets) takes seconds here and must not eat into a timeout scaled down to seconds.
        stop = self.request.stop_after_minutes
        stopping = stop is not None and stop < self.project.timeout_minutes
        minutes = stop if stopping and stop is not None else self.project.timeout_minutes
        deadline = minutes * self.spm
        outcome = self.state.sandbox.run(plan, deadline, self.sink.line, on_event)
        if outcome.timed_out and stopping:
            phase = current.pop("phase", None) or self.begin(self.record.current_phase)
            self.end(phase, "STOPPED", "BUILD_STOPPED", f"Build was stopped after {stop} minutes")
            self.sink.container(f"Phase complete: {phase.phase_type} State: STOPPED")
            self.record.status = "STOPPED"
            return
        if outcome.timed_out:
            phase = current.pop("phase", None) or self.begin(self.record.current_phase)
            self.end(phase, "TIMED_OUT", "BUILD_TIMED_OUT", "Build has timed out. ")
            self.sink.container(f"Phase complete: {phase.phase_type} State: TIMED_OUT")
            self.sink.container(
                f"Phase context status code: BUILD_TIMED_OUT Message: Build has timed out after "
                f"{self.project.timeout_minutes} minutes"
            )
            self.record.status = "TIMED_OUT"
            return
        done = next((e for e in outcome.events if e["e"] == "done"), None)
        if done is None:
            phase = current.pop("phase", None) or self.begin(self.record.current_phase)
            self.end(
                phase,
                "FAULT",
                "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE",
                f"the build process ended ({outcome.returncode})",
            )
            self.record.status = "FAULT"
            return
        self.record.exported = {k: self.sink.masker(v) for k, v in done.get("exported", {}).items()}
        if done.get("upload", True):
            self.upload_artifacts(workspace / "src")

    def upload_artifacts(self, src: Path) -> None:
        phase = self.begin("UPLOAD_ARTIFACTS")
        spec = self.buildspec.artifacts
        if spec is None or not spec.files:
            self.end(phase, "SUCCEEDED")
            return
        try:
            data = collect_artifacts(src, spec.files, spec.base_directory, spec.discard_paths)
        except FileNotFoundError as exc:
            self.end(phase, "FAILED", "CLIENT_ERROR", str(exc))
            self.sink.container("Phase complete: UPLOAD_ARTIFACTS State: FAILED")
            self.sink.container(f"Phase context status code: CLIENT_ERROR Message: {exc}")
            return
        self.record.artifact_zip = data
        target = self.request.artifact
        if target is not None:
            s3 = self.deployment.backend.client("s3", self.record.identity)
            try:
                s3.put_object(Bucket=target.bucket, Key=target.key, Body=data)
            except Exception as exc:
                if not error_code(exc):
                    raise
                message = f"{error_code(exc)}: {exc}"
                self.end(phase, "FAILED", "CLIENT_ERROR", message)
                self.sink.container("Phase complete: UPLOAD_ARTIFACTS State: FAILED")
                self.sink.container(f"Phase context status code: CLIENT_ERROR Message: {message}")
                return
            self.record.artifact = target
        self.end(phase, "SUCCEEDED")
        self.sink.container("Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED")

    def finish(self) -> None:
        if self.record.status == "IN_PROGRESS":
            self.record.status = "FAILED" if self.failed else "SUCCEEDED"
        self.instant("FINALIZING")
        completed = self.begin("COMPLETED")
        self.record.current_phase = "COMPLETED"
        self.record.end = completed.start
        self.sink.flush()
        self._s3_log()
        self.deployment.evidence.note(
            f"build {self.record.id}: {self.record.status}"
            + (f" ({self.record.failure()})" if self.record.status != "SUCCEEDED" else "")
        )
        self.emit()

    def _s3_log(self) -> None:
        location = self.project.s3_logs
        if location is None or self.record.identity is None:
            return
        key = f"{location.key.rstrip('/')}/{self.record.uuid}.gz".lstrip("/")
        body = gzip.compress(("\n".join(self.record.lines) + "\n").encode())
        s3 = self.deployment.backend.client("s3", self.record.identity)
        try:
            s3.put_object(Bucket=location.bucket, Key=key, Body=body)
        except Exception as exc:
            if not error_code(exc):
                raise
            self.record.log_delivery.append(LogWrite(location.bucket, key, 0, error_code(exc), str(exc)))
            return
        self.record.s3_log = S3Location(location.bucket, key)


def _shortfall(command: str, rc: int, output: Sequence[str]) -> str:
    """Why a failed command failed for lack of what the sandbox provides, or ''."""
    if rc == COMMAND_NOT_FOUND:
        return (
            f"the command '{command}' was not found (exit status 127): the build sandbox has the system's tools and "
            "python3 only, not the rest of the build image"
        )
    offline = next((line for line in output if NO_NETWORK.search(line)), None)
    if offline is not None:
        return (
            f"the command '{command}' needed the network ({offline.strip()[:160]}): the build sandbox reaches only "
            "the AWS endpoints"
        )
    return ""


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    root = target.resolve()
    for member in archive.infolist():
        destination = (target / member.filename).resolve()
        if not destination.is_relative_to(root):
            continue  # a member that would escape the source directory is skipped
        archive.extract(member, target)


def collect_artifacts(
    src: Path, patterns: Sequence[str], base_directory: str = "", discard_paths: bool = False
) -> bytes:
    """Zip the files the artifact patterns select, as CodeBuild lays them out.

    Paths in the archive are relative to ``base_directory`` (or only file names with ``discard_paths``).

    Raises:
        FileNotFoundError: when no file matches, as CodeBuild's "no matching artifact paths found".
    """
    base = (src / base_directory) if base_directory else src
    chosen: dict[str, Path] = {}
    for pattern in patterns:
        pattern = pattern.lstrip("./") if pattern.startswith("./") else pattern
        for path in sorted(base.glob(pattern)):
            if path.is_file():
                name = path.name if discard_paths else path.relative_to(base).as_posix()
                chosen.setdefault(name, path)
    if not chosen:
        raise FileNotFoundError(f"no matching artifact paths found for {list(patterns)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(chosen.items()):
            archive.write(path, name)
    return buffer.getvalue()


def _emit_build_event(deployment: Deployment, record: BuildRecord) -> None:
    account = record.arn.split(":")[4]
    detail: dict[str, Any] = {
        "build-status": record.status,
        "project-name": record.project,
        "build-id": record.arn,
        "additional-information": {
            "initiator": record.initiator,
            "timeout-in-minutes": record.timeout_minutes,
            "build-complete": record.complete,
            "build-number": record.number,
            "build-start-time": _when(record.start).strftime("%b %d, %Y %I:%M:%S %p"),
            "phases": [
                {
                    "phase-type": p.phase_type,
                    "phase-status": p.status,
                    "duration-in-seconds": p.duration,
                    "phase-context": [f"{c['statusCode']}: {c['message']}" for c in p.contexts],
                }
                for p in record.phases
            ],
        },
        "current-phase": record.current_phase,
        "current-phase-context": "[]",
        "version": "1",
    }
    if record.log_group:
        detail["additional-information"]["logs"] = {"group-name": record.log_group, "stream-name": record.log_stream}
    emit_event(deployment, "aws.codebuild", "CodeBuild Build State Change", [record.arn], detail, account)


def emit_event(
    deployment: Deployment, source: str, detail_type: str, resources: list[str], detail: dict[str, Any], account: str
) -> dict[str, Any]:
    """Append one EventBridge event, in AWS's envelope, to the deployment's captured events; return it."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        # The deployment's clock, which the trail and the alarms read too.
        "time": deployment.trail.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": deployment.backend.region,
        "resources": resources,
        "detail": detail,
    }
    state = runtime(deployment)
    state.events.append(event)
    for listener in list(state.listeners):
        listener(event)
    return event


def get_build(deployment: Deployment, build_id: str) -> BuildRecord:
    """A build started in this deployment, by id.

    Raises:
        CheckFailed: for an unknown id.
    """
    found = runtime(deployment).builds.get(build_id)
    if found is None:
        raise CheckFailed(f"build '{build_id}': expected a build of this run, found none")
    return found


def batch_get_builds(deployment: Deployment, ids: Sequence[str]) -> dict[str, Any]:
    """Builds in batch_get_builds' response shape (unknown ids under ``buildsNotFound``)."""
    builds = runtime(deployment).builds
    return {
        "builds": [builds[i].to_dict() for i in ids if i in builds],
        "buildsNotFound": [i for i in ids if i not in builds],
    }


def buildspec_yaml(spec: Mapping[str, Any]) -> str:
    """A buildspec mapping as YAML text (for tests and fixtures)."""
    return yaml.safe_dump(dict(spec), sort_keys=False)
