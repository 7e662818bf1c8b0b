"""`b12 absorb`: how much of one oral dose of B12 is absorbed, on a cited model.

The model (data/absorption.yaml) uses only published points:

* with intrinsic factor, a dose below the first published dose (1 mcg) is absorbed at that
  point's fraction (50%) -- model ``below_published_points``;
* between published doses (1, 5, 25 mcg) the amount absorbed (mcg) is interpolated in a
  straight line against the dose (mcg) -- ``interpolated``;
* above the last published dose the intrinsic-factor route is taken as full (saturated) at the
  amount measured there, and each further mcg adds the passive 1% -- ``saturated_plus_passive``;
* without intrinsic factor only the passive 1% of the whole dose counts -- ``passive_only``.

Beside the model's figure every dose has a low and a high (``absorbed_mcg_low``/``_high``): the
spread of the sources. Inside the measured points there is none; below them IOM's 50% and ODS's 56%
of 1 mcg; above them the model is the low end and ODS's "about 10 mcg of 500 mcg" sets the high end
(the fullest intrinsic-factor uptake plus 1.5% of the dose); without intrinsic factor 0.5% (IOM,
with food) to 1% (IOM, with water).

Doses above the file's ``max_dose_mcg`` are refused rather than extrapolated. Each of several
doses a day (at least ``spacing.hours`` apart) is absorbed as the first; a weekly dose is
averaged over 7 days.
"""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Absorption, LifeStage
from b12cli.domain.numbers import round_sig
from b12cli.errors import UsageError

MODELS = ("below_published_points", "interpolated", "saturated_plus_passive", "passive_only")
MODEL_MESSAGE = {"below_published_points": "below-first-point", "interpolated": "interpolated",
                 "saturated_plus_passive": "saturated-plus-passive", "passive_only": "passive-only"}


RANGE_MESSAGE = {"below_published_points": "range-below-first", "interpolated": "range-measured",
                 "saturated_plus_passive": None, "passive_only": "range-no-intrinsic-factor"}


class DoseAbsorption(NamedTuple):
    dose_mcg: float
    absorbed_mcg: float
    fraction: float  # absorbed / dose
    model: str  # one of MODELS
    low_mcg: float = 0.0  # where the sources spread: the low and high ends around absorbed_mcg
    high_mcg: float = 0.0


class AbsorbQuery(NamedTuple):
    dose_mcg: float
    per_day: int = 1
    weekly: bool = False
    intrinsic_factor: bool = True
    stage: LifeStage | None = None  # with --age: the life stage whose RDA (or AI) is the comparison


class AbsorbResult(NamedTuple):
    query: AbsorbQuery
    per_dose: DoseAbsorption
    doses_per_day: float  # 1/7 for a weekly dose
    absorbed_per_day_mcg: float
    absorbed_per_day_low_mcg: float
    absorbed_per_day_high_mcg: float
    rda_mcg: float
    target: str  # what rda_mcg is: "the adult RDA" or e.g. "the RDA for Adults 51+ years"
    rda_absorbed_mcg: float  # what the RDA delivers at the assumed fraction
    percent_of_rda_absorbed: float
    sources: tuple[str, ...]
    notes: tuple[str, ...]


def _mcg(value: float) -> float:
    return round(round_sig(value), 3)


def _interpolate(model: Absorption, dose: float) -> tuple[float, str]:
    points = model.points
    first, last = points[0], points[-1]
    if dose < first.dose_mcg:
        return dose * first.absorbed_mcg / first.dose_mcg, "below_published_points"
    if dose > last.dose_mcg:
        return last.absorbed_mcg + model.passive_fraction * (dose - last.dose_mcg), "saturated_plus_passive"
    for low, high in zip(points, points[1:]):
        if dose <= high.dose_mcg:
            share = (dose - low.dose_mcg) / (high.dose_mcg - low.dose_mcg)
            return low.absorbed_mcg + share * (high.absorbed_mcg - low.absorbed_mcg), "interpolated"
    return last.absorbed_mcg, "interpolated"  # dose == the only point


