"""`b12 labs`: what B12, holoTC, MMA, homocysteine and folate results mean, alone and together.

The same small functions serve a single query (``interpret``, with reasons and next steps from
``explain``), a batch row and a history panel: ``Assessor.classify`` gives one result its status
under one scheme (and its flag against the person's own laboratory range); ``Judge`` reads a set
of results under every scheme, through the verdict table (``rules``, data/rules.yaml), and
``Judge.conclude`` adds cB12.

A result is compared with a scheme's edges in its own unit where the source published them (NICE:
133 pmol/L), else in the canonical unit. A result reported only as a limit ("<150") could be in
several bands: its status is the most severe, and the table reads every state it could be in. A
person's own range is a flag, never an all-clear: below or above it makes a result at least low or
high; inside it never turns a scheme's deficient, low or indeterminate into normal. Which markers
are direct, functional or cofactors, and which enter cB12, is the registry's to say.
"""

from __future__ import annotations

import math
from math import log10
from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from b12cli.domain import rules as table
from b12cli.domain.bands import locate
from b12cli.domain.limits import span
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.model import Band, Scale, Scheme, Thresholds
from b12cli.domain.numbers import Age
from b12cli.domain.ranges import RefRange
from b12cli.domain.text import show
from b12cli.domain.units import MarkerValue, read_marker
from b12cli.domain.vocab import UNLIKELY, VERDICTS, Cited
from b12cli.errors import UsageError

SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
# How alarming a marker status is, for a result reported only as a limit: the worst it could be wins.
STATUS_SEVERITY = {"normal": 0, "high": 1, "indeterminate": 2, "low": 3, "deficient": 4}
ADULT_MONTHS = 18 * 12  # cB12 and the bands are for adults; compared in completed months, exactly
# Fedosov et al. 2015, four-marker form: B12 and holoTC in pmol/L, MMA and Hcy in umol/L.
CB12_AGE_A, CB12_AGE_B, CB12_AGE_C = 3.79, 230.0, 2.6
LAB = "lab"  # the reading with the person's own laboratory ranges


# ----------------------------------------------------------------- inputs


class Context(NamedTuple):
    """What the person says beside their results; each changes a reading only through a cited row."""

    egfr: float | None = None  # mL/min/1.73 m2
    taking_b12: bool = False  # supplements or injections
    nitrous_oxide: bool = False
    pregnant: bool = False

    def states(self, rules: table.Rules) -> dict[str, str]:
        flag = {True: "true", False: "false"}
        return {"egfr": rules.egfr.state(self.egfr), "taking_b12": flag[self.taking_b12],
                "nitrous_oxide": flag[self.nitrous_oxide], "pregnant": flag[self.pregnant]}


class LabQuery(NamedTuple):
    markers: dict[str, MarkerValue]
    age: Age | None = None
    scheme: str | None = None  # None: every scheme reads, the most cautious decides
    refs: dict[str, RefRange] = {}  # never mutated
    pregnant: bool = False
    context: Context = Context()
    assumed_units: tuple[str, ...] = ()  # markers given without a unit (the default unit was taken)

    @property
    def situation(self) -> Context:
        return self.context._replace(pregnant=self.pregnant or self.context.pregnant)


def read_units(registry: Registry, units: dict[str, str | None]) -> dict[str, str | None]:
    """Unit options, normalised; None where the person gave none."""
    out: dict[str, str | None] = {}
    for marker_id, text in units.items():
        marker = registry.get(marker_id)
        out[marker_id] = None if text is None else marker.normalize_unit(text, marker.unit_option or "--unit")
    return out


def read_markers(registry: Registry, raw: dict[str, str | None], units: dict[str, str | None]
                 ) -> dict[str, MarkerValue]:
    """Marker option texts (None = not given; "<150" = a limit) into checked values, in registry order."""
    return {m.id: read_marker(m, raw[m.id], units.get(m.id)) for m in registry.markers if raw.get(m.id) is not None}


