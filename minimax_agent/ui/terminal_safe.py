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
prompts) escapes it, while rich's own colours and cursor control still work. Noncharacters
(U+FFFE, U+FDD0...), which a random-weight model emits and some terminals show as broken
UTF-8, are shown as `<U+FFFE>` too.

A reader that goes away (`fix ... 2>&1 | head -1`) silences a `SafeConsole` instead of ending
the run (rich's default exits 1): the run finishes and exits with its own code.
`is_terminal` is the one test of whether a stream is a terminal, with `TTY_COMPATIBLE=1`/`0`
(rich's convention) deciding it for tests and wrappers.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment

if TYPE_CHECKING:
    from typing import IO

    from rich.console import ConsoleOptions, RenderableType

# C0 controls but \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# lone surrogates (which cannot even be encoded for the terminal), and noncharacters
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
    "\ufdd0-\ufdef\ufffe\uffff]"
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


def is_terminal(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (default stdout) is a terminal; `TTY_COMPATIBLE=1` or `0` says so
    instead (FORCE_COLOR does not: colour in a CI log does not make stdout a screen)."""
    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return (stream or sys.stdout).isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


def silence(stream: IO[str]) -> None:
    """Point `stream`'s descriptor at /dev/null after its reader went away, so later writes
    (and the flush at exit) succeed quietly instead of raising BrokenPipeError again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


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

    def on_broken_pipe(self) -> None:
        """The reader went away: stop showing, keep running (rich's default exits 1, and
        redirects stdout even when the closed stream is stderr)."""
        self.quiet = True
        silence(self.file)
