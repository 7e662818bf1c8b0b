"""`b12 search`: every word, anywhere in the topics, foods, medicines and risk factors."""

from __future__ import annotations

from typing import List

import typer

from b12cli.commands.options import format_option, kb, tables
from b12cli.output.formats import Result, read_format

MAX_SEARCH_CHARS = 200  # a search is a few words; a longer text is a mistake and would only cost time


def search(
    words: List[str] = typer.Argument(..., help="Words to find (all must appear).", metavar="WORD"),
    fmt: str = format_option(),
) -> Result:
    """Search topics, foods and medicines; says where each match was found.

    \b
    Examples:
      b12 search tingling
      b12 search nitrous oxide
      b12 search liver --format csv
    """
    from b12cli.domain import search as core
    from b12cli.errors import UsageError
    from b12cli.output import documents

    fmt = read_format(fmt)
    text = " ".join(words)
    if len(text) > MAX_SEARCH_CHARS:
        raise UsageError(f"search text of {len(text)} characters is too long; expected a few words "
                         f"(at most {MAX_SEARCH_CHARS} characters)")
    base = kb()
    corpus = core.Corpus(base.topics, base.foods, base.medications, base.risk, base.absorption)
    result = core.search(corpus, text)
    document = lambda: documents.search_json(result)  # noqa: E731
    return Result(fmt, document, lambda: document()["items"], documents.CSV_HEADERS["search"],
                  lambda: tables().search(result))

