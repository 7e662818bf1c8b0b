"""Validation of one knowledge-base file: strict shape, then meaning.

Imported only when a file is not in the compiled cache, so a normal run never
pays for it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from b12cli.domain.bands import IntervalError, check_cover, parse_interval
from b12cli.domain.markers import CB12_SIDES, ROLES, unit_key
from b12cli.domain.model import is_caveat
from b12cli.domain.vocab import CB12_CATEGORIES, DOCUMENT_IDS, MARKER_STATUSES, SOURCE_KINDS
from b12cli.kb import schema as S
from b12cli.kb.validate_rules import RULES_SHAPE, check_rules

SCHEMA_VERSION = 1

_SOURCE = S.fields(id=S.ident, title=S.text, author=S.nullable(S.text), publisher=S.nullable(S.text),
                   year=S.nullable(S.integer), url=S.nullable(S.text), kind=S.one_of(*SOURCE_KINDS),
                   notes=S.optional(S.NOTES, []))
GUIDELINES = ("us", "uk", "efsa")


def _life_stage(figure: S.Spec) -> S.Spec:
    return S.fields(id=S.ident, life_stage=S.text, ages=S.text,
                    condition=S.one_of("none", "pregnancy", "breastfeeding"), min_months=S.integer,
                    max_months=S.nullable(S.integer), mcg_per_day=figure,
                    kind=S.one_of("AI", "RDA", "RNI"), notes=S.NOTES, sources=S.SOURCES)


_LIFE_STAGE = _life_stage(S.non_negative)  # the US table: every figure held
_GUIDELINE = S.fields(id=S.one_of(*GUIDELINES), name=S.text, short=S.text, sources=S.SOURCES,
                      life_stages=S.optional(S.list_of(_life_stage(S.nullable(S.non_negative)), 1), None))
_FOOD = S.fields(id=S.ident, name=S.text, serving=S.text, mcg_per_serving=S.non_negative,
                 mcg_per_100g=S.nullable(S.non_negative),
                 category=S.one_of("organ-meat", "meat", "poultry", "fish", "shellfish", "dairy", "eggs",
                                   "fortified", "plant"),
                 vegan=S.boolean, vegetarian=S.boolean, fortified=S.boolean, notes=S.NOTES, sources=S.SOURCES,
                 serving_g=S.nullable(S.non_negative), aliases=S.list_of(S.text),
                 brand_dependent=S.optional(S.boolean, False),
                 absorption=S.optional(S.nullable(S.fields(measured_dose_mcg=S.positive, absorbed_mcg=S.positive,
                                                           absorbed_mcg_low=S.positive, absorbed_mcg_high=S.positive,
                                                           text=S.text, sources=S.SOURCES)), None))
_NAME_NOTE = S.fields(names=S.list_of(S.text, 1), text=S.text, sources=S.SOURCES)
_MED_CLASS = S.fields(id=S.ident, name=S.text, generic_names=S.list_of(S.text, 1), brand_names=S.list_of(S.text),
                      effect=S.text, advice=S.text, notes=S.NOTES, sources=S.SOURCES,
                      brand_generics=S.list_of(S.fields(brand=S.text, generic=S.text)),
                      name_notes=S.list_of(_NAME_NOTE),
                      other_names=S.list_of(S.fields(name=S.text, generic=S.text)))
_COMBINATION = S.fields(brand=S.text, ingredients=S.list_of(S.text, 2), region=S.text, sources=S.SOURCES)


def _bands_spec(statuses: tuple[str, ...]) -> S.Spec:
    return S.list_of(S.fields(status=S.one_of(*statuses), range=S.text, sources=S.SOURCES), 1)


_MARKER = S.fields(unit=S.text, notes=S.NOTES, published=S.mapping_of(S.text, S.list_of(S.text, 1)),
                   bands=_bands_spec(MARKER_STATUSES))
_URGENCY = S.fields(marker=S.ident, range=S.text, message=S.ident, sources=S.SOURCES)
_SCHEME = S.fields(id=S.ident, title=S.text, description=S.text, sources=S.SOURCES,
                   markers=S.mapping_of(S.ident, _MARKER))
_UNIT = S.fields(unit=S.text, multiply=S.positive, divide=S.positive, aliases=S.list_of(S.text))
_REGISTRY_MARKER = S.fields(
    id=S.ident, label=S.text, name=S.text, canonical_unit=S.text, units=S.list_of(_UNIT, 1),
    plausible=S.list_of(S.positive, 2), unit_guess=S.nullable(S.fields(at_least=S.positive, unit=S.text)),
    role=S.one_of(*ROLES), cb12=S.nullable(S.fields(unit=S.text, side=S.one_of(*CB12_SIDES))),
    options=S.list_of(S.option, 1), headers=S.list_of(S.text, 1), stems=S.list_of(S.text, 1), limit_example=S.text,
    sources=S.SOURCES)
_TOPIC = S.fields(id=S.ident, title=S.text, summary=S.text, aliases=S.list_of(S.text),
                  points=S.list_of(S.fields(text=S.text, sources=S.SOURCES), 1))

SHAPES: dict[str, S.Spec] = {
    "markers": S.fields(schema_version=S.integer, markers=S.list_of(_REGISTRY_MARKER, 1)),
    "sources": S.fields(schema_version=S.integer, sources=S.list_of(_SOURCE, 1)),
    "intakes": S.fields(schema_version=S.integer, unit=S.text, life_stages=S.list_of(_LIFE_STAGE, 1),
                        guidelines=S.list_of(_GUIDELINE, 1), messages=S.MESSAGES),
    "foods": S.fields(schema_version=S.integer,
                      daily_value=S.fields(mcg=S.non_negative, sources=S.SOURCES),
                      messages=S.MESSAGES, foods=S.list_of(_FOOD, 1)),
    "medications": S.fields(schema_version=S.integer, messages=S.MESSAGES, combinations=S.list_of(_COMBINATION),
                            classes=S.list_of(_MED_CLASS, 1)),
    "thresholds": S.fields(schema_version=S.integer, disclaimer=S.text, schemes=S.list_of(_SCHEME, 1),
                           cb12=S.fields(sources=S.SOURCES, notes=S.NOTES, bands=_bands_spec(CB12_CATEGORIES)),
                           urgency=S.list_of(_URGENCY), messages=S.MESSAGES),
    "topics": S.fields(schema_version=S.integer, topics=S.list_of(_TOPIC, 1)),
}

# Message ids the code relies on, per file.
REQUIRED_MESSAGES: dict[str, tuple[str, ...]] = {
    "intakes": ("tables-start-at-14", "no-upper-limit", "guidelines-differ"),
    "foods": ("vegan-supplement", "check-labels", "older-adults", "crystalline-b12"),
    "medications": ("not-listed", "do-not-stop"),
    "thresholds": ("note-under-18", "note-own-range", "other-scheme", "other-scheme-between", "note-no-upper-band",
                   "note-biotin", "urgent-pregnancy", "note-censored-worst", "note-censored-no-cb12"),
}


# ----------------------------------------------------------------- meaning


def _check_sources(data: dict) -> None:
    S.unique(data["sources"], "id", "sources")
    have = {s["id"] for s in data["sources"]}
    for doc in DOCUMENT_IDS:
        if doc not in have:
            raise S.ShapeError("sources", f"missing the document source {doc!r}")


def _check_intakes(data: dict) -> None:
    _check_table(data["life_stages"], "life_stages")
    S.unique(data["guidelines"], "id", "guidelines")
    given = [g["id"] for g in data["guidelines"]]
    if sorted(given) != sorted(GUIDELINES):
        raise S.ShapeError("guidelines",
                           f"expected one record each for {', '.join(GUIDELINES)}, got {', '.join(given)}")
    for i, g in enumerate(data["guidelines"]):
        path = f"guidelines[{i}].life_stages"
        if g["id"] == "us":
            if g["life_stages"] is not None:
                raise S.ShapeError(path, "the us table is the top-level life_stages; give none here")
            continue
        if g["life_stages"] is None:
            raise S.ShapeError(path, f"the {g['id']} guideline needs its table")
        _check_table(g["life_stages"], path)
        for j, row in enumerate(g["life_stages"]):
            if row["mcg_per_day"] is None and not row["notes"]:
                raise S.ShapeError(f"{path}[{j}].notes", "a row with no figure must say why in a note")


def _check_table(rows: list[dict], where: str) -> None:
    S.unique(rows, "id", where)
    general = [(i, r) for i, r in enumerate(rows) if r["condition"] == "none"]
    expected = 0
    for i, row in general:
        path = f"{where}[{i}]"
        if row["min_months"] != expected:
            raise S.ShapeError(f"{path}.min_months",
                               f"expected {expected} so that the ages join up, got {row['min_months']}")
        if row["max_months"] is None:
            expected = None
            continue
        if expected is None or row["max_months"] <= row["min_months"]:
            raise S.ShapeError(f"{path}.max_months", "must be above min_months, and only the last row may be open")
        expected = row["max_months"]
    if expected is not None:
        raise S.ShapeError(where, "the last general row must have max_months null (no upper age)")
    for condition in ("pregnancy", "breastfeeding"):
        if sum(r["condition"] == condition for r in rows) != 1:
            raise S.ShapeError(where, f"expected exactly one {condition} row")


def _check_foods(data: dict) -> None:
    S.unique(data["foods"], "id", "foods")
    S.unique(data["foods"], "name", "foods", str.casefold)
    if data["daily_value"]["mcg"] <= 0:
        raise S.ShapeError("daily_value.mcg", "must be above 0")
    for i, food in enumerate(data["foods"]):
        if food["vegan"] and not food["vegetarian"]:
            raise S.ShapeError(f"foods[{i}].vegetarian", "a vegan food is also vegetarian")
        if food["serving_g"] is not None and food["serving_g"] <= 0:
            raise S.ShapeError(f"foods[{i}].serving_g", "must be above 0 (or null when unknown)")
        measured = food["absorption"]
        if measured is not None and not (measured["absorbed_mcg_low"] <= measured["absorbed_mcg"]
                                         <= measured["absorbed_mcg_high"] <= measured["measured_dose_mcg"]):
            raise S.ShapeError(f"foods[{i}].absorption", "expected low <= absorbed <= high <= the measured dose")
        if food["brand_dependent"] and not any(is_caveat(n) for n in food["notes"]):
            raise S.ShapeError(f"foods[{i}].notes", "a brand-dependent food needs a note on how brands differ "
                               "(one that mentions the label or a brand)")
    _check_food_aliases(data["foods"])


def _check_food_aliases(foods: list[dict]) -> None:
    seen = {food["name"].casefold(): f"foods[{i}].name" for i, food in enumerate(foods)}
    for i, food in enumerate(foods):
        for j, alias in enumerate(food["aliases"]):
            key, path = alias.casefold(), f"foods[{i}].aliases[{j}]"
            if key in seen:
                raise S.ShapeError(path, f"alias {alias!r} is also at {seen[key]}")
            seen[key] = path


def _check_medications(data: dict) -> None:
    S.unique(data["classes"], "id", "classes")
    seen: dict[str, str] = {}
    for i, cls in enumerate(data["classes"]):
        for field in ("generic_names", "brand_names"):
            for j, name in enumerate(cls[field]):
                key, path = name.casefold(), f"classes[{i}].{field}[{j}]"
                if key in seen:
                    raise S.ShapeError(path, f"name {name!r} is listed twice (also at {seen[key]})")
                seen[key] = path
        _check_name_notes(cls, i)
        _check_brand_generics(cls, i)
        _check_other_names(cls, i, seen)
    _check_combinations(data["combinations"], seen)


def _check_name_notes(cls: dict, i: int) -> None:
    own = {n.casefold() for n in (*cls["generic_names"], *cls["brand_names"])}
    for k, note in enumerate(cls["name_notes"]):
        for j, name in enumerate(note["names"]):
            if name.casefold() not in own:
                raise S.ShapeError(f"classes[{i}].name_notes[{k}].names[{j}]",
                                   f"{name!r} is not a generic or brand name of this class")


def _check_brand_generics(cls: dict, i: int) -> None:
    """Each brand name has exactly one entry, naming one of the class's generic names."""
    given = [b["brand"] for b in cls["brand_generics"]]
    if sorted(given) != sorted(cls["brand_names"]):
        raise S.ShapeError(f"classes[{i}].brand_generics", "must give a generic for every brand name, once each")
    for j, pair in enumerate(cls["brand_generics"]):
        if pair["generic"] not in cls["generic_names"]:
            raise S.ShapeError(f"classes[{i}].brand_generics[{j}].generic",
                               f"{pair['generic']!r} is not a generic name of this class")


