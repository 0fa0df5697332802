"""The tiny random-weight minimax-m2 model: its file layout, and that the real llama.cpp runs it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gguf
import pytest

from quantize.errors import QuantizeUsageError
from quantize.tiny import SIZES, write_tiny_model
from tests.conftest import tiny_template


def _field(reader: gguf.GGUFReader, key: str) -> object:
    return reader.fields[key].contents()


def test_tiny_is_small_and_declares_minimax_m2(tiny_gguf: Path) -> None:
    assert tiny_gguf.stat().st_size < 1_000_000
    r = gguf.GGUFReader(tiny_gguf)
    assert _field(r, "general.architecture") == "minimax-m2"
    assert _field(r, "minimax-m2.block_count") == 2
    assert _field(r, "minimax-m2.embedding_length") == 64
    assert _field(r, "minimax-m2.attention.head_count") == 4
    assert _field(r, "minimax-m2.attention.head_count_kv") == 2
    assert _field(r, "minimax-m2.attention.key_length") == 16
    assert _field(r, "minimax-m2.rope.dimension_count") == 8
    assert _field(r, "minimax-m2.expert_count") == 8
    assert _field(r, "minimax-m2.expert_used_count") == 2
    assert _field(r, "minimax-m2.expert_feed_forward_length") == 32
    assert _field(r, "minimax-m2.expert_gating_func") == int(gguf.ExpertGatingFuncType.SIGMOID)
    assert _field(r, "tokenizer.ggml.model") == "gpt2"
    assert _field(r, "tokenizer.ggml.pre") == "minimax-m2"
    assert _field(r, "tokenizer.chat_template") == tiny_template()


def test_tensor_names_are_gguf_s_own_for_the_architecture(tiny_gguf: Path) -> None:
    templates = [gguf.TENSOR_NAMES[t] for t in gguf.MODEL_TENSORS[gguf.MODEL_ARCH.MINIMAXM2]]
    expected = set()
    for tpl in templates:
        suffix = "bias" if tpl.endswith("exp_probs_b") else "weight"
        if "{bid}" in tpl:
            expected |= {f"{tpl.format(bid=i)}.{suffix}" for i in range(2)}
        else:
            expected.add(f"{tpl}.{suffix}")
    names = {t.name for t in gguf.GGUFReader(tiny_gguf).tensors}
    assert names == expected


def test_tensor_shapes_follow_llama_cpp(tiny_gguf: Path) -> None:
    shapes = {t.name: tuple(int(d) for d in t.shape) for t in gguf.GGUFReader(tiny_gguf).tensors}
    n_vocab = shapes["token_embd.weight"][1]
    assert shapes["output.weight"] == (64, n_vocab)
    assert shapes["blk.0.attn_q.weight"] == (64, 4 * 16)
    assert shapes["blk.0.attn_k.weight"] == (64, 2 * 16)
    assert shapes["blk.0.attn_output.weight"] == (4 * 16, 64)
    # q/k norms span the full projection width, not one head
    assert shapes["blk.1.attn_q_norm.weight"] == (64,)
    assert shapes["blk.1.attn_k_norm.weight"] == (32,)
    assert shapes["blk.1.ffn_gate_inp.weight"] == (64, 8)
    assert shapes["blk.1.exp_probs_b.bias"] == (8,)
    assert shapes["blk.1.ffn_gate_exps.weight"] == (64, 32, 8)
    assert shapes["blk.1.ffn_up_exps.weight"] == (64, 32, 8)
    assert shapes["blk.1.ffn_down_exps.weight"] == (32, 64, 8)


def test_vocabulary_has_every_byte_and_the_m2_specials(tiny_gguf: Path) -> None:
    r = gguf.GGUFReader(tiny_gguf)
    tokens = _field(r, "tokenizer.ggml.tokens")
    types = _field(r, "tokenizer.ggml.token_type")
    assert isinstance(tokens, list) and isinstance(types, list)
    assert len(set(tokens)) == len(tokens)
    assert len({t for t in tokens if len(t) == 1}) >= 256
    kind = dict(zip(tokens, types, strict=True))
    for text in ("]~!b[", "]~b]", "[e~["):
        assert kind[text] == gguf.TokenType.CONTROL
    for text in ("<think>", "</think>", "<minimax:tool_call>", "</minimax:tool_call>"):
        assert kind[text] == gguf.TokenType.USER_DEFINED
    assert tokens[_field(r, "tokenizer.ggml.eos_token_id")] == "[e~["
    assert tokens[_field(r, "tokenizer.ggml.bos_token_id")] == "]~!b["
    assert _field(r, "tokenizer.ggml.add_bos_token") is False
    for merge in _field(r, "tokenizer.ggml.merges"):
        left, right = merge.split(" ")
        assert left in kind and right in kind and left + right in kind


def test_same_seed_same_bytes_other_seed_other_weights(tmp_path: Path) -> None:
    template = tiny_template()
    a = write_tiny_model(tmp_path / "a.gguf", seed=3, chat_template=template).read_bytes()
    b = write_tiny_model(tmp_path / "b.gguf", seed=3, chat_template=template).read_bytes()
    c = write_tiny_model(tmp_path / "c.gguf", seed=4, chat_template=template).read_bytes()
    # the name carries the seed; compare the tensor data only
    assert a[-100_000:] == b[-100_000:] != c[-100_000:]


def test_custom_chat_template(tmp_path: Path) -> None:
    path = write_tiny_model(tmp_path / "t.gguf", chat_template="{{ messages }}")
    assert _field(gguf.GGUFReader(path), "tokenizer.chat_template") == "{{ messages }}"


def test_unknown_size_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(QuantizeUsageError, match="unknown tiny model size 'huge'"):
        write_tiny_model(tmp_path / "x.gguf", size="huge", chat_template=tiny_template())


def test_unknown_dtype_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(QuantizeUsageError, match="unknown tiny model dtype 'bf16'"):
        write_tiny_model(tmp_path / "m.gguf", dtype="bf16", chat_template=tiny_template())


@pytest.mark.parametrize("size", ["quant", "bench"])
def test_k_quant_sizes_have_rows_in_multiples_of_256(size: str) -> None:
    s = SIZES[size]
    for row in (s.n_embd, s.n_head * s.head_dim, s.n_ff_exp):
        assert row % 256 == 0


def test_quant_size_file_rows_are_multiples_of_256(tmp_path: Path) -> None:
    path = write_tiny_model(tmp_path / "q.gguf", size="quant", chat_template=tiny_template())
    for t in gguf.GGUFReader(path).tensors:
        if len(t.shape) > 1:
            assert int(t.shape[0]) % 256 == 0, t.name


# ---- the real llama.cpp ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm(tiny_gguf: Path) -> Any:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    return llama_cpp.Llama(model_path=str(tiny_gguf), n_ctx=256, verbose=False, seed=7)


def test_llama_cpp_tokenizes_the_specials_as_single_tokens(llm: Any) -> None:
    ids = llm.tokenize(b"]~b]user\nhi[e~[\n", add_bos=False, special=True)
    pieces = [llm.detokenize([i], special=True) for i in ids]
    assert pieces[0] == b"]~b]"
    assert b"[e~[" in pieces
    assert b"".join(pieces) == b"]~b]user\nhi[e~[\n"
    assert llm.token_eos() == ids[pieces.index(b"[e~[")]


def test_llama_cpp_keeps_think_tags_as_text(llm: Any) -> None:
    ids = llm.tokenize(b"<think>x</think>", add_bos=False, special=False)
    assert len(ids) == 3
    assert llm.detokenize(ids) == b"<think>x</think>"


def test_llama_cpp_generates(llm: Any) -> None:
    out = llm.create_completion(
        "]~b]user\nhi[e~[\n]~b]ai\n<think>\n", max_tokens=4, temperature=1.0, seed=1
    )
    assert out["usage"]["completion_tokens"] >= 1
    assert re.search(r"minimax", llm.metadata["tokenizer.chat_template"])
