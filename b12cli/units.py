"""Markers, their units and conversions to the canonical unit.

Serum B12: 1 pmol/L = 1.3554 pg/mL exactly here (molar mass of cobalamin
1355.4 g/mol); pg/mL = ng/L. MMA: 1 umol/L = 1000 nmol/L. HoloTC is in pmol/L
and homocysteine in umol/L only. Values are compared in canonical units.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from b12cli.errors import UsageError
from b12cli.values import parse_number, round_sig, show
from b12cli.vocab import CANONICAL

B12_PG_PER_PMOL = 1.3554  # pg/mL per pmol/L, from the molar mass 1355.4 g/mol

# unit -> (multiply, divide) to reach the canonical unit
FACTORS: dict[str, dict[str, tuple[float, float]]] = {
    "b12": {"pg/mL": (1.0, 1.0), "ng/L": (1.0, 1.0), "pmol/L": (B12_PG_PER_PMOL, 1.0)},
    "holotc": {"pmol/L": (1.0, 1.0)},
    "mma": {"umol/L": (1.0, 1.0), "nmol/L": (1.0, 1000.0)},
    "hcy": {"umol/L": (1.0, 1.0)},
}
# Plausible range in canonical units: outside it the value is almost surely a typo or a unit mix-up.
PLAUSIBLE = {"b12": (10.0, 100_000.0), "holotc": (1.0, 5_000.0), "mma": (0.01, 500.0), "hcy": (1.0, 500.0)}
MMA_UNIT_GUESS_AT = 10.0  # an MMA this high with no unit given is almost surely nmol/L

_MICRO = str.maketrans({"\u00b5": "u", "\u03bc": "u"})


def unit_choices(marker: str) -> str:
    return "|".join(FACTORS[marker])


def normalize_unit(marker: str, text: str, label: str) -> str:
    """The canonical spelling of a unit (case-insensitive, µ/μ/u alike) or a ``UsageError``."""
    key = text.strip().translate(_MICRO).casefold()
    for unit in FACTORS[marker]:
        if unit.casefold() == key:
            return unit
    raise UsageError(f"{label} {show(text)} is not a known unit; expected one of {', '.join(FACTORS[marker])}")


def to_canonical(marker: str, value: float, unit: str) -> float:
    mul, div = FACTORS[marker][unit]
    return value if mul == div else round_sig(value * mul / div)


def from_canonical(marker: str, value: float, unit: str) -> float:
    mul, div = FACTORS[marker][unit]
    return round_sig(value * div / mul)


def fmt(value: float) -> str:
    """A number as a person reads it: no trailing zeros, no exponent for ordinary values."""
    text = f"{value:.6g}"
    return text if "e" not in text else f"{value:g}"


class MarkerValue(NamedTuple):
    """One result as given: the number, its unit, the canonical value, and whether the laboratory
    reported only a limit (``censored``: "<", "<=", ">" or ">=", e.g. "<150"; None for a plain value)."""

    marker: str
    value: float
    unit: str
    canonical: float
    censored: str | None = None


CENSOR_SIGNS = {"<": "<", "<=": "<=", "\u2264": "<=", ">": ">", ">=": ">=", "\u2265": ">="}
_CENSOR = re.compile(r"\s*(<=|>=|<|>|\u2264|\u2265)\s*")


def split_censor(text: str) -> tuple[str | None, str]:
    """("<", "150") from "<150"; (None, text) when the text is a plain number."""
    if text[:1].isdigit():  # the common case, decided at once
        return None, text
    match = _CENSOR.match(text)
    if match is None:
        return None, text
    return CENSOR_SIGNS[match.group(1)], text[match.end():]


def check_plausible(marker: str, value: float, unit: str | None, what: str, unit_hint: str) -> float:
    """The canonical value of a number that makes sense for the marker in ``unit`` (None: not named,
    the canonical unit is assumed); a ``UsageError`` naming ``what`` otherwise. ``unit_hint`` says
    how to name the unit, e.g. "--mma-unit nmol/L"."""
    if value <= 0:
        raise UsageError(f"{what} must be above zero")
    if marker == "mma" and unit is None and value >= MMA_UNIT_GUESS_AT:
        raise UsageError(f"{what} is implausible in umol/L and is probably nmol/L; give the unit: {unit_hint} "
                         "(or umol/L if it really is umol/L)")
    given = unit or CANONICAL[marker]
    canonical = to_canonical(marker, value, given)
    low, high = PLAUSIBLE[marker]
    if not low <= canonical <= high:
        raise UsageError(f"{what} {given} is outside the plausible range {fmt(low)}–{fmt(high)} "
                         f"{CANONICAL[marker]}; check the number and its unit")
    return canonical


def marker_reader(marker: str, unit: str | None, label: str | None = None) -> Callable[[str], MarkerValue]:
    """A checker for one marker's results in one unit: text ("180", "<150", ">=2000") -> ``MarkerValue``.

    ``unit`` None means the person did not name one: the canonical unit is assumed, except that an
    MMA of 10 or more is refused as probably nmol/L. Built once per unit, so a batch pays for the
    set-up once, not per cell.
    """
    label = label or f"--{marker}"
    given_unit = unit or CANONICAL[marker]
    accepted = f"a positive number in {given_unit}, or a limit such as <150 or >2000"
    unit_hint = f"--{marker}-unit nmol/L" if label.startswith("--") else f"a {marker}_unit column or '{label} (nmol/L)'"

    def read(text: str) -> MarkerValue:
        censored, number = split_censor(text)
        value = parse_number(number, label if censored is None else f"{label} {show(text)}:", accepted)
        canonical = check_plausible(marker, value, unit, f"{label} {show(text)}", unit_hint)
        return MarkerValue(marker, value, given_unit, canonical, censored)

    return read


def read_marker(marker: str, text: str, unit: str | None, label: str | None = None) -> MarkerValue:
    """One marker's result, checked for sense."""
    return marker_reader(marker, unit, label)(text)
