"""Results over time from files: a dated CSV (through the one CSV reader), FHIR R4 JSON (a Bundle, a
resource, NDJSON), FHIR R4 XML or a folder of FHIR files, turned into checked ``history.Observed`` results.

Every value and laboratory range is checked as ``b12 labs`` checks its own: the same plausible
ranges, the same units, the same limits. A record that cannot be used becomes a ``Problem`` naming
its file and place; the rest carry on.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import BinaryIO, Iterator, NamedTuple

from b12cli.domain import dates
from b12cli.domain.history import Collected, Observed, Problem, Problems, Store, Where
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.model import Loinc
from b12cli.domain.numbers import parse_age
from b12cli.domain.ranges import RefRange, no_range, read_ref
from b12cli.domain.text import printable, show
from b12cli.domain.units import MarkerValue, check_plausible, fmt, marker_reader
from b12cli.errors import UsageError
from b12cli.inputs import csv_rows, fhir
from b12cli.inputs.columns import header_key, map_columns
from b12cli.inputs.files import walk

MAX_INPUT_BYTES = 64 << 20  # one FHIR JSON file (or stdin); a larger one is refused, never read whole
FHIR_SUFFIXES = (".json", ".ndjson")
XML_SUFFIX = ".xml"  # FHIR XML, in a folder; a file named on the command line is XML when it starts with '<'
PERSON_HEADERS = ("id", "patient", "patientid", "patientnumber", "mrn", "person", "personid", "subject",
                  "subjectid", "participant", "participantid", "nhsnumber", "pid", "patid", "hadmid")
DEFAULT_ID_COLUMN = "id"
DAY_NOTE_FHIR = ("Each panel holds one person's results on one date, the date part as written in the record "
                 "(effectiveDateTime, else effectivePeriod.start, else issued); times and time zones are not "
                 "converted.")
DAY_NOTE_CSV = ("Each panel holds one person's results on one date, as written in the date column; times and time "
                "zones are not converted.")


class SourceOptions(NamedTuple):
    date_column: str = "date"
    id_column: str = DEFAULT_ID_COLUMN
    lab_ranges: bool = True
    delimiter: str | None = None
    units: dict[str, str | None] = {}  # unit options (--b12-unit, ...) for columns that name none
    date_format: str | None = None  # --date-format DMY | MDY | YMD: the order of a numeric date
    strict: bool = False  # --strict: a bad marker cell makes the whole row an error
    long: object = None  # a long.LongRequest (--long, --test-column, --code ...), None when none was given


# Date and person columns as exports name them (compared after header_key), looked for when --date or --id
# was not given and the file has no 'date' or 'id' column.
DATE_HEADERS = ("collected", "collectiondate", "datecollected", "collectiondatetime", "collectiontime",
                "datetime", "charttime", "specimendate", "specimencollected", "sampledate", "sampletime", "drawn",
                "drawdate", "resultdate", "observationdate", "effectivedatetime", "measurementdate",
                "measurementdatetime", "collecteddate", "dateofcollection", "datumabnahme", "time")


# ----------------------------------------------------------------- checking one result


def observed_value(marker: Marker, value: float, sign: str | None, unit: str, where_text: str) -> MarkerValue:
    canonical = check_plausible(marker, value, unit, f"value {fmt(value)}", "the unit of the result")
    return MarkerValue(marker.id, value, unit, canonical, sign)


def lab_range(marker: Marker, low: float | None, high: float | None, unit: str) -> RefRange | None:
    """A laboratory range given as ends in ``unit`` (both inclusive, as FHIR R4 has them); a low end of
    0 is no low end. A ``UsageError`` for ends that cannot be a range of this marker."""
    if low is None and high is None:
        return None
    if low is not None and low < 0:
        raise UsageError(f"laboratory range: the low end {fmt(low)} {unit} is below zero")
    low_c = None if not low else check_plausible(marker, low, unit, f"laboratory range: the low end {fmt(low)}",
                                                 "a unit on the range")
    high_c = None if high is None else check_plausible(marker, high, unit, f"laboratory range: the high end "
                                                       f"{fmt(high)}", "a unit on the range")
    if low_c is not None and high_c is not None and low_c >= high_c:
        raise UsageError(f"laboratory range {fmt(low)}-{fmt(high)} {unit}: the low end must be below the high end")
    if high is None:
        text = f">={fmt(low)} {unit}"
    elif not low:
        text = f"<={fmt(high)} {unit}"
    else:
        text = f"{fmt(low)}-{fmt(high)} {unit}"
    return RefRange(marker.id, low_c, high_c, True, True, text, unit)


# ----------------------------------------------------------------- FHIR


def _observed_from(registry: Registry, reading: fhir.Reading, lab_ranges: bool) -> Observed:
    marker = registry.get(reading.marker)
    try:
        value = observed_value(marker, reading.value, reading.comparator, reading.unit, "")._replace(flag=reading.flag)
    except UsageError as exc:
        raise UsageError(f"{marker.label}: {exc}") from None
    ref = lab_range(marker, reading.ref_low, reading.ref_high, reading.unit) if lab_ranges else None
    return Observed(reading.subject, reading.date, reading.time, value, ref, None, reading.where)


def _take(out: Collected, registry: Registry, records: Iterator[fhir.Record], lab_ranges: bool) -> None:
    for record in records:
        if isinstance(record, fhir.Reading):
            if record.zero_range and lab_ranges and ZERO_RANGE_NOTE not in out.notes:
                out.notes.append(ZERO_RANGE_NOTE)
            try:
                out.store.add(_observed_from(registry, record, lab_ranges))
            except UsageError as exc:
                out.errors.add(Problem(str(exc), record.where))
        elif isinstance(record, Problem):
            out.errors.add(record)
        else:
            out.skipped[record.reason] += 1


class _Budget:
    """Bytes read from one input (a file or stdin): at most MAX_INPUT_BYTES."""

    def __init__(self, name: str) -> None:
        self.name, self.used = name, 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > MAX_INPUT_BYTES:
            raise UsageError(f"{self.name} is larger than {MAX_INPUT_BYTES >> 20} MiB; split the export")


def _fhir_stream(binary: BinaryIO, file: str, out: Collected, registry: Registry, loinc: Loinc,
                 options: SourceOptions) -> None:
    """One FHIR input: NDJSON read a line at a time (lines split at LF only), or one JSON document
    whose Bundle entries are read one at a time. NDJSON when the name ends in .ndjson, or when the
    first non-blank line is a whole JSON value and another non-blank line follows it."""
    codes = {code: record.marker for code, record in loinc.codes.items()}
    budget = _Budget(f"PATH {printable(file)!r}")
    lines = iter(binary.readline, b"")
    head: list[bytes] = []
    for line in lines:
        budget.spend(len(line))
        head.append(line[3:] if not head and line.startswith(b"\xef\xbb\xbf") else line)
        if sum(1 for h in head if h.strip(b" \t\r\n")) >= 2:
            break
    if file.lower().endswith(".ndjson") or _whole_json_line(head):
        items = _ndjson(chain(head, _spent(lines, budget)), file)
    else:
        text = _decode(b"".join(chain(head, _spent(lines, budget))), file)
        items = fhir.document_items(text, file)
    _take(out, registry, fhir.observations(items, codes, loinc.system, registry), options.lab_ranges)


def _fhir_xml(binary: BinaryIO, file: str, out: Collected, registry: Registry, loinc: Loinc,
              options: SourceOptions) -> None:
    """One FHIR XML input (a Bundle or a resource), read whole (at most MAX_INPUT_BYTES) and parsed in chunks."""
    from b12cli.inputs import fhir_xml

    data = binary.read(MAX_INPUT_BYTES + 1)
    _Budget(f"PATH {printable(file)!r}").spend(len(data))
    codes = {code: record.marker for code, record in loinc.codes.items()}
    items = fhir_xml.document_items(data, file)
    _take(out, registry, fhir.observations(items, codes, loinc.system, registry), options.lab_ranges)


def _spent(lines: Iterator[bytes], budget: _Budget) -> Iterator[bytes]:
    for line in lines:
        budget.spend(len(line))
        yield line


def _whole_json_line(head: list[bytes]) -> bool:
    """Two non-blank lines, the first a whole JSON value (a document spread over lines is not)."""
    filled = [h for h in head if h.strip(b" \t\r\n")]
    if len(filled) < 2:
        return False
    try:
        fhir.loads(filled[0].decode("utf-8"))
    except (ValueError, fhir.Invalid, RecursionError):
        return False
    return True


def _ndjson(lines: Iterator[bytes], file: str) -> Iterator[tuple | Problem]:
    for number, line in enumerate(lines, 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Problem(f"line is not UTF-8 text (byte {exc.start + 1})", Where(file, number, None))
        else:
            yield from fhir.ndjson_items(_line_text(text), file, number)


def _line_text(line: str) -> str:
    """An NDJSON line without its end (LF, or CR LF)."""
    line = line[:-1] if line.endswith("\n") else line
    return line[:-1] if line.endswith("\r") else line


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{printable(file)!r} is not UTF-8 text (byte {exc.start + 1})") from None


def _folder(folder: str, out: Collected, registry: Registry, loinc: Loinc, options: SourceOptions) -> None:
    """Every .json/.ndjson/.xml file under ``folder``, one at a time; a file that cannot be read, and what
    a limit left unread, are error records; files of other kinds are named and counted in a note."""
    walked = walk(folder, (*FHIR_SUFFIXES, XML_SUFFIX))
    for path, why in walked.unreadable:
        out.errors.add(Problem(f"{why}; expected a FHIR JSON, NDJSON or XML file", Where(path, None, None)))
    for path, why in walked.unread:
        out.errors.add(Problem(f"not read: {why}", Where(path, None, None)))
    for file in walked.files:
        try:
            binary = csv_rows.open_binary(file, "PATH", regular_only=True)
        except UsageError as exc:
            out.errors.add(Problem(str(exc), Where(file, None, None)))
            continue
        try:
            read = _fhir_xml if file.lower().endswith(XML_SUFFIX) else _fhir_stream
            read(binary, file, out, registry, loinc, options)
        except UsageError as exc:
            out.errors.add(Problem(str(exc), Where(file, None, None)))
        finally:
            binary.close()
    if walked.ignored:
        count = walked.ignored_count
        shown = "; ".join(f"{printable(path)} (not a .json, .ndjson or .xml file)" for path, _ in walked.ignored)
        more = count - len(walked.ignored)
        out.notes.append(f"Not read from the folder ({count:,} file{'s' if count > 1 else ''}; only .json, .ndjson "
                         f"and .xml files are read): {shown}{f'; and {more:,} more' if more else ''}.")


# ----------------------------------------------------------------- CSV


class CsvColumns(NamedTuple):
    date: int
    person: int | None
    markers: list[tuple[str, int]]
    units: dict[str, int]  # marker -> position of its unit column
    header_units: dict[str, str]  # marker -> unit named in its header, e.g. "B12 (pmol/L)"
    age: int | None
    width: int
    notes: tuple[str, ...]
    refs: dict[str, int] = {}  # marker -> position of its laboratory range column


def _person_column(header: list[str], asked: str) -> tuple[int | None, tuple[str, ...]]:
    """The person column: the one --id names (an error if it is missing), else `id` or a usual name for
    it (Patient ID, MRN, ...), said in a note; with none, all rows are one person, and that is said too."""
    keys = [header_key(h) for h in header]
    if header_key(asked) in keys:
        return keys.index(header_key(asked)), ()
    if asked.strip().casefold() != DEFAULT_ID_COLUMN:
        raise UsageError(f"the header has no person column {show(asked)}; name it with --id COLUMN")
    found = next((i for i, k in enumerate(keys) if k in PERSON_HEADERS), None)
    if found is not None:
        return found, (f"The column {printable(header[found])!r} is read as the person (there is no 'id' column).",)
    return None, ("There is no person column ('id', or --id COLUMN): all rows are read as one person.",)


def csv_columns(registry: Registry, header: list[str], options: SourceOptions, read_as: str) -> CsvColumns:
    """Markers, age and units as ``labs --input`` maps them (the same names and header units), plus the
    date and person columns named by --date and --id."""
    keys = [header_key(h) for h in header]
    date_at, said_date = _date_column(header, keys, options.date_column, read_as)
    person, said = _person_column(header, options.id_column)
    said = (*said_date, *said)
    if person == date_at:
        raise UsageError(f"--date and --id name the same column {show(header[date_at])}; a date is not a person")
    rest = [h if i not in (date_at, person) else "" for i, h in enumerate(header)]
    mapped = map_columns(registry, rest, {}, options.units, read_as)
    where = mapped.positions
    units = {marker: where[column] for column, marker in mapped.unit_columns.items() if column in where}
    refs = {m: where[f"{m}_ref"] for m in registry.ids if f"{m}_ref" in where}
    return CsvColumns(date_at, person, mapped.markers(registry), units, mapped.units, where.get("age"), len(header),
                      (*said, *mapped.warnings), refs)


def _date_column(header: list[str], keys: list[str], asked: str, read_as: str) -> tuple[int, tuple[str, ...]]:
    """The date column: the one --date names, else `date` or a usual name for it (Collected, CHARTTIME, ...)."""
    if header_key(asked) in keys:
        return keys.index(header_key(asked)), ()
    found = next((i for i, k in enumerate(keys) if k in DATE_HEADERS), None) \
        if asked.strip().casefold() == "date" else None
    if found is None:
        raise UsageError(f"the header has no date column {show(asked)}; name it with --date COLUMN ({read_as})")
    return found, (f"The column {printable(header[found])!r} is read as the date (there is no 'date' column).",)


def _cell(cells: list[str], at: int | None) -> str | None:
    if at is None or at >= len(cells) or not cells[at].strip():
        return None
    return cells[at].strip()


class _Readers:
    """A checker per (marker, unit), built once."""

    def __init__(self, registry: Registry, header: list[str], columns: CsvColumns) -> None:
        self.registry, self.header, self.columns = registry, header, columns
        self.readers: dict[tuple[str, str | None], object] = {}

    def read(self, marker_id: str, unit: str | None, text: str) -> MarkerValue:
        key = (marker_id, unit)
        reader = self.readers.get(key)
        if reader is None:
            marker = self.registry.get(marker_id)
            label = printable(self.header[dict(self.columns.markers)[marker_id]], 40)
            reader = self.readers[key] = marker_reader(marker, unit, label)
        return reader(text)  # type: ignore[operator]


ZERO_RANGE_NOTE = "A laboratory range printed 0-0, which some exports write for no range, is read as no range."


class AmbiguousDate(Exception):
    """A row whose date reads as two days (03/04/2024): decided at the end of the file, or refused."""

    def __init__(self, found: dates.Ambiguous) -> None:
        super().__init__(found.text)
        self.found = found


def csv_observed(registry: Registry, readers: _Readers, cells: list[str], columns: CsvColumns, where: Where,
                 dialect: csv_rows.Dialect, options: SourceOptions,
                 date_format: str | None = None) -> tuple[list[Observed], list[Problem]]:
    """A row's results, and a problem for each marker cell that cannot be read (the row keeps the others;
    with --strict the first such cell makes the whole row an error). Raises ``AmbiguousDate``."""
    if len(cells) > columns.width:
        raise UsageError(f"row has {len(cells)} fields but the header has {columns.width}")
    if csv_rows.not_utf8("".join(cells)):
        raise UsageError("row is not valid UTF-8 text")
    moment = _moment(cells, columns, date_format or options.date_format)
    person = _cell(cells, columns.person)
    if columns.person is not None and person is None:
        raise UsageError("no person id in this row (the person column is empty); results of different people "
                         "are never pooled")
    age_text = _cell(cells, columns.age)
    age = parse_age(dialect.number(age_text), "age") if age_text is not None else None
    out, bad = [], []
    for marker_id, at in columns.markers:
        text = _cell(cells, at)
        if text is None:
            continue
        try:
            out.append(_one(registry, readers, cells, columns, marker_id, text, dialect, options, moment, person,
                            age, where))
        except UsageError as exc:
            if options.strict:
                raise
            bad.append((marker_id, str(exc)))
    if not out:
        raise UsageError("; ".join(error for _, error in bad) or "no marker value in this row")
    return out, [Problem(f"{marker}: {error} (the row's other markers were read)", where) for marker, error in bad]


def _moment(cells: list[str], columns: CsvColumns, date_format: str | None) -> dates.Moment:
    day_text = _cell(cells, columns.date)
    if day_text is None:
        raise UsageError("no date in this row")
    moment = dates.read_day(day_text, date_format)
    if isinstance(moment, dates.Ambiguous):
        raise AmbiguousDate(moment)
    return moment


def _one(registry: Registry, readers: _Readers, cells: list[str], columns: CsvColumns, marker_id: str, text: str,
         dialect: csv_rows.Dialect, options: SourceOptions, moment: dates.Moment, person: str | None,
         age, where: Where) -> Observed:  # noqa: ANN001 - an Age or None
    unit_text = _cell(cells, columns.units.get(marker_id))
    marker = registry.get(marker_id)
    unit = marker.normalize_unit(unit_text, f"{marker_id}_unit") if unit_text else \
        columns.header_units.get(marker_id) or options.units.get(marker_id)
    ref_text = _cell(cells, columns.refs.get(marker_id))
    ref_text = None if ref_text is not None and no_range(ref_text) else ref_text
    ref = None if ref_text is None or not options.lab_ranges else \
        read_ref(registry, f"{marker_id}={ref_text}", {marker_id: unit}, label=f"{marker_id} range")
    return Observed(person, moment.day, moment.time, readers.read(marker_id, unit, dialect.number(text)), ref, age,
                    where)


def _csv(path: str, binary, out: Collected, registry: Registry, loinc: Loinc,  # noqa: ANN001
         options: SourceOptions) -> None:
    source = csv_rows.read_csv(csv_rows.text_of(binary), options.delimiter)
    header = csv_rows.header_of(source.records, f"PATH {printable(path)!r}")
    source.lines.width = len(header)
    source.lines.max_cells = max(csv_rows.MAX_CELLS, len(header))
    records, header, gathered = _long(registry, loinc, header, source.records, options)
    columns = csv_columns(registry, header, options, source.dialect.describe())
    out.notes.extend(columns.notes)
    readers = _Readers(registry, header, columns)
    pending: list[tuple[int, list[str], dates.Ambiguous]] = []
    orders: set[str] = set()
    local = False
    for line, cells, error in records:
        where = Where(path, line, None)
        if error is None:
            shown = dates.order_shown(_cell(cells, columns.date) or "")
            orders.update([shown] if shown else [])
            try:
                local = _take_row(out, registry, readers, cells, columns, where, source.dialect, options) or local
            except AmbiguousDate as exc:
                pending.append((line, cells, exc.found))
            except UsageError as exc:
                error = str(exc)
        if error is not None:
            out.errors.add(Problem(error, where))
    local = _settle(out, registry, readers, columns, path, source.dialect, options, pending, orders) or local
    if local:
        out.notes.append("Times without a time zone are read as written (the laboratory's local time).")
    if gathered is not None:
        out.notes.extend(gathered.notes())


def _take_row(out: Collected, registry: Registry, readers: _Readers, cells: list[str], columns: CsvColumns,
              where: Where, dialect: csv_rows.Dialect, options: SourceOptions, date_format: str | None = None) -> bool:
    """One row into ``out``; True when its time has no zone."""
    observed, problems = csv_observed(registry, readers, cells, columns, where, dialect, options, date_format)
    if any(no_range(_cell(cells, at) or "") for at in columns.refs.values()) and ZERO_RANGE_NOTE not in out.notes:
        out.notes.append(ZERO_RANGE_NOTE)
    for o in observed:
        out.store.add(o)
    for problem in problems:
        out.errors.add(problem)
    return any(o.time is not None for o in observed) and not _zoned(_cell(cells, columns.date) or "")


def _zoned(text: str) -> bool:
    moment = dates.read_day(text, "DMY")  # only the zone is asked; any order will do
    return moment.zoned


def _settle(out: Collected, registry: Registry, readers: _Readers, columns: CsvColumns, path: str,
            dialect: csv_rows.Dialect, options: SourceOptions, pending: list, orders: set[str]) -> bool:
    """Rows whose day-month order was open: read in the order the file's other dates showed, or refused."""
    if not pending:
        return False
    local = False
    if len(orders) == 1:
        (order,) = orders
        out.notes.append(f"Dates such as {pending[0][2].text!r} are read {'day' if order == 'DMY' else 'month'} "
                         f"first, as other dates in the file show ({order}); give --date-format to say otherwise.")
        for line, cells, _ in pending:
            where = Where(path, line, None)
            try:
                local = _take_row(out, registry, readers, cells, columns, where, dialect, options, order) or local
            except UsageError as exc:
                out.errors.add(Problem(str(exc), where))
        return local
    why = "the file's dates disagree (some are day first, some month first)" if orders else \
        "no date in the file shows the order"
    for line, _, found in pending:
        d, m = found.dmy.day, found.mdy.day
        out.errors.add(Problem(f"date {found.text!r} could be {d} (day first) or {m} (month first) and {why}; give "
                               "--date-format DMY or MDY", Where(path, line, None)))
    return local


