"""`b12 labs`: what B12, holoTC, MMA and homocysteine results mean, alone and together.

The same small functions serve a single query (``interpret``, with reasons and next steps from
``explain``) and a batch row (``Assessor.conclude``): a marker's status comes from
``Assessor.classify``; the statuses and the rules' verdict from ``decide`` (``rule_verdict``);
cB12 and the final verdict from ``Assessor.conclude``.

A result is compared with the scheme's edges in its own unit where the source published them
(NICE: 133 pmol/L), else in the canonical unit. A result reported only as a limit ("<150") takes
the most severe status it could have. A person's own range (``ranges.RefRange``) replaces the
scheme's bands except ``deficient``. Which markers are direct (B12 itself) and functional, and
which enter cB12, is the registry's to say (``markers.Registry``).
"""

from __future__ import annotations

import math
from math import log10
from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from b12cli.domain.bands import locate
from b12cli.domain.limits import span
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.model import Band, Scale, Scheme, Thresholds
from b12cli.domain.numbers import Age
from b12cli.domain.ranges import RefRange
from b12cli.domain.text import show
from b12cli.domain.units import MarkerValue, read_marker
from b12cli.domain.vocab import BORDERLINE, LIKELY, POSSIBLE, UNLIKELY, VERDICTS, Cited
from b12cli.errors import UsageError

SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
# How alarming a marker status is, for a result reported only as a limit: the worst it could be wins.
STATUS_SEVERITY = {"normal": 0, "high": 1, "indeterminate": 2, "low": 3, "deficient": 4}
ADULT_MONTHS = 18 * 12  # cB12 and the bands are for adults; compared in completed months, exactly
CB12_VERDICT = {"probable_deficiency": LIKELY, "possible_deficiency": LIKELY, "low": POSSIBLE,
                "adequate": UNLIKELY, "elevated": UNLIKELY}
# Fedosov et al. 2015, four-marker form: B12 and holoTC in pmol/L, MMA and Hcy in umol/L.
CB12_AGE_A, CB12_AGE_B, CB12_AGE_C = 3.79, 230.0, 2.6


# ----------------------------------------------------------------- inputs


class LabQuery(NamedTuple):
    markers: dict[str, MarkerValue]
    age: Age | None = None
    scheme: str = "documents"
    refs: dict[str, RefRange] = {}  # never mutated
    pregnant: bool = False


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


def read_scheme(thresholds: Thresholds, name: str) -> Scheme:
    scheme = thresholds.schemes.get(name.strip().casefold())
    if scheme is None:
        raise UsageError(f"--scheme {show(name)} is not known; expected one of {', '.join(thresholds.schemes)}")
    return scheme


def is_adult(age: Age | None) -> bool:
    return age is not None and age.months >= ADULT_MONTHS


# ----------------------------------------------------------------- status and verdict


def rule_verdict(status: Mapping[str, str], registry: Registry) -> tuple[str, int, str | None]:
    """The verdict, the number of the first rule that applied (spec section 6) and, for rules 4 and 5,
    the functional marker that decided. The registry says which markers are direct (B12 itself) and
    which functional (raised when the cells lack B12)."""
    direct = [status.get(m) for m in registry.with_role("direct")]
    high = [m for m in registry.with_role("functional") if status.get(m) == "high"]
    if "deficient" in direct:
        return LIKELY, 1, None
    if any(s in BORDERLINE for s in direct):
        return (LIKELY, 2, None) if high else (POSSIBLE, 3, None)
    if high:
        return POSSIBLE, 4, high[0]
    return UNLIKELY, 6, None


def is_abnormal(verdict: str, statuses: Iterable[str]) -> bool:
    """What --check reports: a verdict other than unlikely, or any marker not normal (a raised B12 counts)."""
    return verdict != UNLIKELY or any(s != "normal" for s in statuses)


def worse(a: str, b: str) -> str:
    return a if SEVERITY[a] >= SEVERITY[b] else b


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
    """What ``Assessor.classify`` says of one result, apart from its value: all that ``decide`` reads."""

    marker: str
    limit: bool  # reported only as a limit ("<150")
    status: str  # for a limit that spans bands: the most severe it could be
    band: Band | None  # the scheme band that decided; None where a person's own range decided
    possible: tuple[str, ...]  # for a limit that spans bands: every status it could have, else ()


class Decision(NamedTuple):
    """What the findings alone decide, before cB12: the same for every batch row whose results fall
    in the same bands (a batch works each combination out once). Shared by those rows, so its
    mappings are read-only views."""

    status: Mapping[str, str]
    bands: Mapping[str, Band | None]  # in the unit the result was compared in; None where an own range decided
    possible: Mapping[str, tuple[str, ...]]  # for a limit ("<250") that spans bands: every status it could have
    verdict: str  # the rules' verdict
    rule: int
    decided_by: str | None  # rules 4 and 5: the functional marker that was raised
    complete: bool  # every cB12 input measured, none only as a limit: cB12 applies from an adult age
    with_cb12: Mapping[str, str]  # cB12 category -> the more cautious of its verdict and the rules'


def decide(findings: Iterable[Finding], registry: Registry) -> Decision:
    """The statuses and the rules' verdict for a set of findings (one per marker)."""
    findings = tuple(findings)
    status = {f.marker: f.status for f in findings}
    verdict, rule, by = rule_verdict(status, registry)
    exact = {f.marker for f in findings if not f.limit}
    complete = all(m in exact for m in registry.cb12_inputs)
    return Decision(MappingProxyType(status), MappingProxyType({f.marker: f.band for f in findings}),
                    MappingProxyType({f.marker: f.possible for f in findings if f.possible}), verdict, rule, by,
                    complete,
                    MappingProxyType({category: worse(verdict, implied) for category, implied in CB12_VERDICT.items()}))


