"""The shell tool: run one bash command in the workspace, never letting it hang the agent.

Stdin is closed, so a command that waits for input sees end-of-file at once. Output is read by a
thread that keeps only the head and the tail, so a command that prints gigabytes costs bounded
memory. The command gets its own process group, and a timeout, the end of the command or the
end of the agent (Ctrl-C, SIGTERM, SIGHUP: all unwind through `execute`) kills its whole tree:

- sandboxed (`ws.sandbox`, tools/sandbox.py): a pid namespace. Its init dies with the command
  (or with bwrap, or with the agent: --die-with-parent), and the kernel then kills everything
  left in the namespace, children that called `setsid` or `setpgrp` included.
- unsandboxed: the agent becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so orphans of a
  command are reparented to it instead of init, and each command carries a unique marker
  variable. After the group is killed, every process that carries the marker, or was reparented
  to the agent after the command started, is killed by pid and reaped. A process that both
  scrubs its environment and is started from a process outside the agent escapes; the sandbox
  is the guard for that.

`run_command(background=true)` starts the same way (`launch`) and returns at once; the job
is then read and stopped through tools/jobs.py.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from tools.base import tool
from tools.process import (
    DRAIN_S,
    READER_JOIN_S,
    Collector,
    describe_exit,
    kill_group,
    launch,
)
from tools.proctree import kill_escaped
from tools.workspace import Workspace

if TYPE_CHECKING:
    from tools.sandbox import Sandbox


def _environment(ws: Workspace) -> Mapping[str, str]:
    """What the run set for its commands; a workspace built without it (a library user, a
    forgotten caller) still never hands a command our secrets."""
    if ws.command_env is not None:
        return ws.command_env
    from tools.environment import command_environment

    return command_environment()


def execute(
    command: str,
    cwd: str,
    timeout_s: float,
    *,
    sandbox: Sandbox | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[int, str, bool]:
    """Run `bash -c command` (inside `sandbox` when given, with `env` or ours); returns
    (exit code, capped output, timed out)."""
    launched = launch(command, cwd, sandbox=sandbox, env=env)
    proc, marker, since = launched.proc, launched.marker, launched.since
    assert proc.stdout is not None
    collector = Collector(proc.stdout)
    timed_out = False
    try:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:  # an interrupt or a termination must not leave the command running
            kill_group(proc, grace_s=0.5)
            proc.wait()
            raise
        if not timed_out:
            collector.thread.join(DRAIN_S)
        kill_group(proc)
        code = proc.wait()
    finally:
        if marker is not None:
            kill_escaped(marker, since, proc.pid)
    collector.thread.join(READER_JOIN_S)
    output = collector.text()
    if collector.thread.is_alive():
        output += "\n[output may be incomplete: a detached process kept it open]"
    else:
        proc.stdout.close()
    return code, output, timed_out


@tool("shell")
def run_command(
    ws: Workspace,
    command: Annotated[str, Field(description="Bash command line to run.")],
    timeout_s: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="Seconds before the command is killed (not for background commands).",
        ),
    ] = 120,
    background: Annotated[
        bool,
        Field(
            description="Start it and return at once with a job id (for servers, watchers, "
            "long builds); read its output with command_output, stop it with kill_command."
        ),
    ] = False,
) -> str:
    """Run a bash command in the workspace root and return its combined stdout and stderr
    and its exit code. Stdin is closed (interactive prompts get end-of-file). Background
    processes are stopped when the command ends; long output keeps its head and tail.
    With background=true the command keeps running after this returns, until it ends, is
    killed with kill_command, or the session ends."""
    if background:
        # the same launch, sandbox and environment; only the waiting differs (tools/jobs.py)
        job = ws.jobs.start(command, str(ws.root), sandbox=ws.sandbox, env=_environment(ws))
        return (
            f"started job {job.id} (pid {job.pid}): {command}\n"
            f"[read its output with command_output(id={job.id}, wait_s=...); "
            f"stop it with kill_command(id={job.id})]"
        )
    limit, why = timeout_s, f"timed out after {timeout_s:g}s"
    if ws.deadline is not None and ws.deadline - time.monotonic() < timeout_s:
        # the run's wall-time limit comes first: the command may not outlive the run
        limit = max(ws.deadline - time.monotonic(), 1.0)
        why = f"stopped after {limit:.0f}s by the run's wall-time limit"
    code, output, timed_out = execute(
        command, str(ws.root), limit, sandbox=ws.sandbox, env=_environment(ws)
    )
    parts = [output.rstrip("\n") if output.strip() else "(no output)"]
    if timed_out:
        parts.append(f"[{why}; the command and its children were killed]")
    parts.append(describe_exit(code))
    return "\n".join(parts)
