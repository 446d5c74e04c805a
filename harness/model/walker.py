"""The generic walker: reads a resource's fields from a source format by the spellings its type declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.model.schema import (
    CLOUDFORMATION,
    MISSING,
    TERRAFORM,
    Draft,
    Field,
    Props,
    Reader,
    Schema,
    describe,
)


def map_fields(reader: Reader, schema: Schema, props: Props, draft: Draft) -> None:
    """Read every field of ``schema`` from ``props`` into ``draft``, then its format's quiet, ignored and finish.

    Args:
        reader: the loader, in its format.
        schema: the type's declaration.
        props: the resource's evaluated properties (CloudFormation) or values (Terraform).
        draft: the resource being built; fields read are set in its keyword arguments.
    """
    read_fields(reader, schema.fields, props, draft, draft.kwargs)
    spelling = schema.cfn if reader.format == CLOUDFORMATION else schema.tf
    if spelling is None:
        return
    settle(props, spelling.quiet, spelling.ignore)
    if spelling.finish is not None:
        spelling.finish(reader, draft, props)


def read_fields(reader: Reader, fields: tuple[Field, ...], props: Props, draft: Draft, into: dict[str, Any]) -> None:
    """Read ``fields`` from ``props`` into ``into`` (fields without a value are left out)."""
    for item in fields:
        value = read_field(reader, item, props, draft)
        if value is not MISSING:
            into[item.name] = value


def read_field(reader: Reader, item: Field, props: Props, draft: Draft) -> Any:
    """One field's model value from ``props``, or ``MISSING`` to leave the model's default.

    Raises:
        InputError: a required property is missing, or a value has the wrong type or is not one of the choices.
    """
    fmt = reader.format
    own = item.reader(fmt)
    if own is not None:
        return own(reader, props, draft)
    spelling = item.spelling(fmt)
    default = item.default_in(fmt)
    if default is MISSING and item.read in _LISTS and not item.required:
        default = ()  # an absent list is an empty one
    if spelling is None:
        return default
    node, key = descend(props, spelling)
    if node is None or not node.has(key):
        # The value itself, or the block holding it, may be known only at apply.
        for path in ((node or props).at(key), props.at(spelling.split(".")[0])):
            reason = reader.unknown_at(path)
            if reason is not None:
                return _unknown(reader, item, draft, path, reason, default)
        # A property with a default in this format is never missing there.
        if item.required and default is MISSING:
            if reader.format == TERRAFORM and item.read == "doc":
                # A plan leaves out what is known only at apply; a policy document often is.
                reader.fail((node or props).at(key), f"'{key}' known at plan time", "it unknown or missing",
                            "set the policy document")  # fmt: skip
            (node or props).require(key if node is not None else spelling)
        if node is not None:
            node.ignore(key)
        return default
    value = _read(reader, item, node, key, draft)
    approximate = reader.unknown_at(node.at(key))
    if approximate is not None:
        reader.unknown(draft.address, item.name, approximate)  # a value the source can only approximate
    if item.choices and isinstance(value, str) and value not in item.choices:
        if len(item.choices) == 2:
            either = " or ".join(item.choices)
            reader.fail(node.at(key), either, repr(value), f"use {either}")
        reader.fail(node.at(key), f"one of {', '.join(item.choices)}", repr(value), "use one")
    if item.parse is not None and value is not MISSING:
        value = item.parse(reader, value, node.at(key))
    return value


_LISTS = frozenset({"strings", "refs", "heres", "structs"})


def _unknown(reader: Reader, item: Field, draft: Draft, path: str, reason: str, default: Any) -> Any:
    """A field whose value the source knows only at apply: a stand-in for a reference, else the field is unknown.

    A single reference gets a stand-in resource (a role known only after apply is still a role); anything else is
    recorded as unknown about the resource, deployed with ``when_unknown`` or the default.
    """
    if item.read in ("ref", "here"):
        found = reader.stand_in(item.section, path, path, reason)
        if found is not None:
            return found
    reader.unknown(draft.address, item.name, reason)
    return default if item.when_unknown is MISSING else item.when_unknown


def descend(props: Props, spelling: str) -> tuple[Props | None, str]:
    """The nested properties holding the last part of a dotted spelling, and that part.

    ``Source.BuildSpec`` reads ``BuildSpec`` of the ``Source`` mapping; ``source.buildspec`` reads it from the
    first ``source`` block of a plan. Returns ``(None, key)`` when an intermediate part is absent.
    """
    *parents, key = spelling.split(".")
    node: Props | None = props
    for part in parents:
        if node is None:
            break
        value = node.values.get(part)
        if value is None:
            return None, key
        if not isinstance(value, Mapping | list | tuple):
            node.fail(node.at(part), "a mapping", describe(value), f"write '{part}' as key: value pairs")
        node = node.block(part)
    return node, key


def settle(props: Props, quiet: Mapping[str, Any], ignore: tuple[str, ...]) -> None:
    """Mark properties holding their default (``quiet``) and properties the harness handles itself as mapped."""
    for spelling, default in quiet.items():
        node, key = _existing(props, spelling)
        if node is not None and same(node.values.get(key), default):
            node.ignore(key)
    for spelling in ignore:
        node, key = _existing(props, spelling)
        if node is not None:
            node.ignore(key)


def _existing(props: Props, spelling: str) -> tuple[Props | None, str]:
    *parents, key = spelling.split(".")
    node: Props | None = props
    for part in parents:
        if node is None or not isinstance(node.values.get(part), Mapping | list | tuple):
            return None, key
        node = node.block(part)
    return node, key


def same(value: Any, default: Any) -> bool:
    """A source value equals a default, with the format's looseness (``"true"`` is true, ``"30"`` is 30)."""
    if value == default and type(value) is type(default):
        return True
    if isinstance(value, bool) or isinstance(default, bool):
        return str(value).lower() == str(default).lower()
    return value == default or (isinstance(value, str | int | float) and str(value) == str(default))


