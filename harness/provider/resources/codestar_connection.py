"""CodeStar / CodeConnections connection: how a pipeline reaches GitHub, Bitbucket or GitLab, and its handler.

The emulators have no connection service; the handler reaches pipewarden's model of it (:mod:`harness.services`)
through the ordinary connection API, so plan, drift and destroy read connections back like any other resource.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from harness.model.base import Resource, Tags
from harness.model.schema import Cfn, Draft, Field, Props, Reader, Schema, StandIn, StandInRequest, Tf
from harness.provider.base import Handler, ProviderContext, ResourceState, error_code, tags_dict, tags_list
from harness.services.connections import PROVIDER_TYPES

ConnectionService = Literal["codestar-connections", "codeconnections"]

# Connection names stop at 32 characters; the run prefix takes 12 of them.
_MAX_NAME = 32


@dataclass(frozen=True, slots=True)
class SourceConnection(Resource):
    """A connection to a source provider, used by pipeline source actions of provider CodeStarSourceConnection.

    ``service`` is the API that creates it, and so the prefix of its ARN and of the IAM actions on it
    (``codestar-connections:UseConnection`` or ``codeconnections:UseConnection``). A connection to a self-managed
    provider names its host (``host_arn``) instead of a provider type.
    """

    SECTION: ClassVar[str] = "connections"
    KIND: ClassVar[str] = "connection"

    provider_type: str = ""
    host_arn: str = ""
    service: ConnectionService = "codestar-connections"
    tags: Tags = field(default_factory=dict)

    def __post_init__(self) -> None:
        Resource.__post_init__(self)
        if not self.provider_type and not self.host_arn:
            raise ValueError(
                f"a provider_type ({', '.join(PROVIDER_TYPES)}) or a host_arn, found neither; name the provider the "
                "connection reaches"
            )
        if self.provider_type and self.provider_type not in PROVIDER_TYPES:
            raise ValueError(
                f"a provider_type among {', '.join(PROVIDER_TYPES)}, found {self.provider_type!r}; use one of them"
            )
        if self.service not in ("codestar-connections", "codeconnections"):
            raise ValueError(
                f"service codestar-connections or codeconnections, found {self.service!r}; use one of them"
            )


def connection_name(ctx: ProviderContext, resource: SourceConnection) -> str:
    """The connection's physical name: the run prefix and its name, shortened with a digest to fit 32 characters."""
    name = ctx.physical_name(resource)
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:6]
    room = _MAX_NAME - len(ctx.prefix) - len(digest) - 1
    return f"{ctx.prefix}{resource.name[:room].rstrip('-_')}-{digest}"


