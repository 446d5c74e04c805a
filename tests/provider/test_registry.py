"""The registry of resource types: a Terraform type spelled for some values only needs a spelling for the rest,
and the spelling that applies is chosen by the planned values."""

from __future__ import annotations

import pytest

from harness.provider.registry import Registry
from harness.provider.resources.secrets import Secret
from harness.provider.resources.ssm_parameter import Parameter


def test_an_ssm_parameter_is_a_secret_only_when_it_is_a_secure_string() -> None:
    registry = Registry.discover()
    assert [
        registry.tf_schema("aws_ssm_parameter", {"type": kind}).cls  # type: ignore[union-attr]
        for kind in ("SecureString", "String", "StringList")
    ] == [Secret, Parameter, Parameter]
    assert registry.tf_schema("aws_ssm_parameter").cls is Parameter  # type: ignore[union-attr]
    assert registry.tf_types().count("aws_ssm_parameter") == 1


def test_a_spelling_for_some_values_needs_one_for_the_others() -> None:
    registry = Registry.discover()
    secure = next(s for s in registry.schemas if s.tf is not None and s.tf.when is not None)
    with pytest.raises(ValueError, match="aws_ssm_parameter has spellings for some values only, and none for the"):
        Registry(registry.handlers, (secure,))
