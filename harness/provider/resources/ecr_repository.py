"""ECR repository: the resource type (repository policy, lifecycle policy, scanning, tag mutability, encryption,
tags) and its handler."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import Cfn, Field, Fold, Origin, Props, Reader, Schema, Tf, attached
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list

# ECR repository names: lowercase components separated by '.', '_' or '-', optionally nested with '/'.
_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class EcrRepository(Resource):
    """An ECR repository a build pushes images to and a deployment pulls them from.

    ``policy`` is the repository policy (a resource-based policy: it decides who else may pull or push);
    ``encryption`` is ``AES256`` (S3-managed keys) or ``KMS`` with an optional ``kms_key`` (AWS managed key
    ``aws/ecr`` without one).
    """

    SECTION: ClassVar[str] = "ecr_repositories"
    KIND: ClassVar[str] = "ECR repository"
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn", "uri")

    policy: JsonDoc | None = None
    lifecycle_policy: JsonDoc | None = None
    scan_on_push: bool = False
    tag_mutability: Literal["MUTABLE", "IMMUTABLE"] = "MUTABLE"
    encryption: Literal["AES256", "KMS", "KMS_DSSE"] = "AES256"
    kms_key: Annotated[str, RefTo("keys")] | None = None
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                f"a repository name of lowercase letters, digits and '.', '_' or '-' between them, found "
                f"{self.name!r}; rename the repository"
            )
        if self.kms_key and self.encryption == "AES256":
            raise ValueError("encryption 'KMS' when kms_key is set, found 'AES256'; set encryption: KMS")
        if self.lifecycle_policy is not None and not isinstance(self.lifecycle_policy.get("rules"), list):
            raise ValueError(
                "a lifecycle policy with a list of 'rules', found none; write {rules: [{rulePriority: 1, ...}]}"
            )


def _lifecycle(document: Any) -> str | None:
    """A lifecycle policy as comparable text (ECR keeps the JSON it was given; key order is not meaningful)."""
    if document is None:
        return None
    return json.dumps(load_policy(document), sort_keys=True, separators=(",", ":"))


class EcrRepositoryHandler(Handler[EcrRepository]):
    resource_type = EcrRepository
    # After what pushes to a repository (build projects, pipelines), before keys.
    sweep_order = 50

    def arn(self, ctx: ProviderContext, resource: EcrRepository) -> str:
        return f"arn:{ctx.partition}:ecr:{ctx.region}:{ctx.account_id}:repository/{ctx.physical_name(resource)}"

    def _key(self, ctx: ProviderContext, resource: EcrRepository) -> str | None:
        if resource.kms_key is None:
            return None
        return resource.kms_key if resource.kms_key.startswith("arn:") else ctx.state_of("keys", resource.kms_key).arn

    def _encryption(self, ctx: ProviderContext, resource: EcrRepository) -> dict[str, str]:
        out: dict[str, str] = {"encryptionType": resource.encryption}
        key = self._key(ctx, resource)
        if key:
            out["kmsKey"] = key
        return out

    def desired(self, ctx: ProviderContext, resource: EcrRepository) -> dict[str, Any]:
        return {
            "policy": canonical_policy(ctx.resolve(resource.policy)) if resource.policy else None,
            "lifecycle_policy": _lifecycle(ctx.resolve(resource.lifecycle_policy)),
            "scan_on_push": resource.scan_on_push,
            "tag_mutability": resource.tag_mutability,
            "encryption": self._encryption(ctx, resource),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: EcrRepository) -> dict[str, Any] | None:
        ecr = ctx.clients("ecr")
        name = ctx.physical_name(resource)
        try:
            found = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        except Exception as exc:
            if error_code(exc) == "RepositoryNotFoundException":
                return None
            raise
        try:
            policy: dict[str, Any] | None = canonical_policy(
                load_policy(ecr.get_repository_policy(repositoryName=name)["policyText"])
            )
        except Exception as exc:
            if error_code(exc) != "RepositoryPolicyNotFoundException":
                raise
            policy = None
        try:
            lifecycle = _lifecycle(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        except Exception as exc:
            if error_code(exc) != "LifecyclePolicyNotFoundException":
                raise
            lifecycle = None
        encryption = dict(found.get("encryptionConfiguration") or {"encryptionType": "AES256"})
        if resource.kms_key is None:
            # Without a key of its own, KMS encryption uses the AWS managed key, which AWS names in its answer.
            encryption.pop("kmsKey", None)
        tags = ecr.list_tags_for_resource(resourceArn=found["repositoryArn"]).get("tags", [])
        return {
            "policy": policy,
            "lifecycle_policy": lifecycle,
            "scan_on_push": bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush")),
            "tag_mutability": found.get("imageTagMutability", "MUTABLE"),
            "encryption": encryption,
            "tags": tags_dict(tags),
        }

    def state(self, ctx: ProviderContext, resource: EcrRepository) -> ResourceState:
        name = ctx.physical_name(resource)
        uri = f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{name}"
        return ResourceState(str(resource.address), name, self.arn(ctx, resource), {"uri": uri})

    def create(self, ctx: ProviderContext, resource: EcrRepository) -> ResourceState:
        ecr = ctx.clients("ecr")
        kwargs: dict[str, Any] = {
            "repositoryName": ctx.physical_name(resource),
            "imageTagMutability": resource.tag_mutability,
            "imageScanningConfiguration": {"scanOnPush": resource.scan_on_push},
            "encryptionConfiguration": self._encryption(ctx, resource),
        }
        if resource.tags:
            kwargs["tags"] = tags_list(resource.tags)
        ecr.create_repository(**kwargs)
        self.update(ctx, resource, frozenset({"policy", "lifecycle_policy"}))
        return self.state(ctx, resource)

    def update(self, ctx: ProviderContext, resource: EcrRepository, changed: frozenset[str]) -> ResourceState:
        ecr = ctx.clients("ecr")
        name = ctx.physical_name(resource)
        if "encryption" in changed:
            # A repository's encryption is fixed at creation: CloudFormation and Terraform replace it.
            self.delete(ctx, resource)
            return self.create(ctx, resource)
        if "policy" in changed:
            if resource.policy:
                ecr.set_repository_policy(repositoryName=name, policyText=policy_json(ctx.resolve(resource.policy)))
            else:
                _ignore_missing(lambda: ecr.delete_repository_policy(repositoryName=name))
        if "lifecycle_policy" in changed:
            text = _lifecycle(ctx.resolve(resource.lifecycle_policy))
            if text:
                ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)
            else:
                _ignore_missing(lambda: ecr.delete_lifecycle_policy(repositoryName=name))
        if "scan_on_push" in changed:
            ecr.put_image_scanning_configuration(
                repositoryName=name, imageScanningConfiguration={"scanOnPush": resource.scan_on_push}
            )
        if "tag_mutability" in changed:
            ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability=resource.tag_mutability)
        if "tags" in changed:
            arn = self.arn(ctx, resource)
            current = tags_dict(ecr.list_tags_for_resource(resourceArn=arn).get("tags", []))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                ecr.untag_resource(resourceArn=arn, tagKeys=stale)
            if resource.tags:
                ecr.tag_resource(resourceArn=arn, tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: EcrRepository) -> None:
        self.delete_physical(ctx, ctx.physical_name(resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        names: list[str] = []
        for page in ctx.clients("ecr").get_paginator("describe_repositories").paginate():
            names.extend(r["repositoryName"] for r in page["repositories"] if r["repositoryName"].startswith(prefix))
        return names

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        # force: the images a scenario pushed go with the repository.
        _ignore_missing(lambda: ctx.clients("ecr").delete_repository(repositoryName=physical_id, force=True))


def _ignore_missing(call: Any) -> None:
    try:
        call()
    except Exception as exc:
        if error_code(exc) not in (
            "RepositoryNotFoundException",
            "RepositoryPolicyNotFoundException",
            "LifecyclePolicyNotFoundException",
        ):
            raise


HANDLER = EcrRepositoryHandler()


# -- how the source formats spell a repository -----------------------------------------------------------------

_MUTABILITY = ("MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION")


def _mutability(reader: Reader, value: Any, path: str) -> Any:
    base = str(value).removesuffix("_WITH_EXCLUSION")
    if base != value:
        reader.note(f"{path}: the tags excluded from {base} are not modelled; read as {base}")
    return base


SCHEMA = Schema(
    EcrRepository,
    fields=(
        Field("policy", cfn="RepositoryPolicyText", read="doc"),
        Field("lifecycle_policy", cfn="LifecyclePolicy.LifecyclePolicyText", read="doc"),
        Field(
            "scan_on_push",
            cfn="ImageScanningConfiguration.ScanOnPush",
            tf="image_scanning_configuration.scan_on_push",
            read="flag",
            default=False,
        ),
        Field(
            "tag_mutability",
            cfn="ImageTagMutability",
            tf="image_tag_mutability",
            default="MUTABLE",
            choices=_MUTABILITY,
            parse=_mutability,
        ),
        Field(
            "encryption",
            cfn="EncryptionConfiguration.EncryptionType",
            tf="encryption_configuration.encryption_type",
            default="AES256",
            choices=("AES256", "KMS", "KMS_DSSE"),
        ),
        Field(
            "kms_key",
            cfn="EncryptionConfiguration.KmsKey",
            tf="encryption_configuration.kms_key",
            read="ref",
            section="keys",
        ),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn(
        "AWS::ECR::Repository",
        ref="{name}",
        attributes={"Arn": "{arn}", "RepositoryUri": "${{account_id}}.dkr.ecr.{region}.amazonaws.com/{name}"},
        name="RepositoryName",
        # The registry of a lifecycle policy is the account's own; EmptyOnDelete only says what deleting does, and
        # the harness always empties what it deletes.
        ignore=("LifecyclePolicy.RegistryId", "EmptyOnDelete"),
    ),
    tf=Tf(
        "aws_ecr_repository",
        name="name",
        attributes={"arn": "arn", "id": "name", "name": "name", "repository_url": "uri"},
        ignore=("force_delete", "registry_id", "repository_url"),
    ),
)


def _repository_of(reader: Reader, props: Props, what: str) -> Any:
    return attached(reader, props.require("repository"), "ecr_repositories", props.at("repository"), what)


def _fold_tf_policy(reader: Reader, props: Props, origin: Origin) -> None:
    repository = _repository_of(reader, props, "a repository policy for")
    document = props.doc("policy", required=True)
    props.ignore("registry_id")
    if repository is not None:
        repository.kwargs["policy"] = document


def _fold_tf_lifecycle(reader: Reader, props: Props, origin: Origin) -> None:
    repository = _repository_of(reader, props, "a lifecycle policy for")
    document = props.doc("policy", required=True)
    props.ignore("registry_id")
    if repository is not None:
        repository.kwargs["lifecycle_policy"] = document


FOLDS = (
    Fold(_fold_tf_policy, tf="aws_ecr_repository_policy"),
    Fold(_fold_tf_lifecycle, tf="aws_ecr_lifecycle_policy"),
)
