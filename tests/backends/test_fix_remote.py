"""`minimax-agent fix` end to end (the real CLI in a subprocess) against the fake server in each
endpoint mode, in a real git repo: the model reads a file, edits it, and finishes. The recorded
requests must hold every earlier turn exactly as the server sent it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backends.conftest import KEY, ServerFactory
from tests.conftest import GIT_ENV, RunCli, make_repo
from tests.fakes.openai_server import MODES, Call, Fault, Turn

# Each mode through the preset a user would pick for that endpoint, and the key's variable.
FLAGS = {
    "vllm-inline": (["--provider", "vllm"], "VLLM_API_KEY"),
    "vllm-parser": (["--provider", "vllm"], "VLLM_API_KEY"),
    "openrouter": (["--provider", "openrouter", "--model", "MiniMax-M2.1"], "OPENROUTER_API_KEY"),
    "minimax-split": (["--provider", "minimax"], "MINIMAX_API_KEY"),
    "modelslab": (["--provider", "modelslab", "--model", "MiniMax-M2.1"], "MODELSLAB_API_KEY"),
}
FAST = {"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"}

SCRIPT = [
    Turn(
        reasoning="The user wants the typo fixed.\nI should <read> notes.txt first & look.",
        text="Let me read the file.",
        calls=[Call("read_file", {"path": "notes.txt", "limit": 5})],
        cost=0.001,
    ),
    Turn(
        reasoning="Line 1 says `teh`; replace it with `the`.",
        text="",
        calls=[Call("edit_file", {"path": "notes.txt", "old_string": "teh", "new_string": "the"})],
        cost=0.002,
    ),
    Turn(reasoning="The edit worked.", text="Fixed the typo in notes.txt.", cost=0.003),
]


def fix(
    invoke_cli: RunCli, repo: Path, url: str, mode: str, *extra: str, key: str = KEY
) -> subprocess.CompletedProcess[str]:
    flags, env = FLAGS[mode]
    return invoke_cli(
        "fix",
        "fix the typo in notes.txt",
        "-C",
        str(repo),
        "--base-url",
        url,
        *flags,
        *extra,
        env={env: key, **FAST},
    )


def assistant_and_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] in ("assistant", "tool")]


@pytest.mark.parametrize("mode", MODES)
def test_fix_reads_edits_and_finishes_with_reasoning_sent_back_exactly(
    mode: str, tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    server = fake_server(mode)
    server.add(*SCRIPT)
    proc = fix(invoke_cli, repo, server.url, mode, "--output-format", "json")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "notes.txt").read_text() == "the cat sat\n"
    result = json.loads(proc.stdout)
    assert result["status"] == "done"
    assert result["final_answer"].strip() == "Fixed the typo in notes.txt."
    read, edit = result["tool_calls"]
    # Typed arguments: an integer limit, whether it came as JSON or as XML text "5".
    assert read["arguments"] == {"path": "notes.txt", "limit": 5} and not read["is_error"]
    assert not edit["is_error"], edit["result"]
    assert result["usage"]["prompt_tokens"] == 3 * 120
    assert result["usage"]["cached_tokens"] == 3 * 64
    if mode == "openrouter":
        assert result["usage"]["cost"] == pytest.approx(0.006)

    requests = server.chat_requests
    assert len(requests) == 3 and len(server.sent) == 3
    last = assistant_and_tools(requests[2].body)
    assert [m["role"] for m in last] == ["assistant", "tool", "assistant", "tool"]
    # The third request repeats the first one's history unchanged.
    assert last[:2] == assistant_and_tools(requests[1].body)
    for turn, (echoed, result_msg) in enumerate([(last[0], last[1]), (last[2], last[3])]):
        sent = server.sent[turn]
        assert result_msg["tool_call_id"]
        if mode == "vllm-inline":
            # the content less its tool XML, the calls as tool_calls (tests/backends/
            # test_roundtrip.py renders this with the official template)
            xml = sent["content"].index("\n<minimax:tool_call>")
            assert echoed["content"] == sent["content"][:xml]
            assert [c["id"] for c in echoed["tool_calls"]] == [result_msg["tool_call_id"]]
            assert sent["content"].startswith("<think>\n" + SCRIPT[turn].reasoning)
            continue
        assert echoed["tool_calls"] == sent["tool_calls"]
        assert result_msg["tool_call_id"] == sent["tool_calls"][0]["id"]
        field = {"vllm-parser": "reasoning_content", "modelslab": "reasoning"}.get(mode)
        if field:
            assert echoed[field] == sent[field] == SCRIPT[turn].reasoning
        else:
            assert echoed["reasoning_details"] == sent["reasoning_details"]
    assert "teh cat sat" in last[1]["content"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in requests)
    if mode == "modelslab":  # the older form too: key and model_id in the body
        assert all(r.body["key"] == KEY and r.body["model_id"] == "MiniMax-M2.1" for r in requests)


def test_bad_key_exits_3_with_one_clear_line(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    server = fake_server("openrouter")
    proc = fix(invoke_cli, repo, server.url, "openrouter", key="sk-wrong")
    assert proc.returncode == 3
    lines = [line for line in proc.stderr.splitlines() if "check your API key" in line]
    assert len(lines) == 1
    assert "openrouter" in lines[0] and "OPENROUTER_API_KEY" in lines[0]
    assert "sk-wrong" not in proc.stderr and "Traceback" not in proc.stderr
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(429, "rate limited", {"Retry-After": "0"}),
        Fault(500, "internal error"),
        Turn(text="lost", cut_after=1, abrupt=True),  # the connection drops mid-body
    ],
    ids=["429-retry-after", "500", "truncated-stream"],
)
def test_a_transient_fault_is_retried_and_the_run_finishes(
    tmp_path: Path, invoke_cli: RunCli, fake_server: ServerFactory, fault: Fault | Turn
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    server = fake_server("vllm-parser")
    server.add(fault, *SCRIPT)
    proc = fix(invoke_cli, repo, server.url, "vllm-parser")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "notes.txt").read_text() == "the cat sat\n"
    assert len(server.chat_requests) == 4
    # the retried request is the same request: nothing of the failed attempt leaked in
    assert server.chat_requests[0].body == server.chat_requests[1].body


def test_a_dead_endpoint_is_a_backend_error_that_says_so(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    # port 9 (discard) on localhost: nothing listens, so the connection is refused at once
    dead = "http://127.0.0.1:9/v1"
    proc = invoke_cli("fix", "t", "-C", str(repo), "--provider", "vllm", "--base-url", dead)
    assert proc.returncode == 3, proc.stderr
    assert f"cannot reach {dead}/models" in proc.stderr and "Traceback" not in proc.stderr


def test_a_missing_key_is_a_usage_error(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    proc = invoke_cli(
        "fix", "t", "-C", str(repo), "--provider", "nvidia", env={"NVIDIA_API_KEY": ""}
    )
    assert proc.returncode == 2
    assert "nvidia needs an API key: set NVIDIA_API_KEY" in proc.stderr


def test_ctrl_c_closes_the_stream_and_exits_130(
    tmp_path: Path, isolated_home: Path, fake_server: ServerFactory
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="thinking " * 200, text="t", delay_s=0.02))
    import os

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minimax_agent",
            "fix",
            "t",
            "-C",
            str(repo),
            "--provider",
            "vllm",
            "--base-url",
            server.url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **GIT_ENV, "VLLM_API_KEY": KEY},
    )
    deadline = time.monotonic() + 60
    while not server.chat_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # well into the stream
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    deadline = time.monotonic() + 10
    while server.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.disconnects == 1
