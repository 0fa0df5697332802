"""The GitHub Actions example and the CI doc: valid YAML, the right keys, and only flags that the
real `review` command accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer
import yaml

from minimax_agent.cli.app import app
from minimax_agent.cli.review import plan_outputs
from minimax_agent.review.formats import ReviewFormat

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "github-actions" / "review.yml"
DOC = ROOT / "docs" / "ci-review.md"


def _workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def _steps() -> list[dict[str, Any]]:
    steps = _workflow()["jobs"]["review"]["steps"]
    assert isinstance(steps, list)
    return steps


def _step(uses_prefix: str) -> dict[str, Any]:
    return next(s for s in _steps() if str(s.get("uses", "")).startswith(uses_prefix))


def _review_options() -> set[str]:
    group = typer.main.get_command(app)
    command = group.commands["review"]  # type: ignore[attr-defined]
    return {opt for p in command.params for opt in p.opts}


def _review_args(script: str) -> list[str]:
    words = shlex.split(script.replace("\\\n", " "))
    return words[words.index("review") + 1 :]


def test_workflow_has_the_right_shape() -> None:
    data = _workflow()
    # YAML 1.1 reads a bare `on` key as true
    triggers = data.get("on", data.get(True))
    assert "pull_request" in triggers
    assert data["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "pull-requests": "write",
    }
    job = data["jobs"]["review"]
    assert job["runs-on"] == "ubuntu-latest"
    checkout = _step("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    for step in _steps():
        assert set(step) <= {"name", "id", "if", "uses", "with", "run", "env"}, step
        assert ("uses" in step) != ("run" in step), step


def test_review_step_uses_a_secret_and_real_flags() -> None:
    step = next(s for s in _steps() if "minimax-agent review" in str(s.get("run", "")))
    assert step["env"]["OPENROUTER_API_KEY"] == "${{ secrets.OPENROUTER_API_KEY }}"
    args = _review_args(step["run"])
    known = _review_options()
    flags = [a for a in args if a.startswith("-")]
    assert flags and all(f in known for f in flags), set(flags) - known
    assert args[args.index("--provider") + 1] == "openrouter"
    formats = [ReviewFormat(args[i + 1]) for i, a in enumerate(args) if a == "--format"]
    outputs = [args[i + 1] for i, a in enumerate(args) if a == "--output"]
    plan = plan_outputs(formats, outputs)
    assert plan[ReviewFormat.GITHUB] == "-"  # annotations must be on stdout
    upload = _step("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == plan[ReviewFormat.SARIF]
    assert "always()" in upload["if"]
    comment = _step("marocchino/sticky-pull-request-comment@")
    assert comment["with"]["path"] == plan[ReviewFormat.MARKDOWN]
    assert "always()" in comment["if"]


def test_install_step_does_not_take_the_unrelated_pypi_package() -> None:
    install = next(s for s in _steps() if "pip install" in str(s.get("run", "")))
    assert not re.search(r"pip install\s+minimax-agent\b", install["run"])


def test_doc_commands_use_real_flags() -> None:
    text = DOC.read_text()
    known = _review_options()
    commands = re.findall(r"minimax-agent review(?:[^\n`|;]|\\\n)*", text)
    assert len(commands) >= 5
    for line in commands:
        words = shlex.split(line.replace("\\\n", " "), comments=True)
        flags = [w.partition("=")[0] for w in words if w.startswith("-") and w != "-"]
        assert all(f in known for f in flags), (line, set(flags) - known)
    for section in ("schema_version", "partialFingerprints", "rdjsonl", "fetch-depth: 0"):
        assert section in text
