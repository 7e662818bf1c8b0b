"""`b12 labs`: every band edge in both schemes, unit conversions, verdict rules, --ref, cB12, errors."""

from __future__ import annotations

import math

import pytest

LAB_KEYS = {"schema", "scheme", "scheme_decides", "age", "context", "markers", "verdict", "verdict_by_scheme",
            "rule_by_scheme", "decided_by", "urgent", "reasons", "settled", "next_steps", "cb12", "notes", "disclaimer"}
MARKER_KEYS = {"marker", "value", "unit", "canonical_value", "canonical_unit", "status", "lab_flag", "far_above",
               "could_be", "reference", "sources", "censored", "printed_flag", "other_schemes"}
STEP_KEYS = {"text", "sources", "urgent"}


def run(b12, *args):
    result = b12("labs", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return result.json()


def status(b12, *args) -> str:
    (marker,) = run(b12, *args)["markers"]
    return marker["status"]


def test_acceptance_example(b12):
    document = run(b12, "--b12", "180", "--mma", "0.5")
    assert set(document) == LAB_KEYS and document["schema"] == "b12.labs/1"
    b12_marker, mma_marker = document["markers"]
    assert all(set(m) == MARKER_KEYS for m in document["markers"])
    assert (b12_marker["status"], mma_marker["status"]) == ("low", "high")
    assert "doc-reverse" in b12_marker["sources"] and "doc-reverse" in mma_marker["sources"]
    assert document["verdict"] == "deficiency_likely"
    assert document["cb12"] is None and document["scheme"] == "documents" and document["age"] is None
    for item in document["reasons"]:
        assert set(item) == {"text", "sources"} and item["sources"]
    for item in document["next_steps"]:
        assert set(item) == STEP_KEYS and item["sources"] and isinstance(item["urgent"], bool)
    assert any("B12" in r["text"] and "MMA" in r["text"] for r in document["reasons"])
    assert any("kidney" in s["text"] for s in document["next_steps"])
    assert document["disclaimer"]


# ------------------------------------------------------------ band edges, documents scheme

@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", "deficient"), ("149.9", "deficient"), ("150", "low"), ("199.9", "low"), ("200", "normal"),
     ("914", "normal"), ("914.01", "high"), ("915", "high"), ("100000", "high")],
)
def test_b12_documents_bands(b12, value, expected):
    assert status(b12, "--b12", value) == expected


@pytest.mark.parametrize(("value", "expected"), [("0.01", "normal"), ("0.4", "normal"), ("0.41", "high")])
def test_mma_documents_bands(b12, value, expected):
    assert status(b12, "--mma", value) == expected


@pytest.mark.parametrize(("value", "expected"), [("1", "normal"), ("15", "normal"), ("15.1", "high")])
def test_hcy_documents_bands(b12, value, expected):
    assert status(b12, "--hcy", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("24", "deficient"), ("24.99", "deficient"), ("25", "indeterminate"), ("70", "indeterminate"),
     ("70.01", "normal"), ("71", "normal")],
)
@pytest.mark.parametrize("scheme", ["documents", "nice"])
def test_holotc_bands_in_both_schemes(b12, value, expected, scheme):
    assert status(b12, "--holotc", value, "--scheme", scheme) == expected


# ------------------------------------------------------------ band edges, NICE scheme

@pytest.mark.parametrize(
    ("value", "expected"),
    [("179", "deficient"), ("179.99", "deficient"), ("180", "indeterminate"), ("350", "indeterminate"),
     ("350.01", "normal"), ("351", "normal"), ("2000", "normal")],
)
def test_b12_nice_bands(b12, value, expected):
    assert status(b12, "--b12", value, "--scheme", "nice") == expected


@pytest.mark.parametrize(("args", "expected"), [(["--mma", "0.4"], "normal"), (["--mma", "0.41"], "high"),
                                                 (["--hcy", "15"], "normal"), (["--hcy", "15.1"], "high")])
def test_nice_functional_markers_use_documents_figures_with_a_note(b12, args, expected):
    document = run(b12, *args, "--scheme", "nice")
    assert document["markers"][0]["status"] == expected
    assert any("NICE NG239 gives no" in n for n in document["notes"])


