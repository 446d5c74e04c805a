"""Space-delimited filter patterns: ``[ip, user, ..., status_code = 4*, bytes > 1000]``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from typing import Final

from harness.detect.patterns._json import Requirement, _all_of, _any_of
from harness.detect.patterns._message import LogMessage
from harness.detect.patterns._scan import Scanner
from harness.detect.patterns._values import COMPARISON_OPS, read_value

# A condition over the values of the pattern's slots (None for an ellipsis slot).
SlotTest = Callable[[list[str | None]], bool]

_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_VALUE_STOPS: Final = ",]&|)"
_ELLIPSIS: Final = "..."


@dataclass(frozen=True, slots=True)
class DelimitedPattern:
    """A compiled space-delimited pattern.

    ``slots`` holds, in order, a field name, ``""`` for an unnamed field, or ``"..."`` for an ellipsis.
    """

    slots: tuple[str, ...]
    conditions: tuple[SlotTest, ...]
    requirement: Requirement
    _fixed: bool = field(init=False, repr=False, compare=False)
    _ellipsis: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fixed", _ELLIPSIS not in self.slots)
        single = self.slots.count(_ELLIPSIS) == 1
        object.__setattr__(self, "_ellipsis", self.slots.index(_ELLIPSIS) if single else -1)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(slot for slot in self.slots if slot and slot != _ELLIPSIS)

    def match(self, message: LogMessage) -> list[str | None] | None:
        """Assign the message's fields to the slots and check every condition.

        Returns:
            One value per slot (None for an ellipsis), or None when the message does not match.
        """
        if self._fixed:
            # The common shape, without an ellipsis: one assignment, no search.
            fields = message.fields()
            size = len(self.slots)
            if len(fields) < size:
                return None
            values: list[str | None] = list(fields[:size])
            if len(fields) > size:
                values[-1] = message.remainder(size - 1)
            for condition in self.conditions:
                if not condition(values):
                    return None
            return values
        if self._ellipsis >= 0:
            # One ellipsis: it takes whatever the named fields leave, so there is one assignment.
            fields = message.fields()
            spare = len(fields) - (len(self.slots) - 1)
            if spare < 0:
                return None
            index = self._ellipsis
            values = [*fields[:index], None, *fields[index + spare :]]
            for condition in self.conditions:
                if not condition(values):
                    return None
            return values
        for values in self._assignments(message):
            if all(condition(values) for condition in self.conditions):
                return values
        return None

    def fields(self, message: LogMessage) -> Mapping[str, str] | None:
        """The extracted fields of a matching message, keyed ``$name`` for named slots and ``$N`` (1-based
        position) for unnamed fields and fields an ellipsis covers; None when the message does not match."""
        for values, counts in self._assignments_with_counts(message):
            if all(condition(values) for condition in self.conditions):
                fields = message.fields()
                extracted: dict[str, str] = {}
                position = 0
                for slot, value, count in zip(self.slots, values, counts, strict=True):
                    if slot == _ELLIPSIS:
                        for offset in range(count):
                            extracted[f"${position + offset + 1}"] = fields[position + offset]
                    elif value is not None:
                        extracted[f"${slot}" if slot else f"${position + 1}"] = value
                    position += count
                return extracted
        return None

    def _assignments(self, message: LogMessage) -> list[list[str | None]]:
        return [values for values, _ in self._assignments_with_counts(message)]

    def _assignments_with_counts(self, message: LogMessage) -> list[tuple[list[str | None], list[int]]]:
        fields = message.fields()
        slots = self.slots
        ellipses = [index for index, slot in enumerate(slots) if slot == _ELLIPSIS]
        fixed = len(slots) - len(ellipses)
        total = len(fields)
        if not ellipses:
            if total < fixed:
                return []
            values: list[str | None] = list(fields[:fixed])
            if total > fixed:
                # AWS: the last field takes the rest of the line, which is why a pattern matching on the first
                # word needs a trailing blank field ([w1=ERROR, w2]).
                values[-1] = message.remainder(fixed - 1)
            return [(values, [1] * fixed)]
        spare = total - fixed
        if spare < 0:
            return []
        results: list[tuple[list[str | None], list[int]]] = []
        for split in _splits(spare, len(ellipses)):
            counts = [1] * len(slots)
            for index, count in zip(ellipses, split, strict=True):
                counts[index] = count
            assigned: list[str | None] = []
            position = 0
            for slot, count in zip(slots, counts, strict=True):
                assigned.append(None if slot == _ELLIPSIS else fields[position])
                position += count
            results.append((assigned, counts))
        return results


def _splits(spare: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to share ``spare`` fields among ``parts`` ellipses, earlier ellipses taking fewer first."""
    if parts == 1:
        return [(spare,)]
    result: list[tuple[int, ...]] = []
    for cuts in combinations_with_replacement(range(spare + 1), parts - 1):
        bounds = (0, *cuts, spare)
        result.append(tuple(bounds[i + 1] - bounds[i] for i in range(parts)))
    return result


