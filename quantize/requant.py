"""`minimax-agent models quantize`: requantise a GGUF through llama.cpp's own quantizer.

Recipes:
- `default`: llama.cpp's mix for the type (e.g. Q4_K_M gives some ffn_down tensors Q6_K).
- `moe`: experts at the type, everything every token reads (attention, token embeddings, output)
  at Q8_0. On M2.1 those are ~4B of 228B weights, so this costs ~2 GB and spends the bits where
  every token pays for errors. The router (`ffn_gate_inp`) is never quantized by llama.cpp.

The attention override goes through `llama_model_quantize_params.tt_overrides` (regex -> type),
which the llama-cpp-python 0.3.36 bindings expose, and an importance matrix (`--imatrix`) through
`params.imatrix`: a C array of `llama_model_imatrix_data` (name, values, count) ended by a null
name, which llama.cpp copies into its own map before quantizing.

Progress comes from llama.cpp's log: it logs `[  12/  29] blk.0.attn_q.weight - [...]` as it
starts each tensor, so `run` swaps in its own log callback for the call and passes each tensor
to an `on_tensor` hook: the caller draws the progress (the CLI: minimax_agent/ui/models_view.py).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantize.errors import ModelFileError, QuantizeUsageError
from quantize.footprint import QUANT_BPW
from quantize.imatrix import Imatrix, load_imatrix
from quantize.inspect import GROUPS, ModelSummary, summarize

RECIPES = ("default", "moe")
# Tensors the `moe` recipe keeps at Q8_0 through a regex override (searched in the name).
MOE_ATTENTION_PATTERN = r"\.attn_(q|k|v|output)\.weight$"
Q8_BPW = 8.5
_UNQUANTIZED = {"F32", "F16", "BF16"}

TensorHook = Callable[[int, int, str], None]
"""Called as llama.cpp starts each tensor: (1-based index, tensor count, tensor name)."""

_TENSOR_LINE = re.compile(rb"\[\s*(\d+)/\s*(\d+)\]\s+(\S+)")
# ggml.h's ggml_log_level (llama_cpp/_logger.py's comment numbers them differently; ggml.h is
# what the library sends: the per-tensor lines arrive as 2, failures as 4).
_LOG_WARN, _LOG_ERROR, _LOG_CONT = 3, 4, 5
# The quantizer reports imatrix coverage problems at INFO level behind this marker; they matter to
# whoever passed --imatrix, so they are shown even though other INFO lines are not.
_IMATRIX_NOTICE = b"======"


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
    imatrix: Imatrix | None = field(default=None, compare=False)

    @property
    def requantize(self) -> bool:
        """The source is already quantized (allowed, but quality compounds losses)."""
        return self.source.file_type not in _UNQUANTIZED


def prepare(
    src: Path,
    dst: Path,
    qtype: str,
    recipe: str = "default",
    force: bool = False,
    threads: int = 0,
    imatrix: Path | None = None,
) -> QuantizeJob:
    """Validate a quantization request without running it (the importance matrix is read here,
    so a bad one fails before any work)."""
    types = file_types()
    key = qtype.upper()
    if key not in types:
        raise QuantizeUsageError(f"unknown quant type {qtype!r}; choose one of: {', '.join(types)}")
    if recipe not in RECIPES:
        raise QuantizeUsageError(f"unknown recipe {recipe!r}; choose one of: {', '.join(RECIPES)}")
    source = summarize(src)
    if dst.exists() and not force:
        raise QuantizeUsageError(f"{dst} exists; pass --force to overwrite it")
    if dst.resolve() == src.resolve():
        raise QuantizeUsageError("the output must be a different file from the input")
    matrix = load_imatrix(imatrix) if imatrix is not None else None
    return QuantizeJob(src, dst, key, types[key], recipe, source, threads, matrix)


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


def run(job: QuantizeJob, on_tensor: TensorHook | None = None) -> Path:
    """Quantize `job.src` into `job.dst` (written beside it first, renamed when complete).

    llama.cpp's own log is silenced for the call except warnings and errors; `on_tensor` hears
    about each tensor as it starts."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = job.ftype
    params.nthread = job.threads
    params.allow_requantize = job.requantize
    keep: list[object] = []  # the arrays and strings params points into must outlive the call
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
    if job.imatrix is not None:
        keep += _set_imatrix(params, job.imatrix)

    part = job.dst.with_name(job.dst.name + ".part")
    try:
        with _QuantizerLog(on_tensor) as log:
            rc = llama_cpp.llama_model_quantize(
                os.fsencode(job.src), os.fsencode(part), ctypes.byref(params)
            )
        if log.error is not None:
            raise log.error
        if rc != 0 or not part.exists():
            raise ModelFileError(f"{job.src}: llama.cpp could not quantize it (status {rc})")
        part.replace(job.dst)
    finally:
        part.unlink(missing_ok=True)
        del keep
    return job.dst


