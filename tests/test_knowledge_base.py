"""The knowledge base: every file loads, every citation resolves, bands are contiguous,
and a broken override (B12_DATA_DIR) fails with exit 1 naming the file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from b12cli import kb as kbmod
from b12cli.domain.bands import check_cover, parse_interval
from b12cli.domain.vocab import DOCUMENT_IDS, SOURCE_KINDS
from b12cli.kb import KnowledgeBase, cited_ids
from tests.conftest import DATA


def raw(name: str) -> dict:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def test_every_file_loads(kb):
    kb.load_all()
    assert len(kb.foods.foods) >= 30
    assert len(kb.topics) >= 11
    assert {"documents", "nice"} <= set(kb.thresholds.schemes)


def test_every_cited_source_id_resolves_and_every_source_is_complete(kb):
    known = set(kb.sources)
    assert set(DOCUMENT_IDS) <= known
    cited = [(f"{name}: {path}", sid)
             for name in kbmod.FILES if name != "sources" for path, sid in cited_ids(raw(name))]
    assert len(cited) > 300
    dangling = [(where, sid) for where, sid in cited if sid not in known]
    assert dangling == []
    for source in kb.sources.values():
        assert source.title and source.kind in SOURCE_KINDS


def test_every_record_cites_a_source(kb):
    records = [*kb.intakes.life_stages, *kb.foods.foods, *kb.medications.classes,
               *(p for t in kb.topics for p in t.points),
               *(b for s in kb.thresholds.schemes.values() for m in s.markers.values() for b in m.bands)]
    assert all(r.sources for r in records)


def test_document_sources_keep_their_fixed_titles(kb):
    titles = {s.id: s.title for s in kb.sources.values()}
    assert titles["doc-harvard"] == "Ask Dr. Rob about vitamin B12 deficiency"
    assert titles["doc-recovery"] == "How Long to Recover from B12 Deficiency?"


def test_bands_cover_the_number_line_once(kb):
    for scheme in kb.thresholds.schemes.values():
        for marker in scheme.markers.values():
            assert check_cover([b.interval for b in marker.bands]) is None
    assert check_cover([b.interval for b in kb.thresholds.cb12_bands.bands]) is None


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        (["(-inf, 150)", "[150, inf)"], None),
        (["(-inf, 150]", "[150, inf)"], "overlap"),
        (["(-inf, 150)", "(150, inf)"], "gap"),
        (["(-inf, 150)", "[160, inf)"], "gap"),
        (["(-inf, 150)", "[140, inf)"], "overlap"),
        (["[0, 150)", "[150, inf)"], "-inf"),
        (["(-inf, 150)", "[150, 900]"], "inf"),
    ],
)
def test_cover_check(ranges, problem):
    found = check_cover([parse_interval(r) for r in ranges])
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("bad", ["150-200", "[200, 150)", "[a, 2)", "[-inf, 2)", "(1, 1)", "[nan, 2)"])
def test_bad_intervals_are_refused(bad):
    with pytest.raises(ValueError):
        parse_interval(bad)


def test_life_stages_join_up_in_months(kb):
    rows = [r for r in kb.intakes.life_stages if r.condition == "none"]
    assert rows[0].min_months == 0 and rows[-1].max_months is None
    assert all(a.max_months == b.min_months for a, b in zip(rows, rows[1:]))


def test_medication_names_are_unique(kb):
    names = [n.casefold() for c in kb.medications.classes for n in (*c.generic_names, *c.brand_names)]
    assert len(names) == len(set(names))


def test_yaml_values_have_the_declared_types(kb):
    for food in kb.foods.foods:
        assert isinstance(food.mcg_per_serving, float) and isinstance(food.vegan, bool)
    assert all(isinstance(s.year, (int, type(None))) for s in kb.sources.values())


def test_cache_is_used_and_an_edit_invalidates_it(kb_copy, monkeypatch, tmp_path):
    cache = tmp_path / "compiled"
    monkeypatch.setenv("B12_CACHE_DIR", str(cache))
    first = KnowledgeBase(kb_copy).intakes
    assert list(cache.glob("intakes-*.json")) and list(cache.glob("sources-*.json"))
    assert KnowledgeBase(kb_copy).intakes == first
    path = kb_copy / "intakes.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mcg_per_day: 0.9", "mcg_per_day: 0.95"), "utf-8")
    changed = KnowledgeBase(kb_copy).intakes
    assert [r.mcg_per_day for r in changed.life_stages][2] == 0.95


def test_unwritable_cache_only_costs_speed(kb_copy, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("B12_CACHE_DIR", str(blocker / "cache"))
    assert KnowledgeBase(kb_copy).intakes.life_stages


# ------------------------------------------------------------------ broken overrides


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = [
    # (file, old text, new text, command, what the error must name)
    ("intakes", "mcg_per_day: 0.4", "mcg_per_day: lots", ["rda"], "intakes.yaml: life_stages[0].mcg_per_day"),
    ("intakes", "kind: AI", "kind: AI\n    colour: red", ["rda"], "intakes.yaml: life_stages[0].colour"),
    ("intakes", "    ages: \"birth to 6 completed months\"\n", "", ["rda"], "intakes.yaml: life_stages[0].ages"),
    ("foods", "vegan: false", "vegan: \"no\"", ["foods"], "foods.yaml: foods[0].vegan"),
    ("foods", "sources: [ods-b12", "sources: [no-such-source, ods-b12", ["foods"],
     "unknown source id 'no-such-source'"),
    ("medications", "name: \"Proton pump inhibitors\"", "name: 42", ["meds"], "medications.yaml: classes[0].name"),
    ("thresholds", "range: \"[150, 200)\"", "range: \"[160, 200)\"", ["labs", "--b12", "300"],
     "thresholds.yaml: schemes[0].markers.b12.bands: gap"),
    ("thresholds", "range: \"[150, 200)\"", "range: \"[140, 200)\"", ["labs", "--b12", "300"],
     "thresholds.yaml: schemes[0].markers.b12.bands: band 0 and band 1 overlap"),
    ("thresholds", "range: \"[150, 200)\"", "range: \"150 to 200\"", ["labs", "--b12", "300"],
     "schemes[0].markers.b12.bands[1].range"),
    ("thresholds", "  - id: note-own-range\n", "  - id: note-own-range-x\n", ["labs", "--b12", "300"],
     "missing message with id 'note-own-range'"),
    ("topics", "schema_version: 1", "schema_version: 2", ["about"], "topics.yaml: schema_version"),
    ("sources", "  - id: doc-overview", "  - id: doc-overview-x", ["sources"], "missing the document source"),
    ("sources", "kind: database", "kind: website", ["sources"], "sources.yaml: sources["),
    ("foods", "schema_version: 1", "schema_version: 1\nschema_version: 1", ["foods"], "duplicate key 'schema_version'"),
    ("foods", "mcg_per_serving: 70.7", "mcg_per_serving: [70.7", ["foods"], "foods.yaml: invalid YAML"),
]


@pytest.mark.parametrize(("name", "old", "new", "command", "needle"), BROKEN)
def test_broken_knowledge_base_exits_1_naming_file_and_key(b12, kb_copy, name, old, new, command, needle):
    edit(kb_copy, name, old, new)
    result = b12(*command)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("b12: error: ") and result.stderr.count("\n") == 1
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_tag_never_runs_code(b12, kb_copy, tmp_path):
    marker = tmp_path / "pwned"
    edit(kb_copy, "intakes", "mcg_per_day: 0.5",
         f"mcg_per_day: !!python/object/apply:os.system [\"touch {marker}\"]")
    result = b12("rda")
    assert result.exit_code == 1
    assert "intakes.yaml: life_stages[1].mcg_per_day: tag not allowed" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!binary aGVsbG8=", "!custom x", "!!timestamp 2001-01-01"])
def test_other_tags_are_refused_or_type_checked(b12, kb_copy, tag):
    edit(kb_copy, "foods", "serving: \"3 oz (85 g)\"", f"serving: {tag}")
    result = b12("foods")
    assert result.exit_code == 1 and "foods.yaml: foods[0].serving" in result.stderr


def test_missing_directory_and_missing_file(b12, kb_copy, monkeypatch):
    (kb_copy / "medications.yaml").unlink()
    result = b12("meds")
    assert result.exit_code == 1 and "medications.yaml: missing" in result.stderr
    assert b12("rda").exit_code == 0  # only the files a command uses are read
    monkeypatch.setenv("B12_DATA_DIR", str(kb_copy / "nope"))
    result = b12("rda")
    assert result.exit_code == 1 and "B12_DATA_DIR" in result.stderr and "nope" in result.stderr


def test_not_utf8_file(b12, kb_copy):
    (kb_copy / "topics.yaml").write_bytes(b"schema_version: 1\ntopics: \xff\xfe\n")
    result = b12("about")
    assert result.exit_code == 1 and "topics.yaml: not UTF-8" in result.stderr


def test_yaml_1_1_traps_are_refused_naming_the_key(b12, kb_copy):
    edit(kb_copy, "foods", "name: \"Beef liver, pan-fried\"", "name: no")
    result = b12("foods")
    assert result.exit_code == 1
    assert "foods.yaml: foods[0].name: unquoted 'no' is true/false to YAML 1.1 but text to YAML 1.2" in result.stderr


def test_a_number_where_text_is_expected_is_still_caught_by_types(b12, kb_copy):
    edit(kb_copy, "foods", "name: \"Beef liver, pan-fried\"", "name: 12")
    result = b12("foods")
    assert result.exit_code == 1 and "foods[0].name: expected a non-empty string, got" in result.stderr


def test_data_files_have_no_unquoted_yaml_1_1_booleans():
    for path in DATA.glob("*.yaml"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            value = line.split(":", 1)[1].strip() if re.match(r"\s*[a-z_]+:", line) else ""
            assert value not in {"yes", "no", "on", "off", "y", "n"}, f"{path.name}:{n}"


# ------------------------------------------------------------------ checks that must not go missing
# Edited through the parsed data (not the text) so that they keep working as the data files change.


def rewrite(folder: Path, name: str, change) -> None:
    data = raw(name)
    change(data)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def test_rewritten_files_still_load(kb_copy):
    """The premise of the tests below: a file dumped back unchanged is accepted."""
    rewrite(kb_copy, "thresholds", lambda d: None)
    rewrite(kb_copy, "foods", lambda d: None)
    assert KnowledgeBase(kb_copy).thresholds.cb12_bands.bands
    assert KnowledgeBase(kb_copy).foods.foods


@pytest.mark.parametrize("drop", [1, 2, 3])
def test_a_gap_in_the_cb12_bands_exits_1(b12, kb_copy, drop):
    rewrite(kb_copy, "thresholds", lambda d: d["cb12"]["bands"].pop(drop))
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"^thresholds.yaml: cb12.bands: .*gap"):
        KnowledgeBase(kb_copy).load_all()
    result = b12("labs", "--b12", "300")
    assert result.exit_code == 1 and result.stderr.startswith("b12: error: thresholds.yaml: cb12.bands: ")


def test_overlapping_cb12_bands_exit_1(kb_copy):
    def overlap(data: dict) -> None:
        first = data["cb12"]["bands"][0]
        first["range"] = first["range"].replace(")", "]")
    rewrite(kb_copy, "thresholds", overlap)
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"^thresholds.yaml: cb12.bands: .*overlap"):
        KnowledgeBase(kb_copy).load_all()


@pytest.mark.parametrize("spelling", [str, str.upper, str.lower])
def test_duplicate_food_names_exit_1(b12, kb_copy, spelling):
    def duplicate(data: dict) -> None:
        data["foods"][1]["name"] = spelling(data["foods"][0]["name"])
    rewrite(kb_copy, "foods", duplicate)
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"^foods.yaml: foods\[1\]"):
        KnowledgeBase(kb_copy).load_all()
    result = b12("foods")
    assert result.exit_code == 1 and result.stderr.startswith("b12: error: foods.yaml: foods[1]")
