"""A conversation: an Agent bound to its persisted session, its checkpoints and its context budget.

The REPL and `fix` both run tasks through this, so both get the same guarantees: every message
is on disk before the next step starts, the workspace is snapshotted before a step that may
change it, and the context is compacted before it overflows (or, if the backend reports an
overflow anyway, compacted and retried once). The Agent stays a plain loop: the Conversation
is its hooks object, acting at the extension points (before a step, before its tools, on an
overflow) and passing every event, notice and trace record on to the display hooks.

What the UI reads and changes (the approval mode, the model, the tracer) is the base class's,
in session/controls.py; the user's extensions (hooks, MCP servers) answer through
session/extension_hooks.py; what an undo records, in session/undo_record.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.agent import Hooks, Tee
from minimax_agent.errors import CheckpointError, MinimaxAgentError, UsageError
from minimax_agent.events import (
    AgentEvent,
    Notice,
    RunResult,
    RunStatus,
    ToolCall,
    TraceRecord,
    Usage,
)
from minimax_agent.messages import AssistantMessage, SystemMessage
from minimax_agent.session.checkpoints import Checkpoint, Checkpoints
from minimax_agent.session.compaction import Compaction, ContextKeeper, ContextMeasure
from minimax_agent.session.controls import ConversationControls
from minimax_agent.session.extension_hooks import ExtensionHooks
from minimax_agent.session.plan import PlanMode
from minimax_agent.session.store import (
    SessionWriter,
    find_session,
    latest_session,
    load_session,
)
from minimax_agent.session.todo import TODO_EVENT, TodoList
from minimax_agent.session.undo_record import (
    checkpoint_label,
)

if TYPE_CHECKING:
    from minimax_agent.agent import Agent
    from minimax_agent.config import Settings
    from minimax_agent.extensions.loader import Extensions
    from tools.base import Tool

INTERRUPTED_NOTE = (
    "[Note: the user interrupted the previous request (Esc or Ctrl-C) before it finished. "
    "Tool calls marked as interrupted did not run to the end.]"
)


class Conversation(ConversationControls, ExtensionHooks, Hooks):
    """The agent's hooks: `agent` builds the Agent around them (the conversation is its hooks
    object from the start); `display` gets every event, notice and trace record;
    `extensions` are the user's MCP servers, skills, commands and hooks (closed with it)."""

    # where in the workspace the user started (session/workspace.py): the system prompt says
    subdir: Path = Path(".")
    # steps of every task in this session so far (recorded with each `run` event)
    total_steps: int = 0

    def __init__(
        self,
        settings: Settings,
        root: Path,
        writer: SessionWriter,
        *,
        display: Hooks,
        agent: Callable[[Hooks], Agent],
        trace: Hooks | None = None,
        extensions: Extensions | None = None,
    ) -> None:
        from minimax_agent.extensions.loader import Extensions

        self.settings = settings
        self.extensions = extensions or Extensions()
        self.root = root
        self.writer = writer
        self.display = display
        self.todos = TodoList()  # the model's task list (session/todo.py)
        self.plan = PlanMode()  # planning: read-only until a plan is accepted (session/plan.py)
        self._out: Hooks = Tee(display, trace)
        try:
            self.agent = agent(self)
        except BaseException:
            self.extensions.close()  # its MCP servers were started for this conversation
            raise
        try:
            window = self._window()
            self.keeper = ContextKeeper(self.agent.backend, window, settings.compact_threshold)
            self.keeper.require_room(self.agent.messages[0], self.agent.tools.specs())
            self.checkpoints = self._open_checkpoints()
            self.start_hooks()
        except BaseException:
            self.agent.backend.close()  # loaded for this conversation, which never came to be
            self.extensions.close()
            raise
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
        subdir: Path = Path("."),
        reserved_commands: Collection[str] = (),
    ) -> Conversation:
        """A new conversation, or the one `resume` (a session id) or `continue_latest` names;
        `trace` gets the trace records beside the display; `reserved_commands`: the REPL's
        own slash commands, which a custom command may not take."""
        from minimax_agent.extensions.loader import load_extensions
        from minimax_agent.session.runner import build_agent
        from minimax_agent.session.store import state_dir

        if resume and continue_latest:
            raise UsageError("--continue and --resume cannot be used together")
        loaded = None
        if resume or continue_latest:
            loaded = load_session(find_session(resume) if resume else latest_session(root))
            writer = SessionWriter.resume(loaded)
        else:
            writer = SessionWriter.create(root, backend=settings.backend, model=settings.model)
        messages = loaded.messages if loaded else []
        extensions = load_extensions(
            settings, root, reserved_commands=reserved_commands, log_dir=state_dir() / "mcp"
        )

        def make_agent(hooks: Hooks) -> Agent:
            agent = build_agent(
                settings, root, hooks, interactive=interactive, subdir=subdir, extensions=extensions
            )
            if messages:
                agent.messages = messages
            return agent

        conversation = cls(
            settings,
            root,
            writer,
            display=display,
            agent=make_agent,
            trace=trace,
            extensions=extensions,
        )
        conversation.subdir = subdir
        # what was resolved (`openai:openrouter`, the preset's model), not only what was given
        writer.describe(backend=conversation.backend_name, model=conversation.model_label)
        if loaded:
            conversation.total_steps = sum(
                e["steps"] for e in loaded.events if e.get("kind") == "run" and _count(e)
            )
            conversation._warm_start()
            conversation.notes = list(loaded.notes)
            conversation.todos.restore(loaded.events)
            conversation.usage = [Usage(**_usage_fields(u)) for u in loaded.usage]
        conversation.session_started("resume" if loaded else "startup")
        return conversation

    # -- hooks: the display's, passed on ----------------------------------------------------

    def on_event(self, event: AgentEvent) -> None:
        if self.todos.observe(event):  # before the display: `/todo` and the session agree
            self.writer.event(TODO_EVENT, items=self.todos.json())
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

    def _open_checkpoints(self) -> Checkpoints | None:
        if not self.settings.checkpoints:
            return None
        return Checkpoints.open(self.root, self.session_id)

    def _notify(self, kind: str, text: str) -> None:
        self._out.on_event(Notice(kind, text))

    # -- running ---------------------------------------------------------------------------

    def run(self, task: str) -> RunResult:
        self.flush_notices()
        blocked, task = self.prompt_submitted(task)
        if blocked is not None:
            result = RunResult(status=RunStatus.BLOCKED, error=blocked)
            self._record_run(result.status, 0)
            return result
        task = self.plan.wrap(task)  # in plan mode the model is told so with each request
        if self.notes:
            task = "\n\n".join([*self.notes, task])
            self.notes.clear()
        self._usage_seen = 0
        try:
            result = self.agent.run(task)
        except BaseException as exc:
            self._seal()
            stopped = isinstance(exc, KeyboardInterrupt)
            self._record_run(RunStatus.INTERRUPTED if stopped else RunStatus.BACKEND_ERROR, 0)
            raise
        self._seal()
        self.flush_notices()
        self._record_usage(result)
        self._record_run(result.status, result.steps)
        self.writer.sync(self.agent.messages)
        self._save_kv_state()
        if result.status is RunStatus.INTERRUPTED:
            self.add_note(INTERRUPTED_NOTE)
        return result

    @property
    def model_label(self) -> str | None:
        """The model's name as far as known without asking the endpoint."""
        return self.agent.backend.model_name or self.settings.model

    def _record_run(self, status: RunStatus, steps: int) -> None:
        """The task's end, for `sessions list`: status, steps, and what ran it."""
        self.total_steps += steps
        self.writer.sync(self.agent.messages)
        self.writer.event(
            "run",
            status=status.value,
            steps=steps,
            total_steps=self.total_steps,
            backend=self.backend_name,
            model=self.model_label,
        )

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
        self.wait_for_mcp()  # the first step's request lists the tools of servers starting
        self.flush_notices()
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
            if not c.error
            and (tool := self.agent.tools.get(c.name))
            and tool.kind not in ("read", "network")  # neither changes a file
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
        self.compacting("auto" if reason == "auto" else "manual", focus)
        done = self.keeper.compact(
            self.agent.messages,
            self.agent.tools.specs(),
            focus,
            force=reason != "auto",
            # the task list goes on after the summary: prose loses which step was current
            appendix=self.todos.reminder(),
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
        self.session_started("compact")
        return done

    def clear(self) -> None:
        from minimax_agent.session.prompt import system_prompt

        # a fresh conversation picks up a changed AGENTS.md (say, from /init)
        sections = self.extensions.prompt_sections()
        system = SystemMessage(
            content=system_prompt(self.agent.workspace.root, self.subdir, sections)
        )
        self.agent.messages[:] = [system]
        self.notes.clear()
        self.keeper.forget()
        self.writer.reset(self.agent.messages, why="clear")
        if self.todos.items:  # a fresh conversation starts without the old task list
            self.todos.items = []
            self.writer.event(TODO_EVENT, items=[])
        self.session_started("clear")

    def close(self) -> None:
        """Save the session and free the backend (its model, its connections)."""
        try:
            self.writer.sync(self.agent.messages)
            self.writer.close()
        finally:
            try:
                self.agent.backend.close()
            finally:
                try:
                    # background commands end with the session, each with its whole tree
                    self.agent.workspace.jobs.close()
                finally:
                    self.extensions.close()


def _count(event: dict[str, Any]) -> bool:
    steps = event.get("steps")
    return isinstance(steps, int) and not isinstance(steps, bool)


def _usage_fields(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Usage)}
    return {k: v for k, v in values.items() if k in names}
