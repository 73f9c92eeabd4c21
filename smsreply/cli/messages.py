"""Messages and replies: ``send``, ``simulate-reply``, ``conversations``, ``outbox``,
``work``, ``poll``."""

from __future__ import annotations

import json

import click

from .. import views
from ..accounts.credentials import ensure_callback_token
from ..simulate import new_provider_id, post_reply, wait_until_done
from .common import cli, emit, friendly, json_option, make_service


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
    data = views.conversation_summary(conversation, service.now_iso())
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
@click.option("--id", "provider_id", help="The provider's id (default: a random number).")
@click.option("--keyword", help="OVH's sixth field, 'keyword' (default: not sent).")
@click.option(
    "--base-url", help="The running server to post to (default: the server.base_url setting)."
)
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
    keyword: str | None,
    base_url: str | None,
    message: str,
    as_json: bool,
) -> None:
    """Post a reply to the running server's callback, as OVH does, and show its result.

    The server must be running (make run): the reply goes through its real HTTP callback
    and its workers, so a script sees what it sees with a real operator. Prints the
    result (answered, no_answer, failed) and its reason; exits 1 when the run failed.

    \b
    Example:
        smsreply simulate-reply --from +33612345678 --shortcode 38123 "OUI"
    """
    service = make_service(ctx)
    form = {
        "shortcode": shortcode,
        "tag": tag,
        "id": provider_id or new_provider_id(),
        "senderid": sender,
        "message": message,
    }
    if keyword is not None:
        form["keyword"] = keyword
    base = base_url or service.settings["server.base_url"]
    result = post_reply(base, ensure_callback_token(service.store), form)
    reply = wait_until_done(service, result["reply_id"])
    emit(reply, as_json, _reply_text)
    if reply["result"] == "failed":
        ctx.exit(1)


def _reply_text(reply: dict) -> str:
    # A STOP is refused as an answerable reply, but what happened is the blacklisting.
    status = "blacklisted" if reply["reason"] == "stop" else reply["status"]
    line = f"reply {reply['id']} from {reply['sender']}: {status}"
    if reply["reason"]:
        line += f" ({reply['reason_text']})"
    if reply["result"]:
        line += f"\nresult: {reply['result']} — {reply['result_reason']}"
    if reply["answer"]:
        line += f"\nanswer: {reply['answer']['message']!r} [{reply['answer']['status']}]"
    return line


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
        detail = views.conversation_detail(service.store, conversation_id, now)
        emit(detail, as_json, lambda d: json.dumps(d, ensure_ascii=False, indent=2))
        return
    data, _ = service.find_conversations(number, tag, status, limit)
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
    rows = [views.outbox_view(row) for row in make_service(ctx).store.list_outbox(limit)]
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


@cli.command()
@click.pass_context
@friendly
def poll(ctx: click.Context) -> None:
    """Fetch the replies the provider holds (OVH), store them, then handle them.

    For installations that cannot expose a callback URL; a server with
    ovh.poll_seconds > 0 does this by itself.

    \b
    Example:
        smsreply poll
    """
    from ..engine.polling import Poller

    service = make_service(ctx)
    if not hasattr(service.provider, "poll"):
        raise click.ClickException(f"provider {service.provider.name!r} cannot be polled")
    stored = Poller(service, 0).poll_once()
    service.drain()
    click.echo(f"{stored} reply(ies) stored")
