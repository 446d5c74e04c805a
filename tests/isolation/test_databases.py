"""RDS in the data tier: a production database's security groups and subnet group are where the isolation surveys
look for paths from other environments, with no tag needed; a database placed nowhere is unverified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import CheckFailed, Unverified
from harness.isolation import expect_no_path, scopes, survey_data_tier_from_non_production
from harness.model.definition import Definition
from harness.network import Verdict
from harness.scenario import deploy
from tests.conftest import definition

# Production and development VPCs joined by a peering, routes both ways: only the database's group can stop a
# development build from reaching it.
ESTATE = """
vpcs:
  prod: {cidr: 10.10.0.0/16, environment: prod}
  dev: {cidr: 10.20.0.0/16, environment: dev}
subnets:
  prod-build: {vpc: prod, cidr: 10.10.1.0/24, route_table: prod}
  prod-db-a: {vpc: prod, cidr: 10.10.20.0/24, route_table: prod, availability_zone: us-east-1a}
  prod-db-b: {vpc: prod, cidr: 10.10.21.0/24, route_table: prod, availability_zone: us-east-1b}
  dev-build: {vpc: dev, cidr: 10.20.1.0/24, route_table: dev}
vpc_peerings:
  link: {requester: dev, accepter: prod}
route_tables:
  prod: {vpc: prod, routes: [{destination: 10.20.0.0/16, peering: link}]}
  dev: {vpc: dev, routes: [{destination: 10.10.0.0/16, peering: link}]}
security_groups:
  prod-build: {vpc: prod}
  orders-db:
    vpc: prod
    ingress: [{protocol: tcp, port: 5432, PEER}]
  dev-build: {vpc: dev}
roles:
  dev-build: {assumed_by: codebuild.amazonaws.com}
build_projects:
  dev-build:
    service_role: dev-build
    vpc: {vpc: dev, subnets: [dev-build], security_groups: [dev-build]}
db_subnet_groups:
  orders: {subnets: [prod-db-a, prod-db-b]}
databases:
  orders:
    engine: postgres
    subnet_group: orders
    security_groups: [orders-db]
"""


def estate(peer: str) -> Definition:
    return definition(ESTATE.replace("PEER", peer))


@pytest.fixture
def pw(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        yield deployment
        deployment.teardown()


def test_a_database_is_data_tier_of_its_vpcs_environment_without_a_tag() -> None:
    found = scopes(estate("group: prod-build"))

    prod = found["prod"]
    assert (prod.databases, prod.data_groups, prod.data_subnets) == (
        ("orders",),
        ("orders-db",),
        ("prod-db-a", "prod-db-b"),
    )
    assert found["dev"].databases == ()


def test_a_group_open_to_the_dev_build_cidr_on_5432_is_a_path(pw: Deployment) -> None:
    deploy(pw, estate("cidr: 10.20.0.0/16"))

    with pytest.raises(CheckFailed) as failed:
        expect_no_path(survey_data_tier_from_non_production(pw))

    message = str(failed.value)
    assert "dev build 'dev-build' reaches security group" in message and "on tcp 5432" in message
    assert message.endswith("(security_groups.orders-db): ingress tcp 5432 from 10.20.0.0/16")


def test_a_group_open_only_to_production_builds_leaves_no_path(pw: Deployment) -> None:
    deploy(pw, estate("group: prod-build"))

    survey = expect_no_path(survey_data_tier_from_non_production(pw))

    assert survey.answers and {a.verdict for a in survey.answers} == {Verdict.BLOCKED}
    orders_db = pw.provider.state["security_groups.orders-db"].physical_id
    assert {a.destination for a in survey.answers} == {f"security group {orders_db}"}


def test_a_cluster_places_its_members_and_a_database_in_no_subnet_group_is_unverified(pw: Deployment) -> None:
    text = ESTATE.replace("PEER", "group: prod-build").replace(
        """databases:
  orders:
    engine: postgres
    subnet_group: orders
    security_groups: [orders-db]
""",
        """db_clusters:
  orders: {engine: aurora-postgresql, subnet_group: orders, security_groups: [orders-db], tags: {environment: prod}}
databases:
  orders-1: {engine: aurora-postgresql, instance_class: db.r6g.large, cluster: orders}
  reports: {engine: mysql, tags: {environment: prod}}
""",
    )
    d = definition(text)
    prod = scopes(d)["prod"]
    assert (prod.db_clusters, prod.databases, prod.unplaced) == (
        ("orders",),
        ("orders-1", "reports"),
        ("databases.reports",),
    )
    assert prod.data_groups == ("orders-db",)
    deploy(pw, d)

    with pytest.raises(Unverified) as undecided:
        expect_no_path(survey_data_tier_from_non_production(pw))

    assert "databases.reports is in no subnet group of the definition (AWS places it in the default VPC)" in str(
        undecided.value
    )
