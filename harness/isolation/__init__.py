"""Isolation of production from other environments: environments, the network paths between them and the data
tier, and what non-production identities can do to production data.

Usable from plain pytest::

    deploy(deployment, load_fixture("reference"))
    expect_no_path(survey_data_tier_from_non_production(deployment))
    expect_endpoints_only(survey_production_egress(deployment))
    expect_all_denied(non_production_attempts(deployment))
"""

from __future__ import annotations

from harness.isolation.environments import (
    DATA_TIER,
    TIER_TAG,
    EnvironmentScope,
    non_production,
    production,
    resource_environments,
    scopes,
)
from harness.isolation.identity import (
    EndpointRead,
    ProductionData,
    expect_all_denied,
    expect_endpoint_reads_allowed,
    non_production_attempts,
    production_data,
    production_reads_from_outside,
    production_reads_through_endpoint,
)
from harness.isolation.network import (
    EgressSurvey,
    OpenedRule,
    Survey,
    build_source,
    data_tier,
    expect_data_tier_drift,
    expect_endpoints_only,
    expect_no_path,
    expect_reported_path,
    network_model,
    open_data_tier,
    survey_data_tier_exposure,
    survey_data_tier_from_non_production,
    survey_production_egress,
)

__all__ = [
    "DATA_TIER",
    "TIER_TAG",
    "EgressSurvey",
    "EndpointRead",
    "EnvironmentScope",
    "OpenedRule",
    "ProductionData",
    "Survey",
    "build_source",
    "data_tier",
    "expect_all_denied",
    "expect_data_tier_drift",
    "expect_endpoint_reads_allowed",
    "expect_endpoints_only",
    "expect_no_path",
    "expect_reported_path",
    "network_model",
    "non_production",
    "non_production_attempts",
    "open_data_tier",
    "production",
    "production_data",
    "production_reads_from_outside",
    "production_reads_through_endpoint",
    "resource_environments",
    "scopes",
    "survey_data_tier_exposure",
    "survey_data_tier_from_non_production",
    "survey_production_egress",
]
