"""A hostile B12_DATA_DIR: each file gives exit 1 with one line naming the file, quickly, and
never a crash, a hang or a huge cache. Anything that could crash the interpreter or hang runs
in a subprocess with a timeout, so a segfault shows as a return code instead of killing pytest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from b12cli.kb.yamlsafe import MAX_DEPTH, RefusedYAML, _path_to, check_events, load, scan_depth
from tests.conftest import DATA, REPO


def b12_subprocess(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b12cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=timeout, cwd=REPO)


def assert_refused(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert done.stderr.startswith("b12: error: ") and done.stderr.count("\n") == 1, done.stderr[-500:]
    for needle in needles:
        assert needle in done.stderr


@pytest.mark.parametrize("text", ["[" * 100_000, "{" * 100_000, "- " * 100_000 + "x",
                                  "".join(" " * i + f"k{i}:\n" for i in range(2000)),
                                  "topics:\n  " + "[" * 100_000 + "]" * 100_000])
def test_deep_nesting_exits_1_naming_the_file(kb_copy, text):
    (kb_copy / "topics.yaml").write_text(text, encoding="utf-8")
    assert_refused(b12_subprocess("about"), "topics.yaml: ", "nested more than 64 levels deep")


def test_nesting_up_to_the_cap_is_parsed():
    """The text scan may count a level or two more than there are (it is conservative); the
    parser-event check is exact."""
    assert load("[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2)) is not None
    check_events("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH)
    with pytest.raises(RefusedYAML, match="nested more than"):
        check_events("[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1))
    with pytest.raises(RefusedYAML, match="nested more than"):
        scan_depth("[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1))


def test_the_depth_scan_runs_before_the_parser():
    """A deep file that is also broken YAML early on: only a scan of the text reports the depth."""
    with pytest.raises(RefusedYAML, match="nested more than 64 levels deep .line 2"):
        load("]\n" + "[" * 100)


@pytest.mark.parametrize("text", [
    "a: \"[[[[[[[[[[\"\n" * 10, "a: '{{{{{{{{{{'\n" * 10, "a: see [1\n" * 100,
    "a: [don't, stop]\n" * 100, "a: |\n" + "".join(" " * (i + 2) + "x\n" for i in range(100)),
    "# [[[[[[[[[[[[[[\n" * 100,
])
def test_the_depth_scan_is_not_fooled_by_brackets_in_text(text):
    scan_depth(text)
    yaml.safe_load(text)  # and it is valid YAML


def test_the_bundled_files_are_well_inside_the_cap():
    for path in DATA.glob("*.yaml"):
        scan_depth(path.read_text(encoding="utf-8"), limit=12)


def alias_bomb(levels: int = 12) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_exits_1(kb_copy):
    (kb_copy / "topics.yaml").write_text(alias_bomb(), encoding="utf-8")
    assert_refused(b12_subprocess("about"), "topics.yaml: a0: anchors (&a0) are not allowed (line 1)")


def test_anchors_and_aliases_are_refused_even_when_harmless(b12, kb_copy):
    path = kb_copy / "intakes.yaml"
    text = path.read_text(encoding="utf-8")
    assert "sources: [iom-1998" in text
    path.write_text(text.replace("sources: [iom-1998", "sources: &s [iom-1998", 1), encoding="utf-8")
    result = b12("rda")
    assert result.exit_code == 1
    assert "intakes.yaml: life_stages[0].sources: anchors (&s) are not allowed" in result.stderr


def test_the_error_reporter_is_bounded_on_shared_nodes():
    """The path finder visits each node once, so an alias bomb's graph (9**12 paths) is walked quickly."""
    code = ("import yaml, sys; sys.path.insert(0, '.');"
            "from tests.test_hostile_kb import alias_bomb; from b12cli.kb.yamlsafe import _path_to;"
            "print(_path_to(yaml.compose(alias_bomb(), Loader=yaml.SafeLoader), 10**6, 0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr[-500:]


def test_the_error_reporter_still_names_the_key():
    root = yaml.compose("a:\n  b:\n    - x: 1\n      y: 2\n", Loader=yaml.SafeLoader)
    assert _path_to(root, 3, 6) == "a.b[0].y"
    assert _path_to(root, 3, 9) == "a.b[0].y"


@pytest.mark.parametrize(("tag", "shown"), [("!!int 4", "!!int"), ("!!float 0.4", "!!float"), ("!!str x", "!!str"),
                                            ("!foo 0.4", "!foo"), ("! 0.4", "!"),
                                            ("!!python/object/apply:os.getcwd []", "!!python/object/apply:os.getcwd")])
def test_every_explicit_tag_is_refused_naming_the_key(b12, kb_copy, tag, shown):
    path = kb_copy / "intakes.yaml"
    text = path.read_text(encoding="utf-8")
    assert "mcg_per_day: 0.4" in text
    path.write_text(text.replace("mcg_per_day: 0.4", f"mcg_per_day: {tag}", 1), encoding="utf-8")
    result = b12("rda")
    assert result.exit_code == 1
    assert f"intakes.yaml: life_stages[0].mcg_per_day: tag not allowed: {shown} (line " in result.stderr


def test_a_tag_on_a_list_is_refused(b12, kb_copy):
    path = kb_copy / "intakes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("sources: [iom-1998", "sources: !!seq [iom-1998", 1), encoding="utf-8")
    result = b12("rda")
    assert result.exit_code == 1 and "life_stages[0].sources: tag not allowed: !!seq" in result.stderr


def test_an_impossible_date_is_an_error_not_a_crash(b12, kb_copy):
    path = kb_copy / "intakes.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mcg_per_day: 0.4", "mcg_per_day: 2001-02-30", 1),
                    encoding="utf-8")
    result = b12("rda")
    assert result.exit_code == 1
    assert result.stderr.startswith("b12: error: intakes.yaml: life_stages[0].mcg_per_day: unquoted '2001-02-30' "
                                    "is a date to YAML 1.1 but text to YAML 1.2; quote it (line 17)")


# Unquoted values that YAML 1.1 (PyYAML) and YAML 1.2 read differently: each one is refused naming
# the key, with how each version reads it and what to write instead, so a knowledge-base number never
# depends on which YAML library reads the file.
@pytest.mark.parametrize(("plain", "says"), [
    ("1_000", "is the number 1000 to YAML 1.1 but text to YAML 1.2; write 1000, or quote"),
    ("0.4_0", "is the number 0.4 to YAML 1.1 but text to YAML 1.2; write 0.4, or quote"),
    ("+1_0", "is the number 10 to YAML 1.1 but text to YAML 1.2; write 10, or quote"),
    ("010", "is the number 8 to YAML 1.1 but the number 10 to YAML 1.2; write 10, or quote"),
    ("0108", "is text to YAML 1.1 but the number 108 to YAML 1.2; write 108, or quote"),
    ("08", "is text to YAML 1.1 but the number 8 to YAML 1.2; write 8, or quote"),
    ("0x10", "is the number 16 but not written as a plain decimal; write 16, or quote"),
    ("0b11", "is the number 3 to YAML 1.1 but text to YAML 1.2; write 3, or quote"),
    ("0o10", "is text to YAML 1.1 but the number 8 to YAML 1.2; write 8, or quote"),
    ("1:20", "is the number 80 to YAML 1.1 but text to YAML 1.2; write 80, or quote"),  # base 60
    ("1e3", "is text to YAML 1.1 but the number 1000 to YAML 1.2; write 1000, or quote"),
    ("1.0e3", "is text to YAML 1.1 but the number 1000 to YAML 1.2; write 1000, or quote"),
    ("-.5", "is text to YAML 1.1 but the number -0.5 to YAML 1.2; write -0.5, or quote"),
    ("2e-7", "is text to YAML 1.1 but the number 2.0e-07 to YAML 1.2; write 2.0e-07, or quote"),
    ("1e20", "is text to YAML 1.1 but the number 1.0e+20 to YAML 1.2; write 1.0e+20, or quote"),
    (".inf", "is not a finite number; quote it if text is meant"),
    ("-.Inf", "is not a finite number"),
    (".NaN", "is not a finite number"),
    ("1e400", "is not a finite number"),
    ("yes", "is true/false to YAML 1.1 but text to YAML 1.2; write true or false, or quote"),
    ("Off", "is true/false to YAML 1.1 but text to YAML 1.2"),
    ("2001-02-03", "is a date to YAML 1.1 but text to YAML 1.2; quote it"),
    ("2001-02-03 10:00:00", "is a date to YAML 1.1 but text to YAML 1.2"),
    ("<<", "has a special meaning in YAML 1.1 (merge); quote it"),
    ("=", "has a special meaning in YAML 1.1 (value); quote it"),
])
def test_a_value_read_differently_by_yaml_versions_is_refused_naming_the_key(plain, says):
    with pytest.raises(RefusedYAML) as caught:
        load(f"life_stages:\n  - id: adults\n    mcg_per_day: {plain}\n")
    assert str(caught.value).startswith(f"life_stages[0].mcg_per_day: unquoted {plain!r} {says}")
    assert str(caught.value).endswith("(line 3)")


@pytest.mark.parametrize(("plain", "number"), [("1_000", 1000), ("010", 10), ("08", 8), ("1e3", 1000), ("0x10", 16),
                                               ("1:20", 80), ("-.5", -0.5), ("2e-7", 2e-7), ("1e20", 1e20)])
def test_the_suggested_spelling_is_accepted_and_gives_that_number(plain, number):
    """Following the advice must work: what the message says to write loads, as that number."""
    with pytest.raises(RefusedYAML) as caught:
        load(f"a: {plain}\n")
    advice = str(caught.value).split("; write ", 1)[1].split(", or quote", 1)[0]
    loaded = load(f"a: {advice}\n")["a"]
    assert loaded == number and type(loaded) is type(number)


@pytest.mark.parametrize(("key", "says"), [("on", "is true/false to YAML 1.1 but text to YAML 1.2; quote it"),
                                           ("010", "is the number 8 to YAML 1.1 but the number 10 to YAML 1.2; "
                                                   "quote it")])
def test_a_key_read_differently_is_refused_with_advice_for_a_key(key, says):
    with pytest.raises(RefusedYAML) as caught:
        load(f"life_stages:\n  - {key}: 1\n")
    assert str(caught.value) == f"life_stages[0].{key}: unquoted {key!r} {says} (line 2)"


def test_a_number_too_long_to_be_a_figure_is_refused_before_it_is_converted():
    digits = "9" * 300_000
    with pytest.raises(RefusedYAML) as caught:
        load(f"a:\n  b: {digits}\n")
    message = str(caught.value)
    assert message.startswith("a.b: unquoted number '9999")
    assert message.endswith("...' is 300,000 characters long (at most 64) (line 2)")
    assert len(message) < 200


def test_a_long_malformed_number_is_shown_shortened():
    with pytest.raises(RefusedYAML) as caught:
        load("a: 1" + "_" * 100_000 + "0\n")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(("char", "name"), [("\x85", "NEXT LINE"), ("\u2028", "LINE SEPARATOR"),
                                            ("\u2029", "PARAGRAPH SEPARATOR")])
@pytest.mark.parametrize("where", ["after a value", "in a comment", "in quoted text"])
def test_a_yaml_1_1_line_break_character_is_refused_on_the_line_editors_show(char, name, where):
    lines = ["# header", "life_stages:", "  - id: adults", "    mcg_per_day: 0.4", "    kind: RDA"]
    if where == "after a value":
        lines[3] += char
    elif where == "in a comment":
        lines[0] += char + " more"
    else:
        lines[4] = f'    kind: "R{char}DA"'
    with pytest.raises(RefusedYAML) as caught:
        load("\r\n".join(lines) + "\n")
    line = {"after a value": 4, "in a comment": 1, "in quoted text": 5}[where]
    assert str(caught.value) == (f"character U+{ord(char):04X} ({name}) ends a line in YAML 1.1 but not in YAML 1.2; "
                                 f"replace it with an ordinary line break or a space (line {line})")


def test_lines_are_counted_as_editors_count_them_in_depth_errors():
    """Only CR LF, CR and LF end a line (a form feed in a comment does not), as in YAML and editors."""
    deep = "".join(" " * (i + 1) + f"k{i}:\n" for i in range(70))
    with pytest.raises(RefusedYAML) as plain:
        scan_depth("# a comment\na: 1\nb: 2\nc:\n" + deep)
    with pytest.raises(RefusedYAML) as mixed:
        scan_depth("# a\x0ccomment\ra: 1\r\nb: 2\nc:\n" + deep)
    assert str(plain.value) == str(mixed.value) == "nested more than 64 levels deep (line 68)"


def _yaml12(text: str):
    """YAML 1.2 core schema's reading of a plain scalar that looks like a number (an oracle written
    apart from the code under test): an int, a float, or None for text."""
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"0o[0-7]+|0x[0-9a-fA-F]+", text):
        return int(text[2:], 8 if text[1] == "o" else 16)
    if re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", text):
        return float(text)
    return None


