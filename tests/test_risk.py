"""`b12 risk`: NICE's testing rule and the urgency, decided apart; factor advice; shortcuts; errors; contract."""

from __future__ import annotations

import re

import pytest
import yaml

from b12cli.domain import risk as core
from b12cli.errors import UsageError
from b12cli.kb.validate import NICE_SUMMARIES
from tests.conftest import DATA

TOP_KEYS = {"schema", "query", "advice", "summary", "testing", "testing_text", "urgency", "urgency_text", "items",
            "factor_advice", "on_b12", "first_test", "if_indeterminate", "medicines", "notes", "disclaimer"}
ITEM_KEYS = {"kind", "id", "name", "given_as", "urgency", "escalates", "counts_for_testing", "listed_by", "text",
             "sources", "advice", "testing", "urgency_overall"}
LIST_KEYS = {"kind", "id", "name", "aliases", "urgency", "escalates", "counts_for_testing", "listed_by", "advice",
             "text", "sources"}
CSV_HEADER = ("advice,testing,urgency_overall,kind,id,name,given_as,urgency,escalates,counts_for_testing,listed_by,"
              "text,sources")


def assess(kb, **query):
    return core.assess(kb.risk, kb.medications, core.RiskQuery(**query))


# ------------------------------------------------------------------ testing: NICE's rule, at every edge


@pytest.mark.parametrize(("query", "testing"), [
    ({}, "not_indicated"),
    ({"symptoms": ("fatigue",)}, "symptoms_only"),
    ({"symptoms": ("dizziness",)}, "symptoms_only"),
    ({"factors": ("metformin",)}, "factors_only"),
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "offer_test"),
    # a symptom and a factor, but one of them is not on NICE's lists as its summaries give them
    ({"symptoms": ("fatigue",), "factors": ("diabetes",)}, "consider_test"),
    ({"symptoms": ("dizziness",), "factors": ("metformin",)}, "consider_test"),
    ({"symptoms": ("muscle-weakness",), "factors": ("family-history",)}, "consider_test"),
    ({"symptoms": ("fatigue",), "age_years": 70}, "consider_test"),  # older age is BMJ Best Practice's, not NICE's
    # one counting symptom and one counting factor are enough, whatever else is given
    ({"symptoms": ("dizziness", "sore-tongue"), "factors": ("diabetes", "sjogren")}, "offer_test"),
])
def test_testing_follows_nices_rule(kb, query, testing):
    assert assess(kb, **query).testing == testing


def test_only_records_on_nices_lists_count_for_its_rule(kb):
    """A record counts for the testing rule only when NICE or a published summary of it lists it (a summary may
    mention a condition without listing it as a common risk factor: autoimmune thyroid disease)."""
    for record in (*kb.risk.symptoms, *kb.risk.factors):
        if record.counts_for_testing:
            assert set(record.listed_by) & NICE_SUMMARIES, record.id
        assert record.listed_by and all(s in kb.sources for s in record.listed_by)


def test_a_record_that_does_not_count_never_says_it_is_on_nices_list(kb):
    for record in (*kb.risk.symptoms, *kb.risk.factors):
        if not record.counts_for_testing and "NICE" in record.text:
            said = re.search(r"not on (the )?NICE", record.text) or "type 1 diabetes is on NICE" in record.text
            assert said, record.id


# ------------------------------------------------------------------ urgency: decided apart from testing


