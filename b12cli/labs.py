"""`b12 labs`: what B12, holoTC, MMA and homocysteine results mean, alone and together.

The same small functions serve a single query (``interpret``, with reasons and next steps) and
a batch row (``Assessor.conclude``, the compact form): a marker's status comes from
``Assessor.classify``; the statuses and the rules' verdict from ``decide`` (``rule_verdict``);
cB12 and the final verdict from ``Assessor.conclude``. A batch remembers each cell's finding and
each combination's decision, as lab values and their bands recur across rows.

A result is compared with the scheme's edges in its own unit where the source published them
(NICE: 133 pmol/L), else in the canonical unit. A result reported only as a limit ("<150") takes
the most severe status it could have. A person's own range (``ranges.RefRange``) replaces the
scheme's bands except ``deficient``.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial
from math import log10
from types import MappingProxyType
from typing import Iterable, Mapping, NamedTuple

from b12cli.bands import Interval, locate
from b12cli.errors import UsageError
from b12cli.kb import Band, Message, Scale, Scheme, Thresholds
from b12cli.ranges import RefRange, read_refs
from b12cli.units import (
    B12_PG_PER_PMOL,
    FACTORS,
    MarkerValue,
    fmt,
    from_canonical,
    normalize_unit,
    read_marker,
    to_canonical,
)
from b12cli.values import parse_years, show
from b12cli.vocab import (
    BORDERLINE,
    CANONICAL,
    DIRECT,
    LABELS,
    LIKELY,
    MARKERS,
    POSSIBLE,
    UNLIKELY,
    VERDICTS,
    Cited,
)

__all__ = ["LabQuery", "MarkerValue", "RefRange", "interpret", "read_age", "read_markers", "read_refs",
           "read_scheme", "read_units"]

SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
# How alarming a marker status is, for a result reported only as a limit: the worst it could be wins.
STATUS_SEVERITY = {"normal": 0, "high": 1, "indeterminate": 2, "low": 3, "deficient": 4}
ADULT_YEARS = 18
CB12_VERDICT = {"probable_deficiency": LIKELY, "possible_deficiency": LIKELY, "low": POSSIBLE,
                "adequate": UNLIKELY, "elevated": UNLIKELY}
# Fedosov et al. 2015, four-marker form: B12 and holoTC in pmol/L, MMA and Hcy in umol/L.
CB12_AGE_A, CB12_AGE_B, CB12_AGE_C = 3.79, 230.0, 2.6


# ----------------------------------------------------------------- inputs


class LabQuery(NamedTuple):
    markers: dict[str, MarkerValue]
    age: float | None = None
    scheme: str = "documents"
    refs: dict[str, RefRange] = {}  # never mutated
    pregnant: bool = False


def read_units(units: dict[str, str | None]) -> dict[str, str | None]:
    """Unit options, normalised; None where the person gave none."""
    return {m: normalize_unit(m, u, f"--{m}-unit") if u is not None else None for m, u in units.items()}


def read_markers(raw: dict[str, str | None], units: dict[str, str | None]) -> dict[str, MarkerValue]:
    """Marker option texts (None = not given; "<150" = a limit) into checked values."""
    return {m: read_marker(m, raw[m], units.get(m)) for m in MARKERS if raw.get(m) is not None}


def read_age(text: str | None, label: str = "--age") -> float | None:
    return None if text is None else parse_years(text, label)


def read_scheme(thresholds: Thresholds, name: str) -> Scheme:
    scheme = thresholds.schemes.get(name.strip().casefold())
    if scheme is None:
        raise UsageError(f"--scheme {show(name)} is not known; expected one of {', '.join(thresholds.schemes)}")
    return scheme


# ----------------------------------------------------------------- status and verdict


def rule_verdict(status: dict[str, str]) -> tuple[str, int]:
    """The verdict and the number of the first rule that applied (spec section 6).
    B12 and holoTC are the direct markers; MMA and homocysteine the functional ones."""
    get = status.get
    b12, holotc, mma_high, hcy_high = get("b12"), get("holotc"), get("mma") == "high", get("hcy") == "high"
    if b12 == "deficient" or holotc == "deficient":
        return LIKELY, 1
    if b12 in BORDERLINE or holotc in BORDERLINE:
        return (LIKELY, 2) if mma_high or hcy_high else (POSSIBLE, 3)
    if mma_high:
        return POSSIBLE, 4
    if hcy_high:
        return POSSIBLE, 5
    return UNLIKELY, 6


def is_abnormal(verdict: str, statuses) -> bool:  # noqa: ANN001 - any iterable of status words
    """What --check reports: a verdict other than unlikely, or any marker not normal (a raised B12 counts)."""
    return verdict != UNLIKELY or any(s != "normal" for s in statuses)


def worse(a: str, b: str) -> str:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def b12_pmol(b12: MarkerValue) -> float:
    """Serum B12 in pmol/L, exact when it was given in pmol/L."""
    return b12.value if b12.unit == "pmol/L" else b12.canonical / B12_PG_PER_PMOL


def cb12_term(mv: MarkerValue) -> float:
    """A result's value in the unit the cB12 formula takes it in: B12 and holoTC in pmol/L, MMA and
    homocysteine in umol/L (a batch works it out once per distinct cell)."""
    return b12_pmol(mv) if mv.marker == "b12" else mv.canonical


def cb12_value(terms: Iterable[float], age: float) -> float:
    """Fedosov combined indicator, log10[(holoTC x B12) / (MMA x Hcy)] minus the age term, from the four
    markers' ``cb12_term`` in marker order (B12, holoTC, MMA, Hcy: the order ``MARKERS`` gives, which
    both callers keep)."""
    b12, holotc, mma, hcy = terms
    return log10((holotc * b12) / (mma * hcy)) - cb12_age_term(age)


@lru_cache(maxsize=4096)
def cb12_age_term(age: float) -> float:
    """The age part of cB12: the same for every row of one age (ages repeat across a batch, and the
    power is the dearest step of the formula)."""
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
    in the same bands, so a batch works each combination out once (see ``decide``). It is shared by
    those rows, so its mappings are read-only views."""

    status: Mapping[str, str]
    bands: Mapping[str, Band | None]  # in the unit the result was compared in; None where an own range decided
    possible: Mapping[str, tuple[str, ...]]  # for a limit ("<250") that spans bands: every status it could have
    verdict: str  # the rules' verdict
    rule: int
    complete: bool  # every marker measured and none only as a limit: cB12 applies from an adult age
    with_cb12: Mapping[str, str]  # cB12 category -> the more cautious of its verdict and the rules'


