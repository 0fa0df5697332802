"""`minimax-agent models quantize`: requantise a GGUF through llama.cpp's own quantizer.

Recipes:
- `default`: llama.cpp's mix for the type (e.g. Q4_K_M gives some ffn_down tensors Q6_K).
- `moe`: experts at the type, everything every token reads (attention, token embeddings, output)
  at Q8_0. On M2.1 those are ~4B of 228B weights, so this costs ~2 GB and spends the bits where
  every token pays for errors. The router (`ffn_gate_inp`) is never quantized by llama.cpp.

The attention override goes through `llama_model_quantize_params.tt_overrides` (regex -> type),
which the llama-cpp-python 0.3.36 bindings expose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from minimax_agent.errors import ModelFileError, UsageError
from quantize.footprint import QUANT_BPW
from quantize.inspect import GROUPS, ModelSummary, summarize

RECIPES = ("default", "moe")
# Tensors the `moe` recipe keeps at Q8_0 through a regex override (searched in the name).
MOE_ATTENTION_PATTERN = r"\.attn_(q|k|v|output)\.weight$"
Q8_BPW = 8.5
_UNQUANTIZED = {"F32", "F16", "BF16"}


def file_types() -> dict[str, int]:
    """Target type name -> llama_ftype value (gguf mirrors llama.cpp's enum)."""
    import gguf

    return {
        t.name.removeprefix("MOSTLY_"): int(t.value)
        for t in gguf.LlamaFileType
        if t.name.startswith("MOSTLY_")
    }


@dataclass(frozen=True)
class QuantizeJob:
    src: Path
    dst: Path
    qtype: str
    ftype: int
    recipe: str
    source: ModelSummary
    threads: int = 0  # 0: every core

    @property
    def requantize(self) -> bool:
        """The source is already quantized (allowed, but quality compounds losses)."""
        return self.source.file_type not in _UNQUANTIZED


def prepare(
    src: Path, dst: Path, qtype: str, recipe: str = "default", force: bool = False, threads: int = 0
) -> QuantizeJob:
    """Validate a quantization request without running it."""
    types = file_types()
    key = qtype.upper()
    if key not in types:
        raise UsageError(f"unknown quant type {qtype!r}; choose one of: {', '.join(types)}")
    if recipe not in RECIPES:
        raise UsageError(f"unknown recipe {recipe!r}; choose one of: {', '.join(RECIPES)}")
    source = summarize(src)
    if dst.exists() and not force:
        raise UsageError(f"{dst} exists; pass --force to overwrite it")
    if dst.resolve() == src.resolve():
        raise UsageError("the output must be a different file from the input")
    return QuantizeJob(src, dst, key, types[key], recipe, source, threads)


@dataclass(frozen=True)
class GroupEstimate:
    group: str
    source_bytes: int
    target: str  # what the group becomes
    estimated_bytes: int | None


def estimate(job: QuantizeJob) -> list[GroupEstimate]:
    """What each tensor group becomes and roughly how big (whole-file bits-per-weight figures;
    llama.cpp falls back to other types for rows that are not a multiple of the block size)."""
    bpw = QUANT_BPW.get(job.qtype)
    out = []
    for group in GROUPS:
        stats = job.source.groups.get(group)
        if stats is None or not stats.n_params:
            continue
        if group in ("router", "norms", "other"):
            out.append(GroupEstimate(group, stats.n_bytes, "unchanged", stats.n_bytes))
        elif job.recipe == "moe" and group in ("attention", "embeddings", "output"):
            out.append(
                GroupEstimate(group, stats.n_bytes, "Q8_0", int(stats.n_params * Q8_BPW / 8))
            )
        else:
            size = int(stats.n_params * bpw / 8) if bpw else None
            out.append(GroupEstimate(group, stats.n_bytes, job.qtype, size))
    return out


def run(job: QuantizeJob) -> Path:
    """Quantize `job.src` into `job.dst` (written beside it first, renamed when complete)."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = job.ftype
    params.nthread = job.threads
    params.allow_requantize = job.requantize
    keep: list[object] = []  # the override array and its strings must outlive the call
    if job.recipe == "moe":
        params.token_embedding_type = llama_cpp.GGML_TYPE_Q8_0
        params.output_tensor_type = llama_cpp.GGML_TYPE_Q8_0
        overrides = (llama_cpp.llama_model_tensor_override * 2)()
        pattern = MOE_ATTENTION_PATTERN.encode()
        overrides[0].pattern = pattern
        overrides[0].type = llama_cpp.GGML_TYPE_Q8_0
        # llama.cpp reads the array up to an entry with a null pattern
        overrides[1].pattern = None
        overrides[1].type = llama_cpp.GGML_TYPE_COUNT
        params.tt_overrides = ctypes.cast(
            overrides, ctypes.POINTER(llama_cpp.llama_model_tensor_override)
        )
        keep += [overrides, pattern]

    part = job.dst.with_name(job.dst.name + ".part")
    try:
        rc = llama_cpp.llama_model_quantize(
            os.fsencode(job.src), os.fsencode(part), ctypes.byref(params)
        )
        if rc != 0 or not part.exists():
            raise ModelFileError(f"{job.src}: llama.cpp could not quantize it (status {rc})")
        part.replace(job.dst)
    finally:
        part.unlink(missing_ok=True)
        del keep
    return job.dst
