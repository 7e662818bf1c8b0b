"""The console entry point, kept tiny so that Ctrl-C at any moment, even while the rest of b12 is
still being imported, ends with one line and exit 130, never a traceback. SIGTERM (``timeout``,
``docker stop``, systemd) ends a run the same way: between records, never inside one."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from b12cli import signals

        signals.install()
        from b12cli.app import run

        run(sys.argv[1:])
    except KeyboardInterrupt:
        try:
            sys.stderr.write("b12: error: interrupted; the output may be incomplete\n")
        except (OSError, ValueError, AttributeError):
            pass
        sys.exit(130)
