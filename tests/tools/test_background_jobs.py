"""Background commands: run_command(background=true), command_output, kill_command, /jobs' table.

Real processes throughout. Each test's processes carry a unique marker in their argv; a test
looks for survivors by that marker in /proc (and by pid where the pid is the host's), and the
fixture kills any it finds, so a failure leaves nothing running. Waits are hang guards with
generous limits, never timing assertions.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GIT_ENV, RunCli, make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal, start_repl  # noqa: F401 (a fixture)
from tests.tools.conftest import err, ok
from tests.tools.test_process_tree import marked, workspace
from tools import default_tools
from tools.approval import ApprovalPolicy, Verdict
from tools.job_tools import command_output, kill_command
from tools.jobs import BUFFER_BYTES, MAX_RUNNING
from tools.modes import ApprovalMode
from tools.process import COMMAND_OUTPUT_CHARS
from tools.sandbox import availability
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
SLEEPER = f"{sys.executable} -c 'import time; time.sleep(300)'"


@pytest.fixture
def marker() -> Iterator[str]:
    tag = f"job-marker-{secrets.token_hex(6)}"
    yield tag
    for pid in marked(tag):  # a failed test leaves nothing running
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def start(ws: Workspace, command: str) -> int:
    out = ok(run_command, ws, command=command, background=True)
    found = re.match(r"started job (\d+) \(pid (\d+)\): (.*)", out)
    assert found is not None, out
    assert found.group(3) == command
    return int(found.group(1))


def read(ws: Workspace, job: int, wait_s: float = 0) -> str:
    return ok(command_output, ws, id=job, wait_s=wait_s)


def read_until(ws: Workspace, job: int, done: Callable[[str], bool]) -> str:
    """Everything read until `done(all of it)`; each read waits, so this is no busy loop."""
    seen = ""
    deadline = time.monotonic() + 120
    while not done(seen):
        assert time.monotonic() < deadline, f"waited in vain; read so far:\n{seen}"
        seen += read(ws, job, wait_s=30) + "\n"
    return seen


def running(pid: int) -> bool:
    """Whether `pid` still runs; a zombie does not count."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_output_is_read_incrementally(ws: Workspace) -> None:
    # gates are files the test creates, so each line is printed exactly when the test says
    job = start(ws, "echo one; until [ -e go1 ]; do sleep 0.05; done; echo two; sleep 300")
    first = read_until(ws, job, lambda s: "one" in s)
    assert f"[job {job} is still running" in first
    (ws.root / "go1").touch()
    second = read_until(ws, job, lambda s: "two" in s)
    assert "one" not in second  # only what is new since the last read
    assert "(no new output)" in read(ws, job)
    last = ok(kill_command, ws, id=job)
    assert f"[job {job} was killed after" in last
    assert last.endswith("exit code: -15 (killed by SIGTERM)")


def test_wait_returns_when_the_job_ends_with_its_exit_code(ws: Workspace) -> None:
    job = start(ws, "until [ -e go ]; do sleep 0.05; done; exit 7")
    assert read(ws, job).startswith("(no new output)\n[job 1 is still running")
    (ws.root / "go").touch()
    out = read_until(ws, job, lambda s: "exit code" in s)
    assert f"[job {job} finished after" in out
    assert out.rstrip().endswith("exit code: 7")
    # an ended job can still be read (nothing new) and killing it says it had ended
    assert read(ws, job).endswith("exit code: 7")
    assert ok(kill_command, ws, id=job).startswith(f"[job {job} had already ended]")


def test_a_character_split_between_reads_is_kept_whole(ws: Workspace) -> None:
    job = start(ws, "printf 'caf\\303'; until [ -e go ]; do sleep 0.05; done; printf '\\251!'")
    read_until(ws, job, lambda s: "caf" in s)
    (ws.root / "go").touch()
    rest = read_until(ws, job, lambda s: "exit code" in s)
    assert rest.startswith("\u00e9!\n")  # the two bytes of é decoded together, not two U+FFFD


def test_wait_is_bounded_by_the_run_deadline(ws: Workspace) -> None:
    job = start(ws, "sleep 300")
    ws.deadline = time.monotonic() + 1  # wait_s=300 would hang the test past its own timeout
    assert "still running" in read(ws, job, wait_s=300)
    ws.jobs.close()


