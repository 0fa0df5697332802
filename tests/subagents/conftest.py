"""Fixtures from the other packages: the local backend's (tiny GGUF, backends on it) for the
cache-keeping tests, the fake OpenAI server's for concurrent subagents."""

from __future__ import annotations

from tests.backends.conftest import backend_for, fake_server
from tests.local.conftest import llama, make_backend, tiny_gguf

__all__ = ["backend_for", "fake_server", "llama", "make_backend", "tiny_gguf"]