@given(st.text(alphabet="0129._-+:eExobT ", min_size=1, max_size=10))
@example("0x_")  # PyYAML's int pattern admits it, its constructor cannot read it
@example("0b_")
@example("010")
@example("1:20")
def test_a_numberlike_value_either_loads_as_yaml_1_2_reads_it_or_is_refused(text):
    """Never a crash, and never a number (or text) that YAML 1.2 would read otherwise; keys too."""
    for document in (f"a: {text}\n", f"{text}: 1\n"):
        try:
            loaded = load(document)
        except yaml.YAMLError:
            continue
        if not isinstance(loaded, dict) or len(loaded) != 1:
            continue  # the text made structure (a list, a nested key): not one scalar
        key, value = next(iter(loaded.items()))
        value = value if document.startswith("a:") else key
        if isinstance(value, (bool, list, dict)) or value is None:
            continue
        expected = _yaml12(text.strip())
        if isinstance(value, str):
            assert expected is None, (text, value)
        else:
            assert value == expected and type(value) is type(expected), (text, value, expected)


@pytest.mark.parametrize("plain", ["1_000", "yes", "1e3", "010"])
def test_the_same_text_quoted_is_plain_text(plain):
    assert load(f"a: '{plain}'\nb: \"{plain}\"\n") == {"a": plain, "b": plain}