@pytest.mark.parametrize(("query", "urgency"), [
    ({}, "none"),
    ({"factors": ("metformin",)}, "none"),
    ({"factors": ("nitrous-oxide",)}, "none"),
    ({"symptoms": ("fatigue",)}, "routine"),
    ({"symptoms": ("fatigue",), "age_years": 70}, "routine"),
    # F6: a nerve symptom is prompt with or without a factor
    ({"symptoms": ("numbness",)}, "prompt"),
    ({"symptoms": ("tingling",)}, "prompt"),
    ({"symptoms": ("ataxia",)}, "prompt"),
    ({"symptoms": ("walking-change",)}, "prompt"),
    ({"symptoms": ("psychosis",)}, "prompt"),
    # F6: non-specific dizziness or cramps are not urgent, whatever the age
    ({"symptoms": ("dizziness",), "age_years": 66}, "routine"),
    ({"symptoms": ("cramps",), "age_years": 80, "factors": ("metformin",)}, "routine"),
    ({"symptoms": ("breathlessness",)}, "routine"),
    # the sources' urgent features: spinal cord, sight, severe anaemia
    ({"symptoms": ("spinal-cord-signs",)}, "urgent"),
    ({"symptoms": ("bladder",)}, "urgent"),
    ({"symptoms": ("vision-loss",)}, "urgent"),
    ({"symptoms": ("breathless at rest",)}, "urgent"),
    ({"symptoms": ("fainting",), "factors": ("metformin",)}, "urgent"),
    # nitrous oxide raises any symptom to prompt, and a nerve or mind symptom to urgent
    ({"symptoms": ("fatigue",), "factors": ("nitrous-oxide",)}, "prompt"),
    ({"symptoms": ("tingling",), "factors": ("nitrous-oxide",)}, "urgent"),
    ({"symptoms": ("psychosis",), "factors": ("nitrous-oxide",)}, "urgent"),
    ({"symptoms": ("low-mood",), "factors": ("nitrous-oxide",)}, "prompt"),
    ({"symptoms": ("fatigue",), "factors": ("entonox",)}, "prompt"),
    ({"symptoms": ("tingling",), "factors": ("entonox",)}, "prompt"),
    # pregnancy or breastfeeding raise any symptom to prompt, and never lower one
    ({"symptoms": ("fatigue",), "pregnant": True}, "prompt"),
    ({"symptoms": ("fatigue",), "breastfeeding": True}, "prompt"),
    ({"symptoms": ("fatigue",), "factors": ("pregnancy",)}, "prompt"),
    ({"symptoms": ("vision-loss",), "pregnant": True}, "urgent"),
    ({"pregnant": True}, "none"),
])
def test_urgency_comes_from_symptoms_raised_by_factors(kb, query, urgency):
    assert assess(kb, **query).urgency == urgency


@pytest.mark.parametrize(("query", "advice"), [
    ({}, "not_indicated"),
    ({"symptoms": ("fatigue",)}, "consider"),
    ({"factors": ("metformin",)}, "consider"),
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "test"),
    ({"symptoms": ("fatigue",), "factors": ("diabetes",)}, "consider"),
    ({"symptoms": ("numbness",)}, "prompt"),  # F6: was "consider", below tiredness at 70
    ({"symptoms": ("fatigue",), "age_years": 70}, "consider"),
    ({"symptoms": ("dizziness",), "age_years": 66}, "consider"),  # F6: was "urgent"
    ({"symptoms": ("severe-anaemia",)}, "urgent"),  # F6: was never urgent
    ({"symptoms": ("tingling",), "factors": ("metformin",)}, "prompt"),
    ({"symptoms": ("tingling",), "factors": ("nitrous-oxide",)}, "urgent"),
    ({"diet": "vegan", "pregnant": True}, "consider"),  # F5: never not_indicated
])
def test_headline_is_the_more_pressing_of_the_two(kb, query, advice):
    assert assess(kb, **query).advice == advice


@pytest.mark.parametrize(("query", "message"), [
    ({"symptoms": ("spinal-cord-signs",)}, "urgency-urgent"),
    ({"symptoms": ("numbness",)}, "urgency-prompt"),
    ({"symptoms": ("fatigue",), "pregnant": True}, "urgency-prompt-pregnancy"),
    ({"symptoms": ("fatigue",), "breastfeeding": True}, "urgency-prompt-pregnancy"),
    ({"symptoms": ("numbness",), "pregnant": True}, "urgency-prompt"),
    ({"symptoms": ("tingling",), "factors": ("nitrous-oxide",)}, "urgency-urgent-nitrous"),
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "testing-offer"),
    ({"symptoms": ("fatigue",), "factors": ("diabetes",)}, "testing-consider"),
    ({"symptoms": ("fatigue",)}, "testing-symptoms-only"),
    ({"factors": ("older-age",)}, "testing-factors-only"),
    ({}, "testing-not-indicated"),
])
def test_summary_is_the_text_of_the_headline(kb, query, message):
    assert assess(kb, **query).summary == kb.risk.messages[message]