@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_kill_takes_the_whole_tree(repo: Path, marker: str, sandboxed: bool) -> None:
    ws = workspace(repo, sandboxed)
    command = (
        f'setsid sh -c "echo \\$\\$ > setsid.pid; exec {SLEEPER} {marker}-setsid" & '
        f'nohup sh -c "echo \\$\\$ > nohup.pid; exec {SLEEPER} {marker}-nohup" >/dev/null 2>&1 & '
        # left the group and scrubbed its environment, but still hangs under the job
        f"env -i setsid {SLEEPER} {marker}-noenv & "
        f"while [ $(pgrep -fc 'sleep[(]300[)] {marker}') -lt 3 ]; do sleep 0.05; done; "
        "echo started; wait"
    )
    job = start(ws, command)  # returns at once, sandboxed or not
    read_until(ws, job, lambda s: "started" in s)
    assert len(marked(marker)) >= 3
    pids = [int((repo / name).read_text()) for name in ("setsid.pid", "nohup.pid")]
    out = ok(kill_command, ws, id=job)
    assert f"[job {job} was killed after" in out
    assert marked(marker) == []
    if not sandboxed:  # inside the sandbox the files hold the pid namespace's numbers
        assert not any(running(pid) for pid in pids)


@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_leftovers_of_a_job_that_ended_are_killed(
    repo: Path,
    marker: str,
    sandboxed: bool,
) -> None:
    ws = workspace(repo, sandboxed)
    job = start(ws, f"setsid {SLEEPER} {marker}-left & echo bye")
    out = read_until(ws, job, lambda s: "exit code" in s)
    assert "bye" in out and out.rstrip().endswith("exit code: 0")
    assert marked(marker) == []


def test_sandboxed_job_runs_inside_the_sandbox(repo: Path) -> None:
    if not availability().available:
        pytest.skip(f"no sandbox here: {availability().reason}")
    ws = workspace(repo, sandboxed=True)
    outside = repo.parent / "outside-probe"  # the host's /tmp: the sandbox has its own
    job = start(ws, f"echo pid-$$; touch {outside} && echo touched")
    out = read_until(ws, job, lambda s: "exit code" in s)
    assert "pid-2" in out or "pid-1" in out  # its own pid namespace
    assert not outside.exists()


def test_output_between_reads_is_bounded(ws: Workspace) -> None:
    big = 3 * BUFFER_BYTES
    job = start(
        ws,
        f"head -c {big} /dev/zero | tr '\\0' x; echo; echo MIDDLE; "
        "until [ -e go ]; do sleep 0.05; done; echo END",
    )
    table_job = ws.jobs.get(job)
    deadline = time.monotonic() + 120
    while table_job.output.total < big:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    out = read_until(ws, job, lambda s: "MIDDLE" in s)
    assert "earlier bytes dropped" in out  # two of the three MiB were never kept
    assert "output truncated" in out  # what was kept is capped head and tail
    assert len(out) < COMMAND_OUTPUT_CHARS + 1000
    (ws.root / "go").touch()
    rest = read_until(ws, job, lambda s: "exit code" in s)
    assert "END" in rest and "dropped" not in rest


def test_running_jobs_are_capped(ws: Workspace, marker: str) -> None:
    jobs = [start(ws, f"{SLEEPER} {marker}") for _ in range(MAX_RUNNING)]
    refused = err(run_command, ws, command="echo one too many", background=True)
    assert "the most at once" in refused
    ok(kill_command, ws, id=jobs[0])
    start(ws, "echo room again")  # a killed job frees its place
    ws.jobs.close()
    assert marked(marker) == []


def test_close_kills_every_job(ws: Workspace, marker: str) -> None:
    ids = [start(ws, f"setsid {SLEEPER} {marker}-{n} & echo up; wait") for n in range(2)]
    # a copy of the workspace (a subagent's) shares the table: the session's end kills its jobs
    ids.append(start(copy.copy(ws), f"setsid {SLEEPER} {marker}-copy & echo up; wait"))
    assert ids == [1, 2, 3]
    for job in ids:
        read_until(ws, job, lambda s: "up" in s)
    ws.jobs.close()
    assert marked(marker) == []
    assert [j.state.split()[0] for j in ws.jobs.jobs()] == ["killed"] * 3


def test_unknown_job_is_a_tool_error(ws: Workspace) -> None:
    assert "none was started" in err(command_output, ws, id=3)
    start(ws, "true")
    assert "the jobs are 1" in err(kill_command, ws, id=3)


