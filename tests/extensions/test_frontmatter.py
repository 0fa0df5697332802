"""Front matter parsing and the guarded reader that skills and commands share."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from minimax_agent.errors import ConfigError
from minimax_agent.extensions.frontmatter import (
    ExtensionFileError,
    FrontMatterError,
    one_line,
    parse_front_matter,
    read_contained,
)


def test_no_front_matter_is_all_body() -> None:
    text = "# Title\n\nSome text\n---\nmore\n"
    assert parse_front_matter(text) == ({}, text)


def test_front_matter_and_body_are_split() -> None:
    meta, body = parse_front_matter("---\nname: x\ndescription: does y\n---\nBody line\n")
    assert meta == {"name": "x", "description": "does y"}
    assert body == "Body line\n"


def test_bom_and_crlf_are_tolerated() -> None:
    meta, body = parse_front_matter("\ufeff---\r\nname: x\r\n---  \r\nline 1\r\nline 2\r\n")
    assert meta == {"name": "x"}
    assert body == "line 1\nline 2\n"


def test_empty_front_matter_is_an_empty_mapping() -> None:
    assert parse_front_matter("---\n---\nbody") == ({}, "body")


def test_bad_yaml_is_a_config_error_with_its_line() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_front_matter("---\nname: x\nlist: [unclosed\n---\nbody")
    assert isinstance(info.value, ConfigError)
    assert "not valid YAML" in str(info.value)
    assert "line" in str(info.value)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(FrontMatterError, match="mapping"):
        parse_front_matter("---\n- a\n- b\n---\nbody")


def test_an_unclosed_block_is_refused() -> None:
    with pytest.raises(FrontMatterError, match="closing"):
        parse_front_matter("---\nname: x\nbody without an end\n")


def test_lenient_reads_plain_lines_yaml_rejects() -> None:
    text = "---\ndescription: Review: style and tests\nargument-hint: [file] [mode]\n---\nB"
    with pytest.raises(FrontMatterError):
        parse_front_matter(text)
    meta, body = parse_front_matter(text, lenient=True)
    assert meta == {"description": "Review: style and tests", "argument-hint": "[file] [mode]"}
    assert body == "B"


def test_lenient_still_refuses_a_block_of_another_shape() -> None:
    with pytest.raises(FrontMatterError):
        parse_front_matter("---\nname: x\n  - nested: [bad\n---\nB", lenient=True)


def test_one_line_removes_control_and_bidi_characters_and_caps() -> None:
    assert one_line("a\tb\n\nc\x1b[31m d\u202e e", 100) == "a b c [31m d e"
    capped = one_line("word " * 100, 20)
    assert len(capped) <= 20 and capped.endswith("...")


def test_read_contained_reads_a_plain_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("hello")
    assert read_contained(tmp_path / "a.md", tmp_path) == "hello"


def test_read_contained_follows_a_symlink_that_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("inside")
    (tmp_path / "link.md").symlink_to("real.md")
    assert read_contained(tmp_path / "link.md", tmp_path) == "inside"


def test_read_contained_refuses_a_symlink_out(tmp_path: Path) -> None:
    secret = tmp_path / "home" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY")
    skill = tmp_path / "skill"
    skill.mkdir()
    (skill / "SKILL.md").symlink_to(secret)
    with pytest.raises(ExtensionFileError, match="outside") as info:
        read_contained(skill / "SKILL.md", skill)
    assert "PRIVATE KEY" not in str(info.value)


def test_read_contained_refuses_a_hard_link(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("PRIVATE KEY")
    skill = tmp_path / "skill"
    skill.mkdir()
    os.link(secret, skill / "SKILL.md")
    with pytest.raises(ExtensionFileError, match="hard links"):
        read_contained(skill / "SKILL.md", skill)


def test_read_contained_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "SKILL.md")
    errors: list[Exception] = []

    def read() -> None:
        try:
            read_contained(tmp_path / "SKILL.md", tmp_path)
        except ExtensionFileError as exc:
            errors.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=60)  # a hang guard: opening a FIFO for reading would block forever
    assert not worker.is_alive()
    assert len(errors) == 1 and "FIFO" in str(errors[0])


def test_read_contained_refuses_large_binary_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "big.md").write_text("x" * 2000)
    (tmp_path / "bin.md").write_bytes(b"abc\0def")
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(ExtensionFileError, match="larger"):
        read_contained(tmp_path / "big.md", tmp_path, limit=1000)
    with pytest.raises(ExtensionFileError, match="binary"):
        read_contained(tmp_path / "bin.md", tmp_path)
    with pytest.raises(ExtensionFileError, match="does not exist"):
        read_contained(tmp_path / "gone.md", tmp_path)
    with pytest.raises(ExtensionFileError, match="directory"):
        read_contained(tmp_path / "dir.md", tmp_path)


def test_no_yaml_import_without_skill_or_command_dirs(tmp_path: Path) -> None:
    """The common start (nothing configured) must not pay for pyyaml."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from minimax_agent.extensions.skills import discover_skills\n"
        "from minimax_agent.extensions.commands import discover_commands\n"
        f"print(discover_skills(Path({str(work)!r})))\n"
        f"print(discover_commands(Path({str(work)!r})))\n"
        "print('yaml' in sys.modules)\n"
    )
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["([], [])", "({}, [])", "False"]
