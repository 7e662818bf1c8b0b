"""[16] `history` reads exports as they come: dates as printed, usual column names, long format, unit options,
and a bad cell that costs only its marker."""

from __future__ import annotations

import pytest

from b12cli.domain import dates
from b12cli.errors import UsageError


def write(tmp_path, text: str, name: str = "h.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def panels(document: dict) -> list[tuple]:
    return [(person["id"], panel["date"]) for person in document["people"] for panel in person["panels"]]


@pytest.mark.parametrize(("text", "day", "time", "zoned"), [
    ("2024-03-13", "2024-03-13", None, True), ("2024-03", "2024-03", None, True), ("2024", "2024", None, True),
    ("2024-03-13 17:03", "2024-03-13", "17:03", False), ("2024-03-13T17:03:05", "2024-03-13", "17:03", False),
    ("2024-03-13T17:03:05.250Z", "2024-03-13", "17:03", True), ("2024-03-13 17:03+01:00", "2024-03-13", "17:03", True),
    ("2024/03/13", "2024-03-13", None, True), ("13/03/2024", "2024-03-13", None, True),
    ("03/13/2024 5:03 PM", "2024-03-13", "17:03", False), ("13.03.2024 08:15", "2024-03-13", "08:15", False),
    ("12/12/2024", "2024-12-12", None, True), ("3/12/2024 12:00 AM", "2024-12-03", "00:00", False),
])
def test_dates_as_exports_print_them(text, day, time, zoned):
    moment = dates.read_day(text, "DMY" if text.startswith("3/12") else None)
    assert moment == dates.Moment(day, time, zoned)


@pytest.mark.parametrize("text", ["03/04/2024", "1/2/2024 08:00"])
def test_a_date_with_two_readings_is_ambiguous_never_guessed(text):
    found = dates.read_day(text)
    assert isinstance(found, dates.Ambiguous) and found.dmy.day != found.mdy.day
    assert dates.read_day(text, "DMY") == found.dmy and dates.read_day(text, "MDY") == found.mdy


@pytest.mark.parametrize("text", ["yesterday", "2024-02-30", "31/02/2024", "2024-03-13 25:00", "13/13/2024",
                                  "2024-13", "2024T10:00", "13:00 PM 1/1/2024"])
def test_a_date_that_is_not_one_is_refused(text):
    with pytest.raises(UsageError):
        dates.read_day(text)


def test_collected_with_a_time_and_the_usual_column_names(b12, tmp_path):
    path = write(tmp_path, "Patient ID,Collected,B12,MMA\np1,2024-03-13 17:03,180,0.5\np1,2024-06-01 08:00,400,0.2\n")
    result = b12("history", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert panels(document) == [("p1", "2024-03-13"), ("p1", "2024-06-01")]
    notes = " ".join(document["notes"])
    assert "'Collected' is read as the date" in notes and "'Patient ID' is read as the person" in notes
    assert "Times without a time zone are read as written" in notes


def test_an_ambiguous_date_is_refused_and_date_format_reads_it(b12, tmp_path):
    path = write(tmp_path, "id,date,b12\np1,03/04/2024,180\n")
    refused = b12("history", path, "--format", "json")
    assert refused.exit_code == 4
    (error,) = refused.json()["errors"]
    assert "could be 2024-04-03 (day first) or 2024-03-04 (month first)" in error["reason"]
    assert "--date-format DMY or MDY" in error["reason"]
    assert panels(b12("history", path, "--date-format", "DMY", "--format", "json").json()) == [("p1", "2024-04-03")]
    assert panels(b12("history", path, "--date-format", "mdy", "--format", "json").json()) == [("p1", "2024-03-04")]
    bad = b12("history", path, "--date-format", "DDMM")
    assert bad.exit_code == 2 and "expected DMY" in bad.stderr


def test_a_day_over_12_in_the_file_settles_the_order(b12, tmp_path):
    path = write(tmp_path, "id,date,b12\np1,03/04/2024,180\np1,25/05/2024,300\n")
    document = b12("history", path, "--format", "json").json()
    assert panels(document) == [("p1", "2024-04-03"), ("p1", "2024-05-25")]
    assert any("read day first" in n for n in document["notes"])
    disagree = write(tmp_path, "id,date,b12\np1,03/04/2024,180\np1,25/05/2024,300\np1,05/25/2024,310\n", "d.csv")
    result = b12("history", disagree, "--format", "json")
    assert result.exit_code == 4 and "disagree" in result.json()["errors"][0]["reason"]


def test_a_bad_marker_cell_costs_only_that_marker(b12, tmp_path):
    path = write(tmp_path, "id,date,b12,mma\np,2024-01-01,180,abc\n")
    result = b12("history", path, "--format", "json")
    assert result.exit_code == 4
    document = result.json()
    (person,) = document["people"]
    assert [m["marker"] for m in person["panels"][0]["markers"]] == ["b12"]
    (error,) = document["errors"]
    assert error["reason"].startswith("mma: mma 'abc' is not a number") and "other markers were read" in error["reason"]
    strict = b12("history", path, "--strict", "--format", "json").json()
    assert strict["people"] == [] and strict["errors"][0]["reason"].startswith("mma 'abc'")


def test_history_takes_the_unit_options_its_errors_recommend(b12, tmp_path):
    path = write(tmp_path, "id,date,mma\np,2024-01-01,350\n")
    refused = b12("history", path, "--format", "json")
    assert "--mma-unit nmol/L" in refused.json()["errors"][0]["reason"]
    read = b12("history", path, "--mma-unit", "nmol/L", "--format", "json").json()
    (marker,) = read["people"][0]["panels"][0]["markers"]
    assert marker["unit"] == "nmol/L" and marker["canonical_value"] == pytest.approx(0.35)


def test_a_long_export_gives_the_same_panels_in_history(b12, tmp_path):
    text = ("MRN,CHARTTIME,LABEL,VALUE,VALUEUOM,REF_RANGE_LOWER,REF_RANGE_UPPER,FLAG\n"
            "9,2150-01-01 10:00:00,Vitamin B12,180,pg/mL,232,1245,abnormal\n"
            "9,2150-01-01 10:00:00,Creatinine,1.1,mg/dL,0.5,1.2,\n"
            "9,2150-01-01 10:00:00,Homocysteine,22,umol/L,5,15,abnormal\n"
            "9,2150-06-01 09:00:00,Vitamin B12,520,pg/mL,232,1245,\n")
    result = b12("history", write(tmp_path, text), "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert panels(document) == [("9", "2150-01-01"), ("9", "2150-06-01")]
    first = document["people"][0]["panels"][0]
    assert {m["marker"] for m in first["markers"]} == {"b12", "hcy"} and first["verdict"] != "deficiency_unlikely"
    assert any("Creatinine 1" in n for n in document["notes"])
