"""Skills: discovery from real directory trees, the prompt section, and the load_skill tool run
through `Tool.run` on a real Workspace."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from minimax_agent.extensions.skills import (
    Skill,
    discover_skills,
    load_skill_tool,
    skills_prompt,
    user_skill_dirs,
)
from tests.conftest import make_repo
from tools.workspace import Workspace

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- decoy"


def write_skill(base: Path, folder: str, name: str, description: str, body: str = "") -> Path:
    directory = base / folder
    directory.mkdir(parents=True, exist_ok=True)
    text = f"---\nname: {name}\ndescription: {description}\n---\n{body or f'Do {name}.'}\n"
    (directory / "SKILL.md").write_text(text)
    return directory


@pytest.fixture
def secret(isolated_home: Path) -> Path:
    """A decoy private key in the decoy home: no test may ever see its text."""
    path = isolated_home / ".ssh" / "id_rsa"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "hi\n"})


def names(skills: list[Skill]) -> list[str]:
    return [s.name for s in skills]


def test_project_skills_innermost_wins_then_user(repo: Path, tmp_path: Path) -> None:
    sub = repo / "pkg" / "app"
    sub.mkdir(parents=True)
    write_skill(repo / ".claude/skills", "deploy", "deploy", "root deploy")
    write_skill(repo / ".claude/skills", "lint", "lint", "root lint")
    write_skill(sub / ".agents/skills", "deploy", "deploy", "app deploy")
    user = tmp_path / "user-skills"
    write_skill(user, "lint", "lint", "user lint")
    write_skill(user, "notes", "notes", "user notes")

    skills, warnings = discover_skills(sub, [user])

    assert warnings == []
    assert names(skills) == ["deploy", "lint", "notes"]
    by_name = {s.name: s for s in skills}
    assert by_name["deploy"].description == "app deploy"
    assert by_name["deploy"].path == (sub / ".agents/skills/deploy/SKILL.md").resolve()
    assert by_name["lint"].description == "root lint"  # the project's wins over the user's
    assert (by_name["lint"].scope, by_name["notes"].scope) == ("project", "user")
    assert by_name["notes"].directory == (user / "notes").resolve()


def test_agents_dir_wins_over_claude_dir_in_one_directory(repo: Path) -> None:
    write_skill(repo / ".claude/skills", "a", "review", "from .claude")
    write_skill(repo / ".agents/skills", "b", "review", "from .agents")
    skills, _ = discover_skills(repo, [])
    assert [(s.name, s.description) for s in skills] == [("review", "from .agents")]


def test_a_directory_above_the_git_root_is_not_read(tmp_path: Path) -> None:
    write_skill(tmp_path / ".claude/skills", "outer", "outer", "outside the repository")
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    skills, warnings = discover_skills(repo, [])
    assert skills == [] and warnings == []


def test_default_user_dirs_are_the_agents_then_claudes(isolated_home: Path, repo: Path) -> None:
    ours, claude = user_skill_dirs()
    assert ours == isolated_home / ".config" / "minimax-agent" / "skills"
    assert claude == isolated_home / ".claude" / "skills"
    write_skill(ours, "x", "shared", "ours")
    write_skill(claude, "y", "shared", "claude's")
    write_skill(claude, "z", "only-claude", "claude only")
    skills, _ = discover_skills(repo)
    assert [(s.name, s.description) for s in skills] == [
        ("only-claude", "claude only"),
        ("shared", "ours"),
    ]


def test_malformed_skills_give_one_warning_each(repo: Path) -> None:
    base = repo / ".claude/skills"
    write_skill(base, "good", "good", "fine")
    (base / "noname").mkdir()
    (base / "noname/SKILL.md").write_text("---\ndescription: x\n---\nbody\n")
    (base / "nodesc").mkdir()
    (base / "nodesc/SKILL.md").write_text("---\nname: nodesc\n---\nbody\n")
    (base / "badname").mkdir()
    (base / "badname/SKILL.md").write_text("---\nname: bad name!\ndescription: x\n---\n")
    (base / "badyaml").mkdir()
    (base / "badyaml/SKILL.md").write_text("---\nname: [x\n  y: {\n---\nbody\n")
    (base / "listdesc").mkdir()
    (base / "listdesc/SKILL.md").write_text("---\nname: l\ndescription: [a, b]\n---\n")
    (base / "plain").mkdir()
    (base / "plain/SKILL.md").write_text("# no front matter\n")
    (base / "helpers").mkdir()  # no SKILL.md: a helper folder, not a broken skill
    (base / "helpers/util.py").write_text("pass\n")

    skills, warnings = discover_skills(repo, [])

    assert names(skills) == ["good"]
    assert len(warnings) == 6
    for folder in ("noname", "nodesc", "badname", "badyaml", "listdesc", "plain"):
        matching = [w for w in warnings if f"/{folder}/SKILL.md" in w]
        assert len(matching) == 1, (folder, warnings)
    assert any("'name'" in w for w in warnings if "/noname/" in w)
    assert any("'description'" in w for w in warnings if "/nodesc/" in w)
    assert any("YAML" in w for w in warnings if "/badyaml/" in w)


def test_description_is_cleaned_and_capped(repo: Path) -> None:
    directory = repo / ".claude/skills/long"
    directory.mkdir(parents=True)
    long = "word " * 400
    (directory / "SKILL.md").write_text(
        f'---\nname: long\ndescription: "line one\\n\\u001b[2Jline two {long}"\n---\nbody\n'
    )
    skills, warnings = discover_skills(repo, [])
    assert warnings == []
    description = skills[0].description
    assert len(description) <= 1024
    assert description.startswith("line one [2Jline two word")
    assert "\x1b" not in description and "\n" not in description


def test_a_description_with_a_colon_is_read_leniently(repo: Path) -> None:
    directory = repo / ".claude/skills/pr"
    directory.mkdir(parents=True)
    (directory / "SKILL.md").write_text("---\nname: pr\ndescription: Review: a PR\n---\nB\n")
    skills, warnings = discover_skills(repo, [])
    assert warnings == [] and skills[0].description == "Review: a PR"


def test_a_symlink_to_a_secret_is_refused(repo: Path, secret: Path) -> None:
    directory = repo / ".claude/skills/evil"
    directory.mkdir(parents=True)
    (directory / "SKILL.md").symlink_to(secret)
    skills, warnings = discover_skills(repo, [])
    assert skills == []
    assert len(warnings) == 1 and "evil/SKILL.md" in warnings[0] and "outside" in warnings[0]
    assert SECRET not in warnings[0]


def test_a_skill_folder_linked_out_of_the_project_is_refused(
    repo: Path, isolated_home: Path, secret: Path
) -> None:
    # a folder elsewhere that happens to hold a valid SKILL.md beside the secret
    write_skill(isolated_home, ".ssh", "keys", "looks harmless")
    (repo / ".claude/skills").mkdir(parents=True)
    (repo / ".claude/skills/keys").symlink_to(isolated_home / ".ssh")
    skills, warnings = discover_skills(repo, [])
    assert skills == []
    assert len(warnings) == 1 and "outside the project" in warnings[0]


def test_a_skills_dir_linked_out_of_the_project_is_refused(repo: Path, isolated_home: Path) -> None:
    outside = isolated_home / "elsewhere"
    write_skill(outside, "x", "x", "outside")
    (repo / ".claude").mkdir()
    (repo / ".claude/skills").symlink_to(outside)
    skills, warnings = discover_skills(repo, [])
    assert skills == []
    assert len(warnings) == 1 and "outside the project" in warnings[0]


def test_a_user_skill_folder_may_be_a_symlink(tmp_path: Path, repo: Path) -> None:
    kept = write_skill(tmp_path / "dotfiles", "mine", "mine", "kept in dotfiles")
    user = tmp_path / "user-skills"
    user.mkdir()
    (user / "mine").symlink_to(kept)
    skills, warnings = discover_skills(repo, [user])
    assert warnings == [] and names(skills) == ["mine"]


def test_hard_link_and_fifo_are_refused(repo: Path, secret: Path) -> None:
    base = repo / ".claude/skills"
    (base / "linked").mkdir(parents=True)
    os.link(secret, base / "linked/SKILL.md")
    (base / "pipe").mkdir()
    os.mkfifo(base / "pipe/SKILL.md")
    result: list[tuple[list[Skill], list[str]]] = []
    worker = threading.Thread(target=lambda: result.append(discover_skills(repo, [])))
    worker.daemon = True
    worker.start()
    worker.join(timeout=60)  # a hang guard: a FIFO opened for reading blocks
    assert not worker.is_alive()
    skills, warnings = result[0]
    assert skills == []
    assert len(warnings) == 2
    assert any("linked/SKILL.md" in w and "hard links" in w for w in warnings)
    assert any("pipe/SKILL.md" in w and "FIFO" in w for w in warnings)
    assert all(SECRET not in w for w in warnings)


# -- the prompt section -------------------------------------------------------------------------


def make_skills(count: int, description: str = "does a thing") -> list[Skill]:
    return [
        Skill(f"skill-{i:03d}", f"{description} {i}", Path(f"/s/{i}/SKILL.md"), "user")
        for i in range(count)
    ]


def test_no_skills_no_section() -> None:
    assert skills_prompt([]) is None


def test_section_lists_each_skill_and_says_to_load_it() -> None:
    text = skills_prompt(make_skills(2))
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "# Skills"
    assert "load_skill" in lines[1]
    assert lines[2:] == ["- skill-000: does a thing 0", "- skill-001: does a thing 1"]


def test_section_caps_the_count_and_says_how_many_were_left_out() -> None:
    text = skills_prompt(make_skills(150))
    assert text is not None
    assert text.count("\n- skill-") == 100
    assert "50 more skills are not listed" in text


def test_section_caps_the_characters() -> None:
    text = skills_prompt(make_skills(60, "x" * 900))
    assert text is not None
    assert len(text) <= 8000 + 200
    listed = text.count("\n- skill-")
    assert 0 < listed < 60
    assert f"{60 - listed} more skills are not listed" in text


# -- the load_skill tool ------------------------------------------------------------------------


@pytest.fixture
def project_skill(repo: Path) -> Path:
    directory = write_skill(
        repo / ".claude/skills", "release", "release", "cut a release", "Step 1: tag it."
    )
    (directory / "scripts").mkdir()
    (directory / "scripts/bump.sh").write_text("echo bump\n")
    (directory / "templates/deep/er/still").mkdir(parents=True)
    (directory / "templates/notes.md").write_text("Notes template\n")
    (directory / "templates/deep/er/still/hidden-by-depth.txt").write_text("x\n")
    (directory / ".git").mkdir()
    (directory / ".git/config").write_text("x\n")
    return directory


def run_tool(repo: Path, skills: list[Skill], **arguments: object) -> tuple[str, bool]:
    result = load_skill_tool(skills).run(Workspace(repo), dict(arguments))
    return result.content, result.is_error


def test_tool_is_read_kind_with_typed_parameters() -> None:
    spec = load_skill_tool([]).spec()
    assert load_skill_tool([]).kind == "read"
    assert spec.name == "load_skill"
    assert spec.parameters["required"] == ["name"]
    assert set(spec.parameters["properties"]) == {"name", "file"}


def test_load_gives_the_body_and_the_files_beside_it(repo: Path, project_skill: Path) -> None:
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="release")
    assert not is_error
    assert "Step 1: tag it." in content
    assert "description: cut a release" not in content  # front matter removed
    assert ".claude/skills/release" in content
    assert "- scripts/bump.sh" in content and "- templates/notes.md" in content
    assert "- SKILL.md" not in content and ".git" not in content
    assert "hidden-by-depth" not in content


def test_load_a_file_beside_the_skill(repo: Path, project_skill: Path) -> None:
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="release", file="templates/notes.md")
    assert (content, is_error) == ("Notes template\n", False)


def test_unknown_name_lists_the_known_ones(repo: Path, project_skill: Path) -> None:
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="nope")
    assert is_error and "no skill named 'nope'" in content and "release" in content


@pytest.mark.parametrize("escape", ["../../../README.md", "../../skills/../../README.md"])
def test_file_escapes_by_dots_are_refused(repo: Path, project_skill: Path, escape: str) -> None:
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="release", file=escape)
    assert is_error and "outside" in content


def test_absolute_and_home_paths_are_refused(repo: Path, project_skill: Path, secret: Path) -> None:
    skills, _ = discover_skills(repo, [])
    for path in (str(secret), "~/.ssh/id_rsa", str(project_skill / "scripts/bump.sh")):
        content, is_error = run_tool(repo, skills, name="release", file=path)
        assert is_error and "relative" in content and SECRET not in content


def test_symlink_beside_the_skill_is_refused(repo: Path, project_skill: Path, secret: Path) -> None:
    (project_skill / "key.txt").symlink_to(secret)
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="release", file="key.txt")
    assert is_error and "outside" in content and SECRET not in content


def test_non_text_files_are_refused(repo: Path, project_skill: Path) -> None:
    (project_skill / "blob.bin").write_bytes(b"\0\1\2")
    (project_skill / "big.txt").write_text("y" * 300_000)
    skills, _ = discover_skills(repo, [])
    for file, reason in (("blob.bin", "binary"), ("big.txt", "larger"), ("scripts", "directory")):
        content, is_error = run_tool(repo, skills, name="release", file=file)
        assert is_error and reason in content


def test_a_folder_swapped_for_a_symlink_after_the_start_is_refused(
    repo: Path, project_skill: Path, isolated_home: Path, secret: Path
) -> None:
    skills, _ = discover_skills(repo, [])
    # a command the model ran replaces the skill folder with a link to the user's keys
    write_skill(isolated_home, ".ssh", "release", "fake")
    shutil.rmtree(project_skill)
    project_skill.symlink_to(isolated_home / ".ssh")
    for arguments in ({"name": "release"}, {"name": "release", "file": "id_rsa"}):
        content, is_error = run_tool(repo, skills, **arguments)
        assert is_error and "moved" in content and SECRET not in content


def test_a_user_skill_outside_the_workspace_is_readable_through_the_tool(
    repo: Path, isolated_home: Path
) -> None:
    user = isolated_home / ".claude/skills"
    directory = write_skill(user, "style", "style", "house style", "Use tabs.")
    (directory / "ref.md").write_text("Reference text\n")
    skills, _ = discover_skills(repo)
    body, is_error = run_tool(repo, skills, name="style")
    assert not is_error and "Use tabs." in body and "user skill" in body and "- ref.md" in body
    ref, is_error = run_tool(repo, skills, name="style", file="ref.md")
    assert (ref, is_error) == ("Reference text\n", False)


def test_long_results_are_capped(repo: Path) -> None:
    write_skill(repo / ".claude/skills", "huge", "huge", "huge", "z" * 100_000)
    skills, _ = discover_skills(repo, [])
    content, is_error = run_tool(repo, skills, name="huge")
    assert not is_error and len(content) < 40_000 and "truncated" in content
