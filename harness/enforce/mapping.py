"""Call to authorization request mapping: which IAM actions, on which resources, with which keys a call needs.

One table entry per API operation (``OPERATIONS[service][Operation]``) lists the accesses AWS checks for it,
each an action, a resource template and optionally the request-specific condition keys it carries. Templates
name call parameters in braces (``{Bucket}``), the account, region and partition (``{account}``, ``{region}``,
``{partition}``), nested fields with dots (``{pipeline.name}``) and list items with ``[]`` (``{names[]}``: one
resource per item). A filter after ``|`` rewrites a value: ``|name`` keeps the last path segment of an ARN (so
a parameter may be a name or an ARN), ``|role`` turns a role name into its ARN, ``|kms`` resolves a key id or
alias, ``|secret`` a secret name. Anything a template cannot express is a function ``(params, env)``.

An operation missing from the table is never allowed silently: :func:`map_call` raises
:class:`harness.errors.Unverified`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from harness.errors import Unverified

Params = Mapping[str, Any]


class Resolver(Protocol):
    """Looks up what a call names only indirectly (a key alias, a secret name, a role path)."""

    def kms_key_arn(self, key_id: str) -> str:
        """The key ARN for a key id, key ARN, alias name or alias ARN."""
        ...

    def kms_key_of_ciphertext(self, blob: bytes) -> str:
        """The ARN of the key that produced a ciphertext."""
        ...

    def secret_arn(self, secret_id: str) -> str:
        """The full ARN of a secret given by name or (partial) ARN."""
        ...

    def role_arn(self, name: str) -> str:
        """The ARN of a role given by name (with its path)."""
        ...


@dataclass(frozen=True, slots=True)
class StaticResolver:
    """A resolver that derives ARNs from names without asking a backend (tests, the gateway without a backend)."""

    account: str
    region: str
    partition: str = "aws"

    def kms_key_arn(self, key_id: str) -> str:
        if key_id.startswith("arn:"):
            return key_id
        # Without a backend an alias cannot be resolved to its key; the alias ARN stands in for it.
        resource = key_id if key_id.startswith("alias/") else f"key/{key_id}"
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:{resource}"

    def kms_key_of_ciphertext(self, blob: bytes) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/*"

    def secret_arn(self, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        return f"arn:{self.partition}:secretsmanager:{self.region}:{self.account}:secret:{secret_id}-??????"

    def role_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"


@dataclass(frozen=True, slots=True)
class MappingEnv:
    """Where a call lands: the account and region of the backend, and a resolver for indirect names."""

    account: str
    region: str
    resolver: Resolver
    partition: str = "aws"


ResourceFn = Callable[[Params, MappingEnv], Sequence[str]]
ContextFn = Callable[[Params, MappingEnv], Mapping[str, Any]]
WhenFn = Callable[[Params], bool]


@dataclass(frozen=True, slots=True)
class Access:
    """One access a call needs: an action on the resource(s) a template or function yields.

    Attributes:
        action: ``service:Action``.
        resource: a template (see the module docstring), ``*``, or a function returning resource ARNs.
        context: the request-specific condition keys (``s3:prefix``, ``iam:PassedToService``...).
        when: the access applies only when this holds for the parameters (e.g. a role is passed).
    """

    action: str
    resource: str | ResourceFn = "*"
    context: ContextFn | None = None
    when: WhenFn | None = None

    def __post_init__(self) -> None:
        if ":" not in self.action:
            raise ValueError(f"Access: expected service:Action, found {self.action!r}")


@dataclass(frozen=True, slots=True)
class RequiredAccess:
    """One authorization request a call needs: action, resource ARN and its request-specific keys."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MappedCall:
    """What a call needs authorized, in the order AWS checks it (the service's own action first)."""

    service: str
    operation: str
    accesses: tuple[RequiredAccess, ...]
    request_tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.accesses:
            raise ValueError(f"MappedCall {self.service}:{self.operation}: expected at least one access")


# -- templates ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{([^{}]+)\}")


def _lookup(params: Params, path: str) -> list[Any]:
    """Values at a dotted path; ``[]`` after a segment fans out over a list. Missing values give []."""
    values: list[Any] = [params]
    for segment in path.split("."):
        many = segment.endswith("[]")
        key = segment[:-2] if many else segment
        found: list[Any] = []
        for value in values:
            if not isinstance(value, Mapping) or value.get(key) is None:
                continue
            item = value[key]
            if many and isinstance(item, list | tuple):
                found.extend(item)
            else:
                found.append(item)
        values = found
    return values


def _last_segment(value: str) -> str:
    if not value.startswith("arn:"):
        return value
    resource = value.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1]


def _filter(name: str, value: str, env: MappingEnv) -> str:
    if name == "name":
        return _last_segment(value)
    if name == "role":
        return value if value.startswith("arn:") else env.resolver.role_arn(value)
    if name == "kms":
        return env.resolver.kms_key_arn(value)
    if name == "secret":
        return env.resolver.secret_arn(value)
    if name == "param":  # an SSM parameter name: the ARN drops the leading slash
        return value.lstrip("/")
    raise ValueError(f"unknown template filter {name!r}")


def expand(template: str, params: Params, env: MappingEnv) -> list[str]:
    """Fill a resource template from call parameters; a missing parameter gives ``*`` for that part.

    A template that is a single filtered token whose value is already an ARN yields that ARN (``{TopicArn}``).
    """
    base = {"account": env.account, "region": env.region, "partition": env.partition}
    results = [""]
    position = 0
    for match in _TOKEN.finditer(template):
        literal = template[position : match.start()]
        position = match.end()
        path, _, filters = match.group(1).partition("|")
        values = [base[path]] if path in base else [str(v) for v in _lookup(params, path)] or ["*"]
        if filters:
            values = [v if v == "*" else _filter(filters, v, env) for v in values]
        results = [r + literal + v for r in results for v in values]
    return [r + template[position:] for r in results]


def _arn(service: str, rest: str, *, region: bool = True, account: bool = True) -> str:
    return (
        "arn:{partition}:"
        + service
        + ":"
        + ("{region}" if region else "")
        + ":"
        + ("{account}" if account else "")
        + ":"
        + rest
    )


# -- context helpers ---------------------------------------------------------------------------------------


def _has(*names: str) -> WhenFn:
    return lambda params: all(params.get(n) not in (None, "", []) for n in names)


def _passed_to(service_principal: str) -> ContextFn:
    return lambda params, env: {"iam:PassedToService": service_principal}


def _keys(**mapping: str) -> ContextFn:
    """Condition keys copied from parameters when present: ``_keys(**{"s3:prefix": "Prefix"})``."""

    def build(params: Params, env: MappingEnv) -> Mapping[str, Any]:
        return {key: _scalar(params[name]) for key, name in mapping.items() if params.get(name) is not None}

    return build


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def _s3_write_context(params: Params, env: MappingEnv) -> Mapping[str, Any]:
    out: dict[str, Any] = dict(
        _keys(
            **{
                "s3:x-amz-acl": "ACL",
                "s3:x-amz-server-side-encryption": "ServerSideEncryption",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
                "s3:x-amz-storage-class": "StorageClass",
                "s3:object-lock-mode": "ObjectLockMode",
            }
        )(params, env)
    )
    if params.get("CopySource") is not None:
        source = params["CopySource"]
        out["s3:x-amz-copy-source"] = (
            f"{source['Bucket']}/{source['Key']}" if isinstance(source, Mapping) else str(source)
        )
    tagging = params.get("Tagging")
    if isinstance(tagging, str) and tagging:
        pairs = [p.split("=", 1) for p in tagging.split("&") if p]
        out["s3:RequestObjectTagKeys"] = [unquote(p[0]) for p in pairs]
        for pair in pairs:
            out[f"s3:RequestObjectTag/{unquote(pair[0])}"] = unquote(pair[1]) if len(pair) > 1 else ""
    return out


def _kms_context(params: Params, env: MappingEnv) -> Mapping[str, Any]:
    out: dict[str, Any] = {"kms:CallerAccount": env.account}
    context = params.get("EncryptionContext") or {}
    for key, value in context.items():
        out[f"kms:EncryptionContext:{key}"] = str(value)
    if context:
        out["kms:EncryptionContextKeys"] = list(context)
    if params.get("EncryptionAlgorithm"):
        out["kms:EncryptionAlgorithm"] = str(params["EncryptionAlgorithm"])
    return out


def _codecommit_refs(*fields: str, prefix: str = "refs/heads/") -> ContextFn:
    def build(params: Params, env: MappingEnv) -> Mapping[str, Any]:
        refs: list[str] = []
        for name in fields:
            for value in _lookup(params, name):
                text = str(value)
                refs.append(text if text.startswith("refs/") else prefix + text)
        return {"codecommit:References": refs} if refs else {}

    return build


# -- resource functions ------------------------------------------------------------------------------------


def _s3_copy_source(params: Params, env: MappingEnv) -> Sequence[str]:
    source = params.get("CopySource")
    if isinstance(source, Mapping):
        return [f"arn:{env.partition}:s3:::{source['Bucket']}/{source['Key']}"]
    text = unquote(str(source)).lstrip("/").split("?", 1)[0]
    return [f"arn:{env.partition}:s3:::{text}"]


def _s3_delete_objects(params: Params, env: MappingEnv) -> Sequence[str]:
    objects = (params.get("Delete") or {}).get("Objects") or []
    return [f"arn:{env.partition}:s3:::{params['Bucket']}/{o['Key']}" for o in objects] or [
        f"arn:{env.partition}:s3:::{params['Bucket']}/*"
    ]


