"""Small random-weight `minimax-m3` GGUF files: the M3 format run by the real llama.cpp in tests
and benchmarks, without a 428B download.

The installed `gguf` package has no M3 architecture, so the architecture is a plain string and
the tensors are named here, after what llama.cpp's loader asks of `minimax-m3`
(`src/models/minimax-m3.cpp` in the vendored llama.cpp): M2-style attention with *per-head*
q/k norms (one `head_dim` vector, not the whole width), leading dense blocks with a plain FFN,
then routed experts plus a shared expert, and in each sparse block the MiniMax Sparse Attention
indexer (its own q/k projections and norms, one indexer head per KV head).

The vocabulary is M2's byte-level one (`tiny.build_vocab`: every byte, fillers rebuilt by their
own merges) with M3's special tokens: the turn markers and EOS are control tokens, the tag
namespace `]<]minimax[>[` and the reasoning tags are user-defined, so they come back as text for
the dialect parser. The chat template is the caller's, as for M2: this library knows no dialect.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quantize.tiny import SIZES as M2_SIZES
from quantize.tiny import add_shape, write_gguf
from quantize.tiny_tensors import (
    TinyShape,
    Weights,
    attention_tensors,
    expert_tensors,
    outer_tensors,
)

if TYPE_CHECKING:
    import gguf
    import numpy as np

ARCH = "minimax-m3"

CONTROL_TOKENS = ("]~!b[", "]~b]", "[e~[", "]<]image[>[", "]<]video[>[")
USER_DEFINED_TOKENS = ("]<]minimax[>[", "<mm:think>", "</mm:think>")


@dataclass(frozen=True)
class TinyM3Shape(TinyShape):
    """M2's hyperparameters plus M3's: `n_dense` leading dense blocks of width `n_ff`, shared
    experts, and the sparse-attention indexer (`idx_dim` wide, blocks of `idx_block` positions,
    the best `idx_top_k` of them attended, the last `idx_local` always)."""

    n_dense: int = 1
    n_ff: int = 64
    n_expert_shared: int = 1
    idx_dim: int = 16
    idx_block: int = 32
    idx_top_k: int = 4
    idx_local: int = 1


SIZES: dict[str, TinyM3Shape] = {
    # M2's tiny widths; one dense and one sparse block, so both paths of the graph run.
    "tiny": TinyM3Shape(**asdict(M2_SIZES["tiny"])),
    # M2's bench (a few hundred MB): for the prefix-reuse benchmark.
    "bench": TinyM3Shape(
        **asdict(M2_SIZES["bench"]), n_ff=1024, idx_dim=64, idx_block=64, idx_top_k=8
    ),
}


def write_tiny_m3_model(
    path: Path | str,
    size: str = "tiny",
    seed: int = 0,
    *,
    chat_template: str,
    dtype: str = "f16",
) -> Path:
    """Write a random-weight `minimax-m3` GGUF of the named size ("tiny" or "bench") to `path`
    (overwriting it) and return the path. Same size and seed give the same file; the other
    arguments are `tiny.write_tiny_model`'s."""
    vocab = (CONTROL_TOKENS, USER_DEFINED_TOKENS)
    return write_gguf(path, ARCH, size, seed, SIZES, chat_template, dtype, vocab, _keys, _tensors)


def _keys(writer: gguf.GGUFWriter, shape: TinyM3Shape) -> None:
    """M3's hyperparameters after the shared ones."""
    add_shape(writer, shape, n_ff=shape.n_ff)
    writer.add_leading_dense_block_count(shape.n_dense)
    writer.add_expert_shared_count(shape.n_expert_shared)
    writer.add_expert_weights_scale(1.0)
    writer.add_expert_weights_norm(True)
    # llama.cpp asserts one indexer head per KV head.
    writer.add_indexer_head_count(shape.n_head_kv)
    writer.add_indexer_key_length(shape.idx_dim)
    writer.add_indexer_top_k(shape.idx_top_k)
    # No writer method for these two in gguf 0.19: the keys as llama-arch.cpp spells them.
    writer.add_uint32(f"{ARCH}.attention.indexer.block_size", shape.idx_block)
    writer.add_uint32(f"{ARCH}.attention.indexer.local_blocks", shape.idx_local)


def _tensors(shape: TinyM3Shape, n_vocab: int, w: Weights) -> list[tuple[str, np.ndarray]]:
    """(name, array) pairs as llama.cpp names them for `minimax-m3`: M2's attention with
    per-head q/k norms, then a dense FFN or routed plus shared experts and the indexer. The
    indexer stays f32 (the converter forces it to f32)."""
    e, shared = shape.n_embd, shape.n_ff_exp * shape.n_expert_shared
    out = outer_tensors(shape, n_vocab, w)
    for i in range(shape.n_layer):
        b = f"blk.{i}."
        out += attention_tensors(b, shape, w, per_head=True)
        if i < shape.n_dense:
            out += [
                (b + "ffn_gate.weight", w.weight(shape.n_ff, e)),
                (b + "ffn_up.weight", w.weight(shape.n_ff, e)),
                (b + "ffn_down.weight", w.weight(e, shape.n_ff)),
            ]
            continue
        out += expert_tensors(b, shape, w)
        out += [
            (b + "ffn_gate_shexp.weight", w.weight(shared, e)),
            (b + "ffn_up_shexp.weight", w.weight(shared, e)),
            (b + "ffn_down_shexp.weight", w.weight(e, shared)),
            (b + "indexer.q_proj.weight", w.f32(shape.n_head_kv * shape.idx_dim, e)),
            (b + "indexer.k_proj.weight", w.f32(shape.idx_dim, e)),
            (b + "indexer.q_norm.weight", w.ones(shape.idx_dim)),
            (b + "indexer.k_norm.weight", w.ones(shape.idx_dim)),
        ]
    return out