def test_homocysteine_unit_disagreement_is_noted_on_the_source(b12):
    notes = b12("sources", "doc-reverse", "--format", "json").json()["items"][0]["notes"]
    assert any("15 nmol/L" in n and "15 umol/L" in n for n in notes)
    assert not any("nmol/L" in n for n in run(b12, "--hcy", "12")["notes"])


# ------------------------------------------------------------ units

@pytest.mark.parametrize(
    ("value", "unit", "canonical", "expected"),
    [("110.66", "pmol/L", 149.988564, "deficient"), ("110.67", "pmol/L", 150.002118, "low"),
     ("147.5", "pmol/L", 199.9215, "low"), ("147.6", "pmol/L", 200.05704, "normal"),
     ("150", "ng/L", 150.0, "low"), ("149.9", "ng/L", 149.9, "deficient"), ("200", "NG/L", 200.0, "normal"),
     ("674", "pmol/L", 913.5396, "normal"), ("675", "pmol/L", 914.895, "high")],
)
def test_b12_unit_boundaries(b12, value, unit, canonical, expected):
    (marker,) = run(b12, "--b12", value, "--b12-unit", unit)["markers"]
    assert marker["canonical_value"] == pytest.approx(canonical)
    assert marker["canonical_unit"] == "pg/mL" and marker["status"] == expected
    assert marker["value"] == float(value)


@pytest.mark.parametrize(
    ("value", "expected", "canonical"),
    [("400", "normal", 0.4), ("410", "high", 0.41), ("10", "normal", 0.01), ("500000", "high", 500.0)],
)
def test_mma_in_nmol(b12, value, expected, canonical):
    (marker,) = run(b12, "--mma", value, "--mma-unit", "nmol/L")["markers"]
    assert (marker["status"], marker["canonical_value"], marker["unit"]) == (expected, canonical, "nmol/L")


@pytest.mark.parametrize("spelling", ["umol/L", "µmol/L", "μmol/L", "UMOL/L", " umol/l "])
def test_micro_spellings_are_accepted(b12, spelling):
    (marker,) = run(b12, "--mma", "0.3", "--mma-unit", spelling)["markers"]
    assert marker["unit"] == "umol/L"


@pytest.mark.parametrize(
    ("marker", "value", "unit", "canonical"),
    [("b12", 100.0, "pmol/L", 135.54), ("b12", 135.54, "pg/mL", 135.54), ("b12", 180.0, "ng/L", 180.0),
     ("mma", 271.0, "nmol/L", 0.271), ("mma", 0.271, "umol/L", 0.271), ("holotc", 50.0, "pmol/L", 50.0),
     ("hcy", 12.5, "umol/L", 12.5)],
)
def test_conversions_both_ways(registry, marker, value, unit, canonical):
    m = registry.get(marker)
    assert m.to_canonical(value, unit) == pytest.approx(canonical)
    assert m.from_canonical(canonical, unit) == pytest.approx(value)


def test_pmol_factor_is_the_molar_mass(registry):
    b12 = registry.get("b12")
    assert b12.to_canonical(1.0, "pmol/L") == 1.3554
    assert b12.from_canonical(1.3554, "pmol/L") == 1.0


# ------------------------------------------------------------ verdict rules (data/rules.yaml)

