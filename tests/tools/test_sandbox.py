"""The OS sandbox (bubblewrap) around run_command: each level, each attack replayed for real.

Every test runs real commands through the real shell tool inside a real bwrap sandbox, with
decoy files in temporary directories; what must hold is checked on the host side (the decoy
is unchanged, the file was never created, the listener saw no connection).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunCli, make_repo, write_script
from tests.tools.conftest import ok
from tools.sandbox import Level, Sandbox, availability, choose_sandbox
from tools.shell import run_command
from tools.workspace import Workspace

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not availability().available, reason=f"no sandbox here: {availability().reason}"
    ),
]


def sandboxed(
    ws: Workspace,
    level: Level = "workspace-write",
    *,
    network: bool = False,
    git_writable: bool = False,
    hide: tuple[Path, ...] = (),
) -> Workspace:
    ws.sandbox = Sandbox(level, ws.root, network=network, git_writable=git_writable, hide=hide)
    return ws


def run(ws: Workspace, command: str) -> str:
    return ok(run_command, ws, command=command, timeout_s=60)


def exit_code(output: str) -> int:
    return int(output.rsplit("exit code: ", 1)[1].split()[0])


# -- levels -------------------------------------------------------------------------------


def test_basics_inside_the_sandbox(ws: Workspace) -> None:
    sandboxed(ws)
    assert run(ws, "echo hello") == "hello\nexit code: 0"
    assert run(ws, "echo oops >&2; exit 3") == "oops\nexit code: 3"
    assert run(ws, "pwd").splitlines()[0] == str(ws.root)
    assert run(ws, "echo $TMPDIR").splitlines()[0] == "/tmp"
    # the workspace's files are there, and git works on them (read-only .git included)
    assert "README.md" in run(ws, "ls")
    assert exit_code(run(ws, "git status --short")) == 0


def test_a_program_on_path_under_the_hosts_tmp_still_runs(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a CI checkout in /tmp runs its tools from its own venv there; the private /tmp must not
    # hide them, and they stay read-only
    tools_dir = tmp_path / "checkout-bin"
    tools_dir.mkdir()
    (tools_dir / "probe-tool").write_text("#!/bin/sh\necho tool-ran\n")
    (tools_dir / "probe-tool").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools_dir}{os.pathsep}{os.environ['PATH']}")
    sandboxed(ws)
    ws.command_env = {"PATH": os.environ["PATH"], "HOME": str(ws.root)}
    assert run(ws, "probe-tool") == "tool-ran\nexit code: 0"
    assert exit_code(run(ws, f"touch {tools_dir}/planted")) != 0
    assert not (tools_dir / "planted").exists()


def test_workspace_write_writes_inside_only(ws: Workspace, tmp_path: Path) -> None:
    sandboxed(ws)
    assert exit_code(run(ws, "echo made > inside.txt && mkdir -p sub && echo x > sub/y")) == 0
    assert (ws.root / "inside.txt").read_text() == "made\n"
    assert (ws.root / "sub" / "y").read_text() == "x\n"
    # outside: the venv (visible, read-only) and a host /tmp path (not even visible)
    probe = Path(sys.prefix) / f"sandbox-probe-{secrets.token_hex(4)}"
    outside = tmp_path / "outside.txt"
    try:
        out = run(ws, f"touch {probe}")
        assert "Read-only file system" in out and exit_code(out) != 0
        run(ws, f"echo pwned > {outside}")
        assert not probe.exists() and not outside.exists()
    finally:
        probe.unlink(missing_ok=True)


def test_a_subdirectory_workspace_cannot_write_the_rest_of_its_repo(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"decoy.txt": "keep me\n", "pkg/a.py": "x = 1\n"})
    ws = sandboxed(Workspace(repo / "pkg"))
    out = run(ws, "echo pwned > ../decoy.txt; touch ../.git/hooks/pre-commit; git status")
    assert out.count("Read-only file system") == 2, out
    assert (repo / "decoy.txt").read_text() == "keep me\n"
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    # git finds the enclosing repository although it lives under the host's /tmp
    assert "On branch main" in out
    assert exit_code(run(ws, "echo ok > b.py")) == 0 and (repo / "pkg" / "b.py").exists()


def test_git_dir_is_read_only_unless_opened(ws: Workspace) -> None:
    hook = ws.root / ".git" / "hooks" / "pre-commit"
    sandboxed(ws)
    out = run(ws, "printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > .git/hooks/pre-commit")
    assert "Read-only file system" in out and not hook.exists()
    out = run(ws, "git config core.hooksPath /tmp/evil-hooks")
    assert exit_code(out) != 0
    assert "evil" not in (ws.root / ".git" / "config").read_text()
    sandboxed(ws, git_writable=True)
    assert exit_code(run(ws, "echo '# opened' > .git/hooks/pre-commit")) == 0
    assert hook.read_text() == "# opened\n"


def test_read_only_writes_only_its_private_tmp(ws: Workspace, tmp_path: Path) -> None:
    sandboxed(ws, "read-only")
    out = run(ws, "echo x > inside.txt")
    assert "Read-only file system" in out and not (ws.root / "inside.txt").exists()
    out = run(ws, "echo scratch > $TMPDIR/note && cat /tmp/note")
    assert out.splitlines()[0] == "scratch"
    # the private /tmp lasts across commands of the run (a script written, then run)
    assert run(ws, "cat /tmp/note").splitlines()[0] == "scratch"
    assert not (tmp_path / "note").exists() and not Path("/tmp/note").exists()


# -- network ------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records what each connection sends."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                received.append(conn.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(5)
    server.close()


def connect_command(port: int) -> str:
    code = (
        f"import socket; s = socket.create_connection(('127.0.0.1', {port}), timeout=5); "
        "s.sendall(b'hello from the sandbox'); s.close(); print('connected')"
    )
    return f'{sys.executable} -c "{code}"'


def test_network_is_off_by_default(ws: Workspace, listener: tuple[int, list[bytes]]) -> None:
    port, received = listener
    out = run(sandboxed(ws), connect_command(port))
    assert "connected" not in out and exit_code(out) != 0
    assert "ConnectionRefusedError" in out or "unreachable" in out
    assert received == []


def test_network_on_when_allowed(ws: Workspace, listener: tuple[int, list[bytes]]) -> None:
    port, received = listener
    out = run(sandboxed(ws, network=True), connect_command(port))
    assert out.splitlines()[0] == "connected"
    assert received == [b"hello from the sandbox"]


def test_a_unix_socket_is_no_way_around_the_network_namespace(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an agent socket (ssh-agent, a docker daemon) lives on the filesystem, where a network
    # namespace does not reach; the sandbox hides the ones it knows of
    path = ws.root / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(path))
    code = (
        f"import socket; c = socket.socket(socket.AF_UNIX); c.connect('{path}'); print('connected')"
    )
    try:
        assert run(ws, f'{sys.executable} -c "{code}"').startswith("connected")  # unsandboxed
        server.settimeout(5)
        server.accept()[0].close()
        out = run(sandboxed(ws), f'{sys.executable} -c "{code}"')
        assert "connected" not in out and "ConnectionRefusedError" in out
    finally:
        server.close()


# -- credentials and the agent's own secrets ----------------------------------------------


@pytest.fixture
def decoy_home(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A decoy home inside the workspace (a user who runs the agent in ~): its credential
    stores are visible and writable unless the sandbox hides them."""
    home = ws.root / "home"
    files = {
        ".ssh/id_ed25519": "DECOY-SSH-KEY\n",
        ".aws/credentials": "[default]\naws_secret_access_key = DECOY-AWS\n",
        ".netrc": "machine example.com password DECOY-NETRC\n",
        ".config/gh/hosts.yml": "oauth_token: DECOY-GH\n",
        ".config/minimax-agent/config.toml": 'api_key_env = "DECOY-AGENT-CONFIG"\n',
    }
    for name, text in files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


