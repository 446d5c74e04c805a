"""JSON filter patterns: ``{ $.selector OP value }`` conditions joined with ``&&``, ``||`` and parentheses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from harness.detect.patterns._scan import Scanner
from harness.detect.patterns._values import COMPARISON_OPS, JsonFloat, ValueCondition, json_text, read_value

JsonTest = Callable[[Any], bool]
# What a raw message must contain: any one clause, each clause all its literals (None: no requirement).
Requirement = tuple[frozenset[str], ...] | None

_MISSING: Final = object()
_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_VALUE_STOPS: Final = ")}&|"
_MAX_CLAUSES: Final = 16


@dataclass(frozen=True, slots=True)
class Step:
    """One selector step: an object key, an array index, or the ``*`` wildcard."""

    key: str | None = None
    index: int | None = None
    wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Selector:
    """A property selector such as ``$.users[0].email``, ``$.arrayKey[*]`` or ``$.['cluster.name']``."""

    text: str
    steps: tuple[Step, ...]

    def values(self, root: Any) -> list[Any]:
        """Every value the selector reaches in ``root`` (several only through a wildcard)."""
        current = [root]
        for step in self.steps:
            reached: list[Any] = []
            for node in current:
                if step.wildcard:
                    if type(node) is dict:
                        reached.extend(node.values())
                    elif type(node) is list:
                        reached.extend(node)
                elif step.key is not None:
                    if type(node) is dict and step.key in node:
                        reached.append(node[step.key])
                elif type(node) is list and step.index is not None and step.index < len(node):
                    reached.append(node[step.index])
            current = reached
            if not current:
                break
        return current

    def value(self, root: Any) -> Any:
        """The one value a wildcard-free selector reaches, or ``MISSING``."""
        node = root
        for step in self.steps:
            if step.key is not None:
                if type(node) is not dict:
                    return _MISSING
                node = node.get(step.key, _MISSING)
                if node is _MISSING:
                    return _MISSING
            elif type(node) is list and step.index is not None and step.index < len(node):
                node = node[step.index]
            else:
                return _MISSING
        return node

    @property
    def has_wildcard(self) -> bool:
        return any(step.wildcard for step in self.steps)


MISSING: Final = _MISSING


def compile_json(text: str, start: int) -> tuple[JsonTest, Requirement]:
    """Compile a JSON pattern.

    Args:
        text: the whole pattern.
        start: offset of the opening ``{``.

    Returns:
        A test over the parsed JSON document, and the literals a matching raw message must contain.

    Raises:
        InputError: malformed syntax, pointing at its column.
    """
    parser = _Parser(text)
    parser.scanner.pos = start + 1
    test, requirement = parser.expression()
    scanner = parser.scanner
    scanner.skip_ws()
    if scanner.peek() != "}":
        raise scanner.error("&&, || or the closing } of the JSON pattern", "close the JSON pattern with }")
    scanner.pos += 1
    scanner.skip_ws()
    if not scanner.at_end():
        raise scanner.error("the end of the pattern after }", "remove the text after the closing }")
    return test, requirement


def parse_selector(text: str, pos: int = 0, *, where: Scanner | None = None) -> tuple[Selector, int]:
    """Parse a ``$.`` property selector.

    Args:
        text: the text holding the selector.
        pos: offset of the ``$``.
        where: scanner for error columns (a fresh one over ``text`` when None).

    Returns:
        The selector and the offset just after it.

    Raises:
        InputError: a malformed selector.
    """
    scanner = where if where is not None else Scanner(text)
    scanner.pos = pos
    if scanner.peek() != "$":
        raise scanner.error("a property selector starting with $.", "write the selector as $.field")
    scanner.pos += 1
    steps: list[Step] = []
    while not scanner.at_end():
        char = scanner.peek()
        if char == ".":
            scanner.pos += 1
            nxt = scanner.peek()
            if nxt == "*":
                scanner.pos += 1
                steps.append(Step(wildcard=True))
            elif nxt == "[":
                steps.append(_bracket(scanner))
            else:
                steps.append(Step(key=_name(scanner)))
        elif char == "[":
            steps.append(_bracket(scanner))
        else:
            break
    if not steps:
        raise scanner.error(
            "a property after $",
            "write the selector as $.field",
            found=repr(scanner.text[pos : scanner.pos + 1]),
        )
    wildcards = sum(step.wildcard for step in steps)
    if wildcards > 1:
        raise scanner.error(
            "at most one wildcard in a property selector",
            "CloudWatch Logs allows one * per selector; select the other level explicitly",
            pos=pos,
            found=repr(text[pos : scanner.pos]),
        )
    return Selector(text[pos : scanner.pos], tuple(steps)), scanner.pos


def _name(scanner: Scanner) -> str:
    text = scanner.text
    start = scanner.pos
    pos = start
    while pos < len(text) and text[pos] in _NAME_CHARS:
        pos += 1
    if pos == start:
        raise scanner.error(
            "a property name (letters, digits, - or _)",
            "name the property after the dot, or use bracket notation, as in $.['cluster.name']",
        )
    if pos < len(text) and not text[pos].isspace() and text[pos] not in ".[=!<>)&|}":
        raise scanner.error(
            "letters, digits, - or _ in a property name",
            "for other characters use bracket notation, as in $.['cluster.name']",
            pos=pos,
        )
    scanner.pos = pos
    return text[start:pos]


def _bracket(scanner: Scanner) -> Step:
    start = scanner.pos
    text = scanner.text
    scanner.pos += 1
    char = scanner.peek()
    if char == "*":
        scanner.pos += 1
        step = Step(wildcard=True)
    elif char in ("'", '"'):
        end = text.find(char, scanner.pos + 1)
        if end < 0:
            raise scanner.error("a closing quote in the bracketed property name", f"close the name with {char}")
        step = Step(key=text[scanner.pos + 1 : end])
        scanner.pos = end + 1
    else:
        pos = scanner.pos
        while pos < len(text) and text[pos].isdigit():
            pos += 1
        if pos == scanner.pos:
            raise scanner.error(
                "an array index, * or a quoted property name inside [ ]",
                "write [0], [*] or ['name.with.dots']",
            )
        step = Step(index=int(text[scanner.pos : pos]))
        scanner.pos = pos
    if scanner.peek() != "]":
        raise scanner.error("] to close the bracket", f"close the bracket opened at column {start + 1}")
    scanner.pos += 1
    return step


class _Parser:
    __slots__ = ("regexes", "scanner", "wildcards")

    def __init__(self, text: str) -> None:
        self.scanner = Scanner(text)
        self.regexes = [0]
        self.wildcards = 0

    def expression(self) -> tuple[JsonTest, Requirement]:
        terms = [self.conjunction()]
        while True:
            self.scanner.skip_ws()
            if not self.scanner.startswith("||"):
                break
            self.scanner.pos += 2
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        tests = tuple(test for test, _ in terms)
        return (lambda doc: any(test(doc) for test in tests)), _any_of([req for _, req in terms])

    def conjunction(self) -> tuple[JsonTest, Requirement]:
        terms = [self.primary()]
        while True:
            self.scanner.skip_ws()
            if not self.scanner.startswith("&&"):
                break
            self.scanner.pos += 2
            terms.append(self.primary())
        if len(terms) == 1:
            return terms[0]
        tests = tuple(test for test, _ in terms)
        return (lambda doc: all(test(doc) for test in tests)), _all_of([req for _, req in terms])

    def primary(self) -> tuple[JsonTest, Requirement]:
        scanner = self.scanner
        scanner.skip_ws()
        if scanner.peek() == "(":
            open_pos = scanner.pos
            scanner.pos += 1
            result = self.expression()
            scanner.skip_ws()
            if scanner.peek() != ")":
                raise scanner.error(
                    ") to close the parenthesis", f"close the parenthesis opened at column {open_pos + 1}"
                )
            scanner.pos += 1
            return result
        if scanner.peek() != "$":
            if scanner.at_end() or scanner.peek() == "}":
                raise scanner.error("a condition such as $.field = value", "write a condition inside { }")
            raise scanner.error(
                "a property selector starting with $.",
                "start each condition with a selector, as in $.eventName",
            )
        selector, _ = parse_selector(scanner.text, scanner.pos, where=scanner)
        if selector.has_wildcard:
            self.wildcards += 1
            if self.wildcards > 3:
                raise scanner.error(
                    "at most three wildcard selectors in a pattern",
                    "CloudWatch Logs allows three wildcard selectors per pattern; name the other properties",
                    pos=scanner.pos - len(selector.text),
                    found=repr(selector.text),
                )
        scanner.skip_ws()
        return self.comparison(selector)

    def comparison(self, selector: Selector) -> tuple[JsonTest, Requirement]:
        scanner = self.scanner
        keys = frozenset(step.key for step in selector.steps if step.key is not None)
        word = _word(scanner)
        if word == "IS":
            word_pos = scanner.pos
            scanner.pos += 2
            scanner.skip_ws()
            value_word = _word(scanner)
            if value_word == "NOT":
                raise scanner.error(
                    "NULL, TRUE or FALSE after IS",
                    "CloudWatch Logs does not support IS NOT; use != or NOT EXISTS",
                    pos=word_pos,
                    found="'IS NOT'",
                )
            constants = {"NULL": None, "TRUE": True, "FALSE": False}
            if value_word not in constants:
                raise scanner.error("NULL, TRUE or FALSE after IS", "write IS NULL, IS TRUE or IS FALSE")
            scanner.pos += len(value_word)
            expected = constants[value_word]
            literal = value_word.lower()
            return self._any_value(selector, lambda value: value is expected), _clause(keys, frozenset({literal}))
        if word == "NOT":
            word_pos = scanner.pos
            scanner.pos += 3
            scanner.skip_ws()
            if _word(scanner) != "EXISTS":
                raise scanner.error("EXISTS after NOT", "write NOT EXISTS", pos=scanner.pos)
            scanner.pos += len("EXISTS")
            # A message that is not JSON never matches, even NOT EXISTS (the document check comes first).
            if selector.has_wildcard:
                return (lambda doc: not selector.values(doc)), None
            return (lambda doc: selector.value(doc) is _MISSING), None
        if word == "EXISTS":
            raise scanner.error(
                "a comparison operator, IS or NOT EXISTS",
                "CloudWatch Logs does not support EXISTS; to require a value write $.field = *",
            )
        op = next((candidate for candidate in COMPARISON_OPS if scanner.startswith(candidate)), None)
        if op is None:
            raise scanner.error(
                "a comparison operator (=, !=, <, >, <=, >=), IS or NOT EXISTS after " + selector.text,
                "compare the selector with a value, as in " + selector.text + ' = "value"',
            )
        scanner.pos += len(op)
        scanner.skip_ws()
        condition = read_value(scanner, op, _VALUE_STOPS, self.regexes)
        test = _value_test(condition)
        return self._any_value(selector, test), _clause(keys, frozenset(condition.literals))

    def _any_value(self, selector: Selector, test: Callable[[Any], bool]) -> JsonTest:
        if selector.has_wildcard:
            return lambda doc: any(test(value) for value in selector.values(doc))

        def single(doc: Any) -> bool:
            value = selector.value(doc)
            return value is not _MISSING and test(value)

        return single


def _word(scanner: Scanner) -> str:
    text = scanner.text
    pos = scanner.pos
    end = pos
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[pos:end].upper()


def _value_test(condition: ValueCondition) -> Callable[[Any], bool]:
    text_test = condition.test
    number_test = condition.number_test

    # AWS: a selector must reach a value node; null, arrays and objects match neither = nor !=.
    if number_test is not None:

        def numeric(value: Any) -> bool:
            kind = type(value)
            if kind is int or kind is JsonFloat:
                return number_test(value)
            text = json_text(value)
            return text is not None and text_test(text)

        return numeric

    def textual(value: Any) -> bool:
        text = json_text(value)
        return text is not None and text_test(text)

    return textual


def _safe(literal: str) -> bool:
    # A literal can be looked for in the raw message only if JSON cannot spell it with an escape other
    # than \uXXXX (which the pre-filter checks for separately): no quote, backslash, slash or control chars.
    return bool(literal) and not any(char in '"\\/' or char < " " for char in literal)


def _clause(keys: frozenset[str], values: frozenset[str]) -> Requirement:
    # One literal per condition is enough for a cheap pre-filter: the compared value when there is one (it is
    # far more selective than a key most records carry), else the longest key.
    for candidates in (values, keys):
        safe = sorted((literal for literal in candidates if _safe(literal)), key=len, reverse=True)
        if safe:
            return (frozenset(safe[:1]),)
    return None


def _any_of(requirements: list[Requirement]) -> Requirement:
    clauses: list[frozenset[str]] = []
    for requirement in requirements:
        if requirement is None:
            return None
        clauses.extend(requirement)
    return tuple(clauses) if len(clauses) <= _MAX_CLAUSES else None


def _all_of(requirements: list[Requirement]) -> Requirement:
    result: tuple[frozenset[str], ...] = (frozenset(),)
    for requirement in requirements:
        if requirement is None:
            continue
        result = tuple(left | right for left in result for right in requirement)
        if len(result) > _MAX_CLAUSES:
            return None
    if result == (frozenset(),):
        return None
    return result
