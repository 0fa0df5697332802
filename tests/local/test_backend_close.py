"""Closing a backend frees what it holds, and `/model` closes the old backend before it loads
the next one (two local models rarely fit in memory at once).

Memory is the process's resident set (/proc/self/statm). The tiny model's weights are small, so
its context is made large: llama.cpp clears the KV cache when it creates the context, so all of
it is resident from the load on, and the model then holds far more than the interpreter's own
allocations move by.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.agent import Hooks
from minimax_agent.backends import Request, load_backend
from minimax_agent.errors import USER_ERRORS, BackendError
from minimax_agent.session.conversation import Conversation
from tests.conftest import make_repo
from tests.local.conftest import conversation, local_settings

# The tiny model's KV cache: 2 layers x 2 KV heads x 16 dims x (K and V) x 2 bytes (f16) =
# 256 bytes a token, so 128 MiB; flash attention keeps the compute buffer small beside it.
N_CTX = 1 << 19
KV_BYTES = 256 * N_CTX
MIB = 1 << 20

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/statm").is_file(), reason="resident memory is read from /proc"
)


def resident() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def big_settings(model: Path, **overrides: Any) -> Any:
    return local_settings(model, n_ctx=N_CTX, flash_attn=True, **overrides)


def test_close_frees_the_model_and_its_context(llama: Any, tiny_gguf: Path) -> None:
    before = resident()
    backend = load_backend(big_settings(tiny_gguf))
    held = resident() - before
    assert held > KV_BYTES * 3 // 4, f"the load added only {held / MIB:.0f} MiB"

    backend.close()
    backend.close()  # idempotent: the conversation and its owner may both close it
    left = resident() - before
    assert left < held // 4, f"{left / MIB:.0f} of {held / MIB:.0f} MiB still resident"
    # a closed model is never handed to llama.cpp again (that would use freed memory)
    with pytest.raises(BackendError, match="closed"):
        list(backend.stream(Request(messages=conversation())))
    with pytest.raises(BackendError, match="closed"):
        backend.count_tokens(conversation(), [])


def test_switching_model_closes_the_old_backend_first(
    llama: Any, tiny_gguf: Path, tmp_path: Path, isolated_home: Path
) -> None:
    other = tmp_path / "other.gguf"  # another file: another model as far as the backend knows
    shutil.copyfile(tiny_gguf, other)
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    before = resident()
    conv = Conversation.open(big_settings(tiny_gguf), repo, Hooks(), interactive=False)
    one = resident() - before
    assert one > KV_BYTES * 3 // 4
    old = conv.agent.backend

    conv.switch_model(str(other))  # what `/model NAME` runs in the REPL

    assert conv.settings.model == str(other)
    assert conv.agent.backend is not old and conv.agent.backend.context_window == N_CTX
    with pytest.raises(BackendError, match="closed"):
        list(old.stream(Request(messages=conversation())))
    # one model's worth, not two: the old one was freed before the new one was loaded
    now = resident() - before
    assert now < one * 3 // 2, f"{now / MIB:.0f} MiB resident after the switch; one model: {one}"

    conv.close()  # the end of a run frees the backend too
    assert resident() - before < one // 4


def test_a_failed_switch_keeps_a_working_model(
    llama: Any, tiny_gguf: Path, tmp_path: Path, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    conv = Conversation.open(local_settings(tiny_gguf), repo, Hooks(), interactive=False)
    with pytest.raises(USER_ERRORS):
        conv.switch_model(str(tmp_path / "missing.gguf"))
    assert conv.settings.model == str(tiny_gguf)
    # the old model was closed for the attempt and loaded again after it failed
    assert conv.agent.backend.count_tokens(conversation(), []) > 0
    conv.close()


def test_the_openai_backend_closes_its_client() -> None:
    from minimax_agent.backends.openai import OpenAIBackend
    from minimax_agent.providers import PRESETS, Provider

    provider = Provider("vllm", "http://127.0.0.1:9/v1", PRESETS["vllm"], None, None)
    backend = OpenAIBackend(provider, model="m")
    backend.close()
    backend.close()
    assert backend.transport.closed
    with pytest.raises(BackendError, match="closed"):
        list(backend.stream(Request(messages=conversation())))
