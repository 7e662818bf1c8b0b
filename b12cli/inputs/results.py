"""Results over time from files: a dated CSV (through the one CSV reader), FHIR R4 JSON (a Bundle, a
resource, NDJSON) or a folder of FHIR files, turned into checked ``history.Observed`` results.

Every value and laboratory range is checked as ``b12 labs`` checks its own: the same plausible
ranges, the same units, the same limits. A record that cannot be used becomes a ``Problem`` naming
its file and place; the rest carry on.
"""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.history import Collected, Observed, Problem, Where
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.model import Loinc
from b12cli.domain.numbers import parse_age
from b12cli.domain.ranges import RefRange
from b12cli.domain.text import printable, show
from b12cli.domain.units import MarkerValue, check_plausible, fmt, marker_reader
from b12cli.errors import UsageError
from b12cli.inputs import csv_rows, fhir
from b12cli.inputs.columns import header_key, map_columns
from b12cli.inputs.files import Unusable, read_regular, walk

MAX_INPUT_BYTES = 64 << 20  # one FHIR JSON file (or stdin); a larger one is refused, never read whole
FHIR_SUFFIXES = (".json", ".ndjson")
PERSON_HEADERS = ("id", "patient", "patientid", "patientnumber", "mrn", "person", "personid", "subject",
                  "subjectid", "participant", "participantid", "nhsnumber")
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
        value = observed_value(marker, reading.value, reading.comparator, reading.unit, "")
    except UsageError as exc:
        raise UsageError(f"{marker.label}: {exc}") from None
    ref = lab_range(marker, reading.ref_low, reading.ref_high, reading.unit) if lab_ranges else None
    return Observed(reading.subject, reading.date, reading.time, value, ref, None, reading.where)


def _fhir(files: list[tuple[str, str]], registry: Registry, loinc: Loinc, options: SourceOptions) -> Collected:
    codes = {code: record.marker for code, record in loinc.codes.items()}
    out = Collected([], [], [], "observations")
    for file, text in files:
        for record in fhir.read_text(text, file, codes, loinc.system, registry):
            if isinstance(record, fhir.Reading):
                try:
                    out.observed.append(_observed_from(registry, record, options.lab_ranges))
                except UsageError as exc:
                    out.errors.append(Problem(str(exc), record.where))
            elif isinstance(record, Problem):
                out.errors.append(record)
            else:
                out.skipped.append(record)
    return out


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{printable(file)!r} is not UTF-8 text (byte {exc.start})") from None


def _read_json_file(path: str) -> bytes:
    try:
        return read_regular(path, MAX_INPUT_BYTES)
    except FileNotFoundError:
        raise UsageError(f"PATH {printable(path)!r}: no such file or folder") from None
    except Unusable as exc:
        raise UsageError(f"PATH {printable(path)!r} is {exc}; expected a FHIR JSON, NDJSON or CSV file") from None
    except OSError as exc:
        raise UsageError(f"PATH {printable(path)!r} cannot be read ({exc.strerror})") from None
    except ValueError:
        raise UsageError(f"PATH {printable(path)!r} is not a usable file name") from None


def _folder(folder: str, registry: Registry, loinc: Loinc, options: SourceOptions) -> Collected:
    """Every .json/.ndjson file under ``folder``; a file that cannot be read is one error record, and a
    file that is not read is named in a note."""
    walked = walk(folder, FHIR_SUFFIXES)
    files, problems = [], [Problem(f"{why}; expected a FHIR JSON or NDJSON file", Where(path, None, None))
                           for path, why in walked.unreadable]
    for file in walked.files:
        try:
            files.append((file, _decode(_read_json_file(file), file)))
        except UsageError as exc:
            problems.append(Problem(str(exc), Where(file, None, None)))
    out = _fhir(files, registry, loinc, options)
    out.errors[:0] = problems
    ignored = [f"{printable(path)} ({why})" for path, why in walked.ignored]
    if ignored:
        shown = "; ".join(ignored[:10]) + (f"; and {len(ignored) - 10:,} more" if len(ignored) > 10 else "")
        out = out._replace(notes=(*out.notes, f"Not read from the folder: {shown}."))
    return out


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
    date_key = header_key(options.date_column)
    if date_key not in keys:
        raise UsageError(f"the header has no date column {show(options.date_column)}; name it with --date COLUMN "
                         f"({read_as})")
    date_at = keys.index(date_key)
    person, said = _person_column(header, options.id_column)
    if person == date_at:
        raise UsageError(f"--date and --id name the same column {show(header[date_at])}; a date is not a person")
    rest = [h if i not in (date_at, person) else "" for i, h in enumerate(header)]
    mapped = map_columns(registry, rest, {}, options.units, read_as)
    where = mapped.positions
    units = {marker: where[column] for column, marker in mapped.unit_columns.items() if column in where}
    return CsvColumns(date_at, person, mapped.markers(registry), units, mapped.units, where.get("age"), len(header),
                      (*said, *mapped.warnings))


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


