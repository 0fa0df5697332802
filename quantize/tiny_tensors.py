"""The shape and the tensors every tiny MiniMax GGUF has, drawn from one seeded generator.

M2 and M3 share the embedding and output, the attention block (M3's q/k norms are per head)
and the routed experts; `tiny.py` and `tiny_m3.py` add what is their own. Names are llama.cpp's
(`blk.N.attn_q.weight`...); numpy shapes are ggml's reversed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class TinyShape:
    """Hyperparameters of a generated model. `n_vocab` pads the real vocabulary with filler
    tokens so the embedding and output matrices can have a realistic weight."""

    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_rot: int
    n_expert: int
    n_expert_used: int
    n_ff_exp: int
    n_ctx_train: int = 4096
    n_vocab: int = 0


class Weights:
    """Random tensors from one seeded generator. The file depends on the order they are
    asked for, so a writer asks in a fixed order. Norms are ones; the router stays f32 as in
    published quants (it is small and routing is sensitive)."""

    def __init__(self, rng: np.random.Generator, dtype: np.dtype[Any]) -> None:
        self.rng, self.dtype = rng, dtype

    def weight(self, *dims: int) -> np.ndarray:
        import numpy as np

        return (self.rng.standard_normal(dims, dtype=np.float32) * 0.02).astype(self.dtype)

    def f32(self, *dims: int) -> np.ndarray:
        import numpy as np

        return self.rng.standard_normal(dims, dtype=np.float32) * np.float32(0.02)

    @staticmethod
    def ones(n: int) -> np.ndarray:
        import numpy as np

        return np.ones(n, dtype=np.float32)


def outer_tensors(shape: TinyShape, n_vocab: int, w: Weights) -> list[tuple[str, np.ndarray]]:
    """The embedding, the final norm and the output matrix (numpy shapes are ggml's reversed)."""
    e = shape.n_embd
    return [
        ("token_embd.weight", w.weight(n_vocab, e)),
        ("output_norm.weight", w.ones(e)),
        ("output.weight", w.weight(n_vocab, e)),
    ]


def attention_tensors(
    b: str, shape: TinyShape, w: Weights, *, per_head: bool
) -> list[tuple[str, np.ndarray]]:
    """Block `b`'s attention and its two norms. The q/k norms span the whole q and k widths
    (M2) or one head (`per_head`, M3)."""
    e = shape.n_embd
    q_width, kv_width = shape.n_head * shape.head_dim, shape.n_head_kv * shape.head_dim
    q_norm, k_norm = (shape.head_dim, shape.head_dim) if per_head else (q_width, kv_width)
    return [
        (b + "attn_norm.weight", w.ones(e)),
        (b + "attn_q.weight", w.weight(q_width, e)),
        (b + "attn_k.weight", w.weight(kv_width, e)),
        (b + "attn_v.weight", w.weight(kv_width, e)),
        (b + "attn_output.weight", w.weight(e, q_width)),
        (b + "attn_q_norm.weight", w.ones(q_norm)),
        (b + "attn_k_norm.weight", w.ones(k_norm)),
        (b + "ffn_norm.weight", w.ones(e)),
    ]


def expert_tensors(b: str, shape: TinyShape, w: Weights) -> list[tuple[str, np.ndarray]]:
    """Block `b`'s sigmoid router with its selection bias and the stacked routed experts."""
    import numpy as np

    e, n_exp, n_ff = shape.n_embd, shape.n_expert, shape.n_ff_exp
    return [
        (b + "ffn_gate_inp.weight", w.f32(n_exp, e)),
        (b + "exp_probs_b.bias", np.zeros(n_exp, dtype=np.float32)),
        (b + "ffn_gate_exps.weight", w.weight(n_exp, n_ff, e)),
        (b + "ffn_up_exps.weight", w.weight(n_exp, n_ff, e)),
        (b + "ffn_down_exps.weight", w.weight(n_exp, e, n_ff)),
    ]
