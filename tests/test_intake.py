"""`b12 intake`: name resolution, servings, target, absorbed estimate, crystalline share, output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from b12cli.domain import intake as core
from b12cli.domain.numbers import parse_age
from b12cli.errors import KnowledgeBaseError, UsageError
from tests.conftest import modules_loaded

GOLDEN = Path(__file__).parent / "golden"
TOP_KEYS = {"schema", "query", "warning", "items", "total_mcg", "target", "percent_of_target",
            "percent_of_target_text", "absorbed", "crystalline", "notes"}
ITEM_KEYS = {"kind", "query", "id", "name", "servings", "serving", "mcg", "crystalline", "absorbed_mcg",
             "absorbed_mcg_low", "absorbed_mcg_high", "chosen", "also_fits", "caveats", "sources"}


def day(kb, *foods, **query):
    return core.day(kb.foods, kb.intake, kb.intakes, kb.absorption, core.IntakeQuery(tuple(foods), **query))


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(("name", "food", "how"), [
    ("salmon", "salmon-atlantic-wild-cooked", "default"),
    ("Salmon", "salmon-atlantic-wild-cooked", "default"),
    ("egg", "egg-whole-cooked", "default"),
    ("eggs", "egg-whole-cooked", "default"),
    ("milk", "milk-2-percent", "default"),
    ("beef-liver", "beef-liver-pan-fried", "default"),
    ("beef liver", "beef-liver-pan-fried", "default"),
    ("salmon-sockeye-cooked", "salmon-sockeye-cooked", "id"),
    ("Salmon, sockeye, cooked (dry heat)", "salmon-sockeye-cooked", "name"),
    ("sockeye", "salmon-sockeye-cooked", "words"),
    ("raw egg", "egg-whole-raw", "words"),
])
def test_names_resolve(kb, name, food, how):
    pick = core.resolve(kb.foods, kb.intake, name)
    assert (pick.food.id, pick.how) == (food, how)


def test_a_default_names_the_other_fits(kb):
    pick = core.resolve(kb.foods, kb.intake, "salmon")
    assert set(pick.also_fits) == {"salmon-atlantic-farmed-cooked", "salmon-sockeye-cooked"}
    assert pick.reason and pick.sources == ("ods-b12",)


@pytest.mark.parametrize(("name", "message"), [
    ("tuna", "fits 4 foods: tuna-bluefin-cooked"),
    ("salmn", "did you mean: salmon"),
    ("chees", "did you mean: cheese"),
    ("xylophone", "see 'b12 foods' for the list"),
    ("  ", "is empty"),
])
def test_unknown_or_ambiguous_names_are_refused(kb, name, message):
    with pytest.raises(UsageError, match=message):
        core.resolve(kb.foods, kb.intake, name)


def test_every_default_names_a_food_that_its_word_fits(kb):
    ids = {f.id: f for f in kb.foods.foods}
    for d in kb.intake.defaults:
        assert d.food in ids, d.word
        assert core.resolve(kb.foods, kb.intake, d.word).food.id == d.food
        assert all(s in kb.sources for s in d.sources)


def test_a_default_naming_a_missing_food_is_a_knowledge_base_error(kb):
    broken = kb.intake._replace(defaults=(kb.intake.defaults[0]._replace(food="no-such-food"),))
    with pytest.raises(KnowledgeBaseError, match="no-such-food"):
        core.resolve(kb.foods, broken, "salmon")


@pytest.mark.parametrize(("text", "expected"), [("egg", ("egg", 1.0)), ("egg:2", ("egg", 2.0)),
                                                ("milk:0.5", ("milk", 0.5)), ("milk:100", ("milk", 100.0))])
def test_servings(text, expected):
    assert core.parse_food(text) == expected


@pytest.mark.parametrize(("text", "message"), [("egg:0", "out of range"), ("egg:-1", "out of range"),
                                               ("egg:100.5", "out of range"), ("egg:two", "not a number"),
                                               ("egg:", "not a number"), ("egg:nan", "not a number")])
def test_bad_servings(text, message):
    with pytest.raises(UsageError, match=message):
        core.parse_food(text)


# ------------------------------------------------------------------ the day


def test_acceptance_salmon_and_two_eggs_at_30(kb):
    result = day(kb, "salmon", "egg:2", age=parse_age("30"))
    assert [i.mcg for i in result.items] == [2.6, 1.0]
    assert result.total_mcg == 3.6 and result.target.mcg_per_day == 2.4 and result.percent_of_target == 150.0
    assert result.absorbed_mcg == pytest.approx(0.7 + 0.5)  # 2.6 mcg interpolated; 1 mcg at 50%
    assert result.crystalline_mcg is None


def test_over_50_shows_the_crystalline_share(kb):
    liver = day(kb, "beef-liver", age=parse_age("70"))
    assert liver.crystalline_mcg == 0.0 and liver.crystalline_percent_of_target == 0.0
    mixed = day(kb, "breakfast-cereal-fortified-25-dv", "milk", supplements_mcg=(25.0,), age=parse_age("70"))
    cereal = next(i for i in mixed.items if i.id == "breakfast-cereal-fortified-25-dv")
    assert mixed.crystalline_mcg == pytest.approx(cereal.mcg + 25.0)


@pytest.mark.parametrize(("age", "shown"), [("50.99", False), ("51", True)])
def test_crystalline_starts_at_51(kb, age, shown):
    assert (day(kb, "egg", age=parse_age(age)).crystalline_mcg is not None) is shown


def test_without_intrinsic_factor_everything_is_passive(kb):
    result = day(kb, "salmon", supplements_mcg=(1000.0,), intrinsic_factor=False)
    assert [i.absorbed_mcg for i in result.items] == [0.026, 10.0]
    assert [(i.absorbed_mcg_low, i.absorbed_mcg_high) for i in result.items] == [(0.013, 0.026), (5.0, 10.0)]
    assert result.crystalline_mcg is None  # crystalline B12 helps only where intrinsic factor is made (F2)
    assert any("0.5% or less" in n for n in result.notes)


@pytest.mark.parametrize("age", [None, "30", "70"])
def test_without_intrinsic_factor_medical_treatment_leads_and_nothing_is_to_count_on(b12, age):
    """F2: without intrinsic factor food and ordinary supplements cannot be relied on; medical treatment."""
    args = ["intake", "cornflakes", "--no-intrinsic-factor", *(["--age", age] if age else [])]
    document = b12(*args, "--format", "json").json()
    assert "medical treatment" in document["warning"] and "injections" in document["warning"]
    assert "1 mg" in document["warning"] and document["crystalline"] is None
    everything = json.dumps(document) + b12(*args).stdout + b12(*args).stderr
    assert "count on" not in everything
    table = b12(*args, env={"COLUMNS": "80"}).stdout
    assert table.startswith("Warning: Without intrinsic factor") and "medical treatment" in " ".join(table.split())
    csv = b12(*args, "--format", "csv")
    assert csv.stderr.startswith("Warning: Without intrinsic factor") and "medical treatment" in csv.stderr
    with_factor = b12("intake", "cornflakes", "--format", "json").json()
    assert with_factor["warning"] is None and "medical treatment" not in json.dumps(with_factor)


def test_every_unknown_food_is_named_at_once(b12):
    """usability #15: all the names that cannot be used, each with its suggestion, in one line, exit 2."""
    result = b12("intake", "salmn", "egg", "bluberry-muffin")
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("b12: error: 2 foods could not be used: ")
    assert "'salmn' is not known (did you mean: salmon" in result.stderr
    assert "'bluberry-muffin' is not known" in result.stderr
    tuna = b12("intake", "salmn", "tuna")
    assert tuna.exit_code == 2 and "'tuna' fits" in tuna.stderr and "'salmn' is not known" in tuna.stderr


