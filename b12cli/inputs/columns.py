"""Which CSV column holds which marker, as laboratories and spreadsheets name them.

A header is matched case-, space- and punctuation-insensitively against each marker's names in the
registry ("Vitamin B12", "Active B12", "Methylmalonic acid", "tHcy", ...). A unit in the header
("B12 (pmol/L)", "MMA nmol/L") sets that column's unit. ``--column MARKER=HEADER`` names a column
for anything else. A header that looks like a marker but cannot be mapped is reported as a warning,
never silently dropped; a marker found twice, an unknown unit, or a header unit that disagrees with a
unit column or option is an error. Header cells longer than ``MAX_HEADER_CHARS`` are never parsed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from b12cli.domain.markers import Registry
from b12cli.domain.text import show
from b12cli.errors import UsageError

MAX_HEADER_CHARS = 200  # a column name is a few words; a longer cell is not looked into
AGE_NAMES = ("age", "age years", "age in years", "patient age", "age yrs")
EGFR_NAMES = ("egfr", "gfr", "estimated gfr", "egfr ml min 1 73m2", "egfr ml min 1 73 m2", "egfr mdrd", "egfr ckd epi",
              "ckd epi egfr")
GENERIC_UNIT_HEADERS = ("unit", "units", "unitofmeasure", "uom", "resultunit", "resultunits")
STATUS_SUFFIXES = ("status",)

_BRACKET = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_TRAILING_UNIT = re.compile(r"[,\s]([pnuµμm]?(?:mol|g)[ \t]?/[ \t]?(?:ml|dl|l))$", re.IGNORECASE)


def header_key(text: str) -> str:
    """A header as it is compared: accents, case, spaces and punctuation left out ("Patient ID" -> "patientid",
    "Homocystéine" -> "homocysteine", never "homocystine")."""
    cut = text[:MAX_HEADER_CHARS]
    if not cut.isascii():
        cut = "".join(c for c in unicodedata.normalize("NFKD", cut) if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", "", cut.casefold())


def unit_column(marker_id: str) -> str:
    return f"{marker_id}_unit"


def ref_column(marker_id: str) -> str:
    return f"{marker_id}_ref"


# Words that make a marker-like header something other than a result ("B12 comment", "MMA method", "Folate date").
NOT_A_RESULT = ("comment", "note", "flag", "status", "date", "time", "method", "unit", "range", "ref", "lab",
                "code", "interpret", "text", "source", "request", "order", "specimen", "site", "input")
RANGE_WORDS = ("ref", "range", "ref range", "reference range", "reference interval", "normal range",
               "reference")


class Vocabulary(NamedTuple):
    """The column names of one registry: known column -> the header keys that mean it."""

    lookup: dict[str, str]  # header key -> known column (a marker id, age, or a marker's unit column)
    known: tuple[str, ...]  # every known column, for --column
    unit_columns: dict[str, str]  # unit column -> its marker
    stems: tuple[str, ...]  # a header holding one looks like a marker
    output_columns: frozenset[str]  # b12's own CSV output columns (read back: not a marker)


def vocabulary(registry: Registry) -> Vocabulary:
    lookup: dict[str, str] = {}
    unit_columns: dict[str, str] = {}
    for m in registry.markers:
        for name in (m.id, *m.headers):
            lookup.setdefault(header_key(name), m.id)
        if len(m.units) > 1:
            column = unit_columns_key = unit_column(m.id)
            unit_columns[column] = m.id
            for name in (unit_columns_key, f"{m.id} units", f"{m.label} unit", f"{m.label} units"):
                lookup.setdefault(header_key(name), column)
    for m in registry.markers:  # the laboratory's range printed beside the result, row by row
        column = ref_column(m.id)
        for stem in {m.id, m.label, *m.headers}:
            for word in RANGE_WORDS:
                lookup.setdefault(header_key(f"{stem} {word}"), column)
    for name in AGE_NAMES:
        lookup.setdefault(header_key(name), "age")
    for name in EGFR_NAMES:
        lookup.setdefault(header_key(name), "egfr")
    known = (*registry.ids, "age", "egfr", *unit_columns, *(ref_column(m) for m in registry.ids))
    output = frozenset({f"{m}status" for m in registry.ids} | {"cb12", "cb12category", "verdict", "error", "urgent"}
                       | {f"verdict{r}" for r in ("documents", "nice", "lab")})
    stems = tuple(dict.fromkeys(s.casefold() for m in registry.markers for s in m.stems))
    return Vocabulary(lookup, known, unit_columns, stems, output)


class Columns(NamedTuple):
    names: list[str]  # as in the header, made unique so `input` keeps every cell
    positions: dict[str, int]  # known column (marker id, age, its unit column) -> position
    units: dict[str, str]  # marker -> unit set by its header, e.g. "B12 (pmol/L)"
    warnings: tuple[str, ...]  # headers that look like markers but are not read
    unit_columns: dict[str, str]  # unit column -> its marker

    def markers(self, registry: Registry) -> list[tuple[str, int]]:
        """(marker, position) for each marker column, in registry order."""
        return [(m, self.positions[m]) for m in registry.ids if m in self.positions]


def split_header(raw: str) -> tuple[str, str | None]:
    """("B12", "pmol/L") from "B12 (pmol/L)" or "MMA nmol/L"; a bracket that holds no unit stays in
    the name ("Active B12 (holoTC)")."""
    text = raw[:MAX_HEADER_CHARS]
    unit = None

    def take(match: re.Match) -> str:
        nonlocal unit
        inside = match.group(1).strip()
        if "/" not in inside:
            return match.group(0)
        unit = inside
        return " "

    name = _BRACKET.sub(take, text).strip()
    trailing = _TRAILING_UNIT.search(name)
    if trailing is not None:
        unit = unit or trailing.group(1)
        name = name[: trailing.start()]
    return name.strip().rstrip(","), unit


# Tests of another specimen or another substance that share a marker's name: never read as the serum marker.
OTHER_SPECIMEN = re.compile(r"\b(rbc|red cell|red blood|erythro\w*|eritro\w*|whole blood|urine|urin|binding "
                            r"capacity|creatinine|/creat|homocystine|gr)\b")


def fold(text: str) -> str:
    """Accents dropped, then case folded: "Homocystéine" -> "homocysteine" (not "homocystine")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

