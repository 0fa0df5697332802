"""Real MCP servers for the MCP client's tests: `server.py` (FastMCP), started over stdio by
the client itself, or over streamable HTTP by `http_server`."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER = Path(__file__).with_name("server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class HttpServer:
    url: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def http_server(
    log: Path, *args: str, sse: bool = False, timeout: float = 60
) -> Iterator[HttpServer]:
    """`server.py` over streamable HTTP (or SSE) on a free port, up and accepting once this
    yields."""
    port = free_port()
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, str(SERVER), "--http", str(port), *(["--sse"] if sse else []), *args],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        end = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the MCP test server exited: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        yield HttpServer(f"http://127.0.0.1:{port}/{'sse' if sse else 'mcp'}", process)
    finally:
        process.kill()
        process.wait(timeout=30)


class Notices:
    """What the manager said through `notify`, gathered from its thread."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def __call__(self, text: str) -> None:
        self.items.append(text)

    def about(self, word: str) -> list[str]:
        return [n for n in self.items if word in n]


def wait_for(predicate: object, timeout: float = 60) -> bool:
    """Poll `predicate()` until it is true or `timeout` passes (no timing is asserted)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]
