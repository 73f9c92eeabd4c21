"""The ``smsreply`` command line: set up, send, simulate replies, read state (click only here).

Every command that shows data takes ``--json``; user errors exit 1 with one clear line.
Commands work on the database directly and do the resulting work (answers, sends) before
returning, so they are useful with or without a running server.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from functools import wraps

import click

from . import reports, users
from .credentials import ensure_callback_token, has_api_key, new_api_key
from .errors import SmsReplyError
from .service import Service
from .settings import ConfigError, load_settings
from .store import InsufficientCredits, NotFound, Store

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def friendly(function: Callable) -> Callable:
    """Turn expected errors into one line on stderr and exit status 1."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ConfigError, SmsReplyError, NotFound, InsufficientCredits) as error:
            raise click.ClickException(getattr(error, "message", None) or str(error)) from None

    return wrapper


def make_service(ctx: click.Context) -> Service:
    obj = ctx.ensure_object(dict)
    if "service" not in obj:
        settings = load_settings(obj.get("config"))
        store = Store(settings["database.path"], settings["database.busy_timeout"])
        store.migrate()
        obj["service"] = Service(settings, store)
    return obj["service"]


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
    service = make_service(ctx)
    store = service.store
    if has_api_key(store):
        if if_needed:
            click.echo(f"smsreply is initialised ({store.path}); `smsreply info` shows the URLs.")
            _first_admin(service, admin)  # databases made before the manager existed
            return
        raise click.ClickException(
            f"{store.path} is already initialised; `smsreply api-key` makes a new API key"
        )
    token = ensure_callback_token(store)
    key = new_api_key(store)
    initial = service.settings["credits.initial"]
    if initial > 0 and store.balance() == 0:
        service.add_credits(initial, "initial credits")
    click.echo(f"Database:     {store.path}")
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
        "database": str(service.store.path),
        "provider": service.provider.name,
        "balance": service.store.balance(),
    }
    emit(data, as_json, lambda d: "\n".join(f"{k:20} {v}" for k, v in d.items()))


@cli.command()
@click.argument("to")
@click.argument("message")
@click.option("--tag", help="Your label for this conversation (echoed to scripts).")
@json_option
@click.pass_context
@friendly
def send(ctx: click.Context, to: str, message: str, tag: str | None, as_json: bool) -> None:
    """Send MESSAGE to TO from a reply-capable short code.

    \b
    Example:
        smsreply send +33612345678 "RDV demain 10h. Repondez OUI ou NON" --tag rdv-42
    """
    service = make_service(ctx)
    conversation = service.send_message(to, message, tag)
    service.drain()
    data = reports.conversation_summary(conversation, service.now_iso())
    emit(
        data,
        as_json,
        lambda d: (
            f"conversation {d['id']} to {d['to']} from {d['shortcode']}: "
            f"{d['segments']} part(s), {d['credits']} credit(s), replies until {d['replies_until']}"
        ),
    )


@cli.command("simulate-reply")
@click.option("--from", "sender", required=True, help="The replying phone number.")
@click.option("--shortcode", required=True, help="The short code the reply is sent to.")
@click.option("--tag", default="", help="The tag the provider echoes, if any.")
@click.option("--id", "provider_id", help="The provider's id (default: random).")
@click.argument("message")
@json_option
@click.pass_context
@friendly
def simulate_reply(
    ctx: click.Context,
    sender: str,
    shortcode: str,
    tag: str,
    provider_id: str | None,
    message: str,
    as_json: bool,
) -> None:
    """Inject a reply through the real callback path, then handle it.

    \b
    Example:
        smsreply simulate-reply --from +33612345678 --shortcode 38123 "OUI"
    """
    from .web import create_app  # the web stack is only needed here

    service = make_service(ctx)
    app = create_app(service.settings, start_worker=False)
    token = ensure_callback_token(service.store)
    form = {
        "shortcode": shortcode,
        "tag": tag,
        "id": provider_id or f"sim-{secrets.token_hex(8)}",
        "senderid": sender,
        "message": message,
    }
    response = app.test_client().post(f"/callbacks/ovh/{token}", data=form)
    result = response.get_json(silent=True) or {}
    if response.status_code != 200:
        raise click.ClickException(result.get("error", {}).get("message", response.status))
    service.drain()
    emit(reports.reply_detail(service.store, result["reply_id"]), as_json, _reply_text)


