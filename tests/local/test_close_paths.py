"""A command that loads a model frees it again however its run ends: `review` closes the
backend it loaded itself (a backend passed in stays the caller's to close).

Memory is measured as in test_backend_close.py: the tiny model with a large context holds
about 128 MiB of KV cache from the load on, far more than the interpreter's own allocations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends import Request, load_backend
from minimax_agent.review.options import FailOn
from minimax_agent.review.report import Clock
from minimax_agent.review.session import prepare, run_review
from tests.conftest import make_repo
from tests.local.conftest import conversation
from tests.local.test_backend_close import KV_BYTES, MIB, big_settings, resident

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/statm").is_file(), reason="resident memory is read from /proc"
)


def changed_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a + b\n"})
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return repo


def test_a_review_frees_the_model_it_loaded(
    llama: Any, tiny_gguf: Path, tmp_path: Path, isolated_home: Path
) -> None:
    repo = changed_repo(tmp_path)
    clock = Clock()
    prepared = prepare(repo, clock, uncommitted=True)
    # the random-weight model never finishes a review: one short step, and the review fails
    settings = big_settings(tiny_gguf, max_steps=1, max_tokens=8)
    before = resident()
    report = run_review(prepared, settings, clock, fail_on=FailOn.NONE)
    assert report.status == "failed" and report.steps >= 1  # the model was loaded and ran
    left = resident() - before
    assert left < KV_BYTES // 4, f"{left / MIB:.0f} MiB still resident after the review"


def test_a_review_leaves_a_backend_it_was_given_open(
    llama: Any, tiny_gguf: Path, tmp_path: Path, isolated_home: Path
) -> None:
    repo = changed_repo(tmp_path)
    clock = Clock()
    prepared = prepare(repo, clock, uncommitted=True)
    settings = big_settings(tiny_gguf, max_steps=1, max_tokens=8)
    backend = load_backend(settings)
    try:
        run_review(prepared, settings, clock, fail_on=FailOn.NONE, backend=backend)
        # still usable: the caller (the benchmark, a test) decides when it goes
        assert list(backend.stream(Request(messages=conversation(), max_tokens=2)))
    finally:
        backend.close()
