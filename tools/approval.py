"""Approval: which tool calls run at once, which need the user's yes, which never run.

The mode sets the baseline (read tools always run):

| mode      | write tools | shell |
| --------- | ----------- | ----- |
| read-only | deny        | deny  |
| ask       | ask         | ask   |
| auto-edit | allow       | ask   |
| full-auto | allow       | allow |

Without a user to answer (`interactive=False`), "ask" becomes "deny": a headless run must not
block on a question nobody will see.

A short deny-list of commands that damage the machine, not just the project, always needs a
person: it asks when interactive and is denied otherwise, whatever the mode or earlier "always"
answers. It is a guard against accidents, not a sandbox: a determined command can hide from
any pattern. What is on it and why:

- `sudo`/`doas`: the agent has no business acting as root.
- recursive `rm`/`chmod`/`chown`/`chgrp` on `/`, a top-level system directory, `~`/`$HOME`,
  or a bare `*`, `.` or `..`, and `--no-preserve-root`.
- `git push --force`/`-f`/`+refspec`: rewrites history other people share.
- a download piped or substituted into a shell or interpreter (`curl … | sh`).
- `mkfs*`, `wipefs`, `dd of=/dev/…`, redirection onto a disk device: destroy a filesystem.
- a fork bomb; `shutdown`/`reboot`/`halt`/`poweroff`; `kill -1` (every process).

Deliberately not on it: `git reset --hard`, `git clean`, `rm -rf build`: they only touch the
workspace, which the write tools may change anyway, and refusing them would make the agent
useless for ordinary work.
"""

from __future__ import annotations

import re
import shlex
from enum import StrEnum
from typing import Any

from minimax_agent.modes import ApprovalMode
from tools.base import Tool


