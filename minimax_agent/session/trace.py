"""`--trace FILE`: one JSON line per model exchange, secrets redacted (see `redact.py`).

The writer is agent hooks that take only the trace records; a run gives it to the Agent beside
its display with `Tee`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import IO, Any

from minimax_agent.agent import Hooks
from minimax_agent.events import (
    AgentEvent,
    Event,
    Finish,
    HookRun,
    ReasoningDelta,
    TextDelta,
    TraceRecord,
)
from minimax_agent.redact import REDACTED, Redactor, StreamRedactor, current

__all__ = ["REDACTED", "TraceWriter", "redact"]


def redact(value: Any, secrets: list[str]) -> Any:
    """`value` with `secrets`, URL credentials and secret-named fields redacted."""
    return Redactor(secrets).value(value)


def _event_record(event: Event) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(event).__name__}
    for f in dataclasses.fields(event):
        if f.name in ("message", "request"):
            continue
        record[f.name] = getattr(event, f.name)
    return record


def _event_records(events: list[Event], redactor: Redactor) -> list[dict[str, Any]]:
    """One record per event; the deltas of each kind pass through one stream redactor, so a
    secret the backend streamed in two chunks is still found (what the stream held back at
    the end goes into that kind's last delta)."""
    streams: dict[type, StreamRedactor] = {}
    last: dict[type, dict[str, Any]] = {}
    records = []
    for event in events:
        if isinstance(event, Finish):
            continue
        record = _event_record(event)
        if isinstance(event, TextDelta | ReasoningDelta):
            stream = streams.setdefault(type(event), redactor.stream())
            record["text"] = stream.feed(event.text)
            last[type(event)] = record
        records.append(record)
    for kind, stream in streams.items():
        last[kind]["text"] += stream.flush()
    return records


class TraceWriter(Hooks):
    def __init__(self, path: Path) -> None:
        try:
            self._file: IO[str] = path.open("a", encoding="utf-8")
        except OSError as exc:
            from minimax_agent.errors import UsageError

            raise UsageError(f"cannot write the trace to {path}: {exc.strerror}") from None

    def on_trace(self, record: TraceRecord) -> None:
        """One line for the exchange; a failed step has no `finish` but still has its request."""
        redactor = current()
        finish, request = record.finish, record.request
        if request is None and finish is not None:
            request = finish.request
        line_record = {
            "step": record.step,
            "request": request,
            "raw": finish.message.raw if finish else None,
            "message": finish.message.model_dump() if finish else None,
            "events": _event_records(record.events, redactor),
            "error": record.error,
        }
        # the structural pass takes secret-named fields (headers); the text pass over the line
        # catches whatever lies deeper than it descends
        line = json.dumps(redactor.value(line_record), default=str)
        self._file.write(redactor.text(line) + "\n")
        self._file.flush()

    def on_event(self, event: AgentEvent) -> None:
        """Hook runs go in the trace too, each as a line of its own (`{"hook": {...}}`)."""
        if isinstance(event, HookRun):
            redactor = current()
            line = json.dumps({"hook": redactor.value(dataclasses.asdict(event))}, default=str)
            self._file.write(redactor.text(line) + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()
