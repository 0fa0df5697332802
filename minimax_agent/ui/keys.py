"""The keyboard while the agent works: Esc interrupts, and approval questions get their answer.

prompt_toolkit owns the terminal only while the prompt is shown. During a run the terminal is
put in cbreak mode without echo (so typing does not scribble over the output) and a thread
reads the keys. Ctrl-C still raises SIGINT through the terminal driver, because ISIG stays on;
Esc is turned into the same SIGINT, sent to the main thread so that a blocking wait (a tool's
subprocess, a network read, an approval question) is interrupted too.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import sys
import termios
import threading
import tty
from types import TracebackType
from typing import Any

ESC = b"\x1b"


class KeyWatcher:
    """A context manager active for the length of one run."""

    def __init__(self, fd: int | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self._saved: list[Any] | None = None
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._answers: queue.Queue[bytes] | None = None
        self._main = threading.main_thread().ident
        self.interrupted = False

    def __enter__(self) -> KeyWatcher:
        if not os.isatty(self.fd):
            return self
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd, termios.TCSANOW)  # keeps ISIG: Ctrl-C stays a signal
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="key-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            os.write(self._wake_w, b"x")
            self._thread.join(1.0)
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._thread = None
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _watch(self) -> None:
        while True:
            ready, _, _ = select.select([self.fd, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                data = os.read(self.fd, 64)
            except OSError:
                return
            if not data:
                return
            answers = self._answers
            if answers is not None:
                answers.put(data)
            elif data == ESC or data == ESC + ESC:
                # a lone Esc; arrows and other keys arrive as longer escape sequences
                self.interrupted = True
                if self._main is not None:
                    signal.pthread_kill(self._main, signal.SIGINT)

    def read_key(self) -> bytes:
        """The next key pressed (for a question). Without a terminal: end of input, as "no"."""
        if self._thread is None:
            return b""
        self._answers = queue.Queue()
        try:
            return self._answers.get()
        finally:
            self._answers = None