READ_ALL = (
    "cat ~/.ssh/id_ed25519 ~/.aws/credentials ~/.netrc ~/.config/gh/hosts.yml "
    "~/.config/minimax-agent/config.toml; grep -r DECOY ~ ; ls -la ~/.ssh"
)


def test_credential_stores_are_hidden(ws: Workspace, decoy_home: Path) -> None:
    assert run(ws, READ_ALL).count("DECOY") >= 5  # unsandboxed: the attack works
    from tools.sandbox import agent_dirs

    sandboxed(ws, hide=tuple(agent_dirs()))
    out = run(ws, READ_ALL)
    assert "DECOY" not in out
    out = run(ws, "echo 'ssh-ed25519 AAAA attacker' >> ~/.ssh/authorized_keys")
    assert "Read-only file system" in out
    assert not (decoy_home / ".ssh" / "authorized_keys").exists()
    # the rest of the home is an ordinary part of the workspace
    assert exit_code(run(ws, "echo fine > ~/notes.txt")) == 0


def test_no_capability_undoes_the_hiding(ws: Workspace, decoy_home: Path) -> None:
    # with the capabilities of its user namespace a command could unmount the tmpfs over
    # ~/.ssh or remount / read-write; the sandbox drops them all
    sandboxed(ws)
    escape = Path(sys.prefix) / f"sandbox-escape-{secrets.token_hex(4)}"
    try:
        out = run(
            ws,
            "umount ~/.ssh; umount -l ~/.ssh; cat ~/.ssh/id_ed25519; "
            f"mount -o remount,rw,bind / && touch {escape}; grep Cap /proc/self/status",
        )
        assert "DECOY" not in out
        assert not escape.exists()
        assert "CapEff:\t0000000000000000" in out
    finally:
        escape.unlink(missing_ok=True)


