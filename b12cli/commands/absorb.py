"""`b12 absorb`: how much of one oral dose of B12 is absorbed, on a cited model."""

from __future__ import annotations

import typer

from b12cli.commands.options import age_option, diet_tables, format_option, kb, read_age
from b12cli.output.formats import Result, read_format


def absorb(
    dose: str = typer.Option(..., "--dose", metavar="MCG", help="One oral dose in mcg (above 0)."),
    per_day: str = typer.Option("1", "--per-day", metavar="N",
                                help="Doses a day, at least 4 hours apart (1-6); each is absorbed as the first."),
    weekly: bool = typer.Option(False, "--weekly", help="One dose a week: show the daily average."),
    no_intrinsic_factor: bool = typer.Option(False, "--no-intrinsic-factor",
                                             help="Pernicious anaemia or stomach surgery: passive absorption only."),
    age: str | None = age_option("Age in years: compare with the RDA for that age (and add its notes)."),
    fmt: str = format_option(),
) -> Result:
    """How much B12 one oral dose delivers, on a cited model (IOM 1998).

    Published points (50% of 1 mcg, 20% of 5 mcg, just over 5% of 25 mcg) are interpolated;
    above them the intrinsic-factor route is full and 1% more is absorbed passively.

    \b
    Examples:
      b12 absorb --dose 1000
      b12 absorb --dose 25 --age 70
      b12 absorb --dose 1000 --no-intrinsic-factor
      b12 absorb --dose 2500 --weekly --format json
    """
    from b12cli.domain import absorb as core
    from b12cli.domain.numbers import parse_number, parse_positive_int
    from b12cli.domain.rda import stage_for
    from b12cli.output import documents

    fmt = read_format(fmt)
    when = read_age(age)
    base = kb()
    query = core.AbsorbQuery(parse_number(dose, "--dose", "a dose in mcg above 0"),
                             parse_positive_int(per_day, "--per-day"), weekly, not no_intrinsic_factor,
                             stage_for(base.intakes, when.months) if when is not None else None)
    result = core.estimate(base.absorption, query)
    document = lambda: documents.absorb_json(result)  # noqa: E731
    return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["absorb"],
                  lambda: diet_tables().absorb(result))