class ConnectionHandler(Handler[SourceConnection]):
    resource_type = SourceConnection
    sweep_order = 45  # after the pipelines that use it

    @staticmethod
    def _client(ctx: ProviderContext, resource: SourceConnection | None = None) -> Any:
        return ctx.clients(resource.service if resource is not None else "codestar-connections")

    def _find(self, ctx: ProviderContext, name: str) -> dict[str, Any] | None:
        # One store answers both service names, so either lists every connection.
        connections = ctx.clients("codestar-connections").list_connections().get("Connections", [])
        return next((dict(c) for c in connections if c["ConnectionName"] == name), None)

    def desired(self, ctx: ProviderContext, resource: SourceConnection) -> dict[str, Any]:
        return {
            "provider_type": resource.provider_type,
            "host_arn": str(ctx.resolve(resource.host_arn)),
            "service": resource.service,
            "tags": dict(resource.tags),
        }

    def read(self, ctx: ProviderContext, resource: SourceConnection) -> dict[str, Any] | None:
        found = self._find(ctx, connection_name(ctx, resource))
        if found is None:
            return None
        arn = str(found["ConnectionArn"])
        service = arn.split(":")[2]
        tags = ctx.clients(service).list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        return {
            "provider_type": found.get("ProviderType", ""),
            "host_arn": found.get("HostArn", ""),
            "service": service,
            "tags": tags_dict(tags),
        }

    def create(self, ctx: ProviderContext, resource: SourceConnection) -> ResourceState:
        name = connection_name(ctx, resource)
        kwargs: dict[str, Any] = {"ConnectionName": name}
        if resource.provider_type:
            kwargs["ProviderType"] = resource.provider_type
        if resource.host_arn:
            kwargs["HostArn"] = str(ctx.resolve(resource.host_arn))
        if resource.tags:
            kwargs["Tags"] = tags_list(resource.tags)
        arn = self._client(ctx, resource).create_connection(**kwargs)["ConnectionArn"]
        return ResourceState(str(resource.address), name, str(arn))

    def state(self, ctx: ProviderContext, resource: SourceConnection) -> ResourceState:
        name = connection_name(ctx, resource)
        found = self._find(ctx, name)
        return ResourceState(str(resource.address), name, str(found["ConnectionArn"]) if found else "")

    def update(self, ctx: ProviderContext, resource: SourceConnection, changed: frozenset[str]) -> ResourceState:
        if changed - {"tags"}:
            # A connection's provider, host and service are fixed when it is made: it is made again.
            self.delete(ctx, resource)
            return self.create(ctx, resource)
        current = self.state(ctx, resource)
        client = ctx.clients(current.arn.split(":")[2])
        tags = tags_dict(client.list_tags_for_resource(ResourceArn=current.arn).get("Tags", []))
        stale = [k for k in tags if k not in resource.tags]
        if stale:
            client.untag_resource(ResourceArn=current.arn, TagKeys=stale)
        if resource.tags:
            client.tag_resource(ResourceArn=current.arn, Tags=tags_list(resource.tags))
        return current

    def delete(self, ctx: ProviderContext, resource: SourceConnection) -> None:
        self.delete_physical(ctx, connection_name(ctx, resource))

    def list_by_prefix(self, ctx: ProviderContext, prefix: str) -> list[str]:
        connections = ctx.clients("codestar-connections").list_connections().get("Connections", [])
        return sorted(c["ConnectionName"] for c in connections if c["ConnectionName"].startswith(prefix))

    def delete_physical(self, ctx: ProviderContext, physical_id: str) -> None:
        found = self._find(ctx, physical_id)
        if found is None:
            return
        arn = str(found["ConnectionArn"])
        try:
            ctx.clients(arn.split(":")[2]).delete_connection(ConnectionArn=arn)
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise


HANDLER = ConnectionHandler()


# -- how the source formats spell a connection -----------------------------------------------------------------


def _handshake(reader: Reader, draft: Draft, props: Props) -> None:
    reader.note(
        f"{draft.origin}: created AVAILABLE; in AWS a connection stays PENDING until its handshake with the "
        "provider is completed in the console"
    )


def _schema(cfn_type: str, tf_type: str, service: ConnectionService) -> Schema:
    return Schema(
        SourceConnection,
        fields=(
            Field("provider_type", cfn="ProviderType", tf="provider_type", choices=PROVIDER_TYPES),
            Field("host_arn", cfn="HostArn", tf="host_arn"),
            Field("service", default=service),
            Field("tags", cfn="Tags", tf="tags", read="tags"),
        ),
        # Ref of a connection is its ARN.
        cfn=Cfn(
            cfn_type,
            ref="{arn}",
            attributes={"ConnectionArn": "{arn}", "ConnectionStatus": None, "OwnerAccountId": "${{account_id}}"},
            name="ConnectionName",
            finish=_handshake,
        ),
        tf=Tf(
            tf_type,
            name="name",
            attributes={"arn": "arn", "id": "arn", "name": "name"},
            ignore=("connection_status", "owner_account_id"),
            finish=_handshake,
        ),
    )


SCHEMAS = (
    _schema("AWS::CodeStarConnections::Connection", "aws_codestarconnections_connection", "codestar-connections"),
    _schema("AWS::CodeConnections::Connection", "aws_codeconnections_connection", "codeconnections"),
)


def _stand_in_fields(request: StandInRequest) -> dict[str, Any]:
    # The ARN says which API made the connection; the provider it reaches is not in it (GitHub taken, unknown).
    service = "codeconnections" if ":codeconnections:" in request.identifier else "codestar-connections"
    return {"provider_type": "GitHub", "service": service}


# A connection created once per account and passed to the pipeline stack by ARN (the usual case).
STAND_IN = StandIn(
    SourceConnection,
    fields=_stand_in_fields,
    deployed="an available connection (its provider taken as GitHub)",
    unknown=("provider_type", "host_arn"),
)
