"""The network golden cases deployed on moto: what the backend holds is the network the template or plan declares,
with the builds placed in it by the deployed ids, and destroy leaves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.backends import make_backend
from harness.backends.base import Backend
from harness.inputs.formats import load_any
from harness.provider.lifecycle import Provider
from tests.inputs.test_golden import FIXTURES, source_of

# (case, prod VPC, build subnet, build group, data group, private route table, endpoint, data subnet, data ACL)
CASES = [
    (
        "cfn-network-isolation",
        "prod-vpc",
        "prod-build-subnet",
        "prod-build-group",
        "prod-data-group",
        "prod-private-routes",
        "prod-s3-endpoint",
        "prod-data-subnet",
        "prod-data-acl",
    ),
    ("tf-network-isolation", "prod", "prod-build", "prod-build", "prod-data", "prod-private", "prod-s3", "prod-data",
     "prod-data"),
]  # fmt: skip


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    made = make_backend("moto")
    made.open()
    yield made
    made.close()


def test_the_cases_exist() -> None:
    assert all((FIXTURES / case[0] / "expected.yaml").exists() for case in CASES)


@pytest.mark.parametrize(("case", "vpc", "subnet", "build", "data", "table", "endpoint", "data_subnet", "acl"), CASES)
def test_network_deploys_as_declared_and_is_destroyed(
    backend: Backend,
    case: str,
    vpc: str,
    subnet: str,
    build: str,
    data: str,
    table: str,
    endpoint: str,
    data_subnet: str,
    acl: str,
) -> None:
    backend.reset()
    definition = load_any(source_of(case))
    provider = Provider(backend)
    try:
        provider.apply(definition)  # re-plans after apply: the plan must be empty
        ids = {address: state.physical_id for address, state in provider.state.items()}
        ec2 = backend.client("ec2")
        codebuild = backend.client("codebuild")
        project = codebuild.batch_get_projects(names=[ids["build_projects.prod-build"]])["projects"][0]
        assert project["vpcConfig"]["vpcId"] == ids[f"vpcs.{vpc}"]
        assert project["vpcConfig"]["subnets"] == [ids[f"subnets.{subnet}"]]
        assert project["vpcConfig"]["securityGroupIds"] == [ids[f"security_groups.{build}"]]
        group: dict[str, Any] = ec2.describe_security_groups(GroupIds=[ids[f"security_groups.{data}"]])[
            "SecurityGroups"
        ][0]
        admitted = [
            (p["FromPort"], pair["GroupId"]) for p in group["IpPermissions"] for pair in p.get("UserIdGroupPairs", [])
        ]
        assert admitted == [(5432, ids[f"security_groups.{build}"])]
        assert [p.get("IpRanges") for p in group["IpPermissions"]] == [[]]
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[ids[f"vpc_endpoints.{endpoint}"]])["VpcEndpoints"][0]
        assert found["RouteTableIds"] == [ids[f"route_tables.{table}"]]
        associations = ec2.describe_network_acls(NetworkAclIds=[ids[f"network_acls.{acl}"]])["NetworkAcls"][0]
        assert [a["SubnetId"] for a in associations["Associations"]] == [ids[f"subnets.{data_subnet}"]]
        # The development VPC is not peered with production.
        assert ec2.describe_vpc_peering_connections()["VpcPeeringConnections"] == []
    finally:
        failed = provider.destroy(definition)
    assert failed == []
    provider.check_destroy(definition)
