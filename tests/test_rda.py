"""`b12 rda`: every life-stage boundary in the spec's table, and invalid input."""

from __future__ import annotations

import pytest

from b12cli.domain import rda
from b12cli.domain.numbers import parse_age, parse_months
from b12cli.errors import UsageError


@pytest.mark.parametrize(
    ("option", "value", "stage", "mcg"),
    [
        ("--months", "0", "Infants 0–6 months", 0.4),
        ("--months", "6", "Infants 0–6 months", 0.4),
        ("--months", "6.9", "Infants 0–6 months", 0.4),
        ("--months", "7", "Infants 7–12 months", 0.5),
        ("--months", "11", "Infants 7–12 months", 0.5),
        ("--months", "12", "Children 1–3 years", 0.9),
        ("--age", "0", "Infants 0–6 months", 0.4),
        ("--age", "0.5", "Infants 0–6 months", 0.4),  # 6 completed months
        ("--age", "0.59", "Infants 7–12 months", 0.5),  # 7.08 -> 7 completed months
        ("--age", "0.99", "Infants 7–12 months", 0.5),
        ("--age", "1", "Children 1–3 years", 0.9),
        ("--age", "3.9", "Children 1–3 years", 0.9),
        ("--age", "3.99", "Children 1–3 years", 0.9),
        ("--age", "4", "Children 4–8 years", 1.2),
        ("--age", "8.99", "Children 4–8 years", 1.2),
        ("--age", "9", "Children 9–13 years", 1.8),
        ("--age", "13", "Children 9–13 years", 1.8),
        ("--age", "13.99", "Children 9–13 years", 1.8),
        ("--age", "14", "Teens 14–18 years", 2.4),
        ("--age", "18", "Teens 14–18 years", 2.4),
        ("--age", "18.99", "Teens 14–18 years", 2.4),
        ("--age", "19", "Adults 19–50 years", 2.4),
        ("--age", "50", "Adults 19–50 years", 2.4),
        ("--age", "50.99", "Adults 19–50 years", 2.4),
        ("--age", "51", "Adults 51+ years", 2.4),
        ("--age", "70", "Adults 51+ years", 2.4),
        ("--age", "125", "Adults 51+ years", 2.4),
    ],
)
def test_life_stage_boundaries(b12, option, value, stage, mcg):
    result = b12("rda", option, value, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (item,) = result.json()["items"]
    assert (item["life_stage"], item["mcg_per_day"], item["unit"]) == (stage, mcg, "mcg/day")


def test_age_70_answers_with_the_older_adult_note(b12):
    item = b12("rda", "--age", "70", "--format", "json").json()["items"][0]
    assert item["mcg_per_day"] == 2.4 and item["kind"] == "RDA"
    assert any("fortified foods or a supplement" in note for note in item["notes"])
    table = b12("rda", "--age", "70")
    assert "2.4 mcg/day" in table.stdout and "fortified foods" in table.stdout


@pytest.mark.parametrize(
    ("flag", "stage", "mcg"), [("--pregnant", "Pregnancy", 2.6), ("--breastfeeding", "Breastfeeding", 2.8)]
)
@pytest.mark.parametrize("age", [None, "14", "30", "45"])
def test_pregnancy_and_breastfeeding_rows(b12, flag, stage, mcg, age):
    args = ["rda", flag, "--format", "json"] + (["--age", age] if age else [])
    item = b12(*args).json()["items"][0]
    assert (item["life_stage"], item["mcg_per_day"]) == (stage, mcg)
    assert not any("from age 14" in n for n in item["notes"])


@pytest.mark.parametrize("flag", ["--pregnant", "--breastfeeding"])
def test_under_14_gets_the_row_with_its_note(b12, flag):
    item = b12("rda", flag, "--age", "13", "--format", "json").json()["items"][0]
    assert item["mcg_per_day"] in (2.6, 2.8)
    assert any("from age 14" in note for note in item["notes"])


def test_listing_has_every_stage_with_sources(b12, kb):
    document = b12("rda", "--format", "json").json()
    assert document["schema"] == "b12.rda/1"
    assert [i["id"] for i in document["items"]] == [s.id for s in kb.intakes.life_stages]
    assert len(document["items"]) == 10
    for item in document["items"]:
        assert {"life_stage", "mcg_per_day", "kind", "notes", "sources"} <= set(item)
        assert item["sources"] and item["unit"] == "mcg/day"
    assert any("upper limit" in n for n in document["notes"])


def test_months_are_converted_to_years(b12):
    query = b12("rda", "--months", "18", "--format", "json").json()["query"]
    assert query == {"age_years": 1.5, "completed_months": 18, "condition": "none", "guideline": "us"}


@pytest.mark.parametrize(
    "args",
    [
        ["--age", "-1"], ["--age", "abc"], ["--age", "126"], ["--age", "nan"], ["--age", "inf"], ["--age", ""],
        ["--months", "-3"], ["--months", "x"], ["--age", "5", "--months", "60"],
        ["--pregnant", "--breastfeeding"], ["--format", "xml"],
    ],
)
def test_invalid_values_and_combinations_exit_2(b12, args):
    result = b12("rda", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_completed_months_are_exact_not_float_rounded():
    # 8.99 years is 107.88 months: still 4-8 years; floor on floats alone could drift at edges.
    assert parse_age("8.99").months == 107
    assert parse_age("4").months == 48
    assert parse_months("7").years == pytest.approx(7 / 12)


def test_core_refuses_both_conditions(kb):
    with pytest.raises(UsageError):
        rda.recommend(kb.intakes, None, pregnant=True, breastfeeding=True)


# ------------------------------------------------------------------ --guideline us | uk | efsa (usability #10)


def rda_json(b12, *args):
    result = b12("rda", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()


@pytest.mark.parametrize(("guideline", "age", "mcg", "kind"), [
    ("us", "30", 2.4, "RDA"), ("uk", "30", 1.5, "RNI"), ("efsa", "30", 4.0, "AI"),
    ("uk", "0", 0.3, "RNI"), ("uk", "0.5", 0.3, "RNI"), ("uk", "0.59", 0.4, "RNI"),  # 7.08 months: 7 completed
    ("uk", "0.99", 0.4, "RNI"), ("uk", "1", 0.5, "RNI"), ("uk", "3.99", 0.5, "RNI"), ("uk", "4", 0.8, "RNI"),
    ("uk", "6.99", 0.8, "RNI"), ("uk", "7", 1.0, "RNI"), ("uk", "10.99", 1.0, "RNI"), ("uk", "11", 1.2, "RNI"),
    ("uk", "14.99", 1.2, "RNI"), ("uk", "15", 1.5, "RNI"), ("uk", "90", 1.5, "RNI"),
    ("efsa", "0.59", 1.5, "AI"), ("efsa", "0.99", 1.5, "AI"), ("efsa", "15", 4.0, "AI"), ("efsa", "17.99", 4.0, "AI"),
    ("efsa", "18", 4.0, "AI"),
])
def test_each_guideline_gives_its_own_table_at_every_band_edge(b12, guideline, age, mcg, kind):
    (item,) = rda_json(b12, "--age", age, "--guideline", guideline)["items"]
    assert item["mcg_per_day"] == mcg and item["kind"] == kind and item["sources"]


@pytest.mark.parametrize(("guideline", "flag", "mcg"), [("us", "--pregnant", 2.6), ("uk", "--pregnant", 1.5),
                                                         ("efsa", "--pregnant", 4.5), ("us", "--breastfeeding", 2.8),
                                                         ("uk", "--breastfeeding", 2.0),
                                                         ("efsa", "--breastfeeding", 5.0)])
def test_pregnancy_and_breastfeeding_per_guideline(b12, guideline, flag, mcg):
    (item,) = rda_json(b12, "--age", "30", flag, "-g", guideline)["items"]
    assert item["mcg_per_day"] == mcg


def test_acceptance_uk_adult_is_1_5_and_the_others_are_named(b12):
    result = b12("rda", "--age", "30", "--guideline", "uk", env={"COLUMNS": "80"})
    assert result.exit_code == 0 and "1.5 mcg/day" in result.stdout and "UK (COMA)" in result.stdout
    notes = " ".join(result.stderr.split())
    assert "the US (IOM) says 2.4 mcg a day, the UK 1.5 mcg and the European Food Safety Authority 4 mcg" in notes
    document = rda_json(b12, "--age", "30", "-g", "uk")
    assert document["query"]["guideline"] == "uk" and any("Bodies set different amounts" in n
                                                         for n in document["notes"])


@pytest.mark.parametrize("age", ["0", "0.5", "1", "5", "14.99"])
def test_an_efsa_figure_not_held_is_refused_never_guessed(b12, age):
    result = b12("rda", "--age", age, "--guideline", "efsa")
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "no EFSA figure" in result.stderr and "expected --guideline us or uk" in result.stderr
    listed = {i["id"]: i for i in rda_json(b12, "-g", "efsa")["items"]}
    assert listed["efsa-children-1-14-years"]["mcg_per_day"] is None
    assert listed["efsa-children-1-14-years"]["notes"]


def test_the_tables_start_note_names_each_tables_own_age(b12):
    (us,) = rda_json(b12, "--age", "13", "--pregnant")["items"]
    (uk,) = rda_json(b12, "--age", "13", "--pregnant", "-g", "uk")["items"]
    assert any("set from age 14" in n for n in us["notes"]) and any("set from age 15" in n for n in uk["notes"])
    (adult,) = rda_json(b12, "--age", "15", "--pregnant", "-g", "uk")["items"]
    assert not any("set from age" in n for n in adult["notes"])


@pytest.mark.parametrize("value", ["nhs", "", "UKK"])
def test_an_unknown_guideline_is_refused(b12, value):
    result = b12("rda", "--guideline", value)
    assert result.exit_code == 2 and "expected one of us, uk, efsa" in result.stderr


def test_foods_count_servings_against_the_chosen_guideline(b12):
    document = b12("foods", "--age", "30", "--guideline", "efsa", "--format", "json").json()
    assert document["target"]["mcg_per_day"] == 4.0 and document["target"]["guideline"] == "efsa"
    first = document["items"][0]
    assert first["servings_for_rda"] == pytest.approx(4.0 / first["mcg_per_serving"])
    plain = b12("foods", "--guideline", "uk", "--format", "json").json()
    assert plain["target"] is None and any("--guideline uk changes only the servings" in n for n in plain["notes"])


@pytest.mark.parametrize(("old", "new", "message"), [
    ("        mcg_per_day: 0.5\n        kind: RNI", "        mcg_per_day: null\n        kind: RNI",
     "guidelines[1].life_stages[2].notes: a row with no figure must say why"),
    ("        min_months: 48\n        max_months: 84\n        mcg_per_day: 0.8",
     "        min_months: 50\n        max_months: 84\n        mcg_per_day: 0.8", "so that the ages join up"),
    ("  - id: efsa\n", "  - id: nordic\n", "guidelines[2].id"),
])
def test_the_loader_checks_each_guidelines_table(edit_kb, b12, old, new, message):
    edit_kb("intakes.yaml", old, new)
    result = b12("rda")
    assert result.exit_code == 1 and message in result.stderr