def identify(vocab: Vocabulary, name: str) -> str | None:
    """The known column a header name stands for: the whole name, else the name without any bracketed
    words ("Methylmalonic Acid (MMA)", "Homocysteine (tHcy)")."""
    if len(name) > MAX_HEADER_CHARS:
        return None
    return vocab.lookup.get(header_key(name)) or vocab.lookup.get(header_key(_BRACKET.sub(" ", name)))


def unique_names(header: list[str]) -> list[str]:
    """The header's names made unique, in linear time: a repeat of ``x`` becomes ``x_2``, ``x_3``...,
    skipping any name the header itself has (a column already called ``x_2`` keeps its name)."""
    given, taken = set(header), set()
    counters: dict[str, int] = {}
    names = []
    for raw in header:
        name = raw
        if name in taken:
            n = counters.get(raw, 2)
            while f"{raw}_{n}" in given or f"{raw}_{n}" in taken:
                n += 1
            counters[raw] = n + 1
            name = f"{raw}_{n}"
        taken.add(name)
        names.append(name)
    return names


def read_overrides(registry: Registry, texts: list[str]) -> dict[str, str]:
    """``--column MARKER=HEADER`` texts into {column id: header text}; one header names one column."""
    known = vocabulary(registry).known
    chosen: dict[str, str] = {}
    for text in texts:
        name, sep, header = text.partition("=")
        column = name.strip().casefold()
        if not sep or not header.strip():
            raise UsageError(f"--column {show(text)} is not accepted; expected MARKER=HEADER, e.g. b12='Serum B12'")
        if column not in known:
            raise UsageError(f"--column {show(text)}: {show(name)} is not known; expected one of {', '.join(known)}")
        if column in chosen:
            raise UsageError(f"--column for {column} is given twice; give one header per marker")
        taken = next((c for c, h in chosen.items() if h.casefold() == header.strip().casefold()), None)
        if taken is not None:
            raise UsageError(f"--column: the header {show(header.strip())} is named for both {taken} and {column}; "
                             "one column holds one marker")
        chosen[column] = header.strip()
    return chosen