def _kms_decrypt_key(params: Params, env: MappingEnv) -> Sequence[str]:
    if params.get("KeyId"):
        return [env.resolver.kms_key_arn(str(params["KeyId"]))]
    blob = params.get("CiphertextBlob") or params.get("SourceCiphertextBlob")
    return [env.resolver.kms_key_of_ciphertext(blob if isinstance(blob, bytes) else str(blob).encode())]


def _kms_reencrypt_from(params: Params, env: MappingEnv) -> Sequence[str]:
    if params.get("SourceKeyId"):
        return [env.resolver.kms_key_arn(str(params["SourceKeyId"]))]
    blob = params.get("CiphertextBlob")
    return [env.resolver.kms_key_of_ciphertext(blob if isinstance(blob, bytes) else str(blob).encode())]


def _queue_arn(params: Params, env: MappingEnv) -> Sequence[str]:
    url = str(params.get("QueueUrl", ""))
    parts = [p for p in urlparse(url).path.split("/") if p]
    if len(parts) >= 2:
        return [f"arn:{env.partition}:sqs:{env.region}:{parts[-2]}:{parts[-1]}"]
    return [f"arn:{env.partition}:sqs:{env.region}:{env.account}:{parts[-1] if parts else '*'}"]


def _subscription_topic(params: Params, env: MappingEnv) -> Sequence[str]:
    arn = str(params.get("SubscriptionArn", "*"))
    return [arn.rsplit(":", 1)[0] if arn.count(":") >= 6 else arn]


def _build_projects(params: Params, env: MappingEnv) -> Sequence[str]:
    """Project ARNs of build ids (``project:uuid`` or build ARNs)."""
    out = []
    for value in _lookup(params, "ids[]") + _lookup(params, "id"):
        text = str(value)
        if text.startswith("arn:"):
            text = text.split(":build/", 1)[-1]
        project = text.split(":", 1)[0]
        out.append(f"arn:{env.partition}:codebuild:{env.region}:{env.account}:project/{project}")
    return out or [f"arn:{env.partition}:codebuild:{env.region}:{env.account}:project/*"]


def _pipeline_roles(params: Params, env: MappingEnv) -> Sequence[str]:
    pipeline = params.get("pipeline") or {}
    roles = [pipeline.get("roleArn")]
    for stage in pipeline.get("stages") or ():
        roles.extend(action.get("roleArn") for action in stage.get("actions") or ())
    return list(dict.fromkeys(str(r) for r in roles if r))


def _has_pipeline_roles(params: Params) -> bool:
    return bool(_pipeline_roles(params, MappingEnv("", "", StaticResolver("", ""))))


def _event_targets_roles(params: Params, env: MappingEnv) -> Sequence[str]:
    return list(dict.fromkeys(str(t["RoleArn"]) for t in params.get("Targets") or () if t.get("RoleArn")))


def _event_buses(params: Params, env: MappingEnv) -> Sequence[str]:
    buses = []
    for entry in params.get("Entries") or ():
        bus = str(entry.get("EventBusName") or "default")
        buses.append(
            bus if bus.startswith("arn:") else f"arn:{env.partition}:events:{env.region}:{env.account}:event-bus/{bus}"
        )
    return list(dict.fromkeys(buses)) or [f"arn:{env.partition}:events:{env.region}:{env.account}:event-bus/default"]


def _event_entries_context(params: Params, env: MappingEnv) -> Mapping[str, Any]:
    entries = params.get("Entries") or ()
    sources = sorted({str(e["Source"]) for e in entries if e.get("Source")})
    types = sorted({str(e["DetailType"]) for e in entries if e.get("DetailType")})
    out: dict[str, Any] = {}
    if len(sources) == 1:
        out["events:source"] = sources[0]
    if len(types) == 1:
        out["events:detail-type"] = types[0]
    return out


def _event_rule(params: Params, env: MappingEnv) -> Sequence[str]:
    name = _last_segment(str(params.get("Name") or params.get("Rule") or "*"))
    bus = str(params.get("EventBusName") or "default")
    bus = _last_segment(bus)
    path = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return [f"arn:{env.partition}:events:{env.region}:{env.account}:{path}"]


_EC2_TYPES = {
    "vpc-": "vpc",
    "subnet-": "subnet",
    "sg-": "security-group",
    "rtb-": "route-table",
    "igw-": "internet-gateway",
    "acl-": "network-acl",
    "vpce-": "vpc-endpoint",
    "nat-": "natgateway",
    "eni-": "network-interface",
    "i-": "instance",
    "eigw-": "egress-only-internet-gateway",
    "pcx-": "vpc-peering-connection",
    "eipalloc-": "elastic-ip",
    "pl-": "prefix-list",
}


def _ec2_arn(env: MappingEnv, resource_id: str) -> str:
    for prefix, kind in _EC2_TYPES.items():
        if resource_id.startswith(prefix):
            return f"arn:{env.partition}:ec2:{env.region}:{env.account}:{kind}/{resource_id}"
    return f"arn:{env.partition}:ec2:{env.region}:{env.account}:*/{resource_id}"


def _ec2(*paths: str, new: str | None = None) -> ResourceFn:
    """EC2 resource ARNs from id parameters; ``new`` adds the ``type/*`` ARN of a resource being created."""

    def build(params: Params, env: MappingEnv) -> Sequence[str]:
        out = [f"arn:{env.partition}:ec2:{env.region}:{env.account}:{new}/*"] if new else []
        for path in paths:
            out.extend(_ec2_arn(env, str(v)) for v in _lookup(params, path))
        return out or [f"arn:{env.partition}:ec2:{env.region}:{env.account}:*"]

    return build


# -- the table ---------------------------------------------------------------------------------------------

A = Access

_IAM_USER = _arn("iam", "user{Path}{UserName}", region=False)
_IAM_USER_PLAIN = _arn("iam", "user/{UserName}", region=False)
_IAM_ROLE = "{RoleName|role}"
_IAM_GROUP = _arn("iam", "group/{GroupName}", region=False)
_IAM_POLICY_NEW = _arn("iam", "policy{Path}{PolicyName}", region=False)


def _iam_user(action: str, **extra: Any) -> Access:
    return A(action, _IAM_USER_PLAIN, **extra)


def _iam_role(action: str, **extra: Any) -> Access:
    return A(action, _IAM_ROLE, **extra)


def _with_path(params: Params, env: MappingEnv, kind: str, name_field: str) -> Sequence[str]:
    path = str(params.get("Path") or "/")
    return [f"arn:{env.partition}:iam::{env.account}:{kind}{path}{params[name_field]}"]


_POLICY_ARN_KEY = _keys(**{"iam:PolicyARN": "PolicyArn"})
_BOUNDARY_KEY = _keys(**{"iam:PermissionsBoundary": "PermissionsBoundary"})

