"""Long-format exports: one test per row (patient, time, test name or code, value, unit, range, flag), as
laboratory systems, EHR portals, MIMIC, Synthea and OMOP write them.

A header is long format when it has a test column (a name or a code) and a value column, and no column is a
marker by its own name. The rows are gathered into panels, one per patient and draw time, and each panel
becomes one wide record (``id``, ``date``, then per marker its value, ``_unit`` and ``_ref`` cells), which
the wide readers of ``labs --input`` and ``history`` then read as they read any file. So every check of a
wide file (units, plausibility, limits, the lab's range) holds for a long one too.

* A test is a marker when its name is one of the marker's names in the registry (the names wide headers
  use) or its code is one of the marker's codes (data/loinc.yaml, plus ``--code MARKER=CODE``). A name
  that says another specimen (red cell folate, urine, whole blood) is never a serum marker.
* Other tests are counted by name, never errors.
* Rows of one panel are consecutive in the file (exports are sorted by patient and time). A panel that
  appears again later, after other panels, is read as a panel of its own and counted in a note.
* Two different results of one marker in one panel are that panel's error: never one chosen quietly.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator, NamedTuple

from b12cli.domain.markers import Registry
from b12cli.domain.text import printable, show
from b12cli.domain.units import FLAGS
from b12cli.errors import UsageError
from b12cli.inputs import csv_rows
from b12cli.inputs.columns import OTHER_SPECIMEN, fold, header_key, identify, ref_column, unit_column, vocabulary

# Column roles as exports name them (compared after header_key: case, spaces and punctuation ignored).
ROLES: dict[str, tuple[str, ...]] = {
    "patient": ("patient", "patientid", "subjectid", "personid", "mrn", "patid", "patientidentifier",
                "participantidentifier", "participantid", "subject", "id", "nhsnumber", "hadmid"),
    "time": ("charttime", "collected", "collectiondate", "datecollected", "specimencollected", "collectedon",
             "collectiondatetime", "collectiontime", "effective", "effectivedatetime", "measurementdatetime",
             "measurementdate", "date", "datetime", "time", "drawn", "drawdate", "specimendate", "resultdate",
             "observationdate", "obsdate", "sampledate", "sampletime"),
    "name": ("test", "testname", "label", "description", "component", "analyte", "resultname", "testdescription",
             "observation", "observationname", "displayname", "labtest", "examination", "parameter", "name",
             "untersuchung", "analyse"),
    "code": ("code", "itemid", "loinc", "loinccode", "resultloinc", "loincnum", "testcode", "ordercode",
             "measurementsourcevalue", "observationcode"),
    "value": ("value", "valuenum", "valueasnumber", "result", "resultvalue", "yourvalue", "testresult",
              "numericresult", "wert", "ergebnis", "resultat", "valeur"),
    "unit": ("unit", "units", "valueuom", "uom", "unitofmeasure", "unitsourcevalue", "resultunits", "resultunit",
             "einheit", "unite"),
    "range": ("referencerange", "refrange", "range", "standardrange", "normalrange", "referenceinterval",
              "reference", "referenzbereich", "normbereich"),
    "low": ("refrangelower", "rangelow", "reflow", "normallow", "low", "lowerlimit", "referencelow"),
    "high": ("refrangeupper", "rangehigh", "refhigh", "normalhigh", "high", "upperlimit", "referencehigh"),
    "flag": ("flag", "abnormalflag", "abnflag", "abnormal", "resultflag", "interpretation", "hl"),
}
# Where two value columns exist (MIMIC: value and valuenum), the text one is read: it keeps "<" and ">".
VALUE_PREFERENCE = ("value", "result", "resultvalue", "yourvalue", "testresult", "valeur", "wert", "ergebnis",
                    "resultat", "valuenum", "valueasnumber", "numericresult")
# A test name holding one of these is not a serum or plasma marker (red cell folate, urine MMA, ...).
OPTION_OF = {"name": "--test-column", "value": "--value-column", "unit": "--unit-column", "range": "--range-column",
             "flag": "--flag-column", "time": "--date", "patient": "--id"}
MAX_PANEL_ROWS = 10_000  # rows of one patient and time; more is that panel's error


class LongRequest(NamedTuple):
    """What the person said about a long file: --long, the --*-column names, --code MARKER=CODE."""

    forced: bool = False
    chosen: dict[str, str] = {}  # role (name, value, unit, range, flag) -> header name
    codes: tuple[str, ...] = ()


def request(forced: bool, test: str | None, value: str | None, unit: str | None, range_: str | None,
            flag: str | None, codes: list[str] | None) -> LongRequest:
    chosen = {role: name for role, name in (("name", test), ("value", value), ("unit", unit), ("range", range_),
                                             ("flag", flag)) if name is not None}
    return LongRequest(forced, chosen, tuple(codes or ()))


def layout_of(registry: Registry, header: list[str], asked: LongRequest, loinc_codes: dict[str, str],
              skipped: dict[str, str] | None = None) -> Layout | None:
    """The long layout of a header (None: a wide file), with the codes that name markers (and those that look
    close to one but are not: ``skipped``, code -> why)."""
    codes = read_codes(registry, list(asked.codes), loinc_codes)
    layout = detect(registry, header, codes, asked.chosen, asked.forced or bool(asked.chosen))
    return layout._replace(skipped={c.casefold(): why for c, why in (skipped or {}).items()}) if layout else None


class Layout(NamedTuple):
    """Which position holds each role; None where the export has no such column."""

    header: list[str]
    roles: dict[str, int]
    codes: dict[str, str]  # code (as written) -> marker
    skipped: dict[str, str] = {}  # code -> why it is not a marker (LOINC's red cell folate, urine MMA, ...)

    def at(self, role: str) -> int | None:
        return self.roles.get(role)


def read_codes(registry: Registry, texts: list[str], known: dict[str, str]) -> dict[str, str]:
    """The codes that name markers: data/loinc.yaml's, then ``--code MARKER=CODE`` (repeatable) for local ones."""
    codes = dict(known)
    for text in texts:
        marker, sep, code = text.partition("=")
        key = marker.strip().casefold()
        if not sep or not code.strip() or key not in registry.ids:
            raise UsageError(f"--code {show(text)} is not accepted; expected MARKER=CODE with MARKER one of "
                             f"{', '.join(registry.ids)} (e.g. --code b12=51010)")
        codes[code.strip().casefold()] = key
    return codes


