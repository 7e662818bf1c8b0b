"""Help like gh (-h everywhere, option values as words), errors that name the command in use,
and shell completion for bash, zsh and fish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import COMMANDS


@pytest.mark.parametrize("args", [["-h"]] + [[c, "-h"] for c in COMMANDS])
def test_dash_h_works_everywhere(b12, args):
    result = b12(*args)
    assert result.exit_code == 0 and "Usage: b12" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_python_types(b12, command):
    out = b12(command, "--help").stdout
    for python_type in ("<bool>", "<list", "<str>", "<int>", "<float>", "TEXT...]...", "{TEXT"):
        assert python_type not in out, python_type


def test_help_names_values_as_words_and_lists_choices(b12):
    out = b12("labs", "--help").stdout
    assert "NUMBER" in out and "UNIT" in out and "pg/mL (default), ng/L or pmol/L" in out
    assert "or nice (NICE NG239)" in out
    assert "mcg (largest first), per100g or name" in b12("foods", "--help").stdout


def test_examples_are_kept_on_their_own_lines_at_80_columns(b12):
    out = b12("labs", "--help", env={"COLUMNS": "80"}).stdout
    assert "   b12 labs --b12 180 --mma 0.5" in out
    assert "   b12 labs --b12 250 --ref b12=200-900 --check" in out


def test_an_option_of_another_command_is_named_as_such(b12):
    result = b12("foods", "--mma-unit", "nmol/L")
    assert result.exit_code == 2
    assert result.stderr == ("b12: error: --mma-unit is not an option of foods; it is an option of labs, history "
                             "(see 'b12 foods --help')\n")


def test_an_unknown_option_gets_a_near_spelling_only(b12):
    assert "did you mean --vegan?" in b12("foods", "--vegn").stderr
    assert b12("foods", "--zzz").stderr == "b12: error: --zzz is not an option of foods (see 'b12 foods --help')\n"


def test_a_root_option_error_points_at_root_help_or_the_command_that_has_it(b12):
    assert b12("--nope").stderr == "b12: error: --nope is not an option of b12 itself (see 'b12 --help')\n"
    assert b12("--b12", "180").stderr == ("b12: error: --b12 is not an option of b12 itself; it is an option of "
                                          "labs (see 'b12 labs --help')\n")


# ------------------------------------------------------------------ completion


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", **env}
    return subprocess.run([sys.executable, "-c", "from b12cli.entry import main; main()", *args], capture_output=True,
                          text=True, env=environment, cwd=Path("/"), timeout=60)


def _complete(line: str) -> list[str]:
    words = line.split(" ")
    done = _run(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1), _B12_COMPLETE="complete_bash")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


SCRIPT_MARK = {"bash": "complete -o default -F _b12_completion b12", "zsh": "compdef _b12_completion b12",
               "fish": "complete --command b12"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("how", [["--show-completion"], ["completion"], ["--show-completion="]])
def test_show_completion_prints_the_script_of_the_shell_named(shell, how):
    args = [how[0] + shell] if how[0].endswith("=") else [how[0], shell]
    done = _run(*args)
    assert done.returncode == 0 and SCRIPT_MARK[shell] in done.stdout and "_B12_COMPLETE" in done.stdout
    assert all(SCRIPT_MARK[other] not in done.stdout for other in SCRIPT_MARK if other != shell)


def test_completion_of_an_unknown_shell_is_a_usage_error(b12):
    result = b12("completion", "tcsh")
    assert result.exit_code == 2
    assert result.stderr == "b12: error: shell 'tcsh' is not supported; expected one of bash, zsh, fish\n"


@pytest.mark.parametrize("instruction", ["source_bash", "bash_source"])
def test_completion_source_in_both_spellings(instruction):
    done = _run(_B12_COMPLETE=instruction)
    assert done.returncode == 0 and "complete -o default -F _b12_completion b12" in done.stdout


@pytest.mark.parametrize(("line", "offered"), [
    ("b12 la", {"labs"}),
    ("b12 labs --sch", {"--scheme"}),
    ("b12 labs --b12-unit ", {"pg/mL", "ng/L", "pmol/L"}),
    ("b12 labs --mma-unit n", {"nmol/L"}),
    ("b12 labs --scheme ", {"documents", "nice"}),
    ("b12 about sy", {"symptoms"}),
    ("b12 meds omep", {"omeprazole"}),
    ("b12 meds Pep", {"Pepcid"}),
    ("b12 foods --search salm", {"salmon"}),
    ("b12 foods --format ", {"table", "json", "csv"}),
])
def test_completion_offers_commands_options_and_values(line, offered):
    assert offered <= set(_complete(line))


@pytest.mark.parametrize("cword", ["x", "", "-1", "+1", " 1", "1.5", "\u0661", "1\n"])
def test_a_malformed_comp_cword_is_a_one_line_usage_error(cword):
    done = _run(COMP_WORDS="b12 la", COMP_CWORD=cword, _B12_COMPLETE="complete_bash")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("b12: error: shell completion: COMP_CWORD ") and done.stderr.count("\n") == 1
    assert "is not a word number; bash sets it to a whole number" in done.stderr and done.stdout == ""


def test_a_comp_cword_too_long_for_a_number_is_a_one_line_usage_error():
    done = _run(COMP_WORDS="b12 la", COMP_CWORD="9" * 5000, _B12_COMPLETE="complete_bash")
    assert done.returncode == 2
    assert done.stderr == ("b12: error: shell completion: COMP_CWORD is a number of 5,000 digits, too large to be "
                           "the number of a word\n")


@pytest.mark.parametrize(("missing", "given"), [("COMP_WORDS", {"COMP_CWORD": "1"}),
                                                ("COMP_CWORD", {"COMP_WORDS": "b12 la"})])
def test_a_missing_completion_variable_is_named_in_a_one_line_usage_error(missing, given):
    environment = {k: v for k, v in os.environ.items() if k not in ("COMP_WORDS", "COMP_CWORD")}
    done = subprocess.run([sys.executable, "-c", "from b12cli.entry import main; main()"], capture_output=True,
                          text=True, env={**environment, **given, "_B12_COMPLETE": "complete_bash"}, cwd=Path("/"),
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"b12: error: shell completion: {missing} is not set; bash sets COMP_WORDS and "
                           "COMP_CWORD while completing a b12 command line\n")


EVERY_COMMAND = {"rda", "foods", "meds", "labs", "about", "search", "sources", "risk", "absorb", "intake", "history",
                 "rules", "read"}


@pytest.mark.parametrize(("cword", "offered"), [("0", set()), ("1", {"labs"}), ("7", EVERY_COMMAND),
                                                ("9" * 4000, EVERY_COMMAND)])
def test_any_whole_comp_cword_completes_without_error(cword, offered):
    """Word 0 is the program (nothing to offer); past the last word, a new word: every command."""
    done = _run(COMP_WORDS="b12 la", COMP_CWORD=cword, _B12_COMPLETE="complete_bash")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert set(done.stdout.split()) - {"completion"} == offered


@pytest.mark.parametrize("args", [["-h"], ["labs", "-h"], ["foods", "-h"]])
def test_help_has_no_trailing_spaces_and_no_style_with_no_color(b12, args):
    out = b12(*args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": "1"}).stdout
    assert "\x1b" not in out
    assert all(line == line.rstrip() for line in out.splitlines())
    assert "\n\n\n" not in out.rstrip()


# --- completion of risk names, diets and intake foods (read from the knowledge base only while completing) -------

@pytest.mark.parametrize(("line", "offered"), [
    ("b12 risk --symptom ting", {"tingling"}),
    ("b12 risk -s numb", {"numb", "numbness"}),
    ("b12 risk --factor metf", {"metformin"}),
    ("b12 risk --factor preg", {"pregnancy", "pregnant"}),
    ("b12 risk --diet ", {"vegan", "vegetarian"}),
    ("b12 risk --meds omep", {"omeprazole"}),
    ("b12 intake salm", {"salmon", "salmon-atlantic-farmed-cooked"}),
    ("b12 intake beef-li", {"beef-liver-pan-fried"}),
    ("b12 intake marm", {"marmite"}),
])
def test_completion_of_risk_names_diets_and_intake_foods(line, offered):
    assert offered <= set(_complete(line)), _complete(line)


def test_completion_of_intake_servings_offers_nothing():
    assert _complete("b12 intake salmon:") == []


def test_completion_callables_read_the_knowledge_base(kb):
    from b12cli.commands.intake import complete_intake_food
    from b12cli.commands.options import complete_diet
    from b12cli.commands.risk import complete_factor, complete_symptom

    assert set(complete_symptom("")) == {n for s in kb.risk.symptoms for n in (s.id, *s.aliases)}
    assert set(complete_factor("")) == {n for f in kb.risk.factors for n in (f.id, *f.aliases)}
    assert complete_diet("veg") == ["vegan", "vegetarian"]
    assert {f.id for f in kb.foods.foods} <= set(complete_intake_food(""))
