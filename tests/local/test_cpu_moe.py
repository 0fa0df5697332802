"""`--cpu-moe`: the expert tensors stay in CPU memory through tensor buffer-type overrides.

On a CPU-only build every tensor is in CPU memory anyway, so what can be checked is that the
override is accepted and applied (llama.cpp reports each overridden tensor) and that the model
generates the very same greedy tokens with and without it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from minimax_agent.backends.local.plan import cpu_moe_patterns
from tests.local.conftest import conversation, run_step


def greedy_tokens(backend: Any) -> list[int]:
    _, finish, _ = run_step(backend, conversation(), max_tokens=48)
    ids: list[int] = finish.message.provider_fields["llamacpp_tokens"]["ids"]
    return ids


@pytest.mark.parametrize(("cpu_moe", "overridden"), [("all", 6), (1, 3), (0, 0)])
def test_same_greedy_tokens_with_and_without(
    make_backend: Any, cpu_moe: Any, overridden: int
) -> None:
    plain = make_backend(temperature=0)
    moved = make_backend(temperature=0, cpu_moe=cpu_moe)
    # The tiny model has 2 layers with 3 expert tensors each (gate, up, down).
    assert plain.model.overridden == 0
    assert moved.model.overridden == overridden
    assert greedy_tokens(moved) == greedy_tokens(plain)


def test_layer_patterns() -> None:
    assert cpu_moe_patterns(0, 62) == ()
    assert cpu_moe_patterns(62, 62) == (r"\.ffn_(up|down|gate)_exps",)
    (pattern,) = cpu_moe_patterns(3, 62)
    assert re.search(pattern, "blk.2.ffn_up_exps.weight")
    assert not re.search(pattern, "blk.12.ffn_up_exps.weight")
    assert not re.search(pattern, "blk.3.ffn_gate_exps.weight")
    assert not re.search(pattern, "blk.1.ffn_gate_inp.weight")
