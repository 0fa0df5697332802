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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minimax_agent.backends.local.library import (
    Device,
    build_facts,
    captured_log,
    devices,
    flash_attn_choice,
    ggml,
    last_error,
    llama,
)
from minimax_agent.errors import BackendError, ModelFileError

# Device, build_facts and devices are imported from here by the load planner and doctor.
__all__ = [
    "Device",
    "LoadParams",
    "NativeModel",
    "Snapshot",
    "build_facts",
    "devices",
    "llama",
]


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


@dataclass(frozen=True)
class Snapshot:
    """A copy of sequence 0's KV state in memory (llama.cpp's sequence-state bytes) and the
    tokens it holds."""

    data: Any  # a ctypes byte array of `size` bytes
    size: int
    tokens: tuple[int, ...]


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
            buft = ggml().ggml_backend_cpu_buffer_type()
            for i, pattern in enumerate(params.cpu_patterns):
                self._overrides[i].pattern = pattern.encode()
                self._overrides[i].buft = buft
            # The last entry stays {NULL, NULL}: llama.cpp reads up to it.
            mp.tensor_buft_overrides = ctypes.cast(self._overrides, ctypes.c_void_p)
        with captured_log() as lines:
            self._model = lib.llama_model_load_from_file(str(params.path).encode(), mp)
        if not self._model:
            raise ModelFileError(f"{params.path}: llama.cpp could not load it: {last_error(lines)}")
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
        self.flash_attn = flash_attn_choice(lines)
        if not self._ctx:
            self.close()
            raise BackendError(
                f"llama.cpp could not create a context of {params.n_ctx} tokens: "
                f"{last_error(lines)} (try a smaller --n-ctx or another --kv-type)"
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
            raise BackendError(f"could not save the KV state to {path}: {last_error(lines)}")

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
            raise BackendError(f"could not load the KV state from {path}: {last_error(lines)}")
        self.tokens = list(arr[: count.value])
        return count.value

    # -- in-memory snapshots (a subagent's run between two parent steps) ----------------------

    def state_size(self) -> int:
        """Bytes a `snapshot` of sequence 0 would take now."""
        return int(self.lib.llama_state_seq_get_size(self._ctx, 0))

    def snapshot(self) -> Snapshot:
        """Copy what the KV cache of sequence 0 holds, and its tokens, into memory."""
        size = self.state_size()
        buf = (ctypes.c_uint8 * max(size, 1))()
        with captured_log() as lines:
            written = int(self.lib.llama_state_seq_get_data(self._ctx, buf, size, 0))
        if size and written != size:
            raise BackendError(
                f"could not copy the KV state ({written} of {size} bytes): {last_error(lines)}"
            )
        return Snapshot(buf, written, tuple(self.tokens))

    def restore(self, snap: Snapshot) -> None:
        """Make the KV cache hold what `snap` copied. On failure the cache is emptied (the
        next step evaluates its whole prompt: slower, still correct) and BackendError says so."""
        self._truncate(0)
        if not snap.tokens:
            return
        with captured_log() as lines:
            read = int(self.lib.llama_state_seq_set_data(self._ctx, snap.data, snap.size, 0))
        if read != snap.size:
            self._truncate(0)
            raise BackendError(f"could not restore the KV state: {last_error(lines)}")
        self.tokens = list(snap.tokens)

    @property
    def closed(self) -> bool:
        return self._model is None

    def close(self) -> None:
        """Free the context (KV cache, compute buffers) and the weights; idempotent. Any call
        into llama.cpp after this would use freed memory, so callers check `closed`."""
        if self._ctx:
            self.lib.llama_free(self._ctx)
            self._ctx = None
            self._mem = None
        if self._model:
            self.lib.llama_model_free(self._model)
            self._model = None
        self.tokens.clear()
