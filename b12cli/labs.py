"""`b12 labs`: what B12, holoTC, MMA and homocysteine results mean, alone and together.

The same small functions serve a single query (``interpret``, with reasons and
next steps) and a batch row (``Assessor.assess``, the compact form): a marker's status
comes from ``Assessor.classify``, the verdict from ``rule_verdict`` and ``cb12_value``.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from b12cli.errors import UsageError
from b12cli.kb import Band, Message, Scheme, Thresholds
from b12cli.units import B12_PG_PER_PMOL, fmt, normalize_unit, read_marker, to_canonical
from b12cli.values import parse_number, parse_years, show
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

SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
ADULT_YEARS = 18
CB12_VERDICT = {"probable_deficiency": LIKELY, "possible_deficiency": LIKELY, "low": POSSIBLE,
                "adequate": UNLIKELY, "elevated": UNLIKELY}
# Fedosov et al. 2015, four-marker form: B12 and holoTC in pmol/L, MMA and Hcy in umol/L.
CB12_AGE_A, CB12_AGE_B, CB12_AGE_C = 3.79, 230.0, 2.6


# ----------------------------------------------------------------- inputs


class MarkerValue(NamedTuple):
    marker: str
    value: float  # as given
    unit: str  # as given (canonical spelling)
    canonical: float


class RefRange(NamedTuple):
    marker: str
    low: float  # canonical
    high: float
    text: str  # as the person gave it, with its unit


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
    """Marker option texts (None = not given) into checked values."""
    out = {}
    for marker in MARKERS:
        text = raw.get(marker)
        if text is not None:
            value, unit, canonical = read_marker(marker, text, units.get(marker))
            out[marker] = MarkerValue(marker, value, unit, canonical)
    return out


_REF = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*(\S+?)\s*(?:-|–|\.\.)\s*(\S+)\s*$")


def read_refs(texts: list[str], units: dict[str, str | None]) -> dict[str, RefRange]:
    refs: dict[str, RefRange] = {}
    for text in texts:
        match = _REF.match(text)
        if not match:
            raise UsageError(f"--ref {show(text)} is not accepted; expected MARKER=LOW-HIGH, e.g. b12=200-900")
        name, low_text, high_text = match.groups()
        marker = name.casefold()
        if marker not in MARKERS:
            raise UsageError(f"--ref marker {show(name)} is not known; expected one of {', '.join(MARKERS)}")
        if marker in refs:
            raise UsageError(f"--ref for {marker} is given twice; give one range per marker")
        unit = units.get(marker) or CANONICAL[marker]
        low = parse_number(low_text, f"--ref {marker} low end", "a positive number")
        high = parse_number(high_text, f"--ref {marker} high end", "a positive number")
        if low <= 0:
            raise UsageError(f"--ref {show(text)}: the low end must be above zero")
        if low >= high:
            raise UsageError(f"--ref {show(text)}: the low end must be below the high end")
        refs[marker] = RefRange(marker, to_canonical(marker, low, unit), to_canonical(marker, high, unit),
                                f"{fmt(low)}–{fmt(high)} {unit}")
    return refs


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


def b12_pmol(value: float, unit: str, canonical: float) -> float:
    """Serum B12 in pmol/L, exact when it was given in pmol/L."""
    return value if unit == "pmol/L" else canonical / B12_PG_PER_PMOL


def cb12_value(canonical: dict[str, float], b12_in_pmol: float, age: float) -> float:
    """Fedosov combined indicator from the four markers (B12, holoTC in pmol/L; MMA, Hcy in umol/L)."""
    ratio = (canonical["holotc"] * b12_in_pmol) / (canonical["mma"] * canonical["hcy"])
    return math.log10(ratio) - CB12_AGE_A / (1 + (age / CB12_AGE_B) ** CB12_AGE_C)


def cb12_applies(canonical: dict[str, float], age: float | None) -> bool:
    return age is not None and age >= ADULT_YEARS and len(canonical) == len(MARKERS)


class CB12(NamedTuple):
    value: float  # rounded to 3 decimals
    category: str
    sources: tuple[str, ...]


class Core(NamedTuple):
    """What a row needs: statuses, bands, the verdict from the rules and from cB12."""

    status: dict[str, str]
    bands: dict[str, Band | None]
    rules_verdict: str
    rule: int
    cb12: CB12 | None
    verdict: str


class Assessor:
    """Statuses, verdict and cB12 from canonical values, for one scheme and set of own ranges:
    the one path for a single query and for every batch row. Tables are looked up once here."""

    def __init__(self, thresholds: Thresholds, scheme: Scheme, refs: dict[str, RefRange] | None = None) -> None:
        self.scheme = scheme
        self.refs = refs or {}
        self.bands = scheme.markers
        self.cb12_bands = thresholds.cb12_bands
        self.cb12_sources = thresholds.cb12_sources

    def classify(self, marker: str, value: float) -> tuple[str, Band | None]:
        """(status, scheme band that decided it). With a person's own range, the scheme
        still decides ``deficient``; otherwise the range decides low/normal/high."""
        band = self.bands[marker].band_for(value)
        ref = self.refs.get(marker)
        if ref is None or band.status == "deficient":
            return band.status, band
        if value < ref.low:
            return "low", None
        if value > ref.high:
            return "high", None
        return "normal", None

    def assess(self, canonical: dict[str, float], b12_in_pmol: float | None, age: float | None) -> Core:
        """Statuses, the rules' verdict and cB12 for one set of canonical values."""
        status, bands = {}, {}
        for marker, value in canonical.items():
            status[marker], bands[marker] = self.classify(marker, value)
        verdict, rule = rule_verdict(status)
        if not cb12_applies(canonical, age):
            return Core(status, bands, verdict, rule, None, verdict)
        raw = cb12_value(canonical, b12_in_pmol, age)
        cb12 = CB12(round(raw, 3), self.cb12_bands.band_for(raw).status, self.cb12_sources)
        return Core(status, bands, verdict, rule, cb12, worse(verdict, CB12_VERDICT[cb12.category]))


