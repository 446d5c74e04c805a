"""Reading CloudFormation template text (YAML with short-form tags, or JSON) while keeping line numbers."""

from __future__ import annotations

import json
from typing import Any

import yaml

from harness.errors import InputError


class LineDict(dict[str, Any]):
    """A mapping from the template that remembers its own line and the line of each key."""

    line: int | None = None
    lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {}


class LineList(list[Any]):
    """A list from the template that remembers its line and the line of each item."""

    line: int | None = None
    lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines = []


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps lines, rejects duplicate keys and reads CloudFormation's short-form tags."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key that is a list or mapping", key_node.start_mark
            )
        key = str(key) if not isinstance(key, str) else key
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"the key '{key}' repeated", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(item, deep=True) for item in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [item.start_mark.line + 1 for item in node.value]
    return out


def _short_form(loader: _Loader, suffix: str, node: yaml.Node) -> LineDict:
    """``!Ref X`` is ``{Ref: X}``, ``!GetAtt A.B`` is ``{Fn::GetAtt: [A, B]}``, ``!Sub s`` is ``{Fn::Sub: s}``."""
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            resource, _, attribute = value.partition(".")
            parts = LineList([resource, attribute])
            parts.line = node.start_mark.line + 1
            parts.lines = [parts.line, parts.line]
            value = parts
    elif isinstance(node, yaml.SequenceNode):
        value = _sequence(loader, node)
    else:
        value = _mapping(loader, node)  # type: ignore[arg-type]
    out = LineDict({name: value})
    out.line = node.start_mark.line + 1
    out.lines[name] = out.line
    return out


def _plain_string(loader: _Loader, node: yaml.ScalarNode) -> str:
    # CloudFormation reads dates such as 2012-10-17 (policy versions) as text.
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _plain_string)
_Loader.add_multi_constructor("!", _short_form)


def _with_lines(value: Any) -> Any:
    """Plain JSON data as Line containers without line numbers (used when YAML cannot re-read JSON)."""
    if isinstance(value, dict):
        out = LineDict({k: _with_lines(v) for k, v in value.items()})
        return out
    if isinstance(value, list):
        return LineList(_with_lines(v) for v in value)
    return value


def parse_template(text: str, filename: str) -> Any:
    """Parse template text, JSON or YAML, into Line containers.

    Raises:
        InputError: for a syntax error, naming the line.
    """
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                where=f"{filename}:{exc.lineno}",
                expected="valid JSON",
                found=f"a syntax error ({exc.msg} at column {exc.colno})",
                fix="fix the JSON at that line (commas, quotes, brackets)",
                file=filename,
                line=exc.lineno,
                column=exc.colno,
            ) from None
        try:
            # YAML reads JSON too and keeps the line numbers; tabs and some escapes defeat it, then lines go.
            return yaml.load(text, Loader=_Loader)
        except (yaml.YAMLError, ValueError, RecursionError):
            return _with_lines(data)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "unreadable YAML"
        raise InputError(
            where=f"{filename}:{line}" if line else filename,
            expected="valid YAML",
            found=f"a syntax error ({problem})",
            fix="fix the YAML at that line (indentation, quotes, colons, tags)",
            file=filename,
            line=line,
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise InputError(
            where=filename,
            expected="valid YAML",
            found=f"unreadable content ({type(exc).__name__})",
            fix="check the file is a CloudFormation template",
            file=filename,
        ) from None


def line_of(root: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the deepest element of ``path`` (keys and list indexes) found in the template."""
    line: int | None = getattr(root, "line", None)
    node = root
    for step in path:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line = node.lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            if step < len(node.lines):
                line = node.lines[step]
            node = node[step]
        else:
            break
    return line
