"""Shared helpers for the input loader tests: build small templates and load them without linting."""

from __future__ import annotations

import textwrap
from typing import Any

from harness.inputs.cloudformation import parse_template_text
from harness.model.definition import Definition

ROLE = """
  BuildRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
"""


def cfn(resources: str, head: str = "", parameters: dict[str, str] | None = None, **kw: Any) -> Definition:
    """Load a YAML template made of ``head`` (Parameters, Conditions...) and a Resources block."""
    text = 'AWSTemplateFormatVersion: "2010-09-09"\n' + textwrap.dedent(head) + "Resources:\n" + resources
    kw.setdefault("lint_template", False)
    return parse_template_text(text, "t.yaml", parameters, **kw)


def only(definition: Definition, section: str) -> Any:
    """The one resource of a section."""
    found = [r for r in definition.resources if section == r.SECTION]
    assert len(found) == 1, found
    return found[0]


def named(definition: Definition, section: str, name: str) -> Any:
    """The resource ``section.name``."""
    found = definition.get(section, name)
    assert found is not None, [str(r.address) for r in definition.resources]
    return found
