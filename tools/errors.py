"""The errors of the tools library.

`ToolError` goes back to the model as a tool result, never to the user. `SetupError` and its
children say the tools cannot be set up as asked (an unusable workspace, a sandbox this machine
cannot provide): the run cannot start. The application maps them to its exit codes
(minimax_agent/errors.py); this library knows nothing of those.
"""

from __future__ import annotations


class ToolError(Exception):
    """A tool refused or failed: the message goes back to the model, never to the user."""


class SetupError(Exception):
    """The tools cannot be set up as asked; meant for the user, before any tool runs."""


class WorkspaceError(SetupError):
    """The workspace directory itself is unusable (missing, not a directory)."""


class SandboxUnavailable(SetupError):
    """A run asked for an OS sandbox that this machine cannot provide (bwrap missing or
    unable to create namespaces); it refuses rather than run commands unsandboxed."""
