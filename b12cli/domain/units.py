"""One result of one marker: read from text, checked for sense, and put in the canonical unit.

The factors, plausible ranges and unit spellings come from the marker registry
(``markers.Marker``); limits ("<150") from ``limits``. Values are compared with the bands in
canonical units.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from b12cli.domain.limits import split_limit
from b12cli.domain.markers import Marker
from b12cli.domain.numbers import parse_number
from b12cli.domain.text import show
from b12cli.errors import UsageError


def fmt(value: float) -> str:
    """A number as a person reads it: no trailing zeros, no exponent for ordinary values, never -0."""
    text = f"{value + 0.0:.6g}"
    return text if "e" not in text else f"{value:g}"


class MarkerValue(NamedTuple):
    """One result as given: the number, its unit, the canonical value, and whether the laboratory
    reported only a limit (``censored``: "<", "<=", ">" or ">=", e.g. "<150"; None for a plain value)."""

    marker: str
    value: float
    unit: str
    canonical: float
    censored: str | None = None


def check_plausible(marker: Marker, value: float, unit: str | None, what: str, unit_hint: str) -> float:
    """The canonical value of a number that makes sense for the marker in ``unit`` (None: not named,
    the canonical unit is assumed); a ``UsageError`` naming ``what`` otherwise. ``unit_hint`` says
    how to name the unit, e.g. "--mma-unit nmol/L"."""
    if value <= 0:
        raise UsageError(f"{what} must be above zero")
    guess = marker.unit_guess
    if guess is not None and unit is None and value >= guess.at_least:
        raise UsageError(f"{what} is implausible in {marker.canonical_unit} and is probably {guess.unit}; give the "
                         f"unit: {unit_hint} (or {marker.canonical_unit} if it really is {marker.canonical_unit})")
    given = unit or marker.canonical_unit
    canonical = marker.to_canonical(value, given)
    low, high = marker.plausible
    if not low <= canonical <= high:
        raise UsageError(f"{what} {given} is outside the plausible range {fmt(low)}-{fmt(high)} "
                         f"{marker.canonical_unit}; check the number and its unit")
    return canonical


def unit_hint(marker: Marker, label: str) -> str:
    """How to name a unit where ``label`` is: an option on the command line, a column in a file."""
    guess = marker.unit_guess.unit if marker.unit_guess else marker.canonical_unit
    if label.startswith("--"):
        return f"{marker.unit_option} {guess}" if marker.unit_option else "the unit"
    return f"a {marker.id}_unit column or '{label} ({guess})'"


def marker_reader(marker: Marker, unit: str | None, label: str | None = None,
                  hint: str | None = None) -> Callable[[str], MarkerValue]:
    """A checker for one marker's results in one unit: text ("180", "<150", ">=2000") -> ``MarkerValue``.

    ``unit`` None means the person did not name one: the canonical unit is assumed, except that a value
    the registry marks as probably in another unit (an MMA of 10 or more) is refused. Built once per unit,
    so a batch pays for the set-up once, not per cell.
    """
    label = label or marker.option
    given_unit = unit or marker.canonical_unit
    accepted = f"a positive number in {given_unit}, or a limit such as {marker.limit_example}"
    how = hint or unit_hint(marker, label)

    def read(text: str) -> MarkerValue:
        censored, number = split_limit(text)
        value = parse_number(number.strip() if censored else number, label if censored is None
                             else f"{label} {show(text)}:", accepted)
        canonical = check_plausible(marker, value, unit, f"{label} {show(text)}", how)
        return MarkerValue(marker.id, value, given_unit, canonical, censored)

    return read


def read_marker(marker: Marker, text: str, unit: str | None, label: str | None = None) -> MarkerValue:
    """One marker's result, checked for sense."""
    return marker_reader(marker, unit, label)(text)
