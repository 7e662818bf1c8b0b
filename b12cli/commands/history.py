"""`b12 history`: results over time, one panel per person and draw, and a trend per marker."""

from __future__ import annotations

import typer

from b12cli.commands.options import (
    egfr_option,
    file_argument,
    format_option,
    input_option,
    kb,
    nitrous_oxide_option,
    one_file,
    read_context,
    scheme_option,
    tables,
    taking_b12_option,
)
from b12cli.errors import ExitCode, UsageError
from b12cli.output.formats import Result, read_format

ERRORS_SHOWN = 50  # error lines on stderr; the rest are counted (JSON output lists every one)


def history(
    path: str | None = file_argument("FHIR R4 JSON (Bundle or resource), NDJSON, a folder of .json files, "
                                     "or a CSV file; '-' for stdin."),
    input_path: str | None = input_option("The same as FILE."),
    scheme: str | None = scheme_option(),
    pregnant: bool = typer.Option(False, "--pregnant", help="You are pregnant (every panel is read so)."),
    egfr: str | None = egfr_option(),
    taking_b12: bool = taking_b12_option(),
    nitrous_oxide: bool = nitrous_oxide_option(),
    no_lab_ranges: bool = typer.Option(False, "--no-lab-ranges",
                                       help="Ignore each result's own laboratory range (FHIR referenceRange)."),
    date_column: str = typer.Option("date", "--date", help="CSV: the date column.", metavar="COLUMN"),
    id_column: str = typer.Option("id", "--id", help="CSV: the person column (one person when absent).",
                                  metavar="COLUMN"),
    delimiter: str | None = typer.Option(None, "--delimiter", metavar="CHAR",
                                         help="CSV: comma, semicolon or tab (found from the header when not given)."),
    check: bool = typer.Option(False, "--check", help="Exit 3 if any person's latest panel is abnormal."),
    fmt: str = format_option(),
) -> Result:
    """Results over time: one panel per person and date, and a trend per marker.

    \b
    Examples:
      b12 history export.json                  # a FHIR R4 Bundle
      b12 history portal-download/             # a folder of .json files
      b12 history results.csv --date drawn --id patient
    """
    from b12cli.domain import history as core
    from b12cli.domain.labs import read_scheme
    from b12cli.domain.text import printable
    from b12cli.inputs import results
    from b12cli.inputs.csv_rows import parse_delimiter
    from b12cli.inputs.spool import SpooledProblems
    from b12cli.output import documents

    path = one_file(path, input_path)
    if path is None:
        raise UsageError("no file given; expected FILE (a FHIR export, a folder of .json files or a CSV file; "
                         "'-' for stdin)")
    fmt = read_format(fmt)
    base = kb()
    thresholds = base.thresholds
    read_scheme(thresholds, scheme)  # a bad --scheme fails before any reading
    source = results.SourceOptions(date_column, id_column, not no_lab_ranges, parse_delimiter(delimiter))
    collected, day_note = results.collect(path, base.markers, base.loinc, source, SpooledProblems())
    context = read_context(egfr, taking_b12, nitrous_oxide, pregnant)
    found = core.build(thresholds, collected, core.HistoryOptions(scheme, pregnant, not no_lab_ranges, context),
                       day_note)

    def stream() -> int:
        """Written a person at a time; the errors and the summary once every person is done."""
        import sys

        from b12cli.output.formats import csv_pieces
        from b12cli.output.streams import say, wrapped, write_out

        if fmt == "json":
            for piece in documents.history_pieces(found):
                write_out(piece)
            write_out("\n")
        elif fmt == "csv":
            for piece in csv_pieces(documents.history_header(base.markers.ids), documents.history_rows(found)):
                write_out(piece)
        else:
            tables().history(found, base.markers)
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
