"""EventBridge event patterns: compile a rule's pattern once, then match events as EventBridge does."""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from harness.errors import InputError

# A test over one leaf value of the event (never an object; arrays are expanded before the test).
LeafTest = Callable[[Any], bool]
# A test over an event object (or None when the field holding it is absent).
ObjectTest = Callable[[Any], bool]

_ABSENT: Final = object()
_OPERATORS: Final = (
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
    "equals-ignore-case",
    "wildcard",
)
_NUMERIC_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "=": lambda value, bound: value == bound,
    "<": lambda value, bound: value < bound,
    "<=": lambda value, bound: value <= bound,
    ">": lambda value, bound: value > bound,
    ">=": lambda value, bound: value >= bound,
}


@dataclass(frozen=True, slots=True)
class EventPattern:
    """A compiled EventBridge event pattern. Build it with :func:`compile_event_pattern`."""

    source: Mapping[str, Any]
    _test: ObjectTest = field(repr=False, compare=False)

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        """Whether EventBridge would deliver ``event`` to a rule with this pattern.

        Args:
            event: the event as a mapping, or its JSON text.

        Returns:
            True on a match.

        Raises:
            InputError: ``event`` is text that is not a JSON object.
        """
        if isinstance(event, str):
            try:
                event = json.loads(event)
            except json.JSONDecodeError as exc:
                raise InputError(
                    where="event",
                    expected="a JSON object",
                    found=f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                    fix="pass the event as JSON",
                ) from exc
        if not isinstance(event, Mapping):
            raise InputError(where="event", expected="a JSON object", found=type(event).__name__,
                             fix="pass the whole event envelope")  # fmt: skip
        return self._test(event)


def compile_event_pattern(pattern: str | Mapping[str, Any]) -> EventPattern:
    """Check and compile an EventBridge event pattern.

    Args:
        pattern: the pattern as JSON text or as a mapping.

    Returns:
        The compiled pattern.

    Raises:
        InputError: the pattern is not valid; ``where`` names the path of the offending part.
    """
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except json.JSONDecodeError as exc:
            raise InputError(
                where="event pattern",
                expected="a JSON object",
                found=f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                fix="fix the JSON syntax",
                line=exc.lineno,
                column=exc.colno,
            ) from exc
    if not isinstance(pattern, Mapping):
        raise _error("", "a JSON object", type(pattern).__name__, "wrap the fields in { }")
    return EventPattern(pattern, _object(pattern, ""))


def _error(path: str, expected: str, found: str, fix: str) -> InputError:
    where = f"event pattern at {path}" if path else "event pattern"
    return InputError(where=where, expected=expected, found=found, fix=fix, field=path or None)


def _describe(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _object(pattern: Mapping[str, Any], path: str) -> ObjectTest:
    if not pattern:
        raise _error(path, "at least one field", "an empty object", "name a field to match, or remove the object")
    tests: list[tuple[str, Callable[[Any], bool]]] = []
    alternatives: list[ObjectTest] = []
    for key, value in pattern.items():
        here = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _error(here, "an array of at least two patterns", _describe(value),
                             "list the alternatives, as in \"$or\": [{...}, {...}]")  # fmt: skip
            for index, alternative in enumerate(value):
                if not isinstance(alternative, Mapping):
                    raise _error(f"{here}[{index}]", "an object", _describe(alternative),
                                 "each $or alternative is a pattern object")  # fmt: skip
                alternatives.append(_object(alternative, f"{here}[{index}]"))
            continue
        if isinstance(value, Mapping):
            tests.append((key, _nested(_object(value, here))))
        elif isinstance(value, list):
            tests.append((key, _field(value, here)))
        else:
            raise _error(here, "an array of values or a nested object", _describe(value),
                         f'put the value in an array, as in "{key}": [{_describe(value)}]')  # fmt: skip

    def test(event: Any) -> bool:
        if not isinstance(event, Mapping):
            return False
        for key, check in tests:
            if not check(event.get(key, _ABSENT)):
                return False
        return not alternatives or any(alternative(event) for alternative in alternatives)

    return test


def _nested(inner: ObjectTest) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        if value is _ABSENT:
            return False
        # An array of objects matches when one element matches the nested pattern.
        if isinstance(value, list):
            return any(test(item) for item in value)
        return inner(value)

    return test


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, list):
        flat: list[Any] = []
        for item in value:
            flat.extend(_leaves(item))
        return flat
    return [value]


