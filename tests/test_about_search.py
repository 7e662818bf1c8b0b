"""`b12 about` and `b12 search`: the whole reference, cited and searchable."""

from __future__ import annotations

import pytest

REQUIRED_TOPICS = {"what-is-b12", "symptoms", "causes", "risk-groups", "diagnosis", "treatment", "supplements",
                   "recovery", "prevention", "safety", "absorption"}


def topic_text(b12, name: str) -> str:
    result = b12("about", name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["schema"] == "b12.about.topic/1" and document["id"]
    assert all(point["sources"] for point in document["items"])
    return " ".join(point["text"] for point in document["items"]).casefold()


def test_topics_are_listed(b12):
    document = b12("about", "--format", "json").json()
    ids = {t["id"] for t in document["items"]}
    assert REQUIRED_TOPICS <= ids and len(ids) >= 11
    assert "symptoms" in b12("about").stdout


def test_symptoms(b12):
    text = topic_text(b12, "symptoms")
    for word in ("fatigue", "tingling", "numbness", "memory", "pale", "balance", "depression"):
        assert word in text


def test_recovery_gives_the_documents_timescales(b12):
    text = topic_text(b12, "recovery")
    assert "weeks" in text and "6 months" in text and "nerve" in text


def test_supplements_names_the_four_forms_and_doses(b12):
    text = topic_text(b12, "supplements")
    for form in ("cyanocobalamin", "methylcobalamin", "hydroxocobalamin", "adenosylcobalamin"):
        assert form in text
    assert "1000" in text.replace(",", "") and "mcg" in text


def test_safety_says_no_upper_limit(b12):
    assert "no upper limit" in topic_text(b12, "safety")


def test_causes_records_the_disagreement(b12):
    text = topic_text(b12, "causes")
    assert "intrinsic factor" in text and "pernicious" in text
    assert "doc-two-causes" in b12("about", "causes", "--format", "json").stdout


@pytest.mark.parametrize("name", ["SYMPTOMS", "Symptoms of deficiency", "signs"])
def test_topic_lookup_by_title_or_alias(b12, name):
    assert b12("about", name).exit_code == 0


def test_unknown_topic_exits_2_with_nearest_names(b12):
    result = b12("about", "symptms")
    assert result.exit_code == 2 and "symptoms" in result.stderr
    assert result.stderr.startswith("b12: error:")
    assert b12("about", "zzzz").exit_code == 2


def test_topic_table_shows_points_with_sources(b12):
    result = b12("about", "safety")
    assert result.exit_code == 0 and "doc-reverse" in result.stdout


@pytest.mark.parametrize(
    ("query", "kinds"),
    [("tingling", {"topic"}), ("metformin", {"topic", "medication"}), ("yeast", {"topic", "food"})],
)
def test_search_finds_hits_and_says_where(b12, query, kinds):
    document = b12("search", query, "--format", "json").json()
    assert document["schema"] == "b12.search/1" and document["query"] == query
    assert kinds <= {h["kind"] for h in document["items"]}
    for hit in document["items"]:
        assert query in hit["text"].casefold() or query in hit["title"].casefold()
        assert hit["where"].startswith(hit["kind"])


def test_search_needs_every_word_case_insensitive(b12):
    both = b12("search", "Nerve", "DAMAGE", "--format", "json").json()["items"]
    assert both and all("nerve" in h["text"].casefold() and "damage" in h["text"].casefold() for h in both)


def test_no_hit_is_an_empty_list_exit_0(b12):
    result = b12("search", "xylophone", "--format", "json")
    assert result.exit_code == 0 and result.json()["items"] == []
    assert b12("search", "xylophone", "--format", "csv").stdout.startswith("kind,id,title,where,text,sources")


def test_search_csv_has_a_row_per_hit(b12):
    lines = b12("search", "metformin", "--format", "csv").stdout.splitlines()
    assert len(lines) == 1 + len(b12("search", "metformin", "--format", "json").json()["items"])


def test_sources_command_lists_every_source_with_fields(b12, kb):
    document = b12("sources", "--format", "json").json()
    assert document["schema"] == "b12.sources/1"
    assert [s["id"] for s in document["items"]] == list(kb.sources)
    for source in document["items"]:
        assert set(source) == {"id", "title", "author", "publisher", "year", "url", "kind", "notes"}
    assert b12("sources", "--format", "csv").stdout.startswith("id,title,author,publisher,year,url,kind,notes\n")


# ------------------------------------------------------------------ spellings, brands, no-hit help


@pytest.mark.parametrize("query", ["anemia", "anaemia", "pernicious anemia", "pernicious anaemia", "folic acid",
                                   "Marmite", "Vegemite", "celiac", "coeliac", "Janumet", "Losec"])
def test_search_finds_spelling_variants_and_brand_names(b12, query):
    document = b12("search", query, "--format", "json").json()
    assert document["items"], query
    assert document["notes"] == []


def test_both_spellings_find_the_same_hits(b12):
    us = b12("search", "anemia", "--format", "json").json()["items"]
    uk = b12("search", "anaemia", "--format", "json").json()["items"]
    assert us == uk and len(us) >= 5


def test_marmite_finds_the_brand_records_and_the_generic_one(b12):
    hits = b12("search", "marmite", "--format", "json").json()["items"]
    assert {h["id"] for h in hits if h["kind"] == "food"} == {"marmite-uk", "marmite-nz", "yeast-extract-spread"}
    assert {h["id"] for h in hits if h["kind"] == "topic"} == {"vegan-diet"}
    assert any(h["id"] == "marmite-uk" and h["where"].endswith("name") for h in hits)


def test_ranitidine_withdrawal_is_searchable(b12):
    hits = b12("search", "ranitidine", "withdrawn", "--format", "json").json()["items"]
    assert any(h["where"].endswith("note on ranitidine") and "fda-ranitidine-2020" in h["sources"] for h in hits)


def test_no_hit_says_so_and_suggests_near_words(b12):
    result = b12("search", "metfromin", "--format", "json")
    assert result.exit_code == 0
    document = result.json()
    assert document["items"] == []
    assert document["notes"][0].startswith("Nothing matched 'metfromin'")
    assert any("did you mean" in n and "metformin" in n for n in document["notes"])
    table = b12("search", "metfromin")
    assert table.exit_code == 0 and "Nothing matched" in table.stderr and "metformin" in table.stderr


def test_no_hit_for_words_that_never_meet_says_try_fewer(b12):
    notes = b12("search", "liver", "xylophone", "--format", "json").json()["notes"]
    assert notes[0].startswith("Nothing matched")
    quiet = b12("search", "tingling", "clams", "--format", "json").json()
    assert quiet["items"] == [] and any("fewer words" in n for n in quiet["notes"])


# ------------------------------------------------------------------ corrected topic points


def test_safety_no_longer_says_surplus_is_simply_excreted(b12):
    text = topic_text(b12, "safety")
    assert "instead of letting them build up" not in text and "store" in text and "2–3 mg" in text


def test_high_b12_says_some_laboratories(b12):
    text = topic_text(b12, "high-b12")
    assert "some uk laboratories" in text and "914 ng/l" in text


def test_folic_acid_masking_and_prompt_care_are_covered(b12):
    assert "folic acid" in topic_text(b12, "anaemia") and "mask" in topic_text(b12, "anaemia")
    assert "prompt care" in topic_text(b12, "symptoms")


# --- word stems, topic aliases, salt words in medicine names, near words on no hit -------------------------------

@pytest.mark.parametrize(("word", "stemmed"), [("babies", "baby"), ("infancy", "infant"), ("pregnancy", "pregnant"),
                                               ("deficiency", "deficient"), ("tablets", "tablet"), ("classes", "class"),
                                               ("doses", "dose"), ("glass", "glass"), ("b12", "b12"), ("gas", "gas")])
def test_stem_changes_one_ending(word, stemmed):
    from b12cli.domain.search import stem

    assert stem(word) == stemmed


@pytest.mark.parametrize("query", ["infant", "infants", "infancy"])
def test_infant_finds_the_pregnancy_topic(b12, query):
    document = b12("search", query, "--format", "json").json()
    assert "pregnancy" in {h["id"] for h in document["items"] if h["kind"] == "topic"}


def test_a_stem_matches_the_start_of_a_word():
    from b12cli.domain.search import words_match

    assert words_match(["infant"], "needs in infancy")  # infancy -> infant
    assert words_match(["pregnancy"], "when pregnant")  # pregnancy -> pregnant
    assert words_match(["deficiency"], "B12-deficient diets")
    assert not words_match(["infant"], "fantastic")  # a stem must start a word
    assert not words_match(["infant", "zzqx"], "needs in infancy")  # every word still has to match


def test_salt_words_are_left_out_of_a_medicine_name_with_a_note(b12):
    document = b12("search", "esomeprazole", "magnesium", "--format", "json").json()
    assert document["items"] and all(h["kind"] == "medication" for h in document["items"])
    assert "proton-pump-inhibitors" in {h["id"] for h in document["items"]}
    (note,) = document["notes"]
    assert "magnesium" in note and "left out" in note


def test_salt_word_alone_is_searched_as_typed(b12):
    document = b12("search", "magnesium", "--format", "json").json()
    assert "antacids-chronic-use" in {h["id"] for h in document["items"]} and document["notes"] == []


@pytest.mark.parametrize(("query", "near"), [("infnat", "infants"), ("metfromin", "metformin"),
                                             ("tingl", None), ("vitamn", "vitamin")])
def test_no_hit_offers_near_words_when_any_exist(b12, query, near):
    document = b12("search", query, "--format", "json").json()
    if near is None:  # a prefix of a word is found, so there is a hit
        assert document["items"]
        return
    assert document["items"] == [] and any("did you mean" in n and near in n for n in document["notes"])


# --- clinical audit wording (review 0.6): F14, F17, F20, F25, F26 ------------------------------------------


def topic_points(b12, name: str) -> list[dict]:
    result = b12("about", name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return result.json()["items"]


def test_high_b12_says_treatment_raises_it_and_names_the_causes_to_explain(b12):
    """F14: not 'supplements are the usual reason': treatment raises it; without it, liver, kidney, solid and
    blood cancers; a high level does not rule out a shortage in the cells."""
    text = topic_text(b12, "high-b12")
    assert "supplements or injections raise the blood level" in text and "usual reason" not in text
    for words in ("needs explaining", "liver disease", "kidney disease", "solid cancers", "blood cancers",
                  "myeloproliferative", "does not rule out a shortage inside the cells"):
        assert words in text
    safety = topic_text(b12, "safety")
    assert "supplements or injections raise blood b12" in safety and "solid or blood cancer" in safety


def test_lab_tests_reports_the_black_ethnicity_point_as_the_summaries_give_it(b12):
    """F17: NWL Pathology and NASGP report treatment at lower concentrations; nothing says 'above the cut-offs'."""
    text = topic_text(b12, "lab-tests")
    assert "black ethnicity may have higher b12 reference ranges" in text
    assert "treatment may be needed at lower concentrations than the cut-offs" in text
    assert "above the cut-offs" not in text


def test_topics_cite_bsh_2014_as_superseded(b12):
    """F20: a point resting on BSH 2014 cites the BSH page saying NICE NG239 superseded it, and names it so."""
    points = topic_points(b12, "lab-tests") + topic_points(b12, "diagnosis") + topic_points(b12, "treatment")
    cited = [p for p in points if "bsh-2014" in p["sources"]]
    assert len(cited) >= 6 and all("bsh-2014-superseded" in p["sources"] for p in cited)
    named = [p for p in cited if "Haematology" in p["text"]]
    assert len(named) >= 3 and all("(BSH 2014, superseded by NICE NG239 in 2024)" in p["text"] for p in named)
    (first_test,) = [p for p in points if "second-line test" in p["text"]]
    assert first_test["text"].startswith("NICE lets either total B12 or active B12 be the first test")
    assert first_test["sources"][0] == "nice-ng239"


def test_injections_go_into_a_muscle_not_straight_into_the_blood(b12):
    """F25: injections are intramuscular (or deep subcutaneous) and bypass the gut."""
    points = topic_points(b12, "treatment")
    (point,) = [p for p in points if "bypass the gut" in p["text"]]
    assert "into a muscle (or deep under the skin)" in point["text"]
    assert {"bnf-hydroxocobalamin", "fda-cyanocobalamin-injection"} <= set(point["sources"])
    assert "straight into the blood" not in topic_text(b12, "treatment")


def test_kidney_disease_raises_the_markers_rather_than_impairing_absorption(b12):
    """F26: kidney disease does not reduce absorption; it raises MMA and homocysteine."""
    points = topic_points(b12, "causes")
    (kidney,) = [p for p in points if "kidney" in p["text"].casefold()]
    assert "does not reduce how much B12 is absorbed" in kidney["text"]
    assert "raises MMA and homocysteine" in kidney["text"] and "risch-2015" in kidney["sources"]
    assert "kidney disease and older age can also impair" not in topic_text(b12, "causes")
