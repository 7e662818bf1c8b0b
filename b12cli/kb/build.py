"""Records from validated knowledge-base data: the YAML's mappings become the frozen types of
``domain.model``. Checks that span two files (the markers that thresholds and LOINC codes name)
run here, on every load, since each file is cached on its own."""

from __future__ import annotations

from b12cli.domain import rules
from b12cli.domain.bands import check_cover, cuts_of, parse_interval
from b12cli.domain.markers import Cb12Input, Marker, Registry, UnitDef, UnitGuess
from b12cli.domain.model import (
    Absorption,
    AbsorptionPoint,
    Band,
    ChangeFigures,
    Combination,
    Food,
    FoodAbsorption,
    Foods,
    Guideline,
    Intake,
    IntakeDefault,
    Intakes,
    LifeStage,
    Loinc,
    LoincCode,
    MarkerBands,
    MedicationClass,
    Medications,
    Message,
    NameNote,
    Risk,
    RiskFactor,
    RiskSymptom,
    Scale,
    Scheme,
    Source,
    Thresholds,
    Topic,
    Urgency,
    Variation,
)
from b12cli.domain.vocab import Cited
from b12cli.errors import KnowledgeBaseError


def build_markers(data: dict) -> Registry:
    markers = []
    for m in data["markers"]:
        units = tuple(UnitDef(u["unit"], float(u["multiply"]), float(u["divide"]), tuple(u["aliases"]))
                      for u in m["units"])
        guess = UnitGuess(float(m["unit_guess"]["at_least"]), m["unit_guess"]["unit"]) if m["unit_guess"] else None
        cb12 = Cb12Input(m["cb12"]["unit"], m["cb12"]["side"]) if m["cb12"] else None
        markers.append(Marker(m["id"], m["label"], m["name"], m["canonical_unit"], units,
                              (float(m["plausible"][0]), float(m["plausible"][1])), guess, m["role"], cb12,
                              tuple(m["options"]), tuple(m["headers"]), tuple(m["stems"]), m["limit_example"],
                              tuple(m["sources"])))
    return Registry(tuple(markers))


def _messages(items: list[dict]) -> dict[str, Message]:
    return {m["id"]: Message(m["id"], m["text"], tuple(m["sources"])) for m in items}


def _marker_bands(marker: str, spec: dict) -> MarkerBands:
    bands = tuple(Band(b["status"], parse_interval(b["range"]), tuple(b["sources"])) for b in spec["bands"])
    problem = check_cover([b.interval for b in bands])
    if problem:  # checked again here: cached data is never believed to hold bands that leave a gap
        raise KnowledgeBaseError(f"thresholds: {marker}: {problem}")
    published = {}
    for unit, ranges in spec.get("published", {}).items():
        scaled = tuple(b._replace(interval=parse_interval(r)) for b, r in zip(bands, ranges))
        published[unit] = Scale(unit, scaled, cuts_of([b.interval for b in scaled]))
    return MarkerBands(marker, spec["unit"], tuple(spec["notes"]), bands, cuts_of([b.interval for b in bands]),
                       published)


def _tuples(record: dict, *keys: str) -> dict:
    return {k: tuple(v) if k in keys else v for k, v in record.items()}


def build_intakes(data: dict) -> Intakes:
    def table(rows: list[dict]) -> tuple[LifeStage, ...]:
        return tuple(LifeStage(**_tuples(r, "notes", "sources")) for r in rows)

    us = table(data["life_stages"])
    guidelines = {g["id"]: Guideline(g["id"], g["name"], g["short"], tuple(g["sources"]),
                                     us if g["id"] == "us" else table(g["life_stages"]))
                  for g in data["guidelines"]}
    return Intakes(data["unit"], us, _messages(data["messages"]), guidelines, "us")


