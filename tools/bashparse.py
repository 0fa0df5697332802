"""A bash command line as bash reads it: every simple command it runs, nested ones included.

bashlex does the parsing: quoting, `#` as a comment only at the start of a word, `;` `&&` `||`
`|` `&` and newlines, `$(…)`, backticks, `<(…)`, subshells, `{ }` groups, if/for/while bodies,
functions, redirections and here-documents. This module flattens its tree into `Command`s,
each with the pipeline stages that feed its stdin, and resolves what can be known before the
line runs: variables assigned literally on the same line, for-loop words, brace lists,
`$'…'` quoting, `$(…)` inside here-documents and `${…}`.

What bashlex cannot parse, or a nesting too deep to follow, lands in `Script.problems`. A caller
must treat such a line as unchecked, never as safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.bashtext import braces, dequote, soften, substitutions

MAX_DEPTH = 8
MAX_ALTERNATIVES = 16
_NAME = re.compile(r"[A-Za-z_]\w*")
_PARAM_REF = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")
_DECLARE = {"export", "declare", "local", "readonly", "typeset"}


@dataclass
class Word:
    text: str  # the value after quote removal; expansions that stay unknown are kept as written
    source: str  # as written on the command line
    literal: bool = True  # no expansion at all: the program gets exactly `text`
    dynamic: bool = False  # some of the value is only known when the line runs
    inner: list[Command] = field(default_factory=list)  # commands its substitutions run
    procsub: bool = False  # the whole word is `<(…)` or `>(…)`


@dataclass
class Redirect:
    op: str  # `>`, `>>`, `<`, `<<`, `<<<`, `>&`, `&>`, …
    target: Word | None  # None for a file-descriptor duplication such as `2>&1`


@dataclass
class Command:
    words: list[Word]
    assignments: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    upstream: list[Command] = field(default_factory=list)  # commands whose output is its stdin
    stdin_texts: list[str] = field(default_factory=list)  # here-documents and here-strings
    stdin_files: list[str] = field(default_factory=list)  # `< file`


@dataclass
class Script:
    commands: list[Command] = field(default_factory=list)
    functions: dict[str, list[Command]] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # exactly one simple command: no operator, substitution, comment, newline or rewrite
    simple: bool = False

    def merge(self, other: Script) -> None:
        self.commands += other.commands
        self.functions.update(other.functions)
        self.redirects += other.redirects
        self.problems += other.problems


@dataclass(frozen=True)
class _Stdin:
    upstream: tuple[Command, ...] = ()
    texts: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def parse(text: str, depth: int = 0) -> Script:
    """Every simple command `text` runs, as bash would read it."""
    bashlex = _bashlex()
    script = Script()
    if depth > MAX_DEPTH:
        script.problems.append("it nests commands too deeply to follow")
        return script
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return script  # blank or only comments: bashlex raises on these, bash runs nothing
    soft = soften(text)
    try:
        nodes = bashlex.parse(soft)
    except Exception as exc:  # bashlex raises many kinds; each means "not understood"
        detail = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        script.problems.append(f"the checker cannot parse it ({detail})")
        return script
    walker = _Walker(soft, text, depth, script)
    try:
        for node in nodes:
            walker.collect_variables(node)
        for node in nodes:
            walker.node(node, _Stdin())
    except (AttributeError, TypeError, IndexError, RecursionError) as exc:
        script.problems.append(f"the checker cannot follow it ({type(exc).__name__})")
        return script
    first = nodes[0] if len(nodes) == 1 else None
    script.simple = (
        first is not None
        and first.kind == "command"
        and soft == text
        and "\n" not in text.strip()
        and not soft[first.pos[1] :].strip()  # nothing after it: no comment
        and len(script.commands) == 1
        and not script.problems
    )
    return script


def _bashlex() -> Any:
    """bashlex, with its one known hang fixed: in 0.18 a `${` whose word has no `}` makes
    `subst._paramexpand` search back from -1 forever. It raises a parse error instead."""
    import bashlex
    from bashlex import errors, subst

    original = subst._paramexpand
    if not getattr(original, "checked_for_brace", False):

        def paramexpand(parser: Any, string: str, start: int) -> Any:
            if string[start + 1 : start + 2] == "{" and string.find("}", start + 2) < 0:
                raise errors.ParsingError("bad substitution: no closing '}'", string, start)
            return original(parser, string, start)

        paramexpand.checked_for_brace = True  # type: ignore[attr-defined]
        subst._paramexpand = paramexpand
    return bashlex


class _Walker:
    def __init__(self, text: str, original: str, depth: int, script: Script) -> None:
        self.text = text
        self.original = original
        self.depth = depth
        self.script = script
        self.values: dict[str, list[str]] = {}  # variable -> every literal value it is given
        self.unknown: set[str] = set()  # variables given a value known only at run time

    def collect_variables(self, node: Any) -> None:
        """Values given by `NAME=value`, `export NAME=value` and `for NAME in words`."""
        kind = node.kind
        if kind == "assignment":
            name, _, value = node.word.partition("=")
            self._remember(name.rstrip("+"), value, node)
        elif kind == "command":
            words = [p for p in node.parts if p.kind == "word"]
            if words and words[0].word in _DECLARE:
                for word in words[1:]:
                    name, eq, value = word.word.partition("=")
                    if eq and _NAME.fullmatch(name):
                        self._remember(name, value, word)
        elif kind == "for":
            words = [p for p in node.parts if p.kind == "word"]
            if words:
                for word in words[1:]:
                    self._remember(words[0].word, word.word, word)
        for child in _children(node):
            self.collect_variables(child)

    def _remember(self, name: str, value: str, node: Any) -> None:
        if any(p.kind in ("commandsubstitution", "processsubstitution") for p in node.parts):
            self.unknown.add(name)
        else:
            self.values.setdefault(name, []).append(value)

    def node(self, node: Any, stdin: _Stdin) -> None:
        kind = node.kind
        if kind == "command":
            self.command(node, stdin)
        elif kind == "pipeline":
            upstream = list(stdin.upstream)
            for stage in node.parts:
                if stage.kind == "pipe":
                    continue
                before = len(self.script.commands)
                self.node(stage, _Stdin(tuple(upstream), stdin.texts, stdin.files))
                upstream += self.script.commands[before:]  # earlier stages feed the later ones
        elif kind == "list":
            for part in node.parts:
                if part.kind != "operator":
                    self.node(part, stdin)
        elif kind == "compound":
            inner, _ = self.redirects(node.redirects, stdin)
            for part in node.list:
                if part.kind != "reservedword":
                    self.node(part, inner)
        elif kind in ("if", "for", "while", "until"):
            for part in node.parts:
                if part.kind == "word":
                    self.word(part)  # a for-loop's words: their substitutions run
                elif part.kind != "reservedword":
                    self.node(part, stdin)
        elif kind == "function":
            before = len(self.script.commands)
            self.node(node.body, stdin)
            self.script.functions[node.name.word] = self.script.commands[before:]
        elif kind == "word":
            self.word(node)
        elif kind not in ("reservedword", "operator", "pipe"):
            self.script.problems.append(f"it uses a construct the checker does not know ({kind})")

    def command(self, node: Any, stdin: _Stdin) -> None:
        inner, own = self.redirects([p for p in node.parts if p.kind == "redirect"], stdin)
        words: list[list[list[Word]]] = []  # per word: its alternatives, each a word list
        assignments: list[Word] = []
        for part in node.parts:
            if part.kind == "word":
                words.append(self.expand(self.word(part)))
            elif part.kind == "assignment":
                assignments.append(self.word(part))
        programs = words[0] if words else [[]]
        # the program's alternatives make separate commands; other words' alternatives all
        # become arguments, which can only add words to check
        rest = [w for alternatives in words[1:] for one in alternatives for w in one]
        for program in programs[:MAX_ALTERNATIVES]:
            argv = [*program, *rest]
            self.script.commands.append(
                Command(
                    argv,
                    assignments,
                    own,
                    list(inner.upstream),
                    list(inner.texts),
                    list(inner.files),
                )
            )

    def redirects(self, nodes: list[Any], stdin: _Stdin) -> tuple[_Stdin, list[Redirect]]:
        """Record the redirections; return what the command's stdin then is, and them."""
        upstream, texts, files = list(stdin.upstream), list(stdin.texts), list(stdin.files)
        own: list[Redirect] = []
        for node in nodes:
            target = self.word(node.output) if hasattr(node.output, "kind") else None
            own.append(Redirect(node.type, target))
            if node.type in ("<<", "<<-"):
                texts.append(self._heredoc(node, target))
            elif node.type == "<<<" and target is not None:
                texts.append(target.text)
            elif node.type in ("<", "<>") and target is not None:
                if target.procsub:
                    upstream += target.inner
                else:
                    files.append(target.text)
        self.script.redirects += own
        return _Stdin(tuple(upstream), tuple(texts), tuple(files)), own

    def _heredoc(self, node: Any, delimiter: Word | None) -> str:
        heredoc = getattr(node, "heredoc", None)
        body = str(heredoc.value) if heredoc is not None else ""
        lines = body.split("\n")
        if delimiter is not None and lines and lines[-1].strip() == delimiter.text:
            lines = lines[:-1]  # bashlex keeps the closing delimiter line
        if node.type == "<<-":
            lines = [line.lstrip("\t") for line in lines]
        text = "\n".join(lines)
        # soften() blanked the quotes of `<<'EOF'`; the original text still has them
        redirect = self.original[node.pos[0] : node.output.pos[1] + 1] if delimiter else ""
        quoted = any(c in redirect for c in "'\"\\")
        if not quoted:  # an unquoted delimiter: `$(…)` and backticks in the body run
            self.nested(text, "a here-document")
        return text

    def nested(self, text: str, where: str) -> list[Command]:
        """Parse the substitutions in `text` (a here-document, a `${…}` value)."""
        found = substitutions(text)
        if found is None:
            self.script.problems.append(f"{where} has an unbalanced substitution")
            return []
        commands: list[Command] = []
        for inner in found:
            sub = parse(inner, self.depth + 1)
            commands += sub.commands
            self.script.merge(sub)
        return commands

    def word(self, node: Any) -> Word:
        source = self.text[node.pos[0] : node.pos[1]]
        text = dequote(source) if ("$'" in source or '$"' in source) else node.word
        word = Word(text, source)
        for part in node.parts:
            if part.kind in ("commandsubstitution", "processsubstitution"):
                word.literal = False
                word.dynamic = True
                before = len(self.script.commands)
                self.node(part.command, _Stdin())
                word.inner += self.script.commands[before:]
                if part.kind == "processsubstitution" and part.pos == node.pos:
                    word.procsub = True
            elif part.kind == "parameter":
                word.literal = False
                value = str(part.value)
                if any(m in value for m in ("$(", "`")):
                    word.dynamic = True
                    word.inner += self.nested(value, "a ${…} expansion")
                if not (
                    _NAME.fullmatch(value) and value in self.values and value not in self.unknown
                ):
                    word.dynamic = True
        return word

    def expand(self, word: Word) -> list[list[Word]]:
        """The values a word can have, given the variables this line sets literally; each is
        the list of words it becomes."""
        if word.literal or not _PARAM_REF.search(word.text):
            return [split_word(word)]
        texts = [word.text]
        for _ in range(MAX_DEPTH):  # a value may name another variable; stop at loops
            grown: list[str] = []
            for text in texts:
                match = next(
                    (m for m in _PARAM_REF.finditer(text) if (m[1] or m[2]) in self.values), None
                )
                if match is None or (match[1] or match[2]) in self.unknown:
                    grown.append(text)
                    continue
                for value in self.values[match[1] or match[2]]:
                    grown.append(text[: match.start()] + value + text[match.end() :])
            if grown == texts:
                break
            texts = grown[:MAX_ALTERNATIVES]
        if texts == [word.text]:
            return [split_word(word)]
        # an unquoted resolved value is split on blanks (`X="rm -rf"; $X /`); split always,
        # which can only add words to check
        return [
            [
                x
                for part in text.split() or [""]
                for x in split_word(Word(part, word.source, False, word.dynamic, word.inner))
            ]
            for text in texts
        ]


def _children(node: Any) -> list[Any]:
    out: list[Any] = []
    for name in ("parts", "list"):
        out += [c for c in getattr(node, name, None) or [] if hasattr(c, "kind")]
    for name in ("command", "body", "output"):
        child = getattr(node, name, None)
        if hasattr(child, "kind"):
            out.append(child)
    return out


def split_word(word: Word) -> list[Word]:
    """A word as the program gets it: brace lists expanded (`{rm,-rf,/}` is three words)."""
    if "{" not in word.text or "'" in word.source:
        return [word]
    return [
        Word(value, word.source, word.literal, word.dynamic, word.inner, word.procsub)
        for value in braces(word.text)
    ]
