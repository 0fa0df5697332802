"""How close is the fit planner to what llama.cpp really uses?

Writes the `bench` random-weight minimax-m2 model (~400 MB), asks the planner for a CPU-only
placement, loads the model with llama.cpp on the CPU, runs a short generation (so compute buffers
and the KV cache exist and the weights are paged in), and compares the growth of this process's
resident memory with the prediction. It also prints measured decode speed next to the planner's
bandwidth-based prediction and the bandwidth that the measurement implies.

Run: .venv/bin/python benchmarks/plan_accuracy.py [--ctx 4096] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--tokens", type=int, default=32, help="tokens to decode")
    parser.add_argument("--keep", type=Path, help="write the model here and keep it")
    args = parser.parse_args()

    import llama_cpp

    from minimax_agent.dialect import dialect_for
    from quantize.footprint import file_footprint
    from quantize.hardware import DEFAULT_CPU_BANDWIDTH, GIB, detect_ram, measure_cpu_bandwidth
    from quantize.inspect import human_bytes
    from quantize.plan import Hardware, PlanRequest, plan_fit
    from quantize.tiny import ARCH, write_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "minimax-m2-bench.gguf"
        if not path.exists():
            started = time.perf_counter()
            template = dialect_for(architecture=ARCH).default_template()
            write_tiny_model(path, size="bench", chat_template=template)
            print(f"wrote {path} in {time.perf_counter() - started:.1f} s")

        model = file_footprint(str(path))
        # the prediction uses this machine's measured RAM bandwidth, as `models plan` does
        measured_bw = measure_cpu_bandwidth()
        bandwidth = measured_bw or DEFAULT_CPU_BANDWIDTH
        source = "measured" if measured_bw else "default"
        hw = Hardware("no GPU", 0, 0.0, detect_ram() or 64 * GIB, bandwidth, "given", source)
        plan = plan_fit(PlanRequest(model, hw, ctx=args.ctx, kv_type="f16"))
        weights_kv = plan.cpu["weights"] + plan.cpu["kv_cache"]

        before = rss_bytes()
        llm = llama_cpp.Llama(
            model_path=str(path), n_ctx=args.ctx, n_gpu_layers=0, verbose=False, seed=1
        )
        loaded = rss_bytes()
        prompt = "]~b]user\nwrite a poem[e~[\n]~b]ai\n<think>\n"
        llm.create_completion(prompt, max_tokens=1)  # prompt processing, buffers allocated
        started = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=args.tokens, temperature=1.0)
        elapsed = time.perf_counter() - started
        after = rss_bytes()
        n = out["usage"]["completion_tokens"]

    grown = after - before
    print(f"model file            {human_bytes(model.total)} of tensors")
    print(f"predicted weights+KV  {human_bytes(weights_kv)}")
    print(f"predicted with margin {human_bytes(plan.ram_used)} (adds a fixed runtime allowance)")
    at_load = human_bytes(loaded - before)
    print(f"measured RSS growth   {human_bytes(grown)} (after load: {at_load})")
    print(f"ratio measured / predicted weights+KV: {grown / weights_kv:.3f}")
    print(f"ratio measured / predicted with margin: {grown / plan.ram_used:.3f}")

    active = model.n_expert_used / model.n_expert
    per_token = model.total - model.embeddings - (1 - active) * model.experts
    measured_tps = n / elapsed if elapsed > 0 else float("nan")
    print(f"decode: {n} tokens in {elapsed:.2f} s = {measured_tps:.1f} tok/s measured")
    if plan.tokens_per_s is not None:
        print(
            f"decode: {plan.tokens_per_s:.1f} tok/s predicted at "
            f"{bandwidth / 1e9:.0f} GB/s ({source}); the measurement implies "
            f"{per_token * measured_tps / 1e9:.1f} GB/s read per second"
        )
        print(
            "note: a model this small is bound by per-token overhead (graph, sampling), not "
            "memory bandwidth; the KV cache counts in RSS only once written"
        )


if __name__ == "__main__":
    main()
