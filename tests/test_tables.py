"""Tables that fit: no word or id is ever broken, lists when narrow, a gauge per lab marker,
no trailing spaces, no style at all with NO_COLOR, and the foods row cap on a terminal."""

from __future__ import annotations

import math
import re

import pytest

from b12cli.domain.vocab import MARKER_STATUSES
from b12cli.output import layout
from b12cli.output.gauge import gauge

WIDTHS = [40, 60, 80, 100, 120]
INF = math.inf
B12_DOCUMENTS = [("deficient", -INF, 150.0), ("low", 150.0, 200.0), ("normal", 200.0, 914.0), ("high", 914.0, INF)]
LABS = ["labs", "--holotc", "40", "--b12", "133", "--b12-unit", "pmol/L", "--mma", "0.5", "--hcy", "18",
        "--age", "70"]


def tokens(text: str) -> set[str]:
    return {t.strip(",;:()[]'\"?.") for t in text.split()}


def _expected(kb, args: list[str]) -> set[str]:
    """Words and ids from the data behind each command's table, which must appear whole."""
    command = args[0]
    meds = kb.medications.classes
    if command == "meds" and len(args) == 1:
        return {w for c in meds for n in c.generic_names + c.brand_names + c.sources for w in n.split()}
    if command == "meds":
        return set(args[1:]) | {s for c in meds for s in c.sources if "omeprazole" in c.generic_names}
    if command == "foods":
        shown = [f for f in kb.foods.foods if f.vegan and f.mcg_per_serving > 0]
        return {w.strip(",()") for f in shown for w in f.name.split()} | {s for f in shown for s in f.sources}
    if command == "labs":
        return {"indeterminate", "high", "low", "nice-ng239", "nhs-nwl-active-b12", "doc-reverse", "ods-b12",
                "pmol/L", "pg/mL", "umol/L"}
    if command == "sources":
        return {s.id for s in kb.sources.values()} | {s.url for s in kb.sources.values() if s.url}
    if command == "rda":
        return {s for stage in kb.intakes.life_stages for s in stage.sources}
    return {t.id for t in kb.topics}


CASES = [["meds"], ["meds", "omeprazole", "Pepcid", "dexlansoprazole"], ["foods", "--vegan", "--all"], LABS,
         ["sources"], ["about"], ["rda"]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a[:2]))
def test_no_word_or_id_is_broken_at_any_width(b12, kb, args, width):
    result = b12(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    seen = tokens(result.stdout)
    missing = sorted(w for w in _expected(kb, args) if w.strip(",()") not in seen)
    assert not missing, f"broken or missing at {width} columns: {missing}\n{result.stdout}"


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a[:2]))
def test_no_line_is_wider_than_40_columns_except_a_single_long_word(b12, args):
    out = b12(*args, env={"COLUMNS": "40"}).stdout
    for line in out.splitlines():
        assert len(line) <= 40 or len(line.split()) == 1 or "|" in line, line


@pytest.mark.parametrize("width", [40, 80])
@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a[:2]))
def test_no_trailing_spaces(b12, args, width):
    result = b12(*args, env={"COLUMNS": str(width)})
    for line in (result.stdout + result.stderr).splitlines():
        assert line == line.rstrip(), repr(line)


def test_narrow_terminal_gives_one_block_per_row(b12):
    out = b12(*LABS, env={"COLUMNS": "40"}).stdout
    assert "  Status: indeterminate" in out and "  Value: 133 pmol/L" in out
    assert "Marker  " not in out  # no table header


def test_wide_terminal_gives_a_table_with_footnoted_sources(b12):
    out = b12(*LABS, env={"COLUMNS": "140"}).stdout
    assert re.search(r"^Marker +Value +Canonical +Band applied +Status +Sources$", out, re.M)
    assert "[1] doc-reverse" in out


def test_canonical_column_only_when_a_unit_differs(b12):
    assert "Canonical" not in b12("labs", "--b12", "180", "--mma", "0.5").stdout
    assert "Canonical" in b12("labs", "--b12", "133", "--b12-unit", "pmol/L").stdout


