"""How each resource type is spelled in the source formats: fields, per-format names, and the reader contract.

A resource type declares itself once, in its own module: the model class, its handler, and a ``Schema`` that says,
field by field, how CloudFormation and a Terraform plan spell it (harness YAML spells every field by its model
name). The loaders are generic walkers over these declarations; a field whose shape really differs between formats
names a small reader function of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, Protocol, TypeVar

from harness.model.base import GLOBAL_VARIABLES, Resource

T = TypeVar("T")

CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"

UNVERIFIED = "not modelled; scenarios depending on it are unverified"

# An interpolation that is a whole value, optionally followed by a suffix (a log group's ARN ends in ':*').
_WHOLE_REF = re.compile(r"^\$\{([a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}(:\*)?$")


def ref_parts(value: Any) -> tuple[str, str, str] | None:
    """``(section, name, attribute)`` when ``value`` is one whole interpolation such as ``${roles.build.arn}``."""
    if not isinstance(value, str):
        return None
    match = _WHOLE_REF.match(value)
    return (match.group(1), match.group(2), match.group(3)) if match else None


class _Missing:
    """No value: the field is left out and the model's default applies."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


_SHELL_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}(?![A-Za-z0-9_])")


def shell_text(text: str) -> str:
    """Write shell ``${VAR}`` as ``$VAR`` (same meaning) so buildspec variables are not taken for interpolations.

    The model reads ``${name}`` in any string as one of its deploy-time values; a buildspec's shell variables
    would otherwise be refused.
    """
    return _SHELL_VARIABLE.sub(lambda m: m.group(0) if m.group(1) in GLOBAL_VARIABLES else "$" + m.group(1), text)


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


def _sids_as_text(document: dict[str, Any]) -> dict[str, Any]:
    """A YAML ``Sid: 1`` is a number; CloudFormation and Terraform hand IAM its text, which IAM accepts."""
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    if not any(isinstance(s, Mapping) and isinstance(s.get("Sid"), int | float) for s in listed):
        return document
    fixed = [
        {**s, "Sid": str(s["Sid"]).lower() if isinstance(s["Sid"], bool) else str(s["Sid"])}
        if isinstance(s, Mapping) and isinstance(s.get("Sid"), int | float)
        else s
        for s in listed
    ]
    return {**document, "Statement": fixed if isinstance(statements, list) else fixed[0]}


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
        self._nested: dict[tuple[str, int], Props] = {}

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
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(self.at(key), "a whole number", describe(value), f"write '{key}' as a number such as 30")
        return value

    def number(self, key: str, default: float | None = None, *, required: bool = False) -> Any:
        """A number property; numeric strings are accepted."""
        value = self.require(key) if required else self.raw(key)
        if value is None:
            return default
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            self.fail(self.at(key), "a number", describe(value), f"write '{key}' as a number")

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
        if isinstance(value, str) and ref_parts(value) is not None:
            # A plan that builds the document at apply (jsonencode over another resource's ARN) leaves only the
            # reference it was built from: the document itself is not in the plan.
            self.fail(
                self.at(key),
                "a policy document known before apply",
                f"only the reference {value} it is built from",
                "plan again once the resources it names exist, or write the document out",
            )
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                self.fail(self.at(key), "a JSON policy document", f"text that is not JSON ({exc})", "fix the JSON")
        if not isinstance(value, Mapping):
            self.fail(self.at(key), "a policy document (a mapping)", describe(value), "write it as a mapping")
        return _sids_as_text(dict(value))

    def _child(self, key: str, index: int, values: Mapping[str, Any], path: str) -> Props:
        # Reading the same nested mapping twice (two fields in one block) shares one tracker, so a property
        # read through either counts as mapped.
        found = self._nested.get((key, index))
        if found is None:
            found = self._nested[(key, index)] = Props(values, path, self.fail)
            self.children.append(found)
        return found

    def sub(self, key: str) -> Props | None:
        """Nested properties, tracked for unmapped keys; None when absent."""
        value = self.mapping(key)
        if key not in self.values or self.values.get(key) is None:
            return None
        return self._child(key, -1, value, self.at(key))

    def items(self, key: str) -> list[Props]:
        """A list of nested property mappings (e.g. stages, actions)."""
        out = []
        for index, item in enumerate(self.seq(key)):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, Mapping):
                self.fail(path, "a mapping", describe(item), "write each item as key: value pairs")
            out.append(self._child(key, index, item, path))
        return out

    def block(self, key: str) -> Props | None:
        """The first of a nested block (Terraform shows a block as a list of objects; a mapping is taken as is)."""
        if isinstance(self.values.get(key), Mapping):
            return self.sub(key)
        items = self.items(key)
        return items[0] if items else None

    def unmapped(self) -> Iterator[str]:
        """Paths of properties nobody read, recursively."""
        for key in self.values:
            if key not in self.used and self.values[key] is not None:
                yield self.at(key)
        for child in self.children:
            yield from child.unmapped()

    def value_at(self, path: str) -> Any:
        """The value at an unmapped path this tracker reported (itself or a nested tracker's)."""
        for node in (self, *self._descendants()):
            if path.startswith(node.path + ".") and "." not in path[len(node.path) + 1 :]:
                return node.values.get(path[len(node.path) + 1 :])
        return None

    def _descendants(self) -> Iterator[Props]:
        for child in self.children:
            yield child
            yield from child._descendants()


