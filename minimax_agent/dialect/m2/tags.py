"""The M2 format's tags, and a streaming lexer that finds them in text as it arrives.

The lexer knows nothing of structure: it cuts the stream into plain text and candidate tags,
holding back only a `<` whose meaning the next characters decide. Which tag counts where is
the parser's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
BLOCK_OPEN = "<minimax:tool_call>"
BLOCK_CLOSE = "</minimax:tool_call>"
INVOKE_OPEN = "<invoke"
INVOKE_CLOSE = "</invoke>"
PARAM_OPEN = "<parameter"
PARAM_CLOSE = "</parameter>"

# A head (`<invoke name="f" id="1">`) longer than this is prose, not a tag: it bounds what a
# stray `<invoke` can hold back.
HEAD_LIMIT = 512
WAIT = -1  # `tag_at`: the text so far cannot tell


class Tag(Enum):
    THINK_OPEN = "think_open"
    THINK_CLOSE = "think_close"
    BLOCK_OPEN = "block_open"
    BLOCK_CLOSE = "block_close"
    INVOKE_HEAD = "invoke_head"
    INVOKE_CLOSE = "invoke_close"
    PARAM_HEAD = "param_head"
    PARAM_CLOSE = "param_close"


# Fixed tags by the character after `<`, so most `<` in code are rejected at one look.
_FIXED: dict[str, tuple[tuple[str, Tag], ...]] = {
    "/": (
        (THINK_CLOSE, Tag.THINK_CLOSE),
        (BLOCK_CLOSE, Tag.BLOCK_CLOSE),
        (INVOKE_CLOSE, Tag.INVOKE_CLOSE),
        (PARAM_CLOSE, Tag.PARAM_CLOSE),
    ),
    "t": ((THINK_OPEN, Tag.THINK_OPEN),),
    "m": ((BLOCK_OPEN, Tag.BLOCK_OPEN),),
}
_HEADS: dict[str, tuple[str, Tag]] = {
    "i": (INVOKE_OPEN, Tag.INVOKE_HEAD),
    "p": (PARAM_OPEN, Tag.PARAM_HEAD),
}
_AFTER_NAME = " \t\r\n>/"
_ATTR = re.compile(r"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+))""")


def tag_at(s: str, i: int, final: bool) -> tuple[Tag | None, int]:
    """What the `<` at `s[i]` starts: `(tag, end)`, `(None, WAIT)` when more text is needed,
    or `(None, i)` when it is plain text. At the end of the stream (`final`) nothing waits."""
    n = len(s)
    if i + 1 >= n:
        return None, (i if final else WAIT)
    c = s[i + 1]
    fixed = _FIXED.get(c)
    if fixed is not None:
        for text, tag in fixed:
            if s.startswith(text, i):
                return tag, i + len(text)
        if not final and n - i < len(BLOCK_CLOSE):
            rest = s[i:]  # short: only the end of the text can still grow into a tag
            if any(len(rest) < len(text) and text.startswith(rest) for text, _ in fixed):
                return None, WAIT
        return None, i
    head = _HEADS.get(c)
    if head is None:
        return None, i
    text, tag = head
    k = i + len(text)
    if n <= k:  # the name itself is not complete, or the character after it has not come
        return None, (WAIT if not final and text.startswith(s[i:]) else i)
    if not s.startswith(text, i) or s[k] not in _AFTER_NAME:
        return None, i
    j = s.find(">", k, i + HEAD_LIMIT)
    if j >= 0:
        return tag, j + 1
    return None, (WAIT if not final and n - i < HEAD_LIMIT else i)


def attribute(head: str, key: str) -> str | None:
    """The value of attribute `key` in a head such as `<invoke name="f" id="1">`."""
    for match in _ATTR.finditer(head):
        if match.group(1) == key:
            return next(g for g in match.groups()[1:] if g is not None)
    return None


class Lexer:
    """Cuts streamed text into plain text and tags, in order, through two callbacks."""

    def __init__(self, on_text: Callable[[str], None], on_tag: Callable[[Tag, str], None]) -> None:
        self._on_text = on_text
        self._on_tag = on_tag
        self.hold = ""  # from a `<` whose meaning is not known yet

    def feed(self, chunk: str, *, final: bool = False) -> None:
        s = self.hold + chunk if self.hold else chunk
        self.hold = ""
        start = i = 0  # `start`: first character not yet passed on
        while True:
            j = s.find("<", i)
            if j < 0:
                break
            tag, end = tag_at(s, j, final)
            if tag is None:
                if end == WAIT:
                    if j > start:
                        self._on_text(s[start:j])
                    self.hold = s[j:]
                    return
                i = j + 1
                continue
            if j > start:
                self._on_text(s[start:j])
            self._on_tag(tag, s[j:end])
            start = i = end
        if start < len(s):
            self._on_text(s[start:])
