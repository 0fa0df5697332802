"""read_file, write_file and edit_file on a real workspace."""

from __future__ import annotations

import stat

from tests.tools.conftest import err, ok
from tools.files import MAX_LINE_CHARS, edit_file, read_file, write_file
from tools.workspace import Workspace


def test_read_numbers_lines_like_cat_n(ws: Workspace) -> None:
    assert ok(read_file, ws, path="src/app.py") == "     1\tdef main():\n     2\t    return 1"


def test_read_offset_and_limit(ws: Workspace) -> None:
    (ws.root / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    out = ok(read_file, ws, path="n.txt", offset=3, limit=4)
    assert out.splitlines() == [
        "     3\tline 3",
        "     4\tline 4",
        "     5\tline 5",
        "     6\tline 6",
        "... 4 more lines; use offset=7 to continue",
    ]
    assert ok(read_file, ws, path="n.txt", offset=7).splitlines()[-1] == "    10\tline 10"
    assert "past the end" in err(read_file, ws, path="n.txt", offset=11)
    assert "offset" in err(read_file, ws, path="n.txt", offset=0)


def test_read_crlf_and_no_final_newline(ws: Workspace) -> None:
    (ws.root / "w.txt").write_bytes(b"a\r\nb")
    assert ok(read_file, ws, path="w.txt") == "     1\ta\n     2\tb"


def test_read_cuts_long_lines(ws: Workspace) -> None:
    (ws.root / "long.txt").write_text("x" * (MAX_LINE_CHARS + 500) + "\nshort\n")
    lines = ok(read_file, ws, path="long.txt").splitlines()
    assert lines[0].startswith("     1\t" + "x" * MAX_LINE_CHARS)
    assert "500 more characters" in lines[0]
    assert lines[1] == "     2\tshort"


def test_read_stops_before_the_result_cap_with_a_truthful_offset(ws: Workspace) -> None:
    (ws.root / "wide.txt").write_text("".join(f"{i:05d}" + "y" * 195 + "\n" for i in range(400)))
    out = ok(read_file, ws, path="wide.txt")
    footer = out.splitlines()[-1]
    assert footer.startswith("... ") and "use offset=" in footer
    next_offset = int(footer.rsplit("offset=", 1)[1].split()[0])
    last_shown = out.splitlines()[-2]
    assert int(last_shown.split("\t")[0]) == next_offset - 1
    assert "truncated" not in out


def test_read_empty_file(ws: Workspace) -> None:
    (ws.root / "empty").write_text("")
    assert "empty" in ok(read_file, ws, path="empty")


def test_read_refuses_binary_directory_and_missing(ws: Workspace) -> None:
    (ws.root / "img.png").write_bytes(b"\x89PNG\x00\x00data")
    assert "binary" in err(read_file, ws, path="img.png")
    assert "directory" in err(read_file, ws, path="src")
    assert "does not exist" in err(read_file, ws, path="nope.txt")
    assert "outside the workspace" in err(read_file, ws, path="../x")


def test_write_creates_with_parents_then_overwrites(ws: Workspace) -> None:
    assert ok(write_file, ws, path="a/b/c.txt", content="1\n2\n3") == "created a/b/c.txt (3 lines)"
    assert (ws.root / "a/b/c.txt").read_text() == "1\n2\n3"
    assert ok(write_file, ws, path="a/b/c.txt", content="x\n") == "overwrote a/b/c.txt (1 line)"


def test_write_keeps_mode_and_crlf(ws: Workspace) -> None:
    target = ws.root / "tool.sh"
    target.write_bytes(b"echo 1\r\n")
    target.chmod(0o755)
    ok(write_file, ws, path="tool.sh", content="echo 2\necho 3\n")
    assert target.read_bytes() == b"echo 2\r\necho 3\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_write_refusals(ws: Workspace) -> None:
    (ws.root / "blob.bin").write_bytes(b"\x00\x01\x02")
    assert "binary" in err(write_file, ws, path="blob.bin", content="text")
    assert (ws.root / "blob.bin").read_bytes() == b"\x00\x01\x02"
    assert "directory" in err(write_file, ws, path="src", content="x")
    assert ".git" in err(write_file, ws, path=".git/hooks/pre-commit", content="evil")
    assert not (ws.root / ".git/hooks/pre-commit").exists()
    assert "outside" in err(write_file, ws, path="../escape.txt", content="x")
    assert not (ws.root.parent / "escape.txt").exists()


def test_edit_unique_match_returns_diff(ws: Workspace) -> None:
    out = ok(edit_file, ws, path="src/app.py", old_string="return 1", new_string="return 2")
    assert out.startswith("edited src/app.py: replaced 1 occurrence")
    assert "--- a/src/app.py" in out and "+++ b/src/app.py" in out
    assert "-    return 1" in out and "+    return 2" in out
    assert (ws.root / "src/app.py").read_text() == "def main():\n    return 2\n"


def test_edit_not_found(ws: Workspace) -> None:
    msg = err(edit_file, ws, path="src/app.py", old_string="return 42", new_string="x")
    assert "not found" in msg
    assert "whitespace" not in msg


def test_edit_not_found_hints_at_whitespace(ws: Workspace) -> None:
    msg = err(
        edit_file, ws, path="src/app.py", old_string="def main():\n  return 1", new_string="x"
    )
    assert "not found" in msg and "whitespace" in msg
    assert (ws.root / "src/app.py").read_text() == "def main():\n    return 1\n"


def test_edit_many_matches_needs_replace_all(ws: Workspace) -> None:
    (ws.root / "m.py").write_text("a = 1\nb = 1\nc = 1\n")
    msg = err(edit_file, ws, path="m.py", old_string="= 1", new_string="= 2")
    assert "found 3 times" in msg and "replace_all" in msg
    assert (ws.root / "m.py").read_text() == "a = 1\nb = 1\nc = 1\n"
    out = ok(edit_file, ws, path="m.py", old_string="= 1", new_string="= 2", replace_all=True)
    assert "replaced 3 occurrences" in out
    assert (ws.root / "m.py").read_text() == "a = 2\nb = 2\nc = 2\n"


def test_edit_identical_or_empty_strings_are_errors(ws: Workspace) -> None:
    assert "identical" in err(edit_file, ws, path="README.md", old_string="#", new_string="#")
    assert "empty" in err(edit_file, ws, path="README.md", old_string="", new_string="x")


def test_edit_keeps_crlf_and_mode(ws: Workspace) -> None:
    target = ws.root / "win.bat"
    target.write_bytes(b"@echo off\r\necho one\r\necho two\r\n")
    target.chmod(0o744)
    ok(
        edit_file,
        ws,
        path="win.bat",
        old_string="echo one\necho two",
        new_string="echo uno\necho dos\necho tres",
    )
    assert target.read_bytes() == b"@echo off\r\necho uno\r\necho dos\r\necho tres\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o744


def test_edit_refusals(ws: Workspace) -> None:
    (ws.root / "data.bin").write_bytes(b"abc\x00def")
    assert "binary" in err(edit_file, ws, path="data.bin", old_string="abc", new_string="x")
    (ws.root / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    assert "UTF-8" in err(edit_file, ws, path="latin1.txt", old_string="caf", new_string="x")
    assert "write_file" in err(edit_file, ws, path="new.py", old_string="a", new_string="b")
    assert ".git" in err(edit_file, ws, path=".git/HEAD", old_string="ref", new_string="x")


def test_edit_through_an_inside_symlink_keeps_the_link(ws: Workspace) -> None:
    link = ws.root / "alias.py"
    link.symlink_to(ws.root / "src" / "app.py")
    ok(edit_file, ws, path="alias.py", old_string="return 1", new_string="return 3")
    assert link.is_symlink()
    assert "return 3" in (ws.root / "src/app.py").read_text()
