"""Plan mode: the model explores with read-only tools and ends with a plan, changing nothing.

The model hears of plan mode in a note before the user's request, never through a new system
prompt, and in an interactive session the offered tools stay as they were: both the system
prompt and the tool list are rendered into the first turn, so changing either would make a
local model (or an endpoint's prompt cache) evaluate the whole conversation again, once on the
way in and once on the way out. Instead the approval policy runs in read-only mode, which
refuses every call that could change something (a write, a command, an MCP tool that is not
read-only) with a reason the model reads, and the note tells it so up front. `fix --plan`
starts its session read-only from the beginning (cli/fix.py), so its tools are the read-only
set itself and it needs no sandbox.

Leaving plan mode restores the mode the session had (or the one the user picked when
accepting) through `set_approval_mode`, and the REPL (ui/plan_review.py) tells the model what
became of its plan with the messages below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tools.modes import ApprovalMode

if TYPE_CHECKING:
    from minimax_agent.agent import Agent
    from tools.approval import ApprovalPolicy


class Planned(Protocol):
    """What plan mode uses of a conversation (session/controls.py has it; named here, since
    the conversation holds a PlanMode and this module must not import it back)."""

    agent: Agent

    @property
    def approval_mode(self) -> ApprovalMode: ...
    @property
    def policy(self) -> ApprovalPolicy: ...
    def set_approval_mode(self, mode: ApprovalMode) -> None: ...


PLAN_NOTE = """[Plan mode] Do not change anything yet: the session is read-only until the \
user accepts a plan, and calls that would write a file or run a command are refused. Explore \
with the read-only tools (read, list, search, git history) as much as the request needs, then \
end your answer with a concrete plan: the steps in order, the files each one touches and how \
you will check the result. The user will accept, edit or reject it."""

ACCEPTED = """[Plan accepted] The user accepted your plan. Plan mode is over and the session \
is in {mode} mode: carry the plan out now, step by step, and check the result as the plan \
says."""

EDITED_NOTE = """[Plan edited] The user edited your plan; plan mode is over. Their next \
message is the plan as they changed it: carry that out, not your own version."""

REJECTED_NOTE = """[Plan rejected] The user rejected the plan you proposed: do not carry it \
out. Plan mode is over; their next message says what they want instead."""

# what a user may choose to carry a plan out in (read-only could not)
CONTINUE_MODES = (ApprovalMode.ASK, ApprovalMode.AUTO_EDIT, ApprovalMode.FULL_AUTO)


def plan_request(task: str) -> str:
    """The user's request as the model gets it in plan mode: the note, then the request."""
    return f"{PLAN_NOTE}\n\n{task}"


def accepted_message(mode: ApprovalMode) -> str:
    return ACCEPTED.format(mode=mode)


@dataclass
class PlanMode:
    """Whether a conversation is planning, and the mode to go back to."""

    active: bool = False
    previous: ApprovalMode | None = None

    def enter(self, conversation: Planned) -> None:
        """Plan the next requests: the policy refuses anything that is not read-only, the
        offered tools stay (see the module docstring). Entering twice keeps the first
        previous mode."""
        if self.active:
            return
        self.previous = conversation.approval_mode
        conversation.policy.mode = ApprovalMode.READ_ONLY
        self.active = True

    def leave(self, conversation: Planned, mode: ApprovalMode | None = None) -> ApprovalMode:
        """Back to `mode` (default: the mode before plan mode). A mode that cannot be had
        (full-auto without a sandbox) raises, and the session stays in plan mode."""
        target = mode or self.previous or conversation.approval_mode
        if self.active:
            offered = conversation.agent.tools
            conversation.set_approval_mode(target)
            if ApprovalMode.READ_ONLY not in (target, self.previous):
                # every mode but read-only offers the same tools: keep the very registry the
                # session offered all along, so the next request renders the same first turn
                conversation.agent.tools = offered
        self.active = False
        self.previous = None
        return target

    def default_continue_mode(self) -> ApprovalMode:
        """The mode offered first when a plan is accepted: the one the session had, unless
        that was read-only (then ask)."""
        if self.previous is not None and self.previous in CONTINUE_MODES:
            return self.previous
        return ApprovalMode.ASK

    def wrap(self, task: str) -> str:
        """`task` as it goes to the model: with the plan note while planning."""
        return plan_request(task) if self.active else task
