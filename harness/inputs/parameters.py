"""Template parameters: values read from a parameters file and KEY=VALUE options, checked as CloudFormation does.

Two file formats are read, told apart by their shape:

- the AWS CLI's ``--parameters file://...``: a JSON list of ``{"ParameterKey": ..., "ParameterValue": ...}``;
- CodePipeline's template configuration: ``{"Parameters": {"Key": "Value"}, "Tags": {...}, "StackPolicy": {...}}``
  (only the parameters matter here; tags and a stack policy are noted and left aside).

Values may be strings, numbers or booleans in a file; CloudFormation takes every parameter value as text, so they
become strings (a number keeps its literal spelling, a boolean is ``true`` or ``false``).

A declared parameter is then checked against its declaration: its ``Type`` and the constraints CloudFormation
applies before creating anything (``AllowedValues``, ``AllowedPattern``, ``MinLength``/``MaxLength``,
``MinValue``/``MaxValue``). A value of a ``NoEcho`` parameter never appears in a message or note: it is shown as
``****``.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from harness.errors import InputError

__all__ = [
    "CHECK_OPTIONS",
    "MASK",
    "PLUGIN_OPTIONS",
    "Declaration",
    "GivenParameters",
    "ParameterOptions",
    "Rejected",
    "gather",
    "parse_assignments",
    "read_parameter_file",
    "redact",
]

MASK = "****"
"""What a NoEcho parameter's value is shown as."""

_CLI_KEYS = ("ParameterKey", "ParameterValue", "UsePreviousValue", "ResolvedValue")
_CONFIGURATION_KEYS = ("Parameters", "Tags", "StackPolicy")
_FORMATS = (
    'the AWS CLI format (a list of {"ParameterKey": ..., "ParameterValue": ...}) or CodePipeline\'s template '
    'configuration ({"Parameters": {"Key": "Value"}})'
)

# CloudFormation's Number: an integer or a decimal, optionally signed, optionally with an exponent.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


# -- how an interface spells its options ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterOptions:
    """The options an interface takes parameters with, so that messages name the ones the user can pass.

    Attributes:
        value: the repeatable ``NAME=VALUE`` option.
        file: the option that names a parameters file.
    """

    value: str = "--param"
    file: str = "--parameters"

    def missing_fix(self, name: str) -> str:
        """How to give a value to the parameter ``name``."""
        return f"pass {self.value} {name}=VALUE or a {self.file} file"


CHECK_OPTIONS = ParameterOptions()
"""``pipewarden check --param NAME=VALUE --parameters FILE``."""

PLUGIN_OPTIONS = ParameterOptions("--pw-param", "--pw-parameters")
"""``pytest --pw-param NAME=VALUE --pw-parameters FILE``."""


# -- values given ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GivenParameters:
    """Parameter values given for a template, by name, and what reading them noted.

    Attributes:
        values: parameter name to value, as text.
        notes: findings that are not errors (parts of a template configuration that are not applied).
    """

    values: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"parameter names and values are text, found {name!r}: {type(value).__name__}")


def parse_assignments(items: Iterable[str], option: str = CHECK_OPTIONS.value) -> dict[str, str]:
    """Read ``NAME=VALUE`` options into a mapping.

    Args:
        items: the options' values, in the order given.
        option: the option's spelling, for messages.

    Returns:
        Parameter values by name (a value may be empty, as CloudFormation allows).

    Raises:
        InputError: an item without ``=`` or without a name, or a name given twice.
    """
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(
                where=f"{option} {item!r}",
                expected=f"NAME=VALUE (e.g. {option} Stage=prod)",
                found="no '='" if not sep else "no name before '='",
                fix="write the parameter as NAME=VALUE",
            )
        if name in values:
            # Only the name: the value may be a secret.
            raise InputError(
                where=f"{option} {name}",
                expected="each parameter once",
                found=f"'{name}' given twice",
                fix=f"keep one {option} {name}=...",
            )
        values[name] = value
    return values


def gather(file: str | Path | None, overrides: Mapping[str, str] | None = None) -> GivenParameters:
    """Parameter values from a file (when given) with ``overrides`` taking precedence.

    Args:
        file: a parameters file in either format, or None.
        overrides: values given one by one (``--param``), which replace the file's.

    Returns:
        The merged values and the notes of reading the file.

    Raises:
        InputError: the file cannot be read or is not a parameters file (see ``read_parameter_file``).
    """
    read = read_parameter_file(file) if file is not None else GivenParameters()
    return GivenParameters({**read.values, **(overrides or {})}, read.notes)