def _reply_text(reply: dict) -> str:
    line = f"reply {reply['id']} from {reply['sender']}: {reply['status']}"
    if reply["reason"]:
        line += f" ({reply['reason_text']})"
    if reply["answer"]:
        line += f"\nanswer: {reply['answer']['message']!r} [{reply['answer']['status']}]"
    return line


@cli.group()
def options() -> None:
    """Show or change what happens when a reply arrives."""


@options.command("show")
@json_option
@click.pass_context
@friendly
def options_show(ctx: click.Context, as_json: bool) -> None:
    """Show the reply options.

    \b
    Example:
        smsreply options show --json
    """
    emit(
        make_service(ctx).reply_options(),
        as_json,
        lambda d: "\n".join(f"{k}: {v}" for k, v in d.items()),
    )


@options.command("set")
@click.option("--action", "action", required=True, help="none or text (see docs for more).")
@click.option("--text", help="The predefined answer, for --action text.")
@click.pass_context
@friendly
def options_set(ctx: click.Context, action: str, text: str | None) -> None:
    """Choose the action taken on each reply.

    \b
    Example:
        smsreply options set --action text --text "Merci, c'est note."
    """
    options = {"action": action}
    if text is not None:
        options["text"] = text
    saved = make_service(ctx).set_reply_options(options)
    click.echo(json.dumps(saved, ensure_ascii=False))


@cli.command()
@click.option("--number", help="Only conversations with this number (E.164).")
@click.option("--tag", help="Only conversations with this tag.")
@click.option("--status", type=click.Choice(["open", "closed"]), help="Open or closed.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--id", "conversation_id", type=int, help="Show one conversation in full.")
@json_option
@click.pass_context
@friendly
def conversations(
    ctx: click.Context, number, tag, status, limit, conversation_id, as_json: bool
) -> None:
    """List conversations, newest first, or show one with its replies.

    \b
    Example:
        smsreply conversations --status open --json
        smsreply conversations --id 3
    """
    service = make_service(ctx)
    now = service.now_iso()
    if conversation_id is not None:
        detail = reports.conversation_detail(service.store, conversation_id, now)
        emit(detail, as_json, lambda d: json.dumps(d, ensure_ascii=False, indent=2))
        return
    rows, _ = service.store.find_conversations(number, tag, status, now, limit, 0)
    data = [reports.conversation_summary(row, now) for row in rows]
    emit(
        data,
        as_json,
        lambda items: (
            "\n".join(
                f"{c['id']:>6} {c['to']} {c['shortcode'] or '-':>5} {c['status']:6} "
                f"{c['reply_count']} repl. {c['message'][:40]!r}"
                for c in items
            )
            or "no conversations"
        ),
    )


@cli.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
@click.pass_context
@friendly
def outbox(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Show what the simulated provider was handed, newest first.

    \b
    Example:
        smsreply outbox --limit 5
    """
    rows = [reports.outbox_view(row) for row in make_service(ctx).store.list_outbox(limit)]
    emit(
        rows,
        as_json,
        lambda items: (
            "\n".join(
                f"{r['at']} {r['shortcode'] or '-':>5} -> {r['recipient']}: {r['message']}"
                for r in items
            )
            or "the outbox is empty"
        ),
    )


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
@friendly
def credits(ctx: click.Context, as_json: bool) -> None:
    """Show the credit balance; `credits add N` adds N credits.

    \b
    Example:
        smsreply credits --json
    """
    if ctx.invoked_subcommand is None:
        balance = make_service(ctx).store.balance()
        emit({"balance": balance}, as_json, lambda d: f"{d['balance']} credit(s)")


@credits.command("add")
@click.argument("amount", type=click.IntRange(1, 10**9))
@click.option("--reason", default="top-up", show_default=True)
@click.pass_context
@friendly
def credits_add(ctx: click.Context, amount: int, reason: str) -> None:
    """Add AMOUNT credits.

    \b
    Example:
        smsreply credits add 500
    """
    balance = make_service(ctx).add_credits(amount, reason)
    click.echo(f"{balance} credit(s)")


@cli.command()
@click.pass_context
@friendly
def work(ctx: click.Context) -> None:
    """Finish every pending reply and queued SMS now, then exit.

    \b
    Example:
        smsreply work
    """
    make_service(ctx).drain()


def main() -> None:
    cli(obj={}, prog_name="smsreply")


if __name__ == "__main__":
    sys.exit(main())
