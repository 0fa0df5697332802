"""What the OS sandbox costs a command: `run_command` sandboxed against unsandboxed.

Run: .venv/bin/python benchmarks/sandbox_overhead.py [--runs N]
Target: a ratio of at most 1.2 on the short test run (a real pytest run of a tiny test file).

Both cases go through the real shell tool (`run_command` on a Workspace in a scratch git repo),
so the unsandboxed side includes its own process-tree sweep and the sandboxed side the bwrap
namespaces and mounts. Runs alternate between the two, so load on the machine hits them alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.sandbox import Sandbox, availability  # noqa: E402
from tools.shell import run_command  # noqa: E402
from tools.workspace import Workspace  # noqa: E402

TESTS = """\
import pytest


@pytest.mark.parametrize("n", range(20))
def test_square(n):
    assert n * n == n**2


def test_text():
    assert "sandbox".upper() == "SANDBOX"
"""


def _repo(root: Path) -> Path:
    root.mkdir()
    (root / "test_tiny.py").write_text(TESTS)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _time(ws: Workspace, command: str) -> float:
    start = time.perf_counter()
    result = run_command.run(ws, {"command": command, "timeout_s": 300})
    elapsed = time.perf_counter() - start
    if result.is_error or not result.content.endswith("exit code: 0"):
        raise SystemExit(f"{command!r} failed:\n{result.content}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    found = availability()
    if not found.available:
        raise SystemExit(found.refusal())
    # plugin autoload off: this venv's plugins take seconds to import, which would hide
    # the sandbox's cost in a run that is meant to be short
    pytest_run = (
        f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q -p no:cacheprovider "
        "test_tiny.py"
    )
    cases = {"true": "true", "short test run (pytest, 21 tests)": pytest_run}
    with tempfile.TemporaryDirectory() as tmp:
        plain = Workspace(_repo(Path(tmp) / "plain"))
        boxed = Workspace(_repo(Path(tmp) / "boxed"))
        boxed.sandbox = Sandbox("workspace-write", boxed.root)
        print(f"sandbox: {boxed.sandbox.describe()}")
        print(f"{runs} runs each, medians\n")
        print(f"{'command':<36} {'unsandboxed':>12} {'sandboxed':>12} {'ratio':>7}")
        for name, command in cases.items():
            samples: dict[str, list[float]] = {"plain": [], "boxed": []}
            for i in range(runs + 1):  # the first round warms the file cache
                for key, ws in (("plain", plain), ("boxed", boxed)):
                    elapsed = _time(ws, command)
                    if i:
                        samples[key].append(elapsed)
            off, on = (statistics.median(samples[k]) for k in ("plain", "boxed"))
            print(f"{name:<36} {off * 1000:>10.1f}ms {on * 1000:>10.1f}ms {on / off:>7.2f}")


if __name__ == "__main__":
    main()