def csv_observed(registry: Registry, readers: _Readers, cells: list[str], columns: CsvColumns, where: Where,
                 dialect: csv_rows.Dialect, unit_options: dict[str, str | None]) -> list[Observed]:
    if len(cells) > columns.width:
        raise UsageError(f"row has {len(cells)} fields but the header has {columns.width}")
    if csv_rows.not_utf8("".join(cells)):
        raise UsageError("row is not valid UTF-8 text")
    day_text = _cell(cells, columns.date)
    if day_text is None:
        raise UsageError("no date in this row")
    try:
        day, time = fhir.moment_of(day_text, "date")
    except fhir.Invalid as exc:
        raise UsageError(str(exc)) from None
    person = _cell(cells, columns.person)
    if columns.person is not None and person is None:
        raise UsageError("no person id in this row (the person column is empty); results of different people "
                         "are never pooled")
    age_text = _cell(cells, columns.age)
    age = parse_age(dialect.number(age_text), "age") if age_text is not None else None
    out = []
    for marker_id, at in columns.markers:
        text = _cell(cells, at)
        if text is None:
            continue
        unit_text = _cell(cells, columns.units.get(marker_id))
        marker = registry.get(marker_id)
        unit = marker.normalize_unit(unit_text, f"{marker_id}_unit") if unit_text else \
            columns.header_units.get(marker_id) or unit_options.get(marker_id)
        out.append(Observed(person, day, time, readers.read(marker_id, unit, dialect.number(text)), None, age, where))
    if not out:
        raise UsageError("no marker value in this row")
    return out


def _csv(path: str, binary, registry: Registry, options: SourceOptions) -> Collected:  # noqa: ANN001
    label = "PATH"
    source = csv_rows.read_csv(csv_rows.text_of(binary), options.delimiter)
    header = csv_rows.header_of(source.records, f"{label} {printable(path)!r}")
    columns = csv_columns(registry, header, options, source.dialect.describe())
    source.lines.width = len(header)
    source.lines.max_cells = max(csv_rows.MAX_CELLS, len(header))
    out = Collected([], [], [], "rows", columns.notes)
    readers = _Readers(registry, header, columns)
    for line, cells, error in source.records:
        where = Where(path, line, None)
        if error is None:
            try:
                out.observed.extend(csv_observed(registry, readers, cells, columns, where, source.dialect,
                                                 options.units))
            except UsageError as exc:
                error = str(exc)
        if error is not None:
            out.errors.append(Problem(error, where))
    return out


# ----------------------------------------------------------------- any input


def _starts_json(binary) -> bool:  # noqa: ANN001 - a buffered binary stream
    head = binary.peek(256)[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def collect(path: str, registry: Registry, loinc: Loinc, options: SourceOptions) -> tuple[Collected, str]:
    """Observed results, skipped records and errors from a file, a folder or stdin ('-'), and the note
    that says how results were put into panels."""
    import io
    import os

    if path != "-" and os.path.isdir(path):
        return _folder(path, registry, loinc, options), DAY_NOTE_FHIR
    if path != "-" and not os.path.lexists(path):
        raise UsageError(f"PATH {printable(path)!r}: no such file or folder")
    binary = csv_rows.open_binary(path, "PATH", regular_only=path != "-")
    try:
        buffered = binary if hasattr(binary, "peek") else io.BufferedReader(binary)
        if _starts_json(buffered):
            raw = buffered.read(MAX_INPUT_BYTES + 1)
            if len(raw) > MAX_INPUT_BYTES:
                raise UsageError(f"PATH {printable(path)!r} is larger than {MAX_INPUT_BYTES >> 20} MiB; split the "
                                 "export")
            return _fhir([(path, _decode(raw, path))], registry, loinc, options), DAY_NOTE_FHIR
        return _csv(path, buffered, registry, options), DAY_NOTE_CSV
    finally:
        if path != "-":
            binary.close()
