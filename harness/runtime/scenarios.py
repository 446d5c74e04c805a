"""Scenario operations and checks of the runtime: the typed functions build-log and release-approval steps call.

A scenario in plain pytest::

    deploy(pw, load_fixture("reference"))
    build = run_pipeline_build(pw)
    expect_build_logged(pw, build)
    expect_logs_unreadable_by(pw, build, "another pipeline's build")
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from harness.acceptance import Deployment
from harness.backends.base import Identity
from harness.errors import BESIDE, CheckFailed, InputError, Unverified, absent
from harness.model.base import INTERPOLATION
from harness.provider.base import error_code
from harness.provider.resources.codebuild_project import BuildProject
from harness.provider.resources.codecommit import Repository
from harness.provider.resources.codepipeline import Pipeline
from harness.provider.resources.iam_role import Role
from harness.provider.resources.lambda_function import Function
from harness.runtime.build import BuildRecord, BuildRequest, read_project, start_build
from harness.runtime.buildspec import Buildspec, BuildspecEnv, Phase, parse_buildspec
from harness.runtime.logs import MASK, read_log_messages
from harness.runtime.pipeline import ApprovalOutcome, Execution, put_approval_result, start_pipeline_execution
from harness.runtime.secrets import FUNCTION, PlaintextSecret, plain_parameter, plaintext_secret
from harness.runtime.state import runtime, set_build_clock

# Builds run on the real clock, except the hanging build, whose minutes last a tenth of a second so a 60-minute
# limit is reached in six seconds.
HANGING_SECONDS_PER_MINUTE = 0.1
REAL_SECONDS_PER_MINUTE = 60.0


# -- what the definition says --------------------------------------------------------------------------------
def main_pipeline(deployment: Deployment) -> Pipeline:
    """The pipeline the scenarios exercise: the first one of the definition.

    Raises:
        Unverified: when the definition has no pipeline (the claim has no subject).
    """
    definition = deployment.require_definition()
    for resource in definition.of_type(Pipeline):
        if isinstance(resource, Pipeline):
            return resource
    raise absent(f"definition '{definition.name}'", "declares no pipeline", f"declare the pipeline {BESIDE}")


def pipeline_build_project(deployment: Deployment) -> BuildProject:
    """The build project the main pipeline's first CodeBuild action runs (else the first build project).

    Raises:
        Unverified: when the definition has no build project (the claim has no subject).
    """
    definition = deployment.require_definition()
    projects = {p.name: p for p in definition.of_type(BuildProject) if isinstance(p, BuildProject)}
    prefix = "${build_projects."
    pipelines = [p for p in definition.of_type(Pipeline) if isinstance(p, Pipeline)]
    for stage in pipelines[0].stages if projects and pipelines else ():
        for action in stage.actions:
            name = action.configuration.get("ProjectName", "")
            if action.provider == "CodeBuild" and name.startswith(prefix):
                found = projects.get(name[len(prefix) :].split(".")[0])
                if found is not None:
                    return found
    if projects:
        return next(iter(projects.values()))
    raise absent(f"definition '{definition.name}'", "declares no build project", f"declare the build project {BESIDE}")


def _role_of(deployment: Deployment, name: str) -> Role:
    definition = deployment.require_definition()
    role = definition.get("roles", name)
    if not isinstance(role, Role):
        raise CheckFailed(f"definition '{definition.name}': expected a role '{name}', found none")
    return role


def other_pipeline_role(deployment: Deployment) -> Role:
    """A role of another pipeline: tagged with a ``pipeline`` other than the build role's.

    Raises:
        Unverified: when the definition declares no role of another pipeline to try with.
    """
    own = _role_of(deployment, pipeline_build_project(deployment).service_role)
    mine = own.tags.get("pipeline")
    definition = deployment.require_definition()
    for role in definition.of_type(Role):
        if isinstance(role, Role) and role.tags.get("pipeline") not in (None, mine):
            return role
    raise Unverified(
        f"definition '{definition.name}': no role of another pipeline is declared (a role tagged with a different "
        "'pipeline'), so reading this pipeline's logs from another pipeline cannot be tried"
    )


# -- people and sessions -------------------------------------------------------------------------------------
def person(deployment: Deployment, scenario_role: str, name: str) -> Identity:
    """A person (``dana``) in the part ``scenario_role`` (``developer``), played by a role, a user or a group of the
    definition (see :func:`harness.enforce.api.act_as_person`).

    Raises:
        CheckFailed: when the role's trust policy refuses the account's principals.
        Unverified: when nothing of the definition plays the part, or the deployment runs without IAM enforcement.
    """
    from harness.enforce.api import act_as_person

    if getattr(deployment, "principals", None) is None:
        raise Unverified("this deployment runs without IAM enforcement; it issues no role sessions for people")
    return act_as_person(deployment, scenario_role, name)


def role_session(deployment: Deployment, role: Role, label: str) -> Identity:
    """A session of a definition role, assumed by the service its trust policy names (as that service would)."""
    from harness.runtime.identity import acting_for, service_session

    trust = role.trust_document()
    principal = trust.get("Statement", [{}])[0].get("Principal", {})
    service = principal.get("Service") if isinstance(principal, dict) else None
    service = str(service[0] if isinstance(service, list) else service or "codebuild.amazonaws.com")
    arn = deployment.provider.state[str(role.address)].arn
    source = acting_for(deployment, role, service)
    return service_session(deployment, arn, f"pipewarden-{role.name}"[:64], label, service, source_arn=source)


# -- builds ----------------------------------------------------------------------------------------------------
def default_source() -> bytes:
    """A small source archive for scenarios that need one (a README)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "source of a pipewarden scenario\n")
    return buffer.getvalue()


