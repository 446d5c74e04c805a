"""S3 bucket: the resource type (policy, default encryption, public access block, versioning, object ownership,
ACL, server access logging, event notifications, tags) and its handler."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
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
    StandIn,
    Tf,
    attached,
    describe,
)
from harness.model.walker import build_struct
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class BucketEncryption:
    """Default encryption of a bucket: SSE-S3 (``AES256``) or SSE-KMS (``aws:kms`` with a key)."""

    algorithm: Literal["AES256", "aws:kms"] = "AES256"
    kms_key: Annotated[str, RefTo("keys")] | None = None
    bucket_key: bool = False

    def __post_init__(self) -> None:
        if self.kms_key and self.algorithm != "aws:kms":
            raise ValueError("algorithm 'aws:kms' when kms_key is set; set algorithm: aws:kms")


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """The four S3 Block Public Access settings; ``true`` in YAML turns all four on."""

    block_public_acls: bool = True
    ignore_public_acls: bool = True
    block_public_policy: bool = True
    restrict_public_buckets: bool = True

    @classmethod
    def from_scalar(cls, value: object) -> PublicAccessBlock:
        if value is True:
            return cls()
        if value is False:
            return cls(False, False, False, False)
        raise ValueError(f"true, false or a mapping of the four settings, found {value!r}")


CannedAcl = Literal[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
]
Ownership = Literal["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
Permission = Literal["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"]

CANNED_ACLS: tuple[str, ...] = CannedAcl.__args__  # type: ignore[attr-defined]
PERMISSIONS: tuple[str, ...] = Permission.__args__  # type: ignore[attr-defined]

OWNER = "owner"
"""The grantee that stands for the bucket owner's account, whatever its canonical user id in the backend."""

GROUP_URIS = {
    "all-users": "http://acs.amazonaws.com/groups/global/AllUsers",
    "authenticated-users": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "log-delivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
"""The S3 predefined groups by the names the model gives them."""

PUBLIC_GROUPS = frozenset({"all-users", "authenticated-users"})
"""Grantees that make an ACL public, as Block Public Access defines it."""

_CANONICAL_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class AclGrant:
    """One grant of a bucket ACL.

    ``grantee`` is a predefined group (``all-users``, ``authenticated-users``, ``log-delivery``), ``owner`` (the
    bucket owner's account) or the canonical user id of an account (64 hexadecimal digits).
    """

    grantee: str
    permission: Permission

    def __post_init__(self) -> None:
        if self.grantee not in (*GROUP_URIS, OWNER) and not _CANONICAL_ID.fullmatch(self.grantee):
            raise ValueError(
                f"a grantee ({', '.join(GROUP_URIS)}, owner or a canonical user id of 64 hexadecimal digits), "
                f"found {self.grantee!r}; name who the grant is for"
            )
        if self.permission not in PERMISSIONS:
            raise ValueError(f"a permission ({', '.join(PERMISSIONS)}), found {self.permission!r}; use one of those")

    @property
    def public(self) -> bool:
        """True for a grant to everyone or to every authenticated AWS principal."""
        return self.grantee in PUBLIC_GROUPS


# What each canned ACL grants besides the owner's FULL_CONTROL, as the S3 documentation lists it. bucket-owner-read
# and bucket-owner-full-control concern objects; on a bucket they leave the owner alone. aws-exec-read lets EC2
# read AMI bundles, which no principal of a pipeline is.
_CANNED_GRANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "private": (),
    "public-read": (("all-users", "READ"),),
    "public-read-write": (("all-users", "READ"), ("all-users", "WRITE")),
    "authenticated-read": (("authenticated-users", "READ"),),
    "aws-exec-read": (),
    "bucket-owner-read": (),
    "bucket-owner-full-control": (),
    "log-delivery-write": (("log-delivery", "WRITE"), ("log-delivery", "READ_ACP")),
}


def canned_grants(acl: str) -> tuple[AclGrant, ...]:
    """The grants a canned ACL stands for: the owner's FULL_CONTROL, then what it adds."""
    extra = tuple(AclGrant(grantee, permission) for grantee, permission in _CANNED_GRANTS[acl])  # type: ignore[arg-type]
    return (AclGrant(OWNER, "FULL_CONTROL"), *extra)


KeyFormat = Literal["simple", "partitioned-event-time", "partitioned-delivery-time"]


@dataclass(frozen=True, slots=True)
class BucketLogging:
    """Server access logging: S3 writes a record of every request on the bucket to ``bucket`` under ``prefix``.

    ``key_format`` is how log object keys are made: ``simple`` (``prefix`` + date and time + a unique part) or
    partitioned by the account, region, source bucket and the date of the event or of the delivery.
    """

    bucket: Annotated[str, RefTo("buckets")]
    prefix: str = ""
    key_format: KeyFormat = "simple"

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("a target bucket for the access logs, found none; name the bucket to log to")


_EVENT = re.compile(r"s3:[A-Za-z]+(:(\*|[A-Za-z]+))*")
_QUEUE_ARN = re.compile(r"arn:[^:]+:sqs:[^:]*:[^:]*:[^:]+")
_FUNCTION_ARN = re.compile(r"arn:[^:]+:lambda:[^:]*:[^:]*:function:.+|\$\{functions\.[^.}]+\.arn\}")


