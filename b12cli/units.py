"""Markers, their units and conversions to the canonical unit.

Serum B12: 1 pmol/L = 1.3554 pg/mL exactly here (molar mass of cobalamin
1355.4 g/mol); pg/mL = ng/L. MMA: 1 umol/L = 1000 nmol/L. HoloTC is in pmol/L
and homocysteine in umol/L only. Values are compared in canonical units.
"""

from __future__ import annotations

from typing import Callable

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


def marker_reader(marker: str, unit: str | None, label: str | None = None) -> Callable[[str], tuple[float, float]]:
    """A checker for one marker's values in one unit: text -> (value as given, canonical value).

    ``unit`` None means the person did not name one: the canonical unit is
    assumed, except that an MMA of 10 or more is refused as probably nmol/L.
    Built once per unit, so a batch pays for the set-up once, not per cell.
    """
    label = label or f"--{marker}"
    canonical_unit = CANONICAL[marker]
    guard_nmol = marker == "mma" and unit is None
    given_unit = unit or canonical_unit
    accepted = f"a positive number in {given_unit}"
    mul, div = FACTORS[marker][given_unit]
    identity = mul == div
    low, high = PLAUSIBLE[marker]

    def read(text: str) -> tuple[float, float]:
        value = parse_number(text, label, accepted)
        if value <= 0:
            raise UsageError(f"{label} {show(text)} must be above zero")
        if guard_nmol and value >= MMA_UNIT_GUESS_AT:
            raise UsageError(
                f"{label} {show(text)} is implausible in umol/L and is probably nmol/L; "
                "give the unit: --mma-unit nmol/L (or --mma-unit umol/L if it really is umol/L)"
            )
        canonical = value if identity else round_sig(value * mul / div)
        if not low <= canonical <= high:
            raise UsageError(
                f"{label} {show(text)} {given_unit} is outside the plausible range "
                f"{fmt(low)}–{fmt(high)} {canonical_unit}; check the number and its unit"
            )
        return value, canonical

    return read


def read_marker(marker: str, text: str, unit: str | None, label: str | None = None) -> tuple[float, str, float]:
    """(value as given, unit, canonical value) for one marker, checked for sense."""
    value, canonical = marker_reader(marker, unit, label)(text)
    return value, unit or CANONICAL[marker], canonical
