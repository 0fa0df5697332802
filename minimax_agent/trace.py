"""`--trace FILE`: one JSON line per model exchange, secrets redacted."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import IO, Any

from minimax_agent.events import Event, Finish

# Whole-word key names only: `max_tokens` or `prompt_tokens` are data, `access_token` is not.
_SECRET_KEYS = re.compile(r"(^|[-_])(authorization|api[-_]?key|key|token|secret|password)$", re.I)
_SECRET_ENV = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD)$")
REDACTED = "[redacted]"


def _secret_values() -> list[str]:
    return [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= 8]


def redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(k, str) and _SECRET_KEYS.search(k) and v
            else redact(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    return value


def _event_record(event: Event) -> dict[str, Any]:
    record: dict[str, Any] = {"type": type(event).__name__}
    for f in dataclasses.fields(event):
        if f.name in ("message", "request"):
            continue
        record[f.name] = getattr(event, f.name)
    return record


class TraceWriter:
    def __init__(self, path: Path) -> None:
        try:
            self._file: IO[str] = path.open("a", encoding="utf-8")
        except OSError as exc:
            from minimax_agent.errors import UsageError

            raise UsageError(f"cannot write the trace to {path}: {exc.strerror}") from None
        self._secrets = _secret_values()

    def __call__(
        self, step: int, finish: Finish | None, events: list[Event], error: str | None
    ) -> None:
        record = {
            "step": step,
            "request": finish.request if finish else None,
            "raw": finish.message.raw if finish else None,
            "message": finish.message.model_dump() if finish else None,
            "events": [_event_record(e) for e in events if not isinstance(e, Finish)],
            "error": error,
        }
        self._file.write(json.dumps(redact(record, self._secrets), default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
