"""The account: reply ``options``, ``credits``, the STOP ``blacklist``."""

from __future__ import annotations

import json

import click

from ..accounts.ledger_reasons import top_up
from .common import cli, emit, friendly, json_option, make_service


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
@click.option("--action", help="none, text, cgi, handler or url.")
@click.option("--text", help="The predefined answer (--action text).")
@click.option("--script", help="A script in cgi-bin/ (--action cgi).")
@click.option("--handler", help="A module in handlers/ (--action handler).")
@click.option("--url", help="Your URL, http:// or https:// (--action url).")
@click.option("--use-response", is_flag=True, help="With --action url: its body is the answer.")
@click.option(
    "--from-json",
    "from_json",
    type=click.File("r"),
    help="The whole options object (rules, notifications) from a JSON file, - for stdin.",
)
@click.pass_context
@friendly
def options_set(
    ctx: click.Context, action, text, script, handler, url, use_response, from_json
) -> None:
    """Choose the action taken on each reply; the options are checked before saving.

    \b
    Examples:
        smsreply options set --action text --text "Merci, c'est note."
        smsreply options set --action cgi --script rdv.py
        smsreply options set --from-json options.json   # with keyword rules, notifications
    """
    if from_json is not None:
        if action:
            raise click.UsageError("give either --from-json or --action")
        try:
            options = json.load(from_json)
        except json.JSONDecodeError as error:
            raise click.ClickException(f"the options file is not JSON: {error}") from None
    else:
        if not action:
            raise click.UsageError("give --action (or --from-json)")
        given = {"text": text, "script": script, "handler": handler, "url": url}
        options = {"action": action, **{k: v for k, v in given.items() if v is not None}}
        if use_response:
            options["use_response"] = True
    saved = make_service(ctx).set_reply_options(options)
    click.echo(json.dumps(saved, ensure_ascii=False))


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
@click.option("--reason", help="Why, in your words (the ledger shows it).")
@click.pass_context
@friendly
def credits_add(ctx: click.Context, amount: int, reason: str | None) -> None:
    """Add AMOUNT credits.

    \b
    Example:
        smsreply credits add 500
    """
    balance = make_service(ctx).add_credits(amount, top_up(reason))
    click.echo(f"{balance} credit(s)")


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
@friendly
def blacklist(ctx: click.Context, as_json: bool) -> None:
    """List the numbers that replied STOP; `blacklist remove N` lets N receive again.

    \b
    Example:
        smsreply blacklist --json
    """
    if ctx.invoked_subcommand is None:
        rows = make_service(ctx).store.list_blacklist(1000)
        emit(
            rows,
            as_json,
            lambda items: (
                "\n".join(
                    f"{r['number']}  since {r['added_at']}  ({r['message']!r})" for r in items
                )
                or "the blacklist is empty"
            ),
        )


@blacklist.command("remove")
@click.argument("number")
@click.pass_context
@friendly
def blacklist_remove(ctx: click.Context, number: str) -> None:
    """Remove NUMBER from the blacklist (it replied STOP; it agreed again).

    \b
    Example:
        smsreply blacklist remove 0612345678
    """
    make_service(ctx).remove_from_blacklist(number)
    click.echo(f"{number} removed from the blacklist")
