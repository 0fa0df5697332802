"""The root command: `minimax-agent` without a subcommand starts the interactive session;
`--version` and `-v` (debug logging) belong here too, since they come before any command."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from minimax_agent import __version__
from minimax_agent.cli import flags
from minimax_agent.cli.command import command
from minimax_agent.cli.interactive import interactive


def _version(value: bool) -> None:
    if value:
        typer.echo(f"minimax-agent {__version__}")
        raise typer.Exit()


def _log_to_stderr(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr)
    from minimax_agent.redact import RedactingFormatter

    for handler in logging.getLogger().handlers:  # logs are an output too: no secret in them
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            handler.setFormatter(RedactingFormatter(logging.BASIC_FORMAT))


@command
def root(
    ctx: typer.Context,
    *,  # keyword-only: a flag group (cli/flags.py) has no default to give
    session: flags.SessionFlags,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")
    ] = False,
) -> None:
    """A terminal coding agent for MiniMax-M2.1. Without a command: the interactive session.

    Exit codes: 0 done · 1 not done (limit hit) · 2 usage or config error ·
    3 model or backend failure · 130 interrupted.
    """
    _log_to_stderr(verbose)
    if ctx.invoked_subcommand is None:
        raise typer.Exit(interactive(session))