def read_parameter_file(path: str | Path) -> GivenParameters:
    """Read a parameters file: the AWS CLI format or CodePipeline's template configuration (detected).

    Args:
        path: the JSON file.

    Returns:
        The values by name, and a note for each part of a template configuration that is not applied.

    Raises:
        InputError: naming the file and line, for a missing or unreadable file, invalid JSON, another shape, a
            parameter given twice, a value that is not a string, number or boolean, or ``UsePreviousValue``.
    """
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            where=filename,
            expected="a readable parameters file",
            found=getattr(exc, "strerror", None) or str(exc),
            fix="check the path",
            file=filename,
        ) from None
    reader = _Reader(filename, text)
    return reader.read()


class _Number(str):
    """A JSON number kept as its literal text (``1e3`` stays ``1e3``)."""


class _Constant(ValueError):
    """NaN or Infinity, which Python's JSON reader accepts and JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _Constant(name)


class _Reader:
    """One parameters file being read: its data, the line of every key and list item, and the notes."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.text = text
        self.notes: list[str] = []
        self.lines: dict[tuple[Any, ...], int] = {}

    def fail(self, path: tuple[Any, ...], expected: str, found: str, fix: str) -> InputError:
        line = self.lines.get(path)
        dotted = _dotted(path)
        where = f"{self.filename}:{line}" if line else self.filename
        if dotted:
            where += f" ({dotted})"
        return InputError(
            where=where,
            expected=expected,
            found=found,
            fix=fix,
            file=self.filename,
            line=line,
            field=dotted or None,
        )

    def read(self) -> GivenParameters:
        try:
            data = json.loads(self.text, parse_int=_Number, parse_float=_Number, parse_constant=_reject_constant)
            scanner = _LineScanner(self.text)
            scanner.value(())
        except json.JSONDecodeError as exc:
            raise InputError(
                where=f"{self.filename}:{exc.lineno}",
                expected="valid JSON",
                found="an empty file" if not self.text.strip() else f"a syntax error ({exc.msg} at column {exc.colno})",
                fix="fix the JSON at that line (commas, quotes, brackets)" if self.text.strip() else _write_one(),
                file=self.filename,
                line=exc.lineno,
                column=exc.colno,
            ) from None
        except _Constant as exc:
            raise InputError(
                where=self.filename,
                expected="valid JSON",
                found=f"{exc}, which JSON does not allow",
                fix="write the value as a string",
                file=self.filename,
            ) from None
        except RecursionError:
            raise InputError(
                where=self.filename,
                expected=_FORMATS,
                found="values nested too deeply to read",
                fix="check the file is a parameters file",
                file=self.filename,
            ) from None
        self.lines = scanner.lines
        if scanner.repeated:
            path, first = scanner.repeated[0]
            raise self.fail(
                path,
                "each key once",
                f"'{path[-1]}' again (first at line {first})",
                "keep one of them",
            )
        if isinstance(data, list):
            values = self.cli_format(data)
        elif isinstance(data, dict) and (not data or any(key in data for key in _CONFIGURATION_KEYS)):
            values = self.template_configuration(data)
        else:
            found = f"an object with {', '.join(repr(k) for k in list(data)[:3])}" if isinstance(data, dict) else None
            raise self.fail((), _FORMATS, found or _describe(data), _write_one())
        return GivenParameters(values, tuple(self.notes))

    # -- the AWS CLI format ---------------------------------------------------------------------------------
    def cli_format(self, entries: list[Any]) -> dict[str, str]:
        values: dict[str, str] = {}
        first: dict[str, int] = {}
        for index, entry in enumerate(entries):
            at: tuple[Any, ...] = (index,)
            if not isinstance(entry, dict):
                raise self.fail(
                    at,
                    'an object {"ParameterKey": ..., "ParameterValue": ...}',
                    _describe(entry),
                    "write each parameter as such an object",
                )
            for key in entry:
                if key not in _CLI_KEYS:
                    close = difflib.get_close_matches(key, _CLI_KEYS, n=1)
                    raise self.fail(
                        (*at, key),
                        f"the keys {', '.join(_CLI_KEYS[:3])}",
                        f"'{key}'",
                        f"did you mean '{close[0]}'?" if close else "remove it",
                    )
            name = entry.get("ParameterKey")
            if not isinstance(name, str) or isinstance(name, _Number) or not name:
                raise self.fail(
                    (*at, "ParameterKey") if "ParameterKey" in entry else at,
                    "a ParameterKey naming the parameter",
                    "none" if "ParameterKey" not in entry else _describe(name),
                    'add "ParameterKey": "Name"',
                )
            if name in values:
                raise self.fail(
                    (*at, "ParameterKey"),
                    "each parameter once",
                    f"'{name}' again (first at line {first[name]})" if first.get(name) else f"'{name}' again",
                    "keep one of them",
                )
            previous = entry.get("UsePreviousValue", False)
            if not isinstance(previous, bool):
                raise self.fail(
                    (*at, "UsePreviousValue"), "true or false", _describe(previous), "drop UsePreviousValue"
                )
            if previous:
                raise self.fail(
                    (*at, "UsePreviousValue"),
                    f"a ParameterValue for '{name}'",
                    '"UsePreviousValue": true',
                    "there is no previous stack to take the value from; give a ParameterValue instead",
                )
            if "ParameterValue" not in entry:
                raise self.fail(at, f"a ParameterValue for '{name}'", "none", 'add "ParameterValue": "..."')
            values[name] = self.text_of((*at, "ParameterValue"), entry["ParameterValue"])
            first[name] = self.lines.get((*at, "ParameterKey"), 0)
        return values

    # -- CodePipeline's template configuration ---------------------------------------------------------------
    def template_configuration(self, data: dict[str, Any]) -> dict[str, str]:
        for key in data:
            if key not in _CONFIGURATION_KEYS:
                close = difflib.get_close_matches(key, _CONFIGURATION_KEYS, n=1)
                raise self.fail(
                    (key,),
                    f"a template configuration key ({', '.join(_CONFIGURATION_KEYS)})",
                    f"'{key}'",
                    f"did you mean '{close[0]}'?" if close else "remove it",
                )
        for key in ("Tags", "StackPolicy"):
            if key in data:
                line = self.lines.get((key,))
                where = f"{self.filename}:{line}" if line else self.filename
                self.notes.append(f"{where} ({key}): not applied; only a template configuration's Parameters are read")
        parameters = data.get("Parameters", {})
        if not isinstance(parameters, dict):
            raise self.fail(
                ("Parameters",),
                'an object of parameter values ({"Key": "Value"})',
                _describe(parameters),
                "write Parameters as an object",
            )
        return {name: self.text_of(("Parameters", name), value) for name, value in parameters.items()}

    def text_of(self, path: tuple[Any, ...], value: Any) -> str:
        """A file value as CloudFormation takes it: text."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):  # a string, or a number kept as its literal text
            return str(value)
        raise self.fail(
            path,
            "a string, number or boolean value",
            _describe(value),
            "write a list as one comma-separated string" if isinstance(value, list) else "give the value as a string",
        )


def _write_one() -> str:
    return 'write a list of {"ParameterKey": "Name", "ParameterValue": "value"} or {"Parameters": {"Name": "value"}}'


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Number):
        return f"the number {value}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


class _LineScanner:
    """Walks valid JSON text and records the line of every key and list item by path, and repeated keys.

    ``json`` keeps no positions and silently keeps the last of two equal keys; this walk only runs after
    ``json.loads`` accepted the text, so it can stay small.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[tuple[Any, ...], int] = {}
        self.repeated: list[tuple[tuple[Any, ...], int]] = []

    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n\ufeff":
            self.pos += 1

    def value(self, path: tuple[Any, ...]) -> None:
        self.skip()
        self.lines.setdefault(path, self.line())
        char = self.text[self.pos]
        if char == "{":
            self.pos += 1
            seen: dict[str, int] = {}
            self.skip()
            while self.text[self.pos] != "}":
                self.skip()
                line = self.line()
                key = self.string()
                if key in seen:
                    self.repeated.append(((*path, key), seen[key]))
                    self.lines[(*path, key)] = line
                else:
                    seen[key] = line
                    self.lines[(*path, key)] = line
                self.skip()
                self.pos += 1  # ':'
                self.value((*path, key))
                self.skip()
                if self.text[self.pos] == ",":
                    self.pos += 1
                    self.skip()
            self.pos += 1
        elif char == "[":
            self.pos += 1
            index = 0
            self.skip()
            while self.text[self.pos] != "]":
                self.value((*path, index))
                index += 1
                self.skip()
                if self.text[self.pos] == ",":
                    self.pos += 1
                    self.skip()
            self.pos += 1
        elif char == '"':
            self.string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]} \t\r\n":
                self.pos += 1

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1
        text: str = json.loads(self.text[start : self.pos])
        return text


