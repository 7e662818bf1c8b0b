"""`b12 risk`: the NICE rule, its escalation to urgent, shortcuts, errors, output contract."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from b12cli.domain import risk as core
from b12cli.errors import UsageError
from tests.conftest import DATA

GOLDEN = Path(__file__).parent / "golden"
TOP_KEYS = {"schema", "query", "advice", "summary", "items", "first_test", "if_indeterminate", "seek_care_promptly",
            "medicines", "notes"}
ITEM_KEYS = {"kind", "id", "name", "given_as", "flag", "text", "sources", "advice"}
LIST_KEYS = {"kind", "id", "name", "aliases", "flag", "text", "sources"}


def assess(kb, **query):
    return core.assess(kb.risk, kb.medications, core.RiskQuery(**query))


# ------------------------------------------------------------------ core: the rule at every edge


@pytest.mark.parametrize(("query", "advice"), [
    ({}, "not_indicated"),
    ({"symptoms": ("fatigue",)}, "consider"),
    ({"symptoms": ("tingling",)}, "consider"),
    ({"factors": ("metformin",)}, "consider"),
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "test"),
    ({"symptoms": ("fatigue", "sore-tongue"), "factors": ("vegan-diet", "diabetes")}, "test"),
    ({"symptoms": ("tingling",), "factors": ("metformin",)}, "urgent"),
    ({"symptoms": ("fatigue",), "factors": ("nitrous-oxide",)}, "urgent"),
    ({"symptoms": ("fatigue",), "pregnant": True}, "test"),  # no cited source calls this urgent: a note instead
    ({"symptoms": ("numbness",), "pregnant": True}, "urgent"),
    ({"pregnant": True}, "consider"),
    ({"factors": ("nitrous-oxide",)}, "consider"),
])
def test_advice_follows_the_rule(kb, query, advice):
    assert assess(kb, **query).advice == advice


@pytest.mark.parametrize(("age", "added"), [(65, False), (65.01, True), (70, True), (30, False)])
def test_age_adds_older_age_only_above_65(kb, age, added):
    result = assess(kb, age_years=age)
    assert ("older-age" in {r.id for r in result.reasons}) is added
    assert result.advice == ("consider" if added else "not_indicated")


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


@pytest.mark.parametrize(("query", "first"), [
    ({"symptoms": ("fatigue",), "factors": ("metformin",)}, "first-test"),
    ({"symptoms": ("fatigue",), "pregnant": True}, "first-test-pregnancy"),
    ({"symptoms": ("numbness",), "factors": ("nitrous-oxide",), "pregnant": True}, "first-test-nitrous-oxide"),
    ({"symptoms": ("fatigue",)}, "first-test"),
])
def test_which_test_first(kb, query, first):
    result = assess(kb, **query)
    assert result.first_test == kb.risk.messages[first]
    assert result.if_indeterminate == kb.risk.messages["if-indeterminate"]


def test_no_test_is_suggested_without_a_symptom(kb):
    result = assess(kb, factors=("metformin",))
    assert result.first_test is None and result.if_indeterminate is None


def test_prompt_care_messages(kb):
    m = kb.risk.messages
    assert assess(kb, symptoms=("tingling",)).seek_care_promptly == (m["prompt-neurological"],)
    assert assess(kb, symptoms=("fatigue",)).seek_care_promptly == ()
    both = assess(kb, symptoms=("fatigue",), factors=("nitrous-oxide", "pregnancy"))
    assert both.seek_care_promptly == (m["prompt-pregnancy"], m["prompt-nitrous-oxide"])
    assert any("not a category defined by NICE" in n for n in assess(kb, symptoms=("numbness",),
                                                                          factors=("diabetes",)).notes)


@pytest.mark.parametrize("name", ["Tingling", "pins and needles", "PINS_AND_NEEDLES", " numb "])
def test_names_and_aliases_are_case_and_space_insensitive(kb, name):
    (reason,) = assess(kb, symptoms=(name,)).reasons
    assert reason.kind == "symptom"


def test_a_factor_given_twice_counts_once(kb):
    result = assess(kb, factors=("metformin",), meds=("metformin",))
    assert [r.id for r in result.reasons] == ["metformin"]


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
    ("    aliases: [numb, loss-of-feeling]", "    aliases: [numb, tingling]", "already names symptoms[1]"),
    ("    diet: vegetarian", "    diet: vegan", "expected exactly one factor with diet: vegan"),
    ("    neurological: true\n    text: \"Numbness", "    neurological: maybe\n    text: \"Numbness",
     "expected true or false"),
    ("    medication_classes: [colchicine, anticonvulsants]", "    medication_classes: [colchicine, metformin]",
     "class 'metformin' is already mapped"),
    ("  - id: if-indeterminate", "  - id: if-unsure", "missing message with id 'if-indeterminate'"),
    ("    sources: [bmj-best-practice]\n  - id: heavy-alcohol", "    sources: [no-such]\n  - id: heavy-alcohol",
     "unknown source id 'no-such'"),
])
def test_broken_risk_file_fails_with_exit_1_naming_the_key(b12, edit_kb, old, new, error):
    edit_kb("risk.yaml", old, new)
    result = b12("risk", "--symptom", "fatigue")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("b12: error: risk.yaml") and error in result.stderr


# ------------------------------------------------------------------ command line


def test_acceptance_tingling_and_metformin(b12):
    result = b12("risk", "--symptom", "tingling", "--factor", "metformin", "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    document = result.json()
    assert set(document) == TOP_KEYS and document["schema"] == "b12.risk/1"
    assert document["advice"] == "urgent"
    assert [(i["kind"], i["id"]) for i in document["items"]] == [("symptom", "tingling"), ("factor", "metformin")]
    assert all(set(i) == ITEM_KEYS and i["sources"] for i in document["items"])
    assert "doc-harvard" in document["summary"]["sources"]


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
                   "--meds", "aspirin", "--format", "json").json()
    ids = [i["id"] for i in document["items"]]
    assert ids == ["memory-problems", "older-age", "vegan-diet", "acid-reducing-medicines"]
    assert [m["query"] for m in document["medicines"]] == ["omeprazole", "Pepcid", "aspirin"]
    assert document["query"]["meds"] == ["omeprazole", "Pepcid", "aspirin"]


def test_list_shows_both_lists_with_sources(b12, kb):
    result = b12("risk", "--list", "--format", "json")
    document = result.json()
    assert set(document) == {"schema", "items", "notes"} and document["schema"] == "b12.risk.list/1"
    kinds = {i["kind"] for i in document["items"]}
    assert kinds == {"symptom", "factor"}
    assert len(document["items"]) == len(kb.risk.symptoms) + len(kb.risk.factors)
    assert all(set(i) == LIST_KEYS and i["sources"] for i in document["items"])
    table = b12("risk", "--list")
    assert "Symptoms and signs" in table.stdout and "Risk factors" in table.stdout


@pytest.mark.parametrize(("args", "code"), [([], 0), (["--symptom", "fatigue"], 3), (["--factor", "vegan"], 3),
                                            (["--symptom", "numbness", "--pregnant"], 3)])
def test_check_exits_3_unless_not_indicated(b12, args, code):
    assert b12("risk", *args, "--check").exit_code == code


def test_csv_has_a_row_per_reason_with_the_advice(b12):
    lines = b12("risk", "-s", "fatigue", "--factor", "diabetes", "--format", "csv").stdout.splitlines()
    assert lines[0] == "advice,kind,id,name,given_as,flag,text,sources"
    assert len(lines) == 3 and all(line.startswith("test,") for line in lines[1:])
    empty = b12("risk", "--format", "csv").stdout.splitlines()
    assert empty == ["advice,kind,id,name,given_as,flag,text,sources", "not_indicated,,,,,,,"]


def test_help_shows_examples_and_choices(b12):
    text = b12("risk", "--help").stdout
    assert "Examples:" in text and text.count(" b12 risk --") >= 2 and "vegan or vegetarian" in text and "NAME" in text


# ------------------------------------------------------------------ --meds near misses; what made it urgent


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


def test_meds_nitrous_by_its_common_name_is_prompt(kb):
    result = assess(kb, symptoms=("fatigue",), meds=("laughing gas",))
    assert result.medicines[0].factor_id == "nitrous-oxide" and result.advice == "urgent"


@pytest.mark.parametrize(("query", "message"), [
    ({"symptoms": ("tingling",), "factors": ("metformin",)}, "advice-urgent-neurological"),
    ({"symptoms": ("numbness",), "pregnant": True}, "advice-urgent-neurological"),
    ({"symptoms": ("fatigue",), "factors": ("nitrous-oxide",)}, "advice-urgent-nitrous-oxide"),
])
def test_urgent_text_names_its_cause(kb, query, message):
    result = assess(kb, **query)
    assert result.advice == "urgent" and result.summary == kb.risk.messages[message]


def test_urgent_text_names_both_causes_when_both_apply(kb):
    m = kb.risk.messages
    result = assess(kb, symptoms=("tingling",), factors=("nitrous-oxide",))
    assert result.summary.text == f"{m['advice-urgent-neurological'].text} {m['advice-urgent-nitrous-oxide'].text}"
    assert set(result.summary.sources) == set(m["advice-urgent-neurological"].sources) | set(
        m["advice-urgent-nitrous-oxide"].sources)


def test_nitrous_urgency_never_speaks_of_nerve_symptoms_not_given(kb):
    result = assess(kb, symptoms=("fatigue",), factors=("nitrous-oxide",))
    assert "nitrous oxide" in result.summary.text and "Nerve damage from B12" not in result.summary.text


@pytest.mark.parametrize("query", [{"symptoms": ("fatigue",), "pregnant": True},
                                   {"symptoms": ("fatigue",), "factors": ("pregnancy",)}])
def test_pregnancy_with_a_symptom_is_test_with_a_midwife_note(kb, query):
    result = assess(kb, **query)
    assert result.advice == "test" and result.summary == kb.risk.messages["advice-test"]
    (note,) = [n for n in result.notes if "midwife" in n]
    assert "1 month" in note and "active B12" in note and "pulse-ng239" in note
    assert not any("Nerve damage" in n for n in result.notes)
    assert result.first_test == kb.risk.messages["first-test-pregnancy"]


def test_pregnancy_table_why_is_the_test_advice(b12):
    result = b12("risk", "--symptom", "fatigue", "--pregnant")
    assert result.exit_code == 0
    assert "Nerve damage" not in result.stdout and "midwife" in result.stdout + result.stderr


def test_a_prompt_factor_needs_its_own_urgent_message(kb_copy, b12):
    path = kb_copy / "risk.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: advice-urgent-nitrous-oxide\n", "  - id: advice-urgent-other\n"),
                    encoding="utf-8")
    result = b12("risk", "--list")
    assert result.exit_code == 1 and "advice-urgent-nitrous-oxide" in result.stderr
