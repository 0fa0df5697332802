"""Fixtures shared across test packages: real git repos, the real CLI (a subprocess, or in
process through CliRunner), and the `slow` marker."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config, state or history leaks in from the real home directory."""
    home = tmp_path / "home"
    home.mkdir()
    for var, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".data"),
    ):
        monkeypatch.setenv(var, str(home / sub) if sub else str(home))
    for var in list(os.environ):
        if var.startswith("MINIMAX_AGENT_"):
            monkeypatch.delenv(var)
    # a cloud key of the real environment would choose a provider where none is configured
    for var in ("OPENROUTER_API_KEY", "MINIMAX_API_KEY", "NVIDIA_API_KEY", "MODELSLAB_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return home


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(isolated_home: Path) -> RunCli:
    """Run the real `minimax-agent` in a subprocess, as a user would."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "minimax_agent", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **GIT_ENV, **(env or {})},
        )

    return run


@contextlib.contextmanager
def fresh_root_logger() -> Iterator[None]:
    """The root logger as a new process has it: no handlers, level WARNING. The CLI's
    `logging.basicConfig(stream=sys.stderr)` then sends warnings (and `-v` tracebacks) to the
    runner's stderr, as it would to a process's; pytest's own log handlers would otherwise make
    it a no-op. Restored afterwards."""
    import logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers.clear()
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.fixture
def invoke_cli(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run the CLI in this process through typer's CliRunner: the same commands, flags, outputs
    and exit codes as `run_cli`, without a fresh interpreter per call. For what needs no
    process of its own (no signal, terminal or start-up check); gives a `CompletedProcess`."""
    from typer.testing import CliRunner

    from minimax_agent.cli.app import app

    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        with fresh_root_logger():
            result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return subprocess.CompletedProcess(
            ["minimax-agent", *args], result.exit_code, result.stdout, result.stderr
        )

    return run


def write_script(path: Path, steps: list[str]) -> Path:
    path.write_text(json.dumps(steps))
    return path


def tiny_template() -> str:
    """The chat template a tiny test model carries: its architecture's dialect's own."""
    from minimax_agent.dialect import dialect_for
    from quantize.tiny import ARCH

    return dialect_for(architecture=ARCH).default_template()


def wait_until_serving(
    proc: subprocess.Popen[bytes], url: str, log: Path, what: str, timeout_s: float = 120
) -> None:
    """Poll `url` until it answers 200, failing with the server's log if `proc` exits or the
    time runs out (a hang guard, not a timing assertion)."""
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not serving in {timeout_s:g} s: {log.read_text()[-3000:]}")
        time.sleep(0.2)


# --- the `slow` marker -------------------------------------------------------------------------
# `pytest -m "not slow"` is the inner loop; the README's command runs everything. A test is slow
# when it needs a real model runtime or a terminal, found without a list to keep up to date:
# - by directory: every test in these runs llama.cpp on a tiny GGUF, writes or requantises GGUF
#   files, runs the C++ llama-server, or drives the REPL in a pty;
# - elsewhere, by what it uses: a fixture that loads llama.cpp, writes a model or starts a model
#   server, or a module that spawns a pty (pexpect).
SLOW_DIRS = ("local", "quantize", "server", "repl")
SLOW_FIXTURES = frozenset(
    {"llama", "tiny_gguf", "m21_gguf", "m21_split", "make_backend", "llama_server", "start_repl"}
)


def is_slow(item: pytest.Item) -> bool:
    parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
    if parts and parts[0] in SLOW_DIRS:
        return True
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    return module is not None and "pexpect" in vars(module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


LLAMA_SDIST = "llama_cpp_python-0.3.36.tar.gz"


def sdist_template(name: str) -> str:
    """An official chat template (`MiniMax-M2.jinja`, `MiniMax-M3.jinja`) read from the
    llama-cpp-python sdist at test time, never copied into the repo: MINIMAX_AGENT_LLAMA_SDIST, the
    copy scripts/build_llama_server.sh keeps beside the llama-server it builds, or the test cache.
    Skips when no sdist is here."""
    import glob
    import tarfile

    member_name = f"llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates/{name}"
    candidates = [os.environ.get("MINIMAX_AGENT_LLAMA_SDIST", "")]
    server = os.environ.get("MINIMAX_AGENT_LLAMA_SERVER")
    if server:
        candidates.append(str(Path(server).parent / LLAMA_SDIST))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    candidates += sorted(glob.glob(f"{cache}/minimax-agent-tests/llama-server-*/{LLAMA_SDIST}"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            with tarfile.open(candidate) as tar:
                member = tar.extractfile(member_name)
                assert member is not None, f"{member_name} is not in {candidate}"
                return member.read().decode()
    pytest.skip(
        "the llama-cpp-python 0.3.36 sdist is not here: set MINIMAX_AGENT_LLAMA_SDIST, or build "
        "llama-server with scripts/build_llama_server.sh (it keeps the sdist)"
    )


def grammar_checker(model: Any) -> Callable[..., bool]:
    """`check(grammar, text, complete=True)`: whether llama.cpp's grammar engine lets `model`
    write `text` token by token (and then end the turn, or, with complete=False, not yet)."""
    from minimax_agent.backends.local.sampling import Sampler, SamplingParams

    eos = model.tokenize("[e~[")[0]

    def check(grammar: str, text: str, *, complete: bool = True) -> bool:
        sampler = Sampler(model, SamplingParams())
        sampler.constrain(grammar)
        try:
            for token in model.tokenize(text):
                if not sampler.allows(token):
                    return False
                sampler.accept(token)
            return sampler.allows(eos) if complete else not sampler.allows(eos)
        finally:
            sampler.close()

    return check
