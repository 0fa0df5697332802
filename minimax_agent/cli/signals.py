"""Termination signals. SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) stop the
agent; the process then exits 128 + the signal number: 143 for SIGTERM, 129 for SIGHUP.

Its own module, imported by both the entry point and the root command, so neither imports
the other (that was an import cycle)."""

from __future__ import annotations

import contextlib
import sys
from types import FrameType


class _Stop:
    """The first signal raises `Terminated` in the main thread: a KeyboardInterrupt, so a run
    unwinds as on Ctrl-C (tools/shell.py kills the running command's whole tree on any
    exception, the run ends `interrupted`, the session is saved). The REPL treats Ctrl-C as
    "back to the prompt", so there (`leave`), and on a second signal anywhere, SystemExit is
    raised instead."""

    signum = 0
    leave = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        from minimax_agent.errors import Terminated

        again, cls.signum = bool(cls.signum), cls.signum or signum
        if again or cls.leave:
            raise SystemExit(128 + cls.signum)
        raise Terminated(signum)


def install() -> None:
    import signal

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _Stop.handle)


def leave_on_signals() -> None:
    """For the REPL: a termination signal exits rather than returning to the prompt."""
    _Stop.leave = True


def exit_if_stopped() -> None:
    """After the command: if a signal stopped it, say so and exit 128 + its number."""
    if not _Stop.signum:
        return
    import signal

    with contextlib.suppress(OSError, ValueError):  # a hung-up terminal
        name = signal.Signals(_Stop.signum).name
        sys.stderr.write(f"minimax-agent: stopped by {name}\n")
    sys.exit(128 + _Stop.signum)
