"""`b12 meds`: medicines that can lower B12, and name look-ups."""

from __future__ import annotations

import sys
from typing import List

import typer

from b12cli.commands.options import format_option, kb, starting, tables
from b12cli.errors import ExitCode
from b12cli.output.formats import Result, read_format


def complete_medicine(incomplete: str) -> list[str]:
    classes = kb().medications.classes
    return starting([n for c in classes for n in c.generic_names + c.brand_names if " " not in n], incomplete)


def read_stdin_names(limit: int) -> list[str]:
    """Names from stdin, one a line, as UTF-8 (a byte that is not UTF-8 is escaped, never fatal)."""
    from b12cli.domain.meds import read_names
    from b12cli.errors import UsageError

    stdin = sys.stdin
    if stdin is None:
        raise UsageError("'-' reads names from standard input, but standard input is closed")
    buffer = getattr(stdin, "buffer", None)
    raw = buffer.read(limit + 1) if buffer is not None else stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    if len(raw) > limit:
        raise UsageError(f"standard input holds more than {limit:,} bytes; expected medicine names, one a line")
    return read_names(raw.decode("utf-8", "surrogateescape").splitlines())


def meds(
    names: List[str] | None = typer.Argument(None, help="Generic or brand names to look up; one argument may hold "
                                             "several (a, b / a + b / a and b); '-' reads names from stdin, one a "
                                             "line.", metavar="NAME", autocompletion=complete_medicine),
    check: bool = typer.Option(False, "--check", help="Exit 3 when any name is a listed medicine; a near-miss "
                               "spelling is refused (exit 2)."),
    fmt: str = format_option(),
) -> Result:
    """Medicines that can lower B12; look up generic, brand, salt-form or combination names.

    \b
    Examples:
      b12 meds                      # every listed class
      b12 meds omeprazole Pepcid aspirin
      b12 meds "metformin hydrochloride" Janumet Losec
      b12 meds metformin --check    # exit 3 when a name is listed
    """
    from b12cli.domain import meds as core
    from b12cli.errors import UsageError
    from b12cli.output import documents

    fmt = read_format(fmt)
    asked = list(names or [])
    if "-" in asked:
        if len(asked) > 1:
            raise UsageError("'-' (read names from stdin) cannot be combined with names on the command line")
        asked = read_stdin_names(core.MAX_STDIN_CHARS)
    result = core.lookup(kb().medications, asked)
    if check and core.typo_error(result):
        raise UsageError(core.typo_error(result))
    header = documents.CSV_HEADERS["meds-list" if result.results is None else "meds-lookup"]
    document = lambda: documents.meds_json(result)  # noqa: E731
    code = ExitCode.CHECK_FAILED if check and result.any_match else ExitCode.OK
    return Result(fmt, document, lambda: documents.list_rows(document()), header, lambda: tables().meds(result),
                  exit_code=code)
