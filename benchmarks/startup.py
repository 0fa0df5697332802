"""Start-up time of the CLI, measured side by side with a bare `python -c pass`.

Run: .venv/bin/python benchmarks/startup.py [--runs N]
Target: `minimax-agent --version` within 100 ms on the project's 2-core machine, and the
interactive session taking input within 300 ms (`aider --version` takes about 1.2 s there).

The interactive case runs `minimax-agent` in a pseudo-terminal (pexpect) in a scratch git repo
with a scratch HOME, and times launch → prompt drawn, and launch → a typed key echoed back (the
prompt really taking input, while the backend loads in the background).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=False)  # warm the OS file cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _time_to_prompt(script: str, runs: int) -> tuple[float, float] | None:
    """Median seconds from launch to the prompt, and to a typed key echoed; None without
    pexpect (a dev dependency)."""
    try:
        import pexpect
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        repo, home = Path(tmp) / "repo", Path(tmp) / "home"
        repo.mkdir()
        home.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / "steps.json").write_text("[]")
        env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
        env["XDG_CONFIG_HOME"] = str(home / "config")
        prompt, echo = [], []
        for run in range(runs + 1):  # the first run warms the file cache
            start = time.perf_counter()
            child = pexpect.spawn(
                script,
                ["--backend", f"scripted:{repo / 'steps.json'}"],
                cwd=str(repo),
                env=env,
                dimensions=(40, 120),
                encoding="utf-8",
            )
            child.expect("❯ ", timeout=30)
            drawn = time.perf_counter() - start
            child.send("q")
            child.expect("q", timeout=30)
            echoed = time.perf_counter() - start
            child.sendcontrol("u")
            child.sendcontrol("d")
            child.expect(pexpect.EOF, timeout=30)
            child.wait()
            if run:
                prompt.append(drawn)
                echo.append(echoed)
    return statistics.median(prompt), statistics.median(echo)


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
    print(f"{'command':40} {'median ms':>10} {'vs python':>10}")
    for name, cmd in cases.items():
        seconds = _time(cmd, args.runs)
        base = base or seconds
        print(f"{name:40} {seconds * 1000:10.1f} {seconds / base:9.2f}x")
    print("target: minimax-agent --version <= 100 ms")
    aider = shutil.which("aider")
    if aider:
        seconds = _time([aider, "--version"], max(3, args.runs // 3))
        print(f"{'aider --version':40} {seconds * 1000:10.1f} {seconds / (base or 1):9.2f}x")
    interactive = _time_to_prompt(script, max(5, args.runs // 2))
    if interactive is None:
        print("interactive start: skipped (pip install pexpect)")
        return
    for name, seconds in zip(("prompt drawn", "typed key echoed"), interactive, strict=True):
        label = f"minimax-agent (REPL): {name}"
        print(f"{label:40} {seconds * 1000:10.1f} {seconds / (base or 1):9.2f}x")
    print("target: the REPL takes input <= 300 ms (aider --version: about 1.2 s on this machine)")


if __name__ == "__main__":
    main()
