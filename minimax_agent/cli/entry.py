"""Console entry point. `--version` answers before typer or anything heavy is imported, and a
plain interactive start goes to the REPL through `cli/fast_start.py`, which reads the same flag
declarations as typer without importing it; everything else is the typer app (cli/app.py)."""

from __future__ import annotations

import sys

from minimax_agent.cli import signals


def main() -> None:
    signals.install()
    try:
        _main()
    finally:
        signals.exit_if_stopped()


def _main() -> None:
    argv = sys.argv[1:]
    if argv in (["--version"], ["-V"]):
        from minimax_agent import __version__

        print(f"minimax-agent {__version__}")
        return
    if not argv or argv[0].startswith("-"):  # maybe the interactive session: skip typer
        from minimax_agent.cli import fast_start

        session = fast_start.parse(argv)
        if session is not None:
            from minimax_agent.cli.interactive import interactive

            sys.exit(interactive(session))
    from minimax_agent.cli.app import run

    run()
