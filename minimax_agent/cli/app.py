"""The typer application: every command group registered on one app. Thin: the commands live
in one module per group, their shared flags in `flags.py`, the error path in `command.py`.

Importing this module imports typer and each command module, but nothing heavy: a command
imports what it needs when it runs.
"""

from __future__ import annotations

import sys

import typer

from minimax_agent.cli.command import Command, Group
from minimax_agent.cli.demo import demo
from minimax_agent.cli.doctor import doctor
from minimax_agent.cli.fix import fix
from minimax_agent.cli.mcp import mcp_app
from minimax_agent.cli.models import models_app
from minimax_agent.cli.review import review
from minimax_agent.cli.root import root
from minimax_agent.cli.sessions import sessions_app, undo
from minimax_agent.cli.setup import setup
from minimax_agent.errors import ExitCode

app = typer.Typer(
    name="minimax-agent",
    help="A terminal coding agent for MiniMax-M2.1, local (llama.cpp) or remote.",
    invoke_without_command=True,  # no subcommand: the interactive session
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
app.callback()(root)
app.command(cls=Command)(fix)
app.command(cls=Command)(review)
app.add_typer(models_app, name="models")
app.add_typer(sessions_app, name="sessions")
app.add_typer(mcp_app, name="mcp")
app.command(cls=Command)(undo)
app.command(cls=Command)(doctor)
app.command(cls=Command)(demo)
app.command(cls=Command)(setup)


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("minimax-agent: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