def read_scheme(thresholds: Thresholds, name: str | None) -> Scheme:
    """The scheme named (``--scheme``), or the first one (documents) when none was."""
    if name is None:
        return next(iter(thresholds.schemes.values()))
    scheme = thresholds.schemes.get(name.strip().casefold())
    if scheme is None:
        raise UsageError(f"--scheme {show(name)} is not known; expected one of {', '.join(thresholds.schemes)}")
    return scheme


def is_adult(age: Age | None) -> bool:
    return age is not None and age.months >= ADULT_MONTHS


# ----------------------------------------------------------------- status under one scheme


def is_abnormal(verdict: str, statuses: Iterable[str]) -> bool:
    """What --check reports: a verdict other than unlikely, or any marker not normal (a raised B12 counts)."""
    return verdict != UNLIKELY or any(s != "normal" for s in statuses)


def cb12_term(marker: Marker, mv: MarkerValue) -> float:
    """A result in the unit the cB12 formula takes it in (B12 and holoTC in pmol/L, MMA and homocysteine
    in umol/L): exact when it was given in that unit."""
    unit = marker.cb12.unit
    return mv.value if mv.unit == unit else marker.from_canonical(mv.canonical, unit)


def cb12_value(numerator: Iterable[float], denominator: Iterable[float], age: float) -> float:
    """Fedosov combined indicator: log10 of the numerator markers' product over the denominator's
    (holoTC x B12 over MMA x Hcy) minus the age term."""
    return log10(math.prod(numerator) / math.prod(denominator)) - cb12_age_term(age)


def cb12_age_term(age: float) -> float:
    """The age part of cB12."""
    return CB12_AGE_A / (1 + (age / CB12_AGE_B) ** CB12_AGE_C)


class Finding(NamedTuple):
    """What ``Assessor.classify`` says of one result under one scheme, apart from its value."""

    marker: str
    limit: bool  # reported only as a limit ("<150")
    status: str  # for a limit that spans bands: the most severe it could be
    band: Band  # the scheme's band (at the most severe point, for a limit)
    possible: tuple[str, ...]  # for a limit that spans bands: every status it could have, else ()
    lab_flag: str | None  # low, within or high against the person's own range; None without one
    states: tuple[str, ...]  # the verdict table's states it could be in (very_high: far above the edge)


def _points(lower: float, lower_in: bool, upper: float, upper_in: bool, edges: list[float]) -> list[float]:
    """Values that meet every piece of the interval cut at ``edges``: the edges inside it, a value
    between each pair, and the interval's own ends where they belong to it."""
    inner = sorted({e for e in edges if lower < e < upper})
    stops = [lower, *inner, upper if math.isfinite(upper) else max([lower, *inner]) * 2 + 1]
    points = inner + [(a + b) / 2 for a, b in zip(stops, stops[1:])]
    return points + [p for p, keep in ((lower, lower_in), (upper, upper_in)) if keep]


def censored_points(mv: MarkerValue, x: float, edges: list[float]) -> list[float]:
    """Values (in the unit of ``x``) covering every piece a result reported as a limit could be in."""
    return _points(*span(mv.censored, x), edges)


