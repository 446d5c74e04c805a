"""cfn-lint over a CloudFormation template, as advice: findings become notes; only a refused template stops.

cfn-lint reports much that CloudFormation accepts (a resource-level ``Description``, a shell ``${VAR}`` in an
inline buildspec, a deprecated Lambda runtime, a resource type of a third-party registry). Those are shown as
notes, in line order. A run stops only on the rules in ``FATAL_RULES``: what CloudFormation's own template
validation refuses before it creates anything, and what leaves the template unreadable. What pipewarden's loader
cannot read (an undeclared reference, a missing required property of a modelled type, a malformed condition) it
refuses itself, with its own message, so those rules stay advice here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.errors import InputError

__all__ = ["FATAL_RULES", "Finding", "check_ignores", "ignored", "lint", "refusal"]

FATAL_RULES: dict[str, str] = {
    "E0000": "the template cannot be parsed, so nothing in it can be read",
    "E1001": "the template's basic structure (sections, Resources present, AWSTemplateFormatVersion 2010-09-09) "
    "fails CloudFormation's template format validation",
    "E1003": "the template Description is longer than CloudFormation's limit of 1,024 characters",
    "E1004": "CloudFormation refuses a template Description that is not a string",
    "E2002": "CloudFormation refuses a parameter Type it does not know",
    "E2010": "the template declares more parameters than CloudFormation's limit",
    "E3004": "resources depend on each other in a cycle, which CloudFormation cannot order and refuses",
    "E3005": "DependsOn names a resource that is not declared or not created under the template's conditions; "
    "CloudFormation refuses the unresolved dependency",
    "E3007": "a parameter and a resource share a logical id, which CloudFormation refuses",
    "E3010": "the template declares more resources than CloudFormation's limit",
    "E3011": "a resource's logical id is longer than CloudFormation's limit of 255 characters",
    "E6002": "CloudFormation refuses an output without a Value",
    "E6010": "the template declares more outputs than CloudFormation's limit",
}
"""The cfn-lint rules whose findings stop a run, each with the reason.

Not among them, on purpose: E3001 (it mixes resource attributes CloudFormation refuses with a resource-level
``Description``, which it accepts), E2001 (its per-type lists of parameter properties are stricter than
CloudFormation; the loader refuses an unknown parameter property itself), E3006 (resource types of the
CloudFormation registry, public or private, are unknown to cfn-lint), E0001 (cfn-lint's local transform is an
approximation, and pipewarden does not expand transforms), E0002 and E0003 (cfn-lint's own failures), and every
rule about references, functions, conditions and properties, which the loader checks as far as it reads them.
"""

# A rule id, or a prefix of one: a severity letter and up to four digits (E, W30, E3001).
_RULE_PREFIX = re.compile(r"[EWI]\d{0,4}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One cfn-lint finding.

    Attributes:
        rule: the rule id (``E3001``); empty when cfn-lint itself could not run.
        line: the template line (0 when unknown).
        message: cfn-lint's message.
    """

    rule: str
    line: int
    message: str

    @property
    def fatal(self) -> bool:
        """Whether the finding stops a run (its rule is in ``FATAL_RULES``)."""
        return self.rule in FATAL_RULES

    @property
    def note(self) -> str:
        """The finding as a definition note: ``cfn-lint RULE line N: message``."""
        head = f"cfn-lint {self.rule}".rstrip()
        if self.line:
            head += f" line {self.line}"
        return f"{head}: {self.message}"


def check_ignores(values: Iterable[str], option: str = "--lint-ignore") -> tuple[str, ...]:
    """Validate rule ids or prefixes to ignore, as cfn-lint's ``--ignore-checks`` takes them.

    Args:
        values: the option's values (``E3001``, ``W``, ``E30``).
        option: the option's spelling, for messages.

    Returns:
        The values, in order.

    Raises:
        InputError: a value that is not a rule id or a prefix of one.
    """
    checked = []
    for value in values:
        if not _RULE_PREFIX.fullmatch(value):
            raise InputError(
                where=f"{option} {value!r}",
                expected="a cfn-lint rule id or a prefix of one (E3001, W, E30, I)",
                found=repr(value),
                fix="name the rule as cfn-lint prints it",
            )
        checked.append(value)
    return tuple(checked)


def ignored(rule: str, ignore: Sequence[str]) -> bool:
    """Whether a rule is ignored: its id starts with one of the ids or prefixes in ``ignore``."""
    return bool(rule) and any(rule.startswith(prefix) for prefix in ignore)


def lint(text: str, ignore: Sequence[str] = ()) -> tuple[Finding, ...]:
    """Run cfn-lint (every rule, informational ones included) over template text.

    Args:
        text: the template, YAML or JSON.
        ignore: rule ids or prefixes whose findings are left out.

    Returns:
        The findings, in line order.
    """
    from cfnlint.api import ManualArgs
    from cfnlint.api import lint as cfn_lint

    try:
        matches = cfn_lint(text, config=ManualArgs(regions=["us-east-1"], include_checks=["I"]))
    except Exception as exc:  # a linter crash must not hide the template; say it was not linted
        return (Finding("", 0, f"could not check the template ({type(exc).__name__})"),)
    findings = {
        Finding(str(match.rule.id), int(match.linenumber or 0), str(match.message))
        for match in matches
        if not ignored(str(match.rule.id), ignore)
    }
    return tuple(sorted(findings, key=lambda f: (f.line, f.rule, f.message)))


def refusal(filename: str, findings: Sequence[Finding]) -> InputError:
    """The error for fatal findings: the first one's line, each finding with its rule, line and reason.

    Args:
        filename: the template, for messages.
        findings: the fatal findings, in line order (at least one).
    """
    shown = findings[:10]
    listed = "; ".join(f"{f.note} ({FATAL_RULES.get(f.rule, 'refused')})" for f in shown)
    more = f" (and {len(findings) - len(shown)} more)" if len(findings) > len(shown) else ""
    first = findings[0].line
    return InputError(
        where=f"{filename}:{first}" if first else filename,
        expected="a template CloudFormation accepts",
        found=f"{len(findings)} finding(s) it refuses: {listed}{more}",
        fix="correct the template at those lines",
        file=filename,
        line=first or None,
    )
