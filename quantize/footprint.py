"""What MiniMax-M2.1 (or M2, M2.5, M2.7: the same shape, see `family.py`; or any minimax-m2 GGUF)
weighs, group by group, at a given quant.

Named quants are estimated from the model's shape and whole-file bits-per-weight figures; a real
file is measured from its header. The planner (`plan.py`) places these groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from quantize.errors import ModelFileError, QuantizeUsageError
from quantize.family import DEFAULT_MODEL, m2_model, m3_name, m3_shape

M21_LAYERS = 62
M21_EMBD = 3072
M21_HEADS, M21_KV_HEADS, M21_HEAD_DIM = 48, 8, 128
M21_EXPERTS, M21_EXPERTS_USED, M21_FF_EXP = 256, 8, 1536
M21_VOCAB = 200064
# The trained context in the GGUF header. M2.5 and M2.7 keep M2.1's config (their APIs advertise
# 204,800 tokens; their GGUFs' context_length could not be checked from here).
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


def kv_bytes_per_token(n_layer: int, n_head_kv: int, head_dim: int, kv_type: str) -> float:
    """Bytes one token adds to the KV cache: a key and a value per KV head in every layer."""
    return n_layer * 2 * n_head_kv * head_dim * KV_BYTES_PER_VALUE[kv_type]


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
        return kv_bytes_per_token(self.n_layer, self.n_head_kv, self.head_dim, kv_type)

    def requantized(self, quant: str) -> ModelFootprint:
        """The same model at another named quant (weights scaled by the bits-per-weight ratio;
        norms and router stay f32 in every quant)."""
        if self.quant is None:
            raise QuantizeUsageError(f"{self.name}: its quant type is unknown, cannot rescale it")
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
        raise QuantizeUsageError(f"unknown quant {name!r}; choose one of: {', '.join(QUANT_BPW)}")
    return key


def m2_footprint(quant: str, model: str = DEFAULT_MODEL) -> ModelFootprint:
    """An M2-family model (MiniMax-M2.1 unless named) at a named quant, from its shape and the
    quant's bits per weight."""
    name = m2_model(model).name
    quant = normalize_quant(quant)
    bpw = QUANT_BPW[quant]

    def weights(params: int) -> int:
        return int(params * bpw / 8)

    return ModelFootprint(
        name=f"{name}-{quant}",
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


def m3_footprint(quant: str, model: str = "MiniMax-M3") -> ModelFootprint:
    """An M3-format model at a named quant, from the published shape (`family.M3_SHAPES`).

    Only totals are published: 428B parameters, 23B active, 60 layers, 128 routed experts with
    4 active. So the routed experts' share follows from them (total - active = the 124 unused
    experts of each layer), and everything else (embeddings, attention, shared experts, the
    leading dense layers) is the active rest, placed like M2's attention. The KV cache assumes
    M2's GQA (8 KV heads of 128), which `minimax-m3.cpp` says M3 keeps ("MiniMax-M2 style GQA");
    its sparse-attention indexer keys (one 128-wide key a token a layer) are counted as a ninth
    head. The whole file is then about 257 GB at Q4_K_M."""
    shape = m3_shape(model)
    quant = normalize_quant(quant)
    bpw = QUANT_BPW[quant]

    def weights(params: float) -> int:
        return int(params * bpw / 8)

    unused = shape.n_expert - shape.n_expert_used
    per_expert_layer = (shape.total_params - shape.active_params) / (unused * shape.n_layer)
    experts = per_expert_layer * shape.n_expert
    rest = shape.total_params - experts * shape.n_layer
    embeddings = M21_VOCAB * M21_EMBD  # M2's vocabulary and width: a small part of the rest
    return ModelFootprint(
        name=f"{m3_name(model)}-{quant}",
        n_layer=shape.n_layer,
        n_head_kv=M21_KV_HEADS + 1,
        head_dim=M21_HEAD_DIM,
        n_expert=shape.n_expert,
        n_expert_used=shape.n_expert_used,
        n_ctx_train=shape.n_ctx_train,
        embeddings=weights(embeddings),
        output=weights(embeddings),
        attention=weights(rest - 2 * embeddings),
        router=4 * (M21_EMBD * shape.n_expert + shape.n_expert) * shape.n_layer,
        norms=4 * (M21_NORM_PARAMS_PER_LAYER * shape.n_layer + M21_EMBD),
        expert_bytes_per_layer=(weights(experts),) * shape.n_layer,
        quant=quant,
    )


def model_footprint(quant: str, model: str = DEFAULT_MODEL) -> ModelFootprint:
    """A named model at a named quant: the M3 format's by its shape, the M2 family's by M2's."""
    return m3_footprint(quant, model) if m3_name(model) else m2_footprint(quant, model)


def file_footprint(path: str) -> ModelFootprint:
    """The footprint of a GGUF file (all shards), from its header."""
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
        path=s.paths[0],  # llama.cpp opens a split model by its first shard
    )