def run_pipeline_build(
    deployment: Deployment, extra_commands: tuple[str, ...] = (), stop_after_minutes: float | None = None
) -> BuildRecord:
    """Run one probe build of the pipeline's build project on the scenario clock: the project's role, variables,
    image, logs and network, with a buildspec of pipewarden's own (``probe_buildspec``) whose BUILD phase echoes a
    line and then runs ``extra_commands``.

    Claims about what every build does (it logs, it masks its secrets, it times out) need a build to run, not the
    project's own commands: those may need tools or network the sandbox lacks, and must not decide them.

    Returns:
        The completed build.
    """
    project = pipeline_build_project(deployment)
    request = BuildRequest(
        project.name,
        source=default_source(),
        initiator="pipewarden-scenario",
        buildspec_override=probe_buildspec(deployment, project, extra_commands),
        stop_after_minutes=stop_after_minutes,
    )
    return start_build(deployment, request)


PROBE_LINE = "pipewarden probe build"


def probe_buildspec(deployment: Deployment, project: BuildProject, commands: tuple[str, ...] = ()) -> Buildspec:
    """pipewarden's own buildspec for a probe build of ``project``: the ``env`` of the project's buildspec when it
    is known (so the secrets it names are fetched and masked as in every build), and one BUILD phase that echoes
    ``PROBE_LINE`` and runs ``commands``."""
    try:
        env = project_buildspec(deployment, project).env
    except Unverified:
        env = BuildspecEnv()
    return Buildspec(version="0.2", env=env, phases=(Phase("build", (f"echo {PROBE_LINE}", *commands)),))


def project_buildspec(deployment: Deployment, project: BuildProject) -> Buildspec:
    """The buildspec ``project`` runs: inline in the project, or read from the source repository the definition
    declares (the file the project names, else ``buildspec.yml``, on the branch the build gets).

    Raises:
        Unverified: when the buildspec is kept in a source the definition does not hold, or the repository the
            definition declares has no such file.
        InputError: when the buildspec read is not a valid buildspec.
    """
    config = read_project(deployment, project.name)
    if config.buildspec is not None:
        return config.buildspec
    path = config.buildspec_file
    where = f"build project '{project.name}'"
    found = source_repository(deployment, project)
    if isinstance(found, str):
        raise Unverified(
            f"{where}: its buildspec is kept in the source ({path}) and {found}, so what the build runs cannot be "
            "read; declare the repository with its files, or put the buildspec inline in the project"
        )
    repository, branch = found
    physical = deployment.provider.state[str(repository.address)].physical_id
    try:
        blob = deployment.backend.client("codecommit").get_file(
            repositoryName=physical, commitSpecifier=branch, filePath=path
        )["fileContent"]
    except Exception as exc:
        if not error_code(exc):
            raise
        raise Unverified(
            f"{where}: its buildspec is kept in the source ({path}), and repository '{repository.name}' as the "
            f"definition declares it has no such file on branch '{branch}' ({error_code(exc)}); add {path} to the "
            "repository's files"
        ) from None
    text = blob.decode(errors="replace") if isinstance(blob, bytes) else str(blob)
    try:
        return parse_buildspec(text)
    except InputError as exc:
        raise InputError(
            where=f"repository '{repository.name}' {path}", expected=exc.expected, found=exc.found, fix=exc.fix
        ) from None