def check_dose(model: Absorption, dose: float, label: str = "--dose") -> None:
    if not 0 < dose <= model.max_dose_mcg:
        raise UsageError(f"{label} {dose:g} mcg is out of range; expected a dose above 0 and at most "
                         f"{model.max_dose_mcg:g} mcg (larger doses are beyond the published model)")


def absorbed(model: Absorption, dose: float, intrinsic_factor: bool = True) -> DoseAbsorption:
    """The amount absorbed from one dose taken on its own (or one meal)."""
    check_dose(model, dose)
    if intrinsic_factor:
        amount, how = _interpolate(model, dose)
    else:
        amount, how = model.passive_fraction * dose, "passive_only"
    low, high = spread(model, dose, amount, how)
    return DoseAbsorption(dose, _mcg(amount), round(round_sig(amount / dose), 4), how, _mcg(low), _mcg(high))


def spread(model: Absorption, dose: float, amount: float, how: str) -> tuple[float, float]:
    """The low and high ends the sources give around the model's ``amount`` for one dose."""
    if how == "below_published_points":
        return amount, max(amount, model.below_first_high_fraction * dose)
    if how == "saturated_plus_passive":
        return amount, max(amount, model.saturation_high_mcg + model.passive_fraction_high * dose)
    if how == "passive_only":
        return model.no_if_low_fraction * dose, amount
    return amount, amount


def spread_message(model: Absorption, how: str):  # noqa: ANN201 - a model.Message
    key = RANGE_MESSAGE[how]
    return model.spread if key is None else model.messages[key]


def max_per_day(model: Absorption) -> int:
    return 24 // model.spacing_hours


def estimate(model: Absorption, q: AbsorbQuery) -> AbsorbResult:
    limit = max_per_day(model)
    if q.weekly and q.per_day != 1:
        raise UsageError("--weekly and --per-day cannot be combined; give one")
    if not 1 <= q.per_day <= limit:
        raise UsageError(f"--per-day {q.per_day} is out of range; expected 1 to {limit} doses a day "
                         f"(at least {model.spacing_hours} hours apart)")
    dose = absorbed(model, q.dose_mcg, q.intrinsic_factor)
    per_day = 1 / 7 if q.weekly else float(q.per_day)
    daily = dose.absorbed_mcg * per_day
    stage = q.stage
    rda = stage.mcg_per_day if stage else model.rda_mcg
    target = f"the {stage.kind} for {stage.life_stage}" if stage else "the adult RDA"
    rda_absorbed = rda * model.assumed_fraction
    return AbsorbResult(q, dose, round_sig(per_day, 6), _mcg(daily), _mcg(dose.low_mcg * per_day),
                        _mcg(dose.high_mcg * per_day), rda, target, _mcg(rda_absorbed),
                        round(round_sig(daily / rda_absorbed * 100), 1), _sources(model, dose), _notes(model, q, dose))


def _sources(model: Absorption, dose: DoseAbsorption) -> tuple[str, ...]:
    cited = [*model.messages[MODEL_MESSAGE[dose.model]].sources, *spread_message(model, dose.model).sources,
             *model.reference.sources]
    return tuple(dict.fromkeys(cited))


def _stage_notes(stage: LifeStage | None) -> list[str]:
    """The life stage's own notes (from 51: most B12 from fortified foods or supplements), cited."""
    if stage is None:
        return []
    return [f"{note} (sources: {', '.join(stage.sources)})" for note in stage.notes]


def _notes(model: Absorption, q: AbsorbQuery, dose: DoseAbsorption) -> tuple[str, ...]:
    msg = model.messages
    notes = [msg[MODEL_MESSAGE[dose.model]].cited()]
    notes.append(spread_message(model, dose.model).cited())
    if dose.model == "saturated_plus_passive":
        notes.append(model.saturation.cited())
    notes.append(model.reference.cited())
    if q.per_day > 1:
        notes.append(model.spacing.cited())
    if q.weekly:
        notes.append(msg["weekly"].cited())
    if not q.intrinsic_factor or q.dose_mcg >= 1000:
        notes.append(msg["high-dose-works"].cited())
    notes += _stage_notes(q.stage)
    notes += [msg["measured-alone"].cited(), msg["estimate-only"].cited()]
    return tuple(notes)
