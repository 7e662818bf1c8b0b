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
    assert query == {"age_years": 1.5, "completed_months": 18, "condition": "none"}


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
