"""What every command shares: the ``smsreply`` group, the service, output and errors.

Every command that shows data takes ``--json``; user errors exit 1 with one clear line
(``friendly``). Commands work on the database directly and do the resulting work (answers,
sends) before returning, so they are useful with or without a running server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from ..errors import SmsReplyError
from ..project import write_project_config
from ..service import Service
from ..settings import PROJECT_CONFIG, ConfigError, load_settings, project_config
from ..store import DatabaseUnavailable, InsufficientCredits, NotFound, Store

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def friendly(function: Callable) -> Callable:
    """Turn expected errors into one line on stderr and exit status 1."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (
            ConfigError,
            SmsReplyError,
            NotFound,
            InsufficientCredits,
            DatabaseUnavailable,
        ) as error:
            raise click.ClickException(getattr(error, "message", None) or str(error)) from None

    return wrapper


def make_service(ctx: click.Context, create: bool = False) -> Service:
    """The service on the configured database; only ``create`` (``smsreply init``) may
    start a new installation, so a command run from the wrong folder stops instead."""
    obj = ctx.ensure_object(dict)
    if "service" not in obj:
        settings = command_settings(ctx, create)
        store = Store.from_settings(settings)
        ctx.find_root().call_on_close(store.close)  # a PostgreSQL pool ends with the command
        store.migrate()
        obj["service"] = Service(settings, store)
    return obj["service"]


def command_settings(ctx: click.Context, create: bool = False) -> dict[str, object]:
    """The settings, when a configuration is found (``--config``, ``SMSREPLY_CONFIG``,
    ``config/smsreply.toml`` here, or ``SMSREPLY_DATABASE_*``); else a ConfigError."""
    config = ctx.ensure_object(dict).get("config")
    env = os.environ
    named = bool(env.get("SMSREPLY_DATABASE_PATH") or env.get("SMSREPLY_DATABASE_URL"))
    if config is None and not named and project_config() is None:
        if not create:
            raise ConfigError(
                f"no configuration found: no {PROJECT_CONFIG} in {Path.cwd()}, and neither "
                "--config nor SMSREPLY_CONFIG is given. Run smsreply in the project folder, "
                "or give --config PATH/TO/config/smsreply.toml (`smsreply init` starts a new "
                "installation here)"
            )
        write_project_config(Path.cwd())
    settings = load_settings(config)
    path = Path(settings["database.path"])
    if not create and not settings["database.url"] and not path.exists():
        raise ConfigError(
            f"no database at {path}: this configuration has no installation yet "
            "(`smsreply init` creates it), or its database.path is not the one meant"
        )
    return settings


def emit(data: object, as_json: bool, text: Callable[[object], str]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else text(data))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group(context_settings=CONTEXT)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="SMSREPLY_CONFIG",
    help="Config file (default: $SMSREPLY_CONFIG).",
)
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """smsreply: a self-hosted two-way SMS reply server.

    \b
    Example:
        smsreply init && smsreply send 0612345678 "RDV demain 10h. Repondez OUI ou NON"
    """
    ctx.ensure_object(dict)["config"] = config
