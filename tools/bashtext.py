"""Text-level pieces of bash that bashlex 0.18 lacks or gets wrong, used by `tools.bashparse`.

- `dequote`: quote removal with `$'…'` (ANSI-C escapes) and `$"…"`: bashlex reads `$'\\x72m'`
  as `$x72m`; bash runs `rm`.
- `braces`: brace expansion of comma lists: `{rm,-rf,/}` is the three words `rm -rf /`.
- `substitutions`: the commands inside `$(…)` and backticks of a here-document body or a `${…}`
  value, which bashlex leaves as plain text although bash runs them.
- `soften`: bashlex does not implement `time`, `((…))`, `$((…))`, `[[ … ]]` or quoted
  here-document delimiters (`<<'EOF'`); their safe forms are common in commands a model
  writes, so they are blanked to inert text of the same length (positions stay true). Any
  of them holding a substitution is left alone, so the parse fails and the line is unchecked.
"""

from __future__ import annotations

import itertools
import re


def braces(text: str) -> list[str]:
    """Bash brace expansion of comma lists (`{rm,-rf,/}`); `{1..3}` ranges stay as they are."""
    depth, start = 0, -1
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                inside = text[start + 1 : i]
                items = _top_level_split(inside)
                if len(items) > 1:
                    head, tail = text[:start], text[i + 1 :]
                    out = [head + x + rest for x in items for rest in braces(tail)]
                    return list(itertools.chain.from_iterable(braces(x) for x in out))[:64]
    return [text]


def _top_level_split(text: str) -> list[str]:
    items, depth, current = [], 0, ""
    for c in text:
        if c == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        current += c
    return [*items, current]


def substitutions(text: str) -> list[str] | None:
    """The commands of each `$(…)` and backtick in `text` (read as a here-document body), or
    None when one does not close."""
    found: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith("$(", i):
            end = _closing(text, i + 2)
            if end < 0:
                return None
            body = text[i + 2 : end]
            arithmetic = body.startswith("(") and body.endswith(")")
            found += (substitutions(body) or []) if arithmetic else [body]
            i = end + 1
        elif text[i] == "`":
            end = i + 1
            while end < len(text) and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                return None
            found.append(text[i + 1 : end].replace("\\`", "`"))
            i = end + 1
        else:
            i += 1
    return found


def _closing(text: str, start: int) -> int:
    """The index of the `)` closing a group opened just before `start`, or -1."""
    depth, i = 1, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 1
        elif c == "'":
            i = text.find("'", i + 1)
            if i < 0:
                return -1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b"}
_ANSI_ESCAPE = re.compile(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)", re.S
)


def _ansi_c(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m[1]
        if code[0] in "xuU":
            return chr(int(code[1:], 16)) if len(code) > 1 else m[0]  # `\x` alone stays
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        if code[0] == "c":
            return chr(ord(code[1]) & 0x1F)
        return _ANSI.get(code, {"f": "\f", "v": "\v"}.get(code, code))

    return _ANSI_ESCAPE.sub(one, body)


def dequote(source: str) -> str:
    """Quote removal as bash does it, `$'…'` (ANSI-C escapes) and `$"…"` included; bashlex
    gets these two wrong (`$'\\x72m'` is `rm`)."""
    out, i = [], 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            out.append(source[i + 1 : i + 2])
            i += 2
        elif source.startswith("$'", i):
            end = i + 2
            while end < len(source) and source[end] != "'":
                end += 2 if source[end] == "\\" else 1
            out.append(_ansi_c(source[i + 2 : end]))
            i = end + 1
        elif c == "'":
            end = source.find("'", i + 1)
            end = len(source) if end < 0 else end
            out.append(source[i + 1 : end])
            i = end + 1
        elif c == '"' or source.startswith('$"', i):
            i += 2 if c == "$" else 1
            while i < len(source) and source[i] != '"':
                if source[i] == "\\" and source[i + 1 : i + 2] in ('"', "\\", "$", "`"):
                    i += 1
                out.append(source[i])
                i += 1
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# Constructs bashlex 0.18 does not implement but whose safe forms are common in commands a
# model writes. Each is blanked without moving any other text, so positions stay true.
_SAFE_ARITHMETIC = re.compile(r"[^`'\";\\]*")
# `<<'EOF'`, `<<"EOF"`, `<<\EOF`: the quotes become blanks; the walker reads the original
_QUOTED_DELIMITER = re.compile(r"(?<!<)<<-?[ \t]*(?:(['\"])[A-Za-z_][\w.-]*\1|\\[A-Za-z_][\w.-]*)")
_TIME = re.compile(r"time(?:\s+-p)?(?=\s)")
_OPS = ";&|(){}!"


def soften(text: str) -> str:
    """`text` with `time`, `((…))`, `$((…))`, `[[ … ]]` and the quotes of here-document
    delimiters replaced by inert text of the same length, where nothing in them can run."""
    chars = list(text)
    for match in _QUOTED_DELIMITER.finditer(text):
        for k in range(match.start(), match.end()):
            if text[k] in "'\"\\":
                chars[k] = " "
    i = 0
    while i < len(text):
        if text.startswith("$((", i):
            end = _closing(text, i + 2)
            inside = text[i + 3 : end - 1] if end > 0 else ""
            if end > 0 and text[end - 1] == ")" and _inert(inside):
                chars[i : end + 1] = "0" * (end + 1 - i)
                i = end + 1
                continue
        elif _at_command_start(text, i):
            timed = _TIME.match(text, i)
            if timed:
                chars[i : timed.end()] = " " * (timed.end() - i)
            elif text.startswith("((", i):
                end = _closing(text, i + 1)
                if end > 0 and text[end - 1] == ")" and _inert(text[i + 2 : end - 1]):
                    chars[i : end + 1] = ":" + " " * (end - i)
            elif text.startswith("[[", i) and text[i + 2 : i + 3].isspace():
                end = _test_end(text, i + 2)
                if end > 0 and _inert(text[i + 2 : end], brackets=True):
                    chars[i : end + 2] = ":" + " " * (end + 1 - i)
        i += 1
    return "".join(chars)


def _inert(text: str, brackets: bool = False) -> bool:
    if "$(" in text or "`" in text or "<(" in text or ">(" in text:
        return False
    return brackets or bool(_SAFE_ARITHMETIC.fullmatch(text))


def _at_command_start(text: str, i: int) -> bool:
    """Whether position `i` starts a command: after an operator, a newline or a keyword."""
    if text[i] not in "t([" or (i > 0 and not text[i - 1].isspace() and text[i - 1] not in _OPS):
        return False
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j < 0 or text[j] in _OPS or text[j] == "\n":
        return True
    start = j
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPS:
        start -= 1
    return text[start : j + 1] in ("then", "do", "else", "elif", "if", "while", "until")


def _test_end(text: str, start: int) -> int:
    """The index of the `]]` that closes a `[[` whose body starts at `start`, or -1."""
    i = start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 1
        elif c in "'\"":
            i = text.find(c, i + 1)
            if i < 0:
                return -1
        elif text.startswith("]]", i) and text[i - 1].isspace():
            after = text[i + 2 : i + 3]
            if not after or after.isspace() or after in ";&|)":
                return i
        elif c == "\n":
            return -1
        i += 1
    return -1
