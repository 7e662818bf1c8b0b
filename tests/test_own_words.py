"""Knowledge-base text is written anew: no run of ten words from a source document
appears anywhere in data/ (source titles excepted)."""

from __future__ import annotations

import re
import unicodedata

import pytest
import yaml

from tests.conftest import DATA, SEEDS

# doc-two-causes is typed partly in Cyrillic look-alikes; fold them to Latin before comparing.
LOOKALIKES = str.maketrans("аеорсухіАВЕКМНОРСТХІјѕԁ", "aeopcyxiABEKMHOPCTXIjsd")
RUN = 10


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).translate(LOOKALIKES).casefold().replace("’", "'")
    return re.findall(r"[a-z0-9']+", text)


def runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1)}


def data_texts() -> dict[str, str]:
    texts = {}
    for path in sorted(DATA.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.stem == "sources":  # titles are the sources' own
            for source in document["sources"]:
                source.pop("title")
        texts[path.name] = yaml.safe_dump(document, allow_unicode=True, width=10_000)
    return texts


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents (../shared/seeds) are not beside this checkout")
def test_no_ten_word_run_from_any_document_appears_in_data():
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5
    copied = set().union(*(runs(p.read_text(encoding="utf-8")) for p in seeds))
    found = {name: sorted(" ".join(r) for r in runs(text) & copied) for name, text in data_texts().items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_checker_does_catch_a_copied_run():
    sentence = "the quick brown fox jumps over the lazy dog again and again"
    assert runs(sentence) & runs("Said: " + sentence.upper() + "!")
    assert "cause" in words("саusе")  # Cyrillic look-alikes fold to Latin
