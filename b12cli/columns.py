"""Which CSV column holds which marker, as laboratories and spreadsheets name them.

A header is matched case-, space- and punctuation-insensitively against each marker's aliases
("Vitamin B12", "Active B12", "Methylmalonic acid", "tHcy", ...). A unit in the header
("B12 (pmol/L)", "MMA nmol/L") sets that column's unit. ``--column MARKER=HEADER`` names a column
for anything else. A header that looks like a marker but cannot be mapped is reported as a warning,
never silently dropped; a marker found twice, an unknown unit, or a header unit that disagrees with a
unit column or option is an error.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from b12cli.errors import UsageError
from b12cli.units import FACTORS, normalize_unit
from b12cli.values import show
from b12cli.vocab import MARKERS

UNIT_COLUMNS = {"b12_unit": "b12", "mma_unit": "mma"}
KNOWN = (*MARKERS, "age", *UNIT_COLUMNS)
ALIASES = {
    "b12": ("b12", "vitamin b12", "vit b12", "serum b12", "total b12", "serum total b12", "b12 total",
            "serum vitamin b12", "vitamin b12 serum", "plasma b12", "cobalamin", "serum cobalamin", "cobalamine",
            "cyanocobalamin level", "vitamin b12 level", "b12 level"),
    "holotc": ("holotc", "holo tc", "active b12", "active vitamin b12", "vitamin b12 active", "b12 active",
               "holotranscobalamin", "holo transcobalamin", "holotranscobalamin ii", "active b12 holotc",
               "holotc active b12"),
    "mma": ("mma", "methylmalonic acid", "methylmalonic acid serum", "serum methylmalonic acid",
            "serum mma", "plasma mma", "methylmalonate", "mma serum"),
    "hcy": ("hcy", "thcy", "homocysteine", "total homocysteine", "homocysteine total", "plasma homocysteine",
            "serum homocysteine", "homocysteine plasma", "tot homocysteine"),
    "age": ("age", "age years", "age in years", "patient age", "age yrs"),
    "b12_unit": ("b12 unit", "b12 units", "vitamin b12 unit"),
    "mma_unit": ("mma unit", "mma units"),
}
# Stems that make a header look like a marker: such a header is never ignored without a word.
MARKER_STEMS = ("b12", "cobalamin", "holotc", "transcobalamin", "mma", "methylmalon", "homocyst", "hcy")
OUTPUT_COLUMNS = {f"{m}status" for m in MARKERS} | {"cb12", "cb12category"}  # b12's own CSV output, read back

_BRACKET = re.compile(r"[\(\[]\s*([^\)\]]*?)\s*[\)\]]")
_TRAILING_UNIT = re.compile(r",?\s+((?:[pnuµμm]?mol|[pnuµμm]?g)\s*/\s*(?:m?l|dl))\s*$", re.IGNORECASE)
GENERIC_UNIT_HEADERS = ("unit", "units", "unitofmeasure", "uom", "resultunit", "resultunits")


def header_key(text: str) -> str:
    """A header as it is compared: case, spaces and punctuation left out ("Patient ID" -> "patientid")."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


_LOOKUP = {header_key(alias): column for column, aliases in ALIASES.items() for alias in aliases}


class Columns(NamedTuple):
    names: list[str]  # as in the header, made unique so `input` keeps every cell
    positions: dict[str, int]  # known column (b12, holotc, mma, hcy, age, b12_unit, mma_unit) -> position
    units: dict[str, str]  # marker -> unit set by its header, e.g. "B12 (pmol/L)"
    warnings: tuple[str, ...]  # headers that look like markers but are not read


def split_header(raw: str) -> tuple[str, str | None]:
    """("B12", "pmol/L") from "B12 (pmol/L)" or "MMA nmol/L"; a bracket that holds no unit stays in
    the name ("Active B12 (holoTC)")."""
    unit = None

    def take(match: re.Match) -> str:
        nonlocal unit
        if "/" not in match.group(1):
            return match.group(0)
        unit = match.group(1).strip()
        return " "

    name = _BRACKET.sub(take, raw)
    trailing = _TRAILING_UNIT.search(name)
    if trailing is not None:
        unit = unit or trailing.group(1)
        name = name[: trailing.start()]
    return name.strip(), unit


def identify(name: str) -> str | None:
    """The known column a header name stands for: the whole name, else the name without any bracketed
    words ("Methylmalonic Acid (MMA)", "Homocysteine (tHcy)")."""
    return _LOOKUP.get(header_key(name)) or _LOOKUP.get(header_key(_BRACKET.sub(" ", name)))


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


