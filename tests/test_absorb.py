"""`b12 absorb`: the absorption model at every regime edge, its data file, the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b12cli.domain import absorb as core
from b12cli.errors import UsageError

GOLDEN = Path(__file__).parent / "golden"
TOP_KEYS = {"schema", "query", "items", "notes"}
ITEM_KEYS = {"dose_mcg", "absorbed_mcg_per_dose", "absorbed_mcg_low", "absorbed_mcg_high", "fraction_absorbed",
             "model", "doses_per_day", "absorbed_mcg_per_day", "absorbed_mcg_per_day_low", "absorbed_mcg_per_day_high",
             "rda_mcg", "rda_absorbed_mcg_per_day", "percent_of_rda_absorbed", "percent_of_rda_absorbed_text",
             "sources"}


@pytest.mark.parametrize(("dose", "absorbed", "model"), [
    (0.1, 0.05, "below_published_points"),
    (0.999, 0.4995, "below_published_points"),
    (1, 0.5, "interpolated"),
    (3, 0.75, "interpolated"),
    (5, 1.0, "interpolated"),
    (15, 1.2, "interpolated"),
    (25, 1.4, "interpolated"),
    (26, 1.41, "saturated_plus_passive"),
    (1000, 11.15, "saturated_plus_passive"),
    (10000, 101.15, "saturated_plus_passive"),
])
def test_with_intrinsic_factor(kb, dose, absorbed, model):
    result = core.absorbed(kb.absorption, dose)
    assert result.absorbed_mcg == pytest.approx(absorbed, abs=1e-3) and result.model == model
    assert result.fraction == pytest.approx(absorbed / dose, abs=1e-4)


@pytest.mark.parametrize(("dose", "absorbed"), [(1, 0.01), (1000, 10.0), (10000, 100.0)])
def test_without_intrinsic_factor_only_passive(kb, dose, absorbed):
    result = core.absorbed(kb.absorption, dose, intrinsic_factor=False)
    assert result.absorbed_mcg == pytest.approx(absorbed) and result.model == "passive_only"


@pytest.mark.parametrize("dose", [0, -1, 10000.001, 1e9])
def test_doses_outside_the_model_are_refused(kb, dose):
    with pytest.raises(UsageError, match="out of range"):
        core.absorbed(kb.absorption, dose)


@given(st.floats(min_value=0.01, max_value=10000))
def test_absorbed_never_exceeds_the_dose_and_rises_with_it(dose):
    from b12cli.kb import KnowledgeBase, bundled_data_dir

    model = KnowledgeBase(bundled_data_dir()).absorption
    here = core.absorbed(model, dose).absorbed_mcg
    assert 0 < here <= dose
    assert core.absorbed(model, min(dose * 1.1, 10000)).absorbed_mcg >= here
    assert core.absorbed(model, dose, intrinsic_factor=False).absorbed_mcg <= here + 1e-9


@pytest.mark.parametrize(("query", "per_day", "daily"), [
    (core.AbsorbQuery(1), 1.0, 0.5),
    (core.AbsorbQuery(2, per_day=3), 3.0, 1.875),
    (core.AbsorbQuery(1, per_day=6), 6.0, 3.0),
    (core.AbsorbQuery(2500, weekly=True), 1 / 7, 26.15 / 7),
])
def test_doses_a_day_and_weekly(kb, query, per_day, daily):
    result = core.estimate(kb.absorption, query)
    assert result.doses_per_day == pytest.approx(per_day)
    assert result.absorbed_per_day_mcg == pytest.approx(daily, abs=1e-3)
    assert result.rda_absorbed_mcg == 1.2
    assert result.percent_of_rda_absorbed == pytest.approx(daily / 1.2 * 100, abs=0.1)


@pytest.mark.parametrize(("query", "message"), [
    (core.AbsorbQuery(1, per_day=7), "expected 1 to 6 doses a day"),
    (core.AbsorbQuery(1, per_day=0), "expected 1 to 6 doses a day"),
    (core.AbsorbQuery(1, per_day=2, weekly=True), "cannot be combined"),
])
def test_bad_schedules_are_refused(kb, query, message):
    with pytest.raises(UsageError, match=message):
        core.estimate(kb.absorption, query)


def test_notes_say_which_regime_applied(kb):
    def notes(**q):
        return " ".join(core.estimate(kb.absorption, core.AbsorbQuery(**q)).notes)

    assert "smallest one measured" in notes(dose_mcg=0.5)
    assert "interpolation" in notes(dose_mcg=3)
    assert "taken as full" in notes(dose_mcg=1000) and "1.5-2.5 mcg" in notes(dose_mcg=1000)
    assert "only passive diffusion" in notes(dose_mcg=1000, intrinsic_factor=False)
    assert "4-6 hours" in notes(dose_mcg=2, per_day=2) and "4-6 hours" not in notes(dose_mcg=2)
    assert "averaged over 7 days" in notes(dose_mcg=2500, weekly=True)


@pytest.mark.parametrize(("old", "new", "error"), [
    ("  - dose_mcg: 5\n    absorbed_mcg: 1.0", "  - dose_mcg: 5\n    absorbed_mcg: 0.4",
     "points[1]: doses must rise and amounts absorbed must not fall"),
    ("  - dose_mcg: 1\n    absorbed_mcg: 0.5", "  - dose_mcg: 1\n    absorbed_mcg: 1.5",
     "points[0].absorbed_mcg: must be above 0 and no more than the dose"),
    ("  fraction: 0.01", "  fraction: 1.5", "passive.fraction: expected a fraction above 0 and at most 1"),
    ("  hours: 4", "  hours: 0", "spacing.hours"),
    ("max_dose_mcg: 10000", "max_dose_mcg: 20", "max_dose_mcg: must be above the largest published dose"),
    ("  high_mcg: 2.5", "  high_mcg: 1.0", "saturation: expected 0 < low_mcg <= high_mcg"),
    ("  - id: weekly", "  - id: weekly-dose", "missing message with id 'weekly'"),
    ("passive:\n  fraction: 0.01", "passive:\n  fraction: 0.01\n  extra: 1", "passive.extra: unknown key"),
])
def test_broken_absorption_file_fails_with_exit_1_naming_the_key(b12, edit_kb, old, new, error):
    edit_kb("absorption.yaml", old, new)
    result = b12("absorb", "--dose", "1")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("b12: error: absorption.yaml") and error in result.stderr


def test_every_absorption_citation_resolves(kb):
    model = kb.absorption
    cited = [*(s for p in model.points for s in p.sources), *model.saturation.sources, *model.passive.sources,
             *model.spacing.sources, *model.reference.sources, *(s for m in model.messages.values() for s in m.sources)]
    assert cited and all(s in kb.sources for s in cited)


# ------------------------------------------------------------------ command line


@pytest.mark.parametrize(("args", "per_dose"), [
    (["--dose", "1"], 0.5),
    (["--dose", "1000"], 11.15),
    (["--dose", "1000", "--no-intrinsic-factor"], 10.0),
])
def test_acceptance(b12, args, per_dose):
    result = b12("absorb", *args, "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    document = result.json()
    assert set(document) == TOP_KEYS and document["schema"] == "b12.absorb/1"
    (item,) = document["items"]
    assert set(item) == ITEM_KEYS and item["absorbed_mcg_per_dose"] == per_dose and item["sources"]


def test_without_intrinsic_factor_is_less(b12):
    def per_dose(*extra):
        return b12("absorb", "--dose", "1000", *extra, "--format", "json").json()["items"][0]["absorbed_mcg_per_dose"]

    assert 10 <= per_dose("--no-intrinsic-factor") < per_dose() <= 12


@pytest.mark.parametrize(("args", "message"), [
    (["--dose", "0"], "--dose 0 mcg is out of range"),
    (["--dose", "-5"], "--dose -5 mcg is out of range"),
    (["--dose", "abc"], "--dose 'abc' is not a number"),
    (["--dose", "nan"], "is not a number"),
    (["--dose", "2", "--per-day", "7"], "expected 1 to 6 doses a day"),
    (["--dose", "2", "--per-day", "1.5"], "--per-day '1.5' is not accepted"),
    (["--dose", "2", "--per-day", "2", "--weekly"], "cannot be combined"),
    ([], "Missing option '--dose'"),
])
def test_bad_input_exits_2_with_one_line(b12, args, message):
    result = b12("absorb", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1 and message in result.stderr


def test_csv_is_one_row(b12):
    lines = b12("absorb", "--dose", "1000", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("dose_mcg,absorbed_mcg_per_dose,absorbed_mcg_low,absorbed_mcg_high,fraction_absorbed,")
    assert len(lines) == 2 and lines[1].startswith("1000,11.15,11.15,17.5,0.0112,saturated_plus_passive,")


@pytest.mark.parametrize(("args", "model", "low", "high"), [
    (["--dose", "0.5"], 0.25, 0.25, 0.28),  # below 1 mcg: IOM's 50% to ODS's 56%
    (["--dose", "1"], 0.5, 0.5, 0.5),  # the measured points: no spread
    (["--dose", "2.4"], 0.675, 0.675, 0.675),
    (["--dose", "25"], 1.4, 1.4, 1.4),
    (["--dose", "25.01"], 1.4, 1.4, 2.875),  # just past the last point the high end opens
    (["--dose", "50"], 1.65, 1.65, 3.25),
    (["--dose", "500"], 6.15, 6.15, 10.0),  # ODS: about 10 mcg of a 500 mcg supplement
    (["--dose", "1000"], 11.15, 11.15, 17.5),
    (["--dose", "10000"], 101.15, 101.15, 152.5),
    (["--dose", "500", "--no-intrinsic-factor"], 5.0, 2.5, 5.0),  # IOM: 0.5% with food to 1% with water
])
def test_the_sources_spread_is_shown_beside_the_model(b12, args, model, low, high):
    """F12: outside the measured 1-25 mcg the sources differ, so a low and a high are given, and why."""
    document = b12("absorb", *args, "--format", "json").json()
    (item,) = document["items"]
    assert (item["absorbed_mcg_per_dose"], item["absorbed_mcg_low"], item["absorbed_mcg_high"]) == \
        pytest.approx((model, low, high), abs=0.0005)
    assert item["absorbed_mcg_per_day_low"] == item["absorbed_mcg_low"]
    if low != high:
        assert any("range" in n or "the sources disagree" in n or "to 56%" in n or "half a percent" in n
                   for n in document["notes"])


def test_the_spread_is_in_the_table_with_its_reason(b12):
    text = " ".join(b12("absorb", "--dose", "500", env={"COLUMNS": "80"}).stdout.split())
    assert "6.15 to 10 mcg per dose" in text
    notes = " ".join(b12("absorb", "--dose", "500").stderr.split())
    assert "ODS's figure of about 10 mcg absorbed from a 500 mcg tablet gives the high end" in notes


@pytest.mark.parametrize(("percent", "text"), [(0.0, "0%"), (0.05, "under 0.1%"), (9.94, "9.9%"), (10.0, "10%"),
                                               (416.7, "417%"), (999.4, "999%"), (999.6, "about 10 times"),
                                               (2945.8, "about 29 times"), (9990.0, "about 100 times"),
                                               (10000.0, "over 100 times"), (41666.7, "over 100 times")])
def test_a_share_is_never_a_percentage_above_1000(percent, text):
    """usability #20: not "41666.7% of the RDA"."""
    from b12cli.domain.numbers import share_text

    assert share_text(percent) == text


