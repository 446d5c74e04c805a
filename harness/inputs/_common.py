"""Shared machinery of the template loaders: logical names, typed property access, references and assembly."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from harness.errors import InputError
from harness.model.base import GLOBAL_VARIABLES, INTERPOLATION, Resource, iter_strings
from harness.model.definition import Definition, SourceLocation, references_of
from harness.provider.resources.codebuild_project import VpcConfig

T = TypeVar("T")

UNVERIFIED = "not modelled; scenarios depending on it are unverified"

# Physical names are the run prefix (``pw-`` + 8 hex + ``-``, 12 characters) plus the logical name; S3 bucket
# names stop at 63 and IAM role names at 64 characters, so logical names stay well below both.
MAX_NAME = 48

# An interpolation that is a whole value, optionally followed by a suffix (a log group's ARN ends in ':*').
_WHOLE_REF = re.compile(r"^\$\{([a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}(:\*)?$")

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


_SHELL_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}(?![A-Za-z0-9_])")


def shell_text(text: str) -> str:
    """Write shell ``${VAR}`` as ``$VAR`` (same meaning) so buildspec variables are not taken for interpolations.

    The model reads ``${name}`` in any string as one of its deploy-time values; a buildspec's shell variables
    would otherwise be refused.
    """
    return _SHELL_VARIABLE.sub(lambda m: m.group(0) if m.group(1) in GLOBAL_VARIABLES else "$" + m.group(1), text)


def ref_parts(value: Any) -> tuple[str, str, str] | None:
    """``(section, name, attribute)`` when ``value`` is one whole interpolation such as ``${roles.build.arn}``."""
    if not isinstance(value, str):
        return None
    match = _WHOLE_REF.match(value)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def describe(value: Any) -> str:
    """A short description of a value for 'found ...' in messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


ErrorFn = Callable[[str, str, str, str], NoReturn]
"""Raises an InputError for (path, expected, found, fix); the loader adds file and line."""


