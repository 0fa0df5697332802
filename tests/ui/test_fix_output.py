"""How `fix` ends on a terminal and off one: the answer once (markdown on a terminal, plain text
for a script), the closing summary, retries as lines of the run's own, a reader that goes away.

Real runs: the CLI in process (`invoke_cli`, with `TTY_COMPATIBLE` saying whether stdout and
stderr are terminals) or in a subprocess, against the scripted backend or the fake OpenAI
server; the pieces (summary lines, previews, AGENTS.md stacks) on their own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minimax_agent.events import RunResult, RunStatus, Usage
from minimax_agent.session.memory import starter_agents_md
from minimax_agent.ui.summary import hints_line, short_model, totals_line
from minimax_agent.ui.terminal_safe import terminal_safe
from tests.conftest import GIT_ENV, RunCli, make_repo, write_script
from tests.fakes.openai_server import FakeOpenAIServer, Fault, Turn
from tools.files import preview_diff
from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(120)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ANSWER = "Done: the **add** function now adds.\n\n- `calc.py` changed"
KEY = "sk-or-v1-" + "0" * 40


def scripted_fix(invoke_cli: RunCli, tmp_path: Path, terminal: str) -> tuple[str, str, int]:
    repo = make_repo(tmp_path / "repo", {"calc.py": "x = 1\n"})
    script = write_script(tmp_path / "s.json", ["Easy.</think>\n\n" + ANSWER])
    proc = invoke_cli(
        "fix", "fix add", "-C", str(repo), "--backend", f"scripted:{script}",
        "--sandbox", "off", env={"TTY_COMPATIBLE": terminal},
    )  # fmt: skip
    return ANSI.sub("", proc.stdout), ANSI.sub("", proc.stderr), proc.returncode


def test_off_a_terminal_stdout_is_the_plain_answer_and_no_summary(
    invoke_cli: RunCli, tmp_path: Path
) -> None:
    out, err, code = scripted_fix(invoke_cli, tmp_path, "0")
    assert code == 0, err
    assert out == ANSWER + "\n"  # exactly as scripts read it
    assert "session" not in err and "go on:" not in err


def test_on_a_terminal_the_answer_is_markdown_once_and_a_summary_follows(
    invoke_cli: RunCli, tmp_path: Path
) -> None:
    out, err, code = scripted_fix(invoke_cli, tmp_path, "1")
    assert code == 0, err
    assert "the add function now adds" in out and "**" not in out  # rendered, not raw
    assert "now adds" not in err  # not streamed in the progress as well
    assert re.search(r"── done · 1 step · [0-9.]+ s · session \S+", err), err
    assert "go on: minimax-agent fix -C " in err and '--continue "..."' in err
    assert "undo" not in err  # the run changed no file


def test_a_retry_is_a_line_of_its_own_and_the_summary_counts_tokens(
    invoke_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    with FakeOpenAIServer("openrouter") as fake:
        fake.add(Fault(503, "overloaded"), Turn(reasoning="r", text="All **fine**."))
        proc = invoke_cli(
            "fix", "look", "-C", str(repo), "--provider", "openrouter", "--base-url", fake.url,
            "--model", "MiniMax-M2.1", "--sandbox", "off",
            env={"TTY_COMPATIBLE": "1", "OPENROUTER_API_KEY": KEY},
        )  # fmt: skip
    err = ANSI.sub("", proc.stderr)
    assert proc.returncode == 0, err
    assert "WARNING:minimax_agent" not in err
    assert re.search(r"^minimax-agent: retrying in [0-9.]+ s: HTTP 503", err, re.M), err
    assert "120 tokens in (64 cached) · 30 out · $0.0004" in err


def test_a_closed_stderr_does_not_end_the_run(tmp_path: Path, isolated_home: Path) -> None:
    """`fix ... 2>&1 | head -1`: the progress has no reader; the run still finishes, says its
    answer on stdout and exits with its own code."""
    repo = make_repo(tmp_path / "repo", {"calc.py": "x = 1\n"})
    steps = ["Look.</think>\n\n" + "Thinking aloud. " * 400, "ok</think>\n\n" + ANSWER]
    steps[0] += (
        '<minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">calc.py'
        "</parameter>\n</invoke>\n</minimax:tool_call>"
    )
    script = write_script(tmp_path / "s.json", steps)
    child = subprocess.Popen(
        [sys.executable, "-m", "minimax_agent", "fix", "fix add", "-C", str(repo),
         "--backend", f"scripted:{script}", "--sandbox", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env={**os.environ, **GIT_ENV, "TTY_COMPATIBLE": "0"},
    )  # fmt: skip
    assert child.stderr is not None and child.stdout is not None
    child.stderr.close()  # the reader goes away before the first progress line
    out = child.stdout.read()
    assert child.wait(timeout=100) == 0
    assert out == ANSWER + "\n"


def test_the_totals_leave_out_what_the_backend_did_not_report() -> None:
    result = RunResult(RunStatus.MAX_STEPS, steps=3, usage=[Usage(1000, 20), Usage(2500, 40)])
    line = totals_line(result, seconds=75.2, session_id="abc")
    assert line == "── max_steps · 3 steps · 3,500 tokens in · 60 out · 1 min 15 s · session abc"
    assert hints_line(None, changed_files=True) == (
        '   go on: minimax-agent fix --continue "..." · take it back: minimax-agent undo'
    )
    assert "-C 'my dir'" in hints_line(Path("my dir"), changed_files=False)


def test_model_names_are_shortened_for_the_toolbar() -> None:
    assert short_model("minimax/minimax-m2.1") == "minimax-m2.1"
    assert short_model("/models/MiniMax-M2.1-UD-Q3_K_XL.gguf") == "MiniMax-M2.1-UD-Q3_K_XL"
    assert short_model(None) is None
    assert len(short_model("x" * 80) or "") == 32


def test_noncharacters_from_a_random_model_are_shown_visibly() -> None:
    assert terminal_safe("a\ufffeb\uffff\ufdd0") == "a<U+FFFE>b<U+FFFF><U+FDD0>"
    assert terminal_safe("garbage \ufffd stays") == "garbage \ufffd stays"


def test_an_edit_preview_is_the_real_diff_of_the_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "m.py").write_text("".join(f"line{n}\n" for n in range(1, 11)) + "    x = 1\n")
    ws = Workspace(root)
    diff = preview_diff(
        ws, "edit_file", {"path": "m.py", "old_string": "x = 1", "new_string": "x = 2"}
    )
    assert diff is not None and "@@ -8,4 +8,4 @@" in diff  # the file's own line numbers
    assert "-    x = 1" in diff and "+    x = 2" in diff and " line10" in diff
    assert (root / "m.py").read_text().endswith("x = 1\n")  # nothing written
    overwrite = preview_diff(ws, "write_file", {"path": "m.py", "content": "new\n"})
    assert overwrite is not None and "+new" in overwrite and "-line1" in overwrite
    assert preview_diff(ws, "write_file", {"path": "new.txt", "content": "n\n"}) is None
    assert (
        preview_diff(ws, "edit_file", {"path": "m.py", "old_string": "zz", "new_string": "y"})
        is None
    )


@pytest.mark.parametrize(
    ("files", "stack"),
    [
        ({"requirements.txt": "requests\n"}, "- Python (`requirements.txt`)"),
        ({"pyproject.toml": "", "setup.py": ""}, "- Python (`pyproject.toml`)"),
        ({"tool.py": "print()\n"}, "- Python (source files)"),
        ({"go.mod": "module x\n"}, "- Go (`go.mod`)"),
    ],
)
def test_init_detects_the_stack(files: dict[str, str], stack: str, tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    text = starter_agents_md(tmp_path)
    assert stack in text and "(not detected)" not in text
    assert text.count("- Python") <= 1  # one line per language
