"""Finding and killing what an unsandboxed command left behind (Linux /proc; no-ops elsewhere).

A process group does not hold a command's tree: `setsid` or `setpgrp` moves a child out of it,
and a double fork reparents it to init. So the agent makes itself a child subreaper (orphans of
its descendants are reparented to it, not to init) and gives each command a unique marker
variable; after the command, `kill_escaped` kills by pid every process that carries the marker
or that was reparented to the agent after the command started, and reaps those that are its
children (a subreaper must, or they stay zombies).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import time
from collections.abc import Iterator

MARKER_VAR = "MINIMAX_COMMAND_ID"
PR_SET_CHILD_SUBREAPER = 36
# a tree that keeps forking while it is killed needs a few rounds; each round kills all it sees
SWEEP_ROUNDS = 50
SWEEP_PAUSE_S = 0.01


@functools.cache
def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans (once); False where the OS
    has no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _stat(pid: str) -> tuple[str, int, int] | None:
    """(state, parent pid, start time in clock ticks since boot) of a process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return None
    # after the command name: field 3 state, 4 ppid, ..., 22 starttime
    if len(fields) < 20:
        return None
    return fields[0], int(fields[1]), int(fields[19])


def proc_start_ticks(pid: int) -> int | None:
    found = _stat(str(pid))
    return found[2] if found else None


def _carries(pid: str, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return needle in fh.read().split(b"\0")
    except OSError:
        return False


def _command_processes(needle: bytes, since: int | None, leader: int) -> Iterator[tuple[int, bool]]:
    """(pid, is our zombie) of every process left by the command."""
    me = os.getpid()
    try:
        pids = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return
    for name in pids:
        pid = int(name)
        if pid in (me, leader):
            continue
        found = _stat(name)
        if found is None:
            continue
        state, ppid, started = found
        # only processes started with or after the command can be its own
        if since is not None and started < since:
            continue
        ours = ppid == me and since is not None
        if state == "Z":
            if ours:
                yield pid, True
        elif _carries(name, needle) or ours:
            yield pid, False


def kill_escaped(marker: str, since: int | None, leader: int) -> int:
    """SIGKILL what the command identified by `marker` left running, by pid; how many."""
    if not os.path.isdir("/proc"):
        return 0
    needle = f"{MARKER_VAR}={marker}".encode()
    killed = 0
    for _ in range(SWEEP_ROUNDS):
        found = list(_command_processes(needle, since, leader))
        if not found:
            break
        for pid, zombie in found:
            if not zombie:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
        time.sleep(SWEEP_PAUSE_S)
        for pid, _zombie in found:
            # reaps our own children; the others are reaped by their parents
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
    return killed
