"""Table renderers (Rich). Imported only when --format table is used.

Every cell is a ``Text`` so that bracketed units and user input are never read
as Rich markup. Data goes to stdout; notes and the disclaimer go to stderr.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from b12cli.units import fmt

if TYPE_CHECKING:  # result types only: importing them would slow start-up
    from b12cli.about import AboutResult
    from b12cli.foods import FoodsResult
    from b12cli.kb import Source
    from b12cli.labs import LabAssessment
    from b12cli.meds import MedsResult
    from b12cli.rda import RdaResult
    from b12cli.search import SearchResult

STATUS_STYLE = {"deficient": "bold red", "low": "yellow", "indeterminate": "yellow", "normal": "green",
                "high": "magenta", "probable_deficiency": "bold red", "possible_deficiency": "red",
                "adequate": "green", "elevated": "magenta"}
VERDICT_STYLE = {"deficiency_likely": "bold red", "deficiency_possible": "bold yellow",
                 "deficiency_unlikely": "bold green"}


def consoles() -> tuple[Console, Console]:
    return Console(highlight=False), Console(stderr=True, highlight=False)


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=Text(title) if title else None, title_justify="left",
                  show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(Text(column), overflow="fold")  # fold, never crop: nothing is lost when narrow
    return table


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(c if isinstance(c, Text) else Text("" if c is None else str(c)) for c in cells))


def _notes(err: Console, notes: tuple[str, ...] | list[str], disclaimer: str | None = None) -> None:
    """Notes and the disclaimer: plain text, so they are wrapped here rather than laid out by Rich."""
    lines = [f"Note: {note}" for note in notes] + ([disclaimer] if disclaimer else [])
    if lines:
        width = max(20, err.width)
        err.file.write("".join(_wrap(line, width, "") for line in lines))


def _cites(sources: tuple[str, ...]) -> str:
    return ", ".join(sources)


def _bullets(out: Console, title: str, items: list[tuple[str, tuple[str, ...]]]) -> None:
    """A titled list whose items wrap under their own first line, each with its sources."""
    if not items:
        return
    out.print(Text(f"{title}:", style="bold"))
    width = max(20, out.width)
    texts = (f"{text} ({_cites(cited)})" if cited else text for text, cited in items)
    out.file.write("".join(_wrap(t, width, "- ") for t in texts))


def _wrap(text: str, width: int, first: str) -> str:
    """One paragraph wrapped to the console width, later lines indented; ids like doc-two-causes kept whole."""
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent="  ", break_on_hyphens=False) + "\n"


def rda(r: RdaResult) -> None:
    out, err = consoles()
    table = _table("Life stage", "Ages", f"Amount ({r.unit})", "Kind", "Sources")
    for s in r.items:
        _row(table, s.life_stage, s.ages, f"{s.mcg_per_day:g} {r.unit}", s.kind, _cites(s.sources))
    out.print(table)
    _bullets(out, "Notes on these rows", [(f"{s.life_stage}: {n}", ()) for s in r.items for n in s.notes])
    _notes(err, r.notes)


def foods(r: FoodsResult) -> None:
    out, err = consoles()
    columns = ["Food and serving", "mcg per serving", "mcg per 100 g", "%DV"]
    columns += ["Servings for RDA"] if r.with_servings else []
    table = _table(*columns, "Sources")
    for item in r.items:
        f = item.food
        per100 = "unknown" if f.mcg_per_100g is None else f"{f.mcg_per_100g:g} mcg"
        name = f"{f.name} (vegan)" if f.vegan else f.name
        cells = [f"{name}: {f.serving}", f"{f.mcg_per_serving:g} mcg", per100, f"{item.percent_dv:.0f}%"]
        if r.with_servings:
            cells.append("none (no B12)" if item.servings_for_rda is None else f"{item.servings_for_rda:.2g}")
        _row(table, *cells, _cites(f.sources))
    out.print(table)
    if not r.items:
        err.print(Text("No food matches these filters."))
    _notes(err, r.notes)


def meds(r: MedsResult) -> None:
    out, err = consoles()
    if r.results is None:
        table = _table("Class", "Generic names", "Brand names", "Effect on B12", "Sources")
        for c in r.classes:
            _row(table, c.name, ", ".join(c.generic_names), ", ".join(c.brand_names) or "-", c.effect,
                 _cites(c.sources))
    else:
        _lookup(out, r)
        return _notes(err, r.notes)
    out.print(table)
    _notes(err, r.notes)


def _lookup(out: Console, r: MedsResult) -> None:
    table = _table("Name", "Result", "Class", "Sources")
    details: dict[str, tuple[str, tuple[str, ...]]] = {}
    for x in r.results:
        if x.match:
            c = x.match.med_class
            _row(table, x.query, f"listed: {x.match.name} ({x.match.matched_as})", c.name, _cites(c.sources))
            details[c.id] = (f"{c.name}: {c.effect} {c.advice}", c.sources)
        else:
            hint = f"; did you mean {', '.join(x.suggestions)}?" if x.suggestions else ""
            _row(table, x.query, Text(f"not listed{hint}"), "-", "")
    out.print(table)
    _bullets(out, "What the listed classes do", list(details.values()))
    unlisted = next((x.note for x in r.results if x.match is None), None)
    if unlisted:
        out.print(Text(f"Not listed: {unlisted}"))


def labs(a: LabAssessment) -> None:
    out, err = consoles()
    table = _table("Marker", "Value", "Canonical", "Band applied", "Status", "Sources",
                   title=f"Scheme: {a.scheme} ({a.scheme_title})")
    for m in a.markers:
        canonical = f"{fmt(m.canonical_value)} {m.canonical_unit}"
        _row(table, m.marker, f"{fmt(m.value)} {m.unit}", canonical, m.reference,
             Text(m.status, style=STATUS_STYLE.get(m.status, "")), _cites(m.sources))
    out.print(table)
    verdict = Text("Verdict: ")
    verdict.append(a.verdict, style=VERDICT_STYLE[a.verdict])
    if a.cb12:
        verdict.append(f"   cB12 {a.cb12.value:.3f} ({a.cb12.category}; {_cites(a.cb12.sources)})")
    out.print(verdict)
    _bullets(out, "Why", [(c.text, c.sources) for c in a.reasons])
    _bullets(out, "Next steps", [(c.text, c.sources) for c in a.next_steps])
    _notes(err, a.notes, a.disclaimer)


def sources(items: list[Source]) -> None:
    out, _ = consoles()
    table = _table("Id", "Title", "Author / publisher", "Year", "Kind", "URL")
    for s in items:
        who = "; ".join(x for x in (s.author, s.publisher) if x) or "-"
        _row(table, s.id, s.title, who, s.year or "-", s.kind, s.url or "-")
    out.print(table)


def about(r: AboutResult) -> None:
    out, _ = consoles()
    if r.topic is None:
        table = _table("Topic", "Title", "What it covers")
        for t in r.topics:
            _row(table, t.id, t.title, t.summary)
        out.print(table)
        out.print(Text("Show one with: b12 about TOPIC"))
        return
    t = r.topic
    out.print(Text(t.summary, style="italic"))
    _bullets(out, t.title, [(p.text, p.sources) for p in t.points])


def search(r: SearchResult) -> None:
    out, err = consoles()
    table = _table("Found in", "Text", "Sources")
    for h in r.hits:
        _row(table, h.where, h.text, _cites(h.sources))
    out.print(table)
    err.print(Text(f"{len(r.hits)} match{'es' if len(r.hits) != 1 else ''} for {r.query!r}"))


# ----------------------------------------------------------------- history

_ASCII_FORMS = str.maketrans({"\u2013": "-", "\u2192": "->", "\u00b5": "u", "\u03bc": "u"})


def _plain_console(out: Console) -> bool:
    """True when the output cannot carry block characters (not UTF-8): the sparkline falls back to ASCII."""
    return "utf" not in (out.encoding or "").lower()


def _fit(out: Console, text: str) -> str:
    """Text the output encoding can carry: dashes and arrows spelled in ASCII, anything else replaced."""
    if not _plain_console(out):
        return text
    encoding = out.encoding or "ascii"
    try:
        return text.translate(_ASCII_FORMS).encode(encoding, "replace").decode(encoding)
    except LookupError:
        return text.translate(_ASCII_FORMS).encode("ascii", "replace").decode("ascii")


def history(h) -> None:  # noqa: ANN001 - a history.History
    from b12cli.history import sparkline
    from b12cli.units import LABELS, MARKERS

    out, err = consoles()
    plain = _plain_console(out)
    for person in h.people:
        shown = [m for m in MARKERS if any(r.marker == m for p in person.panels for r in p.assessment.markers)]
        table = _table("Date", *(LABELS[m] for m in shown), "Verdict",
                       title=_fit(out, f"Person: {person.id or '(not named)'}  (scheme {h.scheme})"))
        for panel in person.panels:
            found = {r.marker: r for r in panel.assessment.markers}
            cells = [_history_cell(out, found.get(m), panel.comparators.get(m), panel.ranges.get(m)) for m in shown]
            verdict = Text(panel.assessment.verdict, style=VERDICT_STYLE[panel.assessment.verdict])
            _row(table, panel.date, *cells, verdict)
        out.print(table)
        for t in person.trends:
            out.print(Text(_fit(out, _trend_line(t, sparkline(t.values, plain)))))
        out.print(Text(""))
    if not h.people:
        err.print(Text("No B12 results were found."))
    _notes(err, h.notes)


def _history_cell(out: Console, r, comparator: str | None, lab_range: str | None) -> Text:  # noqa: ANN001
    """A marker's value and status in a history row (``r`` a labs.MarkerResult, or None when not measured)."""
    if r is None:
        return Text("-")
    cell = Text(f"{comparator or ''}{fmt(r.value)} {r.unit} ")
    cell.append(r.status, style=STATUS_STYLE.get(r.status, ""))
    if lab_range:
        cell.append(_fit(out, f" (lab range {lab_range})"))
    return cell


def _trend_line(t, spark: str) -> str:  # noqa: ANN001 - a history.Trend
    from b12cli.units import LABELS

    first = f"{t.first.comparator or ''}{fmt(t.first.value)}"
    latest = f"{t.latest.comparator or ''}{fmt(t.latest.value)}"
    change = "change not exact (a censored value)" if t.change is None else f"{t.change:+g} {t.unit}"
    return (f"{LABELS[t.marker]}: {first} \u2192 {latest} {t.unit} ({t.first.date} \u2192 {t.latest.date}), "
            f"{t.direction}, {change}  {spark}")
