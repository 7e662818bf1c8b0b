"""`b12 intake`: the day's B12 from foods and supplements, against the target for an age."""

from __future__ import annotations

from typing import List

import typer

from b12cli.commands.options import (
    age_option,
    diet_tables,
    format_option,
    guideline_option,
    intakes_for,
    kb,
    months_option,
    read_age,
    starting,
)
from b12cli.output.formats import Result, read_format


def complete_intake_food(incomplete: str) -> list[str]:
    """Food ids, the everyday words of intake.yaml and one-word aliases; nothing once ':' (servings) is typed."""
    if ":" in incomplete:
        return []
    base = kb()
    words = [f.id for f in base.foods.foods] + [d.word for d in base.intake.defaults if " " not in d.word]
    words += [a.casefold() for f in base.foods.foods for a in f.aliases if " " not in a]
    return starting(words, incomplete)


def intake(
    foods: List[str] | None = typer.Argument(None, metavar="FOOD[:SERVINGS]...",
                                             help="Food ids or names, each with servings (default 1, e.g. egg:2).",
                                             autocompletion=complete_intake_food),
    supplement: List[str] | None = typer.Option(None, "--supplement", metavar="MCG",
                                                help="A supplement dose in mcg (repeatable)."),
    age: str | None = age_option("Age in years: sets the target."),
    months: str | None = months_option(),
    pregnant: bool = typer.Option(False, "--pregnant", help="Target for pregnancy."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Target for breastfeeding."),
    meals: str | None = typer.Option(None, "--meals", metavar="N",
                                     help="Split the food B12 over N meals (1-6) for the absorbed estimate."),
    no_intrinsic_factor: bool = typer.Option(False, "--no-intrinsic-factor",
                                             help="Pernicious anaemia or stomach surgery: passive absorption only."),
    guideline: str = guideline_option(),
    fmt: str = format_option(),
) -> Result:
    """The day's B12 from foods and supplements, against the target for your age.

    \b
    Examples:
      b12 intake salmon egg:2 --age 30
      b12 intake beef-liver --age 70
      b12 intake oat-milk:2 tofu marmite --guideline uk
      b12 intake nutritional-yeast-fortified --no-intrinsic-factor -f json
    """
    from b12cli.domain import intake as core
    from b12cli.domain.numbers import parse_number, parse_positive_int
    from b12cli.output import documents

    fmt = read_format(fmt)
    when = read_age(age, months)
    base = kb()
    query = core.IntakeQuery(
        tuple(foods or ()), tuple(parse_number(s, "--supplement", "a dose in mcg above 0") for s in supplement or ()),
        when, pregnant, breastfeeding, parse_positive_int(meals, "--meals") if meals is not None else None,
        not no_intrinsic_factor)
    result = core.day(base.foods, base.intake, intakes_for(guideline), base.absorption, query)
    document = lambda: documents.intake_json(result)  # noqa: E731
    warning = [f"Warning: {result.warning}"] if result.warning and fmt == "csv" else []  # CSV rows are items
    return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["intake"],
                  lambda: diet_tables().intake(result), lambda: warning)
