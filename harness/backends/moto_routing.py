"""moto's request routing, worked out once instead of on every call.

moto routes every request from scratch: it matches the URL against the pattern of every service it knows, one
after the other, then builds that service's table of URL patterns afresh (``BaseBackend.urls``; for S3 it first
reloads the module holding them, because two settings read from the environment can change them) and matches the
URL against each entry; then, to find the operation, it lists the methods of the service's response class. That is
about a millisecond of every call, paid on each of the hundreds of calls a deploy, a plan and a scenario make.

Here two of those are kept, each a pure function of what it is kept by, so the routing is what moto's own gives:

- the table of a service, per backend class and per value of the settings it depends on;
- the methods of a response class, until the class gains one (as the harness's own additions to moto's IAM do).

Applies to the in-process moto and the moto server the harness starts (which runs in this process); made once per
process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()
_MARK = "_pipewarden_routing"
# The settings moto's URL tables depend on (moto.settings: get_s3_custom_endpoints, enable_iso_regions).
_SETTINGS = ("MOTO_S3_CUSTOM_ENDPOINTS", "MOTO_ENABLE_ISO_REGIONS")


def route_moto_calls_once() -> None:
    """Keep moto's routing between calls (see the module note); idempotent."""
    try:
        from moto.core import responses
        from moto.core.base_backend import BaseBackend
        from moto.s3.models import S3Backend
    except ImportError:  # pragma: no cover - moto is a dependency of both moto backends
        return
    with _LOCK:
        if getattr(BaseBackend, _MARK, False):
            return
        # Replacing moto's own members: properties read from the class's namespace, the function from its module.
        setattr(BaseBackend, "urls", _kept(vars(BaseBackend)["urls"]))  # noqa: B010
        setattr(S3Backend, "_url_module", _kept(vars(S3Backend)["_url_module"]))  # noqa: B010
        listed = getattr(responses, "method_names_from_class")  # noqa: B009
        setattr(responses, "method_names_from_class", _names_kept(listed))  # noqa: B010
        setattr(BaseBackend, _MARK, True)


def _kept(computed: property) -> property:
    """``computed`` worked out once per backend class and per value of the settings it depends on."""
    kept: dict[tuple[Any, ...], Any] = {}

    def value(self: Any) -> Any:
        key = (type(self), *(os.environ.get(name) for name in _SETTINGS))
        if key not in kept:
            kept[key] = computed.fget(self) if computed.fget else None
        return kept[key]

    return property(value, doc=computed.__doc__)


def _names_kept(listed: Callable[[Any], list[str]]) -> Callable[[Any], list[str]]:
    """``listed`` (the method names of a class) worked out again only when a class on its MRO gains an attribute."""
    kept: dict[type, tuple[tuple[int, ...], list[str]]] = {}

    def names(clazz: Any) -> list[str]:
        shape = tuple(len(vars(k)) for k in clazz.__mro__)
        found = kept.get(clazz)
        if found is None or found[0] != shape:
            found = kept[clazz] = (shape, listed(clazz))
        return list(found[1])

    return names
