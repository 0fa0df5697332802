"""The tiny model loads, streams through the dialect parser, stops at EOS, honours max tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends.local.splice import TOKENS_KEY
from minimax_agent.errors import BackendError
from minimax_agent.events import Finish, ReasoningDelta, TextDelta, ToolCall, Usage
from tests.conftest import tiny_template
from tests.local.conftest import conversation, run_step
from tools import default_tools


def test_loads_and_streams_until_max_tokens(make_backend: Any) -> None:
    backend = make_backend()
    assert backend.model.n_ctx == 16384 and backend.context_window == 16384
    events, finish, usage = run_step(backend, conversation(), max_tokens=40)
    deltas = [e for e in events if isinstance(e, ReasoningDelta | TextDelta)]
    assert len(deltas) > 1, "tokens arrive one by one, not as one block at the end"
    assert events.index(deltas[0]) < events.index(usage) < events.index(finish)
    assert usage.completion_tokens == 40 and finish.reason == "length"
    assert usage.prompt_tokens == usage.extra["tokens_evaluated"] > 0
    assert usage.cached_tokens == 0
    assert usage.extra["decode_tps"] > 0 and usage.extra["prefill_tps"] > 0
    kept = finish.message.provider_fields[TOKENS_KEY]
    assert len(kept["ids"]) == 40 and kept["model"] == backend.model_id


def test_incremental_utf8_matches_decoding_all_bytes_at_once(make_backend: Any) -> None:
    # Byte-level tokens split multi-byte characters; the stream must not mangle them.
    backend = make_backend(seed=12)
    _, finish, _ = run_step(backend, conversation(), max_tokens=300)
    ids = finish.message.provider_fields[TOKENS_KEY]["ids"]
    whole = b"".join(backend.model.piece(t) for t in ids).decode("utf-8", errors="replace")
    assert finish.message.raw == whole
    assert any(ord(c) > 0x7F and c != "\ufffd" for c in whole), "no multi-byte text to check"


def test_stops_at_end_of_turn_token(make_backend: Any) -> None:
    # Under the whole-turn grammar the block must close, and then only EOS may follow.
    backend = make_backend(constrain_tools=True, tool_choice="required", constrain_max_chars=16)
    tools = default_tools(read_only=True).specs()
    events, finish, usage = run_step(backend, conversation(), tools=tools, max_tokens=3000)
    assert finish.reason == "tool_calls"
    assert usage.completion_tokens < 3000
    assert finish.message.raw is not None
    assert finish.message.raw.endswith("</minimax:tool_call>")
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls and all(c.error is None for c in calls)
    assert {c.name for c in calls} <= {t.name for t in tools}


def test_lazy_grammar_after_the_tag(make_backend: Any) -> None:
    # tool_choice auto: the grammar switches on after `<minimax:tool_call>`; driven here by a
    # prompt that ends with the tag, as if the model had just written it.
    from minimax_agent.backends.local.sampling import Sampler, SamplingParams

    backend = make_backend()
    dialect = backend.dialect
    model = backend.model
    tools = default_tools().specs()
    prefix = "]~!b[]~b]user\nfix it[e~[\n]~b]ai\n<think>\nok\n</think>\n\n<minimax:tool_call>"
    for seed in range(3):
        sampler = Sampler(model, SamplingParams(seed=seed))
        sampler.constrain(dialect.call_grammar(tools, max_chars=12))
        model.evaluate(model.tokenize(prefix))
        out = b""
        for _ in range(2000):
            token = sampler.sample()
            if model.is_eog(token):
                break
            out += model.piece(token)
            model.append(token)
        sampler.close()
        text = out.decode("utf-8", errors="replace")
        events, _ = dialect.parse_complete("ok</think>\n\n<minimax:tool_call>" + text, tools)
        calls = [e for e in events if isinstance(e, ToolCall)]
        assert text.endswith("</minimax:tool_call>"), text
        assert calls and all(c.error is None for c in calls), calls


def test_interrupted_stream_leaves_the_cache_usable(make_backend: Any) -> None:
    backend = make_backend()
    messages = conversation()
    stream = backend.stream(_request(messages, max_tokens=200))
    seen = 0
    for event in stream:
        seen += isinstance(event, ReasoningDelta | TextDelta)
        if seen == 10:
            break  # what Ctrl-C in the UI does to the generator
    stream.close()
    _, finish, usage = run_step(backend, messages, max_tokens=5)
    # The prompt is still in the cache: only its last token is evaluated again (for logits).
    assert usage.extra["tokens_evaluated"] == 1
    assert usage.cached_tokens == usage.prompt_tokens - 1
    assert isinstance(finish, Finish)


def _request(messages: list[Any], **kw: Any) -> Any:
    from minimax_agent.backends import Request

    return Request(messages=list(messages), **kw)


def test_usage_event_shape(make_backend: Any) -> None:
    backend = make_backend()
    _, _, usage = run_step(backend, conversation(), max_tokens=3)
    assert isinstance(usage, Usage)
    assert set(usage.extra) >= {"tokens_evaluated", "prefill_tps", "decode_tps"}


def test_quantized_kv_cache(make_backend: Any, tmp_path: Path) -> None:
    from minimax_agent.backends.local import LocalBackend
    from quantize.tiny import write_tiny_model
    from tests.local.conftest import local_settings

    # The tiny model's 16-wide heads cannot hold q8_0 blocks of 32: a clear backend error.
    with pytest.raises(BackendError, match="does not divide"):
        make_backend(kv_type="q8_0")
    wider = write_tiny_model(tmp_path / "quant.gguf", "quant", chat_template=tiny_template())
    backend = LocalBackend.from_settings(local_settings(wider, kv_type="q8_0", temperature=0))
    try:
        assert backend.model.params.flash_attn == 1  # a quantized V cache needs flash attention
        _, finish, usage = run_step(backend, conversation(), max_tokens=16)
        assert usage.completion_tokens == 16 and finish.reason == "length"
    finally:
        backend.close()
