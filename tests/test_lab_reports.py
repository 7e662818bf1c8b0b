"""`b12 labs` on real reports: ranges as printed, results reported as limits, scheme edges in the units
they were published in, disagreements between schemes, urgency, and batch headers as exported."""

from __future__ import annotations

import json

import pytest

from b12cli.domain import labs
from b12cli.domain.ranges import read_ref
from b12cli.errors import UsageError
from b12cli.inputs import columns
from tests.test_labs import MARKER_KEYS  # noqa: E402 - one marker shape for every output

OTHER_KEYS = {"scheme", "status", "reference", "sources"}


def run(b12, *args) -> dict:
    result = b12("labs", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def marker(b12, *args) -> dict:
    (found,) = run(b12, *args)["markers"]
    assert set(found) == MARKER_KEYS
    return found


def refused(b12, *args) -> str:
    result = b12("labs", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    return result.stderr


# ------------------------------------------------------------ --ref as reports print it

@pytest.mark.parametrize(("args", "status"), [
    (["--mma", "300", "--mma-unit", "nmol/L", "--ref", "mma=0-378"], "normal"),
    (["--mma", "0.5", "--ref", "mma=0-378 nmol/L"], "high"),
    (["--mma", "0.3", "--ref", "mma=0-378 nmol/L"], "normal"),
    (["--mma", "0.378", "--ref", "mma=0-378 nmol/L"], "normal"),  # the high end belongs to the range
    (["--mma", "0.379", "--ref", "mma=0-378 nmol/L"], "high"),
    (["--mma", "0.5", "--ref", "mma=<0.4"], "high"),
    (["--mma", "0.4", "--ref", "mma=<0.4"], "high"),  # "<0.4": 0.4 itself is outside
    (["--mma", "0.4", "--ref", "mma=<=0.4 umol/L"], "normal"),
    (["--mma", "0.4", "--ref", "mma=\u22640.4"], "normal"),
    (["--mma", "0.39", "--ref", "mma=<0.4"], "normal"),
    (["--b12", "250", "--ref", "b12=232-1245 pg/mL"], "normal"),
    (["--b12", "231", "--ref", "b12=232-1245 pg/mL"], "low"),
    (["--b12", "1246", "--ref", "b12=232-1245 pg/mL"], "high"),
    (["--b12", "1500", "--ref", "b12=>200"], "high"),  # one-sided range, no upper flag: the scheme's high band
    (["--b12", "199", "--ref", "b12=>200"], "low"),
    (["--b12", "200", "--ref", "b12=>200"], "low"),
    (["--b12", "200", "--ref", "b12=>=200"], "normal"),
    (["--b12", "200", "--ref", "b12=\u2265200"], "normal"),
    (["--b12", "140", "--ref", "b12=>100"], "deficient"),  # the scheme still decides deficient
    (["--b12", "150", "--b12-unit", "pmol/L", "--ref", "b12=148-664 pmol/L"], "normal"),
    (["--b12", "300", "--ref", "b12=148-664 pmol/L"], "normal"),  # a range in another unit than the value
    (["--b12", "2.3e2", "--ref", "b12=2.32e2-1.245e3"], "low"),  # exponents parse
    (["--mma", "0.2", "--ref", "mma=1e-2-4e-1"], "normal"),  # an exponent with a minus sign, then the dash
    (["--hcy", "16", "--ref", "hcy=<15 umol/L"], "high"),
    (["--hcy", "13", "--ref", "hcy=5-15 \u00b5mol/L"], "normal"),
])
def test_ranges_as_printed(b12, args, status):
    assert marker(b12, *args)["status"] == status


def test_a_range_in_the_wrong_unit_is_refused_never_applied(b12):
    """The worst defect of 0.5: 0.01-378 read as umol/L made a high MMA normal."""
    message = refused(b12, "--mma", "0.5", "--ref", "mma=0.01-378")
    assert "nmol/L" in message and "mma=0.01-378 nmol/L" in message


@pytest.mark.parametrize(("ref", "needle"), [
    ("b12=0-5", "plausible"), ("b12=100-200000", "plausible"), ("mma=<50", "nmol/L"), ("hcy=0-900", "plausible"),
    ("b12=900-200", "below the high end"), ("b12=200-200", "below the high end"), ("b12=<0", "above zero"),
    ("b12=200-900 mg/dL", "not a known unit"), ("b12=about 200", "not accepted"), ("b12", "MARKER=RANGE"),
    ("xyz=1-2", "not a known marker"), ("b12=-5-100", "not accepted"),
])
def test_bad_ranges_exit_2_naming_the_problem(b12, ref, needle):
    assert needle in refused(b12, "--b12", "300", "--ref", ref)


def test_a_range_without_a_unit_is_refused_when_the_file_gives_units_row_by_row(b12, tmp_path):
    """With a b12_unit column no one unit can be assumed for 'b12=200-900': it was once read as pg/mL
    while the row said pmol/L, so 150 pmol/L came out normal where the single query says low."""
    path = tmp_path / "units.csv"
    path.write_text("b12,b12_unit,mma,mma_unit\n150,pmol/L,300,nmol/L\n")
    for ref in ("b12=200-900", "mma=0-0.4"):
        result = b12("labs", "--input", str(path), "--ref", ref)
        assert result.exit_code == 2 and result.stdout == ""
        assert "names no unit" in result.stderr and f"--ref '{ref} " in result.stderr
    given = b12("labs", "--input", str(path), "--ref", "b12=200-900 pmol/L", "--ref", "mma=0-0.4 umol/L")
    single = b12("labs", "--b12", "150", "--b12-unit", "pmol/L", "--mma", "300", "--mma-unit", "nmol/L",
                 "--ref", "b12=200-900 pmol/L", "--ref", "mma=0-0.4 umol/L", "--format", "json")
    record = json.loads(given.stdout)
    assert given.exit_code == 0 and record["verdict"] == json.loads(single.stdout)["verdict"] == "deficiency_possible"
    assert [m["status"] for m in record["markers"]] == ["low", "normal"]
    plain = tmp_path / "plain.csv"  # no unit column: the range takes the option's (or canonical) unit, as before
    plain.write_text("b12\n150\n")
    assert b12("labs", "--input", str(plain), "--ref", "b12=200-900").exit_code == 0


def test_a_range_with_a_unit_option_takes_that_unit(registry):
    ref = read_ref(registry, "mma=0-378", {"mma": "nmol/L"})
    assert (ref.low, ref.high, ref.unit, ref.text) == (None, 0.378, "nmol/L", "0-378 nmol/L")
    suffix = read_ref(registry, "mma=0-0.4 umol/L", {"mma": "nmol/L"})  # the suffix wins over the option
    assert (suffix.high, suffix.unit) == (0.4, "umol/L")


def test_own_range_text_and_sources_are_shown(b12):
    found = marker(b12, "--mma", "0.5", "--ref", "mma=0-378 nmol/L")
    assert found["reference"] == ("high = above 0.4 umol/L (documents scheme); above your laboratory's range "
                                  "0-378 nmol/L")
    assert found["lab_flag"] == "high"
    assert "bsh-2014" in found["sources"]


# ------------------------------------------------------------ results reported as limits

@pytest.mark.parametrize(("value", "status", "censored"), [
    ("<150", "deficient", "<"), ("<=150", "deficient", "<="), ("\u2264150", "deficient", "<="),
    (">2000", "high", ">"), (">=914.01", "high", ">="), ("<250", "deficient", "<"), (">100", "deficient", ">"),
    (">=200", "high", ">="), (" < 150 ", "deficient", "<"),
])
def test_a_limit_takes_the_most_severe_band_it_could_be_in(b12, value, status, censored):
    found = marker(b12, "--b12", value)
    assert (found["status"], found["censored"]) == (status, censored)


def test_a_limit_inside_one_band_is_not_a_worst_case(b12):
    document = run(b12, "--b12", "<150")
    assert not any("could be" in n for n in document["notes"])
    spans = run(b12, "--b12", "<250")
    assert any("could be deficient, low or normal; deficient is reported" in n for n in spans["notes"])


def test_a_plain_value_says_it_is_not_censored(b12):
    assert marker(b12, "--b12", "180")["censored"] is None


@pytest.mark.parametrize(("args", "status"), [
    (["--mma", "<0.5"], "high"), (["--mma", "<0.4"], "normal"), (["--mma", "<=0.4"], "normal"),
    (["--hcy", ">15"], "high"), (["--hcy", ">=15"], "high"), (["--hcy", "<10"], "normal"),
    (["--holotc", "<25"], "deficient"), (["--holotc", ">70"], "normal"), (["--holotc", ">=70"], "indeterminate"),
    (["--mma", "<500", "--mma-unit", "nmol/L"], "high"),
    (["--b12", "<133", "--b12-unit", "pmol/L", "--scheme", "nice"], "deficient"),
    (["--b12", ">258", "--b12-unit", "pmol/L", "--scheme", "nice"], "normal"),
    (["--b12", ">=258", "--b12-unit", "pmol/L", "--scheme", "nice"], "indeterminate"),
    (["--b12", "<240", "--ref", "b12=232-1245"], "deficient"),
    (["--b12", ">240", "--ref", "b12=232-1245"], "high"),
])
def test_limits_for_every_marker_and_with_own_ranges(b12, args, status):
    assert marker(b12, *args)["status"] == status


def test_no_cb12_from_a_limit(b12):
    args = ["--holotc", "70", "--b12", "<350", "--b12-unit", "pmol/L", "--mma", "0.2", "--hcy", "10", "--age", "40"]
    document = run(b12, *args)
    assert document["cb12"] is None
    assert any("cB12" in n and "limit" in n for n in document["notes"])


@pytest.mark.parametrize("value", ["<", "<abc", "<<150", "<-150", "<0", "<nan", ">inf", "<5"])
def test_bad_limits_exit_2(b12, value):
    refused(b12, "--b12", value)


def test_an_mma_limit_of_ten_or_more_needs_its_unit(b12):
    assert "nmol/L" in refused(b12, "--mma", "<400")


# ------------------------------------------------------------ scheme edges in their published units

@pytest.mark.parametrize(("value", "status"), [
    ("132.9", "deficient"), ("133", "indeterminate"), ("258", "indeterminate"), ("258.01", "normal"),
])
def test_nice_edges_in_pmol_are_nice_own_figures(b12, value, status):
    found = marker(b12, "--b12", value, "--b12-unit", "pmol/L", "--scheme", "nice")
    assert found["status"] == status
    assert "pmol/L" in found["reference"].split("(")[0]


@pytest.mark.parametrize(("value", "unit", "status"), [
    ("179.99", "ng/L", "deficient"), ("180", "ng/L", "indeterminate"), ("350", "pg/mL", "indeterminate"),
    ("350.01", "ng/L", "normal"),
])
def test_nice_edges_in_mass_units(b12, value, unit, status):
    assert marker(b12, "--b12", value, "--b12-unit", unit, "--scheme", "nice")["status"] == status


def test_a_value_in_pmol_is_explained_in_pmol_with_the_canonical_figure_beside(b12):
    found = marker(b12, "--b12", "110", "--b12-unit", "pmol/L")
    assert found["reference"] == "deficient = below 110.7 pmol/L (below 150 pg/mL; documents scheme)"
    nice = marker(b12, "--b12", "140", "--b12-unit", "pmol/L", "--scheme", "nice")
    assert nice["reference"] == "indeterminate = 133 to 258 pmol/L (180 to 350 pg/mL; nice scheme)"
    mass = marker(b12, "--b12", "180")
    assert mass["reference"] == "low = 150 to below 200 pg/mL (documents scheme)"


def test_a_reason_names_the_value_in_the_unit_given(b12):
    document = run(b12, "--b12", "133", "--b12-unit", "pmol/L")
    assert any(r["text"].startswith("B12 133 pmol/L is low: low = 110.7 to below 147.6 pmol/L (150 to below 200 "
                                    "pg/mL; documents scheme)") for r in document["reasons"])


def test_published_edges_are_checked_by_the_loader(kb_copy, b12):
    path = kb_copy / "thresholds.yaml"
    path.write_text(path.read_text().replace('"pmol/L": ["(-inf, 133)", "[133, 258]", "(258, inf)"]',
                                             '"pmol/L": ["(-inf, 133)", "[133, 285]", "(285, inf)"]'))
    result = b12("labs", "--b12", "200")
    assert result.exit_code == 1 and "thresholds.yaml" in result.stderr and "1%" in result.stderr


# ------------------------------------------------------------ disagreement between schemes

def test_documents_normal_names_nice_indeterminate(b12):
    found = marker(b12, "--b12", "210")
    assert found["status"] == "normal"
    (other,) = found["other_schemes"]
    assert set(other) == OTHER_KEYS
    assert (other["scheme"], other["status"]) == ("nice", "indeterminate") and "nice-ng239" in other["sources"]
    document = run(b12, "--b12", "210")
    assert any("nice scheme reads B12 210 pg/mL differently" in r["text"] for r in document["reasons"])
    assert any("MMA test" in s["text"] for s in document["next_steps"])
    assert document["verdict"] == "deficiency_possible"  # the most cautious reading, NICE's, decides
    assert run(b12, "--b12", "210", "--scheme", "documents")["verdict"] == "deficiency_unlikely"


def test_nice_indeterminate_names_documents_normal(b12):
    found = marker(b12, "--b12", "210", "--scheme", "nice")
    assert found["status"] == "indeterminate"
    assert [(o["scheme"], o["status"]) for o in found["other_schemes"]] == [("documents", "normal")]
    assert b12("labs", "--b12", "210", "--scheme", "nice", "--check").exit_code == 3
    assert b12("labs", "--b12", "210", "--scheme", "documents", "--check").exit_code == 0
    assert b12("labs", "--b12", "210", "--check").exit_code == 3  # every scheme reads; NICE's indeterminate


@pytest.mark.parametrize("args", [["--b12", "500"], ["--mma", "0.5"], ["--holotc", "40"], ["--hcy", "20"]])
def test_no_other_schemes_when_all_agree(b12, args):
    assert marker(b12, *args)["other_schemes"] == []


def test_a_high_b12_disagreement_does_not_send_for_an_mma_test(b12):
    document = run(b12, "--b12", "5000")
    assert [(o["scheme"], o["status"]) for o in document["markers"][0]["other_schemes"]] == [("nice", "normal")]
    assert not any("MMA or an active B12" in s["text"] for s in document["next_steps"])


# ------------------------------------------------------------ urgency, and a raised B12

def _urgent(document: dict) -> list[dict]:
    return [s for s in document["next_steps"] if s["urgent"]]


@pytest.mark.parametrize(("args", "needle", "source"), [
    (["--b12", "60"], "promptly", "nhs-nbt-b12"), (["--b12", "99.9"], "promptly", "nhs-nbt-b12"),
    (["--hcy", "150"], "severe range", "jcp-hcy"), (["--hcy", "40.1"], "intermediate range", "jcp-hcy"),
    (["--hcy", "100"], "intermediate range", "jcp-hcy"), (["--hcy", "100.1"], "severe range", "jcp-hcy"),
    (["--b12", "<150"], "could be in this range", "nhs-nbt-b12"),
    (["--b12", "180", "--pregnant"], "pregnancy", "nice-ng239"),
])
def test_far_outside_the_bands_says_act_promptly(b12, args, needle, source):
    urgent = _urgent(run(b12, *args))
    assert any(needle in s["text"] and source in s["sources"] for s in urgent), urgent


@pytest.mark.parametrize("args", [["--b12", "100"], ["--b12", "140"], ["--hcy", "40"], ["--hcy", "16"],
                                  ["--b12", "500", "--pregnant"], ["--b12", ">100"]])
def test_no_urgent_step_without_a_cause(b12, args):
    assert _urgent(run(b12, *args)) == []


def test_nerve_symptoms_are_named_whenever_deficiency_is_possible(b12):
    steps = run(b12, "--b12", "180")["next_steps"]
    assert any("numbness, tingling" in s["text"] and not s["urgent"] for s in steps)


def test_a_raised_b12_gets_its_own_reasons(b12):
    document = run(b12, "--b12", "5000")
    texts = [r["text"] for r in document["reasons"]]
    assert not any("outside the scheme's bands" in t for t in texts)
    assert any("None of the markers given points to a lack of B12" in t for t in texts)
    assert any("without supplements or injections" in t and "liver" in t for t in texts)
    assert any("supplements or injections" in s["text"] for s in document["next_steps"])


# ------------------------------------------------------------ batch headers as exported

def test_acceptance_header_reads_four_markers_with_their_units(b12, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Patient,Vitamin B12 (pmol/L),Active B12,MMA (nmol/L),Homocysteine\n"
                    "p1,133,40,500,18\n", encoding="utf-8")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    got = {m["marker"]: (m["canonical_value"], m["status"]) for m in record["markers"]}
    assert got == {"b12": (180.2682, "low"), "holotc": (40, "indeterminate"), "mma": (0.5, "high"),
                   "hcy": (18, "high")}
    assert record["input"]["Vitamin B12 (pmol/L)"] == "133"
    assert "warning" not in result.stderr


@pytest.mark.parametrize(("header", "marker_id", "unit"), [
    ("Vitamin B12", "b12", None), ("B12 (pmol/L)", "b12", "pmol/L"), ("serum b-12", "b12", None),
    ("Cobalamin [ng/L]", "b12", "ng/L"), ("Total B12", "b12", None), ("Active B12", "holotc", None),
    ("Holo-TC", "holotc", None), ("HoloTC (pmol/L)", "holotc", "pmol/L"), ("Holotranscobalamin", "holotc", None),
    ("Methylmalonic acid (nmol/L)", "mma", "nmol/L"), ("MMA nmol/L", "mma", "nmol/L"), ("MMA, umol/L", "mma", "umol/L"),
    ("Homocysteine", "hcy", None), ("tHcy", "hcy", None), ("Total homocysteine (µmol/L)", "hcy", "umol/L"),
    ("AGE", "age", None), ("  mma  ", "mma", None),
])
def test_header_aliases_and_units(registry, header, marker_id, unit):
    mapped = columns.map_columns(registry, ["id", header], {}, {})  if marker_id != "age" else \
        columns.map_columns(registry, ["b12", header], {}, {})
    assert mapped.positions[marker_id] == 1
    assert mapped.units.get(marker_id) == unit


def test_a_marker_like_header_beside_a_mapped_one_stops_the_run(b12, tmp_path):
    """[16] item 5: a result that could change the verdict is never dropped with a warning."""
    path = tmp_path / "f.csv"
    path.write_text("id,B12 result,Homocysteine\n1,180,12\n", encoding="utf-8")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "column 'B12 result' looks like a marker result but is not read, beside the hcy column" in result.stderr
    assert "--column MARKER='B12 result'" in result.stderr
    history = tmp_path / "h.csv"
    history.write_text("date,B12 result,Homocysteine\n2024-01-01,180,12\n", encoding="utf-8")
    assert b12("history", str(history)).exit_code == 2
    noted = tmp_path / "n.csv"
    noted.write_text("id,B12 comment,Homocysteine\n1,haemolysed,12\n", encoding="utf-8")
    kept = b12("labs", "--input", str(noted))  # a comment is not a result: a warning, and the run goes on
    assert kept.exit_code == 0 and "column 'B12 comment' looks like a marker but is not read" in kept.stderr
    chosen = b12("labs", "--input", str(path), "--column", "b12=B12 result")
    record = json.loads(chosen.stdout)
    assert [m["marker"] for m in record["markers"]] == ["b12", "hcy"] and "warning" not in chosen.stderr


@pytest.mark.parametrize(("text", "args", "needle"), [
    ("B12 (pmol/L),b12_unit\n100,pg/mL\n", [], "one place"),
    ("B12 (pmol/L)\n100\n", ["--b12-unit", "pg/mL"], "--b12-unit is pg/mL"),
    ("B12 (ng/mL)\n100\n", [], "not a known unit"),
    ("Vitamin B12,Serum B12\n1,2\n", [], "twice"),
    ("id,note\n1,2\n", [], "no marker column"),
    ("id,b12\n1,2\n", ["--column", "b12=Serum B12"], "no column 'Serum B12'"),
    ("id,b12\n1,2\n", ["--column", "xyz=b12"], "not known"),
])
def test_header_problems_exit_2(b12, tmp_path, text, args, needle):
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    result = b12("labs", "--input", str(path), *args)
    assert result.exit_code == 2 and needle in result.stderr and result.stderr.count("\n") == 1


def test_a_header_unit_that_agrees_with_the_option_is_fine(b12, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("B12 (pmol/L)\n100\n", encoding="utf-8")
    assert b12("labs", "--input", str(path), "--b12-unit", "pmol/L").exit_code == 0


def test_limits_in_batch_cells(b12, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('b12,mma\n<150,\n>2000,0.2\n<250,"<0.5"\n', encoding="utf-8")
    result = b12("labs", "--input", str(path))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    got = [[(m["status"], m["censored"]) for m in r["markers"]] for r in rows]
    assert got == [[("deficient", "<")], [("high", ">"), ("normal", None)], [("deficient", "<"), ("high", "<")]]


def test_column_option_needs_input(b12):
    assert "--column applies only to --input" in refused(b12, "--b12", "200", "--column", "b12=x")


def test_core_limit_points_cover_every_piece():
    """Every stretch between edges inside the interval gets a probe, and the ends only when included."""
    mv = labs.MarkerValue("b12", 250.0, "pg/mL", 250.0, "<")
    points = labs.censored_points(mv, 250.0, [150.0, 200.0, 914.0])
    assert min(points) < 150 and any(150 < p < 200 for p in points) and any(200 < p < 250 for p in points)
    assert 250.0 not in points and 914.0 not in points
    closed = labs.censored_points(mv._replace(censored=">="), 200.0, [150.0, 200.0, 914.0])
    assert 200.0 in closed and any(p > 914 for p in closed) and min(closed) == 200.0


def test_read_ref_is_the_only_parser_for_ranges(registry):
    with pytest.raises(UsageError):
        read_ref(registry, "b12=200..", {})
    assert read_ref(registry, "b12=200..900", {}).high == 900


@pytest.mark.parametrize(("header", "marker_id"), [
    ("Active B12 (holoTC)", "holotc"), ("Methylmalonic Acid (MMA)", "mma"),
    ("Holotranscobalamin (Active B12)", "holotc"), ("Homocysteine (tHcy) umol/L", "hcy"),
])
def test_a_bracketed_name_is_not_taken_for_a_unit(registry, header, marker_id):
    assert columns.map_columns(registry, [header], {}, {}).positions == {marker_id: 0}


def test_column_option_settles_two_candidate_columns(b12, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,B12 (pmol/L),Serum B12 result\n1,100,400\n", encoding="utf-8")
    result = b12("labs", "--input", str(path), "--column", "b12=Serum B12 result")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["markers"][0]["canonical_value"] == 400
    assert "'B12 (pmol/L)' is not read: --column b12 chose 'Serum B12 result'" in result.stderr


def test_a_lone_units_column_belongs_to_the_one_marker(b12, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Patient,B12,Units\nP1,130,pmol/L\n", encoding="utf-8")
    record = json.loads(b12("labs", "--input", str(path)).stdout)
    assert record["markers"][0]["status"] == "low"  # 130 pmol/L = 176 pg/mL, not 130 pg/mL (deficient)
    two = tmp_path / "two.csv"
    two.write_text("B12,MMA,Units\n130,0.2,pmol/L\n", encoding="utf-8")
    assert "'Units' is not read" in b12("labs", "--input", str(two)).stderr


def test_a_range_without_a_unit_takes_the_unit_of_the_column_header(b12, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,B12 (pmol/L)\nEU2,140\n", encoding="utf-8")
    record = json.loads(b12("labs", "--input", str(path), "--ref", "b12=145-569").stdout)
    assert record["markers"][0]["status"] == "low"  # 140 < 145 pmol/L


def test_an_own_range_never_hides_the_scheme_own_reading(b12):
    """F3: inside the laboratory's range never makes a guideline's indeterminate normal."""
    found = marker(b12, "--b12", "240", "--ref", "b12=232-1245", "--scheme", "nice")
    assert (found["status"], found["lab_flag"]) == ("indeterminate", "within")
    (other,) = found["other_schemes"]
    assert (other["scheme"], other["status"]) == ("documents", "normal")
    low = marker(b12, "--b12", "220", "--ref", "b12=232-1245")
    assert (low["status"], low["lab_flag"]) == ("low", "low")
    (plain,) = low["other_schemes"][:1]
    assert "without your laboratory's range" in [o for o in low["other_schemes"] if o["scheme"] == "documents"][0][
        "reference"] and plain


def test_a_limit_that_may_be_high_is_not_called_raised_as_a_fact(b12):
    texts = [r["text"] for r in run(b12, "--b12", ">300", "--scheme", "documents")["reasons"]]
    assert any(t.startswith("B12 >300 pg/mL could be high") for t in texts)
    assert any(t.startswith("If B12 >300 pg/mL is high:") for t in texts)
    assert not any(t.startswith("A raised B12") for t in texts)


def test_a_range_column_flags_each_row_as_ref_would(b12, tmp_path):
    """A laboratory range printed beside each result (wide exports): the row's own lab_flag, a row with a
    blank range read without one, a range that cannot be read an error record."""
    path = tmp_path / "ranges.csv"
    path.write_text("id,b12,B12 reference range\na,151,150-900\nb,240,232-1245\nc,300,\nd,151,bogus\n")
    result = b12("labs", str(path), "--format", "jsonl")
    a, b, c, d = map(json.loads, result.stdout.splitlines())
    assert (a["markers"][0]["status"], a["markers"][0]["lab_flag"]) == ("low", "within")
    assert a["verdict_by_scheme"] == {"documents": "deficiency_possible", "nice": "deficiency_likely",
                                      "lab": "deficiency_possible"}
    assert (b["markers"][0]["status"], b["markers"][0]["lab_flag"]) == ("normal", "within")
    assert c["markers"][0]["lab_flag"] is None and "lab" not in c["verdict_by_scheme"]
    assert "range 'bogus' is not accepted" in d["error"] and result.exit_code == 4
    single = b12("labs", "--b12", "151", "--ref", "b12=150-900", "--format", "jsonl").stdout
    assert single[single.index('"markers"'):] == result.stdout.splitlines()[0][result.stdout.index('"markers"'):] + "\n"
    history = tmp_path / "h.csv"
    history.write_text("id,date,b12,B12 ref range\na,2024-01-01,151,150-900\n")
    panel = b12("history", str(history), "--format", "json").json()["people"][0]["panels"][0]
    assert panel["markers"] == a["markers"]
    plain = b12("history", str(history), "--no-lab-ranges", "--format", "json").json()["people"][0]["panels"][0]
    assert plain["markers"][0]["lab_flag"] is None
