"""Issue [18]: trends that mean something. Reference change values (variation.yaml, --rcv), the
significance of each step and of the whole series, the trend in words, and the chart in the terminal."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from b12cli.domain.model import ChangeFigures
from b12cli.domain.variation import End, Limits, judge, limits_of, read_rcv, sentence, span_words
from tests.conftest import REPO

STEP_KEYS = {"from", "to", "change_percent", "direction", "significance", "reason"}
RCV_KEYS = {"fall_percent", "rise_percent", "cv_analytical", "cv_within", "z", "confidence_percent", "model",
            "laboratory", "text", "sources"}
NEW_TREND_KEYS = {"change_percent", "significance", "reason", "rcv", "steps", "summary"}
SIGNIFICANCE = {"significant_rise", "significant_fall", "within_variation", "not_comparable", "unknown_variation"}

# The acceptance file: id, date and marker columns.
ACCEPTANCE = """id,date,b12,mma,hcy
steady,2024-01-10,300,0.39,14.9
steady,2024-02-10,330,0.41,15.2
limit,2024-01-01,>2000,,
limit,2024-03-01,1800,,
"""
RISE = "id,date,b12,b12_unit\nr,2024-01-10,162,ng/L\nr,2024-09-10,410,ng/L\n"
YEAR = """id,date,b12,mma,hcy,folate
p1,2024-01-10,162,0.62,18,3
p1,2024-03-12,250,0.45,16,5
p1,2024-06-02,380,0.31,12,4.5
p1,2024-09-10,410,0.30,11.8,7
p1,2025-01-15,395,0.28,12.2,6.8
"""


def write(tmp_path: Path, text: str, name: str = "results.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def trends(document: dict, person: str) -> dict[str, dict]:
    [found] = [p for p in document["people"] if p["id"] == person]
    return {t["marker"]: t for t in found["trend"]}


def figures(cva: float | None, cvi: float) -> ChangeFigures:
    return ChangeFigures("b12", cva, cvi, "test", ("ods-b12",))


def limits(cva: float | None = 7.5, cvi: float = 8.6) -> Limits:
    fall, rise = limits_of(figures(cva, cvi), 1.96)
    return Limits("b12", fall, rise, figures(cva, cvi), 1.96, 95, "log_normal")


def end(value: float, comparator: str | None = None, date: str = "2024-01-01", lab: str | None = None,
        status: str = "normal") -> End:
    return End(date, value, comparator, value, "pg/mL", status, lab)


# ----------------------------------------------------------------- the figures


@pytest.mark.parametrize(("cva", "cvi", "fall", "rise"), [
    (7.5, 8.6, -27.0, 37.1),    # B12, Ozkanay 2023 (domain-facts: -27.0 / +37.1)
    (6.1, 5.77, -20.7, 26.2),   # B12, Cokluk 2021
    (4.7, 14.6, -34.5, 52.6),   # B12, the supplemental table
    (5.7, 7.2, -22.4, 29.0),    # MMA default
    (4.3, 7.4, -21.1, 26.7),    # homocysteine default
    (None, 11, -26.2, 35.5),    # holoTC: the day-to-day CV already holds the assay's
])
def test_log_normal_limits_match_the_published_figures(cva, cvi, fall, rise):
    low, high = limits_of(figures(cva, cvi), 1.96)
    assert low == pytest.approx(fall, abs=0.11) and high == pytest.approx(rise, abs=0.11)
    assert (1 + low / 100) * (1 + high / 100) == pytest.approx(1.0)  # symmetric on the log scale


def test_the_knowledge_base_holds_the_suggested_defaults_and_no_folate_figure(kb):
    v = kb.variation
    assert (v.model, v.confidence_percent, v.z) == ("log_normal", 95, 1.96)
    held = {m: (f.cv_analytical, f.cv_within) for m, f in v.figures.items()}
    assert held == {"b12": (7.5, 8.6), "holotc": (None, 11), "mma": (5.7, 7.2), "hcy": (4.3, 7.4)}
    assert "folate" not in v.figures  # the sources used give none: never invented
    for f in v.figures.values():
        assert f.sources and all(s in kb.sources for s in f.sources)
        assert all(n.sources and set(n.sources) <= set(kb.sources) for n in f.notes)
    assert all(set(m.sources) <= set(kb.sources) for m in v.messages.values())


@pytest.mark.parametrize(("old", "new", "error"), [
    ("cv_within: 8.6", "cv_within: 100", "variation.yaml: markers[0].cv_within: expected a percentage below 100"),
    ("cv_within: 8.6", "cv_within: 0", "variation.yaml: markers[0].cv_within: expected a number above 0"),
    ("  - marker: mma", "  - marker: b12", "variation.yaml: markers[2].marker: duplicate 'b12'"),
    ("  - marker: mma", "  - marker: xyz", "variation.yaml: markers[2].marker: 'xyz' is not a marker"),
    ("sources: [ozkanay-2023-bv]", "sources: [nowhere-2099]", "unknown source id 'nowhere-2099'"),
    ("model: log_normal", "model: normal", "variation.yaml: model: expected one of log_normal"),
])
def test_a_broken_variation_file_is_a_knowledge_base_error(b12, edit_kb, tmp_path, old, new, error):
    edit_kb("variation.yaml", old, new)
    run = b12("history", write(tmp_path, ACCEPTANCE))
    assert run.exit_code == 1 and error in run.stderr, run.stderr


# ----------------------------------------------------------------- judging a step


@pytest.mark.parametrize(("start", "finish", "significance", "reason"), [
    (end(300), end(330), "within_variation", None),
    (end(162), end(410), "significant_rise", None),
    (end(410), end(200), "significant_fall", None),
    (end(100), end(137.13), "within_variation", None),     # just under +37.1%: not more than chance
    (end(100), end(137.2), "significant_rise", None),
    (end(2000, ">"), end(1800), "not_comparable", "limit"),  # could be a 10% or a 90% fall
    (end(2000, ">"), end(500), "significant_fall", None),    # every value it could be is a real fall
    (end(150, "<"), end(160), "not_comparable", "limit"),
    (end(150, "<"), end(400), "significant_rise", None),
    (end(150, "<"), end(150, "<"), "not_comparable", "limit"),
    (end(300, lab="200-900 pg/mL"), end(330, lab="180-914 pg/mL"), "not_comparable", "other_laboratory"),
    (end(300, lab="200-900 pg/mL"), end(330, lab="200-900 pg/mL"), "within_variation", None),
    (end(300, lab="200-900 pg/mL"), end(330), "within_variation", None),  # one range alone says nothing
])
def test_each_step_is_judged_against_the_reference_change_value(start, finish, significance, reason):
    step = judge(start, finish, limits())
    assert (step.significance, step.reason) == (significance, reason)
    assert step.significance in SIGNIFICANCE


def test_without_figures_a_step_is_never_judged():
    step = judge(end(3), end(6), None)
    assert (step.significance, step.reason, step.change_percent, step.direction) == \
        ("unknown_variation", "no_figure", 100.0, "up")


@pytest.mark.parametrize(("first", "latest", "words"), [
    ("2024-01-10", "2024-09-10", "in 8 months"), ("2024-01-10", "2024-02-10", "in 1 month"),
    ("2024-01-10", "2024-01-20", "in 10 days"), ("2024-01-10", "2024-01-31", "in 3 weeks"),
    ("2024-01-10", "2024-01-10 09:30", "on the same day"), ("2022-01-10", "2024-09-10", "in 2.5 years"),
    ("2023", "2024", "in 1 year"), ("2024-01", "2024-03-15", "in 2 months"), ("soon", "later", "from soon to later"),
])
def test_time_between_results_in_words(first, latest, words):
    assert span_words(first, latest) == words


def test_the_trend_in_words_says_plainly_whether_it_is_real():
    rise = judge(End("2024-01-10", 162, None, 162, "ng/L", "low", None),
                 End("2024-09-10", 410, None, 410, "ng/L", "normal", None), limits())
    assert sentence("B12", "pg/mL", rise, limits()) == ("B12 rose from 162 to 410 ng/L in 8 months, more than the 37% "
                                                        "that chance allows: a real rise. It went from low to normal.")
    noise = judge(end(0.39, date="2024-01-10"), end(0.41, date="2024-02-10", status="high"), limits(5.7, 7.2))
    said = sentence("MMA", "umol/L", noise, limits(5.7, 7.2))
    assert said.startswith("MMA went from 0.39 to 0.41 pg/mL in 1 month (+5%), within what measurement and "
                           "day-to-day variation allow (-22% to +29%): no real change.")
    assert said.endswith("It went from normal to high, but by less than chance allows.")
    folate = sentence("Folate", "ng/mL", judge(end(3), end(6), None), None)
    assert "no reference change value is held for folate" in folate and "(+100%)" in folate


# ----------------------------------------------------------------- --rcv


def test_rcv_reads_a_laboratorys_own_figures():
    found = read_rcv(["b12=5,9", "MMA = 4.5% , 10%"], ("b12", "holotc", "mma", "hcy", "folate"))
    assert {m: (f.cv_analytical, f.cv_within, f.own) for m, f in found.items()} == \
        {"b12": (5.0, 9.0, True), "mma": (4.5, 10.0, True)}


@pytest.mark.parametrize(("value", "message"), [
    ("b12", "--rcv 'b12' is not MARKER=CVA,CVI; expected e.g. b12=7.5,8.6"),
    ("b12=7.5", "is not MARKER=CVA,CVI"),
    ("b12=7.5,8.6,1", "is not MARKER=CVA,CVI"),
    ("b12=,8.6", "is not MARKER=CVA,CVI"),
    ("xyz=5,9", "unknown marker 'xyz'; expected one of b12, holotc, mma, hcy, folate"),
    ("b12=0,9", "a CV of 0% is not accepted; expected a percentage above 0 and below 100"),
    ("b12=5,100", "a CV of 100% is not accepted"),
    ("b12=-5,9", "a CV of -5% is not accepted"),
    ("b12=five,9", "--rcv b12 CV 'five' is not a number"),
    ("b12=nan,9", "is not a number"),
])
def test_a_bad_rcv_is_a_one_line_usage_error(b12, tmp_path, value, message):
    run = b12("history", write(tmp_path, ACCEPTANCE), "--rcv", value)
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.startswith("b12: error: ") and run.stderr.count("\n") == 1 and message in run.stderr


def test_rcv_given_twice_for_one_marker_is_refused(b12, tmp_path):
    run = b12("history", write(tmp_path, ACCEPTANCE), "--rcv", "b12=5,9", "--rcv", "B12=6,9")
    assert run.exit_code == 2 and "--rcv gives b12 twice" in run.stderr


def test_a_laboratorys_figures_change_the_judgement_and_say_so(b12, tmp_path):
    path = write(tmp_path, RISE)
    published = trends(b12("history", path, "--format", "json").json(), "r")["b12"]
    own_run = b12("history", path, "--format", "json", "--rcv", "b12=20,30")
    own = trends(own_run.json(), "r")["b12"]
    assert published["significance"] == "significant_rise" and published["rcv"]["laboratory"] is False
    assert own["significance"] == "within_variation"  # +153% is inside a lab's wide -62% / +167%
    assert (own["rcv"]["cv_analytical"], own["rcv"]["cv_within"], own["rcv"]["laboratory"]) == (20.0, 30.0, True)
    assert any("Your laboratory's figures (--rcv)" in n for n in own_run.json()["notes"])


# ----------------------------------------------------------------- the acceptance file


def test_acceptance_steps_through_a_real_process_from_another_folder(tmp_path):
    """`history` on a CSV with id, date and marker columns, as a user runs it (a subprocess, another folder)."""
    path = write(tmp_path, ACCEPTANCE)
    env = {k: v for k, v in os.environ.items() if k != "B12_DATA_DIR"}
    done = subprocess.run([sys.executable, "-m", "b12cli", "history", path, "--format", "json"], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    import json

    document = json.loads(done.stdout)
    steady, limit = trends(document, "steady"), trends(document, "limit")
    assert steady["b12"]["significance"] == "within_variation" and steady["b12"]["change_percent"] == 10.0
    assert steady["mma"]["significance"] == "within_variation" and steady["mma"]["direction"] == "up"
    assert steady["hcy"]["significance"] == "within_variation"
    assert (limit["b12"]["significance"], limit["b12"]["reason"], limit["b12"]["change_percent"]) == \
        ("not_comparable", "limit", None)
    assert any(n.startswith("A result given as a limit (such as >2000)") for n in document["notes"])


def test_json_keys_of_a_trend_its_steps_and_its_rcv(b12, tmp_path):
    document = b12("history", write(tmp_path, YEAR), "--format", "json").json()
    found = trends(document, "p1")
    assert set(found) == {"b12", "mma", "hcy", "folate"}
    for t in found.values():
        assert NEW_TREND_KEYS <= set(t)
        assert len(t["steps"]) == t["points"] - 1 == 4
        for s in t["steps"]:
            assert set(s) == STEP_KEYS and s["significance"] in SIGNIFICANCE
            assert set(s["from"]) == set(s["to"]) == {"date", "value", "comparator"}
        assert t["rcv"] is None or set(t["rcv"]) == RCV_KEYS
    assert [s["significance"] for s in found["b12"]["steps"]] == \
        ["significant_rise", "significant_rise", "within_variation", "within_variation"]
    assert found["mma"]["significance"] == "significant_fall" and found["mma"]["rcv"]["sources"]
    assert found["folate"]["rcv"] is None and found["folate"]["significance"] == "unknown_variation"
    assert {s["reason"] for s in found["folate"]["steps"]} == {"no_figure"}
    assert any(n.startswith("No reference change value is held for this marker") for n in document["notes"])


def test_folate_is_judged_with_a_laboratorys_own_figures(b12, tmp_path):
    document = b12("history", write(tmp_path, YEAR), "--format", "json", "--rcv", "folate=4,10").json()
    assert trends(document, "p1")["folate"]["significance"] == "significant_rise"


def test_a_change_of_laboratory_range_is_not_compared(b12, tmp_path):
    path = write(tmp_path, "id,date,b12,b12_ref\nx,2024-01-10,300,200-900\nx,2024-03-10,500,180-914\n")
    document = b12("history", path, "--format", "json").json()
    b12_trend = trends(document, "x")["b12"]
    assert (b12_trend["significance"], b12_trend["reason"]) == ("not_comparable", "other_laboratory")
    assert "laboratory ranges differ" in b12_trend["summary"]


# ----------------------------------------------------------------- the chart in the terminal


@pytest.fixture
def colour_allowed(monkeypatch):
    """The suite sets NO_COLOR, which also makes the chart ASCII; these tests read the UTF-8 chart."""
    monkeypatch.delenv("NO_COLOR")


def table(width: int, text: str, tmp_path: Path, **env: str) -> str:
    path = write(tmp_path, text)
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "B12_DATA_DIR")}
    done = subprocess.run([sys.executable, "-m", "b12cli", "history", path], capture_output=True, timeout=60,
                          env={**base, "COLUMNS": str(width), "TERM": "xterm-256color", **env}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_shows_a_chart_per_marker_and_which_changes_exceed_chance(b12, tmp_path, width, colour_allowed):
    out = b12("history", write(tmp_path, YEAR), env={"COLUMNS": str(width)}).stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)
    for title in ("B12 (pg/mL), documents bands; real change beyond -27%/+37% (95%)",
                  "MMA (umol/L), documents bands; real change beyond -22%/+29% (95%)",
                  "Homocysteine (umol/L), documents bands; real change beyond -21%/+27% (95%)",
                  "Folate (ng/mL), documents bands; no reference change value held"):
        assert title in out
    chart = out[out.index("B12 (pg/mL)"):out.index("Steps (")]
    bands = [re.split("[│┼]", line)[0].strip() for line in chart.splitlines()[1:12]]
    assert bands == ["high", "", "914", "normal", "", "200", "low", "", "150", "deficient", ""]
    rows = chart.splitlines()
    assert re.fullmatch(r" +│ +● +● +● +●", rows[5]) and re.fullmatch(r" +│●", rows[8])  # 162 low, the rest normal
    assert re.search(r"^ +▲\+54% +▲\+52% +≈\+8% +≈-4%$", chart, re.M)  # each step's significance beside it
    assert "▲ 2024-01-10 → 2024-03-12: 162 → 250 pg/mL, +54.3%, real rise" in out
    assert "≈ 2024-06-02 → 2024-09-10: 380 → 410 pg/mL, +7.9%, within variation" in out
    assert "B12 rose from 162 to 395 pg/mL in 12 months, more than the 37% that chance" in " ".join(lines)
    assert "? 2024-01-10 → 2024-03-12: 3 → 5 ng/mL, +66.7%, no reference change value" in out


def test_the_acceptance_table_says_no_change_is_real(b12, tmp_path, colour_allowed):
    out = " ".join(b12("history", write(tmp_path, ACCEPTANCE), env={"COLUMNS": "80"}).stdout.split())
    assert "B12 went from 300 to 330 pg/mL in 1 month (+10%), within what measurement and day-to-day variation " \
           "allow (-27% to +37%): no real change." in out
    assert "MMA: 0.39 → 0.41 umol/L (2024-01-10 → 2024-02-10), up, +0.02 umol/L ▁█; within variation" in out
    assert "B12 went from >2000 to 1800 pg/mL in 2 months; a result given as a limit could lie on either side" in out


def test_the_chart_is_plain_ascii_without_colour_for_an_ascii_terminal(tmp_path):
    out = table(80, YEAR, tmp_path, PYTHONIOENCODING="ascii", NO_COLOR="1")
    assert out.isascii() and "\x1b[" not in out
    assert re.search(r"^ +914 \+\.+$", out, re.M) and re.search(r"^ +\^\+54% +\^\+52% +=\+8% +=-4%$", out, re.M)
    assert "^ 2024-01-10 -> 2024-03-12: 162 -> 250 pg/mL, +54.3%, real rise" in out


def test_with_no_color_the_chart_is_plain_ascii_on_a_utf8_terminal(tmp_path):
    out = table(80, YEAR, tmp_path, PYTHONIOENCODING="utf-8", NO_COLOR="1")
    chart = out[out.index("B12 (pg/mL)"):out.index("Steps (")]
    assert chart.isascii() and "^ 2024-01-10 → 2024-03-12" in out and "\x1b[" not in out
    assert re.search(r"^ +914 \+\.+$", chart, re.M) and re.search(r"^ +\^\+54% +\^\+52% +=\+8% +=-4%$", chart, re.M)


def test_the_chart_is_in_colour_on_a_terminal_unless_no_color(tmp_path):
    coloured = table(80, YEAR, tmp_path, FORCE_COLOR="1")
    assert "\x1b[" in coloured and "\x1b[1;33m●" in coloured  # the low point in the low band's colour
    assert "\x1b[" not in table(80, YEAR, tmp_path, FORCE_COLOR="1", NO_COLOR="1")


def test_a_narrow_terminal_keeps_the_steps_in_words(b12, tmp_path):
    out = b12("history", write(tmp_path, YEAR), env={"COLUMNS": "30"}).stdout
    assert "┼" not in out and "real rise" in out  # too narrow for a chart: the steps still say it


def test_many_steps_list_only_those_beyond_chance(b12, tmp_path, colour_allowed):
    rows = "".join(f"m,2024-{month:02d}-01,{300 + (month % 2) * 10}\n" for month in range(1, 13))
    out = b12("history", write(tmp_path, "id,date,b12\nm,2023-12-01,300\n" + rows + "m,2025-01-01,900\n")).stdout
    assert "and 12 steps within variation" in out and "▲ 2024-12-01 → 2025-01-01: 300 → 900 pg/mL" in out


def test_no_module_is_imported_that_json_does_not_need(tmp_path):
    """The JSON path loads neither Rich nor the chart and page renderers."""
    path = write(tmp_path, ACCEPTANCE)
    code = ("import sys\nfrom b12cli.entry import main\n"
            f"sys.argv = ['b12', 'history', {path!r}, '-f', 'json']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] == 'rich' or m in "
            "('b12cli.output.chart', 'b12cli.output.html', 'b12cli.output.tables'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO,
                          check=False)
    assert done.stderr.endswith("[]"), done.stderr[-500:]


def test_limits_are_finite_for_any_accepted_figures():
    for cva in (0.01, 1, 50, 99.99):
        for cvi in (0.01, 1, 50, 99.99):
            fall, rise = limits_of(figures(cva, cvi), 1.96)
            assert -100 < fall < 0 < rise and math.isfinite(rise)