def test_verdict_in_words_in_a_panel_and_no_raw_token(b12):
    out = b12(*LABS).stdout
    assert re.search(r"^│ Deficiency likely +│$", out, re.M)
    assert "deficiency_likely" not in out and "deficiency_possible" not in out


def test_no_color_removes_every_style_even_on_a_forced_terminal(b12):
    forced = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    coloured = b12(*LABS, env={**forced, "NO_COLOR": None})
    assert "\x1b[" in coloured.stdout
    plain = b12(*LABS, env={**forced, "NO_COLOR": "1"})
    assert "\x1b" not in plain.stdout and "\x1b" not in plain.stderr


def test_vegan_marker_is_a_column_not_a_repeated_word(b12):
    everything = b12("foods", "--all").stdout
    assert "(vegan)" not in everything and re.search(r"\bVegan\b", everything.splitlines()[0])
    only_vegan = b12("foods", "--vegan").stdout
    assert "(vegan)" not in only_vegan and only_vegan.startswith("Vegan foods")


FOOD_ROW = re.compile(r"(%|times)\s+(yes\s+)?[\d,]+$")  # a food's row ends with its %DV, Vegan mark and sources


def test_foods_on_a_terminal_shows_15_and_says_how_to_see_all(monkeypatch, capsys):
    from b12cli.app import build_app

    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    code = build_app("foods")(["foods"], standalone_mode=False)
    out, err = capsys.readouterr()
    assert code == 0
    body = [line for line in out.splitlines() if FOOD_ROW.search(line)]
    assert "Showing 15 of" in err and "--all" in err
    assert len(body) >= 15


def test_foods_piped_shows_every_food(b12, kb):
    listed = [f for f in kb.foods.foods if f.mcg_per_serving > 0]
    result = b12("foods", env={"COLUMNS": "200"})
    assert "Showing" not in result.stderr
    assert len([line for line in result.stdout.splitlines() if FOOD_ROW.search(line)]) == len(listed)


# ------------------------------------------------------------------ layout


def test_fit_widths_gives_up_rather_than_break_a_word():
    columns = [layout.Column("A"), layout.Column("B")]
    rows = [["supercalifragilistic", "expialidocious-word"]]
    assert layout.fit_widths(columns, rows, 30) is None
    widths = layout.fit_widths(columns, rows, 60)
    assert widths == [20, 19]


def test_wrap_never_breaks_on_hyphens_or_inside_words():
    lines = layout.wrap("see nhs-nwl-active-b12 and usda-sr-legacy now", 12)
    assert "nhs-nwl-active-b12" in lines and "usda-sr-legacy" in lines


def test_plural_agreement():
    assert layout.plural(1, "row") == "1 row" and layout.plural(2, "row") == "2 rows"
    assert layout.plural(1, "match", "matches") == "1 match" and layout.plural(0, "match", "matches") == "0 matches"


def test_search_count_agrees(b12):
    assert "1 match for" in b12("search", "tingling", "balance", "vision").stderr or \
        "matches for" in b12("search", "tingling", "balance", "vision").stderr
    found = len(b12("search", "tingling", "--format", "json").json()["items"])
    assert found > 1 and b12("search", "tingling").stderr.startswith(f"{found} matches for")


# ------------------------------------------------------------------ gauge


@pytest.mark.parametrize(("value", "expected"), [
    (100, "[ deficient *-----|150|--- low ---|200|--- normal ---|914|-- high ---]"),
    (10, "[-*- deficient ---|150|--- low ---|200|--- normal ---|914|-- high ---]"),
    (150, "[--- deficient ---|150|*-- low ---|200|--- normal ---|914|-- high ---]"),
    (180, "[--- deficient ---|150|- low *----|200|--- normal ---|914|-- high ---]"),
    (3000, "[--- deficient ---|150|--- low ---|200|--- normal ---|914|-- high --*>"),
])
def test_gauge_places_the_value_in_its_band(value, expected):
    assert gauge(B12_DOCUMENTS, value, 70) == expected


