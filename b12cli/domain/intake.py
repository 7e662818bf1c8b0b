"""`b12 intake`: the day's B12 from foods and supplements, against the life stage's target.

Food names are resolved in order: a food id, a food's full name, a word with a default in
data/intake.yaml (salmon, egg, milk, ...), then the words of the food names and ids. When the
words fit several foods and none is the default for them, the name is refused with the fits.

Every name is resolved before anything is added up, and all the names that cannot be used are
refused together (one error naming each, with its suggestion).

The absorbed estimate applies the `absorb` model: each food (all its servings) is one meal and
each supplement one dose, each absorbed as the first; with ``--meals N`` the food B12 is split
evenly over N meals instead. Beside it, a low and a high: for a supplement the spread of the
sources (see absorb); for a food with a measured uptake (liver) that measurement scaled to the
portion; for other foods the model and a fit to food studies. Over 50 (with intrinsic factor) the
crystalline part (fortified foods and supplements) is reported, since that is the part such people
absorb well. Without intrinsic factor the result leads with a warning: food and ordinary
supplements cannot be relied on, medical treatment is needed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from b12cli.domain import absorb
from b12cli.domain.model import Absorption, Food, Foods, Intake, Intakes, LifeStage
from b12cli.domain.names import close
from b12cli.domain.numbers import Age, parse_number, round_sig
from b12cli.domain.rda import OLDER_ADULT_MONTHS, guideline_note, recommend, stage_for, tables_start_note
from b12cli.domain.text import show
from b12cli.errors import KnowledgeBaseError, UsageError

MAX_SERVINGS = 100
LISTS_THEM = "('b12 foods' lists them)"
SEE_LIST = "see 'b12 foods' for the list"
DEFAULT_ADULT_MONTHS = 19 * 12  # no age given: the adult row


class Pick(NamedTuple):
    food: Food
    how: str  # id | name | alias | default | words
    also_fits: tuple[str, ...]  # other food ids the words fit
    reason: str | None  # why the default was used
    sources: tuple[str, ...]


class IntakeItem(NamedTuple):
    kind: str  # food | supplement
    query: str
    id: str | None
    name: str
    servings: float | None
    serving: str | None
    mcg: float
    crystalline: bool  # fortified food or supplement
    absorbed_mcg: float | None  # None for foods when --meals splits them
    chosen: str | None  # which food a word meant, and why
    also_fits: tuple[str, ...]
    sources: tuple[str, ...]
    absorbed_mcg_low: float | None = None
    absorbed_mcg_high: float | None = None
    caveats: tuple[str, ...] = ()  # a brand- or country-dependent food: how brands differ (check the label)


class IntakeQuery(NamedTuple):
    foods: tuple[str, ...] = ()  # FOOD[:SERVINGS] as typed
    supplements_mcg: tuple[float, ...] = ()
    age: Age | None = None
    pregnant: bool = False
    breastfeeding: bool = False
    meals: int | None = None
    intrinsic_factor: bool = True


class IntakeResult(NamedTuple):
    query: IntakeQuery
    condition: str
    items: tuple[IntakeItem, ...]
    total_mcg: float
    target: LifeStage
    percent_of_target: float
    absorbed_mcg: float
    absorbed_assumption: str
    crystalline_mcg: float | None  # only over 50, with intrinsic factor
    crystalline_percent_of_target: float | None
    notes: tuple[str, ...]
    absorbed_mcg_low: float = 0.0
    absorbed_mcg_high: float = 0.0
    warning: str | None = None  # without intrinsic factor: medical treatment is needed
    guideline: str = "us"


# ----------------------------------------------------------------- names


def tokens(text: str) -> tuple[str, ...]:
    """The words of a food name, accents dropped (crème fraîche: creme, fraiche)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return tuple(re.findall(r"[a-z0-9]+", "".join(c for c in folded if not unicodedata.combining(c))))


