"""The tools that read and stop background commands (the table is tools/jobs.py's, started by
`run_command(background=true)` in tools/shell.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tools.base import tool
from tools.jobs import MAX_WAIT_S
from tools.workspace import Workspace


@tool("read")
def command_output(
    ws: Workspace,
    id: Annotated[int, Field(ge=1, description="The job id run_command returned.")],
    wait_s: Annotated[
        float,
        Field(
            ge=0,
            # an int: a server re-serialises the schema's 300.0 as 300, and the prompt it
            # renders must be the one the in-process backend renders
            le=int(MAX_WAIT_S),
            description="Seconds to wait for the job to print more or finish (0: do not wait).",
        ),
    ] = 0,
) -> str:
    """Read what a background command (run_command with background=true) printed since the
    last read, whether it still runs, and its exit code once it ended. Long output keeps its
    head and tail; at most the last 1 MiB is kept between reads."""
    return ws.jobs.read(id, wait_s, deadline=ws.deadline)


# "write", not "read": it changes what runs (a server the user may be using goes away), so a
# read-only session or a read-only subagent, which must change nothing, does not get it. Not
# "shell": it runs no command line of the model's and can only stop what an approved command
# started, so the modes that let files change let it run without asking.
@tool("write")
def kill_command(
    ws: Workspace,
    id: Annotated[int, Field(ge=1, description="The job id run_command returned.")],
) -> str:
    """Stop a background command and every process it started, and return its last output
    and exit code."""
    return ws.jobs.kill(id)