def decide(findings: Iterable[Finding]) -> Decision:
    """The statuses and the rules' verdict for a set of findings (one per marker, in marker order)."""
    findings = tuple(findings)
    status = {f.marker: f.status for f in findings}
    verdict, rule = rule_verdict(status)
    return Decision(MappingProxyType(status), MappingProxyType({f.marker: f.band for f in findings}),
                    MappingProxyType({f.marker: f.possible for f in findings if f.possible}), verdict, rule,
                    len(status) == len(MARKERS) and not any(f.limit for f in findings),
                    MappingProxyType({category: worse(verdict, implied) for category, implied in CB12_VERDICT.items()}))


class CB12(NamedTuple):
    value: float  # rounded to 3 decimals
    category: str
    sources: tuple[str, ...]


_new_cb12 = partial(tuple.__new__, CB12)  # a CB12 from a tuple, without NamedTuple's keyword handling


class Core(NamedTuple):
    """What a row needs: statuses, the bands that decided them, the verdict from the rules and cB12."""

    status: Mapping[str, str]
    bands: Mapping[str, Band | None]  # in the unit the result was compared in; None where an own range decided
    possible: Mapping[str, tuple[str, ...]]  # for a limit ("<250") that spans bands: every status it could have
    rules_verdict: str
    rule: int
    cb12: CB12 | None
    verdict: str


_new_core = partial(tuple.__new__, Core)


def _points(lower: float, lower_in: bool, upper: float, upper_in: bool, edges: list[float]) -> list[float]:
    """Values that meet every piece of the interval cut at ``edges``: the edges inside it, a value
    between each pair, and the interval's own ends where they belong to it."""
    inner = sorted({e for e in edges if lower < e < upper})
    stops = [lower, *inner, upper if math.isfinite(upper) else max([lower, *inner]) * 2 + 1]
    points = inner + [(a + b) / 2 for a, b in zip(stops, stops[1:])]
    return points + [p for p, keep in ((lower, lower_in), (upper, upper_in)) if keep]