@dataclass
class Draft:
    """A resource about to be built: its type, logical name, origin in the source and keyword arguments."""

    cls: type[Resource]
    name: str
    origin: str
    line: int | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    file: str = ""  # the source file, when several are loaded together

    @property
    def address(self) -> str:
        return f"{self.cls.SECTION}.{self.name}"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a folded source resource sits: its path for messages, its line and its own name in the source."""

    path: str
    line: int | None
    name: str


class Reader(Protocol):
    """What a loader offers the per-type spellings: references, drafts, notes and errors, in the format's terms."""

    format: str
    noun: str  # what the source is called in messages: "template" or "plan"

    def example(self, section: str) -> str:
        """How this format refers to a resource of ``section`` (``!GetAtt Role.Arn``, ``aws_iam_role.x.arn``)."""

    def note(self, text: str) -> None:
        """Record a finding that is not an error (once)."""

    def fail(self, path: str, expected: str, found: str, fix: str) -> NoReturn:
        """Raise an InputError at a property path, with the source file and line."""

    def make(self, cls: Callable[..., T], origin: str, line: int | None, **kwargs: Any) -> T:
        """Build a model value; its validation error becomes an InputError at ``origin``."""

    def reference(
        self, value: Any, section: str, origin: str, *, arn_ok: bool = True, crosses: bool = False
    ) -> str | None:
        """A reference field: a logical name of ``section`` (a stand-in's for a resource named but not
        declared), a literal ARN (an AWS managed policy; with ``crosses``, another account's resource), or None
        (noted as outside)."""

    def stand_in(self, section: str, identifier: str, origin: str, reason: str) -> str | None:
        """The stand-in for a resource of ``section`` known only by ``identifier``; None when the type has none."""

    def unknown_at(self, path: str) -> str | None:
        """Why the value at a property path is unknown (a plan's value known only after apply), or None."""

    def unknown(self, address: str, aspect: str, reason: str) -> None:
        """Record that an aspect of a resource is unknown (and why)."""

    def here(self, value: Any, path: str, section: str, what: str) -> str:
        """The name of a resource of ``section`` that ``value`` names and the definition declares; else an error."""

    def draft(self, section: str, name: str) -> Draft | None:
        """The draft of a declared resource by section and logical name."""

    def declared(self, section: str) -> list[Draft]:
        """The drafts of every declared resource of ``section``, in source order."""

    def target(self, value: Any, section: str) -> Draft | None:
        """The draft ``value`` names (a reference, a physical name the source spells out, or what an existing
        stand-in stands in for), if any."""

    def spelled(self, value: Any, section: str | None = None) -> Any:
        """A physical name the source spells out for a declared resource, as its reference (else unchanged)."""

    def later(self, action: Callable[[], None]) -> None:
        """Run ``action`` once every resource and fold is mapped (to complete one resource from another)."""

    def prefix_list(self, value: str) -> str:
        """A managed prefix list: the service a gateway endpoint of the definition stands for, else ``value``."""


Read = Literal[
    "text",
    "raw",
    "int",
    "number",
    "flag",
    "doc",
    "tags",
    "strings",
    "map",
    "ref",
    "refs",
    "here",
    "heres",
    "struct",
    "structs",
]
"""How a field's value is read: a scalar (``raw``: as the source gives it), a document, tags, a list of strings,
a mapping of strings, a reference (``ref``: to the definition or a literal ARN; ``here``: must be declared in the
definition), or nested fields."""

FieldReader = Callable[[Reader, Props, Draft], Any]
"""Reads one field where a format's shape differs; returns the model value or ``MISSING``."""

