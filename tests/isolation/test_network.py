"""The network side of isolation on moto: paths from non-production builds and other workloads to the production
data tier, production egress through endpoints only, and an opened rule reported as a path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import CheckFailed, Unverified
from harness.isolation import (
    OpenedRule,
    expect_data_tier_drift,
    expect_endpoints_only,
    expect_no_path,
    expect_reported_path,
    open_data_tier,
    survey_data_tier_exposure,
    survey_data_tier_from_non_production,
    survey_production_egress,
)
from harness.model.definition import Definition
from harness.network import Verdict
from harness.scenario import deploy
from tests.conftest import definition

ESTATE = """
vpcs:
  prod: {cidr: 10.10.0.0/16, environment: prod}
  dev: {cidr: 10.20.0.0/16, environment: dev}
subnets:
  prod-public: {vpc: prod, cidr: 10.10.0.0/24, route_table: prod-public}
  prod-build: {vpc: prod, cidr: 10.10.1.0/24, route_table: prod}
  prod-data: {vpc: prod, cidr: 10.10.20.0/24, route_table: prod, tags: {tier: data}}
  dev-build: {vpc: dev, cidr: 10.20.1.0/24, route_table: dev}
internet_gateways:
  prod: {vpc: prod}
route_tables:
  prod-public:
    vpc: prod
    routes: [{destination: 0.0.0.0/0, internet_gateway: prod}]
  prod: {vpc: prod, routes: [PROD_ROUTES]}
  dev: {vpc: dev, routes: [DEV_ROUTES]}
security_groups:
  prod-build: {vpc: prod}
  prod-data:
    vpc: prod
    ingress: [{protocol: tcp, port: 5432, DATA_PEER}]
    tags: {tier: data}
  dev-build: {vpc: dev}
vpc_endpoints:
  s3: {vpc: prod, service: s3, route_tables: [prod]}
roles:
  prod-build: {assumed_by: codebuild.amazonaws.com}
  dev-build: {assumed_by: codebuild.amazonaws.com}
build_projects:
  prod-build:
    service_role: prod-build
    vpc: {vpc: prod, subnets: [prod-build], security_groups: [prod-build]}
  dev-build:
    service_role: dev-build
    tags: {environment: dev}
    vpc: {vpc: dev, subnets: [dev-build], security_groups: [dev-build]}
"""

PEERING = """
vpc_peerings:
  link: {requester: dev, accepter: prod}
nat_gateways:
  prod: {subnet: prod-public}
