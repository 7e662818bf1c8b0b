"""Table renderers (Rich for colour only). Imported only when --format table is used.

The layout is ours (``layout.py``): columns are fitted to the width and wrapped at spaces, so
a word or an id is never broken; below 60 columns, or when the words cannot fit, each row
becomes a block. Source ids become footnote numbers listed under the table. Lines never end
in spaces. Colour only on a terminal; with ``NO_COLOR`` no style at all (no bold either).
Data goes to stdout, closed by the disclaimer where there is one (a saved report keeps it); notes go to
stderr.

What every renderer uses: ``Page()`` (``.table``, ``.cite``, ``.footnotes``, ``.bullets``,
``.line``, ``.notes``, ``.panel``), and ``layout.Column``.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Sequence

from rich.console import Console
from rich.text import Text

from b12cli.domain.text import printable
from b12cli.domain.units import fmt
from b12cli.domain.vocab import prose, words
from b12cli.output import layout
from b12cli.output.layout import Column, Line
from b12cli.output.streams import say

if TYPE_CHECKING:  # result types only: importing them would slow start-up
    from b12cli.domain.about import AboutResult
    from b12cli.domain.history import History
    from b12cli.domain.labs import LabAssessment, MarkerResult
    from b12cli.domain.markers import Marker, Registry
    from b12cli.domain.meds import MedsResult
    from b12cli.domain.model import Scheme, Source
    from b12cli.domain.ranges import RefRange
    from b12cli.domain.search import SearchResult

STATUS_STYLE = {"deficient": "bold red", "low": "yellow", "indeterminate": "yellow", "normal": "green",
                "high": "magenta", "probable_deficiency": "bold red", "possible_deficiency": "red",
                "adequate": "green", "elevated": "magenta"}
VERDICT_STYLE = {"deficiency_likely": "bold red", "deficiency_possible": "bold yellow",
                 "deficiency_unlikely": "bold green"}


class _Console(Console):
    """Rich's console, except that a closed pipe is left to the CLI's one error boundary
    (Rich's own handler exits 1; a reader that went away is not a failure of b12)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def no_color() -> bool:
    return os.environ.get("NO_COLOR", "") != ""


def consoles() -> tuple[Console, Console]:
    """stdout and stderr consoles. With NO_COLOR there is no colour system at all, so no style
    (colour, bold, italic) is ever written."""
    system = None if no_color() else "auto"
    return (_Console(highlight=False, color_system=system),
            _Console(stderr=True, highlight=False, color_system=system))


def utf8(console: Console) -> bool:
    return (console.encoding or "").replace("-", "").lower().startswith("utf8")


class Page:
    """One command's output: fitted tables, source footnotes, bullets and notes."""

    def __init__(self) -> None:
        self.out, self.err = consoles()
        self.width = max(20, self.out.width)
        self.unicode = utf8(self.out)
        self.sources = layout.Footnotes()

    def cite(self, sources: Sequence[str]) -> str:
        """A cell naming sources by footnote number (listed by ``footnotes``)."""
        return self.sources.ref(sources)

    def print(self, lines: list[Line]) -> None:
        """Lines of (text, style) pieces to stdout, never rewrapped by Rich."""
        if not lines:
            return
        text = Text()
        for k, line in enumerate(lines):
            if k:
                text.append("\n")
            for piece, style in line:
                text.append(piece, style=style or None)
        self.out.print(text, soft_wrap=True, crop=False)

    def line(self, text: str, style: str = "", indent: str = "", hang: str = "  ") -> None:
        """A paragraph wrapped at spaces; later lines indented by ``hang``."""
        self.print([[(t, style)] for t in layout.wrap(text, self.width, indent, indent + hang)])

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[layout.Cell]],
              after: Sequence[list[Line]] | None = None, title: str | None = None) -> None:
        if not rows:  # nothing to show: the caller says so on stderr
            return
        if title:
            self.line(title, "bold")
        self.print(layout.layout(columns, rows, self.width, after, rule="─" if self.unicode else "-"))

    def footnotes(self) -> None:
        self.print([[(t, "dim")] for t in self.sources.lines(self.width)])
        self.sources = layout.Footnotes()

    def bullets(self, title: str, items: list[tuple[str, tuple[str, ...]]]) -> None:
        """A titled list whose items wrap under their own first line, each with its source ids."""
        if not items:
            return
        lines: list[Line] = [[(t, "bold")] for t in layout.wrap(f"{title}:", self.width)]
        for text, cited in items:
            full = f"{text} ({', '.join(cited)})" if cited else text
            lines += [[(t, "")] for t in layout.wrap(full, self.width, "- ", "  ")]
        self.print(lines)

    def panel(self, title: str, body: list[Line]) -> None:
        """A box around a few short lines (the verdict)."""
        h, v, corners = ("─", "│", "╭╮╰╯") if self.unicode else ("-", "|", "++++")
        inner = max([len(title) + 2] + [sum(len(t) for t, _ in line) for line in body])
        if inner + 4 > self.width:  # too narrow for a box: the title and the lines as they are
            self.print([[(f"{title}:", "bold")], *body])
            return
        inner = min(inner, self.width - 4)
        top = f"{corners[0]}{h} {title} {h * max(0, inner - len(title) - 1)}{corners[1]}"
        lines: list[Line] = [[(top, "")]]
        for line in body:
            pad = inner - sum(len(t) for t, _ in line)
            lines.append([(f"{v} ", "")] + line + [(" " * max(0, pad) + f" {v}", "")])
        lines.append([(f"{corners[2]}{h * (inner + 2)}{corners[3]}", "")])
        self.print(lines)

    def notes(self, notes: Sequence[str], disclaimer: str | None = None) -> None:
        """Notes and the disclaimer on stderr, wrapped at spaces."""
        lines = [f"Note: {note}" for note in notes] + ([disclaimer] if disclaimer else [])
        width = max(20, self.err.width)
        text = "".join(line + "\n" for note in lines for line in layout.wrap(note, width, "", "  "))
        if text:
            say(text)

    def closing(self, disclaimer: str) -> None:
        """The disclaimer as the last lines of stdout, so that a saved report keeps it."""
        self.print([[]] + [[(t, "dim")] for t in layout.wrap(disclaimer, self.width)])

    def tell(self, message: str) -> None:
        """One plain message on stderr."""
        say("".join(t + "\n" for t in layout.wrap(message, max(20, self.err.width), "", "  ")))