_CENSORED = {"<": (0.0, False, None, False), "<=": (0.0, False, None, True),
             ">": (None, False, math.inf, False), ">=": (None, True, math.inf, False)}


def censored_points(mv: MarkerValue, x: float, edges: list[float]) -> list[float]:
    """Values (in the unit of ``x``) covering every piece a result reported as a limit could be in."""
    lower, lower_in, upper, upper_in = _CENSORED[mv.censored]
    lower = x if lower is None else lower
    upper = x if upper is None else upper
    return _points(lower, lower_in, upper, upper_in, edges)


class Assessor:
    """Statuses, verdict and cB12 for one scheme and set of own ranges: the one path for a single
    query and for every batch row (``classify`` each result, ``decide`` on the findings, ``conclude``)."""

    def __init__(self, thresholds: Thresholds, scheme: Scheme, refs: dict[str, RefRange] | None = None) -> None:
        self.scheme = scheme
        self.refs = refs or {}
        self.bands = scheme.markers
        self.cb12_cuts = thresholds.cb12_bands.cuts  # cB12's bands, for ``bands.locate``
        self.cb12_categories = [band.status for band in thresholds.cb12_bands.bands]
        self.cb12_sources = thresholds.cb12_sources
        self.scales: dict[tuple[str, str], Scale] = {}  # (marker, unit) -> its scale, looked up once

    def scale_for(self, mv: MarkerValue) -> tuple[Scale, float]:
        """The band edges to compare with, and the result in their unit."""
        key = (mv.marker, mv.unit)
        scale = self.scales.get(key)
        if scale is None:
            scale = self.scales[key] = self.bands[mv.marker].scale(mv.unit)
        return scale, (mv.value if scale.unit == mv.unit else mv.canonical)

    def _status(self, marker: str, scale: Scale, x: float, canonical: float) -> tuple[str, Band | None]:
        band = scale.band_for(x)
        ref = self.refs.get(marker)
        if ref is None or band.status == "deficient":
            return band.status, band
        return ref.side(canonical), None

    def classify(self, mv: MarkerValue) -> Finding:
        """The result's status and the scheme band that decided it (for a limit, the most severe it could
        be, and every status it could have). With a person's own range, the scheme still decides
        ``deficient``; the range decides low/normal/high."""
        scale, x = self.scale_for(mv)
        if mv.censored is None:
            return Finding(mv.marker, False, *self._status(mv.marker, scale, x, mv.canonical), ())
        found: dict[str, Band | None] = {}
        for point in censored_points(mv, x, self.edges(mv.marker, scale)):
            canonical = point if scale.unit == CANONICAL[mv.marker] else to_canonical(mv.marker, point, scale.unit)
            status, band = self._status(mv.marker, scale, point, canonical)
            found.setdefault(status, band)
        worst = max(found, key=STATUS_SEVERITY.__getitem__)
        possible = tuple(sorted(found, key=STATUS_SEVERITY.__getitem__)) if len(found) > 1 else ()
        return Finding(mv.marker, True, worst, found[worst], possible)

    def edges(self, marker: str, scale: Scale) -> list[float]:
        """Every edge that can change the status, in the scale's unit."""
        edges = [e for b in scale.bands for e in (b.interval.lower, b.interval.upper) if math.isfinite(e)]
        ref = self.refs.get(marker)
        if ref is not None:
            edges += [e if scale.unit == CANONICAL[marker] else from_canonical(marker, e, scale.unit)
                      for e in ref.ends()]
        return edges

    def assess(self, markers: dict[str, MarkerValue], age: float | None) -> Core:
        """Statuses, the rules' verdict and cB12 for one set of results."""
        values = [markers[m] for m in MARKERS if m in markers]
        return self.conclude(decide(map(self.classify, values)), list(map(cb12_term, values)), age)

    def conclude(self, decision: Decision, terms: Iterable[float], age: float | None) -> Core:
        """The assessment from what the findings decided and the results' ``cb12_term`` (in marker order):
        cB12, where it applies, and the more cautious of its verdict and the rules'. A batch row comes
        here directly, with the decision for its combination of findings worked out once (see ``decide``)
        and each cell's term worked out once."""
        d = decision
        if not d.complete or age is None or age < ADULT_YEARS:
            return _new_core((d.status, d.bands, d.possible, d.verdict, d.rule, None, d.verdict))
        raw = cb12_value(terms, age)
        category = self.cb12_categories[locate(self.cb12_cuts, raw)]
        cb12 = _new_cb12((round(raw, 3), category, self.cb12_sources))
        return _new_core((d.status, d.bands, d.possible, d.verdict, d.rule, cb12, d.with_cb12[category]))


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


