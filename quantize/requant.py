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
starts each tensor, so `run` swaps in its own log callback for the call.
"""

from __future__ import annotations

import os
import re
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.errors import ModelFileError, UsageError
from quantize.footprint import QUANT_BPW
from quantize.inspect import GROUPS, ModelSummary, summarize

RECIPES = ("default", "moe")
# Tensors the `moe` recipe keeps at Q8_0 through a regex override (searched in the name).
MOE_ATTENTION_PATTERN = r"\.attn_(q|k|v|output)\.weight$"
Q8_BPW = 8.5
_UNQUANTIZED = {"F32", "F16", "BF16"}

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from rich.console import Console

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
class Imatrix:
    """An importance matrix, as llama.cpp's quantizer wants it: per tensor, the mean squared
    activation of each input column (per expert for merged expert tensors)."""

    path: Path
    values: dict[str, npt.NDArray[np.float32]] = field(repr=False)
    datasets: list[str]
    chunks: int  # calibration chunks it was computed on; 0: the file does not say


def load_imatrix(path: Path) -> Imatrix:
    """Read a `llama-imatrix` output: GGUF (`<tensor>.in_sum2` / `<tensor>.counts`) or the legacy
    `.dat` layout, normalised the way `llama-quantize --imatrix` does."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise UsageError(f"cannot read the importance matrix {path}: {exc.strerror}") from None
    try:
        imatrix = _load_gguf_imatrix(path) if magic == b"GGUF" else _load_legacy_imatrix(path)
    except (ValueError, struct.error) as exc:
        raise ModelFileError(f"{path}: not a usable importance matrix ({exc})") from None
    if not imatrix.values:
        raise ModelFileError(f"{path}: the importance matrix has no entries")
    import numpy as np

    for name, values in imatrix.values.items():
        if not np.isfinite(values).all():
            raise ModelFileError(f"{path}: the importance matrix for {name} is not finite")
    return imatrix


def _load_gguf_imatrix(path: Path) -> Imatrix:
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(path)
    parts: dict[str, dict[str, Any]] = {}
    for tensor in reader.tensors:
        for suffix in (".in_sum2", ".counts"):
            if tensor.name.endswith(suffix):
                if tensor.tensor_type != gguf.GGMLQuantizationType.F32:
                    raise ValueError(f"{tensor.name} is {tensor.tensor_type.name}, not F32")
                parts.setdefault(tensor.name.removesuffix(suffix), {})[suffix] = tensor.data
    values = {}
    for name, part in parts.items():
        if len(part) != 2:
            raise ValueError(f"{name} lacks its sums or its counts")
        sums = np.asarray(part[".in_sum2"], dtype=np.float32).reshape(-1)
        # llama-imatrix stores counts as floats; llama.cpp rounds them before dividing
        counts = np.rint(np.asarray(part[".counts"], dtype=np.float32).reshape(-1))
        if not counts.size or sums.size % counts.size:
            raise ValueError(f"{name}: {sums.size} sums do not split over {counts.size} counts")
        rows = sums.reshape(counts.size, -1)
        seen = counts > 0
        # an expert the calibration never routed to gets neutral weights, as in llama.cpp
        out = np.ones_like(rows)
        out[seen] = rows[seen] / counts[seen, None]
        values[name] = np.ascontiguousarray(out.reshape(-1), dtype=np.float32)

    def field_value(key: str) -> Any:
        kv = reader.get_field(key)
        return kv.contents() if kv is not None else None

    datasets = field_value(gguf.Keys.IMatrix.DATASETS) or []
    chunks = field_value(gguf.Keys.IMatrix.CHUNK_COUNT) or 0
    return Imatrix(path, values, [str(d) for d in datasets], int(chunks))


def _load_legacy_imatrix(path: Path) -> Imatrix:
    """int32 entries; per entry int32 name length, name, int32 calls, int32 count, float32
    values (summed over calls); then optionally int32 chunks, int32 length, dataset name."""
    import numpy as np

    data = path.read_bytes()
    pos = 0

    def ints(n: int) -> tuple[int, ...]:
        nonlocal pos
        out = struct.unpack_from(f"<{n}i", data, pos)
        pos += 4 * n
        return out

    (n_entries,) = ints(1)
    if n_entries < 1:
        raise ValueError("no entries")
    values = {}
    for _ in range(n_entries):
        (length,) = ints(1)
        name = data[pos : pos + length].decode()
        pos += length
        ncall, nval = ints(2)
        if nval < 1 or pos + 4 * nval > len(data):
            raise ValueError(f"{name}: truncated")
        sums = np.frombuffer(data, dtype="<f4", count=nval, offset=pos).astype(np.float32)
        pos += 4 * nval
        if ncall > 0:  # the file holds sums over calls; llama.cpp wants the mean
            sums /= ncall
        values[name] = sums
    chunks, datasets = 0, []
    if len(data) >= pos + 8:
        chunks, length = ints(2)
        if length > 0:
            datasets.append(data[pos : pos + length].decode(errors="replace"))
    return Imatrix(path, values, datasets, chunks)


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
        raise UsageError(f"unknown quant type {qtype!r}; choose one of: {', '.join(types)}")
    if recipe not in RECIPES:
        raise UsageError(f"unknown recipe {recipe!r}; choose one of: {', '.join(RECIPES)}")
    source = summarize(src)
    if dst.exists() and not force:
        raise UsageError(f"{dst} exists; pass --force to overwrite it")
    if dst.resolve() == src.resolve():
        raise UsageError("the output must be a different file from the input")
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


@contextmanager
def tensor_progress(console: Console | None = None) -> Iterator[TensorHook]:
    """A `run(on_tensor=...)` hook reporting on stderr: a progress bar on a terminal; elsewhere
    (CI logs) a line per 10% of the tensors."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = console or Console(stderr=True)
    if not console.is_terminal:
        shown = 0

        def log_tenths(index: int, total: int, name: str) -> None:
            nonlocal shown
            tenth = (index - 1) * 10 // total
            if tenth > shown:
                shown = tenth
                console.print(f"quantizing: {tenth * 10}% ({index - 1}/{total} tensors)")

        yield log_tenths
        return

    progress = Progress(
        TextColumn("quantizing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[tensor]}"),
        console=console,
    )
    task = progress.add_task("quantize", total=None, tensor="")

    def draw(index: int, total: int, name: str) -> None:
        # the log line comes as a tensor starts, so the ones before it are the ones done
        progress.update(task, total=total, completed=index - 1, tensor=name)

    with progress:
        yield draw
        total = progress.tasks[0].total
        progress.update(task, completed=total or 0, tensor="")