def map_columns(registry: Registry, header: list[str], overrides: dict[str, str],
                unit_options: dict[str, str | None], read_as: str = "") -> Columns:
    """Which position holds which marker, and in which unit; a ``UsageError`` for what cannot be right.
    A column named by ``--column`` wins: another header that would map to the same marker is not read,
    with a warning. ``read_as`` says how the file was split, for the error when no marker is found."""
    vocab = vocabulary(registry)
    _check_overrides_found(overrides, header)
    wanted = {h.casefold(): column for column, h in overrides.items()}
    positions: dict[str, int] = {}
    units: dict[str, str] = {}
    warnings: list[str] = []
    generic_units: list[int] = []
    unread: list[str] = []  # marker-like headers that may hold a result
    notes: list[str] = []  # marker-like headers that name something else ("B12 comment")
    specimens: list[str] = []  # another specimen or substance ("MMA (urine)", "Red cell folate")
    for i, raw in enumerate(header):
        name, unit_text = split_header(raw)
        chosen = wanted.get(raw.strip().casefold())
        other = chosen is None and OTHER_SPECIMEN.search(fold(raw)) is not None
        column = None if other else chosen or identify(vocab, name)
        if column is None:
            generic_units += [i] if header_key(raw) in GENERIC_UNIT_HEADERS else []
            if _marker_like(vocab, raw):
                (specimens if other else notes if any(w in header_key(raw) for w in NOT_A_RESULT) else
                 unread).append(raw)
            continue
        if chosen is None and column in overrides:
            warnings.append(f"column {show(raw)} is not read: --column {column} chose {show(overrides[column])}")
            continue
        if column in positions:
            raise UsageError(f"the header names {column!r} twice (columns {positions[column] + 1} and {i + 1}: "
                             f"{show(header[positions[column]])} and {show(raw)}); keep one, or choose with --column")
        positions[column] = i
        if unit_text is not None and column in registry:
            unit = _header_unit(registry, column, unit_text, raw)
            if unit:
                units[column] = unit
    _generic_unit_column(registry, vocab, header, generic_units, positions, warnings)
    _check_units(registry, units, positions, unit_options)
    found = [m for m in registry.ids if m in positions]
    if unread and found:  # a result that could change the verdict is never left out with a warning
        raise UsageError(f"column {show(unread[0])} looks like a marker result but is not read, beside the "
                         f"{', '.join(found)} column(s); name it with --column MARKER={show(unread[0])} (one of "
                         f"{', '.join(registry.ids)}), or rename it")
    warnings += [f"column {show(raw)} looks like a marker but is not read; name it with --column "
                 f"MARKER={show(raw)}" for raw in unread + notes]
    warnings += [f"column {show(raw)} is another specimen or test (urine, red cell, whole blood, ...), not a serum "
                 "marker; not read" for raw in specimens]
    if not found:
        how = f" ({read_as})" if read_as else ""
        raise UsageError(f"the header has no marker column{how}; expected at least one of {', '.join(registry.ids)} "
                         "(or names such as 'Vitamin B12', 'Active B12', 'Methylmalonic acid', 'Homocysteine'; "
                         "or choose one with --column MARKER=HEADER)")
    return Columns(unique_names(header), positions, units, tuple(warnings), vocab.unit_columns)


def _marker_like(vocab: Vocabulary, raw: str) -> bool:
    key = header_key(raw)
    return any(stem in key for stem in vocab.stems) and key not in vocab.output_columns


def _generic_unit_column(registry: Registry, vocab: Vocabulary, header: list[str], found: list[int],
                         positions: dict[str, int], warnings: list[str]) -> None:
    """A lone "Units" column: the unit column of the one marker in the file when that marker has unit
    choices; otherwise it cannot be told which marker it belongs to, and that is said."""
    markers = [m for m in registry.ids if m in positions]
    for i in found:
        target = unit_column(markers[0]) if len(markers) == 1 else None
        if target in vocab.unit_columns and target not in positions:
            positions[target] = i
            continue
        names = " or ".join(vocab.unit_columns) or "a unit column"
        warnings.append(f"column {show(header[i])} is not read: it is not clear which marker's unit it gives; "
                        f"name it {names}, or choose with --column")


def _header_unit(registry: Registry, marker: str, unit_text: str, raw: str) -> str:
    if unit_text.casefold().replace(" ", "") in ("", "serum", "plasma"):
        return ""
    return registry.get(marker).normalize_unit(unit_text, f"the unit in the column {show(raw)}")


def _check_overrides_found(overrides: dict[str, str], header: list[str]) -> None:
    present = {h.strip().casefold() for h in header}
    for column, name in overrides.items():
        if name.casefold() not in present:
            raise UsageError(f"--column {column}={show(name)}: the header has no column {show(name)}")


def _check_units(registry: Registry, units: dict[str, str], positions: dict[str, int],
                 unit_options: dict[str, str | None]) -> None:
    for marker, unit in units.items():
        if unit_column(marker) in positions:
            raise UsageError(f"the {marker} column's header gives the unit {unit} and there is also a "
                             f"{unit_column(marker)} column; give the unit in one place")
        option = unit_options.get(marker)
        if option is not None and not registry.get(marker).same_scale(option, unit):
            raise UsageError(f"the {marker} column's header gives the unit {unit} but "
                             f"{registry.get(marker).unit_option} is {option}; drop the option or fix the header")