def _cite(message: Message, prefix: str = "") -> Cited:
    return Cited(f"{prefix}{message.text}", message.sources)


def _as_shown(marker: str, unit: str, interval: Interval) -> Interval:
    """A canonical band's edges in the unit the person gave (4 significant digits)."""
    def conv(x: float) -> float:
        return x if not math.isfinite(x) else float(f"{from_canonical(marker, x, unit):.4g}")

    return interval._replace(lower=conv(interval.lower), upper=conv(interval.upper))


def describe_band(marker: str, unit: str, band: Band, scale: Scale, scheme: Scheme) -> str:
    """A band in the unit the person gave, then in brackets the canonical figures where they differ
    and the scheme: "deficient = below 133 pmol/L (below 180 pg/mL; nice scheme)"."""
    canonical_unit = CANONICAL[marker]
    same_numbers = FACTORS[marker][unit] == (1.0, 1.0)
    if scale.unit != canonical_unit:  # the source's own edges in the person's unit
        shown = band.interval.describe(unit)
        canonical = next(b for b in scheme.markers[marker].bands if b.status == band.status).interval
    elif same_numbers:
        shown, canonical = band.interval.describe(unit), None
    else:
        shown, canonical = _as_shown(marker, unit, band.interval).describe(unit), band.interval
    extra = f"{canonical.describe(canonical_unit)}; " if canonical is not None else ""
    return f"{shown} ({extra}{scheme.id} scheme)"


def reference_text(assessor: Assessor, mv: MarkerValue, status: str, band: Band | None) -> str:
    scheme, marker = assessor.scheme, mv.marker
    scale, _ = assessor.scale_for(mv)
    ref = assessor.refs.get(marker)
    if band is not None:
        text = f"{status} = {describe_band(marker, mv.unit, band, scale, scheme)}"
        return text if ref is None else f"{text}; your own laboratory range {ref.text} applies above it"
    text = f"{status} against your own laboratory range {ref.text}"
    deficient = next((b for b in scale.bands if b.status == "deficient"), None)
    if deficient is not None:
        text += f"; deficient still means {describe_band(marker, mv.unit, deficient, scale, scheme)}"
    return text


def _marker_sources(t: Thresholds, assessor: Assessor, mv: MarkerValue, band: Band | None) -> tuple[str, ...]:
    if mv.marker not in assessor.refs:
        return band.sources
    cited = list(t.messages["note-own-range"].sources)
    deficient = band or next((b for b in assessor.bands[mv.marker].bands if b.status == "deficient"), None)
    cited += [s for s in (deficient.sources if deficient else ()) if s not in cited]
    return tuple(cited)


def _others(t: Thresholds, query: LabQuery, mv: MarkerValue, status: str) -> tuple[OtherScheme, ...]:
    """The schemes that read this result differently (their verdict is not reported): the other schemes
    with the person's own range, and, where a range was given, every scheme's own bands without it, so
    that a laboratory's "normal" never hides a scheme's "indeterminate"."""
    found = []
    own_range = mv.marker in query.refs
    for scheme in t.schemes.values():
        readings = [(query.refs, "")] if scheme.id != query.scheme else []
        readings += [({}, ", by the scheme's own bands without your laboratory's range")] if own_range else []
        for refs, said in readings:
            other = Assessor(t, scheme, refs)
            finding = other.classify(mv)
            their_status, band = finding.status, finding.band
            if their_status != status:
                found.append(OtherScheme(scheme.id, their_status, reference_text(other, mv, their_status, band) + said,
                                         _marker_sources(t, other, mv, band)))
                break
    return tuple(found)


def _result(t: Thresholds, assessor: Assessor, query: LabQuery, mv: MarkerValue, core: Core) -> MarkerResult:
    status, band = core.status[mv.marker], core.bands[mv.marker]
    return MarkerResult(mv.marker, mv.value, mv.unit, mv.canonical, CANONICAL[mv.marker], status,
                        reference_text(assessor, mv, status, band), _marker_sources(t, assessor, mv, band),
                        mv.censored, _others(t, query, mv, status))