def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _fits(words: tuple[str, ...], food: Food) -> bool:
    have = set(tokens(food.id)) | set(tokens(food.name))
    return all(w in have or w.rstrip("s") in have or f"{w}s" in have for w in words)


def _default(intake: Intake, foods: dict[str, Food], words: tuple[str, ...]):  # noqa: ANN202
    for d in intake.defaults:
        if tuple(map(singular, tokens(d.word))) == tuple(map(singular, words)):
            if d.food not in foods:
                raise KnowledgeBaseError(f"intake.yaml: default for {d.word!r} names food {d.food!r}, "
                                         "which is not in foods.yaml")
            return d
    return None


def _by_alias(foods: Foods, words: tuple[str, ...]) -> Food | None:
    """The food one of whose aliases ("Marmite", "nooch", "soya milk") is these words (a plural allowed);
    aliases are unique across foods, so there is at most one."""
    wanted = tuple(map(singular, words))
    return next((f for f in foods.foods for a in f.aliases if tuple(map(singular, tokens(a))) == wanted), None)


def resolve(foods: Foods, intake: Intake, name: str) -> Pick:
    by_id = {f.id: f for f in foods.foods}
    words = tokens(name)
    if not words:
        what = "is empty" if not name.strip() else "has no letters or digits (food names are words)"
        raise UsageError(f"food {show(name)} {what}; expected a food id or name ('b12 foods' lists them)")
    exact = by_id.get(name.strip().casefold()) or next(
        (f for f in foods.foods if tokens(f.name) == words or "-".join(words) == f.id), None)
    if exact is not None:
        return Pick(exact, "id" if exact.id == name.strip().casefold() else "name", (), None, ())
    alias = _by_alias(foods, words)
    if alias is not None:
        return Pick(alias, "alias", (), None, ())
    fits = [f for f in foods.foods if _fits(words, f)]
    default = _default(intake, by_id, words)
    if default is not None:
        others = tuple(f.id for f in fits if f.id != default.food)
        return Pick(by_id[default.food], "default", others, default.reason, default.sources)
    if len(fits) == 1:
        return Pick(fits[0], "words", (), None, ())
    if fits:
        shown = ", ".join(f.id for f in fits[:6]) + (", ..." if len(fits) > 6 else "")
        raise UsageError(f"food {show(name)} fits {len(fits)} foods: {shown}; give one of these ids")
    raise UsageError(f"food {show(name)} is not known; {_hint(foods, intake, words)}")


def _hint(foods: Foods, intake: Intake, words: tuple[str, ...]) -> str:
    """Near names: food ids, then single words of the food names and the defaults."""
    ids = [f.id for f in foods.foods]
    vocabulary = ({w for f in foods.foods for w in tokens(" ".join((f.name, *f.aliases))) if len(w) > 2}
                  | {d.word for d in intake.defaults})
    near = close("-".join(words), ids, n=3, cutoff=0.75)
    for word in words:
        near += close(word, sorted(vocabulary), n=3, cutoff=0.7)
    near = list(dict.fromkeys(near))[:5]
    return f"did you mean: {', '.join(near)}? {LISTS_THEM}" if near else SEE_LIST


def parse_food(text: str) -> tuple[str, float]:
    """FOOD[:SERVINGS] -> (food, servings); servings default 1, decimals allowed."""
    name, sep, amount = text.rpartition(":")
    if not sep:
        return text, 1.0
    accepted = f"a number of servings above 0 and at most {MAX_SERVINGS} (e.g. egg:2 or milk:0.5)"
    try:
        servings = parse_number(amount.strip(), "servings", accepted)
    except UsageError as exc:
        why = "too small to be told from zero" if "too small" in str(exc) else \
            "too large" if "too large" in str(exc) else "not a number"
        raise UsageError(f"servings in {show(text)} are {why}; expected {accepted}") from None
    if not 0 < servings <= MAX_SERVINGS:
        raise UsageError(f"servings in {show(text)} are out of range; expected {accepted}")
    return name, servings