class Verdict(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


_SYSTEM_DIRS = [
    *("bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "opt", "proc", "root"),
    *("run", "sbin", "srv", "sys", "usr", "var", "System", "Applications", "Library", "Users"),
]
_ROOT_ISH = re.compile(
    r"^(?:/+\*?|~/?\*?|\$\{?HOME\}?/?\*?|\*|\.{1,2}/?\*?|/+(?:"
    + "|".join(_SYSTEM_DIRS)
    + r")/*\*?)$"
)
_WRAPPERS = {"env", "exec", "nohup", "time", "command", "nice", "xargs", "timeout", "builtin"}
_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "eval"}
_SH = r"(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:ba|z|da|k|fi)?sh"
# an interpreter reading its program from stdin; `python -m json.tool` only reads data
_STDIN_INTERPRETER = r"(?:\S*/)?(?:python[\d.]*|perl|ruby|node)\s*-?\s*(?:$|[;&|)])"
_FETCH = r"(?:curl|wget|fetch)"
_RAW_RULES = [
    (
        re.compile(r"(\w+|:)\s*\(\)\s*\{\s*\1\s*\|\s*\1\s*&\s*\}"),
        "a fork bomb",
    ),
    (
        re.compile(rf"\b{_FETCH}\b[^;&\n]*\|\s*(?:{_SH}\b|{_STDIN_INTERPRETER})"),
        "pipes a download into a shell or interpreter",
    ),
    (
        re.compile(rf"\b{_SH}\b[^;&|\n]*(?:<\(|\$\(|`)\s*{_FETCH}\b"),
        "runs a downloaded script",
    ),
    (
        re.compile(r">\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk)\w*"),
        "writes directly onto a disk device",
    ),
]


def _simple_commands(command: str) -> list[list[str]] | None:
    """The command split into simple commands (argument lists), or None if it cannot be."""
    flat = command.replace("`", " ; ").replace("\n", " ; ")
    lexer = shlex.shlex(flat, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes
        return None
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token and all(c in ";&|()" for c in token):
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _program(argv: list[str]) -> tuple[str, list[str], bool]:
    """The program actually run (basename) and its arguments, past `VAR=value` and wrappers
    such as `env`, `nohup`, `timeout 10`, and whether `sudo` was among them."""
    as_root = False
    wrapped = False
    for i, word in enumerate(argv):
        name = word.rsplit("/", 1)[-1]
        if re.fullmatch(r"[A-Za-z_]\w*=.*", word):
            continue
        if wrapped and (word.startswith("-") or re.fullmatch(r"[\d.]+[smhd]?", word)):
            continue  # a wrapper's own options, like `timeout 10` or `nice -n 5`
        if name in _WRAPPERS or name in ("sudo", "doas"):
            as_root = as_root or name in ("sudo", "doas")
            wrapped = True
            continue
        return name, argv[i + 1 :], as_root
    return "", [], as_root


def _short_flags(args: list[str]) -> str:
    return "".join(a[1:] for a in args if re.fullmatch(r"-[A-Za-z]+", a))


def _argv_danger(argv: list[str], depth: int) -> str | None:
    name, args, as_root = _program(argv)
    if as_root:
        return "runs a command as root (sudo)"
    targets = [a for a in args if not a.startswith("-")]
    if name == "rm" and "--no-preserve-root" in args:
        return "rm --no-preserve-root"
    recursive = "--recursive" in args or bool(set(_short_flags(args)) & {"r", "R"})
    if name in ("rm", "chmod", "chown", "chgrp") and recursive:
        hit = next((t for t in targets if _ROOT_ISH.match(t)), None)
        if hit is not None:
            return f"recursive {name} on {hit!r}"
    if name == "git" and "push" in args:
        push = args[args.index("push") + 1 :]
        if "--force" in push or "f" in _short_flags(push) or any(a.startswith("+") for a in push):
            return "force-pushes (rewrites shared history)"
    if name.startswith("mkfs") or name == "wipefs":
        return f"{name} destroys a filesystem"
    if name == "dd" and any(
        a.startswith("of=/dev/") and a not in ("of=/dev/null", "of=/dev/stdout", "of=/dev/stderr")
        for a in args
    ):
        return "dd onto a device"
    if name in ("shutdown", "reboot", "halt", "poweroff"):
        return f"{name} stops the machine"
    if name == "kill" and args and args[-1] == "-1":
        return "kills every process"
    if name in _SHELLS and depth < 3:
        script = args[args.index("-c") + 1] if "-c" in args[:-1] else None
        if name == "eval":
            script = " ".join(args)
        if script:
            return dangerous_command(script, depth + 1)
    return None


def dangerous_command(command: str, depth: int = 0) -> str | None:
    """Why `command` is on the deny-list, or None when it is not."""
    for pattern, why in _RAW_RULES:
        if pattern.search(command):
            return why
    commands = _simple_commands(command)
    if commands is None:
        commands = [command.split()]
    for argv in commands:
        reason = _argv_danger(argv, depth)
        if reason:
            return reason
    return None


def _words(command: str) -> list[str] | None:
    """The words of a single simple command; None when it chains, pipes, redirects or
    substitutes, since a remembered prefix must not approve whatever follows it."""
    if "`" in command or "$(" in command or "\n" in command:
        return None
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return None
    if not tokens or any(all(c in ";&|()<>" for c in t) for t in tokens):
        return None
    return tokens


class ApprovalPolicy:
    """Decides each tool call; remembers "always allow" answers given during the session."""

    def __init__(self, mode: ApprovalMode, interactive: bool) -> None:
        self.mode = mode
        self.interactive = interactive
        self._tools: set[str] = set()
        self._prefixes: list[list[str]] = []

    def allow_tool(self, name: str) -> None:
        """Run this tool without asking from now on (the deny-list still applies)."""
        self._tools.add(name)

    def allow_command_prefix(self, prefix: str) -> bool:
        """Run shell commands that start with these words without asking from now on.

        Only plain words count (`npm test`); a prefix with operators or substitutions is not
        remembered and False is returned. Commands that chain or pipe always ask again.
        """
        words = _words(prefix)
        if words is None:
            return False
        self._prefixes.append(words)
        return True

    def _remembered(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        if tool.name in self._tools:
            return True
        if tool.kind != "shell":
            return False
        words = _words(str(arguments.get("command", "")))
        return words is not None and any(words[: len(p)] == p for p in self._prefixes)

    def _ask(self, reason: str) -> tuple[Verdict, str]:
        if self.interactive:
            return Verdict.ASK, reason
        return Verdict.DENY, f"{reason}; no one is here to approve it"

    def decide(self, tool: Tool, arguments: dict[str, Any]) -> tuple[Verdict, str]:
        """The verdict for one call, and a reason the user (or the model) can read."""
        if tool.kind == "read":
            return Verdict.ALLOW, "reads only"
        if self.mode is ApprovalMode.READ_ONLY:
            what = "runs commands" if tool.kind == "shell" else "changes files"
            return Verdict.DENY, f"{tool.name} {what}, and the session is read-only"
        if tool.kind == "shell":
            danger = dangerous_command(str(arguments.get("command", "")))
            if danger:
                return self._ask(f"dangerous command: {danger}")
        if self._remembered(tool, arguments):
            return Verdict.ALLOW, "allowed earlier in this session"
        if tool.kind == "write":
            if self.mode in (ApprovalMode.AUTO_EDIT, ApprovalMode.FULL_AUTO):
                return Verdict.ALLOW, f"file changes are allowed in {self.mode} mode"
            return self._ask(f"{tool.name} changes files")
        if self.mode is ApprovalMode.FULL_AUTO:
            return Verdict.ALLOW, "commands are allowed in full-auto mode"
        return self._ask(f"{tool.name} runs a command")
