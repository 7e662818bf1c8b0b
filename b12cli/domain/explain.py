"""The words of a lab assessment: each marker's band as text, the reasons for the verdict, next
steps, what each result settles and notes, each with its sources. ``labs.interpret`` calls these
with what ``labs.Judge`` decided; nothing here changes a status or a verdict: the reasons, steps and
notes of the verdict table (data/rules.yaml) are read for the states that decided."""

from __future__ import annotations

import math

from b12cli.domain import rules as table
from b12cli.domain.bands import Interval
from b12cli.domain.labs import (
    LAB,
    Assessor,
    Core,
    Finding,
    Findings,
    Judge,
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
from b12cli.domain.vocab import UNLIKELY, Cited

FLAG_WORDS = {"low": "below", "within": "within", "high": "above"}
NEAR = 0.10  # a result within 10% of a band edge is near it, where schemes can read it differently


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


def reference_text(assessor: Assessor, mv: MarkerValue, finding: Finding) -> str:
    """The band applied, as text (with where the result sits against the person's own range): the same
    for every result in the band, so each assessor remembers it (a batch writes one per distinct cell)."""
    key = ("reference", mv.marker, mv.unit, finding.band, finding.lab_flag)
    text = assessor.memo.get(key)
    if text is None:
        scale, _ = assessor.scale_for(mv)
        marker = assessor.registry.get(mv.marker)
        text = f"{finding.band.status} = {describe_band(marker, mv.unit, finding.band, scale, assessor.scheme)}"
        ref = assessor.refs.get(mv.marker)
        if ref is not None and finding.lab_flag is not None:
            text += f"; {FLAG_WORDS[finding.lab_flag]} your laboratory's range {ref.text}"
        assessor.memo[key] = text
    return text


def _marker_sources(t: Thresholds, assessor: Assessor, mv: MarkerValue, band: Band) -> tuple[str, ...]:
    if mv.marker not in assessor.refs:
        return band.sources
    return tuple(dict.fromkeys(band.sources + t.messages["note-own-range"].sources))


def _others(t: Thresholds, judge: Judge, mv: MarkerValue, found: Findings) -> tuple[OtherScheme, ...]:
    """The schemes whose own bands read this result differently from what is shown (the shown scheme's
    own bands too, where the person's range moved a result from normal)."""
    shown = found.shown
    out = []
    for scheme_id, assessor, finding in zip(judge.scheme_ids, judge.plain, found.plain):
        if finding.status == shown.status:
            continue
        said = ", by the scheme's own bands without your laboratory's range" if scheme_id == judge.scheme.id else ""
        out.append(OtherScheme(scheme_id, finding.status, reference_text(assessor, mv, finding) + said,
                               finding.band.sources))
    return tuple(out)


def marker_result(t: Thresholds, judge: Judge, mv: MarkerValue, found: Findings) -> MarkerResult:
    """One result as a lab marker of the output: the same for a single query, a batch row and a panel."""
    marker = judge.registry.get(mv.marker)
    shown = found.shown
    return MarkerResult(mv.marker, mv.value, mv.unit, mv.canonical, marker.canonical_unit, shown.status,
                        reference_text(judge.shown, mv, shown), _marker_sources(t, judge.shown, mv, shown.band),
                        mv.censored, _others(t, judge, mv, found), shown.possible, shown.lab_flag,
                        set(shown.states) == {"very_high"}, mv.flag)


def shown_value(r: MarkerResult) -> str:
    return f"{r.censored or ''}{fmt(r.value)} {r.unit}"


def reasons(t: Thresholds, core: Core, results: tuple[MarkerResult, ...], query: LabQuery) -> list[Cited]:
    """Each result outside its band; the row of the table that decided, with its notes; how the
    readings differ; each marker another scheme reads differently; cB12."""
    registry, d = t.registry, core.decision
    out = [Cited(f"{registry.get(r.marker).label} {shown_value(r)} {'could be' if r.could_be else 'is'} "
                 f"{r.status}{', far above its edge' if r.far_above else ''}: {r.reference}.", r.sources)
           for r in results if r.status != "normal"]
    rule = d.headline.rule
    out.append(Cited(f"{d.headline.verdict} by the {_reading_name(d.headline.scheme)} (rule {rule.id}): "
                     f"{rule.reason}", rule.sources))
    spanning = {r.marker: r for r in results if r.could_be}
    for note in table.notes_for(t.rules, d.headline.states):
        maybe = [spanning[m] for m in sorted(note.condition.variables() & set(spanning))]
        lead = "".join(f"If {registry.get(r.marker).label} {shown_value(r)} is {d.headline.states[r.marker]}: "
                       for r in maybe)  # a limit that spans bands: the note holds only if it is in that one
        out.append(Cited(lead + note.text, note.sources))
    split = _split(t, core, results, query)
    if split is not None:
        out.append(split)
    out += [_disagreement(t, r, o, query) for r in results for o in r.other_schemes]
    if core.cb12:
        out.append(_cb12_reason(t, core))
    return out


def _reading_name(scheme: str) -> str:
    return "reading with your laboratory's ranges" if scheme == LAB else f"{scheme} scheme"


def _split(t: Thresholds, core: Core, results: tuple[MarkerResult, ...], query: LabQuery) -> Cited | None:
    """When the readings disagree: each one's verdict and row, and which decides; then why, for the results
    the schemes read differently: near a band edge (other-scheme) or between edges placed differently
    (other-scheme-between). A result above every edge is explained on its own line (``_disagreement``)."""
    readings = core.decision.readings
    if len({r.verdict for r in readings}) < 2:
        return None
    each = "; ".join(f"{_reading_name(r.scheme)}: {r.verdict} (rule {r.rule.id})" for r in readings)
    text = f"The readings differ ({each}); {core.decision.verdict} is reported."
    differing = [r for r in results if r.other_schemes] or list(results)
    where = {r.marker: _position(t, r, query) for r in differing}
    for kind, message in (("near", "other-scheme"), ("between", "other-scheme-between")):
        chosen = [t.registry.get(r.marker).name for r in differing if where[r.marker] == kind]
        if chosen:
            note = t.messages[message]
            return Cited(f"{text} {note.text.replace('{marker}', ' and '.join(chosen))}", note.sources)
    return Cited(text, tuple(dict.fromkeys(s for r in readings for s in r.rule.sources)))


def _edges(t: Thresholds, marker: str, query: LabQuery) -> list[float]:
    """Every band edge of every scheme for a marker, and the ends of the person's own range (canonical)."""
    found = {e for s in t.schemes.values() for b in s.markers[marker].bands
             for e in (b.interval.lower, b.interval.upper) if math.isfinite(e) and e > 0}
    ref = query.refs.get(marker)
    if ref is not None:
        found |= {e for e in ref.ends() if math.isfinite(e) and e > 0}
    return sorted(found)


def _position(t: Thresholds, r: MarkerResult, query: LabQuery) -> str:
    """Where a result lies against every scheme's edges: "near" one (within 10%, or a limit such as <250
    that spans one), "above" every edge, or "between" edges."""
    found, x = _edges(t, r.marker, query), r.canonical_value
    if any(abs(x - e) <= NEAR * e for e in found):
        return "near"
    if r.censored is not None and any(e < x if r.censored.startswith("<") else e > x for e in found):
        return "near"
    return "above" if all(x > e for e in found) else "between"


def _disagreement(t: Thresholds, r: MarkerResult, other: OtherScheme, query: LabQuery) -> Cited:
    """Another scheme's band for a result; for a result above every edge that one scheme calls high and
    another normal, why: the other scheme has no upper band (note-no-upper-band)."""
    label = t.registry.get(r.marker).label
    text = f"The {other.scheme} scheme reads {label} {shown_value(r)} differently: {other.reference}."
    sources = other.sources
    if {r.status, other.status} == {"high", "normal"} and r.marker not in query.refs \
            and _position(t, r, query) == "above":
        upper = _no_upper_band(t, r.marker)
        if upper is not None:
            text, sources = f"{text} {upper.text}", tuple(dict.fromkeys(sources + upper.sources))
    return Cited(text, sources)


def _no_upper_band(t: Thresholds, marker_id: str) -> Cited | None:
    """Which schemes give no upper band for a marker that another scheme's "high" band flags, and that band's
    edge, from the data (None when every scheme, or none, has a "high" band)."""
    marker = t.registry.get(marker_id)
    bands = {s.title: s.markers[marker_id].bands for s in t.schemes.values()}
    highs = [b.interval.lower for each in bands.values() for b in each
             if b.status == "high" and math.isfinite(b.interval.lower)]
    lacking = [title for title, each in bands.items() if all(b.status != "high" for b in each)]
    if not highs or not lacking:
        return None
    note = t.messages["note-no-upper-band"]
    text = note.text.replace("{scheme}", " and ".join(lacking)).replace("{marker}", marker.name)
    return Cited(text.replace("{limit}", f"{fmt(min(highs))} {marker.canonical_unit}"), note.sources)


def _cb12_reason(t: Thresholds, core: Core) -> Cited:
    cb12, readings = core.cb12, core.decision.verdict
    text = f"Combined indicator cB12 is {cb12.value:.3f} ({cb12.category})"
    implied = t.rules.cb12_map[cb12.category]
    if implied == readings:
        text += f", which agrees with the single markers ({readings})."
    else:
        text += (f", which points to {implied} while the single markers point to {readings}; "
                 f"the more cautious verdict, {core.verdict}, is reported.")
    return Cited(text, cb12.sources)


def settled(t: Thresholds, reading: table.Reading) -> list[Cited]:
    return [cited for _, cited in table.settled_for(t.rules, reading.states)]


def urgent_rules(t: Thresholds, assessor: Assessor, mv: MarkerValue) -> tuple[Urgency, ...]:
    """The urgency rules a result falls under (could fall under, for a limit): the same for a single query,
    a batch row and a panel."""
    return tuple(rule for rule in t.urgency if rule.marker == mv.marker and _could_be_in(assessor, mv, rule.interval))


def pregnancy_urgent(query_pregnant: bool, verdict: str) -> bool:
    """In pregnancy a verdict other than unlikely is looked at promptly."""
    return query_pregnant and verdict != UNLIKELY


def _urgent_steps(t: Thresholds, assessor: Assessor, core: Core, query: LabQuery) -> list[Step]:
    """Prompt care: results far outside the bands (could be, for a limit) and pregnancy."""
    steps = []
    for mv in query.markers.values():
        for rule in urgent_rules(t, assessor, mv):
            label = t.registry.get(mv.marker).label
            prefix = "" if mv.censored is None else f"{label} {mv.censored}{fmt(mv.value)} {mv.unit} " \
                "could be in this range. "
            steps.append(Step(prefix + t.messages[rule.message].text, rule.sources, True))
    if pregnancy_urgent(query.situation.pregnant, core.verdict):
        steps.append(Step(*_cite(t.messages["urgent-pregnancy"]), True))
    return steps


def _could_be_in(assessor: Assessor, mv: MarkerValue, interval: Interval) -> bool:
    if mv.censored is None:
        return interval.holds(mv.canonical)
    marker = assessor.registry.get(mv.marker)
    scale = assessor.bands[mv.marker].scale(marker.canonical_unit)
    edges = [e for e in (interval.lower, interval.upper) if math.isfinite(e)]
    points = censored_points(mv, mv.canonical, edges + assessor.edges(marker, scale))
    return any(interval.holds(p) for p in points)


NERVES = "urgent-neurological"  # the step on nerve symptoms: shown whenever deficiency is not unlikely


def next_steps(t: Thresholds, judge: Judge, core: Core, query: LabQuery) -> list[Step]:
    """Prompt care first; then the deciding row's steps, none asking for a result already given."""
    rules, headline = t.rules, core.decision.headline
    found = table.steps_for(rules, headline.rule, headline.states)
    steps = [Step(s.text, s.sources, s.urgent) for s in found]
    if core.verdict != UNLIKELY and all(s.id != NERVES for s in found):
        nerves = rules.steps[NERVES]
        steps.insert(0, Step(nerves.text, nerves.sources))  # prompt only if the symptoms are there
    urgent = _urgent_steps(t, judge.shown, core, query)
    return urgent + [s for s in steps if s.urgent] + [s for s in steps if not s.urgent]


def notes(t: Thresholds, scheme: Scheme, query: LabQuery, core: Core) -> list[str]:
    msg, registry = t.messages, t.registry
    out = [note for m in query.markers if m not in query.refs for note in scheme.markers[m].notes]
    if any(m in query.markers for m in query.refs):
        out.append(msg["note-own-range"].cited())
    out += [f"--ref was given for {m} ({query.refs[m].text}) but there is no {registry.get(m).label} result; "
            "it was not used." for m in query.refs if m not in query.markers]
    if query.age is not None and not is_adult(query.age):
        out.append(msg["note-under-18"].cited())
    for marker, spans in core.decision.possible.items():
        mv = query.markers[marker]
        could = " or ".join(", ".join(spans[::-1]).rsplit(", ", 1))
        out.append(f"{registry.get(marker).label} {mv.censored}{fmt(mv.value)} {mv.unit} could be {could}; "
                   f"{core.status[marker]} is reported. {msg['note-censored-worst'].cited()}")
    out += _cb12_notes(t, query, core)
    out += [unit_note(registry.get(m), query.markers[m]) for m in query.assumed_units if m in query.markers]
    if any(registry.get(m).role == "direct" for m in query.markers):  # total or active B12 was given
        out.append(msg["note-biotin"].cited())
    return [n for n in out if n]


def unit_note(marker: Marker, mv: MarkerValue) -> str | None:
    """For a result given without a unit that is plausible in another of the marker's units too: which
    unit was taken, and what the other reading would be."""
    low, high = marker.plausible
    others = []
    for u in marker.units:
        if marker.same_scale(u.unit, mv.unit):
            continue
        canonical = marker.to_canonical(mv.value, u.unit)
        if low <= canonical <= high:
            others.append(f"{fmt(mv.value)} {u.unit} would be {fmt(float(f'{canonical:.4g}'))} {marker.canonical_unit}")
    if not others:
        return None
    return (f"No unit was given for {marker.label}, so {fmt(mv.value)} is read as {mv.unit}. If your report gives "
            f"another unit: {'; '.join(others)}; give it with {marker.unit_option}.")


def _cb12_notes(t: Thresholds, query: LabQuery, core: Core) -> list[str]:
    if core.cb12:
        folate = t.rules.cb12_note
        return [f"{n} (sources: {', '.join(t.cb12_sources)})" for n in t.cb12_notes] + \
            [f"{folate.text} (sources: {', '.join(folate.sources)})"]
    if not all(m in query.markers for m in t.registry.cb12_inputs):
        return []
    if any(query.markers[m].censored for m in t.registry.cb12_inputs):
        return [t.messages["note-censored-no-cb12"].cited()]
    why = "--age is needed" if query.age is None else "it is only given from age 18"
    return [f"The combined indicator cB12 is not shown: {why}."]