def assess(thresholds: Thresholds, scheme: Scheme, query: LabQuery) -> Core:
    markers = query.markers
    canonical = {m: mv.canonical for m, mv in markers.items()}
    b12 = markers.get("b12")
    pmol = b12_pmol(b12.value, b12.unit, b12.canonical) if b12 else None
    return Assessor(thresholds, scheme, query.refs).assess(canonical, pmol, query.age)


# ----------------------------------------------------------------- the full assessment


class MarkerResult(NamedTuple):
    marker: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    status: str
    reference: str
    sources: tuple[str, ...]


class LabAssessment(NamedTuple):
    scheme: str
    scheme_title: str
    age: float | None
    markers: tuple[MarkerResult, ...]
    verdict: str
    reasons: tuple[Cited, ...]
    next_steps: tuple[Cited, ...]
    cb12: CB12 | None
    notes: tuple[str, ...]
    disclaimer: str

    @property
    def abnormal(self) -> bool:
        return is_abnormal(self.verdict, (m.status for m in self.markers))


def _cite(message: Message, prefix: str = "") -> Cited:
    return Cited(f"{prefix}{message.text}", message.sources)


def _reference(scheme: Scheme, marker: str, status: str, band: Band | None, ref: RefRange | None) -> str:
    unit = CANONICAL[marker]
    if band is not None:
        text = f"{status} = {band.interval.describe(unit)} ({scheme.id} scheme)"
        return text if ref is None else f"{text}; your own laboratory range {ref.text} applies above it"
    text = f"{status} against your own laboratory range {ref.text}"
    deficient = _deficient_band(scheme, marker)
    if deficient is not None:
        text += f"; deficient still means {deficient.interval.describe(unit)} ({scheme.id} scheme)"
    return text


def _deficient_band(scheme: Scheme, marker: str) -> Band | None:
    return next((b for b in scheme.markers[marker].bands if b.status == "deficient"), None)


def _marker_sources(t: Thresholds, scheme: Scheme, marker: str, band: Band | None,
                    ref: RefRange | None) -> tuple[str, ...]:
    if ref is None:
        return band.sources
    cited = list(t.messages["note-own-range"].sources)
    deficient = band or _deficient_band(scheme, marker)
    cited += [s for s in (deficient.sources if deficient else ()) if s not in cited]
    return tuple(cited)


