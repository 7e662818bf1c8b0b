"""`b12 foods`: filters, sorting, %DV against 2.4 mcg, servings for an age."""

from __future__ import annotations

import re

import pytest

FOOD_KEYS = {"id", "name", "serving", "serving_g", "mcg_per_serving", "mcg_per_100g", "percent_dv", "category",
             "vegan", "vegetarian", "fortified", "aliases", "notes", "sources", "percent_dv_text", "brand_dependent",
             "caveats"}


def items(b12, *args):
    result = b12("foods", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_vegan_lists_only_vegan_foods_and_says_supplements_are_needed(b12):
    document = items(b12, "--vegan")
    names = [i["name"].casefold() for i in document["items"]]
    assert document["items"] and all(i["vegan"] for i in document["items"])
    assert any("nutritional yeast" in n for n in names)
    assert any("cereal" in n for n in names)
    assert any("soy" in n and "fortified" in n for n in names)
    assert not any("liver" in n or "milk, 2%" in n for n in names)
    assert any("supplement" in note and "vegan" in note.casefold() for note in document["notes"])
    table = b12("foods", "--vegan")
    assert "supplement" in table.stderr


def test_vegetarian_excludes_meat_and_fish(b12):
    document = items(b12, "--vegetarian", "--include-zero")
    categories = {i["category"] for i in document["items"]}
    assert all(i["vegetarian"] for i in document["items"])
    assert not categories & {"meat", "organ-meat", "fish", "shellfish", "poultry"}
    assert {"dairy", "eggs"} <= categories


def test_fortified_filter(b12):
    document = items(b12, "--fortified")
    assert document["items"] and all(i["fortified"] for i in document["items"])


def test_every_item_has_the_contract_keys_and_percent_dv_against_2_4(b12):
    document = items(b12, "--include-zero")
    assert document["schema"] == "b12.foods/1" and document["daily_value_mcg"] == 2.4
    assert set(document) == {"schema", "daily_value_mcg", "target", "items", "notes"} and document["target"] is None
    assert len(document["items"]) >= 30
    for item in document["items"]:
        assert set(item) == FOOD_KEYS
        assert item["percent_dv"] == pytest.approx(item["mcg_per_serving"] / 2.4 * 100)
        assert item["sources"]


def test_zero_foods_are_hidden_unless_asked(b12):
    default = items(b12)["items"]
    everything = items(b12, "--include-zero")["items"]
    assert all(i["mcg_per_serving"] > 0 for i in default)
    zero = [i for i in everything if i["mcg_per_serving"] == 0]
    assert {"banana", "spinach"} <= {z["name"].split(",")[0].casefold() for z in zero}
    assert len(everything) == len(default) + len(zero)


def test_default_sort_is_largest_first_and_name_is_a_to_z(b12):
    by_mcg = [i["mcg_per_serving"] for i in items(b12)["items"]]
    assert by_mcg == sorted(by_mcg, reverse=True)
    names = [i["name"].casefold() for i in items(b12, "--sort", "name")["items"]]
    assert names == sorted(names)
    per100 = [i["mcg_per_100g"] for i in items(b12, "--sort", "per100g")["items"]]
    known = [v for v in per100 if v is not None]
    assert known == sorted(known, reverse=True)
    assert per100[: len(known)] == known  # unknown values go last


def test_limit_and_min_mcg(b12):
    assert len(items(b12, "--limit", "3")["items"]) == 3
    rich = items(b12, "--min-mcg", "5")["items"]
    assert rich and all(i["mcg_per_serving"] >= 5 for i in rich)
    assert items(b12, "--min-mcg", "100000")["items"] == []


def test_search_matches_name_category_and_notes(b12):
    liver = items(b12, "--search", "LIVER")["items"]
    assert liver and all("liver" in (i["name"] + i["category"] + " ".join(i["notes"])).casefold() for i in liver)
    assert items(b12, "--search", "shellfish")["items"]
    assert items(b12, "--search", "no-such-food-anywhere")["items"] == []


def test_age_adds_servings_for_the_life_stage_intake(b12):
    document = items(b12, "--age", "30", "--include-zero")
    for item in document["items"]:
        if item["mcg_per_serving"] > 0:
            assert item["servings_for_rda"] == pytest.approx(2.4 / item["mcg_per_serving"])
        else:
            assert item["servings_for_rda"] is None
    child = items(b12, "--age", "2", "--search", "milk")["items"][0]
    assert child["servings_for_rda"] == pytest.approx(0.9 / child["mcg_per_serving"])
    assert "servings_for_rda" not in items(b12)["items"][0]


def test_older_adult_age_adds_the_fortified_foods_advice(b12):
    notes = items(b12, "--age", "70")["notes"]
    assert any("over 50" in n or "older" in n.casefold() for n in notes)


def test_documents_claims_are_kept_in_notes(b12):
    yeast = items(b12, "--search", "nutritional yeast")["items"][0]
    assert yeast["mcg_per_serving"] == 8.3 and yeast["mcg_per_100g"] is None
    assert any("24" in n for n in yeast["notes"])


@pytest.mark.parametrize(
    "args",
    [["--limit", "0"], ["--limit", "-1"], ["--limit", "2.5"], ["--min-mcg", "-1"], ["--min-mcg", "lots"],
     ["--sort", "size"], ["--age", "200"], ["--search", "  "], ["--format", "yaml"]],
)
def test_bad_options_exit_2_with_one_line(b12, args):
    result = b12("foods", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1


def test_csv_has_a_header_and_one_line_per_food(b12):
    import csv
    import io

    result = b12("foods", "--vegan", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(items(b12, "--vegan")["items"])
    assert set(rows[0]) == FOOD_KEYS - {"percent_dv_text"} and rows[0]["vegan"] == "true"
    assert list(rows[0]) == ["id", "name", "serving", "serving_g", "mcg_per_serving", "mcg_per_100g", "percent_dv",
                             "category", "vegan", "vegetarian", "fortified", "aliases", "notes", "sources",
                             "brand_dependent", "caveats"]
    yeast = next(r for r in rows if r["name"].startswith("Nutritional yeast"))
    assert yeast["mcg_per_100g"] == ""  # null is an empty cell
    assert "; " in yeast["notes"] and yeast["sources"] == "ods-b12; doc-reverse; doc-recovery"  # lists joined


# ------------------------------------------------------------------ per-100 g, servings and notes agree


def test_per_100g_and_per_serving_agree_wherever_both_are_known(kb):
    checked = 0
    for food in kb.foods.foods:
        if food.serving_g is None or food.mcg_per_100g is None:
            continue
        worked_out = food.mcg_per_100g * food.serving_g / 100
        gap = abs(worked_out - food.mcg_per_serving)
        assert gap <= 0.05 or gap <= 0.05 * food.mcg_per_serving, (food.id, worked_out, food.mcg_per_serving)
        checked += 1
    assert checked >= 45


def test_relation_test_catches_a_wrong_per_serving_amount(kb_copy, b12):
    from b12cli.kb import KnowledgeBase

    path = kb_copy / "foods.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mcg_per_serving: 70.7", "mcg_per_serving: 60.7"),
                    encoding="utf-8")
    liver = next(f for f in KnowledgeBase(kb_copy).foods.foods if f.id == "beef-liver-pan-fried")
    assert abs(liver.mcg_per_100g * liver.serving_g / 100 - liver.mcg_per_serving) > 0.05 * liver.mcg_per_serving


@pytest.mark.parametrize("grams", ["3 oz (85 g)", "1 cup (244 g)", "6 oz (170 g)", "1.5 oz (42.5 g)",
                                   "1 large (50 g)"])
def test_serving_grams_match_the_serving_text(kb, grams):
    weight = float(grams.split("(")[1].split()[0])
    for food in kb.foods.foods:
        if grams in food.serving:
            assert food.serving_g == weight, food.id


def test_a_note_stating_the_share_of_the_dv_matches_the_table(b12):
    import re

    for item in items(b12, "--include-zero")["items"]:
        for note in item["notes"]:
            for found in re.finditer(r"about ([\d,]+)% DV per", note):
                assert int(found.group(1).replace(",", "")) == round(item["percent_dv"]), (item["id"], note)


def test_foods_with_no_b12_in_usda_show_zero_per_100g(b12):
    zero = {i["id"]: i for i in items(b12, "--include-zero")["items"] if i["mcg_per_serving"] == 0}
    for food_id in ("banana", "bread-whole-wheat", "strawberries", "kidney-beans", "spinach"):
        assert zero[food_id]["mcg_per_100g"] == 0.0 and "usda-sr28" in zero[food_id]["sources"]


def test_corrected_records(kb):
    foods = {f.id: f for f in kb.foods.foods}
    beef = foods["beef-ground-85-lean"]
    assert "crumbles" in beef.name and beef.mcg_per_100g == 2.80 and any("23570" in n for n in beef.notes)
    assert foods["clams-cooked"].mcg_per_100g == 20.0
    assert any("no SR28 record fits" in n for n in foods["clams-cooked"].notes)
    assert any("68 g" in n and "48.0" in n for n in foods["beef-liver-braised"].notes)
    assert foods["yeast-extract-spread"].serving_g <= 10 and foods["bakers-yeast-active-dry"].serving_g <= 10
    assert foods["tempeh"].name != foods["tempeh-cooked"].name.split(",")[0]
    soy = [f.name for f in kb.foods.foods if f.name.startswith("Soy milk, fortified")]
    assert len(soy) == 2 and "Silk" in soy[1] and "generic" in soy[0]


def test_brand_aliases_are_searched(b12):
    found = {i["id"]: i for i in items(b12, "--search", "marmite", "--include-zero")["items"]}
    assert set(found) == {"marmite-uk", "marmite-nz", "yeast-extract-spread"}  # the generic names both in a note
    assert "Marmite" in found["marmite-uk"]["aliases"] and found["marmite-uk"]["fortified"]
    assert items(b12, "--search", "soya milk")["items"]


def test_brand_and_country_variants_carry_their_caveat_in_every_format(b12):
    """F16, usability #5: UK Marmite is fortified; the label caveat is in JSON, CSV and the table alike."""
    uk = next(i for i in items(b12, "--search", "marmite")["items"] if i["id"] == "marmite-uk")
    assert uk["mcg_per_serving"] == 0.6 and uk["brand_dependent"] and uk["caveats"]
    assert all("label" in c.casefold() or "brand" in c.casefold() for c in uk["caveats"])
    table = b12("foods", "--search", "marmite", env={"COLUMNS": "80"}).stdout
    assert "Check the label" in table and "Marmite, UK recipe (B12 added): UK Marmite has B12 added" in \
        " ".join(table.split())
    vegemite = next(i for i in items(b12, "--search", "vegemite", "--include-zero")["items"] if i["id"] == "vegemite")
    assert vegemite["mcg_per_serving"] == 0 and vegemite["caveats"]


@pytest.mark.parametrize(("food", "mcg"), [("soya-drink-fortified-eu", 0.76), ("oat-drink-fortified-eu", 0.76),
                                           ("almond-drink-fortified-eu", 0.76), ("oat-drink-unfortified", 0.0),
                                           ("tofu-firm", 0.0)])
def test_plant_drinks_and_tofu_as_people_log_them(b12, food, mcg):
    (item,) = [i for i in items(b12, "--include-zero")["items"] if i["id"] == food]
    assert item["mcg_per_serving"] == mcg and item["vegan"] and item["sources"]
    if item["fortified"]:
        assert item["mcg_per_100g"] == 0.38 and item["caveats"]


def test_a_percentage_is_never_printed_above_1000(b12):
    """usability #20: beef liver is about 29 times the Daily Value, not 2946%."""
    liver = next(i for i in items(b12)["items"] if i["id"] == "beef-liver-pan-fried")
    assert liver["percent_dv"] == pytest.approx(2945.8, abs=0.1) and liver["percent_dv_text"] == "about 29 times"
    rows = b12("foods", "--all").stdout.split("\nSources:")[0]  # the table, not the notes quoted under it
    assert "about 29 times" in rows and not re.search(r"\b\d{4,}%", rows.replace(",", ""))


# ------------------------------------------------------------------ intake targets


def test_pregnant_and_breastfeeding_set_the_servings_target(b12):
    pregnant = items(b12, "--pregnant")
    assert pregnant["target"] == {"mcg_per_day": 2.6, "unit": "mcg", "stage_id": "pregnancy",
                                  "life_stage": pregnant["target"]["life_stage"], "age_years": None,
                                  "condition": "pregnancy", "guideline": "us"}
    first = pregnant["items"][0]
    assert first["servings_for_rda"] == pytest.approx(2.6 / first["mcg_per_serving"])
    feeding = items(b12, "--breastfeeding", "--age", "31")
    assert feeding["target"]["mcg_per_day"] == 2.8 and feeding["target"]["age_years"] == 31
    assert feeding["items"][0]["servings_for_rda"] == pytest.approx(2.8 / feeding["items"][0]["mcg_per_serving"])
    both = b12("foods", "--pregnant", "--breastfeeding")
    assert both.exit_code == 2 and both.stderr.startswith("b12: error:")


def test_target_records_the_age_it_came_from(b12):
    document = items(b12, "--age", "30")
    assert document["target"]["age_years"] == 30 and document["target"]["stage_id"] == "adults-19-50-years"
    assert document["target"]["mcg_per_day"] == 2.4 and document["target"]["condition"] == "none"


def test_csv_includes_servings_when_computed(b12):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(b12("foods", "--age", "30", "--format", "csv").stdout)))
    assert rows and "servings_for_rda" in rows[0] and float(rows[0]["servings_for_rda"]) > 0
    rows = list(csv.DictReader(io.StringIO(b12("foods", "--pregnant", "--format", "csv").stdout)))
    assert float(rows[0]["servings_for_rda"]) == pytest.approx(2.6 / float(rows[0]["mcg_per_serving"]))
    assert "servings_for_rda" not in b12("foods", "--format", "csv").stdout.splitlines()[0]


