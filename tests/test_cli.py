"""The command line as a contract: exit codes, streams, JSON envelopes, help, golden tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from b12cli import __version__
from tests.conftest import modules_loaded
from tests.test_labs import LAB_KEYS

GOLDEN = Path(__file__).parent / "golden"
COMMANDS = ["rda", "foods", "meds", "labs", "history", "risk", "absorb", "intake", "about", "search", "sources",
            "rules", "read", "completion"]

ENVELOPES = {
    ("rda",): ("b12.rda/1", {"schema", "query", "items", "notes"}),
    ("foods",): ("b12.foods/1", {"schema", "daily_value_mcg", "target", "items", "notes"}),
    ("meds",): ("b12.meds.classes/1", {"schema", "items", "notes"}),
    ("meds", "metformin"): ("b12.meds/2", {"schema", "items", "notes"}),
    ("labs", "--b12", "300"): ("b12.labs/1", LAB_KEYS),
    ("rules",): ("b12.rules/1", {"schema", "items", "states", "groups", "far_edges", "egfr", "notes"}),
    ("about",): ("b12.about/1", {"schema", "items", "notes"}),
    ("about", "safety"): ("b12.about.topic/1", {"schema", "id", "title", "summary", "items", "notes"}),
    ("search", "liver"): ("b12.search/1", {"schema", "query", "items", "notes"}),
    ("sources",): ("b12.sources/1", {"schema", "items", "notes"}),
    ("risk",): ("b12.risk/2", {"schema", "query", "advice", "summary", "testing", "testing_text", "urgency",
                               "urgency_text", "items", "factor_advice", "on_b12", "first_test", "if_indeterminate",
                               "medicines", "notes", "disclaimer"}),
    ("absorb", "--dose", "5"): ("b12.absorb/1", {"schema", "query", "items", "notes"}),
    ("intake", "egg"): ("b12.intake/1", {"schema", "query", "warning", "items", "total_mcg", "target",
                                         "percent_of_target", "percent_of_target_text", "absorbed", "crystalline",
                                         "notes"}),
}


@pytest.mark.parametrize(("args", "contract"), ENVELOPES.items(), ids=[" ".join(a) for a in ENVELOPES])
def test_json_envelope_key_sets(b12, args, contract):
    schema, keys = contract
    result = b12(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["schema"] == schema and set(document) == keys
    assert isinstance(document["notes"], list)
    json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"JSON holds {name}"))


@pytest.mark.parametrize("args", [["rda"], ["foods"], ["meds"], ["labs", "--b12", "300"], ["about"],
                                  ["search", "liver"], ["sources"], ["risk"], ["absorb", "--dose", "5"],
                                  ["intake", "egg"]])
def test_json_stdout_is_pure_json_and_notes_are_not_on_stderr_in_json_mode(b12, args):
    result = b12(*args, "--format", "json")
    json.loads(result.stdout)
    assert result.stderr == ""


def test_output_shape_depends_only_on_format(b12):
    plain = b12("labs", "--b12", "180", "--format", "json").stdout
    coloured = b12("labs", "--b12", "180", "--format", "json", env={"NO_COLOR": None, "FORCE_COLOR": "1"}).stdout
    assert plain == coloured


def test_colour_honours_no_color(b12):
    forced = b12("labs", "--b12", "180", env={"NO_COLOR": None, "FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in forced.stdout
    assert "\x1b[" not in b12("labs", "--b12", "180").stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_two_to_four_examples(b12, command):
    result = b12(command, "--help")
    assert result.exit_code == 0
    examples = [line for line in result.stdout.splitlines() if line.strip().startswith(f"b12 {command}")]
    assert "Examples:" in result.stdout and 2 <= len(examples) <= 4, result.stdout


def test_units_survive_in_help_and_tables(b12):
    assert "pg/mL (default), ng/L or pmol/L" in b12("labs", "--help").stdout
    assert "Amount (mcg/day)" in b12("rda").stdout


def test_no_command_prints_help(b12):
    result = b12()
    assert result.exit_code == 0 and "Usage" in result.stdout and "labs" in result.stdout


def test_version(b12):
    result = b12("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"b12 {__version__}"


@pytest.mark.parametrize("args", [["nosuch"], ["labs", "--nope"], ["rda", "--age"], ["search"]])
def test_usage_errors_are_one_line_exit_2(b12, args):
    result = b12(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1


# ------------------------------------------------------------------ golden tables

GOLDEN_CASES = {
    "rda_age_70": ["rda", "--age", "70"],
    "labs_180_mma_05": ["labs", "--b12", "180", "--mma", "0.5"],
    "labs_four_markers": ["labs", "--holotc", "30", "--b12", "180", "--b12-unit", "pmol/L", "--mma", "0.5",
                          "--hcy", "15", "--age", "70"],
    "meds_lookup": ["meds", "omeprazole", "Pepcid", "aspirin", "omeprazol"],
    "foods_vegan_top5": ["foods", "--vegan", "--limit", "5"],
    "foods_age_70_top5": ["foods", "--age", "70", "--limit", "5"],
    "meds_list": ["meds"],
    "labs_pmol_with_ref": ["labs", "--holotc", "40", "--b12", "133", "--b12-unit", "pmol/L", "--mma", "0.5",
                           "--hcy", "18", "--age", "70", "--ref", "b12=120-700"],
    "about_safety": ["about", "safety"],
    "risk_tingling_metformin": ["risk", "--symptom", "tingling", "--factor", "metformin", "--age", "70"],
    "absorb_1000": ["absorb", "--dose", "1000"],
    "intake_salmon_egg_70": ["intake", "salmon", "egg:2", "--supplement", "250", "--age", "70"],
    "labs_limits_and_ranges": ["labs", "--b12", "<250", "--mma", "0.5", "--ref", "mma=0-378 nmol/L", "--hcy", "150"],
}


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_table_output(b12, name, width):
    result = b12(*GOLDEN_CASES[name], env={"COLUMNS": str(width)})
    assert result.exit_code == 0
    command = f"$ COLUMNS={width} b12 {' '.join(GOLDEN_CASES[name])}"
    text = f"{command}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    path = GOLDEN / f"{name}_{width}.txt"
    if os.environ.get("B12_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"rerun with B12_UPDATE_GOLDEN=1 if the change to {name} is wanted"


# ------------------------------------------------------------------ real processes


def _proc(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", **env}
    return subprocess.run([sys.executable, "-m", "b12cli", *args], capture_output=True, text=True, input=stdin,
                          env=environment, cwd=Path("/"), timeout=60)


def test_python_m_runs_from_another_folder():
    done = _proc("labs", "--b12", "180", "--mma", "0.5", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "deficiency_likely"


def test_subprocess_error_is_one_line_without_traceback():
    done = _proc("labs", "--b12", "NaN")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("b12: error: ") and "Traceback" not in done.stderr


BROKEN_LABS = ("import sys\n"
               "import b12cli.domain.labs as labs\n"
               "def broken(*args, **kwargs):\n"
               "    raise ZeroDivisionError('forced for the test')\n"
               "labs.interpret = broken\n"
               "from b12cli.entry import main\n"
               "main()\n")


@pytest.mark.parametrize(("how", "traced"), [([], False), (["--traceback"], True), (["B12_DEBUG=1"], True),
                                              (["B12_DEBUG=0"], False)])
def test_an_internal_error_exits_70_and_shows_its_trace_only_when_asked(how, traced):
    """A bug is exit 70, apart from a knowledge-base error (1) and a failed write (74); the one-line
    message says how to see where; --traceback or B12_DEBUG=1 shows the trace."""
    flags = [h for h in how if h.startswith("--")]
    env = {**os.environ, **dict(h.split("=") for h in how if "=" in h)}
    done = subprocess.run([sys.executable, "-c", BROKEN_LABS, *flags, "labs", "--b12", "180"], capture_output=True,
                          text=True, env=env, cwd="/", timeout=60)
    assert done.returncode == 70 and done.stdout == ""
    last = done.stderr.splitlines()[-1]
    assert last.startswith("b12: error: internal error: ZeroDivisionError: forced for the test")
    assert ("Traceback (most recent call last)" in done.stderr) == traced
    assert ('in single\n    result = core.interpret(' in done.stderr) == traced  # the frame that called the bug
    if not traced:
        assert done.stderr.count("\n") == 1 and "--traceback" in last


def test_json_path_imports_neither_rich_nor_yaml_nor_pydantic_once_compiled(tmp_path):
    """Typer builds a Pydantic validator for a parameter only when asked to coerce it: b12 takes its
    values as given, so a normal run never imports Pydantic (the largest part of Typer's start-up)."""
    _, loaded = modules_loaded(["labs", "--b12", "180", "--mma", "0.5", "--format", "json"], tmp_path,
                               {"rich", "yaml", "pydantic"})
    assert loaded == set()


def test_an_ascii_terminal_gets_plain_dashes_and_quotes_not_escapes():
    """usability #20: 'range 197\\u2013771 ng/L' on PYTHONIOENCODING=ascii."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "b12cli", "rda", "--age", "70"], capture_output=True, env=env,
                          cwd="/", timeout=60)
    out = done.stdout.decode("ascii")
    assert done.returncode == 0 and "10-30%" in out and "\\u" not in out


@pytest.mark.parametrize(("text", "shown"), [
    ("10\u201330% \u2264150 \u2265 2 \u00b5mol/L \u201cso\u201d", '10-30% <=150 >= 2 umol/L "so"'),
    ("Sj\u00f6gren caf\u00e9", "Sjogren cafe"),  # accents dropped
    ("\u6f22 \U0001f600", "\\u6f22 \\U0001f600"),  # no ASCII form: escaped, never an error
])
def test_the_ascii_fold(text, shown):
    from b12cli.output.streams import FOLD_ERRORS

    assert text.encode("ascii", FOLD_ERRORS).decode("ascii") == shown
