"""Importance matrices from `llama-imatrix` (GGUF or the legacy `.dat` layout), read and
normalised the way `llama-quantize --imatrix` does, for `requant.run` to hand to llama.cpp."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quantize.errors import ModelFileError, QuantizeUsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


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
        raise QuantizeUsageError(
            f"cannot read the importance matrix {path}: {exc.strerror}"
        ) from None
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
