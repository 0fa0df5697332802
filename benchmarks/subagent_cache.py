"""The parent's step after a subagent call: tokens evaluated against tokens added, with the
local backend's cache keeping on and off, side by side.

A subagent runs on the parent's backend with a prompt of its own, so in-process its turns
evict the parent's KV cache. `task` runs the child inside `backend.keep_cache()`: the local
backend copies the KV state of its sequence into memory first (`llama_state_seq_get_data`) and
puts it back after (`llama_state_seq_set_data`, with the token list its prefix reuse compares
against). This measures what that buys on the `bench` random-weight model (as prefix_reuse.py
builds it): a parent session of a few steps with read-only tools and the `task` tool, one
`task` call, then the parent's next step, once with the cache kept and once without.

A random model calls a random tool, so the parent's task call is forced: for that one step
the turn grammar is the exact text of the call (the tokens are still sampled by the model,
through llama.cpp's grammar, and spliced back like any generated turn). The child is the
real `task` tool's child: its own system prompt, read-only tools, a step limit of 3.

"Tokens added" by the parent's step is its prompt minus what the parent's previous step held
(its prompt and its generated tokens): the task call's result and the generation prompt.
The snapshot's size and the time to take and restore it are printed beside the time the
uncached step spent evaluating again.

Run: .venv/bin/python benchmarks/subagent_cache.py [--model PATH] [--steps 4]
Target: with keeping on, evaluated within 1.05x of added.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.prefix_reuse import MAX_CHARS, TASK, scratch_repo  # noqa: E402
from minimax_agent.agent import Hooks  # noqa: E402

CALL = (
    'Delegate.\n</think>\n\n<minimax:tool_call>\n<invoke name="task">\n'
    '<parameter name="description">find config</parameter>\n'
    '<parameter name="prompt">Find where settings are read.</parameter>\n'
    "</invoke>\n</minimax:tool_call>"
)


def literal_grammar(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'root ::= "{escaped}"\n'


class ForcingDialect:
    """The real dialect, except that a turn grammar can be replaced once by a literal."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.forced: str | None = None

    def turn_grammar(self, tools: Any, max_chars: int | None = None) -> str:
        if self.forced is not None:
            text, self.forced = self.forced, None
            return literal_grammar(text)
        return str(self.inner.turn_grammar(tools, max_chars))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class StepHooks(Hooks):
    """Forces the task call at the parent's step `at`; records the parent's usage per step."""

    def __init__(self, dialect: ForcingDialect, at: int, label: str) -> None:
        self.dialect, self.at, self.label = dialect, at, label

    def on_event(self, event: Any) -> None:
        from minimax_agent.events import ChildEvent, StepStarted

        if isinstance(event, StepStarted):
            print(f"{self.label}: step {event.step}", file=sys.stderr, flush=True)
            if event.step == self.at:
                self.dialect.forced = CALL
        elif isinstance(event, ChildEvent) and isinstance(event.event, StepStarted):
            print(f"{self.label}:   child step {event.event.step}", file=sys.stderr, flush=True)


def session(backend: Any, repo: Path, steps: int, label: str) -> Any:
    """`steps` parent steps, the task call at the last but one: returns the run's result."""
    from minimax_agent.agent import Agent, Limits
    from minimax_agent.session.prompt import system_prompt
    from minimax_agent.subagents import task_tool
    from tools import default_tools
    from tools.approval import ApprovalPolicy
    from tools.modes import ApprovalMode
    from tools.workspace import Workspace

    forcing = ForcingDialect(backend.dialect)
    backend.dialect = forcing
    workspace = Workspace(repo)
    agent = Agent(
        backend,
        default_tools(read_only=True, extra=[task_tool(max_steps=3)]),
        workspace,
        ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=False),
        StepHooks(forcing, steps - 1, label),
        system_prompt=system_prompt(workspace.root),
        limits=Limits(max_steps=steps, max_consecutive_errors=steps + 1),
    )
    result = agent.run(TASK)
    backend.dialect = forcing.inner
    return result


def load(model: Path, args: argparse.Namespace, threads: int, *, keep: bool) -> Any:
    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.config import Settings

    class NoKeeping(LocalBackend):
        def keep_cache(self) -> contextlib.AbstractContextManager[None]:
            return contextlib.nullcontext()

    cls = LocalBackend if keep else NoKeeping
    return cls.from_settings(
        Settings(
            model=str(model),
            n_ctx=args.n_ctx,
            threads=threads,
            seed=1,
            max_tokens=args.max_tokens,
            constrain_tools=True,
            tool_choice="required",
            constrain_max_chars=MAX_CHARS,
        )
    )


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    out: list[float] = []
    started = time.perf_counter()
    yield out
    out.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="GGUF file (default: write the bench model)")
    parser.add_argument("--steps", type=int, default=4, help="parent steps (task call: last-1)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=4096)
    parser.add_argument("--n-ctx", type=int, default=16384)
    args = parser.parse_args()
    if args.steps < 2:
        raise SystemExit("--steps must be at least 2")

    from minimax_agent.backends.local.plan import default_threads
    from minimax_agent.dialect import dialect_named
    from quantize.tiny import write_tiny_model

    threads = args.threads or default_threads()
    rows = []
    timing: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        template = dialect_named("m2").default_template()
        model = args.model or write_tiny_model(
            Path(tmp) / "bench.gguf", "bench", chat_template=template
        )
        for keep in (True, False):
            label = "kept" if keep else "not kept"
            backend = load(model, args, threads, keep=keep)
            result = session(backend, scratch_repo(Path(tmp) / label), args.steps, label)
            before, after = result.usage[-2], result.usage[-1]
            held = before.prompt_tokens + before.completion_tokens
            added = after.prompt_tokens - held
            evaluated = after.extra["tokens_evaluated"]
            tps = after.extra.get("prefill_tps")
            rows.append((label, after.prompt_tokens, added, evaluated, tps))
            [task] = [o for o in result.outcomes if o.call.name == "task"]
            print(f"{label}: task result: {task.content.splitlines()[-1][:120]}", file=sys.stderr)
            if keep:
                snap_model = backend.model
                with stopwatch() as took:
                    snap = snap_model.snapshot()
                with stopwatch() as back:
                    snap_model.restore(snap)
                timing = {
                    "bytes": snap.size,
                    "tokens": len(snap.tokens),
                    "take_ms": took[0] * 1000,
                    "restore_ms": back[0] * 1000,
                }
            backend.close()

    print(
        f"model {model.name}, {threads} threads, {args.steps} parent steps, task at step "
        f"{args.steps - 1}, child limited to 3 steps"
    )
    print(
        f"{'cache keeping':14} {'prompt':>7} {'added':>7} {'evaluated':>10} {'ratio':>7}"
        f" {'prefill s':>10}"
    )
    for label, prompt, added, evaluated, tps in rows:
        seconds = f"{evaluated / tps:10.3f}" if tps else f"{'-':>10}"
        print(
            f"{label:14} {prompt:7} {added:7} {evaluated:10} {evaluated / max(added, 1):7.3f}"
            f" {seconds}"
        )
    print(
        f"snapshot of the parent's {timing['tokens']} tokens: {timing['bytes'] / 1e6:.2f} MB, "
        f"taken in {timing['take_ms']:.2f} ms, restored in {timing['restore_ms']:.2f} ms"
    )
    print("target: with the cache kept, evaluated within 1.05x of the tokens added")


if __name__ == "__main__":
    main()
