"""A read through a VPC endpoint carries the endpoint's id: the bucket policy naming that endpoint allows it, one
naming another endpoint refuses it."""

from __future__ import annotations

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend
from harness.errors import CheckFailed
from harness.isolation import expect_endpoint_reads_allowed, production_reads_through_endpoint
from harness.scenario import deploy
from tests.conftest import definition

ENDPOINT_ONLY = """
vpcs:
  prod: {cidr: 10.10.0.0/16, environment: prod}
subnets:
  build: {vpc: prod, cidr: 10.10.1.0/24, route_table: build}
route_tables:
  build: {vpc: prod}
security_groups:
  build: {vpc: prod}
vpc_endpoints:
  s3: {vpc: prod, service: s3, route_tables: [build]}
roles:
  build:
    assumed_by: codebuild.amazonaws.com
    policies:
      data:
        Version: "2012-10-17"
        Statement: [{Sid: Data, Effect: Allow, Action: "s3:GetObject", Resource: "*"}]
buckets:
  data:
    tags: {environment: prod, tier: data}
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: OnlyThroughTheEndpoint
          Effect: Deny
          Principal: "*"
          Action: "s3:GetObject"
          Resource: "${buckets.data.arn}/*"
          Condition: {StringNotEquals: {"aws:SourceVpce": ALLOWED}}
build_projects:
  build:
    service_role: build
    vpc: {vpc: prod, subnets: [build], security_groups: [build]}
"""


@pytest.mark.parametrize("allowed", ['"${vpc_endpoints.s3.id}"', "vpce-0123456789abcdef0"], ids=["own", "other"])
def test_the_endpoint_a_read_goes_through_decides_it(backend: Backend, allowed: str) -> None:
    deployment = Deployment(backend)
    with deployment.observed():
        deploy(deployment, definition(ENDPOINT_ONLY.replace("ALLOWED", allowed)))
        reads = production_reads_through_endpoint(deployment)
        if allowed.startswith('"$'):
            expect_endpoint_reads_allowed(reads)
        else:
            with pytest.raises(CheckFailed, match=r"build 'build' through vpce-\w+: ExplicitDeny"):
                expect_endpoint_reads_allowed(reads)
        deployment.teardown()
