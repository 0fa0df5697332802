"""The real C++ llama-server (tests/server/conftest.py) as the endpoint of the OpenAI backend and
of `minimax-agent fix --provider llamacpp-server`.

The tiny model's weights are random, so whatever it writes is noise. Where a test needs a known
turn, a GBNF grammar that admits one literal string makes the server generate exactly that
string (llama-server takes a custom `grammar` beside tools when `tool_choice` is "none", the
llamacpp-server preset's workaround): the test then knows byte for byte what the model wrote,
and can check that our echo makes the server's template re-render exactly those bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.events import Event, Finish, ToolCall, Usage
from minimax_agent.messages import Message, SystemMessage, ToolMessage, UserMessage
from minimax_agent.providers import PRESETS, Provider
from tests.conftest import RunCli, make_repo, write_script
from tests.e2e.test_fix_scripted import invoke
from tests.server.conftest import LlamaServer

# The turn the grammar makes the server write: reasoning, text, and two invokes in one block
# (llama-server's own parser answers that with HTTP 500, llama.cpp PR #22106).
PARALLEL = (
    "Two files to read.\n</think>\n\nReading both.\n<minimax:tool_call>\n"
    '<invoke name="read_file">\n<parameter name="path">a.txt</parameter>\n</invoke>\n'
    '<invoke name="read_file">\n<parameter name="path">b.txt</parameter>\n</invoke>\n'
    "</minimax:tool_call>"
)
ANSWER = "Nothing to do.\n</think>\n\nThe repository is fine."


def literal_grammar(text: str) -> str:
    """A GBNF grammar whose only sentence is `text`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'root ::= "{escaped}"'


# Named here, not left to the preset, where a test is about something else.
KNOWN_ANSWER = {"grammar": literal_grammar(ANSWER), "tool_choice": "none"}


def tool_specs() -> list[Any]:
    from tools import default_tools

    return default_tools(read_only=True).specs()


def backend(server: LlamaServer, **quirks: Any) -> OpenAIBackend:
    config = PRESETS["llamacpp-server"].model_copy(update=quirks)
    return OpenAIBackend(
        Provider("llamacpp-server", server.url, config, None, None), retry_backoff_s=0.01
    )


def turn(b: OpenAIBackend, messages: list[Message], **request: Any) -> list[Event]:
    events = list(b.stream(Request(messages=list(messages), tools=tool_specs(), **request)))
    assert isinstance(events[-1], Finish)
    return events


def apply_template(server: LlamaServer, body: dict[str, Any]) -> str:
    """The prompt llama-server renders (with its template, from the GGUF) for a request body."""
    reply = server.post("/apply-template", {"messages": body["messages"], "tools": body["tools"]})
    return str(reply["prompt"])


def scripted_history() -> list[Message]:
    """A conversation with reasoning and tool calls in it, written by the scripted backend."""
    from minimax_agent.backends.scripted import ScriptedBackend

    steps = [
        "Look at the file first.\n</think>\n\nLet me read it.\n"
        + invoke("read_file", path="a.txt"),
        "It is short.\n</think>\n\nThe file says hello.",
    ]
    scripted = ScriptedBackend(steps)
    messages: list[Message] = [
        SystemMessage(content="You are a test agent."),
        UserMessage(content="What is in a.txt?"),
    ]
    for _ in steps:
        events = list(scripted.stream(Request(messages=list(messages), tools=tool_specs())))
        finish = events[-1]
        assert isinstance(finish, Finish)
        messages.append(finish.message)
        for call in (e for e in events if isinstance(e, ToolCall)):
            messages.append(ToolMessage(tool_call_id=call.id, name=call.name, content="hello\n"))
    messages.append(UserMessage(content="And b.txt?"))
    return messages


def test_fix_run_against_llama_server_is_accepted_and_honest(
    tmp_path: Path, run_cli: RunCli, llama_server: LlamaServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "hello\n"})
    proc = run_cli(
        *("fix", "read a.txt", "-C", str(repo), "--provider", "llamacpp-server"),
        *("--base-url", llama_server.url, "--max-steps", "1", "--max-tokens", "4"),
        *("--output-format", "json", "--approval", "read-only"),
        env={"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"},
    )
    report = json.loads(proc.stdout)
    # Four tokens of noise are not an answer: the run is not done (1), and not a failure of
    # the backend (3); the server accepted the request and its usage came back.
    assert proc.returncode == 1, proc.stderr
    assert report["status"] == "truncated" and "max_tokens (4)" in report["error"]
    (step,) = report["usage"]["per_step"]
    assert step["prompt_tokens"] > 100 and step["completion_tokens"] == 4


