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

from array import array
from collections import Counter
from typing import Iterable, Iterator, NamedTuple

from b12cli.domain.labs import Assessor, Context, LabAssessment, LabQuery, interpret, read_scheme
from b12cli.domain.limits import settled_order
from b12cli.domain.markers import Registry
from b12cli.domain.model import Thresholds
from b12cli.domain.numbers import Age, round_sig
from b12cli.domain.ranges import RefRange
from b12cli.domain.text import printable
from b12cli.domain.units import MarkerValue, fmt
from b12cli.domain.variation import MESSAGE_OF, ChangeRules, End, Limits, Step, judge, sentence

SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "_.-'"
UNIT_ROUNDING = 0.005  # a result converted between units may differ by rounding: 0.5%
MEMO_SIZE = 2_000  # interpretations kept by query (about 2.5 KB each); all forgotten at once when full


class HistoryOptions(NamedTuple):
    scheme: str | None = None  # None: every scheme reads each panel and the most cautious decides
    pregnant: bool = False
    lab_ranges: bool = True
    context: Context = Context()  # --egfr, --taking-b12, --nitrous-oxide: every panel
    change: ChangeRules | None = None  # reference change values (variation.yaml, --rcv); None: none held


class Where(NamedTuple):
    """Where a record came from: a file ('-' for stdin) and a line (NDJSON, CSV) or a Bundle entry."""

    file: str
    line: int | None
    entry: str | None  # e.g. "entry[3]"; None for a resource that is a whole file or an NDJSON line

    def describe(self) -> str:
        """For a message: the file name and id escaped (a record cannot forge a line) and cut short."""
        name = "standard input" if self.file == "-" else printable(self.file)
        parts = [name] + ([f"line {self.line}"] if self.line is not None else [])
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
    change_percent: float | None = None  # latest against first, rounded to 0.1; None when either is a limit
    significance: str = "unknown_variation"  # the whole series (first to latest): variation.SIGNIFICANCE
    reason: str | None = None  # why the series is not judged (variation.REASONS)
    limits: Limits | None = None  # the reference change value applied; None when none is held
    steps: tuple[Step, ...] = ()  # each result against the one before
    ends: tuple[End, ...] = ()  # every result, in date order
    summary: str = ""  # the trend in words

    @property
    def values(self) -> tuple[float, ...]:
        """Every result's value in date order, canonical unit."""
        return tuple(e.value for e in self.ends)


class Person(NamedTuple):
    id: str | None
    panels: tuple[Panel, ...]
    trends: tuple[Trend, ...]


