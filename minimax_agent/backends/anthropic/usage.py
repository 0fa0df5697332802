"""An Anthropic reply's `usage` as our `Usage` event.

The API counts the prompt in three parts: `input_tokens` (after the last cache breakpoint),
`cache_read_input_tokens` (read from the prompt cache) and `cache_creation_input_tokens`
(written to it). Our `prompt_tokens` is the whole prompt, as the other backends report it (the
context measure reads it), `cached_tokens` the part read from the cache, and the part written
goes in `extra["cache_creation_tokens"]`, which `/cost` and the json output show.
"""

from __future__ import annotations

from typing import Any

from minimax_agent.events import Usage


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def anthropic_usage(usage: dict[str, Any]) -> Usage:
    fresh = _number(usage.get("input_tokens"))
    read = _number(usage.get("cache_read_input_tokens"))
    written = _number(usage.get("cache_creation_input_tokens"))
    parts = [n for n in (fresh, read, written) if n is not None]
    extra: dict[str, Any] = {}
    if written is not None:
        extra["cache_creation_tokens"] = written
    if fresh is not None:
        extra["uncached_input_tokens"] = fresh
    return Usage(
        prompt_tokens=sum(parts) if parts else None,
        completion_tokens=_number(usage.get("output_tokens")),
        cached_tokens=read,
        extra=extra,
    )
