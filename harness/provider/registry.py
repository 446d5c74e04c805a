"""Discovery of resource types: every module in harness.provider.resources that defines ``HANDLER``."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

from harness.model.base import Resource
from harness.provider import resources as _resources_pkg
from harness.provider.base import Handler


@dataclass(frozen=True, slots=True)
class Registry:
    """The resource types known to the provider, by section name."""

    handlers: dict[str, Handler[Any]]

    @classmethod
    def discover(cls) -> Registry:
        """Import every resource module and collect its handler.

        Returns:
            A registry; adding a resource type means adding one module with a ``HANDLER`` (or ``HANDLERS``).
        """
        handlers: dict[str, Handler[Any]] = {}
        for info in sorted(pkgutil.iter_modules(_resources_pkg.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{_resources_pkg.__name__}.{info.name}")
            # A module declares one type with HANDLER, or several closely related types with HANDLERS.
            found = (getattr(module, "HANDLER", None), *getattr(module, "HANDLERS", ()))
            for handler in found:
                if isinstance(handler, Handler):
                    handlers[handler.resource_type.SECTION] = handler
        return cls(handlers)

    def handler_for(self, resource: Resource) -> Handler[Any]:
        """The handler of a resource's type."""
        return self.handlers[resource.SECTION]

    def resource_types(self) -> dict[str, type[Resource]]:
        """Resource classes by section."""
        return {section: h.resource_type for section, h in self.handlers.items()}