def test_over_50_lists_added_b12_first_and_marks_it(b12):
    document = items(b12, "--age", "70")
    flags = [i["crystalline_b12"] for i in document["items"]]
    assert flags[0] is True and flags == sorted(flags, reverse=True)  # every fortified food before any other
    assert all(i["crystalline_b12"] == i["fortified"] for i in document["items"])
    assert any("--fortified" in n and "crystalline" in n for n in document["notes"])
    assert "crystalline_b12" not in items(b12, "--age", "30")["items"][0]
    table = b12("foods", "--age", "70")
    assert "added" in table.stdout and "in food" in table.stdout and "crystalline" in table.stdout
    young = items(b12, "--age", "30")["items"]
    assert not young[0]["fortified"]  # under 51 the default order is still largest first


@pytest.mark.parametrize(("old", "new", "message"), [
    ("serving_g: 85\n", "serving_g: 0\n", "foods[0].serving_g: must be above 0"),
    ("serving_g: 85\n", "serving_g: lots\n", "foods[0].serving_g"),
    ("aliases: [soymilk, soya milk]", "aliases: [Marmite]", "alias 'Marmite' is also at"),
])
def test_loader_checks_serving_grams_and_aliases(edit_kb, b12, old, new, message):
    edit_kb("foods.yaml", old, new)
    result = b12("foods")
    assert result.exit_code == 1 and message in result.stderr


