"""Renderings of a ReviewReport: markdown, json, sarif, github and rdjsonl."""

from __future__ import annotations

from minimax_agent.review.options import ReviewFormat
from minimax_agent.review.report import ReviewReport


def render(fmt: ReviewFormat, report: ReviewReport) -> str:
    """The report in one format, as the text to write (ending with a newline when not empty)."""
    if fmt is ReviewFormat.MARKDOWN:
        from minimax_agent.review.formats.markdown import render_markdown

        return render_markdown(report)
    if fmt is ReviewFormat.JSON:
        from minimax_agent.review.formats.jsonreport import render_json

        return render_json(report)
    if fmt is ReviewFormat.SARIF:
        from minimax_agent.review.formats.sarif import render_sarif

        return render_sarif(report)
    if fmt is ReviewFormat.GITHUB:
        from minimax_agent.review.formats.github import render_github

        return render_github(report)
    from minimax_agent.review.formats.rdjsonl import render_rdjsonl

    return render_rdjsonl(report)
