"""The network model validates where it is built and resolves default associations as AWS does."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from harness.errors import InputError
from harness.network import (
    NaclEntry,
    NetworkAcl,
    Route,
    RouteTargetKind,
    SecurityGroupRule,
    Source,
    Subnet,
    normalize_protocol,
)
from tests.network.builders import estate, net, peer


def test_subnet_without_explicit_acl_uses_the_default_acl() -> None:
    model = estate()
    assert model.network_acl_for("subnet-prod-db") == model.network_acl["acl-prod"]
    custom = NetworkAcl("acl-db", "vpc-prod", (), ("subnet-prod-db",))
    model = replace(model, network_acls=(*model.network_acls, custom))
    assert model.network_acl_for("subnet-prod-db") == custom
    assert model.network_acl_for("subnet-prod-build") == model.network_acl["acl-prod"]


def test_duplicate_ids_are_refused() -> None:
    model = estate()
    with pytest.raises(InputError) as err:
        replace(model, subnets=(*model.subnets, model.subnets[0]))
    assert "duplicate" in err.value.found


def test_dangling_references_are_refused() -> None:
    with pytest.raises(InputError) as err:
        replace(estate(), subnets=(Subnet("subnet-x", "vpc-missing", net("10.9.0.0/24")),), network_interfaces=())
    assert err.value.where == "subnet subnet-x"


def test_rule_shapes_are_validated() -> None:
    with pytest.raises(InputError):
        Route(RouteTargetKind.LOCAL, "local")
    with pytest.raises(InputError):
        NaclEntry(100, False, True, "tcp")
    with pytest.raises(InputError):
        SecurityGroupRule(False, "carrier-pigeon", 1, 1, peer("0.0.0.0/0"))


@pytest.mark.parametrize(
    ("given", "number"), [("tcp", "6"), ("UDP", "17"), (1, "1"), ("-1", "-1"), ("all", "-1"), ("50", "50")]
)
def test_protocols_normalise_to_iana_numbers(given: str | int, number: str) -> None:
    assert normalize_protocol(given) == number


def test_rule_text_reads_like_the_console() -> None:
    rule = SecurityGroupRule(False, "tcp", 5432, 5432, peer("sg-app"))
    assert str(rule) == "ingress tcp 5432 from sg-app"
    entry = NaclEntry(32767, True, False, "-1", ipaddress.IPv4Network("0.0.0.0/0"))
    assert str(entry) == "rule * denies all traffic to 0.0.0.0/0"


def test_source_from_codebuild_and_lambda_vpc_config() -> None:
    build = Source.from_vpc_config("app", {"vpcId": "vpc-1", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]})
    assert (build.vpc_id, build.subnet_ids, build.security_group_ids) == ("vpc-1", ("subnet-1",), ("sg-1",))
    fn = Source.from_vpc_config("fn", {"VpcId": "vpc-1", "SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})
    assert fn.subnet_ids == ("subnet-1",)
    with pytest.raises(InputError) as err:
        Source.from_vpc_config("app", {})
    assert "vpcConfig" in err.value.where
    with pytest.raises(InputError):
        Source("x", "vpc-1", ("subnet-1", "subnet-2"), ("sg-1",), address="10.0.0.5")
