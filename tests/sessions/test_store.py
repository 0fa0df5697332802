"""Session files: durable appends, replay, torn lines, unanswered calls, lookup by id."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from minimax_agent.errors import UsageError
from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from minimax_agent.session.store import (
    INTERRUPTED_CALL,
    SessionWriter,
    find_session,
    latest_session,
    list_sessions,
    load_session,
    sessions_dir,
)


def conversation() -> list[Message]:
    call = ToolCall(id="c1", name="read_file", arguments={"path": "a.py"})
    return [
        SystemMessage(content="system"),
        UserMessage(content="read a.py"),
        AssistantMessage(content="", reasoning="look first", tool_calls=[call], raw="raw text"),
        ToolMessage(tool_call_id="c1", name="read_file", content="1 x = 1"),
        AssistantMessage(content="It sets x.", provider_fields={"reasoning_details": [{"a": 1}]}),
    ]


def test_a_session_replays_exactly(isolated_home: Path, tmp_path: Path) -> None:
    writer = SessionWriter.create(tmp_path, backend="scripted:x")
    messages = conversation()
    writer.sync(messages[:2])
    writer.sync(messages)
    writer.sync(messages)  # nothing new: nothing written
    writer.close()
    path = sessions_dir() / f"{writer.info.id}.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["t"] for r in records] == ["meta", *["msg"] * 5]
    assert records[0]["root"] == str(tmp_path) and records[0]["backend"] == "scripted:x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # tool output may hold secrets
    loaded = load_session(latest_session(tmp_path))
    assert loaded.messages == messages  # reasoning, raw text and provider fields included
    assert loaded.info.title == "read a.py"


def test_nothing_is_written_for_an_empty_session(isolated_home: Path, tmp_path: Path) -> None:
    SessionWriter.create(tmp_path).close()
    assert list_sessions() == []


def test_a_torn_last_line_and_an_unanswered_call_are_repaired(
    isolated_home: Path, tmp_path: Path
) -> None:
    writer = SessionWriter.create(tmp_path)
    messages = conversation()[:3]  # the tool call never got its result
    writer.sync(messages)
    writer.close()
    with writer.info.path.open("a") as fh:
        fh.write('{"t": "msg", "m": {"role": "tool", "tool_call_id": "c1", "na')  # kill -9 here
    loaded = load_session(find_session(writer.info.id))
    assert [m.role for m in loaded.messages] == ["system", "user", "assistant", "tool"]
    closing = loaded.messages[-1]
    assert isinstance(closing, ToolMessage) and closing.is_error
    assert closing.tool_call_id == "c1" and closing.content == INTERRUPTED_CALL
    assert loaded.stored_count == 3
    # resuming appends after what was stored, repair included
    resumed = SessionWriter.resume(loaded)
    resumed.sync(loaded.messages)
    resumed.close()
    assert load_session(find_session(writer.info.id)).messages == loaded.messages


def test_resets_notes_and_usage(isolated_home: Path, tmp_path: Path) -> None:
    writer = SessionWriter.create(tmp_path)
    messages = conversation()
    writer.sync(messages)
    writer.usage({"prompt_tokens": 10, "completion_tokens": 2})
    compacted = [messages[0], messages[1], UserMessage(content="[Summary] done")]
    writer.reset(compacted, why="compact:auto")
    writer.note("the user undid step 1")
    writer.close()
    loaded = load_session(find_session(writer.info.id))
    assert loaded.messages == compacted
    assert loaded.notes == ["the user undid step 1"]
    assert loaded.usage == [{"prompt_tokens": 10, "completion_tokens": 2}]
    # a note is pending only until a user message carries it
    writer = SessionWriter.resume(loaded)
    writer.sync([*compacted, UserMessage(content="the user undid step 1\n\nnext")])
    writer.close()
    assert load_session(find_session(writer.info.id)).notes == []


def test_lookup_by_prefix_latest_per_workspace(isolated_home: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    ids = []
    for root in (one, two, one):
        writer = SessionWriter.create(root)
        writer.sync([SystemMessage(content="s"), UserMessage(content=f"task in {root.name}")])
        writer.close()
        ids.append(writer.info.id)
    os.utime(find_session(ids[0]).path, (1, 1))  # the first is the oldest activity
    assert latest_session(one).id == ids[2]
    assert [s.id for s in list_sessions(two)] == [ids[1]]
    assert len(list_sessions()) == 3
    assert find_session(ids[1][:-1]).id == ids[1]
    with pytest.raises(UsageError, match="no session"):
        find_session("nope")
    with pytest.raises(UsageError, match="ambiguous"):
        find_session(ids[0][:4])  # the year: every id starts with it
    with pytest.raises(UsageError, match="no earlier session"):
        latest_session(tmp_path / "elsewhere")
