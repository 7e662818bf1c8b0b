"""`b12 search`: every word, anywhere in the topics, foods and medications.

A query word matches a text when (after folding case and British/American spellings) it appears in the
text, also inside a longer word, or when its stem starts the stem of a word of the text. A stem is the
word with one ending changed: -ies -> -y (babies -> baby), -cy -> -t (infancy -> infant, pregnancy ->
pregnant, deficiency -> deficient), -es after ss, sh, ch, x or z dropped (classes -> class), else a plural
-s dropped (tablets -> tablet, doses -> dose). So "infant"
finds "infancy" and "pregnancy" finds "pregnant". When nothing matches and the query names a medicine
with a salt or dosage-form word ("esomeprazole magnesium"), those words are left out, as `b12 meds`
leaves them out, and a note says so.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

from b12cli.domain.foods import fold
from b12cli.domain.model import Absorption, Foods, Medications, Risk, Topic
from b12cli.domain.names import close
from b12cli.domain.text import show
from b12cli.errors import UsageError

_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """One ending changed: -ies -> -y, -cy -> -t, -es after ss/sh/ch/x/z dropped, else a plural -s dropped."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("cy"):
        return word[:-2] + "t"
    if len(word) > 4 and word.endswith("es") and (word[-4:-2] in ("ss", "sh", "ch") or word[-3] in "xz"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _word_in(word: str, haystack: str, stems: set[str]) -> bool:
    if word in haystack:
        return True
    wanted = stem(word)
    return any(s.startswith(wanted) for s in stems)


def words_match(words: list[str], *texts: str) -> bool:
    """Every query word is in the texts, or its stem starts the stem of one of their words (see the module)."""
    haystack = fold(" ".join(texts))
    folded = [fold(w) for w in words]
    if all(w in haystack for w in folded):
        return True
    stems = {stem(w) for w in _WORD.findall(haystack)}
    return all(_word_in(w, haystack, stems) for w in folded)


class Corpus(NamedTuple):
    """Everything a search looks through (the command hands over the knowledge base's records)."""

    topics: tuple[Topic, ...]
    foods: Foods
    medications: Medications
    risk: Risk
    absorption: Absorption


class Hit(NamedTuple):
    kind: str  # topic | food | medication
    id: str
    title: str
    where: str  # e.g. "topic 'symptoms', point 3"
    text: str
    sources: tuple[str, ...]


class SearchResult(NamedTuple):
    query: str
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = ()  # with no hit: says so, and suggests near words


def _topic_hits(kb: Corpus, words: list[str]):
    for topic in kb.topics:
        heading = f"{topic.title}: {topic.summary}"
        if words_match(words, heading):
            yield Hit("topic", topic.id, topic.title, f"topic '{topic.id}', title and summary", heading, ())
        elif topic.aliases and words_match(words, heading, *topic.aliases):  # "infant" finds the pregnancy topic
            yield Hit("topic", topic.id, topic.title, f"topic '{topic.id}', other names",
                      f"{heading} Also found as: {', '.join(topic.aliases)}.", ())
        for n, point in enumerate(topic.points, start=1):
            if words_match(words, point.text):
                yield Hit("topic", topic.id, topic.title, f"topic '{topic.id}', point {n}", point.text, point.sources)


def _food_hits(kb: Corpus, words: list[str]):
    for food in kb.foods.foods:
        summary = f"{food.mcg_per_serving:g} mcg per {food.serving}"
        if food.aliases:
            summary += f" (also known as {', '.join(food.aliases)})"
        if words_match(words, food.name, food.category, *food.aliases):
            yield Hit("food", food.id, food.name, f"food '{food.id}', name", summary, food.sources)
        for n, note in enumerate(food.notes, start=1):
            if words_match(words, note):
                yield Hit("food", food.id, food.name, f"food '{food.id}', note {n}", note, food.sources)


def _medication_hits(kb: Corpus, words: list[str]):
    for cls in kb.medications.classes:
        names = ", ".join((*cls.generic_names, *cls.brand_names))
        fields = (("name", f"{cls.name}: {names}"), ("effect", cls.effect), ("advice", cls.advice),
                  *((f"note {n}", note) for n, note in enumerate(cls.notes, start=1)))
        for where, text in fields:
            if words_match(words, text):
                yield Hit("medication", cls.id, cls.name, f"medication '{cls.id}', {where}", text, cls.sources)
        for note in cls.name_notes:
            text = f"{', '.join(note.names)}: {note.text}"
            if words_match(words, text):
                yield Hit("medication", cls.id, cls.name, f"medication '{cls.id}', note on {note.names[0]}", text,
                          note.sources)
    yield from _combination_hits(kb, words)


def _combination_hits(kb: Corpus, words: list[str]):
    classes = {fold(name): cls for cls in kb.medications.classes for name in cls.generic_names}
    for combo in kb.medications.combinations:
        text = f"{combo.brand}: a combination of {' + '.join(combo.ingredients)} ({combo.region})"
        listed = [classes[fold(i)] for i in combo.ingredients if fold(i) in classes]
        if listed and words_match(words, text):
            cls = listed[0]
            yield Hit("medication", cls.id, cls.name, f"medication '{cls.id}', combination {combo.brand}", text,
                      combo.sources)


def _texts(kb: Corpus) -> Iterator[str]:
    """Every searchable text, for the "did you mean" vocabulary."""
    for topic in kb.topics:
        yield from (topic.title, topic.summary, *topic.aliases, *(p.text for p in topic.points))
    for food in kb.foods.foods:
        yield from (food.name, food.category, *food.aliases, *food.notes)
    for cls in kb.medications.classes:
        yield from (cls.name, *cls.generic_names, *cls.brand_names, cls.effect, cls.advice, *cls.notes)
    yield from (combo.brand for combo in kb.medications.combinations)


def _near(word: str, vocabulary: list[str]) -> list[str]:
    """Words of the reference close to a query word: longer words starting with it, then close spellings."""
    longer = [v for v in vocabulary if v.startswith(word) and v != word][:3]
    return list(dict.fromkeys(longer + close(word, vocabulary, n=3, cutoff=0.75)))[:3]


def _no_hit_notes(kb: Corpus, text: str, words: list[str]) -> tuple[str, ...]:
    notes = [f"Nothing matched {show(text)}: no topic, food or medicine holds every word."]
    vocabulary = sorted({w for t in _texts(kb) for w in re.findall(r"[a-z0-9][a-z0-9'-]+", fold(t))})
    stems = {stem(w) for v in vocabulary for w in _WORD.findall(v)}
    suggestions = []
    for word in words:
        folded = fold(word)
        if folded in vocabulary or stem(folded) in stems:
            continue
        close = _near(folded, vocabulary)
        if close:
            suggestions.append(f"{word!r}: did you mean {' or '.join(close)}?")
    notes.extend(suggestions)
    if not suggestions and len(words) > 1:
        notes.append("Each word may appear somewhere, but not together in one entry; try fewer words.")
    return tuple(notes)


def _all_hits(kb: Corpus, words: list[str]) -> tuple[Hit, ...]:
    return (*_topic_hits(kb, words), *_food_hits(kb, words), *_medication_hits(kb, words),
            *_risk_hits(kb, words), *_absorption_hits(kb, words))


def _without_salt_words(words: list[str]) -> list[str]:
    """The words with salt, dosage-form and pack words left out ("esomeprazole magnesium" -> esomeprazole), as
    `b12 meds` reads a medicine's name; the words unchanged when nothing else would be left."""
    from b12cli.domain.meds import FORM_WORDS, PACK_WORDS, SALT_WORDS

    kept = [w for w in words if w not in SALT_WORDS | FORM_WORDS | PACK_WORDS]
    return kept if kept else words


def search(kb: Corpus, text: str) -> SearchResult:
    words = text.casefold().split()
    if not words:
        raise UsageError(f"search text {show(text)} is empty; expected one or more words")
    hits = _all_hits(kb, words)
    if not hits and len(_without_salt_words(words)) < len(words):
        kept = _without_salt_words(words)
        hits = _all_hits(kb, kept)
        if hits:
            left = ", ".join(w for w in words if w not in kept)
            return SearchResult(text, hits, (f"Nothing held every word, so {left} (a salt or dosage-form word, "
                                             f"as 'b12 meds' reads medicine names) was left out: showing "
                                             f"{show(' '.join(kept))}.",))
    return SearchResult(text, tuple(hits), () if hits else _no_hit_notes(kb, text, words))


# --- decision commands: symptoms and risk factors (b12 risk), the absorption model (b12 absorb)


def _risk_hits(kb: Corpus, words: list[str]):
    risk = kb.risk
    for kind, records in (("symptom", risk.symptoms), ("factor", risk.factors)):
        for record in records:
            line = f"{record.name}: {record.text}"
            if words_match(words, line):
                yield Hit("risk", record.id, record.name, f"risk {kind} '{record.id}' (b12 risk)", line,
                          record.sources)


def _absorption_hits(kb: Corpus, words: list[str]):
    model = kb.absorption
    parts = [(f"point {n}", p.text, p.sources) for n, p in enumerate(model.points, start=1)]
    parts += [(m.id, m.text, m.sources) for m in (model.saturation, model.passive, model.spacing, model.reference)]
    for where, line, sources in parts:
        if words_match(words, line):
            yield Hit("absorption", "absorption", "Absorption model", f"absorption model, {where} (b12 absorb)",
                      line, sources)
