"""Tokens evaluated over a 20-step agent session, against the tokens each step actually adds.

Three ways to run the same kind of session, side by side:

1. minimax-agent's local backend: the real agent loop (read-only tools in a scratch git repo)
   on the `bench` random-weight model, with `--constrain-tools --tool-choice required` so that
   a random model calls a tool every step. Tokens evaluated come from llama.cpp's own counters.
2. Re-rendering and re-evaluating the whole prompt each step (what a backend without a cache
   does): the same conversation, each step's prompt rendered by the template and counted.
3. llama-cpp-python's `create_chat_completion` as the model of the same agent loop (its own
   session: the same grammar through `LlamaGrammar`, our parser on its output). It keeps its
   own KV prefix cache; tokens evaluated are what its `generate` reports it evaluates.
4. The C++ llama-server (scripts/build_llama_server.sh; `--llama-server PATH` or
   MINIMAX_AGENT_LLAMA_SERVER) serving the same model with the official MiniMax-M2 template
   from the llama-cpp-python sdist kept beside the binary, through our remote backend: the same
   grammar sent as `grammar` under the llamacpp-server preset's `tool_choice: "none"`, our parser
   on the XML. Tokens evaluated are its `timings.prompt_n` per step (mapped into
   `Usage.extra["tokens_evaluated"]`), checked against its /metrics `prompt_tokens_total`. Every
   earlier turn it must re-render from our echo: a byte that differs from what the model wrote
   breaks its prompt cache there.

"Tokens added" by a step is its prompt minus what the previous step already held (the previous
prompt and its generated tokens); the first step adds its whole prompt. llama-server never
evaluates the end-of-turn token it sampled last, so it re-evaluates one token a step more.

The bench model is built so that what it writes tokenizes back into the same tokens (quantize/
tiny.py: fillers built by their own merges; the grammar's tags as tokens, capped text ASCII),
as a real model's output does: otherwise a server that re-tokenizes a turn would lose its cache
inside it for reasons that have nothing to do with the echo.

`--dialect m3` runs the same session in the M3 format, on the tiny `minimax-m3` bench model
(quantize/tiny_m3.py): columns 1 and 2 only. llama-cpp-python and llama-server render the GGUF's
template without our `thinking_mode`, so their prompts would not be the ones our M3 grammar and
parser expect; the output says they were skipped.

Run: .venv/bin/python benchmarks/prefix_reuse.py [--model PATH] [--steps 20] [--dialect m3]
Target: ours within 1.05x of the tokens added. On the 2-core CPU machine the whole run takes about
15 minutes, most of it llama-cpp-python, which applies the grammar to the whole vocabulary at
every token (`--skip-llama-cpp-python` leaves it out).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from minimax_agent.agent import Hooks  # noqa: E402  (after the path is set)

MAX_CHARS = 24  # free-text cap in the grammar, so the random model can close every call
TASK = "Find where the configuration is read and explain it."


class ProgressHooks(Hooks):
    """Shows each step on stderr (a session takes minutes on CPU); approves nothing."""

    def __init__(self, label: str) -> None:
        self.label = label

    def on_event(self, event: Any) -> None:
        from minimax_agent.events import StepStarted

        if isinstance(event, StepStarted):
            print(f"{self.label}: step {event.step}", file=sys.stderr, flush=True)


class LlamaCppPythonBackend:
    """llama-cpp-python's chat completion as an agent backend (for comparison only)."""

    name = "llama-cpp-python"

    def __init__(self, llm: Any, grammar: str, max_tokens: int) -> None:
        from llama_cpp import LlamaGrammar

        self.llm = llm
        self.grammar = LlamaGrammar.from_string(grammar, verbose=False)
        self.max_tokens = max_tokens

    def stream(self, request: Any) -> Iterator[Any]:
        from minimax_agent.dialect import dialect_for
        from minimax_agent.events import Finish, Usage
        from minimax_agent.messages import template_messages

        report = io.StringIO()
        with contextlib.redirect_stderr(report):  # where its verbose prefix-match lines go
            out = self.llm.create_chat_completion(
                messages=template_messages(request.messages),
                tools=[t.openai_shape() for t in request.tools],
                grammar=self.grammar,
                max_tokens=self.max_tokens,
                temperature=1.0,
                top_k=40,
                top_p=0.95,
                min_p=0.0,
            )
        usage = out["usage"]
        hit = re.findall(r"remaining (\d+) prompt tokens to eval", report.getvalue())
        evaluated = int(hit[-1]) if hit else usage["prompt_tokens"]
        parser = dialect_for().stream_parser(request.tools)
        events = parser.feed(out["choices"][0]["message"]["content"] or "") + parser.finish()
        yield from events
        yield Usage(
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            extra={"tokens_evaluated": evaluated},
        )
        yield Finish(reason="stop", message=parser.message())


