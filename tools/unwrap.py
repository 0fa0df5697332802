"""The programs a simple command really runs, past the wrappers in front of them.

`timeout -s KILL 9 sudo -u root env -i nice -n 5 rm -rf /` runs `rm` as root. `peel` walks
such a chain with each wrapper's own option syntax (which options take a value, how many
operands come before the command), and collects:

- `runs`: every program started, with its arguments (`find -exec CMD ;` and `xargs CMD` add
  theirs),
- `scripts`: shell text the command hands to a shell (`bash -c BODY`, `eval`, `trap`, `watch`,
  `su -c`, `flock -c`, `env -S`, `parallel`, `alias`, variables such as `GIT_SSH_COMMAND`),
- `as_root`: the wrappers that switch user (`sudo`, `doas`, `su`, `pkexec`, `run0`),
- `problems`: a program known only when the line runs (`$X args`, `$(which rm) -rf /`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from tools.bashparse import Word

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "yash", "posh", "rbash"}
SHELLS |= {"csh", "tcsh"}
ROOT = {"sudo", "doas", "su", "pkexec", "run0", "sudoedit"}
# variables whose value a program runs as a shell command
COMMAND_VARIABLES = {"GIT_SSH_COMMAND", "GIT_SSH", "GIT_PAGER", "PAGER", "GIT_EDITOR", "EDITOR"}
COMMAND_VARIABLES |= {"VISUAL", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF"}
COMMAND_VARIABLES |= {"PROMPT_COMMAND", "GIT_SEQUENCE_EDITOR", "MANPAGER", "SYSTEMD_PAGER"}
_ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)=(.*)", re.S)


@dataclass(frozen=True)
class _Spec:
    short: str = ""  # short options that take a value (`-n 5`, `-n5`)
    long: frozenset[str] = frozenset()  # long options that take a value as the next word
    operands: int = 0  # operands before the command (timeout's duration, chroot's root)
    no_command: str = ""  # short options after which no command follows (`command -v`)
    root: bool = False


def _spec(
    short: str = "", long: str = "", operands: int = 0, no_command: str = "", root: bool = False
) -> _Spec:
    return _Spec(short, frozenset(long.split()), operands, no_command, root)


WRAPPERS: dict[str, _Spec] = {
    "env": _spec("uCS", "unset chdir split-string"),
    "nice": _spec("n", "adjustment"),
    "ionice": _spec("cnpPut", "class classdata pid pgid uid", no_command="pPu"),
    "stdbuf": _spec("ioe", "input output error"),
    "time": _spec("fo", "format output"),
    "command": _spec(no_command="vV"),
    "exec": _spec("a"),
    "timeout": _spec("sk", "signal kill-after", operands=1),
    "xargs": _spec("adEILnPs", "arg-file delimiter max-args max-procs max-chars"),
    "sudo": _spec("ugCDhprtTU", "user group chdir host prompt role type other-user", root=True),
    "doas": _spec("uC", root=True),
    "pkexec": _spec(long="user", root=True),
    "run0": _spec("uDg", "user chdir group", root=True),
    "chroot": _spec(operands=1),
    "unshare": _spec("SGRwl", "setuid setgid root wd load-interp propagation setgroups"),
    "taskset": _spec(operands=1, no_command="p"),
    "chrt": _spec(operands=1, no_command="p"),
    "strace": _spec("abeEIoOpPsSuUX"),
    "ltrace": _spec("aAeEfFlnopsSuwx"),
    "nsenter": _spec("tSGrw", "target setuid setgid root wd"),
    "caffeinate": _spec("tw"),
    "fakeroot": _spec("is"),
    "proxychains": _spec("f"),
    "proxychains4": _spec("f"),
    # wrappers without options of their own that take a value
    **{name: _spec() for name in ("nohup", "setsid", "builtin", "chronic", "eatmydata")},
}


@dataclass
class Run:
    program: Word
    name: str  # basename of the program
    args: list[Word]


@dataclass
class Peeled:
    runs: list[Run] = field(default_factory=list)
    scripts: list[tuple[str, Word]] = field(default_factory=list)  # (what runs it, the text)
    as_root: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def basename(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1]


def literal(text: str, like: Word | None = None) -> Word:
    """A word made by a wrapper (`env -S` splitting, `find -exec` arguments)."""
    return Word(
        text,
        text,
        like.literal if like else True,
        like.dynamic if like else False,
        like.inner if like else [],
    )


def joined(words: list[Word]) -> Word:
    """Words a program joins with spaces and hands to a shell (`eval a b`, `watch a b`)."""
    inner = [c for w in words for c in w.inner]
    text = " ".join(w.text for w in words)
    return Word(text, text, all(w.literal for w in words), any(w.dynamic for w in words), inner)


_HIDDEN = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)?|`[^`]*`?|\$[\w@*#?$!-]|<\(.*")


def program_unknown(word: Word) -> bool:
    """Whether the program's own name (after the last `/`) is only known at run time."""
    if word.procsub:
        return True
    name = basename(_HIDDEN.sub("\0", word.text)) if word.dynamic else basename(word.text)
    return "\0" in name or bool(re.search(r"[*?]|\[.+\]", name))