def test_absorb_table_says_times_not_a_huge_percentage(b12):
    text = " ".join(b12("absorb", "--dose", "10000", env={"COLUMNS": "80"}).stdout.split())
    assert "this is about 84 times that" in text and "%" not in text.split("this is")[1]


def test_help_shows_examples(b12):
    text = b12("absorb", "--help").stdout
    assert "Examples:" in text and text.count(" b12 absorb --dose") >= 2 and "MCG" in text


@pytest.mark.parametrize(("age", "stage", "rda", "percent"), [
    ("1", "children-1-3-years", 0.9, 222.2),  # 1.0 mcg absorbed against 0.45 mcg
    ("50.9", "adults-19-50-years", 2.4, 83.3),
    ("51", "adults-51-plus", 2.4, 83.3),
])
def test_age_compares_with_the_rda_for_that_age(b12, age, stage, rda, percent):
    """usability #16: absorb takes --age like rda, foods, labs, risk and intake."""
    doc = b12("absorb", "--dose", "5", "--age", age, "--format", "json").json()
    item = doc["items"][0]
    assert doc["query"]["life_stage"] == stage
    assert (item["rda_mcg"], item["percent_of_rda_absorbed"]) == (rda, percent)
    older = any("older people" in note for note in doc["notes"])
    assert older == (stage == "adults-51-plus")


def test_without_age_the_comparison_is_the_adult_rda(b12):
    doc = b12("absorb", "--dose", "5", "--format", "json").json()
    assert doc["query"]["life_stage"] is None and doc["items"][0]["rda_mcg"] == 2.4
    assert "The adult RDA (2.4 mcg/day)" in b12("absorb", "--dose", "5", env={"COLUMNS": "120"}).stdout


def test_a_bad_age_is_refused_with_the_accepted_range(b12):
    result = b12("absorb", "--dose", "5", "--age", "200")
    assert result.exit_code == 2 and "--age" in result.stderr and "200" in result.stderr
