"""The llama.cpp C API, through llama-cpp-python's ctypes bindings.

The high-level `llama_cpp.Llama` cannot do two things this backend needs: tensor buffer-type
overrides (to keep MoE experts in system RAM) and exact control over what the KV cache holds. So
the model, the context, the sampler chain and the KV cache are driven here directly.

Invariant: `NativeModel.tokens` is always a prefix of what the KV cache of sequence 0 holds; every
evaluation first removes the cache's tail beyond the part it reuses, so a stale tail (after an
interrupt or a failed batch) can never leak into a prompt.
"""

from __future__ import annotations

import ctypes
import logging
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from minimax_agent.errors import BackendError, ConfigError, ModelFileError

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
                    "the local backend needs llama-cpp-python: pip install 'minimax-agent[local]'"
                    f" ({exc})"
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


def _flash_attn_choice(lines: list[str]) -> bool | None:
    """Whether llama.cpp turned flash attention on for a context (with `auto` it decides per
    device, and says so only in its log); None when the log does not say."""
    said = [m.group(1).lower() for m in map(_FLASH_ATTN.search, lines) if m]
    return said[-1] == "enabled" if said else None


def _ggml() -> Any:
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
    lib = _ggml()
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


class _Override(ctypes.Structure):
    # struct llama_model_tensor_buft_override { const char * pattern; buffer type buft; }
    _fields_ = [("pattern", ctypes.c_char_p), ("buft", ctypes.c_void_p)]


@dataclass(frozen=True)
class LoadParams:
    path: Path
    n_ctx: int
    gpu_layers: int
    threads: int
    threads_batch: int
    load_mode: int  # llama_load_mode: -1 auto, 0 none, 1 mmap, 2 mlock, 3 mmap+mlock
    flash_attn: int  # llama_flash_attn_type: -1 auto, 0 off, 1 on
    kv_type: int  # ggml_type of both K and V
    cpu_patterns: tuple[str, ...] = ()  # tensor-name regexes kept in CPU memory
    n_batch: int = 512


