"""Our own overhead on a large review: a synthetic 200-file diff on the scripted backend.

Run: .venv/bin/python benchmarks/review_scale.py [--files 200] [--runs 3] [--budget 8000]

The review runs in-process (no CLI start-up), through the real pieces: `git diff`, unidiff
parsing, chunking, one agent run per chunk with a finding per file, the checks against the diff,
then all five output formats. The scripted backend stands in for the model; its time (streaming
through the real M2 parser, rendering the prompt with the chat template) is reported as model
time, apart from ours. Target: under 1 s of overhead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.config import Settings
from minimax_agent.review.formats import ReviewFormat, render
from minimax_agent.review.options import FailOn
from minimax_agent.review.report import Clock
from minimax_agent.review.session import Prepared, prepare, run_review

TARGET_S = 1.0
FINDINGS_PER_STEP = 10
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV)


def _module(i: int, changed: bool) -> str:
    lines = [f'"""Module {i}."""', ""]
    for n in range(20):
        op = "-" if changed and n in (3, 15) else "+"
        lines += [f"def f{n}(x):", f"    return x {op} {n * i}", ""]
    return "\n".join(lines) + "\n"


def make_repo(root: Path, files: int) -> Path:
    """`main`, then a `feature` branch changing two lines in each of `files` modules (two
    hunks per file), renaming a few and adding a few binary files."""
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    for i in range(files):
        path = root / f"pkg{i // 50}" / f"mod_{i}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(_module(i, changed=False))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "feature")
    for i in range(files):
        (root / f"pkg{i // 50}" / f"mod_{i}.py").write_text(_module(i, changed=True))
    for i in range(5):
        _git(root, "mv", f"pkg0/mod_{i}.py", f"pkg0/renamed_{i}.py")
    for i in range(3):
        (root / f"asset_{i}.bin").write_bytes(bytes(range(256)) * 4)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "change every module")
    return root


def _invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<invoke name="{name}">\n{body}</invoke>\n'


def script_for(prepared: Prepared) -> list[str]:
    """One finding on the first changed line of every reviewed file, then finish_review, for
    each chunk; a few findings per model step, as a model would batch them."""
    steps: list[str] = []
    for chunk in prepared.chunks:
        invokes = []
        for path in chunk.paths:
            line = prepared.diff.by_path[path].hunks[0].changed[0][0]
            invokes.append(
                _invoke(
                    "report_finding",
                    path=path,
                    start_line=line,
                    end_line=line,
                    severity="medium",
                    category="bug",
                    title=f"Sign flipped in {path}",
                    body="The operator changed from + to -; callers expect a sum.",
                    suggestion="    return x + 0",
                    confidence=0.6,
                )
            )
        invokes.append(_invoke("finish_review", summary="Signs flipped.", verdict="comment"))
        for start in range(0, len(invokes), FINDINGS_PER_STEP):
            block = "".join(invokes[start : start + FINDINGS_PER_STEP])
            steps.append(
                f"Reporting.\n</think>\n\n<minimax:tool_call>\n{block}</minimax:tool_call>"
            )
    return steps


def one_run(repo: Path, budget: int) -> dict[str, float]:
    clock = Clock()
    prepared = prepare(repo, clock, base="main", budget_tokens=budget)
    backend = ScriptedBackend(script_for(prepared))
    settings = Settings(backend="scripted:benchmark", max_steps=200)
    report = run_review(prepared, settings, clock, fail_on=FailOn.NONE, backend=backend)
    backend.assert_complete()
    assert report.status == "ok", report.error
    assert len(report.findings) == len(prepared.diff.reviewed), len(report.findings)
    timings = clock.summary()
    started = time.perf_counter()
    for fmt in ReviewFormat:
        render(fmt, report)
    timings["format"] = time.perf_counter() - started
    timings["overhead"] += timings["format"]
    timings["chunks"] = len(prepared.chunks)
    timings["files"] = len(prepared.diff.files)
    timings["findings"] = len(report.findings)
    timings["steps"] = report.steps
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=int, default=8000, help="--max-diff-tokens")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo", args.files)
        one_run(repo, args.budget)  # warm imports and the OS file cache
        runs = [one_run(repo, args.budget) for _ in range(args.runs)]

    def median(key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in runs)

    first = runs[0]
    print(
        f"{int(first['files'])} changed files, {int(first['findings'])} findings, "
        f"{int(first['chunks'])} chunks, {int(first['steps'])} model steps; "
        f"median of {args.runs} runs"
    )
    ours = ("parse", "chunk", "prompt", "validate", "format")
    loop = median("overhead") - sum(median(k) for k in ours)
    rows = [
        ("diff parsing (unidiff)", median("parse")),
        ("chunking", median("chunk")),
        ("prompt building", median("prompt")),
        ("finding validation", median("validate")),
        ("agent loop and bookkeeping", loop),
        ("formatting (all 5 formats)", median("format")),
    ]
    print(f"{'phase':34} {'seconds':>9}")
    for name, seconds in rows:
        print(f"{name:34} {seconds:9.4f}")
    overhead = median("overhead")
    print(f"{'= our overhead':34} {overhead:9.4f}")
    print(f"{'git diff (subprocess, not ours)':34} {median('git'):9.4f}")
    print(f"{'model (scripted backend)':34} {median('model'):9.4f}")
    print(f"{'total':34} {median('total') + median('format'):9.4f}")
    verdict = "OK" if overhead < TARGET_S else "OVER TARGET"
    print(f"target: overhead < {TARGET_S:.1f} s -> {verdict} ({overhead / TARGET_S:.0%} of it)")


if __name__ == "__main__":
    main()
