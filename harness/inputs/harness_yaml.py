"""The native input: harness YAML pipeline definitions, validated with file, line and field in every error."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml

from harness.errors import InputError
from harness.inputs.text import read_text
from harness.model.base import Resource
from harness.model.definition import Definition, Environment, SourceLocation
from harness.provider.registry import Registry

SCHEMA_VERSION = 1
TOP_LEVEL = ("pipewarden", "name", "description", "environments", "resources")


def load_definition(path: str | Path, registry: Registry | None = None) -> Definition:
    """Load and validate a harness YAML definition file.

    Args:
        path: the YAML file.
        registry: resource types to accept (all discovered types when None).

    Returns:
        The validated definition.

    Raises:
        InputError: naming the file, line and field, what was expected, what was found and the fix.
    """
    path = Path(path)
    text = read_text(path, "a harness YAML file")
    return parse_definition(text, str(path), registry)


def parse_definition(text: str, filename: str = "<string>", registry: Registry | None = None) -> Definition:
    """Parse harness YAML text into a definition (see ``load_definition``)."""
    return _Builder(filename, registry or Registry.discover()).definition(text)


class _Builder:
    def __init__(self, filename: str, registry: Registry) -> None:
        self.filename = filename
        self.registry = registry
        self.locations: dict[str, SourceLocation] = {}

    # -- errors ---------------------------------------------------------------------------------------------
    def error(self, node: yaml.Node | None, field: str, expected: str, found: str, fix: str) -> InputError:
        line = node.start_mark.line + 1 if node is not None else None
        where = f"{self.filename}:{line}" if line else self.filename
        if field:
            where += f" field '{field}'"
        return InputError(
            where=where, expected=expected, found=found, fix=fix, file=self.filename, line=line, field=field or None
        )

    @staticmethod
    def describe(node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        if node.tag.endswith(":null"):
            return "nothing (null)"
        return f"{node.tag.rsplit(':', 1)[-1]} {node.value!r}"

    # -- document -------------------------------------------------------------------------------------------
    def definition(self, text: str) -> Definition:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise InputError(
                where=f"{self.filename}:{line}" if line else self.filename,
                expected="valid YAML",
                found=f"a syntax error ({exc.problem or exc.context})",
                fix="fix the YAML syntax at that line (indentation, quotes, colons)",
                file=self.filename,
                line=line,
            ) from None
        except yaml.reader.ReaderError as exc:
            # Raised for control characters before any parsing, with a position instead of a mark.
            line = text.count("\n", 0, exc.position) + 1
            raise InputError(
                where=f"{self.filename}:{line}",
                expected="valid YAML",
                found=f"the character #x{exc.character:04x} ({exc.reason})"
                if isinstance(exc.character, int)
                else f"undecodable bytes ({exc.reason})",
                fix="remove that character or write it as an escape in a double-quoted string",
                file=self.filename,
                line=line,
            ) from None
        if not isinstance(root, yaml.MappingNode):
            raise self.error(
                root,
                "",
                "a mapping with 'pipewarden', 'name' and 'resources'",
                "an empty file" if root is None else self.describe(root),
                "start from fixtures/pipelines/reference",
            )
        top = self.mapping(root, "", TOP_LEVEL)
        version_node = top.get("pipewarden")
        version = None if version_node is None else self.scalar(version_node, "pipewarden")
        # type() and not ==: YAML's true and 1.0 compare equal to 1 but are not the schema version.
        if type(version) is not int or version != SCHEMA_VERSION:
            raise self.error(
                version_node or root,
                "pipewarden",
                f"the schema version {SCHEMA_VERSION}",
                self.describe(version_node) if version_node else "nothing",
                f"add 'pipewarden: {SCHEMA_VERSION}'",
            )
        name_node = top.get("name")
        name = self.typed(name_node, "name", str) if name_node else Path(self.filename).stem
        if "description" in top:
            self.typed(top["description"], "description", str)
        resources_node = top.get("resources")
        if resources_node is None:
            raise self.error(root, "resources", "a 'resources' mapping", "none", "declare the pipeline's resources")
        types_by_section = self.registry.resource_types()
        sections = self.mapping(resources_node, "resources", tuple(types_by_section))
        resources: list[Resource] = []
        for section, section_node in sections.items():
            cls = types_by_section[section]
            for res_name, (name_key, res_node) in self.mapping_with_keys(section_node, f"resources.{section}").items():
                field_path = f"resources.{section}.{res_name}"
                self.locations[f"{section}.{res_name}"] = SourceLocation(self.filename, name_key.start_mark.line + 1)
                resources.append(self.build(cls, res_node, field_path, extra={"name": res_name}))
        environments: dict[str, Environment] = {}
        environments_node = top.get("environments")
        if environments_node is not None:
            for env_name, (key_node, env_node) in self.mapping_with_keys(environments_node, "environments").items():
                self.locations[f"environments.{env_name}"] = SourceLocation(self.filename, key_node.start_mark.line + 1)
                if env_node.tag.endswith(":null"):
                    env_node = yaml.MappingNode("tag:yaml.org,2002:map", [], env_node.start_mark, env_node.end_mark)
                environments[env_name] = self.build(
                    Environment, env_node, f"environments.{env_name}", extra={"name": env_name}
                )
        try:
            return Definition(
                name=str(name),
                resources=tuple(resources),
                source=self.filename,
                locations=dict(self.locations),
                environments=environments,
            )
        except InputError as exc:
            raise exc from None

    # -- node helpers ---------------------------------------------------------------------------------------
    def mapping_with_keys(self, node: yaml.Node, field: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, field, "a mapping", self.describe(node), f"write '{field}' as key: value pairs")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.error(key_node, field, "a string key", self.describe(key_node), "use a plain name as key")
            if key in out:
                raise self.error(key_node, f"{field}.{key}", "each key once", f"'{key}' repeated", "remove one of them")
            out[key] = (key_node, value_node)
        return out

    def mapping(self, node: yaml.Node, field: str, allowed: tuple[str, ...] | None) -> dict[str, yaml.Node]:
        pairs = self.mapping_with_keys(node, field)
        if allowed is not None:
            for key, (key_node, _value) in pairs.items():
                if key not in allowed:
                    path = f"{field}.{key}" if field else key
                    close = _closest(key, allowed)
                    raise self.error(
                        key_node,
                        path,
                        f"one of {', '.join(allowed)}",
                        f"unknown field '{key}'",
                        f"did you mean '{close}'?" if close else "remove it or check the schema in the README",
                    )
        return {k: v for k, (_kn, v) in pairs.items()}

    def scalar(self, node: yaml.Node, field: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, field, "a single value", self.describe(node), "write a single value")
        return self.plain(node, field)

    def plain(self, node: yaml.Node, field: str) -> Any:
        """The Python value of a node; a tag the safe loader cannot construct is a user mistake, not a crash."""
        try:
            return _plain_tree(node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.error(
                node,
                field,
                "a plain YAML value",
                f"one the safe YAML loader cannot read ({problem})",
                "remove the tag (harness YAML has no !Ref or !Sub) or quote the value",
            ) from None

    def typed(self, node: yaml.Node, field: str, kind: type) -> Any:
        value = self.scalar(node, field)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
        if not ok:
            raise self.error(
                node,
                field,
                _type_word(kind),
                self.describe(node),
                f"write a {_type_word(kind)}" + (" (quote it)" if kind is str else ""),
            )
        return value

    # -- generic dataclass builder --------------------------------------------------------------------------
    def build(self, cls: type[Any], node: yaml.Node, field: str, extra: dict[str, Any] | None = None) -> Any:
        hints = typing.get_type_hints(cls, include_extras=True)
        names = [f.name for f in dataclasses.fields(cls) if f.name not in (extra or {})]
        from_scalar = getattr(cls, "from_scalar", None)
        if isinstance(node, yaml.ScalarNode) and from_scalar is not None:
            try:
                return from_scalar(self.plain(node, field))
            except ValueError as exc:
                raise self.error(node, field, *_split_reason(str(exc))) from None
        values: dict[str, Any] = dict(extra or {})
        given = self.mapping(node, field, tuple(names))
        for key, value_node in given.items():
            values[key] = self.convert(hints[key], value_node, f"{field}.{key}")
        required = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in values
        ]
        if required:
            raise self.error(
                node,
                f"{field}.{required[0]}",
                f"'{required[0]}' to be set",
                "it missing",
                f"add '{required[0]}' to {field}",
            )
        try:
            return cls(**values)
        except ValueError as exc:
            raise self.error(node, field, *_split_reason(str(exc))) from None

    def convert(self, hint: Any, node: yaml.Node, field: str) -> Any:
        origin = get_origin(hint)
        if origin is Annotated:
            return self.convert(get_args(hint)[0], node, field)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in get_args(hint) if a is not type(None)]
            if node.tag.endswith(":null") and len(options) < len(get_args(hint)):
                return None
            if len(options) == 1:
                return self.convert(options[0], node, field)
            errors: list[InputError] = []
            for option in options:
                try:
                    return self.convert(option, node, field)
                except InputError as exc:
                    errors.append(exc)
            raise self.error(
                node,
                field,
                " or ".join(_hint_word(o) for o in options),
                self.describe(node),
                "use one of the accepted forms",
            )
        if origin is Literal:
            allowed = get_args(hint)
            value = self.scalar(node, field)
            if value not in allowed:
                raise self.error(
                    node, field, "one of " + ", ".join(repr(a) for a in allowed), repr(value), "use an allowed value"
                )
            return value
        if origin is tuple:
            item_hint = get_args(hint)[0]
            if isinstance(node, yaml.ScalarNode) and not node.tag.endswith(":null") and item_hint is str:
                # A single string where a list of strings is expected is accepted, as AWS policies do.
                return (self.typed(node, field, str),)
            if not isinstance(node, yaml.SequenceNode):
                raise self.error(node, field, "a list", self.describe(node), "write a YAML list (- item)")
            return tuple(self.convert(item_hint, item, f"{field}[{i}]") for i, item in enumerate(node.value))
        if origin in (dict, Mapping, typing.Mapping) or hint is dict or origin is typing.Mapping:
            args = get_args(hint)
            value_hint = args[1] if len(args) == 2 else Any
            pairs = self.mapping(node, field, None)
            if value_hint is Any:
                return {k: self.plain(v, f"{field}.{k}") for k, v in pairs.items()}
            return {k: self.convert(value_hint, v, f"{field}.{k}") for k, v in pairs.items()}
        if hint in (str, int, bool, float):
            return self.typed(node, field, hint)
        if hint is Any:
            return self.plain(node, field)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.build(hint, node, field)
        raise TypeError(f"no YAML conversion for {hint!r} at {field}")  # a schema bug, not a user mistake


def _plain_tree(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    return loader.construct_object(node, deep=True)


def _split_reason(reason: str) -> tuple[str, str, str]:
    """Split a model validation message ``expected, found X; fix`` into its three parts."""
    head, _, fix = reason.partition("; ")
    expected, sep, found = head.rpartition(", found ")
    if not sep:
        expected, found = head, "a value that does not satisfy it"
    return expected, found, fix or "correct the value"


def _type_word(kind: type) -> str:
    return {str: "string", int: "whole number", bool: "true or false", float: "number"}.get(kind, kind.__name__)


def _hint_word(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is tuple:
        return "a list"
    if origin in (dict, Mapping) or hint is dict:
        return "a mapping"
    if dataclasses.is_dataclass(hint):
        return "a mapping"
    if isinstance(hint, type):
        return _type_word(hint)
    return str(hint)


def _closest(word: str, options: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None
