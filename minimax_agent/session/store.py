"""Persisted sessions: every conversation is written as it happens, one JSON record a line.

A session file lives under the XDG state directory (`~/.local/state/minimax-agent/sessions/`
on Linux). Each record is appended, flushed and fsynced before the agent moves on, so a session
killed with `kill -9` loses at most the step that was in flight; a torn last line is skipped on
load. Records (`t` names the kind):

- `meta`: the first line: session id, workspace root, creation time, version.
- `msg`: one message appended to the conversation (the `Message` model as JSON).
- `reset`: the whole conversation replaced (compaction, /clear): `m` holds the new list.
- `note`: something the model must hear with the next user message (an undo made headless).
- `usage`: one step's token counts, for `/cost` and `sessions show`.
- `event`: informational (undo, compaction), shown by `sessions show`; a `run` event ends each
  task with its status, steps (`steps` this run, `total_steps` so far), backend and model,
  which `sessions list` shows (format 2 on; a format-1 session has no status); a `todo` event
  holds the model's task list each time it changed, and the last one is the list a resumed
  session starts with (session/todo.py).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeGuard

from minimax_agent.errors import UsageError
from minimax_agent.session.summary import SUMMARY_BYTES, SessionStatus, read_tail, summarise
from minimax_agent.surrogates import repair

if TYPE_CHECKING:
    from minimax_agent.messages import Message

log = logging.getLogger("minimax_agent")

FORMAT_VERSION = 2
INTERRUPTED_CALL = "interrupted: the session ended before this tool call finished"


def state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("minimax-agent"))


def sessions_dir() -> Path:
    return state_dir() / "sessions"


def new_session_id() -> str:
    # sortable by creation time, short enough to type, unique enough for one user
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


@dataclass
class SessionInfo:
    id: str
    path: Path
    root: str
    created: float
    updated: float
    title: str = ""
    # from the last `run` event (the meta record for backend and model before any); None
    # where the session does not say
    status: SessionStatus | None = None
    steps: int | None = None
    backend: str | None = None
    model: str | None = None


@dataclass
class LoadedSession:
    info: SessionInfo
    messages: list[Message]
    # notes recorded after the last user message: the model has not heard them yet
    notes: list[str] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # messages as stored, before unanswered tool calls were closed
    stored_count: int = 0


def _read_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        data = fh.read() if limit is None else fh.read(limit)
    records = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            # the last line may be torn by a crash; anything else is worth a log line
            if number < len(lines) and limit is None:
                log.warning("session %s: skipping unreadable line %d", path.name, number)
            continue
        if isinstance(record, dict):
            records.append(record)
        elif limit is None:
            log.warning("session %s: skipping line %d (not a record)", path.name, number)
    return records


def _title(records: list[dict[str, Any]]) -> str:
    for record in records:
        message = record.get("m")
        if record.get("t") == "msg" and isinstance(message, dict) and message.get("role") == "user":
            first = str(message.get("content", "")).strip().splitlines()
            return first[0][:80] if first else ""
    return ""


def _info(path: Path, records: list[dict[str, Any]]) -> SessionInfo | None:
    """The session's summary from its meta record; a damaged field is replaced (and said)."""
    meta = records[0] if records and records[0].get("t") == "meta" else None
    if meta is None:
        log.warning("session file %s has no meta record first; skipped", path.name)
        return None
    updated = path.stat().st_mtime
    session_id, root, created = meta.get("id"), meta.get("root", ""), meta.get("created")
    if not isinstance(session_id, str) or not session_id:
        log.warning("session %s: no valid id in its meta record; using the file name", path.name)
        session_id = path.stem
    if not isinstance(root, str):
        log.warning("session %s: its workspace root is not a string; ignored", path.name)
        root = ""
    if not _is_time(created):
        log.warning("session %s: its creation time is not a time; using the file's", path.name)
        created = updated
    return SessionInfo(
        id=session_id,
        path=path,
        root=root,
        created=float(created),
        updated=updated,
        title=_title(records),
    )