def test_urgent_with_nitrous_and_an_urgent_symptom_says_both(kb):
    m = kb.risk.messages
    result = assess(kb, symptoms=("spinal-cord-signs",), factors=("nitrous-oxide",))
    assert result.summary.text == f"{m['urgency-urgent'].text} {m['urgency-urgent-nitrous'].text}"
    assert set(result.summary.sources) == set(m["urgency-urgent"].sources) | set(m["urgency-urgent-nitrous"].sources)


def test_every_nitrous_oxide_message_says_stop(kb):
    m = kb.risk.messages
    for message in (m["urgency-urgent-nitrous"], m["advice-nitrous-oxide"]):
        assert "stop" in message.text.casefold()
    (advice,) = assess(kb, factors=("laughing gas",)).factor_advice
    assert advice.message.id == "advice-nitrous-oxide" and advice.message.text.startswith("Stop using")


# ------------------------------------------------------------------ factor advice


@pytest.mark.parametrize("query", [
    {"diet": "vegan", "pregnant": True}, {"diet": "vegan", "breastfeeding": True},
    {"diet": "vegetarian", "breastfeeding": True}, {"factors": ("vegan", "pregnancy")},
    {"factors": ("no-fish",), "pregnant": True},
])
def test_a_pregnant_or_breastfeeding_vegan_or_vegetarian_is_told_to_take_b12(kb, query):
    """F5: whatever the testing rule says, the first advice is to take B12, for the baby's supply."""
    result = assess(kb, **query)
    assert result.advice != "not_indicated"
    assert result.factor_advice[0].message.id == "advice-vegan-pregnant"
    assert result.summary == kb.risk.messages["advice-vegan-pregnant"]
    text = result.summary.text
    assert "B12 supplement" in text and "baby" in text and "metformin" not in text


def test_a_vegan_who_is_not_pregnant_gets_the_vegan_advice(kb):
    (advice,) = assess(kb, diet="vegan").factor_advice
    assert advice.message.id == "advice-vegan" and advice.factors == ("vegan-diet",)


def test_factor_advice_is_given_once_for_every_factor_it_answers(kb):
    result = assess(kb, factors=("sjogren", "coeliac", "pernicious-anaemia"))
    assert [(a.message.id, a.factors) for a in result.factor_advice] == [
        ("advice-no-if", ("pernicious-anaemia",)), ("advice-know-symptoms", ("sjogren", "coeliac"))]


@pytest.mark.parametrize(("name", "factor"), [
    ("family history", "family-history"), ("sjogren", "sjogren"), ("Sjögren's", "sjogren"),
    ("autoimmune thyroid", "autoimmune-thyroid"), ("hashimoto", "autoimmune-thyroid"),
    ("pelvic radiotherapy", "pelvic-abdominal-radiotherapy"), ("eating disorder", "restricted-diet"),
    ("no fish", "few-animal-foods"), ("Entonox", "medical-nitrous-oxide"), ("gas and air", "medical-nitrous-oxide"),
    ("whippets", "nitrous-oxide"),
])
def test_nice_factors_are_known_by_the_names_people_use(kb, name, factor):
    (reason,) = assess(kb, factors=(name,)).reasons
    assert reason.id == factor


