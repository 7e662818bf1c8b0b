"""`b12 rda`: recommended daily intake by life stage."""

from __future__ import annotations

import typer

from b12cli.commands.options import (
    age_option,
    diet_tables,
    format_option,
    guideline_option,
    intakes_for,
    months_option,
    read_age,
)
from b12cli.output.formats import Result, read_format


def rda(
    age: str | None = age_option(),
    months: str | None = months_option(),
    pregnant: bool = typer.Option(False, "--pregnant", help="Show the pregnancy row."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Show the breastfeeding row."),
    guideline: str = guideline_option(),
    fmt: str = format_option(),
) -> Result:
    """Recommended daily B12 intake (mcg/day) by life stage, as the US, UK or EFSA set it.

    \b
    Examples:
      b12 rda                       # every life stage
      b12 rda --age 70              # one row, with the note for adults over 50
      b12 rda --pregnant --age 30 --format json
      b12 rda --age 30 --guideline uk   # the UK amount (1.5 mcg)
    """
    from b12cli.domain import rda as core
    from b12cli.output import documents

    fmt = read_format(fmt)
    result = core.recommend(intakes_for(guideline), read_age(age, months), pregnant, breastfeeding)
    document = lambda: documents.rda_json(result)  # noqa: E731
    return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["rda"],
                  lambda: diet_tables().rda(result))