IAM: dict[str, tuple[Access, ...]] = {
    "CreateUser": (A("iam:CreateUser", lambda p, e: _with_path(p, e, "user", "UserName"), _BOUNDARY_KEY),),
    "GetUser": (A("iam:GetUser", _IAM_USER_PLAIN),),
    "DeleteUser": (_iam_user("iam:DeleteUser"),),
    "ListUsers": (A("iam:ListUsers", _arn("iam", "user/*", region=False)),),
    "TagUser": (_iam_user("iam:TagUser"),),
    "UntagUser": (_iam_user("iam:UntagUser"),),
    "ListUserTags": (_iam_user("iam:ListUserTags"),),
    "PutUserPolicy": (_iam_user("iam:PutUserPolicy"),),
    "GetUserPolicy": (_iam_user("iam:GetUserPolicy"),),
    "DeleteUserPolicy": (_iam_user("iam:DeleteUserPolicy"),),
    "ListUserPolicies": (_iam_user("iam:ListUserPolicies"),),
    "AttachUserPolicy": (_iam_user("iam:AttachUserPolicy", context=_POLICY_ARN_KEY),),
    "DetachUserPolicy": (_iam_user("iam:DetachUserPolicy", context=_POLICY_ARN_KEY),),
    "ListAttachedUserPolicies": (_iam_user("iam:ListAttachedUserPolicies"),),
    "PutUserPermissionsBoundary": (_iam_user("iam:PutUserPermissionsBoundary", context=_BOUNDARY_KEY),),
    "CreateAccessKey": (_iam_user("iam:CreateAccessKey"),),
    "DeleteAccessKey": (_iam_user("iam:DeleteAccessKey"),),
    "ListAccessKeys": (_iam_user("iam:ListAccessKeys"),),
    "CreateLoginProfile": (_iam_user("iam:CreateLoginProfile"),),
    "ListGroupsForUser": (_iam_user("iam:ListGroupsForUser"),),
    "AddUserToGroup": (A("iam:AddUserToGroup", _IAM_GROUP),),
    "RemoveUserFromGroup": (A("iam:RemoveUserFromGroup", _IAM_GROUP),),
    "CreateGroup": (A("iam:CreateGroup", lambda p, e: _with_path(p, e, "group", "GroupName")),),
    "DeleteGroup": (A("iam:DeleteGroup", _IAM_GROUP),),
    "GetGroup": (A("iam:GetGroup", _IAM_GROUP),),
    "PutGroupPolicy": (A("iam:PutGroupPolicy", _IAM_GROUP),),
    "AttachGroupPolicy": (A("iam:AttachGroupPolicy", _IAM_GROUP, _POLICY_ARN_KEY),),
    "CreateRole": (
        A("iam:CreateRole", lambda p, e: _with_path(p, e, "role", "RoleName"), _BOUNDARY_KEY),
        A("iam:TagRole", lambda p, e: _with_path(p, e, "role", "RoleName"), when=_has("Tags")),
    ),
    "GetRole": (_iam_role("iam:GetRole"),),
    "DeleteRole": (_iam_role("iam:DeleteRole"),),
    "ListRoles": (A("iam:ListRoles", _arn("iam", "role/*", region=False)),),
    "UpdateRole": (_iam_role("iam:UpdateRole"),),
    "UpdateAssumeRolePolicy": (_iam_role("iam:UpdateAssumeRolePolicy"),),
    "PutRolePolicy": (_iam_role("iam:PutRolePolicy"),),
    "GetRolePolicy": (_iam_role("iam:GetRolePolicy"),),
    "DeleteRolePolicy": (_iam_role("iam:DeleteRolePolicy"),),
    "ListRolePolicies": (_iam_role("iam:ListRolePolicies"),),
    "AttachRolePolicy": (_iam_role("iam:AttachRolePolicy", context=_POLICY_ARN_KEY),),
    "DetachRolePolicy": (_iam_role("iam:DetachRolePolicy", context=_POLICY_ARN_KEY),),
    "ListAttachedRolePolicies": (_iam_role("iam:ListAttachedRolePolicies"),),
    "PutRolePermissionsBoundary": (_iam_role("iam:PutRolePermissionsBoundary", context=_BOUNDARY_KEY),),
    "DeleteRolePermissionsBoundary": (_iam_role("iam:DeleteRolePermissionsBoundary"),),
    "TagRole": (_iam_role("iam:TagRole"),),
    "UntagRole": (_iam_role("iam:UntagRole"),),
    "ListRoleTags": (_iam_role("iam:ListRoleTags"),),
    "CreatePolicy": (A("iam:CreatePolicy", _IAM_POLICY_NEW.replace("{Path}", "/")),),
    "GetPolicy": (A("iam:GetPolicy", "{PolicyArn}"),),
    "DeletePolicy": (A("iam:DeletePolicy", "{PolicyArn}"),),
    "GetPolicyVersion": (A("iam:GetPolicyVersion", "{PolicyArn}"),),
    "CreatePolicyVersion": (A("iam:CreatePolicyVersion", "{PolicyArn}"),),
    "DeletePolicyVersion": (A("iam:DeletePolicyVersion", "{PolicyArn}"),),
    "ListPolicyVersions": (A("iam:ListPolicyVersions", "{PolicyArn}"),),
    "SetDefaultPolicyVersion": (A("iam:SetDefaultPolicyVersion", "{PolicyArn}"),),
    "ListPolicies": (A("iam:ListPolicies"),),
    "ListEntitiesForPolicy": (A("iam:ListEntitiesForPolicy", "{PolicyArn}"),),
    "GetAccountSummary": (A("iam:GetAccountSummary"),),
    "ListAccountAliases": (A("iam:ListAccountAliases"),),
    "CreateInstanceProfile": (
        A("iam:CreateInstanceProfile", lambda p, e: _with_path(p, e, "instance-profile", "InstanceProfileName")),
    ),
    "AddRoleToInstanceProfile": (
        A("iam:AddRoleToInstanceProfile", _arn("iam", "instance-profile/{InstanceProfileName}", region=False)),
        A("iam:PassRole", "{RoleName|role}", _passed_to("ec2.amazonaws.com")),
    ),
}

STS: dict[str, tuple[Access, ...]] = {
    "AssumeRole": (
        A(
            "sts:AssumeRole",
            "{RoleArn}",
            _keys(
                **{
                    "sts:ExternalId": "ExternalId",
                    "sts:RoleSessionName": "RoleSessionName",
                    "sts:SourceIdentity": "SourceIdentity",
                }
            ),
        ),
        A("sts:TagSession", "{RoleArn}", when=_has("Tags")),
        A("sts:SetSourceIdentity", "{RoleArn}", when=_has("SourceIdentity")),
    ),
    "GetSessionToken": (A("sts:GetSessionToken"),),
    "DecodeAuthorizationMessage": (A("sts:DecodeAuthorizationMessage"),),
    "GetAccessKeyInfo": (A("sts:GetAccessKeyInfo"),),
}

_BUCKET = "arn:{partition}:s3:::{Bucket}"
_OBJECT = "arn:{partition}:s3:::{Bucket}/{Key}"
_LIST_KEYS = _keys(**{"s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys"})


def _bucket(action: str, **extra: Any) -> Access:
    return A(action, _BUCKET, **extra)


def _object(action: str, **extra: Any) -> Access:
    return A(action, _OBJECT, **extra)


def _versioned(plain: str, versioned: str) -> tuple[Access, ...]:
    """AWS checks the ...Version action when a call names a version."""
    return (
        _object(plain, when=lambda p: not p.get("VersionId")),
        _object(versioned, when=_has("VersionId")),
    )