_REPOSITORY_REF = re.compile(r"\$\{repositories\.([^.}]+)")


def source_repository(deployment: Deployment, project: BuildProject) -> tuple[Repository, str] | str:
    """The declared CodeCommit repository and branch a project's builds get their source from, or why there is
    none: the project's own CODECOMMIT source, or the CodeCommit source action of the pipeline that feeds the
    project's build action (a CODEPIPELINE source)."""
    definition = deployment.require_definition()

    def declared(name: str) -> Repository | None:
        found = definition.get(Repository.SECTION, name)
        return found if isinstance(found, Repository) else None

    kind = project.source.type
    if kind == "CODECOMMIT":
        repository = declared(project.source.repository or "")
        if repository is None:
            return f"its CodeCommit repository ({project.source.location}) is not in the definition"
        return repository, repository.default_branch
    if kind != "CODEPIPELINE":
        return f"its {kind} source is not in the definition"
    wanted = f"${{build_projects.{project.name}."
    for pipeline in definition.of_type(Pipeline):
        if not isinstance(pipeline, Pipeline):
            continue
        actions = [a for stage in pipeline.stages for a in stage.actions]
        for action in actions:
            if action.provider != "CodeBuild" or not action.configuration.get("ProjectName", "").startswith(wanted):
                continue
            for source in actions:
                if source.category != "Source" or not set(source.output_artifacts) & set(action.input_artifacts):
                    continue
                if source.provider != "CodeCommit":
                    return f"the pipeline's {source.provider} source is not in the definition"
                named = _REPOSITORY_REF.search(str(source.configuration.get("RepositoryName", "")))
                repository = declared(named.group(1)) if named else None
                if repository is None:
                    return "the pipeline's CodeCommit repository is not in the definition"
                return repository, str(source.configuration.get("BranchName") or repository.default_branch)
    return "no pipeline of the definition hands it a source"


def secret_variables(deployment: Deployment) -> dict[str, str]:
    """The build project's variables that carry secrets: every SECRETS_MANAGER variable, every PARAMETER_STORE one
    that reads a SecureString (one that reads a String parameter gets configuration, not a secret) and every
    PLAINTEXT one that looks like a secret; name to the plain value when it is known ('' when fetched).

    Raises:
        Unverified: when the project gives none and its buildspec, which may, cannot be read.
    """
    project = pipeline_build_project(deployment)
    config = read_project(deployment, project.name)
    found: dict[str, str] = {}
    for variable in config.variables:
        kind = variable.get("type", "PLAINTEXT")
        if kind == "SECRETS_MANAGER":
            found[variable["name"]] = ""
        elif kind == "PARAMETER_STORE":
            if plain_parameter(deployment, variable.get("value", "")) is None:
                found[variable["name"]] = ""
        elif plaintext_secret(config.name, variable["name"], variable.get("value", "")) is not None:
            found[variable["name"]] = variable.get("value", "")
    try:
        env = project_buildspec(deployment, project).env
    except Unverified as unknown:
        if found:
            return found
        raise Unverified(f"no secret is given to the build by its project; {unknown.reason}") from None
    for name, parameter in env.parameter_store:
        if plain_parameter(deployment, parameter) is None:
            found[name] = ""
    for name, _ in env.secrets_manager:
        found[name] = ""
    return found


