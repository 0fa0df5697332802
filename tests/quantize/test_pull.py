"""`models pull`, `models list` and `--model NAME` resolution, against a fake Hub on 127.0.0.1.

huggingface_hub reads HF_ENDPOINT when it is first imported, so every pull runs the real CLI in a
subprocess with the fake Hub's address, its own HF_HOME and its own models directory.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimax_agent.backends import local_model
from minimax_agent.cli.models import models_app
from minimax_agent.config import Settings
from quantize.errors import QuantizeUsageError
from quantize.model_cache import cached_models, resolve_model_name
from quantize.pull import DEFAULT_REPO, RemoteFile, group_quants
from tests.conftest import RunCli
from tests.fakes.fake_hub import FakeHub

REPO = "acme/MiniMax-M2.1-GGUF"
MIB = 1 << 20
Q4 = [f"Q4_K_M/MiniMax-M2.1-Q4_K_M-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
Q8 = [f"Q8_0/MiniMax-M2.1-Q8_0-0000{i}-of-00002.gguf" for i in (1, 2)]
IQ2 = "MiniMax-M2.1-IQ2_M.gguf"


def gguf_bytes(seed: int, size: int) -> bytes:
    """Stand-in shard contents: the GGUF magic, then a byte pattern of its own per shard."""
    return (b"GGUF" + bytes((seed + i) % 256 for i in range(251)) * (size // 251 + 1))[:size]


@pytest.fixture
def repo_files() -> dict[str, bytes]:
    files = {"README.md": b"# MiniMax-M2.1 GGUF\n", "imatrix_unsloth.dat": b"x" * 100}
    # The first Q4_K_M shard is over huggingface_hub's 10 MiB read chunk: a cut past the first
    # chunk leaves bytes on disk to resume from.
    files[Q4[0]] = os.urandom(16 * MIB)
    files[Q4[1]] = gguf_bytes(2, 300_000)
    files[Q4[2]] = gguf_bytes(3, 1000)
    files[Q8[0]] = gguf_bytes(4, 200_000)
    files[Q8[1]] = gguf_bytes(5, 100)
    files[IQ2] = gguf_bytes(6, 50_000)
    return files


@pytest.fixture
def hub(repo_files: dict[str, bytes]) -> Iterator[FakeHub]:
    # page_size 3: the tree listing takes several pages, followed by their `Link` headers
    with FakeHub(repos={REPO: repo_files}, page_size=3) as fake:
        yield fake


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("MINIMAX_AGENT_MODELS_DIR", str(root))
    return root


@pytest.fixture
def hub_env(tmp_path: Path, models: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # nothing from the real environment: no token, no offline switch, no other endpoint
    for var in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    return {
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "MINIMAX_AGENT_MODELS_DIR": str(models),
    }


def pull(
    run_cli: RunCli, hub_url: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return run_cli("models", "pull", *args, env={**env, "HF_ENDPOINT": hub_url})


def run_on_terminal(
    args: list[str], env: dict[str, str], answer: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI with stdout piped and stderr on a pseudo-terminal, both read to the end; with an
    `answer`, stdin is the terminal too and the answer is typed into it."""
    master, slave = pty.openpty()
    # a terminal of no size gets empty progress bars: give it 24 rows of 120 columns
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "minimax_agent", *args],
        stdin=subprocess.DEVNULL if answer is None else slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, **env},
    )
    os.close(slave)
    if answer is not None:
        os.write(master, answer.encode())
    chunks: list[bytes] = []

    def drain() -> None:  # a full terminal buffer would block the child
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    err = b"".join(chunks).decode(errors="replace")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err)


def test_group_quants_reads_names_shards_and_folders() -> None:
    files = [
        RemoteFile("README.md", 10),
        RemoteFile("BF16/MiniMax-M2.1-BF16-00002-of-00002.gguf", 5),
        RemoteFile("BF16/MiniMax-M2.1-BF16-00001-of-00002.gguf", 5),
        RemoteFile("UD-Q2_K_XL/MiniMax-M2.1-UD-Q2_K_XL-00001-of-00002.gguf", 7),
        RemoteFile("minimax-m2.1.q4_k_m.gguf", 20),
        RemoteFile("IQ2_XXS/model-00001-of-00001.gguf", 3),
        RemoteFile("mmproj-F16.gguf", 1),
        RemoteFile("imatrix.gguf", 1),
    ]
    quants = group_quants(files)
    assert list(quants) == ["IQ2_XXS", "UD-Q2_K_XL", "BF16", "Q4_K_M"]  # smallest first
    bf16 = quants["BF16"]
    assert [f.path for f in bf16.files] == [  # shard order, whatever order the listing had
        "BF16/MiniMax-M2.1-BF16-00001-of-00002.gguf",
        "BF16/MiniMax-M2.1-BF16-00002-of-00002.gguf",
    ]
    assert bf16.complete and bf16.size == 10
    assert not quants["UD-Q2_K_XL"].complete  # one of its two shards is listed


