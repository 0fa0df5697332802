"""Trace records: every exchange, with secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimax_agent.events import Finish, TextDelta, TraceRecord
from minimax_agent.messages import AssistantMessage
from minimax_agent.session.trace import REDACTED, TraceWriter, redact


def test_redacts_secret_keys_and_environment_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-very-secret-value")
    writer = TraceWriter(tmp_path / "t.jsonl")
    body = {
        "model": "m",
        "headers": {"Authorization": "Bearer sk-or-very-secret-value", "X-Title": "ok"},
        "key": "modelslab-key",
        "messages": [{"role": "user", "content": "my key is sk-or-very-secret-value"}],
    }
    finish = Finish("stop", AssistantMessage(content="hi", raw="r</think>hi"), request=body)
    writer.on_trace(TraceRecord(1, finish, [TextDelta("hi"), finish]))
    writer.close()
    record = json.loads((tmp_path / "t.jsonl").read_text())
    text = json.dumps(record)
    assert "sk-or-very-secret-value" not in text and "modelslab-key" not in text
    assert record["request"]["headers"] == {"Authorization": REDACTED, "X-Title": "ok"}
    assert record["request"]["messages"][0]["content"] == f"my key is {REDACTED}"
    assert record["raw"] == "r</think>hi"
    assert record["events"] == [{"type": "TextDelta", "text": "hi"}]


def test_redact_leaves_ordinary_data_alone() -> None:
    data = {"max_tokens": 5, "tools": [{"name": "x"}], "usage": {"prompt_tokens": 3}}
    assert redact(data, []) == data