def _options(args: list[Word], spec: _Spec) -> tuple[int, bool, Word | None]:
    """Skip a wrapper's options: where its command starts, whether one can follow, and the
    value of env's `-S`/`--split-string` (a whole command given as one word)."""
    env = spec is WRAPPERS["env"]
    i = 0
    while i < len(args):
        word = args[i]
        text = word.text
        if text == "--":
            return i + 1, True, None
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            if env and name == "split-string":
                return _split_value(args, i, value if eq else None)
            i += 1 if eq or name not in spec.long else 2
            continue
        if (text == "-" and not env) or not text.startswith("-"):
            return i, True, None
        for k, letter in enumerate(text[1:], start=1):
            if letter in spec.no_command:
                return len(args), False, None
            if letter in spec.short:
                value = text[k + 1 :]
                if env and letter == "S":
                    return _split_value(args, i, value or None)
                i += 1 if value else 2
                break
        else:
            i += 1  # flags only, `-5` included (`nice -5`)
    return i, True, None


def _split_value(args: list[Word], i: int, attached: str | None) -> tuple[int, bool, Word | None]:
    if attached is not None:
        return i + 1, True, literal(attached, args[i])
    return i + 2, True, args[i + 1] if i + 1 < len(args) else None


def peel(words: list[Word], out: Peeled, feed: list[Word] | None = None) -> None:
    """Follow `words` through every wrapper to the programs it runs; results go to `out`.
    `feed`: words known to arrive on stdin (`echo / | xargs rm -rf`), which xargs appends."""
    words = [w for w in words if w.text or not w.literal]
    for _ in range(16):  # wrappers of wrappers; a longer chain is not a real command
        if not words:
            return
        first = words[0]
        name = basename(first.text)
        if program_unknown(first):
            out.problems.append(f"the program `{first.source}` is only known when it runs")
            return
        args = words[1:]
        spec = WRAPPERS.get(name)
        if spec is None:
            special = _SPECIAL.get(name)
            if special is None:
                out.runs.append(Run(first, name, args))
                body = shell_mode(args).body if name in SHELLS else None
                if body is not None:
                    out.scripts.append((f"{name} -c", body))
                return
            words = special(first, args, out)
            continue
        if spec.root:
            out.as_root.append(name)
        if name == "env":
            args = _env_assignments(args, out)
        start, has_command, split = _options(args, spec)
        if split is not None:  # env -S 'cmd args': env reads the split words as arguments
            words = [first, *(literal(t, split) for t in _split(split.text)), *args[start:]]
            continue
        if not has_command:
            return
        rest = args[start + min(spec.operands, len(args) - start) :]
        words = _env_assignments(rest, out) if name == "env" else rest
        if name == "xargs":
            words = [*(words or [literal("echo")]), *(feed or [])]
    out.problems.append("it nests wrappers too deeply to follow")


def _env_assignments(args: list[Word], out: Peeled) -> list[Word]:
    """Drop `NAME=value` words before env's command, noting values that are commands."""
    i = 0
    while i < len(args) and (m := _ASSIGNMENT.fullmatch(args[i].text)):
        if m[1] in COMMAND_VARIABLES:
            out.scripts.append((m[1], literal(m[2], args[i])))
        i += 1
    return args[i:]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


@dataclass
class ShellMode:
    body: Word | None = None  # `-c BODY`
    file: Word | None = None  # `bash script.sh`
    stdin: bool = False  # reads its script from stdin (no file, `-s`, or `-c` with no body)


def shell_mode(args: list[Word]) -> ShellMode:
    """Where a shell reads its script from, given its arguments."""
    command = stdin_flag = False
    i = 0
    while i < len(args):
        text = args[i].text
        if text in ("--", "-"):
            i += 1
            break
        if text.startswith("--"):
            i += 2 if text in ("--rcfile", "--init-file") else 1
            continue
        if not text.startswith(("-", "+")) or len(text) < 2:
            break
        letters = text[1:]
        command = command or "c" in letters
        stdin_flag = stdin_flag or "s" in letters
        i += 1 + letters.count("o") + letters.count("O")  # `-o pipefail`, `-O extglob`
    rest = args[i:]
    if command:
        return ShellMode(body=rest[0] if rest else None, stdin=not rest)
    if rest and not stdin_flag:
        return ShellMode(file=rest[0])
    return ShellMode(stdin=True)


