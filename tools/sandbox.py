"""The OS sandbox around every command the agent runs, built on bubblewrap (`bwrap`).

Why bubblewrap rather than Landlock: Landlock only grants rights on whole hierarchies, so it
cannot say "read everything except ~/.ssh"; it has no pid namespace (a `setsid` child outlives
the command) and its network rules cover TCP only. bwrap gives mount control (a read-only root,
writable binds, an empty tmpfs over a credential store), a network namespace with nothing but
loopback, and a pid namespace whose init is killed with the command, which takes every
descendant with it, `setsid` children included.

Levels (the same three as Codex):

- `workspace-write`: writes only inside the workspace and a private /tmp; the workspace's git
  directory is re-bound read-only (a hook planted there would run unsandboxed at the user's next
  commit) unless `git_writable`.
- `read-only`: writes only to the private /tmp (and the sandbox's own /dev/shm).
- `off`: no sandbox (`Sandbox` objects exist only for the first two).

Everywhere: network off unless asked for, all capabilities dropped (with them, a command could
unmount the tmpfs over ~/.ssh or remount / read-write), a fresh /proc (the agent's own
environment, API key included, is not readable through /proc/PID/environ), credential stores
of the user's home hidden, and local daemon sockets (docker, ssh-agent, the user's runtime dir)
hidden, since a network namespace does not stop a Unix socket on the filesystem.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import subprocess
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tools.errors import SandboxUnavailable

Level = Literal["read-only", "workspace-write"]
LEVELS: tuple[str, ...] = ("read-only", "workspace-write", "off")
MECHANISM = "bubblewrap"
INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap) or pass --sandbox off"
PROBE_TIMEOUT_S = 10.0

# Credential stores under a home directory, hidden from every sandboxed command.
CREDENTIAL_PATHS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gh",
    ".config/hub",
    ".config/gcloud",
    ".azure",
    ".kube",
    ".docker/config.json",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".password-store",
    ".local/share/keyrings",
)
# Daemon sockets a command could drive to act outside the sandbox (docker runs anything as root).
DAEMON_SOCKETS = ("/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock")


@dataclass(frozen=True)
class Availability:
    """What the sandbox can enforce on this machine; `reason` says why not when it cannot."""

    mechanism: str
    available: bool
    detail: str  # the bwrap path and version, or what is missing
    reason: str | None = None

    def refusal(self) -> str:
        """The one line a run that needs the sandbox stops with."""
        return f"cannot sandbox commands: {self.reason}; {INSTALL_HINT}"


def availability() -> Availability:
    """Whether bwrap exists and can really create the namespaces here (probed once)."""
    path = shutil.which("bwrap")
    if path is None:
        return Availability(MECHANISM, False, "bwrap not found", "bwrap was not found on PATH")
    return _probe(path)


@functools.cache
def _probe(bwrap: str) -> Availability:
    argv = [bwrap, *_namespace_args(network=False), "--ro-bind", "/", "/", "--dev", "/dev"]
    argv += ["--proc", "/proc", "--tmpfs", "/tmp", "--", "true"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Availability(MECHANISM, False, bwrap, f"{bwrap} could not run: {exc}")
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Availability(MECHANISM, False, bwrap, f"bwrap cannot create namespaces here: {why}")
    version = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        version = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S
        ).stdout.strip()
    return Availability(MECHANISM, True, f"{bwrap} ({version or 'version unknown'})")


def _namespace_args(*, network: bool) -> list[str]:
    # --unshare-all: user (where possible), ipc, pid, net, uts, cgroup namespaces.
    # --die-with-parent: the sandbox dies with the agent, even on SIGKILL.
    # --cap-drop ALL: as root, or in its own user namespace, a command would otherwise keep
    # the capabilities to unmount what hides a credential store or remount / read-write.
    # No --new-session: the shell tool already starts the command in a new session without a
    # terminal, and keeping bwrap's process group lets a timeout's SIGTERM reach the command.
    args = ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    return [*args, "--share-net"] if network else args


def home_dirs() -> list[Path]:
    """The user's home as $HOME says and as the password database says (they can differ)."""
    homes: list[Path] = []
    with contextlib.suppress(RuntimeError, KeyError):
        homes.append(Path.home())
    with contextlib.suppress(ImportError, KeyError, OSError):
        import pwd  # POSIX only

        homes.append(Path(pwd.getpwuid(os.getuid()).pw_dir))
    return list(dict.fromkeys(h for h in homes if str(h) not in ("", "/")))