class Assessor:
    """Statuses under one scheme, with the person's own ranges (if any) as flags: the one path for a
    single query, every batch row and every history panel."""

    def __init__(self, thresholds: Thresholds, scheme: Scheme, refs: dict[str, RefRange] | None = None) -> None:
        self.registry = thresholds.registry
        self.scheme = scheme
        self.refs = refs or {}
        self.bands = scheme.markers
        rules = thresholds.rules
        self.far = {m: e.above for m, e in rules.far_edges.items()} if rules is not None else {}
        self.cb12_cuts = thresholds.cb12_bands.cuts  # cB12's bands, for ``bands.locate``
        self.cb12_categories = [band.status for band in thresholds.cb12_bands.bands]
        self.cb12_sources = thresholds.cb12_sources
        sides = [(m.id, m.cb12.side) for m in self.registry.markers if m.cb12 is not None]
        self.numerator = [m for m, side in sides if side == "numerator"]
        self.denominator = [m for m, side in sides if side == "denominator"]
        self.memo: dict = {}  # texts that depend only on a band, remembered by ``explain``

    def scale_for(self, mv: MarkerValue) -> tuple[Scale, float]:
        """The band edges to compare with, and the result in their unit."""
        scale = self.bands[mv.marker].scale(mv.unit)
        return scale, (mv.value if scale.unit == mv.unit else mv.canonical)

    def _status(self, marker: str, scale: Scale, x: float, canonical: float) -> tuple[str, Band, str | None, str]:
        """(status, the scheme's band, the flag against the person's range, the verdict table's state)."""
        band = scale.band_for(x)
        status = band.status
        ref = self.refs.get(marker)
        flag = None
        if ref is not None:
            flag = ref.side(canonical)
            if status == "normal" and flag == "high":
                status = "high"
            elif status == "normal" and flag == "low" and self.registry.get(marker).role != "functional":
                status = "low"  # a low MMA or homocysteine is no sign of a shortage
        far = self.far.get(marker)
        state = "very_high" if status == "high" and far is not None and canonical > far else status
        return status, band, flag, state

    def classify(self, mv: MarkerValue) -> Finding:
        """The result's status, band, flag and states (for a limit, the most severe status it could
        have, and every status and state it could be in)."""
        scale, x = self.scale_for(mv)
        if mv.censored is None:
            status, band, flag, state = self._status(mv.marker, scale, x, mv.canonical)
            return Finding(mv.marker, False, status, band, (), flag, (state,))
        marker = self.registry.get(mv.marker)
        found: dict[str, tuple[Band, str | None]] = {}
        states: set[str] = set()
        for point in censored_points(mv, x, self.edges(marker, scale)):
            canonical = point if scale.unit == marker.canonical_unit else marker.to_canonical(point, scale.unit)
            status, band, flag, state = self._status(mv.marker, scale, point, canonical)
            found.setdefault(status, (band, flag))
            states.add(state)
        worst = max(found, key=STATUS_SEVERITY.__getitem__)
        possible = tuple(sorted(found, key=STATUS_SEVERITY.__getitem__)) if len(found) > 1 else ()
        return Finding(mv.marker, True, worst, found[worst][0], possible, found[worst][1], tuple(sorted(states)))

    def edges(self, marker: Marker, scale: Scale) -> list[float]:
        """Every edge that can change the status or state, in the scale's unit."""
        edges = [e for b in scale.bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)]
        canonical_edges = list(self.refs[marker.id].ends()) if marker.id in self.refs else []
        if marker.id in self.far:
            canonical_edges.append(self.far[marker.id])
        edges += [e if scale.unit == marker.canonical_unit else marker.from_canonical(e, scale.unit)
                  for e in canonical_edges]
        return edges

    def terms(self, markers: Mapping[str, MarkerValue]) -> tuple[list[float], list[float]]:
        """The cB12 inputs among ``markers`` as the formula takes them, in registry order: the numerator's
        and the denominator's."""
        numerator = [cb12_term(self.registry.get(m), markers[m]) for m in self.numerator if m in markers]
        denominator = [cb12_term(self.registry.get(m), markers[m]) for m in self.denominator if m in markers]
        return numerator, denominator

    def cb12(self, complete: bool, numerator: list[float], denominator: list[float], age: Age | None) -> CB12 | None:
        """cB12 from the inputs' terms (``terms``), where it applies: every input measured, an adult age."""
        if not complete or age is None or age.months < ADULT_MONTHS:
            return None
        raw = cb12_value(numerator, denominator, age.years)
        # + 0.0: a rounded -0.0 becomes 0.0
        return CB12(round(raw, 3) + 0.0, self.cb12_categories[locate(self.cb12_cuts, raw)], self.cb12_sources)


