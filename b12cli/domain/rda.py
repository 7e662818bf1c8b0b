"""`b12 rda`: recommended daily intake by life stage."""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Intakes, LifeStage
from b12cli.domain.numbers import Age
from b12cli.errors import UsageError

ADULT_TABLE_START_MONTHS = 14 * 12  # pregnancy and breastfeeding rows start at 14 years
OLDER_ADULT_MONTHS = 51 * 12  # from 51, most B12 should come from fortified foods or supplements


class RdaResult(NamedTuple):
    age: Age | None
    condition: str  # none | pregnancy | breastfeeding
    unit: str
    items: tuple[LifeStage, ...]
    notes: tuple[str, ...]


def stage_for(intakes: Intakes, months: int, condition: str = "none") -> LifeStage:
    """The life-stage row for a completed age in months (and a condition)."""
    rows = [row for row in intakes.life_stages if row.condition == condition]
    if condition != "none":
        return rows[0]
    for row in rows:
        if row.covers(months):
            return row
    raise UsageError(f"no life stage covers {months} completed months")  # the loader checks rows join up


def tables_start_note(intakes: Intakes, age: Age | None, condition: str) -> str | None:
    """The cited note that the pregnancy and breastfeeding rows start at 14, for an age below that."""
    if condition != "none" and age is not None and age.months < ADULT_TABLE_START_MONTHS:
        return intakes.messages["tables-start-at-14"].cited()
    return None


def recommend(intakes: Intakes, age: Age | None, pregnant: bool = False, breastfeeding: bool = False) -> RdaResult:
    if pregnant and breastfeeding:
        raise UsageError("--pregnant and --breastfeeding cannot be combined; choose one")
    condition = "pregnancy" if pregnant else "breastfeeding" if breastfeeding else "none"
    notes = (intakes.messages["no-upper-limit"].cited(),)
    if age is None and condition == "none":
        return RdaResult(None, condition, intakes.unit, intakes.life_stages, notes)
    row = stage_for(intakes, age.months if age else 0, condition)
    if condition != "none" and age is not None and age.months < ADULT_TABLE_START_MONTHS:
        message = intakes.messages["tables-start-at-14"]
        row = row._replace(notes=row.notes + (message.text,),
                      sources=row.sources + tuple(s for s in message.sources if s not in row.sources))
    return RdaResult(age, condition, intakes.unit, (row,), notes)
