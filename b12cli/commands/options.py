"""Options that mean the same in every command, declared once: the output format, an age, a
pregnancy flag, a scheme, a diet; the knowledge base a command reads; and shell completion of
their values (which loads the knowledge base only while the shell asks)."""

from __future__ import annotations

from typing import Iterable, List

import typer

from b12cli.domain.numbers import Age, parse_age, parse_months
from b12cli.errors import UsageError

FORMAT_HELP = "Output: table, json or csv."


def kb():  # noqa: ANN201 - a kb.KnowledgeBase
    """The knowledge base, loaded lazily (each file only when a command reads it)."""
    from b12cli.kb import KnowledgeBase

    return KnowledgeBase()


def starting(words: Iterable[str], incomplete: str) -> list[str]:
    key = incomplete.casefold()
    return sorted({w for w in words if w.casefold().startswith(key)}, key=str.casefold)


def complete_format(incomplete: str) -> list[str]:
    return starting(("table", "json", "csv", "jsonl", "html"), incomplete)


def complete_scheme(incomplete: str) -> list[str]:
    return starting(kb().thresholds.schemes, incomplete)


def complete_diet(incomplete: str) -> list[str]:
    from b12cli.domain.risk import DIETS

    return starting(DIETS, incomplete)


def format_option(help_text: str = FORMAT_HELP, default: str | None = "table") -> typer.models.OptionInfo:
    return typer.Option(default, "--format", "-f", help=help_text, metavar="FORMAT", autocompletion=complete_format)


def age_option(help_text: str = "Age in years (decimals allowed, 0-125).") -> typer.models.OptionInfo:
    return typer.Option(None, "--age", help=help_text, metavar="YEARS")


def months_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--months", help="Age in completed months (0 or more).", metavar="MONTHS")


def scheme_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--scheme", metavar="NAME", autocompletion=complete_scheme, show_default=False,
                        help="The scheme that decides: documents (the source documents' cut-offs, completed from "
                        "NICE and NHS laboratories) or nice (NICE NG239). Not given: every scheme reads the results, "
                        "the most cautious verdict is reported, and markers are shown by the documents' bands.")


def egfr_option() -> typer.models.OptionInfo:
    return typer.Option(None, "--egfr", metavar="N", help="Kidney function, eGFR in mL/min/1.73 m2: below 60 tempers "
                        "a raised MMA or homocysteine.")


def taking_b12_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--taking-b12", help="You take B12 supplements or injections (a level then mostly "
                        "reflects the treatment).")


def nitrous_oxide_option() -> typer.models.OptionInfo:
    return typer.Option(False, "--nitrous-oxide", help="You use nitrous oxide (laughing gas): homocysteine and MMA "
                        "matter more than the B12 level.")


def context_options() -> list[tuple[str, object, typer.models.OptionInfo]]:
    """What a person can say beside their results (labs and history); each changes a reading only
    through a cited row of the verdict table."""
    return [("egfr", str | None, egfr_option()), ("taking_b12", bool, taking_b12_option()),
            ("nitrous_oxide", bool, nitrous_oxide_option())]


def read_context(egfr: str | None, taking_b12: bool, nitrous_oxide: bool, pregnant: bool):  # noqa: ANN201
    """A ``labs.Context`` from the options, eGFR checked against the verdict table's plausible range."""
    from b12cli.domain.labs import Context
    from b12cli.domain.numbers import parse_number

    value = None
    if egfr is not None:
        low, high = kb().rules.egfr.plausible
        accepted = f"an eGFR in mL/min/1.73 m2 from {low:g} to {high:g}"
        value = parse_number(egfr, "--egfr", accepted)
        if not low <= value <= high:
            from b12cli.domain.text import show

            raise UsageError(f"--egfr {show(egfr)} is out of range; expected {accepted}")
    return Context(value, taking_b12, nitrous_oxide, pregnant)