class Props:
    """Typed, tracked access to one mapping of properties, so unmapped properties can be reported.

    Args:
        values: the evaluated mapping.
        path: its path, e.g. ``Resources.Build.Properties`` or ``aws_codebuild_project.build``.
        fail: raises an InputError for a path.
    """

    def __init__(self, values: Mapping[str, Any], path: str, fail: ErrorFn) -> None:
        self.values = values
        self.path = path
        self.fail = fail
        self.used: set[str] = set()
        self.children: list[Props] = []

    def at(self, key: str) -> str:
        """The path of one property."""
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        """True when the property is present and not null."""
        return self.values.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The property's value, unchecked, marked as used."""
        self.used.add(key)
        value = self.values.get(key)
        return default if value is None else value

    def ignore(self, *keys: str) -> None:
        """Mark properties as handled without reading them (defaults, computed attributes)."""
        self.used.update(keys)

    def require(self, key: str) -> Any:
        """The property's value; an InputError when it is missing."""
        if not self.has(key):
            self.fail(self.at(key), f"'{key}' to be set", "it missing", f"add '{key}'")
        return self.raw(key)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> Any:
        """A string property; numbers are accepted as their text, as CloudFormation does."""
        value = self.require(key) if required else self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            self.fail(self.at(key), "a string", describe(value), f"write '{key}' as a single value")
        return value

    def integer(self, key: str, default: int | None = None, *, required: bool = False) -> Any:
        """A whole-number property; digit strings are accepted."""
        value = self.require(key) if required else self.raw(key)
        if value is None:
            return default
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(self.at(key), "a whole number", describe(value), f"write '{key}' as a number such as 30")
        return value

    def flag(self, key: str, default: bool | None = None) -> Any:
        """A boolean property; 'true'/'false' strings are accepted."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            self.fail(self.at(key), "true or false", describe(value), f"write '{key}' as true or false")
        return value

    def seq(self, key: str) -> list[Any]:
        """A list property (empty when absent); a single value counts as a one-item list."""
        value = self.raw(key)
        if value is None:
            return []
        if isinstance(value, Mapping):
            self.fail(self.at(key), "a list", describe(value), f"write '{key}' as a list")
        if not isinstance(value, list | tuple):
            return [value]
        return list(value)

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings."""
        out = []
        for index, item in enumerate(self.seq(key)):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.fail(f"{self.at(key)}[{index}]", "a string", describe(item), "write each item as a string")
            out.append(str(item))
        return tuple(out)

    def mapping(self, key: str) -> Mapping[str, Any]:
        """A mapping property (empty when absent)."""
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(self.at(key), "a mapping", describe(value), f"write '{key}' as key: value pairs")
        return value

    def doc(self, key: str, *, required: bool = False) -> dict[str, Any] | None:
        """A JSON document (policy) given as a mapping or as JSON text."""
        value = self.require(key) if required else self.raw(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                self.fail(self.at(key), "a JSON policy document", f"text that is not JSON ({exc})", "fix the JSON")
        if not isinstance(value, Mapping):
            self.fail(self.at(key), "a policy document (a mapping)", describe(value), "write it as a mapping")
        return dict(value)

    def sub(self, key: str) -> Props | None:
        """Nested properties, tracked for unmapped keys; None when absent."""
        value = self.mapping(key)
        if key not in self.values or self.values.get(key) is None:
            return None
        child = Props(value, self.at(key), self.fail)
        self.children.append(child)
        return child

    def items(self, key: str) -> list[Props]:
        """A list of nested property mappings (e.g. stages, actions)."""
        out = []
        for index, item in enumerate(self.seq(key)):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(path, "a mapping", describe(item), "write each item as key: value pairs")
            child = Props(item, path, self.fail)
            self.children.append(child)
            out.append(child)
        return out

    def unmapped(self) -> Iterator[str]:
        """Paths of properties nobody read, recursively."""
        for key in self.values:
            if key not in self.used and self.values[key] is not None:
                yield self.at(key)
        for child in self.children:
            yield from child.unmapped()


@dataclass
class Draft:
    """A resource about to be built: its type, logical name, origin in the source and keyword arguments."""

    cls: type[Resource]
    name: str
    origin: str
    line: int | None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.cls.SECTION}.{self.name}"


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


def vpc_config(
    assembly: Assembly, path: str, vpc_id: Any, subnets: tuple[str, ...], groups: tuple[str, ...]
) -> VpcConfig | None:
    """A build's VPC placement from literal ids, or None (noted) when they name network resources not modelled.

    Placeholder ids cannot be created in the backend; the build then runs outside any VPC in the harness, so the
    note says network scenarios about it are unverified rather than letting them pass.
    """
    values = [vpc_id, *subnets, *groups]
    if not isinstance(vpc_id, str) or not vpc_id or any("${" in str(v) or v is None for v in values):
        assembly.note(
            f"{path}: names a VPC, subnets or security groups that are not modelled; the build runs outside a "
            f"VPC here and network scenarios about it are unverified"
        )
        return None
    return VpcConfig(vpc_id=vpc_id, subnets=subnets, security_groups=groups)


def tags_from_pairs(pairs: Sequence[Any] | Mapping[str, Any], origin: str, fail: ErrorFn) -> dict[str, str]:
    """Tags from CloudFormation's ``[{Key, Value}]`` list or a plain mapping."""
    if isinstance(pairs, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in pairs.items()}
    out: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        if not isinstance(pair, Mapping) or "Key" not in pair:
            fail(
                f"{origin}[{index}]", "a tag {Key: ..., Value: ...}", describe(pair), "write each tag as Key and Value"
            )
        out[str(pair["Key"])] = str(pair.get("Value", ""))
    return out


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


def strings_of(value: Any) -> Iterator[str]:
    """Every string inside a value (re-exported for the loaders)."""
    return iter_strings(value)
