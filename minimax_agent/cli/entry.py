"""Console entry point. `--version` answers before typer or anything heavy is imported, and
a plain interactive start goes straight to the REPL."""

from __future__ import annotations

import contextlib
import sys
from types import FrameType


class _Stop:
    """SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) stop the agent. The first
    raises `Terminated` in the main thread: a KeyboardInterrupt, so a run unwinds as on Ctrl-C
    (tools/shell.py kills the running command's whole tree on any exception, the run ends
    `interrupted`, the session is saved). The REPL treats Ctrl-C as "back to the prompt", so
    there (`leave`), and on a second signal anywhere, SystemExit is raised instead. The
    process exits 128 + the signal number: 143 for SIGTERM, 129 for SIGHUP."""

    signum = 0
    leave = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        from minimax_agent.errors import Terminated

        again, cls.signum = bool(cls.signum), cls.signum or signum
        if again or cls.leave:
            raise SystemExit(128 + cls.signum)
        raise Terminated(signum)

    @classmethod
    def install(cls) -> None:
        import signal

        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, cls.handle)


def leave_on_signals() -> None:
    """For the REPL: a termination signal exits rather than returning to the prompt."""
    _Stop.leave = True


def main() -> None:
    _Stop.install()
    try:
        _main()
    finally:
        if _Stop.signum:
            import signal

            with contextlib.suppress(OSError, ValueError):  # a hung-up terminal
                name = signal.Signals(_Stop.signum).name
                sys.stderr.write(f"minimax-agent: stopped by {name}\n")
            sys.exit(128 + _Stop.signum)


def _main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from minimax_agent import __version__

        print(f"minimax-agent {__version__}")
        return
    if not sys.argv[1:] or sys.argv[1].startswith("-"):
        # a plain interactive start skips typer: the time to the first prompt is watched
        from minimax_agent.ui.options import parse_argv

        options = parse_argv(sys.argv[1:])
        if options is not None:
            from minimax_agent.ui.repl import main as interactive

            leave_on_signals()

            sys.exit(interactive(options))
    from minimax_agent.cli.app import run

    run()
