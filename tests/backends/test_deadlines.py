"""Every wait has a deadline, every failure an honest exit: the OpenAI backend against the real
fake server (real HTTP), through the real CLI where the exit code is the point.

A turn's deadline holds against SSE keep-alive comments sent forever; the run's max_wall_s cuts a
stream too; a stall is retried only within a budget; a 200 reply with nothing in it, a turn cut
off by max_tokens and a turn that ends inside its reasoning are not "done"."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai.transport import Deadline, timed_lines
from minimax_agent.config import Settings
from minimax_agent.errors import BackendError
from minimax_agent.events import Finish, ReasoningDelta
from minimax_agent.messages import UserMessage
from tests.backends.conftest import KEY, BackendFactory, ServerFactory
from tests.conftest import RunCli, make_repo
from tests.fakes.openai_server import FakeOpenAIServer, Raw, Turn

FAST = {"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01", "VLLM_API_KEY": KEY}
ANSWER = Turn(reasoning="Easy.", text="All done.")
pytestmark = pytest.mark.timeout(180)  # a regression hangs; it must not hang the suite


def fix(
    invoke_cli: RunCli,
    tmp_path: Path,
    server: FakeOpenAIServer,
    *extra: str,
    provider: str = "vllm",
    **env: str,
) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "repo"
    if not repo.exists():
        make_repo(repo, {"notes.txt": "hello\n"})
    return invoke_cli(
        "fix",
        "say hello",
        "-C",
        str(repo),
        "--provider",
        provider,
        "--base-url",
        server.url,
        "--sandbox",
        "off",
        "--output-format",
        "json",
        *extra,
        env={**FAST, **env},
        timeout=120,
    )


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def ask(backend: Any) -> list[Any]:
    return list(backend.stream(Request(messages=[UserMessage(content="hi")])))


# -- the turn deadline ------------------------------------------------------------------------


def test_timed_lines_split_like_sse_at_every_cut_and_check_every_piece() -> None:
    text = "data: a\r\n\r\n: ping\r\rdata: b\n\ndata: c\r\n\ndata: d"
    expected = re.split(r"\r\n|\r|\n", text)
    checked: list[None] = []
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            pieces = [text[:first], text[first:second], text[second:]]
            before = len(checked)
            lines = list(timed_lines(pieces, lambda: checked.append(None)))
            assert lines == expected, (first, second)
            assert len(checked) - before == 3


def test_the_deadline_is_checked_at_pieces_that_complete_no_line() -> None:
    def dribble() -> Any:
        yield "data: {"
        while True:
            yield "x"  # a server sending a line that never ends

    deadline = Deadline(time.monotonic() + 0.2, "stopped by the deadline")
    with pytest.raises(BackendError, match="stopped by the deadline"):
        list(timed_lines(dribble(), deadline.check))


def test_keepalive_comments_forever_end_the_run_at_turn_timeout(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(text="never sent", keepalive_forever=True))
    proc = fix(invoke_cli, tmp_path, server, MINIMAX_AGENT_TURN_TIMEOUT_S="1.5")
    assert proc.returncode == 3, proc.stderr
    result = report(proc)
    assert result["status"] == "backend_error"
    assert "turn_timeout_s (1.5s)" in result["error"]
    assert "keep-alive comments do not extend it" in result["error"]
    assert len(server.chat_requests) == 1  # a passed deadline is not retried


def test_max_wall_s_cuts_a_stream_that_keeps_itself_alive(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("openrouter")  # its own `: OPENROUTER PROCESSING` comments as well
    server.add(Turn(text="never sent", keepalive_forever=True))
    proc = fix(
        invoke_cli,
        tmp_path,
        server,
        "--model",
        "MiniMax-M2.1",
        provider="openrouter",
        MINIMAX_AGENT_MAX_WALL_S="1.5",
        OPENROUTER_API_KEY=KEY,
    )
    assert proc.returncode == 1, proc.stderr  # the run's own limit: not done, not a failure
    result = report(proc)
    assert result["status"] == "wall_time"
    assert "max_wall_s" in result["error"]


def test_a_silent_socket_waits_only_until_the_deadline_not_the_read_timeout(
    backend_for: BackendFactory, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(text="late", stall_s=3600))  # headers, one chunk, then nothing
    # Unclipped, the first read would wait 600 s (and the test's timeout would fail it).
    backend = backend_for(server, read_timeout_s=600, turn_timeout_s=1.0)
    with pytest.raises(BackendError, match=r"within turn_timeout_s \(1s\)"):
        ask(backend)
    assert len(server.chat_requests) == 1


def test_a_deadline_already_past_sends_nothing(
    backend_for: BackendFactory, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(ANSWER)
    backend = backend_for(server)
    request = Request(messages=[UserMessage(content="hi")], deadline=time.monotonic() - 1)
    with pytest.raises(BackendError, match="max_wall_s"):
        list(backend.stream(request))
    assert server.chat_requests == []


def test_turn_timeout_and_read_timeout_come_from_the_settings(
    tmp_path: Path, fake_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minimax_agent.backends.openai import OpenAIBackend

    server = fake_server("vllm-parser", api_key=None)
    defaults = OpenAIBackend.from_settings(Settings(base_url=server.url))
    assert (defaults.read_timeout_s, defaults.turn_timeout_s) == (120.0, 1800.0)
    monkeypatch.setenv("MINIMAX_AGENT_TURN_TIMEOUT_S", "42")
    monkeypatch.setenv("MINIMAX_AGENT_READ_TIMEOUT_S", "7")
    backend = OpenAIBackend.from_settings(Settings(base_url=server.url))
    try:
        assert (backend.read_timeout_s, backend.turn_timeout_s) == (7.0, 42.0)
        assert backend.transport.read_timeout_s == 7.0
    finally:
        backend.close()
        defaults.close()


# -- stalls ------------------------------------------------------------------------------------


def test_a_stall_is_retried_and_the_retry_answers(
    backend_for: BackendFactory, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(text="late", stall_s=3600), ANSWER)
    events = ask(backend_for(server, read_timeout_s=0.3))
    finish = events[-1]
    assert isinstance(finish, Finish) and finish.message.content.strip() == "All done."
    assert len(server.chat_requests) == 2


def test_stalls_stop_being_retried_when_their_budget_is_spent(
    backend_for: BackendFactory, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(*[Turn(text="late", stall_s=3600) for _ in range(5)])
    # 0.4 s stalls within a 1 s budget: the first, one retry (0.8 s), and no third (1.2 s),
    # although max_retries would allow four: the default 120 s / 300 s gives the same two.
    backend = backend_for(server, read_timeout_s=0.4, stall_budget_s=1.0, max_retries=4)
    with pytest.raises(BackendError, match=r"gave up after 2 attempts: .*timed out"):
        ask(backend)
    assert len(server.chat_requests) == 2


def test_a_stalling_endpoint_exits_3_through_the_cli(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(*[Turn(text="late", stall_s=3600) for _ in range(2)])
    proc = fix(
        invoke_cli,
        tmp_path,
        server,
        MINIMAX_AGENT_READ_TIMEOUT_S="0.3",
        MINIMAX_AGENT_MAX_RETRIES="1",
    )
    assert proc.returncode == 3, proc.stderr
    result = report(proc)
    assert result["status"] == "backend_error"
    assert "timed out" in result["error"] and "gave up after 2 attempts" in result["error"]


# -- empty replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Raw({}), "no choices"),
        (Raw({"choices": []}), "no choices"),
        (Turn(), "no content, reasoning or tool call"),  # a stream with no delta in it
        (Raw({"choices": [{"index": 0, "message": {"content": ""}}]}), "no content"),
    ],
)
def test_an_empty_200_reply_is_retried_then_exits_3(
    reply: Raw | Turn,
    why: str,
    tmp_path: Path,
    invoke_cli: RunCli,
    fake_server: ServerFactory,
) -> None:
    server = fake_server("vllm-parser")
    server.add(reply, reply)
    proc = fix(invoke_cli, tmp_path, server, MINIMAX_AGENT_MAX_RETRIES="1")
    assert proc.returncode == 3, proc.stderr
    result = report(proc)
    assert result["status"] == "backend_error"
    assert f"sent an empty reply ({why}" in result["error"]
    assert "gave up after 2 attempts" in result["error"]
    assert len(server.chat_requests) == 2


def test_an_empty_reply_then_an_answer_is_done(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Raw({}), ANSWER)
    proc = fix(invoke_cli, tmp_path, server)
    assert proc.returncode == 0, proc.stderr
    assert report(proc)["final_answer"].strip() == "All done."


# -- cut off, or ended inside the reasoning -----------------------------------------------------


def test_a_turn_cut_off_by_max_tokens_is_truncated_exit_1(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="Let me write it.", text="The answer is", finish_reason="length"))
    proc = fix(invoke_cli, tmp_path, server, "--max-tokens", "50")
    assert proc.returncode == 1, proc.stderr
    result = report(proc)
    assert result["status"] == "truncated" and result["exit_code"] == 1
    assert result["error"] == "the answer was cut off by max_tokens (50)"
    assert result["final_answer"].strip() == "The answer is"  # what came is still reported


def test_a_cut_off_answer_says_so_in_text_output(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="Hmm, first I", finish_reason="length"))
    proc = fix(invoke_cli, tmp_path, server, "--output-format", "text")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        "truncated: the answer was cut off by the backend's output limit while the model was "
        "still reasoning" in proc.stderr
    )


@pytest.mark.parametrize(
    ("mode", "turn"),
    [
        ("vllm-parser", Turn(reasoning="I should think more about this.")),
        ("vllm-inline", Turn(raw_content="<think>\nStill thinking, and the stream ends")),
    ],
)
def test_a_turn_that_ends_inside_its_reasoning_is_asked_again_once_then_truncated(
    mode: str, turn: Turn, tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server(mode)
    server.add(turn, turn)
    proc = fix(invoke_cli, tmp_path, server)
    assert proc.returncode == 1, proc.stderr
    result = report(proc)
    assert result["status"] == "truncated"
    assert "ended inside its reasoning" in result["error"]
    assert len(server.chat_requests) == 2


def test_a_reasoning_only_turn_is_asked_again_without_it_in_the_history(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="Only thinking."), ANSWER)
    proc = fix(invoke_cli, tmp_path, server)
    assert proc.returncode == 0, proc.stderr
    assert report(proc)["final_answer"].strip() == "All done."
    first, second = server.chat_requests
    assert first.body["messages"] == second.body["messages"]  # the same question, asked again


def test_text_streamed_before_a_failure_is_not_replayed(
    backend_for: BackendFactory, fake_server: ServerFactory
) -> None:
    server = fake_server("vllm-parser", chunk_size=3)
    server.add(Turn(reasoning="partial thoughts", stall_s=3600, stall_after=3))
    backend = backend_for(server, read_timeout_s=0.3)
    seen: list[Any] = []
    with pytest.raises(BackendError, match="already started streaming"):
        for event in backend.stream(Request(messages=[UserMessage(content="hi")])):
            seen.append(event)
    assert any(isinstance(e, ReasoningDelta) for e in seen)
    assert len(server.chat_requests) == 1


def test_a_host_that_does_not_resolve_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    """A DNS answer that the name does not exist will not change in 15 seconds: one attempt and a
    clear line, not four retries (`.invalid` never resolves, RFC 6761)."""
    import logging

    from minimax_agent.backends import Request
    from minimax_agent.backends.openai import OpenAIBackend
    from minimax_agent.errors import BackendError
    from minimax_agent.messages import UserMessage
    from minimax_agent.providers import PRESETS, Provider

    provider = Provider("vllm", "http://no-such-host.invalid:9/v1", PRESETS["vllm"], None, None)
    backend = OpenAIBackend(provider, model="MiniMax-M2.1", max_retries=4, retry_backoff_s=60.0)
    with caplog.at_level(logging.WARNING), pytest.raises(BackendError) as caught:
        list(backend.stream(Request(messages=[UserMessage(content="hi")])))
    backend.close()
    assert "cannot resolve the host of http://no-such-host.invalid:9/v1" in str(caught.value)
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
