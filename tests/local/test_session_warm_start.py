"""A resumed session restores the local model's KV cache instead of prefilling again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import RunCli, make_repo


def _run(
    run_cli: RunCli,
    repo: Path,
    model: Path,
    trace: Path,
    *extra: str,
    stderr: list[str] | None = None,
) -> dict[str, Any]:
    proc = run_cli(
        "fix",
        "look around",
        "-C",
        str(repo),
        "--model",
        str(model),
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
        "1",
        "--output-format",
        "json",
        "--trace",
        str(trace),
        *extra,
        env={"MINIMAX_AGENT_CONSTRAIN_MAX_CHARS": "24"},
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # one step, and it called a tool
    if stderr is not None:
        stderr.append(proc.stderr)
    usage = [json.loads(line) for line in trace.read_text().splitlines()][-1]["events"]
    return next(e for e in usage if e["type"] == "Usage")


def test_continue_reuses_the_saved_kv_cache(
    llama: Any, tmp_path: Path, tiny_gguf: Path, run_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    first = _run(run_cli, repo, tiny_gguf, tmp_path / "one.jsonl")
    assert first["cached_tokens"] == 0
    saved = list((isolated_home / ".state").rglob("*.kv"))
    assert len(saved) == 1

    resumed = _run(run_cli, repo, tiny_gguf, tmp_path / "two.jsonl", "--continue")
    # The system prompt and tools (most of the prompt) come from the restored cache; only what
    # changed since (the new request, and the earlier turn whose reasoning the template now
    # drops) is evaluated.
    assert resumed["prompt_tokens"] > first["prompt_tokens"]
    assert resumed["cached_tokens"] >= first["prompt_tokens"] // 2
    assert (
        resumed["extra"]["tokens_evaluated"] == resumed["prompt_tokens"] - resumed["cached_tokens"]
    )

    # Without the saved state the same resume evaluates everything.
    for path in saved:
        path.unlink()
    cold = _run(run_cli, repo, tiny_gguf, tmp_path / "three.jsonl", "--continue")
    assert cold["cached_tokens"] == 0


def test_a_damaged_kv_file_is_reported_and_the_resume_goes_on(
    llama: Any, tmp_path: Path, tiny_gguf: Path, run_cli: RunCli, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    _run(run_cli, repo, tiny_gguf, tmp_path / "one.jsonl")
    (saved,) = (isolated_home / ".state").rglob("*.kv")
    saved.write_bytes(b"not a llama.cpp state file")
    stderr: list[str] = []
    resumed = _run(
        run_cli,
        repo,
        tiny_gguf,
        tmp_path / "two.jsonl",
        "--continue",
        "--output-format",
        "text",
        stderr=stderr,
    )
    # the notice comes while the session opens, before the CLI listens: it is held, not lost
    assert "KV cache not restored" in stderr[0]
    assert resumed["cached_tokens"] == 0