def test_pull_downloads_every_shard_and_verifies_sizes(
    hub: FakeHub,
    repo_files: dict[str, bytes],
    hub_env: dict[str, str],
    models: Path,
    run_cli: RunCli,
) -> None:
    # huggingface_hub draws its byte progress bars only on a terminal: give stderr one
    result = run_on_terminal(
        ["models", "pull", "--quant", "q4_k_m", "--repo", REPO], {**hub_env, "HF_ENDPOINT": hub.url}
    )
    assert result.returncode == 0, result.stderr
    for i, path in enumerate(Q4, 1):
        assert f"[{i}/3] {path}" in result.stdout
        assert (models / REPO / path).read_bytes() == repo_files[path]
    assert "verified Q4_K_M (16.29 MiB, 3 file(s))" in result.stdout
    assert "--model MiniMax-M2.1-Q4_K_M" in result.stdout
    assert "100%" in result.stderr
    assert not (models / REPO / Q8[0]).exists()
    assert len(hub.requests("hub", "GET")) >= 4  # model info + paginated tree pages

    # a second run finds the shards in place and fetches nothing
    before = len(hub.requests("cdn"))
    again = pull(run_cli, hub.url, hub_env, "--quant", "Q4_K_M", "--repo", REPO)
    assert again.returncode == 0, again.stderr
    assert "already here" in again.stdout
    assert len(hub.requests("cdn")) == before


def test_a_cut_download_resumes_with_a_range_request(
    hub: FakeHub,
    repo_files: dict[str, bytes],
    hub_env: dict[str, str],
    models: Path,
    run_cli: RunCli,
) -> None:
    hub.cut_once[Q4[0]] = 12 * MIB
    result = pull(run_cli, hub.url, hub_env, "--quant", "Q4_K_M", "--repo", REPO)
    assert result.returncode == 0, result.stderr
    gets = [s for s in hub.requests("cdn", "GET") if Q4[0] in s.path]
    assert len(gets) == 2
    assert gets[0].header("Range") is None
    resumed = gets[1].header("Range")
    assert resumed is not None and resumed.startswith("bytes=")
    assert int(resumed.removeprefix("bytes=").rstrip("-")) > 0
    assert (models / REPO / Q4[0]).read_bytes() == repo_files[Q4[0]]


def test_auto_pick_takes_the_largest_quant_that_fits(
    hub: FakeHub,
    repo_files: dict[str, bytes],
    hub_env: dict[str, str],
    models: Path,
    run_cli: RunCli,
) -> None:
    flags = ("--repo", REPO, "--gpu-mem", "48G", "--ram", "128G", "--ctx", "32768")
    result = pull(run_cli, hub.url, hub_env, *flags, "--yes")
    assert result.returncode == 0, result.stderr
    # Q8_0 (~243 GB) does not fit 48 GiB + 128 GiB; Q4_K_M (~137 GB) does, and beats IQ2_M
    for name in ("Q8_0", "Q4_K_M", "IQ2_M"):
        assert name in result.stdout
    assert "verified Q4_K_M (16.29 MiB, 3 file(s))" in result.stdout
    assert all((models / REPO / p).exists() for p in Q4)
    assert not (models / REPO / IQ2).exists()
    assert not (models / REPO / Q8[0]).exists()


