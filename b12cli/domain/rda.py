"""`b12 rda`: recommended daily intake by life stage."""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Intakes, LifeStage
from b12cli.domain.numbers import Age
from b12cli.errors import UsageError

OLDER_ADULT_MONTHS = 51 * 12  # from 51, most B12 should come from fortified foods or supplements


class RdaResult(NamedTuple):
    age: Age | None
    condition: str  # none | pregnancy | breastfeeding
    unit: str
    items: tuple[LifeStage, ...]
    notes: tuple[str, ...]
    guideline: str = "us"
    body: str = "US (IOM)"  # the guideline's short name


def stage_for(intakes: Intakes, months: int, condition: str = "none") -> LifeStage:
    """The life-stage row for a completed age in months (and a condition)."""
    rows = [row for row in intakes.life_stages if row.condition == condition]
    if condition != "none":
        return rows[0]
    for row in rows:
        if row.covers(months):
            return row
    raise UsageError(f"no life stage covers {months} completed months")  # the loader checks rows join up


def held(intakes: Intakes, row: LifeStage, age: Age | None) -> LifeStage:
    """The row, refused when this reference holds no figure for it (never a guess)."""
    if row.mcg_per_day is None:
        body = intakes.body
        at = f"age {age.years:g} ({row.life_stage})" if age is not None else row.life_stage
        others = " or ".join(g for g in intakes.guidelines if g != body.id)
        raise UsageError(f"--guideline {body.id}: no {body.short} figure for {at} is held in this reference "
                         f"('b12 rda --guideline {body.id}' says why); expected --guideline {others} for this age")
    return row


def _start_months(intakes: Intakes, condition: str) -> int:
    return next(r.min_months for r in intakes.life_stages if r.condition == condition)


def tables_start_note(intakes: Intakes, age: Age | None, condition: str) -> str | None:
    """The cited note that the pregnancy and breastfeeding rows start at an age (14 in the US table), for an age
    below that."""
    if condition == "none" or age is None:
        return None
    start = _start_months(intakes, condition)
    if age.months >= start:
        return None
    message = intakes.messages["tables-start-at-14"]
    return message.cited().replace("{age}", f"{start // 12}")


def guideline_note(intakes: Intakes) -> str:
    """Which body's table is in use, and that the others differ."""
    body = intakes.body
    return (f"Targets: {body.name} (sources: {', '.join(body.sources)}). "
            + intakes.messages["guidelines-differ"].cited())


def recommend(intakes: Intakes, age: Age | None, pregnant: bool = False, breastfeeding: bool = False) -> RdaResult:
    if pregnant and breastfeeding:
        raise UsageError("--pregnant and --breastfeeding cannot be combined; choose one")
    condition = "pregnancy" if pregnant else "breastfeeding" if breastfeeding else "none"
    notes = (guideline_note(intakes), intakes.messages["no-upper-limit"].cited())
    if age is None and condition == "none":
        return RdaResult(None, condition, intakes.unit, intakes.life_stages, notes, intakes.guideline,
                         intakes.body.short)
    row = held(intakes, stage_for(intakes, age.months if age else 0, condition), age)
    if tables_start_note(intakes, age, condition):
        message = intakes.messages["tables-start-at-14"]
        text = message.text.replace("{age}", f"{_start_months(intakes, condition) // 12}")
        row = row._replace(notes=row.notes + (text,),
                           sources=row.sources + tuple(s for s in message.sources if s not in row.sources))
    return RdaResult(age, condition, intakes.unit, (row,), notes, intakes.guideline, intakes.body.short)
