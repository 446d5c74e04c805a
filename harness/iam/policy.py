"""The IAM JSON policy grammar: a typed, validated model of policy documents and its parser."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError
from harness.iam.conditions import ConditionBlock, ConditionTest, parse_operator

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"

_POLICY_KEYS = {"version": "Version", "id": "Id", "statement": "Statement"}
_STATEMENT_KEYS = {
    "sid": "Sid",
    "effect": "Effect",
    "action": "Action",
    "notaction": "NotAction",
    "resource": "Resource",
    "notresource": "NotResource",
    "principal": "Principal",
    "notprincipal": "NotPrincipal",
    "condition": "Condition",
}
_PRINCIPAL_TYPES = {
    "aws": "AWS",
    "service": "Service",
    "federated": "Federated",
    "canonicaluser": "CanonicalUser",
}


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A Principal or NotPrincipal element: ``"*"`` or typed entries such as ``("AWS", "111122223333")``."""

    entries: tuple[tuple[str, str], ...]

    @property
    def is_wildcard(self) -> bool:
        """True for ``"*"`` and ``{"AWS": "*"}``."""
        return any(kind == "*" or (kind == "AWS" and value == "*") for kind, value in self.entries)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a policy, validated: exactly one of Action/NotAction and of Resource/NotResource."""

    effect: str
    index: int
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: PrincipalSet | None = None
    not_principal: PrincipalSet | None = None
    condition: ConditionBlock | None = None

    def __post_init__(self) -> None:
        if self.effect not in ("Allow", "Deny"):
            raise ValueError(f"Effect must be Allow or Deny, not {self.effect!r}")
        if (self.actions is None) == (self.not_actions is None):
            raise ValueError("a statement needs exactly one of Action and NotAction")

    @property
    def label(self) -> str | int:
        """The statement's name in explanations: its Sid, or its index when it has none."""
        return self.sid if self.sid else self.index


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document."""

    name: str
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17; otherwise ``${...}`` is literal."""
        return self.version == VERSION_2012


def _fail(where: str, expected: str, found: Any, fix: str, field: str | None = None) -> InputError:
    shown = found if isinstance(found, str) and found.startswith("<") else repr(found)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return InputError(where=where, expected=expected, found=shown, fix=fix, field=field)


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings (AWS accepts both)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _fail(where, f"{field} as a string or a non-empty list of strings", value, f"fix the {field} element", field)


def _check_arn(value: str, where: str, field: str) -> None:
    """A Resource/NotResource entry is ``*`` or an ARN of six colon-separated parts (wildcards allowed)."""
    if value == "*":
        return
    if not value.startswith("arn:") or value.count(":") < 5 or not value.split(":", 5)[5]:
        raise _fail(
            where,
            "* or an ARN with six colon-separated parts (arn:partition:service:region:account:resource)",
            value,
            f"write the {field} entry as a full ARN, e.g. arn:aws:s3:::bucket/*",
            field,
        )


def _check_action(value: str, where: str, field: str) -> None:
    if value == "*":
        return
    service, sep, name = value.partition(":")
    if not sep or not service or not name or ":" in name:
        raise _fail(
            where,
            "an action as service:Action (wildcards allowed) or *",
            value,
            f"write the {field} entry as e.g. s3:GetObject",
            field,
        )


def _principal(value: Any, where: str, field: str) -> PrincipalSet:
    if value == "*":
        return PrincipalSet((("*", "*"),))
    if isinstance(value, dict | Mapping) and value:
        entries: list[tuple[str, str]] = []
        for raw_kind, raw_values in value.items():
            kind = _PRINCIPAL_TYPES.get(str(raw_kind).lower())
            if kind is None:
                raise _fail(
                    where,
                    f"{field} keys AWS, Service, Federated or CanonicalUser",
                    raw_kind,
                    f"use a documented principal type in {field}",
                    field,
                )
            for entry in _strings(raw_values, where, f"{field}.{kind}"):
                entries.append((kind, entry.strip()))
        return PrincipalSet(tuple(entries))
    raise _fail(
        where,
        f'{field} as "*" or an object such as {{"AWS": "arn:..."}}',
        value,
        f"fix the {field} element",
        field,
    )


