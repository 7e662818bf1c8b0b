"""`b12 history`: results over time, one panel per person and day, with a trend per marker.

Records come from FHIR R4 Observations (``fhir.py``) or from a CSV file in the batch
format of ``labs --input`` plus a date and a person column. Results of one person on
one date form a panel, interpreted by ``labs.interpret`` exactly as ``b12 labs`` would
with the same values, units, ranges, age, scheme and ``--pregnant``. Every value and
laboratory range goes through the same text readers as the options of ``b12 labs``.
A record that cannot be used becomes an error naming its file and place; the rest
carry on.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from collections import Counter
from typing import Iterator, NamedTuple

from b12cli import fhir
from b12cli.columns import UNIT_COLUMNS, header_key, map_columns
from b12cli.errors import UsageError
from b12cli.fhir import Problem, Reading, Skipped, Where
from b12cli.kb import Loinc, Thresholds
from b12cli.labs import LabAssessment, LabQuery, interpret, read_age, read_markers, read_refs, read_scheme, read_units
from b12cli.units import read_marker
from b12cli.values import round_sig
from b12cli.vocab import CANONICAL, LABELS, MARKERS

SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.-'"
DAY_NOTE = ("Each panel holds one person's results on one date, the date part as written in the record "
            "(effectiveDateTime, else effectivePeriod.start, else issued); times and time zones are not converted.")


DEFAULT_ID_COLUMN = "id"


class HistoryOptions(NamedTuple):
    scheme: str = "documents"
    pregnant: bool = False
    lab_ranges: bool = True
    date_column: str = "date"
    id_column: str = DEFAULT_ID_COLUMN


class Entry(NamedTuple):
    """One marker result on its way into a panel, as the texts ``b12 labs`` reads."""

    person: str | None
    date: str
    marker: str
    text: str  # the value, with a comparator in front when censored (e.g. "<150")
    unit: str | None
    ref: str | None  # the laboratory's range as --ref text, or None
    age: str | None
    where: Where


class Panel(NamedTuple):
    person: str | None
    date: str
    assessment: LabAssessment
    comparators: dict[str, str | None]
    ranges: dict[str, str]  # marker -> the laboratory range applied, as text with its unit
    sources: tuple[Where, ...]


class Point(NamedTuple):
    date: str
    value: float  # canonical unit
    comparator: str | None


class Trend(NamedTuple):
    marker: str
    unit: str  # canonical
    first: Point
    latest: Point
    change: float | None  # latest - first in ``unit``; None when either end is censored
    direction: str  # up, down, unchanged or uncertain
    values: tuple[float, ...]  # every panel's value in date order, canonical unit


class Person(NamedTuple):
    id: str | None
    panels: tuple[Panel, ...]
    trends: tuple[Trend, ...]


class History(NamedTuple):
    scheme: str
    people: tuple[Person, ...]
    used: int
    skipped: tuple[Skipped, ...]
    errors: tuple[Problem, ...]
    noun: str  # "observations" or "rows"
    notes: tuple[str, ...]
    disclaimer: str

    @property
    def panels(self) -> int:
        return sum(len(p.panels) for p in self.people)

    @property
    def latest_abnormal(self) -> bool:
        """What --check reports: any person whose latest panel is abnormal."""
        return any(p.panels and p.panels[-1].assessment.abnormal for p in self.people)


# ----------------------------------------------------------------- value and range texts


def number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def ref_text(marker: str, low: float | None, high: float | None, unit: str) -> str | None:
    """A laboratory range as ``--ref`` text: ``b12=200-900`` (in the unit option), ``hcy=<15 umol/L``,
    ``b12=>200 pg/mL``; None when the range has neither end."""
    if low is not None and high is not None:  # FHIR R4: both ends of a referenceRange are inclusive
        return f"{marker}={number_text(low)}-{number_text(high)} {unit}"
    if high is not None:
        return f"{marker}=<={number_text(high)} {unit}"
    if low is not None:
        return f"{marker}=>={number_text(low)} {unit}"
    return None


def entry_of(reading: Reading, lab_ranges: bool) -> Entry:
    ref = ref_text(reading.marker, reading.ref_low, reading.ref_high, reading.unit) if lab_ranges else None
    text = (reading.comparator or "") + number_text(reading.value)
    return Entry(reading.subject, reading.date, reading.marker, text, reading.unit, ref, None, reading.where)


def check_entries(entries: list[Entry]) -> None:
    """Read the values and ranges as ``b12 labs`` would; a ``UsageError`` names what is wrong."""
    raw = {e.marker: e.text for e in entries}
    units = read_units({e.marker: e.unit for e in entries})
    try:
        read_markers(raw, units)
    except UsageError as exc:
        raise UsageError(f"value: {exc}") from None
    try:
        read_refs([e.ref for e in entries if e.ref], units)
    except UsageError as exc:
        raise UsageError(f"laboratory range: {exc}") from None
    ages = {e.age for e in entries if e.age is not None}
    for age in ages:
        read_age(age, "age")


# ----------------------------------------------------------------- reading the input


class Collected(NamedTuple):
    entries: list[Entry]
    skipped: list[Skipped]
    errors: list[Problem]
    noun: str
    notes: tuple[str, ...] = ()  # e.g. a header that looks like a marker but is not read


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file!r} is not UTF-8 text (byte {exc.start})") from None


MAX_INPUT_BYTES = 64 << 20  # one export file (or stdin); a larger one is refused, never read whole


def _read_bytes(path: str) -> bytes:
    """A regular file or stdin, at most MAX_INPUT_BYTES: a FIFO, a device or /dev/zero never hangs
    the run or fills memory."""
    from pathlib import Path

    from b12cli.kb import Unusable, read_regular

    limit = MAX_INPUT_BYTES
    try:
        data = sys.stdin.buffer.read(limit + 1) if path == "-" else read_regular(Path(path), limit)
    except FileNotFoundError:
        raise UsageError(f"PATH {path!r}: no such file or folder") from None
    except Unusable as exc:
        raise UsageError(f"PATH {path!r} is {exc}; expected a FHIR JSON, NDJSON or CSV file") from None
    except OSError as exc:
        raise UsageError(f"PATH {path!r} cannot be read ({exc.strerror})") from None
    except ValueError:
        raise UsageError(f"PATH {path!r} is not a usable file name") from None
    if len(data) > limit:
        raise UsageError(f"PATH {path!r} is larger than {limit >> 20} MiB; split the export")
    return data


def collect(path: str, loinc: Loinc, options: HistoryOptions) -> Collected:
    """Entries, skipped records and errors from a file, a folder or stdin ('-')."""
    if path != "-" and os.path.isdir(path):
        return _collect_folder(path, loinc, options)
    text = _decode(_read_bytes(path), path)
    if text.lstrip()[:1] in ("{", "["):
        return _collect_fhir([(path, text)], loinc, options)
    return _collect_csv(text, path, options)


def _collect_folder(folder: str, loinc: Loinc, options: HistoryOptions) -> Collected:
    """Every .json/.ndjson file under ``folder``; a file that cannot be read is one error record."""
    files, problems = [], []
    for file in fhir.files_under(folder):
        try:
            files.append((file, _decode(_read_bytes(file), file)))
        except UsageError as exc:
            problems.append(Problem(str(exc), Where(file, None, None)))
    out = _collect_fhir(files, loinc, options)
    out.errors[:0] = problems
    return out


def _collect_fhir(files: list[tuple[str, str]], loinc: Loinc, options: HistoryOptions) -> Collected:
    codes = {code: record.marker for code, record in loinc.codes.items()}
    out = Collected([], [], [], "observations")
    for file, text in files:
        for record in fhir.read_text(text, file, codes, loinc.system):
            if isinstance(record, Reading):
                _add_checked(out, [entry_of(record, options.lab_ranges)], record.where)
            elif isinstance(record, Skipped):
                out.skipped.append(record)
            else:
                out.errors.append(record)
    return out


def _add_checked(out: Collected, entries: list[Entry], where: Where) -> None:
    try:
        check_entries(entries)
    except UsageError as exc:
        out.errors.append(Problem(str(exc), where))
        return
    out.entries.extend(entries)


class CsvColumns(NamedTuple):
    date: int
    person: int | None
    markers: dict[str, int]
    units: dict[str, int]  # marker -> position of its unit column
    header_units: dict[str, str]  # marker -> unit named in its header, e.g. "B12 (pmol/L)"
    age: int | None
    width: int
    warnings: tuple[str, ...]


def csv_columns(header: list[str], options: HistoryOptions) -> CsvColumns:
    """Markers, age and units as ``labs --input`` maps them (the same aliases and header units), plus
    the date and person columns named by --date and --id."""
    named = {h.strip().casefold(): i for i, h in reversed(list(enumerate(header)))}
    date_key = options.date_column.strip().casefold()
    if date_key not in named:
        raise UsageError(f"the header has no date column {options.date_column!r}; name it with --date COLUMN")
    person, said = _person_column(header, options.id_column)
    rest = [h if i not in (named[date_key], person) else "" for i, h in enumerate(header)]
    mapped = map_columns(rest, {}, {})
    where = mapped.positions
    return CsvColumns(named[date_key], person, {m: where[m] for m in MARKERS if m in where},
                      {m: where[c] for c, m in UNIT_COLUMNS.items() if c in where}, mapped.units, where.get("age"),
                      len(header), (*said, *mapped.warnings))


PERSON_HEADERS = ("id", "patient", "patientid", "patientnumber", "mrn", "person", "personid", "subject",
                  "subjectid", "participant", "participantid", "nhsnumber")


def _person_column(header: list[str], asked: str) -> tuple[int | None, tuple[str, ...]]:
    """The person column: the one --id names (an error if it is missing), else `id` or a usual name for
    it (Patient ID, MRN, ...), said in a note; with none, all rows are one person, and that is said too."""
    keys = [header_key(h) for h in header]
    if header_key(asked) in keys:
        return keys.index(header_key(asked)), ()
    if asked.strip().casefold() != DEFAULT_ID_COLUMN:
        raise UsageError(f"the header has no person column {asked!r}; name it with --id COLUMN")
    found = next((i for i, k in enumerate(keys) if k in PERSON_HEADERS), None)
    if found is not None:
        return found, (f"The column {header[found]!r} is read as the person (there is no 'id' column).",)
    return None, ("There is no person column ('id', or --id COLUMN): all rows are read as one person.",)


def _collect_csv(text: str, file: str, options: HistoryOptions) -> Collected:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out = Collected([], [], [], "rows")
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError(f"{file!r} is empty; expected a CSV header or FHIR JSON") from None
    except csv.Error as exc:
        raise UsageError(f"{file!r}: the header cannot be read as CSV ({exc})") from None
    columns = csv_columns(header, options)
    out = out._replace(notes=columns.warnings)
    for line, cells, error in _csv_records(reader):
        where = Where(file, line, None)
        if error is None:
            try:
                entries = csv_entries(cells, columns, where)
            except UsageError as exc:
                error = str(exc)
        if error is not None:
            out.errors.append(Problem(error, where))
        else:
            _add_checked(out, entries, where)
    return out


def _csv_records(reader) -> Iterator[tuple[int, list[str], str | None]]:  # noqa: ANN001 - a csv reader
    last = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, [], f"cannot read this row as CSV ({exc})"
            last = reader.line_num
            continue
        start, last = last + 1, reader.line_num
        if cells and any(c.strip() for c in cells):
            yield start, cells, None


def _cell(cells: list[str], at: int | None) -> str | None:
    if at is None or at >= len(cells) or not cells[at].strip():
        return None
    return cells[at].strip()


def csv_entries(cells: list[str], columns: CsvColumns, where: Where) -> list[Entry]:
    if len(cells) > columns.width:
        raise UsageError(f"row has {len(cells)} fields but the header has {columns.width}")
    day = _cell(cells, columns.date)
    if day is None:
        raise UsageError("no date in this row")
    try:
        day = fhir.day_of(day, "date")
    except fhir.Invalid as exc:
        raise UsageError(str(exc)) from None
    person, age = _cell(cells, columns.person), _cell(cells, columns.age)
    entries = [Entry(person, day, m, text, _cell(cells, columns.units.get(m)) or columns.header_units.get(m), None,
                     age, where)
               for m, at in columns.markers.items() if (text := _cell(cells, at)) is not None]
    if not entries:
        raise UsageError("no marker value in this row")
    return entries


# ----------------------------------------------------------------- panels


def _same(a: Entry, b: Entry) -> bool:
    """The same result twice (from two files, or once in pg/mL and once in pmol/L): equal once
    converted to the canonical unit, to within rounding (0.5%), with the same limit sign and range."""
    if (a.text, a.unit, a.ref) == (b.text, b.unit, b.ref):
        return True
    try:
        x, y = read_marker(a.marker, a.text, a.unit), read_marker(b.marker, b.text, b.unit)
    except UsageError:
        return False
    return x.censored == y.censored and abs(x.canonical - y.canonical) <= 0.005 * max(x.canonical, y.canonical) \
        and (a.ref is None) == (b.ref is None)


def merge_panel(entries: list[Entry]) -> tuple[list[Entry], tuple[Where, ...]]:
    """One entry per marker (identical repeats folded); a ``UsageError`` when two results or ages differ."""
    chosen: dict[str, Entry] = {}
    for e in entries:
        seen = chosen.get(e.marker)
        if seen is not None and not _same(seen, e):
            raise UsageError(f"two {LABELS[e.marker]} results on {e.date} differ ({seen.text} {seen.unit or ''} at "
                             f"{seen.where.describe()}; {e.text} {e.unit or ''} at {e.where.describe()}); "
                             "cannot tell which to use")
        chosen.setdefault(e.marker, e)
    ages = {e.age for e in entries if e.age is not None}
    if len(ages) > 1:
        raise UsageError(f"the ages on {entries[0].date} differ ({', '.join(sorted(ages))}); give one age a day")
    sources = tuple(dict.fromkeys(e.where for e in entries))
    return [chosen[m] for m in MARKERS if m in chosen], sources


def build_panel(thresholds: Thresholds, entries: list[Entry], options: HistoryOptions) -> Panel:
    merged, sources = merge_panel(entries)
    units = read_units({e.marker: e.unit for e in merged})
    markers = read_markers({e.marker: e.text for e in merged}, units)
    refs = read_refs([e.ref for e in merged if e.ref], units)
    age = next((e.age for e in merged if e.age is not None), None)
    query = LabQuery(markers, read_age(age, "age"), options.scheme, refs, options.pregnant)
    comparators = {e.marker: _comparator(e.text) for e in merged}
    ranges = {m: r.text for m, r in refs.items()}
    return Panel(entries[0].person, entries[0].date, interpret(thresholds, query), comparators, ranges, sources)


def _comparator(text: str) -> str | None:
    for sign in ("<=", ">=", "<", ">"):
        if text.startswith(sign):
            return sign
    return None


def _interval(point: Point) -> tuple[float, float]:
    if point.comparator in ("<", "<="):
        return -math.inf, point.value
    if point.comparator in (">", ">="):
        return point.value, math.inf
    return point.value, point.value


def direction(first: Point, latest: Point) -> str:
    """up, down or unchanged by the sign of the change; with a censored end, only when the bounds settle it."""
    if first.comparator is None and latest.comparator is None:
        change = latest.value - first.value
        return "up" if change > 0 else "down" if change < 0 else "unchanged"
    (first_low, first_high), (latest_low, latest_high) = _interval(first), _interval(latest)
    strict_up = first.comparator == "<" or latest.comparator == ">"  # the shared bound itself is excluded
    strict_down = first.comparator == ">" or latest.comparator == "<"
    if latest_low > first_high or (latest_low == first_high and strict_up):
        return "up"
    if latest_high < first_low or (latest_high == first_low and strict_down):
        return "down"
    return "uncertain"


def trends(panels: tuple[Panel, ...]) -> tuple[Trend, ...]:
    out = []
    for marker in MARKERS:
        points = [Point(p.date, m.canonical_value, p.comparators.get(marker))
                  for p in panels for m in p.assessment.markers if m.marker == marker]
        if len(points) < 2:
            continue
        first, latest = points[0], points[-1]
        exact = first.comparator is None and latest.comparator is None
        change = round_sig(latest.value - first.value) if exact else None
        out.append(Trend(marker, CANONICAL[marker], first, latest, change, direction(first, latest),
                         tuple(p.value for p in points)))
    return tuple(out)


def sparkline(values: tuple[float, ...] | list[float], ascii_only: bool = False) -> str:
    """One character per value, low to high across the person's own range (flat when all are equal)."""
    marks = ASCII_SPARKS if ascii_only else SPARKS
    low, high = min(values), max(values)
    if high == low:
        return marks[len(marks) // 2] * len(values)
    top = len(marks) - 1
    return "".join(marks[round((v - low) / (high - low) * top)] for v in values)


def _person_key(person: str | None) -> tuple[int, str]:
    return (0, "") if person is None else (1, person)


def build(thresholds: Thresholds, collected: Collected, options: HistoryOptions) -> History:
    scheme = read_scheme(thresholds, options.scheme)
    groups: dict[tuple[str | None, str], list[Entry]] = {}
    for e in collected.entries:
        groups.setdefault((e.person, e.date), []).append(e)
    errors = list(collected.errors)
    panels: dict[str | None, list[Panel]] = {}
    used: set[Where] = set()
    for (person, day), entries in sorted(groups.items(), key=lambda kv: (_person_key(kv[0][0]), kv[0][1])):
        try:
            panel = build_panel(thresholds, entries, options._replace(scheme=scheme.id))
        except UsageError as exc:
            errors.append(Problem(f"{person or 'the person'} on {day}: {exc}", entries[0].where))
            continue
        panels.setdefault(person, []).append(panel)
        used.update(panel.sources)
    people = tuple(Person(pid, tuple(ps), trends(tuple(ps))) for pid, ps in panels.items())
    notes = [*collected.notes, DAY_NOTE] if people else list(collected.notes)
    notes += dict.fromkeys(n for p in people for panel in p.panels for n in panel.assessment.notes)
    return History(scheme.id, people, len(used), tuple(collected.skipped), tuple(errors), collected.noun,
                   tuple(notes), thresholds.disclaimer)


def history(thresholds: Thresholds, loinc: Loinc, path: str, options: HistoryOptions) -> History:
    read_scheme(thresholds, options.scheme)  # a bad --scheme fails before any reading
    return build(thresholds, collect(path, loinc, options), options)


def summary_line(h: History) -> str:
    reasons = Counter(s.reason for s in h.skipped)
    why = f" ({', '.join(f'{n} {r}' for r, n in reasons.items())})" if reasons else ""
    people = len(h.people)
    return (f"b12: history: {h.used} {h.noun} used, {len(h.skipped)} skipped{why}, {len(h.errors)} "
            f"error{'s' if len(h.errors) != 1 else ''}; {people} {'person' if people == 1 else 'people'}, "
            f"{h.panels} panel{'s' if h.panels != 1 else ''}; scheme {h.scheme}. {h.disclaimer}")
