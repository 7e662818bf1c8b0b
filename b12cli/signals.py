"""Ctrl-C and SIGTERM end a run between records, never inside one. A leaf module: it imports
nothing of b12, so the entry point can install the handlers before anything else is imported.

While a record is being written (``whole()``), a first signal is held until the write is done and
then raised; a second one stops at once (a reader that never reads would otherwise hold b12 up)."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

_state = {"writing": 0, "held": None}


def _handler(signum: int, frame: object) -> None:  # noqa: ARG001 - the signal handler's signature
    name = signal.Signals(signum).name
    if _state["writing"] and _state["held"] is None:
        _state["held"] = name
        return
    raise KeyboardInterrupt(name)


def install() -> None:
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


@contextmanager
def whole() -> Iterator[None]:
    """Hold a signal that arrives while the block runs (one record or chunk being written)."""
    _state["writing"] += 1
    try:
        yield
    finally:
        _state["writing"] -= 1
        held = _state["held"]
        if held is not None and not _state["writing"]:
            _state["held"] = None
            raise KeyboardInterrupt(held)
