"""S3 bucket: the resource type (policy, default encryption, public access block, versioning, tags) and handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
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