S3: dict[str, tuple[Access, ...]] = {
    "ListBuckets": (A("s3:ListAllMyBuckets"),),
    "CreateBucket": (
        _bucket(
            "s3:CreateBucket",
            context=_keys(
                **{"s3:x-amz-acl": "ACL", "s3:LocationConstraint": "CreateBucketConfiguration.LocationConstraint"}
            ),
        ),
    ),
    "DeleteBucket": (_bucket("s3:DeleteBucket"),),
    "HeadBucket": (_bucket("s3:ListBucket"),),
    "GetBucketLocation": (_bucket("s3:GetBucketLocation"),),
    "GetBucketPolicy": (_bucket("s3:GetBucketPolicy"),),
    "PutBucketPolicy": (_bucket("s3:PutBucketPolicy"),),
    "DeleteBucketPolicy": (_bucket("s3:DeleteBucketPolicy"),),
    "GetBucketPolicyStatus": (_bucket("s3:GetBucketPolicyStatus"),),
    "GetBucketVersioning": (_bucket("s3:GetBucketVersioning"),),
    "PutBucketVersioning": (_bucket("s3:PutBucketVersioning"),),
    "GetBucketEncryption": (_bucket("s3:GetEncryptionConfiguration"),),
    "PutBucketEncryption": (_bucket("s3:PutEncryptionConfiguration"),),
    "DeleteBucketEncryption": (_bucket("s3:PutEncryptionConfiguration"),),
    "GetPublicAccessBlock": (_bucket("s3:GetBucketPublicAccessBlock"),),
    "PutPublicAccessBlock": (_bucket("s3:PutBucketPublicAccessBlock"),),
    "DeletePublicAccessBlock": (_bucket("s3:PutBucketPublicAccessBlock"),),
    "GetBucketTagging": (_bucket("s3:GetBucketTagging"),),
    "PutBucketTagging": (_bucket("s3:PutBucketTagging"),),
    "DeleteBucketTagging": (_bucket("s3:PutBucketTagging"),),
    "GetBucketAcl": (_bucket("s3:GetBucketAcl"),),
    "PutBucketAcl": (_bucket("s3:PutBucketAcl", context=_keys(**{"s3:x-amz-acl": "ACL"})),),
    "GetBucketOwnershipControls": (_bucket("s3:GetBucketOwnershipControls"),),
    "PutBucketOwnershipControls": (_bucket("s3:PutBucketOwnershipControls"),),
    "GetBucketLogging": (_bucket("s3:GetBucketLogging"),),
    "PutBucketLogging": (_bucket("s3:PutBucketLogging"),),
    "GetBucketNotificationConfiguration": (_bucket("s3:GetBucketNotification"),),
    "PutBucketNotificationConfiguration": (_bucket("s3:PutBucketNotification"),),
    "GetBucketLifecycleConfiguration": (_bucket("s3:GetLifecycleConfiguration"),),
    "PutBucketLifecycleConfiguration": (_bucket("s3:PutLifecycleConfiguration"),),
    "GetObjectLockConfiguration": (_bucket("s3:GetBucketObjectLockConfiguration"),),
    "PutObjectLockConfiguration": (_bucket("s3:PutBucketObjectLockConfiguration"),),
    "ListObjects": (_bucket("s3:ListBucket", context=_LIST_KEYS),),
    "ListObjectsV2": (_bucket("s3:ListBucket", context=_LIST_KEYS),),
    "ListObjectVersions": (_bucket("s3:ListBucketVersions", context=_LIST_KEYS),),
    "ListMultipartUploads": (_bucket("s3:ListBucketMultipartUploads"),),
    "GetObject": _versioned("s3:GetObject", "s3:GetObjectVersion"),
    "HeadObject": _versioned("s3:GetObject", "s3:GetObjectVersion"),
    "GetObjectAttributes": (_object("s3:GetObjectAttributes"),),
    "PutObject": (_object("s3:PutObject", context=_s3_write_context),),
    "CopyObject": (
        _object("s3:PutObject", context=_s3_write_context),
        A("s3:GetObject", _s3_copy_source),
    ),
    "DeleteObject": _versioned("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "DeleteObjects": (A("s3:DeleteObject", _s3_delete_objects),),
    "GetObjectTagging": _versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    "PutObjectTagging": _versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
    "DeleteObjectTagging": _versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    "GetObjectAcl": _versioned("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    "PutObjectAcl": (_object("s3:PutObjectAcl", context=_keys(**{"s3:x-amz-acl": "ACL"})),),
    "GetObjectRetention": (_object("s3:GetObjectRetention"),),
    "PutObjectRetention": (_object("s3:PutObjectRetention"),),
    "GetObjectLegalHold": (_object("s3:GetObjectLegalHold"),),
    "PutObjectLegalHold": (_object("s3:PutObjectLegalHold"),),
    "CreateMultipartUpload": (_object("s3:PutObject", context=_s3_write_context),),
    "UploadPart": (_object("s3:PutObject"),),
    "UploadPartCopy": (_object("s3:PutObject"), A("s3:GetObject", _s3_copy_source)),
    "CompleteMultipartUpload": (_object("s3:PutObject"),),
    "AbortMultipartUpload": (_object("s3:AbortMultipartUpload"),),
    "ListParts": (_object("s3:ListMultipartUploadParts"),),
}

_KEY = "{KeyId|kms}"


def _key(action: str, **extra: Any) -> Access:
    return A(action, _KEY, **extra)


KMS: dict[str, tuple[Access, ...]] = {
    "CreateKey": (A("kms:CreateKey", context=_keys(**{"kms:KeySpec": "KeySpec", "kms:KeyUsage": "KeyUsage"})),),
    "ListKeys": (A("kms:ListKeys"),),
    "ListAliases": (A("kms:ListAliases"),),
    "DescribeKey": (_key("kms:DescribeKey"),),
    "Encrypt": (_key("kms:Encrypt", context=_kms_context),),
    "Decrypt": (A("kms:Decrypt", _kms_decrypt_key, _kms_context),),
    "ReEncrypt": (
        A("kms:ReEncryptFrom", _kms_reencrypt_from, _kms_context),
        A("kms:ReEncryptTo", "{DestinationKeyId|kms}", _kms_context),
    ),
    "GenerateDataKey": (_key("kms:GenerateDataKey", context=_kms_context),),
    "GenerateDataKeyWithoutPlaintext": (_key("kms:GenerateDataKeyWithoutPlaintext", context=_kms_context),),
    "GenerateDataKeyPair": (_key("kms:GenerateDataKeyPair", context=_kms_context),),
    "GenerateMac": (_key("kms:GenerateMac"),),
    "Sign": (_key("kms:Sign"),),
    "Verify": (_key("kms:Verify"),),
    "GetPublicKey": (_key("kms:GetPublicKey"),),
    "GetKeyPolicy": (_key("kms:GetKeyPolicy"),),
    "PutKeyPolicy": (_key("kms:PutKeyPolicy"),),
    "ListKeyPolicies": (_key("kms:ListKeyPolicies"),),
    "GetKeyRotationStatus": (_key("kms:GetKeyRotationStatus"),),
    "EnableKeyRotation": (_key("kms:EnableKeyRotation"),),
    "DisableKeyRotation": (_key("kms:DisableKeyRotation"),),
    "EnableKey": (_key("kms:EnableKey"),),
    "DisableKey": (_key("kms:DisableKey"),),
    "ScheduleKeyDeletion": (_key("kms:ScheduleKeyDeletion"),),
    "CancelKeyDeletion": (_key("kms:CancelKeyDeletion"),),
    "UpdateKeyDescription": (_key("kms:UpdateKeyDescription"),),
    "ListResourceTags": (_key("kms:ListResourceTags"),),
    "TagResource": (_key("kms:TagResource"),),
    "UntagResource": (_key("kms:UntagResource"),),
    "CreateGrant": (
        _key(
            "kms:CreateGrant",
            context=lambda p, e: {
                **_kms_context(p, e),
                **({"kms:GrantOperations": list(p["Operations"])} if p.get("Operations") else {}),
                **({"kms:GranteePrincipal": str(p["GranteePrincipal"])} if p.get("GranteePrincipal") else {}),
            },
        ),
    ),
    "ListGrants": (_key("kms:ListGrants"),),
    "RevokeGrant": (_key("kms:RevokeGrant"),),
    "RetireGrant": (_key("kms:RetireGrant"),),
    "CreateAlias": (
        A("kms:CreateAlias", _arn("kms", "{AliasName}")),
        A("kms:CreateAlias", "{TargetKeyId|kms}"),
    ),
    "DeleteAlias": (A("kms:DeleteAlias", _arn("kms", "{AliasName}")),),
    "UpdateAlias": (
        A("kms:UpdateAlias", _arn("kms", "{AliasName}")),
        A("kms:UpdateAlias", "{TargetKeyId|kms}"),
    ),
}

# CloudWatch Logs checks group-level operations against ``log-group:NAME:*`` (which is why policies
# granting only the bare group ARN fail in AWS) and stream-level ones against the stream ARN.
_GROUP = _arn("logs", "log-group:{logGroupName}:*")
_STREAM = _arn("logs", "log-group:{logGroupName}:log-stream:{logStreamName}")


def _group(action: str, **extra: Any) -> Access:
    return A(action, _GROUP, **extra)


LOGS: dict[str, tuple[Access, ...]] = {
    "CreateLogGroup": (_group("logs:CreateLogGroup"),),
    "DeleteLogGroup": (_group("logs:DeleteLogGroup"),),
    "DescribeLogGroups": (A("logs:DescribeLogGroups", _arn("logs", "log-group:*")),),
    "CreateLogStream": (A("logs:CreateLogStream", _STREAM),),
    "DeleteLogStream": (A("logs:DeleteLogStream", _STREAM),),
    "DescribeLogStreams": (_group("logs:DescribeLogStreams"),),
    "PutLogEvents": (A("logs:PutLogEvents", _STREAM),),
    "GetLogEvents": (A("logs:GetLogEvents", _STREAM),),
    "FilterLogEvents": (_group("logs:FilterLogEvents"),),
    "PutRetentionPolicy": (_group("logs:PutRetentionPolicy"),),
    "DeleteRetentionPolicy": (_group("logs:DeleteRetentionPolicy"),),
    "AssociateKmsKey": (_group("logs:AssociateKmsKey"),),
    "DisassociateKmsKey": (_group("logs:DisassociateKmsKey"),),
    "PutMetricFilter": (_group("logs:PutMetricFilter"),),
    "DeleteMetricFilter": (_group("logs:DeleteMetricFilter"),),
    "DescribeMetricFilters": (A("logs:DescribeMetricFilters", _arn("logs", "log-group:*")),),
    "PutSubscriptionFilter": (
        _group("logs:PutSubscriptionFilter"),
        A("iam:PassRole", "{roleArn}", _passed_to("logs.amazonaws.com"), when=_has("roleArn")),
    ),
    "DeleteSubscriptionFilter": (_group("logs:DeleteSubscriptionFilter"),),
    "DescribeSubscriptionFilters": (_group("logs:DescribeSubscriptionFilters"),),
    "TagLogGroup": (_group("logs:TagLogGroup"),),
    "ListTagsLogGroup": (_group("logs:ListTagsLogGroup"),),
    "TagResource": (A("logs:TagResource", "{resourceArn}"),),
    "UntagResource": (A("logs:UntagResource", "{resourceArn}"),),
    "ListTagsForResource": (A("logs:ListTagsForResource", "{resourceArn}"),),
    "StartQuery": (A("logs:StartQuery", _arn("logs", "log-group:{logGroupNames[]}:*")),),
    "GetQueryResults": (A("logs:GetQueryResults"),),
}

_ALARM = _arn("cloudwatch", "alarm:{AlarmName}")
_ALARMS = _arn("cloudwatch", "alarm:{AlarmNames[]}")

CLOUDWATCH: dict[str, tuple[Access, ...]] = {
    "PutMetricData": (A("cloudwatch:PutMetricData", context=_keys(**{"cloudwatch:namespace": "Namespace"})),),
    "GetMetricData": (A("cloudwatch:GetMetricData"),),
    "GetMetricStatistics": (A("cloudwatch:GetMetricStatistics"),),
    "ListMetrics": (A("cloudwatch:ListMetrics"),),
    "PutMetricAlarm": (A("cloudwatch:PutMetricAlarm", _ALARM),),
    "DescribeAlarms": (A("cloudwatch:DescribeAlarms", _arn("cloudwatch", "alarm:*")),),
    "DescribeAlarmHistory": (A("cloudwatch:DescribeAlarmHistory", _arn("cloudwatch", "alarm:{AlarmName}")),),
    "DescribeAlarmsForMetric": (A("cloudwatch:DescribeAlarmsForMetric"),),
    "DeleteAlarms": (A("cloudwatch:DeleteAlarms", _ALARMS),),
    "SetAlarmState": (A("cloudwatch:SetAlarmState", _ALARM),),
    "EnableAlarmActions": (A("cloudwatch:EnableAlarmActions", _ALARMS),),
    "DisableAlarmActions": (A("cloudwatch:DisableAlarmActions", _ALARMS),),
    "TagResource": (A("cloudwatch:TagResource", "{ResourceARN}"),),
    "UntagResource": (A("cloudwatch:UntagResource", "{ResourceARN}"),),
    "ListTagsForResource": (A("cloudwatch:ListTagsForResource", "{ResourceARN}"),),
}

_TRAIL = _arn("cloudtrail", "trail/{Name|name}")
_PASS_TO_CLOUDTRAIL = _passed_to("cloudtrail.amazonaws.com")

CLOUDTRAIL: dict[str, tuple[Access, ...]] = {
    "CreateTrail": (
        A("cloudtrail:CreateTrail", _TRAIL),
        A("iam:PassRole", "{CloudWatchLogsRoleArn}", _PASS_TO_CLOUDTRAIL, when=_has("CloudWatchLogsRoleArn")),
    ),
    "UpdateTrail": (
        A("cloudtrail:UpdateTrail", _TRAIL),
        A("iam:PassRole", "{CloudWatchLogsRoleArn}", _PASS_TO_CLOUDTRAIL, when=_has("CloudWatchLogsRoleArn")),
    ),
    "DeleteTrail": (A("cloudtrail:DeleteTrail", _TRAIL),),
    "GetTrail": (A("cloudtrail:GetTrail", _TRAIL),),
    "StartLogging": (A("cloudtrail:StartLogging", _TRAIL),),
    "StopLogging": (A("cloudtrail:StopLogging", _TRAIL),),
    "GetTrailStatus": (A("cloudtrail:GetTrailStatus", _TRAIL),),
    "DescribeTrails": (A("cloudtrail:DescribeTrails"),),
    "ListTrails": (A("cloudtrail:ListTrails"),),
    "PutEventSelectors": (A("cloudtrail:PutEventSelectors", _arn("cloudtrail", "trail/{TrailName|name}")),),
    "GetEventSelectors": (A("cloudtrail:GetEventSelectors", _arn("cloudtrail", "trail/{TrailName|name}")),),
    "LookupEvents": (A("cloudtrail:LookupEvents"),),
    "AddTags": (A("cloudtrail:AddTags", "{ResourceId}"),),
    "RemoveTags": (A("cloudtrail:RemoveTags", "{ResourceId}"),),
    "ListTags": (A("cloudtrail:ListTags", "{ResourceIdList[]}"),),
}


def _report_export(params: Params, env: MappingEnv) -> Mapping[str, Any]:
    """``codebuild:exportConfig.s3Destination.*`` of a report group's S3 export (none without one)."""
    destination = (params.get("exportConfig") or {}).get("s3Destination") or {}
    return {
        f"codebuild:exportConfig.s3Destination.{key}": _scalar(destination[key])
        for key in ("bucket", "bucketOwner", "encryptionDisabled", "encryptionKey", "path")
        if destination.get(key) is not None
    }


_PROJECT = _arn("codebuild", "project/{name|name}")
_PASS_TO_CODEBUILD = _passed_to("codebuild.amazonaws.com")

CODEBUILD: dict[str, tuple[Access, ...]] = {
    "CreateProject": (
        A("codebuild:CreateProject", _PROJECT),
        A("iam:PassRole", "{serviceRole|role}", _PASS_TO_CODEBUILD, when=_has("serviceRole")),
    ),
    "UpdateProject": (
        A("codebuild:UpdateProject", _PROJECT),
        A("iam:PassRole", "{serviceRole|role}", _PASS_TO_CODEBUILD, when=_has("serviceRole")),
    ),
    "DeleteProject": (A("codebuild:DeleteProject", _PROJECT),),
    "BatchGetProjects": (A("codebuild:BatchGetProjects", _arn("codebuild", "project/{names[]|name}")),),
    "ListProjects": (A("codebuild:ListProjects"),),
    "StartBuild": (
        A("codebuild:StartBuild", _arn("codebuild", "project/{projectName|name}")),
        A("iam:PassRole", "{serviceRoleOverride|role}", _PASS_TO_CODEBUILD, when=_has("serviceRoleOverride")),
    ),
    "StopBuild": (A("codebuild:StopBuild", _build_projects),),
    "RetryBuild": (A("codebuild:RetryBuild", _build_projects),),
    "BatchGetBuilds": (A("codebuild:BatchGetBuilds", _build_projects),),
    "ListBuilds": (A("codebuild:ListBuilds"),),
    "ListBuildsForProject": (A("codebuild:ListBuildsForProject", _arn("codebuild", "project/{projectName|name}")),),
    # Report groups: the export destination travels as condition keys, so a policy can refuse unencrypted exports.
    "CreateReportGroup": (A("codebuild:CreateReportGroup", _arn("codebuild", "report-group/{name}"), _report_export),),
    "UpdateReportGroup": (A("codebuild:UpdateReportGroup", "{arn}", _report_export),),
    "BatchGetReportGroups": (A("codebuild:BatchGetReportGroups", "{reportGroupArns[]}"),),
    "DeleteReportGroup": (A("codebuild:DeleteReportGroup", "{arn}"),),
    "ListReportGroups": (A("codebuild:ListReportGroups"),),
}

_PIPELINE = _arn("codepipeline", "{name}")
_PIPELINE_BY = _arn("codepipeline", "{pipelineName}")
_PASS_TO_PIPELINE = _passed_to("codepipeline.amazonaws.com")

CODEPIPELINE: dict[str, tuple[Access, ...]] = {
    "CreatePipeline": (
        A("codepipeline:CreatePipeline", _arn("codepipeline", "{pipeline.name}")),
        A("iam:PassRole", _pipeline_roles, _PASS_TO_PIPELINE, when=_has_pipeline_roles),
    ),
    "UpdatePipeline": (
        A("codepipeline:UpdatePipeline", _arn("codepipeline", "{pipeline.name}")),
        A("iam:PassRole", _pipeline_roles, _PASS_TO_PIPELINE, when=_has_pipeline_roles),
    ),
    "DeletePipeline": (A("codepipeline:DeletePipeline", _PIPELINE),),
    "GetPipeline": (A("codepipeline:GetPipeline", _PIPELINE),),
    "GetPipelineState": (A("codepipeline:GetPipelineState", _PIPELINE),),
    "ListPipelines": (A("codepipeline:ListPipelines"),),
    "StartPipelineExecution": (A("codepipeline:StartPipelineExecution", _PIPELINE),),
    "StopPipelineExecution": (A("codepipeline:StopPipelineExecution", _PIPELINE_BY),),
    "GetPipelineExecution": (A("codepipeline:GetPipelineExecution", _PIPELINE_BY),),
    "ListPipelineExecutions": (A("codepipeline:ListPipelineExecutions", _PIPELINE_BY),),
    "ListActionExecutions": (A("codepipeline:ListActionExecutions", _PIPELINE_BY),),
    "PutApprovalResult": (
        A("codepipeline:PutApprovalResult", _arn("codepipeline", "{pipelineName}/{stageName}/{actionName}")),
    ),
    "EnableStageTransition": (
        A("codepipeline:EnableStageTransition", _arn("codepipeline", "{pipelineName}/{stageName}")),
    ),
    "DisableStageTransition": (
        A("codepipeline:DisableStageTransition", _arn("codepipeline", "{pipelineName}/{stageName}")),
    ),
    "RetryStageExecution": (A("codepipeline:RetryStageExecution", _arn("codepipeline", "{pipelineName}/{stageName}")),),
    "TagResource": (A("codepipeline:TagResource", "{resourceArn}"),),
    "UntagResource": (A("codepipeline:UntagResource", "{resourceArn}"),),
    "ListTagsForResource": (A("codepipeline:ListTagsForResource", "{resourceArn}"),),
}

_REPO = _arn("codecommit", "{repositoryName}")


def _repo(action: str, **extra: Any) -> Access:
    return A(action, _REPO, **extra)


CODECOMMIT: dict[str, tuple[Access, ...]] = {
    "CreateRepository": (_repo("codecommit:CreateRepository"),),
    "DeleteRepository": (_repo("codecommit:DeleteRepository"),),
    "GetRepository": (_repo("codecommit:GetRepository"),),
    "ListRepositories": (A("codecommit:ListRepositories"),),
    "ListBranches": (_repo("codecommit:ListBranches"),),
    "GetBranch": (_repo("codecommit:GetBranch"),),
    "CreateBranch": (_repo("codecommit:CreateBranch", context=_codecommit_refs("branchName")),),
    "DeleteBranch": (_repo("codecommit:DeleteBranch", context=_codecommit_refs("branchName")),),
    "UpdateDefaultBranch": (_repo("codecommit:UpdateDefaultBranch"),),
    "PutFile": (_repo("codecommit:PutFile", context=_codecommit_refs("branchName")),),
    "DeleteFile": (_repo("codecommit:DeleteFile", context=_codecommit_refs("branchName")),),
    "CreateCommit": (_repo("codecommit:CreateCommit", context=_codecommit_refs("branchName")),),
    "GetFile": (_repo("codecommit:GetFile"),),
    "GetFolder": (_repo("codecommit:GetFolder"),),
    "GetCommit": (_repo("codecommit:GetCommit"),),
    "GetDifferences": (_repo("codecommit:GetDifferences"),),
    "CreatePullRequest": (A("codecommit:CreatePullRequest", _arn("codecommit", "{targets[].repositoryName}")),),
    "GetPullRequest": (A("codecommit:GetPullRequest", _arn("codecommit", "*")),),
    "ListPullRequests": (_repo("codecommit:ListPullRequests"),),
    "UpdatePullRequestApprovalState": (A("codecommit:UpdatePullRequestApprovalState", _arn("codecommit", "*")),),
    "CreatePullRequestApprovalRule": (A("codecommit:CreatePullRequestApprovalRule", _arn("codecommit", "*")),),
    "MergePullRequestByFastForward": (_repo("codecommit:MergePullRequestByFastForward"),),
    "MergePullRequestBySquash": (_repo("codecommit:MergePullRequestBySquash"),),
    "MergePullRequestByThreeWay": (_repo("codecommit:MergePullRequestByThreeWay"),),
    "MergeBranchesByFastForward": (
        _repo(
            "codecommit:MergeBranchesByFastForward",
            context=_codecommit_refs("targetBranch", "destinationCommitSpecifier"),
        ),
    ),
    "CreateApprovalRuleTemplate": (A("codecommit:CreateApprovalRuleTemplate"),),
    "AssociateApprovalRuleTemplateWithRepository": (_repo("codecommit:AssociateApprovalRuleTemplateWithRepository"),),
    "TagResource": (A("codecommit:TagResource", "{resourceArn}"),),
    "ListTagsForResource": (A("codecommit:ListTagsForResource", "{resourceArn}"),),
    # Git over HTTPS is not an API operation; the runtime's source model names it so pushes are authorized
    # like AWS does: codecommit:GitPush with the pushed references in codecommit:References.
    "GitPush": (_repo("codecommit:GitPush", context=_codecommit_refs("references[]", prefix="")),),
    "GitPull": (_repo("codecommit:GitPull"),),
}

EC2: dict[str, tuple[Access, ...]] = {
    "CreateVpc": (A("ec2:CreateVpc", _ec2(new="vpc")),),
    "DeleteVpc": (A("ec2:DeleteVpc", _ec2("VpcId")),),
    "ModifyVpcAttribute": (A("ec2:ModifyVpcAttribute", _ec2("VpcId")),),
    "CreateSubnet": (A("ec2:CreateSubnet", _ec2("VpcId", new="subnet")),),
    "DeleteSubnet": (A("ec2:DeleteSubnet", _ec2("SubnetId")),),
    "CreateSecurityGroup": (A("ec2:CreateSecurityGroup", _ec2("VpcId", new="security-group")),),
    "DeleteSecurityGroup": (A("ec2:DeleteSecurityGroup", _ec2("GroupId")),),
    "AuthorizeSecurityGroupIngress": (A("ec2:AuthorizeSecurityGroupIngress", _ec2("GroupId")),),
    "AuthorizeSecurityGroupEgress": (A("ec2:AuthorizeSecurityGroupEgress", _ec2("GroupId")),),
    "RevokeSecurityGroupIngress": (A("ec2:RevokeSecurityGroupIngress", _ec2("GroupId")),),
    "RevokeSecurityGroupEgress": (A("ec2:RevokeSecurityGroupEgress", _ec2("GroupId")),),
    "CreateRouteTable": (A("ec2:CreateRouteTable", _ec2("VpcId", new="route-table")),),
    "DeleteRouteTable": (A("ec2:DeleteRouteTable", _ec2("RouteTableId")),),
    "CreateRoute": (A("ec2:CreateRoute", _ec2("RouteTableId")),),
    "DeleteRoute": (A("ec2:DeleteRoute", _ec2("RouteTableId")),),
    "AssociateRouteTable": (A("ec2:AssociateRouteTable", _ec2("RouteTableId", "SubnetId")),),
    "CreateInternetGateway": (A("ec2:CreateInternetGateway", _ec2(new="internet-gateway")),),
    "AttachInternetGateway": (A("ec2:AttachInternetGateway", _ec2("InternetGatewayId", "VpcId")),),
    "DetachInternetGateway": (A("ec2:DetachInternetGateway", _ec2("InternetGatewayId", "VpcId")),),
    "DeleteInternetGateway": (A("ec2:DeleteInternetGateway", _ec2("InternetGatewayId")),),
    "CreateNatGateway": (A("ec2:CreateNatGateway", _ec2("SubnetId", new="natgateway")),),
    "CreateNetworkAcl": (A("ec2:CreateNetworkAcl", _ec2("VpcId", new="network-acl")),),
    "CreateNetworkAclEntry": (A("ec2:CreateNetworkAclEntry", _ec2("NetworkAclId")),),
    "DeleteNetworkAcl": (A("ec2:DeleteNetworkAcl", _ec2("NetworkAclId")),),
    "CreateVpcEndpoint": (
        A("ec2:CreateVpcEndpoint", _ec2("VpcId", "SubnetIds[]", "RouteTableIds[]", new="vpc-endpoint")),
    ),
    "DeleteVpcEndpoints": (A("ec2:DeleteVpcEndpoints", _ec2("VpcEndpointIds[]")),),
    "ModifyVpcEndpoint": (A("ec2:ModifyVpcEndpoint", _ec2("VpcEndpointId")),),
    "CreateVpcPeeringConnection": (A("ec2:CreateVpcPeeringConnection", _ec2("VpcId", new="vpc-peering-connection")),),
    "CreateTags": (A("ec2:CreateTags", _ec2("Resources[]")),),
    "DeleteTags": (A("ec2:DeleteTags", _ec2("Resources[]")),),
    "DescribeVpcs": (A("ec2:DescribeVpcs"),),
    "DescribeSubnets": (A("ec2:DescribeSubnets"),),
    "DescribeSecurityGroups": (A("ec2:DescribeSecurityGroups"),),
    "DescribeSecurityGroupRules": (A("ec2:DescribeSecurityGroupRules"),),
    "DescribeRouteTables": (A("ec2:DescribeRouteTables"),),
    "DescribeNetworkAcls": (A("ec2:DescribeNetworkAcls"),),
    "DescribeInternetGateways": (A("ec2:DescribeInternetGateways"),),
    "DescribeNatGateways": (A("ec2:DescribeNatGateways"),),
    "DescribeVpcEndpoints": (A("ec2:DescribeVpcEndpoints"),),
    "DescribeVpcPeeringConnections": (A("ec2:DescribeVpcPeeringConnections"),),
    "DescribePrefixLists": (A("ec2:DescribePrefixLists"),),
    "DescribeManagedPrefixLists": (A("ec2:DescribeManagedPrefixLists"),),
    "DescribeNetworkInterfaces": (A("ec2:DescribeNetworkInterfaces"),),
    "DescribeTags": (A("ec2:DescribeTags"),),
}

_TOPIC = "{TopicArn}"

SNS: dict[str, tuple[Access, ...]] = {
    "CreateTopic": (A("sns:CreateTopic", _arn("sns", "{Name}")),),
    "DeleteTopic": (A("sns:DeleteTopic", _TOPIC),),
    "ListTopics": (A("sns:ListTopics"),),
    "GetTopicAttributes": (A("sns:GetTopicAttributes", _TOPIC),),
    "SetTopicAttributes": (A("sns:SetTopicAttributes", _TOPIC),),
    "Publish": (
        A("sns:Publish", _TOPIC, when=_has("TopicArn")),
        A("sns:Publish", "{TargetArn}", when=_has("TargetArn")),
        A("sns:Publish", "*", when=_has("PhoneNumber")),
    ),
    "Subscribe": (A("sns:Subscribe", _TOPIC, _keys(**{"sns:Protocol": "Protocol", "sns:Endpoint": "Endpoint"})),),
    "Unsubscribe": (A("sns:Unsubscribe", _subscription_topic),),
    "ListSubscriptions": (A("sns:ListSubscriptions"),),
    "ListSubscriptionsByTopic": (A("sns:ListSubscriptionsByTopic", _TOPIC),),
    "GetSubscriptionAttributes": (A("sns:GetSubscriptionAttributes", _subscription_topic),),
    "SetSubscriptionAttributes": (A("sns:SetSubscriptionAttributes", _subscription_topic),),
    "AddPermission": (A("sns:AddPermission", _TOPIC),),
    "RemovePermission": (A("sns:RemovePermission", _TOPIC),),
    "TagResource": (A("sns:TagResource", "{ResourceArn}"),),
    "UntagResource": (A("sns:UntagResource", "{ResourceArn}"),),
    "ListTagsForResource": (A("sns:ListTagsForResource", "{ResourceArn}"),),
}


def _queue(action: str) -> Access:
    return A(action, _queue_arn)


SQS: dict[str, tuple[Access, ...]] = {
    "CreateQueue": (A("sqs:CreateQueue", _arn("sqs", "{QueueName}")),),
    "GetQueueUrl": (A("sqs:GetQueueUrl", _arn("sqs", "{QueueName}")),),
    "ListQueues": (A("sqs:ListQueues"),),
    "DeleteQueue": (_queue("sqs:DeleteQueue"),),
    "PurgeQueue": (_queue("sqs:PurgeQueue"),),
    "SendMessage": (_queue("sqs:SendMessage"),),
    "SendMessageBatch": (_queue("sqs:SendMessage"),),
    "ReceiveMessage": (_queue("sqs:ReceiveMessage"),),
    "DeleteMessage": (_queue("sqs:DeleteMessage"),),
    "DeleteMessageBatch": (_queue("sqs:DeleteMessage"),),
    "ChangeMessageVisibility": (_queue("sqs:ChangeMessageVisibility"),),
    "GetQueueAttributes": (_queue("sqs:GetQueueAttributes"),),
    "SetQueueAttributes": (_queue("sqs:SetQueueAttributes"),),
    "TagQueue": (_queue("sqs:TagQueue"),),
    "UntagQueue": (_queue("sqs:UntagQueue"),),
    "ListQueueTags": (_queue("sqs:ListQueueTags"),),
    "AddPermission": (_queue("sqs:AddPermission"),),
    "RemovePermission": (_queue("sqs:RemovePermission"),),
}

_BUS = _arn("events", "event-bus/{Name}")
_PASS_TO_EVENTS = _passed_to("events.amazonaws.com")

EVENTS: dict[str, tuple[Access, ...]] = {
    "PutEvents": (A("events:PutEvents", _event_buses, _event_entries_context),),
    "PutRule": (A("events:PutRule", _event_rule),),
    "DeleteRule": (A("events:DeleteRule", _event_rule),),
    "DescribeRule": (A("events:DescribeRule", _event_rule),),
    "EnableRule": (A("events:EnableRule", _event_rule),),
    "DisableRule": (A("events:DisableRule", _event_rule),),
    "ListRules": (A("events:ListRules"),),
    "PutTargets": (
        A("events:PutTargets", _event_rule),
        A(
            "iam:PassRole",
            _event_targets_roles,
            _PASS_TO_EVENTS,
            when=lambda p: any(t.get("RoleArn") for t in p.get("Targets") or ()),
        ),
    ),
    "RemoveTargets": (A("events:RemoveTargets", _event_rule),),
    "ListTargetsByRule": (A("events:ListTargetsByRule", _event_rule),),
    "CreateEventBus": (A("events:CreateEventBus", _BUS),),
    "DeleteEventBus": (A("events:DeleteEventBus", _BUS),),
    "DescribeEventBus": (A("events:DescribeEventBus", _arn("events", "event-bus/{Name|name}")),),
    "ListEventBuses": (A("events:ListEventBuses"),),
    "TagResource": (A("events:TagResource", "{ResourceARN}"),),
    "UntagResource": (A("events:UntagResource", "{ResourceARN}"),),
    "ListTagsForResource": (A("events:ListTagsForResource", "{ResourceARN}"),),
}


def _repositories(params: Params, env: MappingEnv) -> Sequence[str]:
    """Repository ARNs in the registry the call names (``registryId``), the caller's account by default."""
    account = str(params.get("registryId") or env.account)
    names = [str(n) for n in _lookup(params, "repositoryNames[]") + _lookup(params, "repositoryName")] or ["*"]
    return [f"arn:{env.partition}:ecr:{env.region}:{account}:repository/{name}" for name in names]


def _repository(action: str, **extra: Any) -> Access:
    return A(action, _repositories, **extra)


# Pushing and pulling are authorized on the repository (its repository policy is the resource-based policy);
# GetAuthorizationToken, which yields the registry login, is not tied to a repository.
ECR: dict[str, tuple[Access, ...]] = {
    "GetAuthorizationToken": (A("ecr:GetAuthorizationToken"),),
    "BatchCheckLayerAvailability": (_repository("ecr:BatchCheckLayerAvailability"),),
    "BatchGetImage": (_repository("ecr:BatchGetImage"),),
    "GetDownloadUrlForLayer": (_repository("ecr:GetDownloadUrlForLayer"),),
    "InitiateLayerUpload": (_repository("ecr:InitiateLayerUpload"),),
    "UploadLayerPart": (_repository("ecr:UploadLayerPart"),),
    "CompleteLayerUpload": (_repository("ecr:CompleteLayerUpload"),),
    "PutImage": (_repository("ecr:PutImage"),),
    "BatchDeleteImage": (_repository("ecr:BatchDeleteImage"),),
    "DescribeImages": (_repository("ecr:DescribeImages"),),
    "ListImages": (_repository("ecr:ListImages"),),
    "DescribeRepositories": (_repository("ecr:DescribeRepositories"),),
    "CreateRepository": (
        _repository("ecr:CreateRepository"),
        _repository("ecr:TagResource", when=_has("tags")),
    ),
    "DeleteRepository": (_repository("ecr:DeleteRepository"),),
    "GetRepositoryPolicy": (_repository("ecr:GetRepositoryPolicy"),),
    "SetRepositoryPolicy": (_repository("ecr:SetRepositoryPolicy"),),
    "DeleteRepositoryPolicy": (_repository("ecr:DeleteRepositoryPolicy"),),
    "GetLifecyclePolicy": (_repository("ecr:GetLifecyclePolicy"),),
    "PutLifecyclePolicy": (_repository("ecr:PutLifecyclePolicy"),),
    "DeleteLifecyclePolicy": (_repository("ecr:DeleteLifecyclePolicy"),),
    "PutImageTagMutability": (_repository("ecr:PutImageTagMutability"),),
    "PutImageScanningConfiguration": (_repository("ecr:PutImageScanningConfiguration"),),
    "StartImageScan": (_repository("ecr:StartImageScan"),),
    "DescribeImageScanFindings": (_repository("ecr:DescribeImageScanFindings"),),
    "TagResource": (A("ecr:TagResource", "{resourceArn}"),),
    "UntagResource": (A("ecr:UntagResource", "{resourceArn}"),),
    "ListTagsForResource": (A("ecr:ListTagsForResource", "{resourceArn}"),),
}


def _function_arns(params: Params, env: MappingEnv) -> Sequence[str]:
    """The function a call names: by name, ARN or partial ARN (``123456789012:function:name``), with a version or
    alias (``name:prod`` or ``Qualifier``) when given, as Lambda authorizes it."""
    value = str(params.get("FunctionName") or "*")
    account, region = env.account, env.region
    if value.startswith("arn:"):
        parts = value.split(":")
        region, account, rest = parts[3], parts[4], parts[6:]
    elif ":function:" in value:
        account, _, tail = value.partition(":function:")
        rest = tail.split(":")
    else:
        rest = value.split(":")
    name, qualifier = rest[0], (rest[1] if len(rest) > 1 else str(params.get("Qualifier") or ""))
    arn = f"arn:{env.partition}:lambda:{region}:{account}:function:{name}"
    return [f"{arn}:{qualifier}" if qualifier else arn]


def _function(action: str, **extra: Any) -> Access:
    return A(action, _function_arns, **extra)


def _lambda_network(params: Params, env: MappingEnv) -> Mapping[str, Any]:
    vpc = params.get("VpcConfig") or {}
    out: dict[str, Any] = {}
    if vpc.get("SubnetIds"):
        out["lambda:SubnetIds"] = [str(s) for s in vpc["SubnetIds"]]
    if vpc.get("SecurityGroupIds"):
        out["lambda:SecurityGroupIds"] = [str(g) for g in vpc["SecurityGroupIds"]]
    return out


_PASS_TO_LAMBDA = _passed_to("lambda.amazonaws.com")

# A function's resource-based policy (AddPermission) is read for every action on the function, so another account
# or a service it names may invoke it.
LAMBDA: dict[str, tuple[Access, ...]] = {
    # The API operation is Invoke; IAM calls its action InvokeFunction.
    "Invoke": (_function("lambda:InvokeFunction"),),
    "InvokeWithResponseStream": (_function("lambda:InvokeFunction"),),
    "GetFunction": (_function("lambda:GetFunction"),),
    "GetFunctionConfiguration": (_function("lambda:GetFunctionConfiguration"),),
    "ListFunctions": (A("lambda:ListFunctions"),),
    "CreateFunction": (
        _function("lambda:CreateFunction", context=_lambda_network),
        A("iam:PassRole", "{Role|role}", _PASS_TO_LAMBDA),
    ),
    "UpdateFunctionCode": (_function("lambda:UpdateFunctionCode"),),
    "UpdateFunctionConfiguration": (
        _function("lambda:UpdateFunctionConfiguration", context=_lambda_network),
        A("iam:PassRole", "{Role|role}", _PASS_TO_LAMBDA, when=_has("Role")),
    ),
    "DeleteFunction": (_function("lambda:DeleteFunction"),),
    "PublishVersion": (_function("lambda:PublishVersion"),),
    "ListVersionsByFunction": (_function("lambda:ListVersionsByFunction"),),
    "AddPermission": (_function("lambda:AddPermission", context=_keys(**{"lambda:Principal": "Principal"})),),
    "RemovePermission": (_function("lambda:RemovePermission"),),
    "GetPolicy": (_function("lambda:GetPolicy"),),
    "GetFunctionConcurrency": (_function("lambda:GetFunctionConcurrency"),),
    "PutFunctionConcurrency": (_function("lambda:PutFunctionConcurrency"),),
    "DeleteFunctionConcurrency": (_function("lambda:DeleteFunctionConcurrency"),),
    "CreateAlias": (_function("lambda:CreateAlias"),),
    "GetAlias": (_function("lambda:GetAlias"),),
    "DeleteAlias": (_function("lambda:DeleteAlias"),),
    "ListAliases": (_function("lambda:ListAliases"),),
    "TagResource": (A("lambda:TagResource", "{Resource}"),),
    "UntagResource": (A("lambda:UntagResource", "{Resource}"),),
    "ListTags": (A("lambda:ListTags", "{Resource}"),),
}

_SECRET = "{SecretId|secret}"


def _secret(action: str, **extra: Any) -> Access:
    return A(action, _SECRET, **extra)


SECRETSMANAGER: dict[str, tuple[Access, ...]] = {
    "CreateSecret": (
        A(
            "secretsmanager:CreateSecret",
            _arn("secretsmanager", "secret:{Name}-??????"),
            _keys(**{"secretsmanager:Description": "Description", "secretsmanager:KmsKeyId": "KmsKeyId"}),
        ),
    ),
    "GetSecretValue": (
        _secret(
            "secretsmanager:GetSecretValue",
            context=_keys(**{"secretsmanager:VersionStage": "VersionStage", "secretsmanager:VersionId": "VersionId"}),
        ),
    ),
    "BatchGetSecretValue": (A("secretsmanager:BatchGetSecretValue"),),
    "PutSecretValue": (_secret("secretsmanager:PutSecretValue"),),
    "UpdateSecret": (_secret("secretsmanager:UpdateSecret"),),
    "DescribeSecret": (_secret("secretsmanager:DescribeSecret"),),
    "DeleteSecret": (_secret("secretsmanager:DeleteSecret"),),
    "RestoreSecret": (_secret("secretsmanager:RestoreSecret"),),
    "RotateSecret": (_secret("secretsmanager:RotateSecret"),),
    "ListSecrets": (A("secretsmanager:ListSecrets"),),
    "ListSecretVersionIds": (_secret("secretsmanager:ListSecretVersionIds"),),
    "GetResourcePolicy": (_secret("secretsmanager:GetResourcePolicy"),),
    "PutResourcePolicy": (_secret("secretsmanager:PutResourcePolicy"),),
    "DeleteResourcePolicy": (_secret("secretsmanager:DeleteResourcePolicy"),),
    "TagResource": (_secret("secretsmanager:TagResource"),),
    "UntagResource": (_secret("secretsmanager:UntagResource"),),
    "GetRandomPassword": (A("secretsmanager:GetRandomPassword"),),
}


def _connection_use(prefix: str) -> ContextFn:
    """The keys of a UseConnection request: the repository (``owner/name``), its owner and name, the branch, the
    provider action and whether it reads or writes (``read_only``, ``read_write``)."""

    def build(params: Params, env: MappingEnv) -> Mapping[str, Any]:
        out: dict[str, Any] = {}
        repository = params.get("FullRepositoryId")
        if repository:
            out[f"{prefix}:FullRepositoryId"] = str(repository)
            owner, _, name = str(repository).partition("/")
            out[f"{prefix}:OwnerId"] = owner
            if name:
                out[f"{prefix}:RepositoryName"] = name
        for key in ("BranchName", "ProviderAction", "ProviderPermissionsRequired"):
            if params.get(key):
                out[f"{prefix}:{key}"] = str(params[key])
        return out

    return build


def _connections(prefix: str) -> dict[str, tuple[Access, ...]]:
    """The connection API under one service prefix (``codestar-connections`` and its newer ``codeconnections``):
    IAM names the action with the prefix the connection's ARN carries."""
    connection = "{ConnectionArn}"
    return {
        "CreateConnection": (
            A(f"{prefix}:CreateConnection", "*", _keys(**{f"{prefix}:ProviderType": "ProviderType"})),
        ),
        "GetConnection": (A(f"{prefix}:GetConnection", connection),),
        "ListConnections": (
            A(f"{prefix}:ListConnections", "*", _keys(**{f"{prefix}:ProviderTypeFilter": "ProviderTypeFilter"})),
        ),
        "DeleteConnection": (A(f"{prefix}:DeleteConnection", connection),),
        "TagResource": (A(f"{prefix}:TagResource", "{ResourceArn}"),),
        "UntagResource": (A(f"{prefix}:UntagResource", "{ResourceArn}"),),
        "ListTagsForResource": (A(f"{prefix}:ListTagsForResource", "{ResourceArn}"),),
        # Not an API operation: what a service using the connection (CodePipeline's source action) is authorized
        # for, as the pipeline's role, each time it calls the provider.
        "UseConnection": (A(f"{prefix}:UseConnection", connection, _connection_use(prefix)),),
    }


_HUB = _arn("securityhub", "hub/default")

SECURITYHUB: dict[str, tuple[Access, ...]] = {
    "EnableSecurityHub": (A("securityhub:EnableSecurityHub", _HUB),),
    "DisableSecurityHub": (A("securityhub:DisableSecurityHub", _HUB),),
    "DescribeHub": (A("securityhub:DescribeHub", _HUB),),
    "UpdateSecurityHubConfiguration": (A("securityhub:UpdateSecurityHubConfiguration", _HUB),),
    "GetEnabledStandards": (A("securityhub:GetEnabledStandards", _HUB),),
    "BatchEnableStandards": (A("securityhub:BatchEnableStandards", _HUB),),
    "BatchDisableStandards": (A("securityhub:BatchDisableStandards", _HUB),),
    "TagResource": (A("securityhub:TagResource", "{ResourceArn}"),),
    "UntagResource": (A("securityhub:UntagResource", "{ResourceArn}"),),
    "ListTagsForResource": (A("securityhub:ListTagsForResource", "{ResourceArn}"),),
}

_PARAMETER = _arn("ssm", "parameter/{Name|param}")

SSM: dict[str, tuple[Access, ...]] = {
    "GetParameter": (A("ssm:GetParameter", _PARAMETER),),
    "GetParameters": (A("ssm:GetParameters", _arn("ssm", "parameter/{Names[]|param}")),),
    "GetParametersByPath": (A("ssm:GetParametersByPath", _arn("ssm", "parameter/{Path|param}")),),
    "GetParameterHistory": (A("ssm:GetParameterHistory", _PARAMETER),),
    "PutParameter": (A("ssm:PutParameter", _PARAMETER, _keys(**{"ssm:Overwrite": "Overwrite"})),),
    "DeleteParameter": (A("ssm:DeleteParameter", _PARAMETER),),
    "DeleteParameters": (A("ssm:DeleteParameters", _arn("ssm", "parameter/{Names[]|param}")),),
    "DescribeParameters": (A("ssm:DescribeParameters"),),
    "LabelParameterVersion": (A("ssm:LabelParameterVersion", _PARAMETER),),
    "AddTagsToResource": (A("ssm:AddTagsToResource", _arn("ssm", "parameter/{ResourceId|param}")),),
    "RemoveTagsFromResource": (A("ssm:RemoveTagsFromResource", _arn("ssm", "parameter/{ResourceId|param}")),),
    "ListTagsForResource": (A("ssm:ListTagsForResource", _arn("ssm", "parameter/{ResourceId|param}")),),
}

OPERATIONS: Mapping[str, Mapping[str, tuple[Access, ...]]] = {
    "iam": IAM,
    "sts": STS,
    "s3": S3,
    "kms": KMS,
    "logs": LOGS,
    "cloudwatch": CLOUDWATCH,
    "cloudtrail": CLOUDTRAIL,
    "codebuild": CODEBUILD,
    "codepipeline": CODEPIPELINE,
    "codecommit": CODECOMMIT,
    "ec2": EC2,
    "sns": SNS,
    "sqs": SQS,
    "events": EVENTS,
    "ecr": ECR,
    "lambda": LAMBDA,
    "secretsmanager": SECRETSMANAGER,
    "ssm": SSM,
    "codestar-connections": _connections("codestar-connections"),
    "codeconnections": _connections("codeconnections"),
    "securityhub": SECURITYHUB,
}
"""boto3 service name → operation name → the accesses AWS checks, in order."""

PSEUDO_OPERATIONS = frozenset(
    {
        ("codecommit", "GitPush"),
        ("codecommit", "GitPull"),
        ("codestar-connections", "UseConnection"),
        ("codeconnections", "UseConnection"),
    }
)
"""Table entries that are not API operations (Git over HTTPS, a service using a connection), used by the runtime's
source model and source actions."""

UNAUTHORIZED_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})
"""Calls AWS answers without any authorization (GetCallerIdentity works even under an explicit deny)."""


