"""Lambda function: the resource type (execution role, runtime, environment, VPC, resource policy) and its handler.

pipewarden never fetches a function's package: inline code is deployed as written, and a function whose code lives
in S3, in a local file or in an image is deployed with a small stand-in package built in memory, so scenarios that
depend on what the function does stay unverified.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import INTERPOLATION, RefTo, Resource, Tags, interpolations
from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    TERRAFORM,
    UNVERIFIED,
    Cfn,
    Draft,
    Field,
    Fold,
    Origin,
    Props,
    Reader,
    Schema,
    Tf,
    attached,
    describe,
    ref_parts,
    shell_text,
)
from harness.provider.base import UNKNOWN, Handler, ProviderContext, ResourceState, error_code

# Runtimes AWS still creates functions with (Lambda runtimes page); others are deprecated and refused.
SUPPORTED_RUNTIMES = frozenset(
    {
        "python3.9",
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
        "nodejs18.x",
        "nodejs20.x",
        "nodejs22.x",
        "java8.al2",
        "java11",
        "java17",
        "java21",
        "dotnet8",
        "ruby3.2",
        "ruby3.3",
        "ruby3.4",
        "provided.al2",
        "provided.al2023",
    }
)
# What a deprecated runtime is deployed as: the same language on a runtime AWS still accepts.
_STAND_IN_RUNTIMES = {
    "python": "python3.12",
    "nodejs": "nodejs20.x",
    "java": "java21",
    "dotnet": "dotnet8",
    "ruby": "ruby3.3",
    "provided": "provided.al2023",
    "go": "provided.al2023",
}
_FAMILY = re.compile(r"^(python|nodejs|java|dotnet|ruby|provided|go)")
# CloudFormation writes inline code (ZipFile) to index.py or index.js; other languages cannot be inline.
_INLINE_FILES = {"python": "index.py", "nodejs": "index.js"}
STAND_IN_FILE = "pipewarden-stand-in.txt"
STAND_IN_TEXT = "A stand-in package deployed by pipewarden: the function's own code was not fetched.\n"
_STATEMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def runtime_family(runtime: str) -> str:
    """The language of a runtime (``python`` for ``python3.12``), '' when it names none."""
    match = _FAMILY.match(runtime)
    return match.group(1) if match else ""


def deployed_runtime(runtime: str) -> str:
    """The runtime a function is created with: its own, or a supported one of the same language when deprecated.

    AWS refuses to create functions with a deprecated runtime, and emulators refuse some runtime names; the
    original stays in the model (and in the loader's notes).
    """
    if not runtime:
        return _STAND_IN_RUNTIMES["provided"]
    if runtime in SUPPORTED_RUNTIMES:
        return runtime
    return _STAND_IN_RUNTIMES[runtime_family(runtime)]


@dataclass(frozen=True, slots=True)
class FunctionPermission:
    """One statement of a function's resource-based policy: who else may call it (Lambda's AddPermission).

    Attributes:
        sid: the statement id.
        principal: a service principal (``events.amazonaws.com``), an account id, a principal ARN or ``*``.
        action: the Lambda action granted (``lambda:InvokeFunction``).
        source_arn: the resource the service acts for (a rule, a bucket), the statement's ``AWS:SourceArn``.
        source_account: the account that resource belongs to (``AWS:SourceAccount``).
        principal_org_id: the organization every caller must belong to (``aws:PrincipalOrgID``).
    """

    sid: str
    principal: str
    action: str = "lambda:InvokeFunction"
    source_arn: str = ""
    source_account: str = ""
    principal_org_id: str = ""

    def __post_init__(self) -> None:
        if not _STATEMENT_ID.fullmatch(self.sid):
            raise ValueError(
                f"a statement id of letters, digits, '-' or '_' (at most 100), found {self.sid!r}; rename it"
            )
        if not self.action.lower().startswith("lambda:"):
            raise ValueError(f"a Lambda action such as lambda:InvokeFunction, found {self.action!r}; use one")
        if not self.principal:
            raise ValueError("a principal (a service, an account or '*'), found none; say who may call the function")


@dataclass(frozen=True, slots=True)
class FunctionVpc:
    """The subnets and security groups of the definition a function's network interfaces are placed in."""

    subnets: tuple[Annotated[str, RefTo("subnets")], ...]
    security_groups: tuple[Annotated[str, RefTo("security_groups")], ...]

    def __post_init__(self) -> None:
        if not self.subnets or not self.security_groups:
            raise ValueError(
                "subnets and security_groups for a function in a VPC, found "
                + ("no subnets" if not self.subnets else "no security groups")
                + "; name where the function's network interfaces go"
            )


