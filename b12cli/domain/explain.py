"""The words of a lab assessment: each marker's band as text, the reasons for the verdict, next
steps and notes, each with its sources. ``labs.interpret`` calls these with what ``labs.Assessor``
decided; nothing here changes a status or a verdict."""

from __future__ import annotations

import math

from b12cli.domain.bands import Interval
from b12cli.domain.labs import (
    CB12_VERDICT,
    Assessor,
    Core,
    Finding,
    LabQuery,
    MarkerResult,
    OtherScheme,
    Step,
    censored_points,
    is_adult,
)
from b12cli.domain.markers import Marker
from b12cli.domain.model import Band, Message, Scale, Scheme, Thresholds, Urgency
from b12cli.domain.units import MarkerValue, fmt
from b12cli.domain.vocab import BORDERLINE, UNLIKELY, Cited


def _cite(message: Message, prefix: str = "") -> Cited:
    return Cited(f"{prefix}{message.text}", message.sources)


def _as_shown(marker: Marker, unit: str, interval: Interval) -> Interval:
    """A canonical band's edges in the unit the person gave (4 significant digits)."""
    def conv(x: float) -> float:
        return x if not math.isfinite(x) else float(f"{marker.from_canonical(x, unit):.4g}")

    return interval._replace(lower=conv(interval.lower), upper=conv(interval.upper))


def describe_band(marker: Marker, unit: str, band: Band, scale: Scale, scheme: Scheme) -> str:
    """A band in the unit the person gave, then in brackets the canonical figures where they differ
    and the scheme: "deficient = below 133 pmol/L (below 180 pg/mL; nice scheme)"."""
    canonical_unit = marker.canonical_unit
    if scale.unit != canonical_unit:  # the source's own edges in the person's unit
        shown = band.interval.describe(unit)
        canonical = next(b for b in scheme.markers[marker.id].bands if b.status == band.status).interval
    elif marker.same_scale(unit, canonical_unit):
        shown, canonical = band.interval.describe(unit), None
    else:
        shown, canonical = _as_shown(marker, unit, band.interval).describe(unit), band.interval
    extra = f"{canonical.describe(canonical_unit)}; " if canonical is not None else ""
    return f"{shown} ({extra}{scheme.id} scheme)"


def reference_text(assessor: Assessor, mv: MarkerValue, status: str, band: Band | None) -> str:
    """The band applied, as text: the same for every result in the band, so each assessor remembers it
    (a batch writes one per distinct cell)."""
    key = ("reference", mv.marker, mv.unit, status, band)
    text = assessor.memo.get(key)
    if text is None:
        text = assessor.memo[key] = _reference_text(assessor, mv, status, band)
    return text


def _reference_text(assessor: Assessor, mv: MarkerValue, status: str, band: Band | None) -> str:
    scheme, marker = assessor.scheme, assessor.registry.get(mv.marker)
    scale, _ = assessor.scale_for(mv)
    ref = assessor.refs.get(mv.marker)
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


def _others(t: Thresholds, assessor: Assessor, mv: MarkerValue, status: str) -> tuple[OtherScheme, ...]:
    """The schemes that read this result differently (their verdict is not reported): the other schemes
    with the person's own range, and, where a range was given, every scheme's own bands without it, so
    that a laboratory's "normal" never hides a scheme's "indeterminate". Each scheme at most once."""
    found = []
    for readings in _readings(t, assessor, mv.marker):
        for other, said in readings:
            finding = other.classify(mv)
            if finding.status != status:
                found.append(OtherScheme(other.scheme.id, finding.status,
                                         reference_text(other, mv, finding.status, finding.band) + said,
                                         _marker_sources(t, other, mv, finding.band)))
                break
    return tuple(found)


def _readings(t: Thresholds, assessor: Assessor, marker: str) -> list[list[tuple[Assessor, str]]]:
    """Per other scheme, the assessors that may read a result differently: with the person's own range
    (schemes other than the one applied), and without it (every scheme, where a range was given).
    Built once per assessor and marker."""
    key = ("readings", marker)
    found = assessor.memo.get(key)
    if found is None:
        own_range = marker in assessor.refs
        found = []
        for scheme in t.schemes.values():
            readings = [(Assessor(t, scheme, assessor.refs), "")] if scheme.id != assessor.scheme.id else []
            if own_range:
                readings.append((Assessor(t, scheme, {}), ", by the scheme's own bands without your laboratory's "
                                                          "range"))
            found.append(readings)
        assessor.memo[key] = found
    return found


