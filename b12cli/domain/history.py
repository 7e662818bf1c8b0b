"""`b12 history`: results over time, one panel per person and draw, with a trend per marker.

The readers (``inputs.results``) turn CSV rows and FHIR Observations into ``Observed`` results,
each already checked as ``b12 labs`` checks its options. Here they are gathered by person and day
into panels, each interpreted by ``labs.interpret`` exactly as ``b12 labs`` would with the same
values, units, ranges, age, scheme and ``--pregnant``, and each person's panels give a trend per
marker.

Two results are never merged unless they are the same result: the same marker, person and day,
the same limit sign and range, and the same value (to within rounding only when the units
differ, and only when both read the same). Different results on one day are separate draws when
their times differ, and otherwise an error that names both: nothing is chosen for the person.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, NamedTuple

from b12cli.domain.labs import Assessor, LabAssessment, LabQuery, interpret, read_scheme
from b12cli.domain.limits import settled_order
from b12cli.domain.model import Thresholds
from b12cli.domain.numbers import Age, round_sig
from b12cli.domain.ranges import RefRange
from b12cli.domain.text import printable
from b12cli.domain.units import MarkerValue, fmt

SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.-'"
UNIT_ROUNDING = 0.005  # a result converted between units may differ by rounding: 0.5%


class HistoryOptions(NamedTuple):
    scheme: str = "documents"
    pregnant: bool = False
    lab_ranges: bool = True


class Where(NamedTuple):
    """Where a record came from: a file ('-' for stdin) and a line (NDJSON, CSV) or a Bundle entry."""

    file: str
    line: int | None
    entry: str | None  # e.g. "entry[3]"; None for a resource that is a whole file or an NDJSON line

    def describe(self) -> str:
        """For a message: the file name and id escaped (a record cannot forge a line) and cut short."""
        parts = [printable(self.file)] + ([f"line {self.line}"] if self.line is not None else [])
        return " ".join(parts + ([self.entry] if self.entry else []))


class Skipped(NamedTuple):
    reason: str
    where: Where


class Problem(NamedTuple):
    reason: str
    where: Where


class Observed(NamedTuple):
    """One checked result of one marker for one person on one day."""

    person: str | None
    day: str  # YYYY, YYYY-MM or YYYY-MM-DD, as the record gives it
    time: str | None  # the time of the draw where the record gives one (hh:mm, as written), else None
    value: MarkerValue
    ref: RefRange | None  # the laboratory's range for this result
    age: Age | None
    where: Where


class Panel(NamedTuple):
    person: str | None
    date: str  # the day, with the time of the draw where one day holds several
    assessment: LabAssessment
    ranges: dict[str, str]  # marker -> the laboratory range applied, as text with its unit
    sources: tuple[Where, ...]

    def comparator(self, marker: str) -> str | None:
        return next((m.censored for m in self.assessment.markers if m.marker == marker), None)


class Point(NamedTuple):
    date: str
    value: float  # canonical unit
    comparator: str | None


class Trend(NamedTuple):
    marker: str
    unit: str  # canonical
    first: Point
    latest: Point
    change: float | None  # latest - first in ``unit``; None when either end is censored
    direction: str  # up, down, unchanged or uncertain
    values: tuple[float, ...]  # every panel's value in date order, canonical unit


class Person(NamedTuple):
    id: str | None
    panels: tuple[Panel, ...]
    trends: tuple[Trend, ...]


class History(NamedTuple):
    scheme: str
    people: tuple[Person, ...]
    used: int
    skipped: tuple[Skipped, ...]
    errors: tuple[Problem, ...]
    noun: str  # "observations" or "rows"
    notes: tuple[str, ...]
    disclaimer: str

    @property
    def panels(self) -> int:
        return sum(len(p.panels) for p in self.people)

    @property
    def latest_abnormal(self) -> bool:
        """What --check reports: any person whose latest panel is abnormal."""
        return any(p.panels and p.panels[-1].assessment.abnormal for p in self.people)


class Collected(NamedTuple):
    observed: list[Observed]
    skipped: list[Skipped]
    errors: list[Problem]
    noun: str
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------- panels


def _same(assessor: Assessor, a: Observed, b: Observed) -> bool:
    """The same result twice (from two files, or once in pg/mL and once in pmol/L)."""
    x, y = a.value, b.value
    if x.censored != y.censored or _ends(a.ref) != _ends(b.ref):
        return False
    if x.unit == y.unit or x.canonical == y.canonical:
        return x.canonical == y.canonical
    close = abs(x.canonical - y.canonical) <= UNIT_ROUNDING * max(x.canonical, y.canonical)
    return close and assessor.classify(x).status == assessor.classify(y).status


def _ends(ref: RefRange | None) -> tuple | None:
    return None if ref is None else (ref.low, ref.high, ref.low_inclusive, ref.high_inclusive)


def _shown(o: Observed) -> str:
    v = o.value
    time = f" {o.time}" if o.time else ""
    lab = f" (lab range {o.ref.text})" if o.ref else ""
    return f"{v.censored or ''}{fmt(v.value)} {v.unit}{lab}{time} at {o.where.describe()}"


class Conflict(Exception):
    """Two different results of one marker that cannot be told apart."""


def draws(assessor: Assessor, observed: list[Observed]) -> list[list[Observed]]:
    """One person's results of one day as draws: one draw, unless a marker has different results
    whose times tell them apart; then one draw per time. ``Conflict`` names the results otherwise."""
    by_marker: dict[str, list[Observed]] = {}
    for o in observed:
        kept = by_marker.setdefault(o.value.marker, [])
        if not any(_same(assessor, k, o) for k in kept):
            kept.append(o)
    clash = [kept for kept in by_marker.values() if len(kept) > 1]
    if not clash:
        return [observed]  # repeats of the same result stay, as sources of the one panel
    times = [o.time for kept in clash for o in kept]
    if None in times or len(set(times)) < len(times) or any(o.time is None for o in observed):
        kept = clash[0]
        label = assessor.registry.get(kept[0].value.marker).label
        raise Conflict(f"{len(kept)} different {label} results on {kept[0].day}: "
                       + "; ".join(_shown(o) for o in kept) + "; cannot tell which to use, so no panel is made")
    by_time: dict[str, list[Observed]] = {}
    for o in observed:
        by_time.setdefault(o.time or "", []).append(o)
    found: list[list[Observed]] = []
    for _, group in sorted(by_time.items()):
        found.extend(draws(assessor, group))  # one draw per time (a clash at one time raises)
    return found


def build_panel(thresholds: Thresholds, observed: list[Observed], options: HistoryOptions, label: str) -> Panel:
    """One draw as ``b12 labs`` reads it. ``label``: its date, with the time where a day holds several."""
    ages = {o.age for o in observed if o.age is not None}
    if len(ages) > 1:
        raise Conflict(f"the ages on {observed[0].day} differ ({', '.join(sorted(fmt(a.years) for a in ages))}); "
                       "give one age a day")
    registry = thresholds.registry
    markers = {o.value.marker: o.value for o in observed}
    refs = {o.value.marker: o.ref for o in observed if o.ref is not None and options.lab_ranges}
    query = LabQuery({m: markers[m] for m in registry.order(markers)}, next(iter(ages), None), options.scheme, refs,
                     options.pregnant)
    sources = tuple(dict.fromkeys(o.where for o in observed))
    return Panel(observed[0].person, label, interpret(thresholds, query), {m: r.text for m, r in refs.items()},
                 sources)


def trends(registry_ids: Iterable[str], panels: tuple[Panel, ...]) -> tuple[Trend, ...]:
    out = []
    for marker in registry_ids:
        points = [Point(p.date, m.canonical_value, m.censored)
                  for p in panels for m in p.assessment.markers if m.marker == marker]
        if len(points) < 2:
            continue
        first, latest = points[0], points[-1]
        exact = first.comparator is None and latest.comparator is None
        change = round_sig(latest.value - first.value) if exact else None
        unit = _canonical_unit(panels, marker)
        out.append(Trend(marker, unit, first, latest, change,
                         settled_order((first.comparator, first.value), (latest.comparator, latest.value)),
                         tuple(p.value for p in points)))
    return tuple(out)


def _canonical_unit(panels: tuple[Panel, ...], marker: str) -> str:
    return next(m.canonical_unit for p in panels for m in p.assessment.markers if m.marker == marker)


def direction(first: Point, latest: Point) -> str:
    """up, down or unchanged by the sign of the change; with a censored end, only when the bounds settle it."""
    return settled_order((first.comparator, first.value), (latest.comparator, latest.value))


def sparkline(values: tuple[float, ...] | list[float], ascii_only: bool = False) -> str:
    """One character per value, low to high across the person's own range (flat when all are equal)."""
    marks = ASCII_SPARKS if ascii_only else SPARKS
    low, high = min(values), max(values)
    if high == low:
        return marks[len(marks) // 2] * len(values)
    top = len(marks) - 1
    return "".join(marks[round((v - low) / (high - low) * top)] for v in values)


def _person_key(person: str | None) -> tuple[int, str]:
    return (0, "") if person is None else (1, person)


def build(thresholds: Thresholds, collected: Collected, options: HistoryOptions, day_note: str) -> History:
    scheme = read_scheme(thresholds, options.scheme)
    options = options._replace(scheme=scheme.id)
    assessor = Assessor(thresholds, scheme)
    groups: dict[tuple[str | None, str], list[Observed]] = {}
    for o in collected.observed:
        groups.setdefault((o.person, o.day), []).append(o)
    errors = list(collected.errors)
    panels: dict[str | None, list[Panel]] = {}
    used: set[Where] = set()
    for (person, day), observed in sorted(groups.items(), key=lambda kv: (_person_key(kv[0][0]), kv[0][1])):
        try:
            found = draws(assessor, observed)
            several = len(found) > 1
            built = [build_panel(thresholds, d, options, f"{day} {d[0].time}" if several else day) for d in found]
        except Conflict as exc:
            who = printable(person) if person is not None else "the person"
            errors.append(Problem(f"{who} on {day}: {exc}", observed[0].where))
            continue
        panels.setdefault(person, []).extend(built)
        for panel in built:
            used.update(panel.sources)
    ids = thresholds.registry.ids
    people = tuple(Person(pid, tuple(ps), trends(ids, tuple(ps))) for pid, ps in panels.items())
    notes = [*collected.notes, day_note] if people else list(collected.notes)
    notes += dict.fromkeys(n for p in people for panel in p.panels for n in panel.assessment.notes)
    return History(scheme.id, people, len(used), tuple(collected.skipped), tuple(errors), collected.noun,
                   tuple(notes), thresholds.disclaimer)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def summary_line(h: History) -> str:
    reasons = Counter(s.reason for s in h.skipped)
    why = f" ({', '.join(f'{n} {r}' for r, n in reasons.items())})" if reasons else ""
    noun = h.noun[:-1] if h.noun.endswith("s") else h.noun
    return (f"b12: history: {plural(h.used, noun)} used, {len(h.skipped):,} skipped{why}, "
            f"{plural(len(h.errors), 'error')}; {plural(len(h.people), 'person', 'people')}, "
            f"{plural(h.panels, 'panel')}; scheme {h.scheme}. {h.disclaimer}")