def run_build_printing_secrets(deployment: Deployment) -> tuple[BuildRecord, dict[str, str]]:
    """Run a probe build of the pipeline's project with commands that print each secret variable.

    Raises:
        Unverified: when the build receives no secret (there is nothing to mask), or none in the project and its
            buildspec cannot be read.
    """
    secrets = secret_variables(deployment)
    if not secrets:
        project = pipeline_build_project(deployment).name
        raise absent(
            f"build project '{project}'",
            "receives no secret (no SECRETS_MANAGER or PARAMETER_STORE variable)",
            "a build that needs credentials gets them through Secrets Manager or Parameter Store, and this claim "
            "then checks they are masked",
        )
    commands = tuple(f'echo "{name}=${name}"' for name in sorted(secrets))
    return run_pipeline_build(deployment, commands), secrets


def run_hanging_build(deployment: Deployment, limit_minutes: int) -> BuildRecord:
    """Run the pipeline's build with a command that never ends; stop it after ``limit_minutes`` if the project's
    own timeout has not ended it first."""
    set_build_clock(deployment, HANGING_SECONDS_PER_MINUTE)
    try:
        return run_pipeline_build(deployment, ("sleep 100000",), stop_after_minutes=float(limit_minutes) + 1)
    finally:
        set_build_clock(deployment, REAL_SECONDS_PER_MINUTE)


# -- checks on builds ----------------------------------------------------------------------------------------
def expect_build_logged(deployment: Deployment, build: BuildRecord) -> list[str]:
    """The build's output is in CloudWatch Logs, in the project's configured group, in a stream named as CodeBuild
    names it (``<prefix>/<build uuid>`` or ``<build uuid>``), with the commands and their output.

    Returns:
        The messages read back.

    Raises:
        CheckFailed: naming what is missing and the fix.
    """
    project = pipeline_build_project(deployment)
    where = f"build project '{project.name}'"
    config = read_project(deployment, project.name)
    if not config.cloudwatch_enabled:
        raise CheckFailed(
            f"{where}: expected its build logs in CloudWatch Logs, found CloudWatch logging disabled (logs "
            "configuration status DISABLED); enable logs.cloudwatch with a log group that has retention and encryption"
        )
    if not build.log_group:
        raise CheckFailed(f"{where}: expected the build to log, found it did not start logging ({build.failure()})")
    declared = project.logs.cloudwatch.group if project.logs and project.logs.cloudwatch else ""
    if (
        declared
        and not declared.startswith("arn:")
        and build.log_group != deployment.provider.ctx.name_of("log_groups", declared)
    ):
        raise CheckFailed(
            f"{where}: expected logs in the declared group '{declared}', found them in '{build.log_group}'"
        )
    expected_stream = f"{config.stream_prefix}/{build.uuid}" if config.stream_prefix else build.uuid
    if build.log_stream != expected_stream:
        raise CheckFailed(f"{where}: expected the stream '{expected_stream}', found '{build.log_stream}'")
    lost = [w for w in build.log_delivery if not w.ok]
    if lost:
        raise CheckFailed(
            f"{where}: expected every log event delivered, found {lost[0].error_code} ({lost[0].error_message}); "
            "allow the build role logs:PutLogEvents on its log group"
        )
    try:
        messages = read_log_messages(deployment, build.log_group, build.log_stream)
    except Exception as exc:
        if not error_code(exc):
            raise
        raise CheckFailed(f"{where}: expected to read the build's log stream back, found {error_code(exc)}") from None
    _beyond_the_sandbox(where, build)
    commands = [m for m in messages if " Running command " in m]
    if not commands or not any(m.endswith("Phase complete: BUILD State: SUCCEEDED") for m in messages):
        raise CheckFailed(
            f"{where}: expected the log to show the commands run and the BUILD phase's result, found "
            f"{len(messages)} events: {messages[:5]}"
        )
    return messages


@dataclass(frozen=True, slots=True)
class ReadAttempt:
    """Someone's attempt to read a build's log stream: the messages, or the error."""

    reader: Identity
    group: str
    stream: str
    messages: tuple[str, ...] = ()
    error_code: str = ""


