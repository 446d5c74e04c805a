"""Declared names on a backend others share: strings that spell them follow the resources under the run prefix.

On a backend that is fresh for the run, resources keep the physical names their definition declares, and a policy
that spells ``arn:aws:s3:::acme-artifacts/*`` matches the bucket as it does in AWS. On a backend others share (a
real account, a shared LocalStack) every resource gets the run prefix, so that policy would name a bucket that does
not exist. There, every ARN that spells a declared name is rewritten to the name the resource is created under.
A wildcard that reaches a resource only by its declared name (``arn:aws:s3:::acme-*``) cannot be rewritten without
changing what else it matches: it is reported, and the claims whose decision depends on it are UNVERIFIED.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.iam.patterns import arn_regex
from harness.model.arns import arn_of, name_in_arn
from harness.model.base import GLOBAL_VARIABLES, INTERPOLATION, iter_strings
from harness.model.definition import Definition, Unknown

if TYPE_CHECKING:
    from harness.provider.base import ProviderContext

# What a wildcard is tried on below a resource's ARN: the resource itself, an object or child under it.
_BELOW = ("", "/pipewarden-probe", ":pipewarden-probe")


@dataclass(frozen=True, slots=True)
class Respelled:
    """One declared name and the name its resource is created under."""

    address: str
    declared: str
    physical: str
    pattern: re.Pattern[str]


def respellings(definition: Definition, ctx: ProviderContext) -> tuple[Respelled, ...]:
    """The declared names of ``definition`` whose resources ``ctx`` creates under another name, longest first."""
    found = []
    for address, declared in definition.physical_names.items():
        section, name = address.split(".", 1)
        physical = ctx.name_of(section, name)
        pattern = name_in_arn(section, declared)
        if pattern is not None and physical != declared:
            found.append(Respelled(address, declared, physical, pattern))
    return tuple(sorted(found, key=lambda r: -len(r.declared)))


def respeller(spelled: tuple[Respelled, ...]) -> Callable[[str], str] | None:
    """A function rewriting every ARN in a string that spells a declared name; None when nothing is renamed."""
    if not spelled:
        return None

    def respell(text: str) -> str:
        if "arn:" not in text:
            return text
        for one in spelled:
            text = one.pattern.sub(_replacement(one.physical), text)
        return text

    return respell


def _replacement(physical: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group("head") + physical


def unrewritten(definition: Definition, ctx: ProviderContext, spelled: tuple[Respelled, ...]) -> tuple[Unknown, ...]:
    """The wildcard ARNs of ``definition`` that reach a renamed resource only under its declared name.

    Each is an unknown of the field that holds it (a role's ``policies``, a bucket's ``policy``): what it grants or
    refuses in AWS cannot be tried here.
    """
    if not spelled:
        return ()
    respell = respeller(spelled)
    assert respell is not None
    targets = []
    for one in spelled:
        section = one.address.split(".", 1)[0]
        concrete = {"partition": ctx.partition, "region": ctx.region, "account": ctx.account_id}
        declared = arn_of(section, _concrete(one.declared, ctx), **concrete)
        physical = arn_of(section, _concrete(one.physical, ctx), **concrete)
        if declared is not None and physical is not None:
            targets.append((one, declared, physical))
    found: list[Unknown] = []
    for resource in definition.resources:
        for aspect, text in _strings(resource):
            if not text.startswith("arn:") or not ("*" in text or "?" in text):
                continue
            pattern = _concrete(respell(text), ctx)
            if "${" in pattern:
                continue  # refers to a deployed attribute: follows the resource wherever it is created
            regex = arn_regex(pattern)
            for one, declared, physical in targets:
                lost = next(
                    (
                        declared + below
                        for below in _BELOW
                        if regex.fullmatch(declared + below) and not regex.fullmatch(physical + below)
                    ),
                    None,
                )
                if lost is None:
                    continue
                unknown = Unknown(
                    str(resource.address),
                    aspect,
                    f"'{text}' matches {one.address} ('{lost}') only by its declared name '{one.declared}', and on "
                    f"this shared backend it is created as '{one.physical}'",
                )
                if unknown not in found:
                    found.append(unknown)
    return tuple(found)


def _concrete(text: str, ctx: ProviderContext) -> str:
    """``text`` with the deploy-time values (account, region, partition) filled in."""

    def value(match: re.Match[str]) -> str:
        section, name, _attribute = match.groups()
        if name is None and section in GLOBAL_VARIABLES:
            return str(
                {"account_id": ctx.account_id, "region": ctx.region, "partition": ctx.partition}.get(
                    section, match.group(0)
                )
            )
        return match.group(0)

    return INTERPOLATION.sub(value, text)


def _strings(resource: Any) -> Iterator[tuple[str, str]]:
    """Every string inside a resource's fields, with the field it sits in."""
    for field in dataclasses.fields(resource):
        if field.name != "name":
            yield from ((field.name, s) for s in iter_strings(getattr(resource, field.name)))
