"""Approval: which tool calls run at once, which need the user's yes, which never run.

The mode sets the baseline (read tools always run):

| mode      | write tools | shell | external | network |
| --------- | ----------- | ----- | -------- | ------- |
| read-only | deny        | deny  | deny     | ask     |
| ask       | ask         | ask   | ask      | ask     |
| auto-edit | allow       | ask   | ask      | ask     |
| full-auto | allow       | allow | allow    | ask     |

An external tool (an MCP server's) acts outside the workspace, where no checkpoint can undo
it, so it is decided like a command; it has no command line, so the deny-list does not apply.

A network tool (web_fetch) changes nothing here, but its request carries whatever the model
puts in the URL to whoever serves it, and full-auto is no consent to that: it asks in every
mode, read-only included, unless the host of its `url` argument is in the user's allow list
(`network_allow`, the `web_fetch_allow` setting), where it runs in every mode. Headless and
not listed, it is denied with a reason that names the setting.

Without a user to answer (`interactive=False`), "ask" becomes "deny": a headless run must not
block on a question nobody will see.

Every shell command is parsed the way bash will run it (`tools.denylist`, on bashlex): quoting,
`#` only at a word start, every operator, substitution, subshell and here-document, `bash -c`
bodies, `eval`, and wrappers such as `env`, `sudo`, `timeout`, `xargs`, `find -exec`. Two
findings override the mode and any "always" answer:

| finding                      | interactive | headless, no sandbox | headless, sandboxed    |
| ---------------------------- | ----------- | -------------------- | ---------------------- |
| on the deny-list             | ask         | deny                 | deny                   |
| cannot be checked            | ask         | deny                 | the mode decides       |

"Cannot be checked" is a line the parser does not understand (bashlex fails, `$X args`, a
script built at run time such as `bash -c "$(cat f)"` or `… | sh`): it is never taken for
safe. Under an OS sandbox (`sandboxed=True`), the sandbox is the guard and the deny-list is
advice: an unparseable command may then run headless in full-auto, because the sandbox
contains it; a command the deny-list names is still refused.

What is on the deny-list and why (it damages the machine or shared history, not the project):

- root: `sudo`, `doas`, `su`, `pkexec`, `run0`.
- recursive `rm` (`-rf`, `-r -f`, `--recursive`) on `/`, a top-level system directory, a home
  directory (`~`, `$HOME`, `/home/x`) or everything in one, `..`, or the whole workspace
  (`.`, `*`); `--no-preserve-root`; recursive `chmod`/`chown`/`chgrp`, `find … -delete` or
  `-exec rm`, `rsync --delete` and `mv` on such system or home paths.
- `git push` that rewrites or deletes shared history: `--force`/`-f`, `--force-with-lease`
  (the lease only guards against a race; it still overwrites the remote branch), a `+refspec`,
  `--mirror`, `--delete`/`-d`, a `:branch` refspec, `--prune`; also through `git -c alias…`.
- a download run as code: piped or substituted into a shell or interpreter (`curl … | sh`,
  `| env sh`, `| sudo bash`, `| python3 -`, `bash <(curl …)`, `source <(curl …)`,
  `sh -c "$(curl …)"`), or saved and then run in the same line (`curl -o x.sh …; sh x.sh`).
- `mkfs*`, `wipefs`, `dd of=/dev/sdX`, a redirection or `tee`/`cp` onto a disk device.
- a fork bomb; `shutdown`/`reboot`/`halt`/`poweroff`/`systemctl poweroff`; `kill -1`.

Deliberately not on it: `git reset --hard`, `git clean`, `rm -rf build`, `find . -delete`:
they only touch the workspace, which the write tools may change anyway. Code given inline to an
interpreter (`python -c …`) and multi-step tricks (write a script now, run it in a later call)
are beyond any deny-list; the sandbox is what contains them.

"Always allow `npm test`" answers match only one whole simple command of plain words: a line
with any operator, substitution, expansion, redirection to a file, comment or second command
asks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from tools.base import Tool
from tools.bashparse import parse
from tools.denylist import Finding, check_command
from tools.modes import ApprovalMode
from tools.web import host_allowed, url_host

__all__ = ["ApprovalPolicy", "Finding", "Verdict", "check_command", "dangerous_command"]


class Verdict(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


def dangerous_command(command: str) -> str | None:
    """Why `command` must not run unattended (on the deny-list, or it cannot be checked), or
    None."""
    finding = check_command(command)
    return None if finding is None else finding.reason


def command_words(command: str) -> list[str] | None:
    """The words of `command` when it is one simple command of plain words, else None: a
    remembered prefix must not approve whatever a chain, pipe, substitution or comment adds."""
    script = parse(command)
    if not script.simple:
        return None
    only = script.commands[0]
    if only.assignments or not only.words or not all(w.literal for w in only.words):
        return None
    for redirect in only.redirects:
        target = redirect.target
        if target is not None and not (target.literal and target.text == "/dev/null"):
            return None  # a file written or read; `2>&1` and `>/dev/null` are fine
    return [w.text for w in only.words]


class ApprovalPolicy:
    """Decides each tool call; remembers "always allow" answers given during the session.

    `sandboxed`: commands run inside an OS sandbox, so a command the parser cannot check may
    run headless in full-auto (see the module docstring). `network_allow`: the hosts a
    network tool reaches without asking (exact names or `*.example.com`).
    """

    def __init__(
        self,
        mode: ApprovalMode,
        interactive: bool,
        sandboxed: bool = False,
        network_allow: Iterable[str] = (),
    ) -> None:
        self.mode = mode
        self.interactive = interactive
        self.sandboxed = sandboxed
        self.network_allow = tuple(network_allow)
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
        words = command_words(prefix)
        if not words:
            return False
        self._prefixes.append(words)
        return True

    def _remembered(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        if tool.name in self._tools:
            return True
        if tool.kind != "shell" or not self._prefixes:
            return False
        words = command_words(str(arguments.get("command", "")))
        return words is not None and any(words[: len(p)] == p for p in self._prefixes)

    def _ask(self, reason: str) -> tuple[Verdict, str]:
        if self.interactive:
            return Verdict.ASK, reason
        return Verdict.DENY, f"{reason}; no one is here to approve it"

    def decide(self, tool: Tool, arguments: dict[str, Any]) -> tuple[Verdict, str]:
        """The verdict for one call, and a reason the user (or the model) can read."""
        if tool.kind == "read":
            return Verdict.ALLOW, "reads only"
        if tool.kind == "network":
            return self._decide_network(tool, arguments)
        if self.mode is ApprovalMode.READ_ONLY:
            what = {"shell": "runs commands", "external": "acts outside the workspace"}.get(
                tool.kind, "changes files"
            )
            return Verdict.DENY, f"{tool.name} {what}, and the session is read-only"
        note = ""
        if tool.kind == "shell":
            finding = check_command(str(arguments.get("command", "")))
            if finding is not None and finding.listed:
                return self._ask(f"dangerous command: {finding.reason}")
            if finding is not None:
                reason = f"the command {finding.reason}"
                if self.interactive or not self.sandboxed:
                    return self._ask(reason)
                note = f" ({reason}; the sandbox contains it)"
        if self._remembered(tool, arguments):
            return Verdict.ALLOW, "allowed earlier in this session" + note
        if tool.kind == "write":
            if self.mode in (ApprovalMode.AUTO_EDIT, ApprovalMode.FULL_AUTO):
                return Verdict.ALLOW, f"file changes are allowed in {self.mode} mode"
            return self._ask(f"{tool.name} changes files")
        if tool.kind == "external":
            if self.mode is ApprovalMode.FULL_AUTO:
                return Verdict.ALLOW, "external tools are allowed in full-auto mode"
            return self._ask(f"{tool.name} acts outside the workspace")
        if self.mode is ApprovalMode.FULL_AUTO:
            return Verdict.ALLOW, "commands are allowed in full-auto mode" + note
        return self._ask(f"{tool.name} runs a command" + note)

    def _decide_network(self, tool: Tool, arguments: dict[str, Any]) -> tuple[Verdict, str]:
        """A network tool: its URL's host decides, in every mode (see the module docstring).
        The host is read with `tools.web.url_host`, which the fetch itself also checks."""
        host = url_host(str(arguments.get("url", "")))
        if host is not None and host_allowed(host, self.network_allow):
            return Verdict.ALLOW, f"{host} is in web_fetch_allow"
        if self._remembered(tool, arguments):
            return Verdict.ALLOW, "allowed earlier in this session"
        hint = "list trusted hosts in web_fetch_allow in your config.toml to fetch unasked"
        if host is None:
            return self._ask(f"{tool.name} was given no http(s) URL with a host ({hint})")
        shown = host if host.isprintable() else ascii(host)  # the model's text, on a terminal
        return self._ask(f"{tool.name} reaches {shown}, which is not in web_fetch_allow ({hint})")
