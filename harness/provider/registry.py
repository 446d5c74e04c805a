"""Discovery of resource types: every module in harness.provider.resources with its handler and spellings."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.model.base import Resource
from harness.model.schema import Fold, Ignored, Schema, StandIn
from harness.provider import resources as _resources_pkg
from harness.provider.base import Handler


@dataclass(frozen=True, slots=True)
class Registry:
    """The resource types known to the provider, by section name, and how the source formats spell them.

    Attributes:
        handlers: the handler of each section.
        schemas: every declared spelling (a model type may have several: a secret from Secrets Manager or from
            Parameter Store).
        folds: source types that become part of other resources.
        ignored: source types deliberately not deployed, with the reason.
        stand_ins: how resources named but not declared are stood in for, per type.
    """

    handlers: dict[str, Handler[Any]]
    schemas: tuple[Schema, ...] = ()
    folds: tuple[Fold, ...] = ()
    ignored: tuple[Ignored, ...] = ()
    stand_ins: tuple[StandIn, ...] = ()
    _cfn: dict[str, Schema] = field(default_factory=dict, repr=False)
    _tf: dict[str, Schema] = field(default_factory=dict, repr=False)
    _tf_variants: dict[str, tuple[Schema, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for schema in self.schemas:
            if schema.cfn is not None:
                if schema.cfn.type in self._cfn:
                    raise ValueError(f"{schema.cfn.type} is spelled by two schemas")
                self._cfn[schema.cfn.type] = schema
            if schema.tf is None:
                continue
            if schema.tf.when is not None:
                # A spelling that applies to some values only; the type's plain spelling covers the rest.
                self._tf_variants[schema.tf.type] = (*self._tf_variants.get(schema.tf.type, ()), schema)
                continue
            if schema.tf.type in self._tf:
                raise ValueError(f"{schema.tf.type} is spelled by two schemas")
            self._tf[schema.tf.type] = schema
        for rtype in self._tf_variants:
            if rtype not in self._tf:
                raise ValueError(f"{rtype} has spellings for some values only, and none for the others")

    @classmethod
    def discover(cls) -> Registry:
        """Every resource module's handler, schemas, folds and ignored types (read once per process).

        Returns:
            A registry; adding a resource type means adding one module with a ``HANDLER`` (or ``HANDLERS``) and
            its ``SCHEMA`` (or ``SCHEMAS``), ``FOLDS``, ``IGNORED`` and ``STAND_IN`` as it needs.
        """
        return _discovered()

    def handler_for(self, resource: Resource) -> Handler[Any]:
        """The handler of a resource's type."""
        return self.handlers[resource.SECTION]

    def resource_types(self) -> dict[str, type[Resource]]:
        """Resource classes by section."""
        return {section: h.resource_type for section, h in self.handlers.items()}

    def cfn_types(self) -> tuple[str, ...]:
        """The CloudFormation types mapped onto the model, sorted."""
        return tuple(sorted(self._cfn))

    def tf_types(self) -> tuple[str, ...]:
        """The Terraform types mapped onto the model, sorted."""
        return tuple(sorted(self._tf))

    def cfn_folded(self) -> tuple[str, ...]:
        """The CloudFormation types folded into other resources, sorted."""
        return tuple(sorted(f.cfn for f in self.folds if f.cfn))

    def tf_folded(self) -> tuple[str, ...]:
        """The Terraform types folded into other resources, sorted."""
        return tuple(sorted(f.tf for f in self.folds if f.tf))

    def cfn_schema(self, rtype: str) -> Schema | None:
        """The schema of a CloudFormation resource type."""
        return self._cfn.get(rtype)

    def tf_schema(self, rtype: str, values: Mapping[str, Any] | None = None) -> Schema | None:
        """The schema of a Terraform resource type; with the planned ``values``, the spelling that applies to them
        (an ``aws_ssm_parameter`` of type SecureString is a secret, any other a plain parameter)."""
        if values is not None:
            for schema in self._tf_variants.get(rtype, ()):
                assert schema.tf is not None and schema.tf.when is not None  # how variants are collected
                if schema.tf.when(values):
                    return schema
        return self._tf.get(rtype)

    def cfn_fold(self, rtype: str) -> Fold | None:
        """The fold of a CloudFormation type that configures other resources."""
        return next((f for f in self.folds if f.cfn == rtype), None)

    def tf_fold(self, rtype: str) -> Fold | None:
        """The fold of a Terraform type that configures other resources."""
        return next((f for f in self.folds if f.tf == rtype), None)

    def cfn_ignored(self, rtype: str) -> Ignored | None:
        """Why a CloudFormation type is deliberately not deployed."""
        return next((i for i in self.ignored if i.cfn == rtype), None)

    def tf_ignored(self, rtype: str) -> Ignored | None:
        """Why a Terraform type is deliberately not deployed."""
        return next((i for i in self.ignored if i.tf == rtype), None)

    def stand_in(self, section: str) -> StandIn | None:
        """How a section's resources are stood in for, if they can be."""
        return next((s for s in self.stand_ins if section == s.cls.SECTION), None)

    def schema_of(self, cls: type[Resource]) -> tuple[Schema, ...]:
        """The schemas that map onto a model type."""
        return tuple(s for s in self.schemas if s.cls is cls)


@functools.cache
def _discovered() -> Registry:
    # Read-only after construction: the modules' declarations are constants, so one registry serves the process.
    handlers: dict[str, Handler[Any]] = {}
    schemas: list[Schema] = []
    folds: list[Fold] = []
    ignored: list[Ignored] = []
    stand_ins: list[StandIn] = []
    for info in sorted(pkgutil.iter_modules(_resources_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_resources_pkg.__name__}.{info.name}")
        # A module declares one type with HANDLER, or several closely related types with HANDLERS.
        for handler in (getattr(module, "HANDLER", None), *getattr(module, "HANDLERS", ())):
            if isinstance(handler, Handler):
                handlers[handler.resource_type.SECTION] = handler
        for schema in (getattr(module, "SCHEMA", None), *getattr(module, "SCHEMAS", ())):
            if isinstance(schema, Schema):
                schemas.append(schema)
        folds.extend(f for f in getattr(module, "FOLDS", ()) if isinstance(f, Fold))
        ignored.extend(i for i in getattr(module, "IGNORED", ()) if isinstance(i, Ignored))
        stand_in = getattr(module, "STAND_IN", None)
        if isinstance(stand_in, StandIn):
            stand_ins.append(stand_in)
    return Registry(handlers, tuple(schemas), tuple(folds), tuple(ignored), tuple(stand_ins))
