"""Confinement and safe writes: the guarantees every file tool relies on."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from minimax_agent.errors import ToolError, WorkspaceError
from tools.workspace import Workspace, atomic_write, is_binary, uses_crlf


def test_root_must_be_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a directory"):
        Workspace(tmp_path / "file")


def test_root_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert Workspace(tmp_path / "link").root == (tmp_path / "real").resolve()


def test_relative_and_absolute_paths_inside(ws: Workspace) -> None:
    assert ws.resolve("src/app.py") == ws.root / "src" / "app.py"
    assert ws.resolve(str(ws.root / "src" / "app.py")) == ws.root / "src" / "app.py"
    assert ws.resolve("src/../README.md") == ws.root / "README.md"
    assert ws.resolve(".") == ws.root
    assert ws.resolve("") == ws.root
    assert ws.resolve("new/file.txt", write=True) == ws.root / "new" / "file.txt"


@pytest.mark.parametrize("path", ["..", "../x", "src/../../x", "/etc/passwd", "/"])
def test_paths_outside_are_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        ws.resolve(path)


def test_sibling_with_common_prefix_is_outside(ws: Workspace) -> None:
    sibling = ws.root.parent / (ws.root.name + "-evil")
    sibling.mkdir()
    with pytest.raises(ToolError, match="outside the workspace"):
        ws.resolve(str(sibling / "x"))


def test_symlink_escapes_are_refused(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    (ws.root / "dirlink").symlink_to(outside)
    (ws.root / "filelink").symlink_to(outside / "secret")
    (ws.root / "dangling").symlink_to(outside / "not-yet")
    for path in ("dirlink/secret", "filelink", "dangling"):
        with pytest.raises(ToolError, match="outside the workspace"):
            ws.resolve(path)
        with pytest.raises(ToolError, match="outside the workspace"):
            ws.resolve(path, write=True)


def test_symlink_inside_is_followed(ws: Workspace) -> None:
    (ws.root / "alias.py").symlink_to(ws.root / "src" / "app.py")
    assert ws.resolve("alias.py") == ws.root / "src" / "app.py"


def test_symlink_loop_is_a_tool_error(ws: Workspace) -> None:
    (ws.root / "a").symlink_to(ws.root / "b")
    (ws.root / "b").symlink_to(ws.root / "a")
    with pytest.raises(ToolError):
        ws.resolve("a")


@pytest.mark.parametrize("path", [".git/config", ".git", "sub/.git/x", ".GIT/hooks/pre-commit"])
def test_writes_into_git_are_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(ToolError, match=r"\.git"):
        ws.resolve(path, write=True)


def test_reading_git_internals_is_allowed(ws: Workspace) -> None:
    assert ws.resolve(".git/HEAD") == ws.root / ".git" / "HEAD"


def test_symlink_to_git_dir_cannot_be_written_through(ws: Workspace) -> None:
    (ws.root / "innocent").symlink_to(ws.root / ".git")
    with pytest.raises(ToolError, match=r"\.git"):
        ws.resolve("innocent/config", write=True)


def test_relative(ws: Workspace) -> None:
    assert ws.relative(ws.root / "src" / "app.py") == "src/app.py"
    assert ws.relative(ws.root) == "."
    assert ws.relative(Path("/elsewhere")) == "/elsewhere"


def test_atomic_write_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o750)
    atomic_write(target, "#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert target.read_text() == "#!/bin/sh\necho hi\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.sh"]  # no temp file left


def test_atomic_write_new_file_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_atomic_write_keeps_crlf(tmp_path: Path) -> None:
    target = tmp_path / "win.txt"
    target.write_bytes(b"one\r\ntwo\r\n")
    atomic_write(target, "one\nTWO\nthree\n")
    assert target.read_bytes() == b"one\r\nTWO\r\nthree\r\n"
    # text that already has CRLF is not doubled
    atomic_write(target, "a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\r\n"


def test_atomic_write_leaves_lf_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "unix.txt"
    target.write_bytes(b"one\ntwo\n")
    atomic_write(target, "x\ny\n")
    assert target.read_bytes() == b"x\ny\n"


def test_uses_crlf() -> None:
    assert uses_crlf(b"a\r\nb\r\n")
    assert not uses_crlf(b"a\nb\n")
    assert not uses_crlf(b"no newline")
    assert not uses_crlf(b"a\nb\nc\r\n")


def test_is_binary(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "text").write_text("héllo\n")
    (tmp_path / "late").write_bytes(b"a" * 9000 + b"\x00")
    assert is_binary(tmp_path / "bin")
    assert not is_binary(tmp_path / "text")
    assert not is_binary(tmp_path / "late")  # only the first 8 KiB are sniffed
