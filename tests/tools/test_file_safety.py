"""The file tools against files that are not what they seem: FIFOs, sockets, devices, hard links
to files outside the workspace, mixed line endings, and `~` paths.

Each attack is replayed for real (a real FIFO, a real hard link to a decoy outside the
workspace); the timeout makes a regression that blocks on a FIFO fail instead of hanging.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tools.conftest import err, ok
from tools.fileio import EndingMap, read_regular
from tools.files import edit_file, glob, grep, list_dir, read_file, write_file
from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(60)

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- decoy-secret-7f3a"


# -- FIFOs, sockets and devices ---------------------------------------------------------------


@pytest.fixture
def fifo(ws: Workspace) -> Path:
    path = ws.root / "pipe.txt"
    os.mkfifo(path)
    return path


def test_read_file_refuses_a_fifo_without_blocking(ws: Workspace, fifo: Path) -> None:
    msg = err(read_file, ws, path="pipe.txt")
    assert "named pipe (FIFO)" in msg and "regular file" in msg


def test_edit_file_refuses_a_fifo(ws: Workspace, fifo: Path) -> None:
    msg = err(edit_file, ws, path="pipe.txt", old_string="a", new_string="b")
    assert "named pipe (FIFO)" in msg
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_file_refuses_a_fifo(ws: Workspace, fifo: Path) -> None:
    msg = err(write_file, ws, path="pipe.txt", content="x\n")
    assert "named pipe (FIFO)" in msg
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_grep_refuses_a_fifo_named_directly(ws: Workspace, fifo: Path) -> None:
    # rg itself would block on it (it reads any file named on its command line)
    assert "named pipe (FIFO)" in err(grep, ws, pattern="x", path="pipe.txt")


def test_searching_and_listing_a_tree_with_a_fifo_finish(ws: Workspace, fifo: Path) -> None:
    assert ok(grep, ws, pattern="return 1") == "src/app.py:2:    return 1"
    assert ok(grep, ws, pattern="return", glob="*.py") == "src/app.py:2:    return 1"
    assert "README.md" in ok(list_dir, ws)
    assert ok(glob, ws, pattern="*.md") == "README.md"


def test_a_symlink_to_a_fifo_is_refused(ws: Workspace, fifo: Path) -> None:
    (ws.root / "link.txt").symlink_to("pipe.txt")
    assert "named pipe (FIFO)" in err(read_file, ws, path="link.txt")


def test_read_regular_does_not_follow_a_symlink_swapped_in(ws: Workspace, fifo: Path) -> None:
    # what a path checked by Workspace.resolve could turn into before it is opened
    swapped = ws.root / "swapped.txt"
    swapped.symlink_to(fifo)
    with pytest.raises(Exception, match="not a regular file"):
        read_regular(swapped, "swapped.txt")


def test_a_socket_is_refused(ws: Workspace) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(ws.root / "agent.sock"))
        assert "a socket" in err(read_file, ws, path="agent.sock")
        assert "a socket" in err(write_file, ws, path="agent.sock", content="x")
        assert "a socket" in err(grep, ws, pattern="x", path="agent.sock")
    finally:
        server.close()


@pytest.fixture
def devices(ws: Workspace) -> Iterator[Workspace]:
    """A character device like /dev/zero (endless) and a block device, made in the workspace."""
    try:
        os.mknod(ws.root / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        os.mknod(ws.root / "disk", stat.S_IFBLK | 0o600, os.makedev(7, 0))
    except (PermissionError, AttributeError) as exc:
        pytest.skip(f"cannot create device nodes here: {exc}")
    yield ws


def test_devices_are_refused(devices: Workspace) -> None:
    ws = devices
    assert "character device" in err(read_file, ws, path="zero")
    assert "character device" in err(grep, ws, pattern="x", path="zero")
    assert "character device" in err(edit_file, ws, path="zero", old_string="a", new_string="b")
    assert "block device" in err(read_file, ws, path="disk")
    assert "block device" in err(write_file, ws, path="disk", content="x")
    assert stat.S_ISCHR(os.lstat(ws.root / "zero").st_mode)
    assert stat.S_ISBLK(os.lstat(ws.root / "disk").st_mode)


# -- hard links to a file outside the workspace -----------------------------------------------


@pytest.fixture
def decoy(tmp_path: Path) -> Path:
    """A secret outside the workspace (tmp_path/repo is the workspace)."""
    outside = tmp_path / "home" / ".ssh"
    outside.mkdir(parents=True)
    key = outside / "id_rsa"
    key.write_text(f"{SECRET}\nline two\n")
    key.chmod(0o600)
    return key


@pytest.fixture
def planted(ws: Workspace, decoy: Path) -> Path:
    """The attack: the key hard-linked into the workspace under an innocent name."""
    link = ws.root / "notes.txt"
    os.link(decoy, link)
    assert os.stat(link).st_ino == os.stat(decoy).st_ino
    return link


def test_read_file_does_not_read_a_hard_link_to_an_outside_file(
    ws: Workspace, planted: Path
) -> None:
    msg = err(read_file, ws, path="notes.txt")
    assert "hard links" in msg
    assert SECRET not in msg and "decoy-secret" not in msg


def test_edit_file_does_not_touch_a_hard_link(ws: Workspace, planted: Path, decoy: Path) -> None:
    msg = err(edit_file, ws, path="notes.txt", old_string="line two", new_string="pwned")
    assert "hard links" in msg and SECRET not in msg
    assert decoy.read_text() == f"{SECRET}\nline two\n"


def test_grep_hides_matches_in_hard_linked_files(ws: Workspace, planted: Path) -> None:
    out = ok(grep, ws, pattern="decoy-sec.et")
    assert SECRET not in out and "7f3a" not in out
    assert "no matches" in out and "hard-linked" in out and "notes.txt" in out
    # a match elsewhere is still shown beside the note
    both = ok(grep, ws, pattern="decoy-sec.et|return 1")
    assert both.splitlines()[0] == "src/app.py:2:    return 1"
    assert SECRET not in both and "7f3a" not in both
    assert "hard links" in err(grep, ws, pattern="decoy", path="notes.txt")


def test_write_file_over_a_hard_link_leaves_the_outside_file_alone(
    ws: Workspace, planted: Path, decoy: Path
) -> None:
    ok(write_file, ws, path="notes.txt", content="my own notes\n")
    assert planted.read_text() == "my own notes\n"
    assert decoy.read_text() == f"{SECRET}\nline two\n"
    # atomic_write put a new file in place: the link is broken, not written through
    assert os.stat(decoy).st_nlink == 1 and os.stat(planted).st_nlink == 1
    assert os.stat(decoy).st_ino != os.stat(planted).st_ino


def test_a_hard_link_between_two_workspace_files_is_refused_too(ws: Workspace) -> None:
    # whether the other name is inside cannot be known without walking the filesystem
    os.link(ws.root / "README.md", ws.root / "README.copy.md")
    assert "hard links" in err(read_file, ws, path="README.copy.md")
    assert "hard links" in err(read_file, ws, path="README.md")


# -- mixed line endings -----------------------------------------------------------------------


def test_edit_keeps_every_untouched_line_ending(ws: Workspace) -> None:
    target = ws.root / "mixed.txt"
    original = b"one\r\ntwo\nthree\r\nfour\nfive\r\n"
    target.write_bytes(original)
    ok(edit_file, ws, path="mixed.txt", old_string="three", new_string="THREE")
    assert target.read_bytes() == original.replace(b"three", b"THREE")


def test_edit_across_lines_matches_in_lf_terms_and_keeps_other_bytes(ws: Workspace) -> None:
    target = ws.root / "mixed.txt"
    target.write_bytes(b"a\nb\r\nc\nd\r\n")
    out = ok(edit_file, ws, path="mixed.txt", old_string="b\nc", new_string="B\nC")
    assert target.read_bytes() == b"a\nB\r\nC\nd\r\n"
    assert "\r" not in out  # the diff is shown in LF terms, as read_file shows lines


def test_new_lines_take_the_ending_of_the_line_they_land_in(ws: Workspace) -> None:
    target = ws.root / "mostly_lf.txt"
    target.write_bytes(b"x\ny\nz\nA\r\nB\r\n")
    ok(edit_file, ws, path="mostly_lf.txt", old_string="A", new_string="A1\nA2")
    assert target.read_bytes() == b"x\ny\nz\nA1\r\nA2\r\nB\r\n"
    ok(edit_file, ws, path="mostly_lf.txt", old_string="y", new_string="y1\ny2")
    assert target.read_bytes() == b"x\ny1\ny2\nz\nA1\r\nA2\r\nB\r\n"


def test_a_span_with_mixed_endings_gets_the_dominant_one(ws: Workspace) -> None:
    target = ws.root / "mostly_lf.txt"
    target.write_bytes(b"p\nq\nr\ns\r\nt\n")
    ok(edit_file, ws, path="mostly_lf.txt", old_string="r\ns", new_string="R\nS")
    # the break inside the span is new (LF, the majority); the CRLF after it was not replaced
    assert target.read_bytes() == b"p\nq\nR\nS\r\nt\n"


def test_replace_all_keeps_each_line_ending(ws: Workspace) -> None:
    target = ws.root / "conf.ini"
    target.write_bytes(b"a = 1\r\nb = 1\nc = 1\r\nlast = 1")
    ok(edit_file, ws, path="conf.ini", old_string="= 1", new_string="= 2", replace_all=True)
    assert target.read_bytes() == b"a = 2\r\nb = 2\nc = 2\r\nlast = 2"


def test_old_string_written_with_crlf_still_matches(ws: Workspace) -> None:
    target = ws.root / "mixed.txt"
    target.write_bytes(b"k\r\nl\r\nm\n")
    ok(edit_file, ws, path="mixed.txt", old_string="k\r\nl", new_string="K\r\nL")
    assert target.read_bytes() == b"K\r\nL\r\nm\n"


lines = st.lists(
    st.tuples(st.text(alphabet="abc xyz=", max_size=6), st.sampled_from(["\n", "\r\n"])),
    min_size=1,
    max_size=12,
)


@given(lines, st.data())
def test_only_the_replaced_span_changes(parts: list[tuple[str, str]], data: st.DataObject) -> None:
    raw = "".join(f"L{i}:{body}{eol}" for i, (body, eol) in enumerate(parts))
    index = data.draw(st.integers(0, len(parts) - 1))
    old = f"L{index}:{parts[index][0]}"
    new = data.draw(st.text(alphabet="QRS\n", max_size=8))
    updated = EndingMap(raw).replace(old, new, 1)
    start = raw.index(old)
    before, after = raw[:start], raw[start + len(old) :]
    assert updated.startswith(before) and updated.endswith(after)
    # new lines take the ending of the line the edit is in
    assert updated[len(before) : len(updated) - len(after)] == new.replace("\n", parts[index][1])


# -- paths starting with ~ --------------------------------------------------------------------


def test_tilde_is_the_home_directory_and_refused_outside(
    ws: Workspace, isolated_home: Path
) -> None:
    msg = err(write_file, ws, path="~/x.txt", content="hello\n")
    assert "outside the workspace" in msg and "~ is the home directory" in msg
    assert not (ws.root / "~").exists()
    assert not (isolated_home / "x.txt").exists()
    assert "outside the workspace" in err(read_file, ws, path="~/.bashrc")


def test_tilde_paths_inside_the_workspace_work(tmp_path: Path, isolated_home: Path) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    ws = Workspace(project)
    ok(write_file, ws, path="~/proj/notes.txt", content="kept\n")
    assert (project / "notes.txt").read_text() == "kept\n"
    assert not (project / "~").exists()


def test_unknown_user_tilde_is_refused_and_a_literal_needs_dot_slash(
    ws: Workspace, isolated_home: Path
) -> None:
    msg = err(write_file, ws, path="~no-such-user-4242/x", content="x")
    assert "cannot expand" in msg and "./~no-such-user-4242/x" in msg
    assert not (ws.root / "~no-such-user-4242").exists()
    ok(write_file, ws, path="./~/literal.txt", content="asked for\n")
    assert (ws.root / "~" / "literal.txt").read_text() == "asked for\n"
