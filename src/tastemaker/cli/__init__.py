"""The ``tastemaker`` command: one group, one module per command.

Errors a person can fix (bad files, unknown ids, missing models) become one line on stderr and
exit code 1, never a traceback; ``TASTEMAKER_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys

import click

from tastemaker.cli._common import cli, flag_hint
from tastemaker.cli import (bandit, batch_recommend, content, demo, discover_weekly, evaluate, home, index,  # noqa: F401
                            ingest, pipeline, recommend, serve, text, train)  # (register commands)

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    from tastemaker.errors import TastemakerError

    try:
        cli.main(args=argv, prog_name="tastemaker", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, EOFError):  # click turns any EOFError into Abort: a truncated file
            click.echo(f"error: {exc.__cause__}", err=True)
            return 1
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as exc:  # usage line, hint and "Error: ...", exit code 2
        exc.show()
        return exc.exit_code
    except click.ClickException as exc:  # no store, no model: the same one line as the errors below
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (TastemakerError, FileNotFoundError, ValueError, IndexError, KeyError) as exc:
        if os.environ.get("TASTEMAKER_DEBUG"):
            raise  # the full traceback, for bug reports
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        click.echo(f"error: {message}{flag_hint(getattr(exc, 'setting', None))}", err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
