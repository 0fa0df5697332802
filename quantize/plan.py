"""`minimax-agent models plan`: will MiniMax-M2.1 fit this machine, and with which flags?

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
from pathlib import Path

from minimax_agent.errors import UsageError
from quantize.hardware import GIB

# ---- the model -------------------------------------------------------------------------------

M21_LAYERS = 62
M21_EMBD = 3072
M21_HEADS, M21_KV_HEADS, M21_HEAD_DIM = 48, 8, 128
M21_EXPERTS, M21_EXPERTS_USED, M21_FF_EXP = 256, 8, 1536
M21_VOCAB = 200064
M21_CTX = 196608

M21_ATTN_PARAMS_PER_LAYER = M21_EMBD * (2 * M21_HEADS + 2 * M21_KV_HEADS) * M21_HEAD_DIM
M21_EXPERT_PARAMS_PER_LAYER = 3 * M21_EXPERTS * M21_EMBD * M21_FF_EXP
M21_ROUTER_PARAMS_PER_LAYER = M21_EMBD * M21_EXPERTS + M21_EXPERTS
# attn_norm, ffn_norm, q_norm over the full q width, k_norm over the full k width
M21_NORM_PARAMS_PER_LAYER = 2 * M21_EMBD + (M21_HEADS + M21_KV_HEADS) * M21_HEAD_DIM

# Whole-file average bits per weight of published M2.x GGUFs of each type (the k-quant mixes give
# some tensors more bits than the nominal type); they reproduce IQ2_M ~78 GB, Q2_K ~97 GB,
# Q3_K_M ~112 GB, Q4_K_M ~137 GB, Q8_0 ~243 GB for the 228.7B weights.
QUANT_BPW: dict[str, float] = {
    "IQ1_S": 1.78,
    "IQ1_M": 1.95,
    "IQ2_XXS": 2.20,
    "IQ2_XS": 2.43,
    "IQ2_M": 2.70,
    "Q2_K": 3.40,
    "IQ3_XXS": 3.25,
    "Q3_K_S": 3.64,
    "Q3_K_M": 3.92,
    "IQ4_XS": 4.46,
    "Q4_K_S": 4.67,
    "Q4_K_M": 4.80,
    "Q5_K_M": 5.70,
    "Q6_K": 6.56,
    "Q8_0": 8.50,
    "BF16": 16.0,
    "F16": 16.0,
}

KV_BYTES_PER_VALUE: dict[str, float] = {
    "f16": 2.0,
    "q8_0": 34 / 32,  # blocks of 32 int8 values plus one f16 scale
    "q4_0": 18 / 32,  # blocks of 32 nibbles plus one f16 scale
}
KV_LADDER = ("f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class ModelFootprint:
    """Bytes of each placement group of one model file, plus the shape the KV cache needs."""

    name: str
    n_layer: int
    n_head_kv: int
    head_dim: int
    n_expert: int
    n_expert_used: int
    n_ctx_train: int
    embeddings: int
    output: int
    attention: int
    router: int
    norms: int
    expert_bytes_per_layer: tuple[int, ...]
    other: int = 0
    quant: str | None = None  # a QUANT_BPW key when known, for "use a smaller quant" advice
    path: str | None = None

    @property
    def experts(self) -> int:
        return sum(self.expert_bytes_per_layer)

    @property
    def total(self) -> int:
        return (
            self.embeddings
            + self.output
            + self.attention
            + self.router
            + self.norms
            + self.other
            + self.experts
        )

    def kv_bytes_per_token(self, kv_type: str) -> float:
        return self.n_layer * 2 * self.n_head_kv * self.head_dim * KV_BYTES_PER_VALUE[kv_type]

    def requantized(self, quant: str) -> ModelFootprint:
        """The same model at another named quant (weights scaled by the bits-per-weight ratio;
        norms and router stay f32 in every quant)."""
        if self.quant is None:
            raise UsageError(f"{self.name}: its quant type is unknown, cannot rescale it")
        f = QUANT_BPW[quant] / QUANT_BPW[self.quant]
        return replace(
            self,
            name=self.name.replace(self.quant, quant),
            embeddings=int(self.embeddings * f),
            output=int(self.output * f),
            attention=int(self.attention * f),
            expert_bytes_per_layer=tuple(int(b * f) for b in self.expert_bytes_per_layer),
            quant=quant,
            path=None,
        )


def normalize_quant(name: str) -> str:
    key = name.upper()
    if key not in QUANT_BPW:
        raise UsageError(f"unknown quant {name!r}; choose one of: {', '.join(QUANT_BPW)}")
    return key


def m21_footprint(quant: str) -> ModelFootprint:
    """MiniMax-M2.1 at a named quant, from its shape and the quant's bits per weight."""
    quant = normalize_quant(quant)
    bpw = QUANT_BPW[quant]

    def weights(params: int) -> int:
        return int(params * bpw / 8)

    return ModelFootprint(
        name=f"MiniMax-M2.1-{quant}",
        n_layer=M21_LAYERS,
        n_head_kv=M21_KV_HEADS,
        head_dim=M21_HEAD_DIM,
        n_expert=M21_EXPERTS,
        n_expert_used=M21_EXPERTS_USED,
        n_ctx_train=M21_CTX,
        embeddings=weights(M21_VOCAB * M21_EMBD),
        output=weights(M21_VOCAB * M21_EMBD),
        attention=weights(M21_ATTN_PARAMS_PER_LAYER * M21_LAYERS),
        router=4 * M21_ROUTER_PARAMS_PER_LAYER * M21_LAYERS,
        norms=4 * (M21_NORM_PARAMS_PER_LAYER * M21_LAYERS + M21_EMBD),
        expert_bytes_per_layer=(weights(M21_EXPERT_PARAMS_PER_LAYER),) * M21_LAYERS,
        quant=quant,
    )