@pytest.mark.parametrize(
    ("args", "verdict", "rules"),
    [
        (["--b12", "140"], "deficiency_likely", {"documents": "R11", "nice": "R11"}),
        (["--holotc", "20"], "deficiency_likely", {"documents": "R03", "nice": "R03"}),
        (["--b12", "140", "--mma", "0.2"], "deficiency_likely", {"documents": "R11", "nice": "R11"}),
        (["--b12", "180", "--mma", "0.5"], "deficiency_likely", {"documents": "R08", "nice": "R08"}),
        (["--holotc", "40", "--hcy", "20"], "deficiency_possible", {"documents": "R12", "nice": "R12"}),
        (["--b12", "180"], "deficiency_possible", {"documents": "R13", "nice": "R13"}),
        (["--holotc", "50", "--mma", "0.3"], "deficiency_possible", {"documents": "R13", "nice": "R13"}),
        (["--b12", "500", "--mma", "0.6"], "deficiency_possible", {"documents": "R14", "nice": "R14"}),
        (["--mma", "0.6", "--hcy", "20"], "deficiency_likely", {"documents": "R05", "nice": "R05"}),
        (["--hcy", "20"], "deficiency_possible", {"documents": "R15", "nice": "R15"}),
        (["--b12", "500", "--hcy", "20"], "deficiency_possible", {"documents": "R15", "nice": "R15"}),
        (["--b12", "500", "--mma", "0.2", "--hcy", "10", "--holotc", "90"], "deficiency_unlikely",
         {"documents": "R18", "nice": "R18"}),
        (["--b12", "1200"], "deficiency_unlikely", {"documents": "R18", "nice": "R18"}),
        (["--b12", "150", "--holotc", "80"], "deficiency_possible", {"documents": "R09", "nice": "R09"}),
        (["--b12", "420", "--mma", "3.6", "--hcy", "49", "--egfr", "25"], "deficiency_possible",
         {"documents": "R04", "nice": "R04"}),
        (["--b12", "420", "--mma", "3.6", "--hcy", "49", "--egfr", "75"], "deficiency_likely",
         {"documents": "R05", "nice": "R05"}),
        (["--b12", "400", "--hcy", "45", "--nitrous-oxide"], "deficiency_likely", {"documents": "R02", "nice": "R02"}),
        (["--b12", "400", "--nitrous-oxide"], "deficiency_possible", {"documents": "R16", "nice": "R16"}),
        (["--b12", "1200", "--taking-b12"], "deficiency_possible", {"documents": "R17", "nice": "R17"}),
        (["--b12", "170", "--pregnant"], "deficiency_possible", {"documents": "R13", "nice": "R10"}),
        (["--b12", "500", "--mma", "0.9"], "deficiency_likely", {"documents": "R06", "nice": "R06"}),
        (["--b12", "500", "--hcy", "41"], "deficiency_likely", {"documents": "R07", "nice": "R07"}),
        (["--b12", "500", "--hcy", "41", "--folate", "2"], "deficiency_possible",
         {"documents": "R15", "nice": "R15"}),
    ],
)
def test_verdict_rules(b12, args, verdict, rules):
    """Each row of the table reached through the command line: the verdict and the row per scheme."""
    document = run(b12, *args)
    assert document["verdict"] == verdict
    assert document["rule_by_scheme"] == rules
    decided = document["decided_by"]
    assert document["verdict_by_scheme"][decided["scheme"]] == verdict and decided["rule"] == rules[decided["scheme"]]


def test_mma_alone_explains_kidney_and_age(b12):
    document = run(b12, "--mma", "0.6")
    assert any("kidney" in r["text"] and "age" in r["text"] for r in document["reasons"])
    assert any("kidney function" in s["text"] for s in document["next_steps"])


def test_hcy_alone_explains_folate_and_b6(b12):
    document = run(b12, "--hcy", "22")
    assert any("folate" in r["text"] and "B6" in r["text"] for r in document["reasons"])
    assert any("folate" in s["text"] for s in document["next_steps"])


def test_indeterminate_names_the_test_that_settles_it(b12):
    document = run(b12, "--b12", "250", "--scheme", "nice")
    assert document["verdict"] == "deficiency_possible"
    assert any("MMA test" in s["text"] for s in document["next_steps"])


def test_high_b12_adds_a_reason_and_step_but_keeps_the_verdict(b12):
    document = run(b12, "--b12", "1200")
    assert document["verdict"] == "deficiency_unlikely"
    assert any("supplements" in r["text"].casefold() for r in document["reasons"])
    assert any("no B12 supplements or injections" in s["text"] for s in document["next_steps"])
    assert b12("labs", "--b12", "1200", "--check").exit_code == 3


def test_pregnancy_and_under_18_notes(b12):
    assert any("pregnancy" in r["text"] for r in run(b12, "--b12", "300", "--pregnant")["reasons"])
    assert any("adults" in n for n in run(b12, "--b12", "300", "--age", "17.9")["notes"])
    assert not any("set for adults" in n for n in run(b12, "--b12", "300", "--age", "18")["notes"])


# ------------------------------------------------------------ --ref

@pytest.mark.parametrize(
    ("value", "expected"),
    [("140", "deficient"), ("150", "low"), ("210", "low"), ("220", "normal"), ("900", "normal"), ("901", "high")],
)
def test_ref_is_a_flag_that_makes_a_result_at_least_low_or_high(b12, value, expected):
    (marker,) = run(b12, "--b12", value, "--ref", "b12=220-900")["markers"]
    assert marker["status"] == expected
    assert "your laboratory's range 220-900 pg/mL" in marker["reference"]
    flag = "low" if float(value) < 220 else "high" if float(value) > 900 else "within"
    assert marker["lab_flag"] == flag and marker["sources"]


