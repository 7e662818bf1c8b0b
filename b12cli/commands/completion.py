"""`b12 completion SHELL`: the shell completion script."""

from __future__ import annotations

import typer

from b12cli.commands.options import starting
from b12cli.output.formats import Result

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_B12_COMPLETE"  # Typer's name for b12's completion request: _{PROG}_COMPLETE


def complete_shell(incomplete: str) -> list[str]:
    return starting(SHELLS, incomplete)


def completion(
    shell: str = typer.Argument(..., help="bash, zsh or fish.", metavar="SHELL", autocompletion=complete_shell),
) -> Result:
    """Print the shell completion script for bash, zsh or fish.

    \b
    Examples:
      b12 completion bash >> ~/.bashrc
      b12 completion zsh > ~/.zfunc/_b12
      b12 completion fish > ~/.config/fish/completions/b12.fish
    """
    import sys

    from b12cli.domain.text import show
    from b12cli.errors import UsageError
    from b12cli.typer_compat import completion_script

    name = shell.strip().casefold()
    if name not in SHELLS:
        raise UsageError(f"shell {show(shell)} is not supported; expected one of {', '.join(SHELLS)}")
    script = completion_script(name, COMPLETE_VAR)
    return Result("table", table=lambda: sys.stdout.write(script))
