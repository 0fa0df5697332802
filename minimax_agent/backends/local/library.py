"""llama-cpp-python loaded once: its log routed to ours, Ctrl-C kept out of the log callback,
and what this build can use (devices, versions).

Everything here is process-wide; one model and its context are `native.NativeModel`.
"""

from __future__ import annotations

import ctypes
import logging
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from minimax_agent.errors import ConfigError

# `minimax-agent` on PyPI is another project: name the package itself, and the checkout's extra.
INSTALL_LLAMA = "pip install 'llama-cpp-python>=0.3.36' (from a checkout: pip install '.[local]')"

log = logging.getLogger("minimax_agent.llama")

# ggml log levels (enum ggml_log_level); CONT continues the previous line.
_LEVEL_ERROR, _LEVEL_CONT = 3, 5
_DEVICE_KINDS = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator"}

_state: dict[str, Any] = {}
_lock = threading.Lock()
_captures: list[list[str]] = []


def llama() -> Any:
    """The `llama_cpp` module, initialised once, with its log routed to our logger."""
    with _lock:
        if "lib" not in _state:
            try:
                import llama_cpp
            except ImportError as exc:
                raise ConfigError(
                    f"the local backend needs llama-cpp-python: {INSTALL_LLAMA} ({exc})"
                ) from None
            llama_cpp.llama_backend_init()

            # Kept in _state: ctypes callbacks must outlive every call into the library.
            _state["log"] = llama_cpp.llama_log_callback(_on_log)
            llama_cpp.llama_log_set(_state["log"], ctypes.c_void_p(0))
            _state["lib"] = llama_cpp
        return _state["lib"]


def _on_log(level: int, text: bytes, _user: Any) -> None:
    line = text.decode("utf-8", errors="replace")
    for sink in _captures:
        sink.append(line)
    if level != _LEVEL_CONT and line.strip():
        log.debug("%s", line.rstrip())


@contextmanager
def captured_log() -> Iterator[list[str]]:
    """Collect llama.cpp's log lines while the block runs (to report load errors and to count
    buffer-type overrides, which llama.cpp only reports in its log)."""
    llama()
    sink: list[str] = []
    _captures.append(sink)
    try:
        with _ctrl_c_outside_the_log():
            yield sink
    finally:
        # by identity: list.remove compares contents, and nested captures hold the same lines
        _captures[:] = [other for other in _captures if other is not sink]


@contextmanager
def _ctrl_c_outside_the_log() -> Iterator[None]:
    """Loading logs hundreds of lines through `_on_log`, and ctypes prints and drops an
    exception raised inside a callback: a Ctrl-C that landed there would be lost and the run
    would go on. While the block runs, such a Ctrl-C is held and raised when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        caller = frame
        while caller is not None:
            if caller.f_code is _on_log.__code__:
                held.append(signum)
                return
            caller = caller.f_back
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


_FLASH_ATTN = re.compile(r"flash attention\b.*\b(enabled|disabled)", re.IGNORECASE)


def flash_attn_choice(lines: list[str]) -> bool | None:
    """Whether llama.cpp turned flash attention on for a context (with `auto` it decides per
    device, and says so only in its log); None when the log does not say."""
    said = [m.group(1).lower() for m in map(_FLASH_ATTN.search, lines) if m]
    return said[-1] == "enabled" if said else None


def ggml() -> Any:
    """libggml, as llama-cpp-python loads it (its dependencies resolve the CPU buffer type)."""
    if "ggml" not in _state:
        llama()
        from llama_cpp import _ggml

        lib = _ggml.libggml
        lib.ggml_backend_cpu_buffer_type.restype = ctypes.c_void_p
        lib.ggml_backend_cpu_buffer_type.argtypes = []
        lib.ggml_backend_dev_count.restype = ctypes.c_size_t
        lib.ggml_backend_dev_get.restype = ctypes.c_void_p
        lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
        for name in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
            getattr(lib, name).restype = ctypes.c_char_p
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        lib.ggml_backend_dev_type.restype = ctypes.c_int
        lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
        lib.ggml_backend_dev_memory.restype = None
        lib.ggml_backend_dev_memory.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        _state["ggml"] = lib
    return _state["ggml"]


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str  # CPU, GPU, iGPU, accelerator
    free_bytes: int
    total_bytes: int


def devices() -> list[Device]:
    """The ggml backend devices this build of llama.cpp can use."""
    lib = ggml()
    found = []
    for i in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        found.append(
            Device(
                name=(lib.ggml_backend_dev_name(dev) or b"").decode(),
                description=(lib.ggml_backend_dev_description(dev) or b"").decode(),
                kind=_DEVICE_KINDS.get(lib.ggml_backend_dev_type(dev), "other"),
                free_bytes=free.value,
                total_bytes=total.value,
            )
        )
    return found


def build_facts() -> dict[str, Any]:
    lib = llama()
    return {
        "llama_cpp_python": getattr(lib, "__version__", "?"),
        "llama_cpp": (lib.llama_version() or b"?").decode(),
        "system_info": (lib.llama_print_system_info() or b"").decode().strip(),
        "gpu_offload": bool(lib.llama_supports_gpu_offload()),
        "mmap": bool(lib.llama_supports_mmap()),
        "mlock": bool(lib.llama_supports_mlock()),
        "devices": [d.__dict__ for d in devices()],
    }


def last_error(lines: list[str]) -> str:
    text = [line.strip() for line in lines if line.strip()]
    errors = [t for t in text if "error" in t.lower() or "failed" in t.lower()]
    return (errors or text or ["no details in the llama.cpp log"])[-1]
