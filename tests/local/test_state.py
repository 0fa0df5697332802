"""Session warm start: the KV state saved with a session comes back without a prefill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minimax_agent.errors import BackendError
from tests.local.conftest import conversation, run_step
from tests.local.test_prefix_reuse import TOOLS, answer_calls, constrained


def test_save_then_restore_evaluates_only_new_tokens(make_backend: Any, tmp_path: Path) -> None:
    first = constrained(make_backend)
    messages = conversation()
    _, finish, usage = run_step(first, messages, tools=TOOLS)
    answer_calls(messages, finish.message)
    state = tmp_path / "session.kv"
    first.save_state(state)
    first.close()

    resumed = constrained(make_backend)
    held = resumed.load_state(state)
    assert held == usage.prompt_tokens + usage.completion_tokens
    _, _, after = run_step(resumed, messages, tools=TOOLS)
    assert after.cached_tokens == held
    assert after.extra["tokens_evaluated"] == after.prompt_tokens - held > 0


def test_state_of_another_model_is_refused(make_backend: Any, tmp_path: Path) -> None:
    backend = make_backend()
    run_step(backend, conversation(), max_tokens=4)
    state = tmp_path / "s.kv"
    backend.save_state(state)
    meta = state.with_name("s.kv.json")
    meta.write_text('{"model": "other.gguf:1:1", "kv_type": "1"}')
    with pytest.raises(BackendError, match="another model"):
        backend.load_state(state)
    with pytest.raises(BackendError, match="no KV state"):
        backend.load_state(tmp_path / "missing.kv")