def _check_other_names(cls: dict, i: int, seen: dict[str, str]) -> None:
    """Other names ("laughing gas") are unique across the file and name a generic of their class."""
    for j, pair in enumerate(cls["other_names"]):
        key, path = pair["name"].casefold(), f"classes[{i}].other_names[{j}]"
        if key in seen:
            raise S.ShapeError(path + ".name", f"name {pair['name']!r} is listed twice (also at {seen[key]})")
        seen[key] = path
        if pair["generic"] not in cls["generic_names"]:
            raise S.ShapeError(path + ".generic", f"{pair['generic']!r} is not a generic name of this class")


def _check_combinations(combos: list[dict], seen: dict[str, str]) -> None:
    generics = {key for key, path in seen.items() if ".generic_names[" in path}
    for i, combo in enumerate(combos):
        key, path = combo["brand"].casefold(), f"combinations[{i}].brand"
        if key in seen:
            raise S.ShapeError(path, f"name {combo['brand']!r} is listed twice (also at {seen[key]})")
        seen[key] = path
        if not any(name.casefold() in generics for name in combo["ingredients"]):
            raise S.ShapeError(f"combinations[{i}].ingredients", "no ingredient is a listed generic name")


def _check_bands(bands: list[dict], path: str) -> None:
    intervals = []
    for i, band in enumerate(bands):
        try:
            intervals.append(parse_interval(band["range"]))
        except IntervalError as exc:
            raise S.ShapeError(f"{path}[{i}].range", str(exc)) from None
    problem = check_cover(intervals)
    if problem:
        raise S.ShapeError(path, problem)


