"""Start-up time of the CLI, measured side by side with a bare `python -c pass`.

Run: .venv/bin/python benchmarks/startup.py [--runs N]
Target: `minimax-agent --version` within 100 ms on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
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


if __name__ == "__main__":
    main()
