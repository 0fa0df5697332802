"""`models inspect`: header-only summaries, split files, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import pytest
from typer.testing import CliRunner

from minimax_agent.cli.models import models_app
from quantize.errors import ModelFileError
from quantize.inspect import TOKENS_LISTED, summarize, tensor_group
from quantize.tiny import CONTROL_TOKENS, USER_DEFINED_TOKENS
from tests.quantize.m21_file import M21_BOS, M21_EOS, M21_RESERVED, M21_TURN

# M2.1 by hand: hidden 3072, 48 q heads and 8 kv heads of 128, 256 experts of 1536, 62 layers.
ATTN_PARAMS = 62 * 3072 * (6144 + 1024 + 1024) + 62 * 6144 * 3072  # 2_730_491_904
EXPERT_PARAMS = 62 * 3 * 256 * 3072 * 1536  # 224_680_476_672
ROUTER_PARAMS = 62 * (3072 * 256 + 256)  # 48_774_656
NORM_PARAMS = 62 * (3072 + 3072 + 6144 + 1024) + 3072  # 828_416
EMBD_PARAMS = 200064 * 3072  # 614_596_608
# Q4_K: 144 bytes per 256 weights; Q6_K: 210 bytes per 256.
EXPERT_BYTES = 62 * 256 * (2 * 3072 * 1536 // 256 * 144 + 3072 * 1536 // 256 * 210)


def test_tiny_groups(tiny_gguf: Path) -> None:
    s = summarize(tiny_gguf)
    assert s.architecture == "minimax-m2"
    assert s.file_type == "F16"
    assert s.has_chat_template
    assert s.eos is not None and s.eos.text == "[e~["
    assert s.bos is not None and s.bos.text == "]~!b["
    n_vocab = s.groups["embeddings"].n_params // 64
    attn = 2 * (64 * 64 + 64 * 32 + 64 * 32 + 64 * 64)
    assert s.groups["attention"].n_params == attn
    assert s.groups["attention"].types == {"F16": 2 * attn}
    assert s.groups["experts"].n_params == 2 * 3 * 8 * 64 * 32
    assert s.groups["router"].n_params == 2 * (8 * 64 + 8)
    assert s.groups["norms"].n_params == 2 * (64 + 64 + 64 + 32) + 64
    assert s.groups["output"].n_params == 64 * n_vocab
    assert s.n_params == sum(g.n_params for g in s.groups.values())
    assert s.file_bytes == tiny_gguf.stat().st_size
    assert (s.n_layer, s.n_head_kv, s.head_dim, s.n_expert, s.n_expert_used) == (2, 2, 16, 8, 2)


def test_m21_header_only_file(m21_gguf: Path) -> None:
    # 148 GB as far as the file system says, ~3 MB on disk: only the header is ever read.
    assert m21_gguf.stat().st_size > 140e9
    s = summarize(m21_gguf)
    assert s.file_type == "Q4_K_M"
    assert s.context_length == 196608
    assert s.groups["attention"].n_params == ATTN_PARAMS
    assert s.groups["experts"].n_params == EXPERT_PARAMS
    assert s.groups["experts"].n_bytes == EXPERT_BYTES
    assert set(s.groups["experts"].types) == {"Q4_K", "Q6_K"}
    assert s.groups["router"].n_params == ROUTER_PARAMS
    assert s.groups["norms"].n_params == NORM_PARAMS
    assert s.groups["embeddings"].n_params == s.groups["output"].n_params == EMBD_PARAMS
    assert s.n_params == ATTN_PARAMS + EXPERT_PARAMS + ROUTER_PARAMS + NORM_PARAMS + 2 * EMBD_PARAMS
    assert s.bos is not None and (s.bos.id, s.bos.text) == (M21_BOS, "]~!b[")
    assert s.eos is not None and (s.eos.id, s.eos.text) == (M21_EOS, "[e~[")
    assert len(s.expert_bytes_per_layer) == 62
    assert len(set(s.expert_bytes_per_layer)) == 1
    assert s.file_bytes == m21_gguf.stat().st_size


def test_special_tokens_of_the_tiny_model(tiny_gguf: Path) -> None:
    s = summarize(tiny_gguf)
    assert [t.text for t in s.control_tokens.tokens] == list(CONTROL_TOKENS)
    assert s.control_tokens.count == len(CONTROL_TOKENS)
    # M2's reasoning and tool-call markers are user-defined: special, yet detokenized as text
    assert [t.text for t in s.user_defined_tokens.tokens] == list(USER_DEFINED_TOKENS)
    assert {"<think>", "</think>", "<minimax:tool_call>"} <= set(USER_DEFINED_TOKENS)
    assert (s.eot, s.pad, s.unk) == (None, None, None)


def test_special_tokens_at_the_end_of_a_200k_vocabulary(m21_gguf: Path) -> None:
    s = summarize(m21_gguf)
    control = s.control_tokens
    assert control.count == 3 + len(M21_RESERVED)
    assert len(control.tokens) == TOKENS_LISTED
    assert [(t.id, t.text) for t in control.tokens[:4]] == [
        (M21_BOS, "]~!b["),
        (M21_EOS, "[e~["),
        (M21_TURN, "]~b]"),
        (M21_RESERVED[0], f"<reserved_{M21_RESERVED[0]}>"),
    ]
    assert s.user_defined_tokens.count == 0


def test_eot_pad_unk_from_a_short_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "v.gguf"
    w = gguf.GGUFWriter(path, "minimax-m2")
    tokens = ["a", "b", "<unk>", "<pad>", "<eot>", "<|ctl|>"]
    w.add_token_list(tokens)  # short enough that the reader decodes it eagerly
    w.add_token_types([1, 1, 2, 3, 3, 3])
    w.add_unk_token_id(2)
    w.add_pad_token_id(3)
    w.add_eot_token_id(4)
    w.add_eos_token_id(99)  # out of range: the id is kept, the text is unknown
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    s = summarize(path)
    found = {k: (t.id, t.text) if t else None for k, t in vars(s).items() if k in SPECIAL}
    assert found == {
        "bos": None,
        "eos": (99, None),
        "eot": (4, "<eot>"),
        "pad": (3, "<pad>"),
        "unk": (2, "<unk>"),
    }
    assert [t.text for t in s.control_tokens.tokens] == ["<pad>", "<eot>", "<|ctl|>"]

    result = CliRunner().invoke(models_app, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 '<eot>'" in result.output and "2 '<unk>'" in result.output


SPECIAL = ("bos", "eos", "eot", "pad", "unk")


def test_split_model_sums_every_shard(m21_split: list[Path], m21_gguf: Path) -> None:
    assert len(m21_split) == 3
    whole = summarize(m21_gguf)
    for shard in m21_split:  # any shard names the whole model
        s = summarize(shard)
        assert s.paths == [str(p) for p in m21_split]
        assert s.n_params == whole.n_params
        assert s.groups["experts"].n_bytes == whole.groups["experts"].n_bytes
        assert s.file_bytes == sum(p.stat().st_size for p in m21_split)
        assert s.file_type == "Q4_K_M"


def test_missing_shard(m21_split: list[Path], tmp_path: Path) -> None:
    first = tmp_path / m21_split[0].name
    first.symlink_to(m21_split[0])
    with pytest.raises(ModelFileError, match="missing shard"):
        summarize(first)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "not a GGUF file"),
        (b"PK\x03\x04" + b"\0" * 100, "not a GGUF file"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        summarize(path)


def test_truncated_data(tiny_gguf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    data = tiny_gguf.read_bytes()
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(ModelFileError, match="truncated GGUF file"):
        summarize(cut)


def test_truncated_header(tiny_gguf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_gguf.read_bytes()[:2000])
    with pytest.raises(ModelFileError, match="truncated GGUF header"):
        summarize(cut)


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("token_embd.weight", "embeddings"),
        ("output.weight", "output"),
        ("output_norm.weight", "norms"),
        ("blk.3.attn_q_norm.weight", "norms"),
        ("blk.3.attn_v.weight", "attention"),
        ("blk.3.ffn_gate_inp.weight", "router"),
        ("blk.3.exp_probs_b.bias", "router"),
        ("blk.3.ffn_down_exps.weight", "experts"),
        ("rope_freqs.weight", "other"),
    ],
)
def test_tensor_group(name: str, group: str) -> None:
    assert tensor_group(name) == group


def test_cli_json(m21_gguf: Path) -> None:
    result = CliRunner().invoke(models_app, ["inspect", str(m21_gguf), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["architecture"] == "minimax-m2"
    assert data["groups"]["experts"]["n_params"] == EXPERT_PARAMS
    assert data["eos"] == {"id": M21_EOS, "text": "[e~["}


def test_cli_table(tiny_gguf: Path) -> None:
    result = CliRunner().invoke(models_app, ["inspect", str(tiny_gguf)])
    assert result.exit_code == 0, result.output
    for word in ("minimax-m2", "experts", "router", "F16", "chat template"):
        assert word in result.output
    # token texts shown as they are, not taken for rich markup
    assert "3: ']~!b[' ']~b]' '[e~['" in result.output
    assert "'<think>' '</think>' '<minimax:tool_call>'" in result.output


def test_cli_table_caps_the_token_list(m21_gguf: Path) -> None:
    result = CliRunner().invoke(models_app, ["inspect", str(m21_gguf)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    more = 3 + len(M21_RESERVED) - TOKENS_LISTED
    assert f"(+{more} more)" in result.output
    assert f"<reserved_{M21_RESERVED[-1]}>" not in result.output


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(models_app, ["inspect", str(tmp_path / "nope.gguf")])
    assert result.exit_code == 3
    assert result.output.strip().count("\n") == 0
    assert "no such file" in result.output
