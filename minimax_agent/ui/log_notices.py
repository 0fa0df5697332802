"""Warnings the code logs, shown as the run's own lines instead of raw log records.

A backend has no display, so it logs what the user should hear about (a retry, a turn that
held only reasoning). Left to the root handler, that is a `WARNING:minimax_agent:…` line in
`fix`'s progress, or text written over the REPL's spinner. While a run is on screen,
`notices_from_log(show)` hands each WARNING record of the `minimax_agent` logger to `show` as
a `Notice`, and the display draws it on a line of its own (above the spinner in the REPL).

A record may carry the words meant for the user in `extra={"notice": ...}` (the retry does:
"retrying in 2 s: …"); otherwise its message is used. With `-v` (debug logging) the records
still reach the log as well.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from minimax_agent.events import Notice

LOGGER = "minimax_agent"
PREFIX = "minimax-agent: "  # some messages already say who speaks: the display adds it


class _NoticeHandler(logging.Handler):
    def __init__(self, show: Callable[[Notice], None]) -> None:
        super().__init__(logging.WARNING)
        self.show = show

    def emit(self, record: logging.LogRecord) -> None:
        text = str(getattr(record, "notice", "") or record.getMessage())
        kind = str(getattr(record, "notice_kind", "warning"))
        # the display is gone (a closed pipe): losing a warning must not end the run, nor may
        # logging print its own traceback about it
        with contextlib.suppress(OSError, ValueError):
            self.show(Notice(kind, text.removeprefix(PREFIX)))


@contextlib.contextmanager
def notices_from_log(show: Callable[[Notice], None]) -> Iterator[None]:
    """While inside: `minimax_agent` warnings go to `show`, and (unless debug logging is on)
    not to the root logger's handlers too."""
    logger = logging.getLogger(LOGGER)
    handler = _NoticeHandler(show)
    propagate = logger.propagate
    logger.addHandler(handler)
    if not logger.isEnabledFor(logging.DEBUG):  # -v keeps the full log beside the notices
        logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