def _status(status: str) -> tuple[str, str]:
    return words(status), STATUS_STYLE.get(status, "")


# ----------------------------------------------------------------- meds


def meds(r: MedsResult) -> None:
    page = Page()
    if r.results is not None:
        _lookup(page, r)
        return page.notes(r.notes)
    rows = [[c.name, ", ".join(c.generic_names), ", ".join(c.brand_names) or "-", page.cite(c.sources)]
            for c in r.classes]
    effects = [layout.paragraph(f"Effect on B12: {c.effect}", page.width, "  ", "italic") for c in r.classes]
    page.table([Column("Class", 2), Column("Generic names", 2), Column("Brand names", 2), Column("Sources")], rows,
               effects)
    page.footnotes()
    page.notes(r.notes)


def _lookup(page: Page, r: MedsResult) -> None:
    rows = []
    details: dict[str, tuple[str, tuple[str, ...]]] = {}
    name_notes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for x in r.results:
        if x.match:
            classes = tuple({m.med_class.id: m.med_class for m in x.matches}.values())
            rows.append([x.query, (_listed(x), "bold"), ", ".join(c.name for c in classes),
                         page.cite(tuple(dict.fromkeys(s for c in classes for s in c.sources)))])
            details.update({c.id: (f"{c.name}: {c.effect} {c.advice}", c.sources) for c in classes})
            if x.note:
                name_notes[x.note] = (f"{x.query}: {x.note}", ())
        else:
            hint = f"; did you mean {', '.join(x.suggestions)}?" if x.suggestions else ""
            rows.append([x.query, f"not listed{hint}", "-", ""])
    page.table([Column("Name", 2), Column("Result", 2), Column("Class", 2), Column("Sources")], rows)
    page.footnotes()
    page.bullets("What the listed classes do", list(details.values()))
    page.bullets("Notes on these names", list(name_notes.values()))
    unlisted = next((x.note for x in r.results if x.match is None), None)
    if unlisted:
        page.line(f"Not listed: {unlisted}")


