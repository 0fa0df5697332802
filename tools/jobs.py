"""Background commands: `run_command(background=true)` starts one and returns at once; the
model reads what it printed with `command_output` and stops it with `kill_command`
(those two tools are in tools/job_tools.py; this module is the table the Workspace holds).

A job is launched exactly as a foreground command is (`tools.process.launch`: the same sandbox,
environment and process group, behind the same approval, since it is the same tool); only the
waiting differs. Its output goes to a buffer that keeps the last `BUFFER_BYTES`, so a chatty
server costs bounded memory however long it runs; each read returns what arrived since the
previous one, capped head and tail like a foreground command's output.

Nothing outlives the session. Killing a job (kill_command, the end of the session, the end of
the interpreter: an atexit hook covers a Ctrl-C'd `fix`) takes its whole tree:

- sandboxed: the pid namespace; its init dies with the group and the kernel kills the rest.
- unsandboxed: the process group, every process that carries the job's marker variable
  (`setsid`, `nohup`, double forks), and the processes descending from the job when it is
  killed, found by parent links (so one that scrubbed its environment but still hangs under
  the job goes too). Unlike a foreground command's sweep, nothing is killed merely for having
  been reparented to the agent since the job began: over a job's long life that would hit the
  agent's other children (other jobs, MCP servers). An orphan that both scrubbed its
  environment and left the tree escapes; the sandbox is the guard for that.

A job whose command ends by itself is cleaned up the same way once that is noticed, so its
leftovers do not run on, as with a foreground command.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import os
import signal
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from tools.errors import ToolError
from tools.process import (
    COMMAND_OUTPUT_CHARS,
    DRAIN_S,
    KILL_GRACE_S,
    READER_JOIN_S,
    Launched,
    describe_exit,
    kill_group,
    launch,
)
from tools.proctree import kill_escaped, proc_start_ticks
from tools.textcap import cap_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tools.sandbox import Sandbox

# output kept per job between reads; older bytes are dropped (and counted)
BUFFER_BYTES = 1 << 20
# jobs running at once; finished ones are kept (for their last output) up to MAX_KEPT
MAX_RUNNING = 8
MAX_KEPT = 32
# the longest one command_output call waits
MAX_WAIT_S = 300.0
# once new output arrives during a wait, the rest of its burst gets this long to come along
SETTLE_S = 0.2
POLL_S = 0.05
# at the session's end every job gets this long between SIGTERM and SIGKILL
CLOSE_GRACE_S = 1.0
REAP_ROUNDS = 50


class JobOutput:
    """Reads a job's pipe to its end in a thread, keeping the last `limit` bytes; `take`
    returns what arrived since the previous call."""

    def __init__(self, stream: IO[bytes], limit: int = BUFFER_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._buf = bytearray()
        self.total = 0  # bytes ever read
        self._taken = 0  # offset (in the whole stream) of the first byte not yet taken
        # a read can end inside a UTF-8 character: its first bytes wait for the next read
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.changed = threading.Condition()
        self.ended = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            with contextlib.suppress(OSError, ValueError):
                fd = self._stream.fileno()
                while chunk := os.read(fd, 65536):
                    with self.changed:
                        self._buf += chunk
                        del self._buf[: max(0, len(self._buf) - self._limit)]
                        self.total += len(chunk)
                        self.changed.notify_all()
        finally:
            with self.changed:
                self.ended = True
                self.changed.notify_all()

    def unread(self) -> int:
        with self.changed:
            return self.total - self._taken

    def take(self) -> str:
        """The output since the last take, capped head and tail, saying what was dropped."""
        with self.changed:
            kept_from = self.total - len(self._buf)
            start = max(self._taken, kept_from)
            dropped = start - self._taken
            data = bytes(self._buf[start - kept_from :])
            self._taken = self.total
            if dropped:
                self._decoder.reset()  # a character cut by the drop cannot be completed
            # under the lock: two readers (concurrent subagents) share the decoder's state
            decoded = self._decoder.decode(data, self.ended)
        text = cap_text(decoded, COMMAND_OUTPUT_CHARS, what="output")
        if dropped:
            note = f"[... {dropped} earlier bytes dropped: the last {self._limit} are kept ...]"
            text = f"{note}\n{text}"
        return text

    def close(self) -> bool:
        """Wait for the reader to see the end; False when a detached process keeps the pipe
        open (the reader is left to it, a daemon thread)."""
        self.thread.join(READER_JOIN_S)
        if self.thread.is_alive():
            return False
        self._stream.close()
        return True


@dataclass
class Job:
    """One background command."""

    id: int
    command: str
    launched: Launched
    output: JobOutput
    started: float = field(default_factory=time.monotonic)
    code: int | None = None  # set once it ended and its leftovers were killed
    killed: bool = False
    ended: float | None = None
    pipe_held: bool = False  # a detached process kept its output open past its end
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def pid(self) -> int:
        return self.launched.proc.pid

    def poll(self) -> int | None:
        """The exit code once the command ended (and what it left running was killed)."""
        if self.code is None and self.launched.proc.poll() is not None:
            self._stop(KILL_GRACE_S, killed=False)
        return self.code

    def kill(self, grace_s: float = KILL_GRACE_S) -> None:
        if self.poll() is None:
            self._stop(grace_s, killed=True)

    def _stop(self, grace_s: float, *, killed: bool) -> None:
        with self._lock:
            if self.code is not None:
                return
            proc, marker = self.launched.proc, self.launched.marker
            if not killed:  # ended by itself: what it started gets to flush its output
                self.output.thread.join(DRAIN_S)
            attached = _descendants(proc.pid) if marker is not None else []
            kill_group(proc, grace_s)
            if marker is not None:
                kill_escaped(marker, None, proc.pid)  # None: by the marker only (see above)
                _kill_all(attached)
            self.code = proc.wait()
            self.killed = killed
            self.ended = time.monotonic()
            self.pipe_held = not self.output.close()

    @property
    def runtime_s(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def state(self) -> str:
        code = self.poll()
        if code is None:
            return "running"
        return f"killed ({code})" if self.killed else f"exited {code}"

    def status(self) -> str:
        """The lines that end every read: running, or how it ended and its exit code."""
        took = duration(self.runtime_s)
        code = self.poll()
        if code is None:
            return (
                f"[job {self.id} is still running (pid {self.pid}, {took}); "
                f"command_output(id={self.id}, wait_s=N) waits for more]"
            )
        how = "was killed" if self.killed else "finished"
        held = " (a detached process kept its output open)" if self.pipe_held else ""
        return f"[job {self.id} {how} after {took}{held}]\n{describe_exit(code)}"


def _parents() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, start time in clock ticks) of every process (Linux /proc)."""
    found: dict[int, tuple[int, int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                    fields = fh.read().rpartition(")")[2].split()
                found[int(entry.name)] = (int(fields[1]), int(fields[19]))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _descendants(leader: int) -> list[tuple[int, int]]:
    """(pid, start ticks) of every process below `leader` now, by parent links."""
    table = _parents()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(leader, []))
    while todo:
        pid = todo.pop()
        found.append((pid, table[pid][1]))
        todo += children.get(pid, [])
    return found


def _kill_all(processes: list[tuple[int, int]]) -> None:
    """SIGKILL each process that is still the one seen (same start time: no reused pid),
    then reap those that were reparented to the agent (it is their subreaper)."""
    alive = [pid for pid, ticks in processes if proc_start_ticks(pid) == ticks]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    for _ in range(REAP_ROUNDS):
        left = []
        for pid in alive:
            with contextlib.suppress(ChildProcessError, OSError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    left.append(pid)  # ours, not dead yet
        if not left:
            return
        alive = left
        time.sleep(0.01)


def duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


# every table, so that the interpreter's exit kills what the sessions left running
_TABLES: weakref.WeakSet[JobTable] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for table in list(_TABLES):
        table.close()


class JobTable:
    """The background commands of one workspace (`Workspace.jobs`), numbered from 1."""

    def __init__(self, max_running: int = MAX_RUNNING, max_kept: int = MAX_KEPT) -> None:
        self.max_running = max_running
        self.max_kept = max_kept
        self._jobs: dict[int, Job] = {}
        self._next = 1
        self._lock = threading.Lock()
        _TABLES.add(self)

    def start(
        self,
        command: str,
        cwd: str,
        *,
        sandbox: Sandbox | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Job:
        with self._lock:
            running = [j for j in self._jobs.values() if j.poll() is None]
            if len(running) >= self.max_running:
                ids = ", ".join(str(j.id) for j in running)
                raise ToolError(
                    f"{len(running)} background commands are running already, the most at "
                    f"once (jobs {ids}); stop one with kill_command, or run this one in the "
                    "foreground"
                )
            launched = launch(command, cwd, sandbox=sandbox, env=env)
            assert launched.proc.stdout is not None
            job = Job(self._next, command, launched, JobOutput(launched.proc.stdout))
            self._next += 1
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.code is not None]
            for old in finished[: max(0, len(self._jobs) - self.max_kept)]:
                del self._jobs[old.id]  # the oldest finished ones: their output was offered
        return job

    def get(self, job_id: int) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
            known = ", ".join(str(i) for i in self._jobs)
        if job is None:
            listed = f"the jobs are {known}" if known else "none was started in this session"
            raise ToolError(f"no background job {job_id}; {listed}")
        return job

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def read(self, job_id: int, wait_s: float = 0, *, deadline: float | None = None) -> str:
        """New output of a job and its state; with `wait_s`, first wait (at most that long,
        MAX_WAIT_S and until `deadline`) for it to print something or end."""
        job = self.get(job_id)
        end = time.monotonic() + min(wait_s, MAX_WAIT_S)
        if deadline is not None:
            end = min(end, deadline)
        out = job.output
        while job.poll() is None and not out.unread() and time.monotonic() < end:
            with out.changed:
                out.changed.wait(min(POLL_S, max(end - time.monotonic(), 0)))
        if out.unread() and job.poll() is None:
            # it printed: the rest of that burst (a stack trace, a test summary) comes along
            settle = min(end, time.monotonic() + SETTLE_S)
            while job.poll() is None and time.monotonic() < settle:
                time.sleep(POLL_S)
        status = job.status()  # first: an ended job's last bytes are read in by then
        text = out.take().rstrip("\n")
        return f"{text or '(no new output)'}\n{status}"

    def kill(self, job_id: int) -> str:
        job = self.get(job_id)
        note = "" if job.poll() is None else f"[job {job_id} had already ended]\n"
        job.kill()
        text = job.output.take().rstrip("\n")
        return f"{note}{text or '(no new output)'}\n{job.status()}"

    def close(self) -> None:
        """Kill every job that still runs, whole tree; the session is ending."""
        running = [j for j in self.jobs() if j.code is None]
        for job in running:  # all at once first: their grace periods run side by side
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.pid, signal.SIGTERM)
        for job in running:
            job._stop(CLOSE_GRACE_S, killed=True)  # not poll() first: the SIGTERM was ours