"""


def estate(
    prod_routes: str = "", dev_routes: str = "", data_peer: str = "group: prod-build", extra: str = "", drop: str = ""
) -> Definition:
    text = ESTATE.replace("PROD_ROUTES", prod_routes).replace("DEV_ROUTES", dev_routes).replace("DATA_PEER", data_peer)
    return definition(text.replace(drop, "") + extra if drop else text + extra)


@pytest.fixture
def pw(backend: Backend) -> Iterator[Deployment]:
    deployment = Deployment(backend)
    with deployment.observed():
        yield deployment
        deployment.teardown()


def test_separate_vpcs_leave_no_path_from_the_dev_build_to_the_data_tier(pw: Deployment) -> None:
    deploy(pw, estate())

    survey = expect_no_path(survey_data_tier_from_non_production(pw))

    assert survey.answers and all(a.verdict is Verdict.BLOCKED for a in survey.answers)
    assert {a.source for a in survey.answers} == {"dev build 'dev-build'"}


def test_a_peering_and_an_open_group_are_reported_as_the_path(pw: Deployment) -> None:
    deploy(
        pw,
        estate(
            prod_routes="{destination: 10.20.0.0/16, peering: link}",
            dev_routes="{destination: 10.10.0.0/16, peering: link}",
            data_peer="cidr: 0.0.0.0/0",
            extra=PEERING,
        ),
    )

    with pytest.raises(CheckFailed) as failed:
        expect_no_path(survey_data_tier_from_non_production(pw))

    message = str(failed.value)
    assert message.startswith("non-production builds -> production data tier: expected no path, found 1 of ")
    assert "dev build 'dev-build' reaches security group" in message and "on tcp 5432" in message
    assert "vpc-peering-connection pcx-" in message and "(vpc_peerings.link)" in message
    assert message.endswith("(security_groups.prod-data): ingress tcp 5432 from 0.0.0.0/0")


def test_a_build_outside_any_vpc_is_unverified_not_passed(pw: Deployment) -> None:
    deploy(pw, estate(drop="    vpc: {vpc: dev, subnets: [dev-build], security_groups: [dev-build]}\n"))

    with pytest.raises(Unverified, match="dev build 'dev-build' runs outside any VPC"):
        survey_data_tier_from_non_production(pw)


def test_production_egress_through_the_s3_endpoint_only(pw: Deployment) -> None:
    deploy(pw, estate())

    survey = expect_endpoints_only(survey_production_egress(pw))

    assert [a.endpoint_ids for a in survey.services] == [survey.services[0].endpoint_ids]
    assert survey.services[0].endpoint_ids[0].startswith("vpce-")
    assert all(a.verdict is Verdict.BLOCKED for a in survey.internet)


def test_a_nat_route_to_the_internet_fails_with_the_path(pw: Deployment) -> None:
    deploy(pw, estate(prod_routes="{destination: 0.0.0.0/0, nat_gateway: prod}", extra=PEERING))

    with pytest.raises(CheckFailed) as failed:
        expect_endpoints_only(survey_production_egress(pw))

    message = str(failed.value)
    assert message.startswith("production builds: expected no path to the internet, found ")
    assert "prod build 'prod-build' reaches the internet" in message
    assert "nat-gateway nat-" in message and "internet-gateway igw-" in message


def test_a_production_build_without_endpoints_is_told_to_add_one(pw: Deployment) -> None:
    deploy(pw, estate(drop="vpc_endpoints:\n  s3: {vpc: prod, service: s3, route_tables: [prod]}\n"))

    with pytest.raises(CheckFailed, match="expected VPC endpoints for the AWS services it uses, found none"):
        survey_production_egress(pw)


def test_an_opened_data_tier_rule_is_reported_as_a_path(pw: Deployment) -> None:
    deploy(pw, estate())
    expect_no_path(survey_data_tier_exposure(pw))
    with pytest.raises(CheckFailed, match=r"expected drift on 'ingress', found action 'no-op'"):
        expect_data_tier_drift(pw)

    opened = open_data_tier(pw, "0.0.0.0/0", 5432)

    expect_data_tier_drift(pw)

    path = expect_reported_path(survey_data_tier_exposure(pw), opened)
    assert path.verdict is Verdict.REACHABLE and path.port == 5432
    assert path.explanation.startswith("a workload in subnet subnet-")
    with pytest.raises(CheckFailed, match="expected no path, found"):
        expect_no_path(survey_data_tier_exposure(pw))


def test_a_rule_the_analysis_does_not_see_used_is_not_reported(pw: Deployment) -> None:
    deploy(pw, estate())

    never_opened = (OpenedRule("sg-00000000000000000", "0.0.0.0/0", 5432),)

    with pytest.raises(CheckFailed, match=r"expected a path through the opened rule \(sg-00000000000000000"):
        expect_reported_path(survey_data_tier_exposure(pw), never_opened)


def test_the_build_is_placed_in_the_named_subnets_and_groups(backend: Backend, pw: Deployment) -> None:
    deploy(pw, estate())

    project = backend.client("codebuild").batch_get_projects(names=[f"{pw.prefix}prod-build"])["projects"][0]

    state = pw.provider.state
    assert project["vpcConfig"] == {
        "vpcId": state["vpcs.prod"].physical_id,
        "subnets": [state["subnets.prod-build"].physical_id],
        "securityGroupIds": [state["security_groups.prod-build"].physical_id],
    }
