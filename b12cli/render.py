"""JSON and CSV renderers: result objects in, text out. No Rich here.

Each ``*_json`` function returns the document for one command; the key sets are
the contract in the spec and are pinned by tests. ``*_rows`` give CSV rows.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # result types only; importing them here would slow every command's start-up
    from b12cli.about import AboutResult
    from b12cli.foods import FoodsResult
    from b12cli.history import History
    from b12cli.kb import LifeStage, MedicationClass, Source
    from b12cli.labs import CB12, Cited, LabAssessment
    from b12cli.meds import LookupResult, MedsResult
    from b12cli.rda import RdaResult
    from b12cli.search import SearchResult


def dumps(document: dict, compact: bool = False) -> str:
    if compact:
        return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2)


def envelope(command: str, **body: Any) -> dict:
    return {"schema": f"b12.{command}/1", **body}


# ----------------------------------------------------------------- rda


def stage_json(stage: LifeStage, unit: str) -> dict:
    return {"id": stage.id, "life_stage": stage.life_stage, "ages": stage.ages, "mcg_per_day": stage.mcg_per_day,
            "unit": unit, "kind": stage.kind, "notes": list(stage.notes), "sources": list(stage.sources)}


def rda_json(r: RdaResult) -> dict:
    query = {"age_years": r.age.years if r.age else None, "completed_months": r.age.months if r.age else None,
             "condition": r.condition}
    return envelope("rda", query=query, items=[stage_json(s, r.unit) for s in r.items], notes=list(r.notes))


# ----------------------------------------------------------------- foods


def food_json(item, with_servings: bool) -> dict:
    f = item.food
    out = {"name": f.name, "serving": f.serving, "mcg_per_serving": f.mcg_per_serving,
           "mcg_per_100g": f.mcg_per_100g, "percent_dv": item.percent_dv, "category": f.category,
           "vegan": f.vegan, "vegetarian": f.vegetarian, "fortified": f.fortified,
           "notes": list(f.notes), "sources": list(f.sources)}
    if with_servings:
        out["servings_for_rda"] = item.servings_for_rda
    return out


def foods_json(r: FoodsResult) -> dict:
    return envelope("foods", daily_value_mcg=r.daily_value_mcg,
                    items=[food_json(i, r.with_servings) for i in r.items], notes=list(r.notes))


# ----------------------------------------------------------------- meds


def med_class_json(c: MedicationClass) -> dict:
    return {"id": c.id, "name": c.name, "generic_names": list(c.generic_names), "brand_names": list(c.brand_names),
            "effect": c.effect, "advice": c.advice, "notes": list(c.notes), "sources": list(c.sources)}


def lookup_json(r: LookupResult) -> dict:
    match = None
    if r.match:
        c = r.match.med_class
        match = {"name": r.match.name, "matched_as": r.match.matched_as, "class_id": c.id, "class_name": c.name,
                 "effect": c.effect, "advice": c.advice, "notes": list(c.notes), "sources": list(c.sources)}
    return {"query": r.query, "match": match, "suggestions": list(r.suggestions), "note": r.note}


def meds_json(r: MedsResult) -> dict:
    if r.results is None:
        return envelope("meds", items=[med_class_json(c) for c in r.classes], notes=list(r.notes))
    return envelope("meds", results=[lookup_json(x) for x in r.results], notes=list(r.notes))


# ----------------------------------------------------------------- labs


def cited_json(c: Cited) -> dict:
    return {"text": c.text, "sources": list(c.sources)}


def cb12_json(c: CB12 | None) -> dict | None:
    return None if c is None else {"value": c.value, "category": c.category, "sources": list(c.sources)}


def labs_json(a: LabAssessment) -> dict:
    markers = [{"marker": m.marker, "value": m.value, "unit": m.unit, "canonical_value": m.canonical_value,
                "canonical_unit": m.canonical_unit, "status": m.status, "reference": m.reference,
                "sources": list(m.sources)} for m in a.markers]
    return envelope("labs", scheme=a.scheme, age=a.age, markers=markers, verdict=a.verdict,
                    reasons=[cited_json(c) for c in a.reasons], next_steps=[cited_json(c) for c in a.next_steps],
                    cb12=cb12_json(a.cb12), notes=list(a.notes), disclaimer=a.disclaimer)


# ----------------------------------------------------------------- sources, about, search


def source_json(s: Source) -> dict:
    return {"id": s.id, "title": s.title, "author": s.author, "publisher": s.publisher, "year": s.year,
            "url": s.url, "kind": s.kind}


def sources_json(sources: Iterable[Source]) -> dict:
    return envelope("sources", items=[source_json(s) for s in sources], notes=[])


def about_json(r: AboutResult) -> dict:
    if r.topic is None:
        items = [{"id": t.id, "title": t.title, "summary": t.summary, "points": len(t.points)} for t in r.topics]
        return envelope("about", items=items, notes=[])
    t = r.topic
    return envelope("about", id=t.id, title=t.title, summary=t.summary,
                    items=[{"text": p.text, "sources": list(p.sources)} for p in t.points], notes=[])


def search_json(r: SearchResult) -> dict:
    items = [{"kind": h.kind, "id": h.id, "title": h.title, "where": h.where, "text": h.text,
              "sources": list(h.sources)} for h in r.hits]
    return envelope("search", query=r.query, items=items, notes=[])


# ----------------------------------------------------------------- history


def where_json(where) -> dict:  # noqa: ANN001 - a fhir.Where
    return {"file": where.file, "line": where.line, "entry": where.entry}


def history_json(h: History) -> dict:
    people = []
    for person in h.people:
        panels = [{"date": p.date, "markers": labs_json(p.assessment)["markers"], "verdict": p.assessment.verdict,
                   "cb12": cb12_json(p.assessment.cb12), "abnormal": p.assessment.abnormal,
                   "sources": [where_json(w) for w in p.sources]} for p in person.panels]
        trend = [{"marker": t.marker, "unit": t.unit,
                  "first": {"date": t.first.date, "value": t.first.value, "comparator": t.first.comparator},
                  "latest": {"date": t.latest.date, "value": t.latest.value, "comparator": t.latest.comparator},
                  "change": t.change, "direction": t.direction, "points": len(t.values)} for t in person.trends]
        people.append({"id": person.id, "panels": panels, "trend": trend})
    errors = [dict(where_json(e.where), reason=e.reason) for e in h.errors]
    reasons: dict[str, int] = {}
    for s in h.skipped:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    return envelope("history", scheme=h.scheme, people=people, used=h.used, skipped=len(h.skipped),
                    skipped_reasons=reasons, errors=errors, notes=list(h.notes), disclaimer=h.disclaimer)


def history_rows(document: dict) -> list[dict]:
    """One CSV row per panel, from the JSON document."""
    rows = []
    for person in document["people"]:
        for panel in person["panels"]:
            row = {"id": person["id"], "date": panel["date"]}
            found = {m["marker"]: m for m in panel["markers"]}
            for marker in ("b12", "holotc", "mma", "hcy"):
                m = found.get(marker, {})
                row.update({marker: m.get("value"), f"{marker}_unit": m.get("unit"),
                            f"{marker}_status": m.get("status")})
            cb12 = panel["cb12"] or {}
            row.update(verdict=panel["verdict"], cb12=cb12.get("value"), cb12_category=cb12.get("category"),
                       abnormal=panel["abnormal"],
                       sources=[" ".join(str(x) for x in (s["file"], s["line"], s["entry"]) if x is not None)
                                for s in panel["sources"]])
            rows.append(row)
    return rows


# ----------------------------------------------------------------- CSV


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(v) for v in value)
    return str(value)


def csv_text(rows: Iterable[dict]) -> str:
    """Rows of one shape as CSV with a header (the keys of the first row)."""
    out = io.StringIO()
    writer = None
    for row in rows:
        if writer is None:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(list(row))
        writer.writerow([cell(v) for v in row.values()])
    return out.getvalue()


def csv_for(document: dict, header: list[str]) -> str:
    """A list document (``items`` or ``results``) as CSV; an empty list still has its header."""
    rows = document.get("items", document.get("results"))
    if not rows:
        return ",".join(header) + "\n"
    return csv_text({k: row.get(k) for k in header} for row in map(_flatten, rows))


def _flatten(row: dict) -> dict:
    match = row.get("match", False)
    if match is False:
        return row
    flat = {k: v for k, v in row.items() if k != "match"}
    for key, value in (match or {}).items():
        flat[f"match_{key}" if key in ("name", "notes", "sources") else key] = value
    return flat


CSV_HEADERS: dict[str, list[str]] = {
    "rda": ["id", "life_stage", "ages", "mcg_per_day", "unit", "kind", "notes", "sources"],
    "foods": ["name", "serving", "mcg_per_serving", "mcg_per_100g", "percent_dv", "category", "vegan",
              "vegetarian", "fortified", "notes", "sources"],
    "meds-list": ["id", "name", "generic_names", "brand_names", "effect", "advice", "notes", "sources"],
    "meds-lookup": ["query", "match_name", "matched_as", "class_id", "class_name", "effect", "advice",
                    "suggestions", "note", "match_sources"],
    "labs": ["marker", "value", "unit", "canonical_value", "canonical_unit", "status", "reference", "sources"],
    "sources": ["id", "title", "author", "publisher", "year", "url", "kind"],
    "about-list": ["id", "title", "summary", "points"],
    "about-topic": ["text", "sources"],
    "search": ["kind", "id", "title", "where", "text", "sources"],
    # b12 history: one row per panel
    "history": ["id", "date"] + [f"{m}{suffix}" for m in ("b12", "holotc", "mma", "hcy")
                                 for suffix in ("", "_unit", "_status")]
    + ["verdict", "cb12", "cb12_category", "abnormal", "sources"],
}
