"""S3 bucket: the resource type (policy, default encryption, public access block, versioning, tags) and handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import (
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


@dataclass(frozen=True, slots=True)
class Bucket(Resource):
    """An S3 bucket (artifact store, source bucket, trail bucket, production data store)."""

    SECTION: ClassVar[str] = "buckets"
    KIND: ClassVar[str] = "S3 bucket"

    policy: JsonDoc | None = None
    encryption: BucketEncryption | None = None
    public_access_block: PublicAccessBlock | None = None
    versioning: bool = False
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if self.name != self.name.lower() or "_" in self.name:
            raise ValueError(
                f"a bucket name of lowercase letters, digits and '-', found {self.name!r}; rename the bucket"
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
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Bucket) -> dict[str, Any] | None:
        s3 = ctx.clients("s3")
        name = ctx.physical_name(resource)
        try:
            s3.head_bucket(Bucket=name)
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
        status = s3.get_bucket_versioning(Bucket=name).get("Status")
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
        self.update(ctx, resource, frozenset({"policy", "encryption", "public_access_block", "versioning", "tags"}))
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
            current = s3.get_bucket_versioning(Bucket=name).get("Status")
            if resource.versioning or current:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        if "policy" in changed:
            if resource.policy is None:
                s3.delete_bucket_policy(Bucket=name)
            else:
                s3.put_bucket_policy(Bucket=name, Policy=policy_json(ctx.resolve(resource.policy)))
        if "tags" in changed:
            if resource.tags:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags_list(resource.tags)})
            else:
                s3.delete_bucket_tagging(Bucket=name)
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Bucket) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        buckets = ctx.clients("s3").list_buckets().get("Buckets", [])
        return [b["Name"] for b in buckets if b["Name"].startswith(prefix)]

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        s3 = ctx.clients("s3")
        try:
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


SCHEMA = Schema(
    Bucket,
    fields=(
        ENCRYPTION,
        PUBLIC_ACCESS_BLOCK,
        Field("versioning", cfn="VersioningConfiguration.Status", read="text", parse=_versioning),
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
            "acl",
            "grant",
            "object_lock_configuration",
        ),
    ),
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


FOLDS = (
    Fold(_fold_cfn_policy, cfn="AWS::S3::BucketPolicy"),
    Fold(_fold_tf_policy, tf="aws_s3_bucket_policy"),
    Fold(_fold_tf_encryption, tf="aws_s3_bucket_server_side_encryption_configuration"),
    Fold(_fold_tf_public_access_block, tf="aws_s3_bucket_public_access_block"),
    Fold(_fold_tf_versioning, tf="aws_s3_bucket_versioning"),
)


# A bucket the definition names (a companion stack's artifact bucket): what is not declared here is unknown.
STAND_IN = StandIn(
    Bucket,
    fields=lambda request: {},
    deployed="an empty bucket",
    settable=("policy", "encryption", "public_access_block", "versioning"),
)
