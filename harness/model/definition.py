"""A pipeline definition: the resources a pipeline and its guard rails are made of, whatever the input format."""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Annotated, Any, get_args, get_origin

from harness.errors import InputError
from harness.model.base import GLOBAL_VARIABLES, INTERPOLATION, Address, RefTo, Resource, iter_strings


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a piece of a definition came from, for error messages and evidence."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


ENVIRONMENT_TAG = "environment"
# The tag keys that name a resource's environment, in order of preference; keys are compared without case, as
# teams write them (``Environment``, ``env``).
ENVIRONMENT_TAGS = (ENVIRONMENT_TAG, "env")
# Environment names that mean production, compared without case.
PRODUCTION_NAMES = frozenset({"prod", "production", "prd", "live"})


def tag_value(tags: Mapping[str, Any] | None, *keys: str) -> str:
    """The value of the first of ``keys`` that ``tags`` holds, keys compared without case ('' when none)."""
    if not isinstance(tags, Mapping):
        return ""
    lowered = {str(k).lower(): v for k, v in tags.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def is_production_name(name: str) -> bool:
    """Whether an environment named ``name`` is production by its name (``prod``, ``Production``, ``prd``, ``live``)."""
    return name.strip().lower() in PRODUCTION_NAMES


@dataclass(frozen=True, slots=True)
class Environment:
    """An environment a definition declares (``prod``, ``staging``, ``dev``).

    Resources belong to an environment by their ``environment`` tag (a VPC by its ``environment`` field too);
    what is placed in a VPC belongs to the VPC's environment.

    Attributes:
        name: the value of the ``environment`` tag.
        description: what the environment is for.
        account: the account it lives in (an id or an alias), for reports; every environment is deployed into the
            backend's one account.
        production: whether it holds production data (default: named ``prod``, ``production``, ``prd`` or
            ``live``).
    """

    name: str
    description: str = ""
    account: str = ""
    production: bool | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", self.name):
            raise ValueError(
                f"an environment name of lowercase letters, digits and '-', found {self.name!r}; rename it"
            )
        if self.account and not re.fullmatch(r"\d{12}|[a-z0-9][a-z0-9-]{0,62}", self.account):
            raise ValueError(
                f"an account id of 12 digits or an alias of lowercase letters, digits and '-', found "
                f"{self.account!r}; correct the account"
            )
        if self.production is None:
            object.__setattr__(self, "production", is_production_name(self.name))


def environment_of(resource: Resource) -> str:
    """The environment a resource declares itself in: its ``environment`` string field, else its environment tag
    (``environment``, ``Environment``, ``env``), as written ('' when none)."""
    own = getattr(resource, "environment", None)
    if isinstance(own, str) and own:
        return own
    return tag_value(getattr(resource, "tags", None), *ENVIRONMENT_TAGS)


@dataclass(frozen=True, slots=True)
class Unknown:
    """Something the definition does not say about one of its resources.

    A resource named by a parameter, a literal name or ARN, or another stack's export is deployed as a stand-in
    made of what the definition says of it; what it does not say (a role's policies, a bucket's policy) and what a
    plan knows only at apply are unknown. A claim whose verdict depends on an unknown is UNVERIFIED, naming it.

    Attributes:
        address: the resource (``roles.build-role``).
        aspect: what is unknown: a model field (``policies``, ``policy``, ``trust_policy``) or ``resource`` for a
            stand-in whose every setting beyond its name is unknown.
        reason: where the value should have come from, in the source's terms (``parameter BuildRoleArn``,
            ``aws_iam_role.build.assume_role_policy, known only after apply``).
    """

    address: str
    aspect: str
    reason: str

    def __str__(self) -> str:
        return describe_unknowns((self,))


def describe_unknowns(unknowns: Iterable[Unknown]) -> str:
    """One phrase per resource and reason: ``roles.x: its policies and trust policy are unknown (why)``."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for unknown in unknowns:
        aspects = grouped.setdefault((unknown.address, unknown.reason), [])
        if unknown.aspect not in aspects:
            aspects.append(unknown.aspect)
    parts = []
    for (address, reason), aspects in grouped.items():
        if "resource" in aspects:  # a stand-in: the rest follows
            parts.append(f"{address}: everything but its name is unknown ({reason})")
            continue
        words = [a.replace("_", " ") for a in aspects]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        verb = "are" if len(words) > 1 or words[0].endswith("s") else "is"
        parts.append(f"{address}: its {listed} {verb} unknown ({reason})")
    return "; ".join(parts)


# What the decision on a call made by, or on, a resource depends on: the principal's side (its own policies, the
# managed policies attached to it and its boundary) and the resource's side (its resource policy).
PRINCIPAL_ASPECTS = frozenset({"policies", "managed_policies", "permissions_boundary", "document"})
RESOURCE_ASPECTS = frozenset({"policy"})


@dataclass(frozen=True, slots=True)
class Definition:
    """A validated pipeline definition.

    Attributes:
        name: the pipeline system's name (used in messages and reports).
        resources: every resource, in definition order.
        source: the file it was loaded from (``<memory>`` when built in code).
        locations: where each resource was declared, by address string.
        notes: loader findings that are not errors (e.g. unsupported properties), kept for the evidence.
        environments: the declared environments by name (empty: none declared, any tag value is accepted).
        unknowns: what the definition does not say about its resources (stand-ins, values known only at apply).
        physical_names: the physical names the source gives its resources, by address (``RoleName: build-role``);
            deploy-time values (``${account_id}``) are filled in at deploy.
        retained: the resources their source keeps when the pipeline is removed, by address, each with where the
            source says so (``Resources.Bucket.DeletionPolicy``).
        origins: how the source names each resource, by address (``Resources.CodeBuildServiceRole``,
            ``aws_iam_role.build``); what a user may call a resource on the command line.
    """

    name: str
    resources: tuple[Resource, ...]
    source: str = "<memory>"
    locations: Mapping[str, SourceLocation] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    environments: Mapping[str, Environment] = field(default_factory=dict)
    unknowns: tuple[Unknown, ...] = ()
    physical_names: Mapping[str, str] = field(default_factory=dict)
    retained: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[Address] = set()
        for resource in self.resources:
            if resource.address in seen:
                raise InputError(
                    where=self.where(resource.address),
                    expected="unique resource names within a section",
                    found=f"'{resource.address}' declared twice",
                    fix="rename one of them",
                )
            seen.add(resource.address)
        self.validate_singletons()
        self.validate_references()
        self.validate_environments()

    def validate_singletons(self) -> None:
        """A type an account holds once (a Security Hub) is declared at most once.

        Raises:
            InputError: at the second declaration, naming the first.
        """
        first: dict[type[Resource], Resource] = {}
        for resource in self.resources:
            cls = type(resource)
            if not cls.SINGLETON:
                continue
            if cls not in first:
                first[cls] = resource
                continue
            loc = self.locations.get(str(resource.address))
            raise InputError(
                where=self.where(resource.address),
                expected=f"at most one {cls.KIND} (an account and region hold only one)",
                found=f"'{resource.address}' besides '{first[cls].address}'",
                fix="keep one of them",
                file=loc.file if loc else self.source,
                line=loc.line if loc else None,
            )

    def validate_environments(self) -> None:
        """With environments declared, every resource's environment must be one of them.

        Raises:
            InputError: naming the resource, the environment it names and the declared ones.
        """
        if not self.environments:
            return
        for resource in self.resources:
            named = environment_of(resource)
            if named and named.lower() not in {e.lower() for e in self.environments}:
                loc = self.locations.get(str(resource.address))
                raise InputError(
                    where=f"{self.where(resource.address)} field 'environment'",
                    expected=f"one of the declared environments ({', '.join(sorted(self.environments))})",
                    found=f"'{named}'",
                    fix=f"declare '{named}' under 'environments' or tag the resource with a declared one",
                    file=loc.file if loc else self.source,
                    line=loc.line if loc else None,
                    field="environment",
                )

    def with_baseline(self, baseline: Definition) -> Definition:
        """This definition with the resources of an account baseline beside it (the trail, account-wide metric
        filters and alarms that live in another template or plan), deployed and checked together.

        Each file must be whole on its own (its references resolve within it); the result keeps this definition's
        name, and every resource keeps the file and line it came from.

        Raises:
            InputError: when both declare a resource under one name, naming both places.
        """
        mine = {str(r.address) for r in self.resources}
        for resource in baseline.resources:
            address = str(resource.address)
            if address in mine:
                loc = baseline.locations.get(address)
                raise InputError(
                    where=baseline.where(address),
                    expected="resource names the pipeline's definition does not use",
                    found=f"'{address}', also declared at {self.where(address)}",
                    fix="rename one of them (a baseline holds the account's guard rails, not the pipeline's resources)",
                    file=loc.file if loc else baseline.source,
                    line=loc.line if loc else None,
                )
        return replace(
            self,
            resources=(*self.resources, *baseline.resources),
            locations={**baseline.locations, **self.locations},
            notes=(*self.notes, *(f"baseline {baseline.source}: {note}" for note in baseline.notes)),
            environments={**baseline.environments, **self.environments},
            unknowns=(*self.unknowns, *baseline.unknowns),
            physical_names={**baseline.physical_names, **self.physical_names},
            retained={**baseline.retained, **self.retained},
            origins={**baseline.origins, **self.origins},
        )

    def unknowns_of(self, address: Address | str, aspects: frozenset[str] | None = None) -> tuple[Unknown, ...]:
        """What is unknown about one resource (only the given aspects, when given)."""
        wanted = str(address)
        return tuple(u for u in self.unknowns if u.address == wanted and (aspects is None or u.aspect in aspects))

    def is_stand_in(self, address: Address | str) -> bool:
        """Whether the resource stands in for one outside the definition."""
        return bool(self.unknowns_of(address, frozenset({"resource"})))

    def environment(self, name: str) -> Environment | None:
        """A declared environment by name."""
        return self.environments.get(name)

    def where(self, address: Address | str) -> str:
        """Describe where a resource is declared, ``file:line (address)`` when known."""
        loc = self.locations.get(str(address))
        return f"{loc} ({address})" if loc else f"{self.source} ({address})"

    def get(self, section: str, name: str) -> Resource | None:
        """Return the resource at ``section.name`` or None."""
        for resource in self.resources:
            if section == resource.SECTION and resource.name == name:
                return resource
        return None

    def of_type(self, cls: type[Resource]) -> Iterator[Resource]:
        """Yield the resources of one type."""
        return (r for r in self.resources if isinstance(r, cls))

    def dependencies(self, resource: Resource) -> tuple[Address, ...]:
        """The addresses ``resource`` refers to, by reference field or interpolation, without duplicates."""
        found: list[Address] = []
        for section, name, _field in references_of(resource):
            addr = Address(section, name)
            if addr not in found and addr != resource.address:
                found.append(addr)
        return tuple(found)

    def validate_references(self) -> None:
        """Check every reference and interpolation names a declared resource and a known attribute.

        Raises:
            InputError: naming the referring resource, the field and the missing target.
        """
        known = {r.address: r for r in self.resources}
        for resource in self.resources:
            loc = self.locations.get(str(resource.address))
            at: dict[str, Any] = {"file": loc.file if loc else self.source, "line": loc.line if loc else None}
            for section, name, fld in references_of(resource):
                target = known.get(Address(section, name))
                if target is None:
                    candidates = sorted(a.name for a in known if a.section == section)
                    raise InputError(
                        where=f"{self.where(resource.address)} field '{fld}'",
                        expected=f"the name of a resource under '{section}'",
                        found=f"'{name}', which is not declared",
                        fix=(
                            f"declare '{section}.{name}' or use one of: {', '.join(candidates)}"
                            if candidates
                            else f"declare '{name}' under '{section}'"
                        ),
                        field=fld,
                        **at,
                    )
            for text in iter_strings(resource):
                for match in INTERPOLATION.finditer(text):
                    section, name, attribute = match.groups()
                    if name is None:
                        if section not in GLOBAL_VARIABLES:
                            raise InputError(
                                where=f"{self.where(resource.address)}",
                                expected=f"one of ${{{'}, ${'.join(sorted(GLOBAL_VARIABLES))}}} or "
                                "${section.name.attribute}",
                                found=f"'{match.group(0)}'",
                                fix="correct the interpolation",
                                **at,
                            )
                        continue
                    target = known.get(Address(section, name))
                    if target is not None and attribute not in target.ATTRIBUTES:
                        raise InputError(
                            where=f"{self.where(resource.address)}",
                            expected=f"an attribute of {target.KIND} ({', '.join(target.ATTRIBUTES)})",
                            found=f"'{attribute}' in '{match.group(0)}'",
                            fix="use one of the listed attributes",
                            **at,
                        )


@functools.cache
def reference_fields(cls: type) -> Mapping[str, str]:
    """Map each field annotated ``Annotated[str, RefTo(section)]`` (maybe optional or a tuple) to its section.

    Computed once per class (resolving type hints is costly, and a plan walks every resource several times).
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    out: dict[str, str] = {}
    for f in fields(cls):
        section = _ref_section(hints[f.name])
        if section:
            out[f.name] = section
    return MappingProxyType(out)


def _ref_section(hint: Any) -> str | None:
    if get_origin(hint) is Annotated:
        for meta in hint.__metadata__:
            if isinstance(meta, RefTo):
                return meta.section
        return None
    for arg in get_args(hint):
        found = _ref_section(arg)
        if found:
            return found
    return None


def references_of(value: Any, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """Yield ``(section, name, field path)`` for every reference field inside a resource or nested dataclass.

    Interpolations (``${roles.build.arn}``) count too: they reference the resource they name.
    """
    if not hasattr(value, "__dataclass_fields__"):
        return
    kind: type = type(value)
    refs = reference_fields(kind)
    for f in fields(value):
        item = getattr(value, f.name)
        path = f"{prefix}{f.name}"
        if f.name in refs and item is not None:
            names = item if isinstance(item, tuple) else (item,)
            for name in names:
                # A reference may also be a literal ARN (e.g. an AWS managed policy); only names refer.
                if isinstance(name, str) and not name.startswith("arn:"):
                    yield refs[f.name], name, path
            continue
        items = item if isinstance(item, tuple) else (item,)
        for index, sub in enumerate(items):
            sub_path = f"{path}[{index}]." if isinstance(item, tuple) else f"{path}."
            yield from references_of(sub, sub_path)
        for text in iter_strings(item) if not hasattr(item, "__dataclass_fields__") else ():
            for match in INTERPOLATION.finditer(text):
                if match.group(2) is not None:
                    yield match.group(1), match.group(2), path