def try_read_build_logs(deployment: Deployment, build: BuildRecord, reader: Identity) -> ReadAttempt:
    """Try to read the build's log stream as ``reader`` (a real GetLogEvents call through the harness).

    Raises:
        CheckFailed: when the build wrote no CloudWatch log to read.
    """
    if not build.log_group:
        raise CheckFailed(
            f"build project '{_logical(deployment, build.project)}': expected a CloudWatch log to protect, found the "
            f"build logged nowhere ({build.failure() or 'CloudWatch logging disabled'}); configure logs.cloudwatch"
        )
    try:
        messages = read_log_messages(deployment, build.log_group, build.log_stream, identity=reader)
    except Exception as exc:
        code = error_code(exc)
        if not code:
            raise
        return ReadAttempt(reader, build.log_group, build.log_stream, (), code)
    return ReadAttempt(reader, build.log_group, build.log_stream, tuple(messages))


def expect_logs_unreadable(attempt: ReadAttempt) -> None:
    """The read was refused.

    Raises:
        CheckFailed: when the reader got the log events.
    """
    if not attempt.error_code:
        raise CheckFailed(
            f"log group '{attempt.group}': expected {attempt.reader.label} to be denied logs:GetLogEvents on "
            f"stream '{attempt.stream}', found {len(attempt.messages)} events readable; scope that role's logs "
            "permissions to its own pipeline's log group"
        )
    if "AccessDenied" not in attempt.error_code:
        raise CheckFailed(
            f"log group '{attempt.group}': expected an access denial for {attempt.reader.label}, found "
            f"{attempt.error_code}"
        )


def _beyond_the_sandbox(where: str, build: BuildRecord) -> None:
    """A build that failed for lack of a tool or the network the sandbox does not provide decides nothing.

    Raises:
        Unverified: saying which command needed what.
    """
    if build.shortfall and build.status == "FAILED":
        raise Unverified(f"{where}: the build failed because {build.shortfall}; this claim could not be observed")


def _logical(deployment: Deployment, physical: str) -> str:
    return physical.removeprefix(deployment.prefix)


def expect_secrets_masked(deployment: Deployment, build: BuildRecord, secrets: dict[str, str]) -> None:
    """Every printed secret shows as ``***`` in the build's log, and no known secret value appears in it.

    Raises:
        CheckFailed: naming the variable that leaked.
    """
    project = _logical(deployment, build.project)
    _beyond_the_sandbox(f"build project '{project}'", build)
    if build.status != "SUCCEEDED":
        raise CheckFailed(
            f"build project '{project}': expected the build to run, found {build.status} ({build.failure()})"
        )
    for name, value in sorted(secrets.items()):
        if value and any(value in line for line in build.lines):
            raise CheckFailed(
                f"build project '{project}': expected {name} masked in the build log, found its value in "
                "clear; a PLAINTEXT variable is never masked: move it to Secrets Manager or Parameter Store"
            )
        if f"{name}={MASK}" not in build.lines:
            printed = next((line for line in build.lines if line.startswith(f"{name}=")), "nothing")
            raise CheckFailed(f"build project '{project}': expected '{name}={MASK}' in the log, found {printed!r}")


