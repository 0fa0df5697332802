"""The local backend keeps the parent's KV cache across a subagent's run: after a child ran
under `keep_cache`, the parent's next step evaluates only the tokens it adds. Without it the
child's prompt evicts the cache and the parent's step evaluates from near the start."""

from __future__ import annotations

from typing import Any

import pytest

from minimax_agent.messages import Message, SystemMessage, UserMessage
from tests.local.conftest import conversation, run_step
from tests.local.test_prefix_reuse import TOOLS, answer_calls, constrained

pytestmark = pytest.mark.slow


def parent_steps(backend: Any, steps: int) -> tuple[list[Message], Any]:
    messages = conversation()
    usage = None
    for _ in range(steps):
        _, finish, usage = run_step(backend, messages, tools=TOOLS)
        answer_calls(messages, finish.message)
    return messages, usage


def child_steps(backend: Any) -> None:
    child: list[Message] = [
        SystemMessage(content="You are a subagent with another prompt altogether."),
        UserMessage(content="Look at something else."),
    ]
    for _ in range(2):
        _, finish, _ = run_step(backend, child, tools=TOOLS[:3])
        answer_calls(child, finish.message)


@pytest.mark.parametrize("keep", [True, False])
def test_parent_step_after_a_child_evaluates_only_what_it_adds(
    make_backend: Any, keep: bool
) -> None:
    backend = constrained(make_backend)
    messages, last = parent_steps(backend, 2)
    held = last.prompt_tokens + last.completion_tokens
    assert list(backend.model.tokens)[:held] == list(backend.model.tokens)
    if keep:
        with backend.keep_cache():
            child_steps(backend)
        size, tokens = backend.last_snapshot
        assert tokens == held and size > 0
        assert len(backend.model.tokens) == held
    else:
        child_steps(backend)
    _, _, after = run_step(backend, messages, tools=TOOLS)
    added = after.prompt_tokens - held
    assert added > 0
    if keep:
        assert after.cached_tokens == held
        assert after.extra["tokens_evaluated"] == added
    else:
        assert after.extra["tokens_evaluated"] > after.prompt_tokens // 2


def test_keep_cache_with_nothing_held_is_a_no_op(make_backend: Any) -> None:
    backend = constrained(make_backend)
    with backend.keep_cache():
        child_steps(backend)
    assert backend.last_snapshot == (0, 0)
    # the child's cache stays: nothing of the parent's was there to put back
    assert len(backend.model.tokens) > 0