ValueParser = Callable[[Reader, Any, str], Any]
"""Turns a read value into the model's value (both formats): ``(reader, value, path) -> value``."""


@dataclass(frozen=True, slots=True)
class Field:
    """One model field and how each format spells it.

    Attributes:
        name: the model field (also its harness YAML spelling).
        cfn: the CloudFormation property, dotted through nested properties (``Source.BuildSpec``); None when
            CloudFormation has no such property.
        tf: the Terraform attribute, dotted through nested blocks (``source.buildspec``).
        read: how the value is read (see ``Read``).
        section: for references, the section they refer to.
        what: for ``here`` references, the thing named in messages (``a VPC``).
        required: absent is an error.
        default: the value when absent in either format (``MISSING``: leave the model default).
        cfn_default: CloudFormation's default where it differs.
        tf_default: the Terraform provider's default where it differs.
        arn_ok: a reference may be a literal ARN.
        choices: the values the property accepts; anything else is an error.
        parse: turns the read value into the model value (both formats).
        cfn_read: reads the whole field from CloudFormation where its shape differs.
        tf_read: reads the whole field from a plan where its shape differs.
        struct: for ``struct``/``structs``, the nested model class built from ``fields``.
        fields: the nested fields.
        crosses: a reference that may name another account's resource (kept as its ARN).
        when_unknown: the value deployed when the source knows it only at apply (the field is then unknown).
    """

    name: str
    cfn: str | None = None
    tf: str | None = None
    read: Read = "text"
    section: str = ""
    what: str = ""
    required: bool = False
    default: Any = MISSING
    cfn_default: Any = MISSING
    tf_default: Any = MISSING
    arn_ok: bool = True
    choices: tuple[str, ...] = ()
    parse: ValueParser | None = None
    cfn_read: FieldReader | None = None
    tf_read: FieldReader | None = None
    struct: type | None = None
    fields: tuple[Field, ...] = ()
    crosses: bool = False
    when_unknown: Any = MISSING

    def __post_init__(self) -> None:
        if self.read in ("ref", "refs", "here", "heres") and not self.section:
            raise ValueError(f"field {self.name!r}: a {self.read} field names the section it refers to")
        if self.read in ("struct", "structs") and (self.struct is None or not self.fields):
            raise ValueError(f"field {self.name!r}: a {self.read} field names its struct and nested fields")

    def spelling(self, fmt: str) -> str | None:
        """The property path in ``fmt``."""
        return self.cfn if fmt == CLOUDFORMATION else self.tf

    def reader(self, fmt: str) -> FieldReader | None:
        """The format's own reader of this field, if it has one."""
        return self.cfn_read if fmt == CLOUDFORMATION else self.tf_read

    def default_in(self, fmt: str) -> Any:
        """The value when the property is absent in ``fmt``."""
        own = self.cfn_default if fmt == CLOUDFORMATION else self.tf_default
        return self.default if own is MISSING else own


Finish = Callable[[Reader, Draft, Props], None]
"""Completes a draft after its fields are read, where fields depend on each other."""

Check = Callable[[Reader, Draft], None]
"""Checks or completes a draft once every resource and fold is mapped."""


@dataclass(frozen=True, slots=True)
class Cfn:
    """How CloudFormation spells a type.

    Attributes:
        type: the resource type (``AWS::IAM::Role``).
        ref: what ``Ref`` returns, a format string over ``{name}``, ``{arn}``, ``{id}``, ``{alias}``, ``{region}``
            (model interpolations) and ``{cidr}`` (the CidrBlock the template declares).
        attributes: what each ``Fn::GetAtt`` attribute returns (same placeholders); None for an attribute that
            exists but has no model counterpart.
        name: the property that sets the physical name, if any.
        quiet: properties holding this default value need no modelling (dotted paths allowed).
        ignore: properties handled without being read (replaced by something the harness does itself).
        finish: completes the draft after the fields are read.
    """

    type: str
    ref: str
    attributes: Mapping[str, str | None] = field(default_factory=dict)
    name: str | None = None
    quiet: Mapping[str, Any] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    finish: Finish | None = None