def test_fix_run_finishes_done_on_a_known_answer(
    tmp_path: Path, run_cli: RunCli, llama_server: LlamaServer, isolated_home: Path
) -> None:
    # The user's own provider table adds the grammar to every request body; llama-server takes
    # it beside the tools since the preset sends tool_choice none.
    config = isolated_home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True)
    grammar = json.dumps(literal_grammar(ANSWER))
    config.write_text(f"[providers.llamacpp-server.extra_body]\ngrammar = {grammar}\n")
    repo = make_repo(tmp_path / "repo", {"a.txt": "hello\n"})
    proc = run_cli(
        *("fix", "check the repository", "-C", str(repo), "--provider", "llamacpp-server"),
        *("--base-url", llama_server.url, "--output-format", "json", "--approval", "read-only"),
        env={"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"},
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert report["status"] == "done" and report["steps"] == 1
    assert report["final_answer"].strip() == "The repository is fine."


def test_resumed_session_with_tool_calls_and_reasoning_is_accepted(
    tmp_path: Path, run_cli: RunCli, llama_server: LlamaServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "hello\n", "b.txt": "bye\n"})
    script = write_script(
        tmp_path / "script.json",
        [
            "Read it first.\n</think>\n\nReading.\n" + invoke("read_file", path="a.txt"),
            "It says hello.\n</think>\n\na.txt says hello.",
        ],
    )
    first = run_cli("fix", "what is in a.txt?", "-C", str(repo), "--backend", f"scripted:{script}")
    assert first.returncode == 0, first.stderr
    trace = tmp_path / "trace.jsonl"
    proc = run_cli(
        *("fix", "and b.txt?", "--continue", "-C", str(repo), "--provider", "llamacpp-server"),
        *("--base-url", llama_server.url, "--max-steps", "1", "--max-tokens", "4"),
        *("--output-format", "json", "--trace", str(trace), "--approval", "read-only"),
        env={"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"},
    )
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr  # accepted (no HTTP 400), then cut off
    assert report["status"] == "truncated" and "max_tokens (4)" in report["error"]
    body = json.loads(trace.read_text().splitlines()[0])["request"]
    (earlier, _answer) = [m for m in body["messages"] if m["role"] == "assistant"]
    assert earlier["tool_calls"][0]["function"]["name"] == "read_file"
    assert earlier["reasoning_content"].strip() == "Read it first."
    # The server's template shows the earlier call and, after the last user message, nothing of
    # the dropped reasoning: what the model sees is the conversation as it happened.
    prompt = apply_template(llama_server, body)
    assert '<invoke name="read_file">' in prompt and "what is in a.txt?" in prompt
    assert "Read it first." not in prompt


def test_apply_template_renders_the_echo_as_the_in_process_backend_does(
    llama_server: LlamaServer,
) -> None:
    pytest.importorskip("llama_cpp", reason="the in-process backend needs llama-cpp-python")
    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.config import Settings

    messages = scripted_history()
    remote = backend(llama_server, extra_body=KNOWN_ANSWER)
    sent = turn(remote, messages, max_tokens=100)[-1]
    assert isinstance(sent, Finish)
    local = LocalBackend.from_settings(
        Settings(model=str(llama_server.model), threads=1, n_ctx=16384, seed=7)
    )
    try:
        ours = list(local.stream(Request(messages=messages, tools=tool_specs(), max_tokens=1)))
    finally:
        local.close()
    in_process = ours[-1]
    assert isinstance(in_process, Finish)
    assert apply_template(llama_server, sent.request) == in_process.request


def test_parallel_invokes_under_the_presets_tool_choice_none(llama_server: LlamaServer) -> None:
    b = backend(llama_server, extra_body={"grammar": literal_grammar(PARALLEL)})
    messages: list[Message] = [
        SystemMessage(content="You are a test agent."),
        UserMessage(content="Read a.txt and b.txt."),
    ]
    events = turn(b, messages, max_tokens=400)  # one token a character: no merges apply
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.request["tool_choice"] == "none"  # the preset's workaround
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.arguments, c.error) for c in calls] == [
        ("read_file", {"path": "a.txt"}, None),
        ("read_file", {"path": "b.txt"}, None),
    ]
    assert finish.message.content.strip() == "Reading both."
    assert finish.message.reasoning.strip() == "Two files to read."
    first_prompt = apply_template(llama_server, finish.request)

    # Usage and llama-server's timings, mapped: the whole prompt was evaluated the first time.
    (usage,) = [e for e in events if isinstance(e, Usage)]
    assert usage.prompt_tokens and usage.completion_tokens
    assert usage.extra["tokens_evaluated"] + (usage.cached_tokens or 0) == usage.prompt_tokens

    # The turn goes back with both results; the server accepts it and its template re-renders
    # exactly what the model wrote, right after the prompt it was written for.
    history = [*messages, finish.message]
    history += [ToolMessage(tool_call_id=c.id, name=c.name, content="x\n") for c in calls]
    nxt = turn(backend(llama_server), history, max_tokens=1)
    again = nxt[-1]
    assert isinstance(again, Finish)
    assert apply_template(llama_server, again.request).startswith(first_prompt + PARALLEL + "[e~[")
    (usage,) = [e for e in nxt if isinstance(e, Usage)]
    assert usage.cached_tokens and usage.cached_tokens >= len(first_prompt) // 8