def _role(key: str, wanted: dict[str, str]) -> str | None:
    for role, names in wanted.items():
        if key == header_key(names):
            return role
    return next((role for role, names in ROLES.items() if key in names), None)


def detect(registry: Registry, header: list[str], codes: dict[str, str], chosen: dict[str, str],
           forced: bool = False) -> Layout | None:
    """The long layout of a header, or None for a wide one. ``chosen`` maps a role to a header name given
    with --test-column and the like, or --date and --id; ``forced`` (--long, or a --*-column given) makes the
    file long."""
    vocab = vocabulary(registry)
    keys = [header_key(h) for h in header]
    for role, name in chosen.items():
        if forced and header_key(name) not in keys:
            raise UsageError(f"{OPTION_OF[role]} {show(name)}: the header has no such column")
    roles: dict[str, int] = {}
    values: list[int] = []
    for i, key in enumerate(keys):
        role = _role(key, chosen)
        if role == "value":
            values.append(i)
        elif role is not None and role not in roles:
            roles[role] = i
    if values:
        values.sort(key=lambda i: VALUE_PREFERENCE.index(keys[i]) if keys[i] in VALUE_PREFERENCE else 0)
        roles["value"] = next((i for i in values if keys[i] == header_key(chosen.get("value", ""))), values[0])
    has_test = "name" in roles or "code" in roles
    role_names = {name for names in ROLES.values() for name in names}
    marker_named = any(identify(vocab, h) in registry.ids for h in header if header_key(h) not in role_names)
    if not forced and (not has_test or "value" not in roles or marker_named):
        return None
    if not has_test or "value" not in roles:
        missing = "a test name or code column" if not has_test else "a value column"
        raise UsageError(f"long format needs {missing}; name it with "
                         f"{'--test-column' if not has_test else '--value-column'} HEADER")
    return Layout(header, roles, codes)


def marker_of(registry: Registry, layout: Layout, cells: list[str]) -> tuple[str | None, str]:
    """(marker or None, the test's name as shown) for one row."""
    vocab = vocabulary(registry)
    name = _cell(cells, layout.at("name")) or ""
    code = _cell(cells, layout.at("code")) or ""
    shown = name or code or "(no test name)"
    if code and code.casefold() in layout.codes:
        return layout.codes[code.casefold()], shown
    if code and code.casefold() in layout.skipped:
        return None, f"{shown} ({layout.skipped[code.casefold()]})"
    if name and not OTHER_SPECIMEN.search(fold(name)):
        found = identify(vocab, fold(name)) or identify(vocab, fold(name).split(",")[0])
        if found in registry.ids:
            return found, shown
    return None, shown


def _cell(cells: list[str], at: int | None) -> str | None:
    if at is None or at >= len(cells):
        return None
    text = cells[at].strip()
    return text or None


class Gathered(NamedTuple):
    header: list[str]  # the wide header the panels are written in
    records: Iterator[csv_rows.Record]


class Tally:
    """What the gathering saw beside the panels: other tests by name, panels split, rows with no test."""

    def __init__(self) -> None:
        self.others: Counter[str] = Counter()
        self.split: Counter[tuple[str, str]] = Counter()
        self.panels = 0

    def notes(self) -> list[str]:
        notes = ["Read as long format (one test per row): rows are gathered into panels, one per patient and "
                 "time; each panel is one record, its line the panel's first row."]
        if self.others:
            top = ", ".join(f"{printable(name, 80)} {count:,}" for name, count in self.others.most_common(8))
            more = len(self.others) - 8
            rows, tests = sum(self.others.values()), len(self.others)
            notes.append(f"Other tests in the file, not B12 markers, were counted and not read: "
                         f"{rows:,} row{'s' if rows != 1 else ''} of {tests:,} test{'s' if tests != 1 else ''} "
                         f"({top}{f', and {more:,} more' if more > 0 else ''}).")
        if self.split:
            notes.append(f"{sum(self.split.values()):,} panels (a patient and a time) appear again later in the "
                         "file, after other panels; each later group is read as a panel of its own.")
        return notes