def _check_thresholds(data: dict) -> None:
    S.unique(data["schemes"], "id", "schemes")
    ids = {s["id"] for s in data["schemes"]}
    for wanted in ("documents", "nice"):
        if wanted not in ids:
            raise S.ShapeError("schemes", f"missing scheme {wanted!r}")
    for i, scheme in enumerate(data["schemes"]):
        for marker, spec in scheme["markers"].items():
            path = f"schemes[{i}].markers.{marker}"
            _check_bands(spec["bands"], f"{path}.bands")
            for unit, ranges in spec["published"].items():
                if len(ranges) != len(spec["bands"]):
                    raise S.ShapeError(f"{path}.published.{unit}", f"expected {len(spec['bands'])} ranges, one per "
                                       f"band, got {len(ranges)}")
                _check_bands([{"range": r} for r in ranges], f"{path}.published.{unit}")
    _check_bands(data["cb12"]["bands"], "cb12.bands")
    _check_urgency(data)


def _check_urgency(data: dict) -> None:
    have = {m["id"] for m in data["messages"]}
    for i, rule in enumerate(data["urgency"]):
        try:
            parse_interval(rule["range"])
        except IntervalError as exc:
            raise S.ShapeError(f"urgency[{i}].range", str(exc)) from None
        if rule["message"] not in have:
            raise S.ShapeError(f"urgency[{i}].message", f"no message with id {rule['message']!r}")


