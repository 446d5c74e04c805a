"""Security Hub: the emulator enables and disables the hub; pipewarden's record keeps its settings, standards and
tags, and refuses enabling it twice as AWS does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.backends import Backend
from harness.services import OwnedServices, default_standards

HUB = "arn:aws:securityhub:us-east-1:123456789012:hub/default"
PCI = "arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1"


@pytest.fixture
def services(backend: Backend) -> OwnedServices:
    return OwnedServices.of(backend)


def test_settings_standards_and_tags_read_back_as_set(backend: Backend, services: OwnedServices) -> None:
    hub = backend.client("securityhub")
    hub.enable_security_hub(ControlFindingGenerator="STANDARD_CONTROL", Tags={"team": "sec"})
    described = hub.describe_hub()
    assert (described["HubArn"], described["ControlFindingGenerator"], described["AutoEnableControls"]) == (
        HUB,
        "STANDARD_CONTROL",
        True,
    )
    enabled = sorted(s["StandardsArn"] for s in hub.get_enabled_standards()["StandardsSubscriptions"])
    assert enabled == sorted(default_standards("us-east-1"))
    hub.update_security_hub_configuration(AutoEnableControls=False)
    added = hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": PCI}])
    subscription = added["StandardsSubscriptions"][0]["StandardsSubscriptionArn"]
    assert subscription == "arn:aws:securityhub:us-east-1:123456789012:subscription/pci-dss/v/3.2.1"
    hub.tag_resource(ResourceArn=HUB, Tags={"owner": "me"})
    hub.untag_resource(ResourceArn=HUB, TagKeys=["team"])
    assert hub.describe_hub()["AutoEnableControls"] is False
    assert hub.list_tags_for_resource(ResourceArn=HUB)["Tags"] == {"owner": "me"}
    hub.batch_disable_standards(StandardsSubscriptionArns=[subscription])
    assert PCI not in [s["StandardsArn"] for s in hub.get_enabled_standards()["StandardsSubscriptions"]]


def test_without_default_standards_none_is_enabled(backend: Backend, services: OwnedServices) -> None:
    hub = backend.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    assert hub.get_enabled_standards()["StandardsSubscriptions"] == []


def test_a_hub_is_enabled_once_and_gone_when_disabled(backend: Backend, services: OwnedServices) -> None:
    hub = backend.client("securityhub")
    hub.enable_security_hub()
    with pytest.raises(ClientError) as twice:
        hub.enable_security_hub()
    assert twice.value.response["Error"]["Code"] == "ResourceConflictException"
    hub.disable_security_hub()
    for call in (hub.describe_hub, hub.get_enabled_standards):
        with pytest.raises(ClientError) as gone:
            call()
        assert gone.value.response["Error"]["Code"] == "InvalidAccessException"