def _listed(x) -> str:  # noqa: ANN001 - a meds.LookupResult
    if x.ingredients is None:
        how = x.match.matched_as
        if how == "brand" and x.match.generic:
            how = f"brand of {x.match.generic}"
        return f"listed: {x.match.name} ({how})"
    names = ", ".join(m.name for m in x.matches)
    unlisted = [i for i in x.ingredients if i.casefold() not in {m.name.casefold() for m in x.matches}]
    rest = f"; not listed: {', '.join(unlisted)}" if unlisted else ""
    return f"listed: {names} (combination: {' + '.join(x.ingredients)}){rest}"


# ----------------------------------------------------------------- labs


def _gauge(page: Page, scheme: Scheme, marker: Marker, m: MarkerResult, ref: RefRange | None,
           width: int) -> list[Line]:
    from b12cli.output.gauge import ASCII, UNICODE, draw

    bands = scheme.markers[m.marker]
    at = bands.drawn_band(m.unit, m.value, m.canonical_value, m.censored)

    def shown(end: float | None) -> float | None:
        return None if end is None else marker.from_canonical(end, m.unit)

    low, high = (shown(ref.low), shown(ref.high)) if ref else (None, None)
    censored = m.censored[0] if m.censored else None
    drawn = draw(bands.segments(marker, m.unit), m.value, width, low, high, censored, at,
                 UNICODE if page.unicode else ASCII)
    if len(drawn.text) + 2 > page.width:
        return []  # too narrow for the bands and their edges: the band in words says it
    line: Line = [("  ", "")]
    cursor = 0
    for start, end, status in drawn.spans:
        line.append((drawn.text[cursor:start], ""))
        style = STATUS_STYLE.get(status, "")
        if start <= drawn.marker < end:
            line += [(drawn.text[start:drawn.marker], style), (drawn.text[drawn.marker], "bold"),
                     (drawn.text[drawn.marker + 1:end], style)]
        else:
            line.append((drawn.text[start:end], style))
        cursor = end
    line.append((drawn.text[cursor:], ""))
    return [line]


def labs(a: LabAssessment, registry: Registry, scheme: Scheme | None = None,
         refs: dict[str, RefRange] | None = None) -> None:
    """The markers (a gauge under each when the scheme is given), the verdict in a panel, reasons
    and next steps; the Canonical column only where a unit differs from the canonical one. The band
    text is a column when it fits on one line, else a line under its row."""
    page = Page()
    _verdict(page, a)
    canonical = any(m.unit != m.canonical_unit for m in a.markers)
    columns = [Column("Marker", nowrap=True), Column("Value", nowrap=True)]
    columns += [Column("Canonical", nowrap=True)] if canonical else []
    rows, bands, gauges = [], [], []
    for m in a.markers:
        cells = [registry.get(m.marker).label, f"{m.censored or ''}{fmt(m.value)} {m.unit}"]
        cells += [f"{fmt(m.canonical_value)} {m.canonical_unit}" if m.unit != m.canonical_unit else ""] \
            if canonical else []
        rows.append(cells + [_status(m.status), page.cite(m.sources)])
        bands.append(m.reference.replace(f" ({a.scheme} scheme)", "").replace(f"; {a.scheme} scheme)", ")"))
        width = min(72, page.width - 2)
        gauges.append(_gauge(page, scheme, registry.get(m.marker), m, (refs or {}).get(m.marker), width)
                      if scheme else [])
    tail = [Column("Status", nowrap=True), Column("Sources")]
    with_band = columns + [Column("Band applied", 3, nowrap=True)] + tail
    banded = [r[:-2] + [b] + r[-2:] for r, b in zip(rows, bands)]
    if page.width >= layout.NARROW and layout.fit_widths(with_band, banded, page.width) is not None:
        page.table(with_band, banded, gauges, title=f"Scheme: {a.scheme} ({a.scheme_title})")
    else:
        after = [layout.paragraph(f"Band applied: {b}", page.width) + g for b, g in zip(bands, gauges)]
        page.table(columns + tail, rows, after, title=f"Scheme: {a.scheme} ({a.scheme_title})")
    page.footnotes()
    page.bullets("Why", [(prose(c.text), c.sources) for c in a.reasons])
    page.bullets("What each result settles", [(c.text, c.sources) for c in a.settled])
    page.bullets("Act promptly", [(prose(c.text), c.sources) for c in a.next_steps if c.urgent])
    page.bullets("Next steps", [(prose(c.text), c.sources) for c in a.next_steps if not c.urgent])
    page.notes(a.notes)
    page.closing(a.disclaimer)


