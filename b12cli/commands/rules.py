"""`b12 rules`: the verdict table, row by row, with its sources, for a clinician to review."""

from __future__ import annotations

from b12cli.commands.options import format_option, kb, tables
from b12cli.output.formats import Result, read_format


def rules(fmt: str = format_option()) -> Result:
    """The verdict table of b12 labs: each rule, in order, with its sources (the first that holds decides).

    \b
    Examples:
      b12 rules
      b12 rules --format json
      b12 rules --format csv > b12-rules.csv
    """
    from b12cli.output import documents

    fmt = read_format(fmt)
    table = kb().rules
    document = lambda: documents.rules_json(table)  # noqa: E731
    return Result(fmt, document, lambda: documents.rules_rows(table), documents.CSV_HEADERS["rules"],
                  lambda: tables().rules(table))
