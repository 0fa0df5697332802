"""From settings and a GGUF header to llama.cpp load parameters, each choice explained.

Nothing here loads the model: the header alone (read by `quantize.inspect`) says whether the file
is a complete GGUF of a MiniMax architecture, how big its KV cache gets per token, and where its
expert tensors are, so errors come before llama.cpp spends minutes mapping 100+ GB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.dialect import ARCHITECTURES
from minimax_agent.errors import ConfigError, ModelFileError

if TYPE_CHECKING:
    from minimax_agent.backends.local.native import Device, LoadParams
    from minimax_agent.config_sections import LocalSettings
    from quantize.inspect import ModelSummary

MINIMAX_ARCHS = ARCHITECTURES  # those some dialect reads
# The ggml type llama.cpp keeps each KV cache type in (its bytes per value: quantize.footprint).
KV_GGML_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}
EXPERT_TENSORS = r"ffn_(up|down|gate)_exps"
FALLBACK_CTX = 4096
MIN_CTX = 512
RESERVE = 1 << 30  # compute buffers, the runtime and everything else on the machine


@dataclass
class LoadPlan:
    """How llama.cpp loads one model file, and why (`notes`: one line per choice)."""

    params: LoadParams
    summary: ModelSummary
    notes: list[str] = field(default_factory=list)


def human(n: float) -> str:
    """Bytes as the plan's notes and `doctor` show them: one digit after the point."""
    from quantize.inspect import human_bytes

    return human_bytes(n, digits=1)


def inspect_model(path: Path) -> ModelSummary:
    """The header of a MiniMax GGUF; `ModelFileError` for anything else."""
    from quantize.inspect import summarize

    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a GGUF file")
    summary = summarize(path)
    if summary.architecture not in MINIMAX_ARCHS:
        raise ModelFileError(
            f"{path}: architecture {summary.architecture!r} is not a MiniMax model "
            f"(expected {', '.join(MINIMAX_ARCHS)}); minimax-agent speaks the MiniMax-M2.x "
            "and M3 prompt and tool-call formats only"
        )
    return summary


def ram_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def kv_bytes_per_token(summary: ModelSummary, kv_type: str) -> int:
    from quantize.footprint import kv_bytes_per_token as per_token

    n_layer, n_kv, head = summary.n_layer or 0, summary.n_head_kv or 0, summary.head_dim or 0
    return int(per_token(n_layer, n_kv, head, kv_type))


def cpu_moe_layers(value: int | str | None, n_layer: int) -> int:
    if value is None:
        return 0
    if value == "all":
        return n_layer
    if not isinstance(value, int) or value < 0:
        raise ConfigError(f"cpu_moe must be a number of layers or 'all', not {value!r}")
    return min(value, n_layer)


def cpu_moe_patterns(layers: int, n_layer: int) -> tuple[str, ...]:
    """Tensor-name regexes (llama.cpp matches them with regex_search) for the expert tensors of
    the first `layers` blocks, as llama.cpp's `--n-cpu-moe` picks them."""
    if layers <= 0:
        return ()
    if layers >= n_layer:
        return (rf"\.{EXPERT_TENSORS}",)
    blocks = "|".join(str(i) for i in range(layers))
    return (rf"^blk\.({blocks})\.{EXPERT_TENSORS}",)


def choose_gpu_layers(
    settings: LocalSettings, gpus: list[Device], offload: bool
) -> tuple[int, str]:
    if settings.gpu_layers is not None:
        return settings.gpu_layers, f"gpu layers {settings.gpu_layers} (set)"
    if offload and gpus:
        return -1, f"gpu layers: all (llama.cpp has a GPU backend: {gpus[0].description})"
    return 0, "gpu layers: 0 (this llama.cpp build has no GPU backend)"


