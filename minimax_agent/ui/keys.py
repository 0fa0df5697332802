"""The keyboard while the agent works: Esc interrupts, approval questions get their answer, and
anything else typed is kept for the next prompt (type-ahead).

prompt_toolkit owns the terminal only while the prompt is shown. During a run the terminal is
put in cbreak mode without echo (so typing does not scribble over the output) and a thread
reads the keys. Ctrl-C still raises SIGINT through the terminal driver, because ISIG stays on;
Esc is turned into the same SIGINT, sent to the main thread so that a blocking wait (a tool's
subprocess, a network read, an approval question) is interrupted too.
"""

from __future__ import annotations

import codecs
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
_ERASE = ("\x7f", "\x08")
_KILL_LINE = "\x15"  # Ctrl-U


class TypeAhead:
    """Text typed during a run. A line ended with Enter is queued to be sent when the run ends;
    the rest waits in the next prompt. A read holding a newline with more text after it is a
    paste, so its newlines stay part of the text instead of sending it."""

    def __init__(self) -> None:
        self.queued: list[str] = []
        self.partial = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")

    def feed(self, data: bytes) -> None:
        if data.startswith(ESC):  # Esc itself, arrows, function keys: not text
            return
        chars = self._decoder.decode(data)
        for at, char in enumerate(chars):
            if char == "\n" and at and chars[at - 1] == "\r":
                continue
            if char in "\r\n":
                if at < len(chars) - 1:
                    self.partial += "\n"
                elif self.partial.strip():
                    self.queued.append(self.partial.strip())
                    self.partial = ""
            elif char in _ERASE:
                self.partial = self.partial[:-1]
            elif char == _KILL_LINE:
                self.partial = ""
            elif char.isprintable() or char == "\t":
                self.partial += char

    def message(self) -> str:
        """The queued lines as one message (empty when Enter was never pressed)."""
        return "\n".join(self.queued)

    def everything(self) -> str:
        """All of it, for the prompt to hold (after an interrupt, nothing is sent unasked)."""
        return "\n".join([*self.queued, self.partial]).strip("\n")


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
        self.typed = TypeAhead()

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
            else:
                self.typed.feed(data)

    def read_key(self) -> bytes:
        """The next key pressed (for a question). Without a terminal: end of input, as "no"."""
        if self._thread is None:
            return b""
        self._answers = queue.Queue()
        try:
            return self._answers.get()
        finally:
            self._answers = None
