"""Shared machinery of the template loaders: logical names, typed property access, references and assembly."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.errors import InputError
from harness.model.arns import arn_pattern
from harness.model.base import INTERPOLATION, Resource
from harness.model.definition import Definition, SourceLocation, Unknown, references_of
from harness.model.schema import (
    UNVERIFIED,
    Draft,
    ErrorFn,
    Props,
    Reader,
    StandIn,
    StandInRequest,
    describe,
    identifier_name,
    ref_parts,
    shell_text,
)
from harness.provider.registry import Registry

T = TypeVar("T")

__all__ = [
    "DEPLOY_VALUES",
    "UNVERIFIED",
    "Assembly",
    "Draft",
    "ErrorFn",
    "NameAllocator",
    "Props",
    "describe",
    "physical_placeholder",
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
    ("roles", "arn"): "arn:${{partition}}:iam::${{account_id}}:role{path}{physical}",
    ("policies", "arn"): "arn:${{partition}}:iam::${{account_id}}:policy/{physical}",
    ("buckets", "arn"): "arn:${{partition}}:s3:::{physical}",
    ("log_groups", "arn"): "arn:${{partition}}:logs:${{region}}:${{account_id}}:log-group:{physical}",
    ("build_projects", "arn"): "arn:${{partition}}:codebuild:${{region}}:${{account_id}}:project/{physical}",
    ("pipelines", "arn"): "arn:${{partition}}:codepipeline:${{region}}:${{account_id}}:{physical}",
    ("topics", "arn"): "arn:${{partition}}:sns:${{region}}:${{account_id}}:{physical}",
    ("keys", "alias"): "alias/{physical}",
    ("trails", "arn"): "arn:${{partition}}:cloudtrail:${{region}}:${{account_id}}:trail/{physical}",
    ("alarms", "arn"): "arn:${{partition}}:cloudwatch:${{region}}:${{account_id}}:alarm:{physical}",
    ("repositories", "arn"): "arn:${{partition}}:codecommit:${{region}}:${{account_id}}:{physical}",
    ("ecr_repositories", "arn"): "arn:${{partition}}:ecr:${{region}}:${{account_id}}:repository/{physical}",
    ("functions", "arn"): "arn:${{partition}}:lambda:${{region}}:${{account_id}}:function:{physical}",
    ("event_rules", "arn"): "arn:${{partition}}:events:${{region}}:${{account_id}}:rule/{physical}",
    ("users", "arn"): "arn:${{partition}}:iam::${{account_id}}:user{path}{physical}",
    ("groups", "arn"): "arn:${{partition}}:iam::${{account_id}}:group{path}{physical}",
    ("instance_profiles", "arn"): "arn:${{partition}}:iam::${{account_id}}:instance-profile{path}{physical}",
    ("saml_providers", "arn"): "arn:${{partition}}:iam::${{account_id}}:saml-provider/{physical}",
}


# Sections whose physical names AWS accepts in lower case only (S3 buckets, ECR repositories).
_LOWER_CASE = frozenset({"buckets", "ecr_repositories"})


class NameAllocator:
    """Derives unique, valid logical names from template identifiers (CloudFormation ids, Terraform addresses)."""

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}

    def allocate(self, section: str, raw: str) -> str:
        """A name for ``raw`` in ``section``: letters, digits, '-' and '_', lower case for buckets, unique.

        Physical names of IAM and S3 are case-insensitive or lower case, so uniqueness ignores case.
        """
        text = re.sub(r"[^A-Za-z0-9_-]+", "-", raw)
        if section in _LOWER_CASE:
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


_NOTHING = object()


@dataclass
class _StandInRecord:
    """A stand-in: its draft, its type's stand-in rules, what named it and the fields it started with."""

    draft: Draft
    spec: StandIn
    identifier: str
    reason: str
    initial: dict[str, Any]