def _set_imatrix(params: Any, imatrix: Imatrix) -> list[object]:
    """Point `params` at the matrix, and record it in the output's metadata under the keys
    llama-quantize uses. Returns what must stay alive until llama.cpp is done."""
    import ctypes

    import llama_cpp

    entries = (llama_cpp.llama_model_imatrix_data * (len(imatrix.values) + 1))()
    names = []
    for entry, (name, values) in zip(entries, imatrix.values.items(), strict=False):
        names.append(name.encode())
        entry.name = names[-1]
        entry.data = values.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        entry.size = values.size
    # the zeroed last entry has the null name that ends llama.cpp's loop
    params.imatrix = ctypes.cast(entries, ctypes.POINTER(llama_cpp.llama_model_imatrix_data))

    meta: list[tuple[str, str | int]] = [("quantize.imatrix.file", str(imatrix.path))]
    if imatrix.datasets:
        meta.append(("quantize.imatrix.dataset", imatrix.datasets[0]))
    meta.append(("quantize.imatrix.entries_count", len(imatrix.values)))
    if imatrix.chunks > 0:
        meta.append(("quantize.imatrix.chunks_count", imatrix.chunks))
    # read up to an entry with an empty key: the zeroed last one
    kv = (llama_cpp.llama_model_kv_override * (len(meta) + 1))()
    for override, (key, value) in zip(kv, meta, strict=False):
        override.key = key.encode()
        if isinstance(value, int):
            override.tag = llama_cpp.LLAMA_KV_OVERRIDE_TYPE_INT
            override.value.val_i64 = value
        else:
            override.tag = llama_cpp.LLAMA_KV_OVERRIDE_TYPE_STR
            override.value.val_str = value.encode()[:127]  # char[128], NUL included
    params.kv_overrides = ctypes.cast(kv, ctypes.POINTER(llama_cpp.llama_model_kv_override))
    return [entries, names, imatrix, kv]


class _QuantizerLog:
    """llama.cpp's log callback for the length of one quantize call.

    The callback runs inside the C call on the calling thread, so it stays cheap and never lets
    an exception out (ctypes would print and drop it): the first one is kept in `error` for the
    caller to raise once the call returns. The callback it replaces is put back on exit."""

    def __init__(self, on_tensor: TensorHook | None) -> None:
        self.on_tensor = on_tensor
        self.error: BaseException | None = None
        self._level = 0

    def __enter__(self) -> _QuantizerLog:
        import ctypes

        import llama_cpp

        # llama-cpp-python installs llama_cpp._logger's callback at import; whichever is
        # current now (that one, or someone else's) comes back on exit
        self._prev = llama_cpp.llama_log_callback()
        self._prev_data = ctypes.c_void_p()
        llama_cpp.llama_log_get(ctypes.byref(self._prev), ctypes.byref(self._prev_data))
        # the C side keeps only a raw pointer to the thunk: this reference keeps it alive
        self._callback = llama_cpp.llama_log_callback(self._log)
        llama_cpp.llama_log_set(self._callback, None)
        return self

    def __exit__(self, *exc: object) -> None:
        import llama_cpp

        llama_cpp.llama_log_set(self._prev if self._prev else None, self._prev_data)
        del self._callback

    def _log(self, level: int, text: bytes | None, user_data: int | None) -> None:
        try:
            self._handle(level, text or b"")
        except BaseException as exc:  # Ctrl-C included: see the class docstring
            if self.error is None:
                self.error = exc
            self.on_tensor = None

    def _handle(self, level: int, text: bytes) -> None:
        if level != _LOG_CONT:
            self._level = level
        if self._level in (_LOG_WARN, _LOG_ERROR) or text.lstrip().startswith(_IMATRIX_NOTICE):
            if self._prev:
                self._prev(level, text, self._prev_data)
            else:  # no callback: ggml's default is plain stderr
                sys.stderr.write(text.decode(errors="replace"))
        if self.on_tensor is not None and text.startswith(b"["):
            match = _TENSOR_LINE.match(text)
            if match:
                index, total = int(match[1]), int(match[2])
                self.on_tensor(index, total, match[3].decode(errors="replace"))