def agent_dirs() -> list[Path]:
    """The agent's own config (keys may be named there) and state (session transcripts)."""
    from platformdirs import user_config_dir, user_state_dir

    return [Path(user_config_dir("minimax-agent")), Path(user_state_dir("minimax-agent"))]


def _git_dirs(root: Path) -> tuple[list[Path], Path | None]:
    """The git paths inside `root` to keep read-only, and the top of an enclosing repository
    when the workspace is a subdirectory of one (so git still finds it under the private /tmp)."""
    dot = root / ".git"
    if os.path.lexists(dot):
        found = [dot]
        if dot.is_file():  # a worktree or submodule: "gitdir: PATH"
            with contextlib.suppress(OSError):
                text = dot.read_text(errors="replace").strip()
                if text.startswith("gitdir:"):
                    gitdir = (root / text.removeprefix("gitdir:").strip()).resolve()
                    found.append(gitdir)
                    common = gitdir / "commondir"
                    if common.is_file():
                        found.append((gitdir / common.read_text().strip()).resolve())
        # a git dir outside the workspace is read-only already
        return [p for p in found if p.is_relative_to(root) and p.exists()], None
    for parent in root.parents:
        if os.path.lexists(parent / ".git"):
            return [], parent
    return [], None


class Sandbox:
    """How one workspace's commands are confined. `wrap(argv)` gives the argv to run instead."""

    def __init__(
        self,
        level: Level,
        root: Path,
        *,
        network: bool = False,
        git_writable: bool = False,
        hide: tuple[Path, ...] = (),
        bwrap: str = "bwrap",
    ) -> None:
        self.level: Level = level
        self.root = root.resolve()
        self.network = network
        self.git_writable = git_writable
        self.hide = hide
        self.bwrap = bwrap
        self._tmp: str | None = None

    def __repr__(self) -> str:
        return f"Sandbox({self.level!r}, {str(self.root)!r}, network={self.network})"

    @property
    def private_tmp(self) -> str:
        """The host directory seen as /tmp inside; kept across commands (a model writes a
        script there and runs it next), removed when the sandbox object goes away."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="minimax-agent-sandbox-")
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        return self._tmp

    def hidden_paths(self) -> list[Path]:
        """What exists here and is hidden from commands (resolved, so a symlinked store is
        hidden where it really lives)."""
        candidates = [home / rel for home in home_dirs() for rel in CREDENTIAL_PATHS]
        candidates += [*self.hide, *(Path(p) for p in DAEMON_SOCKETS)]
        candidates.append(Path(f"/run/user/{os.getuid()}"))
        agent_sock = os.environ.get("SSH_AUTH_SOCK")
        if agent_sock:
            candidates.append(Path(agent_sock))
        _, repo_top = _git_dirs(self.root)
        visible_tmp = [p for p in (self.root, repo_top) if p is not None]
        found: dict[Path, None] = {}
        for path in candidates:
            if not os.path.lexists(path):
                continue
            real = Path(os.path.realpath(path))
            # a store that holds the workspace cannot be hidden without hiding the work
            if self.root.is_relative_to(real):
                continue
            # the host's /tmp is not visible inside (a private one is), except these binds
            if real.is_relative_to("/tmp") and not any(real.is_relative_to(p) for p in visible_tmp):
                continue
            found[real] = None
        return list(found)

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` as run inside the sandbox, in the workspace root."""
        args = [self.bwrap, *_namespace_args(network=self.network)]
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        args += ["--bind", self.private_tmp, "/tmp", "--setenv", "TMPDIR", "/tmp"]
        root = str(self.root)
        git_dirs, repo_top = _git_dirs(self.root)
        if repo_top is not None:
            args += ["--ro-bind", str(repo_top), str(repo_top)]
        # programs installed under the host's /tmp (a checkout's venv, a tool on PATH) stay
        # runnable, read-only, although the rest of that /tmp is not visible
        for path in _programs_under_tmp():
            args += ["--ro-bind", str(path), str(path)]
        # bound after /tmp: a workspace under the host's /tmp stays visible
        args += ["--bind" if self.level == "workspace-write" else "--ro-bind", root, root]
        if self.level == "workspace-write" and not self.git_writable:
            for path in git_dirs:
                args += ["--ro-bind", str(path), str(path)]
        for path in self.hidden_paths():
            args += self._hide_args(path)
        return [*args, "--chdir", root, "--", *argv]

    @staticmethod
    def _hide_args(path: Path) -> list[str]:
        try:
            mode = path.lstat().st_mode
        except OSError:
            return []
        if stat.S_ISDIR(mode):
            return ["--tmpfs", str(path), "--remount-ro", str(path)]
        return ["--ro-bind", "/dev/null", str(path)]

    def describe(self) -> str:
        writes = {
            "workspace-write": f"{self.root} and a private /tmp"
            + ("" if self.git_writable else " (.git read-only)"),
            "read-only": "a private /tmp only",
        }[self.level]
        hidden = ", ".join(_short(p) for p in self.hidden_paths()) or "nothing found to hide"
        return (
            f"{MECHANISM} {self.level}: writes to {writes}; network "
            f"{'on' if self.network else 'off'}; hidden: {hidden}"
        )


