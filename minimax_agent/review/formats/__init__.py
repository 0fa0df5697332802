"""The review's output formats: a registry from format name to its writer.

A writer is a function `(ReviewReport) -> str` in a module of this package, imported only when
its format is asked for. Adding a format means writing that module and adding its member to
`ReviewFormat` and its line to `WRITERS`, both here; an unknown or unregistered name is an
error, never another format. Stdlib only at import: the CLI imports `ReviewFormat` for `--help`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minimax_agent.review.report import ReviewReport

Writer = Callable[["ReviewReport"], str]


class ReviewFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    RDJSONL = "rdjsonl"


# format -> "module:function" in this package
WRITERS: dict[ReviewFormat, str] = {
    ReviewFormat.MARKDOWN: "markdown:render_markdown",
    ReviewFormat.JSON: "jsonreport:render_json",
    ReviewFormat.SARIF: "sarif:render_sarif",
    ReviewFormat.GITHUB: "github:render_github",
    ReviewFormat.RDJSONL: "rdjsonl:render_rdjsonl",
}


def writer(fmt: ReviewFormat | str) -> Writer:
    """The writer of `fmt`; UsageError for a name that is not a registered format."""
    from minimax_agent.errors import UsageError

    try:
        chosen = ReviewFormat(fmt)
    except ValueError:
        known = ", ".join(f.value for f in ReviewFormat)
        raise UsageError(f"unknown review format {str(fmt)!r} (one of {known})") from None
    location = WRITERS.get(chosen)
    if location is None:  # a member added without its writer: tests/review catch it
        raise UsageError(f"review format {chosen.value!r} has no writer registered")
    module, _, name = location.partition(":")
    found: Writer = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return found


def render(fmt: ReviewFormat | str, report: ReviewReport) -> str:
    """The report in one format, as the text to write (ending with a newline when not empty)."""
    return writer(fmt)(report)