def _field(values: list[Any], path: str) -> Callable[[Any], bool]:
    if not values:
        raise _error(path, "at least one value in the array", "[]", "list the values to match")
    leaf_tests: list[LeafTest] = []
    exists: bool | None = None
    for index, item in enumerate(values):
        here = f"{path}[{index}]"
        if isinstance(item, Mapping):
            if len(item) != 1:
                raise _error(here, "an object with exactly one operator", _describe(item),
                             "write one operator per object, as in {\"prefix\": \"us-\"}")  # fmt: skip
            ((name, argument),) = item.items()
            if name == "exists":
                if not isinstance(argument, bool):
                    raise _error(here, "true or false for exists", _describe(argument), 'write {"exists": true}')
                exists = argument if exists is None else (exists or argument)
                leaf_tests.append(_exists_leaf(argument))
                continue
            leaf_tests.append(_operator(name, argument, here))
        elif isinstance(item, list):
            raise _error(here, "a value or an operator object", "a nested array", "flatten the values into one array")
        else:
            leaf_tests.append(_exact(item))
    absent_matches = exists is False

    def test(value: Any) -> bool:
        if value is _ABSENT:
            return absent_matches
        if isinstance(value, Mapping):
            # Exists matching only applies to leaf nodes: an object counts as absent for it.
            return absent_matches
        for leaf in _leaves(value):
            if isinstance(leaf, Mapping):
                continue
            for check in leaf_tests:
                if check(leaf):
                    return True
        return False

    return test


def _exists_leaf(expected: bool) -> LeafTest:
    # A present leaf satisfies exists:true and never exists:false (absence is handled by the field test).
    return (lambda _value: True) if expected else (lambda _value: False)


def _exact(expected: Any) -> LeafTest:
    if expected is None:
        return lambda value: value is None
    if isinstance(expected, bool):
        return lambda value: isinstance(value, bool) and value is expected
    if isinstance(expected, (int, float)):
        number = float(expected)
        return lambda value: _is_number(value) and float(value) == number
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    raise _error("", "a string, number, boolean or null", _describe(expected), "use a JSON scalar")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string_argument(name: str, argument: Any, path: str) -> str:
    if not isinstance(argument, str):
        raise _error(path, f"a string for {name}", _describe(argument), f'write {{"{name}": "text"}}')
    return argument


def _operator(name: str, argument: Any, path: str) -> LeafTest:
    if name in ("prefix", "suffix"):
        return _affix(name, argument, path)
    if name == "equals-ignore-case":
        folded = _string_argument(name, argument, path).casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    if name == "wildcard":
        regex = _wildcard(_string_argument(name, argument, path), path)
        return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None
    if name == "numeric":
        return _numeric(argument, path)
    if name == "cidr":
        return _cidr(argument, path)
    if name == "anything-but":
        return _anything_but(argument, path)
    raise _error(path, "an operator (" + ", ".join(_OPERATORS) + ")", _describe(name),
                 "use one of the documented operators; a nested field goes outside the array")  # fmt: skip


def _affix(name: str, argument: Any, path: str) -> LeafTest:
    ignore_case = False
    if isinstance(argument, Mapping):
        if set(argument) != {"equals-ignore-case"}:
            raise _error(path, f'a string or {{"equals-ignore-case": "text"}} for {name}', _describe(argument),
                         f'write {{"{name}": "text"}}')  # fmt: skip
        argument = argument["equals-ignore-case"]
        ignore_case = True
    text = _string_argument(name, argument, path)
    if ignore_case:
        folded = text.casefold()
        if name == "prefix":
            return lambda value: isinstance(value, str) and value.casefold().startswith(folded)
        return lambda value: isinstance(value, str) and value.casefold().endswith(folded)
    if name == "prefix":
        return lambda value: isinstance(value, str) and value.startswith(text)
    return lambda value: isinstance(value, str) and value.endswith(text)


