"""The build sandbox: a child process in its own network namespace (loopback only), scrubbed environment, limits.

A build runs as ``prlimit --cpu ... -- unshare -n -- python -I _sandbox_child.py``: ``unshare -n`` gives it a
network namespace whose only interface is loopback, so nothing it runs can reach another address (a connect
fails with ENETUNREACH); ``prlimit`` caps CPU time and file size; the environment is exactly what the runner
passes. The filesystem is the host's (no mount namespace): the sandbox contains network and environment, not
files, and the runner gives each build its own temporary directory. Without ``unshare`` builds are refused
(UNVERIFIED), never run unsandboxed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import Unverified

CHILD = Path(__file__).with_name("_sandbox_child.py")


@dataclass(frozen=True, slots=True)
class SandboxPlan:
    """What the sandbox runs: phases (as plain data), the environment, the directories and the relay.

    ``shared_shell`` carries variables and the working directory from one command to the next (buildspec 0.2);
    without it every command starts afresh in the source directory with the build's environment (0.1).
    """

    workdir: Path
    state_dir: Path
    env: dict[str, str]
    phases: tuple[dict[str, Any], ...]
    marker: str
    exported: tuple[str, ...] = ()
    relay_port: int | None = None
    relay_socket: Path | None = None
    shared_shell: bool = True

    def to_json(self) -> str:
        """The plan as the child reads it on stdin."""
        relay = None
        if self.relay_port is not None and self.relay_socket is not None:
            relay = {"port": self.relay_port, "socket": str(self.relay_socket)}
        return json.dumps(
            {
                "workdir": str(self.workdir),
                "state_dir": str(self.state_dir),
                "env": self.env,
                "phases": list(self.phases),
                "marker": self.marker,
                "exported": list(self.exported),
                "relay": relay,
                "shared_shell": self.shared_shell,
            }
        )


@dataclass(slots=True)
class SandboxOutcome:
    """How the sandboxed process ended."""

    timed_out: bool
    returncode: int | None
    events: list[dict[str, Any]] = field(default_factory=list)


class Sandbox:
    """Starts sandboxed builds.

    Args:
        cpu_seconds: the CPU-time limit of the whole build (its processes are killed past it).
        file_size_bytes: the largest file a build may write.
    """

    def __init__(self, cpu_seconds: int = 600, file_size_bytes: int = 1 << 30) -> None:
        self.cpu_seconds = cpu_seconds
        self.file_size_bytes = file_size_bytes
        self._probe: str | None = None
        self._probed = False

    def _unshare(self) -> list[str]:
        # As root a plain network namespace; otherwise a user namespace makes the unprivileged unshare possible.
        return ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]

    def unavailable_reason(self) -> str | None:
        """Why builds cannot be sandboxed here, or None when they can (probed once per sandbox)."""
        if self._probed:
            return self._probe
        self._probed = True
        if shutil.which("unshare") is None:
            self._probe = "the 'unshare' command is not installed, so builds cannot get a loopback-only network"
        else:
            try:
                done = subprocess.run([*self._unshare(), "true"], capture_output=True, timeout=10)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self._probe = f"'unshare -n' could not start ({exc})"
            else:
                if done.returncode != 0:
                    reason = done.stderr.decode(errors="replace").strip()
                    self._probe = f"'unshare -n' is not permitted here ({reason})"
        return self._probe

    def require(self) -> None:
        """Raise Unverified when builds cannot be sandboxed.

        Raises:
            Unverified: naming why and what would fix it.
        """
        reason = self.unavailable_reason()
        if reason is not None:
            raise Unverified(
                f"build sandbox: {reason}; pipewarden does not run build commands without network isolation. "
                "Run as root or enable unprivileged user namespaces (kernel.unprivileged_userns_clone=1)"
            )

    def _command(self) -> tuple[list[str], Callable[[], None] | None]:
        child = [sys.executable, "-I", str(CHILD)]
        if shutil.which("prlimit"):
            limits = [
                "prlimit",
                f"--cpu={self.cpu_seconds}:{self.cpu_seconds}",
                f"--fsize={self.file_size_bytes}:{self.file_size_bytes}",
                "--",
            ]
            return [*limits, *self._unshare(), *child], None
        cpu, fsize = self.cpu_seconds, self.file_size_bytes

        def limit() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

        return [*self._unshare(), *child], limit

    def run(
        self,
        plan: SandboxPlan,
        deadline_seconds: float,
        on_line: Callable[[str], None],
        on_event: Callable[[dict[str, Any]], None],
    ) -> SandboxOutcome:
        """Run a plan, calling ``on_line`` for each output line and ``on_event`` for each structured event.

        The whole process group is killed when ``deadline_seconds`` pass (the build's timeout on the build clock).

        Raises:
            Unverified: when the sandbox is unavailable.
        """
        self.require()
        command, preexec = self._command()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={"PATH": plan.env.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            cwd=plan.workdir,
            start_new_session=True,
            preexec_fn=preexec,
        )
        assert proc.stdin is not None and proc.stdout is not None
        outcome = SandboxOutcome(timed_out=False, returncode=None)
        prefix = plan.marker + " "
        stdout = proc.stdout

        def read() -> None:
            for raw in stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if line.startswith(prefix):
                    try:
                        event = json.loads(line[len(prefix) :])
                    except ValueError:
                        on_line(line)
                        continue
                    outcome.events.append(event)
                    on_event(event)
                else:
                    on_line(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            proc.stdin.write(plan.to_json().encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            outcome.returncode = proc.wait(timeout=max(deadline_seconds, 0.01))
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            outcome.returncode = proc.wait()
        else:
            # The child has exited; commands it started in the background still hold the group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        reader.join(timeout=5)
        return outcome