def _short(path: Path) -> str:
    for home in home_dirs():
        if path.is_relative_to(home):
            return "~/" + path.relative_to(home).as_posix()
    return str(path)


def choose_sandbox(
    requested: str | None,
    root: Path,
    *,
    unattended: bool,
    network: bool = False,
    git_writable: bool = False,
    hide: tuple[Path, ...] = (),
) -> tuple[Sandbox | None, str | None]:
    """The sandbox a run gets, and a warning when it falls back to none.

    `requested` None means the default, workspace-write. Where bwrap cannot work, an
    unattended run (headless, or full-auto) or an explicit request refuses with one line
    (SandboxUnavailable, exit 2); an attended session that did not ask for a level runs
    commands unsandboxed with a warning, since a person approves each of them.
    """
    level = requested or "workspace-write"
    if level == "off":
        return None, None
    found = availability()
    if not found.available:
        if unattended or requested is not None:
            raise SandboxUnavailable(found.refusal())
        return None, (
            f"commands run OUTSIDE any sandbox ({found.reason}); each one is asked. "
            "To sandbox them: apt-get install bubblewrap"
        )
    sandbox_level: Level = "read-only" if level == "read-only" else "workspace-write"
    bwrap = shutil.which("bwrap") or "bwrap"
    sandbox = Sandbox(
        sandbox_level, root, network=network, git_writable=git_writable, hide=hide, bwrap=bwrap
    )
    return sandbox, None


def _programs_under_tmp() -> list[Path]:
    """The directories under the host's /tmp that commands need to run programs: this Python's
    prefixes and the PATH entries (a CI checkout in /tmp runs its tests from its own venv)."""
    import sys

    candidates = [sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)]
    candidates += os.environ.get("PATH", "").split(os.pathsep)
    found: dict[Path, None] = {}
    for entry in candidates:
        if not entry or not os.path.isdir(entry):
            continue
        path = Path(os.path.abspath(entry))
        if path.is_relative_to("/tmp") and path != Path("/tmp"):
            found[path] = None
    return list(found)