def test_the_agent_environment_is_not_readable_through_proc(ws: Workspace) -> None:
    # even with a scrubbed command environment, /proc/<agent pid>/environ holds the key the
    # agent was started with; a process started with a decoy key stands in for the agent
    agent = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={**os.environ, "DECOY_PROVIDER_KEY": "sk-decoy-0123456789"},
    )
    try:
        ws.command_env = {"PATH": os.environ["PATH"], "HOME": str(ws.root)}
        command = f"cat /proc/{agent.pid}/environ /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"
        assert "sk-decoy-0123456789" in run(ws, command)  # unsandboxed: the leak is real
        out = run(sandboxed(ws), command + "; env")
        assert "sk-decoy" not in out and "DECOY_PROVIDER_KEY" not in out
    finally:
        agent.kill()
        agent.wait()


def test_command_env_is_what_the_command_sees(ws: Workspace) -> None:
    ws.command_env = {"PATH": os.environ["PATH"], "ONLY_THIS": "yes"}
    out = run(sandboxed(ws), "env")
    assert "ONLY_THIS=yes" in out and "PAGER=cat" in out and "GIT_TERMINAL_PROMPT=0" in out
    assert "HOME=" not in out


# -- choosing the sandbox -----------------------------------------------------------------


def test_without_bwrap_unattended_runs_refuse(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minimax_agent.errors import ExitCode, SandboxUnavailable, exit_code_for

    empty = tmp_path / "no-bwrap-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    found = availability()
    assert not found.available and found.reason == "bwrap was not found on PATH"
    for requested, unattended in ((None, True), ("read-only", False), ("workspace-write", True)):
        with pytest.raises(SandboxUnavailable) as caught:
            choose_sandbox(requested, ws.root, unattended=unattended)
        assert exit_code_for(caught.value) == ExitCode.USAGE
        assert "\n" not in str(caught.value) and "--sandbox off" in str(caught.value)
    # an attended session that asked for nothing goes on, and says so once
    sandbox, warning = choose_sandbox(None, ws.root, unattended=False)
    assert sandbox is None and warning and "OUTSIDE" in warning
    assert choose_sandbox("off", ws.root, unattended=True) == (None, None)


def test_choose_sandbox_here(ws: Workspace) -> None:
    sandbox, warning = choose_sandbox(None, ws.root, unattended=True, network=True)
    assert warning is None and sandbox is not None
    assert (sandbox.level, sandbox.network) == ("workspace-write", True)
    assert "network on" in sandbox.describe()
    read_only, _ = choose_sandbox("read-only", ws.root, unattended=True)
    assert read_only is not None and read_only.level == "read-only"


# -- the CLI ------------------------------------------------------------------------------


def path_without_bwrap(tmp_path: Path) -> str:
    """A PATH with what a run needs (bash, git) and no bwrap."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "git"):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_fix_refuses_in_one_line_without_a_sandbox(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    call = (
        '<minimax:tool_call>\n<invoke name="run_command">\n'
        '<parameter name="command">echo ran > ran.txt</parameter>\n</invoke>\n</minimax:tool_call>'
    )
    script = write_script(tmp_path / "script.json", ["r</think>\n\n" + call, "r</think>\n\nok"])
    env = {"PATH": path_without_bwrap(tmp_path)}
    args = ["fix", "x", "-C", str(repo), "--backend", f"scripted:{script}"]
    refused = invoke_cli(*args, env=env)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip().count("\n") == 0 and "Traceback" not in refused.stderr
    assert "bwrap was not found on PATH" in refused.stderr
    assert "--sandbox off" in refused.stderr
    assert not (repo / "ran.txt").exists()
    # the way out it names works
    allowed = invoke_cli(*args, "--sandbox", "off", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert (repo / "ran.txt").read_text() == "ran\n"


def test_doctor_reports_the_sandbox(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    (isolated_home / ".ssh").mkdir()
    proc = invoke_cli("doctor", "-C", str(tmp_path), "--no-tiny", "--json")
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    sandbox = checks["sandbox"]
    assert sandbox["status"] == "ok", sandbox
    assert sandbox["data"]["mechanism"] == "bubblewrap" and sandbox["data"]["available"]
    assert str(isolated_home / ".ssh") in sandbox["data"]["hidden"]
    assert "network off" in sandbox["detail"] and "workspace-write" in sandbox["detail"]
    missing = invoke_cli(
        "doctor", "-C", str(tmp_path), "--no-tiny", "--json", env={"PATH": str(tmp_path)}
    )
    checks = {c["name"]: c for c in json.loads(missing.stdout)["checks"]}
    assert checks["sandbox"]["status"] == "warn"
    assert "install bubblewrap" in checks["sandbox"]["detail"]