READING_NAMES = {"lab": "your lab's range", "nice": "NICE"}


def _verdict(page: Page, a: LabAssessment) -> None:
    """The verdict first, in words; then how each scheme reads the results when there is more than one
    reading ("documents: unlikely · NICE: possible"), and cB12."""
    body: list[Line] = [[(words(a.verdict), VERDICT_STYLE[a.verdict])]]
    if len(a.by_scheme) > 1:
        dot = " \u00b7 " if page.unicode else "; "
        each = dot.join(f"{READING_NAMES.get(v.scheme, v.scheme)}: {words(v.verdict).removeprefix('Deficiency ')}"
                        for v in a.by_scheme)
        lead = f"{READING_NAMES.get(a.scheme, a.scheme)} decides{dot}" if a.chosen else ""
        body += [[(line, "")] for line in layout.wrap(lead + each, max(16, page.width - 4))]
    if a.cb12:
        body.append([(f"cB12 {a.cb12.value:.3f}: ", ""), _status(a.cb12.category)])
    page.panel("Verdict", body)


# ----------------------------------------------------------------- reference


def sources(items: list[Source]) -> None:
    page = Page()
    rows = [[s.id, s.title, "; ".join(x for x in (s.author, s.publisher) if x) or "-", str(s.year or "-"), s.kind,
             s.url or "-"] for s in items]
    page.table([Column("Id"), Column("Title", 3), Column("Author / publisher", 2), Column("Year"), Column("Kind"),
                Column("URL")], rows)
    page.notes([f"{s.id}: {note}" for s in items for note in s.notes])


def rules(t) -> None:  # noqa: ANN001 - a rules.Rules
    """The verdict table: one row per rule, in order, with footnoted sources; then the far edges."""
    page = Page()
    rows = [[r.id, r.when, (words(r.verdict), VERDICT_STYLE[r.verdict]), page.cite(r.sources)] for r in t.rules]
    page.table([Column("Rule", nowrap=True), Column("When", 4), Column("Verdict", nowrap=True), Column("Sources")],
               rows)
    page.footnotes()
    page.bullets("Why each rule says what it says", [(f"{r.id} {r.name}: {r.reason}", ()) for r in t.rules])
    page.bullets("Groups of states", [(f"{name}: {', '.join(states)}", ()) for name, states in t.groups.items()])
    page.bullets("Far above the edge (state very_high)",
                 [(f"{e.marker} above {e.above:g}: {e.note}", e.sources) for e in t.far_edges.values()])
    page.notes(["The first rule whose condition holds decides. Each scheme, and your laboratory's ranges, is read "
                "once; the most cautious verdict is reported unless --scheme names the one that decides. "
                "b12 rules --format json lists the steps of each rule too."])


def about(r: AboutResult) -> None:
    page = Page()
    if r.topic is None:
        page.table([Column("Topic"), Column("Title", 2), Column("What it covers", 3)],
                   [[t.id, t.title, t.summary] for t in r.topics])
        page.line("Show one with: b12 about TOPIC")
        return
    t = r.topic
    page.line(t.summary, "italic", hang="")
    page.bullets(t.title, [(p.text, p.sources) for p in t.points])


def search(r: SearchResult) -> None:
    page = Page()
    page.table([Column("Found in", 2), Column("Text", 4), Column("Sources")],
               [[h.where, h.text, page.cite(h.sources)] for h in r.hits])
    page.footnotes()
    page.tell(f"{layout.plural(len(r.hits), 'match', 'matches')} for {r.query!r}")
    page.notes(r.notes)


