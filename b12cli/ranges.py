"""A person's own laboratory range, as reports print it: ``--ref MARKER=RANGE``.

``LOW-HIGH`` (LOW may be 0), ``<HIGH``, ``<=HIGH`` (``≤``), ``>LOW``, ``>=LOW`` (``≥``), each with an
optional unit after it (``b12=232-1245 pg/mL``, ``mma=0-378 nmol/L``, ``mma=<0.4 umol/L``). A range's
unit is its suffix, else the marker's unit option, else the canonical unit. Range ends must be
plausible in that unit, exactly as results must: an MMA range ending at 10 or more with no unit is
refused as probably nmol/L rather than read as umol/L.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from b12cli.errors import UsageError
from b12cli.units import check_plausible, fmt, normalize_unit
from b12cli.values import parse_number, show
from b12cli.vocab import CANONICAL, MARKERS


class RefRange(NamedTuple):
    marker: str
    low: float | None  # canonical; None: no lower limit
    high: float | None  # canonical; None: no upper limit
    low_inclusive: bool
    high_inclusive: bool
    text: str  # as the person gave it, with its unit
    unit: str  # the range's unit

    def side(self, canonical: float) -> str:
        """"low", "high" or "normal": where a canonical value falls against this range."""
        low, high = self.low, self.high
        if low is not None and (canonical < low or (canonical == low and not self.low_inclusive)):
            return "low"
        if high is not None and (canonical > high or (canonical == high and not self.high_inclusive)):
            return "high"
        return "normal"

    def ends(self) -> tuple[float, ...]:
        return tuple(e for e in (self.low, self.high) if e is not None)


_NUMBER = r"[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ENTRY = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$", re.S)
_TWO_SIDED = re.compile(rf"^({_NUMBER})\s*(?:-|\u2013|\u2014|\.\.|to)\s*({_NUMBER})\s*(.*)$", re.S)
_ONE_SIDED = re.compile(rf"^(<=|>=|<|>|\u2264|\u2265)\s*({_NUMBER})\s*(.*)$", re.S)
_SIGN = {"<": "<", "<=": "<=", "\u2264": "<=", ">": ">", ">=": ">=", "\u2265": ">="}
FORMS = "LOW-HIGH, <HIGH, <=HIGH, >LOW or >=LOW, optionally with a unit (e.g. b12=232-1245 pg/mL, mma=0-378 nmol/L)"


def read_refs(texts: list[str], units: dict[str, str | None], per_row: dict[str, str] | None = None
              ) -> dict[str, RefRange]:
    """``--ref`` texts into ranges (at most one per marker); ``units`` are the marker unit options.
    ``per_row``: markers whose unit a batch file gives row by row (marker -> its unit column): a range
    for one of them must name its unit, as no one unit can be assumed for it."""
    refs: dict[str, RefRange] = {}
    for text in texts:
        ref = read_ref(text, units, per_row or {})
        if ref.marker in refs:
            raise UsageError(f"--ref for {ref.marker} is given twice; give one range per marker")
        refs[ref.marker] = ref
    return refs


def read_ref(text: str, units: dict[str, str | None], per_row: dict[str, str] | None = None) -> RefRange:
    entry = _ENTRY.match(text)
    if not entry:
        raise UsageError(f"--ref {show(text)} is not accepted; expected MARKER=RANGE with RANGE as {FORMS}")
    name, body = entry.groups()
    marker = name.casefold()
    if marker not in MARKERS:
        raise UsageError(f"--ref marker {show(name)} is not known; expected one of {', '.join(MARKERS)}")
    two, one = _TWO_SIDED.match(body), _ONE_SIDED.match(body)
    if not (two or one):
        raise UsageError(f"--ref {show(text)}: the range {show(body)} is not accepted; expected {FORMS}")
    suffix = (two or one).group(3).strip().strip("()[]").strip()
    if not suffix and per_row and marker in per_row:
        raise UsageError(f"--ref {show(text)} names no unit, and the file gives the {marker} unit row by row "
                         f"(column {per_row[marker]!r}); write the unit after the range, e.g. "
                         f"--ref '{text.strip()} {CANONICAL[marker]}'")
    unit = normalize_unit(marker, suffix, f"--ref {show(text)}: the unit") if suffix else units.get(marker)
    shown_unit = unit or CANONICAL[marker]
    if two:
        low, high = _end(marker, two.group(1), unit, text, "low"), _end(marker, two.group(2), unit, text, "high")
        if low is not None and low[0] >= high[0]:
            raise UsageError(f"--ref {show(text)}: the low end must be below the high end")
        shown = f"{fmt(low[0]) if low else '0'}–{fmt(high[0])} {shown_unit}"
        return RefRange(marker, low and low[1], high[1], True, True, shown, shown_unit)
    sign = _SIGN[one.group(1)]
    end = _end(marker, one.group(2), unit, text, "low" if sign[0] == ">" else "high")
    shown = f"{sign}{fmt(end[0]) if end else '0'} {shown_unit}"
    if sign[0] == "<":  # a high end is never None: 0 or below is refused as implausible
        return RefRange(marker, None, end[1], True, sign == "<=", shown, shown_unit)
    return RefRange(marker, end and end[1], None, sign == ">=", True, shown, shown_unit)


def _end(marker: str, number: str, unit: str | None, text: str, side: str) -> tuple[float, float] | None:
    """(as given, canonical) for one end of a range; None for a low end of 0 (no lower limit)."""
    value = parse_number(number, f"--ref {show(text)}: the {side} end", "a number")
    if value == 0 and side == "low":
        return None
    hint = f"--ref '{text.strip()} nmol/L'" if unit is None else "a unit after the range"
    return value, check_plausible(marker, value, unit, f"--ref {show(text)}: the {side} end {fmt(value)}", hint)
