"""`b12 about`: the reference, topic by topic."""

from __future__ import annotations

import typer

from b12cli.commands.options import format_option, kb, starting, tables
from b12cli.output.formats import Result, read_format


def complete_topic(incomplete: str) -> list[str]:
    return starting([t.id for t in kb().topics], incomplete)


def about(
    topic: str | None = typer.Argument(None, help="A topic id, e.g. symptoms.", metavar="TOPIC",
                                       autocompletion=complete_topic),
    fmt: str = format_option(),
) -> Result:
    """What the sources say, topic by topic, each point with its sources ('b12 sources' lists them).

    \b
    Examples:
      b12 about                     # the topics
      b12 about symptoms
      b12 about safety --format json
    """
    from b12cli.domain import about as core
    from b12cli.output import documents

    fmt = read_format(fmt)
    result = core.about(kb().topics, topic)
    header = documents.CSV_HEADERS["about-list" if result.topic is None else "about-topic"]
    document = lambda: documents.about_json(result)  # noqa: E731
    return Result(fmt, document, lambda: document()["items"], header, lambda: tables().about(result))