class Wide(NamedTuple):
    """Where each part of a panel goes in the wide record."""

    header: list[str]
    person: int | None
    time: int | None
    value: dict[str, int]  # marker -> position
    unit: dict[str, int]  # marker -> position of its unit column (markers with a choice of units)
    ref: dict[str, int]


def wide_layout(registry: Registry, layout: Layout, id_name: str, date_name: str) -> Wide:
    header: list[str] = []

    def add(name: str) -> int:
        header.append(name)
        return len(header) - 1

    person = add(id_name) if layout.at("patient") is not None else None
    time = add(date_name) if layout.at("time") is not None else None
    value, unit, ref = {}, {}, {}
    for m in registry.markers:
        value[m.id] = add(m.id)
        if len(m.units) > 1:
            unit[m.id] = add(unit_column(m.id))
        ref[m.id] = add(ref_column(m.id))
    return Wide(header, person, time, value, unit, ref)


def gather(registry: Registry, layout: Layout, records: Iterator[csv_rows.Record], tally: Tally,
           id_name: str = "id", date_name: str = "date") -> Gathered:
    """The panels of a long file as wide records, in the order they first appear; a record's line is the line
    of the panel's first row. A row that cannot be read is passed on as its own error record."""
    wide = wide_layout(registry, layout, id_name, date_name)
    return Gathered(wide.header, _panels(registry, layout, records, tally, wide))


def _panels(registry: Registry, layout: Layout, records: Iterator[csv_rows.Record], tally: Tally,
            wide: Wide) -> Iterator[csv_rows.Record]:
    seen: set[tuple[str, str]] = set()
    key: tuple[str, str] | None = None
    rows: list[tuple[int, str, list[str]]] = []
    for line, cells, error in records:
        if error is not None:
            yield line, [], error
            continue
        marker, name = marker_of(registry, layout, cells)
        if marker is None:
            tally.others[name] += 1
            continue
        here = (_cell(cells, layout.at("patient")) or "", _cell(cells, layout.at("time")) or "")
        if here != key or len(rows) >= MAX_PANEL_ROWS:
            if rows:
                yield _panel(registry, layout, key, rows, wide)
            if here in seen:
                tally.split[here] += 1
            seen.add(here)
            key, rows = here, []
        rows.append((line, marker, cells))
    if rows:
        yield _panel(registry, layout, key, rows, wide)


def _range_text(layout: Layout, cells: list[str]) -> str | None:
    text = _cell(cells, layout.at("range"))
    if text is not None:
        return text
    low, high = _cell(cells, layout.at("low")), _cell(cells, layout.at("high"))
    if low is None and high is None:
        return None
    if low is None:
        return f"<={high}" if high[:1].isdigit() else high
    if high is None:
        return f">={low}" if low[:1].isdigit() else low
    return f"{low}-{high}"


def _with_flag(value: str, flag: str | None) -> str:
    """The value with the flag column's flag after it, as "415 H" in one cell: kept as the laboratory's printed
    flag. A word that is no flag b12 knows (a delta check) is left out; a value that carries one keeps its own."""
    if flag and flag.strip().upper() in FLAGS and value.split()[-1].upper() not in FLAGS:
        return f"{value} {flag.strip()}"
    return value


def _panel(registry: Registry, layout: Layout, key: tuple[str, str], rows: list[tuple[int, str, list[str]]],
           wide: Wide) -> csv_rows.Record:
    first = rows[0][0]
    cells = [""] * len(wide.header)
    if wide.person is not None:
        cells[wide.person] = key[0]
    if wide.time is not None:
        cells[wide.time] = key[1]
    keyed = list(cells)  # an error record shows whose panel it is
    given: dict[str, tuple[int, str, str]] = {}
    for line, marker_id, row in rows:
        value = _cell(row, layout.at("value"))
        if value is None:
            continue
        marker = registry.get(marker_id)
        unit_text = _cell(row, layout.at("unit"))
        try:
            unit = marker.normalize_unit(unit_text, f"the unit on line {line}") if unit_text else ""
        except UsageError as exc:
            return first, keyed, str(exc)
        if marker_id in given:
            before_line, before, before_unit = given[marker_id]
            if (before, before_unit) != (value, unit):
                return first, keyed, (f"two {marker.label} results in one panel (patient {show(key[0])}, time "
                                   f"{show(key[1])}): {show(before)} on line {before_line} and {show(value)} on "
                                   f"line {line}; keep one")
            continue
        cells[wide.value[marker_id]] = _with_flag(value, _cell(row, layout.at("flag")))
        if unit and marker_id in wide.unit:
            cells[wide.unit[marker_id]] = unit
        cells[wide.ref[marker_id]] = _range_text(layout, row) or ""
        given[marker_id] = (line, value, unit)
    if not given:
        return first, keyed, "no value in this panel's B12 rows"
    return first, cells, None
