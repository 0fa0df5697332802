"""The tiny random-weight minimax-m3 model: its keys, tensors and vocabulary as llama.cpp's
`minimax-m3` loader reads them (that it loads and runs is tests/local/test_m3_local.py), and that
adding it left the M2 files as they were."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest

from minimax_agent.dialect import dialect_named
from quantize import tiny, tiny_m3
from quantize.errors import QuantizeUsageError
from quantize.tiny_m3 import SIZES, write_tiny_m3_model

TEMPLATE = dialect_named("m3").default_template()


@pytest.fixture(scope="module")
def m3_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_m3_model(tmp_path_factory.mktemp("m3") / "m3.gguf", chat_template=TEMPLATE)


def _field(reader: gguf.GGUFReader, key: str) -> object:
    return reader.fields[key].contents()


def test_declares_minimax_m3_with_its_own_keys(m3_file: Path) -> None:
    r = gguf.GGUFReader(m3_file)
    shape = SIZES["tiny"]
    assert _field(r, "general.architecture") == "minimax-m3"
    assert _field(r, "minimax-m3.block_count") == shape.n_layer
    assert _field(r, "minimax-m3.leading_dense_block_count") == shape.n_dense
    assert _field(r, "minimax-m3.feed_forward_length") == shape.n_ff
    assert _field(r, "minimax-m3.expert_feed_forward_length") == shape.n_ff_exp
    assert _field(r, "minimax-m3.expert_shared_count") == shape.n_expert_shared
    # llama.cpp asserts one indexer head per KV head
    assert _field(r, "minimax-m3.attention.indexer.head_count") == shape.n_head_kv
    assert _field(r, "minimax-m3.attention.indexer.key_length") == shape.idx_dim
    assert _field(r, "minimax-m3.attention.indexer.block_size") == shape.idx_block
    assert _field(r, "minimax-m3.attention.indexer.local_blocks") == shape.idx_local
    assert _field(r, "tokenizer.chat_template") == TEMPLATE


def test_dense_blocks_lead_and_sparse_blocks_carry_experts_and_indexer(m3_file: Path) -> None:
    shape = SIZES["tiny"]
    shapes = {t.name: tuple(int(d) for d in t.shape) for t in gguf.GGUFReader(m3_file).tensors}
    # per-head q/k norms: one head_dim vector (M2's span the whole width)
    assert shapes["blk.0.attn_q_norm.weight"] == (shape.head_dim,)
    assert shapes["blk.0.ffn_gate.weight"] == (shape.n_embd, shape.n_ff)
    assert "blk.0.ffn_gate_exps.weight" not in shapes
    assert "blk.0.indexer.q_proj.weight" not in shapes
    n_exp, ff = shape.n_expert, shape.n_ff_exp
    assert shapes["blk.1.ffn_gate_exps.weight"] == (shape.n_embd, ff, n_exp)
    assert shapes["blk.1.ffn_down_shexp.weight"] == (ff * shape.n_expert_shared, shape.n_embd)
    assert shapes["blk.1.indexer.q_proj.weight"] == (shape.n_embd, shape.n_head_kv * shape.idx_dim)
    assert shapes["blk.1.indexer.k_norm.weight"] == (shape.idx_dim,)
    assert "blk.1.ffn_gate.weight" not in shapes


def test_the_vocabulary_holds_m3_s_special_tokens(m3_file: Path) -> None:
    r = gguf.GGUFReader(m3_file)
    tokens = [str(t) for t in _field(r, "tokenizer.ggml.tokens")]  # type: ignore[attr-defined]
    types = list(_field(r, "tokenizer.ggml.token_type"))  # type: ignore[call-overload]
    kind = dict(zip(tokens, types, strict=True))
    for text in ("]~!b[", "]~b]", "[e~["):
        assert kind[text] == gguf.TokenType.CONTROL
    for text in ("]<]minimax[>[", "<mm:think>", "</mm:think>"):
        assert kind[text] == gguf.TokenType.USER_DEFINED
    assert tokens[int(_field(r, "tokenizer.ggml.eos_token_id"))] == "[e~["  # type: ignore[call-overload]
    assert "<think>" not in kind  # M2's reasoning tags are not M3's


def test_same_seed_same_file_and_unknown_size_refused(tmp_path: Path) -> None:
    a = write_tiny_m3_model(tmp_path / "a.gguf", seed=3, chat_template=TEMPLATE)
    b = write_tiny_m3_model(tmp_path / "b.gguf", seed=3, chat_template=TEMPLATE)
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(QuantizeUsageError, match="unknown tiny model size"):
        write_tiny_m3_model(tmp_path / "c.gguf", "quant", chat_template=TEMPLATE)


def test_m3_shares_m2_s_byte_alphabet_and_filler_merges() -> None:
    m2_tokens, _, m2_merges = tiny.build_vocab(512)
    specials = (tiny_m3.CONTROL_TOKENS, tiny_m3.USER_DEFINED_TOKENS)
    tokens, types, merges = tiny.build_vocab(512, *specials)
    assert len(tokens) == len(types) == 512
    assert tokens[:256] == m2_tokens[:256]
    # one more special token than M2, so one filler (and its merge) fewer
    extra = len(tiny_m3.CONTROL_TOKENS + tiny_m3.USER_DEFINED_TOKENS) - len(
        tiny.CONTROL_TOKENS + tiny.USER_DEFINED_TOKENS
    )
    assert len(merges) == len(m2_merges) - extra
    assert set(merges) <= set(m2_merges)
