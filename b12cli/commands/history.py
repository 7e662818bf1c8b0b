"""`b12 history`: results over time, one panel per person and draw, and a trend per marker."""

from __future__ import annotations

from typing import Any, Callable, List

import typer

from b12cli.commands.labs import marker_parameters, param_name
from b12cli.commands.options import (
    egfr_option,
    file_argument,
    format_option,
    input_option,
    kb,
    long_options,
    nitrous_oxide_option,
    one_file,
    read_context,
    read_long,
    scheme_option,
    tables,
    taking_b12_option,
)
from b12cli.errors import ExitCode, UsageError
from b12cli.output.formats import Result, read_format

FORMATS = ("table", "json", "csv", "html")
ERRORS_SHOWN = 50  # error lines on stderr; the rest are counted (JSON output lists every one)


def history(
    path: str | None = file_argument("FHIR R4 JSON or XML (Bundle or resource), NDJSON, a folder of such files, "
                                     "or a CSV file; '-' for stdin."),
    input_path: str | None = input_option("The same as FILE."),
    scheme: str | None = scheme_option(),
    pregnant: bool = typer.Option(False, "--pregnant", help="You are pregnant (every panel is read so)."),
    egfr: str | None = egfr_option(),
    taking_b12: bool = taking_b12_option(),
    nitrous_oxide: bool = nitrous_oxide_option(),
    no_lab_ranges: bool = typer.Option(False, "--no-lab-ranges",
                                       help="Ignore each result's own laboratory range (FHIR referenceRange)."),
    date_column: str = typer.Option("date", "--date", help="CSV: the date column (found by its usual names, "
                                    "Collected, CHARTTIME, ..., when there is no 'date').", metavar="COLUMN"),
    date_format: str | None = typer.Option(None, "--date-format", metavar="ORDER",
                                           help="CSV: DMY (13/03/2024), MDY (03/13/2024) or YMD, for dates such as "
                                           "03/04/2024 that the file does not settle."),
    id_column: str = typer.Option("id", "--id", help="CSV: the person column (one person when absent).",
                                  metavar="COLUMN"),
    delimiter: str | None = typer.Option(None, "--delimiter", metavar="CHAR",
                                         help="CSV: comma, semicolon or tab (found from the header when not given)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 if any person's latest panel is abnormal."),
    strict: bool = typer.Option(False, "--strict", help="CSV: a marker cell that cannot be read makes its whole "
                                "row an error (by default the row keeps its other markers)."),
    rcv: List[str] | None = typer.Option(None, "--rcv", metavar="MARKER=CVA,CVI",
                                         help="Your laboratory's analytical and within-person CVs in percent, for "
                                         "judging changes: b12=5,9 (repeatable; replaces the published figures)."),
    fmt: str = format_option("Output: table, json, csv or html (one page to print or keep)."),
    **values: Any,
) -> Result:
    """Results over time: one panel per person and date, and a trend per marker.

    \b
    Examples:
      b12 history export.json                  # a FHIR R4 Bundle
      b12 history portal-download/             # a folder of .json/.ndjson/.xml
      b12 history results.csv --date drawn --id patient --format html > results.html
      b12 history labevents.csv --code b12=51010 --date-format MDY --rcv b12=5,9
    """
    from b12cli.domain import history as core
    from b12cli.domain.dates import parse_date_format
    from b12cli.domain.labs import read_scheme, read_units
    from b12cli.domain.text import printable
    from b12cli.domain.variation import ChangeRules, read_rcv
    from b12cli.inputs import results
    from b12cli.inputs.csv_rows import parse_delimiter
    from b12cli.inputs.spool import SpooledProblems
    path = one_file(path, input_path)
    if path is None:
        raise UsageError("no file given; expected FILE (a FHIR export, a folder of FHIR files or a CSV file; "
                         "'-' for stdin)")
    fmt = read_format(fmt, FORMATS)
    base = kb()
    thresholds = base.thresholds
    read_scheme(thresholds, scheme)  # a bad --scheme fails before any reading
    change = ChangeRules(base.variation, read_rcv(rcv or [], base.markers.ids))  # a bad --rcv too
    units = read_units(base.markers, {m.id: values.get(param_name(m.id, unit=True))
                                      for m in base.markers.markers if m.unit_option})
    source = results.SourceOptions(date_column, id_column, not no_lab_ranges, parse_delimiter(delimiter), units,
                                   parse_date_format(date_format), strict, read_long(values))
    collected, day_note = results.collect(path, base.markers, base.loinc, source, SpooledProblems())
    context = read_context(egfr, taking_b12, nitrous_oxide, pregnant)
    found = core.build(thresholds, collected,
                       core.HistoryOptions(scheme, pregnant, not no_lab_ranges, context, change), day_note)

    def stream() -> int:
        """Written a person at a time; the errors and the summary once every person is done."""
        import sys

        from b12cli.output.streams import say, wrapped

        _write(fmt, found, base, path)
        sys.stdout.flush()
        for k, e in enumerate(found.errors):
            if k == ERRORS_SHOWN:
                more = len(found.errors) - ERRORS_SHOWN
                say(f"b12: history: and {more:,} more error{'s' if more > 1 else ''}"
                    f"{'' if fmt == 'json' else ' (--format json lists every one under errors)'}\n")
                break
            say(f"b12: history: error: {e.where.describe()}: {printable(e.reason, 300)}\n")
        say(wrapped(core.summary_line(found)) + "\n")
        if found.errors:
            return ExitCode.ROWS_INVALID
        return ExitCode.CHECK_FAILED if check and found.latest_abnormal else ExitCode.OK

    return Result(fmt, stream=stream)


def _write(fmt: str, found, base, path: str) -> None:  # noqa: ANN001 - a history.History, a kb.KnowledgeBase
    """The people in ``fmt``, written as they are made."""
    from b12cli.output import documents
    from b12cli.output.formats import csv_pieces
    from b12cli.output.streams import write_out

    if fmt == "json":
        pieces = documents.history_pieces(found)
    elif fmt == "html":
        from b12cli.output import html

        pieces = html.history_page(found, base, path)
    elif fmt == "csv":
        pieces = csv_pieces(documents.history_header(base.markers.ids), documents.history_rows(found))
    else:
        return tables().history(found, base.markers)
    for piece in pieces:
        write_out(piece)
    if fmt == "json":
        write_out("\n")
    return None


def build() -> Callable[..., Result]:
    """``history`` with a unit option per marker of the registry that has several units, and the long-format
    options (Typer reads its signature)."""
    from b12cli.typer_compat import with_parameters

    units = [p for p in marker_parameters(kb().markers) if p[0].endswith("_unit")]
    command = with_parameters(history, units + long_options())
    command.__doc__ = history.__doc__
    return command