def compile_delimited(text: str, start: int) -> DelimitedPattern:
    """Compile a space-delimited pattern.

    Args:
        text: the whole pattern.
        start: offset of the opening ``[``.

    Returns:
        The compiled pattern.

    Raises:
        InputError: malformed syntax, pointing at its column.
    """
    parser = _Parser(text)
    scanner = parser.scanner
    scanner.pos = start + 1
    while True:
        parser.slot()
        scanner.skip_ws()
        char = scanner.peek()
        if char == ",":
            scanner.pos += 1
            continue
        if char == "]":
            scanner.pos += 1
            break
        raise scanner.error(", between fields or ] to close the pattern", "separate fields with commas")
    scanner.skip_ws()
    if not scanner.at_end():
        raise scanner.error("the end of the pattern after ]", "remove the text after the closing ]")
    if all(slot == "" for slot in parser.slots) and len(parser.slots) == 1:
        raise scanner.error(
            "at least one field between [ and ]",
            "name the fields, as in [ip, user, ..., status_code, bytes]",
            pos=start,
            found="'[]'",
        )
    return DelimitedPattern(tuple(parser.slots), tuple(parser.conditions), _all_of(parser.requirements))


class _Parser:
    __slots__ = ("conditions", "regexes", "requirements", "scanner", "slot_names", "slots")

    def __init__(self, text: str) -> None:
        self.scanner = Scanner(text)
        self.slots: list[str] = []
        self.conditions: list[SlotTest] = []
        self.requirements: list[Requirement] = []
        self.regexes = [0]
        self.slot_names: list[str] = []

    def slot(self) -> None:
        scanner = self.scanner
        scanner.skip_ws()
        if scanner.peek() in (",", "]"):
            self.slots.append("")
            return
        if scanner.at_end():
            raise scanner.error("a field or ] to close the pattern", "close the pattern with ]")
        if scanner.startswith(_ELLIPSIS):
            scanner.pos += 3
            self.slots.append(_ELLIPSIS)
            return
        self.slot_names = []
        test, requirement, bare = self.expression()
        if bare:
            # A bare name: the field with no condition.
            return
        self.conditions.append(test)
        self.requirements.append(requirement)

    def _field(self, name: str, pos: int) -> int:
        """The slot index of ``name``, adding the field when the current slot introduces it."""
        if name in self.slots:
            index = self.slots.index(name)
            if name not in self.slot_names:
                raise self.scanner.error(
                    "a field name not used by another field",
                    "give each field its own name; join conditions on one field with && or || in its slot",
                    pos=pos,
                    found=repr(name),
                )
            return index
        self.slot_names.append(name)
        self.slots.append(name)
        return len(self.slots) - 1

    def expression(self) -> tuple[SlotTest, Requirement, bool]:
        test, requirement, bare = self.conjunction()
        terms = [(test, requirement)]
        while True:
            self.scanner.skip_ws()
            if not self.scanner.startswith("||"):
                break
            self._no_bare(bare)
            self.scanner.pos += 2
            test, requirement, bare = self.conjunction()
            self._no_bare(bare)
            terms.append((test, requirement))
        if len(terms) == 1:
            return terms[0][0], terms[0][1], bare
        tests = tuple(test for test, _ in terms)
        return (lambda values: any(test(values) for test in tests)), _any_of([req for _, req in terms]), False

    def conjunction(self) -> tuple[SlotTest, Requirement, bool]:
        test, requirement, bare = self.primary()
        terms = [(test, requirement)]
        while True:
            self.scanner.skip_ws()
            if not self.scanner.startswith("&&"):
                break
            self._no_bare(bare)
            self.scanner.pos += 2
            test, requirement, bare = self.primary()
            self._no_bare(bare)
            terms.append((test, requirement))
        if len(terms) == 1:
            return terms[0][0], terms[0][1], bare
        tests = tuple(test for test, _ in terms)
        return (lambda values: all(test(values) for test in tests)), _all_of([req for _, req in terms]), False

    def _no_bare(self, bare: bool) -> None:
        if bare:
            name = self.slot_names[-1] if self.slot_names else "the field"
            raise self.scanner.error(
                f"a comparison after {name} in a compound condition",
                f"give {name} a condition, as in {name} = value",
            )

    def primary(self) -> tuple[SlotTest, Requirement, bool]:
        scanner = self.scanner
        scanner.skip_ws()
        if scanner.peek() == "(":
            open_pos = scanner.pos
            scanner.pos += 1
            inner, inner_requirement, bare = self.expression()
            self._no_bare(bare)
            scanner.skip_ws()
            if scanner.peek() != ")":
                raise scanner.error(
                    ") to close the parenthesis", f"close the parenthesis opened at column {open_pos + 1}"
                )
            scanner.pos += 1
            return inner, inner_requirement, False
        text = scanner.text
        start = scanner.pos
        pos = start
        while pos < len(text) and text[pos] in _NAME_CHARS:
            pos += 1
        if pos == start:
            raise scanner.error(
                "a field name, ... or a condition such as status_code = 404",
                "name each field with letters, digits or _, separated by commas",
            )
        name = text[start:pos]
        scanner.pos = pos
        index = self._field(name, start)
        scanner.skip_ws()
        op = next((candidate for candidate in COMPARISON_OPS if scanner.startswith(candidate)), None)
        if op is None:
            char = scanner.peek()
            if char in (",", "]", "&", "|", ")") or scanner.at_end():
                return _always, None, True
            raise scanner.error(
                f"a comparison operator (=, !=, <, >, <=, >=), a comma or ] after the field {name!r}",
                "separate fields with commas, or compare the field with a value",
            )
        scanner.pos += len(op)
        scanner.skip_ws()
        condition = read_value(scanner, op, _VALUE_STOPS, self.regexes)
        check = condition.test

        def test(values: list[str | None]) -> bool:
            value = values[index]
            return value is not None and check(value)

        requirement: Requirement = (frozenset(condition.literals),) if condition.literals else None
        return test, requirement, False


def _always(_values: list[str | None]) -> bool:
    return True
