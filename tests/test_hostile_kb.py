"""A hostile B12_DATA_DIR: each file gives exit 1 with one line naming the file, quickly, and
never a crash, a hang or a huge cache. Anything that could crash the interpreter or hang runs
in a subprocess with a timeout, so a segfault shows as a return code instead of killing pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from b12cli.yamlsafe import MAX_DEPTH, RefusedYAML, _path_to, check_events, load, scan_depth
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
            "from tests.test_hostile_kb import alias_bomb; from b12cli.yamlsafe import _path_to;"
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
                                    "is a date in YAML 1.1")


# Unquoted values that YAML 1.1 (PyYAML) and YAML 1.2 read differently: each one is refused naming
# the key, so a knowledge-base number never depends on which YAML library reads the file.
@pytest.mark.parametrize(("plain", "says"), [
    ("1_000", "is a number in some YAML versions only"),  # 1.1: 1000; 1.2: text
    ("0.4_0", "is a number in some YAML versions only"),
    ("010", "is a number in some YAML versions only"),  # 1.1: octal 8; 1.2: 10
    ("0x10", "is a number in some YAML versions only"),
    ("0b11", "is a number in some YAML versions only"),
    ("1:20", "is a number in some YAML versions only"),  # 1.1: sexagesimal 80
    ("+1_0", "is a number in some YAML versions only"),
    (".inf", "is not a finite number"),
    ("-.Inf", "is not a finite number"),
    (".NaN", "is not a finite number"),
    ("1e3", "is text in YAML 1.1 but a number in YAML 1.2"),  # PyYAML gives the string '1e3'
    ("-.5", "is text in YAML 1.1 but a number in YAML 1.2"),
    ("1.0e3", "is text in YAML 1.1 but a number in YAML 1.2"),
    ("0o10", "is text in YAML 1.1 but a number in YAML 1.2"),
    ("yes", "is true/false in YAML 1.1 but text in YAML 1.2"),
    ("Off", "is true/false in YAML 1.1 but text in YAML 1.2"),
    ("2001-02-03", "is a date in YAML 1.1 but text in YAML 1.2"),
    ("2001-02-03 10:00:00", "is a date in YAML 1.1 but text in YAML 1.2"),
    ("<<", "has a special meaning in YAML 1.1 (merge)"),
    ("=", "has a special meaning in YAML 1.1 (value)"),
])
def test_a_value_read_differently_by_yaml_versions_is_refused_naming_the_key(plain, says):
    with pytest.raises(RefusedYAML) as caught:
        load(f"life_stages:\n  - id: adults\n    mcg_per_day: {plain}\n")
    assert str(caught.value).startswith(f"life_stages[0].mcg_per_day: unquoted {plain!r} {says}")
    assert str(caught.value).endswith("(line 3)")


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
    assert ("intakes.yaml: life_stages[0].mcg_per_day: unquoted '0_4' is a number in some YAML versions only"
            in result.stderr)


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
