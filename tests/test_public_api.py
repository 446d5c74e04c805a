"""The top-level API: every exported name resolves, and ``import harness`` stays light."""

from __future__ import annotations

import subprocess
import sys

import harness


def test_every_exported_name_resolves_to_the_object_of_its_module() -> None:
    assert sorted(harness.__all__) == sorted(harness._EXPORTS)
    for name in harness.__all__:
        module = sys.modules.get(harness._EXPORTS[name]) or __import__(harness._EXPORTS[name], fromlist=[name])
        assert getattr(harness, name) is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        harness.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_harness_does_not_import_the_engines() -> None:
    code = "import sys, harness; print(sorted(m for m in sys.modules if m.startswith(('harness.', 'moto', 'boto3'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
