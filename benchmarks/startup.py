"""Start-up time of the CLI, measured side by side with a bare `python -c pass`.

Run: .venv/bin/python benchmarks/startup.py [--runs N]
Target: `minimax-agent --version` within 100 ms on the project's 2-core machine, and the
interactive session taking input within 300 ms (`aider --version` takes about 1.2 s there).

The interactive case runs `minimax-agent` in a pseudo-terminal (pexpect) in a scratch git repo
with a scratch HOME, and times launch → prompt drawn, and launch → a typed key echoed back (the
prompt really taking input, while the backend loads in the background). It does so with no
extensions and, side by side, with three stdio MCP servers configured (FastMCP, from
tests/fakes/mcp_servers/, in a decoy XDG_CONFIG_HOME): they start behind the prompt, so the
prompt should take input as soon; that case also times launch → `/mcp` showing all three ready.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _time(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=False)  # warm the OS file cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# the floor: a bare prompt_toolkit prompt, in the same pty, measured the same way
BARE_PROMPT = "from prompt_toolkit import PromptSession; PromptSession().prompt('❯ ')"
# the MCP case's servers: the SDK's FastMCP over stdio, as the client's tests run them
MCP_SERVER = Path(__file__).resolve().parents[1] / "tests/fakes/mcp_servers/server.py"
MCP_SERVERS = 3
W = 60  # the label column


@dataclass
class Case:
    """One interactive start: the command, the user config.toml it runs with (a decoy
    XDG_CONFIG_HOME of its own), and how many MCP servers to wait for through `/mcp`."""

    cmd: list[str]
    config: str = ""
    mcp_servers: int = 0


@dataclass
class Timing:
    drawn: float  # launch → prompt drawn
    echoed: float  # launch → a typed key echoed back (the prompt takes input)
    listed: float | None = None  # launch → `/mcp` shows every server ready


def mcp_config(count: int) -> str:
    """config.toml with `count` stdio MCP servers (json.dumps writes strings TOML reads)."""
    command, args = json.dumps(sys.executable), json.dumps([str(MCP_SERVER)])
    return "".join(
        f"[mcp_servers.bench{n}]\ncommand = {command}\nargs = {args}\n" for n in range(count)
    )


def _tools_listed(child: Any, servers: int, timeout: float = 120) -> None:
    """Ask `/mcp` until every server shows ready (they start behind the prompt)."""
    import pexpect

    deadline = time.monotonic() + timeout
    while True:
        child.send("/mcp\r")
        child.expect("lists a server's tools", timeout=timeout)
        table = child.before
        child.expect("❯", timeout=timeout)  # the next prompt is drawn: it reads the next line
        if table.count("ready") >= servers:
            return
        if "failed" in table or time.monotonic() > deadline:
            raise RuntimeError(f"the MCP servers did not all start:\n{table[-2000:]}")
        try:
            child.expect(pexpect.TIMEOUT, timeout=0.05)  # a short breath between polls
        except pexpect.EOF:
            raise RuntimeError("the session exited while waiting for its MCP servers") from None


def _exit(child: Any, timeout: float = 60) -> None:
    """Ctrl-D until the session has ended: a key that comes while prompt_toolkit waits for its
    cursor-position answer (pexpect's terminal gives none) is dropped, and closing the MCP
    servers takes a moment."""
    import pexpect

    deadline = time.monotonic() + timeout
    while True:
        child.sendcontrol("d")
        try:
            child.expect(pexpect.EOF, timeout=1)
            break
        except pexpect.TIMEOUT:
            if time.monotonic() > deadline:
                raise
    child.wait()


def _time_to_prompt(cases: dict[str, Case], runs: int) -> dict[str, Timing]:
    """For each case: median seconds from launch to the prompt drawn, to a typed key echoed
    back, and (with MCP servers) to their tools listed. Runs alternate between the cases so
    that load on the machine hits them alike. Empty without pexpect (a dev dependency)."""
    try:
        import pexpect
    except ImportError:
        return {}
    samples: dict[str, list[Timing]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        repo, home = Path(tmp) / "repo", Path(tmp) / "home"
        repo.mkdir()
        home.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
        # a configured user: with nothing configured the session would first offer setup
        (home / "script.json").write_text('["ok"]')
        env["MINIMAX_AGENT_BACKEND"] = f"scripted:{home / 'script.json'}"
        envs: dict[str, dict[str, str]] = {}
        for number, (name, case) in enumerate(cases.items()):
            config_home = home / f"config{number}"
            (config_home / "minimax-agent").mkdir(parents=True)
            (config_home / "minimax-agent" / "config.toml").write_text(case.config)
            envs[name] = {**env, "XDG_CONFIG_HOME": str(config_home)}
        for run in range(runs + 1):  # the first round warms the file cache
            for name, case in cases.items():
                start = time.perf_counter()
                child = pexpect.spawn(
                    case.cmd[0],
                    case.cmd[1:],
                    cwd=str(repo),
                    env=envs[name],
                    dimensions=(40, 120),
                    encoding="utf-8",
                )
                child.delaybeforesend = None  # pexpect's default 50 ms pause would be counted
                child.expect("❯", timeout=30)
                drawn = time.perf_counter() - start
                child.send("q")
                child.expect("q", timeout=30)
                echoed = time.perf_counter() - start
                child.sendcontrol("u")
                listed = None
                if case.mcp_servers:
                    _tools_listed(child, case.mcp_servers)
                    listed = time.perf_counter() - start
                _exit(child)
                if run:
                    samples[name].append(Timing(drawn, echoed, listed))
    return {name: _median(values) for name, values in samples.items()}


def _median(values: list[Timing]) -> Timing:
    listed = [v.listed for v in values if v.listed is not None]
    return Timing(
        statistics.median(v.drawn for v in values),
        statistics.median(v.echoed for v in values),
        statistics.median(listed) if listed else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("minimax-agent") or str(Path(sys.executable).parent / "minimax-agent")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "minimax-agent --version": [script, "--version"],
        "python -m minimax_agent --version": [sys.executable, "-m", "minimax_agent", "--version"],
        "minimax-agent fix --help": [script, "fix", "--help"],
    }
    base = None
    print(f"{'command':{W}} {'median ms':>10} {'vs python':>10}")
    for name, cmd in cases.items():
        seconds = _time(cmd, args.runs)
        base = base or seconds
        print(f"{name:{W}} {seconds * 1000:10.1f} {seconds / base:9.2f}x")
    print("target: minimax-agent --version <= 100 ms")
    aider = shutil.which("aider")
    if aider:
        seconds = _time([aider, "--version"], max(3, args.runs // 3))
        print(f"{'aider --version':{W}} {seconds * 1000:10.1f} {seconds / (base or 1):9.2f}x")
    steps = Path(tempfile.gettempdir()) / "minimax-agent-bench-steps.json"
    steps.write_text("[]")
    repl = [script, "--backend", f"scripted:{steps}"]
    plain, with_mcp = "minimax-agent (REPL)", f"minimax-agent (REPL, {MCP_SERVERS} MCP servers)"
    interactive = _time_to_prompt(
        {
            "bare prompt_toolkit prompt (floor)": Case([sys.executable, "-c", BARE_PROMPT]),
            plain: Case(repl),
            with_mcp: Case(repl, mcp_config(MCP_SERVERS), MCP_SERVERS),
        },
        max(5, args.runs // 2),
    )
    if not interactive:
        print("interactive start: skipped (pip install pexpect)")
        return
    for name, timing in interactive.items():
        shown = [("prompt drawn", timing.drawn), ("typed key echoed", timing.echoed)]
        if timing.listed is not None:
            shown.append(("tools listed (/mcp)", timing.listed))
        for what, seconds in shown:
            label = f"{name}: {what}"
            print(f"{label:{W}} {seconds * 1000:10.1f} {seconds / (base or 1):9.2f}x")
    ratio = interactive[with_mcp].echoed / interactive[plain].echoed
    print(f"{MCP_SERVERS} MCP servers vs none, typed key echoed: {ratio:.2f}x")
    print("target: the REPL takes input <= 300 ms (aider --version: about 1.2 s on this machine),")
    print(f"  with {MCP_SERVERS} MCP servers too: they start behind the prompt")


if __name__ == "__main__":
    main()