def plaintext_secrets(deployment: Deployment) -> list[PlaintextSecret]:
    """Variables that hold what looks like a secret in clear, read back from the backend: PLAINTEXT variables of every
    deployed build project (project and buildspec ``env.variables``), PARAMETER_STORE ones that read a String
    parameter (which Parameter Store keeps unencrypted; a SecureString is never one of them), and the environment of
    every deployed Lambda function (all plain text: Lambda has no secret-typed variables).

    Raises:
        Unverified: when the definition has no build project: the claim is about builds, and a function's
            environment alone is not a build's (the claim would hold over nothing).
    """
    definition = deployment.require_definition()
    if not any(definition.of_type(BuildProject)):
        raise absent(
            f"definition '{definition.name}'",
            "declares no build project",
            f"declare the build project {BESIDE}",
        )
    found: list[PlaintextSecret] = []
    for project in definition.of_type(BuildProject):
        if not isinstance(project, BuildProject):
            continue
        config = read_project(deployment, project.name)
        plain = [(v["name"], v.get("value", "")) for v in config.variables if v.get("type", "PLAINTEXT") == "PLAINTEXT"]
        stored = [(v["name"], v.get("value", "")) for v in config.variables if v.get("type") == "PARAMETER_STORE"]
        try:
            env = project_buildspec(deployment, project).env
        except Unverified as unknown:
            # A buildspec kept in a source outside the definition travels with that source: its variables are
            # part of the source's content, not the project's configuration.
            deployment.evidence.note(f"{unknown.reason}; only the project's own variables are read")
        else:
            # The buildspec's env.variables are plain text as well, and travel with the source.
            plain.extend(env.variables)
            stored.extend(env.parameter_store)
        for name, value in plain:
            finding = plaintext_secret(project.name, name, value)
            if finding is not None:
                found.append(finding)
        for name, parameter in stored:
            clear = plain_parameter(deployment, parameter)
            finding = None if clear is None else plaintext_secret(project.name, name, clear, parameter=parameter)
            if finding is not None:
                found.append(finding)
    for function in definition.of_type(Function):
        for name, value in sorted(function_environment(deployment, function.name).items()):
            finding = plaintext_secret(function.name, name, value, FUNCTION)
            if finding is not None:
                found.append(finding)
    return found


def function_environment(deployment: Deployment, function: str) -> dict[str, str]:
    """A deployed function's environment variables, as Lambda holds them.

    Raises:
        CheckFailed: when the function is not deployed.
    """
    name = deployment.provider.ctx.physical_name(_function(deployment, function))
    try:
        config = deployment.backend.client("lambda").get_function_configuration(FunctionName=name)
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        raise CheckFailed(f"Lambda function '{function}': expected it to be deployed, found none") from None
    return {str(k): str(v) for k, v in ((config.get("Environment") or {}).get("Variables") or {}).items()}


def _function(deployment: Deployment, name: str) -> Function:
    found = deployment.require_definition().get(Function.SECTION, name)
    if not isinstance(found, Function):
        raise CheckFailed(f"Lambda function '{name}': expected it in the definition, found none")
    return found


def expect_no_plaintext_secrets(findings: list[PlaintextSecret]) -> None:
    """No plain variable carries a secret.

    Raises:
        CheckFailed: listing every finding.
    """
    if findings:
        raise CheckFailed("; ".join(str(f) for f in findings), findings=[f.variable for f in findings])


def expect_timed_out(deployment: Deployment, build: BuildRecord, limit_minutes: int) -> list[str]:
    """The hanging build ended TIMED_OUT within ``limit_minutes``, and both its record and its log say so.

    Returns:
        The log messages read back.

    Raises:
        CheckFailed: when the build was still running at the limit, or the timeout is not visible.
    """
    where = f"build project '{_logical(deployment, build.project)}'"
    if build.status == "STOPPED":
        raise CheckFailed(
            f"{where}: expected a hanging build to time out within {limit_minutes} minutes, found it still running "
            f"(its timeout is {build.timeout_minutes} minutes) and had to stop it; set timeout_minutes to at most "
            f"{limit_minutes}"
        )
    _beyond_the_sandbox(where, build)
    if build.status != "TIMED_OUT":
        raise CheckFailed(f"{where}: expected TIMED_OUT, found {build.status} ({build.failure()})")
    record = build.to_dict()
    phase = next((p for p in record["phases"] if p.get("phaseStatus") == "TIMED_OUT"), None)
    if record["buildStatus"] != "TIMED_OUT" or phase is None:
        raise CheckFailed(f"{where}: expected the build record to show the timed-out phase, found {record['phases']}")
    if not build.log_group:
        raise CheckFailed(f"{where}: expected the timeout in the build's CloudWatch log, found no log configured")
    messages = read_log_messages(deployment, build.log_group, build.log_stream)
    if not any("BUILD_TIMED_OUT" in m for m in messages):
        raise CheckFailed(f"{where}: expected the log to say the build timed out, found {messages[-3:]}")
    return messages


