"""Server-sent events, read line by line (the parts of the format chat endpoints use)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

DONE = "[DONE]"


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data` payload of each event; comments (`: keep-alive`) and other fields are skipped.

    An event ends at a blank line; several `data:` lines in one event are joined with newlines,
    as the SSE specification says. A last event without its blank line still counts, so a server
    that closes right after `data: [DONE]` is not mistaken for a cut stream.
    """
    parts: list[str] = []
    for line in lines:
        if not line:
            if parts:
                yield "\n".join(parts)
                parts = []
            continue
        if line.startswith("data:"):
            value = line[5:]
            parts.append(value[1:] if value.startswith(" ") else value)
        # `event:`, `id:`, `retry:` and `:` comments carry nothing a chat stream needs.
    if parts:
        yield "\n".join(parts)