@pytest.mark.parametrize("ending", ["return", "raise KeyboardInterrupt"])
def test_the_interpreter_exit_kills_jobs(
    tmp_path: Path,
    marker: str,
    ending: str,
) -> None:
    """A run that never closed its session (Ctrl-C'd) still leaves nothing: atexit."""
    root = tmp_path / "w"
    root.mkdir()
    program = (
        "import pathlib, sys\n"
        "from tools.workspace import Workspace\n"
        "from tools.shell import run_command\n"
        "from tools.job_tools import command_output\n"
        f"ws = Workspace(pathlib.Path({str(root)!r}))\n"
        "def main():\n"
        f"    run_command.run(ws, {{'command': {f'{SLEEPER} {marker} & echo up; wait'!r}, "
        "'background': True})\n"
        "    while 'up' not in command_output.run(ws, {'id': 1, 'wait_s': 30}).content:\n"
        "        pass\n"
        f"    {ending}\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode == 0) == (ending == "return"), done.stderr
    assert marked(marker) == []


def test_background_calls_are_approved_as_commands() -> None:
    headless = ApprovalPolicy(ApprovalMode.FULL_AUTO, interactive=False)
    verdict, _ = headless.decide(run_command, {"command": "rm -rf /", "background": True})
    assert verdict is Verdict.DENY  # the deny-list applies to a background command too
    read_only = ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=False)
    assert read_only.decide(command_output, {"id": 1})[0] is Verdict.ALLOW
    assert read_only.decide(kill_command, {"id": 1})[0] is Verdict.DENY
    assert read_only.decide(run_command, {"command": "ls", "background": True})[0] is Verdict.DENY
    names = default_tools().names()
    assert {"command_output", "kill_command"} <= set(names)
    assert "kill_command" not in default_tools(read_only=True).names()


# -- end to end: `fix` on the scripted backend -----------------------------------------------

SERVER = """\
import http.server, sys

server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
print("serving on port", server.server_address[1], flush=True)
server.serve_forever()
"""


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


@pytest.mark.parametrize("kills", [True, False], ids=["model-kills", "session-end-kills"])
@pytest.mark.parametrize("sandboxed", SANDBOX)
def test_fix_runs_a_server_in_the_background(
    tmp_path: Path,
    run_cli: RunCli,
    marker: str,
    sandboxed: bool,
    kills: bool,
) -> None:
    repo = make_repo(tmp_path / "repo", {"server.py": SERVER})
    start_it = f"{sys.executable} server.py {marker}"
    steps = [
        "Start the server.\n</think>\n\n"
        + invoke("run_command", command=start_it, background="true"),
        "Is it up?\n</think>\n\n" + invoke("command_output", id=1, wait_s=60),
    ]
    if kills:
        steps.append("Stop it.\n</think>\n\n" + invoke("kill_command", id=1))
    steps.append("Done.\n</think>\n\nThe server started and was stopped.")
    script = write_script(tmp_path / "script.json", steps)
    proc = run_cli(
        *("fix", "start the server", "-C", str(repo), "--backend", f"scripted:{script}"),
        *("--output-format", "json", "--sandbox", "workspace-write" if sandboxed else "off"),
        env=GIT_ENV,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    calls = report["tool_calls"]
    assert all(not c["is_error"] for c in calls), calls
    assert calls[0]["result"].startswith("started job 1 (pid ")
    assert calls[0]["arguments"]["background"] is True
    assert "serving on port" in calls[1]["result"]
    assert "[job 1 is still running" in calls[1]["result"]
    if kills:
        assert "[job 1 was killed after" in calls[2]["result"]
    assert marked(marker) == []  # nothing of the run is left, killed by the model or not


@pytest.mark.slow  # a pty, as tests/repl's are
def test_repl_lists_jobs_and_kills_them_on_exit(
    tmp_path: Path,
    start_repl: Any,  # noqa: F811 (the fixture imported above)
    marker: str,
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    steps = [
        "r</think>\n\n" + invoke("run_command", command=f"{SLEEPER} {marker}", background="true"),
        "r</think>\n\nStarted it.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("/jobs")
    term.expect("no background commands")
    term.type_line("start it")
    term.expect("Started it.")
    term.expect(PROMPT)
    term.type_line("/jobs")
    term.expect("runtime")
    term.expect("running")
    term.expect(marker)
    assert marked(marker)  # still running while the session lasts
    term.send("\x04")
    assert term.wait_exit() == 0
    assert marked(marker) == []  # the session's end killed it