def _condition(value: Any, where: str, variables: bool) -> ConditionBlock:
    if not isinstance(value, dict | Mapping):
        raise _fail(
            where,
            "Condition as an object {operator: {key: value(s)}}",
            value,
            "fix the Condition element",
            "Condition",
        )
    tests: list[ConditionTest] = []
    for raw_operator, entries in value.items():
        operator = parse_operator(str(raw_operator), where=where)
        if not isinstance(entries, dict | Mapping) or not entries:
            raise _fail(
                where,
                f"{raw_operator} to map condition keys to values",
                entries,
                'write the operator\'s entries as {"key": "value"}',
                "Condition",
            )
        for key, raw in entries.items():
            items = raw if isinstance(raw, list) else [raw]
            values: list[str] = []
            for item in items:
                if isinstance(item, bool):
                    values.append("true" if item else "false")
                elif isinstance(item, int | float):
                    values.append(repr(item) if isinstance(item, float) else str(item))
                elif isinstance(item, str):
                    values.append(item)
                else:
                    raise _fail(
                        f"{where}, {raw_operator} {key}",
                        "a string, number or boolean value",
                        item,
                        "give condition values as strings, numbers, booleans or a list of them",
                        "Condition",
                    )
            if not values:
                raise _fail(
                    f"{where}, {raw_operator} {key}",
                    "at least one value",
                    raw,
                    "give the condition key a value",
                    "Condition",
                )
            tests.append(ConditionTest.compile(operator, str(key), values, variables=variables, where=where))
    return ConditionBlock(tuple(tests))


def _statement(raw: Any, index: int, policy: str, variables: bool) -> Statement:
    if not isinstance(raw, dict | Mapping):
        raise _fail(
            f"policy {policy!r}, statement {index}",
            "a statement object",
            raw,
            "write each statement as a JSON object",
            "Statement",
        )
    sid = raw.get("Sid", raw.get("sid"))
    label = f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"
    where = f"policy {policy!r}, {label}"
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        canonical = _STATEMENT_KEYS.get(str(key).lower())
        if canonical is None:
            raise _fail(
                where,
                "only Sid, Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal and Condition",
                key,
                f"remove or rename the element {key!r}",
                key,
            )
        if canonical in fields:
            raise _fail(where, f"{canonical} once", key, f"merge the repeated {canonical} elements", canonical)
        fields[canonical] = value
    if sid is not None and not isinstance(sid, str):
        raise _fail(where, "Sid as a string", sid, "make the Sid a string", "Sid")
    effect = fields.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise _fail(
            where,
            'Effect "Allow" or "Deny"',
            effect if effect is not None else "<missing>",
            'set Effect to "Allow" or "Deny" (case-sensitive)',
            "Effect",
        )
    if "Action" in fields and "NotAction" in fields:
        raise _fail(where, "exactly one of Action and NotAction", "<both>", "keep only one of them", "Action")
    if "Action" not in fields and "NotAction" not in fields:
        raise _fail(where, "exactly one of Action and NotAction", "<neither>", "add an Action element", "Action")
    if "Resource" in fields and "NotResource" in fields:
        raise _fail(where, "at most one of Resource and NotResource", "<both>", "keep only one of them", "Resource")
    if "Principal" in fields and "NotPrincipal" in fields:
        raise _fail(where, "at most one of Principal and NotPrincipal", "<both>", "keep only one of them", "Principal")
    actions = not_actions = resources = not_resources = None
    if "Action" in fields:
        actions = _strings(fields["Action"], where, "Action")
        for action in actions:
            _check_action(action, where, "Action")
    if "NotAction" in fields:
        not_actions = _strings(fields["NotAction"], where, "NotAction")
        for action in not_actions:
            _check_action(action, where, "NotAction")
    if "Resource" in fields:
        resources = _strings(fields["Resource"], where, "Resource")
        for resource in resources:
            _check_arn(resource, where, "Resource")
    if "NotResource" in fields:
        not_resources = _strings(fields["NotResource"], where, "NotResource")
        for resource in not_resources:
            _check_arn(resource, where, "NotResource")
    if "NotPrincipal" in fields and effect == "Allow":
        raise _fail(
            where,
            'NotPrincipal only with "Effect": "Deny"',
            "NotPrincipal with Allow",
            "use Principal, or a Deny with NotPrincipal (AWS does not support NotPrincipal with Allow)",
            "NotPrincipal",
        )
    principal = _principal(fields["Principal"], where, "Principal") if "Principal" in fields else None
    not_principal = _principal(fields["NotPrincipal"], where, "NotPrincipal") if "NotPrincipal" in fields else None
    condition = _condition(fields["Condition"], where, variables) if "Condition" in fields else None
    return Statement(
        effect=str(effect),
        index=index,
        sid=sid or None,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principal=principal,
        not_principal=not_principal,
        condition=condition,
    )


