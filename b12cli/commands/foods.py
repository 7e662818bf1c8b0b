"""`b12 foods`: food sources of B12, filtered and sorted."""

from __future__ import annotations

import sys

import typer

from b12cli.commands.options import diet_tables, format_option, guideline_option, intakes_for, kb, starting
from b12cli.domain.numbers import parse_age
from b12cli.output.formats import Result, read_format

FOODS_ON_A_TERMINAL = 15  # table rows `foods` shows on a terminal without --all or --limit


def complete_food_word(incomplete: str) -> list[str]:
    words = {w.strip(",()").casefold() for f in kb().foods.foods for w in f.name.split()}
    return starting([w for w in words if len(w) > 2 and w.isalpha()], incomplete)


def complete_sort(incomplete: str) -> list[str]:
    from b12cli.domain.foods import SORTS

    return starting(SORTS, incomplete)


def foods(
    vegan: bool = typer.Option(False, "--vegan", help="Only foods suitable for vegans (also --diet vegan)."),
    vegetarian: bool = typer.Option(False, "--vegetarian", help="Only foods suitable for vegetarians."),
    diet: str | None = typer.Option(None, "--diet", metavar="DIET", help="vegan or vegetarian: as --vegan or "
                                    "--vegetarian."),
    fortified: bool = typer.Option(False, "--fortified", help="Only fortified foods."),
    search: str | None = typer.Option(None, "--search", help="Words to find in name, category or notes.",
                                      metavar="TEXT", autocompletion=complete_food_word),
    min_mcg: str | None = typer.Option(None, "--min-mcg", help="At least this many mcg per serving.",
                                       metavar="NUMBER"),
    sort: str = typer.Option("mcg", "--sort", help="Order: mcg (largest first), per100g or name (A-Z).",
                             metavar="KEY", autocompletion=complete_sort),
    limit: str | None = typer.Option(None, "--limit", help="Show at most this many foods (1 or more).",
                                     metavar="COUNT"),
    show_all: bool = typer.Option(False, "--all", help="Show every matching food (a terminal shows "
                                  f"{FOODS_ON_A_TERMINAL} unless --all or --limit is given)."),
    include_zero: bool = typer.Option(False, "--include-zero", help="Also list foods with no B12."),
    age: str | None = typer.Option(None, "--age", help="Add servings needed for this age's intake.",
                                   metavar="YEARS"),
    pregnant: bool = typer.Option(False, "--pregnant", help="Count servings against the pregnancy intake."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding",
                                       help="Count servings against the breastfeeding intake."),
    guideline: str = guideline_option(),
    fmt: str = format_option(),
) -> Result:
    """Foods that supply B12, per serving and per 100 g, with %DV (Daily Value 2.4 mcg).

    \b
    Examples:
      b12 foods --vegan
      b12 foods --age 70 --sort per100g --limit 10
      b12 foods --vegan --age 30 --guideline efsa   # servings for EFSA's 4 mcg
      b12 foods --all | less        # every food (a terminal shows the first 15)
    """
    from b12cli.domain import foods as core
    from b12cli.domain.numbers import parse_non_negative, parse_positive_int
    from b12cli.domain.text import show
    from b12cli.errors import UsageError
    from b12cli.output import documents

    fmt = read_format(fmt)
    if show_all and limit is not None:
        raise UsageError(f"--limit {show(limit)} and --all cannot be combined; use --all to see every food, or "
                         "--limit N for the first N (see 'b12 foods --help')")
    vegan, vegetarian = _diet(diet, vegan, vegetarian)
    base = kb()
    target, older = _target(intakes_for(guideline), age, pregnant, breastfeeding)
    query = core.FoodQuery(
        vegan=vegan, vegetarian=vegetarian, fortified=fortified, search=search,
        min_mcg=parse_non_negative(min_mcg, "--min-mcg") if min_mcg is not None else None,
        sort=sort.strip().casefold(), limit=parse_positive_int(limit, "--limit") if limit is not None else None,
        include_zero=include_zero, rda_mcg=target.mcg_per_day if target else None, older_adult=older, target=target,
        guideline=guideline.strip().casefold(),
    )
    result = core.select(base.foods, query)
    cap = None if show_all or limit is not None or not sys.stdout.isatty() else FOODS_ON_A_TERMINAL
    document = lambda: documents.foods_json(result)  # noqa: E731
    note = target.notes if target is not None and fmt == "csv" else ()  # CSV rows are foods: a target note to stderr
    return Result(fmt, document, lambda: document()["items"], documents.foods_csv_header(result),
                  lambda: diet_tables().foods(result, cap), lambda: [f"Note: {n}" for n in note])


def _diet(diet: str | None, vegan: bool, vegetarian: bool) -> tuple[bool, bool]:
    from b12cli.domain.risk import DIETS
    from b12cli.domain.text import show
    from b12cli.errors import UsageError

    if diet is None:
        return vegan, vegetarian
    key = diet.strip().casefold()
    if key not in DIETS:
        raise UsageError(f"--diet {show(diet)} is not accepted; expected one of {', '.join(DIETS)}")
    return vegan or key == "vegan", vegetarian or key == "vegetarian"


def _target(intakes, age: str | None, pregnant: bool, breastfeeding: bool):  # noqa: ANN001, ANN202
    """The intake that servings are counted against (or None), and whether the age is over 50."""
    from b12cli.domain import foods as core
    from b12cli.domain.rda import OLDER_ADULT_MONTHS, guideline_note, recommend, tables_start_note

    when = parse_age(age) if age is not None else None
    if when is None and not (pregnant or breastfeeding):
        return None, False
    result = recommend(intakes, when, pregnant, breastfeeding)
    (row,) = result.items
    note = tables_start_note(intakes, when, result.condition)
    notes = (guideline_note(intakes), *((note,) if note else ()))
    target = core.Target(row.mcg_per_day, row.id, row.life_stage, when.years if when else None, result.condition,
                         notes, intakes.guideline, intakes.body.short)
    return target, bool(when and when.months >= OLDER_ADULT_MONTHS and result.condition == "none")