# ----------------------------------------------------------------- the day


def _mcg(value: float) -> float:
    return round(round_sig(value), 3)


def _absorbed(model: Absorption, amount: float, intrinsic_factor: bool, label: str,
              food: Food | None = None, is_food: bool = False) -> tuple[float, float, float]:
    """(model, low, high) mcg absorbed from one meal or dose. A food with a measured uptake is scaled from its
    measured portion along the food-study curve; other food is bounded by the model and that curve."""
    if amount <= 0:
        return 0.0, 0.0, 0.0
    absorb.check_dose(model, amount, label)
    dose = absorb.absorbed(model, amount, intrinsic_factor)
    if not (is_food and intrinsic_factor):
        return dose.absorbed_mcg, dose.low_mcg, dose.high_mcg
    measured = food.absorption if food is not None else None
    if measured is not None:
        scale = (amount / measured.measured_dose_mcg) ** model.food_exponent
        return (_mcg(measured.absorbed_mcg * scale), _mcg(measured.absorbed_mcg_low * scale),
                _mcg(measured.absorbed_mcg_high * scale))
    fitted = model.food_coefficient * amount ** model.food_exponent
    return dose.absorbed_mcg, _mcg(min(dose.absorbed_mcg, fitted)), _mcg(max(dose.absorbed_mcg, fitted))


def _food_item(foods: Foods, intake: Intake, text: str) -> IntakeItem:
    name, servings = parse_food(text)
    pick = resolve(foods, intake, name)
    f = pick.food
    chosen = None
    if pick.how == "default":
        others = f"; also fits {', '.join(pick.also_fits)}" if pick.also_fits else ""
        chosen = f"{name.strip()!r} taken as {f.id} ({pick.reason.rstrip('.')}){others}"
    sources = tuple(dict.fromkeys((*f.sources, *pick.sources)))
    return IntakeItem("food", text, f.id, f.name, servings, f.serving, _mcg(f.mcg_per_serving * servings),
                      f.fortified, None, chosen, pick.also_fits, sources,
                      caveats=f.caveats)


def _foods(foods: Foods, intake: Intake, texts: tuple[str, ...]) -> list[IntakeItem]:
    """Every food resolved; the names that cannot be used are refused together, each with its suggestion."""
    items, problems = [], []
    for text in texts:
        try:
            items.append(_food_item(foods, intake, text))
        except UsageError as exc:
            problems.append(str(exc))
    if len(problems) == 1:
        raise UsageError(problems[0])
    if problems:
        parts = []
        for problem in problems:  # "food X is not known; did you mean: Y? (...)" -> "X is not known (did you mean: Y?)"
            head, _, hint = problem.removeprefix("food ").partition("; ")
            hint = hint.replace(f" {LISTS_THEM}", "").replace(SEE_LIST, "")
            parts.append(f"{head} ({hint})" if hint else head)
        raise UsageError(f"{len(problems)} foods could not be used: " + "; ".join(parts) + f" {LISTS_THEM}")
    return items


def _target(intakes: Intakes, q: IntakeQuery) -> tuple[LifeStage, str, bool]:
    result = recommend(intakes, q.age, q.pregnant, q.breastfeeding)
    if q.age is None and result.condition == "none":
        return stage_for(intakes, DEFAULT_ADULT_MONTHS), "none", True
    return result.items[0], result.condition, False


