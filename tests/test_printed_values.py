"""[16] Values, units, ranges and flags as laboratories print them, on the command line and in files."""

from __future__ import annotations

import json

import pytest


def marker(b12, *args) -> dict:
    result = b12("labs", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["markers"][0]


@pytest.mark.parametrize(("args", "value", "unit", "status", "censored", "flag"), [
    (["--b12", "GREATER THAN 2000"], 2000, "pg/mL", "high", ">", None),
    (["--b12", "Less than 150"], 150, "pg/mL", "deficient", "<", None),
    (["--b12", "< or =150 pg/mL L"], 150, "pg/mL", "deficient", "<=", "L"),
    (["--b12", "702 pg/mL"], 702, "pg/mL", "normal", None, None),
    (["--b12", "702pg/mL"], 702, "pg/mL", "normal", None, None),
    (["--b12", "250 pmol/L"], 250, "pmol/L", "normal", None, None),
    (["--b12", "415 H"], 415, "pg/mL", "normal", None, "H"),
    (["--b12", "95 LL"], 95, "pg/mL", "deficient", None, "LL"),
    (["--b12", "1,524"], 1524, "pg/mL", "high", None, None),
    (["--b12", "1,524.5"], 1524.5, "pg/mL", "high", None, None),
    (["--mma", "0.55", "--mma-unit", "nmol/mL"], 0.55, "umol/L", "high", None, None),
    (["--mma", "0.55 nmol/mL H"], 0.55, "umol/L", "high", None, "H"),
    (["--mma", "≤0.40 nmol/mL"], 0.40, "umol/L", "normal", "<=", None),
    (["--hcy", "12 mcmol/L"], 12, "umol/L", "normal", None, None),
    (["--hcy", "Less than 11 µmol/L"], 11, "umol/L", "normal", "<", None),
])
def test_a_value_as_a_report_prints_it(b12, args, value, unit, status, censored, flag):
    m = marker(b12, *args)
    assert (m["value"], m["unit"], m["status"], m["censored"], m["printed_flag"]) == \
        (pytest.approx(value), unit, status, censored, flag)


@pytest.mark.parametrize(("args", "message"), [
    (["--b12", "702 mg/dL"], "'mg/dL' in '702 mg/dL' is not a known unit of B12"),
    (["--b12", "702 pmol/L", "--b12-unit", "pg/mL"], "gives the unit pmol/L but the unit is pg/mL"),
    (["--holotc", "1,200"], "'1,200' could be 1200 or 1.200"),  # both readings plausible: refused, not guessed
    (["--b12", "702 pg/mL extra"], "is not a number"),
    (["--b12", "415 Q"], "is not a number"),
])
def test_a_printed_value_that_cannot_be_read_is_refused_in_one_line(b12, args, message):
    result = b12("labs", *args)
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert message in result.stderr


@pytest.mark.parametrize("ref", ["hcy=0.0\u221215.0 \u03bcmol/L", "hcy=5 - 15 mcmol/L", "hcy=5\u201315 umol/L",
                                 "hcy=<15.0 umol/L", "hcy=5-15uM"])
def test_ranges_as_printed(b12, ref):
    assert marker(b12, "--hcy", "12", "--ref", ref)["lab_flag"] == "within"


def test_a_printed_value_in_a_file_cell(b12, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,b12,mma\n1,415 H,0.55 nmol/mL\n2,\"1,524\",0.2\n", encoding="utf-8")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    b12_first, mma_first = first["markers"]
    assert b12_first["printed_flag"] == "H" and mma_first["unit"] == "umol/L" and mma_first["status"] == "high"
    assert second["markers"][0]["value"] == 1524


def test_a_0_0_range_is_no_range_with_a_note_never_an_error(b12, tmp_path):
    single = b12("labs", "--b12", "300", "--ref", "b12=0-0", "--format", "json")
    assert single.exit_code == 0 and single.json()["markers"][0]["lab_flag"] is None
    assert "is 0 to 0" in single.stderr
    batch_file = tmp_path / "z.csv"
    batch_file.write_text("id,b12,b12 range\n1,300,0-0\n2,300,200-900\n", encoding="utf-8")
    batch = b12("labs", "--input", str(batch_file))
    first, second = (json.loads(line) for line in batch.stdout.splitlines())
    assert batch.exit_code == 0 and first["markers"][0]["lab_flag"] is None
    assert second["markers"][0]["lab_flag"] == "within" and "1 range cell printed 0-0" in batch.stderr
    history_file = tmp_path / "h.csv"
    history_file.write_text("id,date,b12,b12 range\n1,2024-01-01,300,0.0-0.0\n", encoding="utf-8")
    history = b12("history", str(history_file), "--format", "json")
    assert history.exit_code == 0 and any("printed 0-0" in n for n in history.json()["notes"])


@pytest.mark.parametrize("header", ["Methylmalonic acid (urine)", "MMA, urine", "Red cell folate", "Folate, RBC",
                                    "Vitamin B12 binding capacity"])
def test_a_column_of_another_specimen_is_never_read_as_the_serum_marker(b12, tmp_path, header):
    """Beside a mapped B12 column it neither stops the run nor is read: a warning says why."""
    path = tmp_path / "wide.csv"
    path.write_text(f'id,b12,"{header}"\n1,300,3.2\n', encoding="utf-8")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 0, result.stderr
    assert [m["marker"] for m in json.loads(result.stdout)["markers"]] == ["b12"]
    assert f"column '{header}' is another specimen or test" in result.stderr
