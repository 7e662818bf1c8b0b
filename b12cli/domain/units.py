"""One result of one marker: read from text, checked for sense, and put in the canonical unit.

The factors, plausible ranges and unit spellings come from the marker registry
(``markers.Marker``); limits ("<150") from ``limits``. Values are compared with the bands in
canonical units.
"""

from __future__ import annotations

import re
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
    reported only a limit (``censored``: "<", "<=", ">" or ">=", e.g. "<150"; None for a plain value).
    ``flag`` is a flag the laboratory printed after the number ("415 H"), as printed."""

    marker: str
    value: float
    unit: str
    canonical: float
    censored: str | None = None
    flag: str | None = None


# Flags laboratories print after a result (HL7 v2 table 0078 and the marks portals use), upper-cased.
FLAGS = ("H", "HH", "HU", "L", "LL", "LU", "A", "AA", "N", "*", "!", "HIGH", "LOW", "ABNORMAL", "NORMAL")
_PRINTED = re.compile(r"(?P<number>[0-9][0-9.,]*(?:[eE][-+]?[0-9]+)?)[ \t]*(?P<rest>.*)", re.DOTALL)
_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def split_printed(marker: Marker, text: str) -> tuple[str, str | None, str | None]:
    """(number, unit or None, flag or None) from a result as a report prints it: "702 pg/mL", "415 H",
    "0.55 nmol/mL H", "1,524" (a thousands separator, where no other reading is possible). Text that is not of
    this form comes back whole, for the number parser to refuse with its own message."""
    match = _PRINTED.fullmatch(text.strip())
    if match is None:
        return text, None, None
    number, rest = match.group("number"), match.group("rest").split()
    unit = flag = None
    if rest and rest[-1].upper() in FLAGS:
        flag = rest.pop().upper()
    if len(rest) == 1:
        unit = marker.find_unit(rest[0])
        if unit is None and "/" in rest[0]:
            raise UsageError(f"{show(rest[0])} in {show(text)} is not a known unit of {marker.label}; expected one "
                             f"of {', '.join(marker.unit_names)}")
        if unit is None:
            return text, None, None
    elif rest:
        return text, None, None
    return number, unit, flag


def thousands(marker: Marker, number: str, unit: str | None) -> str:
    """"1,524" as 1524 where the comma can only separate thousands: the same digits read with a decimal comma
    (1.524) would not be a plausible result. Where both readings are plausible it is refused, never guessed."""
    if "," not in number or not _THOUSANDS.fullmatch(number):
        return number
    whole, decimal = number.replace(",", ""), number.replace(",", ".", 1)
    if "." in number:  # "1,524.5": the point is the decimal, so the comma separates thousands
        return whole
    low, high = marker.plausible
    if "," not in decimal and low <= marker.to_canonical(float(decimal), unit or marker.canonical_unit) <= high:
        raise UsageError(f"{show(number)} could be {whole} or {decimal}; write it without the comma (or with a "
                         "decimal point)")
    return whole


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
    option = f", or {marker.unit_option} {guess}" if marker.unit_option else ""
    return f"a {marker.id}_unit column or '{label} ({guess})'{option}"


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
        censored, rest = split_limit(text)
        number, printed_unit, flag = split_printed(marker, rest) if not _plain(rest) else (rest, None, None)
        here = unit
        if printed_unit is not None:
            if unit is not None and not marker.same_scale(unit, printed_unit):
                raise UsageError(f"{label} {show(text)} gives the unit {printed_unit} but the unit is {unit}; "
                                 "give the unit in one place")
            here = unit or printed_unit
        number = thousands(marker, number.strip(), here)
        value = parse_number(number, label if censored is None
                             else f"{label} {show(text)}:", accepted)
        canonical = check_plausible(marker, value, here, f"{label} {show(text)}", how)
        return MarkerValue(marker.id, value, here or given_unit, canonical, censored, flag)

    return read


def _plain(text: str) -> bool:
    """A bare number, the common case (decided without a regular expression)."""
    return text.replace(".", "", 1).isdigit()


def read_marker(marker: Marker, text: str, unit: str | None, label: str | None = None) -> MarkerValue:
    """One marker's result, checked for sense."""
    return marker_reader(marker, unit, label)(text)