def build_foods(data: dict) -> Foods:
    def food(record: dict) -> Food:
        fields = _tuples(record, "notes", "sources", "aliases")
        measured = fields.get("absorption")
        if measured is not None:
            fields["absorption"] = FoodAbsorption(**_tuples(measured, "sources"))
        return Food(**fields)

    foods = tuple(food(f) for f in data["foods"])
    dv = data["daily_value"]
    return Foods(dv["mcg"], tuple(dv["sources"]), foods, _messages(data["messages"]))


def _med_class(c: dict) -> MedicationClass:
    record = _tuples(c, "generic_names", "brand_names", "notes", "sources")
    record["name_notes"] = tuple(NameNote(tuple(n["names"]), n["text"], tuple(n["sources"])) for n in c["name_notes"])
    record["brand_generics"] = {b["brand"]: b["generic"] for b in c["brand_generics"]}
    record["other_names"] = {o["name"]: o["generic"] for o in c["other_names"]}
    return MedicationClass(**record)


def build_medications(data: dict) -> Medications:
    classes = tuple(_med_class(c) for c in data["classes"])
    combinations = tuple(Combination(**_tuples(c, "ingredients", "sources")) for c in data["combinations"])
    return Medications(classes, _messages(data["messages"]), combinations)


def build_thresholds(data: dict, registry: Registry) -> Thresholds:
    check_markers_named(registry, data)
    schemes = {
        s["id"]: Scheme(s["id"], s["title"], s["description"], tuple(s["sources"]),
                        {m: _marker_bands(m, spec) for m, spec in s["markers"].items()})
        for s in data["schemes"]
    }
    cb12 = data["cb12"]
    urgency = tuple(Urgency(u["marker"], parse_interval(u["range"]), u["message"], tuple(u["sources"]))
                    for u in data["urgency"])
    return Thresholds(registry, data["disclaimer"], schemes, tuple(cb12["sources"]), tuple(cb12["notes"]),
                      _marker_bands("cb12", {"unit": "", "notes": [], "bands": cb12["bands"]}), urgency,
                      _messages(data["messages"]))


def build_topics(data: dict) -> tuple[Topic, ...]:
    return tuple(
        Topic(t["id"], t["title"], t["summary"], tuple(t["aliases"]),
              tuple(Cited(p["text"], tuple(p["sources"])) for p in t["points"]))
        for t in data["topics"]
    )


def build_sources(data: dict) -> dict[str, Source]:
    return {s["id"]: Source(**{**s, "notes": tuple(s["notes"])}) for s in data["sources"]}


def build_loinc(data: dict, registry: Registry) -> Loinc:
    for i, c in enumerate(data["codes"]):
        if c["marker"] not in registry:
            raise KnowledgeBaseError(f"loinc.yaml: codes[{i}].marker: {c['marker']!r} is not a marker of markers.yaml "
                                     f"(expected one of {', '.join(registry.ids)})")
    codes = {c["code"]: LoincCode(c["code"], c["marker"], c["name"], tuple(c["sources"]), c["property"],
                                  c["specimen"], c["shortname"]) for c in data["codes"]}
    return Loinc(data["system"], codes, tuple(data["notes"]), {c["code"]: c["why"] for c in data["not_markers"]})


def build_risk(data: dict) -> Risk:
    symptoms = tuple(RiskSymptom(**_tuples(s, "aliases", "listed_by", "sources")) for s in data["symptoms"])
    factors = tuple(RiskFactor(**_tuples(f, "aliases", "medication_classes", "listed_by", "sources"))
                    for f in data["factors"])
    return Risk(symptoms, factors, _messages(data["messages"]))


