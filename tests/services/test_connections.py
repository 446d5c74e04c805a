"""The connection API pipewarden serves: both service names reach one store, through ordinary clients, authorized
by IAM enforcement when it observes the backend, and emptied when the backend is reset."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.enforce import Enforcer
from harness.errors import Unverified
from harness.services import AVAILABLE, ConnectionsModel, OwnedServices
from tests.enforce.conftest import RoleMaker


@pytest.fixture
def services(backend: Backend) -> OwnedServices:
    return OwnedServices.of(backend)


def allow(action: str, resource: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_connection_is_created_available_and_read_back_through_either_name(
    backend: Backend, services: OwnedServices
) -> None:
    old = backend.client("codestar-connections")
    new = backend.client("codeconnections")
    made = old.create_connection(ConnectionName="gh", ProviderType="GitHub", Tags=[{"Key": "team", "Value": "ci"}])
    arn = made["ConnectionArn"]
    assert arn.startswith("arn:aws:codestar-connections:us-east-1:123456789012:connection/")
    lab = new.create_connection(ConnectionName="lab", ProviderType="GitLab")["ConnectionArn"]
    assert lab.startswith("arn:aws:codeconnections:")
    connection = new.get_connection(ConnectionArn=arn)["Connection"]
    assert (connection["ConnectionName"], connection["ProviderType"], connection["ConnectionStatus"]) == (
        "gh",
        "GitHub",
        AVAILABLE,
    )
    assert connection["OwnerAccountId"] == "123456789012"
    assert sorted(c["ConnectionName"] for c in old.list_connections()["Connections"]) == ["gh", "lab"]
    assert [c["ConnectionName"] for c in old.list_connections(ProviderTypeFilter="GitLab")["Connections"]] == ["lab"]
    assert old.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert services.model(ConnectionsModel).connection(lab).service == "codeconnections"  # type: ignore[union-attr]
    assert ("codeconnections", "CreateConnection") in services.served


def test_tags_change_and_a_deleted_connection_is_gone(backend: Backend, services: OwnedServices) -> None:
    client = backend.client("codestar-connections")
    arn = client.create_connection(ConnectionName="gh", ProviderType="GitHub")["ConnectionArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    client.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as missing:
        client.get_connection(ConnectionArn=arn)
    assert code(missing) == "ResourceNotFoundException"
    assert client.list_connections()["Connections"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ConnectionName": "x" * 33, "ProviderType": "GitHub"}, "1 to 32 characters long, found 33"),
        ({"ConnectionName": "gh"}, "Either ProviderType or HostArn must be specified"),
    ],
)
def test_the_service_refuses_what_aws_refuses(
    backend: Backend, services: OwnedServices, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        backend.client("codestar-connections").create_connection(**params)
    assert code(refused) == "ValidationException"
    assert message in str(refused.value)


def test_an_operation_not_modelled_is_unverified(backend: Backend, services: OwnedServices) -> None:
    with pytest.raises(Unverified, match="codestar-connections:ListHosts is not modelled"):
        backend.client("codestar-connections").list_hosts()


def test_resetting_the_backend_forgets_the_connections(backend: Backend, services: OwnedServices) -> None:
    backend.client("codestar-connections").create_connection(ConnectionName="gh", ProviderType="GitHub")
    backend.reset()
    assert backend.client("codestar-connections").list_connections()["Connections"] == []


def test_a_role_session_is_authorized_by_enforcement_with_the_prefix_of_the_connection(
    backend: Backend, services: OwnedServices, enforcer: Enforcer, role_session: RoleMaker
) -> None:
    arn = backend.client("codeconnections").create_connection(ConnectionName="gh", ProviderType="GitHub")[
        "ConnectionArn"
    ]
    old_prefix = role_session("old", allow("codestar-connections:*", "*"))
    new_prefix = role_session("new", allow("codeconnections:Get*", arn))
    with pytest.raises(ClientError) as denied:
        backend.client("codeconnections", old_prefix).get_connection(ConnectionArn=arn)
    assert code(denied) == "AccessDeniedException"
    assert "is not authorized to perform: codeconnections:GetConnection on resource: " + arn in str(denied.value)
    found = backend.client("codeconnections", new_prefix).get_connection(ConnectionArn=arn)["Connection"]
    assert found["ConnectionArn"] == arn
    calls = [(d.service, d.operation, d.allowed) for d in enforcer.decisions if d.accesses]
    assert calls[-2:] == [("codeconnections", "GetConnection", False), ("codeconnections", "GetConnection", True)]
