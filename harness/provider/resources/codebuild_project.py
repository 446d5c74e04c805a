"""CodeBuild project: the resource type (role, environment, buildspec, logs, VPC, timeout) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import yaml

from harness.model.base import JsonDoc, RefTo, Resource, Tags
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
    """Where CodeBuild sends build logs in CloudWatch Logs."""

    group: Annotated[str, RefTo("log_groups")]
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
    """A project's logs configuration."""

    cloudwatch: CloudWatchLogs | None = None
    s3: S3Logs | None = None


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
        if not 5 <= self.timeout_minutes <= 2160:
            raise ValueError(
                f"timeout_minutes between 5 and 2160, found {self.timeout_minutes}; CodeBuild allows only that range"
            )

    def buildspec_text(self) -> str:
        """The buildspec as CodeBuild receives it (YAML text)."""
        if isinstance(self.buildspec, str):
            return self.buildspec
        return yaml.safe_dump(dict(self.buildspec), sort_keys=False)


class BuildProjectHandler(Handler[BuildProject]):
    resource_type = BuildProject
    sweep_order = 20

    def arn(self, ctx: ProviderContext, resource: BuildProject) -> str:
        return f"arn:{ctx.partition}:codebuild:{ctx.region}:{ctx.account_id}:project/{ctx.physical_name(resource)}"

    def _ref_arn(self, ctx: ProviderContext, section: str, ref: str) -> str:
        return ref if ref.startswith("arn:") else ctx.state_of(section, ref).arn

    def _logs_config(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        cw: dict[str, Any] = {"status": "DISABLED"}
        s3: dict[str, Any] = {"status": "DISABLED"}
        if resource.logs and resource.logs.cloudwatch:
            c = resource.logs.cloudwatch
            cw = {
                "status": "ENABLED" if c.enabled else "DISABLED",
                "groupName": ctx.state_of("log_groups", c.group).physical_id,
            }
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

    def _request(self, ctx: ProviderContext, resource: BuildProject) -> dict[str, Any]:
        env = resource.environment
        request: dict[str, Any] = {
            "name": ctx.physical_name(resource),
            # CodeBuild ignores the location of CODEPIPELINE sources and artifacts; moto insists on one.
            "source": {
                "type": "CODEPIPELINE",
                "location": "codepipeline",
                "buildspec": ctx.resolve(resource.buildspec_text()),
            },
            "artifacts": {"type": "CODEPIPELINE", "location": "codepipeline"},
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
        return {
            "service_role": project.get("serviceRole"),
            "buildspec": (project.get("source") or {}).get("buildspec"),
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
                "cloudwatch": dict(sorted((logs.get("cloudWatchLogs") or {"status": "DISABLED"}).items())),
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
