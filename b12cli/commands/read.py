"""`b12 read`: a laboratory report as people have it (text pasted from a portal or an e-mail, a text file, a
PDF), shown as read, line by line, and then interpreted exactly as `b12 labs` interprets the same values
(``labs.single``). The report's text stays in memory: only the lines that name a marker are ever shown."""

from __future__ import annotations

from typing import Any

import typer

from b12cli.commands.labs import single
from b12cli.commands.options import (
    age_option,
    egfr_option,
    file_argument,
    format_option,
    input_option,
    kb,
    nitrous_oxide_option,
    one_file,
    read_context,
    scheme_option,
    taking_b12_option,
)
from b12cli.errors import ExitCode, UsageError
from b12cli.output.formats import Result, read_format

FORMATS = ("table", "json", "csv")
CSV_HEADER = ("line", "text", "marker", "value", "unit", "censored", "range", "flag", "status", "lab_flag",
              "not_read")
EXAMPLE_LINE = "'Serum vitamin B12  162  ng/L  197 - 771'"


def read(
    file: str | None = file_argument("The report: a text file (pasted from a portal or an e-mail, an OCR'd page) "
                                     "or a PDF; '-' for stdin."),
    input_file: str | None = input_option("The same as FILE."),
    age: str | None = age_option("Age in years (needed for cB12)."),
    scheme: str | None = scheme_option(),
    pregnant: bool = typer.Option(False, "--pregnant", help="You are pregnant: serum B12 falls in pregnancy, "
                                  "and a possible deficiency is looked at promptly."),
    egfr: str | None = egfr_option(),
    taking_b12: bool = taking_b12_option(),
    nitrous_oxide: bool = nitrous_oxide_option(),
    check: bool = typer.Option(False, "--check", help="Exit 3 unless deficiency is unlikely and all are normal."),
    date_format: str | None = typer.Option(None, "--date-format", metavar="ORDER",
                                           help="DMY (13/03/2024) or MDY (03/13/2024), for a collection date such "
                                           "as 03/04/2024 that the report does not settle."),
    fmt: str = format_option("table, json or csv (one row per line read)."),
) -> Result:
    """Read a laboratory report (text or PDF): show what was read, then interpret it as b12 labs does.

    PDFs need pypdf: install b12 with its pdf extra. Only the lines that name a marker are shown.

    \b
    Examples:
      b12 read report.txt
      b12 read report.pdf --format json
      b12 read - --age 70 < pasted.txt
    """
    from b12cli.domain.dates import parse_date_format
    from b12cli.domain.labs import read_scheme
    from b12cli.domain.numbers import parse_age
    from b12cli.inputs import pdf_text, report

    path = one_file(file, input_file)
    if path is None:
        raise UsageError("no report given; expected FILE (the report as text, or a PDF), or '-' for stdin")
    fmt = read_format(fmt, FORMATS)
    base = kb()
    read_scheme(base.thresholds, scheme)  # a bad option fails before the report is read
    if age is not None:
        parse_age(age)
    order = parse_date_format(date_format)
    context = read_context(egfr, taking_b12, nitrous_oxide, pregnant)
    loaded = pdf_text.load(path)
    found = report.read_report(base.markers, loaded.text, order)
    if not found.entries:
        names = ", ".join(m.label for m in base.markers.markers)
        raise UsageError(f"no result of {names} found in {pdf_text.label_of(path)}; b12 reads lines that start with "
                         f"the test's name, then its result, such as {EXAMPLE_LINE}")
    used = {}  # the first line read for each marker (another line with the same result is the same result)
    for e in found.entries:
        if e.value is not None:
            used.setdefault(e.marker, e)
    if not used:
        return _nothing_read(fmt, found, base.markers)
    raw = {m.id: used[m.id].raw if m.id in used else None for m in base.markers.markers}
    units = {m: e.value.unit for m, e in used.items()}
    refs = [e.ref_text for e in used.values() if e.ref_text]
    labs = single(base, raw, units, age, scheme, refs, context, check, "json")
    code = ExitCode.ROWS_INVALID if any(e.not_read for e in found.entries) else labs.exit_code
    return Result(fmt, lambda: _document(found, labs.document()), lambda: _rows(found, labs.document()),
                  CSV_HEADER, lambda: _tables(found, base.markers, labs), lambda: _said(fmt, found),
                  exit_code=code)


# ----------------------------------------------------------------- JSON and CSV


