"""Shared machinery of the template loaders: logical names, typed property access, references and assembly."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from harness.errors import InputError
from harness.model.base import INTERPOLATION, Resource
from harness.model.definition import Definition, SourceLocation, references_of
from harness.model.schema import UNVERIFIED, Draft, ErrorFn, Props, describe, ref_parts, shell_text

T = TypeVar("T")

__all__ = [
    "UNVERIFIED",
    "Assembly",
    "Draft",
    "ErrorFn",
    "NameAllocator",
    "Props",
    "describe",
    "ref_parts",
    "shell_text",
]

# Physical names are the run prefix (``pw-`` + 8 hex + ``-``, 12 characters) plus the logical name; S3 bucket
# names stop at 63 and IAM role names at 64 characters, so logical names stay well below both.
MAX_NAME = 48

# How to spell a resource's name or ARN without referring to it, for resources whose ARN follows from their
# physical name. Used to break reference cycles that the source format allows but the model's creation order
# cannot (a key policy naming a role whose inline policy names the key).
_SPELLED: dict[tuple[str, str], str] = {
    ("roles", "arn"): "arn:${{partition}}:iam::${{account_id}}:role{path}${{prefix}}{name}",
    ("policies", "arn"): "arn:${{partition}}:iam::${{account_id}}:policy/${{prefix}}{name}",
    ("buckets", "arn"): "arn:${{partition}}:s3:::${{prefix}}{name}",
    ("log_groups", "arn"): "arn:${{partition}}:logs:${{region}}:${{account_id}}:log-group:${{prefix}}{name}",
    ("build_projects", "arn"): "arn:${{partition}}:codebuild:${{region}}:${{account_id}}:project/${{prefix}}{name}",
    ("pipelines", "arn"): "arn:${{partition}}:codepipeline:${{region}}:${{account_id}}:${{prefix}}{name}",
    ("topics", "arn"): "arn:${{partition}}:sns:${{region}}:${{account_id}}:${{prefix}}{name}",
    ("keys", "alias"): "alias/${{prefix}}{name}",
    ("trails", "arn"): "arn:${{partition}}:cloudtrail:${{region}}:${{account_id}}:trail/${{prefix}}{name}",
    ("alarms", "arn"): "arn:${{partition}}:cloudwatch:${{region}}:${{account_id}}:alarm:${{prefix}}{name}",
    ("repositories", "arn"): "arn:${{partition}}:codecommit:${{region}}:${{account_id}}:${{prefix}}{name}",
    ("users", "arn"): "arn:${{partition}}:iam::${{account_id}}:user{path}${{prefix}}{name}",
    ("groups", "arn"): "arn:${{partition}}:iam::${{account_id}}:group{path}${{prefix}}{name}",
    ("instance_profiles", "arn"): "arn:${{partition}}:iam::${{account_id}}:instance-profile{path}${{prefix}}{name}",
    ("saml_providers", "arn"): "arn:${{partition}}:iam::${{account_id}}:saml-provider/${{prefix}}{name}",
}


class NameAllocator:
    """Derives unique, valid logical names from template identifiers (CloudFormation ids, Terraform addresses)."""

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}

    def allocate(self, section: str, raw: str) -> str:
        """A name for ``raw`` in ``section``: letters, digits, '-' and '_', lower case for buckets, unique.

        Physical names of IAM and S3 are case-insensitive or lower case, so uniqueness ignores case.
        """
        text = re.sub(r"[^A-Za-z0-9_-]+", "-", raw)
        if section == "buckets":
            text = text.lower().replace("_", "-")
        text = re.sub(r"([-_])[-_]+", r"\1", text).strip("-_") or "resource"
        if len(text) > MAX_NAME:
            digest = hashlib.sha1(raw.encode()).hexdigest()[:6]
            text = text[: MAX_NAME - 7].rstrip("-_") + "-" + digest
        taken = self._taken.setdefault(section, set())
        candidate, counter = text, 2
        while candidate.lower() in taken:
            suffix = f"-{counter}"
            candidate = text[: MAX_NAME - len(suffix)].rstrip("-_") + suffix
            counter += 1
        taken.add(candidate.lower())
        return candidate


class Assembly:
    """Collects drafts and notes of one loader run and turns them into a Definition."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.drafts: list[Draft] = []
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        """Record a finding that is not an error, once."""
        if text not in self.notes:
            self.notes.append(text)

    def where(self, origin: str, line: int | None) -> str:
        return f"{self.filename}:{line} ({origin})" if line else f"{self.filename} ({origin})"

    def make(self, cls: Callable[..., T], origin: str, line: int | None, **kwargs: Any) -> T:
        """Build a model value, turning its validation error into an InputError at ``origin``."""
        try:
            return cls(**kwargs)
        except ValueError as exc:
            expected, found, fix = split_reason(str(exc))
            raise InputError(
                where=self.where(origin, line),
                expected=expected,
                found=found,
                fix=fix,
                file=self.filename,
                line=line,
                field=origin,
            ) from None

    def reference(self, value: Any, section: str, origin: str, *, arn_ok: bool = True) -> str | None:
        """The value of a reference field: a logical name in ``section``, a literal ARN, or None (noted).

        Args:
            value: the evaluated source value (``${roles.build.arn}``, an ARN, an external name).
            section: the section the field refers to.
            origin: where the value came from, for the note.
            arn_ok: whether the field's handler accepts a literal ARN.
        """
        if value is None or value == "":
            return None
        parts = ref_parts(value)
        if parts is not None and parts[0] == section:
            return parts[1]
        if isinstance(value, str) and arn_ok and value.startswith("arn:"):
            literal = value.replace("${partition}", "aws")
            if "${" not in literal:
                return literal
        self.note(f"{origin}: refers to {describe(value)}, which is outside the definition; {UNVERIFIED}")
        return None

    def definition(self, name: str) -> Definition:
        """Build every draft, break reference cycles the model cannot order, and validate the whole.

        Raises:
            InputError: a value the model rejects, or a reference to nothing.
        """
        resources = [self.make(d.cls, d.origin, d.line, name=d.name, **d.kwargs) for d in self.drafts]
        resources = break_cycles([spell_self(r) for r in resources])
        locations = {d.address: SourceLocation(self.filename, d.line) for d in self.drafts if d.line is not None}
        return Definition(
            name=name,
            resources=tuple(resources),
            source=self.filename,
            locations=locations,
            notes=tuple(self.notes),
        )


