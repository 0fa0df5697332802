"""Capping long text: what a tool result or command output keeps when it is too long to
show whole. A module of its own (no tool types), so that the job table (tools/jobs.py)
caps output without importing the tool layer; tools/base.py re-exports it."""

from __future__ import annotations

__all__ = ["cap_text"]


def cap_text(text: str, limit: int, *, what: str = "output") -> str:
    """Keep the head and tail of an over-long text, saying how much was cut from the middle."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    cut = len(text) - head - tail
    cut_lines = text.count("\n", head, len(text) - tail)
    return (
        f"{text[:head]}\n[... {what} truncated: {cut} characters ({cut_lines} lines) cut from "
        f"the middle ...]\n{text[len(text) - tail :]}"
    )