def _drivers(status: dict[str, str], markers: tuple[str, ...]) -> str:
    return ", ".join(f"{LABELS[m]} {status[m]}" for m in markers if m in status)


def _reasons(t: Thresholds, core: Core, query: LabQuery, results: tuple[MarkerResult, ...]) -> list[Cited]:
    msg, status = t.messages, core.status
    reasons = [Cited(f"{LABELS[r.marker]} {fmt(r.value)} {r.unit} is {r.status}: {r.reference}.", r.sources)
               for r in results if r.status != "normal"]
    direct_off = tuple(m for m in DIRECT if status.get(m) in BORDERLINE + ("deficient",))
    functional_high = tuple(m for m in ("mma", "hcy") if status.get(m) == "high")
    rule_message = {1: "direct-deficient", 2: "direct-and-functional", 3: "direct-borderline",
                    4: "mma-alone", 5: "hcy-alone", 6: "all-in-range"}[core.rule]
    drivers = {1: direct_off, 2: direct_off + functional_high, 3: direct_off, 4: ("mma",), 5: ("hcy",)}
    lead = _drivers(status, drivers.get(core.rule, ()))
    prefix = f"{core.rules_verdict} from the markers ({lead}): " if lead else f"{core.rules_verdict}: "
    reasons.append(_cite(msg[rule_message], prefix))
    if status.get("b12") == "high":
        reasons.append(_cite(msg["b12-high"]))
    if core.cb12:
        reasons.append(_cb12_reason(core))
    return reasons


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


def _next_steps(t: Thresholds, core: Core, query: LabQuery) -> list[Cited]:
    msg, status = t.messages, core.status
    steps = []
    borderline = any(status.get(m) in BORDERLINE for m in DIRECT)
    if borderline and "mma" not in status:
        steps.append(msg["step-settle-indeterminate"])
    elif borderline and "hcy" not in status and status.get("mma") == "normal":
        steps.append(msg["step-add-functional"])
    if status.get("mma") == "high":
        steps.append(msg["step-kidney-age"])
    if status.get("hcy") == "high":
        steps.append(msg["step-folate-b6"])
    if status.get("b12") == "high":
        steps.append(msg["step-raised-b12"])
    if core.verdict == UNLIKELY:
        steps.append(msg["step-symptoms-despite-normal"])
    else:
        steps.append(msg["step-see-doctor"])
    return [_cite(m) for m in steps]


def _notes(t: Thresholds, scheme: Scheme, query: LabQuery, core: Core) -> list[str]:
    msg = t.messages
    notes = [note for m in query.markers for note in scheme.markers[m].notes]
    if query.refs:
        notes.append(msg["note-own-range"].cited())
    if query.pregnant:
        notes.append(msg["note-pregnancy"].cited())
    if query.age is not None and query.age < ADULT_YEARS:
        notes.append(msg["note-under-18"].cited())
    if core.cb12:
        notes.extend(f"{n} (sources: {', '.join(t.cb12_sources)})" for n in t.cb12_notes)
    elif all(m in query.markers for m in MARKERS):
        why = "--age is needed" if query.age is None else f"it is only given from age {ADULT_YEARS}"
        notes.append(f"The combined indicator cB12 is not shown: {why}.")
    return notes


def interpret(thresholds: Thresholds, query: LabQuery) -> LabAssessment:
    if not query.markers:
        raise UsageError("no marker given; expected at least one of --b12, --holotc, --mma, --hcy")
    scheme = read_scheme(thresholds, query.scheme)
    core = assess(thresholds, scheme, query)
    results = tuple(
        MarkerResult(m, mv.value, mv.unit, mv.canonical, CANONICAL[m], core.status[m],
                     _reference(scheme, m, core.status[m], core.bands[m], query.refs.get(m)),
                     _marker_sources(thresholds, scheme, m, core.bands[m], query.refs.get(m)))
        for m, mv in ((m, query.markers[m]) for m in MARKERS if m in query.markers)
    )
    return LabAssessment(
        scheme.id, scheme.title, query.age, results, core.verdict,
        tuple(_reasons(thresholds, core, query, results)), tuple(_next_steps(thresholds, core, query)),
        core.cb12, tuple(_notes(thresholds, scheme, query, core)), thresholds.disclaimer,
    )
