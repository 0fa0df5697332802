"""The closing lines of `fix` on a terminal: what the run cost and how to go on from it.

    ── done · 3 steps · 1,204 tokens in (800 cached) · 310 out · $0.0021 · 12.4 s · session ID
       go on: minimax-agent fix --continue "..." · take it back: minimax-agent undo

Numbers a backend did not report (cached tokens, cost) are left out rather than shown as 0.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from minimax_agent.events import RunResult
from minimax_agent.session.runner import usage_totals

MODEL_CHARS = 32


def short_model(name: str | None) -> str | None:
    """A model name that fits a status line: the file name of a GGUF path without `.gguf`,
    a hub id without its organisation (`minimax/minimax-m2.1` → `minimax-m2.1`)."""
    if not name:
        return None
    short = Path(name).name if name.endswith(".gguf") else name.rsplit("/", 1)[-1]
    short = short.removesuffix(".gguf") or name
    return short if len(short) <= MODEL_CHARS else short[: MODEL_CHARS - 1] + "…"


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def totals_line(result: RunResult, *, seconds: float, session_id: str) -> str:
    """One line: status, steps, tokens in/out (cached), cost, wall time, session."""
    usage = usage_totals(result)
    parts = [str(result.status), f"{result.steps} step{'s' if result.steps != 1 else ''}"]
    prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
    if prompt is not None:
        cached = usage["cached_tokens"]
        parts.append(f"{prompt:,} tokens in" + (f" ({cached:,} cached)" if cached else ""))
    if completion is not None:
        parts.append(f"{completion:,} out")
    if usage["cost"] is not None:
        parts.append(f"${usage['cost']:.4f}")
    parts += [_seconds(seconds), f"session {session_id}"]
    return "── " + " · ".join(parts)


def hints_line(directory: Path | None, *, changed_files: bool) -> str:
    """How to go on (`fix --continue`) and, when the run changed files, how to undo it;
    `directory` is the `-C` the run was given, repeated so the hint works from here."""
    where = f"-C {shlex.quote(str(directory))} " if directory is not None else ""
    hints = [f'go on: minimax-agent fix {where}--continue "..."']
    if changed_files:
        hints.append(f"take it back: minimax-agent undo {where}".rstrip())
    return "   " + " · ".join(hints)