@pytest.mark.parametrize(("plain", "value"), [
    ("0", 0), ("2400", 2400), ("-3", -3), ("+12", 12), ("0.4", 0.4), ("-0.5", -0.5), (".5", 0.5), ("1.", 1.0),
    ("6.8e-3", 0.0068), ("1.5e+3", 1500.0), ("true", True), ("FALSE", False), ("~", None), ("null", None),
    ("", None), ("omeprazole", "omeprazole"), ("B12 180 pg/mL", "B12 180 pg/mL"),
    ("no-intrinsic-factor", "no-intrinsic-factor"),
])
def test_values_both_yaml_versions_read_alike_still_load(plain, value):
    assert load(f"a: {plain}\n") == {"a": value}


def test_a_version_dependent_value_in_a_knowledge_base_file_exits_1_naming_it(b12, kb_copy):
    path = kb_copy / "intakes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("mcg_per_day: 0.4", "mcg_per_day: 0_4", 1), encoding="utf-8")
    result = b12("rda")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert ("intakes.yaml: life_stages[0].mcg_per_day: unquoted '0_4' is the number 4 to YAML 1.1 but text to "
            "YAML 1.2; write 4, or quote it if text is meant (line " in result.stderr)


def test_a_file_over_the_size_cap_exits_1(b12, kb_copy):
    with (kb_copy / "topics.yaml").open("ab") as fh:
        fh.write(b"#" * (2 * 1024 * 1024))
    result = b12("about")
    assert result.exit_code == 1
    assert result.stderr == "b12: error: topics.yaml: cannot be read (larger than 2 MiB)\n"


