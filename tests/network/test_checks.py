"""Checks over reachability answers fail on the wrong answer and refuse to pass an undecided one."""

from __future__ import annotations

import pytest

from harness.errors import CheckFailed, Unverified
from harness.network import (
    Address,
    SecurityGroupTarget,
    Source,
    can_reach,
    expect_all_blocked,
    expect_blocked,
    expect_reachable,
)
from tests.network.builders import estate

DEV = Source("dev-app", "vpc-dev", ("subnet-dev-app",), ("sg-dev-build",))
PROD = Source("prod-build", "vpc-prod", ("subnet-prod-build",), ("sg-prod-build",))


def test_expect_blocked() -> None:
    model = estate()
    expect_blocked(can_reach(model, DEV, SecurityGroupTarget("sg-db"), "tcp", 5432))
    with pytest.raises(CheckFailed, match="expected no path, found one: prod-build reaches"):
        expect_blocked(can_reach(model, PROD, SecurityGroupTarget("sg-db"), "tcp", 5432))
    with pytest.raises(Unverified, match="no network interface"):
        expect_blocked(can_reach(model, PROD, Address("10.1.2.99"), "tcp", 5432))


def test_expect_reachable() -> None:
    model = estate()
    result = expect_reachable(can_reach(model, PROD, SecurityGroupTarget("sg-db"), "tcp", 5432))
    assert result.hops
    with pytest.raises(CheckFailed) as err:
        expect_reachable(can_reach(model, DEV, SecurityGroupTarget("sg-db"), "tcp", 5432))
    assert err.value.fields["blocked_by"].component_id == "sg-db"


def test_expect_all_blocked_lists_every_path() -> None:
    model = estate()
    answers = [can_reach(model, s, SecurityGroupTarget("sg-db"), "tcp", 5432) for s in (DEV, PROD)]
    with pytest.raises(CheckFailed, match="found 1 of 2"):
        expect_all_blocked(answers)
    assert len(expect_all_blocked(answers[:1])) == 1


def test_any_port_isolation_reads_in_one_line() -> None:
    from harness.network import SubnetTarget, reachable_protocols

    model = estate()
    answers = [a for p in reachable_protocols(model, DEV, SubnetTarget("subnet-prod-db")) for a in p.samples]
    assert expect_all_blocked(answers)
    prod_answers = [a for p in reachable_protocols(model, PROD, SubnetTarget("subnet-prod-db")) for a in p.samples]
    with pytest.raises(CheckFailed, match="tcp 5432"):
        expect_all_blocked(prod_answers)
