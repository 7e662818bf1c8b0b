"""`b12 labs --input`: nothing is lost or crashes, whatever the file holds and wherever the output goes.

Unterminated quotes, over-long rows and cells, odd header names, output streams that cannot take every
character or are closed, a parent killed under its workers, a progress display on a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from b12cli import batch
from b12cli.inputs import columns, csv_rows

COMMA = csv_rows.Dialect(",", False, False)
UNTERMINATED = 'b12,note\n180,"said ""hi\n100,x\n120,y\n90,z\n'


def records(b12, *args, input=None):
    result = b12("labs", *args, input=input)
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def read(text: str) -> list[tuple[int, list[str], str | None]]:
    """The records the batch reader finds in ``text`` (the header included)."""
    return list(csv_rows.records(csv_rows.Lines(io.StringIO(text, newline="")), COMMA))


def run_cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b12cli", *args], capture_output=True,
                          env={**os.environ, **(env or {})}, **kwargs)


# --- unterminated and broken quotes ------------------------------------------------------------------


def test_an_unterminated_quote_is_an_error_and_every_later_line_is_still_a_record(b12):
    result, lines = records(b12, "--input", "-", input=UNTERMINATED)
    assert result.exit_code == 4
    assert [r["line"] for r in lines] == [2, 3, 4, 5]
    broken, *rest = lines
    assert set(broken) == {"schema", "line", "input", "error"}
    assert "unterminated quote" in broken["error"] and "line 2" in broken["error"]
    assert broken["input"]["b12"] == "180"  # the first line as far as it can be read, shown with the error
    assert [r["input"]["note"] for r in rest] == ["x", "y", "z"]
    assert all(r["verdict"] == "deficiency_likely" for r in rest)
    assert "4 rows" in result.stderr and "1 error" in result.stderr


def test_one_stray_quote_in_a_large_file_loses_no_row(b12, tmp_path, monkeypatch):
    rows = [f"r{i},{200 + i % 700}" for i in range(3 * batch.CHUNK)]
    rows[100] = 'r100,"500'
    path = tmp_path / "stray.csv"
    path.write_text("id,b12\n" + "\n".join(rows) + "\n")
    monkeypatch.setenv("B12_WORKERS", "2")
    result, lines = records(b12, "--input", str(path))
    assert result.exit_code == 4 and len(lines) == len(rows)
    assert [r["line"] for r in lines] == list(range(2, len(rows) + 2))
    assert "unterminated quote" in lines[100]["error"]
    assert sum("error" in r for r in lines) == 1


def test_a_quoted_cell_over_many_lines_still_works_and_a_quote_open_too_long_is_an_error(b12, monkeypatch):
    good, lines = records(b12, "--input", "-", input='b12,note\n180,"two\n""lines""\nthree"\n100,x\n')
    assert good.exit_code == 0 and [r["line"] for r in lines] == [2, 5]
    assert lines[0]["input"]["note"] == 'two\n"lines"\nthree' and lines[1]["input"]["note"] == "x"
    monkeypatch.setattr(csv_rows, "MAX_LINES", 3)  # a quote still open on the 4th line counts as never closed
    text = 'b12,note\n180,"one\n2\n3\n4"\n100,x\n'
    bad, lines = records(b12, "--input", "-", input=text)
    assert bad.exit_code == 4 and "within 3 lines" in lines[0]["error"] and lines[0]["line"] == 2
    assert [r["line"] for r in lines] == [2, 3, 4, 5, 6]  # the lines after it, each read again
    assert lines[-1]["input"]["note"] == "x"
    ok, lines = records(b12, "--input", "-", input='b12,note\n180,"one\n2\n3"\n100,x\n')  # 3 lines: fine
    assert ok.exit_code == 0 and [r["line"] for r in lines] == [2, 5]


def test_a_quote_closed_then_followed_by_text_is_an_error_not_a_silent_join(b12):
    result, (bad, good) = records(b12, "--input", "-", input='b12,note\n180,"a"b\n100,x\n')
    assert result.exit_code == 4 and "cannot read this row as CSV" in bad["error"] and bad["line"] == 2
    assert good["line"] == 3 and good["input"]["note"] == "x"


def test_a_broken_record_with_bytes_that_are_not_utf8_is_still_written(b12, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes('b12,note\n180,"Zoë\n100,x\n'.encode("latin-1"))
    result, (broken, good) = records(b12, "--input", str(path))
    assert result.exit_code == 4 and "unterminated quote" in broken["error"]
    assert broken["input"]["note"] == "Zo?" and good["input"]["note"] == "x"


def test_a_broken_record_over_several_lines_rereads_the_lines_after_its_first():
    found = read('b12\n"1\n2"x\n3\n')
    assert [(line, error is None) for line, _, error in found] == [(1, True), (2, False), (3, True), (4, True)]
    assert found[2][1] == ['2"x'] and found[3][1] == ["3"]


def test_no_input_gives_fewer_records_than_lines_outside_closed_quotes():
    lines = ["b12", '"1', "2", '3"', '"4', "5", "6"]  # one closed quote (lines 2-4), one never closed (5)
    found = read("\n".join(lines) + "\n")
    assert [line for line, _, _ in found] == [1, 2, 5, 6, 7]
    assert found[1][1] == ["1\n2\n3"] and "unterminated" in found[2][2]


# --- rows too large -----------------------------------------------------------------------------------


def test_a_line_over_the_row_limit_is_an_error_without_being_held(b12, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,b12,note\na,180," + "x" * (csv_rows.MAX_ROW + 10) + "\nb,500,ok\n")
    result, (long, after) = records(b12, "--input", str(path))
    assert result.exit_code == 4 and long["line"] == 2
    assert "row is too large" in long["error"] and "not kept" in long["error"]
    assert long["input"] == {"id": "", "b12": "", "note": ""}
    assert after["line"] == 3 and after["verdict"] == "deficiency_unlikely"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_row_limit_edges_with_every_line_ending(monkeypatch, ending):
    monkeypatch.setattr(csv_rows, "MAX_ROW", 20)
    # line 3 ends exactly where the bounded read stops, so its CR is read apart from what follows
    lines = ["b12,note", "1," + "a" * 18, "2," + "b" * 19, "5,e", "3," + "c" * 20, "4," + "d" * 45, "6,f"]
    found = read(ending.join(lines) + ending)
    assert [line for line, _, _ in found] == [1, 2, 3, 4, 5, 6, 7]  # numbers stay right after a cut line
    assert [error is None for _, _, error in found] == [True, True, False, True, False, False, True]
    assert found[1][1] == ["1", "a" * 18] and found[3][1] == ["5", "e"] and found[6][1] == ["6", "f"]
    assert "line 3 is over 20 characters" in found[2][2]


def test_a_cut_line_that_ends_an_open_quote_loses_nothing_of_the_next_line(monkeypatch):
    monkeypatch.setattr(csv_rows, "MAX_ROW", 20)
    monkeypatch.setattr(csv_rows, "MAX_LINES", 1)
    found = read("\r".join(["b12,note", '1,"open', "2," + "b" * 19, "5,e"]) + "\r")
    assert [line for line, _, _ in found] == [1, 2, 3, 4]
    assert "not closed within 1 lines" in found[1][2] and "line 3 is over" in found[2][2]
    assert found[3] == (4, ["5", "e"], None)


def test_an_empty_line_after_a_cut_line_stays_a_line_of_its_own(monkeypatch):
    """The character after a cut line's CR is read to tell CR LF from a lone CR; when it is a CR
    itself, it ends an empty line and is not joined to the line after it."""
    monkeypatch.setattr(csv_rows, "MAX_ROW", 5)
    found = read('""""""\r\r"')
    assert [line for line, _, _ in found] == [1, 3]
    assert "line 1 is over 5 characters" in found[0][2] and "line 3 is never closed" in found[1][2]
    crlf = read("999999\r\r\n180\r")  # the same with CR LF after the cut line: an empty line, then line 3
    assert [(line, cells) for line, cells, _ in crlf] == [(1, []), (3, ["180"])] and crlf[1][2] is None


def test_a_multi_line_record_over_the_row_limit_is_an_error(monkeypatch):
    monkeypatch.setattr(csv_rows, "MAX_ROW", 20)
    found = read('b12\n"' + "1\n" * 15 + '"\n7\n')
    assert found[1][0] == 2 and "not closed within" in found[1][2]
    assert found[-1][:2] == (18, ["7"])


def test_a_row_with_too_many_cells_keeps_only_the_header_columns(b12):
    result, (wide, after) = records(b12, "--input", "-", input="id,b12\na,180" + "," * csv_rows.MAX_CELLS + "\nb,500\n")
    assert result.exit_code == 4
    assert f"{csv_rows.MAX_CELLS + 2:,} cells; at most {csv_rows.MAX_CELLS:,}" in wide["error"]
    assert wide["input"] == {"id": "a", "b12": "180"}
    assert after["verdict"] == "deficiency_unlikely"


def test_a_header_wider_than_the_cell_cap_still_takes_rows_as_wide(b12):
    width = csv_rows.MAX_CELLS + 5
    header = ",".join(["b12"] + [f"c{i}" for i in range(width - 1)])
    result, (row,) = records(b12, "--input", "-", input=header + "\n180" + "," * (width - 1) + "\n")
    assert result.exit_code == 0 and len(row["input"]) == width


@pytest.mark.parametrize("step", [1, 4])
def test_chunks_are_bounded_by_characters_as_well_as_rows(monkeypatch, step):
    """A chunk holds at most CHUNK_CHARS characters, passed by at most STEP records (checked between steps)."""
    monkeypatch.setattr(batch, "CHUNK_CHARS", 100)
    monkeypatch.setattr(batch, "STEP", step)
    text = "b12,note\n" + "".join(f"{200 + i},{'x' * 40}\n" for i in range(20))
    lines = csv_rows.Lines(io.StringIO(text, newline=""))
    records = csv_rows.records(lines, COMMA)
    next(records)  # the header
    chunks = list(batch._chunks(records, lines))
    assert len(chunks) >= 3 and all(len(c) <= 100 // 45 + 1 + step for c in chunks)
    assert [line for chunk in chunks for line, _, _ in chunk] == list(range(2, 22))


# --- header names ------------------------------------------------------------------------------------


def test_header_names_with_percent_signs_are_kept_exactly(b12):
    result, (row,) = records(b12, "--input", "-", input="b12,a%b,a%%b,%s,%(x)s,100%\n180,1,2,3,4,5\n")
    assert result.exit_code == 0
    assert row["input"] == {"b12": "180", "a%b": "1", "a%%b": "2", "%s": "3", "%(x)s": "4", "100%": "5"}


def test_duplicate_header_names_are_made_unique_without_taking_an_existing_name():
    assert columns.unique_names(["x", "x", "x_2", "x", "y"]) == ["x", "x_3", "x_2", "x_4", "y"]
    assert columns.unique_names(["x_2", "x", "x"]) == ["x_2", "x", "x_3"]
    assert columns.unique_names(["a", "a_2", "a", "a_2"]) == ["a", "a_2", "a_3", "a_2_2"]


def test_twenty_thousand_duplicate_columns_are_named_uniquely(b12):
    header = "b12," + ",".join(["x"] * 20_000)
    result, (row,) = records(b12, "--input", "-", input=header + "\n180\n")
    names = list(row["input"])
    assert result.exit_code == 0 and len(names) == len(set(names)) == 20_001
    assert names[:4] == ["b12", "x", "x_2", "x_3"] and names[-1] == "x_20000"


# --- --csv-safe --------------------------------------------------------------------------------------

FORMULAS = 'id,b12,note\n=HYPERLINK("http://x"),180,+1\n@SUM(A1),300,-2\n"\tt",300,plain\n'


def test_csv_cells_pass_through_unchanged_without_csv_safe(b12):
    result = b12("labs", "--input", "-", "--format", "csv", input=FORMULAS)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ['=HYPERLINK("http://x")', "@SUM(A1)", "\tt"]
    assert [r["note"] for r in rows] == ["+1", "-2", "plain"]


def test_csv_safe_quotes_cells_that_a_spreadsheet_would_run(b12):
    result = b12("labs", "--input", "-", "--format", "csv", "--csv-safe", input=FORMULAS)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0
    assert [r["id"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'\tt"]
    assert [r["note"] for r in rows] == ["'+1", "'-2", "plain"]
    assert [r["b12"] for r in rows] == ["180", "300", "300"] and rows[0]["verdict"] == "deficiency_possible"


@pytest.mark.parametrize("args", [["--b12", "300"], ["--input", "-"], ["--input", "-", "--format", "jsonl"]])
def test_csv_safe_is_refused_where_it_cannot_apply(b12, args):
    result = b12("labs", *args, "--csv-safe", input="b12\n300\n")
    assert result.exit_code == 2 and "--csv-safe applies only" in result.stderr and result.stdout == ""


# --- output streams ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_ascii_stdout_still_gets_every_record(tmp_path):
    path = tmp_path / "cafe.csv"
    path.write_text("id,b12,note\nP1,180,café\nP2,300,ok\n", encoding="utf-8")
    env = {"PYTHONIOENCODING": "ascii"}
    jsonl = run_cli("labs", "--input", str(path), env=env)
    assert jsonl.returncode == 0 and b"Traceback" not in jsonl.stderr
    assert b"caf\\u00e9" in jsonl.stdout
    rows = [json.loads(line) for line in jsonl.stdout.decode("ascii").splitlines()]
    assert [r["input"]["note"] for r in rows] == ["café", "ok"]
    as_csv = run_cli("labs", "--input", str(path), "--format", "csv", env=env)
    assert as_csv.returncode == 0 and b"Traceback" not in as_csv.stderr
    assert as_csv.stdout.decode("ascii").splitlines()[1].startswith("P1,180,caf\\xe9,low")
    assert len(as_csv.stdout.splitlines()) == 3


@pytest.mark.slow
def test_a_closed_stderr_does_not_stop_the_records(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,b12\na,180\nb,300\n")
    cmd = f"{sys.executable} -m b12cli labs --input {path} 2>&-"
    result = subprocess.run(["bash", "-c", cmd], capture_output=True)
    lines = result.stdout.decode().splitlines()
    assert [json.loads(line)["input"]["id"] for line in lines] == ["a", "b"]
    assert result.returncode == 0


@pytest.mark.slow
def test_batch_into_a_pipe_closed_early_exits_0_without_a_traceback(tmp_path):
    """More than 1 MB of output into `head -1`: the pipe closes while the batch is still writing.
    Needs the command-layer boundary that treats a broken pipe as a normal end (exit 0)."""
    path = tmp_path / "big.csv"
    path.write_text("id,b12,note\n" + "".join(f"r{i},{200 + i % 700},{'n' * 60}\n" for i in range(20_000)))
    cmd = f"set -o pipefail; {sys.executable} -m b12cli labs --input {path} | head -1"
    result = subprocess.run(["bash", "-c", cmd], capture_output=True)
    assert len(result.stdout.splitlines()) == 1 and json.loads(result.stdout)["line"] == 2
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.slow
def test_progress_goes_to_a_terminal_stderr_and_never_into_stdout(tmp_path):
    import pty

    path = tmp_path / "r.csv"
    path.write_text("id,b12\n" + "".join(f"r{i},{200 + i}\n" for i in range(50)))
    expected = run_cli("labs", "--input", str(path)).stdout
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "b12cli", "labs", "--input", str(path)],
                              stdout=subprocess.PIPE, stderr=secondary, env={**os.environ, "TERM": "xterm"})
        os.close(secondary)
        seen = b""
        while True:
            try:
                piece = os.read(primary, 65536)
            except OSError:
                break
            if not piece:
                break
            seen += piece
    finally:
        os.close(primary)
    assert proc.returncode == 0
    assert proc.stdout == expected and len(proc.stdout.splitlines()) == 50  # no extra blank line
    assert b"50 rows" in seen


# --- workers -----------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