def scratch_repo(root: Path) -> Path:
    files = {
        "app/config.py": "import tomllib\n\n\ndef load(path):\n"
        "    return tomllib.load(open(path, 'rb'))\n",
        "app/main.py": "from app.config import load\n\nSETTINGS = load('settings.toml')\n",
        "settings.toml": "name = 'demo'\n",
        "README.md": "# demo\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    env = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), *env, "commit", "-qm", "init"], check=True)
    return root


def run_session(
    backend: Any, repo: Path, steps: int, label: str, max_tokens: int | None = None
) -> Any:
    from minimax_agent.agent import Agent, Limits
    from minimax_agent.config import ApprovalMode
    from minimax_agent.session.prompt import system_prompt
    from tools import default_tools
    from tools.approval import ApprovalPolicy
    from tools.workspace import Workspace

    workspace = Workspace(repo)
    agent = Agent(
        backend,
        default_tools(read_only=True),
        workspace,
        ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=False),
        ProgressHooks(label),
        system_prompt=system_prompt(workspace.root),
        limits=Limits(max_steps=steps, max_consecutive_errors=steps + 1, max_tokens=max_tokens),
    )
    result = agent.run(TASK)
    return agent, result


SDIST = "llama_cpp_python-0.3.36.tar.gz"
M2_TEMPLATE = "llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates/MiniMax-M2.jinja"


def prompt_tokens_total(root: str) -> int:
    """llama-server's count of prompt tokens it has evaluated (its /metrics, with --metrics)."""
    import httpx

    text = httpx.get(f"{root}/metrics", timeout=10).text
    hit = re.search(r"^llamacpp:prompt_tokens_total (\S+)$", text, re.M)
    return int(float(hit.group(1))) if hit else -1


@contextlib.contextmanager
def llama_server(binary: Path, model: Path, tmp: Path, threads: int, n_ctx: int) -> Iterator[str]:
    """llama-server on a free port with the official template; yields its root URL."""
    import httpx

    sdist = binary.parent / SDIST
    with tarfile.open(sdist) as tar:
        member = tar.extractfile(M2_TEMPLATE)
        assert member is not None, f"{M2_TEMPLATE} is not in {sdist}"
        (tmp / "MiniMax-M2.jinja").write_bytes(member.read())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = (tmp / "llama-server.log").open("w")
    args = [str(binary), "--model", str(model), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--ctx-size", str(n_ctx), "--parallel", "1", "--threads", str(threads), "--jinja"]
    args += ["--chat-template-file", str(tmp / "MiniMax-M2.jinja"), "--metrics", "--seed", "1"]
    # The tiny GGUFs say they were trained on 4096 tokens, where llama-server caps a slot.
    args += ["--override-kv", f"minimax-m2.context_length=int:{n_ctx}"]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"llama-server exited; see {log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{root}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def server_session(
    binary: Path, model: Path, tmp: Path, args: argparse.Namespace, threads: int
) -> tuple[list[Any], int]:
    """The session through our remote backend against llama-server: (usages, /metrics delta)."""
    from minimax_agent.backends.openai import OpenAIBackend
    from minimax_agent.dialect import dialect_for
    from minimax_agent.providers import PRESETS, Provider
    from tools import default_tools

    grammar = dialect_for().turn_grammar(default_tools(read_only=True).specs(), MAX_CHARS)
    # tool_choice is named here too, so the column does not depend on the preset's default.
    body = {"grammar": grammar, "tool_choice": "none", "seed": 1}
    config = PRESETS["llamacpp-server"].model_copy(update={"extra_body": body})
    with llama_server(binary, model, tmp, threads, args.n_ctx) as root:
        provider = Provider("llamacpp-server", f"{root}/v1", config, None, None)
        remote = OpenAIBackend(provider, read_timeout_s=600.0)
        before = prompt_tokens_total(root)
        _, result = run_session(
            remote, scratch_repo(tmp / "server"), args.steps, "llama-server", args.max_tokens
        )
        remote.close()
        print(f"llama-server: {result.status} {result.error or ''}", file=sys.stderr)
        return list(result.usage), prompt_tokens_total(root) - before


