"""M2.5 and M2.7 by name: `models plan --model`, `models pull --model`, `--model NAME` from the
models directory, and a clear error for a name the family does not have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimax_agent.cli.models import models_app
from quantize.errors import QuantizeUsageError
from quantize.family import DEFAULT_MODEL, M2_MODELS, m2_model, model_in
from quantize.footprint import m2_footprint
from quantize.hardware import GB_S, GIB, GPU_PRESETS
from quantize.model_cache import resolve_model_name
from quantize.plan import Hardware, PlanRequest
from quantize.pull import DEFAULT_REPO, RemoteFile, RepoListing, assess, group_quants
from tests.conftest import RunCli
from tests.fakes.fake_hub import FakeHub

KNOWN = "known: MiniMax-M2, MiniMax-M2.1, MiniMax-M2.5, MiniMax-M2.7"


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("MiniMax-M2.5", "MiniMax-M2.5"),
        ("minimax-m2.5", "MiniMax-M2.5"),
        ("M2.5", "MiniMax-M2.5"),
        (" m2.7 ", "MiniMax-M2.7"),
        ("M2", "MiniMax-M2"),
        ("MiniMax-M2.1", "MiniMax-M2.1"),
    ],
)
def test_a_family_name_in_any_spelling(name: str, model: str) -> None:
    assert m2_model(name).name == model


@pytest.mark.parametrize("name", ["M3", "MiniMax-M2.6", "M2.5-highspeed", "llama"])
def test_an_unknown_name_says_which_are_known(name: str) -> None:
    with pytest.raises(QuantizeUsageError, match=rf"unknown model {name!r}; {KNOWN}"):
        m2_model(name)


def test_each_model_has_its_repos_and_m21_stays_the_default() -> None:
    repos = {m.name: (m.gguf_repo, m.weights_repo) for m in M2_MODELS}
    assert repos["MiniMax-M2.5"] == ("unsloth/MiniMax-M2.5-GGUF", "MiniMaxAI/MiniMax-M2.5")
    assert repos["MiniMax-M2.7"] == ("unsloth/MiniMax-M2.7-GGUF", "MiniMaxAI/MiniMax-M2.7")
    assert DEFAULT_MODEL == "MiniMax-M2.1" and DEFAULT_REPO == "unsloth/MiniMax-M2.1-GGUF"


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("unsloth/MiniMax-M2.5-GGUF", "MiniMax-M2.5"),
        ("MiniMax-M2.7-UD-Q4_K_XL", "MiniMax-M2.7"),
        ("MiniMax-M2.1-Q4_K_M", "MiniMax-M2.1"),  # not M2, whose name is its prefix
        ("acme/MiniMax-M2-GGUF", "MiniMax-M2"),
        ("MiniMax-M2.10-Q4_K_M", None),
        ("mine", None),
    ],
)
def test_which_model_a_repo_or_file_name_holds(text: str, model: str | None) -> None:
    found = model_in(text)
    assert (found.name if found else None) == model


def test_the_family_weighs_the_same_under_its_own_names() -> None:
    m21 = m2_footprint("Q4_K_M")
    for name in ("M2.5", "MiniMax-M2.7"):
        other = m2_footprint("Q4_K_M", name)
        assert other.name == f"{m2_model(name).name}-Q4_K_M"
        assert (other.total, other.n_layer, other.n_ctx_train) == (
            m21.total,
            m21.n_layer,
            m21.n_ctx_train,
        )
    with pytest.raises(QuantizeUsageError, match="unknown model 'M3'"):
        m2_footprint("Q4_K_M", "M3")


PLAN = ["plan", "--quant", "Q4_K_M", "--gpu", "l40s", "--ram", "128G", "--cpu-bw", "80"]


def test_models_plan_takes_the_model_by_name() -> None:
    result = CliRunner().invoke(models_app, [*PLAN, "--model", "M2.5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["request"]["model"]["name"] == "MiniMax-M2.5-Q4_K_M"
    default = CliRunner().invoke(models_app, [*PLAN, "--json"])
    assert json.loads(default.output)["request"]["model"]["name"] == "MiniMax-M2.1-Q4_K_M"


def test_models_plan_refuses_an_unknown_model_and_a_model_with_a_file(m21_gguf: Path) -> None:
    unknown = CliRunner().invoke(models_app, [*PLAN, "--model", "M9"])
    assert unknown.exit_code == 2
    assert "unknown model 'M9'" in unknown.output
    both = CliRunner().invoke(models_app, ["plan", str(m21_gguf), "--model", "M2.5"])
    assert both.exit_code == 2
    assert "--model names the model of --quant" in both.output


def test_pull_names_each_quant_by_the_model_the_repo_holds() -> None:
    files = group_quants([RemoteFile("MiniMax-M2.7-IQ2_M.gguf", 80 * 10**9)])
    p = GPU_PRESETS["l40s"]
    request = PlanRequest(m2_footprint("Q4_K_M"), Hardware(p.name, p.memory, 1, 128 * GIB, GB_S))
    for repo, model, name in [
        ("unsloth/MiniMax-M2.7-GGUF", None, "MiniMax-M2.7-IQ2_M"),
        ("acme/any-GGUF", None, "MiniMax-M2.1-IQ2_M"),  # a name that says none: the default
        ("acme/any-GGUF", "MiniMax-M2.5", "MiniMax-M2.5-IQ2_M"),
    ]:
        [(_, plan)] = assess(RepoListing(repo, "sha", files), request, model)
        assert plan.request.model.name == name


def test_pull_model_picks_that_models_repo(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    repos = {
        "unsloth/MiniMax-M2.5-GGUF": {"MiniMax-M2.5-IQ2_M.gguf": b"GGUF" + b"\0" * 60},
        "unsloth/MiniMax-M2.7-GGUF": {"MiniMax-M2.7-Q8_0.gguf": b"GGUF" + b"\0" * 60},
    }
    env = {
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "MINIMAX_AGENT_MODELS_DIR": str(tmp_path / "models"),
    }
    with FakeHub(repos=repos) as hub:
        env["HF_ENDPOINT"] = hub.url
        args = ("models", "pull", "--gpu-mem", "48G", "--ram", "128G", "--dry-run")
        m25 = run_cli(*args, "--model", "M2.5", env=env)
        assert m25.returncode == 0, m25.stderr
        assert "would download IQ2_M" in m25.stdout
        assert "unsloth/MiniMax-M2.5-GGUF" in m25.stdout
        m27 = run_cli(*args, "--model", "MiniMax-M2.7", "--quant", "Q8_0", env=env)
        assert m27.returncode == 0, m27.stderr
        assert "would download Q8_0" in m27.stdout
        unknown = run_cli(*args, "--model", "M3", env=env)
        assert unknown.returncode == 2
        assert f"unknown model 'M3'; {KNOWN}" in unknown.stderr


def place(root: Path, rel: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def test_model_flag_takes_a_bare_family_name(tmp_path: Path) -> None:
    root = tmp_path / "models"
    m25 = place(root, "unsloth/MiniMax-M2.5-GGUF/MiniMax-M2.5-UD-Q4_K_XL.gguf")
    place(root, "unsloth/MiniMax-M2.1-GGUF/MiniMax-M2.1-Q4_K_M.gguf")
    assert resolve_model_name("M2.5", root) == m25
    assert resolve_model_name("MiniMax-M2.5", root) == m25
    # the full file name and the bare quant work as before
    assert resolve_model_name("MiniMax-M2.5-UD-Q4_K_XL", root) == m25
    assert resolve_model_name("UD-Q4_K_XL", root) == m25
    with pytest.raises(QuantizeUsageError, match=r"models pull --model MiniMax-M2.7` fetches"):
        resolve_model_name("M2.7", root)
    place(root, "unsloth/MiniMax-M2.5-GGUF/MiniMax-M2.5-IQ2_M.gguf")
    with pytest.raises(QuantizeUsageError, match=r"'M2\.5' names several models; pick one of"):
        resolve_model_name("M2.5", root)
    with pytest.raises(QuantizeUsageError, match="no model named 'M3'"):
        resolve_model_name("M3", root)
