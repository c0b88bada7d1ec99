"""What every command shares: the group, the store and model options, and printing."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from tastemaker import __version__
from tastemaker._config import default_model_root, resolve_db_path

__all__ = ["cli", "Context", "pass_ctx", "table", "FLAGS", "flag_hint"]

#: library settings (``InputError.setting``) -> the flag that sets them
FLAGS = {
    "algorithm": "--algorithm", "factors": "--factors", "regularization": "--regularization", "alpha": "--alpha",
    "epsilon": "--epsilon", "iterations": "--iterations", "num_threads": "--threads", "index": "--index",
    "engine": "--engine", "spark_master": "--master", "events": "--events", "place": "--place/--no-place",
    "blend": "--blend", "M": "--M", "ef": "--ef", "ef_construction": "--ef-construction", "space": "--space",
    "new_artists": "--new-artists", "user": "--user", "db": "--db", "model": "--model", "week": "--week",
    "format": "--format", "by": "--by", "inbox": "--inbox", "server": "--server", "n": "-n", "output": "--output",
}


def flag_hint(setting: str | None) -> str:
    """`` (see --flag)`` for a library setting that has a flag, else ``""``."""
    flag = FLAGS.get(setting or "")
    return f" (see {flag})" if flag else ""


class Context:
    """The store and model locations every command works on."""

    def __init__(self, db: str | None, model: str | None):
        self.db_path = resolve_db_path(db)
        #: the model bundle's root directory (its versions, CURRENT, bart.npz, audio.npz)
        self.model_root = Path(model).expanduser() if model else default_model_root(self.db_path)

    def store(self, read_only: bool = False):
        from tastemaker.data import Store

        if read_only and not self.db_path.exists():
            raise click.ClickException(
                f"no store at {self.db_path}: ingest data first, e.g. `tastemaker ingest hetrec`")
        return Store(self.db_path, read_only=read_only)

    def bundle(self, index: bool = True):
        """The current model bundle (one line of warning for an unreadable index)."""
        from tastemaker.bundle import ModelBundle

        with warnings.catch_warnings(record=True) as caught:  # a damaged index: one line, not a warning dump
            warnings.simplefilter("always", UserWarning)
            bundle = ModelBundle.load(self.model_root, index=index)
        for warning in caught:
            click.echo(f"warning: {warning.message}", err=True)
        return bundle


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="TASTEMAKER_DB", type=click.Path(dir_okay=False),
              help="The DuckDB event store [env TASTEMAKER_DB; default: <user data dir>/tastemaker.duckdb].")
@click.option("--model", "model_path", envvar="TASTEMAKER_MODEL", type=click.Path(),
              help="The model directory [env TASTEMAKER_MODEL; default: models/ next to the store].")
@click.version_option(__version__, prog_name="tastemaker")
@click.pass_context
def cli(ctx: click.Context, db: str | None, model_path: str | None) -> None:
    """tastemaker: an open music recommender.

    Ingest listening data into the embedded store, train, recommend, explain and evaluate.
    Start with `tastemaker demo`.
    """
    ctx.obj = Context(db, model_path)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain, aligned text table."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
