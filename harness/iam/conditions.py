"""Condition operators of the IAM policy language, compiled once per policy and evaluated per request."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from harness.errors import InputError
from harness.iam.patterns import Context, arn_regex, has_variables, literal, substitute, wildcard_regex

# _epoch and _network are cached: pure functions of a string returning immutable values; policies and
# requests repeat the same dates and address blocks, and parsing them is the costly part of compiling.

# Base operators, by family. Each is (family, negated, case-insensitive).
_BASE_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string_ci", False),
    "StringNotEqualsIgnoreCase": ("string_ci", True),
    "StringLike": ("string_like", False),
    "StringNotLike": ("string_like", True),
    "NumericEquals": ("numeric_eq", False),
    "NumericNotEquals": ("numeric_eq", True),
    "NumericLessThan": ("numeric_lt", False),
    "NumericLessThanEquals": ("numeric_le", False),
    "NumericGreaterThan": ("numeric_gt", False),
    "NumericGreaterThanEquals": ("numeric_ge", False),
    "DateEquals": ("date_eq", False),
    "DateNotEquals": ("date_eq", True),
    "DateLessThan": ("date_lt", False),
    "DateLessThanEquals": ("date_le", False),
    "DateGreaterThan": ("date_gt", False),
    "DateGreaterThanEquals": ("date_ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}
_BY_LOWER = {name.lower(): name for name in _BASE_OPERATORS}
# Policy variables are substituted only in the values of string and ARN operators.
_VARIABLE_FAMILIES = frozenset({"string", "string_ci", "string_like", "arn"})
_WILDCARD_FAMILIES = frozenset({"string_like", "arn"})

KNOWN_OPERATORS: tuple[str, ...] = tuple(_BASE_OPERATORS)


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator such as ``ForAnyValue:StringLikeIfExists``."""

    name: str
    base: str
    family: str
    negated: bool
    if_exists: bool
    set_operator: str | None  # "ForAllValues", "ForAnyValue" or None


def parse_operator(text: str, *, where: str) -> Operator:
    """Parse a condition operator name.

    Raises:
        InputError: when the operator is unknown.
    """
    set_operator: str | None = None
    rest = text
    if ":" in text:
        prefix, rest = text.split(":", 1)
        lowered = prefix.lower()
        if lowered == "forallvalues":
            set_operator = "ForAllValues"
        elif lowered == "foranyvalue":
            set_operator = "ForAnyValue"
        else:
            raise InputError(
                where=where,
                expected="a condition operator, optionally prefixed by ForAllValues: or ForAnyValue:",
                found=repr(text),
                fix="use one of the documented condition operators",
                field="Condition",
            )
    if_exists = False
    base_lower = rest.lower()
    if base_lower.endswith("ifexists") and base_lower != "null":
        if_exists = True
        base_lower = base_lower[: -len("ifexists")]
    base = _BY_LOWER.get(base_lower)
    if base is None or (base == "Null" and if_exists):
        raise InputError(
            where=where,
            expected="a known condition operator (StringEquals, StringLike, NumericLessThan, DateLessThan, "
            "Bool, BinaryEquals, IpAddress, ArnLike, Null, ... with optional IfExists)",
            found=repr(text),
            fix="correct the operator name",
            field="Condition",
        )
    family, negated = _BASE_OPERATORS[base]
    return Operator(text, base, family, negated, if_exists, set_operator)


@lru_cache(maxsize=8192)
def _epoch(text: str) -> float | None:
    """Parse a date the way AWS accepts it: ISO 8601 (date or date-time) or epoch seconds."""
    value = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        try:
            return float(value)
        except ValueError:  # pragma: no cover - the regex admits only numbers
            return None
    iso = value.replace("z", "Z")
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


@lru_cache(maxsize=8192)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _arn_ok(text: str) -> bool:
    return text.count(":") >= 5 and text.startswith("arn:")


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip().split("/")[0])
    except ValueError:
        return _network(text) is not None
    return True


# Request values an operator family can compare at all. A value of the wrong type (a number that is not a
# number, a date that is not a date, an address or ARN that is not one) makes the condition false whatever the
# operator, negated ones included: the comparison cannot be made.
_PARSEABLE: dict[str, Callable[[str], bool]] = {
    "numeric": lambda value: _number(value) is not None,
    "date": lambda value: _epoch(value) is not None,
    "ip": _ip_ok,
    "arn": _arn_ok,
}


# A value test compares one request value with one policy value (already prepared).
ValueTest = Callable[[str], bool]