@pytest.mark.parametrize(("name", "food", "mcg"), [("tofu", "tofu-firm", 0.0),
                                                   ("oat milk", "oat-drink-unfortified", 0.0),
                                                   ("oat-drink-fortified-eu", "oat-drink-fortified-eu", 0.76),
                                                   ("soya drink", "soya-drink-fortified-eu", 0.76),
                                                   ("almond milk", "almond-milk-unsweetened", 0.0),
                                                   ("marmite", "marmite-uk", 0.6), ("nz marmite", "marmite-nz", 0.74),
                                                   ("vegemite", "vegemite", 0.0), ("cornflakes",
                                                   "breakfast-cereal-fortified-25-dv", 0.6)])
def test_foods_as_people_log_them(b12, name, food, mcg):
    (item,) = b12("intake", name, "--format", "json").json()["items"]
    assert item["id"] == food and item["mcg"] == mcg


def test_a_brand_dependent_food_shows_its_caveat_in_the_table(b12):
    result = b12("intake", "marmite", "oat milk", env={"COLUMNS": "80"})
    text = " ".join(result.stdout.split())
    assert "(check the label)" in text and "Check the label:" in text
    assert "Marmite, UK recipe (B12 added): UK Marmite has B12 added" in text
    assert "if the label lists B12, log oat-drink-fortified-eu instead" in text


