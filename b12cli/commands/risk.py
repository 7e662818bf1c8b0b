"""`b12 risk`: should B12 be tested, and how soon."""

from __future__ import annotations

from typing import List

import typer

from b12cli.commands.meds import complete_medicine
from b12cli.commands.names import split_names
from b12cli.commands.options import (
    age_option,
    diet_option,
    format_option,
    kb,
    starting,
    tables,
    taking_b12_option,
)
from b12cli.errors import ExitCode
from b12cli.output.formats import Result, read_format


def _risk_names(records) -> list[str]:  # noqa: ANN001 - risk symptoms or factors
    return [name for r in records for name in (r.id, *r.aliases)]


def complete_symptom(incomplete: str) -> list[str]:
    return starting(_risk_names(kb().risk.symptoms), incomplete)


def complete_factor(incomplete: str) -> list[str]:
    return starting(_risk_names(kb().risk.factors), incomplete)


def risk(
    symptom: List[str] | None = typer.Option(None, "--symptom", "-s", metavar="NAME",
                                             help="A symptom or sign (repeatable); --list shows the names.",
                                             autocompletion=complete_symptom),
    factor: List[str] | None = typer.Option(None, "--factor", metavar="NAME",
                                            help="A risk factor (repeatable); --list shows the names.",
                                            autocompletion=complete_factor),
    age: str | None = age_option("Age in years; over 65 adds older age."),
    diet: str | None = diet_option("vegan or vegetarian: adds that factor."),
    meds: List[str] | None = typer.Option(None, "--meds", metavar="NAME,...",
                                          help="Medicines taken (generic or brand, comma-separated); listed ones "
                                          "add their factor.", autocompletion=complete_medicine),
    pregnant: bool = typer.Option(False, "--pregnant", help="Adds pregnancy as a factor; a symptom is seen promptly."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="A symptom is seen promptly; a vegan or "
                                       "vegetarian diet gets the advice to take B12 for the baby."),
    taking_b12: bool = taking_b12_option(),
    list_all: bool = typer.Option(False, "--list", help="List every symptom and factor, with sources."),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless the advice is not_indicated."),
    fmt: str = format_option(),
) -> Result:
    """Should B12 be tested, and how soon? NICE NG239: a symptom AND a risk factor.

    Advice: urgent, prompt, test, consider or not_indicated; testing and urgency are decided
    apart, and each matched factor says what to do about it.

    \b
    Examples:
      b12 risk --symptom tingling --factor metformin
      b12 risk --symptom numbness --meds omeprazole,Glucophage -f json
      b12 risk --diet vegan --pregnant
      b12 risk --list
    """
    from b12cli.domain import risk as core
    from b12cli.domain.numbers import parse_years
    from b12cli.output import documents

    fmt = read_format(fmt)
    base = kb()
    if list_all:
        listing = core.listing(base.risk)
        document = lambda: documents.risk_list_json(listing)  # noqa: E731
        return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["risk-list"],
                      lambda: tables().risk_list(listing))
    query = core.RiskQuery(split_names(symptom, "--symptom"), split_names(factor, "--factor"),
                           parse_years(age) if age is not None else None,
                           diet.strip().casefold() if diet is not None else None, split_names(meds, "--meds"),
                           pregnant, breastfeeding, taking_b12)
    result = core.assess(base.risk, base.medications if query.meds else None, query)
    document = lambda: documents.risk_json(result)  # noqa: E731
    code = ExitCode.CHECK_FAILED if check and result.advice != "not_indicated" else ExitCode.OK
    return Result(fmt, document, lambda: documents.risk_rows(result),
                  documents.CSV_HEADERS["risk"], lambda: tables().risk(result), exit_code=code)
