"""Batch inputs from hell: each gives a clear error or per-row error records; never a crash,
never a lost or reordered row."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest


def run(b12, tmp_path, content: bytes, *args):
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    result = b12("labs", "--input", str(path), *args)
    assert "Traceback" not in result.stderr
    return result, [json.loads(line) for line in result.stdout.splitlines()] if result.exit_code != 2 else []


def test_binary_junk_is_a_clear_error(b12, tmp_path):
    junk = random.Random(1).randbytes(4096)
    result, _ = run(b12, tmp_path, junk)
    assert result.exit_code == 2 and result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    # which check trips first depends on the bytes (and on the Python version's csv module)
    assert any(n in result.stderr for n in ("UTF-8", "no marker column", "cannot be read as CSV"))


def test_binary_junk_after_a_good_header_gives_row_records(b12, tmp_path):
    junk = random.Random(2).randbytes(4096)
    result, lines = run(b12, tmp_path, b"id,b12\n" + junk)
    assert result.exit_code in (0, 4)
    assert [r["line"] for r in lines] == sorted(r["line"] for r in lines)
    assert all(("error" in r) != ("verdict" in r) for r in lines)


def test_file_that_is_not_utf8_flags_only_the_bad_rows(b12, tmp_path):
    content = "id,b12\nJosé,300\nAnna,180\nZoë,500\n".encode("latin-1")
    result, lines = run(b12, tmp_path, content)
    assert result.exit_code == 4
    assert [r["line"] for r in lines] == [2, 3, 4]
    assert "UTF-8" in lines[0]["error"] and "UTF-8" in lines[2]["error"]
    assert lines[1]["verdict"] == "deficiency_possible"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_its_bom_is_read_and_without_one_refused(b12, tmp_path, encoding):
    """Spreadsheets save "Unicode text" as UTF-16 with a BOM: read it. Without a BOM the byte order cannot
    be known, and the header is refused as not UTF-8."""
    text = "id,b12\n1,300\n"
    data = text.encode(encoding) if encoding == "utf-16" else \
        (b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff") + text.encode(encoding)
    result, lines = run(b12, tmp_path, data)
    assert result.exit_code == 0 and lines[0]["input"] == {"id": "1", "b12": "300"}
    bare, _ = run(b12, tmp_path, text.encode("utf-16-le"))
    assert bare.exit_code == 2 and "UTF-8" in bare.stderr


def test_a_10_mb_field_is_that_rows_error_and_the_rest_carry_on(b12, tmp_path):
    content = b"id,b12,note\n1,300," + b"x" * 10_000_000 + b"\n2,180,ok\n3,500,\n"
    result, lines = run(b12, tmp_path, content)
    assert result.exit_code == 4
    assert [r["line"] for r in lines] == [2, 3, 4]
    assert "row is too large" in lines[0]["error"]  # a line over 1 MiB is cut before csv sees it
    assert [r.get("verdict") for r in lines[1:]] == ["deficiency_possible", "deficiency_unlikely"]


def test_duplicate_non_marker_columns_keep_every_cell(b12, tmp_path):
    result, (line,) = run(b12, tmp_path, b"id,id,b12,id\na,b,300,c\n")
    assert result.exit_code == 0
    assert line["input"] == {"id": "a", "id_2": "b", "b12": "300", "id_3": "c"}


@pytest.mark.parametrize("header", [b"b12,B12", b"id,MMA, mma ", b"hcy,age,HCY"])
def test_a_marker_column_twice_exits_2(b12, tmp_path, header):
    result, _ = run(b12, tmp_path, header + b"\n1,2\n")
    assert result.exit_code == 2 and "twice" in result.stderr


def test_ragged_rows_are_kept_in_order(b12, tmp_path):
    result, lines = run(b12, tmp_path, b"id,b12,mma\n1,300,0.2,extra\n2,180\n3\n4,500,0.3\n")
    assert result.exit_code == 4
    assert [r["input"]["id"] for r in lines] == ["1", "2", "3", "4"]
    assert "4 fields" in lines[0]["error"]
    assert lines[0]["input"] == {"id": "1", "b12": "300", "mma": "0.2", "_extra_4": "extra"}  # nothing dropped
    assert lines[1]["verdict"] == "deficiency_possible"  # a short row: missing cells are empty
    assert "no marker" in lines[2]["error"]
    assert lines[3]["verdict"] == "deficiency_unlikely"


def test_only_a_header(b12, tmp_path):
    result, lines = run(b12, tmp_path, b"id,b12\r\n")
    assert result.exit_code == 0 and lines == [] and "0 rows" in result.stderr


def test_nul_bytes_and_odd_line_ends(b12, tmp_path):
    result, lines = run(b12, tmp_path, b"id,b12\r1,300\r2,1\x0080\r3,180")
    assert [r["line"] for r in lines] == [2, 3, 4]
    assert "error" in lines[1] and lines[2]["verdict"] == "deficiency_possible"


def test_every_row_of_a_large_hostile_file_gets_one_record(b12, tmp_path):
    rng = random.Random(3)
    cells = ["300", "0.5", "", "abc", "nan", "-1", "1e309", "\"1,5\"", "180", "12"]
    rows = [",".join(rng.choice(cells) for _ in range(4)) for _ in range(5000)]
    result, lines = run(b12, tmp_path, ("b12,mma,hcy,holotc\n" + "\n".join(rows) + "\n").encode())
    assert len(lines) == 5000 and [r["line"] for r in lines] == list(range(2, 5002))


def test_closed_pipe_ends_quietly_in_batch(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("id,b12\n" + "".join(f"{i},{100 + i % 800}\n" for i in range(20000)))
    shell = f"{sys.executable} -m b12cli labs --input {path} | head -c 100"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    assert len(done.stdout) == 100 and "Traceback" not in done.stderr and "Error" not in done.stderr
