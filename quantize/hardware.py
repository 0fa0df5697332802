"""Memory sizes, GPU presets and detection for the fit planner.

Sizes are binary throughout: `48G`, `48GB` and `48GiB` all mean 48 x 2**30 bytes, because that is
how nvidia-smi and `free` count, and how cards marketed as "48 GB" are actually sized.
Bandwidths are decimal GB/s, as vendors publish them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

from quantize.errors import QuantizeUsageError

KIB, MIB, GIB, TIB = 1 << 10, 1 << 20, 1 << 30, 1 << 40
GB_S = 1e9

_UNITS = {"": None, "K": KIB, "M": MIB, "G": GIB, "T": TIB}
_SIZE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """`48G`, `48GB`, `48GiB`, `128g`, `512M`, `1.5T` -> bytes. A unit is required."""
    match = _SIZE.match(text)
    if not match:
        raise QuantizeUsageError(
            f"bad size {text!r}: use a number and a unit, e.g. 48G, 48GB, 512M"
        )
    scale = _UNITS[match["unit"].upper()]
    if scale is None:
        raise QuantizeUsageError(
            f"bad size {text!r}: add a unit (K, M, G or T), e.g. {text.strip()}G"
        )
    return int(float(match["num"]) * scale)


@dataclass(frozen=True)
class GpuPreset:
    name: str
    memory: int  # bytes the driver reports, not the marketing figure
    bandwidth: float  # peak bytes/s


# Memory figures are nvidia-smi's memory.total for each card (ECC on where it is the default,
# which is why an L40S reports about 45 GiB).
GPU_PRESETS: dict[str, GpuPreset] = {
    "l40s": GpuPreset("NVIDIA L40S", 46068 * MIB, 864 * GB_S),
    "rtx6000ada": GpuPreset("NVIDIA RTX 6000 Ada", 49140 * MIB, 960 * GB_S),
    "rtx-pro-6000": GpuPreset("NVIDIA RTX PRO 6000 Blackwell", 97887 * MIB, 1792 * GB_S),
    "4090": GpuPreset("NVIDIA GeForce RTX 4090", 24564 * MIB, 1008 * GB_S),
    "3090": GpuPreset("NVIDIA GeForce RTX 3090", 24576 * MIB, 936 * GB_S),
    # SXM figure; an H100 PCIe reads about 2000 GB/s, pass --gpu-bw 2000 for one.
    "h100": GpuPreset("NVIDIA H100 80GB", 81559 * MIB, 3350 * GB_S),
}

# Substrings of nvidia-smi names -> preset, to pick a bandwidth for a detected card.
_NAME_HINTS = (
    ("L40S", "l40s"),
    ("RTX 6000 Ada", "rtx6000ada"),
    ("RTX PRO 6000", "rtx-pro-6000"),
    ("4090", "4090"),
    ("3090", "3090"),
    ("H100", "h100"),
)

DEFAULT_GPU_BANDWIDTH = 900 * GB_S
# Dual-channel DDR5-5600 peaks near 90 GB/s; desktop boards rarely sustain more than ~80.
DEFAULT_CPU_BANDWIDTH = 80 * GB_S


def gpu_preset(name: str) -> GpuPreset:
    key = name.lower().replace("_", "-")
    if key not in GPU_PRESETS:
        raise QuantizeUsageError(
            f"unknown GPU preset {name!r}; choose one of: {', '.join(GPU_PRESETS)}"
        )
    return GPU_PRESETS[key]


def detect_gpu() -> GpuPreset | None:
    """The first NVIDIA GPU as nvidia-smi reports it, or None without a driver."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    first = out.strip().splitlines()[0] if out.strip() else ""
    name, _, mib = first.rpartition(",")
    try:
        memory = int(float(mib.strip())) * MIB
    except ValueError:
        return None
    name = name.strip()
    key = preset_key(name)
    bandwidth = GPU_PRESETS[key].bandwidth if key else DEFAULT_GPU_BANDWIDTH
    return GpuPreset(name, memory, bandwidth)


def preset_key(gpu_name: str) -> str | None:
    """The preset whose bandwidth figure applies to a card named like nvidia-smi names it."""
    for hint, key in _NAME_HINTS:
        if hint.lower() in gpu_name.lower():
            return key
    return None


def detect_ram() -> int:
    """Total physical memory in bytes (0 where the platform does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def measure_cpu_bandwidth(size: int = 256 * MIB, passes: int = 3) -> float | None:
    """System RAM bandwidth in bytes/s: the best of `passes` numpy copies of `size` bytes, split
    over every core (llama.cpp reads the CPU-held experts with all its threads, and one core
    alone reaches a fraction of a server's bandwidth). Each byte copied counts twice, read and
    written, as in STREAM's Copy. The default size is past the L3 cache of desktop and most
    server CPUs. Takes a few tenths of a second; None when it cannot run."""
    from concurrent.futures import ThreadPoolExecutor
    from itertools import pairwise

    import numpy as np

    threads = min(os.cpu_count() or 1, 64)
    try:
        src = np.ones(size // 8)
        dst = src.copy()  # touches every page, so the timed copies do not fault them in
    except MemoryError:
        return None
    bounds = [len(src) * i // threads for i in range(threads + 1)]
    parts = [(dst[a:b], src[a:b]) for a, b in pairwise(bounds)]
    best = float("inf")
    # The first pass is enough on a slow or busy machine: the plan must not wait on it.
    deadline = time.perf_counter() + 0.3
    # numpy releases the GIL while it copies, so the threads copy in parallel.
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(passes):
            started = time.perf_counter()
            list(pool.map(lambda part: np.copyto(*part), parts))
            best = min(best, time.perf_counter() - started)
            if time.perf_counter() > deadline:
                break
    return 2 * src.nbytes / best if best > 0 else None
