"""The README cannot drift from the program: its command reference names every option each
command's help lists, its examples use only options the command has and run, and its exit codes,
module map and first two commands are those of the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from b12cli.errors import ExitCode
from tests.conftest import REPO
from tests.test_cli import COMMANDS

README = (REPO / "README.md").read_text(encoding="utf-8")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
SHARED = {"--help", "--format"}  # described once, in the README's opening on commands


def section(command: str) -> str:
    """The README's reference section for ``command`` (a heading may name several: about and search)."""
    parts = re.split(r"^### ", README, flags=re.M)
    found = [p for p in parts if re.match(rf"[^\n]*`b12 {command}`", p)]
    assert found, f"no '### `b12 {command}`' section in the README"
    return "".join(found)


def help_options(b12, command: str) -> set[str]:
    return set(OPTION.findall(b12(command, "--help", env={"COLUMNS": "200"}).stdout))


def examples() -> list[tuple[str, list[str]]]:
    """Every `b12 COMMAND ...` line of an indented code block, as words (comments dropped)."""
    found = []
    for line in README.splitlines():
        if line.startswith("    b12 ") or line.startswith("    cat "):
            text = line.strip().split("  #")[0]
            text = text.split("| ", 1)[1] if text.startswith("cat ") and "| " in text else text
            words = shlex.split(text.split(" > ")[0].split(" < ")[0])
            if len(words) > 1 and words[1] in COMMANDS:
                found.append((line.strip(), words[1:]))
    return found


EXAMPLES = examples()
FILES = re.compile(r"\.(csv|json|ndjson|txt|xml|pdf|html)$|/$")


def test_the_readme_starts_with_the_two_commands():
    first = "\n".join(README.splitlines()[:15])
    assert "pip install . && b12 labs --b12 180 --mma 0.5" in first
    assert "pip install -e '.[test]' && pytest" in first


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_in_help_is_in_the_commands_section(b12, command):
    documented = set(OPTION.findall(section(command)))
    missing = help_options(b12, command) - documented - SHARED
    assert not missing, f"b12 {command} --help lists {sorted(missing)}, the README's section does not"


def test_the_readme_has_examples_of_most_commands():
    assert len(EXAMPLES) > 30
    assert {words[0] for _, words in EXAMPLES} >= set(COMMANDS) - {"completion"}


@pytest.mark.parametrize(("line", "words"), EXAMPLES, ids=[line for line, _ in EXAMPLES])
def test_every_example_uses_only_options_its_command_has(b12, line, words):
    unknown = {w.split("=")[0] for w in words if w.startswith("--")} - help_options(b12, words[0])
    unknown -= {"--install-completion", "--show-completion"}  # b12's own, shown under completion
    assert not unknown, f"README example {line!r} uses {sorted(unknown)}"


RUNNABLE = [(line, words) for line, words in EXAMPLES
            if not any(FILES.search(w) or w == "-" for w in words) and words[0] != "completion"]


@pytest.mark.parametrize(("line", "words"), RUNNABLE, ids=[line for line, _ in RUNNABLE])
def test_every_example_without_a_file_runs(b12, line, words):
    result = b12(*words)
    assert result.exit_code in (ExitCode.OK, ExitCode.CHECK_FAILED), f"{line}: {result.stderr}"


def test_every_exit_code_is_in_the_table():
    table = README[README.index("## Exit codes"):]
    for code in ExitCode:
        assert f"| {code.value} |" in table, code


def test_the_module_map_names_every_package_and_top_module():
    layout = README[README.index("## How the code is laid out"):README.index("## Development")]
    package = REPO / "b12cli"
    for path in sorted(package.iterdir()):
        if path.name.startswith("_") or path.name == "__pycache__":
            continue
        name = f"{path.name}/" if path.is_dir() else path.name
        assert name in layout, f"the README's module map does not name b12cli/{name}"
    for module in sorted((package / "domain").glob("*.py")):
        if module.name != "__init__.py":
            assert Path(module.name).stem in layout, f"domain/{module.name} is not in the module map"
