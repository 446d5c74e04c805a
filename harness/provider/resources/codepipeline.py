"""CodePipeline pipeline: the resource type (role, artifact store, stages and actions) and its handler."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import RefTo, Resource, Tags
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    Cfn,
    Draft,
    Field,
    Props,
    Reader,
    Schema,
    Tf,
    describe,
    ref_parts,
)
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

Category = Literal["Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute"]


# Action providers whose configuration names a role the pipeline passes to another service (``RoleArn``).
DEPLOY_ROLE_PROVIDERS = frozenset({"CloudFormation"})
_ROLE_ARN = re.compile(r"^\$\{roles\.([A-Za-z0-9_-]+)\.arn\}$")


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a stage (a source, a CodeBuild build, a manual approval, a deployment...).

    Attributes:
        role: the role CodePipeline assumes to run this action (the pipeline's role when None).
        deploy_role: for a CloudFormation action, the role CloudFormation deploys the stack with (the
            configuration's ``RoleArn``): the pipeline's role passes it, so it needs ``iam:PassRole`` on it. Written
            as ``RoleArn: ${roles.deploy.arn}`` in the configuration, it is read into this field.
    """

    name: str
    category: Category
    provider: str
    owner: Literal["AWS", "ThirdParty", "Custom"] = "AWS"
    version: str = "1"
    run_order: int = 1
    configuration: Mapping[str, str] = field(default_factory=dict)
    input_artifacts: tuple[str, ...] = ()
    output_artifacts: tuple[str, ...] = ()
    role: Annotated[str, RefTo("roles")] | None = None
    deploy_role: Annotated[str, RefTo("roles")] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.run_order <= 999:
            raise ValueError(f"run_order between 1 and 999, found {self.run_order}; order actions from 1")
        named = self.configuration.get("RoleArn")
        if named is None or self.provider not in DEPLOY_ROLE_PROVIDERS:
            if self.deploy_role is not None and self.provider not in DEPLOY_ROLE_PROVIDERS:
                raise ValueError(
                    f"a deploy_role only on a CloudFormation action, found one on provider {self.provider!r}; "
                    "remove it or use role for the role the action runs as"
                )
            return
        if self.deploy_role is not None:
            raise ValueError(
                f"one deploy role for action {self.name!r}, found deploy_role and configuration RoleArn; keep one"
            )
        # The deploy role becomes a reference of its own (a role of the definition, or a literal ARN), so it
        # resolves after deploy and least-privilege checks can find it.
        match = _ROLE_ARN.match(named)
        role = match.group(1) if match else named if named.startswith("arn:") else None
        if role is not None:
            object.__setattr__(self, "deploy_role", role)
            object.__setattr__(self, "configuration", {k: v for k, v in self.configuration.items() if k != "RoleArn"})


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage: actions with the same run_order run in parallel."""

    name: str
    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError(f"at least one action in stage {self.name!r}, found none; add an action")


@dataclass(frozen=True, slots=True)
class ArtifactStore:
    """The bucket (and optional KMS key) that carries artifacts between stages."""

    bucket: Annotated[str, RefTo("buckets")]
    kms_key: Annotated[str, RefTo("keys")] | None = None


@dataclass(frozen=True, slots=True)
class Pipeline(Resource):
    """A CodePipeline pipeline."""

    SECTION: ClassVar[str] = "pipelines"
    KIND: ClassVar[str] = "pipeline"

    role: Annotated[str, RefTo("roles")] = ""
    artifact_store: ArtifactStore | None = None
    stages: tuple[Stage, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.role:
            raise ValueError("a role naming the pipeline's service role under 'roles', found none; add role")
        if self.artifact_store is None:
            raise ValueError("an artifact_store with a bucket, found none; add artifact_store: {bucket: ...}")
        if len(self.stages) < 2:
            raise ValueError(f"at least two stages, found {len(self.stages)}; CodePipeline requires two or more")
        if self.stages[0].actions[0].category != "Source":
            raise ValueError("the first stage to hold Source actions; move the source action first")


class PipelineHandler(Handler[Pipeline]):
    resource_type = Pipeline
    sweep_order = 10

    def arn(self, ctx: ProviderContext, resource: Pipeline) -> str:
        return f"arn:{ctx.partition}:codepipeline:{ctx.region}:{ctx.account_id}:{ctx.physical_name(resource)}"

    def _ref_arn(self, ctx: ProviderContext, section: str, ref: str) -> str:
        return ref if ref.startswith("arn:") else ctx.state_of(section, ref).arn

    def _declaration(self, ctx: ProviderContext, resource: Pipeline) -> dict[str, Any]:
        assert resource.artifact_store is not None  # checked in Pipeline.__post_init__
        store: dict[str, Any] = {
            "type": "S3",
            "location": ctx.state_of("buckets", resource.artifact_store.bucket).physical_id,
        }
        if resource.artifact_store.kms_key:
            store["encryptionKey"] = {
                "id": self._ref_arn(ctx, "keys", resource.artifact_store.kms_key),
                "type": "KMS",
            }
        stages = []
        for stage in resource.stages:
            actions = []
            for action in stage.actions:
                decl: dict[str, Any] = {
                    "name": action.name,
                    "actionTypeId": {
                        "category": action.category,
                        "owner": action.owner,
                        "provider": action.provider,
                        "version": action.version,
                    },
                    "runOrder": action.run_order,
                    "configuration": {k: ctx.resolve(v) for k, v in action.configuration.items()},
                    "inputArtifacts": [{"name": a} for a in action.input_artifacts],
                    "outputArtifacts": [{"name": a} for a in action.output_artifacts],
                }
                if action.role:
                    decl["roleArn"] = self._ref_arn(ctx, "roles", action.role)
                if action.deploy_role:
                    decl["configuration"]["RoleArn"] = str(ctx.resolve(self._ref_arn(ctx, "roles", action.deploy_role)))
                actions.append(decl)
            stages.append({"name": stage.name, "actions": actions})
        return {
            "name": ctx.physical_name(resource),
            "roleArn": self._ref_arn(ctx, "roles", resource.role),
            "artifactStore": store,
            "stages": stages,
            "version": 1,
        }

    @staticmethod
    def _comparable(declaration: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
        stages = []
        for stage in declaration.get("stages", []):
            actions = []
            for action in stage.get("actions", []):
                actions.append(
                    {
                        "name": action["name"],
                        "type": dict(sorted(action["actionTypeId"].items())),
                        "run_order": action.get("runOrder", 1),
                        "configuration": dict(sorted((action.get("configuration") or {}).items())),
                        "inputs": [a["name"] for a in action.get("inputArtifacts", [])],
                        "outputs": [a["name"] for a in action.get("outputArtifacts", [])],
                        "role": action.get("roleArn"),
                    }
                )
            stages.append({"name": stage["name"], "actions": actions})
        store = declaration.get("artifactStore", {})
        return {
            "role": declaration.get("roleArn"),
            "artifact_store": {
                "bucket": store.get("location"),
                "kms_key": (store.get("encryptionKey") or {}).get("id"),
            },
            "stages": stages,
            "tags": tags,
        }

    def desired(self, ctx: ProviderContext, resource: Pipeline) -> dict[str, Any]:
        return self._comparable(self._declaration(ctx, resource), dict(resource.tags))

    def read(self, ctx: ProviderContext, resource: Pipeline) -> dict[str, Any] | None:
        codepipeline = ctx.clients("codepipeline")
        try:
            declaration = codepipeline.get_pipeline(name=ctx.physical_name(resource))["pipeline"]
        except Exception as exc:
            if error_code(exc) == "PipelineNotFoundException":
                return None
            raise
        tags = codepipeline.list_tags_for_resource(resourceArn=self.arn(ctx, resource)).get("tags", [])
        return self._comparable(declaration, tags_dict(tags, "key", "value"))

    def create(self, ctx: ProviderContext, resource: Pipeline) -> ResourceState:
        kwargs: dict[str, Any] = {"pipeline": self._declaration(ctx, resource)}
        if resource.tags:
            kwargs["tags"] = tags_list(resource.tags, "key", "value")
        ctx.clients("codepipeline").create_pipeline(**kwargs)
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: Pipeline, changed: frozenset[str]) -> ResourceState:
        codepipeline = ctx.clients("codepipeline")
        if changed - {"tags"}:
            codepipeline.update_pipeline(pipeline=self._declaration(ctx, resource))
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            current = tags_dict(codepipeline.list_tags_for_resource(resourceArn=arn).get("tags", []), "key", "value")
            stale = [k for k in current if k not in resource.tags]
            if stale:
                codepipeline.untag_resource(resourceArn=arn, tagKeys=stale)
            if resource.tags:
                codepipeline.tag_resource(resourceArn=arn, tags=tags_list(resource.tags, "key", "value"))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Pipeline) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        pipelines = ctx.clients("codepipeline").list_pipelines().get("pipelines", [])
        return [p["name"] for p in pipelines if p["name"].startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # DeletePipeline succeeds for a pipeline that does not exist.
        ctx.clients("codepipeline").delete_pipeline(name=physical_id)


HANDLER = PipelineHandler()


# -- how the source formats spell a pipeline -------------------------------------------------------------------

_CATEGORIES = ("Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute")
_OWNERS = ("AWS", "ThirdParty", "Custom")

# Action configuration keys whose value names a resource, and the attribute the value is.
_CONFIGURATION_SECTIONS = {
    "ProjectName": ("build_projects", "name"),
    "S3Bucket": ("buckets", "name"),
    "BucketName": ("buckets", "name"),
    "RoleArn": ("roles", "arn"),
    "RepositoryName": ("repositories", "name"),
    "ConnectionArn": ("connections", "arn"),
}


def _configuration(reader: Reader, value: Any, path: str) -> dict[str, str]:
    """Action configuration as CodePipeline stores it: strings, structured values as JSON text.

    A value naming a resource (a project, a bucket, a repository, a role) refers to it, so it follows the
    resource's physical name; one the definition does not declare gets a stand-in where its type has one.
    """
    if not isinstance(value, Mapping):
        reader.fail(path, "a mapping", describe(value), "write the configuration as key: value pairs")
    out: dict[str, str] = {}
    for key, item in value.items():
        if item is None:  # a value the plan cannot give (known only after apply), already noted
            continue
        if isinstance(item, dict | list):
            out[str(key)] = json.dumps(item)
        elif isinstance(item, bool):
            out[str(key)] = str(item).lower()
        elif isinstance(item, float) and item.is_integer():
            out[str(key)] = str(int(item))
        elif str(key) in _CONFIGURATION_SECTIONS and isinstance(item, str) and item:
            section, attribute = _CONFIGURATION_SECTIONS[str(key)]
            found = reader.reference(item, section, f"{path}.{key}", crosses=section == "roles")
            out[str(key)] = f"${{{section}.{found}.{attribute}}}" if found and not found.startswith("arn:") else item
        else:
            out[str(key)] = str(item)
    return out


def _artifact_names(key: str) -> Any:
    def read(reader: Reader, props: Props, draft: Draft) -> Any:
        return tuple(a.text("Name", required=True) for a in props.items(key))

    return read


ACTION = Field(
    "actions",
    cfn="Actions",
    tf="action",
    read="structs",
    required=True,
    struct=Action,
    fields=(
        Field("name", cfn="Name", tf="name", required=True),
        Field("category", cfn="ActionTypeId.Category", tf="category", required=True, choices=_CATEGORIES),
        Field("owner", cfn="ActionTypeId.Owner", tf="owner", required=True, choices=_OWNERS),
        Field("provider", cfn="ActionTypeId.Provider", tf="provider", required=True),
        Field("version", cfn="ActionTypeId.Version", tf="version", required=True),
        Field("run_order", cfn="RunOrder", tf="run_order", read="int", default=1),
        Field("configuration", cfn="Configuration", tf="configuration", read="raw", parse=_configuration),
        Field("input_artifacts", cfn_read=_artifact_names("InputArtifacts"), tf="input_artifacts", read="strings"),
        Field("output_artifacts", cfn_read=_artifact_names("OutputArtifacts"), tf="output_artifacts", read="strings"),
        # An action may run under a role of another account (a cross-account deployment).
        Field("role", cfn="RoleArn", tf="role_arn", read="ref", section="roles", crosses=True),
    ),
)

STAGE = Field(
    "stages",
    cfn="Stages",
    tf="stage",
    read="structs",
    struct=Stage,
    fields=(Field("name", cfn="Name", tf="name", required=True), ACTION),
)


def _artifact_store(reader: Reader, props: Props, draft: Draft) -> Any:
    """The artifact bucket and key; a pipeline with stores in several regions keeps the first."""
    cfn = reader.format == CLOUDFORMATION
    if cfn:
        store = props.sub("ArtifactStore")
        stores = [] if store is not None else props.items("ArtifactStores")
        if stores:
            store = stores[0].sub("ArtifactStore")
            stores[0].ignore("Region")
    else:
        stores = props.items("artifact_store")
        store = stores[0] if stores else None
    for extra in stores[1:]:
        reader.note(f"{extra.path}: cross-region artifact stores are not modelled")
        extra.ignore(*extra.values)
    if store is None:
        return MISSING
    location, kind, encryption_key, key_id = ("Location", "Type", "EncryptionKey", "Id") if cfn else (
        "location", "type", "encryption_key", "id")  # fmt: skip
    if cfn and store.text(kind, "S3") != "S3":
        reader.fail(store.at(kind), "S3", repr(store.raw(kind)), "use an S3 artifact store")
    store.ignore(kind, "region")
    bucket = reader.reference(store.require(location), "buckets", store.at(location), arn_ok=False)
    if bucket is None:
        reader.fail(
            store.at(location),
            f"a bucket of this {reader.noun}" + (" (!Ref Bucket)" if cfn else ""),
            describe(store.raw(location)),
            f"declare the artifact bucket{' in the template' if cfn else ''}",
        )
    key = None
    encryption = store.block(encryption_key)
    if encryption is not None:
        encryption.ignore(kind.lower() if not cfn else kind)
        key = reader.reference(encryption.require(key_id), "keys", encryption.at(key_id))
    return ArtifactStore(bucket=bucket, kms_key=key)


def _role(reader: Reader, draft: Draft, props: Props) -> None:
    if not draft.kwargs.get("role"):
        key = "RoleArn" if reader.format == CLOUDFORMATION else "role_arn"
        reader.fail(
            props.at(key),
            f"a role of this {reader.noun} or a role ARN",
            describe(props.values.get(key)),
            f"use {reader.example('roles')}",
        )


def _connections(reader: Reader, draft: Draft) -> None:
    """A source action through a connection should name a connection of the definition: its UseConnection check
    needs the connection."""
    for stage in draft.kwargs.get("stages", ()):
        for action in stage.actions:
            if action.provider != "CodeStarSourceConnection":
                continue
            arn = action.configuration.get("ConnectionArn", "")
            parts = ref_parts(arn)
            if parts is None or parts[0] != "connections":
                reader.note(
                    f"{draft.origin}: stage '{stage.name}' action '{action.name}' uses the connection "
                    f"{arn!r}, outside the {reader.noun}; whether the pipeline role may use it is unverified"
                )


SCHEMA = Schema(
    Pipeline,
    fields=(
        Field("role", cfn="RoleArn", tf="role_arn", read="ref", section="roles", required=True),
        Field("artifact_store", cfn_read=_artifact_store, tf_read=_artifact_store),
        STAGE,
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::CodePipeline::Pipeline",
        ref="{name}",
        attributes={"Version": None},
        name="Name",
        quiet={"RestartExecutionOnUpdate": False},
        finish=_role,
    ),
    tf=Tf(
        "aws_codepipeline",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name"},
        quiet={"pipeline_type": "V1", "execution_mode": "SUPERSEDED"},
        finish=_role,
    ),
    check=_connections,
)
