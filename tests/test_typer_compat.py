"""Each use of Typer's internals (``b12cli/typer_compat.py``) held by a test of the behaviour it gives, so an
upgrade of Typer that breaks one fails here first; and the installed Typer is one the shims are tested with."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version

import pytest

from b12cli import typer_compat
from tests.conftest import REPO
from tests.test_cli import COMMANDS


def test_the_installed_typer_is_a_tested_version():
    installed = version("typer")
    assert installed.rsplit(".", 1)[0] in typer_compat.TESTED_TYPER, installed
    pinned = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"typer>=0.29,<0.30"' in pinned  # the range pyproject pins is the range tested here


def test_take_as_given_keeps_values_as_typed_and_builds_no_validator(tmp_path):
    """Values reach the command as typed (b12 parses them itself), and Pydantic is never imported."""
    code = ("import sys; from b12cli.app import run\n"
            "try: run(['labs','--b12','180','--mma','0.5','--format','json'])\n"
            "except SystemExit: pass\n"
            "print('pydantic' in sys.modules, file=sys.stderr)")
    env = {**os.environ, "B12_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "False"


def test_word_types_show_the_metavar_not_a_python_type(b12):
    text = b12("labs", "--help").stdout
    assert "NUMBER" in text and "UNIT" in text and "<bool>" not in text and "TEXT" not in text


def test_tidy_help_leaves_no_trailing_space_and_no_style_with_no_color(b12):
    text = b12("labs", "--help").stdout
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "\x1b[" not in text


def test_refuse_repeats_refuses_a_single_valued_option_given_twice(b12):
    result = b12("labs", "--b12", "180", "--b12=100")
    assert result.exit_code == 2 and "--b12 is given twice ('180' and '100')" in result.stderr
    assert b12("labs", "--b12", "300", "--ref", "b12=200-900", "--ref", "mma=0-0.4").exit_code == 0  # repeatable


def test_with_parameters_builds_an_option_for_each_marker_of_the_registry(b12, registry):
    text = b12("labs", "--help").stdout
    for marker in registry.markers:
        assert marker.option in text
    assert b12("labs", "--active-b12", "80", "--format", "json").json()["markers"][0]["marker"] == "holotc"


def test_completion_script_is_typers_own_for_b12(b12):
    script = b12("completion", "bash").stdout
    assert "_B12_COMPLETE" in script and "complete -o default -F" in script


@pytest.mark.parametrize("command", [None, *COMMANDS])
@pytest.mark.parametrize("width", [40, 59])
def test_plain_help_below_60_columns_never_cuts_an_option_name(b12, command, width):
    """usability #19: Rich's boxes cut option names at 40 columns (--b12-u…); below 60 columns the
    help is Click's plain layout with each description under its option."""
    args = [command, "--help"] if command else ["--help"]
    text = b12(*args, env={"COLUMNS": str(width)}).stdout
    wide = b12(*args, env={"COLUMNS": "200"}).stdout
    assert "…" not in text and "╭" not in text
    names = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", wide))
    assert names and names <= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", text))
    examples = {line.strip() for line in wide.splitlines() if line.strip().startswith("b12 ")}
    assert examples <= {line.strip() for line in text.splitlines()}  # each example whole, on one line
    described = [line for line in text.splitlines() if line.startswith("      ")]
    assert described and all(len(line) <= width for line in described)


def test_help_at_60_columns_keeps_the_rich_layout(b12):
    assert "╭" in b12("labs", "--help", env={"COLUMNS": "60"}).stdout
