"""CodeStar and CodeConnections connections: how pipelines reach GitHub, Bitbucket and GitLab.

The emulators have no connections service at all, so pipewarden keeps the connections of a backend itself and
answers the connection API (``codestar-connections`` and its newer name ``codeconnections``) from them. Both
names reach one store, as in AWS; the ARN of a connection carries the name of the service that created it, and
IAM requires the action prefix to match it (``codeconnections:UseConnection`` on an ``arn:aws:codeconnections:...``
connection).

A connection made through the API starts PENDING in AWS, until someone completes the handshake with the provider
in the console. Nobody can do that here, so a connection is AVAILABLE at once; the loaders say so in their notes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name

from harness.backends.base import CallEvent, Identity
from harness.errors import Unverified
from harness.services.errors import ServiceError

SERVICES = ("codestar-connections", "codeconnections")
"""The boto3 names of the connection API, old and new."""

PROVIDER_TYPES = ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged")

AVAILABLE = "AVAILABLE"


@dataclass(slots=True)
class Connection:
    """One connection: its ARN, name, provider, status and tags."""

    arn: str
    name: str
    provider_type: str
    owner_account_id: str
    host_arn: str = ""
    status: str = AVAILABLE
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        """The service prefix of its ARN (``codestar-connections`` or ``codeconnections``)."""
        return self.arn.split(":")[2]

    def describe(self) -> dict[str, Any]:
        """The ``Connection`` shape of GetConnection and ListConnections."""
        out: dict[str, Any] = {
            "ConnectionName": self.name,
            "ConnectionArn": self.arn,
            "ProviderType": self.provider_type,
            "OwnerAccountId": self.owner_account_id,
            "ConnectionStatus": self.status,
        }
        if self.host_arn:
            out["HostArn"] = self.host_arn
        return out


def _tags(pairs: Any) -> dict[str, str]:
    return {str(p["Key"]): str(p.get("Value", "")) for p in pairs or ()}


class ConnectionsModel:
    """The connections of one account and region, and the connection API over them.

    Args:
        account_id: the backend's account.
        region: the backend's region.
        partition: the ARN partition.
    """

    OPERATIONS = frozenset(
        {
            "CreateConnection",
            "GetConnection",
            "ListConnections",
            "DeleteConnection",
            "TagResource",
            "UntagResource",
            "ListTagsForResource",
        }
    )

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self.account_id = account_id
        self.region = region
        self.partition = partition
        self.connections: dict[str, Connection] = {}

    # -- the service-model contract ----------------------------------------------------------------------------
    def serves(self, service: str, operation: str, params: Mapping[str, Any]) -> bool:
        """Every call of the connection API: the emulators implement none of it."""
        return service in SERVICES

    def observe(self, event: CallEvent) -> None:
        """Nothing the backend serves concerns connections."""

    def call(self, caller: Identity, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one call of the connection API.

        Raises:
            ServiceError: the service's refusal (ResourceNotFoundException, ValidationException).
            Unverified: for an operation pipewarden does not model (hosts, installations, sync configurations).
        """
        if operation not in self.OPERATIONS:
            raise Unverified(
                f"{service}:{operation} is not modelled by pipewarden's connections and the emulators do not "
                "implement it, so its outcome cannot be verified"
            )
        handler = getattr(self, f"_{xform_name(operation)}")
        answer: dict[str, Any] = handler(service, params)
        return answer

    # -- lookups -------------------------------------------------------------------------------------------------
    def connection(self, arn: str) -> Connection | None:
        """The connection with this ARN, if it exists."""
        return self.connections.get(arn)

    def _existing(self, arn: Any) -> Connection:
        found = self.connections.get(str(arn))
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"Connection {arn} does not exist")
        return found

    # -- operations ----------------------------------------------------------------------------------------------
    def _create_connection(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = str(params.get("ConnectionName", ""))
        provider = str(params.get("ProviderType", ""))
        host = str(params.get("HostArn", ""))
        if not 1 <= len(name) <= 32:
            raise ServiceError(
                "ValidationException", f"ConnectionName must be 1 to 32 characters long, found {len(name)}"
            )
        if not provider and not host:
            raise ServiceError("ValidationException", "Either ProviderType or HostArn must be specified")
        if provider and provider not in PROVIDER_TYPES:
            raise ServiceError("ValidationException", f"ProviderType must be one of {', '.join(PROVIDER_TYPES)}")
        arn = f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:connection/{uuid.uuid4()}"
        tags = _tags(params.get("Tags"))
        self.connections[arn] = Connection(arn, name, provider, self.account_id, host, AVAILABLE, tags)
        answer: dict[str, Any] = {"ConnectionArn": arn}
        if tags:
            answer["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        return answer

    def _get_connection(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Connection": self._existing(params.get("ConnectionArn")).describe()}

    def _list_connections(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        provider = params.get("ProviderTypeFilter")
        host = params.get("HostArnFilter")
        found = [
            c.describe()
            for c in self.connections.values()
            if (provider is None or c.provider_type == provider) and (host is None or c.host_arn == host)
        ]
        return {"Connections": found}

    def _delete_connection(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self._existing(params.get("ConnectionArn"))
        del self.connections[str(params["ConnectionArn"])]
        return {}

    def _tag_resource(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self._existing(params.get("ResourceArn")).tags.update(_tags(params.get("Tags")))
        return {}

    def _untag_resource(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        connection = self._existing(params.get("ResourceArn"))
        for key in params.get("TagKeys") or ():
            connection.tags.pop(str(key), None)
        return {}

    def _list_tags_for_resource(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        tags = self._existing(params.get("ResourceArn")).tags
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


__all__ = ["AVAILABLE", "PROVIDER_TYPES", "SERVICES", "Connection", "ConnectionsModel"]