class Problems:
    """The error records of a run, in order. Readers that may meet millions of bad records hand
    ``build`` one that keeps them on disk (``inputs.spool``); this one keeps them in a list."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self._items.append(problem)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)


CENSORED = (None, "<", "<=", ">", ">=")


class Store:
    """Checked results, held compactly: about 49 bytes each in typed arrays, with the texts they
    share (people, dates, units, laboratory ranges, ages, files) kept once. A 64 MiB export holds
    a few hundred thousand results; as named tuples they took 6-10 KB each. ``by_person`` gives
    them back as ``Observed``, one person at a time, in input order within the person."""

    def __init__(self, registry: Registry) -> None:
        self.markers = list(registry.ids)
        self._marker_at = {m: i for i, m in enumerate(self.markers)}
        self._tables: dict[str, tuple[dict, list]] = {name: ({None: 0}, [None]) for name in
                                                       ("person", "moment", "unit", "ref", "age", "file", "flag")}
        self._person, self._moment, self._ref, self._age, self._file, self._at, self._flag = (array("i")
                                                                                            for _ in range(7))
        self._marker, self._unit, self._censored = array("b"), array("B"), array("b")
        self._value, self._canonical = array("d"), array("d")

    def __len__(self) -> int:
        return len(self._person)

    def _intern(self, table: str, value: object) -> int:
        index, values = self._tables[table]
        found = index.get(value)
        if found is None:
            found = index[value] = len(values)
            values.append(value)
        return found

    def add(self, o: Observed) -> None:
        v, w = o.value, o.where
        self._person.append(self._intern("person", o.person))
        self._moment.append(self._intern("moment", (o.day, o.time)))
        self._marker.append(self._marker_at[v.marker])
        self._value.append(v.value)
        self._unit.append(self._intern("unit", v.unit))
        self._canonical.append(v.canonical)
        self._censored.append(CENSORED.index(v.censored))
        self._ref.append(self._intern("ref", o.ref))
        self._age.append(self._intern("age", o.age))
        self._file.append(self._intern("file", w.file))
        self._flag.append(self._intern("flag", v.flag))
        # a line as itself, a Bundle entry i as -2 - i, neither as -1
        self._at.append(w.line if w.line is not None else -2 - int(w.entry[6:-1]) if w.entry else -1)

    def _observed(self, i: int, table: dict[str, list]) -> Observed:
        at = self._at[i]
        where = Where(table["file"][self._file[i]], at if at >= 0 else None, f"entry[{-2 - at}]" if at < -1 else None)
        day, time = table["moment"][self._moment[i]]
        value = MarkerValue(self.markers[self._marker[i]], self._value[i], table["unit"][self._unit[i]],
                            self._canonical[i], CENSORED[self._censored[i]], table["flag"][self._flag[i]])
        return Observed(table["person"][self._person[i]], day, time, value, table["ref"][self._ref[i]],
                        table["age"][self._age[i]], where)

    def by_person(self) -> Iterator[tuple[str | None, list[Observed]]]:
        """Each person's results (no person first, then by id), in input order: a counting sort, so
        the order costs 4 bytes a result and linear time."""
        people = self._tables["person"][1]
        counts = array("i", bytes(4 * len(people)))
        for p in self._person:
            counts[p] += 1
        starts = array("i", bytes(4 * len(people)))
        total = 0
        for p, count in enumerate(counts):
            starts[p], total = total, total + count
        order, fill = array("i", bytes(4 * total)), array("i", starts)
        for i, p in enumerate(self._person):
            order[fill[p]] = i
            fill[p] += 1
        table = {name: values for name, (_, values) in self._tables.items()}
        for p in sorted(range(len(people)), key=lambda k: _person_key(people[k])):
            if counts[p]:
                yield people[p], [self._observed(i, table) for i in order[starts[p]:starts[p] + counts[p]]]


class Collected(NamedTuple):
    """What the readers found: results in a ``Store``, skipped records counted by reason, error
    records, the noun for the summary ("observations" or "rows") and notes on how input was read."""

    store: Store
    skipped: Counter
    errors: Problems
    noun: str
    notes: list[str]


class History:
    """Results over time, made one person at a time as ``people()`` is read (once), so that output
    can be written as it is made; the counts for the summary are complete when it has been read."""

    def __init__(self, thresholds: Thresholds, collected: Collected, options: HistoryOptions, day_note: str) -> None:
        scheme = read_scheme(thresholds, options.scheme)
        self.thresholds, self.collected, self.day_note = thresholds, collected, day_note
        self.options = options
        self.chosen = options.scheme is not None
        self.assessor = Assessor(thresholds, scheme)
        self.scheme, self.noun, self.disclaimer = scheme.id, collected.noun, thresholds.disclaimer
        self.errors, self.skipped = collected.errors, collected.skipped
        self.used = self.panels = self.people_count = self.urgent = 0
        self.latest_abnormal = False
        self._notes: dict[str, None] = dict.fromkeys(collected.notes)
        self._memo: dict = {}
        self._labels = {m.id: m.label for m in thresholds.registry.markers}

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self._notes)

    def people(self) -> Iterator[Person]:
        ids = self.thresholds.registry.ids
        for person, observed in self.collected.store.by_person():
            panels = self._panels(person, observed)
            if not panels:
                continue
            if not self.people_count:
                self._notes[self.day_note] = None
            self.people_count += 1
            self.panels += len(panels)
            self.urgent += sum(p.assessment.urgent for p in panels)
            self.used += len({w for panel in panels for w in panel.sources})
            self.latest_abnormal |= panels[-1].assessment.abnormal
            self._notes.update(dict.fromkeys(n for panel in panels for n in panel.assessment.notes))
            found = trends(ids, tuple(panels), self.options.change, self._labels)
            self._change_notes(found)
            yield Person(person, tuple(panels), found)

    def _change_notes(self, found: tuple[Trend, ...]) -> None:
        """Why a step was not judged, whose figures were used, and how the series is read: once each."""
        change = self.options.change
        if change is None or not found:
            return
        reasons = {s.reason for t in found for s in (*t.steps, t)} - {None}
        keys = [MESSAGE_OF[r] for r in sorted(reasons)] + ["series"]
        keys += ["own-figures"] if any(t.limits and t.limits.figures.own for t in found) else []
        self._notes.update(dict.fromkeys(change.message(k) for k in keys))

    def _panels(self, person: str | None, observed: list[Observed]) -> list[Panel]:
        by_day: dict[str, list[Observed]] = {}
        for o in observed:
            by_day.setdefault(o.day, []).append(o)
        panels: list[Panel] = []
        for day, group in sorted(by_day.items()):
            try:
                found = draws(self.assessor, group)
                several = len(found) > 1
                panels += [build_panel(self.thresholds, d, self.options, f"{day} {d[0].time}" if several else day,
                                       self._memo) for d in found]
            except Conflict as exc:
                who = printable(person) if person is not None else "the person"
                self.errors.add(Problem(f"{who}: {exc}", group[0].where))
        return panels


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


def build_panel(thresholds: Thresholds, observed: list[Observed], options: HistoryOptions, label: str,
                memo: dict | None = None) -> Panel:
    """One draw as ``b12 labs`` reads it. ``label``: its date, with the time where a day holds several.
    ``memo``: interpretations by query; lab values repeat, and a repeated query is read once (on
    100,000 rows of B12 results with 750 distinct values it takes 5.4 s instead of 12.1 s)."""
    ages = {o.age for o in observed if o.age is not None}
    if len(ages) > 1:
        raise Conflict(f"the ages on {observed[0].day} differ ({', '.join(sorted(fmt(a.years) for a in ages))}); "
                       "give one age a day")
    registry = thresholds.registry
    markers = {o.value.marker: o.value for o in observed}
    refs = {o.value.marker: o.ref for o in observed if o.ref is not None and options.lab_ranges}
    query = LabQuery({m: markers[m] for m in registry.order(markers)}, next(iter(ages), None), options.scheme, refs,
                     options.pregnant, options.context)
    sources = tuple(dict.fromkeys(o.where for o in observed))
    if memo is None:
        assessment = interpret(thresholds, query)
    else:
        key = (tuple(query.markers.values()), query.age, tuple(refs.items()))
        assessment = memo.get(key)
        if assessment is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            assessment = memo[key] = interpret(thresholds, query)
    return Panel(observed[0].person, label, assessment, {m: r.text for m, r in refs.items()}, sources)


def trends(registry_ids: Iterable[str], panels: tuple[Panel, ...], change: ChangeRules | None = None,
           labels: dict[str, str] | None = None) -> tuple[Trend, ...]:
    """A trend per marker with two results or more: its ends, each step judged against the marker's
    reference change value (none without ``change``), and the whole series, first to latest, in words."""
    out = []
    for marker in registry_ids:
        ends = [End(p.date, m.canonical_value, m.censored, m.value, m.unit, m.status, p.ranges.get(marker))
                for p in panels for m in p.assessment.markers if m.marker == marker]
        if len(ends) < 2:
            continue
        first, latest = Point(ends[0].date, ends[0].value, ends[0].comparator), \
            Point(ends[-1].date, ends[-1].value, ends[-1].comparator)
        exact = first.comparator is None and latest.comparator is None
        difference = round_sig(latest.value - first.value) if exact else None
        unit = _canonical_unit(panels, marker)
        limits = change.limits(marker) if change is not None else None
        whole = judge(ends[0], ends[-1], limits)
        steps = tuple(judge(a, b, limits) for a, b in zip(ends, ends[1:]))
        words = sentence((labels or {}).get(marker, marker), unit, whole, limits)
        out.append(Trend(marker, unit, first, latest, difference, direction(first, latest),
                         whole.change_percent, whole.significance, whole.reason, limits,
                         steps, tuple(ends), words))
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
    return History(thresholds, collected, options, day_note)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def summary_line(h: History) -> str:
    """After ``h.people()`` has been read."""
    reasons = h.skipped
    why = f" ({', '.join(f'{n:,} {r}' for r, n in reasons.items())})" if reasons else ""
    noun = h.noun[:-1] if h.noun.endswith("s") else h.noun
    return (f"b12: history: {plural(h.used, noun)} used, {sum(reasons.values()):,} skipped{why}, "
            f"{plural(len(h.errors), 'error')}; {plural(h.people_count, 'person', 'people')}, "
            f"{plural(h.panels, 'panel')} ({h.urgent:,} urgent); {_scheme_words(h)}. {h.disclaimer}")


def _scheme_words(h: History) -> str:
    if h.chosen:
        return f"scheme {h.scheme} decides"
    return f"the most cautious scheme decides, markers shown by {h.scheme}"
