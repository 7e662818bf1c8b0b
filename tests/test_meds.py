"""`b12 meds`: generic, brand, salt-form and combination look-ups, suggestions, --check."""

from __future__ import annotations

import pytest

RESULT_KEYS = {"query", "argument", "match", "also", "ingredients", "suggestions", "note"}
MATCH_KEYS = {"name", "generic", "matched_as", "class_id", "class_name", "effect", "advice", "notes", "sources"}


def lookup(b12, *names):
    result = b12("meds", *names, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["schema"] == "b12.meds/2" and set(document) == {"schema", "items", "notes"}
    for item in document["items"]:
        assert set(item) == RESULT_KEYS
        for match in [item["match"], *item["also"]]:
            assert match is None or set(match) == MATCH_KEYS
    return document["items"]


def test_generic_and_brand_match_and_aspirin_is_not_listed(b12):
    omeprazole, pepcid, aspirin = lookup(b12, "omeprazole", "Pepcid", "aspirin")
    assert omeprazole["match"]["class_id"] == "proton-pump-inhibitors"
    assert omeprazole["match"]["matched_as"] == "generic" and omeprazole["argument"] == "omeprazole"
    assert pepcid["match"]["class_id"] == "h2-receptor-antagonists"
    assert pepcid["match"]["matched_as"] == "brand" and pepcid["match"]["name"] == "Pepcid"
    assert aspirin["match"] is None and aspirin["also"] == [] and aspirin["ingredients"] is None
    assert "may still" in aspirin["note"]


def test_acceptance_salt_form_combination_and_uk_brand(b12):
    salt, janumet, losec = lookup(b12, "metformin hydrochloride", "Janumet", "Losec")
    assert [e["match"]["class_id"] for e in (salt, janumet, losec)] == ["metformin", "metformin",
                                                                      "proton-pump-inhibitors"]
    assert [salt["match"]["name"], janumet["match"]["name"], losec["match"]["name"]] == ["metformin", "metformin",
                                                                                         "Losec"]
    assert [e["match"]["generic"] for e in (salt, janumet, losec)] == ["metformin", "metformin", "omeprazole"]
    assert salt["match"]["matched_as"] == "salt form of metformin"
    assert janumet["match"]["class_id"] == "metformin" and janumet["ingredients"] == ["sitagliptin", "metformin"]
    assert janumet["match"]["matched_as"].startswith("ingredient of Janumet")
    assert losec["match"]["class_id"] == "proton-pump-inhibitors"


@pytest.mark.parametrize(
    ("name", "class_id", "matched_as"),
    [("esomeprazole magnesium", "proton-pump-inhibitors", "salt form of esomeprazole"),
     ("Omeprazole Magnesium 20 mg delayed-release", "proton-pump-inhibitors", "salt form of omeprazole"),
     ("pantoprazole sodium", "proton-pump-inhibitors", "salt form of pantoprazole"),
     ("Metformin HCl ER", "metformin", "salt form of metformin"),
     ("metformin 500 mg tablets", "metformin", "dosage form of metformin"),
     ("Glucophage\u00ae", "metformin", "brand"),
     ("Nexium\u2122", "proton-pump-inhibitors", "brand"),
     ("Trokendi", "anticonvulsants", "brand"),
     ("famotidine.", "h2-receptor-antagonists", "generic")],
)
def test_salt_and_dosage_forms_match_the_base_drug(b12, name, class_id, matched_as):
    (entry,) = lookup(b12, name)
    assert entry["match"]["class_id"] == class_id and entry["match"]["matched_as"] == matched_as


def test_salt_words_alone_or_with_an_unlisted_base_do_not_match(b12):
    calcium, bicarbonate = lookup(b12, "calcium", "sodium bicarbonate")
    assert calcium["match"] is None and bicarbonate["match"] is None


@pytest.mark.parametrize(
    ("brand", "listed", "unlisted"),
    [("Janumet XR", ["metformin"], ["sitagliptin"]),
     ("Synjardy", ["metformin"], ["empagliflozin"]),
     ("Vimovo", ["esomeprazole"], ["naproxen"]),
     ("Zegerid", ["omeprazole"], ["sodium bicarbonate"]),
     ("Duexis", ["famotidine"], ["ibuprofen"]),
     ("Pepcid Complete", ["famotidine", "calcium carbonate", "magnesium hydroxide"], [])],
)
def test_combinations_match_every_listed_ingredient(b12, brand, listed, unlisted):
    (entry,) = lookup(b12, brand)
    assert [m["name"] for m in [entry["match"], *entry["also"]]] == listed
    assert set(entry["ingredients"]) == set(listed) | set(unlisted)
    assert all(m["matched_as"].startswith("ingredient of ") for m in entry["also"])


def test_pepcid_complete_matches_two_classes(b12):
    (entry,) = lookup(b12, "Pepcid Complete")
    classes = {m["class_id"] for m in [entry["match"], *entry["also"]]}
    assert classes == {"h2-receptor-antagonists", "antacids-chronic-use"}
    csv = b12("meds", "Pepcid Complete", "--format", "csv").stdout.splitlines()
    assert "calcium carbonate (antacids-chronic-use); magnesium hydroxide (antacids-chronic-use)" in csv[1]


@pytest.mark.parametrize("argument", ["metformin, omeprazole", "metformin + omeprazole", "metformin/omeprazole",
                                      "metformin and omeprazole", "Metformin AND omeprazole,"])
def test_one_argument_may_hold_several_names(b12, argument):
    first, second = lookup(b12, argument)
    assert first["query"].casefold() == "metformin" and second["query"] == "omeprazole"
    assert first["argument"] == second["argument"] == argument
    assert first["match"]["class_id"] == "metformin"
    assert second["match"]["class_id"] == "proton-pump-inhibitors"


def test_names_from_stdin_one_a_line(b12):
    result = b12("meds", "-", "--format", "json", input="metformin\n\n# a comment\nLosec\naspirin\n")
    assert result.exit_code == 0, result.stderr
    assert [i["query"] for i in result.json()["items"]] == ["metformin", "Losec", "aspirin"]
    assert b12("meds", "-", input="\n\n").exit_code == 2
    mixed = b12("meds", "-", "metformin", input="omeprazole\n")
    assert mixed.exit_code == 2 and mixed.stderr.startswith("b12: error:")


def test_ranitidine_is_matched_with_a_withdrawn_note(b12):
    ranitidine, zantac = lookup(b12, "ranitidine", "Zantac")
    for entry in (ranitidine, zantac):
        assert entry["match"]["class_id"] == "h2-receptor-antagonists"
        assert "withdrawn" in entry["note"] and "1 April 2020" in entry["note"]
        assert "famotidine" in entry["note"] and "fda-ranitidine-2020" in entry["note"]
    (famotidine,) = lookup(b12, "famotidine")
    assert famotidine["note"] is None
    assert "withdrawn" in b12("meds", "ranitidine").stdout


@pytest.mark.parametrize("name", ["OMEPRAZOLE", "  metformin ", "glucophage", "Nexium", "nitrous oxide"])
def test_lookup_is_case_and_space_insensitive(b12, name):
    (entry,) = lookup(b12, name)
    assert entry["match"] is not None


def test_typo_gets_a_suggestion(b12):
    (entry,) = lookup(b12, "omeprazol")
    assert entry["match"] is None and entry["suggestions"][0] == "omeprazole"
    table = b12("meds", "omeprazol")
    assert "omeprazole" in table.stdout


def test_check_exits_3_on_a_match_and_0_without(b12):
    assert b12("meds", "metformin", "--check").exit_code == 3
    assert b12("meds", "aspirin", "--check").exit_code == 0
    assert b12("meds", "aspirin", "omeprazole", "--check", "--format", "json").exit_code == 3


@pytest.mark.parametrize("args", [["metformn"], ["aspirin", "Nexiumm"], ["metformin", "omeprazol"]])
def test_check_refuses_a_near_miss_so_a_typo_cannot_pass(b12, args):
    result = b12("meds", *args, "--check")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    assert "did you mean" in result.stderr
    assert b12("meds", *args).exit_code == 0  # without --check it is reported, not refused


def test_check_typo_message_names_the_listed_drug(b12):
    assert "metformin" in b12("meds", "metformn", "--check").stderr


def test_listing_covers_the_required_classes(b12):
    document = b12("meds", "--format", "json").json()
    assert document["schema"] == "b12.meds.classes/1"
    ids = {c["id"] for c in document["items"]}
    names = {n for c in document["items"] for n in c["generic_names"]}
    assert {"proton-pump-inhibitors", "h2-receptor-antagonists", "metformin"} <= ids
    assert {"chloramphenicol", "colchicine", "nitrous oxide", "topiramate", "pregabalin", "phenobarbital",
            "primidone"} <= names
    for cls in document["items"]:
        assert cls["effect"] and cls["advice"] and cls["sources"]


def test_antacids_say_they_rest_on_one_document(kb):
    antacids = next(c for c in kb.medications.classes if c.id == "antacids-chronic-use")
    assert any("one document only" in n for n in antacids.notes)


@pytest.mark.parametrize("name", [" ", ",", " + "])
def test_empty_name_is_a_usage_error(b12, name):
    result = b12("meds", name)
    assert result.exit_code == 2 and result.stderr.startswith("b12: error:")


def test_csv_lookup_has_one_row_per_name(b12):
    lines = b12("meds", "omeprazole", "aspirin, Janumet", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("query,argument,") and len(lines) == 4


def test_combination_brand_cannot_shadow_a_listed_name(edit_kb, b12):
    edit_kb("medications.yaml", 'brand: "Janumet"', 'brand: "Glucophage"')
    result = b12("meds")
    assert result.exit_code == 1 and "combinations[" in result.stderr and "listed twice" in result.stderr


def test_combination_needs_a_listed_ingredient(edit_kb, b12):
    edit_kb("medications.yaml", "ingredients: [sitagliptin, metformin]", "ingredients: [sitagliptin, nothing]")
    result = b12("meds")
    assert result.exit_code == 1 and "no ingredient is a listed generic name" in result.stderr


def test_name_note_must_name_its_own_class(edit_kb, b12):
    edit_kb("medications.yaml", "names: [ranitidine, Zantac]", "names: [metformin]")
    result = b12("meds")
    assert result.exit_code == 1 and "name_notes[0].names[0]" in result.stderr


def test_every_brand_names_its_generic(kb):
    for cls in kb.medications.classes:
        assert set(cls.brand_generics) == set(cls.brand_names)
        assert all(g in cls.generic_names for g in cls.brand_generics.values())


def test_brand_generics_must_name_a_generic_of_the_class(edit_kb, b12):
    edit_kb("medications.yaml", '{brand: "Losec", generic: omeprazole}', '{brand: "Losec", generic: metformin}')
    result = b12("meds")
    assert result.exit_code == 1 and "brand_generics" in result.stderr and "metformin" in result.stderr


@pytest.mark.parametrize("name", ["lamotrigine", "gabapentin", "phenytoin", "losartan", "metoprolol", "lafutidine"])
def test_check_does_not_refuse_a_different_real_medicine(b12, name):
    result = b12("meds", name, "--check")
    assert result.exit_code == 0, result.stderr  # not listed, not a typo: reported, never refused


@pytest.mark.parametrize(("typed", "listed", "typo"), [
    ("metformn", "metformin", True), ("metfromin", "metformin", True), ("omeprazol", "omeprazole", True),
    ("nexuim", "nexium", True), ("nexum", "nexium", True), ("lamotrigine", "famotidine", False),
    ("tums", "tums", True), ("tunes", "tums", False), ("pantoprazol", "pantoprazole", True)])
def test_typo_rule(typed, listed, typo):
    from b12cli.domain.meds import is_typo

    assert is_typo(typed, listed) is typo


# --- Names as people type them: OTC packs, hyphens, brackets, other names, precise suggestions ---------------

@pytest.mark.parametrize(("name", "generic"), [
    ("Pepcid AC", "famotidine"), ("Tagamet HB", "cimetidine"), ("Nexium Control", "esomeprazole"),
    ("Prilosec OTC", "omeprazole"), ("Nexium 24HR", "esomeprazole"), ("Tums Extra Strength", "calcium carbonate"),
    ("Pepcid Maximum Strength", "famotidine"), ("metformin-hydrochloride", "metformin"),
    ("omeprazole (Losec)", "omeprazole"), ("Losec (omeprazole)", "omeprazole"),
    ("lansoprazole orally disintegrating", "lansoprazole"), ("Prevacid SoluTab (lansoprazole)", "lansoprazole")])
def test_pack_words_hyphens_and_brackets_match(b12, name, generic):
    (item,) = lookup(b12, name)
    assert item["match"] is not None and item["match"]["generic"] == generic, item
    assert b12("meds", name, "--check").exit_code == 3


@pytest.mark.parametrize("name", ["Zantac 360", "Zantac 360 Maximum Strength", "zantac-360", "ZANTAC 360 Original"])
def test_zantac_360_is_famotidine_never_ranitidine(b12, name):
    (item,) = lookup(b12, name)
    assert item["match"]["generic"] == "famotidine" and item["match"]["name"] == "Zantac 360"
    assert "famotidine" in item["note"] and "not ranitidine" in item["note"]


def test_plain_zantac_is_still_ranitidine(b12):
    (item,) = lookup(b12, "Zantac")
    assert item["match"]["generic"] == "ranitidine" and "withdrawn" in item["note"]


@pytest.mark.parametrize("name", ["nitrous", "laughing gas", "N2O", "Laughing-Gas"])
def test_nitrous_oxide_by_the_names_people_use(b12, name):
    (item,) = lookup(b12, name)
    assert item["match"]["class_id"] == "nitrous-oxide" and item["match"]["generic"] == "nitrous oxide"
    assert item["match"]["matched_as"] == "other name of nitrous oxide"
    assert item["match"]["sources"]  # cited as the class is


@pytest.mark.parametrize(("name", "generic"), [
    ("Tecta", "pantoprazole"), ("Protium", "pantoprazole"), ("Antra", "omeprazole"), ("Agopton", "lansoprazole"),
    ("Milk of Magnesia", "magnesium hydroxide")])
def test_more_non_us_brands(b12, name, generic):
    (item,) = lookup(b12, name)
    assert item["match"]["matched_as"] == "brand" and item["match"]["generic"] == generic


@pytest.mark.parametrize(("name", "ingredients", "matched"), [
    ("Rennie", ["calcium carbonate", "magnesium carbonate"], ["calcium carbonate"]),
    ("Maalox", ["aluminium hydroxide", "magnesium hydroxide"], ["aluminium hydroxide", "magnesium hydroxide"]),
    ("Mylanta", ["aluminium hydroxide", "magnesium hydroxide", "simethicone"],
     ["aluminium hydroxide", "magnesium hydroxide"]),
    ("Gaviscon", ["sodium alginate", "sodium bicarbonate", "calcium carbonate"], ["calcium carbonate"])])
def test_antacid_brands_are_combinations_of_their_ingredients(b12, name, ingredients, matched):
    (item,) = lookup(b12, name)
    assert item["ingredients"] == ingredients
    assert [m["name"] for m in [item["match"], *item["also"]]] == matched
    assert all(m["class_id"] == "antacids-chronic-use" for m in [item["match"], *item["also"]])


def test_gaviscon_says_formulations_vary(kb):
    gaviscon = next(c for c in kb.medications.combinations if c.brand == "Gaviscon")
    assert "vary by country" in gaviscon.region


@pytest.mark.parametrize("name", ["metfromin", "omeprazol", "pepsid", "zantak", "glucofage", "etformin",
                                  "lansoprazol", "Pepcd AC"])
def test_check_refuses_every_unlisted_name_with_a_suggestion(b12, name):
    (item,) = lookup(b12, name)
    assert item["match"] is None and item["suggestions"]
    result = b12("meds", name, "--check")
    assert result.exit_code == 2 and "did you mean" in result.stderr
    assert item["suggestions"][0] in result.stderr


@pytest.mark.parametrize("name", ["lamotrigine", "amlodipine", "prednisone", "propranolol", "nifedipine",
                                  "fluoxetine", "citalopram", "gabapentin", "metoprolol"])
def test_different_real_medicines_get_no_suggestion(b12, name):
    (item,) = lookup(b12, name)
    assert item["match"] is None and item["suggestions"] == []
    assert b12("meds", name, "--check").exit_code == 0


def test_suggestions_share_the_first_letter_unless_a_typo():
    from b12cli.domain.meds import suggest

    keys = {"famotidine": "famotidine", "esomeprazole": "esomeprazole", "omeprazole": "omeprazole"}
    assert suggest(keys, "lamotrigine") == ()
    assert suggest(keys, "omeprazol") == ("omeprazole",)  # esomeprazole: another first letter, not a typo
    assert suggest(keys, "amotidine") == ("famotidine",)  # a dropped first letter is still a typo


def test_other_names_must_name_a_generic_of_their_class(edit_kb, b12):
    edit_kb("medications.yaml", '{name: "nitrous", generic: nitrous oxide}', '{name: "nitrous", generic: metformin}')
    result = b12("meds")
    assert result.exit_code == 1 and "other_names[0].generic" in result.stderr


def test_other_names_are_unique_across_the_file(edit_kb, b12):
    edit_kb("medications.yaml", '{name: "N2O", generic: nitrous oxide}', '{name: "Tums", generic: nitrous oxide}')
    result = b12("meds")
    assert result.exit_code == 1 and "listed twice" in result.stderr


def test_a_combination_look_up_says_where_it_is_sold_and_that_formulations_vary(b12):
    (gaviscon,) = lookup(b12, "Gaviscon")
    assert "vary by country" in gaviscon["note"] and "bnf" in gaviscon["note"]
    (janumet,) = lookup(b12, "Janumet")
    assert "combination product (US, EU)" in janumet["note"]


# ------------------------------------------------------------------ strengths and pack words are never medicines


def test_acceptance_janumet_with_its_strength_is_one_combination(b12):
    (entry,) = lookup(b12, "Janumet XR 50/1000")
    assert entry["match"]["class_id"] == "metformin" and entry["ingredients"] == ["sitagliptin", "metformin"]
    assert entry["argument"] == "Janumet XR 50/1000"
    table = b12("meds", "Janumet XR 50/1000")
    assert table.exit_code == 0 and "1000" not in table.stdout.replace("Janumet XR 50/1000", "")


@pytest.mark.parametrize(("argument", "queries", "classes"), [
    ("metformin 500 mg / sitagliptin 50 mg", ["metformin", "sitagliptin"], ["metformin", None]),
    ("omeprazole 20mg x28", ["omeprazole"], ["proton-pump-inhibitors"]),
    ("Nexium Control 20 mg tablets", ["Nexium Control tablets"], ["proton-pump-inhibitors"]),
    ("Zantac 360 Maximum Strength", ["Zantac 360 Maximum Strength"], ["h2-receptor-antagonists"]),
    ("metformin 0.5%", ["metformin"], ["metformin"]),
    ("gas and air", ["gas and air"], ["medical-nitrous-oxide"]),
    ("Entonox", ["Entonox"], ["medical-nitrous-oxide"]),
    ("metformin and omeprazole", ["metformin", "omeprazole"], ["metformin", "proton-pump-inhibitors"]),
    ("B12 1000 mcg", ["B12"], [None]),
])
def test_strengths_come_off_before_names_are_split(b12, argument, queries, classes):
    entries = lookup(b12, argument)
    assert [e["query"] for e in entries] == queries
    assert [e["match"] and e["match"]["class_id"] for e in entries] == classes


def test_a_part_that_is_only_a_pack_description_is_left_out_with_a_note(b12):
    result = b12("meds", "metformin, XR", "--format", "json")
    assert result.exit_code == 0
    document = result.json()
    assert [e["query"] for e in document["items"]] == ["metformin"]
    assert "'XR': a strength, release form or pack size" in document["notes"][0]


@pytest.mark.parametrize("argument", ["1000 mg tablets", "1000", "XR", "50/1000"])
def test_an_argument_that_is_only_a_strength_is_refused(b12, argument):
    result = b12("meds", argument)
    assert result.exit_code == 2 and result.stdout == ""
    assert "not a medicine name" in result.stderr and result.stderr.count("\n") == 1
