"""`b12 sources`: every source the knowledge base cites, or the ones asked for."""

from __future__ import annotations

from typing import List

import typer

from b12cli.commands.options import format_option, kb, starting, tables
from b12cli.output.formats import Result, read_format


def complete_source(incomplete: str) -> list[str]:
    return starting(kb().sources, incomplete)


def sources(
    ids: List[str] | None = typer.Argument(None, metavar="ID", autocompletion=complete_source,
                                           help="Source ids to show (as cited, e.g. nice-ng239); all when none."),
    fmt: str = format_option(),
) -> Result:
    """Every source the knowledge base cites, or the ones named.

    \b
    Examples:
      b12 sources
      b12 sources nice-ng239 ods-b12
      b12 sources --format json
    """
    from b12cli.domain.names import Index
    from b12cli.domain.text import show
    from b12cli.errors import UsageError
    from b12cli.output import documents

    fmt = read_format(fmt)
    known = kb().sources
    items = list(known.values())
    if ids:
        index = Index((s, (s.id,)) for s in items)
        items = []
        for wanted in ids:
            found = index.find(wanted)
            if found is None:
                near = [s.id for s in index.near(wanted)]
                hint = f"did you mean {' or '.join(near)}?" if near else "'b12 sources' lists them"
                raise UsageError(f"source {show(wanted)} is not known; {hint}")
            items.append(found)
    document = lambda: documents.sources_json(items)  # noqa: E731
    return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["sources"],
                  lambda: tables().sources(items))