def _check_topics(data: dict) -> None:
    S.unique(data["topics"], "id", "topics")


def _check_markers(data: dict) -> None:
    markers = data["markers"]
    S.unique(markers, "id", "markers")
    seen: dict[str, str] = {}
    for i, m in enumerate(markers):
        path = f"markers[{i}]"
        _check_units(m, path)
        low, high = m["plausible"]
        if not low < high:
            raise S.ShapeError(f"{path}.plausible", "expected [low, high] with low below high")
        for key, values in (("options", m["options"]), ("headers", [h.casefold() for h in m["headers"]])):
            for j, name in enumerate(values):
                if name in seen:
                    raise S.ShapeError(f"{path}.{key}[{j}]", f"{name!r} already names {seen[name]}")
                seen[name] = f"{path} ({m['id']})"


def _check_units(m: dict, path: str) -> None:
    spellings = [unit_key(u["unit"]) for u in m["units"]] + [unit_key(a) for u in m["units"] for a in u["aliases"]]
    if len(set(spellings)) != len(spellings):
        raise S.ShapeError(f"{path}.units", "a unit or alias is spelled twice")
    names = [u["unit"] for u in m["units"]]
    if m["canonical_unit"] not in names:
        raise S.ShapeError(f"{path}.canonical_unit", f"{m['canonical_unit']!r} is not one of its units")
    canonical = m["units"][names.index(m["canonical_unit"])]
    if canonical["multiply"] != canonical["divide"]:
        raise S.ShapeError(f"{path}.units", "the canonical unit must have the factor 1")
    for key, unit in (("unit_guess", (m["unit_guess"] or {}).get("unit")), ("cb12", (m["cb12"] or {}).get("unit"))):
        if unit is not None and unit not in names:
            raise S.ShapeError(f"{path}.{key}.unit", f"{unit!r} is not one of its units")


