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

`--alternatives` also measures the other way to keep the parent's cache, on the same model
through llama.cpp directly: the child in a second sequence of the same context (`n_seq_max=2`,
a unified KV cache), dropped afterwards. No copy at all, but the child's tokens then share the
cache with the parent's, and every child step attends over the parent's cells as well (masked
out, still computed). Two runs on the shared 2-core machine (parent 10000 tokens, child 5000):

    snapshot: take 41.7 / 33.6 ms + restore 6.7 / 5.2 ms (61.6 MB); child prefill 8.46 / 7.75 s
    second sequence: drop 0.8 / 0.7 ms; child prefill beside the parent 10.49 / 12.40 s

so the snapshot is the cheaper, and it needs no context room beyond one conversation's. Its
cost is memory: the copy is the KV cache's size (for M2.1, 62 layers x 8 KV heads x 128 x 2
x f16, about 0.25 MB a token: 2.5 GB at 10k tokens), held in RAM while the child runs.

Run: .venv/bin/python benchmarks/subagent_cache.py [--model PATH] [--steps 4] [--alternatives]
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


def decode_seq(lib: Any, ctx: Any, tokens: list[int], seq: int, start: int, n_batch: int) -> None:
    """Evaluate `tokens` into sequence `seq` from position `start` (a batch with seq ids)."""
    for at in range(0, len(tokens), n_batch):
        chunk = tokens[at : at + n_batch]
        batch = lib.llama_batch_init(len(chunk), 0, 1)
        batch.n_tokens = len(chunk)
        for i, token in enumerate(chunk):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + at + i, 1
            batch.seq_id[i][0], batch.logits[i] = seq, int(i == len(chunk) - 1)
        rc = lib.llama_decode(ctx, batch)
        lib.llama_batch_free(batch)
        if rc != 0:
            raise SystemExit(f"llama_decode failed ({rc})")


def alternatives(model: Path, threads: int, parent_n: int = 10000, child_n: int = 5000) -> None:
    """Snapshot vs. second sequence, timed side by side on random tokens."""
    import ctypes
    import random

    import llama_cpp as lib

    n_batch = 512
    params = lib.llama_model_default_params()
    params.n_gpu_layers = 0
    handle = lib.llama_model_load_from_file(str(model).encode(), params)
    vocab_n = lib.llama_vocab_n_tokens(lib.llama_model_get_vocab(handle))
    rnd = random.Random(1)
    parent = [rnd.randrange(300, vocab_n) for _ in range(parent_n)]
    child = [rnd.randrange(300, vocab_n) for _ in range(child_n)]

    def context(n_seq: int) -> Any:
        cp = lib.llama_context_default_params()
        cp.n_ctx, cp.n_batch, cp.n_ubatch = 2 * (parent_n + child_n), n_batch, n_batch
        cp.n_seq_max, cp.kv_unified = n_seq, True
        cp.n_threads = cp.n_threads_batch = threads
        return lib.llama_init_from_model(handle, cp)

    ctx = context(1)
    mem = lib.llama_get_memory(ctx)
    decode_seq(lib, ctx, parent, 0, 0, n_batch)
    with stopwatch() as take:
        size = lib.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        lib.llama_state_seq_get_data(ctx, buf, size, 0)
    lib.llama_memory_seq_rm(mem, 0, 0, -1)
    with stopwatch() as alone:
        decode_seq(lib, ctx, child, 0, 0, n_batch)
    lib.llama_memory_seq_rm(mem, 0, 0, -1)
    with stopwatch() as restore:
        lib.llama_state_seq_set_data(ctx, buf, size, 0)
    lib.llama_free(ctx)

    ctx = context(2)
    mem = lib.llama_get_memory(ctx)
    decode_seq(lib, ctx, parent, 0, 0, n_batch)
    with stopwatch() as beside:
        decode_seq(lib, ctx, child, 1, 0, n_batch)
    with stopwatch() as drop:
        lib.llama_memory_seq_rm(mem, 1, 0, -1)
    lib.llama_free(ctx)
    lib.llama_model_free(handle)
    print(f"alternatives: parent {parent_n} tokens, child {child_n} tokens, {threads} threads")
    print(
        f"  snapshot: take {take[0] * 1e3:.1f} ms + restore {restore[0] * 1e3:.1f} ms "
        f"({size / 1e6:.1f} MB); child prefill alone {alone[0]:.2f} s"
    )
    print(
        f"  second sequence: drop {drop[0] * 1e3:.2f} ms; child prefill beside the parent "
        f"{beside[0]:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="GGUF file (default: write the bench model)")
    parser.add_argument("--steps", type=int, default=4, help="parent steps (task call: last-1)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=4096)
    parser.add_argument("--n-ctx", type=int, default=16384)
    parser.add_argument(
        "--alternatives", action="store_true", help="also time a second sequence vs. a snapshot"
    )
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
        if args.alternatives:
            alternatives(model, threads)
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
        f"{args.steps - 1}, child limited to {min(3, args.steps)} steps"
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
