"""[16] Long-format exports: one test per row, as laboratory systems write them, read by `labs --input`."""

from __future__ import annotations

import csv
import io
import json

import pytest

OTHER_TESTS = ["Sodium", "Potassium", "Chloride", "Urea", "Creatinine", "Glucose", "ALT", "AST", "Bilirubin",
               "Albumin", "Calcium", "Phosphate", "Magnesium", "CRP", "Ferritin", "TSH", "Free T4", "Haemoglobin",
               "MCV", "Platelets"]


def long_csv(delimiter: str = ",") -> str:
    """Two patients, three draws, B12 markers among 20 other tests (made-up numbers)."""
    rows = [["patient", "collected", "test", "value", "unit", "reference range", "flag"]]
    draws = [("P-001", "2024-03-13 17:03", {"Vitamin B12": ("180", "pg/mL", "232-1245", "L"),
                                             "Methylmalonic Acid": ("0.55", "umol/L", "0.00-0.40", "H"),
                                             "Homocysteine, Total": ("18", "umol/L", "5-15", "H")}),
             ("P-001", "2024-06-02 09:15", {"Vitamin B12": ("420", "pg/mL", "232-1245", "")}),
             ("P-002", "2024-03-14 08:10", {"Vitamin B12": ("610", "ng/L", "", ""),
                                             "Homocysteine, Total": ("9.5", "umol/L", "5-15", "")})]
    for patient, time, markers in draws:
        tests = list(markers.items())
        for i, other in enumerate(OTHER_TESTS):
            rows.append([patient, time, other, str(10 + i), "mmol/L", "", ""])
            if i < len(tests):
                name, (value, unit, ref, flag) = tests[i]
                rows.append([patient, time, name, value, unit, ref, flag])
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture
def long_file(tmp_path):
    def write(text: str, name: str = "long.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_panel_per_patient_and_time_with_the_other_tests_counted(b12, long_file):
    result = b12("labs", "--input", long_file(long_csv()))
    assert result.exit_code == 0, result.stderr
    rows = records(result)
    assert [(r["input"]["id"], r["input"]["date"]) for r in rows] == [
        ("P-001", "2024-03-13 17:03"), ("P-001", "2024-06-02 09:15"), ("P-002", "2024-03-14 08:10")]
    first = {m["marker"]: m for m in rows[0]["markers"]}
    assert set(first) == {"b12", "mma", "hcy"} and first["mma"]["status"] == "high"
    assert first["b12"]["lab_flag"] == "low" and rows[0]["verdict"] == "deficiency_likely"
    assert rows[2]["markers"][0]["unit"] == "ng/L"
    summary = " ".join(result.stderr.split())
    assert "3 rows:" in summary and "Read as long format" in summary
    assert "60 rows of 20 tests" in summary and "Sodium 3" in summary


def test_the_same_file_tab_separated_gives_the_same_output(b12, long_file):
    comma = b12("labs", "--input", long_file(long_csv()), "--format", "json")
    tab = b12("labs", "--input", long_file(long_csv("\t"), "long.tsv"), "--format", "json")
    assert comma.exit_code == tab.exit_code == 0
    assert comma.stdout == tab.stdout
    semicolon = b12("labs", "--input", long_file(long_csv(";"), "long.txt"), "--format", "json")
    assert semicolon.stdout == comma.stdout


def test_codes_name_markers_and_local_codes_are_given_with_code(b12, long_file):
    text = ("SUBJECT_ID,CHARTTIME,ITEMID,VALUE,VALUENUM,VALUEUOM,FLAG\n"
            "7,2150-01-01 10:00:00,51010,<150,150,pg/mL,abnormal\n"
            "7,2150-01-01 10:00:00,50912,1.1,1.1,mg/dL,\n")
    path = long_file(text)
    plain = b12("labs", "--input", path)
    assert plain.exit_code == 0 and plain.stdout == "" and "--code MARKER=CODE" in " ".join(plain.stderr.split())
    coded = b12("labs", "--input", path, "--code", "b12=51010")
    assert coded.exit_code == 0, coded.stderr
    (row,) = records(coded)
    b12_result = row["markers"][0]
    assert b12_result["censored"] == "<" and b12_result["value"] == 150  # the text value keeps its "<"
    assert "51010" not in coded.stderr.split("counted and not read")[1].split(")")[0]


def test_a_loinc_code_column_is_read_without_help(b12, long_file):
    text = ("DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
            "2023-05-01T08:00:00Z,ab12,e1,2132-9,Cobalamin [Mass/volume] in Serum or Plasma,240,pg/mL,numeric\n"
            "2023-05-01T08:00:00Z,ab12,e1,13965-9,Homocysteine [Moles/volume] in Serum or Plasma,21,umol/L,numeric\n"
            "2023-05-01T08:00:00Z,ab12,e1,8867-4,Heart rate,72,/min,numeric\n")
    (row,) = records(b12("labs", "--input", long_file(text)))
    assert {m["marker"] for m in row["markers"]} == {"b12", "hcy"}


def test_low_and_high_columns_make_the_laboratory_range(b12, long_file):
    text = ("patient_id,result_date,analyte,result,units,ref_range_lower,ref_range_upper\n"
            "x,2024-01-02,Vitamin B12,300,pmol/L,145,569\n")
    (row,) = records(b12("labs", "--input", long_file(text)))
    assert row["input"]["b12_ref"] == "145-569" and row["markers"][0]["lab_flag"] == "within"


def test_two_different_results_for_one_marker_in_a_panel_are_an_error_never_a_choice(b12, long_file):
    text = ("patient,time,test,value,unit\n"
            "p,2024-01-01 08:00,Methylmalonic acid,0.30,umol/L\n"
            "p,2024-01-01 08:00,Methylmalonic acid,0.52,umol/L\n"
            "q,2024-01-01 08:00,Vitamin B12,500,pg/mL\n")
    result = b12("labs", "--input", long_file(text))
    assert result.exit_code == 4
    error, fine = records(result)
    assert "two MMA results in one panel" in error["error"] and "0.3" in error["error"] and error["line"] == 2
    assert fine["verdict"] == "deficiency_unlikely"


def test_a_repeated_identical_row_is_one_result(b12, long_file):
    text = ("patient,time,test,value,unit\n"
            "p,2024-01-01 08:00,Vitamin B12,300,pg/mL\n"
            "p,2024-01-01 08:00,Vitamin B12,300,pg/mL\n")
    (row,) = records(b12("labs", "--input", long_file(text)))
    assert row["markers"][0]["value"] == 300


def test_a_panel_that_comes_back_later_is_its_own_panel_and_said(b12, long_file):
    text = ("patient,time,test,value,unit\n"
            "p,2024-01-01,Vitamin B12,300,pg/mL\n"
            "q,2024-01-01,Vitamin B12,500,pg/mL\n"
            "p,2024-01-01,Homocysteine,12,umol/L\n")
    result = b12("labs", "--input", long_file(text))
    assert len(records(result)) == 3 and "appear again later" in " ".join(result.stderr.split())


def test_an_unknown_unit_is_that_panels_error(b12, long_file):
    text = "patient,time,test,value,unit\np,2024-01-01,Vitamin B12,300,mg/dL\n"
    result = b12("labs", "--input", long_file(text))
    assert result.exit_code == 4 and "not a known unit of B12" in records(result)[0]["error"]


@pytest.mark.parametrize(("name", "marker"), [("Vitamin B12 Assay, S", "b12"), ("VITAMIN B12 ASSAY, SERUM", "b12"),
                                              ("Vit B12 SerPl-mCnc", "b12"), ("Cobalamina", "b12"),
                                              ("Methylmalonic Acid, QN, P", "mma"), ("Methylmalonsäure", "mma"),
                                              ("Homocyst(e)ine", "hcy"), ("Homocystéine", "hcy"),
                                              ("Folate, Serum", "folate"), ("Folate, S", "folate"),
                                              ("Active B12 (Holotranscobalamin)", "holotc"),
                                              ("Folate, RBC", None), ("Red cell folate", None), ("Folati GR", None),
                                              ("Vitamin B12 Binding Capacity", None),
                                              ("Methylmalonic Acid, Urine", None), ("Homocystine", None)])
def test_test_names_as_labs_print_them(b12, long_file, name, marker):
    value = {"hcy": "11", "folate": "6", "mma": "0.3", "holotc": "60"}.get(marker, "300")
    text = f"patient,time,test,value\np,2024-01-01,\"{name}\",{value}\np,2024-01-01,Creatinine,80\n"
    result = b12("labs", "--input", long_file(text))
    if marker is None:
        assert result.stdout == "" and "counted and not read" in result.stderr
    else:
        (row,) = records(result)
        assert [m["marker"] for m in row["markers"]] == [marker]


def test_long_format_options(b12, long_file):
    text = "who,when,what,how much\np,2024-01-01,Vitamin B12,300\n"
    path = long_file(text)
    assert b12("labs", "--input", path).exit_code == 2  # no marker column and not recognisably long
    chosen = b12("labs", "--input", path, "--test-column", "what", "--value-column", "how much")
    assert chosen.exit_code == 0, chosen.stderr and records(chosen)[0]["markers"][0]["value"] == 300
    missing = b12("labs", "--input", path, "--long")
    assert missing.exit_code == 2 and "--test-column" in missing.stderr
    assert b12("labs", "--b12", "300", "--long").exit_code == 2
    bad = b12("labs", "--input", path, "--test-column", "nope")
    assert bad.exit_code == 2 and "'nope'" in bad.stderr
    wrong_code = b12("labs", "--input", long_file(long_csv()), "--code", "vitb12=1")
    assert wrong_code.exit_code == 2 and "expected MARKER=CODE" in wrong_code.stderr


def test_loinc_codes_for_other_specimens_are_counted_with_the_reason(b12, long_file):
    text = ("DATE,PATIENT,CODE,DESCRIPTION,VALUE,UNITS\n"
            "2023-05-01,ab12,2283-0,Folate RBC,420,ng/mL\n"
            "2023-05-01,ab12,32287-5,Methylmalonate Ur,2.1,umol/L\n"
            "2023-05-01,ab12,2132-9,Cobalamin,240,pg/mL\n")
    result = b12("labs", "--input", long_file(text))
    (row,) = records(result)
    assert [m["marker"] for m in row["markers"]] == ["b12"]
    summary = " ".join(result.stderr.split())
    assert "Folate RBC (red cell folate, not serum folate) 1" in summary
    assert "Methylmalonate Ur (MMA in urine, not serum MMA) 1" in summary


def test_every_loinc_code_names_its_specimen_and_property(kb):
    for code in kb.loinc.codes.values():
        assert code.specimen in ("Ser/Plas", "Ser") and code.property in ("MCnc", "SCnc") and code.sources
    assert {"2283-0", "2282-2", "32287-5", "20646-6"} <= set(kb.loinc.not_markers)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('  - {code: "2282-2",', '  - {code: "2282-3",', "fails the LOINC check digit"),
    ('  - {code: "2282-2",', '  - {code: "2132-9",', "is also a marker's code"),
    ("    specimen: Ser/Plas\n", "    specimen: Bld\n", "codes[0].specimen"),
])
def test_the_loader_checks_the_codes(edit_kb, b12, old, new, message):
    edit_kb("loinc.yaml", old, new)
    result = b12("history", "-", input=b"id,date,b12\n1,2024-01-01,300\n")
    assert result.exit_code == 1 and message in result.stderr


