"""Decode speed of the local backend against a bare llama-cpp-python generate loop.

Both load the same GGUF (by default the `bench` tiny model, a few hundred MB) with the same
threads, context, batch, KV type and flash-attention setting, and sample with the same settings
(temperature 1.0, top-k 40, top-p 0.95; no min-p, no penalties) from the same prompt tokens.
Ours goes through everything a real step does: prompt splicing, sampling, incremental UTF-8
decoding, the dialect parser and its events. Runs alternate between the two, and the median of
each is compared.

Run: .venv/bin/python benchmarks/local_throughput.py [--model PATH] [--tokens N] [--runs N]
Target: ours / bare >= 0.97.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="GGUF file (default: write the bench model)")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args()

    from llama_cpp import Llama

    from minimax_agent.backends import Request
    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.backends.local.plan import default_threads
    from minimax_agent.config import Settings
    from minimax_agent.dialect import dialect_for
    from minimax_agent.events import Usage
    from minimax_agent.messages import SystemMessage, UserMessage
    from quantize.tiny import ARCH, write_tiny_model

    template = dialect_for(architecture=ARCH).default_template()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or write_tiny_model(
            Path(tmp) / "bench.gguf", "bench", chat_template=template
        )
        threads = args.threads or default_threads()
        settings = Settings(
            model=str(model),
            n_ctx=args.n_ctx,
            threads=threads,
            flash_attn=False,
            seed=1,
            temperature=1.0,
            top_k=40,
            top_p=0.95,
        )
        ours = LocalBackend.from_settings(settings)
        bare = Llama(
            model_path=str(model),
            n_ctx=args.n_ctx,
            n_batch=512,
            n_ubatch=512,
            n_threads=threads,
            n_threads_batch=threads,
            flash_attn=False,
            n_gpu_layers=0,
            seed=1,
            verbose=False,
        )
        messages = [
            SystemMessage(content="You are a helpful assistant."),
            UserMessage(content="Write a short poem about the sea."),
        ]
        prompt = bare.tokenize(
            ours.dialect.render(ours.template, messages).encode(), add_bos=False, special=True
        )

        def run_ours() -> tuple[float, int]:
            ours.model.clear()  # both sides prefill the prompt on every run
            usage = next(
                e
                for e in ours.stream(Request(messages=messages, max_tokens=args.tokens))
                if isinstance(e, Usage)
            )
            return float(usage.extra["decode_tps"]), int(usage.completion_tokens or 0)

        def run_bare() -> tuple[float, int]:
            bare.reset()
            gen = bare.generate(
                prompt, top_k=40, top_p=0.95, min_p=0.0, temp=1.0, repeat_penalty=1.0
            )
            next(gen)  # prefill and the first token
            started, n = time.perf_counter(), 1
            for _ in gen:
                n += 1
                if n == args.tokens:
                    break
            return (n - 1) / (time.perf_counter() - started), n

        run_ours(), run_bare()  # warm up caches and the OS page cache
        ours_tps, bare_tps = [], []
        for _ in range(args.runs):
            tps, n_ours = run_ours()
            ours_tps.append(tps)
            tps, n_bare = run_bare()
            bare_tps.append(tps)
        ours.close()

    a, b = statistics.median(ours_tps), statistics.median(bare_tps)
    print(f"model {model.name}, {threads} threads, {args.tokens} tokens a run, {args.runs} runs")
    rows = [("minimax-agent local backend", a, ours_tps), ("bare llama-cpp-python", b, bare_tps)]
    print(f"{'':30} {'decode tokens/s (median)':>26}   all runs")
    for name, median, runs in rows:
        print(f"{name:30} {median:26.1f}   {', '.join(f'{x:.1f}' for x in runs)}")
    print(f"ratio ours / bare: {a / b:.3f} (target >= 0.97); last run lengths {n_ours}, {n_bare}")


if __name__ == "__main__":
    main()
