"""`minimax-agent models plan`: will an M2 model (MiniMax-M2.1, M2.5, M2.7) fit this machine,
and with which flags?

The model follows how llama.cpp places an MoE model with `-ngl <all> --n-cpu-moe N`: every
block's attention, norms and router go to the GPU with the output matrix and the KV cache; the
experts of the first N blocks stay in CPU RAM, the rest go to the GPU; the token embeddings always
stay on the CPU (llama.cpp keeps the input layer there: a row lookup gains nothing from a GPU).
Decode speed is memory-bound, so it is predicted as the bytes each side reads per token divided
by that side's bandwidth, the two sides running one after the other.

Everything here is pure: dataclasses in, dataclasses out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from quantize.errors import QuantizeUsageError
from quantize.footprint import KV_BYTES_PER_VALUE, KV_LADDER, QUANT_BPW, ModelFootprint
from quantize.hardware import GIB

# ---- the machine and the request --------------------------------------------------------------


@dataclass(frozen=True)
class Hardware:
    gpu_name: str
    gpu_memory: int  # bytes; 0 for no GPU
    gpu_bandwidth: float  # bytes/s
    ram: int
    cpu_bandwidth: float
    # Where each bandwidth came from, for the output: "given" (a flag, or the caller),
    # "preset", "measured", or "default" (a guess).
    gpu_bandwidth_source: str = "given"
    cpu_bandwidth_source: str = "given"


@dataclass(frozen=True)
class PlanRequest:
    model: ModelFootprint
    hardware: Hardware
    ctx: int = 32768
    kv_type: str = "q8_0"
    # CUDA context (~0.5 GiB) plus compute buffers at the default 512-token micro-batch.
    compute_margin: int = 2 * GIB
    # Host-side compute buffers and the runtime itself.
    host_overhead: int = 1 * GIB
    # RAM that must stay free for the OS, its page cache and the agent.
    os_reserve: int = 8 * GIB


@dataclass(frozen=True)
class Advice:
    change: str  # "kv", "ctx" or "quant"
    description: str
    fits: bool
    shortfall: int  # bytes still missing after the change (0 when it fits)


@dataclass(frozen=True)
class FitPlan:
    """Where a model's pieces go on one machine, whether they fit, the decode speed and the
    flags to run it (llama.cpp's load plan for a file is backends/local/plan.py's `LoadPlan`)."""

    request: PlanRequest
    fits: bool
    gpu: dict[str, int]  # component -> bytes placed on the GPU
    cpu: dict[str, int]  # component -> bytes placed in CPU RAM
    gpu_expert_layers: int
    cpu_moe: int  # layers whose experts stay in CPU RAM (llama.cpp --n-cpu-moe)
    gpu_layers: int  # llama.cpp -ngl
    gpu_shortfall: int
    ram_shortfall: int
    ram_left: int  # RAM left for the OS and everything else
    tokens_per_s: float | None  # decode, empty context
    tokens_per_s_full: float | None  # decode, context full
    agent_flags: list[str] = field(default_factory=list)
    server_flags: list[str] = field(default_factory=list)
    advice: list[Advice] = field(default_factory=list)

    @property
    def gpu_used(self) -> int:
        return sum(self.gpu.values())

    @property
    def ram_used(self) -> int:
        return sum(self.cpu.values())

    @property
    def shortfall(self) -> int:
        return self.gpu_shortfall + self.ram_shortfall


# ---- planning --------------------------------------------------------------------------------


def validate(req: PlanRequest) -> None:
    if req.kv_type not in KV_BYTES_PER_VALUE:
        raise QuantizeUsageError(
            f"unknown KV type {req.kv_type!r}; choose one of: {', '.join(KV_LADDER)}"
        )
    if req.ctx < 256:
        raise QuantizeUsageError(f"context {req.ctx} is too small; use at least 256 tokens")
    if req.ctx > req.model.n_ctx_train:
        raise QuantizeUsageError(
            f"context {req.ctx} exceeds what {req.model.name} supports ({req.model.n_ctx_train})"
        )
    if req.hardware.ram <= 0:
        raise QuantizeUsageError("system RAM is unknown; pass --ram, e.g. --ram 128G")


def place(req: PlanRequest) -> FitPlan:
    """Placement, fit and predicted speed for one request, without advice."""
    validate(req)
    m, hw = req.model, req.hardware
    kv = int(m.kv_bytes_per_token(req.kv_type) * req.ctx)
    active = m.n_expert_used / m.n_expert if m.n_expert else 1.0
    ram_budget = hw.ram - req.os_reserve

    if hw.gpu_memory <= 0:
        cpu = {
            "weights": m.total,
            "kv_cache": kv,
            # compute_margin is the GPU's buffer; on the CPU the host overhead covers them
            "runtime": req.host_overhead,
        }
        used = sum(cpu.values())
        read = m.total - m.embeddings - (1 - active) * m.experts
        times = (read / hw.cpu_bandwidth, (read + kv) / hw.cpu_bandwidth)
        return _finish(req, {}, cpu, 0, m.n_layer, 0, 0, max(0, used - ram_budget), times)

    gpu = {
        "attention": m.attention,
        "norms": m.norms,
        "router": m.router,
        "output": m.output,
        "kv_cache": kv,
        "compute_margin": req.compute_margin,
    }
    if m.other:
        gpu["other"] = m.other
    free = hw.gpu_memory - sum(gpu.values())
    # --n-cpu-moe N keeps the experts of blocks 0..N-1 on the CPU: the GPU takes the last ones.
    on_gpu, gpu_experts = 0, 0
    for b in reversed(m.expert_bytes_per_layer):
        if gpu_experts + b > free:
            break
        gpu_experts += b
        on_gpu += 1
    gpu["experts"] = gpu_experts
    cpu_experts = m.experts - gpu_experts
    cpu = {"embeddings": m.embeddings, "experts": cpu_experts, "runtime": req.host_overhead}

    gpu_shortfall = max(0, -free)
    ram_shortfall = max(0, sum(cpu.values()) - ram_budget)
    fixed_read = sum(
        v for k, v in gpu.items() if k not in ("kv_cache", "compute_margin", "experts")
    )
    gpu_read = fixed_read + active * gpu_experts
    cpu_read = active * cpu_experts
    times = (
        gpu_read / hw.gpu_bandwidth + cpu_read / hw.cpu_bandwidth,
        (gpu_read + kv) / hw.gpu_bandwidth + cpu_read / hw.cpu_bandwidth,
    )
    return _finish(
        req,
        gpu,
        cpu,
        on_gpu,
        m.n_layer - on_gpu,
        m.n_layer + 1,
        gpu_shortfall,
        ram_shortfall,
        times,
    )


def _finish(
    req: PlanRequest,
    gpu: dict[str, int],
    cpu: dict[str, int],
    on_gpu: int,
    cpu_moe: int,
    gpu_layers: int,
    gpu_shortfall: int,
    ram_shortfall: int,
    seconds_per_token: tuple[float, float],
) -> FitPlan:
    fits = gpu_shortfall == 0 and ram_shortfall == 0
    empty, full = seconds_per_token
    plan = FitPlan(
        request=req,
        fits=fits,
        gpu=gpu,
        cpu=cpu,
        gpu_expert_layers=on_gpu,
        cpu_moe=cpu_moe if gpu else 0,
        gpu_layers=gpu_layers,
        gpu_shortfall=gpu_shortfall,
        ram_shortfall=ram_shortfall,
        ram_left=req.hardware.ram - sum(cpu.values()),
        tokens_per_s=1 / empty if fits and empty > 0 else None,
        tokens_per_s_full=1 / full if fits and full > 0 else None,
    )
    if fits:
        plan.agent_flags.extend(agent_flags(plan))
        plan.server_flags.extend(server_flags(plan))
    return plan


def bandwidth_note(plan: FitPlan) -> str:
    """The bandwidths the speed was predicted from, and where each came from."""
    hw = plan.request.hardware

    def note(source: str, flag: str) -> str:
        known = {"given": "as given", "measured": "measured here", "preset": "preset figure"}
        return known.get(source, f"a guess; pass {flag}")

    text = f"RAM {hw.cpu_bandwidth / 1e9:.0f} GB/s ({note(hw.cpu_bandwidth_source, '--cpu-bw')})"
    if plan.gpu:
        gpu = f"{hw.gpu_bandwidth / 1e9:.0f} GB/s ({note(hw.gpu_bandwidth_source, '--gpu-bw')})"
        text = f"GPU {gpu}, {text}"
    return text


# A measured RAM bandwidth under a third of a typical desktop's is more likely a busy machine
# (or a throttled container) than the memory itself: the prediction would be far too low.
SLOW_MEASURE_SHARE = 1 / 3


def bandwidth_warning(plan: FitPlan, typical: float) -> str | None:
    """A warning when the RAM bandwidth was measured far below `typical` (bytes/s)."""
    hw = plan.request.hardware
    if hw.cpu_bandwidth_source != "measured" or hw.cpu_bandwidth >= typical * SLOW_MEASURE_SHARE:
        return None
    return (
        f"RAM bandwidth measured {hw.cpu_bandwidth / 1e9:.1f} GB/s, far below the "
        f"{typical / 1e9:.0f} GB/s typical of a desktop: is the machine busy? The speed "
        "predicted from it is too low; pass --cpu-bw GB/s"
    )


def _model_arg(m: ModelFootprint, server: bool = False) -> str:
    # The agent treats a value ending in .gguf as a path, so a named quant must stay a bare
    # name for it to find what `models pull` stored; llama-server only takes a file.
    if m.path:
        return m.path
    return f"{m.name}.gguf" if server else m.name


def agent_flags(plan: FitPlan) -> list[str]:
    req = plan.request
    flags = ["--model", _model_arg(req.model), "--n-ctx", str(req.ctx), "--kv-type", req.kv_type]
    flags += ["--gpu-layers", str(plan.gpu_layers)]
    if plan.cpu_moe:
        flags += ["--cpu-moe", str(plan.cpu_moe)]
    return flags


def server_flags(plan: FitPlan) -> list[str]:
    req = plan.request
    flags = ["-m", _model_arg(req.model, server=True), "-c", str(req.ctx)]
    flags += ["-ctk", req.kv_type, "-ctv", req.kv_type, "-ngl", str(plan.gpu_layers)]
    if plan.cpu_moe:
        flags += ["--n-cpu-moe", str(plan.cpu_moe)]
    # A quantized V cache needs flash attention in llama.cpp; it also saves memory at f16.
    flags += ["-fa", "on"]
    return flags


def _ladders(req: PlanRequest) -> list[tuple[str, list[tuple[str, PlanRequest]]]]:
    """For each kind of change, its steps from the mildest to the most drastic."""
    kv = [
        (f"a lighter KV cache: --kv-type {t}", replace(req, kv_type=t))
        for t in KV_LADDER[KV_LADDER.index(req.kv_type) + 1 :]
    ]
    ctx, steps = req.ctx // 2, []
    while ctx >= 4096:
        steps.append((f"a shorter context: --ctx {ctx}", replace(req, ctx=ctx)))
        ctx //= 2
    quants: list[tuple[str, PlanRequest]] = []
    m = req.model
    if m.quant is not None:
        smaller = sorted(
            (q for q, b in QUANT_BPW.items() if b < QUANT_BPW[m.quant]),
            key=lambda q: QUANT_BPW[q],
        )
        quants = [
            (f"a smaller quant: {q}", replace(req, model=m.requantized(q)))
            for q in reversed(smaller)
        ]
    return [("kv", kv), ("ctx", steps), ("quant", quants)]


def plan_fit(req: PlanRequest) -> FitPlan:
    """Place the model; when it does not fit, find for each kind of change (KV type, context,
    quant) its mildest step that fits, or failing that its step that leaves least missing, and
    rank them: those that fit first (in that order: cheapest in quality first), then by the
    bytes still missing."""
    plan = place(req)
    if plan.fits:
        return plan
    found: list[tuple[bool, int, int, Advice]] = []
    for order, (change, steps) in enumerate(_ladders(req)):
        best: Advice | None = None
        for text, changed in steps:
            after = place(changed)
            if after.fits:
                best = Advice(change, text + " (then it fits)", True, 0)
                break
            if best is None or after.shortfall < best.shortfall:
                best = Advice(change, text, False, after.shortfall)
        if best is not None:
            found.append((not best.fits, best.shortfall, order, best))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    plan.advice.extend(f[3] for f in found)
    return plan
