"""A conversation: an Agent bound to its persisted session, its checkpoints and its context budget.

The REPL and `fix` both run tasks through this, so both get the same guarantees: every message
is on disk before the next step starts, the workspace is snapshotted before a step that may
change it, and the context is compacted before it overflows (or, if the backend reports an
overflow anyway, compacted and retried once). The Agent stays a plain loop; this module plugs
into its three optional hooks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.session.checkpoints import Checkpoint, CheckpointError, Checkpoints, Restored, shown
from minimax_agent.session.compaction import Compaction, ContextKeeper, ContextMeasure
from minimax_agent.errors import MinimaxAgentError, UsageError
from minimax_agent.events import ToolCall, Usage
from minimax_agent.messages import AssistantMessage, SystemMessage
from minimax_agent.session.store import (
    SessionInfo,
    SessionWriter,
    find_session,
    latest_session,
    load_session,
)

if TYPE_CHECKING:
    from minimax_agent.agent import Agent, Hooks, RunResult, Tracer
    from minimax_agent.backends import Backend
    from minimax_agent.config import Settings

INTERRUPTED_NOTE = (
    "[Note: the user interrupted the previous request (Esc or Ctrl-C) before it finished. "
    "Tool calls marked as interrupted did not run to the end.]"
)


@dataclass(frozen=True)
class Notice:
    """Something the user should see that is not part of the model's stream."""

    kind: str  # compacted · checkpoint_failed · overflow · kv_state
    text: str


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


def call_summary(call: ToolCall) -> str:
    main = call.arguments.get("path") or call.arguments.get("command") or ""
    text = str(main).replace("\n", " ")
    return f"{call.name} {text[:60]}".strip()


class Conversation:
    def __init__(self, agent: Agent, settings: Settings, root: Path, writer: SessionWriter):
        self.agent = agent
        self.settings = settings
        self.root = root
        self.writer = writer
        self.keeper = ContextKeeper(agent.backend, self._window(), settings.compact_threshold)
        self.checkpoints = self._open_checkpoints()
        self.notes: list[str] = []
        self.usage: list[Usage] = []
        self.compactions = 0
        self._on_notice: Callable[[Notice], None] | None = None
        self._held: list[Notice] = []  # notices from before anyone listened (opening)
        self._request_len = len(agent.messages)
        self._usage_seen = 0
        self._unsealed: Checkpoint | None = None  # taken before a step's tools; sealed after
        agent.before_step = self._before_step
        agent.before_tools = self._before_tools
        agent.on_overflow = self._on_overflow

    @classmethod
    def open(
        cls,
        settings: Settings,
        root: Path,
        hooks: Hooks,
        *,
        interactive: bool,
        tracer: Tracer | None = None,
        resume: str | None = None,
        continue_latest: bool = False,
    ) -> Conversation:
        from minimax_agent.session.runner import build_agent

        if resume and continue_latest:
            raise UsageError("--continue and --resume cannot be used together")
        agent = build_agent(settings, root, hooks, interactive=interactive, tracer=tracer)
        if resume or continue_latest:
            info = find_session(resume) if resume else latest_session(root)
            loaded = load_session(info)
            if loaded.messages:
                agent.messages = loaded.messages
            conversation = cls(agent, settings, root, SessionWriter.resume(loaded))
            conversation._warm_start()
            conversation.notes = list(loaded.notes)
            conversation.usage = [Usage(**_usage_fields(u)) for u in loaded.usage]
            return conversation
        meta = {"backend": settings.backend, "model": settings.model}
        return cls(agent, settings, root, SessionWriter.create(root, **meta))

    @property
    def session_id(self) -> str:
        return self.writer.info.id

    # -- KV warm start (local backend) -----------------------------------------------------

    @property
    def _kv_path(self) -> Path:
        return self.writer.info.path.with_suffix(".kv")

    def _save_kv_state(self) -> None:
        """Keep the local model's KV cache beside the session, so a resume skips the prefill."""
        save = getattr(self.agent.backend, "save_state", None)
        if save is None:
            return
        try:
            save(self._kv_path)
        except (OSError, MinimaxAgentError) as exc:
            self._notify("kv_state", f"KV cache not saved: {exc}")

    def _warm_start(self) -> None:
        load = getattr(self.agent.backend, "load_state", None)
        if load is None or not self._kv_path.is_file():
            return
        try:
            load(self._kv_path)
        except (OSError, MinimaxAgentError) as exc:
            # Correct either way: the next step then evaluates its whole prompt.
            self._notify("kv_state", f"KV cache not restored: {exc}")

    def _window(self) -> int | None:
        reported = getattr(self.agent.backend, "context_window", None)
        return self.settings.context_window or (reported if isinstance(reported, int) else None)

    def _open_checkpoints(self) -> Checkpoints | None:
        if not self.settings.checkpoints:
            return None
        return Checkpoints.open(self.root, self.session_id)

    @property
    def on_notice(self) -> Callable[[Notice], None] | None:
        return self._on_notice

    @on_notice.setter
    def on_notice(self, handler: Callable[[Notice], None] | None) -> None:
        self._on_notice = handler
        while handler and self._held:
            handler(self._held.pop(0))

    def _notify(self, kind: str, text: str) -> None:
        notice = Notice(kind, text)
        if self._on_notice:
            self._on_notice(notice)
        else:
            self._held.append(notice)

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
        if result.status == "interrupted":
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

    def _before_step(self, result: RunResult) -> None:
        self._seal()  # the previous step's tools are done: record what they left
        self._record_usage(result)
        self.writer.sync(self.agent.messages)
        if self.keeper.over_threshold(self.agent.messages, self.agent.tools.specs()):
            self.compact(reason="auto")
        self._request_len = len(self.agent.messages)

    def _before_tools(self, calls: list[ToolCall]) -> None:
        self.writer.sync(self.agent.messages)
        changing = [
            c
            for c in calls
            if not c.error and (tool := self.agent.tools.get(c.name)) and tool.kind != "read"
        ]
        if not changing or self.checkpoints is None:
            return
        step = sum(isinstance(m, AssistantMessage) for m in self.agent.messages)
        label = f"before step {step}: " + "; ".join(call_summary(c) for c in changing)
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

    def _on_overflow(self) -> bool:
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
        self.writer.sync(self.agent.messages)
        self.writer.close()


def restore_checkpoint(
    checkpoints: Checkpoints, target: str | None, *, force: bool = False
) -> Restored:
    """Undo to `target` (see `Checkpoints.find`); the REPL and `minimax-agent undo` share it."""
    return checkpoints.restore(checkpoints.find(target), force=force)


def _usage_fields(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Usage)}
    return {k: v for k, v in values.items() if k in names}
