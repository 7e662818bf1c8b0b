"""Repeatable name options that also take comma-separated lists: ``--meds a,b --meds c``."""

from __future__ import annotations

from b12cli.domain.text import show
from b12cli.errors import UsageError


def split_names(values: list[str] | None, option: str) -> tuple[str, ...]:
    """The names given, in order; an empty name (``a,,b``) is refused."""
    names = []
    for value in values or []:
        parts = [part.strip() for part in value.split(",")]
        if not all(parts):
            raise UsageError(f"{option} {show(value)} holds an empty name; expected NAME or NAME,NAME")
        names += parts
    return tuple(names)
