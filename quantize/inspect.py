"""`minimax-agent models inspect`: what a GGUF file holds, from its header alone.

Only metadata and the tensor table are read (see `gguf_header`), so a 130 GB file answers as fast
as a tiny one. Split files (`NAME-00001-of-00003.gguf`) are summed over all their shards.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quantize.errors import ModelFileError
from quantize.gguf_header import ArrayRef, GGUFHeader, TensorInfo, read_header

GROUPS = ("embeddings", "attention", "router", "experts", "norms", "output", "other")
_SHARD = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")
_BLOCK = re.compile(r"^blk\.(\d+)\.")


def tensor_group(name: str) -> str:
    """Which placement group a tensor belongs to (what the planner moves as one piece)."""
    if name.startswith("token_embd."):
        return "embeddings"
    if name.startswith("output."):
        return "output"
    if "_norm" in name:
        return "norms"
    if "_exps." in name or "_shexp." in name:
        return "experts"
    if ".ffn_gate_inp." in name or ".exp_probs_b." in name:
        return "router"
    if ".attn_" in name:
        return "attention"
    return "other"


@dataclass
class GroupStats:
    n_params: int = 0
    n_bytes: int = 0
    types: dict[str, int] = field(default_factory=dict)  # ggml type -> bytes


@dataclass
class TokenInfo:
    id: int
    text: str | None


@dataclass
class TokenList:
    count: int  # how many tokens of this kind the vocabulary has
    tokens: list[TokenInfo]  # the first TOKENS_LISTED of them


# Enough for M2's chat and tool-call markers; a vocabulary with thousands of reserved tokens
# would otherwise flood the display and the JSON.
TOKENS_LISTED = 32
_SPECIAL_IDS = {
    "bos": "bos_token_id",
    "eos": "eos_token_id",
    "eot": "eot_token_id",
    "pad": "padding_token_id",
    "unk": "unknown_token_id",
}


@dataclass
class ModelSummary:
    paths: list[str]
    architecture: str
    name: str | None
    file_type: str
    file_bytes: int
    n_params: int
    n_tensors: int
    context_length: int | None
    has_chat_template: bool
    bos: TokenInfo | None
    eos: TokenInfo | None
    eot: TokenInfo | None
    pad: TokenInfo | None
    unk: TokenInfo | None
    control_tokens: TokenList  # tokenizer.ggml.token_type CONTROL
    user_defined_tokens: TokenList  # USER_DEFINED: special, but detokenized as text
    groups: dict[str, GroupStats]
    # Shape facts the planner needs; None where the file does not say.
    n_layer: int | None
    n_embd: int | None
    n_head: int | None
    n_head_kv: int | None
    head_dim: int | None
    n_expert: int | None
    n_expert_used: int | None
    expert_bytes_per_layer: list[int]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def shard_paths(path: Path) -> list[Path]:
    """All shards of a split GGUF given any one of them (or just `[path]` for a single file)."""
    match = _SHARD.match(path.name)
    if not match:
        return [path]
    count = int(match["count"])
    paths = [
        path.with_name(f"{match['stem']}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)
    ]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise ModelFileError(f"{path}: split model is missing shard(s) {', '.join(missing)}")
    return paths


def _file_type_name(value: Any, tensors: list[TensorInfo]) -> str:
    import gguf

    if isinstance(value, int):
        try:
            return gguf.LlamaFileType(value).name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            pass
    # No usable general.file_type: name the type holding the most bytes.
    by_type: Counter[str] = Counter()
    for t in tensors:
        by_type[t.type_name] += t.n_bytes
    return by_type.most_common(1)[0][0] if by_type else "unknown"


def _special_tokens(md: dict[str, Any]) -> dict[str, Any]:
    """The ModelSummary fields for special tokens. Token texts are read in one walk of the
    vocabulary, and only up to the last id needed."""
    import gguf

    ids = {name: md.get(f"tokenizer.ggml.{key}") for name, key in _SPECIAL_IDS.items()}
    types = md.get("tokenizer.ggml.token_type")
    all_types = types.values() if isinstance(types, ArrayRef) else (types or [])
    kinds: dict[str, list[int]] = {"control_tokens": [], "user_defined_tokens": []}
    for token_id, kind in enumerate(all_types):
        if kind == gguf.TokenType.CONTROL:
            kinds["control_tokens"].append(token_id)
        elif kind == gguf.TokenType.USER_DEFINED:
            kinds["user_defined_tokens"].append(token_id)

    tokens = md.get("tokenizer.ggml.tokens")
    n_vocab = tokens.count if isinstance(tokens, ArrayRef) else len(tokens or [])
    wanted = [i for i in ids.values() if isinstance(i, int) and 0 <= i < n_vocab]
    wanted += [i for listed in kinds.values() for i in listed[:TOKENS_LISTED]]
    if isinstance(tokens, ArrayRef):
        texts: dict[int, str] = tokens.items(wanted)
    else:
        texts = {i: tokens[i] for i in wanted} if tokens else {}

    def info(token_id: int) -> TokenInfo:
        return TokenInfo(token_id, texts.get(token_id))

    out: dict[str, Any] = {name: info(i) if isinstance(i, int) else None for name, i in ids.items()}
    for field_name, listed in kinds.items():
        out[field_name] = TokenList(len(listed), [info(i) for i in listed[:TOKENS_LISTED]])
    return out


def summarize(path: Path | str) -> ModelSummary:
    """Read the header(s) of a GGUF model and summarize it. Raises `ModelFileError`."""
    paths = shard_paths(Path(path))
    headers: list[GGUFHeader] = [read_header(p) for p in paths]
    first = headers[0]
    md = first.metadata
    declared = md.get("split.count")
    if isinstance(declared, int) and declared != len(headers):
        raise ModelFileError(f"{path}: header says {declared} shards, found {len(headers)}")
    arch = str(md.get("general.architecture", "unknown"))
    tensors = [t for h in headers for t in h.tensors]

    groups = {g: GroupStats() for g in GROUPS}
    expert_layers: dict[int, int] = {}
    for t in tensors:
        group = groups[tensor_group(t.name)]
        group.n_params += t.n_elements
        group.n_bytes += t.n_bytes
        group.types[t.type_name] = group.types.get(t.type_name, 0) + t.n_bytes
        if tensor_group(t.name) == "experts" and (m := _BLOCK.match(t.name)):
            layer = int(m.group(1))
            expert_layers[layer] = expert_layers.get(layer, 0) + t.n_bytes

    def key(name: str) -> Any:
        return md.get(f"{arch}.{name}")

    n_head, n_embd = key("attention.head_count"), key("embedding_length")
    head_dim = key("attention.key_length")
    if head_dim is None and isinstance(n_head, int) and isinstance(n_embd, int) and n_head:
        head_dim = n_embd // n_head
    n_layer = key("block_count")
    per_layer = (
        [expert_layers.get(i, 0) for i in range(n_layer)] if isinstance(n_layer, int) else []
    )

    return ModelSummary(
        paths=[str(p) for p in paths],
        architecture=arch,
        name=md.get("general.name"),
        file_type=_file_type_name(md.get("general.file_type"), tensors),
        file_bytes=sum(h.file_size for h in headers),
        n_params=sum(t.n_elements for t in tensors),
        n_tensors=len(tensors),
        context_length=key("context_length"),
        has_chat_template=bool(md.get("tokenizer.chat_template")),
        **_special_tokens(md),
        groups={g: s for g, s in groups.items() if s.n_params or g != "other"},
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head if isinstance(n_head, int) else None,
        n_head_kv=_scalar(key("attention.head_count_kv")),
        head_dim=head_dim,
        n_expert=key("expert_count"),
        n_expert_used=key("expert_used_count"),
        expert_bytes_per_layer=per_layer,
    )


def _scalar(value: Any) -> int | None:
    # Per-layer arrays are allowed by GGUF for head counts; the planner needs the largest.
    if isinstance(value, list):
        return max(value) if value else None
    return value if isinstance(value, int) else None


def human_bytes(n: float, digits: int = 2) -> str:
    """`n` bytes in binary units: `512 B`, `1.50 KiB`; `digits` after the point above bytes."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.{digits}f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def human_count(n: int) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.2f}{suffix}"
    return str(n)
