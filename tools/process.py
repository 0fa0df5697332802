"""How every command the agent runs is started, read and stopped: `bash -c` in its own
session (inside the OS sandbox when there is one), stdout and stderr on one pipe read by a
thread that keeps only the head and the tail, and the whole group killed at the end.

Split from tools/shell.py so that the background job table (tools/jobs.py), which the
Workspace holds, can start commands without importing the tool layer (tools/base.py and
tools/workspace.py); see tools/shell.py's docstring for how a command's tree is contained.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from tools.proctree import MARKER_VAR, become_subreaper, proc_start_ticks
from tools.textcap import cap_text

if TYPE_CHECKING:
    from tools.sandbox import Sandbox

COMMAND_OUTPUT_CHARS = 24_000
_HEAD_CHARS = COMMAND_OUTPUT_CHARS * 2 // 3
_TAIL_CHARS = COMMAND_OUTPUT_CHARS - _HEAD_CHARS
# bytes kept at each end: room for UTF-8 text to still fill the character budget
_KEEP_BYTES = COMMAND_OUTPUT_CHARS * 2
# after the command exits, its background children get this long to flush their output
DRAIN_S = 0.2
# between SIGTERM and SIGKILL
KILL_GRACE_S = 2.0
# a reader still blocked after the group is gone means a process that left the group holds
# the pipe; we stop waiting for it
READER_JOIN_S = 2.0


class Collector:
    """Reads a pipe to its end, keeping the first and last bytes and counting the rest."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.newlines = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self._fd, 65536):
                self.total += len(chunk)
                self.newlines += chunk.count(b"\n")
                room = _KEEP_BYTES - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail += chunk
                    del self.tail[: max(0, len(self.tail) - _KEEP_BYTES)]

    def text(self) -> str:
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        dropped = self.total - len(self.head) - len(self.tail)
        if dropped <= 0:
            return cap_text(head + tail, COMMAND_OUTPUT_CHARS, what="command output")
        # too much to hold: cut here, saying how much of the whole was left out
        kept_head, kept_tail = head[:_HEAD_CHARS], tail[-_TAIL_CHARS:]
        cut_bytes = self.total - len(kept_head.encode()) - len(kept_tail.encode())
        cut_lines = self.newlines - kept_head.count("\n") - kept_tail.count("\n")
        return (
            f"{kept_head}\n[... command output truncated: about {cut_bytes} bytes "
            f"({cut_lines} lines) cut from the middle ...]\n{kept_tail}"
        )


def _live_member(pgid: int) -> bool:
    """Whether a process of the group is still running, zombies aside (Linux /proc only)."""
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return True
    for pid in entries:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:
            continue
        # after the command name: state, ppid, pgrp
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # orphans that died are zombies until init reaps them, and some container inits never
    # do; they still count for killpg but need no more waiting for
    return _live_member(pgid)


def kill_group(proc: subprocess.Popen[bytes], grace_s: float = KILL_GRACE_S) -> None:
    """SIGTERM every process in the group `proc` leads, then SIGKILL what is left after
    `grace_s`. The group id is the leader's pid; it stays valid while any member lives, even
    after the leader was reaped, so this also reaches background jobs it left behind."""
    pgid = proc.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace_s
    pause = 0.002  # most groups are gone within milliseconds (a sandbox's init as it exits)
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, or its zombie keeps the group alive
        if not _group_alive(pgid):
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"exit code: {code} (killed by {name})"
    return f"exit code: {code}"


def _command_env(base: Mapping[str, str] | None, marker: str | None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(PAGER="cat", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0")
    if marker is not None:
        env[MARKER_VAR] = marker
    return env


@dataclass(frozen=True)
class Launched:
    """A started command and what finds its whole tree again: the marker its processes carry
    (None inside a sandbox, whose pid namespace holds the tree) and its start time in clock
    ticks (only processes started after it can be its own)."""

    proc: subprocess.Popen[bytes]
    marker: str | None
    since: int | None


def launch(
    command: str,
    cwd: str,
    *,
    sandbox: Sandbox | None = None,
    env: Mapping[str, str] | None = None,
) -> Launched:
    """Start `bash -c command` (inside `sandbox` when given, with `env` or ours) in its own
    session, stdin closed, stdout and stderr on one pipe; the one way every command starts,
    in the foreground here or as a background job (tools/jobs.py)."""
    argv = ["bash", "-c", command]
    marker = None
    if sandbox is not None:
        argv = sandbox.wrap(argv)
    else:
        become_subreaper()
        marker = secrets.token_hex(16)
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=_command_env(env, marker),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Launched(proc, marker, proc_start_ticks(proc.pid))