def split_reason(reason: str) -> tuple[str, str, str]:
    """Split a model validation message ``expected, found X; fix`` into its three parts."""
    head, _, fix = reason.partition("; ")
    expected, sep, found = head.rpartition(", found ")
    if not sep:
        expected, found = head, "a value that does not satisfy it"
    return expected, found, fix or "correct the value"


# -- reference cycles ---------------------------------------------------------------------------------------


def _rewrite(value: Any, func: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return func(value)
    if isinstance(value, Mapping):
        return {_rewrite(k, func): _rewrite(v, func) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_rewrite(v, func) for v in value)
    if isinstance(value, list):
        return [_rewrite(v, func) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _rewrite(getattr(value, f.name), func) for f in dataclasses.fields(value) if f.name != "name"
        }
        return dataclasses.replace(value, **changes)
    return value


def _deps(resource: Resource) -> set[str]:
    return {f"{section}.{name}" for section, name, _f in references_of(resource)} - {str(resource.address)}


def _find_cycle(resources: Sequence[Resource]) -> list[str]:
    by_address = {str(r.address): r for r in resources}
    marks: dict[str, str] = {}

    def visit(address: str, trail: list[str]) -> list[str]:
        if marks.get(address) == "done" or address not in by_address:
            return []
        if marks.get(address) == "visiting":
            return [*trail[trail.index(address) :], address]
        marks[address] = "visiting"
        for dep in sorted(_deps(by_address[address])):
            found = visit(dep, [*trail, address])
            if found:
                return found
        marks[address] = "done"
        return []

    for resource in resources:
        cycle = visit(str(resource.address), [])
        if cycle:
            return cycle
    return []


def _speller(target: Resource) -> Callable[[str], str]:
    """Rewrites interpolations of ``target`` as spelled names and ARNs where the ARN follows from the name."""
    path = getattr(target, "path", "/")

    def one(match: re.Match[str]) -> str:
        section, name, attribute = match.groups()
        if (section, name) != (target.SECTION, target.name):
            return match.group(0)
        if attribute == "name":
            return "${prefix}" + name
        template = _SPELLED.get((section, attribute))
        return template.format(path=path, name=name) if template else match.group(0)

    return lambda text: INTERPOLATION.sub(one, text)


def spell_self(resource: Resource) -> Resource:
    """Spell out a resource's references to itself (a topic policy naming its topic).

    A handler resolves a resource's interpolations before the resource exists, so a policy that names its
    own resource is written with the name and ARN the resource will have.
    """
    return _rewrite(resource, _speller(resource))  # type: ignore[no-any-return]


def break_cycles(resources: list[Resource]) -> list[Resource]:
    """Spell out names and ARNs that close a reference cycle, where the ARN follows from the name.

    CloudFormation and Terraform order a role, its separately attached policy and a key policy naming the
    role; once the policy is folded into the role, the role and the key refer to each other. Spelling the
    role's ARN in the key policy (``arn:${partition}:iam::${account_id}:role/${prefix}build``) keeps the
    same meaning without the reference. Cycles that cannot be broken this way are left for the provider to
    report.
    """
    resources = list(resources)
    by_address = {str(r.address): r for r in resources}
    for _attempt in range(len(resources) * len(resources) + 1):
        cycle = _find_cycle(resources)
        if not cycle:
            break
        for src, dst in itertools.pairwise(cycle):
            source, target = by_address[src], by_address[dst]
            rewritten = _rewrite(source, _speller(target))
            if dst not in _deps(rewritten):
                index = resources.index(source)
                resources[index] = rewritten
                by_address[src] = rewritten
                break
        else:
            break
    return resources
