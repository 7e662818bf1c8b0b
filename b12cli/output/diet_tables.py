"""Table renderers for the diet commands: rda, foods, absorb and intake (the page itself is in tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from b12cli.domain.numbers import plain_sig, share_of, share_text
from b12cli.output import layout
from b12cli.output.layout import Column
from b12cli.output.tables import Page

if TYPE_CHECKING:  # result types only: importing them would slow start-up
    from b12cli.domain.foods import FoodsResult
    from b12cli.domain.rda import RdaResult


# ----------------------------------------------------------------- rda


def rda(r: RdaResult) -> None:
    page = Page()
    rows = [[s.life_stage, s.ages, "not held (see notes)" if s.mcg_per_day is None else f"{s.mcg_per_day:g} {r.unit}",
             s.kind, page.cite(s.sources)] for s in r.items]
    page.table([Column("Life stage", 2), Column("Ages"), Column(f"Amount ({r.unit})", nowrap=True), Column("Kind"),
                Column("Sources")], rows, title=f"Daily B12 targets: {r.body}")
    page.footnotes()
    page.bullets("Notes on these rows", [(f"{s.life_stage}: {n}", ()) for s in r.items for n in s.notes])
    page.notes(r.notes)


# ----------------------------------------------------------------- foods


def foods(r: FoodsResult, cap: int | None = None) -> None:
    """The foods; on a terminal at most ``cap`` rows (the CLI passes None when piped or with --all).
    Over 50, a column says which foods carry added (crystalline) B12, the form that counts then."""
    page = Page()
    items = r.items if cap is None else r.items[:cap]
    mark_vegan = not r.query.vegan and any(i.food.vegan for i in items)
    columns = [Column("Food and serving", 3), Column("Per serving", align="right", nowrap=True),
               Column("Per 100 g", align="right", nowrap=True), Column("%DV", align="right", nowrap=True)]
    columns += [Column("B12 form", nowrap=True)] if r.marks_crystalline else []
    columns += [Column("Servings for RDA", align="right", nowrap=True)] if r.with_servings else []
    columns += [Column("Vegan")] if mark_vegan else []
    rows = [_food_row(page, r, item, mark_vegan) for item in items]
    title = "Vegan foods" if r.query.vegan and items else None
    if r.marks_crystalline and items:
        order = "come first" if r.crystalline_first else "are marked"
        title = (f"Over 50: foods with added (crystalline) B12 {order}; B12 bound in food is absorbed less well "
                 "(see the notes, and --fortified)")
    page.table(columns + [Column("Sources")], rows, title=title)
    page.footnotes()
    page.bullets("Check the label (brands and countries differ)",
                 [(f"{i.food.name}: {n}", ()) for i in items for n in i.food.caveats])
    if not r.items:
        page.tell("No food matches these filters.")
    elif len(items) < len(r.items):
        page.tell(f"Showing {len(items)} of {layout.plural(len(r.items), 'food')}; add --all (or --limit N) "
                  "to see more.")
    if r.target:
        t = r.target
        who = f"age {t.age_years:g}" if t.age_years is not None else "no age given"
        page.tell(f"Servings are counted against {t.mcg_per_day:g} mcg/day ({t.life_stage}; {who}).")
    page.notes(r.notes)


def _food_row(page: Page, r: FoodsResult, item, mark_vegan: bool) -> list[layout.Cell]:  # noqa: ANN001
    f = item.food
    cells = [f"{f.name}: {f.serving}", f"{f.mcg_per_serving:g} mcg",
             "unknown" if f.mcg_per_100g is None else f"{f.mcg_per_100g:g} mcg", share_text(item.percent_dv)]
    cells += ["added" if item.crystalline else "in food"] if r.marks_crystalline else []
    if r.with_servings:
        cells.append("none (no B12)" if item.servings_for_rda is None else plain_sig(item.servings_for_rda))
    cells += ["yes" if f.vegan else ""] if mark_vegan else []
    return cells + [page.cite(f.sources)]



# ----------------------------------------------------------------- absorb and intake


def absorb(r) -> None:  # noqa: ANN001 - an absorb.AbsorbResult
    page = Page()
    d, q = r.per_dose, r.query
    doses = "1 a week (averaged over 7 days)" if q.weekly else f"{q.per_day}"
    route = "with intrinsic factor" if q.intrinsic_factor else "without intrinsic factor (passive only)"
    rows = [["Dose", f"{d.dose_mcg:g} mcg, {route}"],
            ["Absorbed per dose", f"{d.absorbed_mcg:g} mcg ({d.fraction * 100:.3g}% of the dose)"],
            ["Sources' range", "none: a measured dose" if d.low_mcg == d.high_mcg == d.absorbed_mcg
             else f"{d.low_mcg:g} to {d.high_mcg:g} mcg per dose (see the notes for why they differ)"],
            ["Model", d.model.replace("_", " ")], ["Doses a day", doses],
            ["Absorbed per day", f"{r.absorbed_per_day_mcg:g} mcg" + (
                "" if r.absorbed_per_day_low_mcg == r.absorbed_per_day_high_mcg
                else f" (sources' range {r.absorbed_per_day_low_mcg:g} to {r.absorbed_per_day_high_mcg:g} mcg)")],
            ["Compared with", f"{r.target[0].upper()}{r.target[1:]} ({r.rda_mcg:g} mcg/day) delivers about "
             f"{r.rda_absorbed_mcg:g} mcg absorbed; this is {share_of(r.percent_of_rda_absorbed, 'that')}"],
            ["Sources", page.cite(r.sources)]]
    page.table([Column("Estimate", nowrap=True), Column("Value", 4)], rows)
    page.footnotes()
    page.notes(r.notes)


def _absorbed_cell(amount: float | None, low: float | None, high: float | None) -> str:
    if amount is None:
        return "with meals"
    if low is None or high is None or low == high:
        return f"{amount:g} mcg"
    return f"{amount:g} mcg ({low:g}-{high:g})"


def intake(r) -> None:  # noqa: ANN001 - an intake.IntakeResult
    page = Page()
    if r.warning:
        page.line(f"Warning: {r.warning}", "bold red")
    rows = []
    for i in r.items:
        name = i.name if i.kind == "supplement" else f"{i.name}: {i.serving}"
        label = " (check the label)" if i.caveats else ""
        rows.append([f"{name}{' (crystalline)' if i.crystalline else ''}{label}",
                     "-" if i.servings is None else f"{i.servings:g}", f"{i.mcg:g} mcg",
                     _absorbed_cell(i.absorbed_mcg, i.absorbed_mcg_low, i.absorbed_mcg_high), page.cite(i.sources)])
    page.table([Column("Item", 3), Column("Servings", align="right", nowrap=True),
                Column("B12", align="right", nowrap=True), Column("Absorbed", align="right", nowrap=True),
                Column("Sources")], rows)
    page.footnotes()
    t = r.target
    spread = "" if r.absorbed_mcg_low == r.absorbed_mcg_high else \
        f"; the sources' range {r.absorbed_mcg_low:g} to {r.absorbed_mcg_high:g} mcg"
    lines = [(f"Total {r.total_mcg:g} mcg: "
              f"{share_of(r.percent_of_target, f'the {t.mcg_per_day:g} mcg/day {t.kind}')} ({t.life_stage})",
              t.sources),
             (f"Absorbed, estimated: {r.absorbed_mcg:g} mcg ({r.absorbed_assumption}{spread})", ())]
    if r.crystalline_mcg is not None:
        lines.append((f"Crystalline (fortified foods and supplements): {r.crystalline_mcg:g} mcg, "
                      f"{share_of(r.crystalline_percent_of_target, 'the target')}", ()))
    page.bullets("The day", lines)
    page.bullets("Which food a word meant", [(i.chosen, ()) for i in r.items if i.chosen])
    page.bullets("Check the label", [(f"{i.name}: {c}", ()) for i in r.items for c in i.caveats])
    page.notes(r.notes)
