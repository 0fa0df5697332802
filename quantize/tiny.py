"""Small random-weight `minimax-m2` GGUF files, so tests and benchmarks run the real llama.cpp
without ever downloading a model.

The layout follows what llama.cpp's loader asks of the architecture (see `LLM_ARCH_MINIMAX_M2`):
per block q/k/v/output projections, RMS norms over the *whole* q and k widths (not per head), a
sigmoid router with a per-expert selection bias, and stacked `ffn_{gate,up,down}_exps` tensors.
The vocabulary is byte-level BPE (every byte has a token, so any text tokenizes) plus the M2
control tokens, and the chat template is the one the caller passes (the project's own).

`tiny_m3.py` writes `minimax-m3` files from the same pieces (`write_gguf`, `add_shape`, the
tensors of `tiny_tensors.py`); the M2 files stay byte for byte what they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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

ARCH = "minimax-m2"

# Control tokens frame turns and are hidden when detokenizing without `special`; the user-defined
# ones must come back as text, because the dialect parser reads them out of the generated output.
CONTROL_TOKENS = ("]~!b[", "]~b]", "[e~[")
USER_DEFINED_TOKENS = ("<think>", "</think>", "<minimax:tool_call>", "</minimax:tool_call>")
BOS_TEXT = "]~!b["
EOS_TEXT = "[e~["

# A few merges besides the fillers' (below), so the BPE path merges ordinary words too. They
# start with a capital letter, which no tag, tool name or parameter name of the M2 format holds:
# a random model spells those one byte token at a time, the way they tokenize back.
_MERGES = (
    ("T", "h"),
    ("Th", "e"),
    ("Ġ", "The"),
    ("I", "t"),
    ("Ġ", "It"),
)


S = TypeVar("S", bound="TinyShape")


SIZES: dict[str, TinyShape] = {
    # Loads in milliseconds; the file is about 0.3 MB.
    "tiny": TinyShape(
        n_layer=2,
        n_embd=64,
        n_head=4,
        n_head_kv=2,
        head_dim=16,
        n_rot=8,
        n_expert=8,
        n_expert_used=2,
        n_ff_exp=32,
    ),
    # Every row length a multiple of 256, so K-quants (Q4_K_M...) apply to every matrix.
    "quant": TinyShape(
        n_layer=2,
        n_embd=256,
        n_head=4,
        n_head_kv=2,
        head_dim=64,
        n_rot=32,
        n_expert=8,
        n_expert_used=2,
        n_ff_exp=256,
        n_vocab=512,
    ),
    # A few hundred MB: big enough that load time, RSS and CPU decode speed mean something.
    "bench": TinyShape(
        n_layer=6,
        n_embd=1024,
        n_head=16,
        n_head_kv=4,
        head_dim=64,
        n_rot=32,
        n_expert=16,
        n_expert_used=4,
        n_ff_exp=512,
        n_vocab=16384,
    ),
}


def _byte_alphabet() -> list[str]:
    """The byte-level BPE alphabet: printable bytes stand for themselves, the rest are shifted
    past U+0100 so that every byte has a visible, whitespace-free character."""
    kept = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    extra = 0
    chars = []
    for b in range(256):
        if b in kept:
            chars.append(chr(b))
        else:
            chars.append(chr(0x100 + extra))
            extra += 1
    return chars


def build_vocab(
    n_vocab: int = 0,
    control: tuple[str, ...] = CONTROL_TOKENS,
    user_defined: tuple[str, ...] = USER_DEFINED_TOKENS,
) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges for the byte-level vocabulary (padded to `n_vocab`),
    with `control` and `user_defined` special tokens (M2's unless told; `tiny_m3` passes M3's)."""
    import gguf

    tokens = _byte_alphabet()
    types = [int(gguf.TokenType.NORMAL)] * len(tokens)
    fixed = len(tokens) + len(_MERGES) + len(control) + len(user_defined)
    fillers = _fillers(max(0, n_vocab - fixed))
    # The fillers' merges rank first, so that text a random model writes with them tokenizes
    # back into the same tokens (below).
    merges = [f"{text[:-1]} {text[-1]}" for text in fillers]
    merges += [f"{left} {right}" for left, right in _MERGES]
    tokens += [left + right for left, right in _MERGES]
    types += [int(gguf.TokenType.NORMAL)] * len(_MERGES)
    for text in control:
        tokens.append(text)
        types.append(int(gguf.TokenType.CONTROL))
    for text in user_defined:
        tokens.append(text)
        types.append(int(gguf.TokenType.USER_DEFINED))
    tokens += fillers
    types += [int(gguf.TokenType.NORMAL)] * len(fillers)
    return tokens, types, merges