def choose_n_ctx(
    settings: LocalSettings,
    summary: ModelSummary,
    *,
    on_gpu: bool,
    gpus: list[Device],
    cpu_moe: int,
) -> tuple[int, str]:
    maximum = summary.context_length or FALLBACK_CTX
    if settings.n_ctx is not None:
        over = f", above the model's maximum of {maximum}" if settings.n_ctx > maximum else ""
        return settings.n_ctx, f"n_ctx {settings.n_ctx} (set{over})"
    per_token = kv_bytes_per_token(summary, settings.kv_type)
    if per_token <= 0:
        return maximum, f"n_ctx {maximum}: the model's maximum (KV size unknown from the header)"
    if on_gpu:
        experts = sum(summary.expert_bytes_per_layer[:cpu_moe])
        free = sum(g.free_bytes for g in gpus)
        budget = free - (summary.file_bytes - experts) - RESERVE
        where = f"free VRAM ({human(free)}, less the weights kept there)"
    else:
        available = ram_available()
        if available is None:
            return maximum, f"n_ctx {maximum}: the model's maximum (free memory unknown)"
        free = available
        budget = free - summary.file_bytes - RESERVE
        where = f"available RAM ({human(free)}, less the weights)"
    need = per_token * maximum
    kv = f"{settings.kv_type} KV cache"
    if budget >= need:
        return (
            maximum,
            f"n_ctx {maximum}: the model's maximum; its {kv} ({human(need)}) fits {where}",
        )
    fit = max(MIN_CTX, min(maximum, budget // per_token) // 256 * 256)
    return fit, (
        f"n_ctx {fit}: capped by memory; the model's maximum of {maximum} needs {human(need)} "
        f"of {kv}, more than {where} leaves"
    )


def load_mode(mmap: bool | None, mlock: bool) -> int:
    # llama_load_mode: -1 auto, 0 none, 1 mmap, 2 mlock, 3 mmap + mlock
    if mmap is None:
        return 3 if mlock else -1
    if mmap:
        return 3 if mlock else 1
    return 2 if mlock else 0


def flash_attn_type(setting: bool | None, quantized_kv: bool) -> int:
    # llama_flash_attn_type: -1 auto, 0 off, 1 on. A quantized V cache only works with flash
    # attention, so a quantized KV type switches it on rather than leave it to `auto`.
    if setting or quantized_kv:
        return 1
    return -1 if setting is None else 0


def plan(settings: LocalSettings, path: Path) -> LoadPlan:
    from minimax_agent.backends.local.native import LoadParams, build_facts, devices

    summary = inspect_model(path)
    facts = build_facts()
    gpus = [d for d in devices() if d.kind != "CPU"]
    gpu_layers, gpu_note = choose_gpu_layers(settings, gpus, facts["gpu_offload"])
    n_layer = summary.n_layer or 0
    moe = cpu_moe_layers(settings.cpu_moe, n_layer)
    n_ctx, ctx_note = choose_n_ctx(
        settings, summary, on_gpu=gpu_layers != 0 and bool(gpus), gpus=gpus, cpu_moe=moe
    )
    quantized_kv = settings.kv_type != "f16"
    if quantized_kv and settings.flash_attn is False:
        raise ConfigError(
            f"kv_type {settings.kv_type} needs flash attention (drop --no-flash-attn)"
        )
    threads = settings.threads or default_threads()
    params = LoadParams(
        path=path,
        n_ctx=n_ctx,
        gpu_layers=gpu_layers,
        threads=threads,
        threads_batch=threads,
        load_mode=load_mode(settings.mmap, settings.mlock),
        flash_attn=flash_attn_type(settings.flash_attn, quantized_kv),
        kv_type=KV_GGML_TYPES[settings.kv_type],
        cpu_patterns=cpu_moe_patterns(moe, n_layer),
    )
    notes = [ctx_note, gpu_note]
    if moe:
        notes.append(f"cpu-moe: expert tensors of {moe} of {n_layer} layers stay in system RAM")
    return LoadPlan(params, summary, notes)
