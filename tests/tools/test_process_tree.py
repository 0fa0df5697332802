"""No process outlives its command: timeouts, normal ends, and SIGTERM/SIGHUP to the agent.

Each test gives its processes a unique marker in their argv, looks for survivors by that
marker in /proc, and kills any it finds by pid in teardown (so a failure leaves nothing).
Sandboxed commands rely on the pid namespace; unsandboxed ones on the subreaper and the
per-command marker variable (tools/proctree.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, make_repo
from tests.tools.conftest import ok
from tools.sandbox import Sandbox, availability
from tools.shell import run_command
from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(180)
needs_bwrap = pytest.mark.skipif(
    not availability().available, reason=f"no sandbox here: {availability().reason}"
)
SANDBOX = [
    pytest.param(False, id="unsandboxed"),
    pytest.param(True, id="sandboxed", marks=needs_bwrap),
]


def marked(marker: str) -> list[int]:
    """Live processes whose command line carries `marker` (zombies are dead already)."""
    return _live_with(marker.encode())


def sleepers(marker: str) -> list[int]:
    """The sleeping children themselves, not the shells or bwraps whose argv quotes them."""
    return _live_with(b"time.sleep(300)\0" + marker.encode())


def _live_with(needle: bytes) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes()
            state = Path(entry.path, "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if needle in argv and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    tag = f"orphan-marker-{secrets.token_hex(6)}"
    yield tag
    for pid in marked(tag):  # a failed test leaves nothing running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for(condition: Callable[[], object], timeout: float = 60) -> None:
    """Poll until `condition()` is true; a hang guard, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def escapees(marker: str) -> str:
    """A command line starting children that leave the command's process group every way
    there is: setsid, setpgrp, a double fork, and one that also empties its environment."""
    sleeper = f"{sys.executable} -c 'import time; time.sleep(300)'"
    setpgrp = f"{sys.executable} -c 'import os, time; os.setpgrp(); time.sleep(300)'"
    return (
        f"setsid {sleeper} {marker}-setsid & "
        f"{setpgrp} {marker}-setpgrp & "
        f"( setsid {sleeper} {marker}-double & ) ; "
        f"env -i setsid {sleeper} {marker}-noenv & "
    )


def all_running(marker: str) -> str:
    """Waits until the four sleepers run, so a test checks killing, not a race with their
    start. (The pattern matches the sleepers' argv, not the shell's, which quotes the code.)"""
    count = f"pgrep -fc 'sleep[(]300[)] {marker}'"
    return f"while [ $({count}) -lt 4 ]; do sleep 0.05; done; echo started"


def workspace(repo: Path, sandboxed: bool) -> Workspace:
    ws = Workspace(repo)
    if sandboxed:
        ws.sandbox = Sandbox("workspace-write", ws.root)
    return ws


@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_timeout_kills_children_that_left_the_group(
    repo: Path, marker: str, sandboxed: bool
) -> None:
    ws = workspace(repo, sandboxed)
    command = escapees(marker) + all_running(marker) + "; sleep 300"
    out = ok(run_command, ws, command=command, timeout_s=10)
    assert out.startswith("started") and "timed out after 10s" in out
    assert marked(marker) == []


@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_a_finished_command_leaves_no_children(repo: Path, marker: str, sandboxed: bool) -> None:
    ws = workspace(repo, sandboxed)
    out = ok(run_command, ws, command=escapees(marker) + all_running(marker), timeout_s=60)
    assert out.startswith("started")
    assert marked(marker) == []


# -- the agent itself is told to stop --------------------------------------------------------


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_signalled_agent_kills_the_running_command_tree(
    tmp_path: Path, isolated_home: Path, marker: str, sandboxed: bool, signum: int
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    command = escapees(marker) + "sleep 300"
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            [
                "Run it.\n</think>\n\n" + invoke("run_command", command=command, timeout_s=600),
                "Done.\n</think>\n\nDone.",
            ]
        )
    )
    args = ["fix", "run it", "-C", str(repo), "--backend", f"scripted:{script}"]
    args += ["--sandbox", "workspace-write" if sandboxed else "off"]
    agent = subprocess.Popen(
        [sys.executable, "-m", "minimax_agent", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    try:
        wait_for(lambda: len(sleepers(marker)) == 4 or agent.poll() is not None)
        assert agent.poll() is None, agent.communicate()
        agent.send_signal(signum)
        stdout, stderr = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    assert agent.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert f"stopped by {signal.Signals(signum).name}" in stderr
    assert marked(marker) == []
