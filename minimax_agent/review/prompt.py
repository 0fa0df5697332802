"""The reviewer's system prompt: what to look for, how to report, and the diff (or its chunk)."""

from __future__ import annotations

from minimax_agent.review.chunks import Chunk
from minimax_agent.review.diff import ReviewDiff
from minimax_agent.review.gitrange import DiffSource
from minimax_agent.session.memory import project_instructions

LISTED_FILES = 200

ROLE = """You are minimax-agent reviewing a code change, as a careful senior engineer would on a
pull request. Look for real problems in the changed code: bugs and wrong logic, security holes,
data loss, race conditions, performance traps, missing or wrong tests, misleading docs. Mention
style only when it hurts readability. Do not praise, do not restate the change, and do not report
problems in code the change did not touch.

How to work:
- The diff is below. You may read the repository with read_file, grep, glob, git_log, git_show
  and git_blame to understand the context (callers, tests, history). You cannot change files.
- Report each distinct problem with one report_finding call. path and line numbers refer to the
  NEW version of the file; in the diff, each line starts with its new line number (blank for
  removed lines). A finding must overlap the lines a hunk shows; otherwise it is refused and you
  are told the valid ranges.
- A suggestion is the exact replacement text for lines start_line..end_line, whole lines with
  their indentation. Give one only when you are sure of the fix.
- Set confidence honestly; prefer leaving out a finding you are unsure of.
- When you are done, call finish_review once with a short summary and a verdict. The review only
  counts if finish_review is called."""

TASK = (
    "Review the change described in the system prompt. Report each problem with report_finding, "
    "then call finish_review."
)


def _file_list(diff: ReviewDiff, chunk: Chunk) -> str:
    here = set(chunk.paths)
    lines = []
    for changed in diff.files[:LISTED_FILES]:
        what = changed.status
        if changed.old_path:
            what += f" from {changed.old_path}"
        if not changed.reviewed:
            what += f"; not reviewed: {changed.skip_reason}"
        elif changed.path not in here:
            what += "; in another part of this review"
        lines.append(f"- {changed.path} ({what}, +{changed.added} -{changed.removed})")
    if len(diff.files) > LISTED_FILES:
        lines.append(f"- ... and {len(diff.files) - LISTED_FILES} more files")
    return "\n".join(lines)


def review_prompt(source: DiffSource, diff: ReviewDiff, chunk: Chunk) -> str:
    part = ""
    if chunk.total > 1:
        part = (
            f" This diff is large, so it is reviewed in {chunk.total} parts; this is part "
            f"{chunk.index}. Review only the files shown below; the others are reviewed "
            "separately."
        )
    parts = [
        ROLE,
        f"# The change\nReviewing {source.description}.{part}\n\nChanged files:\n"
        + _file_list(diff, chunk),
    ]
    # the agent's reader, with its refusals (links out of the repository, hard links, FIFOs);
    # the root is the repository's top, so that is its AGENTS.md (or CLAUDE.md) alone
    parts += project_instructions(source.root)
    parts.append(f"# The diff\n{chunk.text}")
    return "\n\n".join(parts)
