"""``--format html``: one self-contained page to print or keep (``history`` and ``labs``).

Nothing is loaded from elsewhere: the styles are inline, the charts are inline SVG, there is no
script, and a Content-Security-Policy of ``default-src 'none'`` makes any load a browser error.
Every text that came from input or the knowledge base is escaped (``_e``). Each SVG has a
<title> and a <desc>, and the same numbers are in a table under it. Printed, each person starts a
page; a person fits one A4 or Letter page unless there are many results.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Iterable, Iterator

from b12cli.domain.text import printable
from b12cli.domain.units import fmt
from b12cli.domain.vocab import prose, words
from b12cli.output.chart import MARKS, chart_unit, geometry, place
from b12cli.output.gauge import edge_text

if TYPE_CHECKING:  # result types only
    from b12cli.domain.history import History, Person, Trend
    from b12cli.domain.labs import LabAssessment, MarkerResult
    from b12cli.domain.model import Scheme

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #bbb; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
  max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .35rem; }
.meta, .muted, figcaption .how { color: var(--muted); font-size: .9em; }
table { border-collapse: collapse; margin: .35rem 0 .8rem; font-size: .92em; }
caption { text-align: left; font-weight: 600; padding-bottom: .2rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .2rem .6rem .2rem 0; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th[scope=row], td.num, td.date { white-space: nowrap; }
figure { margin: .6rem 0 1rem; } figcaption { margin-top: .2rem; }
svg { width: 100%; height: auto; max-width: 44rem; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.band-deficient, .band-probable_deficiency { fill: #f6c9c9; } .band-low, .band-indeterminate,
.band-possible_deficiency { fill: #fbe6b3; } .band-normal, .band-adequate { fill: #d4edd4; }
.band-high, .band-elevated { fill: #e8d5f0; }
.edge { stroke: #888; stroke-dasharray: 3 3; } .axis { stroke: #444; } polyline.trend { fill: none; stroke: #1f4e9c;
  stroke-width: 2; } .pt { fill: #1f4e9c; stroke: #fff; stroke-width: 1.5; } .pt.limit { fill: #fff;
  stroke: #1f4e9c; stroke-width: 2; } .mark { fill: #b00020; stroke: #fff; stroke-width: 1; }
.step-significant_rise, .step-significant_fall { font-weight: 700; fill: #1b1b1b; }
.step-within_variation, .step-unknown_variation, .step-not_comparable { fill: #666; }
.verdict { border: 2px solid var(--ink); border-radius: 6px; padding: .5rem .8rem; margin: .5rem 0 1rem; }
.verdict strong { font-size: 1.15em; } .deficiency_likely { border-color: #b00020; }
.deficiency_possible { border-color: #c77700; } .deficiency_unlikely { border-color: #2e7d32; }
.significant { font-weight: 700; }
.disclaimer { border-top: 2px solid var(--ink); margin-top: 1.5rem; padding-top: .5rem; font-size: .95em; }
.disclaimer.small { border-top-width: 1px; font-size: .85em; color: var(--muted); }
ol.sources { font-size: .85em; padding-left: 1.4rem; } .cite { color: var(--muted); font-size: .85em; }
@page { margin: 12mm; }
@media print {
  body { font-size: 9pt; line-height: 1.25; max-width: none; margin: 0; padding: 0; }
  h1 { font-size: 13pt; } .meta { margin: 0 0 .2rem; } .series h3 { display: none; }
  .verdict { padding: .2rem .6rem; margin: .2rem 0 .4rem; } h2 + .verdict { margin-top: 0; }
  h2 { margin-top: 0; } .person { break-after: page; } .person:last-of-type { break-after: auto; }
  figure, table, .verdict, li, .series { break-inside: avoid; }
  table { font-size: 8pt; margin: .1rem 0 .3rem; } th, td { padding: 0 .4rem 0 0; } h3 { margin: .4rem 0 .2rem; }
  .series table { font-size: 7.5pt; line-height: 1.15; } .series .band { display: none; }
  figcaption { font-size: 7.5pt; line-height: 1.2; }
  svg text { font-size: 14px; } figure { margin: .2rem 0 .2rem; }
  .disclaimer.small { margin-top: .4rem; padding-top: .2rem; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; column-gap: 5mm; }
  svg { max-width: none; } a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: object) -> str:
    """Text for HTML, escaped (quotes too: every text may land in an attribute)."""
    return escape(str(text), quote=True)


class Cites:
    """The source ids a page cites, numbered in the order first cited."""

    def __init__(self, sources: dict) -> None:
        self.sources, self.order = sources, {}

    def ref(self, ids: Iterable[str]) -> str:
        nums = [self.order.setdefault(i, len(self.order) + 1) for i in dict.fromkeys(ids) if i in self.sources]
        return f' <span class="cite">[{", ".join(str(n) for n in nums)}]</span>' if nums else ""

    def html(self) -> str:
        if not self.order:
            return ""
        items = []
        for sid in self.order:
            s = self.sources[sid]
            who = "; ".join(x for x in (s.author, s.publisher) if x)
            url = (f' <a href="{_e(s.url)}">{_e(s.url)}</a>' if s.url and s.url.startswith(("https://", "http://"))
                   else "")
            items.append(f"<li id=\"src-{_e(sid)}\">{_e(s.title)}{'. ' + _e(who) if who else ''}"
                         f"{f' ({s.year})' if s.year else ''}.{url} <span class=\"cite\">{_e(sid)}</span></li>")
        return "<h2>Sources</h2>\n<ol class=\"sources\">" + "\n".join(items) + "</ol>\n"


def _head(title: str) -> str:
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f'<style>{CSS}</style>\n</head>\n<body>\n')


def _tail(disclaimer: str, cites: Cites, notes: Iterable[str]) -> str:
    shown = "".join(f"<li>{_e(n)}</li>" for n in notes)
    return ((f"<h2>Notes</h2>\n<ul>{shown}</ul>\n" if shown else "") + cites.html()
            + f'<p class="disclaimer" role="note"><strong>Please note:</strong> {_e(disclaimer)}</p>\n'
            + "</body>\n</html>\n")


def _list(title: str, items: list[tuple[str, tuple[str, ...]]], cites: Cites) -> str:
    if not items:
        return ""
    return (f"<h3>{_e(title)}</h3>\n<ul>" + "".join(f"<li>{_e(prose(t))}{cites.ref(s)}</li>" for t, s in items)
            + "</ul>\n")


def _verdict(a: LabAssessment, lead: str = "") -> str:
    readings = "; ".join(f"{'your lab' if v.scheme == 'lab' else v.scheme}: {words(v.verdict)}"
                         for v in a.by_scheme)
    extra = f'<br><span class="muted">Each reading: {_e(readings)}</span>' if len(a.by_scheme) > 1 else ""
    cb12 = f"<br>cB12 {a.cb12.value:.3f}: {_e(words(a.cb12.category))}" if a.cb12 else ""
    return (f'<div class="verdict {_e(a.verdict)}" role="status">{_e(lead)}<strong>{_e(words(a.verdict))}'
            f"</strong>{extra}{cb12}</div>\n")


def _advice(a: LabAssessment, cites: Cites) -> str:
    return (_list("Why", [(c.text, c.sources) for c in a.reasons], cites)
            + _list("Act promptly", [(s.text, s.sources) for s in a.next_steps if s.urgent], cites)
            + _list("Next steps", [(s.text, s.sources) for s in a.next_steps if not s.urgent], cites))


# ----------------------------------------------------------------- the chart over time (SVG)

W, LEFT, RIGHT, TOP, BAND_H, BOTTOM = 640, 96, 24, 26, 40, 34


def _x(x: float) -> float:
    return LEFT + 8 + x * (W - LEFT - RIGHT - 16)


def trend_svg(t: Trend, scheme: Scheme, marker, ident: str, who: str) -> str:  # noqa: ANN001 - markers.Marker
    """Results over time on the scheme's bands (shaded, each the same height), the line through them, and each
    step's significance over its middle."""
    g = geometry(t, scheme, marker)
    n = len(g.segments)
    height = TOP + n * BAND_H + BOTTOM

    def y(p: float) -> float:
        return TOP + (n - p) * BAND_H

    def y_point(p) -> float:  # noqa: ANN001 - a chart.Point: kept off the band's edges
        return y(p.band + 0.12 + 0.76 * (p.y - p.band))

    parts = [f'<svg viewBox="0 0 {W} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{_e(marker.label)} over time{_e(who)}</title>',
             f'<desc id="{ident}-d">{_e(_desc(t, g, scheme))}</desc>']
    for k, (status, _, upper) in enumerate(g.segments):
        parts.append(f'<rect class="band-{_e(status)}" x="{LEFT}" y="{y(k + 1):.1f}" width="{W - LEFT - RIGHT}" '
                     f'height="{BAND_H}"><title>{_e(words(status))}</title></rect>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(k + 0.5) + 4:.1f}" text-anchor="end" font-style="italic">'
                     f'{_e(words(status))}</text>')
        if k < n - 1:
            parts.append(f'<line class="edge" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(k + 1):.1f}" y2="{y(k + 1):.1f}"/>')
            parts.append(f'<text x="{LEFT - 6}" y="{y(k + 1) + 4:.1f}" text-anchor="end">{_e(edge_text(upper))}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    parts.append(f'<text x="8" y="{TOP - 10}">{_e(g.unit)}</text>')
    coords = [(_x(p.x), y_point(p)) for p in g.points]
    parts.append('<polyline class="trend" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in coords) + '"/>')
    parts += _step_marks(t, coords)
    for p, (cx, cy) in zip(g.points, coords):
        limit = " limit" if p.comparator else ""
        said = f"{p.date}: {p.comparator or ''}{fmt(p.value)} {g.unit} ({words(p.status)})"
        parts.append(f'<circle class="pt{limit}" cx="{cx:.1f}" cy="{cy:.1f}" r="5"><title>{_e(said)}</title></circle>')
    parts += _dates(g, coords, y(0))
    return "\n".join(parts + ["</svg>"])


def _step_marks(t: Trend, coords: list[tuple[float, float]]) -> list[str]:
    out, last = [], -1e9
    for s, (a, b) in zip(t.steps, zip(coords, coords[1:])):
        mid = (a[0] + b[0]) / 2
        pct = f" {s.change_percent:+.0f}%" if s.change_percent is not None else ""
        text = MARKS[s.significance][0] + (pct if mid - last > 70 else "")
        out.append(f'<text class="step-{s.significance}" x="{mid:.1f}" y="{TOP - 10}" text-anchor="middle">'
                   f'{_e(text)}<title>{_e(MARKS[s.significance][2])}</title></text>')
        last = mid
    return out


def _dates(g, coords: list[tuple[float, float]], base: float) -> list[str]:  # noqa: ANN001 - a chart.Geometry
    """The dates under their points: the first and the latest always, the others where they fit."""
    placed: list[tuple[float, float, str]] = []  # (left, right, svg) in the order drawn
    for k, (p, (cx, _)) in enumerate(zip(g.points, coords)):
        final = k == len(coords) - 1
        wide = 6.2 * len(p.date)
        anchor, left = ("start", cx) if k == 0 else ("end", cx - wide) if final else ("middle", cx - wide / 2)
        while placed and left < placed[-1][1] + 8:
            if not final:
                break
            placed.pop()  # the latest date wins over the one before it
        if placed and left < placed[-1][1] + 8:
            continue
        svg = f'<text x="{cx:.1f}" y="{base + 16:.1f}" text-anchor="{anchor}">{_e(p.date)}</text>'
        placed.append((left, left + wide, svg))
    return [svg for _, _, svg in placed]


def _desc(t: Trend, g, scheme: Scheme) -> str:  # noqa: ANN001 - a chart.Geometry
    values = "; ".join(f"{p.date}: {p.comparator or ''}{fmt(p.value)} {g.unit} ({words(p.status)})" for p in g.points)
    return (f"{len(g.points)} results in {g.unit} over the bands of the {scheme.id} scheme, each band drawn the same "
            f"height. {t.summary} Results: {values}.")


def _trend_table(t: Trend, unit: str, marker, cites: Cites) -> str:  # noqa: ANN001 - markers.Marker
    rows = []
    for k, end in enumerate(t.ends):
        value = end.shown if end.unit == unit else marker.from_canonical(end.value, unit)
        step = t.steps[k - 1] if k else None
        change = "" if step is None or step.change_percent is None else f"{step.change_percent:+.1f}%"
        sig = "" if step is None else MARKS[step.significance][0] + " " + MARKS[step.significance][2]
        strong = ' class="significant"' if step and step.significance.startswith("significant") else ""
        shown = (end.comparator or "") + fmt(value)
        rows.append(f'<tr><td class="date">{_e(end.date)}</td><td class="num">{_e(shown)}</td>'
                    f'<td class="band">{_e(words(end.status))}</td><td class="num">{_e(change)}</td>'
                    f"<td{strong}>{_e(sig)}</td></tr>")
    limits = t.limits
    rcv = (f"real change beyond {limits.fall:.0f}% / +{limits.rise:.0f}% ({limits.confidence_percent:g}%, "
           f"log-normal){cites.ref(limits.figures.sources)}" if limits else "no reference change value held")
    return (f"<table><caption>{_e(marker.label)} ({_e(unit)}): {rcv}</caption><thead><tr><th scope=\"col\">Date"
            "</th><th scope=\"col\">Result</th><th scope=\"col\" class=\"band\">Band</th><th scope=\"col\">Change</th>"
            f"<th scope=\"col\">Significance</th></tr></thead><tbody>{''.join(rows)}</tbody></table>\n")


# ----------------------------------------------------------------- history


def history_page(h: History, base, path: str) -> Iterator[str]:  # noqa: ANN001 - a kb.KnowledgeBase
    """The page, a person at a time (people are made as they are read); the notes, sources and
    disclaimer once every person is done."""
    cites = Cites(base.sources)
    scheme = h.thresholds.schemes[h.scheme]
    registry = base.markers
    name = "standard input" if path == "-" else printable(path)
    yield _head("B12 results over time")
    yield (f"<h1>B12 results over time</h1>\n<p class=\"meta\">From {_e(name)}; charts drawn on the bands of the "
           f"{_e(scheme.id)} scheme ({_e(scheme.title)}){cites.ref(scheme.sources)}. Made by b12 on this computer; "
           "nothing was sent anywhere.</p>\n")
    for k, person in enumerate(h.people(), 1):
        yield _person(person, h, scheme, registry, cites, k)
    if not h.people_count:
        yield "<p>No B12 results were found.</p>\n"
    errors = f", {len(h.errors):,} records could not be read" if len(h.errors) else ""
    yield (f'<p class="meta">{h.used:,} {_e(h.noun)} used, {sum(h.skipped.values()):,} skipped{_e(errors)}; '
           f"{h.people_count:,} {'person' if h.people_count == 1 else 'people'}, {h.panels:,} panels.</p>\n")
    yield _tail(h.disclaimer, cites, h.notes)


def _person(person: Person, h: History, scheme: Scheme, registry, cites: Cites, k: int) -> str:  # noqa: ANN001
    who = printable(person.id) if person.id is not None else "(not named)"
    latest = person.panels[-1]
    out = [f'<section class="person" aria-labelledby="p{k}">\n<h2 id="p{k}">Person: {_e(who)}</h2>\n',
           _verdict(latest.assessment, f"Latest panel ({latest.date}): "), _panels(person, registry)]
    out.append('<div class="charts">\n')
    for j, t in enumerate(person.trends, 1):
        marker = registry.get(t.marker)
        unit = chart_unit(t)
        svg = trend_svg(t, scheme, marker, f"c{k}-{j}", f" for {who}")
        out.append(f'<div class="series">\n<h3>{_e(marker.label)}</h3>\n<figure>\n{svg}\n'
                   f"<figcaption>{_e(t.summary)}</figcaption>\n</figure>\n"
                   f"{_trend_table(t, unit, marker, cites)}</div>\n")
    out.append("</div>\n")
    out.append(_advice(latest.assessment, cites))
    out.append(f'<p class="disclaimer small">{_e(h.disclaimer)}</p>\n</section>\n')
    return "".join(out)


def _panels(person: Person, registry) -> str:  # noqa: ANN001 - a markers.Registry
    shown = [m for m in registry.ids if any(r.marker == m for p in person.panels for r in p.assessment.markers)]
    head = "".join(f'<th scope="col">{_e(registry.get(m).label)}</th>' for m in shown)
    rows = []
    for panel in person.panels:
        found = {r.marker: r for r in panel.assessment.markers}
        cells = "".join(f"<td>{_e(_cell(found.get(m)))}</td>" for m in shown)
        rows.append(f'<tr><th scope="row">{_e(panel.date)}</th>{cells}<td>{_e(words(panel.assessment.verdict))}'
                    "</td></tr>")
    return (f'<table><caption>Results by date</caption><thead><tr><th scope="col">Date</th>{head}'
            f'<th scope="col">Verdict</th></tr></thead><tbody>{"".join(rows)}</tbody></table>\n')


def _cell(m: MarkerResult | None) -> str:
    return "-" if m is None else f"{m.censored or ''}{fmt(m.value)} {m.unit} ({words(m.status)})"


# ----------------------------------------------------------------- labs: one query


def gauge_svg(scheme: Scheme, marker, m: MarkerResult, ident: str) -> str:  # noqa: ANN001 - markers.Marker
    """One result among the scheme's bands: each band the same width, the value marked inside its band."""
    from b12cli.domain.variation import End

    segments = scheme.markers[marker.id].segments(marker, m.unit)
    band, inside, _ = place(scheme, marker, segments, End("", m.canonical_value, m.censored, m.value, m.unit,
                                                              m.status, None), m.unit)
    n, left, width = len(segments), 20, W - 40
    field = width / n

    def x(p: float) -> float:
        return left + p * field

    shown = f"{m.censored or ''}{fmt(m.value)} {m.unit}"
    bands = ", ".join(f"{words(s)} {_range_words(segments, k, m.unit)}" for k, (s, _, _) in enumerate(segments))
    parts = [f'<svg viewBox="0 0 {W} 78" role="img" aria-labelledby="{ident}-t {ident}-d" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{_e(marker.label)} {_e(shown)}: {_e(words(m.status))}</title>',
             f'<desc id="{ident}-d">{_e(marker.label)} {_e(shown)} lies in the {_e(words(m.status))} band of the '
             f'{_e(scheme.id)} scheme. Bands: {_e(bands)}. Each band is drawn the same width.</desc>']
    for k, (status, _, upper) in enumerate(segments):
        parts.append(f'<rect class="band-{_e(status)}" x="{x(k):.1f}" y="28" width="{field:.1f}" height="22"/>')
        parts.append(f'<text x="{x(k + 0.5):.1f}" y="43" text-anchor="middle">{_e(words(status))}</text>')
        if k < n - 1:
            parts.append(f'<text x="{x(k + 1):.1f}" y="66" text-anchor="middle">{_e(edge_text(upper))}</text>')
            parts.append(f'<line class="edge" x1="{x(k + 1):.1f}" x2="{x(k + 1):.1f}" y1="28" y2="54"/>')
    at = x(band + inside)
    parts.append(f'<polygon class="mark" points="{at - 6:.1f},14 {at + 6:.1f},14 {at:.1f},27"/>')
    anchor, nudge = ("start", -6) if at < 120 else ("end", 6) if at > W - 120 else ("middle", 0)
    parts.append(f'<text x="{at + nudge:.1f}" y="11" text-anchor="{anchor}">{_e(shown)}</text>')
    return "\n".join(parts + ["</svg>"])


def _range_words(segments: list, k: int, unit: str) -> str:
    _, low, high = segments[k]
    if low == float("-inf"):
        return f"below {edge_text(high)} {unit}"
    if high == float("inf"):
        return f"above {edge_text(low)} {unit}"
    return f"{edge_text(low)} to {edge_text(high)} {unit}"


def labs_page(a: LabAssessment, registry, scheme: Scheme, sources: dict) -> str:  # noqa: ANN001 - markers.Registry
    """One query: the verdict with its reasons, each result on its gauge and in a table, next steps, sources."""
    cites = Cites(sources)
    out = [_head("B12 lab results"), "<h1>B12 lab results</h1>\n",
           f'<p class="meta">Shown with the bands of the {_e(a.scheme)} scheme ({_e(a.scheme_title)})'
           f'{cites.ref(scheme.sources)}. '
           "Made by b12 on this computer; nothing was sent anywhere.</p>\n", _verdict(a)]
    rows, figures = [], []
    for k, m in enumerate(a.markers, 1):
        marker = registry.get(m.marker)
        rows.append(f'<tr><th scope="row">{_e(marker.label)}</th><td class="num">{_e(m.censored or "")}'
                    f"{_e(fmt(m.value))} {_e(m.unit)}</td><td>{_e(words(m.status))}</td><td>{_e(m.reference)}"
                    f"{cites.ref(m.sources)}</td><td>{_e(m.lab_flag or '')}</td></tr>")
        figures.append(f"<figure>\n{gauge_svg(scheme, marker, m, f'g{k}')}\n<figcaption>{_e(marker.label)}: "
                       f"{_e(m.reference)}</figcaption>\n</figure>\n")
    out.append('<table><caption>Results</caption><thead><tr><th scope="col">Marker</th><th scope="col">Result</th>'
               '<th scope="col">Band</th><th scope="col">Band applied</th><th scope="col">Your lab</th></tr></thead>'
               f"<tbody>{''.join(rows)}</tbody></table>\n")
    out.append('<div class="charts">\n' + "".join(figures) + "</div>\n")
    out.append(_advice(a, cites))
    out.append(_list("What each result settles", [(c.text, c.sources) for c in a.settled], cites))
    out.append(_tail(a.disclaimer, cites, a.notes))
    return "".join(out)
