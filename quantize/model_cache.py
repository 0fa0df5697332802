"""The models directory: where `models pull` puts GGUF files and how `--model NAME` finds them.

The directory is `MINIMAX_AGENT_MODELS_DIR` when set, otherwise
`platformdirs.user_cache_dir("minimax-agent")/models` (`~/.cache/minimax-agent/models` on Linux).
A pulled repo lands in `<models>/<org>/<name>/`, its files at their paths in the repo.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from quantize.errors import QuantizeUsageError
from quantize.family import is_m2_name, m2_model, model_in

MODELS_DIR_ENV = "MINIMAX_AGENT_MODELS_DIR"
SHARD = re.compile(r"-(?P<no>\d{5})-of-(?P<count>\d{5})$")
# A quant name at the end of a file stem: Q4_K_M, IQ2_XXS, TQ1_0, BF16, Unsloth's UD-Q4_K_XL...
_QUANT = r"(?:UD-)?(?:[IT]?Q\d(?:_[A-Z0-9]+)*|BF16|F16|F32|MXFP4(?:_MOE)?)"
_QUANT_AT_END = re.compile(rf"(?:^|[-_.])(?P<quant>{_QUANT})$", re.IGNORECASE)
_QUANT_ONLY = re.compile(rf"^{_QUANT}$", re.IGNORECASE)


def quant_name(path: str) -> str | None:
    """The quant a GGUF path in a repo holds: from its file name, else from its folder."""
    parts = path.split("/")
    if not parts[-1].lower().endswith(".gguf") or parts[-1].lower().startswith("mmproj"):
        return None
    stem = SHARD.sub("", parts[-1][: -len(".gguf")])
    match = _QUANT_AT_END.search(stem)
    if match:
        return match["quant"].upper()
    if len(parts) > 1 and _QUANT_ONLY.match(parts[-2]):
        return parts[-2].upper()
    return None


def shard_count(path: str, found: int) -> int:
    """How many shards a split file's name says its set has (`-00001-of-00003`)."""
    match = SHARD.search(path.removesuffix(".gguf"))
    return int(match["count"]) if match else found


def models_dir() -> Path:
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("minimax-agent")) / "models"


@dataclass(frozen=True)
class CachedModel:
    name: str  # the file name without `.gguf` and shard suffix, e.g. MiniMax-M2.1-Q4_K_M
    repo: str  # ORG/NAME it was pulled from; "" for a file put straight into the directory
    files: tuple[Path, ...]  # shards in order
    shards_expected: int

    @property
    def path(self) -> Path:  # llama.cpp opens a split model by its first shard
        return self.files[0]

    @property
    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    @property
    def complete(self) -> bool:
        return len(self.files) == self.shards_expected


def cached_models(root: Path | None = None) -> list[CachedModel]:
    root = models_dir() if root is None else root
    if not root.is_dir():
        return []
    groups: dict[tuple[Path, str], list[Path]] = {}
    for path in sorted(root.rglob("*.gguf")):
        rel = path.relative_to(root)
        # huggingface_hub keeps partial downloads and bookkeeping under `.cache/`
        if any(part.startswith(".") for part in rel.parts):
            continue
        groups.setdefault((path.parent, cached_name(path)), []).append(path)
    models = []
    for (_, name), files in groups.items():
        rel = files[0].relative_to(root)
        repo = "/".join(rel.parts[:2]) if len(rel.parts) > 2 else ""
        models.append(CachedModel(name, repo, tuple(files), shard_count(rel.name, len(files))))
    return sorted(models, key=lambda m: (m.repo, m.name))


def cached_name(path: Path) -> str:
    """The name `resolve_model_name` knows a downloaded file by."""
    return SHARD.sub("", path.stem)


def resolve_model_name(name: str, root: Path | None = None) -> Path:
    """The file to load for a model name from the models directory: the model name
    (`MiniMax-M2.1-Q4_K_M`), a shard's file name, `ORG/NAME/model`, the bare quant (`Q4_K_M`)
    or the bare family name (`MiniMax-M2.5`) when only one model has it. A split model resolves
    to its first shard."""
    key = name.strip().removesuffix(".gguf").lower()
    root = models_dir() if root is None else root
    found = []
    for m in cached_models(root):
        names = {m.name, f"{m.repo}/{m.name}", *(f.stem for f in m.files)}
        quant = quant_name(f"{m.path.parent.name}/{m.path.name}")
        if key in {n.lower() for n in names} or (quant is not None and key == quant.lower()):
            found.append(m)
    if not found and is_m2_name(name):
        family = m2_model(name)
        found = [m for m in cached_models(root) if model_in(m.name) == family]
        if not found:
            raise QuantizeUsageError(
                f"no {family.name} model in {root}: `minimax-agent models pull --model "
                f"{family.name}` fetches one"
            )
    if not found:
        raise QuantizeUsageError(
            f"no model named {name!r} in {root}: `minimax-agent models list` shows what is "
            "there, `minimax-agent models pull` fetches one"
        )
    if len(found) > 1:
        choices = ", ".join(f"{m.repo}/{m.name}" if m.repo else m.name for m in found)
        raise QuantizeUsageError(f"{name!r} names several models; pick one of: {choices}")
    model = found[0]
    if not model.complete:
        raise QuantizeUsageError(
            f"{model.name} has {len(model.files)} of its {model.shards_expected} shards; "
            "run `minimax-agent models pull` again to finish it"
        )
    return model.path
