"""The database: ``copy-database`` moves an SQLite installation to PostgreSQL."""

from __future__ import annotations

import click

from ..settings import load_settings
from ..store import Store
from ..store.transfer import TargetNotEmpty, copy_database
from .common import cli, command_settings, emit, friendly, json_option


@cli.command("copy-database")
@click.option(
    "--to",
    "url",
    required=True,
    envvar="SMSREPLY_COPY_TO",
    help="The empty PostgreSQL database: postgresql://user:pass@host:5432/db.",
)
@click.option(
    "--from",
    "path",
    type=click.Path(dir_okay=False, exists=True),
    help="The SQLite file (default: database.path).",
)
@json_option
@click.pass_context
@friendly
def copy_database_command(ctx: click.Context, url: str, path: str | None, as_json: bool) -> None:
    """Copy the SQLite database, every table with its ids, into an empty PostgreSQL
    database; then set database.url to it. Stop the server first: rows written during
    the copy would be left behind.

    \b
    Example:
        smsreply copy-database --to postgresql://smsreply:secret@db1:5432/smsreply
    """
    settings = command_settings(ctx) if path is None else load_settings(ctx.obj.get("config"))
    source = Store(path or settings["database.path"], settings["database.busy_timeout"])
    target = Store(url=url, pool_size=2)
    try:
        counts = copy_database(
            source,
            target,
            progress=lambda table, rows: None if as_json else click.echo(f"{table:20} {rows}"),
        )
    except TargetNotEmpty as error:
        raise click.ClickException(str(error)) from None
    finally:
        source.close()
        target.close()
    emit(
        {"from": str(source.location), "to": target.location, "rows": counts},
        as_json,
        lambda d: (
            f"Copied {sum(counts.values())} rows from {d['from']} to {d['to']}.\n"
            "Next: set database.url (SMSREPLY_DATABASE_URL) to it and start smsreply."
        ),
    )
