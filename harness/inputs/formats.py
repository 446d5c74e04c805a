"""Input format detection: one entry point that turns any supported definition file into a Definition."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import InputError
from harness.inputs.parameters import CHECK_OPTIONS, ParameterOptions, gather
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


def load_any(
    path: str | Path,
    fmt: str = "auto",
    parameters: Mapping[str, str] | None = None,
    *,
    parameters_file: str | Path | None = None,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
    companions: Sequence[str | Path] = (),
    baselines: Sequence[str | Path] = (),
) -> Definition:
    """Load a definition in any supported format.

    Args:
        path: the file.
        fmt: one of ``FORMATS``; ``auto`` detects it.
        parameters: template parameter values by name (CloudFormation parameters; Terraform has none: its
            variables are already applied in a plan). They replace the values of ``parameters_file``.
        parameters_file: a CloudFormation parameters file, in the AWS CLI format or CodePipeline's template
            configuration (see ``harness.inputs.parameters``).
        lint_ignore: cfn-lint rule ids or prefixes whose findings are left out (CloudFormation only).
        options: how the interface in use takes parameters, named in messages.
        companions: CloudFormation templates loaded together with ``path`` (the companion stacks whose exports
            it imports and whose resources it uses); they must be templates too.
        baselines: definitions of the account's guard rails that live elsewhere (the trail, account-wide metric
            filters and alarms), in any format, each whole on its own; their resources join the definition's
            (see ``Definition.with_baseline``). Template parameters apply to ``path`` and its companions only.

    Returns:
        The definition; the notes of reading the parameters file come first among its notes.

    Raises:
        InputError: for an unknown format, invalid content, an unreadable parameters file, or parameters given for
            a definition that is not a CloudFormation template.
    """
    definition = _load_one(
        Path(path),
        fmt,
        parameters,
        parameters_file=parameters_file,
        lint_ignore=lint_ignore,
        options=options,
        companions=companions,
    )
    for baseline in baselines:
        definition = definition.with_baseline(_load_one(Path(baseline), "auto", lint_ignore=lint_ignore))
    return definition


def _load_one(
    path: Path,
    fmt: str,
    parameters: Mapping[str, str] | None = None,
    *,
    parameters_file: str | Path | None = None,
    lint_ignore: Sequence[str] = (),
    options: ParameterOptions = CHECK_OPTIONS,
    companions: Sequence[str | Path] = (),
) -> Definition:
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(
            where="--format", expected=f"one of {', '.join(FORMATS)}", found=repr(fmt), fix="choose a listed format"
        )
    if fmt == "auto":
        fmt = detect_format(path)
    for companion in companions:
        kind = detect_format(Path(companion))
        if fmt != "cloudformation" or kind != "cloudformation":
            raise InputError(
                where=str(companion),
                expected="companion templates only beside a CloudFormation template",
                found=f"a {kind} file beside a {fmt} definition",
                fix="give one definition, or CloudFormation templates only",
                file=str(companion),
            )
    if fmt == "cloudformation":
        from harness.inputs.cloudformation import load_templates

        given = gather(parameters_file, parameters)
        definition = load_templates([path, *companions], given.values, lint_ignore=lint_ignore, options=options)
        if given.notes:
            definition = dataclasses.replace(definition, notes=(*given.notes, *definition.notes))
        return definition
    if parameters or parameters_file is not None:
        count = f"{len(parameters)} parameter(s)" if parameters else f"the parameters file {parameters_file}"
        raise InputError(
            where=str(path),
            expected="parameters only for a CloudFormation template",
            found=f"{count} for a {fmt} definition",
            fix="drop the parameters (Terraform plans carry their variables already)",
            file=str(path),
        )
    if fmt == "terraform-plan":
        from harness.inputs.terraform_plan import load_plan

        return load_plan(path)
    from harness.inputs.harness_yaml import load_definition

    return load_definition(path)
