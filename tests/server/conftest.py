"""The C++ llama-server as a real peer: built from the llama.cpp vendored in the llama-cpp-python
sdist by scripts/build_llama_server.sh (scripts/test.sh builds it and sets
MINIMAX_AGENT_LLAMA_SERVER), serving the project's tiny random-weight minimax-m2 GGUF written
with the official MiniMax-M2 chat template read from that sdist, with `--jinja`.

The GGUF carries the official template (not the project's own, which `write_tiny_model` uses by
default) so that llama-server and the in-process backend render with the very same template:
any difference between their prompts is then ours.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until_serving

SERVER_ENV = "MINIMAX_AGENT_LLAMA_SERVER"
SDIST = "llama_cpp_python-0.3.36.tar.gz"
TEMPLATE = "llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates/MiniMax-M2.jinja"
N_CTX = 16384


def server_binary() -> Path:
    value = os.environ.get(SERVER_ENV)
    if not value:
        pytest.skip(
            f"{SERVER_ENV} is not set: build llama-server with scripts/build_llama_server.sh"
        )
    path = Path(value)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"{SERVER_ENV}={value} is not an executable file")
    return path


def official_template(binary: Path) -> str:
    """The official MiniMax-M2 template, read from the sdist the build script keeps beside the
    binary (MINIMAX_AGENT_LLAMA_SDIST names another copy)."""
    sdist = Path(os.environ.get("MINIMAX_AGENT_LLAMA_SDIST") or binary.parent / SDIST)
    if not sdist.is_file():
        pytest.skip(f"the llama-cpp-python sdist is not at {sdist} (set MINIMAX_AGENT_LLAMA_SDIST)")
    with tarfile.open(sdist) as tar:
        member = tar.extractfile(TEMPLATE)
        assert member is not None, f"{TEMPLATE} is not in {sdist}"
        return member.read().decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LlamaServer:
    url: str  # the OpenAI base URL, ending in /v1
    root: str  # the server's own endpoints (/health, /apply-template, /metrics)
    model: Path
    template: str
    log: Path

    def post(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        reply = httpx.post(f"{self.root}{path}", json=body, timeout=120)
        assert reply.status_code == 200, reply.text
        return reply.json()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:

    from quantize.tiny import write_tiny_model

    binary = server_binary()
    template = official_template(binary)
    tmp = tmp_path_factory.mktemp("llama-server")
    model = write_tiny_model(tmp / "tiny.gguf", "tiny", chat_template=template)
    port = free_port()
    log_path = tmp / "server.log"
    log = log_path.open("w")
    # One slot and one thread: the CI machine has 2 cores shared with the rest of the suite.
    # --jinja renders with the GGUF's template; the random model's default sampler settings are
    # irrelevant since every request carries its own.
    proc = subprocess.Popen(
        [
            str(binary),
            *("--model", str(model), "--host", "127.0.0.1", "--port", str(port)),
            *("--ctx-size", str(N_CTX), "--parallel", "1", "--threads", "1", "--jinja"),
            *("--alias", "tiny-m2", "--seed", "7", "--metrics", "--no-webui"),
            # The tiny GGUF says it was trained on 4096 tokens and llama-server caps a slot
            # there; the system prompt with the tools alone is over 5000 tiny-vocabulary tokens.
            *("--override-kv", f"minimax-m2.context_length=int:{N_CTX}"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )
    root = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, f"{root}/health", log_path, "llama-server")
        yield LlamaServer(f"{root}/v1", root, model, template, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