# -- request tags ------------------------------------------------------------------------------------------


def request_tags(params: Params) -> dict[str, str]:
    """Tags a call attaches to what it creates or tags (``aws:RequestTag/*``), whatever the service's shape."""
    found: dict[str, str] = {}
    for name in ("Tags", "tags", "TagList", "TagsList"):
        value = params.get(name)
        if isinstance(value, Mapping):
            found.update({str(k): str(v) for k, v in value.items()})
        elif isinstance(value, list | tuple):
            for pair in value:
                if isinstance(pair, Mapping):
                    key = pair.get("Key", pair.get("key", pair.get("TagKey")))
                    val = pair.get("Value", pair.get("value", pair.get("TagValue", "")))
                    if key is not None:
                        found[str(key)] = str(val)
    for spec in params.get("TagSpecifications") or ():
        for pair in spec.get("Tags") or ():
            found[str(pair["Key"])] = str(pair.get("Value", ""))
    return found


# -- the entry point ---------------------------------------------------------------------------------------


def is_mapped(service: str, operation: str) -> bool:
    """Tell whether the table knows ``service:operation`` (or AWS authorizes nothing for it)."""
    return operation in OPERATIONS.get(service, {}) or (service, operation) in UNAUTHORIZED_OPERATIONS


def map_call(service: str, operation: str, params: Params, env: MappingEnv) -> MappedCall:
    """The authorization requests one call needs.

    Args:
        service: the boto3 service name (``s3``, ``logs``, ``events``...).
        operation: the API operation name (``ListObjectsV2``).
        params: the call's API parameters, as given to boto3.
        env: account, region and resolver.

    Returns:
        The accesses AWS checks for the call, the service's own action first.

    Raises:
        Unverified: when the table has no entry for the operation; the harness never lets an unknown call
            through.
    """
    entries = OPERATIONS.get(service, {}).get(operation)
    if entries is None:
        raise Unverified(
            f"no authorization mapping for {service}:{operation}; the harness cannot tell whether AWS would "
            f"allow it, so it does not let the call through (add an entry to OPERATIONS['{service}'] in "
            "harness/enforce/mapping.py)",
            service=service,
            operation=operation,
        )
    accesses: list[RequiredAccess] = []
    for entry in entries:
        if entry.when is not None and not entry.when(params):
            continue
        if callable(entry.resource):
            resources = list(entry.resource(params, env))
        else:
            resources = expand(entry.resource, params, env)
        extra = dict(entry.context(params, env)) if entry.context is not None else {}
        for resource in resources:
            accesses.append(RequiredAccess(entry.action, resource, extra))
    if not accesses:  # every entry was conditional and none applied: the service action alone
        accesses.append(RequiredAccess(entries[0].action, "*"))
    return MappedCall(service, operation, tuple(accesses), request_tags(params))


def mapped_actions() -> list[tuple[str, str, str]]:
    """Every ``(service, operation, action)`` in the table, for checks against the catalogue."""
    return [
        (service, operation, access.action)
        for service, table in OPERATIONS.items()
        for operation, entries in table.items()
        for access in entries
    ]


__all__ = [
    "OPERATIONS",
    "PSEUDO_OPERATIONS",
    "UNAUTHORIZED_OPERATIONS",
    "Access",
    "MappedCall",
    "MappingEnv",
    "RequiredAccess",
    "Resolver",
    "StaticResolver",
    "expand",
    "is_mapped",
    "map_call",
    "mapped_actions",
    "request_tags",
]
