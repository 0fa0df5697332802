"""Console entry point. `--version` answers before typer or anything heavy is imported, and
a plain interactive start goes straight to the REPL."""

from __future__ import annotations

import sys


def main() -> None:
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

            sys.exit(interactive(options))
    from minimax_agent.cli import run

    run()
