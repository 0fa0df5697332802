"""A reply's `usage`, or llama-server's `timings`, as our `Usage` event."""

from __future__ import annotations

from typing import Any

from minimax_agent.events import Usage


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_event(usage: dict[str, Any] | None, timings: dict[str, Any] | None = None) -> Usage:
    """Our Usage from a reply's `usage`, or from llama-server's `timings` where `usage` is absent
    (it sends it only with `stream_options.include_usage`, and `timings` always).

    In llama-server (tools/server) `usage.prompt_tokens` is the whole prompt: `timings.prompt_n`
    tokens evaluated plus `timings.cache_n` taken from its cache (`cached_tokens`), and
    `completion_tokens` is `predicted_n`. The tokens evaluated go in `extra["tokens_evaluated"]`
    and the speeds in `prefill_tps`/`decode_tps`, as the local backend reports them.
    """
    usage = usage or {}
    timings = timings or {}
    extra: dict[str, Any] = {}
    evaluated, cache_n = _number(timings.get("prompt_n")), _number(timings.get("cache_n"))
    if evaluated is not None:
        extra["tokens_evaluated"] = evaluated
    for ours, theirs in (
        ("prefill_tps", "prompt_per_second"),
        ("decode_tps", "predicted_per_second"),
    ):
        speed = timings.get(theirs)
        if isinstance(speed, int | float) and not isinstance(speed, bool):
            extra[ours] = round(float(speed), 2)
    prompt = _number(usage.get("prompt_tokens"))
    if prompt is None and evaluated is not None:
        prompt = evaluated + (cache_n or 0)
    completion = _number(usage.get("completion_tokens"))
    if completion is None:
        completion = _number(timings.get("predicted_n"))
    prompt_details = usage.get("prompt_tokens_details")
    cached = prompt_details.get("cached_tokens") if isinstance(prompt_details, dict) else None
    if cached is None:  # some servers put it at the top level
        cached = usage.get("cached_tokens")
    if cached is None:
        cached = cache_n
    cost = usage.get("cost")
    completion_details = usage.get("completion_tokens_details")
    if isinstance(completion_details, dict) and _number(completion_details.get("reasoning_tokens")):
        extra["reasoning_tokens"] = completion_details["reasoning_tokens"]
    if isinstance(usage.get("cost_details"), dict):
        extra["cost_details"] = usage["cost_details"]
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=_number(cached),
        cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        extra=extra,
    )