# --- Counts in plain digits, the over-50 title, --limit with --all, the note for pregnancy under 14 -------------

@pytest.mark.parametrize(("value", "text"), [(521.7, "520"), (480.0, "480"), (4.83, "4.8"), (0.1666, "0.17"),
                                             (5.0, "5"), (0.29, "0.29"), (1.0, "1"), (96.0, "96"), (12345.0, "12000"),
                                             (0.0004, "0.0004"), (9.96, "10")])
def test_plain_sig_never_uses_exponent_form(value, text):
    from b12cli.domain.numbers import plain_sig

    assert plain_sig(value) == text


def test_servings_in_the_table_are_plain_digits(b12):
    result = b12("foods", "--age", "30", "--search", "yeast", "--include-zero")
    assert result.exit_code == 0
    assert "e+" not in result.stdout and "e-0" not in result.stdout
    baker = next(line for line in result.stdout.splitlines() if line.startswith("Baker's yeast"))
    assert " 480 " in f"{baker} "  # 2.4 / 0.005 servings, 2 significant figures


@pytest.mark.parametrize(("args", "claim"), [([], "come first"), (["--sort", "mcg"], "come first"),
                                             (["--sort", "name"], "are marked"), (["--sort", "per100g"], "are marked")])
def test_over_50_title_says_come_first_only_with_the_default_sort(b12, args, claim):
    result = b12("foods", "--age", "70", "--limit", "4", *args)
    assert result.exit_code == 0
    title = " ".join(result.stdout.split())
    assert f"crystalline) B12 {claim};" in title
    other = {"come first", "are marked"} - {claim}
    assert not any(o in title for o in other)
    assert "come first" not in " ".join(result.stderr.split())  # the note never repeats an order claim


