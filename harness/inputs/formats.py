"""Input format detection: one entry point that turns any supported definition file into a Definition."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harness.errors import InputError
from harness.model.definition import Definition

FORMATS = ("auto", "harness", "cloudformation", "terraform-plan")


def detect_format(path: Path) -> str:
    """Guess the format of a definition file from its content.

    Raises:
        InputError: when the file cannot be read or matches no known format.
    """
    try:
        head = path.read_text(encoding="utf-8")[:4096]
    except OSError as exc:
        raise InputError(
            where=str(path),
            expected="a readable definition file",
            found=exc.strerror or str(exc),
            fix="check the path",
            file=str(path),
        ) from None
    if "pipewarden:" in head:
        return "harness"
    if '"format_version"' in head and ('"planned_values"' in head or '"terraform_version"' in head):
        return "terraform-plan"
    if "AWSTemplateFormatVersion" in head or "Resources" in head:
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
        parameters: template parameter overrides (CloudFormation).

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
    if fmt == "harness":
        from harness.inputs.harness_yaml import load_definition

        return load_definition(path)
    raise InputError(
        where=str(path),
        expected="a format this version reads (harness)",
        found=fmt,
        fix="convert the definition to harness YAML",
        file=str(path),
    )
