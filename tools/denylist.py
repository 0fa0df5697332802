"""Check a whole command line against the deny-list, the way bash will run it.

`check_command` parses the line (`tools.bashparse`), follows every simple command through its
wrappers (`tools.unwrap`), applies the per-program rules (`tools.denyrules`) to every program
that runs, and reads the shell text a command hands on (`bash -c BODY`, `eval`, a here-document
fed to a shell, `echo … | sh`) as a command line of its own. On top of the per-program rules it
knows what only the whole line shows: a download that ends up run by a shell or interpreter
(`curl … | sh`, `bash <(curl …)`, `sh -c "$(curl …)"`, `curl -o x.sh …; sh x.sh`), a write
redirected onto a disk device, switching to root, and a fork bomb.

A line it cannot follow (bashlex fails, a program named by `$X`, a script built at run time)
gives a finding with `listed=False`: "cannot be checked", which callers treat as dangerous.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tools.bashparse import MAX_DEPTH, Command, Word, parse
from tools.denyrules import DISK, git_rule, program_rule, rm_target_unknown
from tools.unwrap import COMMAND_VARIABLES, SHELLS, Peeled, Run, basename, literal, peel, shell_mode

FETCHERS = {"curl", "wget", "wget2", "fetch", "http", "https", "xh", "xhs", "aria2c", "curlie"}
FETCHERS |= {"lwp-request", "GET", "nc", "ncat", "netcat", "socat"}
INTERPRETER = re.compile(
    r"(?:python|pypy|perl|ruby|php|lua|tclsh)[\d.]*|node|nodejs|luajit|Rscript|deno|bun"
)
_STDIN_PATHS = {"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"}
_WRITES = {">", ">>", ">|", "&>", "&>>", "<>", ">&"}
_FORK_BOMB = re.compile(r"(\w+|:)\s*\(\)\s*\{\s*\1\s*\|\s*\1\s*&\s*\}")
_CURL_VALUES = set("odHXuAebcFTwxmrEKCYyzQtUP")
_WGET_VALUES = set("OoaPetTwQUiBlARDIX")


@dataclass(frozen=True)
class Finding:
    reason: str
    listed: bool  # True: on the deny-list; False: the line cannot be checked


def check_command(command: str) -> Finding | None:
    """Why `command` must not run unattended, or None when nothing on the deny-list is in it."""
    checker = _Checker()
    try:
        checker.script(command, 0)
    except (RecursionError, ValueError, IndexError, KeyError, AttributeError) as exc:
        # a line that trips the checker is one it could not check, never a safe one
        checker.unchecked.append(f"the checker failed on it ({type(exc).__name__})")
    if checker.listed:
        return Finding(checker.listed[0], True)
    if checker.unchecked:
        return Finding(f"cannot be checked: {checker.unchecked[0]}", False)
    return None


@dataclass
class _Checker:
    listed: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    downloaded: set[str] = field(default_factory=set)  # names of files the line downloads
    cwd: str = ""  # where a literal `cd` moved to (`cd / && rm -rf usr`); "": the workspace
    _peeled: dict[int, Peeled] = field(default_factory=dict)

    def script(self, text: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.unchecked.append("it nests shells too deeply to follow")
            return
        parsed = parse(text, depth)
        self.unchecked += parsed.problems
        if _FORK_BOMB.search(text):
            self.listed.append("a fork bomb")
        for name, body in parsed.functions.items():
            if any(r.name == name for c in body for r in self.peel(c).runs):
                self.listed.append(f"a fork bomb (function {name} starts itself)")
        for command in parsed.commands:
            for run in self.peel(command).runs:
                self.downloaded |= _downloads(run, command)
        for redirect in parsed.redirects:
            target = redirect.target
            if redirect.op in _WRITES and target is not None and DISK.match(target.text):
                self.listed.append("writes directly onto a disk device")
        for command in parsed.commands:
            self.command(command, depth)

    def peel(self, command: Command) -> Peeled:
        key = id(command)
        if key not in self._peeled:
            out = Peeled()
            peel(command.words, out, _echoed_words(command.upstream))
            self._peeled[key] = out
        return self._peeled[key]

    def command(self, command: Command, depth: int) -> None:
        peeled = self.peel(command)
        self.unchecked += peeled.problems
        if peeled.as_root:
            self.listed.append(f"runs a command as root ({peeled.as_root[0]})")
        for word in command.assignments:
            name, _, value = word.text.partition("=")
            if name in COMMAND_VARIABLES:
                self.body(name, literal(value, word), depth)
        for who, body in peeled.scripts:
            self.body(who, body, depth)
        for run in peeled.runs:
            self.run(run, command, depth)

    def body(self, who: str, word: Word, depth: int) -> None:
        """Shell text a command hands to a shell."""
        if word.dynamic and word.inner:
            if self.fetches(word.inner):
                self.listed.append(f"runs a downloaded script ({who})")
            else:
                self.unchecked.append(f"the script for {who} is only known when it runs")
            return
        self.script(word.text, depth + 1)

    def run(self, run: Run, command: Command, depth: int) -> None:
        if run.name in ("cd", "pushd"):
            self.change_directory(run)
        if run.name == "rm" and self.cwd:
            run = _relative_to(run, self.cwd)
        reason = program_rule(run)
        if reason:
            self.listed.append(reason)
        unknown = rm_target_unknown(run)
        if unknown:
            self.unchecked.append(unknown)
        if run.name == "git":
            reason, scripts = git_rule(run.args)
            if reason:
                self.listed.append(reason)
            for who, body in scripts:
                self.body(who, body, depth)
        if "/" in run.program.text and basename(run.program.text) in self.downloaded:
            self.listed.append(f"runs a downloaded file ({run.program.text})")
        if run.name in SHELLS:
            mode = shell_mode(run.args)
            if mode.stdin:
                self.stdin_script(run.name, command, depth)
            if mode.file is not None:
                self.script_file(run.name, mode.file, command, depth)
        elif run.name in ("source", "."):
            if run.args and run.args[0].text in _STDIN_PATHS:
                self.stdin_script(run.name, command, depth)
            elif run.args:
                self.script_file(run.name, run.args[0], command, depth)
        elif INTERPRETER.fullmatch(run.name):
            stdin, file = _interpreter_input(run.args)
            if stdin and self.fetches(command.upstream):
                self.listed.append(f"pipes a download into {run.name}")
            if file is not None:
                self.script_file(run.name, file, command, depth, shell=False)

    def change_directory(self, run: Run) -> None:
        targets = [w for w in run.args if not w.text.startswith("-")]
        if not targets or targets[0].dynamic:
            self.cwd = ""  # unknown: rm targets are judged as written
        else:
            self.cwd = posixpath.join(self.cwd, targets[0].text)

    def stdin_script(self, who: str, command: Command, depth: int) -> None:
        """A shell reading its script from stdin: a pipeline, here-document or `< file`."""
        if self.fetches(command.upstream):
            self.listed.append(f"pipes a download into {who}")
            return
        for text in command.stdin_texts:
            self.script(text, depth + 1)
        if any(basename(f) in self.downloaded for f in command.stdin_files):
            self.listed.append(f"runs a downloaded script ({who} < file)")
        if command.upstream:
            made = _upstream_text(command.upstream)
            if made is None:
                self.unchecked.append(f"{who} runs a script an earlier pipeline stage makes")
            else:
                self.script(made, depth + 1)

    def script_file(
        self, who: str, word: Word, command: Command, depth: int, shell: bool = True
    ) -> None:
        if word.procsub:  # `bash <(curl …)`, `source <(…)`
            if self.fetches(word.inner):
                self.listed.append(f"runs a downloaded script ({who} <(…))")
            elif shell:
                text = _upstream_text(word.inner)
                if text is None:
                    self.unchecked.append(f"the script for {who} is only known when it runs")
                else:
                    self.script(text, depth + 1)
        elif basename(word.text) in self.downloaded:
            self.listed.append(f"runs a downloaded script ({who} {word.text})")

    def fetches(self, commands: list[Command], depth: int = 0) -> bool:
        """Whether any of these commands downloads (directly, wrapped, or in a shell body)."""
        for command in commands:
            peeled = self.peel(command)
            if any(r.name in FETCHERS for r in peeled.runs):
                return True
            for _, body in peeled.scripts:
                if depth < 3 and self.fetches(parse(body.text).commands, depth + 1):
                    return True
                if self.fetches(body.inner, depth + 1):
                    return True
        return False


def _relative_to(run: Run, cwd: str) -> Run:
    """`run` with its relative operands joined to the directory a `cd` moved to."""
    args = [
        w
        if w.text.startswith(("-", "/", "~", "$")) or w.dynamic
        else literal(posixpath.join(cwd, w.text), w)
        for w in run.args
    ]
    return Run(run.program, run.name, args)


def _echoed_words(upstream: list[Command]) -> list[Word]:
    """What `echo`/`printf` stages put on stdin, as words (for `echo / | xargs rm -rf`)."""
    text = _upstream_text(upstream)
    return [literal(t) for t in text.split()] if text else []


def _upstream_text(upstream: list[Command]) -> str | None:
    """The text earlier pipeline stages write, when it is known: literal `echo`/`printf`
    words, here-documents through `cat`; "" for `cat FILE` (a file, like `bash FILE`); None
    when it is made at run time."""
    parts: list[str] = []
    for command in upstream:
        words = command.words
        if not words or any(w.dynamic for w in words):
            return None
        name = basename(words[0].text)
        args = [w.text for w in words[1:]]
        if name == "echo":
            parts.append(" ".join(a for a in args if not re.fullmatch(r"-[neE]+", a)))
        elif name == "printf":
            parts.append(" ".join(args).replace("\\n", "\n").replace("\\t", "\t"))
        elif name == "cat":
            parts += command.stdin_texts
        else:
            return None
    return "\n".join(parts)


def _interpreter_input(args: list[Word]) -> tuple[bool, Word | None]:
    """Whether an interpreter reads its program from stdin, and the program file it runs."""
    i = 0
    while i < len(args):
        text = args[i].text
        if text in ("-", "--"):
            return text == "-", args[i + 1] if text == "--" and i + 1 < len(args) else None
        if not text.startswith("-"):
            return False, args[i]
        if text.startswith("--"):
            if text in ("--eval", "--print", "--check"):
                return False, None
        elif set(text[1:2]) & set("cmeEp"):
            return False, None  # inline code (`-c`, `-e`) or a module (`-m`)
        elif len(text) == 2 and text[1] in "WXIrM":
            i += 1
        i += 1
    return True, None


def _url_path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # a malformed URL such as `http://[::1`
        return url.split("?")[0]


def _downloads(run: Run, command: Command) -> set[str]:
    """Names of the files a fetch (or a `tee` after one) writes."""
    if run.name == "tee":
        return {basename(w.text) for w in run.args if not w.text.startswith("-")}
    if run.name not in FETCHERS:
        return set()
    values = _WGET_VALUES if run.name.startswith("wget") else _CURL_VALUES
    remote = run.name.startswith("wget")  # wget saves under the URL's name by default
    names: set[str] = set()
    args = [w.text for w in run.args]
    for i, text in enumerate(args):
        following = args[i + 1] if i + 1 < len(args) else ""
        if text in ("--output", "--output-document"):
            names.add(following)
        elif text.startswith(("--output=", "--output-document=")):
            names.add(text.partition("=")[2])
        elif text in ("--remote-name", "--remote-name-all"):
            remote = True
        elif text.startswith("-") and not text.startswith("--"):
            for k, letter in enumerate(text[1:], start=1):
                if letter == "O" and not run.name.startswith("wget"):
                    remote = True
                elif letter in values:
                    value = text[k + 1 :] or following
                    if letter == ("O" if run.name.startswith("wget") else "o"):
                        names.add(value)
                        remote = False
                    break
    if remote:
        for text in args:
            if re.match(r"[a-z][\w+.-]*://", text):
                names.add(basename(_url_path(text)) or "index.html")
    for redirect in command.redirects:
        if redirect.op in (">", ">>", ">|") and redirect.target is not None:
            names.add(redirect.target.text)
    return {basename(n) for n in names if n and n != "-"}