def test_gauge_on_an_upper_edge_follows_the_band_the_caller_names():
    on_edge = gauge(B12_DOCUMENTS, 914, 70, at=2)  # the documents scheme includes 914 in normal
    assert on_edge.index("*") < on_edge.index("|914|")
    assert gauge(B12_DOCUMENTS, 914, 70).index("*") > gauge(B12_DOCUMENTS, 914, 70).index("|914|")


def test_gauge_far_below_clamps_with_an_arrow():
    assert gauge([("normal", -INF, 15.0), ("high", 15.0, INF)], -50, 40).startswith("<*")


def test_gauge_shows_own_range_and_censored_values():
    line = gauge(B12_DOCUMENTS, 250, 70, ref_low=180, ref_high=800)
    assert line.index("(") < line.index("|200|") < line.index("*") < line.index(")") < line.index("|914|")
    below = gauge(B12_DOCUMENTS, 150, 60, censored="<", at=0)  # "<150": the interval drawn up to the limit
    assert re.fullmatch(r"\[=+ deficient =+\*\|150\|-+ low -+\|200\|.*", below)
    above = gauge(B12_DOCUMENTS, 914, 60, censored=">", at=3)
    assert re.fullmatch(r".*\|914\|\*=* high =+\]", above)


@pytest.mark.parametrize("width", [30, 36, 40, 60, 72])
def test_gauge_fits_its_width_and_keeps_edges(width):
    line = gauge(B12_DOCUMENTS, 500, width)
    assert len(line) == width and all(f"|{e}|" in line for e in ("150", "200", "914"))


def test_gauge_is_plain_ascii_unless_asked_for_unicode():
    assert gauge(B12_DOCUMENTS, 500, 60).isascii()
    assert "●" in gauge(B12_DOCUMENTS, 500, 60, unicode=True)


def test_lab_gauge_uses_the_unit_the_person_gave(b12):
    out = b12("labs", "--b12", "133", "--b12-unit", "pmol/L").stdout
    assert "|111|" in out and "|148|" in out and "|674|" in out  # 150, 200, 914 pg/mL in pmol/L


def test_every_status_word_is_known_to_the_renderer():
    from b12cli.output.tables import STATUS_STYLE

    assert set(MARKER_STATUSES) <= set(STATUS_STYLE)


def test_ascii_terminal_gets_ascii_gauge_rule_and_panel():
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "ascii", "NO_COLOR": "1", "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "b12cli", "labs", "--b12", "180", "--mma", "0.5"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    assert re.search(r"^  \[-+ deficient -+\|150\|", done.stdout, re.M) and "*" in done.stdout
    assert "+- Verdict -" in done.stdout and re.search(r"^\| Deficiency likely +\|$", done.stdout, re.M)
    assert re.search(r"^-{20,}$", done.stdout, re.M)


@pytest.mark.parametrize("args", [["search", "zzzz"], ["foods", "--search", "zzzz"]])
def test_no_rows_no_table_header(b12, args):
    result = b12(*args)
    assert result.exit_code == 0 and result.stdout == ""
    assert "0 matches" in result.stderr or "No food matches" in result.stderr


def test_a_number_stays_with_its_unit():
    assert layout.wrap("Lamb liver, pan-fried: 3 oz (85 g)", 30) == ["Lamb liver, pan-fried: 3 oz", "(85 g)"]
    assert layout.longest_word("B12 180 pg/mL is low") == len("180 pg/mL")


def test_table_height_decides_whether_short_headers_stay_on_one_line():
    columns = [layout.Column("Name", 3), layout.Column("Servings for RDA", align="right", nowrap=True)]
    rows = [["a long food name that needs room to be read", "0.5"]]
    widths = layout.fit_widths(columns, rows, 40)
    assert layout.height(columns, rows, widths) <= layout.height(columns, rows, [widths[0] + 8, 8])