@dataclass(frozen=True, slots=True)
class Function(Resource):
    """A Lambda function: a pipeline's invoke action, an event target, a clean-up or merge helper.

    ``code`` is inline source (CloudFormation's ``ZipFile``); ``package`` says where the real package lives when it
    is not inline (``s3://bucket/key``, a file name, ``image:<uri>``) and is never fetched: a stand-in package is
    deployed instead. ``permissions`` are the statements of the function's resource-based policy.
    """

    SECTION: ClassVar[str] = "functions"
    KIND: ClassVar[str] = "Lambda function"

    role: Annotated[str, RefTo("roles")] = ""
    runtime: str = ""
    handler: str = ""
    package_type: Literal["Zip", "Image"] = "Zip"
    code: str = ""
    package: str = ""
    environment: Mapping[str, str] = field(default_factory=dict)
    vpc: FunctionVpc | None = None
    kms_key: Annotated[str, RefTo("keys")] | None = None
    timeout: int = 3
    memory: int = 128
    description: str = ""
    permissions: tuple[FunctionPermission, ...] = ()
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.role:
            raise ValueError("a role naming the function's execution role under 'roles', found none; add role")
        if self.package_type == "Zip":
            if not self.runtime or not self.handler:
                missing = "runtime" if not self.runtime else "handler"
                raise ValueError(f"a {missing} for a function deployed as a zip package, found none; add {missing}")
            if not runtime_family(self.runtime):
                raise ValueError(
                    f"a Lambda runtime such as python3.12 or nodejs20.x, found {self.runtime!r}; use a Lambda runtime"
                )
        if self.code and runtime_family(self.runtime) not in _INLINE_FILES:
            raise ValueError(
                f"inline code for a Python or Node.js runtime, found it for {self.runtime or 'an image'!r}; "
                "give the package's location instead"
            )
        if not 1 <= self.timeout <= 900:
            raise ValueError(f"timeout between 1 and 900 seconds, found {self.timeout}; Lambda allows only that range")
        if not 128 <= self.memory <= 10240:
            raise ValueError(f"memory between 128 and 10240 MB, found {self.memory}; Lambda allows only that range")
        sids = [p.sid for p in self.permissions]
        if len(set(sids)) != len(sids):
            raise ValueError(f"unique statement ids in permissions, found {sids}; rename the repeated ones")

    def deployed_runtime(self) -> str:
        """The runtime the function is created with (see :func:`deployed_runtime`)."""
        return deployed_runtime(self.runtime if self.package_type == "Zip" else "")

    def deployed_handler(self) -> str:
        """The handler the function is created with (an image's entry point is its own; a stand-in names one)."""
        return self.handler or "bootstrap"


def package_bytes(function: Function, code: str) -> bytes:
    """The zip the function is created with: its inline code, or the stand-in package.

    Built with fixed timestamps so the same definition always gives the same package (and CodeSha256).
    """
    if code:
        name, content = _INLINE_FILES[runtime_family(function.runtime)], code
    else:
        name, content = STAND_IN_FILE, STAND_IN_TEXT
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, content)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def canonical_principal(principal: Any, partition: str = "aws") -> str:
    """A permission's principal as one string: ``*``, a service, or an ARN (a bare account id is its root)."""
    if isinstance(principal, Mapping):
        values = [v for key in ("Service", "AWS", "Federated") for v in _list(principal.get(key))]
        principal = values[0] if len(values) == 1 else ",".join(sorted(values))
    text = str(principal)
    if re.fullmatch(r"\d{12}", text):
        return f"arn:{partition}:iam::{text}:root"
    return text


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _permission_of(statement: Mapping[str, Any], partition: str) -> dict[str, str]:
    """The comparable form of one statement of a function policy, as AddPermission wrote it."""
    condition = statement.get("Condition") or {}
    found: dict[str, str] = {}
    for operator in condition.values():
        if isinstance(operator, Mapping):
            for key, value in operator.items():
                found[str(key).lower()] = ",".join(_list(value))
    actions = _list(statement.get("Action"))
    return {
        "sid": str(statement.get("Sid", "")),
        "action": actions[0] if actions else "",
        "principal": canonical_principal(statement.get("Principal"), partition),
        "source_arn": found.get("aws:sourcearn", ""),
        "source_account": found.get("aws:sourceaccount", ""),
        "principal_org_id": found.get("aws:principalorgid", ""),
    }


