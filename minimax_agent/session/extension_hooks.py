"""The conversation's side of the user's extensions (minimax_agent/extensions/).

A base class of `Conversation`, kept apart from the run itself. It answers the agent's hook
points with the user's hook commands (PreToolUse, PostToolUse, Stop), runs the conversation's
own events through them (UserPromptSubmit, SessionStart, PreCompact), waits once for MCP
servers still starting before the first step that needs the tool list, and passes the MCP
manager's notices (written from its thread) on to the display from the run's thread.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING, Literal

from minimax_agent.events import HookRun, Notice

if TYPE_CHECKING:
    from minimax_agent.agent import Agent, Hooks, ToolGate
    from minimax_agent.events import RunResult, ToolOutcome
    from minimax_agent.extensions.loader import Extensions
    from minimax_agent.messages import ToolCall
    from minimax_agent.session.store import SessionWriter
    from tools.base import Tool

SessionSource = Literal["startup", "resume", "clear", "compact"]


class ExtensionHooks:
    extensions: Extensions
    agent: Agent
    writer: SessionWriter
    _out: Hooks
    _mcp_waited: bool = False

    def add_note(self, text: str) -> None: ...  # the Conversation's
    def start_hooks(self) -> None:
        """Give the hook commands their runner, once the agent (and so the secret-free
        environment its commands get) exists."""
        ext = self.extensions
        if not ext.hooks_config:
            return
        from minimax_agent.extensions.hooks import HookRunner

        ext.hooks = HookRunner(
            ext.hooks_config,
            cwd=self.agent.workspace.root,
            session_id=lambda: self.writer.info.id,
            env=self.agent.workspace.command_env or {},
            emit=self._hook_ran,
            transcript_path=lambda: self.writer.info.path,
        )
        if ext.mcp is not None:
            for name in ext.mcp.approved_tool_names():
                self.agent.policy.allow_tool(name)

    def _hook_ran(self, run: HookRun) -> None:
        self._out.on_event(run)

    def flush_notices(self) -> None:
        """Show what the MCP servers reported since the last call (ready, failed, died)."""
        while True:
            try:
                text = self.extensions.notices.get_nowait()
            except queue.Empty:
                return
            self._out.on_event(Notice("mcp", text))

    def wait_for_mcp(self) -> None:
        """Before the first step: servers still starting get their startup time, so the model's
        first request lists their tools. Later steps never wait."""
        mcp = self.extensions.mcp
        if mcp is None or self._mcp_waited:
            return
        self._mcp_waited = True
        if not mcp.wait_ready(0):
            starting = [s.name for s in mcp.status() if s.state == "starting"]
            self._out.on_event(
                Notice("mcp", f"waiting for MCP servers to start: {', '.join(starting)}")
            )
            mcp.wait_ready(None)
        self.flush_notices()

    # -- the agent's hook points ---------------------------------------------------------------

    def before_tool(self, call: ToolCall, tool: Tool) -> ToolGate | None:
        hooks = self.extensions.hooks
        return hooks.pre_tool(call.name, call.arguments, call.id) if hooks else None

    def after_tool(self, outcome: ToolOutcome) -> str | None:
        hooks = self.extensions.hooks
        if not hooks:
            return None
        call = outcome.call
        return hooks.post_tool(
            call.name, call.arguments, call.id, outcome.content, outcome.is_error
        )

    def after_answer(self, result: RunResult, continued: int) -> str | None:
        hooks = self.extensions.hooks
        return hooks.stop(continued > 0) if hooks else None

    # -- the conversation's own events ---------------------------------------------------------

    def prompt_submitted(self, task: str) -> tuple[str | None, str]:
        """UserPromptSubmit: (why the hooks blocked the task, or None; the task with any
        context they added)."""
        hooks = self.extensions.hooks
        if not hooks:
            return None, task
        verdict = hooks.user_prompt(task)
        if verdict.blocked:
            return verdict.reason or "a UserPromptSubmit hook blocked the prompt", task
        if verdict.context:
            task = f"{task}\n\n[context from a UserPromptSubmit hook]\n{verdict.context}"
        return None, task

    def session_started(self, source: SessionSource) -> None:
        """SessionStart: the context the hooks add goes to the model with the next message."""
        hooks = self.extensions.hooks
        context = hooks.session_start(source) if hooks else None
        if context:
            self.add_note(f"[context from a SessionStart hook]\n{context}")

    def compacting(self, trigger: Literal["manual", "auto"], focus: str | None) -> None:
        hooks = self.extensions.hooks
        if hooks:
            hooks.pre_compact(trigger, focus)