@dataclass(frozen=True, slots=True)
class Tf:
    """How a Terraform plan spells a type.

    Attributes:
        type: the resource type (``aws_iam_role``).
        name: the attribute that holds the physical name, if any.
        attributes: the model attribute a reference to each Terraform attribute becomes (``id`` of a role is its
            ``name``).
        quiet: attributes holding this default value need no modelling (dotted through blocks).
        ignore: attributes the provider computes or the harness handles itself.
        finish: completes the draft after the fields are read.
        when: for a type that maps onto different model types by its values (an SSM parameter is a secret when
            it is a SecureString), the condition on the planned values under which this spelling applies; the
            spelling without one applies otherwise.
    """

    type: str
    name: str | None
    attributes: Mapping[str, str]
    quiet: Mapping[str, Any] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    finish: Finish | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True, slots=True)
class Schema:
    """One source type pair mapped onto one model type.

    Attributes:
        cls: the model class.
        fields: its fields and their spellings.
        cfn: the CloudFormation spelling, if any.
        tf: the Terraform spelling, if any.
        check: runs once every resource and fold is mapped (e.g. a gateway must have been attached).
    """

    cls: type[Resource]
    fields: tuple[Field, ...]
    cfn: Cfn | None = None
    tf: Tf | None = None
    check: Check | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicated = {n for n in names if names.count(n) > 1}
        if duplicated:
            raise ValueError(f"{self.cls.__name__}: fields declared twice: {sorted(duplicated)}")


FoldFn = Callable[[Reader, Props, Origin], None]
"""Applies a folded source resource to the resources it configures."""


@dataclass(frozen=True, slots=True)
class Fold:
    """A source type that becomes part of other resources (an attached policy, a rule, a route, an association).

    Exactly one of ``cfn`` and ``tf`` is set; ``apply`` reads the source resource's properties and completes the
    drafts it configures.
    """

    apply: FoldFn
    cfn: str | None = None
    tf: str | None = None

    def __post_init__(self) -> None:
        if (self.cfn is None) == (self.tf is None):
            raise ValueError("a fold names exactly one source type, in CloudFormation or in Terraform")


@dataclass(frozen=True, slots=True)
class Ignored:
    """A source type deliberately not deployed, with the reason shown in the notes."""

    reason: str
    cfn: str | None = None
    tf: str | None = None


def attached(reader: Reader, value: Any, section: str, path: str, what: str) -> Draft | None:
    """The resource a folded resource configures (declared, or a stand-in the definition already uses).

    Args:
        reader: the loader.
        value: the reference as the source gives it (a reference, an ARN, a physical name).
        section: the section the target belongs to.
        path: where the reference is, for the note.
        what: the note's words before the value (``attaches to``, ``a bucket policy for``).

    Returns:
        The target's draft, or None (noted) when it is outside the definition.
    """
    target = reader.target(value, section)
    if target is None:
        reader.note(f"{path}: {what} {describe(value)}, outside the definition; {UNVERIFIED}")
    return target


StandInFields = Callable[["StandInRequest"], dict[str, Any]]
"""The model fields of a stand-in, from what named it."""


@dataclass(frozen=True, slots=True)
class StandInRequest:
    """A resource the definition names but does not declare, about to be stood in for.

    Attributes:
        identifier: how the source names it (a physical name, an id or an ARN, with the model's deploy-time
            values such as ``${account_id}``).
        name: the logical name chosen for the stand-in.
        origin: where it is named, for notes.
        reader: the loader (a stand-in may need another one: a subnet's VPC).
    """

    identifier: str
    name: str
    origin: str
    reader: Reader
    index: int = 0  # how many stand-ins of the section came before (to place a subnet's address range)


@dataclass(frozen=True, slots=True)
class StandIn:
    """How a section's resources are stood in for when the definition only names them.

    Attributes:
        cls: the model class.
        fields: the stand-in's model fields (beyond its name).
        unknown: model fields a stand-in always leaves unknown (a role's policies: the definition may attach one
            more, never all of them).
        settable: model fields unknown unless the definition supplies them (a bucket policy declared for the named
            bucket makes its ``policy`` known: a bucket has one).
        deployed: what the harness deploys in its place, for the note (``a role without policies``).
        complete: adjusts the stand-in once every resource is mapped (a VPC's address range to hold the subnets
            declared in it).
    """

    cls: type[Resource]
    fields: StandInFields
    deployed: str
    unknown: tuple[str, ...] = ()
    settable: tuple[str, ...] = ()
    complete: Callable[[Draft, list[Draft]], None] | None = None


def identifier_name(identifier: str) -> str:
    """A readable name from an identifier: an ARN's resource name (``role/ci/build`` gives ``build``), else itself."""
    text = identifier.removesuffix(":*")
    if text.startswith("arn:"):
        resource = text.split(":", 5)[-1]
        text = re.split(r"[/:]", resource)[-1] or resource
    return text