MEANING: dict[str, Callable[[dict], None]] = {
    "markers": _check_markers,
    "sources": _check_sources, "intakes": _check_intakes, "foods": _check_foods,
    "medications": _check_medications, "thresholds": _check_thresholds, "topics": _check_topics,
}


# ----------------------------------------------------------------- loinc.yaml (b12 history)

LOINC_SYSTEM = "http://loinc.org"
_LOINC_CODE = re.compile(r"^([0-9]{1,7})-([0-9])$")
SHAPES["loinc"] = S.fields(schema_version=S.integer, system=S.text, notes=S.NOTES,
                           codes=S.list_of(S.fields(code=S.text, marker=S.ident, name=S.text,
                                                    property=S.one_of("MCnc", "SCnc"),
                                                    specimen=S.one_of("Ser/Plas", "Ser", "Plas"),
                                                    shortname=S.nullable(S.text), sources=S.SOURCES), 1),
                           not_markers=S.list_of(S.fields(code=S.text, why=S.text, sources=S.SOURCES)))


def loinc_check_digit(digits: str) -> int:
    """The LOINC check digit (mod 10, as Luhn): double every other digit from the right, sum the digits."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def _check_loinc(data: dict) -> None:
    if data["system"] != LOINC_SYSTEM:
        raise S.ShapeError("system", f"expected {LOINC_SYSTEM!r}, got {data['system']!r}")
    S.unique(data["codes"], "code", "codes")
    S.unique(data["not_markers"], "code", "not_markers")
    for part in ("codes", "not_markers"):
        for i, record in enumerate(data[part]):
            match = _LOINC_CODE.match(record["code"])
            if not match:
                raise S.ShapeError(f"{part}[{i}].code", f"expected a LOINC code such as 2132-9, got {record['code']!r}")
            if loinc_check_digit(match.group(1)) != int(match.group(2)):
                raise S.ShapeError(f"{part}[{i}].code", f"{record['code']!r} fails the LOINC check digit")
    both = {r["code"] for r in data["codes"]} & {r["code"] for r in data["not_markers"]}
    if both:
        raise S.ShapeError("not_markers", f"{sorted(both)[0]!r} is also a marker's code")


MEANING["loinc"] = _check_loinc
SHAPES["rules"] = RULES_SHAPE
MEANING["rules"] = check_rules


def validate(name: str, raw: Any) -> dict:
    """Shape and meaning of one file's parsed YAML; raises ``ShapeError``."""
    data = SHAPES[name](raw, "")
    if data["schema_version"] != SCHEMA_VERSION:
        raise S.ShapeError("schema_version", f"expected {SCHEMA_VERSION}, got {data['schema_version']}")
    if name in REQUIRED_MESSAGES:
        S.require_ids(data["messages"], REQUIRED_MESSAGES[name], "messages")
    MEANING[name](data)
    return data


