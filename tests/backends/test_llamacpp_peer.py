"""A real peer: llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`)
serving the project's tiny random-weight minimax-m2 GGUF (`quantize/tiny.py`).

llama-cpp-python 0.3.36 sends no usage inside a stream (it ignores `stream_options`), so usage
is read from its non-streaming reply, which the backend takes when a provider sets `stream =
false`; the streaming test accepts either.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.events import Event, Finish, ReasoningDelta, TextDelta, ToolCall, Usage
from minimax_agent.messages import Message, ToolMessage, ToolSpec, UserMessage
from minimax_agent.providers import PRESETS, Provider
from tests.conftest import tiny_template, wait_until_serving

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (extra `local`)")
# its server needs fastapi and uvicorn: llama-cpp-python[server], which scripts/test.sh installs
pytest.importorskip("uvicorn", reason="llama-cpp-python[server] is not installed")
pytest.importorskip("fastapi", reason="llama-cpp-python[server] is not installed")

TOOLS = [
    ToolSpec(
        name="read_file",
        description="Read a file.",
        parameters={"type": "object", "properties": {"path": {"type": "string"}}},
    )
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:

    from quantize.tiny import write_tiny_model

    model = write_tiny_model(
        tmp_path_factory.mktemp("gguf") / "tiny.gguf", chat_template=tiny_template()
    )
    port = _free_port()
    log = (tmp_path_factory.mktemp("log") / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "tiny-m2",
            "--verbose",
            "False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(proc, f"{url}/models", Path(log.name), "llama_cpp.server")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def backend(url: str, **quirks: object) -> OpenAIBackend:
    config = PRESETS["llamacpp-server"].model_copy(update=quirks)
    # No model named: the backend asks the server's /models, as it would a local llama-server.
    return OpenAIBackend(Provider("llamacpp-server", url, config, None, None), retry_backoff_s=0.01)


def ask(b: OpenAIBackend, messages: list[Message]) -> list[Event]:
    return list(b.stream(Request(messages=messages, tools=TOOLS, max_tokens=12)))


def test_streams_a_turn_from_the_real_server(llama_server: str) -> None:
    b = backend(llama_server)
    events = ask(b, [UserMessage(content="Say hello.")])
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert b.model == "tiny-m2"
    assert finish.request["model"] == "tiny-m2" and finish.request["top_k"] == 40
    message = finish.message
    # Random weights write random text; whatever came, the raw content holds all of it and
    # nothing shown was invented: every shown character is in the raw content.
    shown = "".join(e.text for e in events if isinstance(e, TextDelta | ReasoningDelta))
    assert message.raw is not None and all(ch in message.raw for ch in shown)
    assert finish.reason in ("length", "stop", "tool_calls")
    for usage in (e for e in events if isinstance(e, Usage)):
        assert usage.completion_tokens and usage.completion_tokens > 0

    # The turn goes back into the next request and the real server accepts the history.
    calls = [e for e in events if isinstance(e, ToolCall)]
    history: list[Message] = [UserMessage(content="Say hello."), message]
    history += [ToolMessage(tool_call_id=c.id, name=c.name, content="ok") for c in calls]
    history.append(UserMessage(content="Again."))
    assert isinstance(ask(b, history)[-1], Finish)
    b.close()


def test_reads_usage_from_the_real_server(llama_server: str) -> None:
    b = backend(llama_server, stream=False)
    events = ask(b, [UserMessage(content="Say hello.")])
    (usage,) = [e for e in events if isinstance(e, Usage)]
    assert usage.prompt_tokens and usage.prompt_tokens > 5
    assert usage.completion_tokens and usage.completion_tokens > 0
    assert isinstance(events[-1], Finish)
    b.close()