class CB12(NamedTuple):
    value: float  # rounded to 3 decimals, never -0.0
    category: str
    sources: tuple[str, ...]


def verdict_with(decision: Decision, cb12: CB12 | None) -> str:
    """The verdict: the rules', or, with cB12, the more cautious of its and the rules'."""
    return decision.verdict if cb12 is None else decision.with_cb12[cb12.category]


class Core(NamedTuple):
    """What a row needs: statuses, the bands that decided them, the verdict from the rules and cB12."""

    decision: Decision
    cb12: CB12 | None
    verdict: str

    @property
    def status(self) -> Mapping[str, str]:
        return self.decision.status


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
    """Statuses, verdict and cB12 for one scheme and set of own ranges: the one path for a single
    query and for every batch row (``classify`` each result, ``decide`` on the findings, ``conclude``)."""

    def __init__(self, thresholds: Thresholds, scheme: Scheme, refs: dict[str, RefRange] | None = None) -> None:
        self.registry = thresholds.registry
        self.scheme = scheme
        self.refs = refs or {}
        self.bands = scheme.markers
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

    def _status(self, marker: str, scale: Scale, x: float, canonical: float) -> tuple[str, Band | None]:
        band = scale.band_for(x)
        ref = self.refs.get(marker)
        if ref is None or band.status == "deficient":
            return band.status, band
        side = ref.side(canonical)
        return ("normal" if side == "within" else side), None

    def classify(self, mv: MarkerValue) -> Finding:
        """The result's status and the scheme band that decided it (for a limit, the most severe it could
        be, and every status it could have). With a person's own range, the scheme still decides
        ``deficient``; the range decides low/normal/high."""
        scale, x = self.scale_for(mv)
        if mv.censored is None:
            return Finding(mv.marker, False, *self._status(mv.marker, scale, x, mv.canonical), ())
        marker = self.registry.get(mv.marker)
        found: dict[str, Band | None] = {}
        for point in censored_points(mv, x, self.edges(marker, scale)):
            canonical = point if scale.unit == marker.canonical_unit else marker.to_canonical(point, scale.unit)
            status, band = self._status(mv.marker, scale, point, canonical)
            found.setdefault(status, band)
        worst = max(found, key=STATUS_SEVERITY.__getitem__)
        possible = tuple(sorted(found, key=STATUS_SEVERITY.__getitem__)) if len(found) > 1 else ()
        return Finding(mv.marker, True, worst, found[worst], possible)

    def edges(self, marker: Marker, scale: Scale) -> list[float]:
        """Every edge that can change the status, in the scale's unit."""
        edges = [e for b in scale.bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)]
        ref = self.refs.get(marker.id)
        if ref is not None:
            edges += [e if scale.unit == marker.canonical_unit else marker.from_canonical(e, scale.unit)
                      for e in ref.ends()]
        return edges

    def terms(self, markers: Mapping[str, MarkerValue]) -> tuple[list[float], list[float]]:
        """The cB12 inputs among ``markers`` as the formula takes them, in registry order: the numerator's
        and the denominator's."""
        numerator = [cb12_term(self.registry.get(m), markers[m]) for m in self.numerator if m in markers]
        denominator = [cb12_term(self.registry.get(m), markers[m]) for m in self.denominator if m in markers]
        return numerator, denominator

    def assess(self, markers: Mapping[str, MarkerValue], age: Age | None) -> Core:
        """Statuses, the rules' verdict and cB12 for one set of results."""
        findings = [self.classify(markers[m]) for m in self.registry.order(markers)]
        return self.conclude(decide(findings, self.registry), *self.terms(markers), age)

    def cb12(self, decision: Decision, numerator: list[float], denominator: list[float],
             age: Age | None) -> CB12 | None:
        """cB12 from the inputs' terms (``terms``), where it applies: every input measured, an adult age."""
        if not decision.complete or age is None or age.months < ADULT_MONTHS:
            return None
        raw = cb12_value(numerator, denominator, age.years)
        # + 0.0: a rounded -0.0 becomes 0.0
        return CB12(round(raw, 3) + 0.0, self.cb12_categories[locate(self.cb12_cuts, raw)], self.cb12_sources)

    def conclude(self, decision: Decision, numerator: list[float], denominator: list[float],
                 age: Age | None) -> Core:
        """The assessment from what the findings decided and the cB12 inputs' terms: cB12, where it
        applies, and the more cautious of its verdict and the rules' (``verdict_with``)."""
        cb12 = self.cb12(decision, numerator, denominator, age)
        return Core(decision, cb12, verdict_with(decision, cb12))


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


class Step(NamedTuple):
    """A next step; ``urgent`` when the sources say to act promptly."""

    text: str
    sources: tuple[str, ...]
    urgent: bool = False


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
    scheme = read_scheme(thresholds, query.scheme)
    assessor = Assessor(thresholds, scheme, query.refs)
    findings = {m: assessor.classify(query.markers[m]) for m in registry.order(query.markers)}
    core = assessor.conclude(decide(findings.values(), registry), *assessor.terms(query.markers), query.age)
    results = tuple(explain.marker_result(thresholds, assessor, query.markers[m], f) for m, f in findings.items())
    return LabAssessment(
        scheme.id, scheme.title, query.age.years if query.age else None, results, core.verdict,
        tuple(explain.reasons(thresholds, core, results)),
        tuple(explain.next_steps(thresholds, assessor, core, query, results)),
        core.cb12, tuple(explain.notes(thresholds, scheme, query, core)), thresholds.disclaimer,
    )
