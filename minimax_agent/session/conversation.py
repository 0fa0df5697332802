"""A conversation: an Agent bound to its persisted session, its checkpoints and its context budget.

The REPL and `fix` both run tasks through this, so both get the same guarantees: every message
is on disk before the next step starts, the workspace is snapshotted before a step that may
change it, and the context is compacted before it overflows (or, if the backend reports an
overflow anyway, compacted and retried once). The Agent stays a plain loop: the Conversation
is its hooks object, acting at the extension points (before a step, before its tools, on an
overflow) and passing every event, notice and trace record on to the display hooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.agent import Hooks, Tee
from minimax_agent.errors import MinimaxAgentError, UsageError
from minimax_agent.events import (
    AgentEvent,
    Notice,
    RunResult,
    RunStatus,
    ToolCall,
    TraceRecord,
    Usage,
    call_summary,
)
from minimax_agent.messages import AssistantMessage, SystemMessage
from minimax_agent.session.checkpoints import (
    Checkpoint,
    CheckpointError,
    Checkpoints,
    Restored,
    shown,
)
from minimax_agent.session.compaction import Compaction, ContextKeeper, ContextMeasure
from minimax_agent.session.store import (
    SessionInfo,
    SessionWriter,
    find_session,
    latest_session,
    load_session,
)

if TYPE_CHECKING:
    from minimax_agent.agent import Agent
    from minimax_agent.backends import Backend
    from minimax_agent.config import Settings
    from minimax_agent.messages import Message
    from tools.approval import ApprovalPolicy
    from tools.base import Tool
    from tools.modes import ApprovalMode

INTERRUPTED_NOTE = (
    "[Note: the user interrupted the previous request (Esc or Ctrl-C) before it finished. "
    "Tool calls marked as interrupted did not run to the end.]"
)


def undo_note(restored: Restored) -> str:
    return (
        f"[Note: the user undid the changes made since checkpoint {restored.checkpoint.short} "
        f"({restored.checkpoint.label}): {restored.describe()}. Those files are back as they "
        "were before that step; do not assume the undone changes are still there.]"
    )


def undo_event(restored: Restored) -> dict[str, Any]:
    """The session record of an undo; file names escaped (`shown`) so any name can be written."""
    backup = restored.backup.commit if restored.backup else None
    return {
        "checkpoint": restored.checkpoint.commit,
        "files": [shown(p) for p in restored.files],
        "kept": len(restored.kept),
        "backup": backup,
    }


def checkpoint_label(step: int, calls: list[ToolCall]) -> str:
    """`before step N: edit_file calc.py; run_command make`: what a checkpoint was taken for."""
    parts = []
    for call in calls:
        main, _ = call_summary(call)
        parts.append(f"{call.name} {(main or '').replace(chr(10), ' ')[:60]}".strip())
    return f"before step {step}: " + "; ".join(parts)


class Conversation(Hooks):
    """The agent's hooks: `agent` builds the Agent around them (the conversation is its hooks
    object from the start); `display` gets every event, notice and trace record."""

    def __init__(
        self,
        settings: Settings,
        root: Path,
        writer: SessionWriter,
        *,
        display: Hooks,
        agent: Callable[[Hooks], Agent],
        trace: Hooks | None = None,
    ) -> None:
        self.settings = settings
        self.root = root
        self.writer = writer
        self.display = display
        self._out: Hooks = Tee(display, trace)
        self.agent = agent(self)
        self.keeper = ContextKeeper(self.agent.backend, self._window(), settings.compact_threshold)
        self.checkpoints = self._open_checkpoints()
        self.notes: list[str] = []
        self.usage: list[Usage] = []
        self.compactions = 0
        self._request_len = len(self.agent.messages)
        self._usage_seen = 0
        self._unsealed: Checkpoint | None = None  # taken before a step's tools; sealed after

    @classmethod
    def open(
        cls,
        settings: Settings,
        root: Path,
        display: Hooks,
        *,
        interactive: bool,
        trace: Hooks | None = None,
        resume: str | None = None,
        continue_latest: bool = False,
    ) -> Conversation:
        """A new conversation, or the one `resume` (a session id) or `continue_latest` names;
        `trace` gets the trace records beside the display."""
        from minimax_agent.session.runner import build_agent

        if resume and continue_latest:
            raise UsageError("--continue and --resume cannot be used together")
        loaded = None
        if resume or continue_latest:
            loaded = load_session(find_session(resume) if resume else latest_session(root))
            writer = SessionWriter.resume(loaded)
        else:
            writer = SessionWriter.create(root, backend=settings.backend, model=settings.model)
        messages = loaded.messages if loaded else []

        def make_agent(hooks: Hooks) -> Agent:
            agent = build_agent(settings, root, hooks, interactive=interactive)
            if messages:
                agent.messages = messages
            return agent

        conversation = cls(settings, root, writer, display=display, agent=make_agent, trace=trace)
        if loaded:
            conversation._warm_start()
            conversation.notes = list(loaded.notes)
            conversation.usage = [Usage(**_usage_fields(u)) for u in loaded.usage]
        return conversation

    # -- hooks: the display's, passed on ----------------------------------------------------

    def on_event(self, event: AgentEvent) -> None:
        self._out.on_event(event)

    def on_trace(self, record: TraceRecord) -> None:
        self._out.on_trace(record)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        return self._out.approve(call, tool, reason)

    def stop(self, result: RunResult) -> RunStatus | None:
        return self._out.stop(result)

    @property
    def session_id(self) -> str:
        return self.writer.info.id

    # -- KV warm start (local backend) -----------------------------------------------------

    @property
    def _kv_path(self) -> Path:
        return self.writer.info.path.with_suffix(".kv")

    def _save_kv_state(self) -> None:
        """Keep the local model's KV cache beside the session, so a resume skips the prefill."""
        try:
            self.agent.backend.save_state(self._kv_path)  # a no-op for a backend without one
        except (OSError, MinimaxAgentError) as exc:
            self._notify("kv_state", f"KV cache not saved: {exc}")

    def _warm_start(self) -> None:
        if not self._kv_path.is_file():
            return
        try:
            self.agent.backend.load_state(self._kv_path)
        except (OSError, MinimaxAgentError) as exc:
            # Correct either way: the next step then evaluates its whole prompt.
            self._notify("kv_state", f"KV cache not restored: {exc}")

    def _window(self) -> int | None:
        return self.settings.context_window or self.agent.backend.context_window

    def _open_checkpoints(self) -> Checkpoints | None:
        if not self.settings.checkpoints:
            return None
        return Checkpoints.open(self.root, self.session_id)

    def _notify(self, kind: str, text: str) -> None:
        self._out.on_event(Notice(kind, text))

    # -- running ---------------------------------------------------------------------------

    def run(self, task: str) -> RunResult:
        if self.notes:
            task = "\n\n".join([*self.notes, task])
            self.notes.clear()
        self._usage_seen = 0
        try:
            result = self.agent.run(task)
        finally:
            self._seal()
        self._record_usage(result)
        self.writer.sync(self.agent.messages)
        self._save_kv_state()
        if result.status is RunStatus.INTERRUPTED:
            self.add_note(INTERRUPTED_NOTE)
        return result

    def add_note(self, text: str) -> None:
        """Tell the model `text` with the next user message (and persist it until then)."""
        self.notes.append(text)
        self.writer.note(text)

    def _record_usage(self, result: RunResult) -> None:
        fresh = result.usage[self._usage_seen :]
        self._usage_seen = len(result.usage)
        for usage in fresh:
            self.usage.append(usage)
            self.writer.usage(dataclasses.asdict(usage))
        if fresh:
            # the usage covers the request of the last step plus the answer it produced
            self.keeper.observe(self._request_len + 1, fresh[-1])

    def before_step(self, result: RunResult) -> None:
        self._seal()  # the previous step's tools are done: record what they left
        self._record_usage(result)
        self.writer.sync(self.agent.messages)
        if self.keeper.over_threshold(self.agent.messages, self.agent.tools.specs()):
            self.compact(reason="auto")
        self._request_len = len(self.agent.messages)

    def before_tools(self, calls: list[ToolCall]) -> None:
        self.writer.sync(self.agent.messages)
        changing = [
            c
            for c in calls
            if not c.error and (tool := self.agent.tools.get(c.name)) and tool.kind != "read"
        ]
        if not changing or self.checkpoints is None:
            return
        step = sum(isinstance(m, AssistantMessage) for m in self.agent.messages)
        label = checkpoint_label(step, changing)
        self._seal()
        try:
            self._unsealed = self.checkpoints.take(label)
        except CheckpointError as exc:
            self._notify("checkpoint_failed", f"no checkpoint for this step: {exc}")

    def _seal(self) -> None:
        """Record how the step that took the last checkpoint left the files, so an undo can
        tell the agent's changes from the user's later ones."""
        checkpoint, self._unsealed = self._unsealed, None
        if checkpoint is None or self.checkpoints is None:
            return
        try:
            self.checkpoints.seal(checkpoint)
        except CheckpointError as exc:
            self._notify("checkpoint_failed", f"the step's changes were not recorded: {exc}")

    def on_overflow(self) -> bool:
        self._notify("overflow", "the backend reported a context overflow; compacting")
        done = self.compact(reason="overflow") is not None
        self._request_len = len(self.agent.messages)
        return done

    # -- context ---------------------------------------------------------------------------

    def measure(self) -> ContextMeasure:
        return self.keeper.measure(self.agent.messages, self.agent.tools.specs())

    def compact(self, focus: str | None = None, *, reason: str = "manual") -> Compaction | None:
        self.writer.sync(self.agent.messages)
        done = self.keeper.compact(
            self.agent.messages, self.agent.tools.specs(), focus, force=reason != "auto"
        )
        if done is None:
            return None
        # in place: the agent's loop holds this list
        self.agent.messages[:] = done.messages
        self.writer.reset(self.agent.messages, why=f"compact:{reason}")
        self.writer.event("compact", reason=reason, removed=done.removed, before=done.before)
        self.compactions += 1
        how = "" if done.by_model else " (plain summary: the model gave none)"
        self._notify(
            "compacted",
            f"context compacted ({reason}): {done.removed} messages summarised, "
            f"~{done.before:,} -> ~{done.after:,} tokens{how}",
        )
        return done

    def clear(self) -> None:
        from minimax_agent.session.prompt import system_prompt

        # a fresh conversation picks up a changed AGENTS.md (say, from /init)
        system = SystemMessage(content=system_prompt(self.agent.workspace.root))
        self.agent.messages[:] = [system]
        self.notes.clear()
        self.keeper.forget()
        self.writer.reset(self.agent.messages, why="clear")

    # -- checkpoints -----------------------------------------------------------------------

    def list_checkpoints(self) -> list[Checkpoint]:
        return self.checkpoints.all() if self.checkpoints else []

    def undo(self, target: str | None = None, *, force: bool = False) -> Restored:
        """Undo the agent's last step that changed files, or every step from `target` on
        (1 = newest, 2 = the one before, or a commit prefix), and tell the model so with the
        next message. UndoConflictError when the user changed those files since, unless
        `force` (which keeps a backup checkpoint first)."""
        if self.checkpoints is None:
            raise UsageError("no checkpoints: the workspace is not in a git repository")
        self._seal()
        restored = restore_checkpoint(self.checkpoints, target, force=force)
        self.add_note(undo_note(restored))
        self.writer.event("undo", **undo_event(restored))
        return restored

    # -- what the UI reads and changes, so it never reaches into the agent ---------------------

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

    def set_approval_mode(self, mode: ApprovalMode) -> None:
        """`/approval MODE`, with the tools it allows. Full-auto needs the OS sandbox, as at
        start-up: a session that fell back to none (a person approved every command) gets one
        now, or this raises with the reason and the mode stays."""
        from minimax_agent.session.runner import sandbox_for
        from tools import default_tools
        from tools.modes import ApprovalMode

        workspace = self.agent.workspace
        # a sandbox set to "off" is the user's choice to run without one
        if mode is ApprovalMode.FULL_AUTO and not self.sandboxed and self.settings.sandbox != "off":
            unattended = dataclasses.replace(self.settings.safety, approval=mode)
            workspace.sandbox = sandbox_for(unattended, workspace.root, interactive=True)
            self.agent.policy.sandboxed = workspace.sandbox is not None
        self.agent.policy.mode = mode
        self.agent.tools = default_tools(read_only=mode is ApprovalMode.READ_ONLY)

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

    def backups(self) -> list[Checkpoint]:
        return self.checkpoints.backups() if self.checkpoints else []

    def diff_against_head(self) -> str | None:
        """The changes against HEAD, new files included; None outside a git repository."""
        return self.checkpoints.diff_against_head() if self.checkpoints else None

    # -- switching ---------------------------------------------------------------------------

    def switch(self, info: SessionInfo) -> None:
        """Continue another session in this process (`/resume`)."""
        loaded = load_session(info)
        self.writer.close()
        if loaded.messages:
            self.agent.messages[:] = loaded.messages
        self.writer = SessionWriter.resume(loaded)
        self.notes = list(loaded.notes)
        self.keeper.forget()
        self._seal()
        self.checkpoints = self._open_checkpoints()

    def set_backend(self, backend: Backend) -> None:
        from minimax_agent.session.runner import command_env_for

        self.agent.backend = backend
        # the new backend's key joins the redactor and leaves the commands' environment
        self.agent.workspace.command_env = command_env_for(self.settings, backend)
        self.keeper.backend = backend
        self.keeper.window = self._window()
        self.keeper.forget()

    def close(self) -> None:
        """Save the session and free the backend (its model, its connections)."""
        try:
            self.writer.sync(self.agent.messages)
            self.writer.close()
        finally:
            self.agent.backend.close()


def restore_checkpoint(
    checkpoints: Checkpoints, target: str | None, *, force: bool = False
) -> Restored:
    """Undo to `target` (see `Checkpoints.find`); the REPL and `minimax-agent undo` share it."""
    return checkpoints.restore(checkpoints.find(target), force=force)


def _usage_fields(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Usage)}
    return {k: v for k, v in values.items() if k in names}
