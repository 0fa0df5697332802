"""What `sessions list` shows of a session besides its meta record: how its last task ended
(a `run` event, written by session/conversation.py at the end of every task), its steps, and
the backend and model that ran it. Read from the file's last records, so a long session costs
its head and its tail, not a full read."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from minimax_agent.events import RunStatus

# the first format whose sessions record a `run` event at the end of every task
RUNS_RECORDED = 2
SUMMARY_BYTES = 65536  # what `sessions list` reads of each file: its head and its tail


class SessionStatus(StrEnum):
    """How a session's last task ended, as `sessions list` shows it."""

    DONE = "done"
    NOT_DONE = "not done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


def session_status(status: RunStatus) -> SessionStatus:
    from minimax_agent.events import RunStatus  # not on the REPL's start path (pydantic)

    if status is RunStatus.DONE:
        return SessionStatus.DONE
    if status is RunStatus.INTERRUPTED:
        return SessionStatus.INTERRUPTED
    if status is RunStatus.BACKEND_ERROR:
        return SessionStatus.FAILED
    return SessionStatus.NOT_DONE


def read_tail(path: Path, size: int) -> list[dict[str, Any]]:
    """The whole records in the last `size` bytes of `path` (the first, cut, line dropped)."""
    with path.open("rb") as fh:
        fh.seek(max(0, fh.seek(0, os.SEEK_END) - size))
        data = fh.read()
    records = []
    for line in data.split(b"\n")[1:]:
        try:
            record = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Summarised(Protocol):
    """The fields `summarise` fills (store.SessionInfo has them), named here so this module
    does not import the store that imports it."""

    status: SessionStatus | None
    steps: int | None
    backend: str | None
    model: str | None


def summarise(info: Summarised, meta: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """Fill `info`'s status, steps, backend and model from the session's last records."""
    last_run: dict[str, Any] | None = None
    asked_since = False  # a user message after the last run event: that task never ended
    for record in records:
        if record.get("t") == "event" and record.get("kind") == "run":
            last_run, asked_since = record, False
        elif record.get("t") == "msg" and isinstance(record.get("m"), dict):
            asked_since = asked_since or record["m"].get("role") == "user"
    from minimax_agent.events import RunStatus

    info.backend, info.model = _text(meta.get("backend")), _text(meta.get("model"))
    version = meta.get("v")
    if not isinstance(version, int) or version < RUNS_RECORDED:
        return
    if last_run is not None:
        try:
            info.status = session_status(RunStatus(str(last_run.get("status"))))
        except ValueError:
            info.status = None
        steps = last_run.get("total_steps")
        info.steps = steps if isinstance(steps, int) and not isinstance(steps, bool) else None
        info.backend = _text(last_run.get("backend")) or info.backend
        info.model = _text(last_run.get("model")) or info.model
    if asked_since:
        info.status = SessionStatus.INTERRUPTED
