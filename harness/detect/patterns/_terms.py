"""Unstructured filter patterns: terms, quoted phrases, ``?`` alternatives and ``-`` exclusions."""

from __future__ import annotations

from collections.abc import Callable

from harness.detect.patterns._scan import Scanner

Test = Callable[[str], bool]


def compile_terms(text: str) -> tuple[Test, tuple[str, ...]]:
    """Compile an unstructured pattern such as ``ERROR -ARGUMENTS`` or ``?ERROR ?WARN``.

    Args:
        text: the whole pattern.

    Returns:
        A test over the message text, and the literals every match contains.

    Raises:
        InputError: a malformed term, pointing at its column.
    """
    scanner = Scanner(text)
    include: list[str] = []
    exclude: list[str] = []
    optional: list[str] = []
    while True:
        scanner.skip_ws()
        if scanner.at_end():
            break
        prefix = scanner.peek()
        prefix_pos = scanner.pos
        if prefix in "?-":
            scanner.pos += 1
            scanner.skip_ws()
            if scanner.at_end() or scanner.peek() in "?-":
                raise scanner.error(
                    f"a term after '{prefix}'",
                    f'write the term right after the sign, as in {prefix}ERROR or {prefix}"Access denied"',
                    pos=prefix_pos,
                    found=f"{prefix!r} with no term",
                )
        else:
            prefix = ""
        term = _read_term(scanner)
        # A phrase of only spaces ("" or " ") is how AWS writes "match everything".
        if not term.strip():
            term = ""
        (optional if prefix == "?" else exclude if prefix == "-" else include).append(term)
    if include or exclude:
        # AWS: "?" terms cannot be combined with other terms; when they are, every "?" term is ignored.
        required = tuple(term for term in include if term)
        excluded = tuple(exclude)
        if not excluded:
            if len(required) == 1:
                only = required[0]
                return (lambda message: only in message), required
            if not required:
                return _always, ()
            return (lambda message: all(term in message for term in required)), required
        return (
            lambda message: all(term in message for term in required) and not any(term in message for term in excluded)
        ), required
    if not optional or "" in optional:
        return _always, ()
    alternatives = tuple(optional)
    return (lambda message: any(term in message for term in alternatives)), ()


def _always(_message: str) -> bool:
    return True


def _read_term(scanner: Scanner) -> str:
    char = scanner.peek()
    if char == '"':
        return scanner.read_quoted()
    if char == "%":
        raise scanner.error(
            "a term",
            "a %regex% filter pattern must stand alone: use the regex as the whole pattern, or quote the "
            "text to match it literally",
        )
    text = scanner.text
    start = scanner.pos
    pos = start
    while pos < len(text) and not text[pos].isspace():
        char = text[pos]
        if not (char.isalnum() or char == "_"):
            term = text[start:pos]
            while pos < len(text) and not text[pos].isspace():
                pos += 1
            whole = text[start:pos]
            raise scanner.error(
                "letters, digits or _ in an unquoted term",
                f'enclose terms with other characters in double quotes, as in "{whole}"',
                pos=start + len(term),
                found=repr(char),
            )
        pos += 1
    scanner.pos = pos
    return text[start:pos]