# ----------------------------------------------------------------- decision commands: risk, absorb, intake

# NICE NG239 and the published summaries of it; a record counting for the testing rule cites one.
NICE_SUMMARIES = frozenset({"nice-ng239", "pulse-ng239", "nasgp-ng239", "bmj-ng239-summary", "itv-ng239-2024"})
URGENCIES = ("urgent", "prompt", "routine")
ESCALATES = ("none", "prompt", "urgent_with_neurological")
_RISK_SYMPTOM = S.fields(id=S.ident, name=S.text, aliases=S.list_of(S.ident), urgency=S.one_of(*URGENCIES),
                         counts_for_testing=S.boolean, listed_by=S.SOURCES, text=S.text, sources=S.SOURCES)
_RISK_FACTOR = S.fields(id=S.ident, name=S.text, aliases=S.list_of(S.ident),
                        min_age_years=S.nullable(S.non_negative), diet=S.nullable(S.one_of("vegan", "vegetarian")),
                        pregnancy=S.boolean, medication_classes=S.list_of(S.ident), counts_for_testing=S.boolean,
                        listed_by=S.SOURCES, escalates=S.one_of(*ESCALATES), advice=S.nullable(S.ident), text=S.text,
                        sources=S.SOURCES)
_CITED = {"text": S.text, "sources": S.SOURCES}
_ABSORPTION_POINT = S.fields(dose_mcg=S.non_negative, absorbed_mcg=S.non_negative, **_CITED)
_INTAKE_DEFAULT = S.fields(word=S.text, food=S.ident, reason=S.text, sources=S.SOURCES)

SHAPES.update({
    "risk": S.fields(schema_version=S.integer, symptoms=S.list_of(_RISK_SYMPTOM, 1),
                     factors=S.list_of(_RISK_FACTOR, 1), messages=S.MESSAGES),
    "absorption": S.fields(schema_version=S.integer, points=S.list_of(_ABSORPTION_POINT, 1),
                           saturation=S.fields(low_mcg=S.non_negative, high_mcg=S.non_negative, **_CITED),
                           passive=S.fields(fraction=S.non_negative, **_CITED),
                           spacing=S.fields(hours=S.integer, **_CITED), max_dose_mcg=S.non_negative,
                           reference=S.fields(rda_mcg=S.non_negative, assumed_fraction=S.non_negative, **_CITED),
                           range=S.fields(below_first_high_fraction=S.positive, passive_fraction_high=S.positive,
                                          no_if_low_fraction=S.positive, **_CITED),
                           food_fit=S.fields(coefficient=S.positive, exponent=S.positive,
                                             max_measured_dose_mcg=S.positive, **_CITED),
                           messages=S.MESSAGES),
    "intake": S.fields(schema_version=S.integer, defaults=S.list_of(_INTAKE_DEFAULT, 1), messages=S.MESSAGES),
})

