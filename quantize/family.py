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


# ---- the M3 format (MiniMax-M3, M3.1-Flash) ----------------------------------------------------


@dataclass(frozen=True)
class M3Shape:
    """What is published of an M3-format model's shape (MiniMax's model card, and llama.cpp's
    `minimax-m3.cpp`, which names 60 layers `428B_A23B`)."""

    total_params: int
    active_params: int
    n_layer: int
    n_expert: int
    n_expert_used: int
    n_ctx_train: int


M3_SHAPES: dict[str, M3Shape | None] = {
    "MiniMax-M3": M3Shape(428 * 10**9, 23 * 10**9, 60, 128, 4, 1_048_576),
    # M3.1-Flash (2026-10) speaks the M3 format, but its shape was not published where this
    # could be checked: the planner says so instead of guessing (plan its GGUF file instead).
    "MiniMax-M3.1-Flash": None,
}


def m3_name(name: str) -> str | None:
    """The M3-format model `name` names (any case, with or without `MiniMax-`), else None."""
    key = _key(name)
    return next((n for n in M3_SHAPES if _key(n) == key), None)


def m3_shape(name: str) -> M3Shape:
    """The published shape of the M3 model `name`; a QuantizeUsageError when it is unknown."""
    found = m3_name(name)
    if found is None:
        raise QuantizeUsageError(f"unknown model {name!r}; M3 models: {', '.join(M3_SHAPES)}")
    shape = M3_SHAPES[found]
    if shape is None:
        raise QuantizeUsageError(
            f"{found}: its shape (parameters, layers, experts) is not known to minimax-agent; "
            "plan its GGUF file instead: models plan FILE.gguf"
        )
    return shape
