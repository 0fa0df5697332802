"""What the UI reads and changes in a conversation, so it never reaches into the agent.

A base class of `Conversation` (session/conversation.py), kept apart from the run itself: the
REPL's slash commands, the status line and stream-json's start record read the agent through
these accessors, and `/approval`, `/model` and `/trace` change it through these methods. The
attributes below are the Conversation's own, set by its constructor.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING

from minimax_agent.agent import Tee

if TYPE_CHECKING:
    from minimax_agent.agent import Agent, Hooks
    from minimax_agent.backends import Backend
    from minimax_agent.config import Settings
    from minimax_agent.extensions.loader import Extensions
    from minimax_agent.messages import Message
    from minimax_agent.session.checkpoints import Checkpoint, Checkpoints
    from minimax_agent.session.compaction import ContextKeeper
    from minimax_agent.session.plan import PlanMode
    from minimax_agent.session.store import SessionInfo, SessionWriter
    from minimax_agent.session.todo import TodoList
    from minimax_agent.session.undo import Restored
    from tools.approval import ApprovalPolicy
    from tools.modes import ApprovalMode


class ConversationControls:
    settings: Settings
    agent: Agent
    keeper: ContextKeeper
    display: Hooks
    checkpoints: Checkpoints | None
    extensions: Extensions
    writer: SessionWriter
    notes: list[str]
    todos: TodoList
    plan: PlanMode
    _out: Hooks

    # the Conversation's own, used by undo and switch
    def _seal(self) -> None: ...
    def _open_checkpoints(self) -> Checkpoints | None: ...
    def add_note(self, text: str) -> None: ...

    # -- what the UI reads -------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        return self.agent.messages

    @property
    def backend_name(self) -> str:
        return self.agent.backend.name

    @property
    def context_window(self) -> int | None:
        return self.keeper.window

    @property
    def policy(self) -> ApprovalPolicy:
        return self.agent.policy  # the REPL's approval prompt adds "always" answers to it

    @property
    def approval_mode(self) -> ApprovalMode:
        return self.agent.policy.mode

    @property
    def sandboxed(self) -> bool:
        return self.agent.workspace.sandbox is not None

    def list_checkpoints(self) -> list[Checkpoint]:
        return self.checkpoints.all() if self.checkpoints else []

    def backups(self) -> list[Checkpoint]:
        return self.checkpoints.backups() if self.checkpoints else []

    def diff_against_head(self) -> str | None:
        """The changes against HEAD, new files included; None outside a git repository."""
        return self.checkpoints.diff_against_head() if self.checkpoints else None

    # -- what the UI changes -----------------------------------------------------------------

    def set_approval_mode(self, mode: ApprovalMode) -> None:
        """`/approval MODE`, with the tools it allows. Full-auto needs the OS sandbox, as at
        start-up: a session that fell back to none (a person approved every command) gets one
        now, or this raises with the reason and the mode stays."""
        from minimax_agent.session.runner import sandbox_for, tools_for
        from tools.modes import ApprovalMode

        workspace = self.agent.workspace
        # a sandbox set to "off" is the user's choice to run without one
        if mode is ApprovalMode.FULL_AUTO and not self.sandboxed and self.settings.sandbox != "off":
            unattended = dataclasses.replace(self.settings.safety, approval=mode)
            workspace.sandbox = sandbox_for(unattended, workspace.root, interactive=True)
            self.agent.policy.sandboxed = workspace.sandbox is not None
        self.agent.policy.mode = mode
        self.agent.tools = tools_for(mode, self.extensions, workspace.root)

    def set_tracer(self, tracer: Hooks | None) -> None:
        """`/trace`: the trace records go to `tracer` from the next model exchange on; None
        stops them."""
        self._out = Tee(self.display, tracer)

    def switch_model(self, model: str) -> None:
        """`/model NAME`: the same settings with another model, and the backend they load.

        The old backend is closed first: a second local model rarely fits beside the first (on
        a 48 GB card the load would fail). If the new one cannot be loaded, the old one is
        loaded again and the error raised; should that fail too, the conversation keeps the
        closed backend, whose next step fails with a BackendError."""
        from minimax_agent.backends import load_backend
        from minimax_agent.errors import USER_ERRORS

        settings = self.settings.model_copy(update={"model": model})
        self.agent.backend.close()
        try:
            backend = load_backend(settings)
        except BaseException:
            with contextlib.suppress(*USER_ERRORS):  # the first error is the one to show
                self.set_backend(load_backend(self.settings))
            raise
        self.set_backend(backend)
        self.settings = settings

    def set_backend(self, backend: Backend) -> None:
        from minimax_agent.session.runner import command_env_for

        self.agent.backend = backend
        # the new backend's key joins the redactor and leaves the commands' environment
        self.agent.workspace.command_env = command_env_for(self.settings.safety, backend)
        self.keeper.backend = backend
        self.keeper.window = self._window()
        self.keeper.forget()

    def undo(self, target: str | None = None, *, force: bool = False) -> Restored:
        """Undo the agent's last step that changed files, or every step from `target` on
        (1 = newest, 2 = the one before, or a commit prefix), and tell the model so with the
        next message. UndoConflictError when the user changed those files since, unless
        `force` (which keeps a backup checkpoint first)."""
        from minimax_agent.errors import UsageError
        from minimax_agent.session.undo_record import restore_checkpoint, undo_event, undo_note

        if self.checkpoints is None:
            raise UsageError("no checkpoints: the workspace is not in a git repository")
        self._seal()
        restored = restore_checkpoint(self.checkpoints, target, force=force)
        self.add_note(undo_note(restored))
        self.writer.event("undo", **undo_event(restored))
        return restored

    def switch(self, info: SessionInfo) -> None:
        """Continue another session in this process (`/resume`)."""
        from minimax_agent.session.store import SessionWriter, load_session

        loaded = load_session(info)
        self.writer.close()
        if loaded.messages:
            self.agent.messages[:] = loaded.messages
        self.writer = SessionWriter.resume(loaded)
        self.notes = list(loaded.notes)
        self.todos.restore(loaded.events)
        self.keeper.forget()
        self._seal()
        self.checkpoints = self._open_checkpoints()

    def _window(self) -> int | None:
        return self.settings.context_window or self.agent.backend.context_window