def function_policy_document(text: str, partition: str = "aws") -> dict[str, Any]:
    """A function policy as JSON text, with each principal written as AWS writes it (a bare account id is the
    account's root, a bare service name a service principal), ready for the policy evaluator.

    Emulators keep the principal exactly as AddPermission was given it.
    """
    document = json.loads(text)
    for statement in document.get("Statement") or ():
        principal = statement.get("Principal")
        if isinstance(principal, str) and principal != "*":
            if re.fullmatch(r"\d{12}", principal):
                statement["Principal"] = {"AWS": f"arn:{partition}:iam::{principal}:root"}
            elif principal.endswith(".amazonaws.com"):
                statement["Principal"] = {"Service": principal}
            else:
                statement["Principal"] = {"AWS": principal}
    return dict(document)


def _resolved(ctx: ProviderContext, text: str) -> str:
    """``text`` with its interpolations resolved; what is not deployed yet (a deferred reference) reads as unknown."""

    def one(match: re.Match[str]) -> str:
        section, name, _attribute = match.groups()
        if name is not None and f"{section}.{name}" not in ctx.state:
            return UNKNOWN
        return str(ctx.resolve(match.group(0)))

    # Names are known before anything is deployed (a rule's ARN spelled with the rule's physical name).
    return INTERPOLATION.sub(one, ctx.resolve_names(text))