def build_absorption(data: dict) -> Absorption:
    points = tuple(AbsorptionPoint(**_tuples(p, "sources")) for p in data["points"])
    sat, passive, spacing, ref = data["saturation"], data["passive"], data["spacing"], data["reference"]

    def cited(key: str, part: dict) -> Message:
        return Message(key, part["text"], tuple(part["sources"]))

    spread, food = data["range"], data["food_fit"]
    return Absorption(points, sat["low_mcg"], sat["high_mcg"], cited("saturation", sat), passive["fraction"],
                      cited("passive", passive), spacing["hours"], cited("spacing", spacing), data["max_dose_mcg"],
                      ref["rda_mcg"], ref["assumed_fraction"], cited("reference", ref), _messages(data["messages"]),
                      spread["below_first_high_fraction"], spread["passive_fraction_high"],
                      spread["no_if_low_fraction"], cited("range", spread), food["coefficient"], food["exponent"],
                      food["max_measured_dose_mcg"], cited("food_fit", food))


def build_intake(data: dict) -> Intake:
    return Intake(tuple(IntakeDefault(**_tuples(d, "sources")) for d in data["defaults"]), _messages(data["messages"]))


def check_markers_named(registry: Registry, data: dict) -> None:
    """Every scheme gives bands for exactly the registry's markers, each in its canonical unit, and every
    published scale and urgency rule names a marker and unit the registry knows."""
    for i, scheme in enumerate(data["schemes"]):
        given = set(scheme["markers"])
        missing, extra = [m for m in registry.ids if m not in given], sorted(given - set(registry.ids))
        where = f"thresholds.yaml: schemes[{i}].markers"
        if missing:
            raise KnowledgeBaseError(f"{where}: no bands for {', '.join(missing)} (markers.yaml lists it)")
        if extra:
            raise KnowledgeBaseError(f"{where}.{extra[0]}: not a marker of markers.yaml "
                                     f"(expected one of {', '.join(registry.ids)})")
        for marker_id, spec in scheme["markers"].items():
            marker = registry.get(marker_id)
            if spec["unit"] != marker.canonical_unit:
                raise KnowledgeBaseError(f"{where}.{marker_id}.unit: expected the canonical unit "
                                         f"{marker.canonical_unit!r} of markers.yaml, got {spec['unit']!r}")
            check_published(marker, spec, f"{where}.{marker_id}.published")
    for i, rule in enumerate(data["urgency"]):
        if rule["marker"] not in registry:
            raise KnowledgeBaseError(f"thresholds.yaml: urgency[{i}].marker: {rule['marker']!r} is not a marker of "
                                     "markers.yaml")


def check_published(marker: Marker, spec: dict, path: str) -> None:
    """Edges as a source published them in another unit: each within 1% of the canonical edge once
    converted (so a typo in either cannot slip through)."""
    for unit, ranges in spec["published"].items():
        if unit not in marker.unit_names or unit == marker.canonical_unit:
            others = [u for u in marker.unit_names if u != marker.canonical_unit]
            raise KnowledgeBaseError(f"thresholds.yaml: {path}.{unit}: expected a unit of {marker.id} other than the "
                                     f"canonical one, one of {', '.join(others) or '(none)'}")
        for i, (band, text) in enumerate(zip(spec["bands"], ranges)):
            ours, theirs = parse_interval(band["range"]), parse_interval(text)
            for end in ("lower", "upper"):
                a, b = getattr(ours, end), marker.to_canonical(getattr(theirs, end), unit)
                if a != b and not abs(a - b) <= 0.01 * abs(a):
                    raise KnowledgeBaseError(f"thresholds.yaml: {path}.{unit}[{i}]: the {end} end is {b:g} "
                                             f"{marker.canonical_unit} once converted, more than 1% from the band's "
                                             f"{a:g}")


def _condition(data: dict, record: dict) -> rules.Condition:
    groups = data["groups"]

    def pairs(mapping: dict) -> tuple[tuple[str, frozenset[str]], ...]:
        return tuple((var, frozenset(groups[allowed] if isinstance(allowed, str) else allowed))
                     for var, allowed in mapping.items())

    return rules.Condition(pairs(record.get("when", {})), tuple(pairs(g) for g in record.get("any", [])))


