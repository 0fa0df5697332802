"""Context management on the local model: compaction keeps the conversation's head in the KV
cache (the summary request starts like the conversation, so the step after it evaluates from the
note on), and before any usage is reported the context is measured with the real tokenizer."""

from __future__ import annotations

from typing import Any

from minimax_agent.backends.local.splice import build_prompt
from minimax_agent.session.compaction import SUMMARY_HEADER, ContextKeeper
from tests.local.conftest import conversation, run_step
from tests.local.test_prefix_reuse import TOOLS, answer_calls, common_prefix


def test_the_step_after_compaction_reuses_the_head(make_backend: Any) -> None:
    backend = make_backend(
        constrain_tools=True, tool_choice="required", constrain_max_chars=16, max_tokens=48
    )
    model = backend.model
    messages = conversation()
    for _ in range(4):
        _, finish, _ = run_step(backend, messages, tools=TOOLS)
        answer_calls(messages, finish.message)

    done = ContextKeeper(backend, model.n_ctx).compact(messages, TOOLS, force=True)
    assert done is not None and done.removed > 0
    assert done.messages[:2] == messages[:2]
    assert done.messages[2].content.startswith(SUMMARY_HEADER)

    def prompt(msgs: list[Any]) -> list[int]:
        prompt = build_prompt(
            backend.dialect, backend.template, msgs, TOOLS, model.tokenize, backend.model_id
        )
        return prompt.tokens

    head = common_prefix(prompt(done.messages), prompt(messages[:2]))
    assert head > 500  # the system prompt and the tool specs: worth keeping
    _, _, usage = run_step(backend, done.messages, tools=TOOLS)
    assert usage.cached_tokens >= head
    assert usage.extra["tokens_evaluated"] == usage.prompt_tokens - usage.cached_tokens


def test_before_any_usage_the_local_tokenizer_measures_exactly(make_backend: Any) -> None:
    backend = make_backend(constrain_tools=True, tool_choice="required", constrain_max_chars=16)
    messages = conversation()
    keeper = ContextKeeper(backend, backend.model.n_ctx)
    measured = keeper.measure(messages, TOOLS)
    assert not measured.estimated
    _, _, usage = run_step(backend, messages, tools=TOOLS)
    assert measured.tokens == usage.prompt_tokens