# -- releases and approvals ----------------------------------------------------------------------------------
def _seed_sources(deployment: Deployment, pipeline: Pipeline) -> None:
    s3 = deployment.backend.client("s3")
    for stage in pipeline.stages:
        for action in stage.actions:
            if action.category == "Source" and action.provider == "S3":
                bucket = deployment.provider.ctx.resolve(action.configuration["S3Bucket"])
                key = action.configuration["S3ObjectKey"]
                s3.put_object(Bucket=bucket, Key=key, Body=default_source())


def require_approval_action(deployment: Deployment) -> Pipeline:
    """The main pipeline, which must ask for a manual approval before it deploys: without one, nobody approves a
    release, whoever the people are.

    Raises:
        CheckFailed: when the pipeline has no manual approval action.
        Unverified: when the definition has no pipeline.
    """
    pipeline = main_pipeline(deployment)
    if any(a.category == "Approval" for s in pipeline.stages for a in s.actions):
        return pipeline
    production = _production_deploy(deployment, pipeline)
    if not production:
        raise Unverified(
            f"pipeline '{pipeline.name}' has no manual approval action, and nothing in the definition says it deploys "
            "to production (a deploy stage or action, or its target, named or tagged prod, production, prd or live), "
            "so whether its releases need an approval cannot be told; name or tag the production stage or target"
        )
    raise CheckFailed(
        f"pipeline '{pipeline.name}': expected a release to wait for a manual approval before it is deployed to "
        f"production ({production}), found no manual approval action in the pipeline; add an Approval stage "
        "(provider Manual) before it"
    )


_PRODUCTION_WORD = re.compile(r"^(prod|production|prd|live)$", re.I)