def file_footprint(path: str) -> ModelFootprint:
    """The footprint of a GGUF file (all shards), from its header."""
    from minimax_agent.errors import ModelFileError
    from quantize.inspect import summarize

    s = summarize(path)
    shape = (s.n_layer, s.n_head_kv, s.head_dim, s.context_length)
    n_layer, n_head_kv, head_dim, n_ctx = shape
    if n_layer is None or n_head_kv is None or head_dim is None or n_ctx is None:
        raise ModelFileError(f"{path}: header lacks the layer, head or context counts to plan with")
    g = s.groups
    return ModelFootprint(
        name=Path(path).name.removesuffix(".gguf"),
        n_layer=n_layer,
        n_head_kv=n_head_kv,
        head_dim=head_dim,
        n_expert=s.n_expert or 0,
        n_expert_used=s.n_expert_used or 0,
        n_ctx_train=n_ctx,
        embeddings=g["embeddings"].n_bytes,
        output=g["output"].n_bytes,
        attention=g["attention"].n_bytes,
        router=g["router"].n_bytes,
        norms=g["norms"].n_bytes,
        other=g["other"].n_bytes if "other" in g else 0,
        expert_bytes_per_layer=tuple(s.expert_bytes_per_layer),
        quant=s.file_type if s.file_type in QUANT_BPW else None,
        path=str(path),
    )


# ---- the machine and the request --------------------------------------------------------------


@dataclass(frozen=True)
class Hardware:
    gpu_name: str
    gpu_memory: int  # bytes; 0 for no GPU
    gpu_bandwidth: float  # bytes/s
    ram: int
    cpu_bandwidth: float


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
class Plan:
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
        raise UsageError(f"unknown KV type {req.kv_type!r}; choose one of: {', '.join(KV_LADDER)}")
    if req.ctx < 256:
        raise UsageError(f"context {req.ctx} is too small; use at least 256 tokens")
    if req.ctx > req.model.n_ctx_train:
        raise UsageError(
            f"context {req.ctx} exceeds what {req.model.name} supports ({req.model.n_ctx_train})"
        )
    if req.hardware.ram <= 0:
        raise UsageError("system RAM is unknown; pass --ram, e.g. --ram 128G")


