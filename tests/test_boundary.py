"""The one error boundary and the streams, through real processes: closed pipes (with more output
than a pipe buffer holds), closed or narrow streams, Ctrl-C, repeated options, hostile numbers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from b12cli.domain import labs
from b12cli.domain.numbers import MAX_NUMBER_CHARS, parse_age

REPO = Path(__file__).resolve().parent.parent
PIPE_BUFFER = 1 << 16


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "b12cli", *args]


def _env(**extra: str) -> dict:
    return {**os.environ, "NO_COLOR": "1", **extra}


def _run_into_closed_pipe(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    """Run b12 with stdout a pipe whose only reader is closed before b12 starts: the first write
    fails with EPIPE, whatever the size of the output."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(_argv(*args), stdout=write_end, stderr=subprocess.PIPE, text=True,
                              env=env or _env(), cwd="/", timeout=120)
    finally:
        os.close(write_end)
    return done


@pytest.mark.parametrize("args", [
    ["sources"], ["sources", "--format", "json"], ["sources", "--format", "csv"], ["foods", "--format", "json"],
    ["labs", "--b12", "180", "--mma", "0.5"], ["about", "symptoms"], ["meds", "--format", "csv"], ["rda"],
])
def test_a_closed_pipe_exits_0_quietly(args):
    done = _run_into_closed_pipe(args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "error" not in done.stderr


@pytest.fixture
def big_kb(tmp_path):
    """A knowledge base whose `sources` output is well over a megabyte."""
    target = tmp_path / "kb"
    shutil.copytree(REPO / "data", target)
    extra = "".join(
        f"  - id: extra-source-{i}\n    title: A made-up source number {i} for a long listing\n"
        f"    author: Nobody\n    publisher: Nobody\n    year: 2020\n"
        f"    url: https://example.org/{'x' * 60}/{i}\n    kind: paper\n"
        for i in range(6500))
    with open(target / "sources.yaml", "a", encoding="utf-8") as fh:
        fh.write(extra)
    return target


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_more_than_a_megabyte_into_head_exits_0(big_kb, tmp_path, fmt):
    env = _env(B12_DATA_DIR=str(big_kb), COLUMNS="200")
    if fmt == "json":  # the shortest of the three: the others are longer still
        full = subprocess.run(_argv("sources", "--format", fmt), capture_output=True, env=env, timeout=300)
        assert full.returncode == 0 and len(full.stdout) > 1_000_000  # so the pipe really breaks
    shell = f"{sys.executable} -m b12cli sources --format {fmt} | head -n 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "error" not in done.stderr


def test_ctrl_c_exits_130_with_a_message(tmp_path):
    proc = subprocess.Popen(_argv("labs", "--input", "-"), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), cwd="/")
    proc.stdin.write("b12\n180\n")
    proc.stdin.flush()
    time.sleep(1.5)  # started and waiting for more rows
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1].startswith("b12: error: interrupted")
    assert "Traceback" not in err


def test_ascii_terminal_degrades_instead_of_crashing():
    env = _env(PYTHONIOENCODING="ascii")
    table = subprocess.run(_argv("rda"), capture_output=True, env=env, timeout=60)
    assert table.returncode == 0, table.stderr
    assert b"Infants 0\\u20136 months" in table.stdout or b"Infants 0-6" in table.stdout
    document = subprocess.run(_argv("rda", "--format", "json"), capture_output=True, env=env, timeout=60)
    assert document.returncode == 0
    assert json.loads(document.stdout)["items"][0]["life_stage"] == "Infants 0\u20136 months"