def test_a_file_of_too_many_values_exits_1_before_it_is_built(b12, kb_copy):
    (kb_copy / "thresholds.yaml").write_text("x: [" + "1," * 300_000 + "1]\n", encoding="utf-8")
    result = b12("labs", "--b12", "180")
    assert result.exit_code == 1 and "thresholds.yaml: more than 250,000 values and keys" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_a_knowledge_base_file_exits_1_without_hanging(kb_copy):
    (kb_copy / "topics.yaml").unlink()
    os.mkfifo(kb_copy / "topics.yaml")
    assert_refused(b12_subprocess("about"), "topics.yaml: cannot be read (not a regular file)")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_as_a_knowledge_base_file_exits_1(kb_copy):
    (kb_copy / "topics.yaml").unlink()
    (kb_copy / "topics.yaml").symlink_to("/dev/zero")
    assert_refused(b12_subprocess("about"), "topics.yaml: cannot be read (not a regular file)")


def test_a_folder_as_a_knowledge_base_file_exits_1(b12, kb_copy):
    (kb_copy / "topics.yaml").unlink()
    (kb_copy / "topics.yaml").mkdir()
    result = b12("about")
    assert result.exit_code == 1 and result.stderr.startswith("b12: error: topics.yaml: cannot be read")


def test_a_symlinked_knowledge_base_file_is_still_read(b12, kb_copy, tmp_path):
    """Symlinks are refused only for cache entries: a data folder may link its files."""
    (kb_copy / "intakes.yaml").rename(tmp_path / "intakes.yaml")
    (kb_copy / "intakes.yaml").symlink_to(tmp_path / "intakes.yaml")
    assert b12("rda").exit_code == 0
