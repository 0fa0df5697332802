"""How the M2 parser's time grows with the length of a streamed parameter value.

A `write_file` call whose `content` is 200 KB, 800 KB and 3.2 MB of plain text, or of C-like
code full of `>` and `<` (`a->b`, `x >> 2`, `vector<int>`, `</div>`), streamed in 1-character
and 7-character chunks (the sizes a server's SSE deltas and a local model's tokens come in).
For each it prints MB/s and the growth of the time per ×4 of size: linear is 4.0×.
Targets: at most 4.5× per ×4, and at least 2 MB/s in 1-character chunks. Times are the
process's CPU time, best of N, so that other work on the machine does not blur the ratios.

Run: .venv/bin/python benchmarks/parse_stream.py [--sizes 200000,800000,3200000] [--runs N]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minimax_agent.dialect import dialect_for  # noqa: E402
from minimax_agent.events import ToolCall  # noqa: E402
from minimax_agent.messages import ToolSpec  # noqa: E402

TOOLS = [
    ToolSpec(
        name="write_file",
        description="Write a file.",
        parameters={
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        },
    )
]
PLAIN = "The quick brown fox jumps over the lazy dog, then naps in the sun; "
CODE = (
    "if (node->next >= limit && flags >> 2 > mask) { out.push(node->value); }  "
    "// vector<int> v; a<b; </div>\n"
)


def body(kind: str, size: int) -> str:
    unit = PLAIN if kind == "plain" else CODE
    return (unit * (size // len(unit) + 1))[:size] + "."


def turn(value: str) -> str:
    return (
        "Plan the file.</think>\n\nWriting it.\n<minimax:tool_call>\n"
        '<invoke name="write_file">\n<parameter name="path">out.c</parameter>\n'
        f'<parameter name="content">{value}</parameter>\n</invoke>\n</minimax:tool_call>'
    )


def parse_seconds(raw: str, step: int, value: str) -> float:
    chunks = [raw[i : i + step] for i in range(0, len(raw), step)]
    gc.collect()
    parser = dialect_for().stream_parser(TOOLS)
    start = time.process_time()
    for chunk in chunks:
        parser.feed(chunk)
    events = parser.finish()
    elapsed = time.process_time() - start
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    if call.arguments.get("content") != value:  # a fast wrong answer is no answer
        raise SystemExit(f"the parser cut the {len(value)}-character value")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000,800000,3200000")
    parser.add_argument("--runs", type=int, default=5, help="best of N runs per cell")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'value':<6} {'chunk':>5} " + " ".join(f"{s / 1e6:>9.1f} MB" for s in sizes), end="")
    print("   growth per x4")
    worst_growth = 0.0
    slowest_one_char = float("inf")
    for kind in ("plain", "code"):
        for step in (1, 7):
            cells: list[str] = []
            times: list[float] = []
            for size in sizes:
                value = body(kind, size)
                raw = turn(value)
                seconds = min(parse_seconds(raw, step, value) for _ in range(args.runs))
                times.append(seconds)
                rate = len(raw) / seconds / 1e6
                if step == 1:
                    slowest_one_char = min(slowest_one_char, rate)
                cells.append(f"{rate:>7.2f} MB/s")
            growth = [b / a for a, b in itertools.pairwise(times)]
            worst_growth = max([worst_growth, *growth])
            shown = "  ".join(f"{g:.2f}x" for g in growth)
            print(f"{kind:<6} {step:>5} " + " ".join(cells) + f"   {shown}")
    print(
        f"\nworst growth per x4: {worst_growth:.2f}x (target <= 4.5x); "
        f"slowest 1-char rate: {slowest_one_char:.2f} MB/s (target >= 2)"
    )


if __name__ == "__main__":
    main()