def _read(reader: Reader, item: Field, node: Props, key: str, draft: Draft) -> Any:
    kind = item.read
    path = node.at(key)
    if kind == "text":
        return node.text(key)
    if kind == "raw":
        return node.raw(key)
    if kind == "int":
        return node.integer(key)
    if kind == "number":
        return node.number(key)
    if kind == "flag":
        return bool(node.flag(key))
    if kind == "doc":
        return node.doc(key)
    if kind == "tags":
        return tags_of(reader, node.raw(key), path)
    if kind == "strings":
        return node.strings(key)
    if kind == "map":
        return {str(k): "" if v is None else str(v) for k, v in node.mapping(key).items()}
    if kind == "ref":
        found = reader.reference(node.raw(key), item.section, path, arn_ok=item.arn_ok, crosses=item.crosses)
        return MISSING if found is None else found
    if kind == "refs":
        refs = (
            reader.reference(value, item.section, f"{path}[{index}]", arn_ok=item.arn_ok, crosses=item.crosses)
            for index, value in enumerate(node.seq(key))
        )
        return tuple(r for r in refs if r)
    if kind == "here":
        return reader.here(node.raw(key), path, item.section, item.what)
    if kind == "heres":
        return tuple(
            reader.here(value, f"{path}[{index}]", item.section, item.what) for index, value in enumerate(node.seq(key))
        )
    if kind == "struct":
        sub = node.block(key)
        return MISSING if sub is None else build_struct(reader, item, sub, draft)
    if kind == "structs":
        return tuple(build_struct(reader, item, sub, draft) for sub in node.items(key))
    raise ValueError(f"unknown read kind {kind!r}")  # a schema bug, caught by the schema tests


def build_struct(reader: Reader, item: Field, sub: Props, draft: Draft) -> Any:
    """Build a nested model value from its fields."""
    values: dict[str, Any] = {}
    read_fields(reader, item.fields, sub, draft, values)
    assert item.struct is not None  # checked by Field
    return reader.make(item.struct, sub.path, draft.line, **values)


def tags_of(reader: Reader, value: Any, path: str) -> dict[str, str]:
    """Tags from CloudFormation's ``[{Key, Value}]`` list or a plain mapping (Terraform, some CloudFormation types)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    if not isinstance(value, list | tuple):
        reader.fail(path, "tags as a list of {Key, Value} or a mapping", describe(value), "write the tags as a list")
    out: dict[str, str] = {}
    for index, pair in enumerate(value):
        if not isinstance(pair, Mapping) or "Key" not in pair:
            reader.fail(
                f"{path}[{index}]", "a tag {Key: ..., Value: ...}", describe(pair), "write each tag as Key and Value"
            )
        out[str(pair["Key"])] = str(pair.get("Value", ""))
    return out
