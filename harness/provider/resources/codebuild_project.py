"""CodeBuild project: the resource type (role, environment, buildspec, logs, VPC, timeout) and its handler."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import yaml

from harness.errors import InputError
from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    TERRAFORM,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Props,
    Reader,
    Schema,
    Tf,
    describe,
    ref_parts,
    shell_text,
)
from harness.provider.base import Handler, ProviderContext, ResourceState, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class EnvironmentVariable:
    """A build environment variable; PARAMETER_STORE and SECRETS_MANAGER values name where the secret lives."""

    name: str
    value: str
    type: Literal["PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"] = "PLAINTEXT"


@dataclass(frozen=True, slots=True)
class BuildEnvironment:
    """The build container."""

    image: str = "aws/codebuild/standard:7.0"
    compute_type: str = "BUILD_GENERAL1_SMALL"
    type: str = "LINUX_CONTAINER"
    privileged_mode: bool = False
    variables: tuple[EnvironmentVariable, ...] = ()


@dataclass(frozen=True, slots=True)
class CloudWatchLogs:
    """Where CodeBuild sends build logs in CloudWatch Logs; no ``group`` means CodeBuild's own,
    ``/aws/codebuild/<project name>``."""

    group: Annotated[str, RefTo("log_groups")] | None = None
    stream_prefix: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class S3Logs:
    """Where CodeBuild sends build logs in S3."""

    bucket: Annotated[str, RefTo("buckets")]
    prefix: str = ""
    enabled: bool = True
    encrypted: bool = True


@dataclass(frozen=True, slots=True)
class BuildLogs:
    """A project's logs configuration; no ``cloudwatch`` means CodeBuild's default, CloudWatch Logs enabled to
    ``/aws/codebuild/<project name>``."""

    cloudwatch: CloudWatchLogs | None = None
    s3: S3Logs | None = None


SOURCE_TYPES = ("NO_SOURCE", "CODEPIPELINE", "CODECOMMIT", "GITHUB", "BITBUCKET", "S3")
SourceType = Literal["NO_SOURCE", "CODEPIPELINE", "CODECOMMIT", "GITHUB", "BITBUCKET", "S3"]
# CodeBuild reads the buildspec from this file at the source root when the project names none.
DEFAULT_BUILDSPEC_FILE = "buildspec.yml"


@dataclass(frozen=True, slots=True)
class BuildSource:
    """Where a build's source comes from.

    Attributes:
        type: CODEPIPELINE (the pipeline's input artifact), NO_SOURCE, or a repository or bucket CodeBuild fetches.
        location: the clone URL, ``bucket/key`` or repository URL as written ('' for CODEPIPELINE and NO_SOURCE).
        repository: the definition's CodeCommit repository the location names, if it declares it.
    """

    type: SourceType = "CODEPIPELINE"
    location: str = ""
    repository: Annotated[str, RefTo("repositories")] | None = None

    def __post_init__(self) -> None:
        if self.type not in SOURCE_TYPES:
            raise ValueError(f"a source type among {', '.join(SOURCE_TYPES)}, found {self.type!r}")
        if self.type in ("CODECOMMIT", "GITHUB", "BITBUCKET", "S3") and not self.location and not self.repository:
            raise ValueError(f"a location for a {self.type} source, found none; give its URL or bucket/key")


@dataclass(frozen=True, slots=True)
class VpcConfig:
    """The VPC a build runs in (ids as deployed)."""

    vpc_id: str
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VpcPlacement:
    """The VPC a build runs in, by the names of the definition's VPC, subnets and security groups."""

    vpc: Annotated[str, RefTo("vpcs")]
    subnets: tuple[Annotated[str, RefTo("subnets")], ...] = ()
    security_groups: tuple[Annotated[str, RefTo("security_groups")], ...] = ()

    def __post_init__(self) -> None:
        if not self.subnets or not self.security_groups:
            raise ValueError(
                "subnets and security_groups for a build in a VPC, found "
                + ("no subnets" if not self.subnets else "no security groups")
                + "; name where the build's network interfaces go"
            )


@dataclass(frozen=True, slots=True)
class BuildProject(Resource):
    """A CodeBuild project, normally invoked by a pipeline's build action."""

    SECTION: ClassVar[str] = "build_projects"
    KIND: ClassVar[str] = "CodeBuild project"

    service_role: Annotated[str, RefTo("roles")] = ""
    source: BuildSource = field(default_factory=BuildSource)
    buildspec: JsonDoc | str = field(default_factory=dict)
    environment: BuildEnvironment = field(default_factory=BuildEnvironment)
    logs: BuildLogs | None = None
    vpc: VpcPlacement | VpcConfig | None = None
    timeout_minutes: int = 60
    encryption_key: Annotated[str, RefTo("keys")] | None = None
    description: str = ""
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.service_role:
            raise ValueError("a service_role naming a role under 'roles', found none; add service_role")
        if self.source.type == "NO_SOURCE" and self.buildspec_file() is not None:
            raise ValueError(
                "an inline buildspec for a project with no source, found none; a NO_SOURCE project has no file to "
                "read a buildspec from"
            )
        if not 5 <= self.timeout_minutes <= 2160:
            raise ValueError(
                f"timeout_minutes between 5 and 2160, found {self.timeout_minutes}; CodeBuild allows only that range"
            )

    def buildspec_file(self) -> str | None:
        """The path of the buildspec file in the source when the project keeps its buildspec there (a one-line
        value, or none at all: ``buildspec.yml``); None for an inline buildspec."""
        if isinstance(self.buildspec, str):
            text = self.buildspec.strip()
            if not text:
                return DEFAULT_BUILDSPEC_FILE
            # One line is a path, unless it is a (tiny) YAML mapping such as ``version: 0.2``.
            if "\n" in text or isinstance(_yaml_or_none(text), Mapping):
                return None
            return text
        return None if self.buildspec else DEFAULT_BUILDSPEC_FILE

    def buildspec_text(self) -> str:
        """The buildspec as CodeBuild receives it: YAML text, a file path, or '' for the source's buildspec.yml."""
        if isinstance(self.buildspec, str):
            return self.buildspec
        if not self.buildspec:
            return ""
        return yaml.safe_dump(dict(self.buildspec), sort_keys=False)


def _yaml_or_none(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


class BuildProjectHandler(Handler[BuildProject]):
    resource_type = BuildProject
    sweep_order = 20

    def arn(self, ctx: ProviderContext, resource: BuildProject) -> str:
        return f"arn:{ctx.partition}:codebuild:{ctx.region}:{ctx.account_id}:project/{ctx.physical_name(resource)}"

    def _ref_arn(self, ctx: ProviderContext, section: str, ref: str) -> str:
        return ref if ref.startswith("arn:") else ctx.state_of(section, ref).arn

    def _logs_config(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        # CloudWatch Logs is on unless the project turns it off: with no group named, CodeBuild writes to
        # /aws/codebuild/<project name> (creating the group on the first build if the role may).
        cw: dict[str, Any] = {"status": "ENABLED"}
        s3: dict[str, Any] = {"status": "DISABLED"}
        if resource.logs and resource.logs.cloudwatch:
            c = resource.logs.cloudwatch
            cw = {"status": "ENABLED" if c.enabled else "DISABLED"}
            if c.group:
                cw["groupName"] = ctx.state_of("log_groups", c.group).physical_id
            if c.stream_prefix:
                cw["streamName"] = c.stream_prefix
        if resource.logs and resource.logs.s3:
            s = resource.logs.s3
            location = ctx.state_of("buckets", s.bucket).physical_id + (f"/{s.prefix}" if s.prefix else "")
            s3 = {
                "status": "ENABLED" if s.enabled else "DISABLED",
                "location": location,
                "encryptionDisabled": not s.encrypted,
            }
        return {"cloudWatchLogs": cw, "s3Logs": s3}

    def _source(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        source = resource.source
        location = str(ctx.resolve(source.location)) if source.location else ""
        if source.repository and not location:
            name = ctx.state_of("repositories", source.repository).physical_id
            location = f"https://git-codecommit.{ctx.region}.amazonaws.com/v1/repos/{name}"
        # CodeBuild ignores the location of CODEPIPELINE and NO_SOURCE sources; moto insists on one.
        request: dict[str, Any] = {"type": source.type, "location": location or source.type.lower()}
        text = resource.buildspec_text()
        if text:
            request["buildspec"] = ctx.resolve(text)
        return request

    def _request(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        env = resource.environment
        request: dict[str, Any] = {
            "name": ctx.physical_name(resource),
            "source": self._source(ctx, resource),
            # CodeBuild ignores the location of CODEPIPELINE artifacts; moto insists on one. Other artifacts are not
            # modelled: the build keeps them on its record.
            "artifacts": (
                {"type": "CODEPIPELINE", "location": "codepipeline"}
                if resource.source.type == "CODEPIPELINE"
                else {"type": "NO_ARTIFACTS"}
            ),
            "environment": {
                "type": env.type,
                "image": env.image,
                "computeType": env.compute_type,
                "privilegedMode": env.privileged_mode,
                "environmentVariables": [
                    {"name": v.name, "value": ctx.resolve(v.value), "type": v.type} for v in env.variables
                ],
            },
            "serviceRole": self._ref_arn(ctx, "roles", resource.service_role),
            "timeoutInMinutes": resource.timeout_minutes,
            "logsConfig": self._logs_config(ctx, resource),
        }
        if resource.description:
            request["description"] = resource.description
        if isinstance(resource.vpc, VpcPlacement):
            placement = resource.vpc
            request["vpcConfig"] = {
                "vpcId": ctx.state_of("vpcs", placement.vpc).physical_id,
                "subnets": [ctx.state_of("subnets", s).physical_id for s in placement.subnets],
                "securityGroupIds": [ctx.state_of("security_groups", g).physical_id for g in placement.security_groups],
            }
        elif resource.vpc:
            request["vpcConfig"] = {
                "vpcId": ctx.resolve(resource.vpc.vpc_id),
                "subnets": ctx.resolve(list(resource.vpc.subnets)),
                "securityGroupIds": ctx.resolve(list(resource.vpc.security_groups)),
            }
        if resource.encryption_key:
            request["encryptionKey"] = self._ref_arn(ctx, "keys", resource.encryption_key)
        if resource.tags:
            request["tags"] = tags_list(resource.tags, "key", "value")
        return request

    @staticmethod
    def _comparable(project: dict[str, Any]) -> dict[str, Any]:
        env = project.get("environment", {})
        logs = project.get("logsConfig") or {}
        vpc = project.get("vpcConfig")
        source = project.get("source") or {}
        return {
            "service_role": project.get("serviceRole"),
            "source_type": source.get("type"),
            "buildspec": source.get("buildspec") or "",
            "environment": {
                "type": env.get("type"),
                "image": env.get("image"),
                "compute_type": env.get("computeType"),
                "privileged_mode": bool(env.get("privilegedMode")),
                "variables": sorted(
                    (v["name"], v.get("value", ""), v.get("type", "PLAINTEXT"))
                    for v in env.get("environmentVariables", [])
                ),
            },
            "timeout_minutes": project.get("timeoutInMinutes"),
            "logs": {
                "cloudwatch": dict(sorted((logs.get("cloudWatchLogs") or {"status": "ENABLED"}).items())),
                "s3": dict(sorted((logs.get("s3Logs") or {"status": "DISABLED"}).items())),
            },
            "vpc": (
                {
                    "vpc_id": vpc.get("vpcId"),
                    "subnets": sorted(vpc.get("subnets", [])),
                    "security_groups": sorted(vpc.get("securityGroupIds", [])),
                }
                if vpc and vpc.get("vpcId")
                else None
            ),
            "encryption_key": project.get("encryptionKey"),
            "tags": tags_dict(project.get("tags"), "key", "value"),
        }

    def desired(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        return self._comparable(self._request(ctx, resource))

    def read(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any] | None:
        found = ctx.clients("codebuild").batch_get_projects(names=[ctx.physical_name(resource)]).get("projects", [])
        if not found:
            return None
        return self._comparable(found[0])

    def create(self, ctx: ProviderContext, resource: BuildProject) -> ResourceState:
        project = ctx.clients("codebuild").create_project(**self._request(ctx, resource))["project"]
        return ResourceState(str(resource.address), ctx.physical_name(resource), project["arn"])

    def update(self, ctx: ProviderContext, resource: BuildProject, changed: frozenset[str]) -> ResourceState:
        # CodeBuild's UpdateProject takes the whole configuration; replacing it keeps one code path for every
        # backend (moto has no UpdateProject).
        codebuild = ctx.clients("codebuild")
        codebuild.delete_project(name=ctx.physical_name(resource))
        return self.create(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: BuildProject) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names = ctx.clients("codebuild").list_projects().get("projects", [])
        return [n for n in names if n.startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # DeleteProject succeeds for a project that does not exist.
        ctx.clients("codebuild").delete_project(name=physical_id)


HANDLER = BuildProjectHandler()


# -- how the source formats spell a project --------------------------------------------------------------------


def _service_role(reader: Reader, draft: Draft, props: Props) -> None:
    if not draft.kwargs.get("service_role"):
        key = "ServiceRole" if reader.format == CLOUDFORMATION else "service_role"
        reader.fail(
            props.at(key),
            f"a role of this {reader.noun} or a role ARN",
            describe(props.values.get(key)),
            f"use {reader.example('roles')}",
        )


def _build_source(reader: Reader, props: Props, draft: Draft) -> Any:
    """Where the source comes from: its type, its location as written, and the declared repository it names."""
    cfn = reader.format == CLOUDFORMATION
    source = props.block("Source" if cfn else "source")
    if source is None:
        return MISSING
    type_key, location_key = ("Type", "Location") if cfn else ("type", "location")
    kind = source.text(type_key, required=True) if cfn else source.text(type_key, "CODEPIPELINE")
    if kind not in SOURCE_TYPES:
        reader.fail(source.at(type_key), f"one of {', '.join(SOURCE_TYPES)}", repr(kind), "use one of them")
    location = source.raw(location_key)
    if not cfn:
        source.ignore("git_clone_depth", "insecure_ssl", "report_build_status")
    if kind in ("CODEPIPELINE", "NO_SOURCE"):
        # CodeBuild ignores a location for these: the pipeline hands the source over, or there is none.
        return reader.make(BuildSource, source.path, None, type=kind)
    repository = _repository_named(reader, location) if kind == "CODECOMMIT" else None
    text = location if isinstance(location, str) else ""
    if not text and repository is None:
        reader.note(f"{source.at(location_key)}: the {kind} source's location is not known here; {UNVERIFIED}")
        text = "unknown"
    return reader.make(BuildSource, source.path, None, type=kind, location=text, repository=repository)


def _repository_named(reader: Reader, location: Any) -> str | None:
    """The definition's CodeCommit repository a source location names: a clone URL of a declared repository (as
    ``!GetAtt Repo.CloneUrlHttp`` gives it, or spelled out with its name), if any."""
    found = reader.target(location, "repositories")
    if found is not None:
        return found.name
    if isinstance(location, str):
        interpolated = re.search(r"\$\{repositories\.([^.}]+)", location)
        if interpolated:
            return interpolated.group(1)
        spelled = re.search(r"/v1/repos/([^/?#]+)$", location)
        if spelled:
            found = reader.target(spelled.group(1), "repositories")
            if found is not None:
                return found.name
    return None


def _buildspec(reader: Reader, props: Props, draft: Draft) -> Any:
    """The buildspec: inline YAML (shell ``${VAR}`` kept as shell), or the name of a file in the source (none:
    ``buildspec.yml`` at the source root)."""
    source = props.block("Source" if reader.format == CLOUDFORMATION else "source")
    if source is None:
        return MISSING
    key = "BuildSpec" if reader.format == CLOUDFORMATION else "buildspec"
    spec = source.text(key)
    if spec is None or not spec.strip():
        return MISSING
    # CodeBuild reads a one-line value as the path of a buildspec file in the source, anything else as the
    # buildspec itself.
    if "\n" in spec.strip():
        return shell_text(spec)
    return spec


_LOG_KEYS = {
    CLOUDFORMATION: ("LogsConfig", "CloudWatchLogs", "S3Logs", "Status", "GroupName", "StreamName", "Location"),
    TERRAFORM: ("logs_config", "cloudwatch_logs", "s3_logs", "status", "group_name", "stream_name", "location"),
}


def _logs(reader: Reader, props: Props, draft: Draft) -> Any:
    """Where build logs go: CloudWatch Logs and S3, each enabled or not (CloudFormation requires Status)."""
    config_key, cw_key, s3_key, status, group_key, stream_key, location_key = _LOG_KEYS[reader.format]
    cfn = reader.format == CLOUDFORMATION
    logs = props.block(config_key)
    if logs is None:
        return MISSING
    cloudwatch = s3 = None
    cw = logs.block(cw_key)
    if cw is not None:
        enabled = (cw.text(status, required=True) if cfn else cw.text(status, "ENABLED")) == "ENABLED"
        spelled = cw.raw(group_key)
        group = reader.reference(spelled, "log_groups", cw.at(group_key), arn_ok=False) if spelled else None
        if spelled and not group and enabled and cfn:
            reader.note(f"{cw.path}: logs go to a group outside the definition; {UNVERIFIED}")
        # No group named: CodeBuild's own, /aws/codebuild/<project name>.
        cloudwatch = CloudWatchLogs(group=group, stream_prefix=cw.text(stream_key, ""), enabled=enabled)
    s3_props = logs.block(s3_key)
    if s3_props is not None:
        enabled = (s3_props.text(status, required=True) if cfn else s3_props.text(status, "DISABLED")) == "ENABLED"
        location = s3_props.text(location_key, "")
        bucket_part, _, prefix = location.partition("/")
        bucket = reader.reference(bucket_part, "buckets", s3_props.at(location_key), arn_ok=False) if location else None
        disabled_key = "EncryptionDisabled" if cfn else "encryption_disabled"
        encrypted = not s3_props.flag(disabled_key, False)
        s3_props.ignore("bucket_owner_access")
        if bucket:
            s3 = S3Logs(bucket=bucket, prefix=prefix, enabled=enabled, encrypted=encrypted)
    return BuildLogs(cloudwatch=cloudwatch, s3=s3)


def vpc_config(
    reader: Reader, path: str, vpc_id: Any, subnets: tuple[str, ...], groups: tuple[str, ...]
) -> VpcConfig | None:
    """A build's VPC placement from literal ids, or None (noted) when they name network resources not modelled.

    Placeholder ids cannot be created in the backend; the build then runs outside any VPC in the harness, so the
    note says network scenarios about it are unverified rather than letting them pass.
    """
    values = [vpc_id, *subnets, *groups]
    if not isinstance(vpc_id, str) or not vpc_id or any("${" in str(v) or v is None for v in values):
        reader.note(
            f"{path}: names a VPC, subnets or security groups that are not modelled; the build runs outside a "
            f"VPC here and network scenarios about it are unverified"
        )
        return None
    return VpcConfig(vpc_id=vpc_id, subnets=subnets, security_groups=groups)


_VPC_KEYS = {
    CLOUDFORMATION: ("VpcConfig", "VpcId", "Subnets", "SecurityGroupIds"),
    TERRAFORM: ("vpc_config", "vpc_id", "subnets", "security_group_ids"),
}


def _placement(reader: Reader, props: Props, draft: Draft) -> Any:
    """A build's VPC by the definition's VPC, subnets and groups when all of them are declared.

    Otherwise the literal ids are kept as they are (a VPC outside the definition), or, when only part of the
    network is declared, the build runs outside a VPC with a note (see ``vpc_config``).
    """
    config_key, vpc_key, subnets_key, groups_key = _VPC_KEYS[reader.format]
    vpc = props.block(config_key)
    if vpc is None:
        return MISSING
    vpc_id = vpc.raw(vpc_key)
    subnets = vpc.strings(subnets_key)
    groups = vpc.strings(groups_key)
    wanted = [(vpc_id, "vpcs"), *((s, "subnets") for s in subnets), *((g, "security_groups") for g in groups)]
    named = [ref_parts(reader.spelled(value, section)) for value, section in wanted]
    if subnets and groups and all(n is not None and n[0] == s for n, (_v, s) in zip(named, wanted, strict=True)):
        names = [n[1] for n in named if n is not None]
        return reader.make(
            VpcPlacement,
            vpc.path,
            None,
            vpc=names[0],
            subnets=tuple(names[1 : 1 + len(subnets)]),
            security_groups=tuple(names[1 + len(subnets) :]),
        )
    return vpc_config(reader, vpc.path, vpc_id, subnets, groups)


def _shell(reader: Reader, value: Any, path: str) -> Any:
    return shell_text(value)


_VARIABLE_TYPES = ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER")

ENVIRONMENT = Field(
    "environment",
    cfn="Environment",
    tf="environment",
    read="struct",
    struct=BuildEnvironment,
    fields=(
        Field("image", cfn="Image", tf="image", required=True),
        Field("compute_type", cfn="ComputeType", tf="compute_type", required=True),
        Field("type", cfn="Type", tf="type", required=True),
        Field("privileged_mode", cfn="PrivilegedMode", tf="privileged_mode", read="flag", default=False),
        Field(
            "variables",
            cfn="EnvironmentVariables",
            tf="environment_variable",
            read="structs",
            struct=EnvironmentVariable,
            fields=(
                Field("name", cfn="Name", tf="name", required=True),
                Field("value", cfn="Value", tf="value", default="", parse=_shell),
                Field("type", cfn="Type", tf="type", default="PLAINTEXT", choices=_VARIABLE_TYPES),
            ),
        ),
    ),
)


def _cfn_extras(reader: Reader, draft: Draft, props: Props) -> None:
    artifacts = props.sub("Artifacts")
    if artifacts is not None and artifacts.text("Type") == "CODEPIPELINE":
        artifacts.ignore(*artifacts.values)
    cache = props.values.get("Cache")
    if isinstance(cache, Mapping) and cache.get("Type") == "NO_CACHE" and len(cache) == 1:
        props.ignore("Cache")
    _service_role(reader, draft, props)


def _tf_extras(reader: Reader, draft: Draft, props: Props) -> None:
    artifacts = props.block("artifacts")
    if artifacts is not None and artifacts.text("type") == "CODEPIPELINE":
        artifacts.ignore(*artifacts.values)
    _service_role(reader, draft, props)
    _stored_variables(reader, draft)


def _stored_variables(reader: Reader, draft: Draft) -> None:
    """A PARAMETER_STORE variable naming a parameter of the plan by its name reads that parameter as deployed
    (plain parameters first, then SecureString ones)."""
    environment = draft.kwargs.get("environment")
    if not isinstance(environment, BuildEnvironment):
        return
    variables = []
    for variable in environment.variables:
        if variable.type == "PARAMETER_STORE":
            named = reader.spelled(variable.value, "parameters")
            if named == variable.value:
                named = reader.spelled(variable.value, "secrets")
            variable = dataclasses.replace(variable, value=str(named))
        variables.append(variable)
    draft.kwargs["environment"] = dataclasses.replace(environment, variables=tuple(variables))


def _after_head(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + replacement


def _named_secrets(reader: Reader, draft: Draft) -> None:
    """Where a build receives a secret the definition does not declare (a SECRETS_MANAGER variable, or the
    buildspec's ``env.secrets-manager``), a stand-in secret is deployed in its place, holding the JSON keys the build
    asks for, and the build refers to it: in AWS the secret exists in the account, so the build can fetch it. What
    the stand-in holds is the harness's, and claims that depend on it are unverified."""
    from harness.runtime.buildspec import SecretRef, parse_buildspec

    stand_ins: dict[str, set[str]] = {}

    def refer(text: str, origin: str) -> str:
        try:
            ref = SecretRef.parse(text)
        except InputError:
            return text
        if ref_parts(ref.secret_id) is not None:
            return text  # a reference to a secret of the definition
        name = reader.reference(ref.secret_id, "secrets", origin, arn_ok=False)
        if name is None:
            return text
        if name not in {d.name for d in reader.declared("secrets")}:
            stand_ins.setdefault(name, set()).update({ref.json_key} - {""})
        rest = ":".join((ref.json_key, ref.version_stage, ref.version_id)).rstrip(":")
        return f"${{secrets.{name}.arn}}" + (f":{rest}" if rest else "")

    environment = draft.kwargs.get("environment")
    if isinstance(environment, BuildEnvironment):
        variables = tuple(
            dataclasses.replace(v, value=refer(v.value, f"{draft.origin} variable {v.name}"))
            if v.type == "SECRETS_MANAGER"
            else v
            for v in environment.variables
        )
        draft.kwargs["environment"] = dataclasses.replace(environment, variables=variables)
    text = draft.kwargs.get("buildspec")
    if isinstance(text, str) and "\n" in text:
        try:
            spec = parse_buildspec(text)
        except InputError:
            spec = None
        for key, ref in spec.env.secrets_manager if spec is not None else ():
            written = ":".join((ref.secret_id, ref.json_key, ref.version_stage, ref.version_id)).rstrip(":")
            spelled = refer(written, f"{draft.origin} buildspec env.secrets-manager.{key}")
            if spelled != written:
                value = rf"^(\s*{re.escape(key)}\s*:\s*[\"']?){re.escape(written)}(?=[\"']?\s*(?:#.*)?$)"
                text = re.compile(value, re.M).sub(_after_head(spelled), text)
        draft.kwargs["buildspec"] = text
    for name, keys in stand_ins.items():
        secret = reader.draft("secrets", name)
        if secret is not None and keys:
            secret.kwargs["value"] = json.dumps({k: f"pipewarden-stand-in-{k}" for k in sorted(keys)})


SCHEMA = Schema(
    BuildProject,
    fields=(
        Field("service_role", cfn="ServiceRole", tf="service_role", read="ref", section="roles", required=True),
        Field("source", cfn_read=_build_source, tf_read=_build_source),
        Field("buildspec", cfn_read=_buildspec, tf_read=_buildspec),
        ENVIRONMENT,
        Field("logs", cfn_read=_logs, tf_read=_logs),
        Field("vpc", cfn_read=_placement, tf_read=_placement),
        Field("timeout_minutes", cfn="TimeoutInMinutes", tf="build_timeout", read="int", default=60),
        Field("encryption_key", cfn="EncryptionKey", tf="encryption_key", read="ref", section="keys"),
        Field("description", cfn="Description", tf="description", default=""),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::CodeBuild::Project",
        ref="{name}",
        attributes={"Arn": "{arn}"},
        name="Name",
        quiet={"Environment.ImagePullCredentialsType": "CODEBUILD"},
        finish=_cfn_extras,
    ),
    check=_named_secrets,
    tf=Tf(
        "aws_codebuild_project",
        name="name",
        attributes={"arn": "arn", "id": "arn", "name": "name"},
        quiet={
            "badge_enabled": False,
            "concurrent_build_limit": 0,
            "environment.image_pull_credentials_type": "CODEBUILD",
        },
        ignore=("queued_timeout", "badge_url", "project_visibility"),
        finish=_tf_extras,
    ),
)
