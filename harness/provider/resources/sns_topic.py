"""SNS topic: the resource type (access policy, KMS key, tags) and its handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from harness.model.base import JsonDoc, RefTo, Resource, Tags
from harness.model.policy_doc import canonical_policy, load_policy, policy_json
from harness.model.schema import Cfn, Field, Fold, Origin, Props, Reader, Schema, StandIn, Tf, attached
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list


@dataclass(frozen=True, slots=True)
class Topic(Resource):
    """An SNS topic for alarm and approval notifications."""

    SECTION: ClassVar[str] = "topics"
    KIND: ClassVar[str] = "SNS topic"

    policy: JsonDoc | None = None
    kms_key: Annotated[str, RefTo("keys")] | None = None
    tags: Tags = field(default_factory=dict)


class TopicHandler(Handler[Topic]):
    resource_type = Topic
    sweep_order = 30

    def arn(self, ctx: ProviderContext, resource: Topic) -> str:
        return f"arn:{ctx.partition}:sns:{ctx.region}:{ctx.account_id}:{ctx.physical_name(resource)}"

    def _key(self, ctx: ProviderContext, resource: Topic) -> str | None:
        if resource.kms_key is None:
            return None
        return resource.kms_key if resource.kms_key.startswith("arn:") else ctx.state_of("keys", resource.kms_key).arn

    def desired(self, ctx: ProviderContext, resource: Topic) -> dict[str, Any]:
        return {
            "policy": canonical_policy(ctx.resolve(resource.policy)) if resource.policy else None,
            "kms_key": self._key(ctx, resource),
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: Topic) -> dict[str, Any] | None:
        sns = ctx.clients("sns")
        arn = self.arn(ctx, resource)
        try:
            attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        except Exception as exc:
            if error_code(exc) in ("NotFound", "NotFoundException"):
                return None
            raise
        policy = canonical_policy(load_policy(attrs["Policy"])) if attrs.get("Policy") else None
        # SNS gives every topic a default policy; only a policy set through the definition is compared.
        if resource.policy is None and policy is not None and _is_default_policy(policy):
            policy = None
        return {
            "policy": policy,
            "kms_key": attrs.get("KmsMasterKeyId") or None,
            "tags": tags_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])),
        }

    def create(self, ctx: ProviderContext, resource: Topic) -> ResourceState:
        sns = ctx.clients("sns")
        attributes: dict[str, str] = {}
        if resource.policy:
            attributes["Policy"] = policy_json(ctx.resolve(resource.policy))
        key = self._key(ctx, resource)
        if key:
            attributes["KmsMasterKeyId"] = key
        kwargs: dict[str, Any] = {"Name": ctx.physical_name(resource), "Attributes": attributes}
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = sns.create_topic(**kwargs)["TopicArn"]
        return ResourceState(str(resource.address), ctx.physical_name(resource), arn)

    def update(self, ctx: ProviderContext, resource: Topic, changed: frozenset[str]) -> ResourceState:
        sns = ctx.clients("sns")
        arn = self.arn(ctx, resource)
        if "policy" in changed and resource.policy:
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=policy_json(ctx.resolve(resource.policy))
            )
        if "kms_key" in changed:
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=self._key(ctx, resource) or ""
            )
        if "tags" in changed:
            current = tags_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", []))
            stale = [k for k in current if k not in resource.tags]
            if stale:
                sns.untag_resource(ResourceArn=arn, TagKeys=stale)
            if resource.tags:
                sns.tag_resource(ResourceArn=arn, Tags=tags_list(resource.tags))
        return self.state(ctx, resource)

    def delete(self, ctx: ProviderContext, resource: Topic) -> None:
        self.delete_physical(ctx, self.arn(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        sns = ctx.clients("sns")
        arns: list[str] = []
        for page in sns.get_paginator("list_topics").paginate():
            arns.extend(t["TopicArn"] for t in page["Topics"] if t["TopicArn"].split(":")[-1].startswith(prefix))
        return arns

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        ctx.clients("sns").delete_topic(TopicArn=physical_id)


def _is_default_policy(policy: dict[str, Any]) -> bool:
    statements = policy.get("Statement", [])
    return bool(statements) and all(s.get("Sid") == "__default_statement_ID" for s in statements)


HANDLER = TopicHandler()


# -- how the source formats spell a topic ----------------------------------------------------------------------

SCHEMA = Schema(
    Topic,
    fields=(
        Field("kms_key", cfn="KmsMasterKeyId", tf="kms_master_key_id", read="ref", section="keys"),
        Field("policy", tf="policy", read="doc"),
        Field("tags", cfn="Tags", tf="tags", read="tags"),
    ),
    cfn=Cfn("AWS::SNS::Topic", ref="{arn}", attributes={"TopicArn": "{arn}", "TopicName": "{name}"}, name="TopicName"),
    tf=Tf(
        "aws_sns_topic",
        name="name",
        attributes={"arn": "arn", "id": "arn", "name": "name"},
        quiet={"fifo_topic": False, "content_based_deduplication": False},
        ignore=("signature_version", "tracing_config", "beginning_archive_time", "owner"),
    ),
)


def _fold_cfn_policy(reader: Reader, props: Props, origin: Origin) -> None:
    document = props.doc("PolicyDocument", required=True)
    for index, topic in enumerate(props.seq("Topics")):
        target = attached(reader, topic, "topics", f"{props.at('Topics')}[{index}]", "a policy for")
        if target is not None:
            target.kwargs["policy"] = document


def _fold_tf_policy(reader: Reader, props: Props, origin: Origin) -> None:
    topic = attached(reader, props.require("arn"), "topics", props.at("arn"), "a topic policy for")
    document = props.doc("policy", required=True)
    if topic is not None:
        topic.kwargs["policy"] = document


FOLDS = (Fold(_fold_cfn_policy, cfn="AWS::SNS::TopicPolicy"), Fold(_fold_tf_policy, tf="aws_sns_topic_policy"))


STAND_IN = StandIn(Topic, fields=lambda request: {}, deployed="a topic", settable=("policy", "kms_key"))
