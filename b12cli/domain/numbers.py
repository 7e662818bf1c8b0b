"""Parsing what a person types: numbers, ages, ranges. Every failure is a
one-line ``UsageError`` that names the value and says what is accepted."""

from __future__ import annotations

import math
from typing import NamedTuple

from b12cli.domain.text import show
from b12cli.errors import UsageError

MAX_AGE_YEARS = 125
MAX_NUMBER_CHARS = 64  # a longer "number" is a mistake, and exact arithmetic on it would cost time
_INF = math.inf



def parse_number(text: str, label: str, accepted: str = "a number") -> float:
    """A finite float from ``text`` or a ``UsageError`` naming ``label``.

    Plain ASCII decimal numbers only (``180``, ``0.5``, ``1e3``): no NaN or infinity words,
    no ``1_000``, no non-ASCII digits. Fast enough to run per cell in a batch.
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise UsageError(f"{label} {show(text)} is too long ({len(text)} characters, at most {MAX_NUMBER_CHARS}); "
                         f"expected {accepted}")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if -_INF < value < _INF and text.isascii() and "_" not in text:  # False for NaN too
        if value == 0 and any(c in "123456789" for c in text.partition("e")[0].partition("E")[0]):
            raise UsageError(f"{label} {show(text)} is too small to be told from zero; expected {accepted}")
        return value
    digits_only = not any(c.isalpha() and c not in "eE" for c in text) and text.isascii()
    problem = "is too large" if value in (_INF, -_INF) and digits_only else "is not a number"
    raise UsageError(f"{label} {show(text)} {problem}; expected {accepted}")


def floor_times(text: str, factor: int) -> int:
    """floor(value x factor), worked out exactly in decimal, for a text ``parse_number`` accepted
    and the caller checked to be from 0 to a few thousand (ages in years or months). A tiny
    value such as 1e-99999999 is 0 at once: exact arithmetic on its exponent would never end."""
    from decimal import ROUND_FLOOR, Decimal, localcontext

    value = Decimal(text.strip())
    if value.is_zero() or value.adjusted() < -2 * MAX_NUMBER_CHARS:
        return 0
    with localcontext() as context:
        context.prec = 4 * MAX_NUMBER_CHARS  # enough digits for any accepted text times 12: exact
        return int((value * factor).to_integral_value(rounding=ROUND_FLOOR))


def round_sig(value: float, digits: int = 12) -> float:
    """Drop binary floating-point noise (0.6 / 2.4 * 100 -> 25.0, not 25.000000000000004)."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def plain_sig(value: float, digits: int = 2) -> str:
    """A count for a table: at most ``digits`` significant figures, never in exponent form, no trailing zeros
    after the point (521.7 -> "520", 4.83 -> "4.8", 0.1666 -> "0.17", 5.0 -> "5")."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.{digits}g}")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    text = f"{rounded:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Age(NamedTuple):
    years: float
    months: int  # completed months: floor(years x 12)


def share_text(percent: float) -> str:
    """A share of a target as people read it: never a percentage above 1,000%.

    Under 0.1%: "under 0.1%"; under 10%: one decimal; up to 999%: a whole percent; from 10 times the
    target: "about N times" (two significant figures); from 100 times: "over 100 times".
    """
    ratio = percent / 100
    if ratio <= 0:
        return "0%"
    if ratio < 0.001:
        return "under 0.1%"
    if ratio < 0.1:
        return f"{percent:.1f}%"
    if ratio < 10 and round(percent) < 1000:
        return f"{percent:.0f}%"
    if ratio < 100:
        return f"about {plain_sig(ratio)} times"
    return "over 100 times"


def share_of(percent: float, what: str) -> str:
    """"25% of the target", "about 29 times the target": a share in a sentence."""
    text = share_text(percent)
    return f"{text} {what}" if text.endswith("times") else f"{text} of {what}"


def parse_years(text: str, label: str = "--age") -> float:
    accepted = f"an age in years from 0 to {MAX_AGE_YEARS} (decimals allowed, e.g. 0.5)"
    value = parse_number(text, label, accepted)
    if value < 0 or value > MAX_AGE_YEARS:
        raise UsageError(f"{label} {show(text)} is out of range; expected {accepted}")
    return value


def parse_age(text: str, label: str = "--age") -> Age:
    return Age(parse_years(text, label), floor_times(text, 12))


def parse_months(text: str, label: str = "--months") -> Age:
    accepted = f"a number of months from 0 to {MAX_AGE_YEARS * 12}"
    value = parse_number(text, label, accepted)
    if value < 0 or value > MAX_AGE_YEARS * 12:
        raise UsageError(f"{label} {show(text)} is out of range; expected {accepted}")
    return Age(value / 12, floor_times(text, 1))


MAX_INT_DIGITS = 9  # a count typed on a command line; longer digit strings are never converted (C3)


def parse_positive_int(text: str, label: str) -> int:
    stripped = text.strip()
    digits = stripped[1:] if stripped.startswith("+") else stripped
    if not (digits.isascii() and digits.isdigit()):
        raise UsageError(f"{label} {show(text)} is not accepted; expected a whole number of 1 or more")
    if len(digits.lstrip("0")) > MAX_INT_DIGITS:
        raise UsageError(f"{label} {show(text)} is too large; expected a whole number of 1 or more "
                         f"(at most {MAX_INT_DIGITS} digits)")
    if int(digits) < 1:
        raise UsageError(f"{label} {show(text)} is not accepted; expected a whole number of 1 or more")
    return int(digits)


def parse_non_negative(text: str, label: str) -> float:
    value = parse_number(text, label, "a number of 0 or more")
    if value < 0:
        raise UsageError(f"{label} {show(text)} is negative; expected a number of 0 or more")
    return value