def _wildcard(text: str, path: str) -> re.Pattern[str]:
    # "*" matches any run of characters; "\*" is a literal star and "\\" a literal backslash. EventBridge
    # rejects consecutive wildcards.
    parts: list[str] = []
    index = 0
    previous_star = False
    while index < len(text):
        char = text[index]
        if char == "\\":
            nxt = text[index + 1 : index + 2]
            if nxt not in ("*", "\\"):
                raise _error(path, "\\* or \\\\ as the only escapes in a wildcard", _describe(text),
                             "escape only * and \\")  # fmt: skip
            parts.append(re.escape(nxt))
            index += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise _error(path, "no consecutive * in a wildcard", _describe(text), "use a single *")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _numeric(argument: Any, path: str) -> LeafTest:
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise _error(path, 'a numeric condition such as [">", 0, "<=", 5]', _describe(argument),
                     'write one or two operator/number pairs: [">", 0] or [">=", 0, "<", 10]')  # fmt: skip
    checks: list[tuple[Callable[[float, float], bool], float]] = []
    for index in range(0, len(argument), 2):
        op, bound = argument[index], argument[index + 1]
        if op not in _NUMERIC_OPS or not _is_number(bound):
            raise _error(path, "an operator (=, <, <=, >, >=) followed by a number",
                         _describe([op, bound]), 'write pairs such as ">", 0')  # fmt: skip
        checks.append((_NUMERIC_OPS[op], float(bound)))
    if len(checks) == 2:
        lower_op, upper_op = argument[0], argument[2]
        if lower_op not in (">", ">=") or upper_op not in ("<", "<=") or float(argument[1]) > float(argument[3]):
            raise _error(path, "a range: a lower bound (> or >=) then a higher upper bound (< or <=)",
                         _describe(argument), 'write [">", low, "<=", high]')  # fmt: skip

    def test(value: Any) -> bool:
        # Numeric matching applies to JSON numbers only, never to numeric-looking strings.
        if not _is_number(value):
            return False
        number = float(value)
        return all(check(number, bound) for check, bound in checks)

    return test


def _cidr(argument: Any, path: str) -> LeafTest:
    text = _string_argument("cidr", argument, path)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise _error(path, "an IPv4 or IPv6 CIDR block", _describe(text), "write a block such as 10.0.0.0/24") from exc

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test


def _anything_but(argument: Any, path: str) -> LeafTest:
    if isinstance(argument, Mapping):
        if len(argument) != 1:
            raise _error(path, "one operator inside anything-but", _describe(argument),
                         'write {"anything-but": {"prefix": "text"}}')  # fmt: skip
        ((name, inner),) = argument.items()
        if name in ("prefix", "suffix"):
            positive = _affix(name, _string_argument(name, inner, path), path)
        elif name in ("equals-ignore-case", "wildcard"):
            items = inner if isinstance(inner, list) else [inner]
            if not items:
                raise _error(path, f"at least one value for {name}", "[]", "list the values to exclude")
            tests = [_operator(name, _string_argument(name, item, path), path) for item in items]

            def positive(value: Any) -> bool:
                return any(check(value) for check in tests)

        else:
            raise _error(path, "prefix, suffix, equals-ignore-case or wildcard inside anything-but",
                         _describe(name), "use one of those four operators")  # fmt: skip
        return lambda value: isinstance(value, str) and not positive(value)
    items = argument if isinstance(argument, list) else [argument]
    if not items:
        raise _error(path, "at least one value for anything-but", "[]", "list the values to exclude")
    strings = all(isinstance(item, str) for item in items)
    numbers = all(_is_number(item) for item in items)
    if not (strings or numbers):
        raise _error(path, "anything-but values that are all strings or all numbers", _describe(argument),
                     "split strings and numbers into separate rules")  # fmt: skip
    if strings:
        excluded = frozenset(items)
        return lambda value: not (isinstance(value, str) and value in excluded)
    excluded_numbers = frozenset(float(item) for item in items)
    return lambda value: not (_is_number(value) and float(value) in excluded_numbers)


__all__ = ["EventPattern", "compile_event_pattern"]
