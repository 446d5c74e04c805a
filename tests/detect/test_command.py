"""``pipewarden logs match``: stdin and file input, line handling, and invalid patterns."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from harness.cli import main

LINES = "[ERROR 400] BAD REQUEST\n[INFO] fine\n[ERROR 419] MISSING ARGUMENTS\n"


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def run(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes], argv: list[str], stdin: bytes = b""
) -> tuple[int, bytes, str]:
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
    code = main(argv)
    captured = capfdbinary.readouterr()
    return code, captured.out, captured.err.decode()


def test_reads_stdin_by_default(monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "ERROR"], LINES.encode())
    assert (code, err) == (0, "")
    assert out == b"[ERROR 400] BAD REQUEST\n[ERROR 419] MISSING ARGUMENTS\n"


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "INFO", "-"], LINES.encode())
    assert (code, out) == (0, b"[INFO] fine\n")


def test_reads_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "events.log"
    path.write_bytes(
        b'{"errorCode": "AccessDenied"}\r\n{"errorCode": "Throttling"}\r\n\r\n{"errorCode": "AccessDeniedX"}'
    )
    pattern = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", pattern, str(path)])
    # CRLF line ends are removed, the unterminated last line is still an event, output lines end with LF.
    assert (code, out) == (0, b'{"errorCode": "AccessDenied"}\n{"errorCode": "AccessDeniedX"}\n')


def test_empty_lines_are_not_events(monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", ""], b"a\n\n b \n\nc\n")
    assert (code, out) == (0, b"a\n b \nc\n")


def test_pattern_starting_with_a_dash(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "-INFO"], LINES.encode())
    assert (code, out) == (0, b"[ERROR 400] BAD REQUEST\n[ERROR 419] MISSING ARGUMENTS\n")
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern=-ERROR"], LINES.encode())
    assert (code, out) == (0, b"[INFO] fine\n")


def test_undecodable_bytes_pass_through(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, _ = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "ERROR"], b"ERROR \xff\xfe\nok\n")
    assert (code, out) == (0, b"ERROR \xff\xfe\n")


def test_invalid_pattern_exits_2_with_the_column(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, err = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "{ $.eventName = }"], b"x\n")
    assert (code, out) == (2, b"")
    assert "pattern column 17: expected a value after '='" in err
    assert err.splitlines()[-1] == "  " + " " * 16 + "^"


def test_unsupported_regex_exits_2(monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    code, _, err = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "%(a|b)%"], b"a\n")
    assert code == 2
    assert "pattern column 2:" in err


def test_missing_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, _, err = run(monkeypatch, capfdbinary, ["logs", "match", "--pattern", "x", str(tmp_path / "nope")])
    assert code == 2
    assert "nope: expected a readable file" in err


def test_logs_without_action_prints_usage(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, _, err = run(monkeypatch, capfdbinary, ["logs"])
    assert code == 2
    assert "match" in err


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    import subprocess

    events = tmp_path / "events.log"
    events.write_text('{"eventName": "StopLogging"}\n{"eventName": "LookupEvents"}\n', encoding="utf-8")
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "logs",
            "match",
            "--pattern",
            "{ $.eventName = StopLogging }",
            str(events),
        ],
        capture_output=True,
        check=False,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b'{"eventName": "StopLogging"}\n', b"")
    bad = subprocess.run(
        [sys.executable, "-m", "harness.cli", "logs", "match", "--pattern", "[a, b"],
        input=b"x y\n",
        capture_output=True,
        check=False,
    )
    assert bad.returncode == 2
    assert b"pattern column 6: expected" in bad.stderr
