"""Property-based fuzzing of every command line, built from the real option set.

Whatever is typed: no traceback, an exit code in {0, 1, 2, 3, 4}, JSON that parses (never NaN),
and an exit 2 always explained on stderr. CI runs this derandomised with a bounded budget;
`HYPOTHESIS_PROFILE=long` runs 10,000 examples per command.
"""

from __future__ import annotations

import json

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import app_without_cache

app = app_without_cache()

COMMAND = typer.main.get_command(app)
HOSTILE = [
    "", " ", "\t", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "9" * 400, "-1", "0",
    "0.0", "-0", "1e-400", "0x10", "1_000", "١٢٣", "１２", "²", "😀", "\x00", "12\x00", "12 34", "1,5", ".",
    "pg/ml", "pmol", "µmol/L", "umol", "nmol/l", "mg/dL", "b12=900-100", "b12=1-2", "mma=0.2-0.4", "hcy=",
    "=", "-", "--", "documents", "nice", "NICE", "json", "csv", "jsonl", "table", "TABLE", "xml", "180", "0.5",
    "350", "70", "14", "13", "125", "126", "omeprazol", "symptoms", "yeast", "\u202e", "a" * 300, "b12", "name",
]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.integers(min_value=-10**30, max_value=10**30).map(str))


def options(command_name: str):
    """(flags, options taking a value, takes arguments) from the command Typer builds."""
    command = COMMAND.commands[command_name]
    flags, valued, arguments = [], [], False
    for param in command.params:
        if param.param_type_name == "argument":
            arguments = True
        elif getattr(param, "is_flag", False):
            flags.extend(param.opts)
        else:
            valued.extend(param.opts)
    return flags, valued, arguments


@st.composite
def command_lines(draw, name: str) -> list[str]:
    flags, valued, arguments = options(name)
    args = [name]
    for _ in range(draw(st.integers(0, 6))):
        if flags and (not valued or draw(st.booleans())):
            args.append(draw(st.sampled_from(flags)))
        elif valued:
            args += [draw(st.sampled_from(valued)), draw(VALUES)]
    if arguments:
        args += draw(st.lists(VALUES, max_size=3))
    if draw(st.booleans()):
        args += ["--format", "json"]
    return args


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"JSON holds {name}, which is not JSON")


def check(args: list[str], stdin: bytes | None = None) -> None:
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert result.exit_code in {0, 1, 2, 3, 4}, (args, result.exit_code, result.stderr)
    assert result.exit_code != 1, (args, result.stderr)  # the bundled knowledge base is valid: 1 is a bug
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    if result.exit_code == 2:
        assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1, (args, result.stderr)
    asked_json = args[-2:] == ["--format", "json"] and "--" not in args and "--input" not in args
    if result.exit_code in (0, 3) and asked_json:
        document = json.loads(result.stdout, parse_constant=_refuse_constant)
        assert document["schema"].startswith("b12.")


FUZZ = settings(max_examples=40)  # bounded: enough to reach every option and value kind, quick to run


@pytest.mark.parametrize("name", sorted(COMMAND.commands))
def test_every_command_survives_hostile_command_lines(name):
    @FUZZ
    @given(command_lines(name))
    def run(args):
        check(args)

    run()


@FUZZ
@given(body=st.binary(max_size=400), fmt=st.sampled_from(["jsonl", "csv"]))
def test_batch_survives_hostile_stdin(body, fmt):
    check(["labs", "--input", "-", "--format", fmt], stdin=b"id,b12,mma,hcy,holotc,age\n" + body)


PER_OPTION = 15  # hostile values tried per option: each value reaches many options across the set


def _single_option_cases():
    """Every valued option of every command with hostile values, alone (plus a valid marker for labs so the
    option itself is what is judged): each option gets PER_OPTION values, taken round the list so that every
    value reaches options of every command."""
    n = 0
    for name in sorted(COMMAND.commands):
        _, valued, arguments = options(name)
        base = ["labs", "--b12", "300"] if name == "labs" else [name]
        for opt in [o for o in valued if o.startswith("--")] + (["(argument)"] if arguments else []):
            for k in range(PER_OPTION):
                value = HOSTILE[(n * PER_OPTION + k) % len(HOSTILE)]
                if opt == "(argument)":
                    yield [name, value, "--format", "json"]
                else:
                    yield [*base, opt, value] if opt != "--b12" else ["labs", opt, value]
            n += 1


@pytest.mark.parametrize("chunk", range(2))
def test_every_option_with_hostile_values(chunk):
    cases = list(_single_option_cases())
    assert len(cases) > 500 and {c[-1] for c in cases} >= set(HOSTILE)
    for args in cases[chunk::2]:
        check(args)
