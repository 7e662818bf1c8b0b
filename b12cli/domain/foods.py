"""`b12 foods`: food sources of B12, filtered and sorted."""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Food, Foods
from b12cli.domain.numbers import round_sig
from b12cli.domain.text import show
from b12cli.errors import UsageError

SORTS = ("mcg", "per100g", "name")


class FoodItem(NamedTuple):
    food: Food
    percent_dv: float
    servings_for_rda: float | None  # only when an age was given; None for a food with no B12

    @property
    def crystalline(self) -> bool:
        """Fortified foods carry added (crystalline) B12, which does not need stomach acid to be freed from
        food protein; that is why people over 50 are pointed to them."""
        return self.food.fortified


class Target(NamedTuple):
    """The daily intake servings are counted against, and where it came from."""

    mcg_per_day: float
    stage_id: str
    life_stage: str
    age_years: float | None
    condition: str  # none | pregnancy | breastfeeding
    notes: tuple[str, ...] = ()  # cited notes on the target (e.g. the tables start at 14); go to the result's notes
    guideline: str = "us"
    body: str = "US (IOM)"


class FoodQuery(NamedTuple):
    vegan: bool = False
    vegetarian: bool = False
    fortified: bool = False
    search: str | None = None
    min_mcg: float | None = None
    sort: str = "mcg"
    limit: int | None = None
    include_zero: bool = False
    rda_mcg: float | None = None  # the life stage's intake when --age (or --pregnant/--breastfeeding) was given
    older_adult: bool = False
    target: Target | None = None  # where rda_mcg came from
    guideline: str = "us"  # --guideline: whose target servings are counted against


class FoodsResult(NamedTuple):
    query: FoodQuery
    daily_value_mcg: float
    with_servings: bool
    items: tuple[FoodItem, ...]
    notes: tuple[str, ...]

    @property
    def target(self) -> Target | None:
        return self.query.target

    @property
    def marks_crystalline(self) -> bool:
        return self.query.older_adult

    @property
    def crystalline_first(self) -> bool:
        """Over 50 the default sort puts foods with added (crystalline) B12 first; another --sort does not."""
        return self.query.older_adult and self.query.sort == "mcg"


# British and American spellings (and a few other variants) are folded to one form, in both the words looked
# for and the text, so that "anaemia" finds "anemia" and the other way round.
SPELLING_VARIANTS = (
    ("anaemia", "anemia"), ("anaemic", "anemic"), ("haem", "hem"), ("oesophag", "esophag"), ("fibre", "fiber"),
    ("coeliac", "celiac"), ("oestrogen", "estrogen"), ("foetus", "fetus"), ("foetal", "fetal"),
    ("paediatric", "pediatric"), ("diarrhoea", "diarrhea"), ("yoghurt", "yogurt"),
    ("aluminium", "aluminum"), ("sulph", "sulf"), ("colour", "color"), ("flavour", "flavor"),
    ("savour", "savor"), ("labour", "labor"), ("behaviour", "behavior"), ("tumour", "tumor"),
    ("litre", "liter"), ("centre", "center"), ("programme", "program"), ("ageing", "aging"),
    ("soya", "soy"), ("b-12", "b12"), ("vitamin b 12", "vitamin b12"), ("grey", "gray"),
)


def fold(text: str) -> str:
    """Casefolded, with British spellings turned into American ones (both sides of a search go through this)."""
    folded = text.casefold()
    for british, american in SPELLING_VARIANTS:
        folded = folded.replace(british, american)
    return folded


def words_match(words: list[str], *texts: str) -> bool:
    """True when every word appears somewhere in the texts (case-insensitive, spelling variants folded)."""
    haystack = fold(" ".join(texts))
    return all(fold(word) in haystack for word in words)


def _keep(food: Food, q: FoodQuery, words: list[str]) -> bool:
    return (
        (q.include_zero or food.mcg_per_serving > 0)
        and (not q.vegan or food.vegan)
        and (not q.vegetarian or food.vegetarian)
        and (not q.fortified or food.fortified)
        and (q.min_mcg is None or food.mcg_per_serving >= q.min_mcg)
        and (not words or words_match(words, food.name, food.category, *food.aliases, *food.notes))
    )


def _sort_key(sort: str, crystalline_first: bool = False):
    if crystalline_first:  # over 50: foods with added (crystalline) B12 first, each group largest first
        return lambda f: (not f.fortified, -f.mcg_per_serving, f.name.casefold())
    if sort == "name":
        return lambda f: f.name.casefold()
    if sort == "per100g":
        return lambda f: (f.mcg_per_100g is None, -(f.mcg_per_100g or 0.0), f.name.casefold())
    return lambda f: (-f.mcg_per_serving, f.name.casefold())


def select(foods: Foods, q: FoodQuery) -> FoodsResult:
    if q.sort not in SORTS:
        raise UsageError(f"--sort {show(q.sort)} is not accepted; expected one of {', '.join(SORTS)}")
    words = q.search.casefold().split() if q.search is not None else []
    if q.search is not None and not words:
        raise UsageError("--search '' is empty; expected one or more words to look for")
    chosen = sorted((f for f in foods.foods if _keep(f, q, words)),
                    key=_sort_key(q.sort, q.older_adult and q.sort == "mcg"))  # FoodsResult.crystalline_first
    if q.limit is not None:
        chosen = chosen[: q.limit]
    items = tuple(
        FoodItem(
            f,
            round_sig(f.mcg_per_serving / foods.daily_value_mcg * 100),
            round_sig(q.rda_mcg / f.mcg_per_serving) if q.rda_mcg is not None and f.mcg_per_serving > 0 else None,
        )
        for f in chosen
    )
    return FoodsResult(q, foods.daily_value_mcg, q.rda_mcg is not None, items, _notes(foods, q))


def _notes(foods: Foods, q: FoodQuery) -> tuple[str, ...]:
    msg = foods.messages
    notes = [f"%DV is worked out against a Daily Value of {foods.daily_value_mcg:g} mcg "
             f"(sources: {', '.join(foods.daily_value_sources)})"]
    if q.vegan or q.vegetarian:
        notes.append(msg["vegan-supplement"].cited())
    if q.vegan or q.fortified:
        notes.append(msg["check-labels"].cited())
    if q.target is not None:
        notes += q.target.notes
    elif q.guideline != "us":
        notes.append(f"--guideline {q.guideline} changes only the servings counted with --age, --pregnant or "
                     "--breastfeeding; %DV is always against the US Daily Value.")
    if q.older_adult:
        notes.append(msg["older-adults"].cited())
        notes.append(msg["crystalline-b12"].cited())
    if not q.include_zero:
        notes.append("Foods with no B12 are hidden; add --include-zero to list them.")
    return tuple(notes)
