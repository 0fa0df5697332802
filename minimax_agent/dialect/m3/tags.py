"""The M3 format's tags, and a streaming lexer that finds them in text as it arrives.

Every structural tag of a tool call is the namespace token `]<]minimax[>[` followed by an
XML-like tag: `<tool_call>`, `<invoke name="f">`, `<path>`, `</item>`... The token is special in
M3's vocabulary, so a tag without it (`<path>` in a string value, `<tool_call>` in prose) is
text. Only the reasoning tags, `<mm:think>` and `</mm:think>`, go without the prefix.

The lexer knows nothing of structure: it cuts the stream into plain text and tags, holding back
only a tail that the next characters may still turn into a tag. Which tag counts where is the
parser's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

NS = "]<]minimax[>["
THINK_OPEN = "<mm:think>"
THINK_CLOSE = "</mm:think>"
BLOCK = "tool_call"
INVOKE = "invoke"
ITEM = "item"
BLOCK_OPEN = NS + "<tool_call>"
BLOCK_CLOSE = NS + "</tool_call>"
INVOKE_OPEN = NS + '<invoke name="'
INVOKE_CLOSE = NS + "</invoke>"

# A tag after the prefix longer than this is not a tag: it bounds what a stray prefix holds back.
HEAD_LIMIT = 512
# `<name>`, `</name>` or `<invoke name="f">`: a name is anything but blanks and markup.
_TAG = re.compile(r'<(/?)([^\s<>/="]+)((?:\s+[^\s<>/="]+="[^"]*")*)\s*>')
_ATTR = re.compile(r'([^\s<>/="]+)="([^"]*)"')
# Where a tag may start: the prefix, or a reasoning tag.
_START = re.compile(re.escape(NS) + "|" + re.escape(THINK_OPEN) + "|" + re.escape(THINK_CLOSE))
_OPENERS = (NS, THINK_OPEN, THINK_CLOSE)
_LONGEST = max(map(len, _OPENERS))


@dataclass(frozen=True)
class Tag:
    """One tag: `closing` for `</name>`; `think` for the unprefixed reasoning tags."""

    name: str
    closing: bool = False
    attrs: tuple[tuple[str, str], ...] = ()
    think: bool = False

    def attr(self, key: str) -> str | None:
        return next((v for k, v in self.attrs if k == key), None)

    def is_open(self, name: str) -> bool:
        return not self.think and not self.closing and self.name == name

    def is_close(self, name: str) -> bool:
        return not self.think and self.closing and self.name == name


THINK_OPEN_TAG = Tag("mm:think", think=True)
THINK_CLOSE_TAG = Tag("mm:think", closing=True, think=True)


def _partial_tail(s: str, start: int) -> int:
    """Where a tail of `s` (from `start` on) begins that is a proper prefix of a tag opener,
    or -1. Only the last len(opener) characters can be one."""
    for i in range(max(start, len(s) - _LONGEST + 1), len(s)):
        if s[i] in "]<":  # what every opener starts with: most tails are rejected at one look
            rest = s[i:]
            if any(opener.startswith(rest) for opener in _OPENERS):
                return i
    return -1


class Lexer:
    """Cuts streamed text into plain text and tags, in order, through two callbacks; each tag
    is passed with its exact text."""

    def __init__(self, on_text: Callable[[str], None], on_tag: Callable[[Tag, str], None]) -> None:
        self._on_text = on_text
        self._on_tag = on_tag
        self.hold = ""  # from a tag opener whose meaning is not known yet

    def feed(self, chunk: str, *, final: bool = False) -> None:
        s = self.hold + chunk if self.hold else chunk
        self.hold = ""
        start = i = 0  # `start`: first character not yet passed on
        while True:
            match = _START.search(s, i)
            if match is None:
                break
            j = match.start()
            found = match.group()
            if found in (THINK_OPEN, THINK_CLOSE):
                tag, end = (THINK_OPEN_TAG if found == THINK_OPEN else THINK_CLOSE_TAG), match.end()
            else:
                head = _TAG.match(s, match.end(), match.end() + HEAD_LIMIT)
                if head is None:
                    if not final and _may_grow(s, match.end()):
                        self._text(s, start, j)
                        self.hold = s[j:]
                        return
                    i = j + 1  # a prefix before no tag is text
                    continue
                closing, name, attrs = head.group(1), head.group(2), head.group(3)
                tag = Tag(name, bool(closing), tuple(_ATTR.findall(attrs)) if attrs else ())
                end = head.end()
            self._text(s, start, j)
            self._on_tag(tag, s[j:end])
            start = i = end
        if not final:
            cut = _partial_tail(s, start)
            if cut >= 0:
                self._text(s, start, cut)
                self.hold = s[cut:]
                return
        self._text(s, start, len(s))

    def _text(self, s: str, start: int, end: int) -> None:
        if end > start:
            self._on_text(s[start:end])


def _may_grow(s: str, at: int) -> bool:
    """The text after a prefix, `s[at:]`, may still become a tag with more characters."""
    rest = s[at : at + HEAD_LIMIT + 1]
    if len(rest) > HEAD_LIMIT or ">" in rest:
        return False
    return rest == "" or (rest[0] == "<" and "<" not in rest[1:])