class Assembly:
    """Collects drafts, stand-ins, unknowns and notes of one loader run and turns them into a Definition.

    Args:
        filename: the source, for messages.
        names: the loader's name allocator (stand-ins take names from it too).
        registry: the resource types (for their stand-in rules).
    """

    def __init__(self, filename: str, names: NameAllocator | None = None, registry: Registry | None = None) -> None:
        self.filename = filename
        self.names = names or NameAllocator()
        self.registry = registry or Registry.discover()
        self.reader: Reader | None = None
        self.drafts: list[Draft] = []
        self.notes: list[str] = []
        self.unknowns: list[Unknown] = []
        self.stand_ins: dict[tuple[str, str], _StandInRecord] = {}
        # Physical names a source gives its own resources: a reference by that name (a parameter holding a
        # project's name, a role's ARN spelled out) is a reference to the declared resource.
        self.physical: dict[tuple[str, str], str] = {}
        # The same names by address, for a backend that creates resources under the names they are declared with.
        self.declared_names: dict[str, str] = {}
        # Resources the source keeps when the pipeline is removed, by address.
        self.retained: dict[str, str] = {}

    def note(self, text: str) -> None:
        """Record a finding that is not an error, once."""
        if text not in self.notes:
            self.notes.append(text)

    def unknown(self, address: str, aspect: str, reason: str) -> None:
        """Record that something about a resource is unknown (and why)."""
        found = Unknown(address, aspect, reason)
        if found not in self.unknowns:
            self.unknowns.append(found)

    def where(self, origin: str, line: int | None) -> str:
        return f"{self.filename}:{line} ({origin})" if line else f"{self.filename} ({origin})"

    def make(self, cls: Callable[..., T], origin: str, line: int | None, **kwargs: Any) -> T:
        """Build a model value, turning its validation error into an InputError at ``origin``."""
        try:
            return cls(**kwargs)
        except TypeError as exc:
            # A required field the source left out (the walker passes only what it read).
            missing = re.search(r"missing \d+ required (?:positional|keyword-only) arguments?: '(\w+)'", str(exc))
            if missing is None:
                raise
            raise InputError(
                where=self.where(origin, line),
                expected=f"'{missing.group(1)}' to be set",
                found="it missing",
                fix=f"add '{missing.group(1)}'",
                file=self.filename,
                line=line,
                field=origin,
            ) from None
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

    def reference(
        self, value: Any, section: str, origin: str, *, arn_ok: bool = True, crosses: bool = False
    ) -> str | None:
        """The value of a reference field: a logical name in ``section``, a literal ARN, or None (noted).

        A resource named but not declared (a parameter's bucket name, a role's ARN, another stack's key) gets a
        stand-in, when its type can have one; an AWS managed policy, and with ``crosses`` a resource of another
        account, stays a literal ARN.

        Args:
            value: the evaluated source value (``${roles.build.arn}``, an ARN, an external name).
            section: the section the field refers to.
            origin: where the value came from, for the note.
            arn_ok: whether the field's handler accepts a literal ARN.
            crosses: whether the field may name another account's resource (an action's cross-account role).
        """
        if value is None or value == "":
            return None
        parts = ref_parts(value)
        if parts is not None and parts[0] == section:
            return parts[1]
        if isinstance(value, str) and parts is None:
            declared = self.physical.get((section, value)) or self.physical.get((section, identifier_name(value)))
            if declared is not None:
                return declared
            literal = value.replace("${partition}", "aws")
            fixed = arn_ok and literal.startswith("arn:") and "${" not in literal
            account = literal.split(":")[4] if fixed and literal.count(":") >= 5 else ""
            if fixed and account == "aws":
                return literal  # an AWS managed policy, the same in every account
            if fixed and crosses and account.isdigit():
                self.note(f"{origin}: {describe(value)} is a resource of account {account}; it stays as named")
                return literal
            found = self.stand_in(section, value, origin)
            if found is not None:
                return found
            if fixed:
                return literal
        self.note(f"{origin}: refers to {describe(value)}, which is outside the definition; {UNVERIFIED}")
        return None

    def declared(self, section: str) -> list[Draft]:
        """The drafts of the resources the sources declare in ``section`` (not stand-ins), in source order."""
        stand_ins = {id(r.draft) for r in self.stand_ins.values()}
        return [d for d in self.drafts if section == d.cls.SECTION and id(d) not in stand_ins]

    def existing(self, section: str, identifier: Any) -> Draft | None:
        """The stand-in already deployed for ``identifier``, if any."""
        if not isinstance(identifier, str):
            return None
        label = identifier_name(identifier)
        declared = self.physical.get((section, identifier)) or self.physical.get((section, label))
        if declared is not None:
            return next((d for d in self.drafts if section == d.cls.SECTION and d.name == declared), None)
        record = self.stand_ins.get((section, label.lower() if section != "keys" else label))
        return record.draft if record is not None else None

    def stand_in(self, section: str, identifier: str, origin: str, reason: str | None = None) -> str | None:
        """The stand-in for a resource of ``section`` named ``identifier``; None when the type has none.

        One stand-in serves every reference to the same resource (by name, id or ARN).
        """
        spec = self.registry.stand_in(section)
        if spec is None or self.reader is None:
            return None
        label = identifier_name(identifier)
        key = (section, label.lower() if section != "keys" else label)
        record = self.stand_ins.get(key)
        if record is not None:
            return record.draft.name
        name = self.names.allocate(section, label)
        index = sum(1 for s, _label in self.stand_ins if s == section)
        fields = spec.fields(StandInRequest(identifier, name, origin, self.reader, index))
        draft = Draft(spec.cls, name, origin, None, dict(fields))
        why = reason or f"{origin} names {describe(identifier)}, which the {self.reader.noun} does not declare"
        self.stand_ins[key] = _StandInRecord(draft, spec, identifier, why, dict(fields))
        self.drafts.append(draft)
        self.note(
            f"{origin}: {describe(identifier)} is not declared here; {spec.deployed} stands in for it as "
            f"{section}.{name}, and scenarios that depend on what the {self.reader.noun} does not say of it are "
            "unverified"
        )
        return name

    def definition(self, name: str) -> Definition:
        """Build every draft, break reference cycles the model cannot order, and validate the whole.

        Stand-ins are spelled where the source spells their ARN, and what is unknown of them is recorded.

        Raises:
            InputError: a value the model rejects, or a reference to nothing.
        """
        self._spell_stand_ins()
        for record in self.stand_ins.values():
            if record.spec.complete is not None:
                before = dict(record.draft.kwargs)
                record.spec.complete(record.draft, self.drafts)
                # What completing sets is the harness's guess, not the definition's word: it stays unknown.
                for key, value in record.draft.kwargs.items():
                    if key not in before or before[key] != value:
                        record.initial[key] = value
        source = self.filename
        resources = []
        for d in self.drafts:
            self.filename = d.file or source  # messages name the file each resource comes from
            resources.append(self.make(d.cls, d.origin, d.line, name=d.name, **d.kwargs))
        self.filename = source
        resources = break_cycles([spell_self(r) for r in resources])
        locations = {d.address: SourceLocation(d.file or source, d.line) for d in self.drafts if d.line is not None}
        return Definition(
            name=name,
            resources=tuple(resources),
            source=source,
            locations=locations,
            notes=tuple(self.notes),
            unknowns=tuple(self._stand_in_unknowns() + self.unknowns),
            physical_names=dict(self.declared_names),
            retained=dict(self.retained),
            origins={d.address: d.origin for d in self.drafts},
        )

    def _stand_in_unknowns(self) -> list[Unknown]:
        found: list[Unknown] = []
        for record in self.stand_ins.values():
            address, kwargs = record.draft.address, record.draft.kwargs
            found.append(Unknown(address, "resource", record.reason))
            found.extend(Unknown(address, aspect, record.reason) for aspect in record.spec.unknown)
            for aspect in record.spec.settable:
                initial = record.initial.get(aspect, _NOTHING)
                if aspect not in kwargs or kwargs[aspect] == initial:
                    found.append(Unknown(address, aspect, record.reason))
        return found

    def _spell_stand_ins(self) -> None:
        """Where the source spells a stand-in's ARN (a policy's Resource), refer to the stand-in instead."""
        patterns: list[tuple[re.Pattern[str], str]] = []
        for record in self.stand_ins.values():
            arn = f"${{{record.draft.address}.arn}}"
            pattern = arn_pattern(record.draft.cls.SECTION, identifier_name(record.identifier))
            if pattern is None and record.identifier.startswith("arn:"):
                pattern = re.compile(re.escape(record.identifier) + r"(?![\w+=,.@-])")
            if pattern is not None:
                patterns.append((pattern, arn))
        if not patterns:
            return

        def spell(text: str) -> str:
            for pattern, arn in patterns:
                text = pattern.sub(arn, text)
            return text

        for draft in self.drafts:
            draft.kwargs = {k: _rewrite(v, spell) for k, v in draft.kwargs.items()}


# The values a source's strings may hold that are filled in at deploy, and nothing else.
DEPLOY_VALUES = re.compile(r"\$\{(partition|region|account_id)\}")


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


def physical_placeholder(section: str, name: str) -> str:
    """The physical name of a resource of the definition, spelled without referring to it (filled in at deploy:
    the declared name where the backend keeps it, else the run prefix plus ``name``)."""
    return f"${{physical:{section}/{name}}}"


def _speller(target: Resource) -> Callable[[str], str]:
    """Rewrites interpolations of ``target`` as spelled names and ARNs where the ARN follows from the name."""
    path = getattr(target, "path", "/")

    def one(match: re.Match[str]) -> str:
        section, name, attribute = match.groups()
        if (section, name) != (target.SECTION, target.name):
            return match.group(0)
        physical = physical_placeholder(section, name)
        if attribute == "name":
            return physical
        template = _SPELLED.get((section, attribute))
        if template is None:
            return match.group(0)
        return template.format(path=path, physical=physical)

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
    role's ARN in the key policy (``arn:${partition}:iam::${account_id}:role/${physical:roles/build}``) keeps the
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
