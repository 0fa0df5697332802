"""The exceptions of the application, and of the libraries it uses, in one tree.

The CLI turns any of `USER_ERRORS` into one line and `exit_code_for(exc)`. The libraries (tools/,
quantize/) define their own errors, since they never import this package; they are re-exported
here and mapped to exit codes in `LIBRARY_EXIT_CODES`. Model mistakes (a malformed tool call,
bad arguments) are never raised as these: they go back to the model as tool errors so it can
correct itself.

    Exception
    ├── MinimaxAgentError ........................ 1  (each class says its own `exit_code`)
    │   ├── UsageError ........................... 2  a bad flag, argument or combination
    │   │   └── ReviewSetupError ................. 2  the repository or range cannot be reviewed
    │   ├── ConfigError .......................... 2  a config file or setting
    │   │   ├── TemplateError .................... 2  the chat template fails or refuses
    │   │   └── extensions.frontmatter.ExtensionFileError  2  a skill or command file refused
    │   │       └── FrontMatterError ............. 2  its front matter does not parse
    │   ├── BackendError ......................... 3  the model could not answer
    │   │   └── ContextOverflowError ............. 3  compaction can recover
    │   ├── DiffParseError ....................... 3  git's diff cannot be parsed
    │   └── CheckpointError ...................... 1  a checkpoint not taken or restored
    │       └── UndoConflictError ................ 1  undo would discard the user's work
    ├── quantize.errors.QuantizeError ............ 1
    │   ├── QuantizeUsageError ................... 2  a bad size, quant, name, file
    │   │   ├── RepoNotFoundError ................ 2
    │   │   ├── RepoAccessError .................. 2
    │   │   └── QuantNotFoundError ............... 2
    │   ├── ModelFileError ....................... 3  missing, truncated, not GGUF, not MiniMax
    │   └── DownloadError ........................ 3  the Hub failed or a file came out wrong
    └── tools.errors
        ├── ToolError ............................ -  to the model as a tool result, never the user
        └── SetupError ........................... 2  the run cannot start
            ├── WorkspaceError ................... 2  the workspace is missing or no directory
            └── SandboxUnavailable ............... 2  no OS sandbox here: refuse, never run bare
    KeyboardInterrupt
    └── Terminated ............................. 128 + signal (SIGTERM, SIGHUP)

Not in the tree, since none reaches the user: signals caught by the code beside them, which
turns each into a tool error for the model or a `BackendError` (`ArgumentError` in
dialect/json_args.py; `MalformedChunk` and `StreamFailed` in backends/openai/assemble.py).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from quantize.errors import (
    DownloadError,
    ModelFileError,
    QuantizeError,
    QuantizeUsageError,
    QuantNotFoundError,
    RepoAccessError,
    RepoNotFoundError,
)
from tools.errors import SandboxUnavailable, SetupError, ToolError, WorkspaceError

__all__ = [
    "LIBRARY_EXIT_CODES",
    "USER_ERRORS",
    "BackendError",
    "CheckpointError",
    "ConfigError",
    "ContextOverflowError",
    "DiffParseError",
    "DownloadError",
    "ExitCode",
    "MinimaxAgentError",
    "ModelFileError",
    "QuantNotFoundError",
    "QuantizeError",
    "QuantizeUsageError",
    "RepoAccessError",
    "RepoNotFoundError",
    "ReviewSetupError",
    "SandboxUnavailable",
    "SetupError",
    "TemplateError",
    "Terminated",
    "ToolError",
    "UndoConflictError",
    "UsageError",
    "UserError",
    "WorkspaceError",
    "exit_code_for",
]


class ExitCode(IntEnum):
    """Exit codes shared by every command (documented in the README). An `IntEnum`, so a code
    is still the plain number wherever it is printed, compared or written to JSON. A signal
    that stops the agent exits 128 + its number (143 SIGTERM, 129 SIGHUP; cli/signals.py)."""

    OK = 0
    NOT_DONE = 1
    USAGE = 2
    BACKEND = 3
    INTERRUPTED = 130


class MinimaxAgentError(Exception):
    """Base of every error meant for the user."""

    exit_code: int = ExitCode.NOT_DONE


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


class ReviewSetupError(UsageError):
    """The repository or the requested range cannot be reviewed as asked (review/gitrange.py)."""


class TemplateError(ConfigError):
    """The chat template could not be compiled or refused the conversation
    (dialect/chat_template.py)."""


class DiffParseError(MinimaxAgentError):
    """unidiff cannot read the diff git produced (review/diff.py): the review failed (exit 3),
    nobody misused it."""

    exit_code = ExitCode.BACKEND


class CheckpointError(MinimaxAgentError):
    """A checkpoint could not be taken or restored (session/checkpoints.py)."""


class UndoConflictError(CheckpointError):
    """Undo would overwrite or delete files the user changed after the step being undone.

    `checkpoint` and `conflicts` are session/undo.py's `Checkpoint` and `Conflict` list, typed
    `Any` as `BackendError.request` is: this module sits below every other and imports none of
    them. `listed` is the conflicts as text, written by the code that found them."""

    exit_code = ExitCode.NOT_DONE

    def __init__(self, checkpoint: Any, conflicts: list[Any], listed: str) -> None:
        self.checkpoint = checkpoint
        self.conflicts = conflicts
        self.headline = (
            f"not undone: {len(conflicts)} file(s) changed after the step being undone, "
            "and undoing would discard that work"
        )
        super().__init__(f"{self.headline}: {listed}")


# The libraries' errors meant for the user, and the exit code each ends a command with (the most
# specific class wins). The libraries carry no exit codes: those are this application's
# convention (README), so the mapping lives here, beside the codes of its own classes.
LIBRARY_EXIT_CODES: dict[type[Exception], ExitCode] = {
    QuantizeError: ExitCode.NOT_DONE,
    QuantizeUsageError: ExitCode.USAGE,
    ModelFileError: ExitCode.BACKEND,
    DownloadError: ExitCode.BACKEND,
    SetupError: ExitCode.USAGE,
}

# Everything that reaches the user as one line and an exit code: `except USER_ERRORS as exc`.
USER_ERRORS = (MinimaxAgentError, QuantizeError, SetupError)
UserError = MinimaxAgentError | QuantizeError | SetupError


def exit_code_for(exc: BaseException) -> int:
    """The exit code a command ends with when `exc` stops it."""
    if isinstance(exc, MinimaxAgentError):
        return exc.exit_code
    for cls in type(exc).__mro__:
        if cls in LIBRARY_EXIT_CODES:
            return LIBRARY_EXIT_CODES[cls]
    return ExitCode.NOT_DONE


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP reached the agent (a CI job cancelled, a terminal closed). It unwinds
    like Ctrl-C, so the running command's tree is killed and the session saved; the process
    then exits with 128 + the signal number (143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