def test_ref_is_in_the_markers_unit(b12):
    (marker,) = run(b12, "--mma", "300", "--mma-unit", "nmol/L", "--ref", "MMA=70-250")["markers"]
    assert marker["status"] == "high" and "70-250 nmol/L" in marker["reference"]
    (marker,) = run(b12, "--b12", "150", "--b12-unit", "pmol/L", "--ref", "b12=145-600")["markers"]
    assert marker["status"] == "normal"


@pytest.mark.parametrize(
    "ref",
    ["b12=900-200", "b12=200-200", "b12", "b12=abc-300", "xyz=1-2", "b12=0-5", "b12=-5-100", "b12=200-nan",
         "b12=<0", "mma=0.01-378",
     "b12=1-2,b12=3-4"],
)
def test_bad_ref_exits_2(b12, ref):
    result = b12("labs", "--b12", "300", "--ref", ref)
    assert result.exit_code == 2 and result.stderr.startswith("b12: error: --ref")


def test_ref_given_twice_is_refused(b12):
    result = b12("labs", "--b12", "300", "--ref", "b12=200-900", "--ref", "B12=100-800")
    assert result.exit_code == 2 and "twice" in result.stderr


# ------------------------------------------------------------ cB12

def cb12_formula(holotc, b12_pmol, mma, hcy, age):
    return math.log10((holotc * b12_pmol) / (mma * hcy)) - 3.79 / (1 + (age / 230) ** 2.6)


@pytest.mark.parametrize(
    ("holotc", "b12_pmol", "mma", "hcy", "age", "value", "category"),
    [
        (70, 350, 0.20, 10, 40, 0.338, "adequate"),  # reference file, case A
        (70, 350, 0.20, 10, 70, 0.463, "adequate"),  # case B
        (30, 180, 0.50, 15, 70, -0.768, "low"),  # case C
        (15, 100, 1.50, 30, 60, -2.155, "possible_deficiency"),  # case D
        (10, 80, 3.0, 60, 50, None, "probable_deficiency"),
        (150, 900, 0.1, 5, 30, None, "elevated"),
        # a value one floating-point step from the -2.5 edge: computed as the formula is written (the ratio,
        # then its log), it stays on the possible side; a sum of four logs would tip it over
        (1.4843399549963983, 109.2, 0.85, 11.5, 50, -2.5, "possible_deficiency"),
    ],
)
def test_cb12_against_the_published_formula(b12, holotc, b12_pmol, mma, hcy, age, value, category):
    document = run(b12, "--holotc", str(holotc), "--b12", str(b12_pmol), "--b12-unit", "pmol/L", "--mma", str(mma),
                   "--hcy", str(hcy), "--age", str(age))
    expected = cb12_formula(holotc, b12_pmol, mma, hcy, age)
    assert document["cb12"]["value"] == round(expected, 3)
    if value is not None:
        assert document["cb12"]["value"] == value
    assert document["cb12"]["category"] == category
    assert document["cb12"]["sources"] == ["fedosov-2015", "viapath-cb12"]


def test_cb12_uses_pmol_even_when_b12_is_given_in_pg_ml(b12):
    document = run(b12, "--holotc", "70", "--b12", str(350 * 1.3554), "--mma", "0.2", "--hcy", "10", "--age", "40")
    assert document["cb12"]["value"] == 0.338


@pytest.mark.parametrize(
    ("raw", "category"),
    [(-2.5001, "probable_deficiency"), (-2.5, "possible_deficiency"), (-1.5001, "possible_deficiency"),
     (-1.5, "low"), (-0.5001, "low"), (-0.5, "adequate"), (1.5, "adequate"), (1.5001, "elevated")],
)
def test_cb12_category_edges(kb, raw, category):
    assert kb.thresholds.cb12_bands.band_for(raw).status == category