def find_parts(args: list[Word]) -> tuple[list[Word], list[list[Word]], bool]:
    """`find`'s start paths, the commands of its -exec/-execdir/-ok/-okdir actions, and
    whether it has -delete."""
    i = 0
    while i < len(args) and re.fullmatch(r"-[HLP]|-D|-O\d*", args[i].text):
        i += 2 if args[i].text == "-D" else 1
    starts: list[Word] = []
    while i < len(args) and not args[i].text.startswith(("-", "(", "!", ")")):
        starts.append(args[i])
        i += 1
    actions: list[list[Word]] = []
    delete = False
    while i < len(args):
        text = args[i].text
        if text == "-delete":
            delete = True
        if text in ("-exec", "-execdir", "-ok", "-okdir"):
            end = i + 1
            while end < len(args) and args[end].text not in (";", "+"):
                end += 1
            actions.append(args[i + 1 : end])
            i = end
        i += 1
    return starts or [literal(".")], actions, delete


def _find(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    out.runs.append(Run(first, "find", args))
    for action in find_parts(args)[1]:
        peel(action, out)
    return []


def _script_option(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    """`su -c CMD`, `script -c CMD`: the option's value is shell text."""
    name = basename(first.text)
    if name in ROOT:
        out.as_root.append(name)
    out.runs.append(Run(first, name, args))
    for i, word in enumerate(args):
        text = word.text
        if text in ("-c", "--command", "--session-command") and i + 1 < len(args):
            out.scripts.append((f"{name} {text}", args[i + 1]))
        elif text.startswith("--command="):
            out.scripts.append((f"{name} --command", literal(text[10:], word)))
    return []


def _flock(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    """`flock [options] FILE -c CMD` or `flock [options] FILE CMD ARGS…`."""
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        if args[i].text in ("-c", "--command") and i + 1 < len(args):
            out.scripts.append(("flock -c", args[i + 1]))
            return []
        i += 2 if args[i].text in ("-w", "--timeout", "-E", "--conflict-exit-code") else 1
    rest = args[i + 1 :]  # past the lock file (or descriptor)
    if rest and rest[0].text in ("-c", "--command"):
        if len(rest) > 1:
            out.scripts.append(("flock -c", rest[1]))
        return []
    return rest


def _watch(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    i = 0
    exec_mode = False
    while i < len(args) and args[i].text.startswith("-"):
        text = args[i].text
        exec_mode = exec_mode or text in ("-x", "--exec")
        i += 2 if text in ("-n", "--interval", "-q", "--equexit") else 1
    if exec_mode:
        return args[i:]
    if args[i:]:
        out.scripts.append(("watch", joined(args[i:])))
    return []


def _parallel(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    i = 0
    while i < len(args) and args[i].text.startswith("-"):
        text = args[i].text
        i += (
            2 if re.fullmatch(r"-[jSNnLlIdEaC]|--(?:jobs|sshlogin|delimiter|arg-file)", text) else 1
        )
    marks = (":::", "::::", ":::+", "::::+")
    end = next((k for k in range(i, len(args)) if args[k].text in marks), len(args))
    command, values = args[i:end], [w for w in args[end:] if w.text not in marks]
    if any("{}" in w.text for w in command):
        command = [
            literal(w.text.replace("{}", " ".join(v.text for v in values)), w) for w in command
        ]
    else:
        command = [*command, *values]
    if command:
        out.scripts.append(("parallel", joined(command)))
    return []


def _eval(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    if args:
        out.scripts.append(("eval", joined(args)))
    return []


def _trap(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    args = [w for w in args if w.text not in ("--", "-p", "-l")]
    if args and args[0].text != "-" and not args[0].text.isdigit():
        out.scripts.append(("trap", args[0]))
    return []


def _alias(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    for word in args:
        name, eq, value = word.text.partition("=")
        if eq:
            out.scripts.append((f"alias {name}", literal(value, word)))
    return []


def _busybox(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    return args


def _declare(first: Word, args: list[Word], out: Peeled) -> list[Word]:
    _env_assignments([w for w in args if not w.text.startswith("-")], out)
    return []


_Handler = Callable[[Word, list[Word], Peeled], list[Word]]
_SPECIAL: dict[str, _Handler] = {
    "find": _find,
    "su": _script_option,
    "script": _script_option,
    "flock": _flock,
    "watch": _watch,
    "parallel": _parallel,
    "eval": _eval,
    "trap": _trap,
    "alias": _alias,
    "busybox": _busybox,
    **dict.fromkeys(("export", "declare", "local", "readonly", "typeset"), _declare),
}
