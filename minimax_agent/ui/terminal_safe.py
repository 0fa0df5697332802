"""Text from the model or a tool, made harmless for a terminal before it is shown.

A tool's output or a model's answer can carry escape sequences: OSC 52 writes the clipboard
(`ESC ] 52 ; c ; BASE64 BEL`), `ESC [ 2J` clears the screen, `ESC ] 0 ;` sets the window
title, a `\\r` or cursor moves draw over what was printed (a command shown for approval can
look like another), C1 controls (`\\x9b` is a one-byte CSI) do the same on some terminals, and
bidi overrides (U+202E) show text in an order other than the bytes'. Only what reaches the
terminal is changed: session files, json output and the model keep the real text.

`terminal_safe` shows such characters visibly instead (`^[` for ESC, as `cat -v` does; `\\x9b`;
`<U+202E>`), keeping `\\n` and `\\t`. `SafeConsole` is a rich Console that applies it to every
piece of text it draws, so nothing printed through it (markdown, tool lines, diffs, approval
prompts) escapes it, while rich's own colours and cursor control still work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderableType

# C0 controls but \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# and lone surrogates (which cannot even be encoded for the terminal)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)  # caret notation: ESC is ^[, BEL ^G, CR ^M, DEL ^?
    if code <= 0x9F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"<U+{code:04X}>"


def terminal_safe(text: str) -> str:
    """`text` with every character that could drive the terminal shown visibly instead.

    A CRLF becomes a plain newline (it only ends the line); a lone CR is shown as `^M`, since
    returning to the line's start lets later text hide earlier text.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_visible, text)


class SafeConsole(Console):
    """A rich Console that draws every text segment through `terminal_safe`.

    `render` is where each renderable (also those nested in Markdown, tables or Live) becomes
    segments; control segments, which rich makes itself for cursor moves, pass unchanged.
    """

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or _UNSAFE.search(segment.text) is None:
                yield segment
            else:
                yield Segment(terminal_safe(segment.text), segment.style)
