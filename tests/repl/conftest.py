"""The real REPL in a pseudo-terminal (pexpect), driven by the scripted backend."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from tests.conftest import GIT_ENV

_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])"
)
PROMPT = "❯ "


class Terminal:
    """A child process on a pty, with its output kept as plain text (escape codes removed)."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.mark = 0  # where the next `expect` starts looking

    @property
    def text(self) -> str:
        return _ANSI.sub("", self.raw).replace("\r", "")

    def _pump(self, timeout: float) -> bool:
        """Read what the child wrote; False once it has closed the terminal."""
        try:
            self.raw += self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        return True

    def expect(self, needle: str, timeout: float = 30) -> str:
        """Wait until `needle` shows after the last match; returns the text up to it."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            at = text.find(needle, self.mark)
            if at >= 0:
                seen = text[self.mark : at + len(needle)]
                self.mark = at + len(needle)
                return seen
            if time.monotonic() > deadline:
                tail = text[self.mark :][-3000:]
                raise AssertionError(
                    f"{needle!r} not seen within {timeout}s; output since:\n{tail}"
                )
            if not self._pump(0.1) and needle not in self.text[self.mark :]:
                raise AssertionError(
                    f"{needle!r} not seen; the process exited. Output:\n{self.text[-3000:]}"
                )

    def send(self, data: str) -> None:
        self.child.send(data)

    def type_line(self, line: str) -> None:
        # typed as a person would, then Enter (\r: the terminal's Enter key)
        self.child.send(line)
        time.sleep(0.05)
        self.child.send("\r")

    def wait_exit(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._pump(0.1):
            pass
        self.child.wait()
        status: int | None = self.child.exitstatus
        assert status is not None, f"killed by signal {self.child.signalstatus}"
        return status

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def start_repl(isolated_home: Path) -> Iterator[object]:
    """Start `python -m minimax_agent ARGS` in DIRECTORY on a 120x40 pty."""
    started: list[Terminal] = []

    def start(directory: Path, *args: str, env: dict[str, str] | None = None) -> Terminal:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "minimax_agent", *args],
            cwd=str(directory),
            env={**os.environ, **GIT_ENV, "TERM": "xterm-256color", **(env or {})},
            dimensions=(40, 120),
            encoding="utf-8",
            codec_errors="replace",
        )
        terminal = Terminal(child)
        started.append(terminal)
        terminal.expect(PROMPT)
        return terminal

    yield start
    for terminal in started:
        terminal.close()