def _with_absorption(model: Absorption, foods: Foods, q: IntakeQuery,
                     items: list[IntakeItem]) -> tuple[list[IntakeItem], tuple[float, float, float]]:
    by_id = {f.id: f for f in foods.foods}
    out, total = [], [0.0, 0.0, 0.0]
    for item in items:
        if item.kind == "food" and q.meals is not None:
            out.append(item)
            continue
        label = "--supplement" if item.kind == "supplement" else f"food {item.query!r}"
        amount, low, high = _absorbed(model, item.mcg, q.intrinsic_factor, label, by_id.get(item.id or ""),
                                      item.kind == "food")
        out.append(item._replace(absorbed_mcg=amount, absorbed_mcg_low=low, absorbed_mcg_high=high))
        total = [total[0] + amount, total[1] + low, total[2] + high]
    if q.meals is not None:
        food = sum(i.mcg for i in items if i.kind == "food")
        if food:
            per_meal = _absorbed(model, food / q.meals, q.intrinsic_factor, "food per meal", None, True)
            total = [t + q.meals * m for t, m in zip(total, per_meal)]
    return out, (total[0], total[1], total[2])


def day(foods: Foods, intake: Intake, intakes: Intakes, model: Absorption, q: IntakeQuery) -> IntakeResult:
    limit = absorb.max_per_day(model)
    if q.meals is not None and not 1 <= q.meals <= limit:
        raise UsageError(f"--meals {q.meals} is out of range; expected 1 to {limit} meals "
                         f"(at least {model.spacing_hours} hours apart)")
    if not q.foods and not q.supplements_mcg:
        raise UsageError("no food or supplement given; expected FOOD[:SERVINGS] ... or --supplement MCG")
    for dose in q.supplements_mcg:
        absorb.check_dose(model, dose, "--supplement")
    items = _foods(foods, intake, q.foods)
    target, condition, defaulted = _target(intakes, q)
    items += [IntakeItem("supplement", f"--supplement {s:g}", None, "Supplement", None, None,
                         _mcg(s), True, None, None, (), model.passive.sources) for s in q.supplements_mcg]
    items, (absorbed, absorbed_low, absorbed_high) = _with_absorption(model, foods, q, items)
    total = _mcg(float(sum(i.mcg for i in items)))
    show_crystalline = q.intrinsic_factor and q.age is not None and q.age.months >= OLDER_ADULT_MONTHS
    crystalline = _mcg(float(sum(i.mcg for i in items if i.crystalline))) if show_crystalline else None
    percent = round(round_sig(total / target.mcg_per_day * 100), 1)
    crystalline_percent = (round(round_sig(crystalline / target.mcg_per_day * 100), 1)
                           if crystalline is not None else None)
    assumption = (f"food split evenly over {q.meals} meals; each supplement its own dose" if q.meals
                  else "each food one meal; each supplement its own dose")
    warning = None if q.intrinsic_factor else intake.messages["no-intrinsic-factor"].cited()
    return IntakeResult(q, condition, tuple(items), total, target, percent, _mcg(absorbed), assumption, crystalline,
                        crystalline_percent, _notes(intake, intakes, model, q, defaulted, show_crystalline, items),
                        _mcg(absorbed_low), _mcg(absorbed_high), warning, intakes.guideline)


def _notes(intake: Intake, intakes: Intakes, model: Absorption, q: IntakeQuery, defaulted: bool,
           show_crystalline: bool, items: list[IntakeItem]) -> tuple[str, ...]:
    m = intake.messages
    notes = [guideline_note(intakes)]  # without intrinsic factor the warning leads the result itself
    if defaulted:
        notes.append(m["no-age"].cited())
    young = tables_start_note(intakes, q.age, "pregnancy" if q.pregnant else "breastfeeding" if q.breastfeeding
                              else "none")
    if young:
        notes.append(young)
    notes.append((m["meals-split"] if q.meals else m["meals"]).cited())
    if show_crystalline:
        notes.append(m["crystalline"].cited())
    if not q.intrinsic_factor:
        notes += [model.messages["passive-only"].cited(), model.messages["passive-food"].cited()]
    elif any(i.kind == "food" for i in items):
        notes.append(model.messages["range-food"].cited())
    notes += [model.messages["measured-alone"].cited(), model.reference.cited(),
              intakes.messages["no-upper-limit"].cited()]
    return tuple(notes)