def _shown_value(r: MarkerResult) -> str:
    return f"{r.censored or ''}{fmt(r.value)} {r.unit}"


def _drivers(status: dict[str, str], markers: tuple[str, ...]) -> str:
    return ", ".join(f"{LABELS[m]} {status[m]}" for m in markers if m in status)


_RULE_MESSAGE = {1: "direct-deficient", 2: "direct-and-functional", 3: "direct-borderline", 4: "mma-alone",
                 5: "hcy-alone", 6: "all-in-range"}


def _rule_reason(t: Thresholds, core: Core) -> Cited:
    status = core.status
    direct_off = tuple(m for m in DIRECT if status.get(m) in BORDERLINE + ("deficient",))
    functional_high = tuple(m for m in ("mma", "hcy") if status.get(m) == "high")
    drivers = {1: direct_off, 2: direct_off + functional_high, 3: direct_off, 4: ("mma",), 5: ("hcy",)}
    lead = _drivers(status, drivers.get(core.rule, ()))
    message = _RULE_MESSAGE[core.rule]
    if core.rule == 6 and any(s != "normal" for s in status.values()):
        message = "no-deficiency-sign"  # e.g. a raised B12: outside the bands, but not towards deficiency
    prefix = f"{core.rules_verdict} from the markers ({lead}): " if lead else f"{core.rules_verdict}: "
    return _cite(t.messages[message], prefix)


def _reasons(t: Thresholds, core: Core, results: tuple[MarkerResult, ...]) -> list[Cited]:
    reasons = [Cited(f"{LABELS[r.marker]} {_shown_value(r)} {'could be' if r.marker in core.possible else 'is'} "
                     f"{r.status}: {r.reference}.", r.sources) for r in results if r.status != "normal"]
    reasons.append(_rule_reason(t, core))
    if core.status.get("b12") == "high":
        maybe = "If it is above the upper limit (a limit such as >300 may not be): " if "b12" in core.possible else ""
        reasons.append(_cite(t.messages["b12-high"], maybe))
    reasons += [_disagreement(t, r, o) for r in results for o in r.other_schemes]
    if core.cb12:
        reasons.append(_cb12_reason(core))
    return reasons


def _disagreement(t: Thresholds, r: MarkerResult, other: OtherScheme) -> Cited:
    text = (f"The {other.scheme} scheme reads {LABELS[r.marker]} {_shown_value(r)} differently: "
            f"{other.reference}. {t.messages['other-scheme'].text}")
    return Cited(text, tuple(dict.fromkeys(other.sources + t.messages["other-scheme"].sources)))


def _cb12_reason(core: Core) -> Cited:
    cb12 = core.cb12
    text = f"Combined indicator cB12 is {cb12.value:.3f} ({cb12.category})"
    implied = CB12_VERDICT[cb12.category]
    if implied == core.rules_verdict:
        text += f", which agrees with the single markers ({core.rules_verdict})."
    else:
        text += (f", which points to {implied} while the single markers point to {core.rules_verdict}; "
                 f"the more cautious verdict, {core.verdict}, is reported.")
    return Cited(text, cb12.sources)


def _urgent_steps(t: Thresholds, assessor: Assessor, core: Core, query: LabQuery) -> list[Step]:
    """Prompt care: results far outside the bands (could be, for a limit), pregnancy, and nerve symptoms."""
    steps = []
    for rule in t.urgency:
        mv = query.markers.get(rule.marker)
        if mv is not None and _could_be_in(assessor, mv, rule.interval):
            prefix = "" if mv.censored is None else f"{LABELS[mv.marker]} {mv.censored}{fmt(mv.value)} {mv.unit} " \
                "could be in this range. "
            steps.append(Step(prefix + t.messages[rule.message].text, rule.sources, True))
    if core.verdict != UNLIKELY:
        if query.pregnant:
            steps.append(Step(*_cite(t.messages["urgent-pregnancy"]), True))
        steps.append(Step(*_cite(t.messages["urgent-neurological"])))  # prompt only if the symptoms are there
    return steps