REQUIRED_MESSAGES.update({
    "risk": ("disclaimer", "rule", "lists-not-checked", "testing-offer", "testing-consider", "testing-symptoms-only",
             "testing-factors-only", "testing-not-indicated", "urgency-urgent", "urgency-urgent-nitrous",
             "urgency-prompt", "urgency-prompt-pregnancy", "urgency-routine", "first-test", "first-test-pregnancy",
             "first-test-nitrous-oxide", "if-indeterminate", "advice-vegan-pregnant", "taking-b12",
             "urgency-is-our-reading", "under-16", "over-50-absorption", "medicine-not-listed",
             "medicine-not-a-factor"),
    "absorption": ("below-first-point", "interpolated", "saturated-plus-passive", "passive-only", "passive-food",
                   "measured-alone", "weekly", "high-dose-works", "estimate-only", "range-below-first",
                   "range-measured", "range-no-intrinsic-factor", "range-food"),
    "intake": ("meals", "meals-split", "crystalline", "no-age", "no-intrinsic-factor"),
})


def _unique_names(records: list[dict], path: str) -> None:
    """Ids and aliases together name one record each."""
    seen: dict[str, str] = {}
    for i, record in enumerate(records):
        for j, name in enumerate([record["id"], *record["aliases"]]):
            where = f"{path}[{i}].id" if j == 0 else f"{path}[{i}].aliases[{j - 1}]"
            if name in seen and seen[name] != f"{path}[{i}]":
                raise S.ShapeError(where, f"name {name!r} already names {seen[name]}")
            seen[name] = f"{path}[{i}]"


def _exactly_one(factors: list[dict], test: Callable[[dict], bool], what: str) -> None:
    if sum(1 for f in factors if test(f)) != 1:
        raise S.ShapeError("factors", f"expected exactly one factor with {what}")


def _check_risk(data: dict) -> None:
    _unique_names(data["symptoms"], "symptoms")
    _unique_names(data["factors"], "factors")
    factors = data["factors"]
    _exactly_one(factors, lambda f: f["min_age_years"] is not None, "min_age_years")
    _exactly_one(factors, lambda f: f["pregnancy"], "pregnancy: true")
    for diet in ("vegan", "vegetarian"):
        _exactly_one(factors, lambda f, d=diet: f["diet"] == d, f"diet: {diet}")
    seen: dict[str, int] = {}
    for i, factor in enumerate(factors):
        for j, cls in enumerate(factor["medication_classes"]):
            if cls in seen:
                raise S.ShapeError(f"factors[{i}].medication_classes[{j}]",
                                   f"class {cls!r} is already mapped by factors[{seen[cls]}]")
            seen[cls] = i
    ids = {m["id"] for m in data["messages"]}
    for i, factor in enumerate(factors):
        if factor["advice"] is not None and factor["advice"] not in ids:
            raise S.ShapeError(f"factors[{i}].advice", f"no message {factor['advice']!r}")
    for path, records in (("symptoms", data["symptoms"]), ("factors", factors)):
        for i, record in enumerate(records):
            if record["counts_for_testing"] and not set(record["listed_by"]) & NICE_SUMMARIES:
                raise S.ShapeError(f"{path}[{i}].listed_by", "a record that counts for NICE's testing rule must be "
                                   f"listed by NICE or one of its summaries ({', '.join(sorted(NICE_SUMMARIES))})")