def _words(mapping: dict) -> str:
    def one(var: str, allowed: str | list[str]) -> str:
        if isinstance(allowed, str):
            return f"{var} {allowed}"
        return f"{var} {allowed[0]}" if len(allowed) == 1 else f"{var} in {{{', '.join(allowed)}}}"

    return " and ".join(one(var, allowed) for var, allowed in mapping.items())


def condition_words(record: dict) -> str:
    """A rule's condition as a clinician reads it in `b12 rules`: "mma raised and (b12 deficient or ...)"."""
    parts = [_words(record["when"])] if record.get("when") else []
    groups = [_words(g) for g in record.get("any", [])]
    if groups:
        either = " or ".join(f"({g})" if " and " in g else g for g in groups)
        parts.append(f"({either})" if parts and len(groups) > 1 else either)
    return " and ".join(parts) or "always"


def build_rules(data: dict, registry: Registry) -> rules.Rules:
    for var in data["states"]:
        if var not in registry.ids:
            raise KnowledgeBaseError(f"rules.yaml: states.{var}: not a marker of the registry (markers.yaml)")
    for var in data["far_edges"]:
        if var not in registry.ids:
            raise KnowledgeBaseError(f"rules.yaml: far_edges.{var}: not a marker of the registry (markers.yaml)")
    egfr = data["egfr_bands"]
    bands = [(b["state"], parse_interval(b["range"])) for b in egfr["bands"]]
    problem = check_cover([interval for _, interval in bands])
    if problem:
        raise KnowledgeBaseError(f"rules.yaml: egfr_bands: {problem}")
    states = {var: tuple(values) for var, values in [*data["states"].items(), *data["context"].items()]}
    made = tuple(
        rules.Rule(r["id"], r["name"], _condition(data, r), r["verdict"], tuple(r["overrides"]), r["reason"],
                   tuple(r["steps"]), tuple(r["sources"]), r["note"], condition_words(r)) for r in data["rules"])
    steps = {s["id"]: rules.RuleStep(s["id"], s["text"], tuple(s["asks_for"]), s["urgent"],
                                     None if s["show_when"] is None else _condition(data, s["show_when"]),
                                     tuple(s["sources"])) for s in data["steps"]}
    settled = {var: {state: Cited(c["text"], tuple(c["sources"])) for state, c in by_state.items()}
               for var, by_state in data["settled"].items()}
    notes = tuple(rules.RuleNote(n["id"], _condition(data, n), n["text"], tuple(n["sources"])) for n in data["notes"])
    far = {m: rules.FarEdge(m, e["above"], e["kind"], tuple(e["sources"]), e["note"])
           for m, e in data["far_edges"].items()}
    egfr_bands = rules.EgfrBands(egfr["unit"], tuple(egfr["plausible"]), tuple(state for state, _ in bands),
                                 cuts_of([interval for _, interval in bands]), tuple(egfr["sources"]))
    return rules.Rules(states, egfr_bands, far, made, dict(data["cb12_map"]),
                       Cited(data["cb12_note"], tuple(data["cb12_sources"])), steps, tuple(data["extra_steps"]),
                       settled, notes, {name: tuple(states) for name, states in data["groups"].items()})


def build_variation(data: dict, registry: Registry) -> Variation:
    """Reference change values; every marker named is one the registry knows (checked on every load)."""
    figures = {}
    for i, m in enumerate(data["markers"]):
        if m["marker"] not in registry.ids:
            raise KnowledgeBaseError(f"variation.yaml: markers[{i}].marker: {m['marker']!r} is not a marker of "
                                     f"markers.yaml ({', '.join(registry.ids)})")
        notes = tuple(Cited(n["text"], tuple(n["sources"])) for n in m["notes"])
        figures[m["marker"]] = ChangeFigures(m["marker"], m["cv_analytical"], m["cv_within"], m["text"],
                                             tuple(m["sources"]), notes)
    method = Cited(data["method"]["text"], tuple(data["method"]["sources"]))
    return Variation(data["model"], data["confidence_percent"], data["z"], method, figures,
                     _messages(data["messages"]))
