"""[17] `b12 read`: a laboratory report as people have it (pasted text, a text file, a PDF), shown as read and then
interpreted as `b12 labs` interprets the same values. Every report here is the project's own, with made-up
names and numbers (tests/fixtures/reports); the PDFs are written by tests/pdfmaker.py."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import REPO, modules_loaded
from tests.pdfmaker import make_pdf, report_pdf

REPORTS = REPO / "tests" / "fixtures" / "reports"
FORMATS = ("table", "json", "csv")
# What the NHS-style report says about the patient: none of it may ever be shown.
NHS_PRIVATE = ("PEMBERTON", "Alys", "RX4417285", "999 271 4408", "09/11/1958", "1958")
ENTRY_KEYS = {"line", "text", "marker", "value", "unit", "censored", "range", "flag", "not_read"}


def report(name: str) -> str:
    return (REPORTS / name).read_text(encoding="utf-8")


def read_json(b12, *args, input=None, code: int = 0) -> dict:  # noqa: A002 - as the runner names it
    result = b12("read", *args, "--format", "json", input=input)
    assert result.exit_code == code, result.stderr
    assert result.stderr == ""  # JSON carries the notes
    return result.json()


def by_marker(document: dict) -> dict[str, dict]:
    return {m["marker"]: m for m in document["markers"]}


def entries(document: dict) -> dict[str, dict]:
    return {e["marker"]: e for e in document["read"]}


@pytest.fixture
def pypdf():
    return pytest.importorskip("pypdf")


# ----------------------------------------------------------------- the reports of the issue


def test_an_nhs_report_in_ng_per_litre(b12):
    document = read_json(b12, str(REPORTS / "nhs.txt"))
    assert document["schema"] == "b12.read/1"
    b12_marker, folate = by_marker(document)["b12"], by_marker(document)["folate"]
    assert (b12_marker["value"], b12_marker["unit"], b12_marker["lab_flag"]) == (162, "ng/L", "low")
    assert (folate["value"], folate["unit"], folate["lab_flag"]) == (3.1, "ug/L", "low")
    assert [e["marker"] for e in document["read"]] == ["b12", "folate"]  # haemoglobin is not a marker
    assert document["read"][0] == {"line": 9, "text": "Serum vitamin B12 162 ng/L 197 - 771", "marker": "b12",
                                   "value": 162, "unit": "ng/L", "censored": None, "range": "197-771 ng/L",
                                   "flag": None, "not_read": None}
    assert document["collected"] == {"line": 5, "date": "2024-03-13", "time": "09:15", "could_be": []}
    assert "Haemoglobin" not in json.dumps(document)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_patient_is_never_shown_in_any_format(b12, fmt):
    result = b12("read", str(REPORTS / "nhs.txt"), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert "Serum vitamin B12" in result.stdout  # the lines used are shown
    for private in NHS_PRIVATE + ("Okonkwo", "Haemoglobin", "ST ELSEWHERE"):
        assert private not in result.stdout and private not in result.stderr, private


def test_a_refused_line_does_not_bring_the_header_with_it(b12):
    result = b12("read", str(REPORTS / "see_comment.txt"))
    assert result.exit_code == 4
    for private in ("VANTERPOOL", "Maisie", "KX0093316", "repeated"):
        assert private not in result.stdout + result.stderr


def test_a_us_report_in_pg_and_nmol_with_h_flags(b12):
    document = read_json(b12, str(REPORTS / "us.txt"))
    mma = by_marker(document)["mma"]
    assert (mma["value"], mma["unit"], mma["canonical_value"], mma["canonical_unit"]) == \
        (415, "nmol/L", 0.415, "umol/L")
    assert (mma["lab_flag"], mma["printed_flag"], mma["status"]) == ("high", "H", "high")
    read = entries(document)
    assert read["mma"]["text"] == "METHYLMALONIC ACID 415 H 87-318 nmol/L EZ" and read["mma"]["flag"] == "H"
    assert (read["b12"]["value"], read["b12"]["unit"], read["b12"]["range"]) == (245, "pg/mL", "200-1100 pg/mL")
    assert (read["hcy"]["flag"], read["hcy"]["range"]) == ("H", "<15 umol/L")
    assert (read["folate"]["censored"], read["folate"]["value"]) == (">", 24)
    assert document["collected"]["date"] == "2024-03-14"  # 03/14: the 14 settles the order
    assert not {"QUILLFEATHER", "NF-00771442", "04/22/1961"} & set(json.dumps(document).split('"'))


def test_a_previous_result_column_gives_the_current_result_and_says_so(b12):
    document = read_json(b12, str(REPORTS / "previous.txt"))
    read = entries(document)
    assert (read["b12"]["value"], read["b12"]["flag"], read["folate"]["value"]) == (162, "L", 3.1)
    assert by_marker(document)["b12"]["value"] == 162
    assert any("earlier result beside the current one (lines 6, 7" in n for n in document["notes"])
    assert document["collected"]["date"] == "2024-02-21"


def test_two_results_on_a_line_without_a_previous_column_header_are_not_read(b12, tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(report("previous.txt").replace("Previous", "Other"), encoding="utf-8")
    document = read_json(b12, str(path), code=4)
    assert document["markers"] == [] and document["verdict"] is None
    assert all("2 results on one line (162 and 240)" in e["not_read"] or "(3.1 and 4.4)" in e["not_read"]
               for e in document["read"])


def test_previous_results_printed_first_take_the_last_number(b12):
    text = "Test   Previous   Result   Units   Range\nSerum vitamin B12   240   162 L   ng/L   197 - 771\n"
    document = read_json(b12, "-", input=text)
    assert (entries(document)["b12"]["value"], entries(document)["b12"]["flag"]) == (162, "L")


def test_a_european_report_with_decimal_commas_in_pmol_per_litre(b12):
    document = read_json(b12, str(REPORTS / "european.txt"))
    read = entries(document)
    assert [e["marker"] for e in document["read"]] == ["b12", "holotc", "mma", "hcy", "folate"]  # no red cells
    assert (read["b12"]["value"], read["b12"]["unit"]) == (182.7, "pmol/L")
    assert (read["holotc"]["value"], read["holotc"]["range"]) == (28.4, ">35 pmol/L")
    assert (read["mma"]["value"], read["mma"]["unit"], read["mma"]["range"]) == (0.415, "umol/L", "<0.27 umol/L")
    assert (read["hcy"]["value"], read["hcy"]["range"]) == (16.2, "5-15 umol/L")
    assert (read["folate"]["value"], by_marker(document)["folate"]["lab_flag"]) == (3.1, "low")
    assert by_marker(document)["b12"]["canonical_value"] == pytest.approx(182.7 * 1.3554)
    notes = " ".join(document["notes"])
    assert "Decimal commas were read as decimal points (lines 6, 7, 8, 9, 10)" in notes
    assert "not serum markers; not read (line 11)" in notes
    assert document["collected"] == {"line": 3, "date": "2024-02-14", "time": "08:30", "could_be": []}


def test_a_name_on_its_line_takes_the_result_from_the_next(b12):
    document = read_json(b12, str(REPORTS / "name_then_result.txt"))
    assert [(e["line"], e["marker"], e["value"]) for e in document["read"]] == \
        [(4, "b12", 162), (6, "holotc", 28), (8, "folate", 3.1)]
    assert document["read"][1]["text"] == "Active B12 | 28 pmol/L (>37.5)"
    assert document["collected"]["date"] == "2024-04-02"


def test_see_comment_is_not_read_beside_a_readable_homocysteine(b12):
    document = read_json(b12, str(REPORTS / "see_comment.txt"), code=4)
    read = entries(document)
    assert read["b12"]["not_read"].startswith("no number where the result should be")
    assert (read["b12"]["value"], read["b12"]["unit"], read["b12"]["range"]) == (None, None, None)
    assert (read["hcy"]["value"], read["hcy"]["not_read"]) == (18.5, None)
    assert [m["marker"] for m in document["markers"]] == ["hcy"]  # nothing guessed for B12
    table = b12("read", str(REPORTS / "see_comment.txt"))
    assert table.exit_code == 4 and "not read" in table.stdout and "could not be read (exit 4)" in table.stderr


# ----------------------------------------------------------------- the interpretation is labs'


def test_the_interpretation_is_the_one_labs_gives(b12):
    document = read_json(b12, str(REPORTS / "nhs.txt"), "--age", "70", "--scheme", "nice")
    labs = b12("labs", "--b12", "162", "--b12-unit", "ng/L", "--folate", "3.1", "--folate-unit", "ug/L", "--ref",
               "b12=197 - 771 ng/L", "--ref", "folate=3.9-26.8 ug/L", "--age", "70", "--scheme", "nice",
               "--format", "json").json()
    assert set(document) == set(labs) | {"read", "collected"}
    assert {k: v for k, v in document.items() if k not in ("schema", "read", "collected")} == \
        {k: v for k, v in labs.items() if k != "schema"}


def test_context_options_reach_the_interpretation(b12):
    document = read_json(b12, str(REPORTS / "us.txt"), "--pregnant", "--egfr", "45", "--taking-b12")
    assert document["context"] == {"egfr": 45, "taking_b12": True, "nitrous_oxide": False, "pregnant": True}
    assert b12("read", str(REPORTS / "us.txt"), "--check").exit_code == 3  # MMA is high
    assert b12("read", str(REPORTS / "see_comment.txt"), "--check").exit_code == 4  # not read wins over --check


def test_the_table_shows_what_was_read_before_the_interpretation(b12):
    result = b12("read", str(REPORTS / "us.txt"))
    assert result.exit_code == 0
    out = result.stdout
    assert out.index("Read from the report") < out.index("Verdict") and "Collected: 2024-03-14 07:40" in out
    header = next(line for line in out.splitlines() if line.startswith("Line"))
    assert header.split() == ["Line", "Report", "line", "Marker", "Value", "Unit", "Range", "Flag"]
    assert "87-318 nmol/L" in out


# ----------------------------------------------------------------- inputs


def test_stdin_and_input_read_the_same_report(b12):
    text = report("nhs.txt")
    from_file = read_json(b12, str(REPORTS / "nhs.txt"))
    assert read_json(b12, "-", input=text) == from_file
    assert read_json(b12, "--input", str(REPORTS / "nhs.txt")) == from_file
    assert read_json(b12, "-", input=text.replace("\n", "\r\n").encode("utf-8-sig")) == from_file


@pytest.mark.parametrize("line", ["Serum vitamin B12  1,524  pg/mL  200-1,100  H", "Vitamin B12: 1,524 pg/mL H"])
def test_a_thousands_separator_where_only_it_is_plausible(b12, line):
    document = read_json(b12, "-", input=line + "\n")
    assert (entries(document)["b12"]["value"], entries(document)["b12"]["flag"]) == (1524, "H")
    assert entries(document)["b12"]["range"] in (None, "200-1100 pg/mL")


@pytest.mark.parametrize(("line", "reason"), [
    ("Holotranscobalamin  1,200  pmol/L  >35", "'1,200' could be 1200 or 1.200"),
    ("Vitamin B12  245  200-1100", "no unit printed; B12 is reported in pg/mL or ng/L or pmol/L"),
    ("Serum folate  3,1  ng/mL  3.9-26.8", "the line mixes decimal commas and points"),
    ("Vitamin B12  245  mg/dL", "'mg/dL' is not a known unit of B12"),
    ("Vitamin B12  5  pg/mL", "outside the plausible range"),
    ("Vitamin B12  197 - 771  pg/mL", "no result printed, only a range"),
    ("Vitamin B12 (Active B12)  45  pmol/L", "active B12 but reads as total B12"),
    ("Vitamin B12  245  pg/mL  pending review", "'pending' after the result is not understood"),
])
def test_a_line_that_cannot_be_read_whole_is_not_read(b12, line, reason):
    document = read_json(b12, "-", input=f"{line}\nHomocysteine  12  umol/L  5-15\n", code=4)
    assert reason in document["read"][0]["not_read"]
    assert entries(document)["hcy"]["value"] == 12  # the other line is still read


def test_two_different_results_for_one_marker_are_refused(b12):
    text = "Vitamin B12  245  pg/mL\nHomocysteine  12  umol/L\nSerum B12 level  310  pg/mL\n"
    document = read_json(b12, "-", input=text, code=4)
    refused = [e for e in document["read"] if e["marker"] == "b12"]
    assert len(refused) == 2 and all("two different results" in e["not_read"] for e in refused)
    assert [m["marker"] for m in document["markers"]] == ["hcy"]
    same = read_json(b12, "-", input=text.replace("310", "245"))  # the same result twice is one result
    assert by_marker(same)["b12"]["value"] == 245


@pytest.mark.parametrize(("printed", "flag"), [("415 H", "H"), ("415 HH", "HH"), ("95 L", "L"), ("95 LL", "LL"),
                                               ("415 *", "*"), ("415 High", "HIGH"), ("95 Low", "LOW"),
                                               ("415H", "H"), ("415 (H)", "H")])
def test_the_labs_flag_as_printed(b12, printed, flag):
    document = read_json(b12, "-", input=f"Methylmalonic acid   {printed}   nmol/L   87-318\n")
    assert entries(document)["mma"]["flag"] == flag and by_marker(document)["mma"]["printed_flag"] == flag


@pytest.mark.parametrize(("line", "censored", "value", "range_"), [
    ("Serum vitamin B12  GREATER THAN 2000  ng/L", ">", 2000, None),
    ("Methylmalonic acid  < or =0.40  umol/L  0.00-0.40", "<=", 0.4, "0-0.4 umol/L"),
    ("Homocysteine  Less than 5  umol/L  (5.0-15.0)", "<", 5, "5-15 umol/L"),
])
def test_limits_as_reports_print_them(b12, line, censored, value, range_):
    read = read_json(b12, "-", input=line + "\n")["read"][0]
    assert (read["censored"], read["value"]) == (censored, value)
    assert read["range"] == range_


@pytest.mark.parametrize("printed", ["0 - 0", "0.0-0.0", "(0-0)"])
def test_a_range_printed_0_0_is_no_range_with_a_note(b12, printed):
    document = read_json(b12, "-", input=f"Serum vitamin B12  300  ng/L  {printed}\nHomocysteine  12  umol/L  5-15\n")
    assert [e["range"] for e in document["read"]] == [None, "5-15 umol/L"]
    assert [m["lab_flag"] for m in document["markers"]] == [None, "within"]
    assert "A range printed 0-0, which some systems write for no range, is read as no range (line 1)." \
        in document["notes"]


def test_comments_and_other_specimens_are_not_read_as_results(b12):
    text = ("Vitamin B12  245  pg/mL\nB12 levels below 200 ng/L suggest a shortage\nFolate, RBC  450  ng/mL  >280\n"
            "MMA, urine  3.1  mmol/mol creat\nVitamin B12 binding capacity  1200  pg/mL\n")
    document = read_json(b12, "-", input=text)
    assert [e["marker"] for e in document["read"]] == ["b12"]
    notes = " ".join(document["notes"])
    assert "(line 2)" in notes and "not read (lines 3, 4, 5)" in notes


def test_an_ambiguous_collection_date_is_not_guessed(b12):
    text = "Collected: 03/04/2024\nDOB: 25/12/1950\nVitamin B12  245  pg/mL\n"
    document = read_json(b12, "-", input=text)
    assert document["collected"] == {"line": 1, "date": None, "time": None, "could_be": ["2024-04-03", "2024-03-04"]}
    assert any("could be 2024-04-03 or 2024-03-04" in n for n in document["notes"])
    settled = read_json(b12, "-", "--date-format", "MDY", input=text)
    assert settled["collected"]["date"] == "2024-03-04"


@pytest.mark.parametrize(("line", "date"), [
    ("Collected by: J Doe   DOB 09/11/1958", None), ("Date/time collected: 2024-03-13 17:03", "2024-03-13"),
    ("Collected on 14/03/2024", "2024-03-14"), ("Prélevé le 14/03/2024 à 08:10", "2024-03-14"),
    ("Specimen collected: 5 March 2024", "2024-03-05"), ("DOB 09/11/1958   Received 14/03/2024", None),
])
def test_only_a_collection_date_is_taken(b12, line, date):
    document = read_json(b12, "-", input=f"{line}\nVitamin B12  245  pg/mL\n")
    assert (document["collected"] or {}).get("date") == date
    assert "1958" not in json.dumps(document)


def test_two_different_collection_dates_give_none(b12):
    text = "Collected: 2024-03-04\nVitamin B12  245  pg/mL\nSample date: 2024-05-06\n"
    document = read_json(b12, "-", input=text)
    assert document["collected"] is None
    assert any("different collection dates (lines 1, 3)" in n for n in document["notes"])
    assert read_json(b12, "-", input=text.replace("05-06", "03-04"))["collected"]["date"] == "2024-03-04"


# ----------------------------------------------------------------- what is refused outright


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "is not text (it holds binary data) and not a PDF"),
    (b"Vitamin B12 245 pg/mL\n" * 60_000, "is over 1 MiB"),
    (b"Haemoglobin  121  g/L  115 - 165\n", "no result of B12, holoTC, MMA, Homocysteine, Folate found"),
])
def test_what_is_not_a_report_is_one_line_exit_2(b12, tmp_path, content, message):
    path = tmp_path / "r.txt"
    path.write_bytes(content)
    result = b12("read", str(path))
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert message in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    ([], "no report given"), (["--scheme", "who"], "--scheme 'who' is not known"), (["--age", "-3"], "age"),
    (["--format", "jsonl"], "--format 'jsonl' is not accepted"), (["--date-format", "DD"], "--date-format"),
    (["nosuch.txt"], "no such file"),
])
def test_usage_errors(b12, args, message):
    path = [str(REPORTS / "nhs.txt")] if args and args[0].startswith("--") else []
    result = b12("read", *path, *args)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_help_has_examples(b12):
    result = b12("read", "--help")
    assert result.exit_code == 0 and "Usage: b12 read" in result.stdout
    examples = [line for line in result.stdout.splitlines() if "b12 read" in line and "Usage" not in line]
    assert "Examples:" in result.stdout and 2 <= len(examples) <= 4 and "pdf extra" in result.stdout


# ----------------------------------------------------------------- PDF


@pytest.mark.parametrize("name", ["nhs.txt", "us.txt", "european.txt", "previous.txt", "name_then_result.txt"])
@pytest.mark.parametrize("compress", [False, True])
def test_a_pdf_gives_the_same_json_as_its_text(b12, pypdf, tmp_path, name, compress):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(report(name), compress=compress))
    assert read_json(b12, str(path)) == read_json(b12, str(REPORTS / name))


def test_a_pdf_from_stdin_and_its_patient_kept_private(b12, pypdf):
    data = report_pdf(report("nhs.txt"))
    for fmt in FORMATS:
        result = b12("read", "-", "--format", fmt, input=data)
        assert result.exit_code == 0, result.stderr
        assert not any(p in result.stdout + result.stderr for p in NHS_PRIVATE)
    assert b12("read", "-", "--format", "json", input=data).json() == read_json(b12, str(REPORTS / "nhs.txt"))


def test_without_the_pdf_extra_a_pdf_gets_the_install_hint(b12, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf now fails, as without the extra
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(report("nhs.txt")))
    result = b12("read", str(path))
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "pip install 'b12[pdf]'" in result.stderr
    assert b12("read", str(REPORTS / "nhs.txt")).exit_code == 0  # text needs no extra


def test_a_pdf_without_a_text_layer_says_so(b12, pypdf, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    result = b12("read", str(path))
    assert result.exit_code == 2 and "no text in this PDF" in result.stderr and "OCR" in result.stderr


@pytest.mark.parametrize("damage", ["truncated", "named pdf", "too many pages"])
def test_a_pdf_that_cannot_be_read_is_one_line_exit_2(b12, pypdf, tmp_path, monkeypatch, damage):
    data = make_pdf([["Vitamin B12  245  pg/mL"]] * 3)
    path = tmp_path / "report.pdf"
    expected = {"truncated": "cannot be read as a PDF", "named pdf": "is named .pdf but is not a PDF",
                "too many pages": "has 3 pages; b12 reads reports of at most 2 pages"}[damage]
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "named pdf":
        data = b"Vitamin B12  245  pg/mL\n"
    else:
        monkeypatch.setattr("b12cli.inputs.pdf_text.MAX_PAGES", 2)
    path.write_bytes(data)
    result = b12("read", str(path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


# ----------------------------------------------------------------- start-up


def test_the_json_path_imports_neither_rich_nor_yaml_nor_pypdf(tmp_path):
    out, loaded = modules_loaded(["read", str(REPORTS / "us.txt"), "--format", "json"], tmp_path,
                                 {"rich", "yaml", "pydantic", "pypdf"})
    assert json.loads(out)["schema"] == "b12.read/1" and loaded == set()
