"""`b12 search`: every word, anywhere in the topics, foods and medications."""

from __future__ import annotations

import difflib
import re
from typing import Iterator, NamedTuple

from b12cli.errors import UsageError
from b12cli.foods import fold, words_match
from b12cli.kb import KnowledgeBase
from b12cli.values import show


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


def _topic_hits(kb: KnowledgeBase, words: list[str]):
    for topic in kb.topics:
        heading = f"{topic.title}: {topic.summary}"
        if words_match(words, heading):
            yield Hit("topic", topic.id, topic.title, f"topic '{topic.id}', title and summary", heading, ())
        for n, point in enumerate(topic.points, start=1):
            if words_match(words, point.text):
                yield Hit("topic", topic.id, topic.title, f"topic '{topic.id}', point {n}", point.text, point.sources)


def _food_hits(kb: KnowledgeBase, words: list[str]):
    for food in kb.foods.foods:
        summary = f"{food.mcg_per_serving:g} mcg per {food.serving}"
        if food.aliases:
            summary += f" (also known as {', '.join(food.aliases)})"
        if words_match(words, food.name, food.category, *food.aliases):
            yield Hit("food", food.id, food.name, f"food '{food.id}', name", summary, food.sources)
        for n, note in enumerate(food.notes, start=1):
            if words_match(words, note):
                yield Hit("food", food.id, food.name, f"food '{food.id}', note {n}", note, food.sources)


def _medication_hits(kb: KnowledgeBase, words: list[str]):
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


def _combination_hits(kb: KnowledgeBase, words: list[str]):
    classes = {fold(name): cls for cls in kb.medications.classes for name in cls.generic_names}
    for combo in kb.medications.combinations:
        text = f"{combo.brand}: a combination of {' + '.join(combo.ingredients)} ({combo.region})"
        listed = [classes[fold(i)] for i in combo.ingredients if fold(i) in classes]
        if listed and words_match(words, text):
            cls = listed[0]
            yield Hit("medication", cls.id, cls.name, f"medication '{cls.id}', combination {combo.brand}", text,
                      combo.sources)


def _texts(kb: KnowledgeBase) -> Iterator[str]:
    """Every searchable text, for the "did you mean" vocabulary."""
    for topic in kb.topics:
        yield from (topic.title, topic.summary, *topic.aliases, *(p.text for p in topic.points))
    for food in kb.foods.foods:
        yield from (food.name, food.category, *food.aliases, *food.notes)
    for cls in kb.medications.classes:
        yield from (cls.name, *cls.generic_names, *cls.brand_names, cls.effect, cls.advice, *cls.notes)
    yield from (combo.brand for combo in kb.medications.combinations)


def _no_hit_notes(kb: KnowledgeBase, text: str, words: list[str]) -> tuple[str, ...]:
    notes = [f"Nothing matched {show(text)}: no topic, food or medicine holds every word."]
    vocabulary = sorted({w for t in _texts(kb) for w in re.findall(r"[a-z0-9][a-z0-9'-]+", fold(t))})
    haystack = set(vocabulary)
    suggestions = []
    for word in words:
        if fold(word) in haystack or any(fold(word) in v for v in vocabulary):
            continue
        close = difflib.get_close_matches(fold(word), vocabulary, n=3, cutoff=0.75)
        if close:
            suggestions.append(f"{word!r}: did you mean {' or '.join(close)}?")
    notes.extend(suggestions)
    if not suggestions and len(words) > 1:
        notes.append("Each word may appear somewhere, but not together in one entry; try fewer words.")
    return tuple(notes)


def search(kb: KnowledgeBase, text: str) -> SearchResult:
    words = text.casefold().split()
    if not words:
        raise UsageError(f"search text {show(text)} is empty; expected one or more words")
    hits = (*_topic_hits(kb, words), *_food_hits(kb, words), *_medication_hits(kb, words),
            *_risk_hits(kb, words), *_absorption_hits(kb, words))
    return SearchResult(text, tuple(hits), () if hits else _no_hit_notes(kb, text, words))


# --- decision commands: symptoms and risk factors (b12 risk), the absorption model (b12 absorb)


def _risk_hits(kb: KnowledgeBase, words: list[str]):
    risk = kb.risk
    for kind, records in (("symptom", risk.symptoms), ("factor", risk.factors)):
        for record in records:
            line = f"{record.name}: {record.text}"
            if words_match(words, line):
                yield Hit("risk", record.id, record.name, f"risk {kind} '{record.id}' (b12 risk)", line,
                          record.sources)


def _absorption_hits(kb: KnowledgeBase, words: list[str]):
    model = kb.absorption
    parts = [(f"point {n}", p.text, p.sources) for n, p in enumerate(model.points, start=1)]
    parts += [(m.id, m.text, m.sources) for m in (model.saturation, model.passive, model.spacing, model.reference)]
    for where, line, sources in parts:
        if words_match(words, line):
            yield Hit("absorption", "absorption", "Absorption model", f"absorption model, {where} (b12 absorb)",
                      line, sources)
