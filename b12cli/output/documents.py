"""JSON documents and CSV rows: result objects in, plain data out. No Rich here.

Each ``*_json`` function returns the document of one command (one schema id per shape); the key
sets are the contract and are pinned by tests. ``*_rows`` give a command's CSV rows, and
``CSV_HEADERS`` their columns. ``marker_json`` is the one shape of a lab marker, in single queries,
batch records and history panels alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator

from b12cli.domain.numbers import share_text

if TYPE_CHECKING:  # result types only; importing them here would slow every command's start-up
    from b12cli.domain.about import AboutResult
    from b12cli.domain.foods import FoodsResult
    from b12cli.domain.history import History, Where
    from b12cli.domain.labs import CB12, LabAssessment, MarkerResult
    from b12cli.domain.meds import LookupResult, Match, MedsResult
    from b12cli.domain.model import LifeStage, MedicationClass, Source
    from b12cli.domain.rda import RdaResult
    from b12cli.domain.search import SearchResult
    from b12cli.domain.vocab import Cited


# A document's version rises when a key is removed or changes meaning (adding keys keeps it).
VERSIONS = {"meds": 2, "risk": 2, "risk.list": 2}


def envelope(command: str, **body: Any) -> dict:
    """A document: ``{"schema": "b12.<command>/<version>", ...}`` (``command`` may name a shape: ``meds.classes``)."""
    return {"schema": f"b12.{command}/{VERSIONS.get(command, 1)}", **body}


# ----------------------------------------------------------------- rda


def stage_json(stage: LifeStage, unit: str) -> dict:
    return {"id": stage.id, "life_stage": stage.life_stage, "ages": stage.ages, "mcg_per_day": stage.mcg_per_day,
            "unit": unit, "kind": stage.kind, "notes": list(stage.notes), "sources": list(stage.sources)}


def rda_json(r: RdaResult) -> dict:
    query = {"age_years": r.age.years if r.age else None, "completed_months": r.age.months if r.age else None,
             "condition": r.condition, "guideline": r.guideline}
    return envelope("rda", query=query, items=[stage_json(s, r.unit) for s in r.items], notes=list(r.notes))


# ----------------------------------------------------------------- foods


def food_json(item, with_servings: bool, marks_crystalline: bool = False) -> dict:
    f = item.food
    out = {"id": f.id, "name": f.name, "serving": f.serving, "serving_g": f.serving_g,
           "mcg_per_serving": f.mcg_per_serving, "mcg_per_100g": f.mcg_per_100g, "percent_dv": item.percent_dv,
           "percent_dv_text": share_text(item.percent_dv), "brand_dependent": f.brand_dependent,
           "caveats": list(f.caveats),
           "category": f.category, "vegan": f.vegan, "vegetarian": f.vegetarian, "fortified": f.fortified,
           "aliases": list(f.aliases), "notes": list(f.notes), "sources": list(f.sources)}
    if with_servings:
        out["servings_for_rda"] = item.servings_for_rda
    if marks_crystalline:
        out["crystalline_b12"] = item.crystalline
    return out


def foods_json(r: FoodsResult) -> dict:
    target = None
    if r.target is not None:
        t = r.target
        target = {"mcg_per_day": t.mcg_per_day, "unit": "mcg", "stage_id": t.stage_id, "life_stage": t.life_stage,
                  "age_years": t.age_years, "condition": t.condition, "guideline": t.guideline}
    return envelope("foods", daily_value_mcg=r.daily_value_mcg, target=target,
                    items=[food_json(i, r.with_servings, r.marks_crystalline) for i in r.items], notes=list(r.notes))


def foods_csv_header(r: FoodsResult) -> tuple[str, ...]:
    """The foods columns, plus servings_for_rda and crystalline_b12 when they were worked out."""
    return (CSV_HEADERS["foods"] + (("servings_for_rda",) if r.with_servings else ())
            + (("crystalline_b12",) if r.marks_crystalline else ()))


# ----------------------------------------------------------------- meds


def med_class_json(c: MedicationClass) -> dict:
    return {"id": c.id, "name": c.name, "generic_names": list(c.generic_names), "brand_names": list(c.brand_names),
            "effect": c.effect, "advice": c.advice, "notes": list(c.notes), "sources": list(c.sources)}


def match_json(m: Match | None) -> dict | None:
    if m is None:
        return None
    c = m.med_class
    return {"name": m.name, "generic": m.generic, "matched_as": m.matched_as, "class_id": c.id, "class_name": c.name,
            "effect": c.effect, "advice": c.advice, "notes": list(c.notes), "sources": list(c.sources)}


def lookup_json(r: LookupResult) -> dict:
    return {"query": r.query, "argument": r.argument, "match": match_json(r.match),
            "also": [match_json(m) for m in r.also],
            "ingredients": None if r.ingredients is None else list(r.ingredients),
            "suggestions": list(r.suggestions), "note": r.note}


def meds_json(r: MedsResult) -> dict:
    """Look-ups are ``b12.meds/2`` (items under "items"); the listing of classes is ``b12.meds.classes/1``."""
    if r.results is None:
        return envelope("meds.classes", items=[med_class_json(c) for c in r.classes], notes=list(r.notes))
    return envelope("meds", items=[lookup_json(x) for x in r.results], notes=list(r.notes))


# ----------------------------------------------------------------- labs


def cited_json(c: Cited) -> dict:
    return {"text": c.text, "sources": list(c.sources)}


def cb12_json(c: CB12 | None) -> dict | None:
    return None if c is None else {"value": c.value + 0.0, "category": c.category, "sources": list(c.sources)}


# ``cb12_json`` as compact JSON, written directly (json writes a float as its ``repr``, as %r does): a batch
# writes one per row, and ``json.dumps`` of the mapping costs ~8% of a batch run. (value, category, sources)
CB12_RECORD = '{"value":%r,"category":"%s","sources":%s}'


def cb12_text(c: CB12, sources_json: str) -> str:
    return CB12_RECORD % (c.value + 0.0, c.category, sources_json)


def marker_json(m: MarkerResult) -> dict:
    others = [{"scheme": o.scheme, "status": o.status, "reference": o.reference, "sources": list(o.sources)}
              for o in m.other_schemes]
    return {"marker": m.marker, "value": m.value, "unit": m.unit, "canonical_value": m.canonical_value,
            "canonical_unit": m.canonical_unit, "status": m.status, "lab_flag": m.lab_flag, "far_above": m.far_above,
            "could_be": list(m.could_be), "reference": m.reference, "sources": list(m.sources),
            "censored": m.censored, "printed_flag": m.printed_flag, "other_schemes": others}


def verdicts_json(by_scheme: Iterable) -> dict[str, str]:  # noqa: ANN001 - labs.SchemeVerdict items
    return {v.scheme: v.verdict for v in by_scheme}


def context_json(c) -> dict:  # noqa: ANN001 - a labs.Context
    return {"egfr": c.egfr, "taking_b12": c.taking_b12, "nitrous_oxide": c.nitrous_oxide, "pregnant": c.pregnant}


def labs_json(a: LabAssessment) -> dict:
    steps = [{**cited_json(s), "urgent": s.urgent} for s in a.next_steps]
    decided = {"scheme": a.decided_by.scheme, "rule": a.decided_by.rule} if a.decided_by else None
    return envelope("labs", scheme=a.scheme, scheme_decides=a.chosen, age=a.age, context=context_json(a.context),
                    markers=[marker_json(m) for m in a.markers], verdict=a.verdict,
                    verdict_by_scheme=verdicts_json(a.by_scheme),
                    rule_by_scheme={v.scheme: v.rule for v in a.by_scheme},
                    decided_by=decided, urgent=a.urgent, reasons=[cited_json(c) for c in a.reasons],
                    settled=[cited_json(c) for c in a.settled], next_steps=steps, cb12=cb12_json(a.cb12),
                    notes=list(a.notes), disclaimer=a.disclaimer)


ROW_SCHEMA = "b12.labs.row/1"
ERROR_SCHEMA = "b12.labs.error/1"  # a record that could not be interpreted: another shape, another id


# A row record from its parts, each already JSON text: the one writer of row records, so that a batch row
# and a single query (``--format jsonl``) write the same bytes. A %-template, as a batch fills it 200,000
# times:
# (line, input, markers joined by commas, verdict, verdict_by_scheme, cb12, urgent as true/false).
ROW_RECORD = (f'{{"schema":"{ROW_SCHEMA}","line":%s,"input":%s,"markers":[%s],"verdict":"%s",'
              '"verdict_by_scheme":%s,"cb12":%s,"urgent":%s}')
ERROR_RECORD = f'{{"schema":"{ERROR_SCHEMA}","line":%s,"input":%s,"error":%s}}'
JSON_BOOL = ("false", "true")


def row_record(line: int | None, input_json: str, markers: Iterable[str], verdict: str, by_scheme: str, cb12: str,
               urgent: bool) -> str:
    return ROW_RECORD % ("null" if line is None else line, input_json, ",".join(markers), verdict, by_scheme, cb12,
                         JSON_BOOL[urgent])


READINGS = ("documents", "nice", "lab")  # the verdict_SCHEME columns of the CSV layout


def labs_csv_status(reading_ids: Iterable[str] = READINGS) -> tuple[str, ...]:
    return ("verdict", *(f"verdict_{r}" for r in reading_ids), "cb12", "cb12_category", "urgent", "error")


LABS_CSV_STATUS = labs_csv_status()


def labs_row_csv(registry_ids: Iterable[str], inputs: dict[str, str], a: LabAssessment) -> dict:
    """A single query as one row of the batch CSV layout: the values as given, then the statuses."""
    status = {m.marker: m.status for m in a.markers}
    row: dict[str, Any] = dict(inputs)
    row.update({f"{m}_status": status.get(m) for m in registry_ids})
    row.update(verdict=a.verdict, cb12=a.cb12.value if a.cb12 else None,
               cb12_category=a.cb12.category if a.cb12 else None, urgent=a.urgent, error=None)
    row.update({f"verdict_{v.scheme}": v.verdict for v in a.by_scheme})
    return row


# ----------------------------------------------------------------- sources, about, search


def source_json(s: Source) -> dict:
    return {"id": s.id, "title": s.title, "author": s.author, "publisher": s.publisher, "year": s.year,
            "url": s.url, "kind": s.kind, "notes": list(s.notes)}


def sources_json(sources: Iterable[Source]) -> dict:
    return envelope("sources", items=[source_json(s) for s in sources], notes=[])


def about_json(r: AboutResult) -> dict:
    if r.topic is None:
        items = [{"id": t.id, "title": t.title, "summary": t.summary, "points": len(t.points)} for t in r.topics]
        return envelope("about", items=items, notes=[])
    t = r.topic
    return envelope("about.topic", id=t.id, title=t.title, summary=t.summary,
                    items=[{"text": p.text, "sources": list(p.sources)} for p in t.points], notes=[])


def search_json(r: SearchResult) -> dict:
    items = [{"kind": h.kind, "id": h.id, "title": h.title, "where": h.where, "text": h.text,
              "sources": list(h.sources)} for h in r.hits]
    return envelope("search", query=r.query, items=items, notes=list(r.notes))


# ----------------------------------------------------------------- history


def where_json(where: Where) -> dict:
    return {"file": where.file, "line": where.line, "entry": where.entry}


def person_json(person) -> dict:  # noqa: ANN001 - a history.Person
    panels = [{"date": p.date, "markers": [marker_json(m) for m in p.assessment.markers],
               "verdict": p.assessment.verdict, "verdict_by_scheme": verdicts_json(p.assessment.by_scheme),
               "cb12": cb12_json(p.assessment.cb12),
               "abnormal": p.assessment.abnormal, "urgent": p.assessment.urgent,
               "sources": [where_json(w) for w in p.sources]} for p in person.panels]
    trend = [{"marker": t.marker, "unit": t.unit,
              "first": {"date": t.first.date, "value": t.first.value, "comparator": t.first.comparator},
              "latest": {"date": t.latest.date, "value": t.latest.value, "comparator": t.latest.comparator},
              "change": t.change, "direction": t.direction, "points": len(t.values),
              "change_percent": t.change_percent, "significance": t.significance, "reason": t.reason,
              "rcv": rcv_json(t.limits), "steps": [step_json(s) for s in t.steps], "summary": t.summary}
             for t in person.trends]
    return {"id": person.id, "panels": panels, "trend": trend}


def end_json(e) -> dict:  # noqa: ANN001 - a variation.End
    return {"date": e.date, "value": e.value, "comparator": e.comparator}


def step_json(s) -> dict:  # noqa: ANN001 - a variation.Step
    return {"from": end_json(s.start), "to": end_json(s.end), "change_percent": s.change_percent,
            "direction": s.direction, "significance": s.significance, "reason": s.reason}


def rcv_json(limits) -> dict | None:  # noqa: ANN001 - a variation.Limits or None
    """The reference change value applied: its limits in percent and the figures they come from."""
    if limits is None:
        return None
    f = limits.figures
    return {"fall_percent": limits.fall, "rise_percent": limits.rise, "cv_analytical": f.cv_analytical,
            "cv_within": f.cv_within, "z": limits.z, "confidence_percent": limits.confidence_percent,
            "model": limits.model, "laboratory": f.own, "text": f.text, "sources": list(f.sources)}


def history_pieces(h: History) -> Iterator[str]:
    """The ``b12.history/1`` document, written a person at a time: people are made as they are read,
    and the counts after them (functions here, called when reached) are complete by then."""
    from b12cli.output.streams import Items, json_pieces

    return json_pieces([
        ("schema", "b12.history/1"), ("scheme", h.scheme), ("people", Items(person_json(p) for p in h.people())),
        ("used", lambda: h.used), ("skipped", lambda: sum(h.skipped.values())),
        ("skipped_reasons", lambda: dict(h.skipped)),
        ("errors", Items(dict(where_json(e.where), reason=e.reason) for e in h.errors)),
        ("notes", lambda: list(h.notes)), ("disclaimer", h.disclaimer)])


def history_header(registry_ids: Iterable[str]) -> tuple[str, ...]:
    per_marker = tuple(f"{m}{suffix}" for m in registry_ids for suffix in ("", "_censored", "_unit", "_status"))
    return ("id", "date", *per_marker, "verdict", "cb12", "cb12_category", "abnormal", "urgent", "sources")


def history_rows(h: History) -> Iterator[dict]:
    """One CSV row per panel, a person at a time."""
    for person in h.people():
        for panel in person.panels:
            a = panel.assessment
            row: dict[str, Any] = {"id": person.id, "date": panel.date}
            for m in a.markers:
                row.update({m.marker: m.value, f"{m.marker}_censored": m.censored, f"{m.marker}_unit": m.unit,
                            f"{m.marker}_status": m.status})
            row.update(verdict=a.verdict, cb12=a.cb12.value if a.cb12 else None,
                       cb12_category=a.cb12.category if a.cb12 else None, abnormal=a.abnormal, urgent=a.urgent,
                       sources=[" ".join(str(x) for x in (w.file, w.line, w.entry) if x is not None)
                                for w in panel.sources])
            yield row


def list_rows(document: dict) -> list[dict]:
    """The rows of a list document (its ``items``), flattened for CSV where an item nests a match."""
    return [_flatten(row) for row in document.get("items", [])]


# ----------------------------------------------------------------- decision commands: risk, absorb, intake


def message_json(m) -> dict | None:  # noqa: ANN001 - a kb.Message or None
    return None if m is None else {"text": m.text, "sources": list(m.sources)}


def risk_list_json(r) -> dict:  # noqa: ANN001 - a risk.RiskList
    items = [{"kind": "symptom", "id": s.id, "name": s.name, "aliases": list(s.aliases), "urgency": s.urgency,
              "escalates": None, "counts_for_testing": s.counts_for_testing, "listed_by": list(s.listed_by),
              "advice": None, "text": s.text, "sources": list(s.sources)} for s in r.symptoms]
    items += [{"kind": "factor", "id": f.id, "name": f.name, "aliases": list(f.aliases), "urgency": None,
               "escalates": f.escalates, "counts_for_testing": f.counts_for_testing, "listed_by": list(f.listed_by),
               "advice": f.advice, "text": f.text, "sources": list(f.sources)} for f in r.factors]
    return envelope("risk.list", items=items, notes=list(r.notes))


def risk_json(r) -> dict:  # noqa: ANN001 - a risk.RiskResult
    q = r.query
    query = {"symptoms": list(q.symptoms), "factors": list(q.factors), "age_years": q.age_years, "diet": q.diet,
             "meds": list(q.meds), "pregnant": q.pregnant, "breastfeeding": q.breastfeeding,
             "taking_b12": q.taking_b12}
    items = [{"kind": x.kind, "id": x.id, "name": x.name, "given_as": x.given_as, "urgency": x.urgency,
              "escalates": x.escalates, "counts_for_testing": x.counts_for_testing, "listed_by": list(x.listed_by),
              "text": x.text, "sources": list(x.sources), "advice": r.advice, "testing": r.testing,
              "urgency_overall": r.urgency} for x in r.reasons]
    medicines = [{"query": m.query, "listed_as": m.listed_as, "class_id": m.class_id, "factor_id": m.factor_id,
                  "suggestions": list(m.suggestions), "note": m.note} for m in r.medicines]
    factor_advice = [{"factors": list(a.factors), "id": a.message.id, "text": a.message.text,
                      "sources": list(a.message.sources)} for a in r.factor_advice]
    return envelope("risk", query=query, advice=r.advice, summary=message_json(r.summary), testing=r.testing,
                    testing_text=message_json(r.testing_text), urgency=r.urgency,
                    urgency_text=message_json(r.urgency_text), items=items, factor_advice=factor_advice,
                    on_b12=message_json(r.on_b12), first_test=message_json(r.first_test),
                    if_indeterminate=message_json(r.if_indeterminate), medicines=medicines, notes=list(r.notes),
                    disclaimer=r.disclaimer)


def risk_rows(r) -> list[dict]:  # noqa: ANN001 - a risk.RiskResult
    """CSV: one row per matched symptom or factor (one row of the decision when nothing matched)."""
    return risk_json(r)["items"] or [{"advice": r.advice, "testing": r.testing, "urgency_overall": r.urgency}]


def absorb_json(r) -> dict:  # noqa: ANN001 - an absorb.AbsorbResult
    q, d = r.query, r.per_dose
    query = {"dose_mcg": q.dose_mcg, "per_day": q.per_day, "weekly": q.weekly, "intrinsic_factor": q.intrinsic_factor,
             "life_stage": q.stage.id if q.stage else None}
    item = {"dose_mcg": d.dose_mcg, "absorbed_mcg_per_dose": d.absorbed_mcg, "absorbed_mcg_low": d.low_mcg,
            "absorbed_mcg_high": d.high_mcg, "fraction_absorbed": d.fraction,
            "model": d.model, "doses_per_day": r.doses_per_day, "absorbed_mcg_per_day": r.absorbed_per_day_mcg,
            "absorbed_mcg_per_day_low": r.absorbed_per_day_low_mcg,
            "absorbed_mcg_per_day_high": r.absorbed_per_day_high_mcg,
            "rda_mcg": r.rda_mcg, "rda_absorbed_mcg_per_day": r.rda_absorbed_mcg,
            "percent_of_rda_absorbed": r.percent_of_rda_absorbed,
            "percent_of_rda_absorbed_text": share_text(r.percent_of_rda_absorbed), "sources": list(r.sources)}
    return envelope("absorb", query=query, items=[item], notes=list(r.notes))


def intake_json(r) -> dict:  # noqa: ANN001 - an intake.IntakeResult
    q = r.query
    query = {"foods": list(q.foods), "supplements_mcg": list(q.supplements_mcg),
             "age_years": q.age.years if q.age else None, "completed_months": q.age.months if q.age else None,
             "condition": r.condition, "meals": q.meals, "intrinsic_factor": q.intrinsic_factor}
    items = [{"kind": i.kind, "query": i.query, "id": i.id, "name": i.name, "servings": i.servings,
              "serving": i.serving, "mcg": i.mcg, "crystalline": i.crystalline, "absorbed_mcg": i.absorbed_mcg,
              "absorbed_mcg_low": i.absorbed_mcg_low, "absorbed_mcg_high": i.absorbed_mcg_high,
              "chosen": i.chosen, "also_fits": list(i.also_fits), "caveats": list(i.caveats),
              "sources": list(i.sources)} for i in r.items]
    t = r.target
    target = {"id": t.id, "life_stage": t.life_stage, "mcg_per_day": t.mcg_per_day, "kind": t.kind,
              "guideline": r.guideline, "notes": list(t.notes), "sources": list(t.sources)}
    crystalline = None if r.crystalline_mcg is None else {
        "mcg": r.crystalline_mcg, "percent_of_target": r.crystalline_percent_of_target,
        "percent_of_target_text": share_text(r.crystalline_percent_of_target)}
    return envelope("intake", query=query, warning=r.warning, items=items, total_mcg=r.total_mcg, target=target,
                    percent_of_target=r.percent_of_target, percent_of_target_text=share_text(r.percent_of_target),
                    absorbed={"mcg": r.absorbed_mcg, "mcg_low": r.absorbed_mcg_low, "mcg_high": r.absorbed_mcg_high,
                              "assumption": r.absorbed_assumption},
                    crystalline=crystalline, notes=list(r.notes))


def _flatten(row: dict) -> dict:
    match = row.get("match", False)
    if match is False:
        return row
    flat = {k: v for k, v in row.items() if k != "match"}
    if "also" in flat:  # meds: a combination's other listed ingredients, as "name (class id)"
        flat["also"] = [f"{m['name']} ({m['class_id']})" for m in flat["also"]]
    for key, value in (match or {}).items():
        flat[f"match_{key}" if key in ("name", "notes", "sources") else key] = value
    return flat


CSV_HEADERS: dict[str, tuple[str, ...]] = {
    "rda": ("id", "life_stage", "ages", "mcg_per_day", "unit", "kind", "notes", "sources"),
    "foods": ("id", "name", "serving", "serving_g", "mcg_per_serving", "mcg_per_100g", "percent_dv", "category",
              "vegan", "vegetarian", "fortified", "aliases", "notes", "sources", "brand_dependent", "caveats"),
    "meds-list": ("id", "name", "generic_names", "brand_names", "effect", "advice", "notes", "sources"),
    "meds-lookup": ("query", "argument", "match_name", "generic", "matched_as", "class_id", "class_name", "effect",
                    "advice", "also", "ingredients", "suggestions", "note", "match_sources"),
    "sources": ("id", "title", "author", "publisher", "year", "url", "kind", "notes"),
    "about-list": ("id", "title", "summary", "points"),
    "about-topic": ("text", "sources"),
    "search": ("kind", "id", "title", "where", "text", "sources"),
    "risk-list": ("kind", "id", "name", "aliases", "urgency", "escalates", "counts_for_testing", "listed_by", "advice",
                  "text", "sources"),
    "risk": ("advice", "testing", "urgency_overall", "kind", "id", "name", "given_as", "urgency", "escalates",
             "counts_for_testing", "listed_by", "text", "sources"),
    "absorb": ("dose_mcg", "absorbed_mcg_per_dose", "absorbed_mcg_low", "absorbed_mcg_high", "fraction_absorbed",
               "model", "doses_per_day", "absorbed_mcg_per_day", "absorbed_mcg_per_day_low",
               "absorbed_mcg_per_day_high", "rda_mcg", "rda_absorbed_mcg_per_day", "percent_of_rda_absorbed",
               "sources"),
    "intake": ("kind", "query", "id", "name", "servings", "serving", "mcg", "crystalline", "absorbed_mcg",
               "absorbed_mcg_low", "absorbed_mcg_high", "chosen", "also_fits", "caveats", "sources"),
    "rules": ("id", "name", "when", "verdict", "overrides", "reason", "steps", "sources"),
}


# ----------------------------------------------------------------- the verdict table


def rules_json(t) -> dict:  # noqa: ANN001 - a rules.Rules
    """``b12 rules``: every row in order, and what the states are made from."""
    items = [{"id": r.id, "name": r.name, "when": r.when, "verdict": r.verdict, "overrides": list(r.overrides),
              "reason": r.reason, "steps": [t.steps[s].text for s in r.steps], "sources": list(r.sources)}
             for r in t.rules]
    far = [{"marker": e.marker, "above": e.above, "kind": e.kind, "note": e.note, "sources": list(e.sources)}
           for e in t.far_edges.values()]
    states = {var: list(values) for var, values in t.states.items()}
    notes = ["The first rule whose condition holds decides; each scheme (and your laboratory's ranges) is read "
             "once, and the most cautious verdict is reported unless --scheme names the one that decides.",
             "cB12 categories map one to one: " + ", ".join(f"{c} -> {v}" for c, v in t.cb12_map.items()) + "."]
    return envelope("rules", items=items, states=states, groups={g: list(v) for g, v in t.groups.items()},
                    far_edges=far,
                    egfr={"unit": t.egfr.unit, "states": list(t.egfr.states), "sources": list(t.egfr.sources)},
                    notes=notes)


def rules_rows(t) -> list[dict]:  # noqa: ANN001 - a rules.Rules
    return [dict(row, steps=" | ".join(row["steps"])) for row in rules_json(t)["items"]]