def _compile_value(family: str, policy_value: str) -> ValueTest:
    """Build the test of one prepared policy value against one request value."""
    if family == "string":
        return policy_value.__eq__
    if family == "string_ci":
        folded = policy_value.casefold()
        return lambda value: value.casefold() == folded
    if family == "string_like":
        regex = wildcard_regex(policy_value)
        return lambda value: regex.fullmatch(value) is not None
    if family == "arn":
        # "Each of the six colon-delimited components of the ARN is checked separately": no short patterns.
        arn = arn_regex(policy_value, strict=True)
        return lambda value: arn.fullmatch(value) is not None
    if family == "bool":
        expected = policy_value.strip().lower()
        return lambda value: value.strip().lower() == expected
    if family.startswith("numeric"):
        number = _number(policy_value)
        assert number is not None
        compare = _COMPARE[family.split("_")[1]]
        return lambda value: (parsed := _number(value)) is not None and compare(parsed, number)
    if family.startswith("date"):
        when = _epoch(policy_value)
        assert when is not None
        compare = _COMPARE[family.split("_")[1]]
        return lambda value: (parsed := _epoch(value)) is not None and compare(parsed, when)
    if family == "ip":
        network = _network(policy_value)
        assert network is not None

        def in_network(value: str) -> bool:
            try:
                address = ipaddress.ip_address(value.strip().split("/")[0])
            except ValueError:
                candidate = _network(value)
                return (
                    candidate is not None
                    and candidate.version == network.version
                    and (
                        candidate.subnet_of(network)  # type: ignore[arg-type]
                    )
                )
            return address.version == network.version and address in network

        return in_network
    if family == "binary":
        wanted = _binary(policy_value)

        def same_bytes(value: str) -> bool:
            decoded = _binary(value)
            return value == policy_value or (decoded is not None and decoded == wanted)

        return same_bytes
    raise AssertionError(family)  # pragma: no cover


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _validate_value(operator: Operator, value: str, *, where: str, key: str) -> None:
    family = operator.family
    problem: str | None = None
    if family.startswith("numeric") and _number(value) is None:
        problem = "a number"
    elif family.startswith("date") and _epoch(value) is None:
        problem = "an ISO 8601 date or epoch seconds"
    elif family == "ip" and _network(value) is None:
        problem = "an IPv4 or IPv6 address or CIDR block"
    elif family in ("bool", "null") and value.strip().lower() not in ("true", "false"):
        problem = '"true" or "false"'
    elif family == "binary" and _binary(value) is None:
        problem = "a base64-encoded value"
    if problem is not None:
        raise InputError(
            where=f"{where}, {operator.name} {key}",
            expected=problem,
            found=repr(value),
            fix=f"give {operator.base} values of the right type",
            field="Condition",
        )


@dataclass(frozen=True, slots=True)
class ConditionTest:
    """One ``operator: {key: values}`` entry of a Condition block, compiled."""

    operator: Operator
    key: str
    values: tuple[str, ...]
    _tests: tuple[ValueTest, ...] | None = field(repr=False, compare=False)
    _dynamic: bool = field(repr=False, compare=False, default=False)

    @classmethod
    def compile(
        cls, operator: Operator, key: str, values: Sequence[str], *, variables: bool, where: str
    ) -> ConditionTest:
        """Compile one condition entry.

        Raises:
            InputError: when a value has the wrong type for the operator.
        """
        for value in values:
            _validate_value(operator, value, where=where, key=key)
        dynamic = variables and operator.family in _VARIABLE_FAMILIES and any(has_variables(v) for v in values)
        tests = (
            None if dynamic or operator.family == "null" else tuple(_compile_value(operator.family, v) for v in values)
        )
        return cls(operator, key.lower(), tuple(values), tests, dynamic)

    def _value_tests(self, context: Context) -> tuple[ValueTest, ...] | None:
        """The value tests, with policy variables resolved; None when a variable cannot be resolved."""
        if self._tests is not None:
            return self._tests
        tests: list[ValueTest] = []
        for value in self.values:
            resolved = substitute(value, context)
            if resolved is None:
                return None
            if self.operator.family not in _WILDCARD_FAMILIES:
                resolved = literal(resolved)
            tests.append(_compile_value(self.operator.family, resolved))
        return tuple(tests)

    def evaluate(self, context: Context) -> bool:
        """Evaluate against the request context (lower-cased keys, tuple values)."""
        operator = self.operator
        present = context.get(self.key)
        if operator.family == "null":
            # Null: "true" means the key must be absent, "false" that it must be present.
            return any((value.strip().lower() == "true") == (present is None) for value in self.values)
        if present is None:
            if operator.set_operator == "ForAllValues" or operator.if_exists:
                return True
            if operator.set_operator == "ForAnyValue":
                return False
            # A negated operator is true when the key is absent ("not equal to anything").
            return operator.negated
        tests = self._value_tests(context)
        if tests is None:
            # AWS: a variable that cannot be resolved can make the entire statement invalid; it never applies.
            return False
        parseable = _PARSEABLE.get(operator.family.split("_")[0])
        if parseable is not None and not all(
            parseable(v) for v in ((present,) if isinstance(present, str) else present)
        ):
            return False
        if operator.set_operator is None:
            if not isinstance(present, str):
                # A single-valued operator never matches a multivalued key: it needs ForAllValues/ForAnyValue.
                return False
            matched = any(test(present) for test in tests)
            return not matched if operator.negated else matched
        if isinstance(present, str):
            present = (present,)
        if operator.negated:
            outcomes = (not any(test(value) for test in tests) for value in present)
        else:
            outcomes = (any(test(value) for test in tests) for value in present)
        if operator.set_operator == "ForAllValues":
            return all(outcomes)
        return any(outcomes)


@dataclass(frozen=True, slots=True)
class ConditionBlock:
    """A statement's Condition element: every entry must hold (AND), values within an entry are OR-ed."""

    tests: tuple[ConditionTest, ...]

    def evaluate(self, context: Context) -> bool:
        """Tell whether every condition entry holds for the request context."""
        return all(test.evaluate(context) for test in self.tests)

    @property
    def keys(self) -> frozenset[str]:
        """The lower-cased condition keys this block reads."""
        return frozenset(test.key for test in self.tests)


__all__ = ["KNOWN_OPERATORS", "ConditionBlock", "ConditionTest", "Operator", "parse_operator"]
