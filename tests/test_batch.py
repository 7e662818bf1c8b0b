"""`b12 labs --input`: one record per data row, in order, from files and stdin, with per-row errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from b12cli import batch
from tests.test_lab_reports import MARKER_KEYS

MIXED = (
    "\ufeffID,B12,MMA,Hcy,note,Age\r\n"
    "p1,180,0.5,,\"Smith, Jane\",40\r\n"  # quoted comma
    "p2,abc,0.2,,bad number,\r\n"
    "\r\n"  # blank line: skipped, not a record
    "p3,,,,empty markers,\r\n"  # a record with no marker value: an error record
    "p4,500,,,\"said \"\"fine\"\"\",30\r\n"
    "p5,1200,0.2,10,high b12,51\r\n"
    ",,,,,\r\n"  # a row of empty cells is still a record
    "p7,140,,,deficient,\r\n"
)


def records(b12, *args, input=None):
    result = b12("labs", *args, input=input)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result, lines


@pytest.fixture
def mixed(tmp_path):
    path = tmp_path / "results.csv"
    path.write_bytes(MIXED.encode("utf-8"))
    return path


def test_mixed_file_gives_one_record_per_row_in_order(b12, mixed):
    result, lines = records(b12, "--input", str(mixed))
    assert result.exit_code == 4
    assert [r["input"]["ID"] for r in lines] == ["p1", "p2", "p3", "p4", "p5", "", "p7"]
    assert [r["line"] for r in lines] == [2, 3, 5, 6, 7, 8, 9]
    p1, p2, p3, p4, p5, blank, p7 = lines
    assert p1["verdict"] == "deficiency_likely" and p1["input"]["note"] == "Smith, Jane"
    assert [m["status"] for m in p1["markers"]] == ["low", "high"]
    assert set(p1) == {"schema", "line", "input", "markers", "verdict", "verdict_by_scheme", "cb12", "urgent"}
    assert p1["schema"] == p2["schema"] == p4["schema"] == "b12.labs.row/1" and p3["schema"] == "b12.labs.error/1"
    assert set(p1["markers"][0]) == MARKER_KEYS  # the one marker shape of single queries and history
    # [16]: a bad B12 cell costs only the B12: the row keeps its MMA and lists the error (exit 4)
    assert [m["marker"] for m in p2["markers"]] == ["mma"] and p2["verdict"] == "deficiency_unlikely"
    assert set(p2) == {"schema", "line", "input", "markers", "verdict", "verdict_by_scheme", "cb12", "urgent",
                       "errors"}
    (b12_error,) = p2["errors"]
    assert b12_error["marker"] == "b12" and "'abc'" in b12_error["error"]
    assert "no marker" in p3["error"] and "no marker" in blank["error"]
    assert p4["verdict"] == "deficiency_unlikely" and p4["input"]["note"] == 'said "fine"'
    assert p5["markers"][0]["status"] == "high" and p5["verdict"] == "deficiency_unlikely"
    assert p7["verdict"] == "deficiency_likely"
    assert "7 rows" in result.stderr and "2 errors" in result.stderr and "not a diagnosis" in result.stderr
    assert "1 row with a marker cell that could not be read" in " ".join(result.stderr.split())


def test_strict_keeps_the_whole_row_error(b12, mixed):
    result, lines = records(b12, "--input", str(mixed), "--strict")
    assert result.exit_code == 4 and lines[1]["schema"] == "b12.labs.error/1" and "'abc'" in lines[1]["error"]
    assert "3 errors" in result.stderr


def test_stdin_and_file_give_the_same_output(b12, mixed):
    from_file = b12("labs", "--input", str(mixed))
    from_stdin = b12("labs", "--input", "-", input=mixed.read_bytes())
    assert from_stdin.stdout == from_file.stdout and from_stdin.exit_code == from_file.exit_code == 4


def test_csv_output_has_a_header_and_one_line_per_row(b12, mixed):
    result = b12("labs", "--input", str(mixed), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 7 and result.exit_code == 4
    assert list(rows[0])[-13:] == ["b12_status", "holotc_status", "mma_status", "hcy_status", "folate_status",
                                   "verdict", "verdict_documents", "verdict_nice", "verdict_lab", "cb12",
                                   "cb12_category", "urgent", "error"]
    assert rows[0]["ID"] == "p1" and rows[0]["note"] == "Smith, Jane" and rows[0]["b12_status"] == "low"
    assert rows[1]["error"].startswith("b12: b12 'abc' is not a number") and rows[1]["mma_status"] == "normal"
    assert result.stdout.count("\n") == 8


def test_all_good_rows_exit_0_and_check_exits_3(b12, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("id,b12\na,500\nb,600\n")
    assert b12("labs", "--input", str(path)).exit_code == 0
    path.write_text("id,b12\na,500\nb,180\n")
    assert b12("labs", "--input", str(path), "--check").exit_code == 3
    path.write_text("id,b12\na,500\nb,x\n")
    assert b12("labs", "--input", str(path), "--check").exit_code == 4


def test_an_invalid_row_wins_over_an_abnormal_one_with_check(b12, tmp_path):
    """Kills mutation M27 (batch exit 3 winning over 4): the file holds both an abnormal row and a bad one."""
    path = tmp_path / "both.csv"
    path.write_text("id,b12\na,180\nb,x\n")
    assert b12("labs", "--input", str(path), "--check").exit_code == 4
    path.write_text("id,b12\na,180\nb,500\n")
    assert b12("labs", "--input", str(path), "--check").exit_code == 3


def test_units_scheme_ref_and_cb12_apply_per_row(b12, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("id,b12,b12_unit,holotc,mma,mma_unit,hcy,age\n"
                    "a,350,pmol/L,70,0.2,,10,40\n"
                    "b,133,pmol/L,,400,nmol/L,,\n"
                    "c,250,,,,,,\n")
    _, (a, b, c) = records(b12, "--input", str(path), "--scheme", "nice")
    assert a["cb12"] == {"value": 0.338, "category": "adequate", "sources": ["fedosov-2015", "viapath-cb12"]}
    assert b["markers"][0]["canonical_value"] == pytest.approx(180.2682)
    assert b["markers"][0]["status"] == "indeterminate" and b["markers"][1]["canonical_value"] == 0.4
    assert c["markers"][0]["status"] == "indeterminate"
    _, (_, _, c2) = records(b12, "--input", str(path), "--ref", "b12=200-900 pg/mL")  # a unit: units vary by row
    assert c2["markers"][0]["status"] == "normal"


def test_mma_in_nmol_without_unit_is_a_row_error(b12, tmp_path):
    path = tmp_path / "mma.csv"
    path.write_text("mma\n350\n0.3\n")
    result, (bad, good) = records(b12, "--input", str(path))
    assert "nmol/L" in bad["error"] and good["markers"][0]["status"] == "normal"
    _, (fixed, _) = records(b12, "--input", str(path), "--mma-unit", "nmol/L")
    assert fixed["markers"][0]["canonical_value"] == 0.35


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("id,foo\n1,2\n", "no marker column"),
        ("id,b12,B12\n1,2,3\n", "'b12' twice"),
    ],
)
def test_bad_inputs_are_clear_errors(b12, tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 2 and needle in result.stderr and result.stderr.count("\n") == 1


def test_missing_file_directory_and_bad_combinations(b12, tmp_path):
    assert "no such file" in b12("labs", "--input", str(tmp_path / "nope.csv")).stderr
    assert "directory" in b12("labs", "--input", str(tmp_path)).stderr
    assert "not a usable file name" in b12("labs", "--input", "a\x00b").stderr
    path = tmp_path / "x.csv"
    path.write_text("b12\n300\n")
    for args in (["--b12", "300"], ["--age", "40"], ["--format", "table"]):
        result = b12("labs", "--input", str(path), *args)
        assert result.exit_code == 2 and result.stdout == ""


def test_json_with_input_is_one_document_of_the_row_records(b12, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("b12\n300\nabc\n")
    lines = b12("labs", "--input", str(path)).stdout.splitlines()
    result = b12("labs", "--input", str(path), "--format", "json")
    document = result.json()
    assert result.exit_code == 4 and document["schema"] == "b12.labs.batch/1"
    assert document["rows"] == [json.loads(line) for line in lines]


def test_header_only_gives_no_records(b12, tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("id,b12\n")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 0 and result.stdout == "" and "0 rows" in result.stderr


def test_large_input_spans_chunks_in_order(b12, tmp_path):
    rows = ["id,b12,holotc,mma,hcy,age"]
    rows += [f"r{i},{100 + i % 900},{10 + i % 120},{0.1 + (i % 13) / 10},{5 + i % 25},{18 + i % 70}"
             for i in range(3 * batch.CHUNK + 7)]
    rows[2 * batch.CHUNK + 1] = f"r{2 * batch.CHUNK},oops,,,,"
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n")
    result = b12("labs", "--input", str(path))
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert len(lines) == 3 * batch.CHUNK + 7
    bad = 2 * batch.CHUNK  # the first row of the third chunk
    assert [json.loads(x)["input"]["id"] for x in lines[bad - 1:bad + 2]] == [f"r{bad - 1}", f"r{bad}", f"r{bad + 1}"]
    assert "error" in json.loads(lines[bad]) and json.loads(lines[bad])["line"] == bad + 2
    assert f"{3 * batch.CHUNK + 7:,} rows" in result.stderr and "1 error" in result.stderr


def test_progress_display_only_when_stderr_is_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert batch.Progress().bar is None
    monkeypatch.setattr("sys.stderr", Terminal())
    progress = batch.Progress()
    assert progress.bar is not None
    progress.update(10)
    progress.stop()


def test_summary_names_the_scheme_and_its_sources(b12, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("b12\n300\n")
    stderr = b12("labs", "--input", str(path), "--scheme", "nice").stderr
    flat = " ".join(stderr.split())
    assert "1 row:" in flat and "scheme nice decides (sources: nice-ng239" in flat and "not a diagnosis" in flat


def test_pregnant_applies_to_every_row_and_is_said_in_the_summary(b12, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("b12\n500\n180\n")
    plain = b12("labs", "--input", str(path))
    pregnant = b12("labs", "--input", str(path), "--pregnant")
    normal, low = map(json.loads, plain.stdout.splitlines())
    normal_p, low_p = map(json.loads, pregnant.stdout.splitlines())
    assert normal_p == normal and low_p == {**low, "urgent": True}  # a possible deficiency in pregnancy is urgent
    assert "pregnancy" in pregnant.stderr and "pregnancy" not in plain.stderr


def _unwrapped(text: str) -> str:
    return " ".join(text.split())


def test_the_summary_agrees_in_number(b12):
    result = _unwrapped(b12("labs", "--input", "-", input="b12\n180\n").stderr)
    assert "b12: 1 row: " in result and "; 0 errors." in result and "errors by kind" not in result
    two = _unwrapped(b12("labs", "--input", "-", input="b12\n180\nabc\n").stderr)
    assert "b12: 2 rows: " in two and "; 1 error." in two


def test_the_summary_counts_errors_by_kind_in_short_lines(b12):
    """usability #20: one 330-character line mixing counts, sources and the disclaimer."""
    rows = "id,b12\na,180\nb,x\nc,\nd,1,2\ne,9999999\nf,\xff\n".encode("latin-1")
    result = b12("labs", "--input", "-", "--format", "csv", input=rows)
    assert result.exit_code == 4
    assert ("b12: errors by kind: 2 invalid value, 1 no marker value, 1 not UTF-8, 1 wrong number of fields "
            "(each is an error record in the output).") in _unwrapped(result.stderr)
    assert all(len(line) <= 100 for line in result.stderr.splitlines())
    assert all(line.startswith(("b12: ", "  ")) for line in result.stderr.splitlines())


