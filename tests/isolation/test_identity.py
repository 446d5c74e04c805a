"""The identity side of isolation on the reference and insecure pipelines: real calls by non-production roles
against production data, the bucket's endpoint restriction, and the network keys a read through the endpoint
carries. One deployment per pipeline for the whole module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.acceptance import Deployment
from harness.backends import Backend, egress_guard
from harness.errors import CheckFailed
from harness.isolation import (
    expect_all_denied,
    expect_endpoint_reads_allowed,
    non_production_attempts,
    production_data,
    production_reads_from_outside,
    production_reads_through_endpoint,
)
from harness.scenario import deploy, load_fixture


@pytest.fixture(scope="module", params=["reference", "insecure"])
def deployed(request: pytest.FixtureRequest, moto_backend: Backend) -> Iterator[Deployment]:
    moto_backend.reset()
    with egress_guard().active():
        deployment = Deployment(moto_backend)
        with deployment.observed():
            deploy(deployment, load_fixture(request.param))
            yield deployment
            deployment.teardown()


def _is(deployment: Deployment, name: str) -> bool:
    return deployment.require_definition().name == name


def test_non_production_roles_are_denied_production_data_on_reference_only(deployed: Deployment) -> None:
    outcomes = non_production_attempts(deployed)

    assert [(o.service, o.operation) for o in outcomes] == [("s3", "GetObject"), ("s3", "CopyObject"),
                                                              ("kms", "Decrypt")]  # fmt: skip
    assert {o.actor for o in outcomes} == {"dev role 'dev-build'"}
    if _is(deployed, "reference"):
        expect_all_denied(outcomes)
        assert [o.error_code for o in outcomes] == ["AccessDenied", "AccessDenied", "AccessDeniedException"]
        return
    with pytest.raises(CheckFailed) as failed:
        expect_all_denied(outcomes)
    message = str(failed.value)
    assert message.startswith("3 of 3 attempts on production data were not denied: pipeline 'insecure': dev role ")
    assert "statement 'AllData' in " in message and "(roles.dev-build) allows it" in message
    assert "kms:Decrypt" in message


def test_the_probe_record_exists_so_a_denial_is_not_a_missing_key(deployed: Deployment) -> None:
    assert production_data(deployed).seeded


def test_the_copy_is_judged_on_reading_production(deployed: Deployment) -> None:
    copy = next(o for o in non_production_attempts(deployed) if o.operation == "CopyObject")

    focused = copy.focused
    assert focused is not None and focused.access.action == "s3:GetObject"
    assert f"{deployed.prefix}prod-data" in focused.access.resource
    assert copy.denied is _is(deployed, "reference")


def test_reads_from_outside_the_endpoint_are_denied_by_the_bucket_policy(deployed: Deployment) -> None:
    outcomes = production_reads_from_outside(deployed)

    if _is(deployed, "insecure"):
        with pytest.raises(CheckFailed, match=r"deny reads that do not come through the production VPC endpoint"):
            expect_all_denied(outcomes)
        return
    expect_all_denied(outcomes)
    decision = outcomes[0].focused
    assert decision is not None
    assert [m.statement for m in decision.decision.matched] == ["DenyOutsideProductionEndpoint"]


def test_a_read_through_the_endpoint_carries_its_id_and_is_allowed(deployed: Deployment) -> None:
    reads = expect_endpoint_reads_allowed(production_reads_through_endpoint(deployed))

    (read,) = reads
    assert read.endpoint_id.startswith("vpce-") and read.vpc_id.startswith("vpc-")
    context = read.decision.request.context
    # Condition keys are case-insensitive; the engine keeps them in lower case.
    assert context["aws:sourcevpce"] == read.endpoint_id and context["aws:sourcevpc"] == read.vpc_id