def added_per_step(usages: list[Any]) -> list[int]:
    added, held = [], 0
    for u in usages:
        added.append(u.prompt_tokens - held)
        held = u.prompt_tokens + u.completion_tokens
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="GGUF file (default: write the bench model)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    # Room for every turn to finish: a turn cut off inside its tool-call block cannot go back
    # to a server as generated (its calls must go back as `tool_calls`, which the template
    # renders whole), so the server re-evaluates it; in-process it is spliced back as it was.
    parser.add_argument("--max-tokens", type=int, default=4096)
    parser.add_argument("--n-ctx", type=int, default=16384)
    parser.add_argument("--skip-llama-cpp-python", action="store_true")
    parser.add_argument("--dialect", choices=("m2", "m3"), default="m2", help="model format")
    parser.add_argument(
        "--llama-server",
        type=Path,
        default=os.environ.get("MINIMAX_AGENT_LLAMA_SERVER") or None,
        help="llama-server binary (default: $MINIMAX_AGENT_LLAMA_SERVER; none: no column)",
    )
    args = parser.parse_args()

    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.backends.local.plan import default_threads
    from minimax_agent.config import Settings
    from minimax_agent.dialect import dialect_named
    from minimax_agent.messages import AssistantMessage
    from quantize.tiny import write_tiny_model
    from quantize.tiny_m3 import write_tiny_m3_model
    from tools import default_tools

    threads = args.threads or default_threads()
    rows: list[tuple[str, int, int, int]] = []
    server_note = ""
    skipped: list[str] = []
    if args.dialect != "m2":
        # Both peers render the GGUF's template without our thinking_mode (see the docstring).
        skipped = (
            ["llama-cpp-python", "llama-server"] if args.llama_server else ["llama-cpp-python"]
        )
        args.skip_llama_cpp_python, args.llama_server = True, None
    write = {"m2": write_tiny_model, "m3": write_tiny_m3_model}[args.dialect]
    template = dialect_named(args.dialect).default_template()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or write(Path(tmp) / "bench.gguf", "bench", chat_template=template)
        ours = LocalBackend.from_settings(
            Settings(
                model=str(model),
                n_ctx=args.n_ctx,
                threads=threads,
                seed=1,
                max_tokens=args.max_tokens,
                constrain_tools=True,
                tool_choice="required",
                constrain_max_chars=MAX_CHARS,
            )
        )
        ours.model.perf(reset=True)
        agent, result = run_session(
            ours, scratch_repo(Path(tmp) / "ours"), args.steps, "minimax-agent"
        )
        counters = ours.model.perf()
        usages = result.usage
        added = sum(added_per_step(usages))
        evaluated = sum(u.extra["tokens_evaluated"] for u in usages)
        generated_decoded = counters["n_p_eval"] + counters["n_eval"] - evaluated
        rows.append(("minimax-agent local backend", len(usages), added, evaluated))

        # The same conversation, every step's prompt rendered and evaluated from scratch.
        starts = [i for i, m in enumerate(agent.messages) if isinstance(m, AssistantMessage)]
        specs = agent.tools.specs()
        full = sum(
            len(ours.model.tokenize(ours.dialect.render(ours.template, agent.messages[:i], specs)))
            for i in starts
        )
        rows.append(("re-render + re-evaluate all", len(starts), added, full))
        ours.close()

        if not args.skip_llama_cpp_python:
            from llama_cpp import Llama

            llm = Llama(
                model_path=str(model),
                n_ctx=args.n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=0,
                seed=1,
                verbose=True,  # its prefix-match report is how it says what it evaluates
                chat_format=None,
            )
            grammar = ours.dialect.turn_grammar(default_tools(read_only=True).specs(), MAX_CHARS)
            theirs = LlamaCppPythonBackend(llm, grammar, args.max_tokens)
            _, result = run_session(
                theirs, scratch_repo(Path(tmp) / "theirs"), args.steps, "llama-cpp-python"
            )
            usages = result.usage
            rows.append(
                (
                    "llama-cpp-python chat completion",
                    len(usages),
                    sum(added_per_step(usages)),
                    sum(u.extra["tokens_evaluated"] for u in usages),
                )
            )

        if args.llama_server:
            usages, metered = server_session(args.llama_server, model, Path(tmp), args, threads)
            per_step = [u.extra.get("tokens_evaluated") for u in usages]
            served = sum(n for n in per_step if isinstance(n, int))
            rows.append(
                (
                    "llama-server, our remote backend",
                    len(usages),
                    sum(added_per_step(usages)),
                    served,
                )
            )
            print(f"llama-server prompt_n per step: {per_step}", file=sys.stderr)
            print(f"llama-server tokens added per step: {added_per_step(usages)}", file=sys.stderr)
            server_note = f"llama-server /metrics prompt_tokens_total over the run: {metered}"

    print(f"model {model.name} ({args.dialect}), {threads} threads, up to {args.steps} steps")
    print(f"{'session':34} {'steps':>5} {'tokens added':>13} {'evaluated':>10} {'ratio':>7}")
    for name, n, add, ev in rows:
        print(f"{name:34} {n:5} {add:13} {ev:10} {ev / max(add, 1):7.3f}")
    print(
        f"llama.cpp counters for ours: {counters['n_p_eval'] + counters['n_eval']} tokens "
        f"decoded = {evaluated} prompt + {generated_decoded} generated"
    )
    if server_note:
        print(server_note)
    for name in skipped:
        print(f"{name}: skipped for --dialect {args.dialect} (renders without our thinking_mode)")
    print("target: minimax-agent and llama-server within 1.05x of the tokens added")


if __name__ == "__main__":
    main()
