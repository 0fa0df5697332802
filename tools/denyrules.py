"""Per-program deny rules: what makes one run of `rm`, `git`, `find`, `dd`, … damage the machine
or shared history rather than the project. `tools.denylist` applies them to every program a
command line runs; each rule returns why, or None.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from tools.bashparse import Word
from tools.unwrap import Run, basename, find_parts, literal

_SYSTEM_DIRS = {
    *("bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "opt", "proc", "root"),
    *("run", "sbin", "srv", "sys", "usr", "var", "tmp", "mnt", "media", "snap", "nix"),
    *("System", "Applications", "Library", "Users", "Volumes", "private", "cores"),
}
_HOME = re.compile(r"^(?:~[\w.-]*|\$\{?HOME\}?)(?=/|$)")
DISK = re.compile(
    r"^/dev/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|r?disk\d|md\d|dm-\d|mapper/"
    r"|loop\d|mem$|kmem$|port$)"
)
_DESTROYERS = {"rm", "shred", "unlink", "rmdir", "chmod", "chown", "chgrp", "mv", "truncate"}


def _wild(part: str) -> bool:
    """A path component that can match anything: a glob or an unknown `$…`."""
    return bool(re.search(r"[*?$]|\[.*\]", part))


def _all_wild(part: str) -> bool:
    return "*" in part and not re.sub(r"[*?.\[\]!^]", "", part)


def system_ish(text: str) -> bool:
    """`/`, a top-level system directory, a home directory or everything in one, or a path
    above the workspace (`..`)."""
    if not text:
        return False
    path = _HOME.sub("/home/user", text)
    if path.startswith("/"):
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        if not parts:
            return True
        top = parts[0] in _SYSTEM_DIRS or _wild(parts[0])
        home = parts[0] in ("home", "Users")
        if len(parts) == 1:
            return top
        if len(parts) == 2:
            return home or (top and _all_wild(parts[1]))
        return len(parts) == 3 and home and _all_wild(parts[2])
    return all(p == ".." for p in posixpath.normpath(path).split("/"))


def root_ish(text: str) -> bool:
    """`system_ish`, or the whole workspace (`.`, `*`, `./*`)."""
    norm = posixpath.normpath(text) if text else ""
    return system_ish(text) or norm == "." or (bool(norm) and _all_wild(norm))


def _split_options(args: list[Word]) -> tuple[set[str], list[str], list[str]]:
    """Short option letters, long option names, and operands (everything after `--` too)."""
    letters: set[str] = set()
    longs: list[str] = []
    operands: list[str] = []
    done = False
    for word in args:
        text = word.text
        if done or not text.startswith("-") or text == "-":
            operands.append(text)
        elif text == "--":
            done = True
        elif text.startswith("--"):
            longs.append(text[2:].partition("=")[0])
        else:
            letters |= set(text[1:])
    return letters, longs, operands


def _abbreviates(names: list[str], option: str, shortest: int = 1) -> bool:
    """GNU tools accept any unambiguous prefix of a long option (`--recur`)."""
    return any(len(n) >= shortest and option.startswith(n) for n in names)


def _rm(run: Run) -> str | None:
    letters, longs, operands = _split_options(run.args)
    if _abbreviates(longs, "no-preserve-root", 2):
        return "rm --no-preserve-root"
    if letters & {"r", "R"} or _abbreviates(longs, "recursive"):
        hit = next((t for t in operands if root_ish(t)), None)
        if hit is not None:
            return f"recursive rm on {hit!r}"
    return None


_SUBSTITUTION = re.compile(r"\$\([^)]*\)|`[^`]*`")


def rm_target_unknown(run: Run) -> str | None:
    """A recursive rm whose target comes from `$(…)` and could be `/` (`rm -rf $(echo /)`)."""
    letters, longs, _ = _split_options(run.args)
    if run.name != "rm" or not (letters & {"r", "R"} or _abbreviates(longs, "recursive")):
        return None
    for word in run.args:
        could_be = (_SUBSTITUTION.sub(v, word.text) for v in ("", "/"))
        if word.dynamic and _SUBSTITUTION.search(word.text) and any(map(root_ish, could_be)):
            return f"the target of `rm` ({word.source}) is only known when it runs"
    return None


def _chmod(run: Run) -> str | None:
    letters, longs, operands = _split_options(run.args)
    if "R" in letters or _abbreviates(longs, "recursive", 3):
        hit = next((t for t in operands if system_ish(t)), None)
        if hit is not None:
            return f"recursive {run.name} on {hit!r}"
    return None


def _find(run: Run) -> str | None:
    starts, actions, delete = find_parts(run.args)
    hit = next((s.text for s in starts if system_ish(s.text)), None)
    if hit is None:
        return None
    names = {basename(a[0].text) for a in actions if a}
    if delete or names & _DESTROYERS:
        return f"find {hit} deletes or changes files system-wide"
    return None


def _rsync(run: Run) -> str | None:
    _, longs, operands = _split_options(run.args)
    deletes = any(n.startswith("del") or n == "remove-source-files" for n in longs)
    if deletes and len(operands) >= 2 and system_ish(operands[-1]):
        return f"rsync --delete onto {operands[-1]!r}"
    return None


def _mv(run: Run) -> str | None:
    _, _, operands = _split_options(run.args)
    hit = next((t for t in operands[:-1] if system_ish(t)), None)
    return None if hit is None else f"moves {hit!r} away"


def _device(run: Run) -> str | None:
    args = [w.text for w in run.args]
    if run.name == "dd":
        targets = [a[3:] for a in args if a.startswith("of=")]
    elif run.name in ("cp", "mv", "install"):
        targets = args[-1:]
    else:
        targets = args
    if any(DISK.match(t) for t in targets):
        return f"{run.name} writes directly onto a disk device"
    return None


def _mkfs(run: Run) -> str | None:
    return f"{run.name} destroys a filesystem"


def _stop(run: Run) -> str | None:
    args = {w.text for w in run.args}
    if run.name in ("shutdown", "reboot", "halt", "poweroff"):
        return f"{run.name} stops the machine"
    verbs = {"poweroff", "reboot", "halt", "kexec", "emergency", "rescue", "suspend"}
    if run.name in ("systemctl", "loginctl") and args & verbs:
        return f"{run.name} {sorted(args & verbs)[0]} stops the machine"
    if run.name in ("init", "telinit") and args & {"0", "1", "6", "s", "S"}:
        return f"{run.name} changes the runlevel"
    return None


def _kill(run: Run) -> str | None:
    if run.name == "killall5":
        return "killall5 kills every process"
    args = [w.text for w in run.args]
    i = 0
    if args and args[0] in ("-s", "-n", "--signal"):
        i = 2
    elif args and args[0].startswith("-") and args[0] != "--":
        i = 1  # the signal: `kill -9`, `kill -KILL`, `kill -1` (SIGHUP)
    if args[i : i + 1] == ["--"]:
        i += 1
    return "kills every process" if "-1" in args[i:] else None


RULES: dict[str, Callable[[Run], str | None]] = {
    "rm": _rm,
    **dict.fromkeys(("chmod", "chown", "chgrp"), _chmod),
    "find": _find,
    "rsync": _rsync,
    "mv": _mv,
    **dict.fromkeys(("mkfs", "wipefs", "mke2fs"), _mkfs),
    **dict.fromkeys(("shutdown", "reboot", "halt", "poweroff", "systemctl"), _stop),
    **dict.fromkeys(("loginctl", "init", "telinit"), _stop),
    **dict.fromkeys(("kill", "killall5"), _kill),
}
_DEVICE_WRITERS = {"dd", "tee", "cp", "install", "shred", "blkdiscard", "fdisk", "sfdisk"}
_DEVICE_WRITERS |= {"cfdisk", "parted", "sgdisk", "gdisk", "mkswap", "badblocks", "hdparm"}


def program_rule(run: Run) -> str | None:
    """Why this run of a program is on the deny-list, or None."""
    if run.name.startswith("mkfs"):
        return _mkfs(run)
    reason = _device(run) if run.name in _DEVICE_WRITERS else None
    rule = RULES.get(run.name)
    return reason or (rule(run) if rule else None)


# git: `-c` settings whose value git runs as a command, and refspecs that rewrite history
_GIT_COMMAND_KEYS = re.compile(
    r"core\.(?:pager|editor|sshcommand|fsmonitor|askpass)|sequence\.editor|diff\.external"
    r"|pager\..+|diff\..+\.(?:textconv|command)|merge\..+\.driver|filter\..+\.(?:clean|smudge"
    r"|process)|credential(?:\..+)?\.helper|gpg(?:\..+)?\.program|uploadpack\.packobjectshook"
    r"|remote\..+\.(?:receivepack|uploadpack)|interactive\.difffilter"
)
_GIT_VALUE_OPTIONS = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env"}
_FORCE = ("force", "force-with-lease", "force-if-includes")


def git_rule(args: list[Word]) -> tuple[str | None, list[tuple[str, Word]]]:
    """Why this git invocation is on the deny-list (or None), and the shell text it would run
    through `-c` settings, `git config` values and `!` aliases, for the caller to check."""
    config: dict[str, str] = {}
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        if args[i].text == "-c" and i + 1 < len(args):
            key, _, value = args[i + 1].text.partition("=")
            config[key.lower()] = value
        i += 2 if args[i].text in _GIT_VALUE_OPTIONS else 1
    sub = [w.text for w in args[i:]]
    if sub[:1] == ["config"]:  # `git config KEY VALUE` keeps it for every later command
        operands = [t for t in sub[1:] if not t.startswith("-")]
        if len(operands) >= 2:
            config[operands[0].lower()] = operands[1]
    like = args[0] if args else Word("", "")
    scripts = [
        (f"git config {key}", literal(value.lstrip("!"), like))
        for key, value in config.items()
        if _GIT_COMMAND_KEYS.fullmatch(key) or (key.startswith("alias.") and value[:1] == "!")
    ]
    for key, value in config.items():
        if key.startswith("remote.") and key.endswith(".push") and value.startswith("+"):
            return "force-pushes (a `+` push refspec in the config)", scripts
        if key.startswith("remote.") and key.endswith(".mirror") and value.lower() != "false":
            return "mirror-pushes (overwrites and deletes remote refs)", scripts
        if key.startswith("alias.") and value.split()[:1] in (["push"], ["send-pack"]):
            reason = _push(value.split()[1:])
            if reason:
                return f"{reason} through a git alias", scripts
    for _ in range(8):  # an alias may name another alias
        alias = config.get(f"alias.{sub[0].lower()}") if sub else None
        if alias is None or alias.startswith("!"):
            break
        sub = alias.split() + sub[1:]
    if not sub or sub[0] not in ("push", "send-pack"):
        return None, scripts
    for text in sub:  # a local remote runs these commands here
        name, eq, value = text.partition("=")
        if eq and name in ("--receive-pack", "--exec"):
            scripts.append((f"git push {name}", literal(value, like)))
    return _push(sub[1:]), scripts


def _push(args: list[str]) -> str | None:
    operands: list[str] = []
    done = False
    for i, text in enumerate(args):
        if done or not text.startswith("-") or text == "-":
            operands.append(text)
        elif text == "--":
            done = True
        elif text.startswith("--"):
            name = text[2:].partition("=")[0]
            if any(f.startswith(name) for f in _FORCE) and name:
                return "force-pushes (rewrites shared history)"
            if name and "mirror".startswith(name):
                return "mirror-pushes (overwrites and deletes remote refs)"
            if name and "delete".startswith(name):
                return "deletes a remote branch"
            if len(name) > 1 and "prune".startswith(name):
                return "prunes remote branches"
        else:
            letters = text[1:].split("o", 1)[0]  # `-o VALUE` takes the rest
            if "f" in letters:
                return "force-pushes (rewrites shared history)"
            if "d" in letters:
                return "deletes a remote branch"
            if text[1:].endswith("o") and i + 1 < len(args):
                args[i + 1] = ""  # the push option's value is no refspec
    for refspec in operands[1:]:
        if refspec.startswith("+"):
            return "force-pushes (a `+` refspec rewrites shared history)"
        if refspec.startswith(":") and len(refspec) > 1:
            return "deletes a remote branch (`:branch`)"
    return None
