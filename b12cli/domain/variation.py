"""Reference change values: is the difference between two results of one person more than chance?

Two results of one person differ even when nothing has changed: the laboratory method varies
(the analytical CV) and so does the person from day to day (the within-person CV). The reference
change value is the largest difference those two together give 95 times in 100; only a larger one
is a real change. These markers are skewed, so the limits are worked out on a log scale
(log-normal, asymmetric): with the CVs as fractions,

    sigma = sqrt(ln(1 + CVa^2) + ln(1 + CVi^2));  rise = exp(z*sqrt(2)*sigma) - 1;  fall = exp(-z*sqrt(2)*sigma) - 1

(z = 1.96 for 95%, two-sided). B12 at CVa 7.5% and CVi 8.6% gives -27.1% and +37.1%.

Each step between two results gets a ``significance`` (``SIGNIFICANCE``): a result given as a
limit counts by every value it could have, so a step is judged only when all of them fall on one
side of a limit; results whose laboratory ranges differ (probably another laboratory or method)
are not compared; a marker without figures (folate: the sources used give none) is
``unknown_variation``, never judged.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Iterable, NamedTuple

from b12cli.domain.limits import settled_order, span
from b12cli.domain.model import ChangeFigures, Variation
from b12cli.domain.numbers import parse_number, round_sig
from b12cli.domain.text import show
from b12cli.domain.units import fmt
from b12cli.errors import UsageError

SIGNIFICANCE = ("significant_rise", "significant_fall", "within_variation", "not_comparable", "unknown_variation")
REASONS = ("limit", "other_laboratory", "no_figure")  # why a step is not judged; the messages of variation.yaml
MESSAGE_OF = {"limit": "limit", "other_laboratory": "other-laboratory", "no_figure": "no-figure"}
WORDS = {"significant_rise": "real rise", "significant_fall": "real fall", "within_variation": "within variation",
         "not_comparable": "not comparable", "unknown_variation": "no reference change value"}


class Limits(NamedTuple):
    """A marker's reference change value: the percentages a fall or a rise must pass to be real."""

    marker: str
    fall: float  # percent, below 0
    rise: float  # percent, above 0
    figures: ChangeFigures
    z: float
    confidence_percent: float
    model: str


def limits_of(figures: ChangeFigures, z: float) -> tuple[float, float]:
    """(fall, rise) in percent, log-normal: exact to 12 significant digits."""
    cva = (figures.cv_analytical or 0.0) / 100
    cvi = figures.cv_within / 100
    k = z * math.sqrt(2) * math.sqrt(math.log1p(cva * cva) + math.log1p(cvi * cvi))
    return round_sig(math.expm1(-k) * 100), round_sig(math.expm1(k) * 100)


class ChangeRules(NamedTuple):
    """The knowledge base's figures with a laboratory's own (``--rcv``) in their place."""

    variation: Variation
    own: dict[str, ChangeFigures]

    def limits(self, marker: str) -> Limits | None:
        figures = self.own.get(marker) or self.variation.figures.get(marker)
        if figures is None:
            return None
        v = self.variation
        fall, rise = limits_of(figures, v.z)
        return Limits(marker, fall, rise, figures, v.z, v.confidence_percent, v.model)

    def message(self, key: str) -> str:
        """A message of variation.yaml with its sources, as a note."""
        return self.variation.messages[key].cited()


RCV_EXAMPLE = "b12=7.5,8.6"