@pytest.mark.parametrize(("flag", "printed"), [("H", "H"), ("L", "L"), ("abnormal", "ABNORMAL"), ("", None),
                                               ("delta", None)])
def test_the_flag_column_is_kept_as_the_printed_flag(b12, long_file, flag, printed):
    """A flag b12 knows is kept as if printed after the number; another word (a delta check) is not a flag."""
    text = ("patient,time,test,value,unit,range,flag\n"
            f"p1,2024-01-01 08:00,Vitamin B12,415,pg/mL,,{flag}\n"
            "p1,2024-01-01 08:00,Homocysteine,18,umol/L,5-15,H\n")
    result = b12("labs", "--input", long_file(text))
    assert result.exit_code == 0, result.stderr
    markers = {m["marker"]: m for m in records(result)[0]["markers"]}
    assert markers["b12"]["printed_flag"] == printed and markers["b12"]["value"] == 415
    assert (markers["hcy"]["printed_flag"], markers["hcy"]["lab_flag"]) == ("H", "high")


def test_a_flag_in_the_value_cell_is_not_doubled_by_the_flag_column(b12, long_file):
    text = "patient,time,test,value,unit,flag\np1,2024-01-01,Vitamin B12,415 H,pg/mL,H\n"
    result = b12("labs", "--input", long_file(text))
    assert result.exit_code == 0, result.stderr
    assert records(result)[0]["markers"][0]["printed_flag"] == "H"