def _fillers(count: int) -> list[str]:
    """`count` printable tokens that pad the vocabulary: `Qa`..`Qz`, `Qaa`.., `Qaaa`...

    A random model samples mostly these. Each is one word to the M2 pre-tokenizer (an upper-case
    letter, then lower-case ones, so the next filler starts a new word) and is built by merges
    from its own prefix, so text made of fillers tokenizes back into the tokens that wrote it.
    A server that re-tokenizes an earlier turn (llama-server) then finds its prompt cache intact,
    as it would with a real model, whose output is its tokenizer's own spelling."""
    import itertools
    import string

    out: list[str] = []
    for length in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=length):
            if len(out) == count:
                return out
            out.append("Q" + "".join(letters))
    return out


def write_tiny_model(
    path: Path | str,
    size: str = "tiny",
    seed: int = 0,
    *,
    chat_template: str,
    dtype: str = "f16",
) -> Path:
    """Write a random-weight `minimax-m2` GGUF of the named size ("tiny", "quant" or "bench")
    to `path` (overwriting it) and return the path. Same size and seed give the same file.
    `chat_template` is the text stored as `tokenizer.chat_template` (the caller's dialect's,
    or "" for a file without one); this library knows no dialect.
    `dtype` ("f16" or "f32") is the type of the weight matrices; norms and router stay f32."""

    def add_keys(writer: gguf.GGUFWriter, shape: TinyShape) -> None:
        # llama.cpp sizes the expert tensors from feed_forward_length, as in the real M2 files.
        add_shape(writer, shape, n_ff=shape.n_ff_exp)

    vocab = (CONTROL_TOKENS, USER_DEFINED_TOKENS)
    return write_gguf(
        path, ARCH, size, seed, SIZES, chat_template, dtype, vocab, add_keys, _tensors
    )


def write_gguf(
    path: Path | str,
    arch: str,
    size: str,
    seed: int,
    sizes: Mapping[str, S],
    chat_template: str,
    dtype: str,
    vocab: tuple[tuple[str, ...], tuple[str, ...]],
    add_keys: Callable[[gguf.GGUFWriter, S], None],
    tensors: Callable[[S, int, Weights], list[tuple[str, np.ndarray]]],
) -> Path:
    """What every tiny writer does, in the order the file depends on: the shape named `size`,
    the name and file type, the architecture's keys (`add_keys`), the tokenizer with `vocab`'s
    (control, user-defined) tokens, then `tensors` drawn from a generator seeded with `seed`."""
    import gguf
    import numpy as np

    shape = check_size(size, sizes)
    file_type, weight_dtype = weight_type(dtype)
    rng = np.random.default_rng(seed)
    tokens, types, merges = build_vocab(shape.n_vocab, *vocab)

    path = Path(path)
    writer = gguf.GGUFWriter(path, arch)
    writer.add_name(f"{arch} {size} random (seed {seed})")
    writer.add_file_type(file_type)
    add_keys(writer, shape)
    add_tokenizer(writer, tokens, types, merges, chat_template)
    finish(writer, tensors(shape, len(tokens), Weights(rng, weight_dtype)), tokens, merges)
    return path


