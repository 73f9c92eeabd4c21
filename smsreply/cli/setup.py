"""Setting up: ``init``, manager users, the API key, ``info``."""

from __future__ import annotations

import sys

import click

from ..accounts import users
from ..accounts.credentials import ensure_callback_token, has_api_key, new_api_key
from ..accounts.ledger_reasons import reason
from ..project import base_url_mismatch
from ..service import Service
from ..store import NotFound
from ..store.files import loose_permissions
from .common import cli, emit, friendly, json_option, make_service


@cli.command()
@click.option("--if-needed", is_flag=True, help="Do nothing if already initialised.")
@click.option(
    "--admin",
    default="admin",
    show_default=True,
    help="Name of the first manager account, made when there is none.",
)
@click.pass_context
@friendly
def init(ctx: click.Context, if_needed: bool, admin: str) -> None:
    """Create the database, the callback token, an API key and the first manager account
    (the key and the account's password are shown once).

    \b
    Example:
        smsreply init --admin alice
    """
    users.check_username(admin)
    service = make_service(ctx, create=True)
    store = service.store
    if has_api_key(store):
        if if_needed:
            click.echo(
                f"smsreply is initialised ({store.location}); `smsreply info` shows the URLs."
            )
            _first_admin(service, admin)  # databases made before the manager existed
            return
        raise click.ClickException(
            f"{store.location} is already initialised; `smsreply api-key` makes a new API key"
        )
    token = ensure_callback_token(store)
    key = new_api_key(store)
    initial = service.settings["credits.initial"]
    if initial > 0 and store.balance() == 0:
        service.add_credits(initial, reason("initial_credits"))
    click.echo(f"Database:     {store.location}")
    click.echo(f"Callback URL: {service.callback_urls(token)['reply_callback_url']}")
    click.echo(f"Credits:      {store.balance()}")
    click.echo(f"API key:      {key}")
    click.echo("Keep the API key: it is shown only this once (stored hashed).")
    _first_admin(service, admin)


def _first_admin(service: Service, username: str) -> None:
    """Create the first manager account with a random password, if there is no account."""
    if users.has_users(service.store):
        return
    password = users.random_password()
    users.create_user(service.store, username, password, service.now_iso())
    base = service.settings["server.base_url"].rstrip("/")
    click.echo(f"Manager:      {base}/manager/")
    click.echo(f"Manager user: {username}")
    click.echo(f"Password:     {password}")
    click.echo(
        f"Keep the password: it is shown only this once (`smsreply user passwd {username}`)."
    )


@cli.group()
def user() -> None:
    """Manage the web manager's accounts."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@user.command("add")
@click.argument("name")
@password_stdin
@click.pass_context
@friendly
def user_add(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Create the account NAME; asks for its password twice.

    \b
    Example:
        smsreply user add alice
        printf '%s\\n' "$PASSWORD" | smsreply user add alice --password-stdin
    """
    service = make_service(ctx)
    users.check_username(name)
    users.create_user(service.store, name, _read_password(password_stdin), service.now_iso())
    click.echo(f"user {name} created")


@user.command("passwd")
@click.argument("name")
@password_stdin
@click.pass_context
@friendly
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Change the password of NAME (its open sessions end).

    \b
    Example:
        smsreply user passwd alice
    """
    store = make_service(ctx).store
    if store.find_user(name) is None:
        raise NotFound(f"user {name!r} not found")
    users.change_password(store, name, _read_password(password_stdin))
    click.echo(f"password of {name} changed")


@user.command("list")
@json_option
@click.pass_context
@friendly
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the accounts.

    \b
    Example:
        smsreply user list --json
    """
    rows = make_service(ctx).store.list_users()
    emit(
        rows,
        as_json,
        lambda items: (
            "\n".join(f"{u['username']:20} {u['created_at']}" for u in items) or "no users"
        ),
    )


@cli.command("api-key")
@click.pass_context
@friendly
def api_key(ctx: click.Context) -> None:
    """Replace the API key with a new one, shown once.

    \b
    Example:
        smsreply api-key
    """
    click.echo(new_api_key(make_service(ctx).store))


@cli.command()
@json_option
@click.pass_context
@friendly
def info(ctx: click.Context, as_json: bool) -> None:
    """Show the base URL, callback URLs, database and provider.

    \b
    Example:
        smsreply info --json
    """
    service = make_service(ctx)
    base = service.settings["server.base_url"].rstrip("/")
    token = ensure_callback_token(service.store)
    data = {
        "base_url": base,
        **service.callback_urls(token),
        "database": service.store.location,
        "provider": service.provider.name,
        "balance": service.store.balance(),
    }
    mismatch = base_url_mismatch(service.settings)
    if mismatch:
        click.echo(f"warning: {mismatch}", err=True)
    if service.store.path is not None:  # an SQLite file (PostgreSQL guards its own files)
        for problem in loose_permissions(service.store.path):
            click.echo(f"warning: {problem}", err=True)
    emit(data, as_json, lambda d: "\n".join(f"{k:20} {v}" for k, v in d.items()))