def read_rcv(texts: Iterable[str], marker_ids: Iterable[str]) -> dict[str, ChangeFigures]:
    """``--rcv MARKER=CVA,CVI`` (repeatable): a laboratory's analytical and within-person CVs, in percent,
    each above 0 and below 100 ("7.5%" is read as 7.5)."""
    known = tuple(marker_ids)
    out: dict[str, ChangeFigures] = {}
    for text in texts:
        marker, sep, rest = text.partition("=")
        marker = marker.strip().casefold()
        cvs = [c.strip().removesuffix("%").strip() for c in rest.split(",")]
        if not sep or len(cvs) != 2 or not all(cvs):
            raise UsageError(f"--rcv {show(text)} is not MARKER=CVA,CVI; expected e.g. {RCV_EXAMPLE} (the analytical "
                             "and the within-person CV, in percent)")
        if marker not in known:
            raise UsageError(f"--rcv {show(text)}: unknown marker {show(marker)}; expected one of {', '.join(known)}")
        if marker in out:
            raise UsageError(f"--rcv gives {marker} twice; give each marker once")
        values = [parse_number(c, f"--rcv {marker} CV", "a percentage above 0 and below 100") for c in cvs]
        for value in values:
            if not 0 < value < 100:
                raise UsageError(f"--rcv {show(text)}: a CV of {fmt(value)}% is not accepted; expected a percentage "
                                 "above 0 and below 100")
        words = f"your laboratory's figures: analytical CV {fmt(values[0])}%, within-person CV {fmt(values[1])}%"
        out[marker] = ChangeFigures(marker, values[0], values[1], words, (), (), own=True)
    return out


# ----------------------------------------------------------------- steps


class End(NamedTuple):
    """One result at one end of a step."""

    date: str
    value: float  # canonical unit
    comparator: str | None
    shown: float  # as given
    unit: str  # as given
    status: str  # its band under the shown scheme
    lab_range: str | None  # the laboratory's range printed with it, as text


class Step(NamedTuple):
    start: End
    end: End
    change_percent: float | None  # end against start, rounded to 0.1; None when either is a limit
    direction: str  # up, down, unchanged or uncertain (limits.settled_order)
    significance: str  # one of SIGNIFICANCE
    reason: str | None  # one of REASONS when the step is not judged


def _bounds(e: End) -> tuple[float, float]:
    if e.comparator is None:
        return e.value, e.value
    low, _, high, _ = span(e.comparator, e.value)
    return low, high


def ratio_range(start: End, end: End) -> tuple[float, float]:
    """Every value end/start can have, given the limits: (lowest, highest), inf where unbounded."""
    lo1, hi1 = _bounds(start)
    lo2, hi2 = _bounds(end)
    low = 0.0 if math.isinf(hi1) else lo2 / hi1
    high = math.inf if lo1 == 0 or math.isinf(hi2) else hi2 / lo1
    return low, high


def judge(start: End, end: End, limits: Limits | None) -> Step:
    exact = start.comparator is None and end.comparator is None
    change = round((end.value / start.value - 1) * 100, 1) + 0.0 if exact else None
    direction = settled_order((start.comparator, start.value), (end.comparator, end.value))
    significance, reason = _significance(start, end, limits)
    return Step(start, end, change, direction, significance, reason)


def _significance(start: End, end: End, limits: Limits | None) -> tuple[str, str | None]:
    if start.lab_range and end.lab_range and start.lab_range != end.lab_range:
        return "not_comparable", "other_laboratory"
    if limits is None:
        return "unknown_variation", "no_figure"
    low, high = ratio_range(start, end)
    up, down = 1 + limits.rise / 100, 1 + limits.fall / 100
    if low > up:
        return "significant_rise", None
    if high < down:
        return "significant_fall", None
    if low >= down and high <= up:
        return "within_variation", None
    return "not_comparable", "limit"


# ----------------------------------------------------------------- in words


def _day(text: str) -> tuple[date, int] | None:
    """A history date (YYYY, YYYY-MM, YYYY-MM-DD, each perhaps with a time) as a day and its precision
    (1 year, 2 month, 3 day); None for anything else."""
    parts = text.split(" ")[0].split("-")
    try:
        numbers = [int(p) for p in parts[:3]] + [1] * (3 - len(parts))
        return date(numbers[0], numbers[1], numbers[2]), len(parts)
    except ValueError:
        return None


