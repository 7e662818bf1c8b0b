"""One exception family; the CLI turns it into an exit code in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    KNOWLEDGE_BASE = 1  # knowledge-base or internal error
    USAGE = 2  # usage error or invalid input value
    CHECK_FAILED = 3  # --check found something abnormal
    ROWS_INVALID = 4  # batch finished but some rows were invalid


class B12Error(Exception):
    """Base of every error b12 reports to the user as one line."""

    exit_code = ExitCode.KNOWLEDGE_BASE


class UsageError(B12Error):
    """A bad option, a bad value or a bad combination: exit 2."""

    exit_code = ExitCode.USAGE


class KnowledgeBaseError(B12Error):
    """The knowledge base is missing, malformed or inconsistent: exit 1."""

    exit_code = ExitCode.KNOWLEDGE_BASE
