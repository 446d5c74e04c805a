"""Runs inside the build's network namespace: brings loopback up, relays the AWS endpoint, runs the phases.

Standalone on purpose (standard library only, started with ``python -I``): nothing of the harness is importable
or needed inside the sandbox. The parent sends the plan as JSON on stdin and reads the build's output on stdout;
lines that start with the per-build marker it sent carry structured events (phase start and end, commands).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import threading
from typing import Any

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

# Each command runs in a fresh bash that first restores what the previous command exported and where it left
# the working directory: buildspec 0.2 keeps variables and the directory from one command to the next (0.1 does
# not: see Runner.command).
WRAPPER = r"""
__pw_state="$1"; __pw_cmd="$2"; __pw_succ="$3"; set --
if [ -f "$__pw_state/env" ]; then
  for __pw_v in $(compgen -e); do unset "$__pw_v" 2>/dev/null; done
  . "$__pw_state/env"
fi
cd "$(cat "$__pw_state/cwd")" 2>/dev/null || true
export CODEBUILD_BUILD_SUCCEEDING="$__pw_succ"
. "$__pw_cmd"
__pw_rc=$?
export -p > "$__pw_state/env"
pwd > "$__pw_state/cwd"
exit $__pw_rc
"""


def loopback_up() -> None:
    """Set the namespace's loopback interface up (``ip link set lo up`` without needing ``ip``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def start_relay(port: int, unix_path: str) -> None:
    """Accept TCP on 127.0.0.1:port inside the namespace and forward each connection to the gateway's socket."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)

    def serve() -> None:
        while True:
            conn, _ = server.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(unix_path)
            except OSError:
                conn.close()
                continue
            threading.Thread(target=_pump, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, conn), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


class Runner:
    """Runs the phases of one build and reports them."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.marker: str = plan["marker"]
        self.state: str = plan["state_dir"]
        self.env: dict[str, str] = plan["env"]
        self.succeeding = "1"
        self.out = sys.stdout.buffer
        self.count = 0
        with open(os.path.join(self.state, "cwd"), "w") as f:
            f.write(plan["workdir"])
        with open(os.path.join(self.state, "wrapper.sh"), "w") as f:
            f.write(WRAPPER)

    def event(self, kind: str, **fields: Any) -> None:
        self.out.write(f"{self.marker} {json.dumps({'e': kind, **fields})}\n".encode())
        self.out.flush()

    def command(self, phase: str, text: str) -> int:
        self.count += 1
        if not self.plan.get("shared_shell", True):
            # Buildspec 0.1: each command in a separate shell instance, nothing kept from the one before.
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.state, "env"))
            with open(os.path.join(self.state, "cwd"), "w") as f:
                f.write(self.plan["workdir"])
        path = os.path.join(self.state, f"cmd{self.count}.sh")
        with open(path, "w") as f:
            f.write(text + "\n")
        self.event("command", phase=phase, command=text)
        proc = subprocess.Popen(
            ["bash", os.path.join(self.state, "wrapper.sh"), self.state, path, self.succeeding],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.plan["workdir"],
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.endswith(b"\n"):
                line += b"\n"
            self.out.write(line)
            self.out.flush()
        rc = proc.wait()
        self.event("command_end", phase=phase, command=text, rc=rc)
        return rc

    def phase(self, spec: dict[str, Any]) -> str:
        name = spec["name"].upper()
        self.event("phase_start", phase=name)
        message = ""
        for text in spec["commands"]:
            rc = self.command(name, text)
            if rc != 0:
                message = f"Error while executing command: {text}. Reason: exit status {rc}"
                break
        for text in spec["finally"]:
            rc = self.command(name, text)
            if rc != 0 and not message:
                message = f"Error while executing command: {text}. Reason: exit status {rc}"
                break
        status = "FAILED" if message else "SUCCEEDED"
        if message:
            self.succeeding = "0"
        self.event(
            "phase_end",
            phase=name,
            status=status,
            code="COMMAND_EXECUTION_ERROR" if message else "",
            message=message,
        )
        return status

    def run(self) -> None:
        upload = True
        skipping = False
        for spec in self.plan["phases"]:
            if skipping:
                continue
            status = self.phase(spec)
            if status == "FAILED" and spec["on_failure"] == "ABORT" and spec["name"] in ("install", "pre_build"):
                # A failed INSTALL or PRE_BUILD ends the build: no BUILD, no POST_BUILD, no artifacts. A failed
                # BUILD still runs POST_BUILD, and UPLOAD_ARTIFACTS is always attempted after BUILD ran.
                skipping = True
                upload = False
        exported = {}
        names = self.plan.get("exported", [])
        if names and os.path.exists(os.path.join(self.state, "env")):
            script = '. "$1/env"; shift; for n in "$@"; do printf "%s\\0%s\\0" "$n" "${!n}"; done'
            raw = subprocess.run(
                ["bash", "-c", script, "bash", self.state, *names],
                capture_output=True,
                env={"PATH": self.env.get("PATH", "/usr/bin:/bin")},
            ).stdout.split(b"\0")
            exported = {raw[i].decode(): raw[i + 1].decode(errors="replace") for i in range(0, len(raw) - 1, 2)}
        self.event("done", succeeding=self.succeeding == "1", upload=upload, exported=exported)


def main() -> int:
    plan = json.loads(sys.stdin.read())
    sys.stdin.close()
    loopback_up()
    relay = plan.get("relay")
    if relay:
        start_relay(int(relay["port"]), relay["socket"])
    Runner(plan).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
