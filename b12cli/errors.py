"""One exception family and the exit codes; the application turns them into a line on stderr and
an exit code in one place (``app.exit_code_for``). A leaf module: it imports nothing of b12."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    KNOWLEDGE_BASE = 1  # the knowledge base is missing, malformed or inconsistent
    USAGE = 2  # a usage error or an invalid input value
    CHECK_FAILED = 3  # --check found something abnormal
    ROWS_INVALID = 4  # the input was read to the end, but some rows or records were invalid
    INTERNAL = 70  # a bug in b12 (sysexits EX_SOFTWARE); --traceback shows where
    OUTPUT_FAILED = 74  # the output could not be written, e.g. a full disk (sysexits EX_IOERR)
    INTERRUPTED = 130  # Ctrl-C or SIGTERM, as shells report a signal (128 + SIGINT)


class B12Error(Exception):
    """Base of every error b12 reports to the user as one line."""

    exit_code = ExitCode.INTERNAL


class UsageError(B12Error):
    """A bad option, a bad value or a bad combination: exit 2."""

    exit_code = ExitCode.USAGE


class KnowledgeBaseError(B12Error):
    """The knowledge base is missing, malformed or inconsistent: exit 1."""

    exit_code = ExitCode.KNOWLEDGE_BASE


class OutputError(B12Error):
    """The output could not be written (a full disk, a device error): exit 74."""

    exit_code = ExitCode.OUTPUT_FAILED