class CB12(NamedTuple):
    value: float  # rounded to 3 decimals, never -0.0
    category: str
    sources: tuple[str, ...]


# ----------------------------------------------------------------- every scheme's reading, and the verdict


class Findings(NamedTuple):
    """One result under every scheme: ``shown`` under the scheme the output shows (with the person's
    range as flags), ``plain`` under each scheme's own bands, in the order of ``Judge.scheme_ids``."""

    shown: Finding
    plain: tuple[Finding, ...]


class Decision(NamedTuple):
    """What the findings and the context decide, before cB12: the same for every batch row whose results
    fall in the same bands (a batch works each combination out once), so its mappings are read-only."""

    status: Mapping[str, str]  # the shown scheme's statuses
    findings: Mapping[str, Findings]
    readings: tuple[table.Reading, ...]  # every scheme's (and the laboratory range's) reading
    verdict: str  # the most cautious of the readings that decide
    headline: table.Reading  # the deciding reading whose words are shown
    complete: bool  # every cB12 input measured, none only as a limit: cB12 applies from an adult age
    with_cb12: Mapping[str, str]  # cB12 category -> the more cautious of its verdict and the readings'

    @property
    def possible(self) -> Mapping[str, tuple[str, ...]]:
        return {m: f.shown.possible for m, f in self.findings.items() if f.shown.possible}


class Core(NamedTuple):
    """What a row needs: the decision, cB12 and the verdict with it."""

    decision: Decision
    cb12: CB12 | None
    verdict: str

    @property
    def status(self) -> Mapping[str, str]:
        return self.decision.status


class Judge:
    """Every scheme's reading of a set of results through the verdict table, for one choice of scheme
    and own ranges. Without ``--scheme`` every reading decides and the most cautious wins; with it,
    that scheme (with the person's ranges as flags) decides and the others are shown beside it."""

    def __init__(self, thresholds: Thresholds, scheme: str | None, refs: dict[str, RefRange] | None = None) -> None:
        self.thresholds = thresholds
        self.rules = thresholds.rules
        self.registry = thresholds.registry
        self.chosen = scheme is not None
        self.refs = refs or {}
        self.shown = Assessor(thresholds, read_scheme(thresholds, scheme), self.refs)
        self.scheme_ids = tuple(thresholds.schemes)
        self.plain = tuple(Assessor(thresholds, s) for s in thresholds.schemes.values())
        self.cb12_categories = self.shown.cb12_categories

    @property
    def scheme(self) -> Scheme:
        return self.shown.scheme

    def read(self, mv: MarkerValue) -> Findings:
        return Findings(self.shown.classify(mv), tuple(a.classify(mv) for a in self.plain))

    def decide(self, findings: Mapping[str, Findings], context: Context) -> Decision:
        rules = self.rules
        states = context.states(rules)
        readings = [table.read(rules, sid, {m: f.plain[i].states for m, f in findings.items()}, states)
                    for i, sid in enumerate(self.scheme_ids)]
        if self.refs:
            readings.append(table.read(rules, LAB, {m: f.shown.states for m, f in findings.items()}, states))
        own = readings[-1] if self.refs else readings[self.scheme_ids.index(self.scheme.id)]
        deciding = [own] if self.chosen else [own, *(r for r in readings if r is not own)]
        verdict = table.most_cautious(r.verdict for r in deciding)
        headline = next(r for r in deciding if r.verdict == verdict)
        exact = {m for m, f in findings.items() if not f.shown.limit}
        complete = all(m in exact for m in self.registry.cb12_inputs)
        with_cb12 = {c: table.most_cautious([verdict, rules.cb12_map[c]]) for c in self.cb12_categories}
        return Decision(MappingProxyType({m: f.shown.status for m, f in findings.items()}),
                        MappingProxyType(dict(findings)), tuple(readings), verdict, headline, complete,
                        MappingProxyType(with_cb12))

    def conclude(self, decision: Decision, numerator: list[float], denominator: list[float],
                 age: Age | None) -> Core:
        """cB12, where it applies, and the more cautious of its verdict and the readings'."""
        cb12 = self.shown.cb12(decision.complete, numerator, denominator, age)
        return Core(decision, cb12, decision.verdict if cb12 is None else decision.with_cb12[cb12.category])

    def assess(self, markers: Mapping[str, MarkerValue], age: Age | None, context: Context = Context()) -> Core:
        """Statuses, readings and cB12 for one set of results."""
        findings = {m: self.read(markers[m]) for m in self.registry.order(markers)}
        return self.conclude(self.decide(findings, context), *self.shown.terms(markers), age)