def _long(registry: Registry, loinc: Loinc, header: list[str], records, options: SourceOptions):  # noqa: ANN001, ANN202
    """A long-format file (one test per row) as wide panels named by --id and --date, else as it is."""
    from b12cli.inputs import long

    asked = options.long or long.LongRequest()
    chosen = dict(asked.chosen)
    if options.date_column.strip().casefold() != "date":
        chosen.setdefault("time", options.date_column)
    if options.id_column.strip().casefold() != DEFAULT_ID_COLUMN:
        chosen.setdefault("patient", options.id_column)
    codes = {code.casefold(): record.marker for code, record in loinc.codes.items()}
    layout = long.detect(registry, header, long.read_codes(registry, list(asked.codes), codes), chosen,
                         asked.forced or bool(asked.chosen))
    if layout is not None:
        layout = layout._replace(skipped={c.casefold(): why for c, why in loinc.not_markers.items()})
    if layout is None:
        if asked.codes:
            raise UsageError("--code applies only to a long-format file (one test per row)")
        return records, header, None
    tally = long.Tally()
    gathered = long.gather(registry, layout, records, tally, options.id_column, options.date_column)
    return gathered.records, gathered.header, tally


# ----------------------------------------------------------------- any input


def _kind(binary, name: str) -> str:  # noqa: ANN001 - a buffered binary stream
    """ "json" when the input starts like JSON ({ or [ or a JSON scalar alone), "xml" (<), "empty", or "csv"."""
    head = binary.peek(4096)[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(b"\xef\xbb\xbf"):
        raise UsageError(f"{name} starts with two byte-order marks; save it again as UTF-8")
    stripped = head.lstrip(b" \t\r\n")
    if not stripped:
        return "empty" if len(head) < 4096 else "csv"
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "xml"
    line = stripped.split(b"\n", 1)
    if len(line) == 1 or not line[1].strip():
        try:
            fhir.loads(line[0].decode("utf-8"))
            return "json"  # a JSON number, string, true, false or null: not a CSV header
        except (ValueError, fhir.Invalid, RecursionError):
            pass
    return "csv"


def collect(path: str, registry: Registry, loinc: Loinc, options: SourceOptions,
            errors: Problems | None = None) -> tuple[Collected, str]:
    """Observed results, skipped records and errors from a file, a folder or stdin ('-'), and the note
    that says how results were put into panels. Results are held compactly (``Store``); ``errors``
    may keep its records on disk."""
    import io
    import os

    out = Collected(Store(registry), Counter(), errors if errors is not None else Problems(), "observations", [])
    if path != "-" and os.path.isdir(path):
        _folder(path, out, registry, loinc, options)
        return out, DAY_NOTE_FHIR
    if path != "-" and not os.path.lexists(path):
        raise UsageError(f"PATH {printable(path)!r}: no such file or folder")
    binary = csv_rows.open_binary(path, "PATH", regular_only=path != "-")
    try:
        buffered = binary if hasattr(binary, "peek") else io.BufferedReader(binary)
        kind = _kind(buffered, f"PATH {printable(path)!r}")
        if kind in ("csv", "xml") and path.lower().endswith(FHIR_SUFFIXES):
            kind = "json"  # the name says JSON: read as JSON, whose errors say what is wrong
        if kind == "csv" and path.lower().endswith(XML_SUFFIX):
            kind = "xml"
        if kind == "empty":
            raise UsageError(f"PATH {printable(path)!r} is empty; expected FHIR JSON, NDJSON, FHIR XML or a CSV file")
        if kind in ("json", "xml"):
            (_fhir_stream if kind == "json" else _fhir_xml)(buffered, path, out, registry, loinc, options)
            return out, DAY_NOTE_FHIR
        out = out._replace(noun="rows")
        _csv(path, buffered, out, registry, loinc, options)
        return out, DAY_NOTE_CSV
    finally:
        if path != "-":
            binary.close()