def read_overrides(texts: list[str]) -> dict[str, str]:
    """``--column MARKER=HEADER`` texts into {column id: header text}."""
    chosen: dict[str, str] = {}
    for text in texts:
        name, sep, header = text.partition("=")
        column = name.strip().casefold()
        if not sep or not header.strip():
            raise UsageError(f"--column {show(text)} is not accepted; expected MARKER=HEADER, e.g. b12='Serum B12'")
        if column not in KNOWN:
            raise UsageError(f"--column {show(text)}: {show(name)} is not known; expected one of {', '.join(KNOWN)}")
        if column in chosen:
            raise UsageError(f"--column for {column} is given twice; give one header per marker")
        chosen[column] = header.strip()
    return chosen


def map_columns(header: list[str], overrides: dict[str, str], unit_options: dict[str, str | None]) -> Columns:
    """Which position holds which marker, and in which unit; a ``UsageError`` for what cannot be right.
    A column named by ``--column`` wins: another header that would map to the same marker is not read,
    with a warning."""
    _check_overrides_found(overrides, header)
    wanted = {h.casefold(): column for column, h in overrides.items()}
    positions: dict[str, int] = {}
    units: dict[str, str] = {}
    warnings: list[str] = []
    generic_units: list[int] = []
    for i, raw in enumerate(header):
        name, unit_text = split_header(raw)
        chosen = wanted.get(raw.strip().casefold())
        column = chosen or identify(name)
        if column is None:
            generic_units += [i] if header_key(raw) in GENERIC_UNIT_HEADERS else []
            _warn_if_marker_like(raw, warnings)
            continue
        if chosen is None and column in overrides:
            warnings.append(f"column {show(raw)} is not read: --column {column} chose {show(overrides[column])}")
            continue
        if column in positions:
            raise UsageError(f"the header names {column!r} twice (columns {positions[column] + 1} and {i + 1}: "
                             f"{show(header[positions[column]])} and {show(raw)}); keep one, or choose with --column")
        positions[column] = i
        if unit_text is not None and column in MARKERS:
            units[column] = _header_unit(column, unit_text, raw)
    _generic_unit_column(header, generic_units, positions, warnings)
    _check_units(units, positions, unit_options)
    return Columns(unique_names(header), positions, units, tuple(warnings))


def _warn_if_marker_like(raw: str, warnings: list[str]) -> None:
    if any(stem in header_key(raw) for stem in MARKER_STEMS) and header_key(raw) not in OUTPUT_COLUMNS:
        warnings.append(f"column {show(raw)} looks like a marker but is not read; "
                        f"name it with --column MARKER={show(raw)}")


def _generic_unit_column(header: list[str], found: list[int], positions: dict[str, int],
                         warnings: list[str]) -> None:
    """A lone "Units" column: the unit column of the one marker in the file when that marker has unit
    choices (B12, MMA); otherwise it cannot be told which marker it belongs to, and that is said."""
    markers = [m for m in MARKERS if m in positions]
    for i in found:
        target = f"{markers[0]}_unit" if len(markers) == 1 else None
        if target in UNIT_COLUMNS and target not in positions:
            positions[target] = i
            continue
        warnings.append(f"column {show(header[i])} is not read: it is not clear which marker's unit it gives; "
                        "name it b12_unit or mma_unit, or choose with --column")


def _header_unit(marker: str, unit_text: str, raw: str) -> str:
    if unit_text.casefold().replace(" ", "") in ("", "serum", "plasma"):
        return ""
    return normalize_unit(marker, unit_text, f"the unit in the column {show(raw)}")


def _check_overrides_found(overrides: dict[str, str], header: list[str]) -> None:
    present = {h.strip().casefold() for h in header}
    for column, name in overrides.items():
        if name.casefold() not in present:
            raise UsageError(f"--column {column}={show(name)}: the header has no column {show(name)}")


def _check_units(units: dict[str, str], positions: dict[str, int], unit_options: dict[str, str | None]) -> None:
    for marker, unit in list(units.items()):
        if not unit:
            del units[marker]
            continue
        if f"{marker}_unit" in positions:
            raise UsageError(f"the {marker} column's header gives the unit {unit} and there is also a "
                             f"{marker}_unit column; give the unit in one place")
        option = unit_options.get(marker)
        if option is not None and option != unit and FACTORS[marker][option] != FACTORS[marker][unit]:
            raise UsageError(f"the {marker} column's header gives the unit {unit} but --{marker}-unit is {option}; "
                             "drop the option or fix the header")
    if not any(m in positions for m in MARKERS):
        raise UsageError(f"the header has no marker column; expected at least one of {', '.join(MARKERS)} "
                         "(or names such as 'Vitamin B12', 'Active B12', 'Methylmalonic acid', 'Homocysteine'; "
                         "or choose one with --column MARKER=HEADER)")
