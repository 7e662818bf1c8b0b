"""`b12 about`: the reference topics, each a list of cited points."""

from __future__ import annotations

import difflib
from typing import NamedTuple

from b12cli.errors import UsageError
from b12cli.kb import Topic
from b12cli.values import show


class AboutResult(NamedTuple):
    topics: tuple[Topic, ...]
    topic: Topic | None  # the one asked for, or None for the list


def _key(text: str) -> str:
    return "-".join(text.casefold().replace("_", " ").split())


def find_topic(topics: tuple[Topic, ...], name: str) -> Topic:
    """A topic by id, title or alias (case-insensitive); otherwise a UsageError with the nearest names."""
    key = _key(name)
    names: dict[str, Topic] = {}
    for topic in topics:
        for alias in (topic.id, topic.title, *topic.aliases):
            names.setdefault(_key(alias), topic)
    if key in names:
        return names[key]
    near = difflib.get_close_matches(key, list(names), n=5, cutoff=0.6)
    ids = list(dict.fromkeys(names[n].id for n in near))
    hint = f"did you mean: {', '.join(ids)}?" if ids else f"expected one of {', '.join(t.id for t in topics)}"
    raise UsageError(f"topic {show(name)} is not known; {hint} ('b12 about' lists them)")


def about(topics: tuple[Topic, ...], name: str | None) -> AboutResult:
    return AboutResult(topics, None if name is None else find_topic(topics, name))
