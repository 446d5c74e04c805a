"""Interval sets: the arithmetic the port and address questions rest on."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.network import IntervalSet

spans = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30)).map(lambda t: (t[0], t[0] + t[1])), max_size=6)


def members(s: IntervalSet) -> set[int]:
    return {v for lo, hi in s for v in range(lo, hi + 1)}


@given(spans, spans)
def test_set_operations_agree_with_python_sets(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    x, y = IntervalSet.of(a), IntervalSet.of(b)
    assert members(x.union(y)) == members(x) | members(y)
    assert members(x.intersection(y)) == members(x) & members(y)
    assert members(x.difference(y)) == members(x) - members(y)
    assert x.covers(y) == (members(y) <= members(x))
    assert x.size == len(members(x))


@given(spans, st.lists(spans, max_size=4))
def test_cut_gives_atoms_on_which_every_boundary_is_constant(
    a: list[tuple[int, int]], bounds: list[list[tuple[int, int]]]
) -> None:
    whole = IntervalSet.of(a)
    boundaries = [IntervalSet.of(b) for b in bounds]
    atoms = whole.cut(boundaries)
    assert set().union(*(members(t) for t in atoms)) == members(whole) if atoms else not whole
    for atom in atoms:
        for b in boundaries:
            inside = {v in b for v in members(atom)}
            assert len(inside) == 1


def test_of_merges_overlapping_and_adjacent_spans() -> None:
    assert IntervalSet.of([(5, 9), (1, 3), (4, 4), (20, 30), (25, 26)]).spans == ((1, 9), (20, 30))


def test_constructor_rejects_unsorted_spans() -> None:
    with pytest.raises(ValueError):
        IntervalSet(((5, 9), (1, 3)))


def test_rendering_addresses_and_ports() -> None:
    nets = IntervalSet.networks([ipaddress.IPv4Network("10.0.0.0/24"), ipaddress.IPv4Network("10.0.1.5/32")])
    assert nets.describe_ipv4() == "10.0.0.0/24, 10.0.1.5"
    assert (
        IntervalSet.span(
            int(ipaddress.IPv4Address("10.0.1.4")), int(ipaddress.IPv4Address("10.0.1.254"))
        ).describe_ipv4()
        == "10.0.1.4-10.0.1.254"
    )
    assert IntervalSet.of([(22, 22), (1024, 65535)]).describe_ports() == "22, 1024-65535"