def place(req: PlanRequest) -> Plan:
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
            "runtime": req.host_overhead + req.compute_margin,
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
    gpu_read = sum(v for k, v in gpu.items() if k not in ("kv_cache", "compute_margin", "experts"))
    gpu_read += active * gpu_experts
    cpu_read = active * cpu_experts
    times = (
        gpu_read / hw.gpu_bandwidth + cpu_read / hw.cpu_bandwidth,
        (gpu_read + kv) / hw.gpu_bandwidth + cpu_read / hw.cpu_bandwidth,
    )
    return _finish(
        req, gpu, cpu, on_gpu, m.n_layer - on_gpu, m.n_layer + 1, gpu_shortfall, ram_shortfall, times
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
) -> Plan:
    fits = gpu_shortfall == 0 and ram_shortfall == 0
    empty, full = seconds_per_token
    plan = Plan(
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


def _model_arg(m: ModelFootprint) -> str:
    return m.path or f"{m.name}.gguf"


def agent_flags(plan: Plan) -> list[str]:
    req = plan.request
    flags = ["--model", _model_arg(req.model), "--ctx", str(req.ctx), "--kv-type", req.kv_type]
    flags += ["--gpu-layers", str(plan.gpu_layers)]
    if plan.cpu_moe:
        flags += ["--cpu-moe", str(plan.cpu_moe)]
    return flags


def server_flags(plan: Plan) -> list[str]:
    req = plan.request
    flags = ["-m", _model_arg(req.model), "-c", str(req.ctx)]
    flags += ["-ctk", req.kv_type, "-ctv", req.kv_type, "-ngl", str(plan.gpu_layers)]
    if plan.cpu_moe:
        flags += ["--n-cpu-moe", str(plan.cpu_moe)]
    # A quantized V cache needs flash attention in llama.cpp; it also saves memory at f16.
    flags += ["-fa", "on"]
    return flags


def _candidates(req: PlanRequest) -> list[tuple[str, str, PlanRequest]]:
    """One-step changes, in order of how little they cost in quality."""
    out: list[tuple[str, str, PlanRequest]] = []
    i = KV_LADDER.index(req.kv_type)
    if i + 1 < len(KV_LADDER):
        lighter = KV_LADDER[i + 1]
        out.append(("kv", f"a lighter KV cache: --kv-type {lighter}", replace(req, kv_type=lighter)))
    if req.ctx // 2 >= 4096:
        half = req.ctx // 2
        out.append(("ctx", f"a shorter context: --ctx {half}", replace(req, ctx=half)))
    m = req.model
    if m.quant is not None:
        smaller = [q for q, b in QUANT_BPW.items() if b < QUANT_BPW[m.quant]]
        if smaller:
            q = max(smaller, key=lambda name: QUANT_BPW[name])
            out.append(("quant", f"a smaller quant: {q}", replace(req, model=m.requantized(q))))
    return out


def plan_fit(req: PlanRequest) -> Plan:
    """Place the model; when it does not fit, rank one-step changes by how much they help: first
    those that make it fit (cheapest in quality first), then by the bytes still missing."""
    plan = place(req)
    if plan.fits:
        return plan
    ranked = []
    for order, (change, text, changed) in enumerate(_candidates(req)):
        after = place(changed)
        ranked.append((not after.fits, after.shortfall, order, change, text, after))
    ranked.sort(key=lambda r: (r[0], r[1], r[2]))
    plan.advice.extend(
        Advice(change, text + (" (then it fits)" if after.fits else ""), after.fits, after.shortfall)
        for _, _, _, change, text, after in ranked
    )
    return plan