def _check_absorption(data: dict) -> None:
    points = data["points"]
    for i, point in enumerate(points):
        if not 0 < point["absorbed_mcg"] <= point["dose_mcg"]:
            raise S.ShapeError(f"points[{i}].absorbed_mcg", "must be above 0 and no more than the dose")
        before = points[i - 1] if i else None
        if before and (point["dose_mcg"] <= before["dose_mcg"] or point["absorbed_mcg"] < before["absorbed_mcg"]):
            raise S.ShapeError(f"points[{i}]", "doses must rise and amounts absorbed must not fall")
    sat = data["saturation"]
    if not 0 < sat["low_mcg"] <= sat["high_mcg"] or points[-1]["absorbed_mcg"] > sat["high_mcg"]:
        raise S.ShapeError("saturation", "expected 0 < low_mcg <= high_mcg, with the last point at or below high_mcg")
    for path, value in (("passive.fraction", data["passive"]["fraction"]),
                        ("reference.assumed_fraction", data["reference"]["assumed_fraction"])):
        if not 0 < value <= 1:
            raise S.ShapeError(path, f"expected a fraction above 0 and at most 1, got {value!r}")
    if not 1 <= data["spacing"]["hours"] <= 24:
        raise S.ShapeError("spacing.hours", "expected a whole number of hours from 1 to 24")
    if data["max_dose_mcg"] <= points[-1]["dose_mcg"]:
        raise S.ShapeError("max_dose_mcg", "must be above the largest published dose")
    _check_spread(data)


def _check_spread(data: dict) -> None:
    """The range around the model: its ends bracket the model's own fractions."""
    points = data["points"]
    spread, passive = data["range"], data["passive"]["fraction"]
    first = points[0]["absorbed_mcg"] / points[0]["dose_mcg"]
    if not first <= spread["below_first_high_fraction"] <= 1:
        raise S.ShapeError("range.below_first_high_fraction", "must lie between the first point's fraction and 1")
    if not passive <= spread["passive_fraction_high"] <= 1 or not spread["no_if_low_fraction"] <= passive:
        raise S.ShapeError("range", "expected no_if_low_fraction <= passive.fraction <= passive_fraction_high <= 1")
    if not data["food_fit"]["exponent"] <= 1:
        raise S.ShapeError("food_fit.exponent", "must be at most 1 (absorption does not rise faster than the dose)")


def _check_intake(data: dict) -> None:
    S.unique(data["defaults"], "word", "defaults", lambda w: " ".join(w.casefold().replace("-", " ").split()))


MEANING.update({"risk": _check_risk, "absorption": _check_absorption, "intake": _check_intake})


# ----------------------------------------------------------------- reference change values (history)

_PERCENT = S.nullable(S.positive)
SHAPES["variation"] = S.fields(
    schema_version=S.integer, model=S.one_of("log_normal"), confidence_percent=S.positive, z=S.positive,
    method=S.fields(**_CITED),
    markers=S.list_of(S.fields(marker=S.ident, cv_analytical=_PERCENT, cv_within=S.positive, text=S.text,
                               sources=S.SOURCES, notes=S.list_of(S.fields(**_CITED))), 1),
    messages=S.MESSAGES)
REQUIRED_MESSAGES["variation"] = ("no-figure", "limit", "other-laboratory", "own-figures", "series")


def _check_variation(data: dict) -> None:
    """CVs are percentages above 0 and below 100; one record per marker; z and the confidence agree roughly
    (1.96 is 95%, two-sided); a record whose analytical CV is left out says why in a note."""
    S.unique(data["markers"], "marker", "markers")
    if not 0 < data["confidence_percent"] < 100 or not 0 < data["z"] < 5:
        raise S.ShapeError("z", "expected 0 < confidence_percent < 100 and 0 < z < 5")
    for i, m in enumerate(data["markers"]):
        for key in ("cv_analytical", "cv_within"):
            if m[key] is not None and not m[key] < 100:
                raise S.ShapeError(f"markers[{i}].{key}", f"expected a percentage below 100, got {m[key]!r}")
        if m["cv_analytical"] is None and "assay" not in m["text"]:
            raise S.ShapeError(f"markers[{i}].cv_analytical", "null only where the text says the within-person "
                               "figure holds the assay's own variation")


MEANING["variation"] = _check_variation