def day_number(text: str) -> float | None:
    """A date as a number of days, for placing it on a time axis (a year or month alone: its middle)."""
    found = _day(text)
    if found is None:
        return None
    day, precision = found
    middle = {1: 182, 2: 14, 3: 0}[precision]
    clock = text.split(" ")[1] if " " in text else ""
    hours = int(clock[:2]) + int(clock[3:5]) / 60 if len(clock) >= 5 and clock[2] == ":" else 0
    return day.toordinal() + middle + hours / 24


def span_words(first: str, latest: str) -> str:
    """How long from one date to another, as a person says it: "in 8 months", "on the same day"."""
    a, b = _day(first), _day(latest)
    if a is None or b is None:
        return f"from {first} to {latest}"
    (d1, p1), (d2, p2) = a, b
    precision, days = min(p1, p2), (d2 - d1).days
    if precision == 1:
        return _count(d2.year - d1.year, "year")
    if precision == 2 or days >= 28:
        months = round(days / 30.4375) if precision == 3 else (d2.year - d1.year) * 12 + d2.month - d1.month
        return _count(months, "month") if months < 24 else _years(months)
    if days == 0:
        return "on the same day"
    return _count(days, "day") if days < 14 else _count(round(days / 7), "week")


def _count(n: int, unit: str) -> str:
    return f"in {n} {unit}{'' if n == 1 else 's'}" if n else f"within a {unit}"


def _years(months: int) -> str:
    years = round(months / 6) / 2
    return f"in {fmt(years)} years"


def _ends_shown(start: End, end: End, canonical_unit: str) -> tuple[str, str, str]:
    """Both values and their unit: as given when both share a unit, else in the canonical unit."""
    if start.unit == end.unit:
        a, b, unit = start.shown, end.shown, start.unit
    else:
        a, b, unit = start.value, end.value, canonical_unit
    return f"{start.comparator or ''}{fmt(a)}", f"{end.comparator or ''}{fmt(b)}", unit


def sentence(label: str, canonical_unit: str, step: Step, limits: Limits | None) -> str:
    """The trend in words: what happened, over how long, and whether it is more than chance."""
    a, b, unit = _ends_shown(step.start, step.end, canonical_unit)
    when = span_words(step.start.date, step.end.date)
    judged = step.significance in ("significant_rise", "significant_fall", "unknown_variation")
    verb = {"up": "rose", "down": "fell"}.get(step.direction, "went") if judged else "went"
    moved = f"{label} {verb} from {a} to {b} {unit} {when}"
    pct = "" if step.change_percent is None else f" ({step.change_percent:+.0f}%)"
    s = step.significance
    if s == "significant_rise":
        text = f"{moved}, more than the {limits.rise:.0f}% that chance allows: a real rise."
    elif s == "significant_fall":
        text = f"{moved}, more than the {-limits.fall:.0f}% that chance allows: a real fall."
    elif s == "within_variation":
        text = (f"{moved}{pct}, within what measurement and day-to-day variation allow "
                f"({limits.fall:.0f}% to +{limits.rise:.0f}%): no real change.")
    elif step.reason == "other_laboratory":
        text = f"{moved}{pct}; the laboratory ranges differ, so the two are probably from different laboratories " \
               "or methods and are not compared."
    elif s == "not_comparable":
        text = f"{moved}; a result given as a limit could lie on either side of what chance allows, so no real " \
               "change can be told."
    else:
        named = label.lower() if label[1:].islower() else label  # folate, homocysteine; B12, holoTC, MMA
        text = f"{moved}{pct}; no reference change value is held for {named}, so whether this is more than " \
               "chance is not known."
    return text + _crossed(step)


def _crossed(step: Step) -> str:
    a, b = step.start.status, step.end.status
    if a == b:
        return ""
    said = f" It went from {a.replace('_', ' ')} to {b.replace('_', ' ')}"
    if step.significance == "within_variation":
        return said + ", but by less than chance allows."
    return said + "."
