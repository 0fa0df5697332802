"""Token sampling: MiniMax's settings (temperature, top-k, top-p), optionally under a grammar.

A grammar is checked the way llama.cpp's own tools check it: sample freely first, and only when
the grammar rejects that token, sample again from the grammar-filtered distribution. Running the
grammar over the whole vocabulary (200k tokens for M2) at every token would cost more than the
model's own decode step on a fast GPU, so it stays the exception: a model that follows the format
rarely pays it.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minimax_agent.backends.local.library import captured_log, llama
from minimax_agent.errors import BackendError

if TYPE_CHECKING:
    from minimax_agent.backends.local.native import NativeModel

RANDOM_SEED = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED: llama.cpp picks a random seed


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0
    top_k: int = 40
    top_p: float = 0.95
    seed: int | None = None


class Sampler:
    def __init__(self, model: NativeModel, params: SamplingParams) -> None:
        self.lib = llama()
        self.model = model
        self.params = params
        self._free = self._chain(None, offset=0)
        self._guided: Any = None  # chain with the grammar first
        self._grammar: Any = None  # the grammar sampler inside `_guided`
        self._one = self.lib.llama_token_data()
        self._one_array = self.lib.llama_token_data_array(
            data=ctypes.pointer(self._one), size=1, selected=-1, sorted=False
        )

    def _chain(self, grammar: Any, *, offset: int) -> Any:
        lib, p = self.lib, self.params
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        if grammar is not None:
            lib.llama_sampler_chain_add(chain, grammar)
        if p.temperature <= 0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
            return chain
        seed = RANDOM_SEED if p.seed is None else (p.seed + offset) & 0xFFFFFFFF
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(p.top_k))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(p.top_p, 1))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(p.temperature))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed))
        return chain

    @property
    def constrained(self) -> bool:
        return self._grammar is not None

    def constrain(self, grammar: str) -> None:
        """From now on, every sampled token must keep the output inside `grammar`."""
        if self._guided is not None:
            raise BackendError("a grammar is already active for this turn")
        with captured_log() as lines:
            sampler = self.lib.llama_sampler_init_grammar(
                self.model.vocab, grammar.encode("utf-8"), b"root"
            )
        if not sampler:
            detail = " ".join(line.strip() for line in lines[-3:])
            raise BackendError(f"llama.cpp rejected the tool-call grammar: {detail}")
        self._guided = self._chain(sampler, offset=1)
        self._grammar = self.lib.llama_sampler_chain_get(self._guided, 0)

    def sample(self) -> int:
        token = self.model.sample(self._free)
        if self._grammar is None:
            return token
        if self.allows(token):
            self.lib.llama_sampler_accept(self._grammar, token)
            return token
        # The slow path: the whole vocabulary through the grammar (it accepts the token itself).
        return self.model.sample(self._guided)

    def allows(self, token: int) -> bool:
        """Whether the active grammar lets `token` come next (always, without one)."""
        if self._grammar is None:
            return True
        self._one.id, self._one.logit, self._one.p = token, 0.0, 0.0
        self._one_array.size, self._one_array.selected = 1, -1
        self.lib.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        # Samplers may repoint `data`; read the logit through the array, not our struct.
        return self._one_array.size == 1 and math.isfinite(self._one_array.data[0].logit)

    def accept(self, token: int) -> None:
        """Advance the grammar past `token` without sampling (to replay known text)."""
        if self._grammar is not None:
            self.lib.llama_sampler_accept(self._grammar, token)

    def close(self) -> None:
        for chain in (self._free, self._guided):
            if chain is not None:
                self.lib.llama_sampler_free(chain)
        self._free = self._guided = self._grammar = None
