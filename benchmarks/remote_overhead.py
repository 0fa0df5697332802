"""What the OpenAI-compatible and Anthropic backends cost on top of the network, against the
fake servers.

1. Stream parsing: the same SSE stream read by the backend (SSE framing, JSON, dialect assembly,
   events) and by a bare httpx loop that only splits lines, side by side, as chunks per second
   and their ratio. The server writes the whole stream at once, so the client is what is timed.
   The Anthropic Messages stream (thinking, text and tool_use blocks from the fake Anthropic
   server) is read the same two ways, and its cost per event is printed beside the ratio.
2. Start-up: the time from launching `minimax-agent fix` to the first request arriving at the
   server, next to a bare `python -c pass` for scale.

Run: .venv/bin/python benchmarks/remote_overhead.py [--runs N] [--chunks N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minimax_agent.backends import Request  # noqa: E402
from minimax_agent.backends.anthropic.backend import AnthropicBackend  # noqa: E402
from minimax_agent.backends.openai import OpenAIBackend  # noqa: E402
from minimax_agent.messages import ToolSpec, UserMessage  # noqa: E402
from minimax_agent.providers import PRESETS, Provider  # noqa: E402
from tests.fakes.anthropic_server import FakeAnthropicServer, Reply, Thinking, ToolUse  # noqa: E402
from tests.fakes.openai_server import Call, FakeOpenAIServer, Turn  # noqa: E402

TOOLS = [
    ToolSpec(
        name="read_file",
        description="Read a file.",
        parameters={"type": "object", "properties": {"path": {"type": "string"}}},
    )
]
CHUNK = 4


def big_turn(chunks: int) -> Turn:
    words = "weigh the options then pick one; "
    reasoning = (words * (chunks * 3 * CHUNK // 4 // len(words) + 1))[: chunks * 3 * CHUNK // 4]
    text = ("Here is the plan. " * (chunks * CHUNK // 4 // 18 + 1))[: chunks * CHUNK // 4]
    return Turn(reasoning=reasoning, text=text, calls=[Call("read_file", {"path": "a.py"})])


def bare_read(server: FakeOpenAIServer, body: dict[str, object]) -> tuple[int, float]:
    import httpx

    count = 0
    url = f"{server.url}/chat/completions"
    start = 0.0
    with httpx.Client(timeout=60) as client, client.stream("POST", url, json=body) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                if not count:
                    start = time.perf_counter()
                count += 1
    return count, time.perf_counter() - start


def backend_read(backend: OpenAIBackend) -> float:  # the Anthropic backend is one too
    start = 0.0
    first = True
    for _ in backend.stream(Request(messages=[UserMessage(content="go")], tools=TOOLS)):
        if first:
            start, first = time.perf_counter(), False
    return time.perf_counter() - start


def parsing(mode: str, runs: int, chunks: int) -> None:
    server = FakeOpenAIServer(mode, chunk_size=CHUNK, batch=True).start()
    provider = Provider("vllm", server.url, PRESETS["vllm"], None, None)
    backend = OpenAIBackend(provider, model="MiniMax-M2.1")
    turn = big_turn(chunks)
    body = {"model": "MiniMax-M2.1", "messages": [], "stream": True}
    bare_rates, ours_rates = [], []
    n = 0
    for _ in range(runs):  # interleaved, so drift hits both sides alike
        server.add(turn)
        n, seconds = bare_read(server, body)
        bare_rates.append(n / seconds)
        server.add(turn)
        ours_rates.append(n / backend_read(backend))
    backend.close()
    server.stop()
    bare, ours = statistics.median(bare_rates), statistics.median(ours_rates)
    print(
        f"  {mode:<12} {n:>7} chunks   bare httpx {bare:>10,.0f} chunks/s   backend "
        f"{ours:>9,.0f} chunks/s   ratio {ours / bare:.2f}"
    )


def anthropic_bare_read(server: FakeAnthropicServer, body: dict[str, object]) -> tuple[int, float]:
    import httpx

    count = 0
    start = 0.0
    url = f"{server.url}/v1/messages"
    headers = {"anthropic-version": "2023-06-01"}
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", url, json=body, headers=headers) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data:"):
                if not count:
                    start = time.perf_counter()
                count += 1
    return count, time.perf_counter() - start


def anthropic_parsing(runs: int, chunks: int) -> None:
    """The Messages API stream: thinking, text and a tool_use, `chunks` events in all."""
    server = FakeAnthropicServer(chunk_size=CHUNK, batch=True).start()
    provider = Provider("anthropic", server.url, PRESETS["anthropic"], None, None)
    backend = AnthropicBackend(provider, model="MiniMax-M2.1")
    turn = big_turn(chunks)
    reply = Reply([Thinking(turn.reasoning), turn.text, ToolUse("read_file", {"path": "a.py"})])
    body = {
        "model": "MiniMax-M2.1",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "go"}],
        "stream": True,
    }
    bare_rates, ours_rates = [], []
    n = 0
    for _ in range(runs):
        server.add(reply)
        n, seconds = anthropic_bare_read(server, body)
        bare_rates.append(n / seconds)
        server.add(reply)
        ours_rates.append(n / backend_read(backend))
    backend.close()
    server.stop()
    bare, ours = statistics.median(bare_rates), statistics.median(ours_rates)
    print(
        f"  {'anthropic':<12} {n:>7} events   bare httpx {bare:>10,.0f} events/s   backend "
        f"{ours:>9,.0f} events/s   ratio {ours / bare:.2f}   "
        f"({1e6 / ours:.1f} µs an event, bare {1e6 / bare:.2f} µs)"
    )


def startup(runs: int) -> None:
    from tests.conftest import make_repo

    firsts, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo", {"a.txt": "x\n"})
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": f"{tmp}/.config"}
        with FakeOpenAIServer("vllm-parser") as server:
            for _ in range(runs):
                server.add(Turn(reasoning="ok", text="Nothing to do."))
                before = len(server.requests)
                started = time.monotonic()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "minimax_agent",
                        "fix",
                        "nothing",
                        "-C",
                        str(repo),
                        "--provider",
                        "vllm",
                        "--base-url",
                        server.url,
                        "--model",
                        "MiniMax-M2.1",
                    ],
                    check=True,
                    capture_output=True,
                    env=env,
                )
                firsts.append(server.requests[before].at - started)
                started = time.monotonic()
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                bare.append(time.monotonic() - started)
    first, base = statistics.median(firsts), statistics.median(bare)
    print(
        f"  fix start → first request byte: {first * 1000:.0f} ms (median of {runs}; "
        f"bare `python -c pass`: {base * 1000:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=40_000, help="chunks per stream")
    args = parser.parse_args()
    print("stream parsing (median of interleaved runs):")
    for mode in ("vllm-parser", "vllm-inline", "openrouter"):
        parsing(mode, args.runs, args.chunks)
    anthropic_parsing(args.runs, args.chunks)
    print("start-up:")
    startup(args.runs)


if __name__ == "__main__":
    main()