@dataclass(frozen=True, slots=True)
class BucketNotification:
    """One event notification: the events (``s3:ObjectCreated:*``), an optional key filter, and one destination:
    a topic of the definition, the ARN of an SQS queue (not modelled: kept as given), or a Lambda function
    (``${functions.NAME.arn}`` for one of the definition, else its ARN)."""

    events: tuple[str, ...]
    topic: Annotated[str, RefTo("topics")] | None = None
    queue: str | None = None
    function: str | None = None
    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        destinations = [d for d in (self.topic, self.queue, self.function) if d]
        if len(destinations) != 1:
            raise ValueError(
                f"exactly one of topic, queue or function, found {len(destinations)}; name where the events go"
            )
        if not self.events:
            raise ValueError("at least one event such as s3:ObjectCreated:*, found none; list the events")
        for event in self.events:
            if not _EVENT.fullmatch(event):
                raise ValueError(f"an S3 event type such as s3:ObjectCreated:*, found {event!r}; correct the event")
        if self.queue and not _QUEUE_ARN.fullmatch(self.queue):
            raise ValueError(f"the ARN of an SQS queue, found {self.queue!r}; give the queue's ARN")
        if self.function and not _FUNCTION_ARN.fullmatch(self.function):
            raise ValueError(f"the ARN of a Lambda function, found {self.function!r}; give the function's ARN")


@dataclass(frozen=True, slots=True)
class Bucket(Resource):
    """An S3 bucket (artifact store, source bucket, trail bucket, access log bucket, production data store).

    ``acl`` is a canned ACL; ``grants`` spells an ACL grant by grant instead (``acl`` then stays ``private``).
    ``ownership`` left out keeps the backend's default object ownership; ``BucketOwnerEnforced`` disables ACLs.
    """

    SECTION: ClassVar[str] = "buckets"
    KIND: ClassVar[str] = "S3 bucket"

    policy: JsonDoc | None = None
    encryption: BucketEncryption | None = None
    public_access_block: PublicAccessBlock | None = None
    versioning: bool = False
    ownership: Ownership | None = None
    acl: CannedAcl = "private"
    grants: tuple[AclGrant, ...] = ()
    logging: BucketLogging | None = None
    notifications: tuple[BucketNotification, ...] = ()
    eventbridge: bool = False
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if self.name != self.name.lower() or "_" in self.name:
            raise ValueError(
                f"a bucket name of lowercase letters, digits and '-', found {self.name!r}; rename the bucket"
            )
        if self.acl not in CANNED_ACLS:
            raise ValueError(f"a canned ACL ({', '.join(CANNED_ACLS)}), found {self.acl!r}; use one of those")
        if self.grants and self.acl != "private":
            raise ValueError(f"acl or grants, found both (acl {self.acl!r}); keep one way of giving the ACL")
        others = [g for g in self.acl_grants() if g.grantee != OWNER]
        if self.ownership == "BucketOwnerEnforced" and others:
            # S3 answers AccessControlListNotSupported: with ACLs disabled only the owner may be granted.
            raise ValueError(
                "an ACL that grants only the owner when ownership is BucketOwnerEnforced (ACLs disabled), found "
                f"grants to {', '.join(sorted({g.grantee for g in others}))}; set ownership to "
                "BucketOwnerPreferred or ObjectWriter, or drop the ACL"
            )
        pab = self.public_access_block
        if pab is not None and pab.block_public_acls and any(g.public for g in others):
            raise ValueError(
                "no public ACL while block_public_acls is on (S3 refuses to set one), found grants to "
                f"{', '.join(sorted({g.grantee for g in others if g.public}))}; drop the public grants or turn "
                "block_public_acls off"
            )

    def acl_grants(self) -> tuple[AclGrant, ...]:
        """The bucket's ACL grant by grant: ``grants`` when given, else the canned ACL expanded as S3 does."""
        return self.grants if self.grants else canned_grants(self.acl)


def grant_key(grantee: str, permission: str) -> str:
    """One grant as compared: ``all-users:READ``."""
    return f"{grantee}:{permission}"


def read_grants(acl: Any) -> list[AclGrant]:
    """The grants of a GetBucketAcl (or GetObjectAcl) answer, with the owner's canonical id read as ``owner``.

    Grants to an e-mail address (which S3 no longer takes) are left out.
    """
    owner = str((acl.get("Owner") or {}).get("ID", ""))
    by_uri = {uri: name for name, uri in GROUP_URIS.items()}
    out: list[AclGrant] = []
    for grant in acl.get("Grants", []):
        grantee = grant.get("Grantee") or {}
        permission = str(grant.get("Permission", ""))
        if grantee.get("URI") in by_uri:
            name = by_uri[str(grantee["URI"])]
        elif grantee.get("ID"):
            name = OWNER if grantee["ID"] == owner else str(grantee["ID"])
        else:
            continue
        if permission in PERMISSIONS and (name in (*GROUP_URIS, OWNER) or _CANONICAL_ID.fullmatch(name)):
            out.append(AclGrant(name, permission))  # type: ignore[arg-type]
    return out


def _grantee(grant: AclGrant, owner_id: str) -> dict[str, str]:
    if grant.grantee in GROUP_URIS:
        return {"Type": "Group", "URI": GROUP_URIS[grant.grantee]}
    return {"Type": "CanonicalUser", "ID": owner_id if grant.grantee == OWNER else grant.grantee}


_KEY_FORMATS: dict[str, dict[str, Any]] = {
    "simple": {"SimplePrefix": {}},
    "partitioned-event-time": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
    "partitioned-delivery-time": {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}},
}


def key_format_of(logging: Any) -> str:
    """The model's key format of a LoggingEnabled answer (``simple`` when none is given)."""
    shape = (logging or {}).get("TargetObjectKeyFormat") or {}
    partitioned = shape.get("PartitionedPrefix")
    if isinstance(partitioned, dict):
        source = partitioned.get("PartitionDateSource") or "DeliveryTime"
        return "partitioned-event-time" if source == "EventTime" else "partitioned-delivery-time"
    return "simple"


