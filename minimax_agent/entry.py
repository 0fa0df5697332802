"""Console entry point. `--version` answers before typer or anything heavy is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from minimax_agent import __version__

        print(f"minimax-agent {__version__}")
        return
    from minimax_agent.cli import run

    run()
