"""The interactive session: `minimax-agent` in a repository.

Start-up is built around one number, the time until the prompt takes input. Only
prompt_toolkit is on that path; settings, the backend (a local model can take minutes), the
tools and rich are loaded by a thread that starts once the prompt is drawn, while the user
types. A message sent before they are ready waits for them. `--continue` and `--resume` load
first, since the earlier conversation is shown before the prompt.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.styles import Style

from minimax_agent import __version__
from minimax_agent.session.store import state_dir
from minimax_agent.session.workspace import NO_CHECKPOINTS, find_workspace
from minimax_agent.ui import slash
from minimax_agent.ui.completion import ReplCompleter

if TYPE_CHECKING:
    from rich.console import Console

    from minimax_agent.session.conversation import Conversation
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.ui.approvals import ReplHooks
    from minimax_agent.ui.render import Renderer

PROMPT_MARK = "❯"
STYLE = Style.from_dict(
    {
        "mode": "ansiyellow",
        "mode.full-auto": "ansired bold",
        "mode.plan": "ansicyan bold",
        "mark": "ansicyan bold",
        "bottom-toolbar": "noreverse ansibrightblack",
    }
)


@dataclass
class ReplOptions:
    """What the command line gave the session (cli/root.py parses it)."""

    # -C: None when not given (the workspace is then the git root: session/workspace.py)
    directory: Path | None = None
    continue_latest: bool = False
    resume: str | None = None
    # settings given as flags (backend, model, approval, ...); None values are ignored
    settings: dict[str, Any] = field(default_factory=dict)


class _LoadFailed(Exception):
    """Raised out of the prompt when the background load failed."""


class Repl:
    def __init__(self, options: ReplOptions) -> None:
        self.options = options
        self.workspace = find_workspace(options.directory)
        self.root = self.workspace.root
        self.trace_file: TraceWriter | None = None
        self.trace_path: Path | None = None
        self._loaded = threading.Event()
        self._loading: threading.Thread | None = None
        self._error: BaseException | None = None
        self._status = ""
        self.conv: Conversation
        self.console: Console
        self.renderer: Renderer
        self.hooks: ReplHooks
        history = state_dir() / "history"
        history.parent.mkdir(parents=True, exist_ok=True)
        self.completer = ReplCompleter(self.root)
        self.session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)),
            completer=self.completer,
            complete_while_typing=True,
            key_bindings=self._bindings(),
            bottom_toolbar=self._toolbar,
            style=STYLE,
        )

    # -- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            from minimax_agent.config import load_settings
            from minimax_agent.session.conversation import Conversation
            from minimax_agent.ui.approvals import ReplHooks
            from minimax_agent.ui.render import Renderer
            from minimax_agent.ui.terminal_safe import SafeConsole

            # everything the session shows goes through it: model text and tool output can
            # carry escape sequences (see terminal_safe.py)
            self.console = SafeConsole(highlight=False)
            self.renderer = Renderer(self.console)
            self.hooks = ReplHooks(self.console, self.renderer)
            here = self.workspace.here
            settings = load_settings(self.root, here=here, **self.options.settings)
            self.conv = Conversation.open(
                settings,
                self.root,
                self.hooks,
                interactive=True,
                resume=self.options.resume,
                continue_latest=self.options.continue_latest,
                subdir=self.workspace.subdir,
                reserved_commands=slash.BUILTIN,  # a repository cannot replace /undo
            )
            self.hooks.policy = self.conv.policy
            self.hooks.workspace = self.conv.agent.workspace  # edits previewed as real diffs
            self.hooks.sandboxed = self.conv.sandboxed
            from minimax_agent.ui.slash_extensions import completions

            # custom commands complete after `/` from now on (the completer cannot load them)
            self.completer.custom = completions(self.conv.extensions)
            # an MCP server that becomes ready or fails while the user types says so at once
            self.conv.extensions.wake = self._notice_arrived
            self.conv.flush_notices()
            # a malformed SKILL.md, an untrusted .mcp.json: one line each
            for warning in [*settings.warnings, *self.conv.extensions.warnings]:
                self.renderer.notice(f"· warning: {warning}")
            for notice in settings.notices:
                self.renderer.notice(f"· {notice}")
            if settings.checkpoints and not self.workspace.in_git:
                self.renderer.notice(f"· {NO_CHECKPOINTS}")
            self._update_status()
        except BaseException as exc:
            self._error = exc
            self._wake_prompt()
        finally:
            self._loaded.set()
            self.session.app.invalidate()

    def _notice_arrived(self) -> None:
        """Called from an MCP server's thread: show its notice above the prompt, if one is
        being typed at (during a run, the run's next step shows it)."""
        from prompt_toolkit.application import run_in_terminal

        app, loop = self.session.app, self.session.app.loop
        if app.is_running and loop is not None:
            loop.call_soon_threadsafe(lambda: run_in_terminal(self.conv.flush_notices))

    def _start_loading(self, _: object = None) -> None:
        if self._loading is None:
            self._loading = threading.Thread(target=self._load, name="repl-load", daemon=True)
            self._loading.start()

    def _wake_prompt(self) -> None:
        """End the prompt the user is typing at, so a load error is shown at once."""
        app, loop = self.session.app, self.session.app.loop

        def stop() -> None:
            # the user may have pressed Enter in the meantime: then the prompt is ending anyway
            if app.is_running and app.future is not None and not app.future.done():
                app.exit(exception=_LoadFailed())

        if app.is_running and loop is not None:
            loop.call_soon_threadsafe(stop)

    def _ready(self) -> bool:
        """Wait for the background load; False if the user gave up waiting (Ctrl-C)."""
        if not self._loaded.is_set():
            sys.stdout.write("\x1b[2m(loading the backend…)\x1b[0m\n")
            sys.stdout.flush()
            try:
                while not self._loaded.wait(0.1):
                    pass
            except KeyboardInterrupt:
                return False
        if self._error is not None:
            raise self._error
        return True

    # -- the prompt ----------------------------------------------------------------------------

    def _bindings(self) -> KeyBindings:
        keys = KeyBindings()

        @keys.add("escape", "enter")
        def _newline(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text("\n")

        @keys.add("c-c")
        def _interrupt(event: KeyPressEvent) -> None:
            if event.current_buffer.text:
                event.current_buffer.reset()
            else:
                event.app.exit(exception=KeyboardInterrupt())

        return keys

    def _message(self) -> FormattedText:
        mode = self.options.settings.get("approval") or "…"
        if self._loaded.is_set() and self._error is None:
            mode = "plan" if self.conv.plan.active else str(self.conv.approval_mode)
        return FormattedText(
            [
                (f"class:mode class:mode.{mode}", str(mode)),
                ("", " "),
                ("class:mark", PROMPT_MARK + " "),
            ]
        )

    def _toolbar(self) -> str:
        return self._status or " loading…  ·  /help  ·  Alt-Enter new line  ·  Ctrl-D exits"

    def _update_status(self) -> None:
        conv = self.conv
        measure = conv.measure()
        used = (
            f"{measure.fraction:.0%}" if measure.fraction is not None else f"{measure.tokens:,} tok"
        )
        est = " est." if measure.estimated else ""
        from minimax_agent.ui.summary import short_model

        # the backend and the model it asks for (`openai:openrouter · minimax-m2.1`)
        name = short_model(conv.agent.backend.model_name or conv.settings.model)
        model = f"{conv.backend_name} · {name}" if name else conv.backend_name
        self._status = (
            f" {model}  ·  context {used}{est}  ·  /help  ·  Esc interrupts  ·  Ctrl-D exits"
        )

    def refresh_prompt(self) -> None:
        self._update_status()
        self.session.app.invalidate()

    # -- output --------------------------------------------------------------------------------

    def say(self, text: str, style: str = "") -> None:
        from rich.text import Text

        # the terminal wraps long lines itself: no newline lands inside a path the user copies
        self.console.print(Text(text, style=style), soft_wrap=True)

    def show_history(self, last: int = 6) -> None:
        """A short recap of a resumed conversation: its latest requests and answers."""
        from rich.markdown import Markdown

        from minimax_agent.messages import AssistantMessage, UserMessage

        messages = self.conv.messages
        self.say(f"resumed session {self.conv.session_id} ({len(messages)} messages)", "green")
        shown = [m for m in messages if isinstance(m, UserMessage | AssistantMessage)][-last:]
        for message in shown:
            if isinstance(message, UserMessage):
                self.say(f"{PROMPT_MARK} {message.content.strip()[:500]}", "bold")
            elif message.content.strip():
                self.console.print(Markdown(message.content.strip()[:2000]))
            for call in getattr(message, "tool_calls", []):
                self.say(f"● {call.name}", "dim")

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> int:
        resuming = self.options.continue_latest or self.options.resume is not None
        sys.stdout.write(
            f"\x1b[1mminimax-agent {__version__}\x1b[0m  \x1b[2m{self.root}\n"
            "/help for commands · Esc interrupts · Alt-Enter new line · Ctrl-D exits\x1b[0m\n"
        )
        sys.stdout.flush()
        from minimax_agent.ui.trust_prompt import ask_trust

        ask_trust(self.root, self.workspace.here, self.options.settings)
        from minimax_agent.ui.setup_prompt import offer_setup

        offer_setup(self.root, self.options.settings)  # nothing configured: before the load
        if resuming:
            self._load()
            self._ready()
            self.show_history()
        else:
            self.session.app.after_render += self._start_loading
        pressed_ctrl_c = False
        send, hold = "", ""  # typed while the last run worked: sent now, or put in the prompt
        while True:
            try:
                if send:
                    text, send = send, ""
                    self.say(f"{PROMPT_MARK} {text}", "bold")
                    self.session.history.append_string(text)
                else:
                    text, hold = self.session.prompt(self._message, default=hold), ""
            except KeyboardInterrupt:
                if pressed_ctrl_c:
                    break
                pressed_ctrl_c = True
                sys.stdout.write("\x1b[2m(Ctrl-C again or Ctrl-D to exit)\x1b[0m\n")
                continue
            except EOFError:
                break
            except _LoadFailed:
                self._ready()  # raises the load error
                raise
            pressed_ctrl_c = False
            text = text.strip()
            if not text or not self._ready():
                continue
            if not text.startswith("/"):
                send, hold = self._run_task(text)
                continue
            from minimax_agent.ui.plan_review import planned_task

            planned = planned_task(self, text)  # `/plan TASK`: plan mode on, then TASK
            if planned is not None:
                send, hold = self._run_task(planned)
                continue
            from minimax_agent.ui.slash_extensions import custom_prompt

            # `/NAME args` of a custom command runs as a task ("": it could not be expanded)
            prompt = custom_prompt(self, text, slash.BUILTIN)
            if prompt is not None:
                send, hold = self._run_task(prompt) if prompt else ("", "")
                continue
            try:
                if not slash.dispatch(self, text):
                    break
            except KeyboardInterrupt:
                self.say("⏹ interrupted", "yellow")
        self._close()
        return 0

    def _run_task(self, text: str) -> tuple[str, str]:
        """Run one request. Returns what was typed meanwhile: (a message to send now, text for
        the next prompt)."""
        from minimax_agent.events import RunStatus
        from minimax_agent.ui.completion import expand_mentions
        from minimax_agent.ui.keys import KeyWatcher, TypeAhead
        from minimax_agent.ui.log_notices import notices_from_log

        message, report = expand_mentions(text, self.root)
        for line in report:
            self.say(f"  {line}", "dim")
        result = None
        typed = TypeAhead()
        try:
            # logged warnings (a retry) print above the spinner, not over it
            with KeyWatcher() as watcher, notices_from_log(self.renderer.on_event):
                typed = watcher.typed
                self.hooks.watcher = watcher
                result = self.conv.run(message)
        except KeyboardInterrupt:
            pass  # it came between the agent's steps; the loop below reports it
        finally:
            self.hooks.watcher = None
            self.renderer.settle()
        self._update_status()
        if result is None or result.status is RunStatus.INTERRUPTED:
            self.say("⏹ interrupted; back to the prompt (the model will be told)", "yellow")
            return "", typed.everything()  # the user stopped it: send nothing unasked
        # giving up is said in the answer itself
        if result.status not in (RunStatus.DONE, RunStatus.GAVE_UP):
            self.say(f"stopped: {result.status}: {result.error or 'not done'}", "red")
        if self.conv.plan.active:  # the answer is a plan: accepted, edited or rejected
            from minimax_agent.ui.plan_review import review_plan

            return review_plan(self, result, self._run_task, typed.everything())
        return typed.message(), typed.partial

    def _close(self) -> None:
        if self.trace_file is not None:
            self.trace_file.close()
        if self._loaded.is_set() and self._error is None:
            self.conv.close()
            if len(self.conv.messages) > 1:
                self.say(
                    f"session {self.conv.session_id} saved; `minimax-agent --continue` resumes it",
                    "dim",
                )


def main(options: ReplOptions) -> int:
    """Run the session; the exit code."""
    from minimax_agent.errors import USER_ERRORS, ExitCode, exit_code_for

    if not (os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())):
        sys.stderr.write(
            "minimax-agent: error: the interactive session needs a terminal; "
            'use `minimax-agent fix "TASK"` for headless runs\n'
        )
        return ExitCode.USAGE
    try:
        return Repl(options).run()
    except USER_ERRORS as exc:
        from minimax_agent.ui.terminal_safe import terminal_safe

        sys.stderr.write(terminal_safe(f"minimax-agent: error: {exc}") + "\n")
        return exit_code_for(exc)
    except KeyboardInterrupt:
        sys.stderr.write("minimax-agent: interrupted\n")
        return ExitCode.INTERRUPTED
