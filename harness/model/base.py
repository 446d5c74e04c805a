"""The resource model's building blocks: the Resource base class, references and interpolation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeAlias

JsonDoc: TypeAlias = Mapping[str, Any]
"""A JSON object kept as plain data (policy documents, buildspecs, configurations)."""

Tags: TypeAlias = Mapping[str, str]

# ${section.name.attribute} or ${account_id}/${region}/${partition}/${prefix}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_-]+)\.([A-Za-z_]+))?\}")
GLOBAL_VARIABLES = frozenset({"account_id", "region", "partition", "prefix"})
# ${physical:section/name}: the physical name of a resource of the definition, without depending on it.
PHYSICAL_NAME = re.compile(r"\$\{physical:([a-z_]+)/([A-Za-z0-9_-]+)\}")


@dataclass(frozen=True, slots=True)
class RefTo:
    """Marks a ``str`` field (via ``Annotated``) as the name of another resource in ``section``."""

    section: str


@dataclass(frozen=True, slots=True)
class Address:
    """Where a resource sits in a definition: its section and logical name, e.g. ``roles.build``."""

    section: str
    name: str

    def __str__(self) -> str:
        return f"{self.section}.{self.name}"


@dataclass(frozen=True, slots=True)
class Resource:
    """Base of every resource type.

    Subclasses set ``SECTION`` (the key under ``resources:`` in harness YAML, e.g. ``roles``) and ``KIND`` (a
    human word used in messages, e.g. ``IAM role``). ``name`` is the logical name; the physical name is the run
    prefix plus this name, so a sweeper can find leftovers.
    """

    SECTION: ClassVar[str] = ""
    KIND: ClassVar[str] = ""
    # Attribute names a reference may ask for (``${roles.build.arn}``).
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ("name", "arn")
    # A per-account singleton (Security Hub is enabled once per account and region): one per definition at most.
    SINGLETON: ClassVar[bool] = False

    name: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}", self.name):
            raise ValueError(
                f"a name of letters, digits, '-' or '_' (at most 63), found {self.name!r}; rename the resource"
            )

    @property
    def address(self) -> Address:
        """The resource's address in its definition."""
        return Address(self.SECTION, self.name)


def iter_strings(value: Any) -> Iterator[str]:
    """Yield every string inside nested mappings, sequences and dataclasses."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_strings(key)
            yield from iter_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_strings(item)
    elif hasattr(value, "__dataclass_fields__"):
        for f in fields(value):
            yield from iter_strings(getattr(value, f.name))


def interpolations(value: Any) -> Iterator[tuple[str, str, str]]:
    """Yield ``(section, name, attribute)`` for each resource interpolation inside ``value``."""
    for text in iter_strings(value):
        for match in INTERPOLATION.finditer(text):
            if match.group(2) is not None:
                yield match.group(1), match.group(2), match.group(3)