def entry_json(e) -> dict:  # noqa: ANN001 - a report.Entry
    """One line that names a marker: what was read from it, or ``not_read`` with the reason."""
    v = e.value
    return {"line": e.line, "text": e.text, "marker": e.marker, "value": None if v is None else v.value,
            "unit": None if v is None else v.unit, "censored": None if v is None else v.censored,
            "range": e.ref.text if e.ref is not None else None, "flag": None if v is None else v.flag,
            "not_read": e.not_read}


def collected_json(c) -> dict | None:  # noqa: ANN001 - a report.Collected or None
    if c is None:
        return None
    return {"line": c.line, "date": c.day, "time": c.time, "could_be": list(c.could_be)}


def _document(found, labs: dict) -> dict:  # noqa: ANN001 - a report.Report
    """The `labs` document of the values read, with what was read (``read``) and the collection date."""
    body = {k: v for k, v in labs.items() if k != "schema"}
    body["notes"] = [*labs.get("notes", []), *found.notes]
    return {"schema": "b12.read/1", "read": [entry_json(e) for e in found.entries],
            "collected": collected_json(found.collected), **body}


def _rows(found, labs: dict) -> list[dict]:  # noqa: ANN001 - a report.Report
    markers = {m["marker"]: m for m in labs.get("markers", [])}
    rows = []
    for e in found.entries:
        shown = markers.get(e.marker, {}) if e.value is not None else {}
        rows.append({**entry_json(e), "status": shown.get("status"), "lab_flag": shown.get("lab_flag")})
    return rows


def _nothing_read(fmt: str, found, registry) -> Result:  # noqa: ANN001 - a report.Report, a markers.Registry
    """Every line that names a marker was refused: what was read is shown, and nothing is interpreted."""
    notes = [*found.notes, "No result could be read, so nothing is interpreted."]

    def document() -> dict:
        return {"schema": "b12.read/1", "read": [entry_json(e) for e in found.entries],
                "collected": collected_json(found.collected), "markers": [], "verdict": None, "notes": notes}

    return Result(fmt, document, lambda: _rows(found, {}), CSV_HEADER, lambda: _read_table(found, registry),
                  lambda: _said(fmt, found._replace(notes=notes)), exit_code=ExitCode.ROWS_INVALID)


def _said(fmt: str, found) -> list[str]:  # noqa: ANN001 - a report.Report
    """Notes for stderr in table and CSV output (JSON carries them under ``notes``)."""
    if fmt == "json":
        return []
    refused = sum(1 for e in found.entries if e.not_read)
    lines = [f"Note: {note}" for note in found.notes]
    if refused:
        lines.append(f"b12: read: {refused} line{'s' if refused > 1 else ''} naming a marker could not be read "
                     "(exit 4); the values were not guessed")
    return lines


# ----------------------------------------------------------------- table


def _tables(found, registry, labs: Result) -> None:  # noqa: ANN001 - a report.Report, a markers.Registry
    _read_table(found, registry)
    labs.table()


def _read_table(found, registry) -> None:  # noqa: ANN001 - a report.Report, a markers.Registry
    """"Report line -> marker, value, unit, range, flag", before the interpretation."""
    from b12cli.domain.units import fmt
    from b12cli.output import layout
    from b12cli.output.layout import Column
    from b12cli.output.tables import Page

    page = Page()
    columns = [Column("Line", align="right", nowrap=True), Column("Report line", 3), Column("Marker", nowrap=True),
               Column("Value", nowrap=True), Column("Unit", nowrap=True), Column("Range", nowrap=True),
               Column("Flag", nowrap=True)]
    rows: list[list[Any]] = []
    after = []
    for e in found.entries:
        label, v = registry.get(e.marker).label, e.value
        if v is None:
            rows.append([str(e.line), e.text, label, ("not read", "bold red"), "", "", ""])
            after.append(layout.paragraph(f"Not read: {e.not_read}", page.width))
            continue
        rows.append([str(e.line), e.text, label, f"{v.censored or ''}{fmt(v.value)}", v.unit,
                     e.ref.text if e.ref is not None else "", v.flag or ""])
        after.append([])
    page.table(columns, rows, after, title="Read from the report")
    c = found.collected
    if c is not None and c.day is not None:
        page.line(f"Collected: {c.day}{f' {c.time}' if c.time else ''} (line {c.line})")
    page.print([[]])
