"""Exact prefix reuse: each step evaluates only the tokens it adds; a new user message
re-evaluates from the first token that changed, and no earlier."""

from __future__ import annotations

from typing import Any

from minimax_agent.backends.local.splice import TOKENS_KEY, build_prompt
from minimax_agent.messages import AssistantMessage, Message, ToolMessage, UserMessage
from tests.local.conftest import conversation, run_step
from tools import default_tools

# the read tools these tests were written with: the random model's output depends on the tool
# list (its grammar and prompt), and a tool added to the defaults later must not change what
# a seeded run samples (one of these tests needs output that re-tokenises differently)
READ_TOOLS = ("read_file", "list_dir", "glob", "grep", "git_status", "git_diff", "git_log")
READ_TOOLS += ("git_show", "git_blame")
TOOLS = [t.spec() for t in default_tools(read_only=True) if t.name in READ_TOOLS]


def constrained(make_backend: Any) -> Any:
    return make_backend(constrain_tools=True, tool_choice="required", constrain_max_chars=16)


def answer_calls(messages: list[Message], message: AssistantMessage) -> None:
    messages.append(message)
    for call in message.tool_calls:
        messages.append(
            ToolMessage(tool_call_id=call.id, name=call.name, content=f"{call.name}: nothing here")
        )


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_each_step_evaluates_only_what_it_adds(make_backend: Any) -> None:
    backend = constrained(make_backend)
    messages = conversation()
    previous = None
    for step in range(3):
        _, finish, usage = run_step(backend, messages, tools=TOOLS)
        assert finish.reason == "tool_calls"
        assert usage.extra["spliced_turns"] == step
        if previous is not None:
            added = usage.prompt_tokens - previous.prompt_tokens - previous.completion_tokens
            assert added > 0
            assert usage.extra["tokens_evaluated"] == added
            assert usage.cached_tokens == previous.prompt_tokens + previous.completion_tokens
        previous = usage
        answer_calls(messages, finish.message)


def test_new_user_message_reevaluates_from_the_first_difference(make_backend: Any) -> None:
    backend = constrained(make_backend)
    model = backend.model
    messages = conversation()
    for _ in range(2):
        _, finish, _ = run_step(backend, messages, tools=TOOLS)
        answer_calls(messages, finish.message)
    messages.append(UserMessage(content="Now something else."))
    held = list(model.tokens)
    expected = build_prompt(
        backend.dialect, backend.template, messages, TOOLS, model.tokenize, backend.model_id
    )
    _, _, usage = run_step(backend, messages, tools=TOOLS)
    # The template drops the earlier turns' reasoning: the prompt changes inside the first
    # assistant turn, and everything before that point is kept.
    same = common_prefix(held, expected.tokens)
    assert usage.cached_tokens == same
    assert 0 < same < len(held)
    assert usage.extra["tokens_evaluated"] == usage.prompt_tokens - same


def test_retokenising_generated_text_would_lose_the_cache(make_backend: Any) -> None:
    # Why generated tokens are kept: the same text tokenised again differs from what was sampled.
    backend = constrained(make_backend)
    model = backend.model
    messages = conversation()
    _, finish, first = run_step(backend, messages, tools=TOOLS)
    answer_calls(messages, finish.message)
    generated = finish.message.provider_fields[TOKENS_KEY]["ids"]
    assert model.tokenize(finish.message.raw or "") != generated
    forgetful = [
        m.model_copy(update={"provider_fields": {}}) if isinstance(m, AssistantMessage) else m
        for m in messages
    ]
    plain = build_prompt(
        backend.dialect, backend.template, forgetful, TOOLS, model.tokenize, backend.model_id
    )
    spliced = build_prompt(
        backend.dialect, backend.template, messages, TOOLS, model.tokenize, backend.model_id
    )
    held = first.prompt_tokens + first.completion_tokens
    assert common_prefix(list(model.tokens), spliced.tokens) == held
    assert common_prefix(list(model.tokens), plain.tokens) < held
    assert plain.spliced == 0 and spliced.spliced == 1


def test_tokens_from_another_model_are_ignored(make_backend: Any) -> None:
    backend = constrained(make_backend)
    messages = conversation()
    _, finish, _ = run_step(backend, messages, tools=TOOLS)
    stale = finish.message.model_copy(
        update={"provider_fields": {TOKENS_KEY: {"model": "other.gguf:1:2", "ids": [1, 2, 3]}}}
    )
    answer_calls(messages, stale)
    prompt = build_prompt(
        backend.dialect, backend.template, messages, TOOLS, backend.model.tokenize, backend.model_id
    )
    assert prompt.spliced == 0
