"""Input format detection: one entry point that turns any supported definition file into a Definition."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from harness.errors import InputError
from harness.inputs.text import read_text
from harness.model.definition import Definition

FORMATS = ("auto", "harness", "cloudformation", "terraform-plan")
_PLAN_KEYS = ("planned_values", "resource_changes", "terraform_version", "configuration")


def detect_format(path: Path) -> str:
    """Guess the format of a definition file from its content.

    A JSON object with ``format_version`` and plan keys is a Terraform plan; a document with a top-level
    ``pipewarden`` key is harness YAML; one with ``Resources`` or ``AWSTemplateFormatVersion`` is a
    CloudFormation template.

    Raises:
        InputError: when the file cannot be read or matches no known format.
    """
    text = read_text(path, "a definition file")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if "format_version" in data and any(k in data for k in _PLAN_KEYS):
                return "terraform-plan"
            if "Resources" in data or "AWSTemplateFormatVersion" in data:
                return "cloudformation"
            if "pipewarden" in data:
                return "harness"
        elif '"format_version"' in text[:4096]:
            return "terraform-plan"
        elif '"Resources"' in text or '"AWSTemplateFormatVersion"' in text:
            return "cloudformation"
    if re.search(r"^pipewarden\s*:", text, re.MULTILINE):
        return "harness"
    if re.search(r"^[\"']?(AWSTemplateFormatVersion|Resources)[\"']?\s*:", text, re.MULTILINE):
        return "cloudformation"
    raise InputError(
        where=str(path),
        expected="a harness YAML definition, a CloudFormation template or a Terraform plan JSON",
        found="none of them",
        fix="pass --format explicitly or check the file",
        file=str(path),
    )


def load_any(path: str | Path, fmt: str = "auto", parameters: Mapping[str, str] | None = None) -> Definition:
    """Load a definition in any supported format.

    Args:
        path: the file.
        fmt: one of ``FORMATS``; ``auto`` detects it.
        parameters: template parameter overrides (CloudFormation parameters, Terraform has none: its
            variables are already applied in a plan).

    Returns:
        The definition.

    Raises:
        InputError: for an unknown format or invalid content.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(
            where="--format", expected=f"one of {', '.join(FORMATS)}", found=repr(fmt), fix="choose a listed format"
        )
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "cloudformation":
        from harness.inputs.cloudformation import load_template

        return load_template(path, parameters)
    if parameters:
        raise InputError(
            where=str(path),
            expected="parameters only for a CloudFormation template",
            found=f"{len(parameters)} parameter(s) for a {fmt} definition",
            fix="drop the parameters (Terraform plans carry their variables already)",
            file=str(path),
        )
    if fmt == "terraform-plan":
        from harness.inputs.terraform_plan import load_plan

        return load_plan(path)
    from harness.inputs.harness_yaml import load_definition

    return load_definition(path)