_NOTIFICATION_KINDS = (
    ("topic", "TopicConfigurations", "TopicArn"),
    ("queue", "QueueConfigurations", "QueueArn"),
    ("function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
)


class BucketHandler(Handler[Bucket]):
    resource_type = Bucket
    sweep_order = 90

    def arn(self, ctx: ProviderContext, resource: Bucket) -> str:
        return f"arn:{ctx.partition}:s3:::{ctx.physical_name(resource)}"

    def _encryption(self, ctx: ProviderContext, enc: BucketEncryption | None) -> dict[str, Any] | None:
        if enc is None:
            return None
        out: dict[str, Any] = {"algorithm": enc.algorithm, "bucket_key": enc.bucket_key}
        if enc.kms_key:
            out["kms_key"] = (
                ctx.state_of("keys", enc.kms_key).arn if not enc.kms_key.startswith("arn:") else enc.kms_key
            )
        return out

    def _logging(self, ctx: ProviderContext, resource: Bucket) -> dict[str, Any] | None:
        logging = resource.logging
        if logging is None:
            return None
        target = ctx.physical_name(resource) if logging.bucket == resource.name else None
        return {
            "bucket": target or ctx.state_of("buckets", logging.bucket).physical_id,
            "prefix": ctx.resolve(logging.prefix),
        }

    def _notifications(self, ctx: ProviderContext, resource: Bucket) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in resource.notifications:
            if item.topic:
                kind = "topic"
                target = item.topic if item.topic.startswith("arn:") else ctx.state_of("topics", item.topic).arn
            else:
                kind = "queue" if item.queue else "function"
                target = str(ctx.resolve(item.queue or item.function))
            out.append(
                {
                    "kind": kind,
                    "target": target,
                    "events": sorted(item.events),
                    "prefix": ctx.resolve(item.prefix),
                    "suffix": ctx.resolve(item.suffix),
                }
            )
        return sorted(out, key=repr)

    def desired(self, ctx: ProviderContext, resource: Bucket) -> dict[str, Any]:
        pab = resource.public_access_block
        return {
            "policy": canonical_policy(ctx.resolve(resource.policy)) if resource.policy else None,
            "encryption": self._encryption(ctx, resource.encryption),
            "public_access_block": (
                [pab.block_public_acls, pab.ignore_public_acls, pab.block_public_policy, pab.restrict_public_buckets]
                if pab
                else None
            ),
            "versioning": resource.versioning,
            "ownership": resource.ownership,
            "acl": sorted(grant_key(g.grantee, g.permission) for g in resource.acl_grants()),
            "logging": self._logging(ctx, resource),
            "log_key_format": resource.logging.key_format if resource.logging else None,
            "notifications": self._notifications(ctx, resource),
            "eventbridge": resource.eventbridge,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Bucket) -> dict[str, Any] | None:
        s3 = ctx.clients("s3")
        name = ctx.physical_name(resource)
        # Reading the versioning first tells whether the bucket exists, as HeadBucket would, without a call of its own.
        try:
            status = s3.get_bucket_versioning(Bucket=name).get("Status")
        except Exception as exc:
            if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return None
            raise
        try:
            policy: dict[str, Any] | None = canonical_policy(load_policy(s3.get_bucket_policy(Bucket=name)["Policy"]))
        except Exception as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                raise
            policy = None
        encryption: dict[str, Any] | None = None
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            default = rules[0]["ApplyServerSideEncryptionByDefault"]
            encryption = {"algorithm": default["SSEAlgorithm"], "bucket_key": bool(rules[0].get("BucketKeyEnabled"))}
            if default.get("KMSMasterKeyID"):
                encryption["kms_key"] = default["KMSMasterKeyID"]
        except Exception as exc:
            if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
        # S3 applies SSE-S3 to every new bucket since 2023; an AES256 default reads back as "not configured"
        # only when the definition did not ask for it, which the comparison below tolerates.
        if encryption == {"algorithm": "AES256", "bucket_key": False} and resource.encryption is None:
            encryption = None
        try:
            conf = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            pab: list[bool] | None = [
                bool(conf.get("BlockPublicAcls")),
                bool(conf.get("IgnorePublicAcls")),
                bool(conf.get("BlockPublicPolicy")),
                bool(conf.get("RestrictPublicBuckets")),
            ]
        except Exception as exc:
            if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            pab = None
        ownership = read_ownership(s3, name)
        # S3 gives new buckets BucketOwnerEnforced since 2023 (an emulator may give none): a definition that does
        # not say reads back either default as "not configured".
        if resource.ownership is None and ownership == "BucketOwnerEnforced":
            ownership = None
        grants = read_grants(s3.get_bucket_acl(Bucket=name))
        logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        notifications = s3.get_bucket_notification_configuration(Bucket=name)
        try:
            tags = tags_dict(s3.get_bucket_tagging(Bucket=name).get("TagSet", []))
        except Exception as exc:
            if error_code(exc) != "NoSuchTagSet":
                raise
            tags = {}
        return {
            "policy": policy,
            "encryption": encryption,
            "public_access_block": pab,
            "versioning": status == "Enabled",
            "ownership": ownership,
            "acl": sorted(grant_key(g.grantee, g.permission) for g in grants),
            "logging": (
                {"bucket": logging.get("TargetBucket"), "prefix": logging.get("TargetPrefix", "")} if logging else None
            ),
            "log_key_format": key_format_of(logging) if logging else None,
            "notifications": _read_notifications(notifications),
            "eventbridge": "EventBridgeConfiguration" in notifications,
            "tags": tags,
        }

    def create(self, ctx: ProviderContext, resource: Bucket) -> ResourceState:
        s3 = ctx.clients("s3")
        name = ctx.physical_name(resource)
        kwargs: dict[str, Any] = {"Bucket": name}
        if ctx.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        s3.create_bucket(**kwargs)
        state = ResourceState(str(resource.address), name, self.arn(ctx, resource))
        ctx.state[str(resource.address)] = state
        # A new bucket is private, unversioned, without a policy, tags, logging or notifications, and encrypted with
        # S3's own keys: only what the definition adds is applied. (Its public access block is always set, since
        # S3's default for new buckets and an emulator's differ.)
        fields = {"public_access_block"}
        if resource.policy is not None:
            fields.add("policy")
        if resource.encryption is not None:
            fields.add("encryption")
        if resource.versioning:
            fields.add("versioning")
        if resource.tags:
            fields.add("tags")
        if resource.eventbridge:
            fields.add("eventbridge")
        if resource.ownership is not None:
            fields.add("ownership")
        if resource.acl_grants() != canned_grants("private"):
            fields.add("acl")
        if resource.logging is not None:
            fields.add("logging")
        if resource.notifications:
            fields.add("notifications")
        self.update(ctx, resource, frozenset(fields))
        return state

    def update(self, ctx: ProviderContext, resource: Bucket, changed: frozenset[str]) -> ResourceState:
        s3 = ctx.clients("s3")
        name = ctx.physical_name(resource)
        if "public_access_block" in changed:
            pab = resource.public_access_block
            if pab is None:
                s3.delete_public_access_block(Bucket=name)
            else:
                s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration={
                        "BlockPublicAcls": pab.block_public_acls,
                        "IgnorePublicAcls": pab.ignore_public_acls,
                        "BlockPublicPolicy": pab.block_public_policy,
                        "RestrictPublicBuckets": pab.restrict_public_buckets,
                    },
                )
        if "encryption" in changed:
            enc = self._encryption(ctx, resource.encryption)
            if enc is None:
                s3.delete_bucket_encryption(Bucket=name)
            else:
                default: dict[str, Any] = {"SSEAlgorithm": enc["algorithm"]}
                if "kms_key" in enc:
                    default["KMSMasterKeyID"] = enc["kms_key"]
                s3.put_bucket_encryption(
                    Bucket=name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [
                            {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": enc["bucket_key"]}
                        ]
                    },
                )
        if "versioning" in changed:
            status = "Enabled" if resource.versioning else "Suspended"
            # A bucket that was never versioned stays so: it cannot be suspended.
            if resource.versioning or s3.get_bucket_versioning(Bucket=name).get("Status"):
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        if "policy" in changed:
            if resource.policy is None:
                s3.delete_bucket_policy(Bucket=name)
            else:
                s3.put_bucket_policy(Bucket=name, Policy=policy_json(ctx.resolve(resource.policy)))
        # S3 refuses an ACL granting others while ACLs are disabled, and refuses to disable ACLs while one does:
        # the ACL goes first when ACLs are being disabled, the ownership first otherwise.
        acl_first = resource.ownership == "BucketOwnerEnforced"
        if "acl" in changed and acl_first:
            self._put_acl(s3, name, resource)
        if "ownership" in changed:
            if resource.ownership is None:
                s3.delete_bucket_ownership_controls(Bucket=name)
            else:
                s3.put_bucket_ownership_controls(
                    Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": resource.ownership}]}
                )
        if "acl" in changed and not acl_first:
            self._put_acl(s3, name, resource)
        if changed & {"logging", "log_key_format"}:
            logging = self._logging(ctx, resource)
            logging_status: dict[str, Any] = {}
            if logging is not None and resource.logging is not None:
                logging_status["LoggingEnabled"] = {
                    "TargetBucket": logging["bucket"],
                    "TargetPrefix": logging["prefix"],
                    "TargetObjectKeyFormat": _KEY_FORMATS[resource.logging.key_format],
                }
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=logging_status)
        if changed & {"notifications", "eventbridge"}:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=self._notification_configuration(ctx, resource)
            )
        if "tags" in changed:
            if resource.tags:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags_list(resource.tags)})
            else:
                s3.delete_bucket_tagging(Bucket=name)
        return self.state(ctx, resource)

    def _put_acl(self, s3: Any, name: str, resource: Bucket) -> None:
        # Grant by grant rather than a canned ACL: what is put is exactly what is read back and compared.
        owner = s3.get_bucket_acl(Bucket=name)["Owner"]
        grants = [{"Grantee": _grantee(g, str(owner["ID"])), "Permission": g.permission} for g in resource.acl_grants()]
        s3.put_bucket_acl(Bucket=name, AccessControlPolicy={"Owner": owner, "Grants": grants})

    def _notification_configuration(self, ctx: ProviderContext, resource: Bucket) -> dict[str, Any]:
        configuration: dict[str, Any] = {}
        for item in self._notifications(ctx, resource):
            _kind, key, arn_key = next(k for k in _NOTIFICATION_KINDS if k[0] == item["kind"])
            entry: dict[str, Any] = {arn_key: item["target"], "Events": item["events"]}
            rules = [{"Name": n, "Value": item[n]} for n in ("prefix", "suffix") if item[n]]
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": rules}}
            configuration.setdefault(key, []).append(entry)
        if resource.eventbridge:
            configuration["EventBridgeConfiguration"] = {}
        return configuration

    def delete(self, ctx: ProviderContext, resource: Bucket) -> None:
        # An empty bucket is deleted at once; one S3 refuses to delete (BucketNotEmpty, or a policy that denies it)
        # is emptied and deleted the thorough way (``delete_physical``).
        name = ctx.physical_name(resource)
        try:
            ctx.clients("s3").delete_bucket(Bucket=name)
        except Exception as exc:
            if error_code(exc) in ("NoSuchBucket", "404"):
                return
            self.delete_physical(ctx, name)

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        buckets = ctx.clients("s3").list_buckets().get("Buckets", [])
        return [b["Name"] for b in buckets if b["Name"].startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        s3 = ctx.clients("s3")
        try:
            # An emulator may write access log records as requests arrive: a bucket logging to itself would fill
            # up again while it is emptied, so its logging goes first.
            s3.put_bucket_logging(Bucket=physical_id, BucketLoggingStatus={})
            # A policy that denies everyone s3:DeleteObject (the usual protection of audit logs) binds the owner
            # too; the account's root may always delete a bucket policy, and that is how such a bucket is emptied.
            s3.delete_bucket_policy(Bucket=physical_id)
            # A bucket must be empty, every version and delete marker included, before it can be deleted.
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=physical_id):
                keys = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if keys:
                    s3.delete_objects(Bucket=physical_id, Delete={"Objects": keys, "Quiet": True})
            s3.delete_bucket(Bucket=physical_id)
        except Exception as exc:
            if error_code(exc) not in ("NoSuchBucket", "404"):
                raise