def test_crystalline_first_follows_the_sort(b12):
    by_name = [i["name"] for i in items(b12, "--age", "70", "--sort", "name")["items"]]
    assert by_name == sorted(by_name, key=str.casefold)
    default = items(b12, "--age", "70")["items"]
    assert default[0]["fortified"] and not default[-1]["fortified"]


def test_limit_and_all_together_are_refused(b12):
    result = b12("foods", "--limit", "1", "--all")
    assert result.exit_code == 2 and result.stdout == ""
    assert "--limit" in result.stderr and "--all" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
@pytest.mark.parametrize("condition", ["--pregnant", "--breastfeeding"])
def test_pregnancy_under_14_gets_the_tables_start_at_14_note(b12, fmt, condition):
    result = b12("foods", condition, "--age", "12", "--format", fmt)
    assert result.exit_code == 0
    where = result.json()["notes"] if fmt == "json" else [result.stderr]
    assert sum("set from age 14" in " ".join(n.split()) for n in where) == 1
    older = b12("foods", condition, "--age", "14", "--format", fmt)
    assert "set from age 14" not in older.stdout + older.stderr


@pytest.mark.parametrize(("food_id", "ours", "ods"), [("egg-whole-cooked", 21, 19), ("tuna-bluefin-cooked", 388, 385),
                                                      ("beef-liver-pan-fried", 2946, 2944), ("tempeh", 4, 3)])
def test_notes_give_both_shares_where_the_ods_table_rounds_differently(b12, food_id, ours, ods):
    (item,) = [i for i in items(b12, "--include-zero")["items"] if i["id"] == food_id]
    assert round(item["percent_dv"]) == ours
    (note,) = [n for n in item["notes"] if "the ODS table prints" in n]
    assert f"= {ours}%" in note and f"prints {ods}%" in note and "rounding" in note
