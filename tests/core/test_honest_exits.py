"""Inputs that used to end in a traceback end in a clear line and the right exit code instead:
surrogates in model text, JSON arguments nested 100000 deep, a malformed base URL. Each case runs
the real CLI in a subprocess (against the real fake server where a model speaks)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.surrogates import PairJoiner, repair
from tests.backends.conftest import KEY, ServerFactory
from tests.conftest import RunCli, make_repo, write_script
from tests.fakes.openai_server import Call, FakeOpenAIServer, Turn

pytestmark = pytest.mark.timeout(180)

SMILE = "\U0001f600"
# A JSON `\ud83d\ude00` decodes to these two code points when the halves arrive apart.
HALVES = "\ud83d\ude00"
FAST = {"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01", "VLLM_API_KEY": KEY}


@pytest.fixture
def fake_server() -> Iterator[ServerFactory]:
    """Fake endpoints (as in tests/backends), stopped after the test."""
    started: list[FakeOpenAIServer] = []

    def start(mode: str, **kwargs: Any) -> FakeOpenAIServer:
        started.append(FakeOpenAIServer(mode, api_key=KEY, **kwargs).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def fix(
    invoke_cli: RunCli, repo: Path, server: FakeOpenAIServer, *extra: str
) -> subprocess.CompletedProcess[str]:
    return invoke_cli(
        "fix",
        "look at notes.txt",
        "-C",
        str(repo),
        "--provider",
        "vllm",
        "--base-url",
        server.url,
        "--sandbox",
        "off",
        *extra,
        env=FAST,
        timeout=120,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


def session_records(home: Path) -> list[dict[str, Any]]:
    (path,) = (home / ".state" / "minimax-agent" / "sessions").glob("*.jsonl")
    text = path.read_bytes().decode("utf-8")  # strict: the file is valid UTF-8
    return [json.loads(line) for line in text.splitlines()]


# -- surrogates ----------------------------------------------------------------------------------


def test_repair_joins_pairs_and_replaces_lone_surrogates() -> None:
    assert repair(f"a{HALVES}b") == f"a{SMILE}b"
    assert repair("x\ud800y\udc80") == "x\ufffdy\ufffd"
    plain = "nothing to do ünïcödé"
    assert repair(plain) is plain
    joiner = PairJoiner()
    pieces = [joiner.feed(p) for p in ("ab\ud83d", "\ude00c", "\ud83d")] + [joiner.flush()]
    assert pieces == ["ab", f"{SMILE}c", "", "\ufffd"]


@pytest.mark.parametrize("output", ["text", "json", "stream-json"])
def test_surrogates_from_the_endpoint_are_repaired_and_nothing_is_lost(
    output: str,
    tmp_path: Path,
    invoke_cli: RunCli,
    isolated_home: Path,
    fake_server: ServerFactory,
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})
    # one code point a chunk: the two halves of the pair arrive in separate SSE events
    server = fake_server("vllm-parser", chunk_size=1)
    server.add(
        Turn(
            reasoning=f"Think {HALVES} hard",
            text=f"Reading {HALVES} now, lone \ud800 here",
            calls=[Call("read_file", {"path": "notes.txt"})],
        ),
        Turn(reasoning="ok", text="Done \udc80 with it."),
    )
    proc = fix(invoke_cli, repo, server, "--output-format", output)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    # The next request carried the first turn back: the pair joined, the lone half replaced.
    echoed = next(m for m in server.chat_requests[1].body["messages"] if m["role"] == "assistant")
    assert echoed["content"].strip() == f"Reading {SMILE} now, lone \ufffd here"
    assert echoed["reasoning_content"] == f"Think {SMILE} hard"
    # Every message reached the session file, the last one included.
    messages = [r["m"] for r in session_records(isolated_home) if r["t"] == "msg"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert messages[-1]["content"].strip() == "Done \ufffd with it."
    if output == "json":
        assert json.loads(proc.stdout)["final_answer"].strip() == "Done \ufffd with it."
    elif output == "stream-json":
        done = json.loads(proc.stdout.splitlines()[-1])
        assert done["type"] == "done" and done["status"] == "done"
    else:
        assert "Done \ufffd with it." in proc.stdout


@pytest.mark.parametrize("output", ["text", "json", "stream-json"])
def test_lone_surrogates_from_any_backend_reach_the_session_file_repaired(
    output: str, tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    # The scripted backend does not repair anything: the writers must.
    repo = make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})
    script = write_script(tmp_path / "s.json", [f"r \ud800</think>\n\nHalf \udbff {HALVES} done."])
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--output-format", output
    )
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    last = [r["m"] for r in session_records(isolated_home) if r["t"] == "msg"][-1]
    assert last["content"] == f"Half \ufffd {SMILE} done."
    assert last["reasoning"] == "r \ufffd"
    if output == "stream-json":
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        shown = "".join(e["text"] for e in lines if e["type"] == "text")
        assert "Half \ufffd" in shown


# -- deeply nested JSON arguments -----------------------------------------------------------------


def test_native_arguments_nested_100000_deep_go_back_to_the_model_as_an_error(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})
    server = fake_server("vllm-parser")
    deep_but_valid = '{"message": "m", "paths": ' + "[" * 500 + "]" * 500 + "}"
    server.add(
        Turn(
            text="Commit.",
            calls=[
                Call("git_commit", {}, raw_arguments="[" * 100_000),
                Call("git_commit", {}, raw_arguments=deep_but_valid),
            ],
        ),
        Turn(text="I will stop."),
    )
    proc = fix(invoke_cli, repo, server, "--output-format", "json")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    calls = json.loads(proc.stdout)["tool_calls"]
    assert len(calls) == 2
    for call in calls:
        assert call["is_error"] and "nested more than 100 levels deep" in call["result"]
    tools = [m for m in server.chat_requests[1].body["messages"] if m["role"] == "tool"]
    assert all("nested more than 100 levels deep" in m["content"] for m in tools)


def test_xml_arguments_nested_100000_deep_go_back_to_the_model_as_an_error(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})
    server = fake_server("vllm-inline")
    block = (
        '<minimax:tool_call>\n<invoke name="git_commit">\n'
        '<parameter name="message">m</parameter>\n'
        f'<parameter name="paths">{"[" * 100_000}</parameter>\n'
        "</invoke>\n</minimax:tool_call>"
    )
    server.add(
        Turn(raw_content=f"<think>\nCommit it.\n</think>\n\n{block}"),
        Turn(reasoning="It failed.", text="I will stop."),
    )
    proc = fix(invoke_cli, repo, server, "--output-format", "json")
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    (call,) = json.loads(proc.stdout)["tool_calls"]
    assert call["is_error"]
    assert "parameter 'paths'" in call["result"] and "nested more than 100" in call["result"]


# -- malformed base URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1", "is not a valid URL"),
        ("http://[::1/v1", "is not a valid URL"),
        ("http://host:notaport/v1", "is not a valid URL"),
        ("http://host:99999/v1", "is not a valid URL"),
        ("http:///v1", "names no host"),
        ("ftp://host/v1", "must start with http:// or https://"),
    ],
)
def test_a_malformed_base_url_is_one_line_and_exit_2(
    url: str, why: str, tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "hello\n"})
    proc = invoke_cli("fix", "x", "-C", str(repo), "--base-url", url, "--sandbox", "off")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("minimax-agent: error: base URL") and why in line
