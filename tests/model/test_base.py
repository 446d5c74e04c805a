"""Resource names, addresses and the string walkers that find interpolations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.model.base import Address, Resource, interpolations, iter_strings
from harness.provider.resources.log_group import LogGroup


@pytest.mark.parametrize("name", ["a", "build", "Build_2", "x-y", "9lives", "a" * 63])
def test_valid_names(name: str) -> None:
    assert LogGroup(name=name).name == name


@pytest.mark.parametrize("name", ["", "-lead", "_lead", "has space", "dot.ted", "a" * 64, "ünï", "a/b"])
def test_invalid_names_say_what_is_allowed(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        LogGroup(name=name)

    assert str(caught.value) == (
        f"a name of letters, digits, '-' or '_' (at most 63), found {name!r}; rename the resource"
    )


def test_address() -> None:
    group = LogGroup(name="build")

    assert group.address == Address("log_groups", "build")
    assert str(group.address) == "log_groups.build"
    assert Resource.ATTRIBUTES == ("name", "arn")


@dataclass(frozen=True)
class _Inner:
    text: str
    number: int = 3


def test_iter_strings_walks_mappings_sequences_and_dataclasses() -> None:
    value = {"k": ["a", ("b", 1, None)], "n": _Inner("c"), 2: {"d": "e"}}

    assert list(iter_strings(value)) == ["k", "a", "b", "n", "c", "d", "e"]


def test_interpolations_yield_only_resource_references() -> None:
    text = "${keys.k.arn} ${region} ${buckets.my-bucket.name}/x ${not valid} $plain {roles.r.arn}"

    assert list(interpolations({"a": [text]})) == [("keys", "k", "arn"), ("buckets", "my-bucket", "name")]