# ----------------------------------------------------------------- decision commands: risk

ADVICE_STYLE = {"urgent": "bold red", "prompt": "bold red", "test": "bold yellow", "consider": "yellow",
                "not_indicated": "bold green"}
URGENCY_WORDS = {"urgent": "today", "prompt": "within days", "routine": "at a routine appointment",
                 "none": "no symptom given"}
RAISES = {"none": "-", "prompt": "raises to prompt", "urgent_with_neurological": "raises to urgent with nerve symptoms"}


def risk_list(r) -> None:  # noqa: ANN001 - a risk.RiskList
    page = Page()
    yes = {True: "yes", False: "no"}
    rows = [[x.id, x.name, x.urgency, yes[x.counts_for_testing], ", ".join(x.aliases) or "-", page.cite(x.listed_by)]
            for x in r.symptoms]
    page.table([Column("Id"), Column("Name", 2), Column("Urgency"), Column("NICE rule"), Column("Also accepted", 2),
                Column("Listed by")], rows, title="Symptoms and signs (--symptom)")
    rows = [[x.id, x.name, RAISES[x.escalates], yes[x.counts_for_testing], ", ".join(x.aliases) or "-",
             page.cite(x.listed_by)]
            for x in r.factors]
    page.table([Column("Id"), Column("Name", 2), Column("Raises urgency"), Column("NICE rule"),
                Column("Also accepted", 2), Column("Listed by")], rows, title="Risk factors (--factor)")
    page.footnotes()
    page.notes(r.notes)


def risk(r) -> None:  # noqa: ANN001 - a risk.RiskResult
    page = Page()
    page.panel("Advice", [[(words(r.advice).capitalize(), ADVICE_STYLE[r.advice])],
                          [(f"Testing: {words(r.testing)}; see a doctor: {URGENCY_WORDS[r.urgency]}", "")]])
    page.bullets("Why", [(r.summary.text, r.summary.sources)])
    page.bullets("What to do", [(a.message.text, a.message.sources) for a in r.factor_advice
                                if a.message is not r.summary])
    shown = {id(r.summary)}
    decisions = [m for m in (r.urgency_text, r.testing_text) if m is not None and id(m) not in shown]
    page.bullets("Testing and how soon", [(m.text, m.sources) for m in decisions])
    rows = []
    for x in r.reasons:
        listed = "yes" if x.counts_for_testing else "no"
        how = x.urgency if x.kind == "symptom" else RAISES[x.escalates]
        rows.append([x.kind, x.name, how, listed, x.given_as, page.cite(x.listed_by)])
    page.table([Column("Matched"), Column("Name", 2), Column("Urgency"), Column("NICE list"), Column("Given as", 2),
                Column("Listed by")], rows)
    page.footnotes()
    page.bullets("Medicines", [(_medicine_line(m), ()) for m in r.medicines])
    tests = [m for m in (r.on_b12, r.first_test, r.if_indeterminate) if m is not None]
    page.bullets("Which test", [(m.text, m.sources) for m in tests])
    page.closing(r.disclaimer)
    page.notes(r.notes)


def _medicine_line(m) -> str:  # noqa: ANN001 - a risk.MedicineCheck
    if m.listed_as is None:
        hint = f" (did you mean {', '.join(m.suggestions)}?)" if m.suggestions else ""
        return f"{m.query}: not listed{hint}. {m.note}"
    if m.factor_id is None:
        return f"{m.query}: listed as {m.listed_as}, adds no risk factor. {m.note}"
    return f"{m.query}: listed as {m.listed_as}, adds the factor {m.factor_id}"


# ----------------------------------------------------------------- history

_ASCII_FORMS = str.maketrans({"\u2013": "-", "\u2192": "->", "\u00b5": "u", "\u03bc": "u"})


def _fit(page: Page, text: str) -> str:
    """Text the output encoding can carry: dashes and arrows spelled in ASCII, anything else replaced."""
    if page.unicode:
        return text
    return text.translate(_ASCII_FORMS).encode("ascii", "replace").decode("ascii")


