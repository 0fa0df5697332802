"""What redaction costs every output (minimax_agent/redact.py), side by side with what the
sink does anyway.

1. A 30 KB tool result redacted 1000 times, with no secret in it and with three, next to
   `json.dumps` of the same text (which the session writer and json sinks do to it anyway),
   as microseconds per call and their ratio.
2. A streamed answer fed in 7-character deltas (the fake server's chunk size) through a stream
   redactor, per delta, next to the same deltas `json.dumps`ed as stream-json lines.
3. `current()`, the process redactor (once per step and per record in the sinks).

The environment holds the usual secrets of a developer machine (a provider key, AWS keys, a
GitHub token, a DATABASE_URL with a password).

Run: .venv/bin/python benchmarks/redact_overhead.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRETS = {
    "OPENROUTER_API_KEY": "sk-or-v1-" + "a1b2c3d4" * 8,
    "MYCLUSTER_KEY": "clusterkey-9f8e7d6c5b",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "GITHUB_TOKEN": "ghp_" + "x" * 36,
    "DATABASE_URL": "postgres://u:s3cretpw@db/x",
}


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls
    os.environ.update(SECRETS)
    from minimax_agent.redact import current

    redactor = current()
    rnd = random.Random(1)
    words = (
        "".join(rnd.choice(string.ascii_letters) for _ in range(rnd.randint(2, 10)))
        for _ in range(10_000)
    )
    clean = " ".join(words)[:30_000]
    dirty = (
        clean[:10_000]
        + f" {SECRETS['AWS_ACCESS_KEY_ID']} "
        + clean[10_000:20_000]
        + " https://u:p@host/x "
        + clean[20_000:29_900]
        + f" {SECRETS['OPENROUTER_API_KEY']}"
    )
    print(f"{redactor!r}, {len(clean):,} characters, {calls} calls each")
    for name, text in (("no secret", clean), ("3 secrets", dirty)):
        redact_us = per_call_us(lambda t=text: redactor.text(t), calls)  # type: ignore[misc]
        dumps_us = per_call_us(lambda t=text: json.dumps({"content": t}), calls)  # type: ignore[misc]
        print(
            f"  30 KB, {name:9}: redact {redact_us:7.1f} us   json.dumps {dumps_us:7.1f} us"
            f"   ratio {redact_us / dumps_us:.2f}"
        )
    pieces = [dirty[i : i + 7] for i in range(0, len(dirty), 7)]

    def stream() -> None:
        s = redactor.stream()
        for piece in pieces:
            s.feed(piece)
        s.flush()

    def lines() -> None:
        for piece in pieces:
            json.dumps({"type": "text", "step": 1, "text": piece})

    runs = max(1, calls // 100)
    stream_us = per_call_us(stream, runs) / len(pieces)
    lines_us = per_call_us(lines, runs) / len(pieces)
    print(
        f"  stream, {len(pieces):,} deltas: redact {stream_us:5.2f} us/delta   "
        f"stream-json line {lines_us:5.2f} us/delta   ratio {stream_us / lines_us:.2f}"
    )
    print(f"  current(): {per_call_us(current, calls):.1f} us (once per step or record)")


if __name__ == "__main__":
    main()
