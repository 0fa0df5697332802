"""A large diff split per file to fit a token budget; each chunk is reviewed by its own agent run.

Files are never mixed line by line: a chunk holds whole files, and a file too big for one chunk is
split between its hunks. A single hunk bigger than the budget still goes alone into one chunk
(cutting it would show the model half a change); the session warns about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minimax_agent.review.diff import ChangedFile, Hunk, ReviewDiff
from minimax_agent.review.options import DEFAULT_BUDGET_TOKENS

# Code tokenizes at roughly 3-4 characters per token; the lower figure keeps chunks on the safe
# side without loading a tokenizer.
CHARS_PER_TOKEN = 3
FILE_CLOSE = "</file>"


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class Piece:
    """One file's diff, or one part of it when the file alone exceeds the budget."""

    file: ChangedFile
    hunks: list[Hunk]
    part: int = 1
    parts: int = 1

    @property
    def text(self) -> str:
        header = self.file.header()
        if self.parts > 1:
            header += f"\n(part {self.part} of {self.parts} of this file's diff)"
        return "\n".join([header, *(h.text for h in self.hunks), FILE_CLOSE])

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


@dataclass
class Chunk:
    index: int
    total: int
    pieces: list[Piece] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(p.file.path for p in self.pieces))

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pieces)

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


def _file_pieces(changed: ChangedFile, budget: int) -> list[Piece]:
    whole = Piece(changed, list(changed.hunks))
    if whole.tokens <= budget:
        return [whole]
    overhead = estimate_tokens(changed.header() + FILE_CLOSE) + 20
    groups: list[list[Hunk]] = [[]]
    used = overhead
    for hunk in changed.hunks:
        cost = estimate_tokens(hunk.text)
        if groups[-1] and used + cost > budget:
            groups.append([])
            used = overhead
        groups[-1].append(hunk)
        used += cost
    return [Piece(changed, g, i, len(groups)) for i, g in enumerate(groups, 1)]


def split(diff: ReviewDiff, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> list[Chunk]:
    """The reviewed files packed, in diff order, into as few chunks as fit the budget."""
    packed: list[list[Piece]] = []
    used = 0
    for changed in diff.reviewed:
        for piece in _file_pieces(changed, budget_tokens):
            cost = piece.tokens
            if not packed or (packed[-1] and used + cost > budget_tokens):
                packed.append([])
                used = 0
            packed[-1].append(piece)
            used += cost
    return [Chunk(i, len(packed), pieces) for i, pieces in enumerate(packed, 1)]