def history(h: History, registry: Registry) -> None:
    """Per person: the panels, then per marker with two results or more a chart of them over time with
    each step's significance beside it, the steps in words, the trend line and the trend in words."""
    from b12cli.domain.history import sparkline

    page = Page()
    scheme = h.thresholds.schemes[h.scheme]
    for person in h.people():
        shown = [m for m in registry.ids if any(r.marker == m for p in person.panels for r in p.assessment.markers)]
        rows = []
        for panel in person.panels:
            found = {r.marker: r for r in panel.assessment.markers}
            cells = [_fit(page, _history_cell(found.get(m), panel.ranges.get(m))) for m in shown]
            rows.append([panel.date, *cells, (words(panel.assessment.verdict),
                                              VERDICT_STYLE[panel.assessment.verdict])])
        columns = [Column("Date", nowrap=True), *(Column(registry.get(m).label, 2) for m in shown),
                   Column("Verdict", nowrap=True)]
        who = printable(person.id) if person.id is not None else "(not named)"
        page.table(columns, rows, title=_fit(page, f"Person: {who} (scheme {h.scheme})"))
        for t in person.trends:
            page.print([[("", "")]])
            _trend_chart(page, t, scheme, registry.get(t.marker))
            spark = sparkline(t.values, not page.unicode)
            page.line(_fit(page, f"{_trend_line(registry.get(t.marker).label, t, spark)}; "
                                 f"{chart_words(t.significance)}"))
            page.line(_fit(page, t.summary), "bold" if t.significance.startswith("significant") else "")
        page.print([[("", "")]])
    if not h.people_count:
        page.tell("No B12 results were found.")
    page.notes(h.notes)
    page.closing(h.disclaimer)


STEPS_SHOWN = 12  # more steps than this: the ones within variation are counted, not listed


def chart_words(significance: str) -> str:
    from b12cli.output.chart import MARKS

    return MARKS[significance][2]


def _trend_chart(page: Page, t, scheme: Scheme, marker: Marker) -> None:  # noqa: ANN001 - a history.Trend
    """The chart (when the width allows), its legend and each step in words."""
    from b12cli.output import chart

    plain = not page.unicode or no_color()  # the chart in ASCII on an ASCII encoding and with NO_COLOR
    unit = chart.chart_unit(t)
    page.line(_fit(page, chart.title(marker.label, unit, scheme.id, t.limits)), "bold")
    page.print(chart.text_chart(t, scheme, marker, page.width, not plain, lambda s: STATUS_STYLE.get(s, "")))
    page.line(_fit(page, "Steps (" + chart.legend([s.significance for s in t.steps], not plain) + "):"), "dim")
    many = len(t.steps) > STEPS_SHOWN  # then only the steps beyond chance or not judged are listed
    listed = [s for s in t.steps if not many or s.significance != "within_variation"]
    for step in listed:
        mark = chart.MARKS[step.significance][1 if plain else 0]
        style = "bold" if step.significance.startswith("significant") else ""
        page.line(_fit(page, f"{mark} {chart.step_text(step, unit, marker)}"), style, "  ", "    ")
    if len(listed) < len(t.steps):
        page.line(f"  and {len(t.steps) - len(listed)} steps within variation", "dim")


def _history_cell(r: MarkerResult | None, lab_range: str | None) -> str:
    """A marker's value and status in a history row (None when not measured)."""
    if r is None:
        return "-"
    text = f"{r.censored or ''}{fmt(r.value)} {r.unit} {words(r.status)}"
    return f"{text} (lab range {lab_range})" if lab_range else text


def _trend_line(label: str, t, spark: str) -> str:  # noqa: ANN001 - a history.Trend
    first = f"{t.first.comparator or ''}{fmt(t.first.value)}"
    latest = f"{t.latest.comparator or ''}{fmt(t.latest.value)}"
    change = "change not exact (a censored value)" if t.change is None else f"{t.change:+g} {t.unit}"
    return (f"{label}: {first} \u2192 {latest} {t.unit} ({t.first.date} \u2192 {t.latest.date}), "
            f"{t.direction}, {change}  {spark}")