class NativeModel:
    """One model, one context, one sequence, and the tokens its KV cache holds."""

    def __init__(self, params: LoadParams) -> None:
        lib = llama()
        self.lib = lib
        self.params = params
        self.tokens: list[int] = []
        self._model: Any = None
        self._ctx: Any = None
        self._pieces: dict[int, bytes] = {}
        mp = lib.llama_model_default_params()
        mp.n_gpu_layers = params.gpu_layers
        mp.load_mode = params.load_mode
        if params.cpu_patterns:
            self._overrides = (_Override * (len(params.cpu_patterns) + 1))()
            buft = _ggml().ggml_backend_cpu_buffer_type()
            for i, pattern in enumerate(params.cpu_patterns):
                self._overrides[i].pattern = pattern.encode()
                self._overrides[i].buft = buft
            # The last entry stays {NULL, NULL}: llama.cpp reads up to it.
            mp.tensor_buft_overrides = ctypes.cast(self._overrides, ctypes.c_void_p)
        with captured_log() as lines:
            self._model = lib.llama_model_load_from_file(str(params.path).encode(), mp)
        if not self._model:
            raise ModelFileError(
                f"{params.path}: llama.cpp could not load it: {_last_error(lines)}"
            )
        self.overridden = sum("buffer type overridden" in line for line in lines)
        self.vocab = lib.llama_model_get_vocab(self._model)
        cp = lib.llama_context_default_params()
        cp.n_ctx = params.n_ctx
        cp.n_batch = cp.n_ubatch = params.n_batch
        cp.n_seq_max = 1
        cp.n_threads, cp.n_threads_batch = params.threads, params.threads_batch
        cp.flash_attn_type = params.flash_attn
        cp.type_k = cp.type_v = params.kv_type
        with captured_log() as lines:
            self._ctx = lib.llama_init_from_model(self._model, cp)
        self.flash_attn = _flash_attn_choice(lines)
        if not self._ctx:
            self.close()
            raise BackendError(
                f"llama.cpp could not create a context of {params.n_ctx} tokens: "
                f"{_last_error(lines)} (try a smaller --n-ctx or another --kv-type)"
            )
        self._mem = lib.llama_get_memory(self._ctx)
        self.n_ctx = int(lib.llama_n_ctx(self._ctx))
        self.n_vocab = int(lib.llama_vocab_n_tokens(self.vocab))
        self.add_bos = bool(lib.llama_vocab_get_add_bos(self.vocab))
        self.bos = int(lib.llama_vocab_bos(self.vocab))
        self._one = (lib.llama_token * 1)()

    # -- model facts --------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(256)
        n = self.lib.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        if n < 0:
            return None
        if n >= len(buf):
            buf = ctypes.create_string_buffer(n + 1)
            self.lib.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace")

    def chat_template(self) -> str | None:
        raw = self.lib.llama_model_chat_template(self._model, None)
        return raw.decode("utf-8") if raw else None

    # -- tokens -------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """Tokens of prompt text; special-token text (`]~b]`, `[e~[`...) becomes those tokens."""
        data = text.encode("utf-8")
        size = len(data) + 8
        buf = (self.lib.llama_token * size)()
        n = self.lib.llama_tokenize(self.vocab, data, len(data), buf, size, False, True)
        if n < 0:
            size = -n
            buf = (self.lib.llama_token * size)()
            n = self.lib.llama_tokenize(self.vocab, data, len(data), buf, size, False, True)
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        """The bytes a generated token stands for; control tokens give nothing."""
        cached = self._pieces.get(token)
        if cached is None:
            buf = ctypes.create_string_buffer(64)
            n = self.lib.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = self.lib.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
            cached = self._pieces[token] = buf.raw[:n]
        return cached

    def is_eog(self, token: int) -> bool:
        return bool(self.lib.llama_vocab_is_eog(self.vocab, token))

    # -- the KV cache -------------------------------------------------------------------------

    def evaluate(self, prompt: Sequence[int]) -> int:
        """Make the KV cache hold `prompt`, reusing its longest common prefix with what it holds.
        Returns how many tokens were reused; the logits of the last token are ready after."""
        if not prompt:
            raise BackendError("cannot evaluate an empty prompt")
        if len(prompt) > self.n_ctx:
            from minimax_agent.errors import ContextOverflowError

            raise ContextOverflowError(
                f"the prompt has {len(prompt)} tokens; the context holds {self.n_ctx}"
            )
        keep = 0
        limit = min(len(self.tokens), len(prompt) - 1)  # one token is always evaluated: logits
        while keep < limit and self.tokens[keep] == prompt[keep]:
            keep += 1
        self._truncate(keep)
        step = self.params.n_batch
        for start in range(keep, len(prompt), step):
            self._decode(prompt[start : start + step])
        return keep

    def clear(self) -> None:
        """Empty the KV cache."""
        self._truncate(0)

    def append(self, token: int) -> None:
        """Evaluate one generated token."""
        self._one[0] = token
        self._decode_array(self._one, [token])

    def _truncate(self, keep: int) -> None:
        if not self.lib.llama_memory_seq_rm(self._mem, 0, keep, -1):
            # Only partial removal from recurrent memories can fail; start over then.
            self.lib.llama_memory_clear(self._mem, True)
            keep = 0
        del self.tokens[keep:]

    def _decode(self, chunk: Sequence[int]) -> None:
        arr = (self.lib.llama_token * len(chunk))(*chunk)
        self._decode_array(arr, chunk)

    def _decode_array(self, arr: Any, chunk: Sequence[int]) -> None:
        rc = self.lib.llama_decode(self._ctx, self.lib.llama_batch_get_one(arr, len(chunk)))
        if rc == 0:
            self.tokens.extend(chunk)
            return
        # Part of a failed batch may have been processed: trust the cache, not our intent.
        held = int(self.lib.llama_memory_seq_pos_max(self._mem, 0)) + 1
        self.tokens.extend(chunk)
        del self.tokens[max(0, held) :]
        raise BackendError(f"llama_decode failed (code {rc}) at {len(self.tokens)} tokens")

    def sample(self, sampler: Any) -> int:
        return int(self.lib.llama_sampler_sample(sampler, self._ctx, -1))

    def perf(self, *, reset: bool = False) -> dict[str, float]:
        """llama.cpp's own counters: tokens evaluated in prompt batches (`n_p_eval`) and one
        at a time (`n_eval`), and the milliseconds spent on each."""
        data = self.lib.llama_perf_context(self._ctx)
        out = {
            "n_p_eval": data.n_p_eval,
            "n_eval": data.n_eval,
            "t_p_eval_ms": data.t_p_eval_ms,
            "t_eval_ms": data.t_eval_ms,
        }
        if reset:
            self.lib.llama_perf_context_reset(self._ctx)
        return out

    # -- state files --------------------------------------------------------------------------

    def save_state(self, path: Path) -> None:
        arr = (self.lib.llama_token * len(self.tokens))(*self.tokens)
        with captured_log() as lines:
            ok = self.lib.llama_state_seq_save_file(
                self._ctx, str(path).encode(), 0, arr, len(self.tokens)
            )
        if not ok:
            raise BackendError(f"could not save the KV state to {path}: {_last_error(lines)}")

    def load_state(self, path: Path) -> int:
        arr = (self.lib.llama_token * self.n_ctx)()
        count = ctypes.c_size_t(0)
        self._truncate(0)
        with captured_log() as lines:
            read = self.lib.llama_state_seq_load_file(
                self._ctx, str(path).encode(), 0, arr, self.n_ctx, ctypes.byref(count)
            )
        if not read:
            self._truncate(0)
            raise BackendError(f"could not load the KV state from {path}: {_last_error(lines)}")
        self.tokens = list(arr[: count.value])
        return count.value

    def close(self) -> None:
        if self._ctx:
            self.lib.llama_free(self._ctx)
            self._ctx = None
        if self._model:
            self.lib.llama_model_free(self._model)
            self._model = None


def _last_error(lines: list[str]) -> str:
    text = [line.strip() for line in lines if line.strip()]
    errors = [t for t in text if "error" in t.lower() or "failed" in t.lower()]
    return (errors or text or ["no details in the llama.cpp log"])[-1]