def test_cb12_needs_all_four_markers_an_age_and_adulthood(b12):
    four = ["--holotc", "70", "--b12", "350", "--b12-unit", "pmol/L", "--mma", "0.2", "--hcy", "10"]
    assert run(b12, *four)["cb12"] is None
    assert any("--age" in n for n in run(b12, *four)["notes"])
    assert run(b12, *four, "--age", "17")["cb12"] is None
    assert run(b12, *four, "--age", "18")["cb12"] is not None
    assert run(b12, *four[:6], "--age", "40")["cb12"] is None


def test_cb12_worse_verdict_wins_and_disagreement_is_named(b12):
    # Every single marker is in range, but the combined indicator is low.
    document = run(b12, "--holotc", "71", "--b12", "200", "--mma", "0.4", "--hcy", "15", "--age", "40")
    assert {m["status"] for m in document["markers"]} == {"normal"}
    assert document["cb12"]["category"] == "low"
    assert document["verdict"] == "deficiency_possible"
    assert any("single markers" in r["text"] and "cB12" in r["text"] for r in document["reasons"])


# ------------------------------------------------------------ --check and errors

def test_check(b12):
    assert b12("labs", "--b12", "500", "--check").exit_code == 0
    assert b12("labs", "--b12", "180", "--check").exit_code == 3
    assert b12("labs", "--b12", "500", "--hcy", "16", "--check").exit_code == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--b12", "abc"], "'abc'"), (["--b12", "nan"], "'nan'"), (["--b12", "inf"], "'inf'"),
        (["--b12", "-inf"], "'-inf'"), (["--b12", "0"], "above zero"), (["--b12", "-5"], "above zero"),
        (["--b12", "9"], "plausible"), (["--b12", "100001"], "plausible"), (["--b12", "1e309"], "'1e309'"),
        (["--holotc", "0.5"], "plausible"), (["--hcy", "501"], "plausible"), (["--mma", "0.009"], "plausible"),
        (["--mma", "10"], "nmol/L"), (["--mma", "350"], "nmol/L"), (["--b12", "300", "--b12-unit", "mg/dL"], "mg/dL"),
        (["--mma", "0.3", "--mma-unit", "mmol/L"], "mmol/L"), (["--b12", "300", "--scheme", "bsh"], "'bsh'"),
        (["--b12", "300", "--age", "130"], "'130'"), (["--b12", "300", "--age", "-1"], "'-1'"), ([], "no marker"),
        (["--b12", ""], "''"), (["--b12", "٣٠٠"], "not a number"), (["--b12", "1_000"], "'1_000'"),
    ],
)
def test_invalid_input_exits_2_naming_the_value(b12, args, needle):
    result = b12("labs", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    assert needle in result.stderr


def test_mma_of_ten_is_accepted_with_an_explicit_unit(b12):
    (marker,) = run(b12, "--mma", "10", "--mma-unit", "umol/L")["markers"]
    assert marker["status"] == "high"


def test_table_opens_with_the_verdict_and_closes_with_the_disclaimer_on_stdout(b12):
    """F28: a saved report (b12 labs ... > report.txt) keeps the disclaimer."""
    result = b12("labs", "--b12", "180", "--mma", "0.5")
    assert result.exit_code == 0
    for text in ("180 pg/mL", "0.5 umol/L", "low", "high", "doc-reverse", "Deficiency likely", "Why", "Next steps",
                 "What each result settles"):
        assert text in result.stdout
    lines = result.stdout.splitlines()
    assert "Verdict" in lines[0] and "Deficiency likely" in lines[1]
    assert "not a diagnosis" in " ".join(lines[-3:]) and "not a diagnosis" not in result.stderr


def test_csv_single_query_has_the_batch_layout(b12, tmp_path):
    """One CSV layout for labs: the values as given, then each marker's status and the verdict columns."""
    single = b12("labs", "--b12", "180", "--mma", "0.5", "--format", "csv").stdout.splitlines()
    path = tmp_path / "one.csv"
    path.write_text("b12,mma\n180,0.5\n")
    batch = b12("labs", "--input", str(path), "--format", "csv").stdout.splitlines()
    assert single == batch
    assert single[0] == ("b12,mma,b12_status,holotc_status,mma_status,hcy_status,folate_status,verdict,"
                         "verdict_documents,verdict_nice,verdict_lab,cb12,cb12_category,urgent,error")


def test_the_unit_erratum_is_on_the_source_not_on_every_result(b12):
    """usability #20: how doc-two-causes' '150 per ml' is read is a fact about the source."""
    result = b12("labs", "--b12", "120", "--format", "json").json()
    assert not any("per ml" in note for note in result["notes"])
    source = b12("sources", "doc-two-causes", "--format", "json").json()["items"][0]
    assert any("150 per ml" in note and "150 pg/mL" in note for note in source["notes"])
    assert "150 per ml" in b12("sources", "doc-two-causes").stderr


def test_a_scheme_note_on_a_marker_is_dropped_when_the_lab_range_replaces_the_scheme(b12):
    def notes(*extra: str) -> list[str]:
        return b12("labs", "--holotc", "30", *extra, "--format", "json").json()["notes"]

    assert any("no active B12" in n for n in notes())
    assert not any("no active B12" in n for n in notes("--ref", "holotc=25-165"))


# ------------------------------------------------------------ clinical audit wording (review 0.6, F14-F27)


def texts(document: dict) -> list[str]:
    """Every sentence a labs document says: reasons, what the results settle, next steps and notes."""
    return ([r["text"] for r in document["reasons"]] + [s["text"] for s in document["settled"]]
            + [s["text"] for s in document["next_steps"]] + document["notes"])


def test_raised_b12_names_treatment_first_then_the_causes_to_explain(b12):
    """F14: supplements or injections raise B12; without them liver, kidney, solid and blood cancers; no 'usual
    reason'."""
    document = run(b12, "--b12", "1200")
    (reason,) = [r for r in document["reasons"] if "myeloproliferative" in r["text"]]
    for words in ("supplements or injections raise", "liver disease", "kidney disease", "solid cancers",
                  "blood cancers", "does not rule out a shortage"):
        assert words in reason["text"]
    assert reason["sources"][0] == "andres-2013"
    assert not any("usual reason" in t for t in texts(document))
    active = run(b12, "--holotc", "200", "--ref", "holotc=25-150")
    (settled,) = [s for s in active["settled"] if s["text"].startswith("Active B12 is above")]
    assert "supplements or injections raise it" in settled["text"] and "andres-2013" in settled["sources"]
    assert not any("usual reason" in t for t in texts(active))


def test_black_ethnicity_note_reports_what_the_summaries_say(b12):
    """F17: NWL and NASGP say treatment may be needed at lower concentrations; the bands are not adjusted."""
    (note,) = [n for n in run(b12, "--b12", "200", "--scheme", "nice")["notes"] if "Black ethnicity" in n]
    assert "higher B12 reference ranges" in note and "lower concentrations than the cut-offs" in note
    assert "symptoms, signs and risk factors" in note and "not adjusted" in note
    assert "above these cut-offs" not in note


def test_hcy_alone_names_sample_handling_nitrous_oxide_antifolates_and_mthfr(b12):
    """F18: the raised-homocysteine reason and the sample step say what else raises it and how fast to separate."""
    document = run(b12, "--hcy", "22")
    (reason,) = [r for r in document["reasons"] if "(rule R15)" in r["text"]]
    for words in ("nitrous oxide", "methotrexate", "MTHFR", "blood cells go on releasing homocysteine"):
        assert words in reason["text"]
    assert {"peacehealth-hcy", "mayo-hcy"} <= set(reason["sources"])
    (step,) = [s for s in document["next_steps"] if "sample" in s["text"]]
    assert "within about 1 hour" in step["text"] and "within 4 hours" in step["text"] and "on ice" in step["text"]
    assert {"peacehealth-hcy", "mayo-hcy"} <= set(step["sources"])


def test_mma_alone_names_recent_nitrous_oxide_use(b12):
    """F18: a raised MMA alone can come from recent nitrous oxide use."""
    (reason,) = [r for r in run(b12, "--mma", "0.6")["reasons"] if "(rule R14)" in r["text"]]
    assert "Recent nitrous oxide use raises it too" in reason["text"] and "swart-2021" in reason["sources"]


@pytest.mark.parametrize(("args", "shown"), [
    (["--b12", "180"], True), (["--holotc", "40"], True), (["--b12", "180", "--ref", "b12=200-900"], True),
    (["--b12", "300", "--mma", "0.2"], True), (["--mma", "0.5"], False), (["--hcy", "20", "--folate", "5"], False)])
def test_biotin_note_whenever_total_or_active_b12_is_given(b12, args, shown):
    """F19: high-dose biotin can distort B12 assays; one laboratory asks for 72 hours off it."""
    biotin = [n for n in run(b12, *args)["notes"] if "biotin" in n]
    assert len(biotin) == int(shown)
    if shown:
        assert "72 hours" in biotin[0] and "allina-b12" in biotin[0]


def test_biotin_note_is_in_the_table_notes(b12):
    result = b12("labs", "--b12", "180")
    assert result.exit_code == 0
    assert "High-dose biotin (vitamin B7) supplements can distort some B12 assays" in " ".join(result.stderr.split())


def test_bsh_2014_is_cited_as_superseded_by_nice(b12):
    """F20: a reason or step resting on BSH 2014 cites the BSH page that says NICE NG239 superseded it, and
    a text naming BSH says so."""
    items = []
    for args in (["--b12", "180", "--scheme", "nice"], ["--b12", "400"], ["--folate", "2"],
                 ["--b12", "250", "--mma", "0.3"]):
        document = run(b12, *args)
        items += document["reasons"] + document["settled"] + document["next_steps"]
    cited = [i for i in items if "bsh-2014" in i["sources"]]
    assert len(cited) >= 4 and all("bsh-2014-superseded" in i["sources"] for i in cited)
    named = [i for i in items if "BSH" in i["text"] or "Haematology" in i["text"]]
    assert named and all("superseded by NICE NG239 in 2024" in i["text"] for i in named)
    for i in cited:
        if "nice-ng239" in i["sources"]:
            assert i["sources"].index("nice-ng239") < i["sources"].index("bsh-2014")


@pytest.mark.parametrize(("args", "name"), [
    (["--b12", "160"], "total B12"),
    (["--mma", "0.38", "--ref", "mma=0-0.35"], "MMA"),
    (["--mma", "0.35", "--ref", "mma=0-0.28"], "MMA"),
    (["--hcy", "14", "--ref", "hcy=<12"], "homocysteine"),
    (["--holotc", "75", "--ref", "holotc=80-150"], "active B12")])
def test_the_disagreement_note_names_the_marker_read_differently(b12, args, name):
    """F22: the note on differing readings names the marker whose cut-offs differ, not always total B12."""
    (split,) = [r["text"] for r in run(b12, *args)["reasons"] if "The readings differ" in r["text"]]
    assert f"Published cut-offs for {name} differ" in split and "{" not in split
    if name != "total B12":
        assert "total B12" not in split


def test_a_result_above_every_edge_is_not_called_near_an_edge(b12):
    """F24: >1500 is far above every edge: no near-the-edge note, but NICE's missing upper band and the
    914 pg/mL limit the 'high' comes from; 160 (near 150) keeps the near-the-edge note, 250 is between edges."""
    for args in (["--b12", ">1500"], ["--b12", ">1500", "--scheme", "nice"], ["--b12", "3000", "--b12-unit", "pmol/L"]):
        document = run(b12, *args)
        assert not any("near" in t and "edge" in t for t in texts(document))
        (line,) = [r for r in document["reasons"] if "no upper band" in r["text"]]
        assert "NICE NG239 (2024) gives no upper band for total B12" in line["text"]
        assert "above 914 pg/mL" in line["text"] and {"nice-ng239", "nhs-ruh-b12"} <= set(line["sources"])
    near = run(b12, "--b12", "160")
    assert any("near a band edge" in r["text"] for r in near["reasons"])
    assert not any("no upper band" in t for t in texts(near))
    between = run(b12, "--b12", "250")
    assert not any("near a band edge" in t for t in texts(between))
    assert any("lies between edges that the schemes place differently" in r["text"] for r in between["reasons"])
    spans = run(b12, "--b12", "<250")  # a limit that spans an edge could be near any of them
    assert not any("no upper band" in t for t in texts(spans))


def test_severe_homocysteine_names_inherited_disorders_and_very_severe_deficiency(b12):
    """F27: above 100 umol/L the published table lists inherited disorders; very severe deficiency can reach it."""
    document = run(b12, "--hcy", "150")
    (step,) = [s for s in document["next_steps"] if s["urgent"] and "100 umol/L" in s["text"]]
    assert "severe range of a published table" in step["text"] and "inherited disorders" in step["text"]
    assert "very severe B12 deficiency can also reach it" in step["text"] and "usually from" not in step["text"]
    assert document["urgent"] is True