GUIDELINES = ("us", "uk", "efsa")


def complete_guideline(incomplete: str) -> list[str]:
    return starting(GUIDELINES, incomplete)


def guideline_option() -> typer.models.OptionInfo:
    return typer.Option("us", "--guideline", "-g", metavar="BODY", autocompletion=complete_guideline,
                        help="Whose daily targets: us (IOM: adults 2.4 mcg), uk (COMA: 1.5 mcg) or efsa "
                        "(adequate intake: 4 mcg).")


def intakes_for(guideline: str):  # noqa: ANN201 - a model.Intakes
    """The intake tables with the chosen body's in use; an unknown body is refused with the accepted ones."""
    key = guideline.strip().casefold()
    if key not in GUIDELINES:
        from b12cli.domain.text import show

        raise UsageError(f"--guideline {show(guideline)} is not accepted; expected one of {', '.join(GUIDELINES)}")
    return kb().intakes.chosen(key)


def long_options() -> list[tuple[str, object, typer.models.OptionInfo]]:
    """How to read a long-format export (one test per row), for labs --input and history."""
    def column(flag: str, what: str) -> typer.models.OptionInfo:
        return typer.Option(None, flag, metavar="HEADER", help=f"Long format: the column that holds {what}.")

    return [("long", bool, typer.Option(False, "--long", help="Read the file as long format: one test per row "
                                        "(found from the header when it has a test and a value column).")),
            ("test_column", str | None, column("--test-column", "the test name or code")),
            ("value_column", str | None, column("--value-column", "the result")),
            ("unit_column", str | None, column("--unit-column", "the unit")),
            ("range_column", str | None, column("--range-column", "the laboratory's range")),
            ("flag_column", str | None, column("--flag-column", "the laboratory's flag (H, L)")),
            ("code", List[str] | None, typer.Option(None, "--code", metavar="MARKER=CODE", help="Long format: a "
                                                    "local test code for a marker, e.g. b12=51010 (repeatable)."))]


def read_long(values: dict):  # noqa: ANN201 - a long.LongRequest, or None when nothing was given
    from b12cli.inputs import long

    asked = long.request(bool(values.get("long")), values.get("test_column"), values.get("value_column"),
                         values.get("unit_column"), values.get("range_column"), values.get("flag_column"),
                         values.get("code"))
    return asked if asked != long.LongRequest() else None


def diet_option(help_text: str = "vegan or vegetarian.") -> typer.models.OptionInfo:
    return typer.Option(None, "--diet", metavar="DIET", help=help_text, autocompletion=complete_diet)


def input_option(help_text: str) -> typer.models.OptionInfo:
    return typer.Option(None, "--input", "-i", help=help_text, metavar="FILE")


def file_argument(help_text: str) -> typer.models.ArgumentInfo:
    return typer.Argument(None, help=help_text, metavar="FILE", show_default=False)


def one_file(positional: str | None, option: str | None) -> str | None:
    """The file given as ``FILE`` or as ``--input FILE`` (the same idea has one name in every
    command, and either spelling works); both at once only when they agree."""
    if positional is not None and option is not None and positional != option:
        from b12cli.domain.text import show

        raise UsageError(f"two files given ({show(positional)} and --input {show(option)}); give one")
    return option if option is not None else positional


def read_age(age: str | None, months: str | None = None) -> Age | None:
    """--age YEARS or --months N (never both), as an exact age."""
    if age is not None and months is not None:
        raise UsageError("--age and --months cannot be combined; give one")
    if age is not None:
        return parse_age(age)
    return parse_months(months) if months is not None else None


def diet_tables():  # noqa: ANN201 - the renderers of rda, foods, absorb and intake (Rich is slow to import)
    from b12cli.output import diet_tables as renderers

    return renderers


def tables():  # noqa: ANN201 - the table renderers, imported only for table output (Rich is slow to import)
    from b12cli.output import tables as renderers

    return renderers