def read_ownership(s3: Any, bucket: str) -> str | None:
    """The bucket's object ownership setting as the backend holds it (None: no ownership controls)."""
    try:
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    except Exception as exc:
        if error_code(exc) != "OwnershipControlsNotFoundError":
            raise
        return None
    return str(rules[0]["ObjectOwnership"]) if rules else None


def _read_notifications(configuration: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind, key, arn_key in _NOTIFICATION_KINDS:
        for entry in configuration.get(key, []):
            rules = {
                str(r.get("Name", "")).lower(): str(r.get("Value", ""))
                for r in (entry.get("Filter") or {}).get("Key", {}).get("FilterRules", [])
            }
            out.append(
                {
                    "kind": kind,
                    "target": entry.get(arn_key),
                    "events": sorted(entry.get("Events", [])),
                    "prefix": rules.get("prefix", ""),
                    "suffix": rules.get("suffix", ""),
                }
            )
    return sorted(out, key=repr)


HANDLER = BucketHandler()


# -- how the source formats spell a bucket ---------------------------------------------------------------------


def _algorithm(reader: Reader, value: Any, path: str) -> Any:
    if value not in ("AES256", "aws:kms"):
        # aws:kms:dsse (dual-layer) is still encryption under a KMS key, which is what the model compares.
        reader.note(f"{path}: {value!r} is read as aws:kms")
        return "aws:kms"
    return value


# One rule of default encryption: CloudFormation's first ServerSideEncryptionConfiguration item, Terraform's rule
# block of aws_s3_bucket_server_side_encryption_configuration.
ENCRYPTION = Field(
    "encryption",
    cfn="BucketEncryption.ServerSideEncryptionConfiguration",
    read="struct",
    struct=BucketEncryption,
    fields=(
        Field(
            "algorithm",
            cfn="ServerSideEncryptionByDefault.SSEAlgorithm",
            tf="apply_server_side_encryption_by_default.sse_algorithm",
            default="AES256",
            parse=_algorithm,
        ),
        Field(
            "kms_key",
            cfn="ServerSideEncryptionByDefault.KMSMasterKeyID",
            tf="apply_server_side_encryption_by_default.kms_master_key_id",
            read="ref",
            section="keys",
        ),
        Field("bucket_key", cfn="BucketKeyEnabled", tf="bucket_key_enabled", read="flag", default=False),
    ),
)

# Settings left out of a public access block are false, in CloudFormation and in Terraform.
PUBLIC_ACCESS_BLOCK = Field(
    "public_access_block",
    cfn="PublicAccessBlockConfiguration",
    read="struct",
    struct=PublicAccessBlock,
    fields=tuple(
        Field(name, cfn="".join(w.title() for w in name.split("_")), tf=name, read="flag", default=False)
        for name in ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    ),
)


def _versioning(reader: Reader, value: Any, path: str) -> bool:
    return bool(value == "Enabled")


def _extra_rules(reader: Reader, draft: Draft, props: Props) -> None:
    encryption = props.sub("BucketEncryption")
    for extra in encryption.items("ServerSideEncryptionConfiguration")[1:] if encryption else []:
        reader.note(f"{extra.path}: only the first encryption rule is modelled")
        extra.ignore(*extra.values)


def _acl(reader: Reader, value: Any, path: str) -> Any:
    """A canned ACL: CloudFormation spells it ``PublicRead``, Terraform ``public-read``."""
    text = str(value)
    canned = re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower() if reader.format == CLOUDFORMATION else text
    if canned not in CANNED_ACLS:
        spelled = (
            [re.sub(r"(^|-)([a-z])", lambda m: m.group(2).upper(), a) for a in CANNED_ACLS]
            if reader.format == CLOUDFORMATION
            else list(CANNED_ACLS)
        )
        reader.fail(path, f"a canned ACL ({', '.join(spelled)})", repr(text), "use one of those")
    return canned


def _group_name(reader: Reader, uri: Any, path: str) -> str:
    by_uri = {u: name for name, u in GROUP_URIS.items()}
    if uri not in by_uri:
        groups = ", ".join(GROUP_URIS.values())
        reader.fail(path, f"a predefined S3 group ({groups})", describe(uri), "use one of those")
    return by_uri[uri]


def _tf_inline_grants(reader: Reader, props: Props, draft: Draft) -> Any:
    """The pre-v4 ``grant`` blocks of aws_s3_bucket: a grantee and its permissions per block."""
    grants: list[AclGrant] = []
    for block in props.items("grant"):
        kind = block.text("type", required=True)
        permissions = block.strings("permissions")
        if kind == "Group":
            grantee = _group_name(reader, block.raw("uri"), block.at("uri"))
            block.ignore("id")
        elif kind == "CanonicalUser":
            grantee = str(block.text("id", required=True))
            block.ignore("uri")
            reader.note(
                f"{block.at('id')}: a grant to canonical user {grantee}; which account that is cannot be told "
                "here, so decisions about other accounts that this grant bears on are unverified"
            )
        else:
            reader.fail(block.at("type"), "Group or CanonicalUser", repr(kind), "grant to a group or an account")
        grants.extend(reader.make(AclGrant, block.path, draft.line, grantee=grantee, permission=p) for p in permissions)
    return tuple(grants) if grants else MISSING


def _key_format(reader: Reader, props: Props, draft: Draft) -> Any:
    """TargetObjectKeyFormat / target_object_key_format: simple, or partitioned by event or delivery time."""
    key, simple, partitioned, source = (
        ("TargetObjectKeyFormat", "SimplePrefix", "PartitionedPrefix", "PartitionDateSource")
        if reader.format == CLOUDFORMATION
        else ("target_object_key_format", "simple_prefix", "partitioned_prefix", "partition_date_source")
    )
    shape = props.block(key)
    if shape is None:
        return MISSING
    shape.ignore(simple)
    part = shape.block(partitioned)
    if part is None:
        return "simple"
    # S3 partitions by delivery time unless told otherwise.
    when = part.text(source) or "DeliveryTime"
    if when not in ("EventTime", "DeliveryTime"):
        reader.fail(part.at(source), "EventTime or DeliveryTime", repr(when), "use one of those")
    return "partitioned-event-time" if when == "EventTime" else "partitioned-delivery-time"


_LOGGING_KEYS = {
    CLOUDFORMATION: ("LoggingConfiguration", "DestinationBucketName", "LogFilePrefix"),
    TERRAFORM: ("logging", "target_bucket", "target_prefix"),
}


def logging_from(reader: Reader, props: Props, draft: Draft, target_key: str, prefix_key: str) -> Any:
    """Server access logging read from ``props``; MISSING (noted) when the target bucket is outside the definition.

    CloudFormation logs to the bucket itself when no destination is named.
    """
    raw = props.raw(target_key)
    if raw is None and reader.format == CLOUDFORMATION:
        target: str | None = draft.name
    else:
        target = reader.reference(raw, "buckets", props.at(target_key), arn_ok=False) if raw is not None else None
    key_format = _key_format(reader, props, draft)
    prefix = props.text(prefix_key) or ""
    if target is None:
        if raw is None:
            props.require(target_key)
        return MISSING
    values: dict[str, Any] = {"bucket": target, "prefix": prefix}
    if key_format is not MISSING:
        values["key_format"] = key_format
    return reader.make(BucketLogging, props.path, draft.line, **values)


def _logging(reader: Reader, props: Props, draft: Draft) -> Any:
    block_key, target_key, prefix_key = _LOGGING_KEYS[reader.format]
    block = props.block(block_key)
    if block is None:
        return MISSING
    return logging_from(reader, block, draft, target_key, prefix_key)


def _destination(reader: Reader, kind: str, value: Any, path: str) -> str | None:
    """A notification's destination: a topic of the definition (or a topic ARN), a queue or function ARN."""
    if kind == "topic":
        return reader.reference(value, "topics", path)
    arn = value if isinstance(value, str) else None
    if kind == "function" and arn is not None and arn.startswith("${functions."):
        reader.note(f"{path}: the notification to {arn} is configured; its delivery is not emulated, so unverified")
        return arn
    # Account, region and partition are filled in at deploy; any other interpolation names something unmodelled.
    if arn is None or ":unmodelled:" in arn or "${" in _DEPLOY_VALUES.sub("", arn):
        reader.note(f"{path}: notifications to the {kind} {describe(value)} are left out; {UNVERIFIED}")
        return None
    word = "an SQS queue" if kind == "queue" else "a Lambda function"
    reader.note(f"{path}: {word} is not modelled; the notification is configured but its delivery is unverified")
    return arn


_DEPLOY_VALUES = re.compile(r"\$\{(partition|region|account_id)\}")


def _filter_rules(reader: Reader, item: Props) -> dict[str, str]:
    """CloudFormation's Filter.S3Key.Rules as prefix and suffix."""
    rules: dict[str, str] = {}
    key = item.sub("Filter")
    s3_key = key.sub("S3Key") if key is not None else None
    for rule in s3_key.items("Rules") if s3_key is not None else []:
        name = str(rule.text("Name", required=True)).lower()
        if name not in ("prefix", "suffix"):
            reader.fail(rule.at("Name"), "prefix or suffix", repr(name), "filter on the key's prefix or suffix")
        rules[name] = str(rule.text("Value", required=True))
    return rules


_CFN_NOTIFICATIONS = (
    ("topic", "TopicConfigurations", "Topic"),
    ("queue", "QueueConfigurations", "Queue"),
    ("function", "LambdaConfigurations", "Function"),
)
_TF_NOTIFICATIONS = (
    ("topic", "topic", "topic_arn"),
    ("queue", "queue", "queue_arn"),
    ("function", "lambda_function", "lambda_function_arn"),
)


def _cfn_notifications(reader: Reader, props: Props, draft: Draft) -> Any:
    configuration = props.sub("NotificationConfiguration")
    if configuration is None:
        return MISSING
    out: list[BucketNotification] = []
    for kind, key, destination_key in _CFN_NOTIFICATIONS:
        for item in configuration.items(key):
            destination = _destination(reader, kind, item.require(destination_key), item.at(destination_key))
            event = item.text("Event", required=True)
            rules = _filter_rules(reader, item)
            if destination is not None:
                out.append(
                    reader.make(
                        BucketNotification, item.path, draft.line, events=(str(event),), **{kind: destination}, **rules
                    )
                )
    return tuple(out)


def tf_notifications(reader: Reader, props: Props, line: int | None) -> tuple[BucketNotification, ...]:
    """The topic, queue and lambda_function blocks of aws_s3_bucket_notification."""
    out: list[BucketNotification] = []
    for kind, key, destination_key in _TF_NOTIFICATIONS:
        for item in props.items(key):
            destination = _destination(reader, kind, item.require(destination_key), item.at(destination_key))
            events = item.strings("events")
            rules = {name: str(item.text(f"filter_{name}") or "") for name in ("prefix", "suffix")}
            item.ignore("id")
            if destination is not None:
                out.append(
                    reader.make(BucketNotification, item.path, line, events=events, **{kind: destination}, **rules)
                )
    return tuple(out)


def _cfn_eventbridge(reader: Reader, props: Props, draft: Draft) -> Any:
    configuration = props.sub("NotificationConfiguration")
    eventbridge = configuration.sub("EventBridgeConfiguration") if configuration is not None else None
    # The configuration's presence turns delivery on; EventBridgeEnabled: false turns it off again.
    return MISSING if eventbridge is None else bool(eventbridge.flag("EventBridgeEnabled", True))


OWNERSHIP = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")


def _acl_without_ownership(reader: Reader, draft: Draft) -> None:
    """S3 creates buckets with ACLs disabled since April 2023: an ACL granting others needs ownership controls."""
    kwargs = draft.kwargs
    grants = kwargs.get("grants") or canned_grants(kwargs.get("acl", "private"))
    others = sorted({g.grantee for g in grants if g.grantee != OWNER})
    if others and kwargs.get("ownership") is None:
        reader.note(
            f"{draft.origin}: an ACL granting {', '.join(others)} without ownership controls; S3 refuses ACLs on "
            "new buckets unless object ownership is BucketOwnerPreferred or ObjectWriter, so this deploys in AWS "
            "only onto a bucket made before April 2023; the harness applies the ACL as such a bucket keeps it"
        )


SCHEMA = Schema(
    Bucket,
    fields=(
        ENCRYPTION,
        PUBLIC_ACCESS_BLOCK,
        Field("versioning", cfn="VersioningConfiguration.Status", read="text", parse=_versioning),
        Field("ownership", cfn="OwnershipControls.Rules.ObjectOwnership", choices=OWNERSHIP),
        Field("acl", cfn="AccessControl", tf="acl", parse=_acl),
        Field("grants", tf_read=_tf_inline_grants),
        Field("logging", cfn_read=_logging, tf_read=_logging),
        Field("notifications", cfn_read=_cfn_notifications),
        Field("eventbridge", cfn_read=_cfn_eventbridge),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::S3::Bucket",
        ref="{name}",
        attributes={
            "Arn": "{arn}",
            "DomainName": "{name}.s3.amazonaws.com",
            "RegionalDomainName": "{name}.s3.{region}.amazonaws.com",
            "DualStackDomainName": "{name}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": "http://{name}.s3-website-{region}.amazonaws.com",
        },
        name="BucketName",
        finish=_extra_rules,
    ),
    tf=Tf(
        "aws_s3_bucket",
        name="bucket",
        attributes={"arn": "arn", "id": "name", "bucket": "name"},
        quiet={"object_lock_enabled": False},
        # Since AWS provider 4 these are computed here and set by the separate aws_s3_bucket_* resources.
        ignore=(
            "force_destroy",
            "bucket_domain_name",
            "bucket_regional_domain_name",
            "hosted_zone_id",
            "region",
            "acceleration_status",
            "request_payer",
            "server_side_encryption_configuration",
            "versioning",
            "policy",
            "object_lock_configuration",
        ),
    ),
    check=_acl_without_ownership,
)


def _bucket_of(reader: Reader, props: Props, what: str) -> Draft | None:
    return attached(reader, props.require("bucket"), "buckets", props.at("bucket"), what)


def _fold_cfn_policy(reader: Reader, props: Props, origin: Origin) -> None:
    document = props.doc("PolicyDocument", required=True)
    target = attached(reader, props.require("Bucket"), "buckets", props.at("Bucket"), "a policy for")
    if target is None:
        return
    if target.kwargs.get("policy") is not None:
        reader.note(f"{origin.path}: a second policy for bucket '{target.name}' replaces the first")
    target.kwargs["policy"] = document


def _fold_tf_policy(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "a bucket policy for")
    document = props.doc("policy", required=True)
    if bucket is not None:
        bucket.kwargs["policy"] = document


def _fold_tf_encryption(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "default encryption for")
    rule = props.block("rule")
    if bucket is not None and rule is not None:
        bucket.kwargs["encryption"] = build_struct(reader, ENCRYPTION, rule, bucket)


def _fold_tf_public_access_block(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "a public access block for")
    if bucket is None:
        props.ignore(*props.values)
        return
    bucket.kwargs["public_access_block"] = build_struct(reader, PUBLIC_ACCESS_BLOCK, props, bucket)


def _fold_tf_versioning(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "versioning for")
    config = props.block("versioning_configuration")
    if bucket is not None and config is not None:
        bucket.kwargs["versioning"] = config.text("status", required=True) == "Enabled"


def _fold_tf_ownership(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "ownership controls for")
    rule = props.block("rule")
    if rule is None:
        props.require("rule")
        return
    ownership = rule.text("object_ownership", required=True)
    if ownership not in OWNERSHIP:
        reader.fail(rule.at("object_ownership"), f"one of {', '.join(OWNERSHIP)}", repr(ownership), "use one")
    if bucket is not None:
        bucket.kwargs["ownership"] = ownership


def _policy_grants(reader: Reader, policy: Props, line: int | None) -> tuple[AclGrant, ...]:
    """The grants of an access_control_policy block, the owner's own grants read as ``owner``."""
    owner = policy.block("owner")
    owner_id = owner.text("id") if owner is not None else None
    if owner is not None:
        owner.ignore("display_name")
    grants: list[AclGrant] = []
    for grant in policy.items("grant"):
        grantee = grant.block("grantee")
        if grantee is None:
            grant.require("grantee")
            continue
        kind = grantee.text("type", required=True)
        grantee.ignore("display_name")
        if kind == "Group":
            name = _group_name(reader, grantee.raw("uri"), grantee.at("uri"))
        elif kind == "CanonicalUser":
            name = str(grantee.text("id", required=True))
            if name == owner_id:
                name = OWNER
            else:
                reader.note(
                    f"{grantee.at('id')}: a grant to canonical user {name}; which account that is cannot be told "
                    "here, so decisions about other accounts that this grant bears on are unverified"
                )
        else:
            grantee.ignore("email_address")
            reader.note(f"{grantee.path}: a grant by e-mail address, which S3 no longer takes; {UNVERIFIED}")
            continue
        permission = grant.text("permission", required=True)
        grants.append(reader.make(AclGrant, grant.path, line, grantee=name, permission=permission))
    return tuple(grants)


def _fold_tf_acl(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "an ACL for")
    props.ignore("expected_bucket_owner")
    policy = props.block("access_control_policy")
    acl = props.text("acl")
    if acl:
        canned = _acl(reader, acl, props.at("acl"))
        if policy is not None:
            policy.ignore(*policy.values)  # computed from the canned ACL by the provider
        if bucket is not None:
            bucket.kwargs["acl"] = canned
            bucket.kwargs.pop("grants", None)
    elif policy is not None:
        grants = _policy_grants(reader, policy, origin.line)
        if bucket is not None:
            bucket.kwargs["grants"] = grants
            bucket.kwargs.pop("acl", None)
    else:
        props.require("acl")


def _fold_tf_logging(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "access logging for")
    props.ignore("expected_bucket_owner")
    if props.seq("target_grant"):
        reader.note(f"{props.at('target_grant')}: grants on the log objects are {UNVERIFIED}")
    if bucket is None:
        props.ignore(*props.values)
        return
    logging = logging_from(reader, props, bucket, "target_bucket", "target_prefix")
    if logging is not MISSING:
        bucket.kwargs["logging"] = logging


def _fold_tf_notification(reader: Reader, props: Props, origin: Origin) -> None:
    bucket = _bucket_of(reader, props, "event notifications for")
    notifications = tf_notifications(reader, props, origin.line)
    eventbridge = bool(props.flag("eventbridge", False))
    if bucket is not None:
        bucket.kwargs["notifications"] = notifications
        bucket.kwargs["eventbridge"] = eventbridge


FOLDS = (
    Fold(_fold_cfn_policy, cfn="AWS::S3::BucketPolicy"),
    Fold(_fold_tf_policy, tf="aws_s3_bucket_policy"),
    Fold(_fold_tf_encryption, tf="aws_s3_bucket_server_side_encryption_configuration"),
    Fold(_fold_tf_public_access_block, tf="aws_s3_bucket_public_access_block"),
    Fold(_fold_tf_versioning, tf="aws_s3_bucket_versioning"),
    Fold(_fold_tf_ownership, tf="aws_s3_bucket_ownership_controls"),
    Fold(_fold_tf_acl, tf="aws_s3_bucket_acl"),
    Fold(_fold_tf_logging, tf="aws_s3_bucket_logging"),
    Fold(_fold_tf_notification, tf="aws_s3_bucket_notification"),
)


def _accept_access_logs(draft: Draft, drafts: list[Draft]) -> None:
    """A stand-in that buckets of the definition log to lets the logging service write (S3 refuses to turn
    logging on towards a bucket that does not, so the existing bucket must); its real policy stays unknown."""
    if draft.kwargs.get("policy") is not None:
        return
    logged = any(d.cls is Bucket and getattr(d.kwargs.get("logging"), "bucket", None) == draft.name for d in drafts)
    if logged:
        draft.kwargs["policy"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:${{partition}}:s3:::${{prefix}}{draft.name}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "${account_id}"}},
                }
            ],
        }


# A bucket the definition names (a companion stack's artifact bucket): what is not declared here is unknown.
STAND_IN = StandIn(
    Bucket,
    fields=lambda request: {},
    deployed="an empty bucket",
    complete=_accept_access_logs,
    settable=("policy", "encryption", "public_access_block", "versioning", "ownership", "acl", "logging"),
)