def marker_result(t: Thresholds, assessor: Assessor, mv: MarkerValue, finding: Finding) -> MarkerResult:
    """One result as a lab marker of the output: the same for a single query, a batch row and a panel."""
    marker = assessor.registry.get(mv.marker)
    return MarkerResult(mv.marker, mv.value, mv.unit, mv.canonical, marker.canonical_unit, finding.status,
                        reference_text(assessor, mv, finding.status, finding.band),
                        _marker_sources(t, assessor, mv, finding.band), mv.censored,
                        _others(t, assessor, mv, finding.status), finding.possible)


def shown_value(r: MarkerResult) -> str:
    return f"{r.censored or ''}{fmt(r.value)} {r.unit}"


def _rule_reason(t: Thresholds, core: Core) -> Cited:
    registry, d = t.registry, core.decision
    status = d.status
    direct_off = tuple(m for m in registry.with_role("direct") if status.get(m) in BORDERLINE + ("deficient",))
    functional_high = tuple(m for m in registry.with_role("functional") if status.get(m) == "high")
    drivers = {1: direct_off, 2: direct_off + functional_high, 3: direct_off, 4: (d.decided_by,)}.get(d.rule, ())
    lead = ", ".join(f"{registry.get(m).label} {status[m]}" for m in drivers if m in status)
    message = {1: "direct-deficient", 2: "direct-and-functional", 3: "direct-borderline",
               4: f"{d.decided_by}-alone", 6: "all-in-range"}[d.rule]
    if d.rule == 4 and message not in t.messages:
        message = "functional-alone"
    if d.rule == 6 and any(s != "normal" for s in status.values()):
        message = "no-deficiency-sign"  # e.g. a raised B12: outside the bands, but not towards deficiency
    prefix = f"{d.verdict} from the markers ({lead}): " if lead else f"{d.verdict}: "
    return _cite(t.messages[message], prefix)


def reasons(t: Thresholds, core: Core, results: tuple[MarkerResult, ...]) -> list[Cited]:
    registry = t.registry
    out = [Cited(f"{registry.get(r.marker).label} {shown_value(r)} {'could be' if r.could_be else 'is'} "
                 f"{r.status}: {r.reference}.", r.sources) for r in results if r.status != "normal"]
    out.append(_rule_reason(t, core))
    if core.status.get("b12") == "high":
        spans = "b12" in core.decision.possible
        maybe = "If it is above the upper limit (a limit such as >300 may not be): " if spans else ""
        out.append(_cite(t.messages["b12-high"], maybe))
    out += [_disagreement(t, r, o) for r in results for o in r.other_schemes]
    if core.cb12:
        out.append(_cb12_reason(core))
    return out


def _disagreement(t: Thresholds, r: MarkerResult, other: OtherScheme) -> Cited:
    label = t.registry.get(r.marker).label
    text = f"The {other.scheme} scheme reads {label} {shown_value(r)} differently: {other.reference}."
    note = t.messages["other-scheme"]
    return Cited(f"{text} {note.text}", tuple(dict.fromkeys(other.sources + note.sources)))


def _cb12_reason(core: Core) -> Cited:
    cb12, rules = core.cb12, core.decision.verdict
    text = f"Combined indicator cB12 is {cb12.value:.3f} ({cb12.category})"
    implied = CB12_VERDICT[cb12.category]
    if implied == rules:
        text += f", which agrees with the single markers ({rules})."
    else:
        text += (f", which points to {implied} while the single markers point to {rules}; "
                 f"the more cautious verdict, {core.verdict}, is reported.")
    return Cited(text, cb12.sources)


def urgent_rules(t: Thresholds, assessor: Assessor, mv: MarkerValue) -> tuple[Urgency, ...]:
    """The urgency rules a result falls under (could fall under, for a limit): the same for a single query,
    a batch row and a panel."""
    return tuple(rule for rule in t.urgency if rule.marker == mv.marker and _could_be_in(assessor, mv, rule.interval))


