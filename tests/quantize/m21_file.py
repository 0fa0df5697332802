"""Header-only MiniMax-M2.1 GGUF files for tests: the real metadata and tensor table, with the
data section left as a sparse hole (the file is full length but takes no disk)."""

from __future__ import annotations

import os
from pathlib import Path

M21_LAYERS, M21_EMBD, M21_VOCAB = 62, 3072, 200064
M21_Q, M21_KV, M21_FF, M21_EXPERTS = 48 * 128, 8 * 128, 1536, 256
M21_BOS, M21_EOS = 200019, 200020
# More control tokens than inspect lists, so the cap shows; ids at the end of the vocabulary,
# so listing them walks all of it.
M21_TURN, M21_RESERVED = 200021, range(200024, 200064)


def m21_tensors() -> list[tuple[str, tuple[int, ...], str]]:
    """(name, ggml shape, type) of every tensor of M2.1 in a Q4_K_M-like mix."""
    e = M21_EMBD
    out = [
        ("token_embd.weight", (e, M21_VOCAB), "Q4_K"),
        ("output_norm.weight", (e,), "F32"),
        ("output.weight", (e, M21_VOCAB), "Q6_K"),
    ]
    for i in range(M21_LAYERS):
        b = f"blk.{i}"
        out += [
            (f"{b}.attn_norm.weight", (e,), "F32"),
            (f"{b}.attn_q.weight", (e, M21_Q), "Q4_K"),
            (f"{b}.attn_k.weight", (e, M21_KV), "Q4_K"),
            (f"{b}.attn_v.weight", (e, M21_KV), "Q6_K"),
            (f"{b}.attn_output.weight", (M21_Q, e), "Q4_K"),
            (f"{b}.attn_q_norm.weight", (M21_Q,), "F32"),
            (f"{b}.attn_k_norm.weight", (M21_KV,), "F32"),
            (f"{b}.ffn_norm.weight", (e,), "F32"),
            (f"{b}.ffn_gate_inp.weight", (e, M21_EXPERTS), "F32"),
            (f"{b}.exp_probs_b.bias", (M21_EXPERTS,), "F32"),
            (f"{b}.ffn_gate_exps.weight", (e, M21_FF, M21_EXPERTS), "Q4_K"),
            (f"{b}.ffn_up_exps.weight", (e, M21_FF, M21_EXPERTS), "Q4_K"),
            (f"{b}.ffn_down_exps.weight", (M21_FF, e, M21_EXPERTS), "Q6_K"),
        ]
    return out


def write_m21_header(path: Path, split_max_tensors: int = 0) -> list[Path]:
    """Write M2.1's real metadata and tensor table, then extend each file to its full length
    with a hole, so the files are complete as far as sizes go but take no disk and no time."""
    import gguf
    import numpy as np

    from minimax_agent.dialect import dialect_for

    w = gguf.GGUFWriter(path, "minimax-m2", split_max_tensors=split_max_tensors)
    w.add_name("MiniMax-M2.1 header only")
    w.add_file_type(int(gguf.LlamaFileType.MOSTLY_Q4_K_M))
    w.add_context_length(196608)
    w.add_embedding_length(M21_EMBD)
    w.add_block_count(M21_LAYERS)
    w.add_feed_forward_length(M21_FF)
    w.add_head_count(48)
    w.add_head_count_kv(8)
    w.add_key_length(128)
    w.add_value_length(128)
    w.add_rope_dimension_count(64)
    w.add_expert_count(M21_EXPERTS)
    w.add_expert_used_count(8)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("minimax-m2")
    tokens = [f"t{i}" for i in range(M21_VOCAB)]
    tokens[M21_BOS], tokens[M21_EOS], tokens[M21_TURN] = "]~!b[", "[e~[", "]~b]"
    types = [int(gguf.TokenType.NORMAL)] * M21_VOCAB
    for i in (M21_BOS, M21_EOS, M21_TURN, *M21_RESERVED):
        types[i] = int(gguf.TokenType.CONTROL)
    for i in M21_RESERVED:
        tokens[i] = f"<reserved_{i}>"
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_bos_token_id(M21_BOS)
    w.add_eos_token_id(M21_EOS)
    w.add_chat_template(dialect_for(architecture="minimax-m2").default_template())
    for name, shape, type_name in m21_tensors():
        qtype = gguf.GGMLQuantizationType[type_name]
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        byte_shape = (*reversed(shape[1:]), shape[0] // block * size)
        n_bytes = int(np.prod(byte_shape))
        w.add_tensor_info(name, byte_shape, np.dtype(np.uint8), n_bytes, raw_dtype=qtype)
    paths = w.format_shard_names(path)
    shard_tensors = [list(t.values()) for t in w.tensors]
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    for shard, infos in zip(paths, shard_tensors, strict=True):
        data_start = -(-shard.stat().st_size // 32) * 32
        os.truncate(shard, data_start + sum(-(-ti.nbytes // 32) * 32 for ti in infos))
    return paths