def _is_time(value: Any) -> TypeGuard[float]:
    """A number `time.localtime` takes: seconds since 1970, before the year 5000."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 <= value < 95_617_584_000
    )


USAGE_NUMBERS = ("prompt_tokens", "completion_tokens", "cached_tokens", "cost")


def _usage_record(value: Any) -> dict[str, Any] | None:
    """A stored usage record whose numbers are numbers, or None."""
    if not isinstance(value, dict):
        return None
    for name in USAGE_NUMBERS:
        number = value.get(name)
        if number is not None and (not isinstance(number, int | float) or isinstance(number, bool)):
            return None
    if not isinstance(value.get("extra", {}), dict):
        return None
    return dict(value)


def list_sessions(root: Path | None = None) -> list[SessionInfo]:
    """Sessions, newest activity first; only those of workspace `root` when given."""
    directory = sessions_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob("*.jsonl"):
        try:
            head = _read_records(path, limit=SUMMARY_BYTES)
            info = _info(path, head)
            if info and (root is None or info.root == str(root)):
                big = path.stat().st_size > SUMMARY_BYTES
                summarise(info, head[0], read_tail(path, SUMMARY_BYTES) if big else head)
                found.append(info)
        except OSError:
            continue
    return sorted(found, key=lambda i: i.updated, reverse=True)


def find_session(session_id: str, root: Path | None = None) -> SessionInfo:
    """The session whose id is `session_id` or starts with it; a UsageError otherwise."""
    everything = list_sessions()
    exact = [s for s in everything if s.id == session_id]
    matches = exact or [s for s in everything if s.id.startswith(session_id)]
    if not matches:
        raise UsageError(f"no session {session_id!r}; see `minimax-agent sessions list`")
    if len(matches) > 1:
        ids = ", ".join(s.id for s in matches[:5])
        raise UsageError(f"session id {session_id!r} is ambiguous: {ids}")
    return matches[0]


def latest_session(root: Path) -> SessionInfo:
    found = list_sessions(root)
    if not found:
        raise UsageError(f"no earlier session for {root}; start one with `minimax-agent`")
    return found[0]


def load_session(info: SessionInfo) -> LoadedSession:
    """Replay a session file into the conversation it holds."""
    from pydantic import TypeAdapter, ValidationError

    from minimax_agent.messages import Message, close_unanswered

    adapter: TypeAdapter[Message] = TypeAdapter(Message)
    loaded = LoadedSession(info=info, messages=[])
    for record in _read_records(info.path):
        kind = record.get("t")
        try:
            if kind == "msg":
                message = adapter.validate_python(record["m"])
                loaded.messages.append(message)
                if message.role == "user":
                    loaded.notes.clear()
            elif kind == "reset":
                loaded.messages = [adapter.validate_python(m) for m in record["m"]]
            elif kind == "note":
                loaded.notes.append(str(record.get("text", "")))
            elif kind == "usage":
                usage = _usage_record(record.get("u"))
                if usage is None:
                    raise TypeError(f"not a usage record: {str(record.get('u'))[:80]}")
                loaded.usage.append(usage)
            elif kind == "event":
                loaded.events.append(record)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            log.warning("session %s: skipping a bad %s record: %s", info.id, kind, exc)
    loaded.stored_count = len(loaded.messages)
    close_unanswered(loaded.messages, INTERRUPTED_CALL)
    return loaded


class SessionWriter:
    """Appends a session's records durably. `sync` writes the messages it has not seen yet."""

    def __init__(
        self, info: SessionInfo, persisted: int, meta: dict[str, Any] | None = None
    ) -> None:
        self.info = info
        self.persisted = persisted
        self._file: IO[bytes] | None = None
        # a new session's file appears with its first record: an empty session leaves no trace
        self._meta = meta

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.info.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # sessions hold tool output, which may hold secrets: private to the user
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            self._file = os.fdopen(os.open(self.info.path, flags, 0o600), "ab")
        return self._file

    @classmethod
    def create(cls, root: Path, **meta: Any) -> SessionWriter:
        from minimax_agent import __version__

        session_id = new_session_id()
        path = sessions_dir() / f"{session_id}.jsonl"
        now = time.time()
        info = SessionInfo(id=session_id, path=path, root=str(root), created=now, updated=now)
        record = {"t": "meta", "v": FORMAT_VERSION, "id": session_id, "root": str(root)}
        return cls(info, 0, {**record, "created": now, "version": __version__, **meta})

    def describe(self, **meta: Any) -> None:
        """Add to the meta record while it is not written yet (the backend and model, once
        the backend is loaded and says what it resolved)."""
        if self._meta is not None:
            self._meta.update(meta)

    @classmethod
    def resume(cls, loaded: LoadedSession) -> SessionWriter:
        return cls(loaded.info, loaded.stored_count)

    def _write(self, *records: dict[str, Any]) -> None:
        if self._meta is not None:
            records = (self._meta, *records)
            self._meta = None
        from minimax_agent.redact import current

        redact = current().text  # sessions hold tool output: no secret may be written down
        data = b"".join(
            # repair: a lone surrogate (half an emoji from a stream) cannot be encoded
            repair(redact(json.dumps(r, ensure_ascii=False, default=str))).encode("utf-8") + b"\n"
            for r in records
        )
        file = self._open()
        file.write(data)
        file.flush()
        os.fsync(file.fileno())

    def sync(self, messages: list[Message]) -> None:
        if len(messages) < self.persisted:
            self.reset(messages, why="shrunk")
            return
        fresh = messages[self.persisted :]
        if fresh:
            self._write(*({"t": "msg", "m": m.model_dump(mode="json")} for m in fresh))
            self.persisted = len(messages)

    def reset(self, messages: list[Message], *, why: str) -> None:
        self._write({"t": "reset", "why": why, "m": [m.model_dump(mode="json") for m in messages]})
        self.persisted = len(messages)

    def note(self, text: str) -> None:
        self._write({"t": "note", "text": text})

    def usage(self, values: dict[str, Any]) -> None:
        self._write({"t": "usage", "u": values})

    def event(self, kind: str, **details: Any) -> None:
        self._write({"t": "event", "kind": kind, "at": time.time(), **details})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def remove_session(info: SessionInfo) -> None:
    info.path.unlink(missing_ok=True)
    # The local backend's saved KV cache (`ID.kv`) and its model note (`ID.kv.json`).
    for extra in (info.path.with_suffix(".kv"), info.path.with_suffix(".kv.json")):
        extra.unlink(missing_ok=True)