@pytest.mark.parametrize(("name", "symptom"), [
    ("ataxia", "balance-problems"), ("psychosis", "psychosis"), ("change in walking", "walking-change"),
    ("neuropathy", "numbness"), ("breathlessness", "anaemia-signs"), ("chest pain", "severe-anaemia"),
])
def test_nice_symptoms_are_known_by_the_names_people_use(kb, name, symptom):
    (reason,) = assess(kb, symptoms=(name,)).reasons
    assert reason.id == symptom


def test_someone_already_on_b12_is_told_a_test_says_little(kb):
    result = assess(kb, symptoms=("fatigue",), taking_b12=True)
    assert result.on_b12 == kb.risk.messages["taking-b12"]
    assert assess(kb, symptoms=("fatigue",)).on_b12 is None


# ------------------------------------------------------------------ shortcuts and medicines


@pytest.mark.parametrize(("age", "added"), [(65, False), (65.01, True), (70, True), (30, False)])
def test_age_adds_older_age_only_above_65(kb, age, added):
    result = assess(kb, age_years=age)
    assert ("older-age" in {r.id for r in result.reasons}) is added
    assert result.testing == ("factors_only" if added else "not_indicated")


@pytest.mark.parametrize(("diet", "factor"), [("vegan", "vegan-diet"), ("vegetarian", "vegetarian-diet")])
def test_diet_adds_its_factor(kb, diet, factor):
    (reason,) = assess(kb, diet=diet).reasons
    assert reason.id == factor and reason.given_as == f"--diet {diet}"


def test_unknown_diet_is_refused(kb):
    with pytest.raises(UsageError, match="expected one of vegan, vegetarian"):
        assess(kb, diet="keto")


def test_medicines_map_to_factors_and_unlisted_ones_are_reported(kb):
    result = assess(kb, symptoms=("fatigue",), meds=("Glucophage", "aspirin", "chloramphenicol"))
    assert [r.id for r in result.reasons if r.kind == "factor"] == ["metformin"]
    glucophage, aspirin, chloramphenicol = result.medicines
    assert glucophage.factor_id == "metformin" and glucophage.class_id == "metformin"
    assert aspirin.listed_as is None and aspirin.factor_id is None and aspirin.note and aspirin.suggestions == ()
    assert chloramphenicol.class_id == "chloramphenicol" and chloramphenicol.factor_id is None
    assert result.advice == "test"


def test_every_medication_class_is_mapped_or_deliberately_not(kb):
    mapped = {cls for f in kb.risk.factors for cls in f.medication_classes}
    classes = {c.id for c in kb.medications.classes}
    assert mapped <= classes
    assert classes - mapped == {"chloramphenicol"}  # affects the response to treatment, not a cause


@pytest.mark.parametrize(("meds", "factor"), [(("laughing gas",), "nitrous-oxide"),
                                             (("Entonox",), "medical-nitrous-oxide"),
                                             (("Janumet XR 50/1000",), "metformin")])
def test_medicines_by_their_common_names_add_their_factor(kb, meds, factor):
    result = assess(kb, symptoms=("fatigue",), meds=meds)
    assert [r.id for r in result.reasons if r.kind == "factor"] == [factor]
    assert result.urgency == ("prompt" if "nitrous" in factor else "routine")


@pytest.mark.parametrize(("query", "first", "indeterminate"), [
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "first-test", True),
    ({"symptoms": ("fatigue",), "pregnant": True}, "first-test-pregnancy", True),
    ({"symptoms": ("fatigue",), "factors": ("pregnancy",)}, "first-test-pregnancy", True),
    # F30: after nitrous oxide the first test is homocysteine or MMA, so "MMA settles it" is not said
    ({"symptoms": ("numbness",), "factors": ("nitrous-oxide",), "pregnant": True}, "first-test-nitrous-oxide", False),
    ({"symptoms": ("fatigue",), "factors": ("entonox",)}, "first-test-nitrous-oxide", False),
    ({"symptoms": ("fatigue",)}, "first-test", True),
])
def test_which_test_first(kb, query, first, indeterminate):
    result = assess(kb, **query)
    assert result.first_test == kb.risk.messages[first]
    assert result.if_indeterminate == (kb.risk.messages["if-indeterminate"] if indeterminate else None)


