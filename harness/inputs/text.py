"""Reading definition files as text, in the encodings editors and shells write them."""

from __future__ import annotations

import codecs
from pathlib import Path

from harness.errors import InputError

# Byte order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file's bytes and the encoding it was read in.

    UTF-8 is the default; a byte order mark selects UTF-8, UTF-16 or UTF-32 (Windows PowerShell's ``>`` writes
    UTF-16 LE with a mark). UTF-16 without a mark is recognised by its zero bytes in the first characters, as a
    JSON or YAML file starts with ASCII.

    Raises:
        UnicodeDecodeError: the bytes are not text in any of these encodings.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding), encoding
    head = data[:64]
    if len(head) >= 4 and head[1::2].count(0) == len(head[1::2]) and head[0::2].count(0) == 0:
        return data.decode("utf-16-le"), "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) == len(head[0::2]) and head[1::2].count(0) == 0:
        return data.decode("utf-16-be"), "utf-16-be"
    return data.decode("utf-8"), "utf-8"


def read_text(path: str | Path, what: str) -> str:
    """Read a definition file as text (see ``decode``).

    Args:
        path: the file.
        what: what the file should be, for the message (``a Terraform plan JSON file``).

    Raises:
        InputError: the file cannot be read, or is not text in UTF-8, UTF-16 or UTF-32.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            where=str(path),
            expected=f"a readable {what.removeprefix('a ').removeprefix('an ')}",
            found=exc.strerror or str(exc),
            fix="check the path",
            file=str(path),
        ) from None
    try:
        return decode(data)[0]
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            where=f"{path}:{line}",
            expected=f"{what} in UTF-8, or UTF-16 or UTF-32 with a byte order mark",
            found=f"bytes that are not text in that encoding at byte {exc.start} ({exc.reason})",
            fix="save the file as UTF-8 (in PowerShell: Out-File -Encoding utf8)",
            file=str(path),
            line=line,
        ) from None
