"""`minimax-agent fix` end to end on the tiny random model, through the real CLI.

The model is random, so `--constrain-tools --tool-choice required` (with a short cap on free
text) is what makes it call tools: every turn is reasoning, `</think>`, a little text, and one
well-formed tool-call block. The tools are real (read-only set); most calls fail on the random
paths they are given, which is fine: each one is parsed, run, and its result goes back.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from minimax_agent.session.runner import tools_for
from tests.conftest import GIT_ENV, RunCli, make_repo
from tools.modes import ApprovalMode

STEPS = 3


def records(trace: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in trace.read_text().splitlines()]


def test_multi_step_run_reuses_the_cache(
    llama: Any, tmp_path: Path, tiny_gguf: Path, run_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a - b\n"})
    (repo / ".minimax-agent.toml").write_text("max_consecutive_errors = 100\n")
    trace = tmp_path / "trace.jsonl"
    proc = run_cli(
        "fix",
        "look around",
        "-C",
        str(repo),
        "--model",
        str(tiny_gguf),
        "--approval",
        "read-only",
        "--constrain-tools",
        "--tool-choice",
        "required",
        "--n-ctx",
        "16384",
        "--threads",
        "1",
        "--seed",
        "5",
        "--max-steps",
        str(STEPS),
        "--output-format",
        "json",
        "--trace",
        str(trace),
        env={"MINIMAX_AGENT_CONSTRAIN_MAX_CHARS": "24"},
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # every turn calls a tool: the step limit ends it
    report = json.loads(proc.stdout)
    assert report["status"] == "max_steps" and report["steps"] == STEPS

    steps = records(trace)
    assert [r["step"] for r in steps] == list(range(1, STEPS + 1))
    calls = [e for r in steps for e in r["events"] if e["type"] == "ToolCall"]
    assert calls and all(c["error"] is None for c in calls), calls
    # only the tools a read-only session offers (whatever the default set holds by now)
    read_only = set(tools_for(ApprovalMode.READ_ONLY, None, repo).names())
    assert "write_file" not in read_only and "run_command" not in read_only
    assert {c["name"] for c in calls} <= read_only
    # Every parsed call was executed and answered, in order.
    assert [c["id"] for c in report["tool_calls"]] == [c["id"] for c in calls]
    assert all(c["result"] for c in report["tool_calls"]), report["tool_calls"]

    usages = [next(e for e in r["events"] if e["type"] == "Usage") for r in steps]
    per_step = report["usage"]["per_step"]
    assert [u["prompt_tokens"] for u in per_step] == [u["prompt_tokens"] for u in usages]
    for before, now in itertools.pairwise(usages):
        added = now["prompt_tokens"] - before["prompt_tokens"] - before["completion_tokens"]
        evaluated = now["extra"]["tokens_evaluated"]
        assert 0 < added <= evaluated <= added + 2, (added, evaluated)
        assert now["cached_tokens"] == now["prompt_tokens"] - evaluated
    assert usages[0]["extra"]["tokens_evaluated"] == usages[0]["prompt_tokens"]
    # The trace shows the prompt with generated turns as generated.
    assert steps[0]["raw"] in steps[1]["request"]


def test_ctrl_c_stops_generation(
    llama: Any, tmp_path: Path, tiny_gguf: Path, isolated_home: Path
) -> None:
    # Without a cap the random model cannot close a parameter value, so the turn runs until
    # the context is full: plenty of time to interrupt it in the middle.
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minimax_agent",
            "fix",
            "x",
            "-C",
            str(repo),
            "--model",
            str(tiny_gguf),
            "--constrain-tools",
            "--tool-choice",
            "required",
            "--n-ctx",
            "32768",
            "--threads",
            "1",
            "--show-reasoning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**_env(), **GIT_ENV},
    )
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    while b"step 1" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read1(4096)  # type: ignore[attr-defined]
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (seen + err).decode(errors="replace")[-2000:]
    assert b"interrupted" in err
    assert b"Traceback" not in err


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("MINIMAX_AGENT_")}