def parse_policy(document: Any, name: str = "policy") -> Policy:
    """Parse and validate a policy document.

    Lenient where AWS is: the document may be a JSON string, ``Statement`` a single object, ``Action`` and
    ``Resource`` single strings; element names are matched case-insensitively.

    Args:
        document: the policy as a mapping or a JSON string.
        name: how errors and explanations name this policy.

    Returns:
        The validated :class:`Policy`.

    Raises:
        InputError: naming the policy, the statement (Sid or index) and the field at fault.
    """
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except (ValueError, RecursionError) as exc:
            raise _fail(
                f"policy {name!r}", "a JSON policy document", f"<invalid JSON: {exc}>", "fix the JSON syntax"
            ) from None
    if not isinstance(document, Mapping):
        raise _fail(
            f"policy {name!r}",
            "a policy object with Version and Statement",
            document,
            "give the policy as a JSON object",
        )
    fields: dict[str, Any] = {}
    for key, value in document.items():
        canonical = _POLICY_KEYS.get(str(key).lower())
        if canonical is None:
            raise _fail(
                f"policy {name!r}",
                "only Version, Id and Statement at the top level",
                key,
                f"remove or rename the element {key!r}",
                str(key),
            )
        fields[canonical] = value
    version = fields.get("Version")
    if version is not None and version not in (VERSION_2012, VERSION_2008):
        raise _fail(
            f"policy {name!r}",
            f'Version "{VERSION_2012}" or "{VERSION_2008}"',
            version,
            f'set Version to "{VERSION_2012}"',
            "Version",
        )
    policy_id = fields.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise _fail(f"policy {name!r}", "Id as a string", policy_id, "make the Id a string", "Id")
    if "Statement" not in fields:
        raise _fail(f"policy {name!r}", "a Statement element", "<missing>", "add at least one statement", "Statement")
    raw_statements = fields["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise _fail(
            f"policy {name!r}",
            "Statement as an object or a list of objects",
            raw_statements,
            "fix the Statement element",
            "Statement",
        )
    variables = version == VERSION_2012
    statements = tuple(_statement(raw, index, name, variables) for index, raw in enumerate(raw_statements))
    return Policy(name=name, statements=statements, version=version, id=policy_id)


def policy_from(document: Policy | Any, name: str) -> Policy:
    """Return ``document`` if already parsed, else parse it under ``name``."""
    if isinstance(document, Policy):
        return document
    return parse_policy(document, name)


__all__ = [
    "VERSION_2008",
    "VERSION_2012",
    "Policy",
    "PrincipalSet",
    "Statement",
    "parse_policy",
    "policy_from",
]
