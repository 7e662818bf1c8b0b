"""The shape of the house: a pure domain, modules of a readable size, one home for each idea."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "b12cli"
MAX_LINES = 600
FRAMEWORKS = ("typer", "rich", "yaml", "click")


def modules(folder: Path) -> list[str]:
    return sorted("b12cli." + p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".").removesuffix(
        ".__init__") for p in folder.rglob("*.py"))


def test_the_domain_loads_no_framework_and_no_knowledge_base_file():
    """Importing every domain module loads none of Typer, Rich, YAML or Click, nor the knowledge-base loader."""
    names = modules(PACKAGE / "domain")
    code = ("import sys\n" + "".join(f"import {n}\n" for n in names)
            + "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{FRAMEWORKS!r} or m.startswith(('b12cli.kb', 'b12cli.inputs', 'b12cli.output', 'b12cli.commands')))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
    assert len(names) >= 15


def test_the_domain_reads_no_file_and_no_environment():
    """No domain module opens a file, walks a folder, reads stdin or the environment."""
    forbidden = {"open", "os", "sys", "pathlib", "subprocess", "io", "shutil", "tempfile"}
    for path in (PACKAGE / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & forbidden, (path, ast.dump(node))
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in forbidden, (path, node.module)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", path


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_typer_internals_are_used_in_one_module_only():
    """Only typer_compat.py reaches into Typer or Click internals (names with an underscore, private modules)."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "typer_compat.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("_runtime_param", "display_type_rich", "typer._completion", "typer.core", "_click"):
            assert needle not in text, (path, needle)


def test_no_layer_imports_one_above_it():
    """domain <- kb, inputs <- output <- commands <- app: an import never runs up the layers."""
    order = {"domain": 0, "errors": 0, "signals": 0, "kb": 1, "inputs": 1, "output": 2, "batch": 3, "commands": 3,
             "typer_compat": 3, "app": 4, "entry": 5, "__main__": 6}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        layer = order.get(rel[0].removesuffix(".py"), None) if rel[0] != "__init__.py" else -1
        if layer is None or layer < 0:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("b12cli."):
                target = order[node.module.split(".")[1]]
                assert target <= layer, (path.relative_to(PACKAGE).as_posix(), node.module)


# ----------------------------------------------------------------- the next marker


XYZ = """  - id: xyz
    label: "XYZ"
    name: "A made-up marker (test only)"
    canonical_unit: "nmol/L"
    units:
      - {unit: "nmol/L", multiply: 1, divide: 1, aliases: []}
      - {unit: "ug/L", multiply: 2, divide: 1, aliases: []}
    plausible: [0.5, 500]
    unit_guess: null
    role: cofactor
    cb12: null
    options: ["--xyz"]
    headers: ["xyz", "made up marker"]
    stems: ["xyz"]
    limit_example: "<5 or >50"
    sources: [ods-b12]
"""
XYZ_BANDS = """      xyz:
        unit: "nmol/L"
        published: {}
        notes: []
        bands:
          - status: low
            range: "(-inf, 10)"
            sources: [ods-b12]
          - status: normal
            range: "[10, inf)"
            sources: [ods-b12]
"""


@pytest.fixture
def with_xyz(kb_copy):
    """A copy of the knowledge base with a made-up marker: a registry entry and its bands, nothing else."""
    markers = kb_copy / "markers.yaml"
    markers.write_text(markers.read_text(encoding="utf-8") + XYZ, encoding="utf-8")
    thresholds = kb_copy / "thresholds.yaml"
    text = thresholds.read_text(encoding="utf-8")
    for anchor in ("  - id: nice\n", "cb12:\n"):  # after each scheme's last marker
        text = text.replace(anchor, XYZ_BANDS + anchor, 1)
    thresholds.write_text(text, encoding="utf-8")
    return kb_copy


FOUR = ["--b12", "350", "--b12-unit", "pmol/L", "--holotc", "70", "--mma", "0.2", "--hcy", "10", "--age", "40"]


def test_a_new_marker_flows_through_a_query_with_cb12_unchanged(b12, with_xyz):
    plain = b12("labs", *FOUR, "--format", "json").json()
    given = b12("labs", *FOUR, "--xyz", "4", "--xyz-unit", "mcg/L", "--format", "json")
    assert given.exit_code == 0, given.stderr
    document = given.json()
    xyz = document["markers"][-1]
    assert (xyz["marker"], xyz["value"], xyz["unit"], xyz["canonical_value"], xyz["status"]) == \
        ("xyz", 4.0, "ug/L", 8.0, "low")
    assert document["cb12"] == plain["cb12"] and document["cb12"]["value"] == 0.338
    assert "--xyz" in b12("labs", "--help").stdout
    assert b12("labs", "--xyz", "0.1").exit_code == 2  # its plausible range applies


def test_a_new_marker_flows_through_a_batch_and_history(b12, with_xyz, tmp_path):
    rows = "id,date,B12 (pmol/L),holotc,mma,hcy,age,Made up marker (ug/L)\np,2024-01-01,350,70,0.2,10,40,4\n"
    path = tmp_path / "r.csv"
    path.write_text(rows, encoding="utf-8")
    record = json.loads(b12("labs", "--input", str(path)).stdout)
    assert [m["marker"] for m in record["markers"]] == ["b12", "holotc", "mma", "hcy", "xyz"]
    assert record["markers"][-1]["canonical_value"] == 8.0 and record["cb12"]["value"] == 0.338
    panel = b12("history", str(path), "--format", "json").json()["people"][0]["panels"][0]
    assert panel["markers"] == record["markers"] and panel["cb12"] == record["cb12"]
    assert "xyz_status" in b12("labs", "--input", str(path), "--format", "csv").stdout.splitlines()[0]


def test_bands_missing_for_a_registered_marker_are_a_knowledge_base_error(b12, kb_copy):
    markers = kb_copy / "markers.yaml"
    markers.write_text(markers.read_text(encoding="utf-8") + XYZ, encoding="utf-8")
    result = b12("labs", "--b12", "300")
    assert result.exit_code == 1 and "no bands for xyz" in result.stderr
