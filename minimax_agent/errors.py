"""The user-facing error tree. The CLI turns any of these into one line and an exit code.

Model mistakes (a malformed tool call, bad arguments) are never raised as these: they go back to
the model as tool errors so it can correct itself.
"""

from __future__ import annotations

from typing import Any


class ExitCode:
    """Exit codes shared by every command (documented in the README)."""

    OK = 0
    NOT_DONE = 1
    USAGE = 2
    BACKEND = 3
    INTERRUPTED = 130


class MinimaxAgentError(Exception):
    """Base of every error meant for the user."""

    exit_code = ExitCode.NOT_DONE


class UsageError(MinimaxAgentError):
    """A bad flag, argument or combination of them."""

    exit_code = ExitCode.USAGE


class ConfigError(MinimaxAgentError):
    """A configuration file or setting that cannot be used."""

    exit_code = ExitCode.USAGE


class BackendError(MinimaxAgentError):
    """The model could not be reached or failed to answer."""

    exit_code = ExitCode.BACKEND
    # What was sent for the failed turn (a request body), set by the backend for `--trace`.
    request: Any = None


class ContextOverflowError(BackendError):
    """The conversation no longer fits the model's context window; compaction can recover."""


class ModelFileError(BackendError):
    """A model file that is missing, truncated, not GGUF, or of an unsupported architecture."""


class WorkspaceError(MinimaxAgentError):
    """The workspace directory itself is unusable (missing, not a directory)."""

    exit_code = ExitCode.USAGE


class SandboxUnavailable(MinimaxAgentError):
    """A run asked for an OS sandbox that this machine cannot provide (bwrap missing or
    unable to create namespaces); it refuses rather than run commands unsandboxed."""

    exit_code = ExitCode.USAGE


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP reached the agent (a CI job cancelled, a terminal closed). It unwinds
    like Ctrl-C, so the running command's tree is killed and the session saved; the process
    then exits with 128 + the signal number (143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class ToolError(Exception):
    """A tool refused or failed: the message goes back to the model, never to the user."""