def _could_be_in(assessor: Assessor, mv: MarkerValue, interval: Interval) -> bool:
    if mv.censored is None:
        return interval.holds(mv.canonical)
    scale = assessor.bands[mv.marker].scale(CANONICAL[mv.marker])
    edges = [e for e in (interval.lower, interval.upper) if math.isfinite(e)]
    return any(interval.holds(p) for p in censored_points(mv, mv.canonical, edges + assessor.edges(mv.marker, scale)))


def _next_steps(t: Thresholds, assessor: Assessor, core: Core, query: LabQuery,
                results: tuple[MarkerResult, ...]) -> list[Step]:
    msg, status = t.messages, core.status
    steps = []
    borderline = any(status.get(m) in BORDERLINE for m in DIRECT)
    if borderline and "mma" not in status:
        steps.append(msg["step-settle-indeterminate"])
    elif borderline and "hcy" not in status and status.get("mma") == "normal":
        steps.append(msg["step-add-functional"])
    if not borderline and any(_deficiency_side(r.status, o.status) for r in results if r.marker in DIRECT
                              for o in r.other_schemes):
        steps.append(msg["step-settle-disagreement"])
    if status.get("mma") == "high":
        steps.append(msg["step-kidney-age"])
    if status.get("hcy") == "high":
        steps.append(msg["step-folate-b6"])
    if status.get("b12") == "high":
        steps.append(msg["step-raised-b12"])
    steps.append(msg["step-symptoms-despite-normal" if core.verdict == UNLIKELY else "step-see-doctor"])
    return _urgent_steps(t, assessor, core, query) + [Step(*_cite(m)) for m in steps]


def _deficiency_side(*statuses: str) -> bool:
    """A disagreement that a functional test can settle: one reading points towards deficiency."""
    return any(s in BORDERLINE or s == "deficient" for s in statuses)


def _notes(t: Thresholds, scheme: Scheme, query: LabQuery, core: Core) -> list[str]:
    msg = t.messages
    notes = [note for m in query.markers for note in scheme.markers[m].notes]
    if any(m in query.markers for m in query.refs):
        notes.append(msg["note-own-range"].cited())
    notes += [f"--ref was given for {m} ({query.refs[m].text}) but there is no {LABELS[m]} result; "
              "it was not used." for m in query.refs if m not in query.markers]
    if query.pregnant:
        notes.append(msg["note-pregnancy"].cited())
    if query.age is not None and query.age < ADULT_YEARS:
        notes.append(msg["note-under-18"].cited())
    for marker, spans in core.possible.items():
        mv = query.markers[marker]
        could = " or ".join(", ".join(spans[::-1]).rsplit(", ", 1))
        notes.append(f"{LABELS[marker]} {mv.censored}{fmt(mv.value)} {mv.unit} could be {could}; "
                     f"{core.status[marker]} is reported. {msg['note-censored-worst'].cited()}")
    notes += _cb12_notes(t, query, core)
    return notes


def _cb12_notes(t: Thresholds, query: LabQuery, core: Core) -> list[str]:
    if core.cb12:
        return [f"{n} (sources: {', '.join(t.cb12_sources)})" for n in t.cb12_notes]
    if len(query.markers) < len(MARKERS):
        return []
    if any(mv.censored for mv in query.markers.values()):
        return [t.messages["note-censored-no-cb12"].cited()]
    why = "--age is needed" if query.age is None else f"it is only given from age {ADULT_YEARS}"
    return [f"The combined indicator cB12 is not shown: {why}."]


def interpret(thresholds: Thresholds, query: LabQuery) -> LabAssessment:
    if not query.markers:
        raise UsageError("no marker given; expected at least one of --b12, --holotc, --mma, --hcy")
    scheme = read_scheme(thresholds, query.scheme)
    assessor = Assessor(thresholds, scheme, query.refs)
    core = assessor.assess(query.markers, query.age)
    results = tuple(_result(thresholds, assessor, query, query.markers[m], core)
                    for m in MARKERS if m in query.markers)
    return LabAssessment(
        scheme.id, scheme.title, query.age, results, core.verdict,
        tuple(_reasons(thresholds, core, results)), tuple(_next_steps(thresholds, assessor, core, query, results)),
        core.cb12, tuple(_notes(thresholds, scheme, query, core)), thresholds.disclaimer,
    )
