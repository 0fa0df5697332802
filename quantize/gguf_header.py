"""A header-only GGUF reader.

`gguf.GGUFReader` builds a numpy view per array element and per tensor, which takes seconds on a
200k-token vocabulary; inspecting and planning only need the metadata and the tensor table, so
this walks the header through a memory map and never touches tensor data. Long arrays (the
vocabulary, the merges) are skipped and kept as references that can be indexed on demand.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantize.errors import ModelFileError

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# GGUF value type codes -> struct format of the scalar (None: string, array handled apart).
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
# Arrays longer than this are not decoded while parsing (vocabularies, merges, scores).
_EAGER_ARRAY_MAX = 256


@dataclass(frozen=True)
class ArrayRef:
    """A long metadata array left in the file: its element type, length and byte offset."""

    item_type: int
    count: int
    offset: int
    path: Path

    def item(self, index: int) -> Any:
        """Read element `index` (walks string arrays from the start; fine for one look-up)."""
        return self.items([index])[index]

    def items(self, indices: Iterable[int]) -> dict[int, Any]:
        """Read the elements at `indices` in one pass: a string array is walked once, from its
        start up to the last index asked for."""
        wanted = sorted(set(indices))
        for index in wanted[:1] + wanted[-1:]:
            if not 0 <= index < self.count:
                raise IndexError(index)
        out: dict[int, Any] = {}
        with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            cursor = _Cursor(mm, self.offset, self.path)
            if self.item_type == _STRING:
                at = 0
                for index in wanted:
                    cursor.skip_strings(index - at)
                    out[index] = cursor.string()
                    at = index + 1
                return out
            fmt = _SCALARS[self.item_type]
            for index in wanted:
                cursor.pos = self.offset + index * struct.calcsize(fmt)
                out[index] = cursor.scalar(fmt)
            return out

    def values(self) -> tuple[Any, ...]:
        """Every element of a scalar array (token types, scores), in one read."""
        if self.item_type not in _SCALARS:
            raise TypeError(f"array of GGUF type {self.item_type} is not a scalar array")
        fmt = f"<{self.count}{_SCALARS[self.item_type][1:]}"
        with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            _Cursor(mm, self.offset, self.path)._need(struct.calcsize(fmt))
            return struct.unpack_from(fmt, mm, self.offset)


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: shape[0] is the row length
    type_id: int
    offset: int  # relative to the start of the data section
    n_elements: int
    n_bytes: int

    @property
    def type_name(self) -> str:
        import gguf

        try:
            return gguf.GGMLQuantizationType(self.type_id).name
        except ValueError:
            return f"type{self.type_id}"


@dataclass
class GGUFHeader:
    path: Path
    version: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo]
    data_offset: int
    file_size: int
    expected_size: int = field(default=0)


class _Cursor:
    def __init__(self, buf: mmap.mmap, pos: int, path: Path) -> None:
        self.buf, self.pos, self.path = buf, pos, path

    def _need(self, n: int) -> None:
        if self.pos + n > len(self.buf):
            raise ModelFileError(
                f"{self.path}: truncated GGUF header (file ends at byte {len(self.buf)})"
            )

    def scalar(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        self._need(size)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        n = self.scalar("<Q")
        self._need(n)
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        # The hot loop of the whole reader (a vocabulary is 200k strings): kept minimal.
        unpack, buf, pos = _U64.unpack_from, self.buf, self.pos
        try:
            for _ in range(count):
                pos += 8 + unpack(buf, pos)[0]
        except struct.error:
            pos = len(buf) + 1
        self.pos = pos
        self._need(0)

    def value(self, type_id: int) -> Any:
        if type_id in _SCALARS:
            return self.scalar(_SCALARS[type_id])
        if type_id == _STRING:
            return self.string()
        if type_id == _ARRAY:
            item_type = self.scalar("<I")
            count = self.scalar("<Q")
            if count <= _EAGER_ARRAY_MAX:
                return [self.value(item_type) for _ in range(count)]
            ref = ArrayRef(item_type, count, self.pos, self.path)
            self._skip_items(item_type, count)
            return ref
        raise ModelFileError(f"{self.path}: unknown GGUF value type {type_id} (corrupt header?)")

    def _skip_items(self, item_type: int, count: int) -> None:
        if item_type in _SCALARS:
            size = struct.calcsize(_SCALARS[item_type]) * count
            self._need(size)
            self.pos += size
        elif item_type == _STRING:
            self.skip_strings(count)
        else:
            for _ in range(count):
                self.value(item_type)


def _tensor_bytes(type_id: int, shape: tuple[int, ...], path: Path, name: str) -> int:
    import gguf

    try:
        block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(type_id)]
    except (ValueError, KeyError):
        raise ModelFileError(f"{path}: tensor {name} has unknown ggml type {type_id}") from None
    n = 1
    for d in shape:
        n *= d
    if shape and shape[0] % block:
        raise ModelFileError(f"{path}: tensor {name} row {shape[0]} is not a multiple of {block}")
    return n // block * type_size


def read_header(path: Path | str) -> GGUFHeader:
    """Parse the metadata and tensor table of one GGUF file. Raises `ModelFileError` for a
    missing, non-GGUF or truncated file (a data section shorter than the tensors need)."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if not path.is_file():
        raise ModelFileError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size < 24:
        raise ModelFileError(f"{path}: not a GGUF file (only {size} bytes)")
    with open(path, "rb") as f:
        if f.read(4) != MAGIC:
            raise ModelFileError(f"{path}: not a GGUF file (bad magic)")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _parse(mm, path, size)


def _parse(mm: mmap.mmap, path: Path, size: int) -> GGUFHeader:
    cur = _Cursor(mm, 4, path)
    version = cur.scalar("<I")
    if version not in (2, 3):
        raise ModelFileError(f"{path}: unsupported GGUF version {version}")
    n_tensors = cur.scalar("<Q")
    n_kv = cur.scalar("<Q")
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = cur.string()
        metadata[key] = cur.value(cur.scalar("<I"))
    tensors = []
    for _ in range(n_tensors):
        name = cur.string()
        n_dims = cur.scalar("<I")
        if n_dims > 8:
            raise ModelFileError(f"{path}: tensor {name} has {n_dims} dimensions (corrupt header?)")
        shape = tuple(cur.scalar("<Q") for _ in range(n_dims))
        type_id = cur.scalar("<I")
        offset = cur.scalar("<Q")
        n_elements = 1
        for d in shape:
            n_elements *= d
        n_bytes = _tensor_bytes(type_id, shape, path, name)
        tensors.append(TensorInfo(name, shape, type_id, offset, n_elements, n_bytes))
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0:
        raise ModelFileError(f"{path}: bad general.alignment {alignment!r}")
    data_offset = -(-cur.pos // alignment) * alignment
    data_end = max((t.offset + t.n_bytes for t in tensors), default=0)
    expected = data_offset + data_end
    if size < expected:
        raise ModelFileError(
            f"{path}: truncated GGUF file ({size} bytes, its tensors need {expected})"
        )
    return GGUFHeader(path, version, metadata, tensors, data_offset, size, expected)
