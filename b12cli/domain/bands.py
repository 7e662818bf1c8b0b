"""Intervals and ordered bands: the one mechanism behind every status word.

A band's range is written as an interval, e.g. ``"[150, 200)"``: a square
bracket includes the end, a round one excludes it, and ``-inf``/``inf`` are
open ends. A marker's bands must cover the whole number line exactly once.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from typing import NamedTuple

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\]\)\s]+)\s*([\])])\s*$")


class IntervalError(ValueError):
    pass


class Interval(NamedTuple):
    lower: float  # -inf for an open lower end
    lower_inclusive: bool
    upper: float  # inf for an open upper end
    upper_inclusive: bool

    def holds(self, x: float) -> bool:
        """Whether ``x`` lies in this one interval (not a band lookup: see ``locate``)."""
        above = x > self.lower or (self.lower_inclusive and x == self.lower)
        below = x < self.upper or (self.upper_inclusive and x == self.upper)
        return above and below

    def describe(self, unit: str) -> str:
        """Human text: 'below 150 pg/mL', '150 to below 200 pg/mL', 'above 914 pg/mL'."""
        lo, hi = _fmt(self.lower), _fmt(self.upper)
        if math.isinf(self.lower):
            return f"{'up to' if self.upper_inclusive else 'below'} {hi} {unit}"
        if math.isinf(self.upper):
            return f"{'from' if self.lower_inclusive else 'above'} {lo} {unit}"
        start = lo if self.lower_inclusive else f"above {lo}"
        end = hi if self.upper_inclusive else f"below {hi}"
        return f"{start} to {end} {unit}"


class Cuts(NamedTuple):
    """The upper ends of ordered bands that cover the number line, for ``locate``."""

    uppers: tuple[float, ...]
    inclusive: tuple[bool, ...]


def cuts_of(intervals: list[Interval] | tuple[Interval, ...]) -> Cuts:
    return Cuts(tuple(i.upper for i in intervals), tuple(i.upper_inclusive for i in intervals))


def locate(cuts: Cuts, value: float) -> int:
    """The index of the band holding ``value``: the one answer to "which band?", used by the
    loader's tests, single queries and every batch row. The bands were checked by ``check_cover``
    to run from -inf to inf without gap or overlap, so the first band whose upper end admits the
    value holds it."""
    i = bisect_left(cuts.uppers, value)
    if i < len(cuts.uppers) and cuts.uppers[i] == value and not cuts.inclusive[i]:
        i += 1
    if i >= len(cuts.uppers) or value != value:  # NaN or beyond the last end: never for checked bands
        raise IntervalError(f"no band holds {value!r}")
    return i


def _fmt(x: float) -> str:
    return f"{x:g}"


def _bound(text: str, what: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise IntervalError(f"{what} {text!r} in {source!r} is not a number") from None
    if math.isnan(value):
        raise IntervalError(f"{what} in {source!r} is not a number")
    return value


def parse_interval(source: str) -> Interval:
    match = _INTERVAL.match(source)
    if not match:
        raise IntervalError(f"expected an interval such as '[150, 200)', got {source!r}")
    left, lo_text, hi_text, right = match.groups()
    lower, upper = _bound(lo_text, "lower end", source), _bound(hi_text, "upper end", source)
    if lower == math.inf or upper == -math.inf or lower > upper:
        raise IntervalError(f"interval {source!r} is empty")
    lower_inclusive, upper_inclusive = left == "[", right == "]"
    if (math.isinf(lower) and lower_inclusive) or (math.isinf(upper) and upper_inclusive):
        raise IntervalError(f"an infinite end must be open in {source!r}")
    if lower == upper and not (lower_inclusive and upper_inclusive):
        raise IntervalError(f"interval {source!r} is empty")
    return Interval(lower, lower_inclusive, upper, upper_inclusive)


def check_cover(intervals: list[Interval]) -> str | None:
    """None if the intervals, in order, cover the number line exactly once; else the problem."""
    if not intervals:
        return "no bands"
    if not math.isinf(intervals[0].lower):
        return f"the first band must start at -inf, not {_fmt(intervals[0].lower)}"
    if not math.isinf(intervals[-1].upper):
        return f"the last band must end at inf, not {_fmt(intervals[-1].upper)}"
    for i, (a, b) in enumerate(zip(intervals, intervals[1:]), start=1):
        if a.upper < b.lower or (a.upper == b.lower and not a.upper_inclusive and not b.lower_inclusive):
            return f"gap between band {i - 1} and band {i} at {_fmt(a.upper)}"
        if a.upper > b.lower or (a.upper_inclusive and b.lower_inclusive):
            return f"band {i - 1} and band {i} overlap at {_fmt(b.lower)}"
    return None
