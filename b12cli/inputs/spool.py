"""Error records kept on disk once there are many: a file of a million bad rows must not hold a
million messages in memory before the summary is written."""

from __future__ import annotations

import json
import tempfile
from typing import Iterator

from b12cli.domain.history import Problem, Problems, Where

IN_MEMORY = 1 << 20  # bytes of error records kept in memory before they go to a temporary file


class SpooledProblems(Problems):
    """Problems written as JSON lines to a temporary file (in memory up to ``IN_MEMORY`` bytes),
    read back in order. The file is removed when it is closed or the process ends."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY, mode="w+", encoding="utf-8", newline="\n")
        self._count = 0

    def add(self, problem: Problem) -> None:
        w = problem.where
        self._file.write(json.dumps([w.file, w.line, w.entry, problem.reason]) + "\n")  # lone surrogates escaped
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Problem]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            file, number, entry, reason = json.loads(line)
            yield Problem(reason, Where(file, number, entry))
        self._file.seek(0, 2)
