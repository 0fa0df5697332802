"""The MiniMax M2 family by name: M2, M2.1, M2.5 and M2.7 share one shape (230B total / 10B active,
62 layers, 256 experts with 8 active) and one wire format, so `models plan`, `models pull` and
`--model NAME` treat them alike and differ only in the name and where the GGUFs live.

The Hub repos below follow the names Unsloth gave its M2 and M2.1 GGUFs; those for M2.5 and M2.7
could not be checked from here (no network in development), which is why `pull --repo` exists.
The weights repos (`MiniMaxAI/...`) are MiniMax's own and are cited by third-party docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantize.errors import QuantizeUsageError


@dataclass(frozen=True)
class M2Model:
    name: str  # as MiniMax names it, e.g. MiniMax-M2.5
    gguf_repo: str  # the Hub repo `models pull` fetches from by default
    weights_repo: str  # MiniMax's own safetensors release


# In release order. M2.7's weights carry a non-commercial licence.
M2_MODELS: tuple[M2Model, ...] = tuple(
    M2Model(name, f"unsloth/{name}-GGUF", f"MiniMaxAI/{name}")
    for name in ("MiniMax-M2", "MiniMax-M2.1", "MiniMax-M2.5", "MiniMax-M2.7")
)
DEFAULT_MODEL = "MiniMax-M2.1"  # what the user asked for; the other names are opt-in


def _key(name: str) -> str:
    # `MiniMax-M2.5`, `minimax-m2.5` and the short `M2.5` all name the same model.
    key = name.strip().lower()
    return key if key.startswith("minimax-") else f"minimax-{key}"


_BY_KEY = {_key(m.name): m for m in M2_MODELS}


def m2_model(name: str) -> M2Model:
    """The family member `name` names (any case, with or without `MiniMax-`); a
    QuantizeUsageError naming the known ones otherwise."""
    found = _BY_KEY.get(_key(name))
    if found is None:
        known = ", ".join(m.name for m in M2_MODELS)
        raise QuantizeUsageError(f"unknown model {name!r}; known: {known}")
    return found


def is_m2_name(name: str) -> bool:
    return _key(name) in _BY_KEY


def model_in(text: str) -> M2Model | None:
    """The family member a repo or file name is of (`unsloth/MiniMax-M2.5-GGUF`,
    `MiniMax-M2.7-Q4_K_M`), the longest name that fits; None when it names none."""
    low = text.lower()
    hits = []
    for m in M2_MODELS:
        at = low.find(m.name.lower())
        end = at + len(m.name)
        # `MiniMax-M2` must not claim `MiniMax-M2.1-...`: the name ends at a separator.
        if at >= 0 and (end == len(low) or not (low[end].isalnum() or low[end] == ".")):
            hits.append(m)
    return max(hits, key=lambda m: len(m.name), default=None)
