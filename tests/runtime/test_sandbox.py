"""The sandbox alone: phases, on-failure, finally, the build clock's deadline, network and environment isolation."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from harness.errors import Unverified
from harness.runtime.sandbox import Sandbox, SandboxPlan


def phase(name: str, commands: list[str], final: list[str] | None = None, on_failure: str = "ABORT") -> dict[str, Any]:
    return {"name": name, "commands": commands, "finally": final or [], "on_failure": on_failure}


def run(tmp_path: Path, phases: list[dict[str, Any]], deadline: float = 20.0, **env: str) -> tuple[Any, list[str]]:
    work, state = tmp_path / "src", tmp_path / "state"
    work.mkdir(parents=True)
    state.mkdir()
    lines: list[str] = []
    plan = SandboxPlan(
        workdir=work,
        state_dir=state,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), **env},
        phases=tuple(phases),
        marker=secrets.token_hex(8),
        exported=("EXPORTED",),
    )
    outcome = Sandbox().run(plan, deadline, lines.append, lambda e: None)
    return outcome, lines


def ends(outcome: Any) -> dict[str, str]:
    return {e["phase"]: e["status"] for e in outcome.events if e["e"] == "phase_end"}


def test_commands_share_variables_and_directory_between_commands(tmp_path: Path) -> None:
    outcome, lines = run(
        tmp_path,
        [phase("build", ["export A=one; mkdir sub; cd sub", 'echo "$A in $(basename $PWD)"', "export EXPORTED=x"])],
    )
    assert "one in sub" in lines
    assert ends(outcome) == {"BUILD": "SUCCEEDED"}
    assert outcome.events[-1]["exported"] == {"EXPORTED": "x"}


def test_a_failed_build_phase_still_runs_post_build_and_finally(tmp_path: Path) -> None:
    outcome, lines = run(
        tmp_path,
        [
            phase("build", ["echo before", "false", "echo never"], final=["echo cleanup"]),
            phase("post_build", ["echo post $CODEBUILD_BUILD_SUCCEEDING"]),
        ],
    )
    assert lines == ["before", "cleanup", "post 0"]
    assert ends(outcome) == {"BUILD": "FAILED", "POST_BUILD": "SUCCEEDED"}
    failed = next(e for e in outcome.events if e["e"] == "phase_end" and e["phase"] == "BUILD")
    assert failed["message"] == "Error while executing command: false. Reason: exit status 1"


def test_abort_in_pre_build_skips_the_rest_and_continue_goes_on(tmp_path: Path) -> None:
    aborted, lines = run(tmp_path / "a", [phase("pre_build", ["exit 3"]), phase("build", ["echo built"])])
    assert ends(aborted) == {"PRE_BUILD": "FAILED"}
    assert "built" not in lines
    assert aborted.events[-1]["upload"] is False
    went_on, lines = run(
        tmp_path / "b", [phase("pre_build", ["exit 3"], on_failure="CONTINUE"), phase("build", ["echo built"])]
    )
    assert ends(went_on) == {"PRE_BUILD": "FAILED", "BUILD": "SUCCEEDED"}
    assert "built" in lines


def test_the_deadline_kills_a_hanging_build_and_keeps_its_output(tmp_path: Path) -> None:
    outcome, lines = run(tmp_path, [phase("build", ["echo started", "sleep 60"])], deadline=1.0)
    assert outcome.timed_out
    assert lines == ["started"]


def test_no_connection_leaves_the_sandbox(tmp_path: Path) -> None:
    probe = (
        'python3 -c "import socket; s=socket.socket(); s.settimeout(3)\n'
        "try:\n s.connect(('192.0.2.1', 80)); print('CONNECTED')\n"
        "except OSError as e: print('REFUSED', e.errno)\""
    )
    outcome, lines = run(tmp_path, [phase("build", [probe])])
    assert ends(outcome) == {"BUILD": "SUCCEEDED"}
    assert lines == ["REFUSED 101"]  # ENETUNREACH: the namespace has no route anywhere but loopback


def test_loopback_is_up_inside_the_sandbox(tmp_path: Path) -> None:
    script = (
        "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "c=socket.create_connection(s.getsockname()); print('LOOPBACK OK')\""
    )
    _, lines = run(tmp_path, [phase("build", [script])])
    assert lines == ["LOOPBACK OK"]


def test_the_host_environment_does_not_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEWARDEN_HOST_MARKER", "leaked-value")
    _, lines = run(tmp_path, [phase("build", ["env"])], GIVEN="yes")
    assert "GIVEN=yes" in lines
    assert not any("leaked-value" in line or "PIPEWARDEN_HOST_MARKER" in line for line in lines)


def test_without_unshare_builds_are_refused_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare on this PATH
    sandbox = Sandbox()
    assert sandbox.unavailable_reason() is not None
    with pytest.raises(Unverified, match="does not run build commands without network isolation"):
        sandbox.require()


def test_cpu_limit_ends_a_spinning_build(tmp_path: Path) -> None:
    work, state = tmp_path / "src", tmp_path / "state"
    work.mkdir()
    state.mkdir()
    lines: list[str] = []
    plan = SandboxPlan(
        workdir=work,
        state_dir=state,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        phases=(phase("build", ["echo spin", "while :; do :; done"]),),
        marker="m" + secrets.token_hex(4),
    )
    outcome = Sandbox(cpu_seconds=1).run(plan, 20.0, lines.append, lambda e: None)
    assert not outcome.timed_out
    assert ends(outcome) == {"BUILD": "FAILED"}