# ----------------------------------------------------------------- fast paths give the same bytes


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("cells", [
    ["p1", "180", "0.5"],  # the usual row: no cell needs an escape
    ['say "hi"', "180", "0.5"],  # a quote
    ["back\\slash", "180", "0.5"],  # a backslash
    ["tab\there", "line\nbreak", "nul\x00"],  # control characters
    ["caf\u00e9", "\u2264150", "\U0001f600"],  # non-ASCII: escaped only for an ASCII-only output
    ["%s", "%(x)s", "%%"],  # per-cent signs in cells
    ["", "", ""],
])
def test_input_echo_is_json_dumps_of_the_row(registry, cells, ascii_only):
    from b12cli.inputs.columns import map_columns

    header = ["id %s", 'b12 "x" note', "mma"]  # a % and a quote in the names too (a note: not a result)
    columns = map_columns(registry, header, {}, {"b12": None, "mma": None})
    encode = json.JSONEncoder(ensure_ascii=ascii_only, separators=(",", ":")).encode
    fmt = batch.JsonlFormat(columns, encode, ascii_only=ascii_only)
    expected = json.dumps(dict(zip(columns.names, cells)), ensure_ascii=ascii_only, separators=(",", ":"))
    assert fmt._input(cells, "".join(cells)) == expected
    short = json.dumps(dict(zip(columns.names, cells[:2] + [""])), ensure_ascii=ascii_only, separators=(",", ":"))
    assert fmt._input(cells[:2], "".join(cells[:2])) == short


