"""Table renderers (Rich). Imported only when --format table is used.

Every cell is a ``Text`` so that bracketed units and user input are never read
as Rich markup. Data goes to stdout; notes and the disclaimer go to stderr.
"""

from __future__ import annotations

import errno
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


class _Console(Console):
    """Rich's console, except that a closed pipe is left to the CLI's one error boundary
    (Rich's own handler exits 1; a reader that went away is not a failure of b12)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def consoles() -> tuple[Console, Console]:
    return _Console(highlight=False), _Console(stderr=True, highlight=False)


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
    columns += ["B12 form"] if r.marks_crystalline else []
    columns += ["Servings for RDA"] if r.with_servings else []
    title = ("Over 50: foods with added (crystalline) B12 come first; B12 that is bound in food is absorbed less "
             "well (see the notes, and --fortified)") if r.marks_crystalline else None
    table = _table(*columns, "Sources", title=title)
    for item in r.items:
        f = item.food
        per100 = "unknown" if f.mcg_per_100g is None else f"{f.mcg_per_100g:g} mcg"
        name = f"{f.name} (vegan)" if f.vegan else f.name
        cells = [f"{name}: {f.serving}", f"{f.mcg_per_serving:g} mcg", per100, f"{item.percent_dv:.0f}%"]
        if r.marks_crystalline:
            cells.append("added" if item.crystalline else "in food")
        if r.with_servings:
            cells.append("none (no B12)" if item.servings_for_rda is None else f"{item.servings_for_rda:.2g}")
        _row(table, *cells, _cites(f.sources))
    out.print(table)
    if not r.items:
        err.print(Text("No food matches these filters."))
    if r.target:
        t = r.target
        who = f"age {t.age_years:g}" if t.age_years is not None else "no age given"
        err.print(Text(f"Servings are counted against {t.mcg_per_day:g} mcg/day ({t.life_stage}; {who})."))
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
    name_notes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for x in r.results:
        if x.match:
            _row(table, x.query, _listed(x), ", ".join(dict.fromkeys(m.med_class.name for m in x.matches)),
                 _cites(tuple(dict.fromkeys(s for m in x.matches for s in m.med_class.sources))))
            for m in x.matches:
                details[m.med_class.id] = (f"{m.med_class.name}: {m.med_class.effect} {m.med_class.advice}",
                                           m.med_class.sources)
            if x.note:
                name_notes[x.note] = (f"{x.query}: {x.note}", ())
        else:
            hint = f"; did you mean {', '.join(x.suggestions)}?" if x.suggestions else ""
            _row(table, x.query, Text(f"not listed{hint}"), "-", "")
    out.print(table)
    _bullets(out, "What the listed classes do", list(details.values()))
    _bullets(out, "Notes on these names", list(name_notes.values()))
    unlisted = next((x.note for x in r.results if x.match is None), None)
    if unlisted:
        out.print(Text(f"Not listed: {unlisted}"))


def _listed(x) -> Text:  # noqa: ANN001 - a meds.LookupResult
    if x.ingredients is None:
        how = x.match.matched_as
        if how == "brand" and x.match.generic:
            how = f"brand of {x.match.generic}"
        return Text(f"listed: {x.match.name} ({how})")
    names = ", ".join(m.name for m in x.matches)
    unlisted = [i for i in x.ingredients if i.casefold() not in {m.name.casefold() for m in x.matches}]
    rest = f"; not listed: {', '.join(unlisted)}" if unlisted else ""
    return Text(f"listed: {names} (combination: {' + '.join(x.ingredients)}){rest}")


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
    _notes(err, r.notes)


# ----------------------------------------------------------------- decision commands: risk, absorb, intake

ADVICE_STYLE = {"urgent": "bold red", "test": "bold yellow", "consider": "yellow", "not_indicated": "bold green"}


def risk_list(r) -> None:  # noqa: ANN001 - a risk.RiskList
    out, err = consoles()
    for title, records, flag in (("Symptoms and signs (--symptom)", r.symptoms, "neurological"),
                                 ("Risk factors (--factor)", r.factors, "prompt")):
        table = _table("Id", "Name", "Also accepted", "Sources", title=title)
        for x in records:
            marked = x.neurological if flag == "neurological" else x.prompt
            _row(table, x.id, f"{x.name} ({flag})" if marked else x.name, ", ".join(x.aliases) or "-",
                 _cites(x.sources))
        out.print(table)
    _notes(err, r.notes)


def risk(r) -> None:  # noqa: ANN001 - a risk.RiskResult
    out, err = consoles()
    advice = Text("Advice: ")
    advice.append(r.advice, style=ADVICE_STYLE[r.advice])
    out.print(advice)
    _bullets(out, "Why", [(r.summary.text, r.summary.sources)])
    if r.reasons:
        table = _table("Matched", "Name", "Given as", "Sources")
        for x in r.reasons:
            flag = " (neurological)" if x.kind == "symptom" and x.flag else " (prompt)" if x.flag else ""
            _row(table, x.kind, f"{x.name}{flag}", x.given_as, _cites(x.sources))
        out.print(table)
    _bullets(out, "Medicines", [(_medicine_line(m), ()) for m in r.medicines])
    tests = [m for m in (r.first_test, r.if_indeterminate) if m is not None]
    _bullets(out, "Which test", [(m.text, m.sources) for m in tests])
    _bullets(out, "Seek care promptly", [(m.text, m.sources) for m in r.seek_care_promptly])
    _notes(err, r.notes)


def _medicine_line(m) -> str:  # noqa: ANN001 - a risk.MedicineCheck
    if m.listed_as is None:
        hint = f" (did you mean {', '.join(m.suggestions)}?)" if m.suggestions else ""
        return f"{m.query}: not listed{hint}. {m.note}"
    if m.factor_id is None:
        return f"{m.query}: listed as {m.listed_as}, adds no risk factor. {m.note}"
    return f"{m.query}: listed as {m.listed_as}, adds the factor {m.factor_id}"


def absorb(r) -> None:  # noqa: ANN001 - an absorb.AbsorbResult
    out, err = consoles()
    d, q = r.per_dose, r.query
    table = _table("Estimate", "Value")
    doses = "1 a week (averaged over 7 days)" if q.weekly else f"{q.per_day}"
    route = "with intrinsic factor" if q.intrinsic_factor else "without intrinsic factor (passive only)"
    for label, value in (("Dose", f"{d.dose_mcg:g} mcg, {route}"),
                         ("Absorbed per dose", f"{d.absorbed_mcg:g} mcg ({d.fraction * 100:.3g}% of the dose)"),
                         ("Model", d.model), ("Doses a day", doses),
                         ("Absorbed per day", f"{r.absorbed_per_day_mcg:g} mcg"),
                         ("Compared with the RDA", f"{r.rda_mcg:g} mcg/day delivers about {r.rda_absorbed_mcg:g} mcg "
                          f"absorbed; this is {r.percent_of_rda_absorbed:g}% of that"),
                         ("Sources", _cites(r.sources))):
        _row(table, label, value)
    out.print(table)
    _notes(err, r.notes)


def intake(r) -> None:  # noqa: ANN001 - an intake.IntakeResult
    out, err = consoles()
    table = _table("Item", "Servings", "B12", "Absorbed", "Sources")
    for i in r.items:
        name = i.name if i.kind == "supplement" else f"{i.name}: {i.serving}"
        servings = "-" if i.servings is None else f"{i.servings:g}"
        absorbed = "with meals" if i.absorbed_mcg is None else f"{i.absorbed_mcg:g} mcg"
        _row(table, f"{name}{' (crystalline)' if i.crystalline else ''}", servings, f"{i.mcg:g} mcg", absorbed,
             _cites(i.sources))
    out.print(table)
    t = r.target
    lines = [(f"Total {r.total_mcg:g} mcg: {r.percent_of_target:g}% of the {t.mcg_per_day:g} mcg/day {t.kind} "
              f"({t.life_stage})", t.sources),
             (f"Absorbed, estimated: {r.absorbed_mcg:g} mcg ({r.absorbed_assumption})", ())]
    if r.crystalline_mcg is not None:
        lines.append((f"Crystalline (fortified foods and supplements): {r.crystalline_mcg:g} mcg, "
                      f"{r.crystalline_percent_of_target:g}% of the target", ()))
    _bullets(out, "The day", lines)
    _bullets(out, "Which food a word meant", [(i.chosen, ()) for i in r.items if i.chosen])
    _notes(err, r.notes)


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
    from b12cli.vocab import LABELS, MARKERS

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
    from b12cli.vocab import LABELS

    first = f"{t.first.comparator or ''}{fmt(t.first.value)}"
    latest = f"{t.latest.comparator or ''}{fmt(t.latest.value)}"
    change = "change not exact (a censored value)" if t.change is None else f"{t.change:+g} {t.unit}"
    return (f"{LABELS[t.marker]}: {first} \u2192 {latest} {t.unit} ({t.first.date} \u2192 {t.latest.date}), "
            f"{t.direction}, {change}  {spark}")