# ----------------------------------------------------------------- the full assessment


class OtherScheme(NamedTuple):
    scheme: str
    status: str
    reference: str
    sources: tuple[str, ...]


class MarkerResult(NamedTuple):
    marker: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    status: str
    reference: str
    sources: tuple[str, ...]
    censored: str | None  # "<", "<=", ">", ">=" for a result reported only as a limit
    other_schemes: tuple[OtherScheme, ...]  # schemes that give this result another status
    could_be: tuple[str, ...] = ()  # for a limit that spans bands: every status it could have
    lab_flag: str | None = None  # low, within or high against the person's own range
    far_above: bool = False  # raised far above its edge (the verdict table's very_high)
    printed_flag: str | None = None  # the flag the laboratory printed after the number ("415 H"), as printed


class Step(NamedTuple):
    """A next step; ``urgent`` when the sources say to act promptly."""

    text: str
    sources: tuple[str, ...]
    urgent: bool = False


class SchemeVerdict(NamedTuple):
    scheme: str  # a scheme id, or "lab" for the person's own ranges
    verdict: str
    rule: str  # the verdict table's row (b12 rules)


class LabAssessment(NamedTuple):
    scheme: str
    scheme_title: str
    age: float | None
    markers: tuple[MarkerResult, ...]
    verdict: str
    reasons: tuple[Cited, ...]
    next_steps: tuple[Step, ...]
    cb12: CB12 | None
    notes: tuple[str, ...]
    disclaimer: str
    by_scheme: tuple[SchemeVerdict, ...] = ()
    decided_by: SchemeVerdict | None = None  # the reading whose words are shown
    chosen: bool = False  # --scheme was given: that scheme decides
    settled: tuple[Cited, ...] = ()  # what each given result settles
    context: Context = Context()

    @property
    def abnormal(self) -> bool:
        return is_abnormal(self.verdict, (m.status for m in self.markers))

    @property
    def urgent(self) -> bool:
        return any(s.urgent for s in self.next_steps)


def interpret(thresholds: Thresholds, query: LabQuery) -> LabAssessment:
    from b12cli.domain import explain

    registry = thresholds.registry
    if not query.markers:
        options = ", ".join(m.option for m in registry.markers)
        raise UsageError(f"no marker given; expected at least one of {options}")
    judge = Judge(thresholds, query.scheme, query.refs)
    findings = {m: judge.read(query.markers[m]) for m in registry.order(query.markers)}
    core = judge.conclude(judge.decide(findings, query.situation), *judge.shown.terms(query.markers), query.age)
    results = tuple(explain.marker_result(thresholds, judge, query.markers[m], f) for m, f in findings.items())
    d = core.decision
    by_scheme = tuple(SchemeVerdict(r.scheme, r.verdict, r.rule.id) for r in d.readings)
    scheme = judge.scheme
    return LabAssessment(
        scheme.id, scheme.title, query.age.years if query.age else None, results, core.verdict,
        tuple(explain.reasons(thresholds, core, results, query)),
        tuple(explain.next_steps(thresholds, judge, core, query)),
        core.cb12, tuple(explain.notes(thresholds, scheme, query, core)), thresholds.disclaimer,
        by_scheme, SchemeVerdict(d.headline.scheme, d.headline.verdict, d.headline.rule.id), judge.chosen,
        tuple(explain.settled(thresholds, d.headline)), query.situation,
    )