@pytest.mark.parametrize(("food", "model", "low", "high"), [
    ("beef-liver-pan-fried", 6.611, 2.757, 11.286),  # 70.7 mcg, scaled from the measured 38 mcg portion
    ("salmon-atlantic-wild-cooked", 0.7, 0.7, 0.798),  # 2.6 mcg: the model and the food-study fit
    ("clams-cooked", 1.24, 1.24, 3.382),  # 17 mcg: interpolated between 5 and 25 mcg; the fit is higher
])
def test_food_portions_use_measured_absorption_where_there_is_one(b12, food, model, low, high):
    """F12: liver uses the measured uptake (4.1 mcg of 38 mcg, scaled); other foods are bounded by the model and the
    fit to food studies."""
    (item,) = b12("intake", food, "--format", "json").json()["items"]
    assert (item["absorbed_mcg"], item["absorbed_mcg_low"], item["absorbed_mcg_high"]) == \
        pytest.approx((model, low, high), abs=0.002)


def test_the_liver_measurement_itself_is_reproduced(kb):
    liver = next(f for f in kb.foods.foods if f.id == "beef-liver-pan-fried")
    measured = liver.absorption
    result = day(kb, "beef-liver-pan-fried:0.5375")  # 0.5375 x 70.7 = 38.0 mcg, the measured portion
    (item,) = result.items
    assert item.mcg == pytest.approx(measured.measured_dose_mcg, abs=0.01)
    assert item.absorbed_mcg == pytest.approx(4.1, abs=0.01)
    assert (item.absorbed_mcg_low, item.absorbed_mcg_high) == pytest.approx((1.71, 7.0), abs=0.01)


@pytest.mark.parametrize(("guideline", "target", "percent_text"), [("us", 2.4, "150%"), ("uk", 1.5, "240%"),
                                                                   ("efsa", 4.0, "90%")])
def test_the_target_follows_the_guideline(b12, guideline, target, percent_text):
    document = b12("intake", "salmon", "egg:2", "--age", "30", "--guideline", guideline, "--format", "json").json()
    assert document["target"]["mcg_per_day"] == target and document["target"]["guideline"] == guideline
    assert document["percent_of_target_text"] == percent_text
    assert any("Bodies set different amounts" in n for n in document["notes"])


def test_meals_split_the_food_evenly(kb):
    apart = day(kb, "milk:2", "egg:2")
    together = day(kb, "milk:2", "egg:2", meals=1)
    split = day(kb, "milk:2", "egg:2", meals=3)
    assert apart.absorbed_mcg == pytest.approx(0.7 + 0.5)  # 2.6 mcg and 1 mcg as two meals
    assert together.absorbed_mcg == pytest.approx(0.825)  # 3.6 mcg at once
    assert split.absorbed_mcg == pytest.approx(3 * 0.525)  # 1.2 mcg in each of 3 meals
    assert together.absorbed_mcg < apart.absorbed_mcg < split.absorbed_mcg
    assert all(i.absorbed_mcg is None for i in split.items)


def test_target_follows_rda(kb):
    assert day(kb, "egg").target.id == "adults-19-50-years"
    assert any("No age was given" in n for n in day(kb, "egg").notes)
    assert day(kb, "egg", pregnant=True).target.mcg_per_day == 2.6
    assert day(kb, "egg", breastfeeding=True).target.mcg_per_day == 2.8
    assert day(kb, "egg", age=parse_age("2")).target.mcg_per_day == 0.9
    with pytest.raises(UsageError, match="cannot be combined"):
        day(kb, "egg", pregnant=True, breastfeeding=True)


@pytest.mark.parametrize(("query", "message"), [
    ({}, "no food or supplement given"),
    ({"supplements_mcg": (0.0,)}, "--supplement 0 mcg is out of range"),
    ({"supplements_mcg": (-2.0,)}, "--supplement -2 mcg is out of range"),
    ({"supplements_mcg": (1.0,), "meals": 7}, "--meals 7 is out of range"),
])
def test_bad_days_are_refused(kb, query, message):
    with pytest.raises(UsageError, match=message):
        core.day(kb.foods, kb.intake, kb.intakes, kb.absorption, core.IntakeQuery(**query))


# ------------------------------------------------------------------ knowledge base


