"""Hooks: the user's shell commands, run on the agent's events the way Claude Code runs them.

Each matching command runs with `sh -c` in the workspace, gets the event as one JSON object on
stdin and answers with its exit code and output:

- exit 0: success. Stdout that is a JSON object is an answer (below); for UserPromptSubmit and
  SessionStart plain stdout is context for the model.
- exit 2: blocking. PreToolUse: the call is denied, stderr the reason the model reads.
  PostToolUse: stderr goes to the model beside the result. UserPromptSubmit: the prompt is
  dropped, stderr shown to the user. Stop: stderr is an instruction that sends the model back.
- anything else, a timeout or a command that cannot start: a non-blocking error; it is
  reported (a `HookRun` with the code) and the run goes on as if the hook had not been there.

JSON answers: `{"hookSpecificOutput": {"permissionDecision": "allow"|"deny"|"ask",
"permissionDecisionReason": ...}}` (PreToolUse), the older `{"decision": "approve"|"block",
"reason": ...}`, `{"decision": "block", "reason": ...}` for PostToolUse, Stop and
UserPromptSubmit, and `hookSpecificOutput.additionalContext` for UserPromptSubmit,
SessionStart and PostToolUse. When several hooks match, deny wins over ask over allow and
their texts are joined.

A hook is a program the user (or a trusted project) configured, so it runs unsandboxed, like
git's own hooks; it still gets only the secret-free command environment, a timeout that kills
its whole process tree, and bounded output. Hooks run one after another in configuration
order, so their answers and their side effects come in a predictable order.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from minimax_agent.agent import ToolGate
from minimax_agent.events import HookRun
from minimax_agent.extensions.hook_config import HookEvent, HookMatcher

__all__ = ["CLAUDE_TOOL_NAMES", "HookRunner", "PromptVerdict", "tool_matches"]

# bytes kept of each output stream; the rest is read and dropped so the hook never blocks
OUTPUT_BYTES = 64 * 1024
# a HookRun's message is for a status line and a trace, not the whole stderr
MESSAGE_CHARS = 300
BLOCKING_EXIT = 2
# after a hook exits, what it left in the background may hold its pipes this long
DRAIN_S = 0.5

# Claude Code's tool names for ours, so a matcher written for Claude Code (`"Edit|Write"`)
# selects the same calls here.
CLAUDE_TOOL_NAMES: dict[str, tuple[str, ...]] = {
    "run_command": ("Bash",),
    "edit_file": ("Edit", "MultiEdit"),
    "write_file": ("Write",),
    "read_file": ("Read",),
    "glob": ("Glob",),
    "grep": ("Grep",),
    "list_dir": ("LS",),
}
Verdict = Literal["allow", "deny", "ask"]
_VERDICT_RANK: dict[str, int] = {"allow": 0, "ask": 1, "deny": 2}


def tool_matches(matcher: str, name: str) -> bool:
    """Whether a matcher selects this tool (or SessionStart source, PreCompact trigger): a
    regular expression matched in full against the name or one of its Claude Code names; ""
    and "*" match everything, and a matcher that is not a valid expression is a literal name."""
    if matcher in ("", "*"):
        return True
    names = (name, *CLAUDE_TOOL_NAMES.get(name, ()))
    try:
        pattern = re.compile(matcher)
    except re.error:
        return matcher in names
    return any(pattern.fullmatch(n) for n in names)


@dataclass(frozen=True)
class PromptVerdict:
    """What UserPromptSubmit hooks said about a prompt: `blocked` (with a `reason` for the
    user) drops it; `context` is added for the model."""

    blocked: bool = False
    reason: str = ""
    context: str | None = None


@dataclass(frozen=True)
class _Ran:
    """One hook command's run: code None when it timed out or could not start."""

    command: str
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    problem: str = ""  # why there is no code

    def answer(self) -> dict[str, Any] | None:
        """Stdout as a JSON object, when the hook succeeded and printed one."""
        text = self.stdout.strip()
        if self.code != 0 or not text.startswith("{"):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def specific(self) -> dict[str, Any]:
        found = (self.answer() or {}).get("hookSpecificOutput")
        return found if isinstance(found, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _join(texts: Sequence[str]) -> str | None:
    kept = [t for t in texts if t]
    return "\n\n".join(kept) if kept else None


class _Reader:
    """Reads a pipe to its end in a thread, keeping the first OUTPUT_BYTES."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.data = bytearray()
        self.dropped = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self._stream.fileno(), 65536):
                room = OUTPUT_BYTES - len(self.data)
                self.data += chunk[: max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + (f"\n[{self.dropped} more bytes left out]" if self.dropped else "")


def _feed(stream: IO[bytes], data: bytes) -> None:
    """Write the event and close stdin; a hook that never reads it is no error."""
    with contextlib.suppress(OSError, ValueError):
        stream.write(data)
    with contextlib.suppress(OSError, ValueError):
        stream.close()


def run_hook(
    command: str, stdin: bytes, *, cwd: Path, env: Mapping[str, str], timeout_s: float
) -> _Ran:
    """Run one hook command; its whole process tree is killed when it times out or exits."""
    from tools.process import kill_group
    from tools.proctree import MARKER_VAR, become_subreaper, kill_escaped, proc_start_ticks

    become_subreaper()
    marker = secrets.token_hex(16)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            ["sh", "-c", command],
            cwd=cwd,
            env={**env, MARKER_VAR: marker},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return _Ran(command, None, "", "", time.monotonic() - started, f"could not start: {exc}")
    since = proc_start_ticks(proc.pid)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    writer = threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True)
    writer.start()
    out, err = _Reader(proc.stdout), _Reader(proc.stderr)
    problem = ""
    try:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            problem = f"timed out after {timeout_s:g}s and was killed"
        else:
            out.thread.join(DRAIN_S)
            err.thread.join(DRAIN_S)
        kill_group(proc, grace_s=0.5)
        code = proc.wait()
    except BaseException:  # an interrupt must not leave the hook running
        kill_group(proc, grace_s=0.5)
        proc.wait()
        raise
    finally:
        kill_escaped(marker, since, proc.pid)
    for reader in (out, err):
        reader.thread.join(DRAIN_S)
    writer.join(DRAIN_S)
    for reader, stream in ((out, proc.stdout), (err, proc.stderr)):
        # a pipe a stray process still holds stays open: closing it under a blocked reader
        # could hand the fd number to another file
        if not reader.thread.is_alive():
            with contextlib.suppress(OSError):
                stream.close()
    seconds = time.monotonic() - started
    return _Ran(command, None if problem else code, out.text(), err.text(), seconds, problem)


class HookRunner:
    """Runs the configured hooks for one session and turns their answers into decisions.

    `session_id` and `transcript_path` are asked at each event (a session is named when it is
    first saved); `env` is the secret-free command environment; `emit` receives a `HookRun`
    for every command that ran, for the display, `--trace` and stream-json.
    """

    def __init__(
        self,
        config: Mapping[HookEvent, Sequence[HookMatcher]],
        *,
        cwd: Path,
        session_id: Callable[[], str],
        env: Mapping[str, str],
        emit: Callable[[HookRun], None],
        transcript_path: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self.config = config
        self.cwd = cwd
        self.session_id = session_id
        self.env = {
            **env,
            "MINIMAX_AGENT_PROJECT_DIR": str(cwd),
            "CLAUDE_PROJECT_DIR": str(cwd),
        }
        self.emit = emit
        self.transcript_path = transcript_path

    def __bool__(self) -> bool:
        return any(m.hooks for matchers in self.config.values() for m in matchers)

    # the events

    def pre_tool(self, name: str, arguments: dict[str, Any], call_id: str) -> ToolGate | None:
        """The hooks' verdict on a call about to run, or None when no hook decided."""
        fields = {"tool_name": name, "tool_input": arguments, "tool_use_id": call_id}
        decided: list[tuple[Verdict, str]] = []
        for ran in self._run("PreToolUse", fields, subject=name):
            verdict, reason = _pre_tool_verdict(ran)
            self._report("PreToolUse", ran, verdict, reason)
            if verdict is not None:
                decided.append((verdict, reason))
        if not decided:
            return None
        top = max(decided, key=lambda d: _VERDICT_RANK[d[0]])[0]
        reason = _join([r for v, r in decided if v == top]) or f"a PreToolUse hook said {top}"
        return ToolGate(top, reason)

    def post_tool(
        self, name: str, arguments: dict[str, Any], call_id: str, result: str, is_error: bool
    ) -> str | None:
        """Text the hooks add for the model after a call ran, or None."""
        fields = {
            "tool_name": name,
            "tool_input": arguments,
            "tool_use_id": call_id,
            "tool_response": {"content": result, "is_error": is_error},
        }
        texts: list[str] = []
        for ran in self._run("PostToolUse", fields, subject=name):
            answer, specific = ran.answer() or {}, ran.specific()
            said: list[str] = []
            decision = None
            if ran.code == BLOCKING_EXIT:
                said.append(ran.stderr.strip())
                decision = "block"
            elif answer.get("decision") == "block":
                said.append(_text(answer.get("reason")))
                decision = "block"
            said.append(_text(specific.get("additionalContext")))
            texts.extend(said)
            self._report("PostToolUse", ran, decision, _join(said) or "")
        return _join(texts)

    def user_prompt(self, prompt: str) -> PromptVerdict:
        """Whether the prompt may go to the model, and context to add to it."""
        blocked = False
        reasons: list[str] = []
        context: list[str] = []
        for ran in self._run("UserPromptSubmit", {"prompt": prompt}):
            answer, specific = ran.answer() or {}, ran.specific()
            decision = None
            if ran.code == BLOCKING_EXIT:
                blocked, decision = True, "block"
                reasons.append(ran.stderr.strip())
            elif answer.get("decision") == "block":
                blocked, decision = True, "block"
                reasons.append(_text(answer.get("reason")))
            elif ran.code == 0 and not answer:
                context.append(ran.stdout.strip())
            context.append(_text(specific.get("additionalContext")))
            self._report("UserPromptSubmit", ran, decision, reasons[-1] if decision else "")
        reason = _join(reasons) or ("blocked by a hook" if blocked else "")
        return PromptVerdict(blocked, reason, None if blocked else _join(context))

    def stop(self, active: bool) -> str | None:
        """An instruction that sends the finished model back to work, or None to let it end.
        `active`: this run was sent back already (hooks must not loop forever on it)."""
        texts: list[str] = []
        for ran in self._run("Stop", {"stop_hook_active": active}):
            answer = ran.answer() or {}
            said = ""
            if ran.code == BLOCKING_EXIT:
                said = ran.stderr.strip() or "a Stop hook asks you to continue"
            elif answer.get("decision") == "block":
                said = _text(answer.get("reason")) or "a Stop hook asks you to continue"
            texts.append(said)
            self._report("Stop", ran, "continue" if said else None, said)
        return _join(texts)

    def session_start(self, source: Literal["startup", "resume", "clear", "compact"]) -> str | None:
        """Context the hooks give the model at the start of a session, or None."""
        texts: list[str] = []
        for ran in self._run("SessionStart", {"source": source}, subject=source):
            answer = ran.answer()
            if ran.code == 0 and answer is None:
                texts.append(ran.stdout.strip())
            texts.append(_text(ran.specific().get("additionalContext")))
            self._report("SessionStart", ran, None, "")
        return _join(texts)

    def pre_compact(self, trigger: Literal["manual", "auto"], focus: str | None) -> None:
        """Compaction is about to run; hooks may only watch (or save the transcript)."""
        fields = {"trigger": trigger, "custom_instructions": focus or ""}
        for ran in self._run("PreCompact", fields, subject=trigger):
            self._report("PreCompact", ran, None, "")

    # running

    def _run(
        self, event: HookEvent, fields: dict[str, Any], subject: str | None = None
    ) -> list[_Ran]:
        """Run every command whose matcher selects `subject` (each command once)."""
        commands: list[tuple[str, float]] = []
        for matcher in self.config.get(event, ()):
            if subject is not None and not tool_matches(matcher.matcher, subject):
                continue
            for hook in matcher.hooks:
                if all(hook.command != c for c, _ in commands):
                    commands.append((hook.command, hook.timeout))
        if not commands:
            return []
        transcript = self.transcript_path()
        payload = {
            "session_id": self.session_id(),
            "transcript_path": None if transcript is None else str(transcript),
            "cwd": str(self.cwd),
            "hook_event_name": event,
            **fields,
        }
        data = json.dumps(payload, ensure_ascii=False, default=str).encode()
        return [
            run_hook(command, data, cwd=self.cwd, env=self.env, timeout_s=timeout)
            for command, timeout in commands
        ]

    def _report(self, event: HookEvent, ran: _Ran, decision: str | None, message: str) -> None:
        if ran.code is None:
            message = ran.problem
        elif not message and ran.code != 0:
            message = ran.stderr.strip() or f"exit code {ran.code}"
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 1] + "…"
        self.emit(HookRun(event, ran.command, ran.code, ran.seconds, decision, message))


def _pre_tool_verdict(ran: _Ran) -> tuple[Verdict | None, str]:
    """(allow | deny | ask, or None: no say; the reason) from one PreToolUse hook."""
    if ran.code == BLOCKING_EXIT:
        return "deny", ran.stderr.strip() or "blocked by a PreToolUse hook"
    answer = ran.answer()
    if answer is None:
        return None, ""
    specific = ran.specific()
    reason = _text(specific.get("permissionDecisionReason"))
    match specific.get("permissionDecision"):
        case "allow":
            return "allow", reason
        case "deny":
            return "deny", reason
        case "ask":
            return "ask", reason
    match answer.get("decision"):
        case "approve":
            return "allow", _text(answer.get("reason"))
        case "block":
            return "deny", _text(answer.get("reason"))
    return None, ""