def test_no_test_is_suggested_without_a_symptom(kb):
    result = assess(kb, factors=("metformin",))
    assert result.first_test is None and result.if_indeterminate is None


@pytest.mark.parametrize("name", ["Tingling", "pins and needles", "PINS_AND_NEEDLES", " numb "])
def test_names_and_aliases_are_case_and_space_insensitive(kb, name):
    (reason,) = assess(kb, symptoms=(name,)).reasons
    assert reason.kind == "symptom"


def test_a_factor_given_twice_counts_once(kb):
    result = assess(kb, factors=("metformin",), meds=("metformin",))
    assert [r.id for r in result.reasons] == ["metformin"]


def test_notes_say_urgency_is_this_references_reading_only_when_it_is_used(kb):
    reading = kb.risk.messages["urgency-is-our-reading"].text
    assert any(reading in n for n in assess(kb, symptoms=("numbness",)).notes)
    assert not any(reading in n for n in assess(kb, symptoms=("fatigue",)).notes)


def test_age_notes_under_16_and_between_50_and_65(kb):
    assert any("over 16" in n for n in assess(kb, age_years=15).notes)
    assert not any("over 16" in n for n in assess(kb, age_years=16).notes)
    assert any("10-30%" in n for n in assess(kb, age_years=55).notes)
    assert not any("10-30%" in n for n in assess(kb, age_years=50).notes)


# ------------------------------------------------------------------ knowledge base