@pytest.mark.parametrize(("old", "new", "error"), [
    ("  - word: egg\n", "  - word: Salmon\n", "duplicate 'salmon'"),
    ("    food: milk-2-percent", "    food: Milk 2%", "expected an id"),
    ("  - id: crystalline", "  - id: crystal", "missing message with id 'crystalline'"),
])
def test_broken_intake_file_fails_with_exit_1(b12, edit_kb, old, new, error):
    edit_kb("intake.yaml", old, new)
    result = b12("intake", "egg")
    assert result.exit_code == 1 and result.stderr.startswith("b12: error: intake.yaml") and error in result.stderr


# ------------------------------------------------------------------ command line


def test_acceptance_json(b12):
    result = b12("intake", "salmon", "egg:2", "--age", "30", "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    document = result.json()
    assert set(document) == TOP_KEYS and document["schema"] == "b12.intake/1"
    assert all(set(i) == ITEM_KEYS and i["sources"] for i in document["items"])
    assert document["total_mcg"] == 3.6 and document["percent_of_target"] == 150.0
    assert document["target"]["mcg_per_day"] == 2.4
    assert set(document["absorbed"]) == {"mcg", "mcg_low", "mcg_high", "assumption"} and document["crystalline"] is None
    salmon = document["items"][0]
    assert "salmon-atlantic-wild-cooked" in salmon["chosen"] and "salmon-sockeye-cooked" in salmon["also_fits"]


def test_acceptance_beef_liver_at_70(b12):
    document = b12("intake", "beef-liver", "--age", "70", "--format", "json").json()
    assert document["crystalline"] == {"mcg": 0.0, "percent_of_target": 0.0, "percent_of_target_text": "0%"}


@pytest.mark.parametrize(("args", "message"), [
    (["salmn"], "did you mean: salmon"),
    (["tuna"], "give one of these ids"),
    (["egg:0"], "out of range"),
    (["egg", "--supplement", "abc"], "--supplement 'abc' is not a number"),
    (["egg", "--age", "30", "--months", "5"], "cannot be combined"),
    (["egg", "--meals", "0"], "--meals '0' is not accepted"),
    ([], "no food or supplement given"),
])
def test_bad_input_exits_2_with_one_line(b12, args, message):
    result = b12("intake", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1 and message in result.stderr


def test_csv_has_a_row_per_item(b12):
    lines = b12("intake", "salmon", "egg:2", "--supplement", "250", "--format", "csv").stdout.splitlines()
    assert lines[0] == ("kind,query,id,name,servings,serving,mcg,crystalline,absorbed_mcg,absorbed_mcg_low,"
                        "absorbed_mcg_high,chosen,also_fits,caveats,sources")
    assert len(lines) == 4 and lines[3].startswith("supplement,--supplement 250,,")


def test_help_shows_examples(b12):
    text = b12("intake", "--help").stdout
    assert "Examples:" in text and text.count(" b12 intake ") >= 2 and "FOOD[:SERVINGS]" in text and "MCG" in text


@pytest.mark.parametrize("args", [["risk", "-s", "tingling", "--meds", "metformin"], ["absorb", "--dose", "5"],
                                  ["intake", "salmon", "egg:2", "--age", "70"]])
def test_json_path_of_the_decision_commands_imports_neither_rich_nor_yaml(tmp_path, args):
    _, loaded = modules_loaded([*args, "--format", "json"], tmp_path, {"rich", "yaml"})
    assert loaded == set()


# --- the note that the pregnancy tables start at 14; names through food aliases ----------------------------


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_pregnancy_under_14_gets_the_tables_start_at_14_note(b12, fmt):
    result = b12("intake", "beef-liver:0.5", "--pregnant", "--age", "12", "--format", fmt)
    assert result.exit_code == 0
    text = " ".join((result.stderr if fmt == "table" else " ".join(result.json()["notes"])).split())
    assert text.count("set from age 14") == 1
    adult = b12("intake", "beef-liver:0.5", "--pregnant", "--age", "14", "--format", fmt)
    assert "set from age 14" not in adult.stdout + adult.stderr


@pytest.mark.parametrize(("name", "food"), [("marmite", "marmite-uk"), ("Vegemite", "vegemite"),
                                            ("Promite", "yeast-extract-spread"),
                                            ("nooch", "nutritional-yeast-fortified"),
                                            ("soya milk", "soymilk-fortified-unsweetened"),
                                            ("marmite:2", "marmite-uk")])
def test_names_resolve_through_food_aliases(b12, name, food):
    result = b12("intake", name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (item,) = result.json()["items"]
    assert item["id"] == food


def test_a_misspelt_alias_is_suggested(b12):
    result = b12("intake", "marmit")
    assert result.exit_code == 2 and "did you mean: marmite" in result.stderr