def test_a_closed_stderr_never_stops_the_data():
    done = subprocess.run(_argv("labs", "--b12", "180", "--mma", "0.5", "--format", "json"),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(), timeout=60,
                          preexec_fn=lambda: os.close(2))
    assert done.returncode == 0
    assert json.loads(done.stdout)["verdict"] == "deficiency_likely"
    table = subprocess.run(_argv("labs", "--b12", "180"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env=_env(), timeout=60, preexec_fn=lambda: os.close(2))
    assert table.returncode == 0 and b"low" in table.stdout


def test_a_closed_stdout_keeps_the_exit_code_and_says_so():
    done = subprocess.run(_argv("labs", "--b12", "100", "--check", "--format", "json"), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=_env(), timeout=60, preexec_fn=lambda: os.close(1))
    assert done.returncode == 3
    assert "standard output is closed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, named", [
    (["labs", "--b12", "180", "--b12", "100"], "--b12"),
    (["labs", "--b12=180", "--b12", "100"], "--b12"),
    (["labs", "--b12", "180", "-f", "json", "--format", "csv"], "--format"),
    (["labs", "--b12", "180", "-fjson", "-f", "csv"], "-f"),
    (["rda", "--age", "30", "--age", "70"], "--age"),
    (["foods", "--limit", "2", "--limit=3"], "--limit"),
])
def test_a_single_valued_option_given_twice_is_refused(b12, args, named):
    result = b12(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"b12: error: {named} is given twice") and result.stderr.count("\n") == 1


def test_repeatable_options_and_values_that_look_like_options_are_fine(b12):
    assert b12("labs", "--b12", "250", "--ref", "b12=200-900", "--ref", "mma=0.1-0.4", "--mma", "0.2").exit_code == 0
    assert b12("foods", "--search", "--limit", "--limit", "1").exit_code == 0  # '--limit' is the search text


@pytest.mark.parametrize("args", [
    ["rda", "--age", "1e-99999999"], ["rda", "--months", "1e-99999999"], ["foods", "--age", "1e-99999999"],
    ["rda", "--age", "1" * 5000], ["rda", "--months", "0." + "0" * 5000 + "1"], ["labs", "--b12", "9" * 400],
])
def test_hostile_numbers_exit_2_at_once(args):
    done = subprocess.run(_argv(*args), capture_output=True, text=True, env=_env(), timeout=20)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("b12: error: ") and done.stderr.count("\n") == 1


def test_the_longest_accepted_number_is_exact(b12):
    """Completed months are exact even for the longest number accepted: just under 7/12 of a year is 6 months."""
    text = "0." + "5" + "8" + "3" * (MAX_NUMBER_CHARS - 5)
    assert len(text) <= MAX_NUMBER_CHARS
    assert b12("rda", "--age", text, "--format", "json").json()["query"]["completed_months"] == 6
    assert b12("rda", "--age", text[:-1] + "4", "--format", "json").json()["query"]["completed_months"] == 7


def test_usage_errors_point_to_the_help_of_the_command_in_use(b12):
    assert "(see 'b12 labs --help')" in b12("labs", "--bogus").stderr
    assert "(see 'b12 --help')" in b12("--bogus").stderr


def test_cb12_possible_deficiency_makes_the_verdict_likely(kb):
    """Every marker but MMA is in range (the rules say `possible`), and cB12 falls in
    possible_deficiency: the more cautious verdict, `likely`, is reported."""
    thresholds = kb.thresholds
    query = labs.LabQuery(labs.read_markers(kb.markers, {"b12": "250", "holotc": "71", "mma": "20", "hcy": "15"},
                                            {"b12": None, "mma": "umol/L"}), parse_age("70"))
    result = labs.interpret(thresholds, query)
    assert result.cb12.category == "possible_deficiency"
    assert [m.status for m in result.markers] == ["normal", "normal", "high", "normal"]
    assert result.verdict == "deficiency_likely"


@pytest.mark.parametrize(("args", "command"), [(["labs", "--b12"], "labs"), (["foods", "--age"], "foods"),
                                               (["meds", "--format"], "meds")])
def test_a_missing_value_points_to_the_command_help(b12, args, command):
    result = b12(*args)
    assert result.exit_code == 2 and f"(see 'b12 {command} --help')" in result.stderr
