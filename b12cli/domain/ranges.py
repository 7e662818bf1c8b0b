"""A person's own laboratory range, as reports print it: ``--ref MARKER=RANGE``.

``LOW-HIGH`` (LOW may be 0; the dash may be -, an en or em dash, a minus sign, ``..`` or ``to``),
``<HIGH``, ``<=HIGH`` (``≤``), ``>LOW``, ``>=LOW`` (``≥``), each with an optional unit after it
(``b12=232-1245 pg/mL``, ``mma=0-378 nmol/L``, ``mma=<0.4 umol/L``). A range's unit is its suffix,
else the marker's unit option, else the canonical unit. Range ends must be plausible in that unit,
exactly as results must: an MMA range ending at 10 or more with no unit is refused as probably
nmol/L rather than read as umol/L.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from b12cli.domain.limits import is_below, split_limit
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.numbers import parse_number
from b12cli.domain.text import show
from b12cli.domain.units import check_plausible, fmt
from b12cli.errors import UsageError

MAX_REF_CHARS = 200  # a range as printed is a few words; a longer text is a mistake


class RefRange(NamedTuple):
    marker: str
    low: float | None  # canonical; None: no lower limit
    high: float | None  # canonical; None: no upper limit
    low_inclusive: bool
    high_inclusive: bool
    text: str  # as the person gave it, with its unit
    unit: str  # the range's unit

    def side(self, canonical: float) -> str:
        """"low", "high" or "within": where a canonical value falls against this range."""
        low, high = self.low, self.high
        if low is not None and (canonical < low or (canonical == low and not self.low_inclusive)):
            return "low"
        if high is not None and (canonical > high or (canonical == high and not self.high_inclusive)):
            return "high"
        return "within"

    def ends(self) -> tuple[float, ...]:
        return tuple(e for e in (self.low, self.high) if e is not None)


_NUMBER = r"[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DASH = r"(?:-|\u2013|\u2014|\u2212|\.\.|to)"
_TWO_SIDED = re.compile(rf"({_NUMBER})[ \t]*{_DASH}[ \t]*({_NUMBER})(.*)", re.S)
_ONE_NUMBER = re.compile(rf"({_NUMBER})(.*)", re.S)
FORMS = "LOW-HIGH, <HIGH, <=HIGH, >LOW or >=LOW, optionally with a unit (e.g. b12=232-1245 pg/mL, mma=0-378 nmol/L)"


def no_range(text: str) -> bool:
    """A range printed as 0-0 (how some exports write "no range"): read as no range at all, never as an error."""
    body = text.partition("=")[2] if "=" in text else text
    match = _TWO_SIDED.fullmatch(body.strip())
    return bool(match) and float(match.group(1)) == 0 and float(match.group(2)) == 0


def read_refs(registry: Registry, texts: list[str], units: dict[str, str | None],
              per_row: dict[str, str] | None = None) -> dict[str, RefRange]:
    """``--ref`` texts into ranges (at most one per marker); ``units`` are the marker unit options.
    ``per_row``: markers whose unit a batch file gives row by row (marker -> its unit column): a range
    for one of them must name its unit, as no one unit can be assumed for it."""
    refs: dict[str, RefRange] = {}
    for text in texts:
        ref = read_ref(registry, text, units, per_row or {})
        if ref.marker in refs:
            raise UsageError(f"--ref for {ref.marker} is given twice; give one range per marker")
        refs[ref.marker] = ref
    return refs


def read_ref(registry: Registry, text: str, units: dict[str, str | None],
             per_row: dict[str, str] | None = None, label: str = "--ref") -> RefRange:
    """A laboratory range as a report prints it, ``MARKER=RANGE``; ``label`` names where it came from
    in messages (``--ref``, or a file's range column)."""
    if len(text) > MAX_REF_CHARS:
        raise UsageError(f"{label} {show(text)} is too long ({len(text):,} characters, at most {MAX_REF_CHARS}); "
                         f"expected MARKER=RANGE with RANGE as {FORMS}")
    name, sep, body = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"{label} {show(text)} is not accepted; expected MARKER=RANGE with RANGE as {FORMS}")
    marker = registry.get(registry.parse_id(name, "--ref marker"))
    body = body.strip()
    sign, rest = split_limit(body)
    two = None if sign else _TWO_SIDED.fullmatch(body)
    one = _ONE_NUMBER.fullmatch(rest.strip()) if sign else None
    if not (two or one):
        raise UsageError(f"{label} {show(text)}: the range {show(body)} is not accepted; expected {FORMS}")
    suffix = (two or one).group(3 if two else 2).strip().strip("()[]").strip()
    if not suffix and per_row and marker.id in per_row:
        raise UsageError(f"{label} {show(text)} names no unit, and the file gives the {marker.id} unit row by row "
                         f"(column {per_row[marker.id]!r}); write the unit after the range, e.g. "
                         f"--ref '{text.strip()} {marker.canonical_unit}'")
    unit = marker.normalize_unit(suffix, f"{label} {show(text)}: the unit") if suffix else units.get(marker.id)
    shown_unit = unit or marker.canonical_unit
    if two:
        low, high = _end(marker, two.group(1), unit, text, "low", label), _end(marker, two.group(2), unit, text, "high",
                                                                           label)
        if low is not None and low[0] >= high[0]:
            raise UsageError(f"{label} {show(text)}: the low end must be below the high end")
        shown = f"{fmt(low[0]) if low else '0'}-{fmt(high[0])} {shown_unit}"
        return RefRange(marker.id, low and low[1], high[1], True, True, shown, shown_unit)
    end = _end(marker, one.group(1), unit, text, "high" if is_below(sign) else "low", label)
    shown = f"{sign}{fmt(end[0]) if end else '0'} {shown_unit}"
    if is_below(sign):  # a high end is never None: 0 or below is refused as implausible
        return RefRange(marker.id, None, end[1], True, sign == "<=", shown, shown_unit)
    return RefRange(marker.id, end and end[1], None, sign == ">=", True, shown, shown_unit)


def _end(marker: Marker, number: str, unit: str | None, text: str, side: str,
         label: str = "--ref") -> tuple[float, float] | None:
    """(as given, canonical) for one end of a range; None for a low end of 0 (no lower limit)."""
    value = parse_number(number, f"{label} {show(text)}: the {side} end", "a number")
    if value == 0 and side == "low":
        return None
    hint = f"--ref '{text.strip()} {marker.unit_guess.unit}'" if unit is None and marker.unit_guess \
        else "a unit after the range"
    return value, check_plausible(marker, value, unit, f"{label} {show(text)}: the {side} end {fmt(value)}", hint)
