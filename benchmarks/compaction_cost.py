"""Prompt tokens the local model evaluates for a compaction and the step after it: the summary
request minimax-agent sends (it starts with the conversation's head, so the KV cache keeps it)
against a stand-alone summary request (its own system prompt and the transcript: what the first
version sent, and what most agents do).

Both start from the same KV cache (saved after a real agent session on the `bench` random-weight
model) and produce the same compacted conversation; only the summary request differs. Counts
are llama.cpp's own (`n_p_eval`: tokens evaluated in prompt batches).

Run: .venv/bin/python benchmarks/compaction_cost.py [--steps 12] [--model PATH]
Target: ours evaluates less than the stand-alone request (the head, system prompt plus tool
specs, is not evaluated twice).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from prefix_reuse import MAX_CHARS, run_session, scratch_repo  # noqa: E402


def drain(backend: Any, request: Any) -> None:
    for _ in backend.stream(request):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="GGUF file (default: write the bench model)")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--n-ctx", type=int, default=16384)
    args = parser.parse_args()

    from minimax_agent.backends import Request
    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.backends.local.plan import default_threads
    from minimax_agent.config import Settings
    from minimax_agent.dialect import dialect_for
    from minimax_agent.messages import SystemMessage, UserMessage
    from minimax_agent.session.compaction import (
        COMPACT_SYSTEM,
        COMPACT_TASK,
        ContextKeeper,
        _fit,
        _transcript_blocks,
    )
    from quantize.tiny import ARCH, write_tiny_model

    template = dialect_for(architecture=ARCH).default_template()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or write_tiny_model(
            Path(tmp) / "bench.gguf", "bench", chat_template=template
        )
        backend = LocalBackend.from_settings(
            Settings(
                model=str(model),
                n_ctx=args.n_ctx,
                threads=args.threads or default_threads(),
                seed=1,
                max_tokens=128,
                constrain_tools=True,
                tool_choice="required",
                constrain_max_chars=MAX_CHARS,
            )
        )
        agent, _ = run_session(backend, scratch_repo(Path(tmp) / "repo"), args.steps, "session")
        messages, specs = list(agent.messages), agent.tools.specs()
        state = Path(tmp) / "session.kv"
        backend.save_state(state)

        # ours: the keeper's own request, then the next step
        backend.model.perf(reset=True)
        done = ContextKeeper(backend, backend.model.n_ctx).compact(messages, specs, force=True)
        assert done is not None
        summary_ours = backend.model.perf()["n_p_eval"]
        drain(backend, Request(done.messages, specs))
        total_ours = backend.model.perf()["n_p_eval"]

        # stand-alone: the same middle as a transcript under its own system prompt
        backend.load_state(state)
        backend.model.perf(reset=True)
        transcript = _fit(_transcript_blocks(messages[2 : 2 + done.removed]), 10**9)
        task = COMPACT_TASK.format(words=300, focus="", transcript=transcript)
        alone = [SystemMessage(content=COMPACT_SYSTEM), UserMessage(content=task)]
        drain(backend, Request(alone, [], 256, tool_choice="none"))
        summary_alone = backend.model.perf()["n_p_eval"]
        drain(backend, Request(done.messages, specs))
        total_alone = backend.model.perf()["n_p_eval"]
        backend.close()

    print(f"session of {args.steps} steps; {done.removed} messages summarised")
    print(f"{'summary request':<32}{'summary':>10}{'next step':>12}{'total':>10}")
    for label, summary, total in (
        ("minimax-agent (head kept)", summary_ours, total_ours),
        ("stand-alone summary request", summary_alone, total_alone),
    ):
        print(f"{label:<32}{summary:>10}{total - summary:>12}{total:>10}")
    print(f"ratio ours / stand-alone: {total_ours / total_alone:.3f} (prompt tokens evaluated)")


if __name__ == "__main__":
    main()
