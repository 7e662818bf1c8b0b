"""`b12 about`: the reference topics, each a list of cited points."""

from __future__ import annotations

from typing import NamedTuple

from b12cli.domain.model import Topic
from b12cli.domain.names import Index
from b12cli.domain.text import show
from b12cli.errors import UsageError


class AboutResult(NamedTuple):
    topics: tuple[Topic, ...]
    topic: Topic | None  # the one asked for, or None for the list


def find_topic(topics: tuple[Topic, ...], name: str) -> Topic:
    """A topic by id, title or alias, any case, a plural allowed ("treatments"); otherwise a UsageError
    with the nearest names."""
    index = Index((t, (t.id, t.title, *t.aliases)) for t in topics)
    found = index.find(name) or (index.find(name.rstrip()[:-1]) if name.rstrip().endswith("s") else None)
    if found is not None:
        return found
    near = [t.id for t in index.near(name, n=5)]
    hint = f"did you mean: {', '.join(near)}?" if near else f"expected one of {', '.join(t.id for t in topics)}"
    raise UsageError(f"topic {show(name)} is not known; {hint} ('b12 about' lists them)")


def about(topics: tuple[Topic, ...], name: str | None) -> AboutResult:
    return AboutResult(topics, None if name is None else find_topic(topics, name))
