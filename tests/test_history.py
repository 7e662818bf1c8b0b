"""`b12 history`: FHIR R4 Observations and CSV in, dated panels and trends out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from b12cli.domain.history import Point, direction, sparkline
from b12cli.inputs import fhir
from b12cli.kb.validate import loinc_check_digit
from tests.conftest import bundle, without_sources, write

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "history"
BUNDLE = FIXTURES / "bundle.json"

TOP_KEYS = {"schema", "scheme", "people", "used", "skipped", "skipped_reasons", "errors", "notes", "disclaimer"}
PERSON_KEYS = {"id", "panels", "trend"}
PANEL_KEYS = {"date", "markers", "verdict", "verdict_by_scheme", "cb12", "abnormal", "urgent", "sources"}
TREND_KEYS = {"marker", "unit", "first", "latest", "change", "direction", "points", "change_percent", "significance",
              "reason", "rcv", "steps", "summary"}
POINT_KEYS = {"date", "value", "comparator"}
WHERE_KEYS = {"file", "line", "entry"}


def observation(code: str = "2132-9", value=180, unit: str = "pg/mL", when: str = "2024-01-15",
                subject: str = "Patient/p1", **extra) -> dict:
    """A small Observation written for these tests."""
    resource = {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "subject": {"reference": subject}, "effectiveDateTime": when,
                "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
    resource.update(extra)
    return resource


# ----------------------------------------------------------------- the acceptance case


def test_bundle_gives_two_panels_a_skip_and_a_rising_trend(b12):
    run = b12("history", str(BUNDLE), "--format", "json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["schema"] == "b12.history/1" and doc["scheme"] == "documents"
    assert (doc["used"], doc["skipped"], doc["errors"]) == (3, 1, [])
    assert doc["skipped_reasons"] == {"other code": 1}
    [person] = doc["people"]
    assert person["id"] == "Patient/p1"
    panels = person["panels"]
    assert [p["date"] for p in panels] == ["2024-01-15", "2024-04-20"]
    assert [p["verdict"] for p in panels] == ["deficiency_possible", "deficiency_unlikely"]  # B12 180 + Hcy 18: R12
    assert [m["marker"] for m in panels[0]["markers"]] == ["b12", "hcy"]
    [trend] = person["trend"]
    assert trend["marker"] == "b12" and trend["unit"] == "pg/mL"
    assert trend["first"] == {"date": "2024-01-15", "value": 180.0, "comparator": None}
    assert trend["latest"] == {"date": "2024-04-20", "value": 420.0, "comparator": None}
    assert (trend["change"], trend["direction"], trend["points"]) == (240.0, "up", 2)
    assert "1 skipped (1 other code)" in run.stderr and "0 errors; 1 person, 2 panels" in run.stderr


def test_json_key_sets_are_the_contract(b12):
    doc = b12("history", str(BUNDLE), "--format", "json").json()
    assert set(doc) == TOP_KEYS
    person = doc["people"][0]
    assert set(person) == PERSON_KEYS
    for panel in person["panels"]:
        assert set(panel) == PANEL_KEYS
        assert all(set(s) == WHERE_KEYS for s in panel["sources"])
    for trend in person["trend"]:
        assert set(trend) == TREND_KEYS
        assert set(trend["first"]) == POINT_KEYS == set(trend["latest"])


def test_markers_have_the_keys_of_labs(b12):
    labs = b12("labs", "--b12", "180", "--format", "json").json()["markers"][0]
    panel = b12("history", str(BUNDLE), "--format", "json").json()["people"][0]["panels"][0]
    assert set(panel["markers"][0]) == set(labs)


def test_a_panel_is_interpreted_exactly_as_labs(b12):
    labs = b12("labs", "--b12", "180", "--hcy", "18", "--ref", "b12=200-900", "--format", "json").json()
    panel = b12("history", str(BUNDLE), "--format", "json").json()["people"][0]["panels"][0]
    assert panel["markers"] == labs["markers"]
    assert panel["verdict"] == labs["verdict"]


def test_ndjson_and_folder_give_the_same_json_as_the_bundle(b12):
    docs = [b12("history", str(FIXTURES / name), "--format", "json") for name in ("bundle.json", "export.ndjson",
                                                                                 "portal")]
    assert [d.exit_code for d in docs] == [0, 0, 0]
    first, *others = (without_sources(d.json()) for d in docs)
    folder_notes = others[-1]["notes"]  # the folder names the file it does not read, in a note of its own
    assert any("README.txt (not a .json, .ndjson or .xml file)" in n for n in folder_notes)
    others[-1]["notes"] = [n for n in folder_notes if not n.startswith("Not read from the folder")]
    for other in others:
        assert other == first


def test_sources_name_the_file_and_the_place(b12):
    ndjson = b12("history", str(FIXTURES / "export.ndjson"), "--format", "json").json()
    sources = ndjson["people"][0]["panels"][0]["sources"]
    assert [(Path(s["file"]).name, s["line"], s["entry"]) for s in sources] == [("export.ndjson", 1, None),
                                                                                 ("export.ndjson", 2, None)]
    bundle_doc = b12("history", str(BUNDLE), "--format", "json").json()
    assert [s["entry"] for s in bundle_doc["people"][0]["panels"][0]["sources"]] == ["entry[0]", "entry[1]"]
    folder = b12("history", str(FIXTURES / "portal"), "--format", "json").json()
    files = [Path(s["file"]).relative_to(FIXTURES / "portal").as_posix()
             for p in folder["people"][0]["panels"] for s in p["sources"]]
    assert files == ["2024-01/b12.json", "2024-01/homocysteine.json", "2024-04/b12.json"]


def test_reference_range_is_applied_and_shown(b12):
    doc = b12("history", str(BUNDLE), "--format", "json").json()
    b12_first = doc["people"][0]["panels"][0]["markers"][0]
    assert "below your laboratory's range 200-900 pg/mL" in b12_first["reference"]
    table = b12("history", str(BUNDLE))
    assert "lab range" in table.stdout and "200-900 pg/mL" in table.stdout


def test_no_lab_ranges_turns_the_range_off(b12, tmp_path):
    ref = [{"low": {"value": 120, "unit": "pg/mL"}, "high": {"value": 900, "unit": "pg/mL"}}]
    path = write(tmp_path, "b.json", bundle(observation(value=180, referenceRange=ref)))
    with_range = b12("history", path, "--format", "json").json()["people"][0]["panels"][0]["markers"][0]
    without = b12("history", path, "--no-lab-ranges", "--format", "json").json()["people"][0]["panels"][0]
    # 180 is inside this laboratory's 120-900, which never makes the documents' low [150, 200) normal (F3)
    assert (with_range["status"], with_range["lab_flag"]) == ("low", "within")
    assert (without["markers"][0]["status"], without["markers"][0]["lab_flag"]) == ("low", None)
    assert "laboratory's range" not in without["markers"][0]["reference"]


def test_range_in_another_unit_is_converted_to_the_value_unit(b12, tmp_path):
    ref = [{"low": {"value": 150, "unit": "pmol/L"}, "high": {"value": 600, "unit": "pmol/L"}}]
    path = write(tmp_path, "b.json", bundle(observation(value=180, referenceRange=ref)))
    marker = b12("history", path, "--format", "json").json()["people"][0]["panels"][0]["markers"][0]
    assert "203.31-813.24 pg/mL" in marker["reference"]  # 150 and 600 pmol/L x 1.3554
    assert marker["status"] == "low"


# ----------------------------------------------------------------- units


def test_pmol_and_nmol_observations_convert_and_trend_in_canonical_units(b12):
    doc = b12("history", str(FIXTURES / "units.json"), "--format", "json").json()
    [person] = doc["people"]
    first = {m["marker"]: m for m in person["panels"][0]["markers"]}
    assert (first["b12"]["value"], first["b12"]["unit"], first["b12"]["canonical_value"]) == (110.0, "pmol/L", 149.094)
    assert (first["mma"]["value"], first["mma"]["unit"], first["mma"]["canonical_value"]) == (620.0, "nmol/L", 0.62)
    assert [p["verdict"] for p in person["panels"]] == ["deficiency_likely", "deficiency_unlikely"]
    trends = {t["marker"]: t for t in person["trend"]}
    assert (trends["b12"]["unit"], trends["b12"]["change"], trends["b12"]["direction"]) == ("pg/mL", 257.526, "up")
    assert (trends["mma"]["unit"], trends["mma"]["change"], trends["mma"]["direction"]) == ("umol/L", -0.41, "down")


def test_a_unit_switch_between_dates_is_compared_in_canonical_units(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(value=200, when="2024-01-01"),
                                            observation(code="14685-2", value=200, unit="pmol/L", when="2024-02-01")))
    [trend] = b12("history", path, "--format", "json").json()["people"][0]["trend"]
    assert (trend["first"]["value"], trend["latest"]["value"], trend["change"]) == (200.0, 271.08, 71.08)


def test_ucum_micro_spellings_are_one_unit(b12, tmp_path):
    hcy = observation(code="13965-9", value=12, unit="umol/L")
    hcy["valueQuantity"]["unit"] = "µmol/L"
    doc = b12("history", write(tmp_path, "b.json", bundle(hcy)), "--format", "json").json()
    assert doc["people"][0]["panels"][0]["markers"][0]["unit"] == "umol/L"


# ----------------------------------------------------------------- bad and skipped records


def _value(**q):  # noqa: ANN003
    return {"valueQuantity": q}


BAD = [
    (observation(**_value(value="180", unit="pg/mL")), "valueQuantity.value is a string"),
    (observation(**_value(value=True, unit="pg/mL")), "valueQuantity.value is a boolean"),
    (observation(**_value(value=180)), "has no unit"),
    (observation(**_value(value=180, unit="mg/dL")), "'mg/dL' is not a known unit"),
    (observation(**_value(value=180, unit="pg/mL", system="http://unitsofmeasure.org", code="pmol/L")), "disagree"),
    (observation(**_value(value=180, unit="pg/mL", comparator="ad")), "comparator \"ad\" is not accepted"),
    (observation(when="2024-13-01"), "\"2024-13-01\" is not a real date"),
    (observation(when="15.01.2024"), "not a FHIR dateTime"),
    (observation(when="2024-02-30"), "not a real date"),
    (observation(when="2024-02-03T10:00"), "not a FHIR dateTime"),
    (observation(status="done"), "not an R4 Observation status"),
    ({**observation(), "subject": {"display": "me"}}, "subject.reference is missing"),
    ({**observation(), "code": {"coding": [{"system": "http://loinc.org", "code": {"x": 1}}]}},
     "code.coding[0].code is an object"),
    ({**observation(), "code": {"coding": {"system": "http://loinc.org"}}}, "code.coding is an object"),
    ({k: v for k, v in observation().items() if k != "valueQuantity"}, "no value; expected valueQuantity"),
    ({**{k: v for k, v in observation().items() if k != "valueQuantity"}, "valueString": "180"}, "valueString"),
    ({k: v for k, v in observation().items() if k != "effectiveDateTime"}, "no date"),
    ({k: v for k, v in observation().items() if k != "code"}, "code is missing"),
    ({**observation(), "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"},
                                           {"system": "http://loinc.org", "code": "13965-9"}]}},
     "more than one marker"),
    (observation(value=5), "outside the plausible range"),
    ("just text", "the resource is a string"),
]


@pytest.mark.parametrize(("resource", "reason"), BAD, ids=[r for _, r in BAD])
def test_a_malformed_observation_is_an_error_and_the_rest_carry_on(b12, tmp_path, resource, reason):
    path = write(tmp_path, "b.json", bundle(observation(value=420, when="2024-04-20"), resource))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4
    doc = run.json()
    [error] = doc["errors"]
    assert reason in error["reason"]
    assert (error["file"], error["entry"]) == (path, "entry[1]")
    assert [p["date"] for p in doc["people"][0]["panels"]] == ["2024-04-20"]
    assert f"b12: history: error: {path} entry[1]: " in run.stderr


@pytest.mark.parametrize(("text", "reason"), [
    ('{"resourceType": "Observation", "valueQuantity": {"value": 1' + "0" * 400 + "}}", "401 characters"),
    ('{"resourceType": "Observation", "valueQuantity": {"value": 1e400}}', "not a finite number"),
    ('{"resourceType": "Observation", "valueQuantity": {"value": NaN}}', "not a finite number"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
], ids=["huge", "overflow", "nan", "deep"])
def test_hostile_json_is_an_error_record(b12, tmp_path, text, reason):
    resource = text if text.startswith("[") else text.replace('"Observation",', '"Observation", "status": "final", '
                                                              '"code": {"coding": [{"system": "http://loinc.org", '
                                                              '"code": "2132-9"}]},')
    run = b12("history", write(tmp_path, "x.json", resource), "--format", "json")
    assert run.exit_code == 4, run.stderr
    assert reason in run.json()["errors"][0]["reason"]


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_cancelled_and_entered_in_error_are_skipped(b12, tmp_path, status):
    path = write(tmp_path, "b.json", bundle(observation(value=420), observation(value=100, status=status)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0
    doc = run.json()
    assert (doc["skipped"], doc["skipped_reasons"], doc["errors"]) == (1, {f"status {status}": 1}, [])
    assert doc["people"][0]["panels"][0]["markers"][0]["value"] == 420.0


def test_other_resources_are_skipped_by_type(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(), {"resourceType": "Patient", "id": "p1"}))
    doc = b12("history", path, "--format", "json").json()
    assert doc["skipped_reasons"] == {"not an Observation (Patient)": 1}


def test_an_unread_bundle_type_is_named(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(), kind="history"))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4
    assert 'Bundle type "history" is not read' in run.json()["errors"][0]["reason"]


def test_ndjson_errors_carry_their_line(b12, tmp_path):
    lines = [json.dumps(observation(value=420)), "{not json", "", json.dumps(observation(value="x"))]
    path = write(tmp_path, "e.ndjson", "\n".join(lines) + "\n")
    doc = b12("history", path, "--format", "json").json()
    assert [(e["line"], e["reason"][:8]) for e in doc["errors"]] == [(2, "not JSON"), (4, "valueQua")]
    assert doc["used"] == 1


def test_a_file_that_is_not_json_is_one_error(b12, tmp_path):
    path = write(tmp_path, "x.json", '{"resourceType": "Bundle",\n  "type": ')
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4
    [error] = run.json()["errors"]
    assert error["line"] == 2 and error["reason"].startswith("not JSON")


def test_a_folder_file_that_is_not_utf8_is_one_error(b12, tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(observation()), encoding="utf-8")
    (tmp_path / "b.json").write_bytes(b'{"resourceType": "Observation", "status": "\xff"}')
    run = b12("history", str(tmp_path), "--format", "json")
    assert run.exit_code == 4
    [error] = run.json()["errors"]
    assert error["file"].endswith("b.json") and "not UTF-8" in error["reason"]
    assert run.json()["used"] == 1


def test_two_different_results_on_one_day_are_refused(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(value=180), observation(value=250)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4
    assert "2 different B12 results on 2024-01-15" in run.json()["errors"][0]["reason"]
    assert run.json()["people"] == []


def test_the_same_result_twice_is_folded(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(value=180), observation(value=180)))
    doc = b12("history", path, "--format", "json").json()
    [panel] = doc["people"][0]["panels"]
    assert len(panel["markers"]) == 1 and len(panel["sources"]) == 2


def test_people_are_kept_apart_and_the_day_is_the_date_as_written(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(
        observation(value=180, when="2024-01-15T23:30:00-05:00"),
        observation(code="13965-9", value=18, unit="umol/L", when="2024-01-16T04:30:00Z"),
        observation(value=300, subject="Patient/p2")))
    doc = b12("history", path, "--format", "json").json()
    assert [p["id"] for p in doc["people"]] == ["Patient/p1", "Patient/p2"]
    assert [p["date"] for p in doc["people"][0]["panels"]] == ["2024-01-15", "2024-01-16"]


def test_period_start_then_issued_give_the_date(registry):
    base = {k: v for k, v in observation().items() if k != "effectiveDateTime"}
    codes = {"2132-9": "b12"}
    where = fhir.Where("f", None, None)
    period = fhir.read_observation({**base, "effectivePeriod": {"start": "2023-05"}, "issued": "2024-01-01T00:00:00Z"},
                                   where, codes, "http://loinc.org", registry)
    issued = fhir.read_observation({**base, "issued": "2024-01-01T09:00:00Z"}, where, codes, "http://loinc.org",
                                   registry)
    assert (period.date, issued.date, issued.time) == ("2023-05", "2024-01-01", "09:00:00Z")


# ----------------------------------------------------------------- CSV


def test_csv_with_id_and_date_gives_the_same_shape(b12):
    csv_doc = b12("history", str(FIXTURES / "results.csv"), "--format", "json").json()
    fhir_doc = b12("history", str(BUNDLE), "--no-lab-ranges", "--format", "json").json()
    assert set(csv_doc) == TOP_KEYS
    assert without_sources(csv_doc)["people"] == without_sources(fhir_doc)["people"]
    assert csv_doc["people"][0]["panels"][0]["sources"][0]["line"] == 2


def test_csv_columns_by_option_and_one_person_without_id(b12, tmp_path):
    path = write(tmp_path, "r.csv", "Drawn,B12,MMA,mma_unit\n2024-03-01,180,300,nmol/L\n2024-06-01,400,150,nmol/L\n")
    run = b12("history", path, "--date", "drawn", "--format", "json")
    assert run.exit_code == 0, run.stderr
    [person] = run.json()["people"]
    assert person["id"] is None
    assert [t["marker"] for t in person["trend"]] == ["b12", "mma"]


def test_csv_without_its_date_column_is_a_usage_error(b12, tmp_path):
    run = b12("history", write(tmp_path, "r.csv", "id,b12\np,180\n"))
    assert run.exit_code == 2
    assert "no date column 'date'" in run.stderr


def test_csv_bad_rows_are_errors_with_their_line(b12, tmp_path):
    path = write(tmp_path, "r.csv", "id,date,b12\np,2024-01-01,180\np,yesterday,200\np,2024-02-01,abc\np,2024-03-01,\n")
    doc = b12("history", path, "--format", "json").json()
    assert [(e["line"], e["reason"].split(";")[0][:30]) for e in doc["errors"]] == [
        (3, "date 'yesterday' is not a date"), (4, "b12 'abc' is not a number"),
        (5, "no marker value in this row")]


def test_csv_output_is_one_row_per_panel(b12):
    run = b12("history", str(BUNDLE), "--format", "csv")
    lines = run.stdout.splitlines()
    assert lines[0].startswith("id,date,b12,b12_censored,b12_unit,b12_status,holotc,")
    assert lines[0].endswith(",verdict,cb12,cb12_category,abnormal,urgent,sources")
    assert len(lines) == 3
    assert lines[1].startswith("Patient/p1,2024-01-15,180,,pg/mL,low,,,,")


# ----------------------------------------------------------------- exit codes


def test_check_exits_3_when_a_latest_panel_is_abnormal(b12, tmp_path):
    assert b12("history", str(BUNDLE), "--check").exit_code == 0  # latest: 420 pg/mL, normal
    path = write(tmp_path, "b.json", bundle(observation(value=420, when="2024-01-01"),
                                            observation(value=120, when="2024-05-01")))
    assert b12("history", path, "--check", "--format", "json").exit_code == 3
    assert b12("history", path, "--format", "json").exit_code == 0


def test_errors_win_over_check(b12, tmp_path):
    path = write(tmp_path, "b.json", bundle(observation(value=120), observation(value="x", when="2024-02-01")))
    assert b12("history", path, "--check", "--format", "json").exit_code == 4


def test_missing_path_and_bad_scheme_are_usage_errors(b12, tmp_path):
    missing = b12("history", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    scheme = b12("history", str(BUNDLE), "--scheme", "other")
    assert scheme.exit_code == 2 and "--scheme 'other' is not known" in scheme.stderr


def test_stdin_reads_json_and_csv(b12):
    assert b12("history", "-", "--format", "json", input=BUNDLE.read_text()).json()["used"] == 3
    csv_text = (FIXTURES / "results.csv").read_text()
    assert b12("history", "-", "--format", "json", input=csv_text).json()["used"] == 2


# ----------------------------------------------------------------- table


def test_table_shows_panels_and_a_trend_line(b12):
    run = b12("history", str(BUNDLE))
    assert run.exit_code == 0
    assert "Person: Patient/p1" in run.stdout
    assert "Deficiency possible" in run.stdout and "Deficiency unlikely" in run.stdout
    assert "B12: 180 → 420 pg/mL (2024-01-15 → 2024-04-20), up, +240 pg/mL  ▁█" in run.stdout
    assert run.stdout.count("Homocysteine") == 1  # a single value gives no trend line


def test_a_saved_table_closes_with_the_disclaimer_and_the_summary_keeps_it(b12):
    """F28 for history: ``b12 history export.json > report.txt`` keeps the disclaimer; stderr still has it."""
    run = b12("history", str(BUNDLE))
    text = b12("history", str(BUNDLE), "--format", "json").json()["disclaimer"]
    assert " ".join(run.stdout.split()).endswith(" ".join(text.split()))
    assert " ".join(text.split()) in " ".join(run.stderr.split())


def test_table_falls_back_to_ascii_when_the_output_is_not_utf8(tmp_path):
    env = {"PYTHONIOENCODING": "ascii", "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb",
           "B12_CACHE_DIR": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "b12cli", "history", str(BUNDLE)], capture_output=True, env=env,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.isascii()
    assert b"B12: 180 -> 420 pg/mL (2024-01-15 -> 2024-04-20), up, +240 pg/mL  _'" in run.stdout
    assert b"200-900 pg/mL" in run.stdout


def test_sparkline_marks_and_ascii_fallback():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5.0, 5.0, 5.0]) == "▅▅▅"
    assert sparkline([100, 400, 250], ascii_only=True) == "_'-"
    assert sparkline([100, 400, 250], ascii_only=True).isascii()


# ----------------------------------------------------------------- trend rules


@pytest.mark.parametrize(("first", "latest", "expected"), [
    ((180, None), (420, None), "up"),
    ((420, None), (180, None), "down"),
    ((300, None), (300, None), "unchanged"),
    ((150, "<"), (420, None), "up"),
    ((150, "<"), (140, None), "uncertain"),
    ((150, "<"), (150, None), "up"),
    ((150, "<="), (150, None), "uncertain"),
    ((150, None), (150, ">"), "up"),
    ((150, None), (150, "<"), "down"),
    ((150, ">="), (150, None), "uncertain"),
    ((900, ">"), (300, None), "down"),
    ((900, ">"), (1000, ">"), "uncertain"),
])
def test_direction(first, latest, expected):
    assert direction(Point("a", *first), Point("b", *latest)) == expected


@pytest.mark.parametrize(("low", "high", "expected"), [
    (200.0, 900.0, ("200-900 pg/mL", 200.0, 900.0)),
    (0.0, 15.0, ("<=15 pg/mL", None, 15.0)),  # a low end of 0 is no low end
    (None, 15.0, ("<=15 pg/mL", None, 15.0)),
    (200.0, None, (">=200 pg/mL", 200.0, None)),
    (0.5, 914.25, None),  # 0.5 pg/mL cannot be a B12 range end: refused as implausible
])
def test_a_laboratory_range_is_read_with_both_ends_inclusive(kb, low, high, expected):
    from b12cli.errors import UsageError
    from b12cli.inputs.results import lab_range

    marker = kb.markers.get("b12")
    if expected is None:
        with pytest.raises(UsageError, match="plausible"):
            lab_range(marker, low, high, "pg/mL")
        return
    ref = lab_range(marker, low, high, "pg/mL")
    assert (ref.text, ref.low, ref.high, ref.low_inclusive, ref.high_inclusive) == (*expected, True, True)


def test_no_laboratory_range_is_none(kb):
    from b12cli.inputs.results import lab_range

    assert lab_range(kb.markers.get("b12"), None, None, "pg/mL") is None


# ----------------------------------------------------------------- LOINC table


def test_loinc_table_lists_the_confirmed_codes(kb):
    assert {c: r.marker for c, r in kb.loinc.codes.items()} == {
        "2132-9": "b12", "14685-2": "b12", "13965-9": "hcy", "13964-2": "mma", "72160-5": "holotc",
        "2284-8": "folate", "14732-2": "folate"}
    assert all(r.sources[0] == "loinc" for r in kb.loinc.codes.values())
    assert kb.sources["loinc"].publisher == "Regenstrief Institute"


@pytest.mark.parametrize(("digits", "check"), [("2132", 9), ("14685", 2), ("13965", 9), ("13964", 2), ("72160", 5),
                                              ("2345", 7)])
def test_loinc_check_digit(digits, check):
    assert loinc_check_digit(digits) == check


def test_loader_refuses_a_code_with_a_wrong_check_digit(b12, kb_copy):
    path = kb_copy / "loinc.yaml"
    path.write_text(path.read_text().replace('"2132-9"', '"2132-8"'), encoding="utf-8")
    run = b12("history", str(BUNDLE))
    assert run.exit_code == 1
    assert "loinc.yaml: codes[0].code: '2132-8' fails the LOINC check digit" in run.stderr


# ----------------------------------------------------------------- start-up


def test_other_commands_do_not_import_the_fhir_reader():
    code = ("import sys\nfrom b12cli.entry import main\nsys.argv = ['b12', 'labs', '--b12', '300', '-f', 'json']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr([m for m in ('b12cli.fhir', 'b12cli.history') if m in sys.modules]))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.stderr.endswith("[]"), run.stderr


# ----------------------------------------------------------------- issue [7]: censored values and range syntax


def test_a_censored_value_is_read_and_trends_by_its_bound(b12, tmp_path):
    low = observation(**_value(value=150, comparator="<", unit="pg/mL"), when="2024-01-01")
    path = write(tmp_path, "b.json", bundle(low, observation(value=420, when="2024-04-01")))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    person = run.json()["people"][0]
    assert person["panels"][0]["verdict"] == "deficiency_likely"
    assert person["trend"][0]["first"]["comparator"] == "<"
    assert (person["trend"][0]["change"], person["trend"][0]["direction"]) == (None, "up")


def test_a_one_sided_range_is_applied(b12, tmp_path):
    ref = [{"high": {"value": 12, "unit": "umol/L"}}]
    path = write(tmp_path, "b.json", bundle(observation(code="13965-9", value=13, unit="umol/L", referenceRange=ref)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["people"][0]["panels"][0]["markers"][0]["status"] == "high"


def test_a_range_from_zero_is_applied(b12, tmp_path):
    ref = [{"low": {"value": 0, "unit": "umol/L"}, "high": {"value": 12, "unit": "umol/L"}}]
    path = write(tmp_path, "b.json", bundle(observation(code="13965-9", value=13, unit="umol/L", referenceRange=ref)))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["people"][0]["panels"][0]["markers"][0]["status"] == "high"


def test_csv_headers_are_read_as_labs_input_reads_them(b12, tmp_path):
    """The same aliases and header units as `labs --input`: 'Vitamin B12 (pmol/L)' is B12 in pmol/L."""
    path = tmp_path / "h.csv"
    path.write_text("Patient,date,Vitamin B12 (pmol/L),Homocysteine,B12 comment\n"
                    "p1,2024-01-02,100,18,x\np1,2024-05-02,300,11,y\n", encoding="utf-8")
    run = b12("history", str(path), "--id", "Patient", "--format", "json")
    assert run.exit_code == 0, run.stderr
    person = run.json()["people"][0]
    first = {m["marker"]: (m["unit"], m["status"]) for m in person["panels"][0]["markers"]}
    assert first == {"b12": ("pmol/L", "deficient"), "hcy": ("umol/L", "high")}
    assert any("'B12 comment' looks like a marker" in n for n in run.json()["notes"])


def test_fhir_reference_range_ends_are_inclusive(b12, tmp_path):
    """FHIR R4: a referenceRange low and high belong to the range (a value on the high end is normal)."""
    ref = [{"low": {"value": 0, "unit": "nmol/L"}, "high": {"value": 378, "unit": "nmol/L"}}]
    on_edge = observation(code="13964-2", value=378, unit="nmol/L", referenceRange=ref)
    high_only = observation(code="13964-2", value=378, unit="nmol/L", when="2024-03-03",
                            referenceRange=[{"high": {"value": 378, "unit": "nmol/L"}}])
    path = write(tmp_path, "b.json", bundle(on_edge, high_only))
    panels = b12("history", path, "--format", "json").json()["people"][0]["panels"]
    assert [p["markers"][0]["status"] for p in panels] == ["normal", "normal"]


def test_the_same_result_in_two_units_is_one_result(b12, tmp_path):
    mass = observation(value=300, unit="pg/mL", when="2024-02-02")
    moles = observation(code="14685-2", value=221.34, unit="pmol/L", when="2024-02-02")
    path = write(tmp_path, "b.json", bundle(mass, moles))
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert len(run.json()["people"][0]["panels"]) == 1


def test_csv_person_column_by_its_usual_names_or_said_to_be_missing(b12, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Patient ID,Date,Vitamin B12 (pg/mL)\nA001,2024-01-01,120\nB002,2024-06-01,400\n",
                    encoding="utf-8")
    document = b12("history", str(path), "--date", "Date", "--format", "json").json()
    assert [p["id"] for p in document["people"]] == ["A001", "B002"]
    assert any("'Patient ID' is read as the person" in n for n in document["notes"])
    bare = tmp_path / "bare.csv"
    bare.write_text("date,b12\n2024-01-01,120\n", encoding="utf-8")
    assert any("all rows are read as one person" in n
               for n in b12("history", str(bare), "--format", "json").json()["notes"])
    assert b12("history", str(path), "--date", "Date", "--id", "Nope").exit_code == 2


def test_csv_output_keeps_the_limit_sign(b12, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,date,b12\nP2,2024-01-02,<150\n", encoding="utf-8")
    lines = b12("history", str(path), "--format", "csv").stdout.splitlines()
    assert lines[1].startswith("P2,2024-01-02,150,<,pg/mL,deficient,")


def test_a_repeated_json_key_is_an_error_never_last_one_wins(b12, tmp_path):
    text = json.dumps(observation()).replace('"value": 180', '"value": 180, "value": 100')
    path = write(tmp_path, "dup.json", text)
    run = b12("history", path, "--format", "json")
    assert run.exit_code == 4 and "appears twice" in run.json()["errors"][0]["reason"]
    assert run.json()["people"] == []


def test_an_overlong_json_number_is_an_error_record_not_a_crash(b12, tmp_path):
    good = write(tmp_path, "a.json", bundle(observation()))
    write(tmp_path, "b.json", json.dumps(observation()).replace('"value": 180', '"value": ' + "9" * 5000))
    run = b12("history", str(tmp_path), "--format", "json")
    assert run.exit_code == 4 and "characters" in run.json()["errors"][0]["reason"]
    assert len(run.json()["people"][0]["panels"]) == 1 and good


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_history_never_hangs_on_a_device_or_a_fifo(tmp_path, source):
    import os
    import subprocess
    import sys

    if source == "fifo":
        folder = tmp_path / "export"
        folder.mkdir()
        os.mkfifo(folder / "b.json")
        source = str(folder)
    done = subprocess.run([sys.executable, "-m", "b12cli", "history", source], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode in (2, 4) and "not a regular file" in done.stderr


def test_holotranscobalamin_is_read_by_its_loinc_code(b12, tmp_path):
    path = write(tmp_path, "h.json", bundle(observation(code="72160-5", value=40, unit="pmol/L")))
    panel = b12("history", path, "--format", "json").json()["people"][0]["panels"][0]
    assert [(m["marker"], m["status"]) for m in panel["markers"]] == [("holotc", "indeterminate")]


def test_a_repeated_query_is_read_once_but_never_mixed_with_another(b12, tmp_path):
    """Panels with the same values share one interpretation only when age and range agree too."""
    path = tmp_path / "same.csv"
    rows = [f"p{k},2024-01-01,350,70,0.2,10,{age}" for k, age in enumerate((40, 80, 17, 40))]
    path.write_text("id,date,b12,holotc,mma,hcy,age\n" + "\n".join(rows) + "\n")
    people = {p["id"]: p["panels"][0] for p in b12("history", str(path), "--format", "json").json()["people"]}
    cb12 = {pid: (panel["cb12"] or {}).get("value") for pid, panel in people.items()}
    assert cb12["p0"] == cb12["p3"] != cb12["p1"] and cb12["p2"] is None
    fhir = tmp_path / "ranges.ndjson"
    lines = [json.dumps({"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
                         "subject": {"reference": f"Patient/{k}"}, "effectiveDateTime": "2024-01-01",
                         "valueQuantity": {"value": 250, "unit": "pg/mL"},
                         **({"referenceRange": [{"low": {"value": low}, "high": {"value": 900}}]} if low else {})})
             for k, low in enumerate((None, 300, None))]
    fhir.write_text("\n".join(lines) + "\n")
    people = b12("history", str(fhir), "--format", "json").json()["people"]
    statuses = [p["panels"][0]["markers"][0]["status"] for p in people]
    assert statuses == ["normal", "low", "normal"]
