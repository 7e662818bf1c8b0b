"""The 0.6.2 attack findings (review-0.6/attack.md), one test each, named by the finding's id
(D1-D10 data loss and wrong answers, C1-C9 crashes, H1-H4 hangs, R1-R2 resources, M1-M12
messages), and the attack corpus (tests/fixtures/attack/) run as a regression set: every hostile
file gives an answer or a one-line error with a documented exit code, never a crash."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

ATTACK = Path(__file__).parent / "fixtures" / "attack"
OK_CODES = {0, 2, 4}


def _proc(*args: str, stdin=subprocess.DEVNULL, env: dict | None = None, stderr=subprocess.PIPE,  # noqa: ANN001
          preexec_fn=None, timeout: float = 60) -> subprocess.CompletedProcess:  # noqa: ANN001
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "b12cli", *args], stdin=stdin, capture_output=stderr is None,
                          stdout=None if stderr is None else subprocess.PIPE, stderr=stderr, env=environment,
                          cwd=Path("/"), timeout=timeout, preexec_fn=preexec_fn)


def _one_line_errors(stderr: str) -> None:
    for line in stderr.splitlines():
        assert "\x1b" not in line and "\x07" not in line
        assert line.startswith(("b12:", "  ", "Note:", "For information", "No B12")), line


# ----------------------------------------------------------------- the corpus, as a regression set


CSV_CORPUS = sorted(p for p in ATTACK.rglob("*.csv"))


def test_the_fhir_attack_files_give_answers_or_error_records_in_one_run(b12):
    """Every hostile FHIR file at once, as a folder: each is read, refused as an error record or
    left out with a note; the run gives valid JSON and no internal error."""
    result = b12("history", str(ATTACK / "fhir"), "--format", "json")
    document = result.json()
    assert result.exit_code == 4 and "internal error" not in result.stderr
    named = {Path(e["file"]).name for e in document["errors"]}
    assert {"dupkey.json", "nan.json", "lone_surrogate_hi.json"} - named == {"lone_surrogate_hi.json"}
    assert len(named) > 40 and document["people"]


@pytest.mark.parametrize("path", CSV_CORPUS, ids=[p.relative_to(ATTACK).as_posix() for p in CSV_CORPUS])
def test_every_csv_attack_file_gives_an_answer_or_a_one_line_error(b12, path):
    for args in (["history", str(path), "--format", "json"], ["labs", "--input", str(path), "--format", "json"]):
        result = b12(*args)
        assert result.exit_code in OK_CODES and "internal error" not in result.stderr, result.stderr
        if result.exit_code == 2:
            assert result.stdout == "" and result.stderr.count("\n") == 1
        else:
            document = result.json()
            errors = document.get("errors", [r for r in document.get("rows", []) if "error" in r or "errors" in r])
            assert (result.exit_code == 4) == bool(errors)


# ----------------------------------------------------------------- D: data loss and wrong answers


@pytest.mark.parametrize("pair", [("fold_mma_a.csv", "fold_mma_b.csv"), ("fold_b12_a.csv", "fold_b12_b.csv"),
                                  ("fhir/fold_ref_a.json", "fhir/fold_ref_b.json")])
def test_d1_two_different_results_on_one_day_are_an_error_in_either_order(b12, pair):
    runs = [b12("history", str(ATTACK / name), "--check", "--format", "json") for name in pair]
    for run in runs:
        assert run.exit_code == 4
        errors = run.json()["errors"]
        assert len(errors) == 1 and re.search(r"2 different (B12|MMA) results on 2024-01-\d\d", errors[0]["reason"])
        assert run.json()["people"] == []  # nothing chosen for the person
    assert [r["reason"].count(";") for r in (runs[0].json()["errors"][0], runs[1].json()["errors"][0])][0] >= 2


def test_d2_an_unclosed_quote_loses_no_later_row(b12, tmp_path):
    rows = ["id,date,b12", 'p0,2024-01-01,"180'] + [f"p{i},2024-01-02,{200 + i % 500}" for i in range(1, 10_001)]
    path = tmp_path / "unclosed.csv"
    path.write_text("\n".join(rows) + "\n")
    result = b12("history", str(path), "--format", "json")
    document = result.json()
    assert result.exit_code == 4 and document["used"] == 10_000
    assert [e["line"] for e in document["errors"]] == [2] and "unterminated quote" in document["errors"][0]["reason"]


def test_d3_ndjson_is_split_at_line_feeds_only(b12):
    result = b12("history", str(ATTACK / "fhir" / "ndjson_u2028.ndjson"), "--format", "json")
    document = result.json()
    panels = document["people"][0]["panels"]
    assert [(p["date"], p["markers"][0]["value"]) for p in panels] == [
        ("2024-01-01", 180.0), ("2024-02-01", 300.0), ("2024-03-01", 400.0)]
    assert [e["line"] for e in document["errors"]] == [4] and result.exit_code == 4
    assert [s["line"] for p in panels for s in p["sources"]] == [1, 2, 3]


def test_d4_an_empty_person_id_never_pools_two_patients(b12):
    result = b12("history", str(ATTACK / "hist_empty_id.csv"), "--check", "--format", "json")
    document = result.json()
    assert result.exit_code == 4
    assert all("no person id" in e["reason"] for e in document["errors"]) and len(document["errors"]) == 2
    assert not any(p["trend"] for p in document["people"])


def test_d5_one_header_named_for_two_markers_is_refused(b12):
    result = b12("labs", "--input", str(ATTACK / "col_twice.csv"), "--column", "b12=X", "--column", "mma=X")
    assert result.exit_code == 2 and "'X' is named for both b12 and mma" in result.stderr


def test_d6_a_long_cell_in_a_history_row_is_read_as_labs_reads_it(b12, tmp_path):
    path = tmp_path / "bigcell.csv"
    path.write_text("id,date,b12,note\np1,2024-01-01,180," + "x" * 200_000 + "\np1,2024-02-01,300,ok\n")
    document = b12("history", str(path), "--format", "json").json()
    assert document["used"] == 2 and document["errors"] == []


def test_d7_bytes_that_are_not_utf8_never_make_invalid_json():
    argument = b"\xff".decode("utf-8", "surrogateescape")  # what Python makes of a byte that is not UTF-8
    for args in (["meds", argument], ["search", argument], ["risk", "--meds", argument]):
        done = _proc(*args, "--format", "json")
        assert done.returncode in (0, 2)
        if done.returncode == 0:
            json.loads(done.stdout.decode("utf-8"))  # strict UTF-8, as any JSON reader takes it
    history = _proc("history", str(ATTACK / "fhir" / "surrogate_escape.json"), "--format", "json")
    assert history.returncode in OK_CODES
    json.loads(history.stdout.decode("utf-8"))


def test_d8_a_csv_round_trip_has_no_duplicate_column_names(b12, tmp_path):
    first = b12("labs", "--input", str(ATTACK / "csv" / "crlf.csv"), "--format", "csv").stdout
    second = b12("labs", "--input", "-", "--format", "csv", input=first).stdout
    header = second.splitlines()[0].split(",")
    assert len(header) == len(set(header)) and "verdict" in header


def test_d9_an_extra_cell_never_overwrites_a_real_column(b12):
    record = json.loads(b12("labs", "--input", "-", input="b12,_extra_3\n180,KEEP,b\n").stdout)
    assert record["input"]["_extra_3"] == "KEEP" and "b" in record["input"].values()


def test_d10_an_age_just_under_18_is_not_adult(b12):
    args = ["labs", "--b12", "350", "--holotc", "70", "--mma", "0.2", "--hcy", "10", "--format", "json"]
    assert b12(*args, "--age", "17.99999999999999999").json()["cb12"] is None
    assert b12(*args, "--age", "18").json()["cb12"] is not None


# ----------------------------------------------------------------- C: crashes


def test_c1_a_lone_surrogate_in_one_fhir_string_ends_nothing(b12):
    result = b12("history", str(ATTACK / "fhir" / "lone_surrogate_hi.json"), "--format", "json")
    assert result.exit_code in (0, 4) and "internal error" not in result.stderr
    assert json.loads(result.stdout)["people"][0]["id"] == "Patient/\ud800"


@pytest.mark.parametrize("args", [["labs", "--input", "-"], ["history", "-"], ["meds", "-"]])
def test_c2_a_closed_stdin_is_a_usage_error(args):
    done = _proc(*args, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2 and b"standard input is closed" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["absorb", "--dose", "100", "--per-day"], ["foods", "--limit"],
                                  ["intake", "egg", "--meals"]])
def test_c3_a_5000_digit_whole_number_is_a_usage_error(b12, args):
    result = b12(*args, "9" * 5000)
    assert result.exit_code == 2 and "is too large" in result.stderr and result.stderr.count("\n") == 1


def test_c4_bytes_that_are_not_utf8_under_a_strict_locale_are_not_an_internal_error():
    strict = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    piped = subprocess.run([sys.executable, "-m", "b12cli", "meds", "-"], input=b"metformin\n\xff\n",
                           capture_output=True, env=strict, timeout=60)
    argument = b"\xff".decode("utf-8", "surrogateescape")
    given = subprocess.run([sys.executable, "-m", "b12cli", "meds", argument, "--format", "json"],
                           capture_output=True, env=strict, timeout=60)
    for done in (piped, given):
        assert done.returncode in (0, 2) and b"internal error" not in done.stderr


def test_c5_a_cache_path_too_deep_to_create_only_costs_speed(tmp_path):
    deep = str(tmp_path) + "/a" * 1100
    done = _proc("labs", "--b12", "180", "--format", "json", env={"B12_CACHE_DIR": deep})
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "deficiency_possible"


def test_c6_a_folder_1100_levels_deep_is_an_error_record_not_a_crash(b12, tmp_path):
    path = tmp_path / "deep"
    path.mkdir()
    os.chdir(path)
    try:
        for _ in range(1100):
            os.mkdir("a")
            os.chdir("a")
        Path("x.json").write_text("{}")
    finally:
        os.chdir(REPO)
    try:
        result = b12("history", str(tmp_path / "deep"), "--format", "json")
    finally:
        _remove_deep(path)  # pytest's own clean-up recurses once per level and would fail on it
    assert result.exit_code == 4 and "internal error" not in result.stderr
    assert any("deeper than 32 folders" in e["reason"] for e in result.json()["errors"])


def _remove_deep(top: Path) -> None:
    """Remove a folder nested far deeper than the recursion limit, one level at a time."""
    os.chdir(top)
    depth = 0
    while os.path.isdir("a"):
        os.chdir("a")
        depth += 1
    for name in os.listdir("."):
        os.remove(name)
    for _ in range(depth):
        os.chdir("..")
        os.rmdir("a")
    os.chdir(REPO)


def test_c7_ctrl_c_while_starting_is_one_line_and_130():
    for delay in (0.03, 0.06, 0.1, 0.2):
        process = subprocess.Popen([sys.executable, "-m", "b12cli", "labs", "--b12", "180"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd="/")
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert b"Traceback" not in err
        assert process.returncode in (130, 0, -signal.SIGINT)  # 0: it had answered; -2: before Python was up


def test_c8_r2_a_batch_forks_no_workers(b12, tmp_path, monkeypatch):
    """C8 (a killed worker) and R2 (B12_WORKERS unbounded) are gone with the workers: a batch of
    many chunks runs in one process whatever B12_WORKERS says."""
    path = tmp_path / "rows.csv"
    path.write_text("b12\n" + "180\n" * 4001)

    def no_fork() -> int:
        raise AssertionError("a batch must not fork")

    monkeypatch.setattr(os, "fork", no_fork)
    result = b12("labs", "--input", str(path), env={"B12_WORKERS": "9" * 5000})
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 4001


@pytest.mark.parametrize(("args", "code"), [(["history", str(ATTACK / "fhir" / "dupkey.json"), "--format", "json"], 4),
                                            (["labs", "--b12", "x"], 2), (["labs", "--b12", "180"], 0)])
def test_c9_an_unwritable_stderr_never_changes_the_exit_code(args, code):
    with open("/dev/full", "w") as full:
        done = _proc(*args, stderr=full)
    assert done.returncode == code


# ----------------------------------------------------------------- H: hangs (bounds with a wide margin)


def _timed(b12, *args: str, **kwargs) -> tuple[float, object]:  # noqa: ANN001, ANN003
    start = time.perf_counter()
    result = b12(*args, **kwargs)
    return time.perf_counter() - start, result


def test_h1_a_header_cell_of_a_bracket_and_spaces_is_read_in_linear_time(b12):
    for name, args in (("redos_header.csv", ["labs", "--input"]), ("redos_history.csv", ["history"])):
        took, result = _timed(b12, *args, str(ATTACK / name))
        assert took < 5 and result.exit_code in OK_CODES  # 26 s in 0.6.2


def test_h2_a_100000_character_medicine_name_is_refused_at_once(b12):
    took, result = _timed(b12, "meds", "m" * 100_000)
    assert took < 5 and result.exit_code == 2 and "at most 200 characters" in result.stderr
    took, result = _timed(b12, "meds", "-", input="m" * 100_000 + "\n")
    assert took < 5 and result.exit_code == 2


def test_h3_a_ref_of_100000_spaces_is_refused_at_once(b12):
    took, result = _timed(b12, "labs", "--b12", "180", "--ref", "b12=x" + " " * 100_000 + "y")
    assert took < 5 and result.exit_code == 2 and result.stderr.count("\n") == 1


def test_h4_a_folder_walk_stops_at_its_entry_limit(b12, tmp_path, monkeypatch):
    from b12cli.inputs import files

    monkeypatch.setattr(files, "MAX_FOLDER_ENTRIES", 50)
    for i in range(80):
        (tmp_path / f"note{i:03}.txt").write_text("x")
    document = b12("history", str(tmp_path), "--format", "json").json()
    assert any("the walk stopped after 50 entries" in e["reason"] for e in document["errors"])


# ----------------------------------------------------------------- R: memory


def _peak_mb(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    code = ("import resource, subprocess, sys\n"
            "done = subprocess.run([sys.executable, '-m', 'b12cli', *sys.argv[1:]], stdout=subprocess.DEVNULL,"
            " stderr=subprocess.PIPE)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.returncode)\n")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    peak, returncode = done.stdout.split()
    return float(peak), done


def test_r1_history_memory_does_not_grow_with_the_export(tmp_path):
    """0.6.2 held 6-10 KB per record (221 MB for 20,000 observations); results are now kept in
    typed arrays and people are written as they are made."""
    path = tmp_path / "many.ndjson"
    with path.open("w") as out:
        for i in range(40_000):
            out.write(json.dumps({"resourceType": "Observation", "status": "final",
                                  "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
                                  "subject": {"reference": f"Patient/{i % 500}"},
                                  "effectiveDateTime": f"20{10 + i // 5000:02}-{1 + i // 500 % 10:02}-01",
                                  "valueQuantity": {"value": 100 + i % 800, "unit": "pg/mL"}}) + "\n")
    peak, _ = _peak_mb("history", str(path), "--format", "json")
    assert peak < 100


# ----------------------------------------------------------------- M: messages


def test_m1_ids_and_file_names_cannot_forge_a_line_or_reach_the_terminal(b12):
    result = b12("history", str(ATTACK / "fhir" / "escape_subject.json"))
    _one_line_errors(result.stderr)
    assert "\\x1b[2J" in result.stderr and "\\nb12: history: 0 errors" in result.stderr


@pytest.mark.parametrize(("food", "said"), [("!!!", "has no letters or digits"), ("\U0001f48a", "has no letters"),
                                            ("egg:1e-400", "too small to be told from zero"),
                                            ("\u00e9", "is not known")])
def test_m2_intake_says_what_is_wrong_with_the_food(b12, food, said):
    result = b12("intake", food)
    assert result.exit_code == 2 and said in result.stderr


@pytest.mark.parametrize("args", [["foods", "--sort"], ["history", "x.csv", "--date"], ["labs", "--input"],
                                  ["history"], ["labs", "--input", "x.csv", "--delimiter"]])
def test_m3_an_error_never_prints_a_100kb_value(b12, args):
    result = b12(*args, "v" * 100_000)
    assert result.exit_code == 2 and len(result.stderr) < 400 and result.stderr.count("\n") == 1


def test_m4_history_messages_name_file_cells_and_count_in_plurals(b12, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text('id,date,b12\np1,2024-01-01,"18""0"\np1,2024-01-02,300\n')
    result = b12("history", str(path))
    assert "--b12" not in result.stderr and "b12 '18\"0' is not a number" in result.stderr
    assert "1 row used" in result.stderr and "1 person, 1 panel (0 urgent);" in " ".join(result.stderr.split())
    assert "  at" not in result.stderr
    fhir = tmp_path / "neg.json"
    fhir.write_text(json.dumps({"resourceType": "Observation", "status": "final",
                                "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
                                "effectiveDateTime": "2024-01-01", "valueQuantity": {"value": 300, "unit": "pg/mL"},
                                "referenceRange": [{"low": {"value": -5}, "high": {"value": 900}}]}))
    reason = b12("history", str(fhir), "--format", "json").json()["errors"][0]["reason"]
    assert "the low end -5 pg/mL is below zero" in reason and "--ref" not in reason


def test_m5_a_nul_is_shown_as_its_escape(b12):
    result = b12("labs", "--b12", "18\x000")
    assert "'18\\x000'" in result.stderr


def test_m6_wide_characters_keep_table_columns_aligned(b12):
    lines = b12("meds", "\u60a3\u8005\u4e00\u53f7", "metformin", env={"COLUMNS": "100"}).stdout.splitlines()
    from b12cli.output.layout import cells

    result_at = lines[0].index("Result")
    for line in lines[2:4]:  # the second word of each row (its result) starts under "Result"
        assert cells(line[:line.index(line.split()[1])]) == result_at


@pytest.mark.parametrize("width", [20, 25, 30, 31])
def test_m7_labs_fits_a_narrow_terminal(b12, width):
    from b12cli.output.layout import cells

    result = b12("labs", "--b12", "133", "--ref", "b12=>99999", env={"COLUMNS": str(width)})
    for line in result.stdout.splitlines():
        assert cells(line) <= width, line  # the gauge too: left out when its bands cannot fit


@pytest.mark.parametrize(("content", "said"), [
    (b"null", "the resource is missing"), (b"42", "the resource is a number"), (b"   \n", "is empty"),
    (b"\xef\xbb\xbf\xef\xbb\xbf{}", "two byte-order"), (b"", "is empty")])
def test_m8_json_scalars_and_blank_files_are_not_read_as_csv(b12, tmp_path, content, said):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    result = b12("history", str(path), "--format", "json")
    assert said in (result.stderr + result.stdout) and "date column" not in result.stderr


def test_m9_a_date_with_a_trailing_newline_is_refused(b12):
    result = b12("history", str(ATTACK / "fhir" / "date_newline.json"), "--format", "json")
    assert result.exit_code == 4 and "is not a FHIR dateTime" in result.json()["errors"][0]["reason"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_m10_a_signal_during_a_batch_ends_it_between_records(tmp_path, sig):
    path = tmp_path / "big.csv"
    path.write_text("id,b12,mma\n" + "".join(f"p{i},{100 + i % 800},0.{1 + i % 9}\n" for i in range(100_000)))
    process = subprocess.Popen([sys.executable, "-m", "b12cli", "labs", "--input", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
    time.sleep(1.0)  # the pipe is full: b12 is blocked in the middle of writing a chunk
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and err.decode().splitlines()[-1].startswith("b12: error: interrupted")
    text = out.decode()
    assert text.endswith("\n") and text.count("\n") % 200 == 0  # whole chunks of whole records
    for line in text.splitlines():
        json.loads(line)


def test_m11_an_unknown_completion_request_is_a_b12_usage_error():
    done = _proc("labs", env={"_B12_COMPLETE": "bogus"})
    assert done.returncode == 2 and done.stderr.decode().startswith("b12: error: shell completion:")


def test_m12_date_and_id_cannot_name_one_column(b12, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,b12\n2024-01-01,180\n")
    result = b12("history", str(path), "--date", "date", "--id", "date")
    assert result.exit_code == 2 and "a date is not a person" in result.stderr
