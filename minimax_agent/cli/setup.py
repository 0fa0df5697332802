"""`minimax-agent setup`: choose a provider, check its key, write the user config.

On a terminal it asks (a numbered list of providers, then the key, hidden, unless its variable
is set). Scripted: `--provider NAME` and the key from its variable or `--key-stdin`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from minimax_agent.cli.command import command


@command
def setup(
    *,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="NAME",
            help="The provider to set up (openrouter, minimax, nvidia, modelslab, ...); "
            "asked for when not given.",
        ),
    ] = None,
    key_stdin: Annotated[
        bool,
        typer.Option(
            "--key-stdin", help="Read the key from the first line of stdin (for scripts)."
        ),
    ] = False,
) -> None:
    """Choose a provider, check its API key, and save them for every later run.

    The provider goes into config.toml; a typed key into credentials.toml, readable by you only.

    Exit codes: 0 saved (or skipped) · 2 a bad name or key · 3 the endpoint cannot be reached.
    """
    from minimax_agent.ui.setup_prompt import run_setup

    interactive = sys.stdin.isatty() and not key_stdin
    outcome = run_setup(
        Path.cwd(), provider, key_stdin=key_stdin, interactive=interactive, say=typer.echo
    )
    if outcome is None:
        typer.echo("nothing changed; `minimax-agent setup` asks again")
    else:
        typer.echo('ready: `minimax-agent` starts a session, `minimax-agent fix "TASK"` one task')
