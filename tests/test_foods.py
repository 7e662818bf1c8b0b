"""`b12 foods`: filters, sorting, %DV against 2.4 mcg, servings for an age."""

from __future__ import annotations

import pytest

FOOD_KEYS = {"name", "serving", "mcg_per_serving", "mcg_per_100g", "percent_dv", "category", "vegan",
             "vegetarian", "fortified", "notes", "sources"}


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
    assert set(rows[0]) == FOOD_KEYS and rows[0]["vegan"] == "true"
    yeast = next(r for r in rows if r["name"].startswith("Nutritional yeast"))
    assert yeast["mcg_per_100g"] == ""  # null is an empty cell
    assert "; " in yeast["notes"] and yeast["sources"] == "ods-b12; doc-reverse; doc-recovery"  # lists joined