def test_risk_file_is_strict(kb):
    raw = yaml.safe_load((DATA / "risk.yaml").read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1
    assert {s.id for s in kb.risk.symptoms} >= {"fatigue", "tingling", "numbness"}
    for record in (*kb.risk.symptoms, *kb.risk.factors):
        assert record.sources and all(s in kb.sources for s in record.sources)
    for message in kb.risk.messages.values():
        assert all(s in kb.sources for s in message.sources)


@pytest.mark.parametrize(("old", "new", "error"), [
    ("    aliases: [numb, loss-of-feeling", "    aliases: [numb, tingling", "already names symptoms[1]"),
    ("    diet: vegetarian", "    diet: vegan", "expected exactly one factor with diet: vegan"),
    ("    urgency: urgent\n    counts_for_testing: true\n    listed_by: [itv-ng239-2024, nhs-lothian-b12]\n"
     "    text: \"Loss", "    urgency: soon\n    counts_for_testing: true\n    listed_by: [itv-ng239-2024, "
     "nhs-lothian-b12]\n    text: \"Loss", "expected one of urgent, prompt, routine"),
    ("    medication_classes: [colchicine, anticonvulsants]", "    medication_classes: [colchicine, metformin]",
     "class 'metformin' is already mapped"),
    ("  - id: if-indeterminate", "  - id: if-unsure", "missing message with id 'if-indeterminate'"),
    ("    sources: [bmj-best-practice, pulse-ng239]\n  - id: heavy-alcohol",
     "    sources: [no-such]\n  - id: heavy-alcohol", "unknown source id 'no-such'"),
    ("    listed_by: [doc-harvard]\n    escalates: none\n    advice: advice-know-symptoms",
     "    listed_by: [no-such-lister]\n    escalates: none\n    advice: advice-know-symptoms",
     "unknown source id 'no-such-lister'"),
    ("    advice: advice-nitrous-oxide\n", "    advice: advice-missing\n", "no message 'advice-missing'"),
    ("    counts_for_testing: false\n    listed_by: [doc-reverse]\n    text: \"Dizziness",
     "    counts_for_testing: true\n    listed_by: [doc-reverse]\n    text: \"Dizziness",
     "must be listed by NICE or one of its summaries"),
])
def test_broken_risk_file_fails_with_exit_1_naming_the_key(b12, edit_kb, old, new, error):
    edit_kb("risk.yaml", old, new)
    result = b12("risk", "--symptom", "fatigue")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("b12: error: risk.yaml") and error in result.stderr


# ------------------------------------------------------------------ command line: the acceptance


def test_acceptance_pregnant_vegan_is_told_to_take_a_supplement(b12):
    document = b12("risk", "--diet", "vegan", "--pregnant", "--format", "json").json()
    assert document["advice"] != "not_indicated" and document["testing"] == "factors_only"
    assert "supplement" in document["summary"]["text"]
    assert document["factor_advice"][0]["id"] == "advice-vegan-pregnant"
    assert document["factor_advice"][0]["factors"] == ["vegan-diet"]


def test_acceptance_nitrous_oxide_with_tingling_is_urgent_and_says_stop(b12):
    result = b12("risk", "--factor", "nitrous-oxide", "--symptom", "tingling")
    assert result.exit_code == 0
    assert "Urgent" in result.stdout and "stop using it" in result.stdout.replace("\n", " ")
    document = b12("risk", "--factor", "nitrous-oxide", "--symptom", "tingling", "--format", "json").json()
    assert document["advice"] == document["urgency"] == "urgent"
    assert document["if_indeterminate"] is None and "homocysteine" in document["first_test"]["text"]


def test_acceptance_ataxia_is_a_balance_problem_not_anaemia(b12):
    result = b12("risk", "--symptom", "ataxia", "--format", "json")
    assert result.exit_code == 0
    (item,) = result.json()["items"]
    assert item["id"] == "balance-problems" and item["urgency"] == "prompt"


def test_json_contract(b12):
    result = b12("risk", "--symptom", "tingling", "--factor", "metformin", "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    document = result.json()
    assert set(document) == TOP_KEYS and document["schema"] == "b12.risk/2"
    assert (document["advice"], document["testing"], document["urgency"]) == ("prompt", "offer_test", "prompt")
    assert [(i["kind"], i["id"]) for i in document["items"]] == [("symptom", "tingling"), ("factor", "metformin")]
    assert all(set(i) == ITEM_KEYS and i["sources"] and i["listed_by"] for i in document["items"])
    assert document["factor_advice"] == [{"factors": ["metformin"], "id": "advice-periodic-check",
                                          "text": document["factor_advice"][0]["text"],
                                          "sources": document["factor_advice"][0]["sources"]}]
    assert "Do not stop the medicine" in document["factor_advice"][0]["text"]


def test_acceptance_nothing_given_and_fatigue_alone(b12):
    assert b12("risk", "--format", "json").json()["advice"] == "not_indicated"
    assert b12("risk", "--symptom", "fatigue", "--format", "json").json()["advice"] == "consider"


@pytest.mark.parametrize(("args", "suggestion"), [
    (["--symptom", "tingeling"], "did you mean: tingling?"),
    (["--factor", "metfromin"], "did you mean: metformin?"),
    (["--symptom", "zzzzzz"], "expected one of fatigue, tingling"),
    (["--diet", "keto"], "expected one of vegan, vegetarian"),
    (["--symptom", "metformin"], "it is listed for --factor; use --factor metformin"),
    (["--factor", "numbness"], "it is listed for --symptom; use --symptom numbness"),
    (["--age", "-3"], "--age '-3' is out of range"),
    (["--symptom", " "], "holds an empty name"),
    (["--meds", "metformin,,omeprazole"], "holds an empty name"),
])
def test_bad_names_exit_2_with_one_line(b12, args, suggestion):
    result = b12("risk", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    assert suggestion in result.stderr


def test_shortcuts_on_the_command_line(b12):
    document = b12("risk", "-s", "memory", "--age", "70", "--diet", "vegan", "--meds", "omeprazole,Pepcid",
                   "--meds", "aspirin", "--taking-b12", "--breastfeeding", "--format", "json").json()
    ids = [i["id"] for i in document["items"]]
    assert ids == ["memory-problems", "vegan-diet", "older-age", "acid-reducing-medicines"]
    assert [m["query"] for m in document["medicines"]] == ["omeprazole", "Pepcid", "aspirin"]
    assert document["query"]["meds"] == ["omeprazole", "Pepcid", "aspirin"]
    assert document["query"]["taking_b12"] is True and document["on_b12"]["text"].startswith("You already take B12")
    assert document["factor_advice"][0]["id"] == "advice-vegan-pregnant"


def test_list_shows_both_lists_with_who_lists_them(b12, kb):
    result = b12("risk", "--list", "--format", "json")
    document = result.json()
    assert set(document) == {"schema", "items", "notes"} and document["schema"] == "b12.risk.list/2"
    assert {i["kind"] for i in document["items"]} == {"symptom", "factor"}
    assert len(document["items"]) == len(kb.risk.symptoms) + len(kb.risk.factors)
    assert all(set(i) == LIST_KEYS and i["sources"] and i["listed_by"] for i in document["items"])
    table = b12("risk", "--list")
    assert "Symptoms and signs" in table.stdout and "Risk factors" in table.stdout and "Listed" in table.stdout


@pytest.mark.parametrize(("args", "code"), [([], 0), (["--symptom", "fatigue"], 3), (["--factor", "vegan"], 3),
                                            (["--symptom", "numbness", "--pregnant"], 3)])
def test_check_exits_3_unless_not_indicated(b12, args, code):
    assert b12("risk", *args, "--check").exit_code == code


def test_csv_has_a_row_per_reason_with_the_decision(b12):
    lines = b12("risk", "-s", "fatigue", "--factor", "diabetes", "--format", "csv").stdout.splitlines()
    assert lines[0] == CSV_HEADER
    assert len(lines) == 3 and all(line.startswith("consider,consider_test,routine,") for line in lines[1:])
    empty = b12("risk", "--format", "csv").stdout.splitlines()
    assert empty == [CSV_HEADER, "not_indicated,not_indicated,none" + "," * 10]


def test_table_shows_what_to_do_and_how_soon(b12):
    result = b12("risk", "--symptom", "fatigue", "--pregnant", "--diet", "vegan")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "Prompt" in out and "Testing: offer test; see a doctor: within days" in out
    assert "What to do:" in out and "B12 supplement every day" in out and "midwife" in out


def test_help_shows_examples_and_choices(b12):
    text = b12("risk", "--help").stdout
    assert "Examples:" in text and text.count(" b12 risk --") >= 2 and "vegan or vegetarian" in text and "NAME" in text


# ------------------------------------------------------------------ --meds near misses


@pytest.mark.parametrize(("name", "suggestion"), [("metfromin", "metformin"), ("omeprazol", "omeprazole"),
                                                  ("glucofage", "Glucophage")])
def test_meds_near_miss_is_refused_naming_the_suggestion(b12, name, suggestion):
    result = b12("risk", "--symptom", "fatigue", "--meds", name)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: --meds") and result.stderr.count("\n") == 1
    assert f"did you mean {suggestion}?" in result.stderr


@pytest.mark.parametrize("name", ["aspirin", "lamotrigine", "atorvastatin"])
def test_meds_without_a_near_miss_stay_reported_not_refused(b12, name):
    result = b12("risk", "--symptom", "fatigue", "--meds", name, "--format", "json")
    assert result.exit_code == 0
    (medicine,) = result.json()["medicines"]
    assert medicine["listed_as"] is None and medicine["suggestions"] == [] and medicine["note"]


@pytest.mark.parametrize("name", ["Pepcid AC", "Tagamet HB", "Zantac 360"])
def test_meds_otc_pack_names_count_as_h2_blockers(kb, name):
    result = assess(kb, symptoms=("fatigue",), meds=(name,))
    (medicine,) = result.medicines
    assert medicine.class_id == "h2-receptor-antagonists" and medicine.factor_id == "acid-reducing-medicines"
    assert result.advice == "test"
