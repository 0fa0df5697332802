"""The interactive session from its parsed flags: reached from the root command (typer) and
from the fast start (cli/fast_start.py), so it imports neither typer nor anything heavy."""

from __future__ import annotations

from minimax_agent.cli import flags


def interactive(session: flags.SessionFlags) -> int:
    """Run the interactive session; its exit code."""
    from minimax_agent.cli.signals import leave_on_signals
    from minimax_agent.ui.repl import ReplOptions, main

    leave_on_signals()
    settings = {
        **session.endpoint.settings(),
        "approval": session.approval.value if session.approval else None,
        **session.local.settings(),
        **session.safety.settings(),
    }
    directory, continue_latest, resume = session.directory, session.continue_latest, session.resume
    return main(ReplOptions(directory, continue_latest, resume, settings))