def check_size(size: str, sizes: Mapping[str, S]) -> S:
    """The shape named `size` (QuantizeUsageError for a name not in `sizes`)."""
    from quantize.errors import QuantizeUsageError

    if size not in sizes:
        choices = ", ".join(sizes)
        raise QuantizeUsageError(f"unknown tiny model size {size!r}; choose one of: {choices}")
    return sizes[size]


def weight_type(dtype: str) -> tuple[int, np.dtype[Any]]:
    """The GGUF file type and the numpy type of the weight matrices for `dtype`."""
    import gguf
    import numpy as np

    from quantize.errors import QuantizeUsageError

    file_types = {"f16": gguf.LlamaFileType.MOSTLY_F16, "f32": gguf.LlamaFileType.ALL_F32}
    if dtype not in file_types:
        choices = ", ".join(file_types)
        raise QuantizeUsageError(f"unknown tiny model dtype {dtype!r}; choose one of: {choices}")
    return int(file_types[dtype]), np.dtype(np.float32 if dtype == "f32" else np.float16)


def add_shape(writer: gguf.GGUFWriter, shape: TinyShape, *, n_ff: int) -> None:
    """The hyperparameters M2 and M3 share (M3 adds its own after them); `n_ff` is
    feed_forward_length."""
    import gguf

    writer.add_context_length(shape.n_ctx_train)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_expert_feed_forward_length(shape.n_ff_exp)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_dimension_count(shape.n_rot)
    writer.add_rope_freq_base(5_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_expert_count(shape.n_expert)
    writer.add_expert_used_count(shape.n_expert_used)
    writer.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID)


def add_tokenizer(
    writer: gguf.GGUFWriter,
    tokens: list[str],
    types: list[int],
    merges: list[str],
    chat_template: str,
) -> None:
    """The byte-level BPE tokenizer; M3 shares M2's pre-tokenizer, BOS and EOS texts."""
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(ARCH)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index(BOS_TEXT))
    writer.add_eos_token_id(tokens.index(EOS_TEXT))
    # The template writes `]~!b[` itself; a second BOS from the tokenizer would corrupt the prompt.
    writer.add_add_bos_token(False)
    writer.add_chat_template(chat_template)


def finish(
    writer: gguf.GGUFWriter,
    arrays: list[tuple[str, np.ndarray]],
    tokens: list[str],
    merges: list[str],
) -> None:
    """Silence the merge prefixes (below), write the tensors and close the file."""
    silence(arrays, [tokens.index(left) for left in merge_prefixes(merges)])
    for name, array in arrays:
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def merge_prefixes(merges: list[str]) -> set[str]:
    """The tokens a merge extends (`Qab` of `Qab c`), bytes aside."""
    return {left for left, _ in (m.split(" ") for m in merges) if len(left) > 1}


def silence(arrays: list[tuple[str, np.ndarray]], token_ids: list[int]) -> None:
    """Zero the output rows of `token_ids`, so a random model (top-k sampling) never writes them.

    These are the tokens a merge extends: written and followed by the right letter (`Qoz`, `x`),
    they tokenize back as one token (`Qozx`), unlike anything a real model writes, and a server
    re-tokenizing the turn would lose its prompt cache there."""
    import gguf

    output = gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.OUTPUT] + ".weight"
    for name, array in arrays:
        if name == output:
            array[token_ids] = 0


def _tensors(shape: TinyShape, n_vocab: int, w: Weights) -> list[tuple[str, np.ndarray]]:
    """(name, array) pairs as llama.cpp names them for `minimax-m2` (gguf's own table)."""
    out = outer_tensors(shape, n_vocab, w)
    for i in range(shape.n_layer):
        out += attention_tensors(f"blk.{i}.", shape, w, per_head=False)
        out += expert_tensors(f"blk.{i}.", shape, w)
    return out