def test_auto_pick_asks_first_and_refuses_without_a_terminal(
    hub: FakeHub, hub_env: dict[str, str], models: Path, run_cli: RunCli
) -> None:
    flags = ("--repo", REPO, "--gpu-mem", "24G", "--ram", "64G")
    result = pull(run_cli, hub.url, hub_env, *flags)
    assert result.returncode == 2
    assert "pass --yes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not hub.requests("cdn")

    dry = pull(run_cli, hub.url, hub_env, *flags, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would download IQ2_M" in dry.stdout
    assert not hub.requests("cdn")

    # on a terminal it asks; "n" downloads nothing and the task is not done
    env = {**hub_env, "HF_ENDPOINT": hub.url}
    declined = run_on_terminal(["models", "pull", *flags], env, answer="n\n")
    assert declined.returncode == 1
    assert "download IQ2_M" in declined.stdout
    assert not hub.requests("cdn")
    accepted = run_on_terminal(["models", "pull", *flags], env, answer="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert (models / REPO / IQ2).exists()


def test_unknown_quant_lists_the_quants_there(
    hub: FakeHub, hub_env: dict[str, str], run_cli: RunCli
) -> None:
    result = pull(run_cli, hub.url, hub_env, "--quant", "Q6_K", "--repo", REPO)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"minimax-agent: error: {REPO} has no Q6_K GGUF; quants there: IQ2_M, Q8_0, Q4_K_M"
    )


def test_missing_repo_and_unreachable_hub(
    hub: FakeHub, hub_env: dict[str, str], run_cli: RunCli
) -> None:
    missing = pull(run_cli, hub.url, hub_env, "--quant", "Q4_K_M", "--repo", "acme/nothing")
    assert missing.returncode == 2
    assert "repository acme/nothing not found" in missing.stderr
    assert "--repo ORG/NAME" in missing.stderr

    malformed = pull(run_cli, hub.url, hub_env, "--repo", "just-a-name")
    assert malformed.returncode == 2 and "give it as ORG/NAME" in malformed.stderr
    no_branch = pull(run_cli, hub.url, hub_env, "--repo", REPO, "--revision", "nope")
    assert no_branch.returncode == 2 and "has no revision 'nope'" in no_branch.stderr

    down = pull(run_cli, "http://127.0.0.1:9", hub_env, "--quant", "Q4_K_M", "--repo", REPO)
    assert down.returncode == 3
    assert down.stderr.startswith(f"minimax-agent: error: listing {REPO}: ")
    assert len(down.stderr.strip().splitlines()) == 1


def test_gated_repo_takes_hf_token_and_never_shows_it(
    hub: FakeHub, hub_env: dict[str, str], models: Path, run_cli: RunCli
) -> None:
    secret = "hf_fakeTokenForTheGatedRepo123"
    hub.gated[REPO] = secret
    refused = pull(run_cli, hub.url, hub_env, "--quant", "IQ2_M", "--repo", REPO)
    assert refused.returncode == 2
    assert f"{REPO} is gated" in refused.stderr and "HF_TOKEN" in refused.stderr

    allowed = pull(
        run_cli, hub.url, {**hub_env, "HF_TOKEN": secret}, "--quant", "IQ2_M", "--repo", REPO
    )
    assert allowed.returncode == 0, allowed.stderr
    assert (models / REPO / IQ2).exists()
    heads = hub.requests("hub", "HEAD")
    assert heads[-1].header("Authorization") == f"Bearer {secret}"
    assert secret not in allowed.stdout + allowed.stderr + refused.stdout + refused.stderr


def test_a_size_that_differs_from_the_listing_is_an_error(
    hub: FakeHub, hub_env: dict[str, str], models: Path, run_cli: RunCli
) -> None:
    hub.listed_sizes[IQ2] = 49_000
    result = pull(run_cli, hub.url, hub_env, "--quant", "IQ2_M", "--repo", REPO)
    assert result.returncode == 3
    assert f"{IQ2}: downloaded 50000 bytes but the Hub lists 49000" in result.stderr
    assert not (models / REPO / IQ2).exists()  # removed, so a rerun fetches it again


def place_model(root: Path, rel: str, size: int = 100) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * (size - 4))
    return path


def test_resolve_model_name_finds_pulled_models(models: Path) -> None:
    first = place_model(models / REPO, Q4[0])
    for rel in Q4[1:]:
        place_model(models / REPO, rel)
    iq2 = place_model(models / REPO, IQ2)
    place_model(models / "other/M2.1-GGUF", "MiniMax-M2.1-Q8_0.gguf")
    place_model(models / "other/M2.1-GGUF", "Q5_K_M/MiniMax-M2.1-Q5_K_M-00001-of-00002.gguf")
    loose = place_model(models, "mine.gguf")
    place_model(models / REPO / ".cache/huggingface/download", "x.gguf")  # bookkeeping, not a model

    assert resolve_model_name("MiniMax-M2.1-Q4_K_M") == first
    assert resolve_model_name("minimax-m2.1-q4_k_m") == first
    assert resolve_model_name("MiniMax-M2.1-Q4_K_M-00002-of-00003.gguf") == first
    assert resolve_model_name(f"{REPO}/MiniMax-M2.1-IQ2_M") == iq2
    assert resolve_model_name("IQ2_M") == iq2  # the bare quant, held by one model only
    assert resolve_model_name("mine") == loose
    with pytest.raises(QuantizeUsageError, match="no model named 'Q6_K'"):
        resolve_model_name("Q6_K")
    with pytest.raises(QuantizeUsageError, match="has 1 of its 2 shards"):
        resolve_model_name("Q5_K_M")

    place_model(models / "third/copy", "MiniMax-M2.1-IQ2_M.gguf")
    with pytest.raises(QuantizeUsageError, match="names several models"):
        resolve_model_name("MiniMax-M2.1-IQ2_M")

    # --model takes a path as given, and a name otherwise (what the local backend loads)
    assert local_model(Settings(model=str(loose))) == str(loose)
    assert local_model(Settings(model="MiniMax-M2.1-Q4_K_M")) == str(first)
    names = [m.name for m in cached_models()]
    assert names.count("MiniMax-M2.1-IQ2_M") == 2 and "x" not in names


def test_models_list_shows_names_and_sizes(models: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(models_app, ["list"])
    assert empty.exit_code == 0 and "no models in" in empty.output
    for rel in Q4:
        place_model(models / REPO, rel, 1000)
    result = runner.invoke(models_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"name": "MiniMax-M2.1-Q4_K_M"' in result.output
    assert '"size": 3000' in result.output
    table = runner.invoke(models_app, ["list"])
    assert "MiniMax-M2.1-Q4_K_M" in table.output and "2.93 KiB" in table.output


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["models", "pull", "--help"]])
def test_startup_does_not_import_huggingface_hub(args: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "minimax_agent", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "huggingface_hub" not in out.stderr
    if "pull" in args:  # the help names the default repo without importing the module that has it
        assert DEFAULT_REPO in out.stdout