def pregnancy_urgent(query_pregnant: bool, verdict: str) -> bool:
    """In pregnancy a verdict other than unlikely is looked at promptly."""
    return query_pregnant and verdict != UNLIKELY


def _urgent_steps(t: Thresholds, assessor: Assessor, core: Core, query: LabQuery) -> list[Step]:
    """Prompt care: results far outside the bands (could be, for a limit), pregnancy, and nerve symptoms."""
    steps = []
    for mv in query.markers.values():
        for rule in urgent_rules(t, assessor, mv):
            label = t.registry.get(mv.marker).label
            prefix = "" if mv.censored is None else f"{label} {mv.censored}{fmt(mv.value)} {mv.unit} " \
                "could be in this range. "
            steps.append(Step(prefix + t.messages[rule.message].text, rule.sources, True))
    if pregnancy_urgent(query.pregnant, core.verdict):
        steps.append(Step(*_cite(t.messages["urgent-pregnancy"]), True))
    if core.verdict != UNLIKELY:
        steps.append(Step(*_cite(t.messages["urgent-neurological"])))  # prompt only if the symptoms are there
    return steps


def _could_be_in(assessor: Assessor, mv: MarkerValue, interval: Interval) -> bool:
    if mv.censored is None:
        return interval.holds(mv.canonical)
    marker = assessor.registry.get(mv.marker)
    scale = assessor.bands[mv.marker].scale(marker.canonical_unit)
    edges = [e for e in (interval.lower, interval.upper) if math.isfinite(e)]
    points = censored_points(mv, mv.canonical, edges + assessor.edges(marker, scale))
    return any(interval.holds(p) for p in points)


def next_steps(t: Thresholds, assessor: Assessor, core: Core, query: LabQuery,
               results: tuple[MarkerResult, ...]) -> list[Step]:
    msg, status = t.messages, core.status
    direct = t.registry.with_role("direct")
    steps = []
    borderline = any(status.get(m) in BORDERLINE for m in direct)
    if borderline and "mma" not in status:
        steps.append(msg["step-settle-indeterminate"])
    elif borderline and "hcy" not in status and status.get("mma") == "normal":
        steps.append(msg["step-add-functional"])
    if not borderline and any(_deficiency_side(r.status, o.status) for r in results if r.marker in direct
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


def notes(t: Thresholds, scheme: Scheme, query: LabQuery, core: Core) -> list[str]:
    msg, registry = t.messages, t.registry
    out = [note for m in query.markers if m not in query.refs for note in scheme.markers[m].notes]
    if any(m in query.markers for m in query.refs):
        out.append(msg["note-own-range"].cited())
    out += [f"--ref was given for {m} ({query.refs[m].text}) but there is no {registry.get(m).label} result; "
            "it was not used." for m in query.refs if m not in query.markers]
    if query.pregnant:
        out.append(msg["note-pregnancy"].cited())
    if query.age is not None and not is_adult(query.age):
        out.append(msg["note-under-18"].cited())
    for marker, spans in core.decision.possible.items():
        mv = query.markers[marker]
        could = " or ".join(", ".join(spans[::-1]).rsplit(", ", 1))
        out.append(f"{registry.get(marker).label} {mv.censored}{fmt(mv.value)} {mv.unit} could be {could}; "
                   f"{core.status[marker]} is reported. {msg['note-censored-worst'].cited()}")
    out += _cb12_notes(t, query, core)
    return out


def _cb12_notes(t: Thresholds, query: LabQuery, core: Core) -> list[str]:
    if core.cb12:
        return [f"{n} (sources: {', '.join(t.cb12_sources)})" for n in t.cb12_notes]
    if not all(m in query.markers for m in t.registry.cb12_inputs):
        return []
    if any(query.markers[m].censored for m in t.registry.cb12_inputs):
        return [t.messages["note-censored-no-cb12"].cited()]
    why = "--age is needed" if query.age is None else "it is only given from age 18"
    return [f"The combined indicator cB12 is not shown: {why}."]
