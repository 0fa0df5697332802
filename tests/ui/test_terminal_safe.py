"""Escape sequences in model text and tool output are shown, never run, by the terminal; the data
(json output, session files) keeps them.

Rendered for real: rich Consoles writing to a buffer as a terminal (force_terminal), the real
Renderer and HeadlessHooks, and `minimax-agent fix` in a subprocess on the scripted backend.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from minimax_agent.events import StepStarted, TextDelta, ToolCall, ToolOutcome
from minimax_agent.ui.approvals import preview
from minimax_agent.ui.headless import HeadlessHooks
from minimax_agent.ui.render import Renderer
from minimax_agent.ui.terminal_safe import SafeConsole, terminal_safe
from tests.conftest import RunCli, make_repo, write_script
from tools.shell import run_command

pytestmark = pytest.mark.timeout(120)

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # sets the clipboard to `rm -rf ~`
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
HOSTILE = f"before {OSC52} {CLEAR} {TITLE} \x9b31m \u202eevil\u202c after"
# what must never reach the terminal raw
RAW = ("\x1b]", "\x1b[2J", "\x9b", "\u202e", "\x07")


def assert_harmless(out: str) -> None:
    for seq in RAW:
        assert seq not in out, f"{seq!r} reached the terminal in {out!r}"


def terminal(cls: type[Console] = SafeConsole) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return cls(file=buffer, force_terminal=True, color_system="truecolor", width=200), buffer


# -- terminal_safe ----------------------------------------------------------------------------


def test_each_kind_of_control_is_shown_visibly() -> None:
    assert terminal_safe(OSC52) == "^[]52;c;cm0gLXJmIH4=^G"
    assert terminal_safe(CLEAR) == "^[[2J"
    assert terminal_safe("\x1b[3A\x1b[2K") == "^[[3A^[[2K"  # cursor up, erase line
    assert terminal_safe("rm -rf ~\rls") == "rm -rf ~^Mls"  # overwrite trick
    assert terminal_safe("a\bb\x7f") == "a^Hb^?"
    assert terminal_safe("\x9b2J") == "\\x9b2J"  # C1 CSI
    assert terminal_safe("a\u202eb\u2066c") == "a<U+202E>b<U+2066>c"
    assert terminal_safe("lone \ud83d surrogate") == "lone \ufffd surrogate"


def test_ordinary_text_is_unchanged() -> None:
    text = "def f():\n\treturn 'é ü 中文 🙂 — ✓'\n"
    assert terminal_safe(text) == text
    assert terminal_safe("windows\r\nline\r\n") == "windows\nline\n"
    once = terminal_safe(HOSTILE)
    assert terminal_safe(once) == once  # idempotent: the visible forms contain no controls


# -- rich -------------------------------------------------------------------------------------


def test_plain_rich_lets_osc52_and_clear_screen_through() -> None:
    # why SafeConsole exists: rich strips BEL and CR, but not ESC, C1 or bidi controls
    console, buffer = terminal(Console)
    console.print(Text(HOSTILE))
    assert "\x1b]52;c;" in buffer.getvalue() and CLEAR in buffer.getvalue()


def test_safe_console_neutralises_every_renderable_and_keeps_styles() -> None:
    console, buffer = terminal()
    console.print(Text(HOSTILE, style="bold"))
    console.print(HOSTILE, markup=False)
    console.print(Markdown(f"# Title\n\n{HOSTILE}\n\n```\n{HOSTILE}\n```\n"))
    table = Table("cell")
    table.add_row(HOSTILE)
    console.print(table)
    out = buffer.getvalue()
    assert_harmless(out)
    assert "\x1b[1m" in out  # rich's own bold still works
    # the highlighter splits the text into styled pieces; without its codes each copy reads whole
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert plain.count("^[]52;c;cm0gLXJmIH4=") == 5 and plain.count("^[[2J") == 5


def test_the_repl_renderer_shows_model_text_and_tool_output_safely() -> None:
    console, buffer = terminal()
    renderer = Renderer(console)
    call = ToolCall(id="c1", name="run_command", arguments={"command": f"echo {CLEAR}"})
    renderer.on_event(StepStarted(1))
    renderer.on_event(TextDelta(f"Here you go: {HOSTILE}\n\nsecond block {OSC52}"))
    renderer.on_event(call)
    renderer.on_event(ToolOutcome(call, f"{CLEAR}output {OSC52}\nline 2", False))
    renderer.on_event(ToolOutcome(call, f"failed {TITLE}", True))
    renderer.settle()
    out = buffer.getvalue()
    assert_harmless(out)
    assert "^[]52;c;" in out and "^[]0;pwned" in out and "Here you go" in out


def test_headless_lines_are_safe_and_arguments_are_not_markup() -> None:
    console, buffer = terminal()
    hooks = HeadlessHooks(console, show_reasoning=True)
    link = "[link=http://e.x]c[/link]"
    call = ToolCall(id="c1", name="grep", arguments={"path": link, "pattern": OSC52})
    hooks.on_event(StepStarted(1))
    hooks.on_event(TextDelta(HOSTILE))
    hooks.on_event(call)
    hooks.on_event(ToolOutcome(call, f"{CLEAR}first line", False))
    out = buffer.getvalue()
    assert_harmless(out)
    assert "\x1b]8;" not in out  # no hyperlink was made from the model's argument
    assert link in out


def test_an_approval_shows_every_byte_of_the_command() -> None:
    # `\r` would return to the line start and `\b` back up: rich drops both silently, so the
    # user would approve a command that looks shorter than it is
    command = "rm -rf ~/project\r\x1b[2Kecho safe\b\b\b\b"
    call = ToolCall(id="c1", name="run_command", arguments={"command": command})
    console, buffer = terminal()
    console.print(preview(call, run_command))
    out = buffer.getvalue()
    assert_harmless(out)
    assert "rm -rf ~/project^M^[[2Kecho safe^H^H^H^H" in out


# -- end to end: `fix` ------------------------------------------------------------------------


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def strings(value: object) -> Iterator[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


ANSWER = f"Done. {OSC52} {CLEAR} {TITLE} all clear."


@pytest.fixture
def hostile_script(tmp_path: Path) -> Path:
    # the command's output carries the sequences too: printf writes the raw bytes
    printf = r"printf '\033]52;c;ZXZpbA==\007\033[2Jcleared\n'"
    return write_script(
        tmp_path / "script.json",
        [
            f"Look {OSC52}.\n</think>\n\nRunning it. {CLEAR}\n"
            + invoke("run_command", command=printf),
            f"ok</think>\n\n{ANSWER}",
        ],
    )


def test_fix_text_output_never_sends_escapes_to_the_terminal(
    tmp_path: Path, run_cli: RunCli, hostile_script: Path, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    proc = run_cli(
        *("fix", "say hi", "-C", str(repo), "--backend", f"scripted:{hostile_script}"),
        *("--sandbox", "off", "--show-reasoning"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x1b" not in proc.stderr
    assert "\x07" not in proc.stdout + proc.stderr
    assert proc.stdout.strip() == "Done. ^[]52;c;cm0gLXJmIH4=^G ^[[2J ^[]0;pwned^G all clear."
    assert "^[]52;c;ZXZpbA==" in proc.stderr  # the command's output, shown visibly
    # the session keeps the real text
    sessions = list((isolated_home / ".state" / "minimax-agent" / "sessions").glob("*.jsonl"))
    assert len(sessions) == 1
    kept = list(strings([json.loads(line) for line in sessions[0].read_text().splitlines()]))
    assert any(ANSWER in text for text in kept)
    assert any("\x1b]52;c;ZXZpbA==\x07\x1b[2Jcleared" in text for text in kept)


def test_fix_json_output_keeps_the_original_text(
    tmp_path: Path, run_cli: RunCli, hostile_script: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    proc = run_cli(
        *("fix", "say hi", "-C", str(repo), "--backend", f"scripted:{hostile_script}"),
        *("--sandbox", "off", "--output-format", "json"),
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["final_answer"] == ANSWER
    assert report["tool_calls"][0]["result"].startswith("\x1b]52;c;ZXZpbA==\x07\x1b[2Jcleared")
    assert "\x1b" not in proc.stderr