def test_a_recurring_cell_is_read_once_and_gives_the_same_record(b12, tmp_path):
    """The per-cell memo (read, classified, written once per distinct text) must not mix up units,
    markers or limits: the same text means different things under different units."""
    path = tmp_path / "units.csv"
    path.write_text("id,b12,b12_unit,mma,mma_unit\n"
                    "a,150,,150,nmol/L\n"  # b12 150 pg/mL; MMA 150 nmol/L
                    "b,150,pmol/L,0.15,\n"  # b12 150 pmol/L: another status
                    "c,150,,150,nmol/L\n"  # as row a
                    "d,<150,,0.15,umol/L\n"  # a limit, not the value 150
                    "e,150,pmol/L,0.15,\n", encoding="utf-8")  # as row b
    result, lines = records(b12, "--input", str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    b12s = [line["markers"][0] for line in lines]
    assert b12s[0] == b12s[2] and b12s[1] == b12s[4]
    assert b12s[0]["canonical_value"] == 150.0 and b12s[1]["canonical_value"] == round(150 * 1.3554, 10)
    assert b12s[0]["status"] != b12s[1]["status"]
    assert b12s[3]["censored"] == "<" and b12s[0]["censored"] is None
    assert [line["markers"][1]["canonical_value"] for line in lines] == [0.15] * 5


def test_rows_with_the_same_findings_share_one_read_only_decision(registry, kb):
    """What a combination of findings decides is worked out once and shared by every row that has it,
    so no row can change it for the others."""
    from b12cli.inputs.columns import map_columns
    from b12cli.inputs.csv_rows import Dialect

    units = {"b12": None, "holotc": None, "mma": None, "hcy": None}
    columns = map_columns(registry, ["b12", "mma"], {}, units)
    from b12cli.domain.labs import Context

    options = batch.BatchOptions("documents", [], units, Context(), False)
    interpreter = batch.Interpreter(kb.thresholds, columns, options, Dialect(",", False, False), ascii_only=False)
    first, second = interpreter.row(["180", "0.5"]), interpreter.row(["190", "0.6"])
    decision = first.combination.decision
    assert decision is second.combination.decision and dict(decision.status) == {"b12": "low", "mma": "high"}
    with pytest.raises(TypeError):
        decision.status["b12"] = "normal"
    assert interpreter.decide.cache_info().misses == 1
