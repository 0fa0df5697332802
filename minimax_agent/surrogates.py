"""Lone UTF-16 surrogates in text, made writable.

A JSON `\\ud83d` escape with its partner in the next stream chunk (or none at all) decodes to a
Python string that holds a surrogate code point, and such a string cannot be encoded as UTF-8:
writing it to a session file, a socket or a terminal raises. `repair` joins each high-low pair
into the character it stands for and turns every lone surrogate into U+FFFD; `PairJoiner` does
the same for text that arrives in pieces, holding a trailing high surrogate back for its partner.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def repair(text: str) -> str:
    """`text` with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    if _SURROGATE.search(text) is None:  # the common case: nothing to do, nothing copied
        return text
    # UTF-16 with surrogatepass writes each code point's units as they are; decoding them
    # again pairs what pairs and replaces what does not.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _high(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


class PairJoiner:
    """Repair a stream of text pieces; a pair split between two pieces is joined."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        self._held = ""
        if text and _high(text[-1]):
            text, self._held = text[:-1], text[-1]
        return repair(text)

    def flush(self) -> str:
        """What is still held: a high surrogate that never met its partner."""
        held, self._held = self._held, ""
        return repair(held)