def _words(text: str) -> list[str]:
    """``Prod_Stack`` -> prod, stack; ``ProdStack`` -> prod, stack; ``petstore-api-prod`` -> petstore, api, prod."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def _production_deploy(deployment: Deployment, pipeline: Pipeline) -> str:
    """The first deploy action of ``pipeline`` that goes to production, as ``stage Prod_Stack, action Deploy``: its
    stage or action is named so, its configuration names a production target, or it deploys a resource of a
    production environment; '' when none does."""
    from harness.isolation.environments import resource_environments
    from harness.model.definition import is_production_name

    definition = deployment.require_definition()
    environments = resource_environments(definition)
    for stage in pipeline.stages:
        for action in stage.actions:
            if action.category not in ("Deploy", "Invoke"):
                continue
            where = f"stage {stage.name}, action {action.name}"
            texts = [stage.name, action.name, *(str(v) for v in action.configuration.values())]
            if any(_PRODUCTION_WORD.match(w) for t in texts for w in _words(t)):
                return where
            for value in action.configuration.values():
                for found in INTERPOLATION.finditer(str(value)):
                    section, name = found.group(1), found.group(2)
                    if name and is_production_name(environments.get(f"{section}.{name}", "")):
                        return f"{where}, deploying {section}.{name}"
    return ""


def start_release(deployment: Deployment, starter: Identity) -> Execution:
    """Put a source revision in place and start the main pipeline as ``starter``; the release must then wait for a
    manual approval.

    Raises:
        CheckFailed: when the execution does not stop at a manual approval (none declared, or it failed first).
        ActionDenied: when ``starter`` may not start the pipeline.
    """
    pipeline = main_pipeline(deployment)
    _seed_sources(deployment, pipeline)
    execution = start_pipeline_execution(deployment, pipeline.name, starter)
    if not execution.pending_approvals():
        has_approval = any(a.category == "Approval" for s in pipeline.stages for a in s.actions)
        reason = (
            f"the execution {execution.status} before reaching it ({execution.failure()})"
            if has_approval
            else "no manual approval action in the pipeline"
        )
        raise CheckFailed(
            f"pipeline '{pipeline.name}': expected a release to wait for a manual approval before it is deployed, "
            f"found {reason}; add an Approval stage (provider Manual) before the Deploy stage"
        )
    return execution


def answer_approval(
    deployment: Deployment, execution: Execution, approver: Identity, status: str, summary: str = ""
) -> ApprovalOutcome:
    """``approver`` answers the approval the execution waits at (``Approved`` or ``Rejected``)."""
    waiting = execution.pending_approvals()
    if not waiting:
        raise CheckFailed(
            f"pipeline '{execution.pipeline}': expected execution {execution.id} to wait for an approval, found it "
            f"{execution.status}"
        )
    action = waiting[0]
    return put_approval_result(
        deployment, approver, execution.pipeline, action.stage, action.name, action.token, status, summary
    )


def expect_approval_refused(outcome: ApprovalOutcome, execution: Execution) -> None:
    """The approval was refused and the release still waits.

    Raises:
        CheckFailed: when the approval was accepted.
    """
    if outcome.accepted:
        starter = " (who started this release)" if outcome.approver.arn == execution.started_by.arn else ""
        raise CheckFailed(
            f"pipeline '{outcome.pipeline}' approval {outcome.stage}/{outcome.action}: expected "
            f"{outcome.approver.label}{starter} to be refused codepipeline:PutApprovalResult, found the approval "
            f"accepted (release now {execution.status}); allow PutApprovalResult only to release managers, and "
            "never to the people who start releases"
        )
    if "AccessDenied" not in outcome.error_code:
        raise CheckFailed(f"approval: expected an access denial, found {outcome.error_code}: {outcome.error_message}")


def expect_approval_accepted(outcome: ApprovalOutcome) -> None:
    """The approval was accepted.

    Raises:
        CheckFailed: when it was refused.
    """
    if not outcome.accepted:
        raise CheckFailed(
            f"pipeline '{outcome.pipeline}' approval {outcome.stage}/{outcome.action}: expected "
            f"{outcome.approver.label} to approve, found {outcome.error_code}: {outcome.error_message}"
        )


def expect_not_deployed(deployment: Deployment, execution: Execution) -> None:
    """The release stopped: the execution failed at the approval and no stage after it ran.

    Raises:
        CheckFailed: when the release went on.
    """
    if execution.status != "Failed":
        raise CheckFailed(
            f"pipeline '{execution.pipeline}': expected the rejected release to stop, found it {execution.status}"
        )
    after = False
    for stage in execution.stages:
        if after and stage.status:
            raise CheckFailed(
                f"pipeline '{execution.pipeline}': expected nothing to run after the rejected approval, found stage "
                f"'{stage.name}' {stage.status}"
            )
        if any(a.category == "Approval" and a.status == "Failed" for a in stage.actions):
            after = True
    if not after:
        raise CheckFailed(
            f"pipeline '{execution.pipeline}': expected the approval to be rejected, found {execution.failure()}"
        )


def expect_release_deployed(execution: Execution) -> None:
    """The release went through every stage.

    Raises:
        CheckFailed: when it did not succeed.
    """
    if execution.status != "Succeeded":
        raise CheckFailed(
            f"pipeline '{execution.pipeline}': expected the approved release to succeed, found {execution.status} "
            f"({execution.failure() or 'still waiting'})"
        )


def notifications(deployment: Deployment) -> list[tuple[str, str, str]]:
    """Approval notifications published so far: (topic ARN, subject, message)."""
    return list(runtime(deployment).notifications)


@dataclass(frozen=True, slots=True)
class SelfApproval:
    """Someone started a release (or was refused) and then tried to approve it themselves."""

    person: Identity
    start_error: str = ""
    outcome: ApprovalOutcome | None = None
    execution: Execution | None = None


def start_and_self_approve(deployment: Deployment, scenario_role: str, name: str) -> SelfApproval:
    """``name`` working as ``scenario_role`` starts a release and tries to approve it."""
    from harness.runtime.pipeline import ActionDenied

    require_approval_action(deployment)
    who = person(deployment, scenario_role, name)
    try:
        execution = start_release(deployment, who)
    except ActionDenied as refused:
        return SelfApproval(who, start_error=refused.code)
    return SelfApproval(who, outcome=answer_approval(deployment, execution, who, "Approved"), execution=execution)


def expect_no_self_approval(attempt: SelfApproval) -> None:
    """The person could not both start the release and approve it.

    Raises:
        CheckFailed: when they did both.
    """
    if attempt.start_error or attempt.outcome is None or attempt.execution is None:
        return
    expect_approval_refused(attempt.outcome, attempt.execution)
