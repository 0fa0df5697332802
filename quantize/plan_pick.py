"""`models plan` without a file or `--quant`: which named quant of a model suits this machine.

Every named quant is planned on the same hardware; the pick is the largest that fits (the most
bits per weight: the least quality lost), or when none fits the smallest, whose plan then says
what is missing and what helps. Pure, like plan.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from quantize.footprint import QUANT_BPW, model_footprint
from quantize.plan import FitPlan, PlanRequest, plan_fit

# F16 and BF16 are the same size: one of them is enough in a list of choices
_SAME_AS = {"F16": "BF16"}


@dataclass(frozen=True)
class QuantPick:
    chosen: str
    plan: FitPlan  # the chosen quant's plan
    assessed: list[tuple[str, FitPlan]]  # every named quant, largest first


def named_quants() -> list[str]:
    """The named quants, largest (most bits per weight) first."""
    names = [q for q in QUANT_BPW if q not in _SAME_AS]
    return sorted(names, key=lambda q: -QUANT_BPW[q])


def pick_quant(base: PlanRequest, model: str) -> QuantPick:
    """`base` (its hardware, context and KV type) planned for each named quant of `model`."""
    assessed = [
        (q, plan_fit(replace(base, model=model_footprint(q, model)))) for q in named_quants()
    ]
    fitting = [(q, p) for q, p in assessed if p.fits]
    chosen, plan = fitting[0] if fitting else assessed[-1]
    return QuantPick(chosen, plan, assessed)