# -- declared parameters ---------------------------------------------------------------------------------------


class Rejected(ValueError):
    """A parameter value or declaration CloudFormation would refuse.

    Attributes:
        expected: what was expected, naming the constraint.
        found: what was found (a NoEcho value as ``****``).
        fix: how to put it right.
        key: the declaration key at fault (``Type``, ``MinLength``...) when the declaration itself is wrong;
            empty when the value is.
    """

    def __init__(self, expected: str, found: str, fix: str, key: str = "") -> None:
        super().__init__(f"expected {expected}, found {found}; {fix}")
        self.expected = expected
        self.found = found
        self.fix = fix
        self.key = key


_PROPERTIES = (
    "Type",
    "Default",
    "Description",
    "AllowedValues",
    "AllowedPattern",
    "ConstraintDescription",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "NoEcho",
)
_SSM = "AWS::SSM::Parameter::Value<"
_TYPES = "String, Number, List<Number>, CommaDelimitedList, an AWS-specific type such as AWS::EC2::VPC::Id or "
_TYPES += "List<AWS::EC2::Subnet::Id>, or AWS::SSM::Parameter::Value<...>"


def _kind(type_name: str) -> str | None:
    """What a declared Type is: string, number, numbers, strings, aws, aws-list, ssm; None when unknown."""
    if type_name == "String":
        return "string"
    if type_name == "Number":
        return "number"
    if type_name == "List<Number>":
        return "numbers"
    if type_name in ("CommaDelimitedList", "List<String>"):
        return "strings"
    if type_name.startswith(_SSM) and type_name.endswith(">"):
        return "ssm"
    if type_name.startswith("List<AWS::") and type_name.endswith(">"):
        return "aws-list"
    if type_name.startswith("AWS::") and "<" not in type_name:
        return "aws"
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Declaration:
    """One parameter as the template declares it: its Type and the constraints CloudFormation checks.

    Build it with ``Declaration.of(name, spec)``.
    """

    name: str
    type: str
    kind: str
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    no_echo: bool = False
    constraint_description: str = ""

    @classmethod
    def of(cls, name: str, spec: Mapping[str, Any]) -> Declaration:
        """Read a declaration from the template's ``Parameters`` entry.

        Raises:
            Rejected: an unknown Type or a constraint that is not of its kind (``key`` names it).
        """
        for key in spec:
            if key not in _PROPERTIES:
                # CloudFormation refuses a property it does not know; a misspelt constraint would otherwise be lost.
                close = difflib.get_close_matches(str(key), _PROPERTIES, n=1)
                raise Rejected(
                    f"a parameter property ({', '.join(_PROPERTIES)})",
                    f"'{key}'",
                    f"did you mean '{close[0]}'?" if close else "remove it",
                    str(key),
                )
        type_name = spec.get("Type")
        kind = _kind(type_name) if isinstance(type_name, str) else None
        if kind is None:
            close = difflib.get_close_matches(str(type_name), ["String", "Number", "CommaDelimitedList"], n=1)
            raise Rejected(
                f"a parameter Type ({_TYPES})",
                repr(type_name),
                f"did you mean '{close[0]}'?" if close else "use one of them",
                "Type",
            )
        allowed = spec.get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise Rejected("a list of values", repr(allowed), "write AllowedValues as a list", "AllowedValues")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not isinstance(pattern, str):
            raise Rejected("a regular expression", repr(pattern), "write AllowedPattern as text", "AllowedPattern")
        no_echo = spec.get("NoEcho", False)
        if isinstance(no_echo, str) and no_echo.lower() in ("true", "false"):
            no_echo = no_echo.lower() == "true"
        if not isinstance(no_echo, bool):
            raise Rejected("true or false", repr(no_echo), "write NoEcho as true or false", "NoEcho")
        description = spec.get("ConstraintDescription")
        return cls(
            name=name,
            type=str(type_name),
            kind=kind,
            allowed_values=tuple(_text(a) for a in allowed) if allowed is not None else None,
            allowed_pattern=pattern,
            min_length=_integer(spec, "MinLength"),
            max_length=_integer(spec, "MaxLength"),
            min_value=_decimal(spec, "MinValue"),
            max_value=_decimal(spec, "MaxValue"),
            no_echo=no_echo,
            constraint_description=_text(description) if description is not None else "",
        )

    @property
    def is_list(self) -> bool:
        """Whether ``Ref`` gives a list (CommaDelimitedList, List<...>)."""
        return self.kind in ("numbers", "strings", "aws-list")

    def shown(self, value: str) -> str:
        """A value as messages may show it: quoted, or ``****`` for a NoEcho parameter."""
        return MASK if self.no_echo else repr(value)

    def note(self, value: str) -> str | None:
        """What to tell about a value pipewarden takes as given (one CloudFormation would look up), if anything."""
        if self.kind == "ssm":
            return (
                f"{self.type} is read from SSM Parameter Store at deploy; "
                f"the parameter name {self.shown(value)} stands in for its value"
            )
        if self.kind in ("aws", "aws-list"):
            shown = self.shown(value)
            return f"{self.type}: CloudFormation looks the value up in the account; {shown} is taken as given"
        return None

    def value(self, text: str) -> str | list[str]:
        """Check a value against the declaration and return it as ``Ref`` gives it (a list for list types).

        Args:
            text: the value as given (a list type's items separated by commas).

        Raises:
            Rejected: naming the constraint the value breaks.
        """
        if self.kind == "ssm":
            # The value is the name of an SSM parameter; its constraints apply to what is stored there.
            return text
        if self.is_list:
            # CloudFormation trims the space around each member of a list.
            items = [item.strip() for item in text.split(",")] if text else []
            for position, item in enumerate(items, start=1):
                self.check_item(item, f"{self.shown(item)}, item {position} of the list")
            return items
        if self.kind == "number":
            if not _NUMBER.fullmatch(text):
                raise self.rejected(
                    "a number (Type Number)", self.shown(text), "pass an integer or a decimal number such as 30 or 2.5"
                )
            self.check_allowed(text, self.shown(text))
            self.check_range(Decimal(text), self.shown(text))
            return text
        self.check_allowed(text, self.shown(text))
        self.check_pattern(text, self.shown(text))
        self.check_length(text)
        return text

    def check_item(self, item: str, shown: str) -> None:
        if self.kind == "numbers" and not _NUMBER.fullmatch(item):
            raise self.rejected(
                "a comma-separated list of numbers (Type List<Number>)",
                shown,
                "pass integers or decimal numbers separated by commas, such as 1,2.5",
            )
        self.check_allowed(item, shown)
        self.check_pattern(item, shown)

    def check_allowed(self, text: str, shown: str) -> None:
        if self.allowed_values is not None and text not in self.allowed_values:
            raise self.rejected(
                f"one of {', '.join(self.allowed_values)} (AllowedValues)",
                shown,
                "pass an allowed value or change AllowedValues",
            )

    def check_pattern(self, text: str, shown: str) -> None:
        if self.allowed_pattern is None:
            return
        try:
            # CloudFormation matches the pattern against the whole value.
            matches = re.fullmatch(self.allowed_pattern, text) is not None
        except re.error:
            matches = True  # a pattern Python cannot read is CloudFormation's to judge
        if not matches:
            raise self.rejected(
                f"a value matching {self.allowed_pattern} (AllowedPattern)",
                shown,
                "pass a value the whole pattern matches or change AllowedPattern",
            )

    def check_length(self, text: str) -> None:
        shown = MASK if self.no_echo else f"{text!r} ({len(text)} characters)"
        if self.min_length is not None and len(text) < self.min_length:
            raise self.rejected(
                f"at least {self.min_length} characters (MinLength)", shown, "pass a longer value or change MinLength"
            )
        if self.max_length is not None and len(text) > self.max_length:
            raise self.rejected(
                f"at most {self.max_length} characters (MaxLength)", shown, "pass a shorter value or change MaxLength"
            )

    def check_range(self, number: Decimal, shown: str) -> None:
        if self.min_value is not None and number < self.min_value:
            raise self.rejected(
                f"a number of at least {_number_text(self.min_value)} (MinValue)",
                shown,
                "pass a larger number or change MinValue",
            )
        if self.max_value is not None and number > self.max_value:
            raise self.rejected(
                f"a number of at most {_number_text(self.max_value)} (MaxValue)",
                shown,
                "pass a smaller number or change MaxValue",
            )

    def rejected(self, expected: str, found: str, fix: str) -> Rejected:
        if self.constraint_description:
            # CloudFormation shows the template's own explanation of the constraint in place of its message.
            fix = f'the template says: "{self.constraint_description}"; {fix}'
        return Rejected(expected, found, fix)


def _integer(spec: Mapping[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not re.fullmatch(r"\d+", _text(value)):
        raise Rejected("a whole number of characters", repr(value), f"write {key} as a whole number", key)
    return int(_text(value))


def _decimal(spec: Mapping[str, Any], key: str) -> Decimal | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not _NUMBER.fullmatch(_text(value)):
        raise Rejected("a number", repr(value), f"write {key} as a number", key)
    try:
        return Decimal(_text(value))
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise Rejected("a number", repr(value), f"write {key} as a number", key) from None


def _number_text(number: Decimal) -> str:
    return format(number.normalize(), "f") if number == number.to_integral_value() else str(number)


# -- keeping NoEcho values out of text -------------------------------------------------------------------------


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every standalone occurrence of a secret value in ``text`` with ``****``.

    A secret is replaced where it is not part of a longer word, so that a short value does not eat into names.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)
    return text