class FunctionHandler(Handler[Function]):
    resource_type = Function
    # After event rules and pipelines that invoke functions, before the roles functions run as.
    sweep_order = 18

    def arn(self, ctx: ProviderContext, resource: Function) -> str:
        return f"arn:{ctx.partition}:lambda:{ctx.region}:{ctx.account_id}:function:{ctx.physical_name(resource)}"

    def deferred_references(self, resource: Function) -> frozenset[str]:
        # A permission may name what calls the function (a rule whose target is the function, a bucket that
        # notifies it): those refer back to the function, so permissions are added once both exist.
        own = str(resource.address)
        found = {f"{s}.{n}" for s, n, _a in interpolations(resource.permissions)}
        return frozenset(found - {own})

    def _ref_arn(self, ctx: ProviderContext, section: str, ref: str) -> str:
        return ref if ref.startswith("arn:") else ctx.state_of(section, ref).arn

    def _permission(self, ctx: ProviderContext, permission: FunctionPermission) -> dict[str, str]:
        return {
            "sid": permission.sid,
            "action": permission.action,
            "principal": canonical_principal(_resolved(ctx, permission.principal), ctx.partition),
            "source_arn": _resolved(ctx, permission.source_arn),
            "source_account": _resolved(ctx, permission.source_account),
            "principal_org_id": permission.principal_org_id,
        }

    def _ready(self, ctx: ProviderContext, permission: FunctionPermission) -> bool:
        """Whether everything a permission names is deployed (see ``deferred_references``)."""
        return all(f"{section}.{name}" in ctx.state for section, name, _a in interpolations(permission))

    def _configuration(self, ctx: ProviderContext, resource: Function) -> dict[str, Any]:
        config: dict[str, Any] = {
            "Role": self._ref_arn(ctx, "roles", resource.role),
            "Runtime": resource.deployed_runtime(),
            "Handler": resource.deployed_handler(),
            "Description": resource.description,
            "Timeout": resource.timeout,
            "MemorySize": resource.memory,
            "Environment": {"Variables": {k: str(ctx.resolve(v)) for k, v in resource.environment.items()}},
            "VpcConfig": {
                "SubnetIds": [ctx.state_of("subnets", s).physical_id for s in resource.vpc.subnets],
                "SecurityGroupIds": [
                    ctx.state_of("security_groups", g).physical_id for g in resource.vpc.security_groups
                ],
            }
            if resource.vpc
            else {"SubnetIds": [], "SecurityGroupIds": []},
        }
        if resource.kms_key:
            config["KMSKeyArn"] = self._ref_arn(ctx, "keys", resource.kms_key)
        return config

    def desired(self, ctx: ProviderContext, resource: Function) -> dict[str, Any]:
        config = self._configuration(ctx, resource)
        return {
            "role": config["Role"],
            "runtime": config["Runtime"],
            "handler": config["Handler"],
            "code": _sha256(package_bytes(resource, str(ctx.resolve(resource.code)))),
            "environment": config["Environment"]["Variables"],
            "vpc": {k: sorted(v) for k, v in config["VpcConfig"].items()},
            "kms_key": config.get("KMSKeyArn"),
            "timeout": resource.timeout,
            "memory": resource.memory,
            "description": resource.description,
            "permissions": sorted((self._permission(ctx, p) for p in resource.permissions), key=lambda p: p["sid"]),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Function) -> dict[str, Any] | None:
        client = ctx.clients("lambda")
        name = ctx.physical_name(resource)
        try:
            config = client.get_function_configuration(FunctionName=name)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        vpc = config.get("VpcConfig") or {}
        return {
            "role": config.get("Role"),
            "runtime": config.get("Runtime"),
            "handler": config.get("Handler"),
            "code": config.get("CodeSha256"),
            "environment": dict((config.get("Environment") or {}).get("Variables") or {}),
            "vpc": {
                "SubnetIds": sorted(vpc.get("SubnetIds") or []),
                "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or []),
            },
            "kms_key": config.get("KMSKeyArn") or None,
            "timeout": config.get("Timeout"),
            "memory": config.get("MemorySize"),
            "description": config.get("Description", "") or "",
            "permissions": self._read_permissions(ctx, name),
            "tags": dict(client.list_tags(Resource=config["FunctionArn"]).get("Tags") or {}),
        }

    def _read_permissions(self, ctx: ProviderContext, name: str) -> list[dict[str, str]]:
        try:
            text = ctx.clients("lambda").get_policy(FunctionName=name)["Policy"]
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return []
            raise
        statements = json.loads(text).get("Statement") or []
        return sorted((_permission_of(s, ctx.partition) for s in statements), key=lambda p: p["sid"])

    def create(self, ctx: ProviderContext, resource: Function) -> ResourceState:
        client = ctx.clients("lambda")
        config = self._configuration(ctx, resource)
        kwargs: dict[str, Any] = {
            "FunctionName": ctx.physical_name(resource),
            "Code": {"ZipFile": package_bytes(resource, str(ctx.resolve(resource.code)))},
            "PackageType": "Zip",
            **{k: v for k, v in config.items() if k != "VpcConfig" or resource.vpc},
        }
        if resource.tags:
            kwargs["Tags"] = dict(resource.tags)
        client.create_function(**kwargs)
        for permission in resource.permissions:
            if self._ready(ctx, permission):
                self._add_permission(ctx, resource, permission)
        return self.state(ctx, resource)

    def _add_permission(self, ctx: ProviderContext, resource: Function, permission: FunctionPermission) -> None:
        kwargs: dict[str, Any] = {
            "FunctionName": ctx.physical_name(resource),
            "StatementId": permission.sid,
            "Action": permission.action,
            "Principal": str(ctx.resolve(permission.principal)),
        }
        for key, value in (
            ("SourceArn", permission.source_arn),
            ("SourceAccount", permission.source_account),
            ("PrincipalOrgID", permission.principal_org_id),
        ):
            if value:
                kwargs[key] = str(ctx.resolve(value))
        ctx.clients("lambda").add_permission(**kwargs)

    def update(self, ctx: ProviderContext, resource: Function, changed: frozenset[str]) -> ResourceState:
        client = ctx.clients("lambda")
        name = ctx.physical_name(resource)
        configuration = {"role", "runtime", "handler", "environment", "vpc", "kms_key", "timeout", "memory",
                         "description"}  # fmt: skip
        if changed & configuration:
            config = self._configuration(ctx, resource)
            if not resource.kms_key:
                config["KMSKeyArn"] = ""  # an empty key returns the environment to Lambda's own key
            client.update_function_configuration(FunctionName=name, **config)
        if "code" in changed:
            client.update_function_code(
                FunctionName=name, ZipFile=package_bytes(resource, str(ctx.resolve(resource.code)))
            )
        if "permissions" in changed:
            for current in self._read_permissions(ctx, name):
                client.remove_permission(FunctionName=name, StatementId=current["sid"])
            for permission in resource.permissions:
                if self._ready(ctx, permission):
                    self._add_permission(ctx, resource, permission)
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            current = dict(client.list_tags(Resource=arn).get("Tags") or {})
            stale = [k for k in current if k not in resource.tags]
            if stale:
                client.untag_resource(Resource=arn, TagKeys=stale)
            if resource.tags:
                client.tag_resource(Resource=arn, Tags=dict(resource.tags))
        return self.state(ctx, resource)

    def state(self, ctx: ProviderContext, resource: Function) -> ResourceState:
        name = ctx.physical_name(resource)
        # The runtime the definition names, which the deployed one may stand in for.
        return ResourceState(str(resource.address), name, self.arn(ctx, resource), {"runtime": resource.runtime})

    def delete(self, ctx: ProviderContext, resource: Function) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names: list[str] = []
        for page in ctx.clients("lambda").get_paginator("list_functions").paginate():
            names.extend(f["FunctionName"] for f in page["Functions"] if f["FunctionName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        try:
            ctx.clients("lambda").delete_function(FunctionName=physical_id)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise


HANDLER = FunctionHandler()


# -- how the source formats spell a function -------------------------------------------------------------------


def _runtime(reader: Reader, value: Any, path: str) -> Any:
    if value and value not in SUPPORTED_RUNTIMES and runtime_family(str(value)):
        reader.note(
            f"{path}: runtime {value!r} is deprecated (AWS no longer creates functions with it); the function is "
            f"deployed with {deployed_runtime(str(value))} and scenarios depending on its runtime are unverified"
        )
    return value


def _inline_code(reader: Reader, value: Any, path: str) -> Any:
    # ``${name}`` in code (a JavaScript template literal) would read as one of the model's deploy-time values;
    # written as ``$name`` it no longer does. The code is packaged, never run, so its text only sets the hash.
    return shell_text(str(value))


def _stand_in_note(reader: Reader, path: str, where: str) -> None:
    reader.note(
        f"{path}: the function's package ({where}) is not fetched; a stand-in package is deployed and scenarios "
        "depending on the function's code are unverified"
    )


def _package(reader: Reader, props: Props, draft: Draft) -> Any:
    """Where the function's package lives when it is not inline, noted as not fetched."""
    if reader.format == CLOUDFORMATION:
        code = props.sub("Code")
        if code is None:
            return MISSING
        code.ignore("SourceKMSKeyArn")
        if code.has("ImageUri"):
            where = f"image:{code.text('ImageUri')}"
        elif code.has("S3Bucket") or code.has("S3Key"):
            bucket, key = code.text("S3Bucket", ""), code.text("S3Key", "")
            code.raw("S3ObjectVersion")
            where = f"s3://{bucket}/{key}"
        else:
            return MISSING
        _stand_in_note(reader, code.path, where)
        return where
    props.ignore("source_code_hash", "code_sha256", "s3_object_version")
    if props.has("image_uri"):
        where = f"image:{props.text('image_uri')}"
    elif props.has("s3_bucket") or props.has("s3_key"):
        where = f"s3://{props.text('s3_bucket', '')}/{props.text('s3_key', '')}"
    elif props.has("filename"):
        where = str(props.text("filename"))
    else:
        reader.note(f"{props.path}: the function's package is known only after apply; a stand-in package is deployed")
        return MISSING
    _stand_in_note(reader, props.path, where)
    return where


def _vpc(reader: Reader, props: Props, draft: Draft) -> Any:
    """The function's subnets and groups when the definition declares all of them; otherwise it runs outside a
    VPC here, noted, so network scenarios about it are unverified rather than passed."""
    cfn = reader.format == CLOUDFORMATION
    vpc = props.block("VpcConfig" if cfn else "vpc_config")
    if vpc is None:
        return MISSING
    subnets_key, groups_key = ("SubnetIds", "SecurityGroupIds") if cfn else ("subnet_ids", "security_group_ids")
    vpc.ignore("vpc_id", "Ipv6AllowedForDualStack", "ipv6_allowed_for_dual_stack")
    subnets, groups = vpc.strings(subnets_key), vpc.strings(groups_key)
    if not subnets and not groups:
        return MISSING
    named = [ref_parts(reader.spelled(v, s)) for v, s in [*((x, "subnets") for x in subnets),
                                                          *((g, "security_groups") for g in groups)]]  # fmt: skip
    sections = ["subnets"] * len(subnets) + ["security_groups"] * len(groups)
    if subnets and groups and all(n is not None and n[0] == s for n, s in zip(named, sections, strict=True)):
        names = [n[1] for n in named if n is not None]
        return reader.make(
            FunctionVpc,
            vpc.path,
            None,
            subnets=tuple(names[: len(subnets)]),
            security_groups=tuple(names[len(subnets) :]),
        )
    reader.note(
        f"{vpc.path}: names subnets or security groups outside the definition; the function runs outside a VPC "
        "here and network scenarios about it are unverified"
    )
    return MISSING


def _role(reader: Reader, draft: Draft, props: Props) -> None:
    if not draft.kwargs.get("role"):
        key = "Role" if reader.format == CLOUDFORMATION else "role"
        reader.fail(
            props.at(key),
            f"the function's execution role, a role of this {reader.noun} or a role ARN",
            describe(props.values.get(key)),
            f"use {reader.example('roles')}",
        )


SCHEMA = Schema(
    Function,
    fields=(
        Field("role", cfn="Role", tf="role", read="ref", section="roles", required=True),
        Field("runtime", cfn="Runtime", tf="runtime", default="", parse=_runtime),
        Field("handler", cfn="Handler", tf="handler", default=""),
        Field("package_type", cfn="PackageType", tf="package_type", default="Zip", choices=("Zip", "Image")),
        Field("code", cfn="Code.ZipFile", default="", parse=_inline_code),
        Field("package", cfn_read=_package, tf_read=_package),
        Field("environment", cfn="Environment.Variables", tf="environment.variables", read="map"),
        Field("vpc", cfn_read=_vpc, tf_read=_vpc),
        Field("kms_key", cfn="KmsKeyArn", tf="kms_key_arn", read="ref", section="keys"),
        Field("timeout", cfn="Timeout", tf="timeout", read="int", default=3),
        Field("memory", cfn="MemorySize", tf="memory_size", read="int", default=128),
        Field("description", cfn="Description", tf="description", default=""),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::Lambda::Function",
        ref="{name}",
        attributes={"Arn": "{arn}", "SnapStartResponse": None, "SnapStartResponse.ApplyOn": None},
        name="FunctionName",
        quiet={"Architectures": ["x86_64"], "TracingConfig.Mode": "PassThrough", "EphemeralStorage.Size": 512},
        finish=_role,
    ),
    tf=Tf(
        "aws_lambda_function",
        name="function_name",
        attributes={"arn": "arn", "id": "name", "function_name": "name", "qualified_arn": "arn"},
        quiet={
            "publish": False,
            "architectures": ["x86_64"],
            "reserved_concurrent_executions": -1,
            "tracing_config.mode": "PassThrough",
            "ephemeral_storage.size": 512,
            "skip_destroy": False,
            "logging_config.log_format": "Text",
        },
        ignore=(
            "invoke_arn",
            "qualified_invoke_arn",
            "version",
            "last_modified",
            "source_code_size",
            "signing_job_arn",
            "signing_profile_version_arn",
            "timeouts",
            "logging_config.log_group",
            "logging_config.application_log_level",
            "logging_config.system_log_level",
            "replace_security_groups_on_destroy",
        ),
        finish=_role,
    ),
)


# -- permissions: the function's resource-based policy, declared separately ------------------------------------

_PERMISSION_KEYS = {
    CLOUDFORMATION: ("FunctionName", "Action", "Principal", "SourceArn", "SourceAccount", "PrincipalOrgID"),
    TERRAFORM: ("function_name", "action", "principal", "source_arn", "source_account", "principal_org_id"),
}


def _fold_permission(reader: Reader, props: Props, origin: Origin) -> None:
    function_key, action, principal, source_arn, source_account, org = _PERMISSION_KEYS[reader.format]
    target = attached(reader, props.require(function_key), "functions", props.at(function_key), "a permission for")
    cfn = reader.format == CLOUDFORMATION
    sid = origin.name if cfn else (props.text("statement_id") or origin.name)
    props.ignore("statement_id_prefix")
    if props.has("qualifier"):
        reader.note(f"{props.at('qualifier')}: a permission on one version or alias is read as one on the function")
        props.raw("qualifier")
    for key in ("EventSourceToken", "FunctionUrlAuthType", "event_source_token", "function_url_auth_type"):
        if props.has(key):
            props.raw(key)
            reader.note(f"{props.at(key)}: {UNVERIFIED}")
    permission = reader.make(
        FunctionPermission,
        origin.path,
        origin.line,
        sid=re.sub(r"[^A-Za-z0-9_-]", "-", sid)[:100],
        action=props.text(action, required=True),
        principal=props.text(principal, required=True),
        source_arn=props.text(source_arn, ""),
        source_account=props.text(source_account, ""),
        principal_org_id=props.text(org, ""),
    )
    if target is not None:
        target.kwargs["permissions"] = (*target.kwargs.get("permissions", ()), permission)


FOLDS = (
    Fold(_fold_permission, cfn="AWS::Lambda::Permission"),
    Fold(_fold_permission, tf="aws_lambda_permission"),
)
