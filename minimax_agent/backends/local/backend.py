"""The local backend: M2.1 in this process through llama.cpp, with exact prefix reuse.

Each step renders the conversation with the GGUF's own chat template, gives earlier generated
turns back as their generated tokens (see `splice`), evaluates only what the KV cache does not
already hold, then streams tokens through the dialect parser until the end-of-turn token.
Ctrl-C lands between two llama.cpp calls (one token while generating, one batch while reading
the prompt), so the cache stays consistent and the next step reuses it.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.backends.base import Backend
from minimax_agent.backends.local.native import NativeModel, Snapshot
from minimax_agent.backends.local.plan import ram_available
from minimax_agent.backends.local.sampling import Sampler, SamplingParams
from minimax_agent.backends.local.splice import build_prompt, token_record
from minimax_agent.dialect import Dialect, choose_dialect, dialect_for
from minimax_agent.errors import BackendError, ConfigError, ContextOverflowError
from minimax_agent.events import Event, Finish, Usage
from minimax_agent.messages import SystemMessage, UserMessage

if TYPE_CHECKING:
    from collections.abc import Sequence

    from minimax_agent.backends.base import Request
    from minimax_agent.backends.local.plan import LoadPlan
    from minimax_agent.backends.local.splice import Prompt
    from minimax_agent.config import Settings
    from minimax_agent.config_sections import GenerationSettings, LocalSettings
    from minimax_agent.messages import Message, ToolSpec

log = logging.getLogger("minimax_agent")


@dataclass(frozen=True)
class Options:
    sampling: SamplingParams = field(default_factory=SamplingParams)
    max_tokens: int | None = None
    constrain_tools: bool = False
    tool_choice: str = "auto"  # "required": every turn must end in a tool call
    constrain_max_chars: int | None = None


class LocalBackend(Backend):
    name = "local"

    def __init__(
        self,
        model: NativeModel,
        template: str,
        options: Options,
        plan: LoadPlan | None = None,
        dialect: Dialect | None = None,
    ) -> None:
        self.model = model
        # The format is the GGUF's: its architecture picks the dialect.
        self.dialect = dialect or dialect_for(architecture=model.meta("general.architecture"))
        self.template = template
        self.options = options
        self.plan = plan
        path = model.params.path
        # Generated tokens are only valid for the vocabulary that produced them.
        self.model_id = f"{path.name}:{path.stat().st_size}:{model.n_vocab}"
        # (bytes, tokens) of the last snapshot `keep_cache` took, for the benchmark
        self.last_snapshot: tuple[int, int] = (0, 0)

    @property
    def context_window(self) -> int | None:
        return self.model.n_ctx

    def longer_context_hint(self, tokens: int) -> str | None:
        # a power of two, as llama.cpp's own sizes go; the model's trained length when that
        # is enough, since the model answers worse past it
        size = 1 << max(tokens - 1, 1).bit_length()
        trained = self.plan.summary.context_length if self.plan else None
        if trained and tokens <= trained < size:
            size = trained
        if trained and size > trained:
            return f"pass --n-ctx {size} (past the {trained} tokens it was trained on)"
        return f"pass --n-ctx {size}"

    @classmethod
    def from_spec(cls, settings: Settings, arg: str) -> LocalBackend:
        """`--backend local[:PATH.gguf]`, or `--model` alone (see `local_model`)."""
        from minimax_agent.backends import local_model

        return cls.from_settings(settings.model_copy(update={"model": local_model(settings)}))

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        return cls.from_sections(
            settings.generation, settings.local, max_tokens=settings.limits.max_tokens
        )

    @classmethod
    def from_sections(
        cls, generation: GenerationSettings, local: LocalSettings, *, max_tokens: int | None
    ) -> LocalBackend:
        """Load `generation.model` as `local` says, sampling as `generation` says; `max_tokens`
        (the run's limit) caps every turn."""
        from minimax_agent.backends.local.plan import plan as make_plan

        if not generation.model:
            raise ConfigError("the local backend needs a model: --model PATH.gguf")
        if local.tool_choice == "required" and not local.constrain_tools:
            raise ConfigError("tool_choice 'required' needs --constrain-tools on the local backend")
        template = _read_template(local.chat_template) if local.chat_template else None
        plan = make_plan(local, Path(generation.model).expanduser())
        for note in plan.notes:
            log.info("local model: %s", note)
        # chosen before the load, so an unknown format never leaves a model in memory;
        # `--dialect` overrides the GGUF's architecture, `--thinking` sets M3's thinking_mode
        dialect = choose_dialect(
            plan.summary.architecture, dialect=generation.dialect, thinking=generation.thinking
        )
        model = NativeModel(plan.params)
        if template is None:
            template = model.chat_template()
        if not template:
            log.warning(
                "%s has no chat template (tokenizer.chat_template); using minimax-agent's own "
                "M2 template (pass --chat-template FILE to choose another)",
                plan.params.path,
            )
            template = dialect.default_template()
        # A template that cannot render a plain exchange fails now, not at the first step.
        try:
            dialect.render(template, [SystemMessage(content="-"), UserMessage(content="-")])
        except BaseException:
            model.close()
            raise
        if plan.params.cpu_patterns and model.overridden == 0:
            log.warning("cpu-moe: no expert tensor matched; nothing was kept in system RAM")
        options = Options(
            sampling=SamplingParams(
                generation.temperature, generation.top_k, generation.top_p, generation.seed
            ),
            max_tokens=max_tokens,
            constrain_tools=local.constrain_tools,
            tool_choice=local.tool_choice,
            constrain_max_chars=local.constrain_max_chars,
        )
        return cls(model, template, options, plan, dialect)

    # -- one turn -----------------------------------------------------------------------------

    def stream(self, request: Request) -> Iterator[Event]:
        prompt, tokens = self._prompt(request.messages, request.tools)
        try:
            yield from self._turn(request, prompt, tokens)
        except BackendError as exc:
            # `--trace` records what a failed step sent, as for an endpoint's request body
            if exc.request is None:
                exc.request = prompt.text
            raise

    def _turn(self, request: Request, prompt: Prompt, tokens: list[int]) -> Iterator[Event]:
        model, opts = self.model, self.options
        room = model.n_ctx - len(tokens)
        if room <= 0:
            raise ContextOverflowError(
                f"the prompt has {len(tokens)} tokens; the context holds {model.n_ctx}"
            )
        limit = min(x for x in (request.max_tokens, opts.max_tokens, room) if x is not None)

        started = time.perf_counter()
        reused = model.evaluate(tokens)
        prefill_s = time.perf_counter() - started

        parser = self.dialect.stream_parser(request.tools)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        sampler = Sampler(model, opts.sampling)
        generated: list[int] = []
        reason = "length"
        constrain = opts.constrain_tools and bool(request.tools) and request.tool_choice == "auto"
        required = constrain and opts.tool_choice == "required"
        lazy = constrain and not required
        answered = False  # the reasoning is closed: a tool-call tag from now on is real
        tail = ""
        decode_started = time.perf_counter()
        try:
            if required:
                sampler.constrain(
                    self.dialect.turn_grammar(request.tools, opts.constrain_max_chars)
                )
            while len(generated) < limit:
                token = sampler.sample()
                if model.is_eog(token):
                    reason = "stop"
                    break
                generated.append(token)
                text = decoder.decode(model.piece(token))
                if text:
                    yield from parser.feed(text)
                    if lazy and not sampler.constrained:
                        tail = (tail + text)[-64:]
                        answered = answered or self.dialect.think_close in tail
                        if answered and tail.endswith(self.dialect.block_open):
                            sampler.constrain(self._block_grammar(request.tools))
                if len(generated) < limit:
                    model.append(token)
            text = decoder.decode(b"", final=True)
            if text:
                yield from parser.feed(text)
            yield from parser.finish()
        finally:
            sampler.close()
        decode_s = time.perf_counter() - decode_started
        evaluated = len(tokens) - reused
        yield Usage(
            prompt_tokens=len(tokens),
            completion_tokens=len(generated),
            cached_tokens=reused,
            extra={
                "tokens_evaluated": evaluated,
                "prefill_tps": round(evaluated / prefill_s, 2) if prefill_s > 0 else None,
                "decode_tps": round(len(generated) / decode_s, 2) if decode_s > 0 else None,
                "spliced_turns": prompt.spliced,
                "n_ctx": model.n_ctx,
            },
        )
        finish = "tool_calls" if parser.calls else reason
        message = parser.message(**token_record(self.model_id, generated))
        yield Finish(reason=finish, message=message, request=prompt.text)

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int:
        """The exact prompt length a request for `messages` would have (what `stream` reports
        as `prompt_tokens`), for measuring the context before any step has reported it."""
        return len(self._prompt(list(messages), list(tools))[1])

    def _prompt(self, messages: list[Message], tools: list[ToolSpec]) -> tuple[Prompt, list[int]]:
        """The rendered prompt, and the tokens to evaluate (BOS first where the model wants it)."""
        model = self._open_model()
        prompt = build_prompt(
            self.dialect, self.template, messages, tools, model.tokenize, self.model_id
        )
        tokens = prompt.tokens
        if model.add_bos and (not tokens or tokens[0] != model.bos):
            tokens = [model.bos, *tokens]
        return prompt, tokens

    def _open_model(self) -> NativeModel:
        if self.model.closed:
            raise BackendError(f"the local model {self.model.params.path.name} was closed")
        return self.model

    def _block_grammar(self, tools: list[ToolSpec]) -> str:
        return self.dialect.call_grammar(tools, self.options.constrain_max_chars)

    # -- sessions -----------------------------------------------------------------------------

    def save_state(self, path: str | Path) -> bool:
        """Write the KV cache and the tokens it holds to `path` (llama.cpp's sequence-state
        format), and `path.json` naming the model, so a resumed session skips the prefill."""
        path = Path(path)
        self._open_model().save_state(path)
        _meta_path(path).write_text(json.dumps(self._state_meta()), encoding="utf-8")
        return True

    def load_state(self, path: str | Path) -> int:
        """Restore a KV cache written by `save_state`; returns the number of tokens it holds.
        On failure the cache is empty and `BackendError` says why: the next step then evaluates
        its whole prompt, which is slower but correct."""
        path = Path(path)
        if not path.is_file():
            raise BackendError(f"no KV state at {path}")
        try:
            meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        # A KV cache computed by other weights of the same shape would load and mislead.
        if meta != self._state_meta():
            raise BackendError(
                f"KV state {path} was saved with another model or KV type ({meta}); not loaded"
            )
        return self._open_model().load_state(path)

    @contextlib.contextmanager
    def keep_cache(self) -> Iterator[None]:
        """Copy the KV cache (and the tokens it holds) into memory, run the body (a subagent's
        turns, which evict it), then put it back: the parent's next step evaluates only what
        it adds. A copy costs about what the cache holds in bytes, far less than evaluating
        the parent's prompt again (benchmarks/subagent_cache.py measures both)."""
        model = self._open_model()
        snap = self._snapshot(model) if model.tokens else None
        try:
            yield
        finally:
            if snap is not None and not model.closed:
                try:
                    model.restore(snap)
                except BackendError as exc:
                    log.warning("the KV cache was not restored after the subagent: %s", exc)
            self.last_snapshot = (snap.size if snap else 0, len(snap.tokens) if snap else 0)

    @staticmethod
    def _snapshot(model: NativeModel) -> Snapshot | None:
        """The parent's state in memory, or None (with a warning) when the copy would take
        more than half the RAM still available (a long M2.1 context holds gigabytes, and its
        experts may already fill the RAM) or cannot be made: the parent's next step then
        evaluates its prompt again, slower but correct."""
        size = model.state_size()
        spare = ram_available()
        if spare is not None and size > spare // 2:
            log.warning(
                "minimax-agent: not keeping the KV cache across the subagent: the copy would "
                "take %d MB of %d MB available",
                size >> 20,
                spare >> 20,
            )
            return None
        try:
            return model.snapshot()
        except (BackendError, MemoryError) as exc:
            log.warning("minimax-agent: the KV cache was not copied for the subagent: %s", exc)
            return None

    def _state_meta(self) -> dict[str, str]:
        return {"model": self.model_id, "kv_type": str(self.model.params.kv_type)}

    def close(self) -> None:
        """Free the llama.cpp context (its KV cache) and the model's weights now, not when
        the garbage collector gets to them: `/model` loads the next model right after."""
        self.model.close()


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _read_template(path: Path) -> str:
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read chat template {path}: {exc}") from None
