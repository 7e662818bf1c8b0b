"""`b12 meds`: generic and brand look-ups, suggestions, --check."""

from __future__ import annotations

import pytest

RESULT_KEYS = {"query", "match", "suggestions", "note"}


def test_generic_and_brand_match_and_aspirin_is_not_listed(b12):
    result = b12("meds", "omeprazole", "Pepcid", "aspirin", "--format", "json")
    assert result.exit_code == 0
    document = result.json()
    assert document["schema"] == "b12.meds/1"
    omeprazole, pepcid, aspirin = document["results"]
    assert all(set(r) == RESULT_KEYS for r in document["results"])
    assert omeprazole["match"]["class_id"] == "proton-pump-inhibitors"
    assert omeprazole["match"]["matched_as"] == "generic"
    assert pepcid["match"]["class_id"] == "h2-receptor-antagonists"
    assert pepcid["match"]["matched_as"] == "brand" and pepcid["match"]["name"] == "Pepcid"
    assert aspirin["match"] is None
    assert "does not mean" in aspirin["note"] or "may still" in aspirin["note"]


@pytest.mark.parametrize("name", ["OMEPRAZOLE", "  metformin ", "glucophage", "Nexium", "nitrous oxide"])
def test_lookup_is_case_and_space_insensitive(b12, name):
    (entry,) = b12("meds", name, "--format", "json").json()["results"]
    assert entry["match"] is not None


def test_typo_gets_a_suggestion(b12):
    (entry,) = b12("meds", "omeprazol", "--format", "json").json()["results"]
    assert entry["match"] is None and entry["suggestions"][0] == "omeprazole"
    table = b12("meds", "omeprazol")
    assert "omeprazole" in table.stdout


def test_check_exits_3_on_a_match_and_0_without(b12):
    assert b12("meds", "metformin", "--check").exit_code == 3
    assert b12("meds", "aspirin", "--check").exit_code == 0
    assert b12("meds", "aspirin", "omeprazole", "--check", "--format", "json").exit_code == 3


def test_listing_covers_the_required_classes(b12):
    document = b12("meds", "--format", "json").json()
    ids = {c["id"] for c in document["items"]}
    names = {n for c in document["items"] for n in c["generic_names"]}
    assert {"proton-pump-inhibitors", "h2-receptor-antagonists", "metformin"} <= ids
    assert {"chloramphenicol", "colchicine", "nitrous oxide"} <= names
    for cls in document["items"]:
        assert cls["effect"] and cls["advice"] and cls["sources"]


def test_empty_name_is_a_usage_error(b12):
    result = b12("meds", " ")
    assert result.exit_code == 2 and result.stderr.startswith("b12: error:")


def test_csv_lookup_has_one_row_per_query(b12):
    lines = b12("meds", "omeprazole", "aspirin", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("query,") and len(lines) == 3
