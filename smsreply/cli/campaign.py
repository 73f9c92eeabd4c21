"""Campaigns: ``campaign send``, ``list``, ``show``, ``cancel``, ``export``.

``campaign send`` checks and stores the campaign; the server's workers (or ``smsreply
worker``, or ``smsreply campaign send --wait``) send it at ``sms.rate_per_second``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..campaigns import reading, report
from ..campaigns.accepting import Draft
from .common import cli, emit, friendly, json_option, make_service


@cli.group()
def campaign() -> None:
    """One message to many recipients, sent progressively, replies counted.

    \b
    Example:
        smsreply campaign send clients.csv "Bonjour {prenom}, venez-vous ? OUI/NON" --dry-run
    """


def _preview_text(data: dict) -> str:
    lines = [
        f"{data['recipients']} recipient(s), {data['segments']} SMS part(s), "
        f"{data['credits']} credit(s) (balance {data['balance']}); "
        f"{data['rejected']} line(s) rejected"
    ]
    if data.get("credits_missing"):
        lines.append(f"not enough credits: {data['credits_missing']} missing")
    lines += [
        f"  line {row['line']}: {row['recipient']!r}: {row['reason']} ({row['detail']})"
        for row in data["rejections"]
    ]
    if data.get("id"):
        lines.insert(0, f"campaign {data['id']} {data['name']!r}: {data['state']}")
    return "\n".join(lines)


@campaign.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("message")
@click.option("--name", help="The campaign's name (default: the file's name).")
@click.option("--at", "send_at", help="Send from this time, ISO 8601 with offset.")
@click.option("--tag", help="Your label for its conversations (echoed to scripts).")
@click.option("--dry-run", is_flag=True, help="Check and count only; store nothing.")
@click.option("--wait", is_flag=True, help="Send it now from this process, then return.")
@json_option
@click.pass_context
@friendly
def send(ctx, file: Path, message, name, send_at, tag, dry_run, wait, as_json) -> None:
    """Send MESSAGE to every number of the CSV FILE ({column} fields filled per line).

    \b
    Example:
        smsreply campaign send clients.csv "Bonjour {prenom}, RDV le {date}. OUI/NON" \\
            --name rdv-decembre --at 2026-12-01T09:00:00+01:00
    """
    service = make_service(ctx)
    with file.open("rb") as stream:
        columns, lines = reading.read_csv(stream)
        draft = Draft(name or file.stem, message, tag, send_at, columns)
        data = service.create_campaign(draft, lines, dry_run)
    while wait and not dry_run:  # until sent (a retry waiting for its time: a short nap)
        service.drain()
        data = {**data, **service.campaign(data["id"])}
        if data["state"] != "sending":
            break
        time.sleep(0.2)
    emit(data, as_json, _preview_text)


@campaign.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
@click.pass_context
@friendly
def list_campaigns(ctx, limit: int, as_json: bool) -> None:
    """List campaigns, newest first, with their counts.

    \b
    Example:
        smsreply campaign list --json
    """
    rows = make_service(ctx).campaigns(limit)
    emit(
        rows,
        as_json,
        lambda items: (
            "\n".join(
                f"{c['id']:>5} {c['state']:9} {c['counts']['sent']:>6}/{c['recipients']:<6} "
                f"sent, {c['counts']['replied']} replied  {c['name']}"
                for c in items
            )
            or "no campaigns"
        ),
    )


def _show_text(data: dict) -> str:
    counts = data["counts"]
    lines = [
        f"campaign {data['id']} {data['name']!r}: {data['state']} (from {data['send_at']})",
        f"recipients {data['recipients']}, rejected {data['rejected']}, credits "
        f"{data['credits']} (refunded {data['refunded']})",
        "  ".join(f"{key} {value}" for key, value in counts.items()),
        f"reply rate {data['reply_rate']:.1%}",
    ]
    if data["first_words"]:
        words = ", ".join(f"{row['word']} {row['count']}" for row in data["first_words"])
        lines.append(f"replies by first word: {words}")
    timeline = data.get("timeline") or {"buckets": []}
    if timeline["buckets"]:
        lines.append(f"timeline (UTC, per {timeline['bucket_minutes']} min): sent, replies")
        lines += [
            f"  {bucket['at'][:16].replace('T', ' ')}  {bucket['sent']:>6}  {bucket['replies']:>6}"
            for bucket in timeline["buckets"]
        ]
    return "\n".join(lines)


@campaign.command()
@click.argument("campaign_id", type=int)
@json_option
@click.pass_context
@friendly
def show(ctx, campaign_id: int, as_json: bool) -> None:
    """Show a campaign's counts, reply rate, replies by first word and timeline.

    \b
    Example:
        smsreply campaign show 3 --json
    """
    emit(make_service(ctx).campaign(campaign_id), as_json, _show_text)


@campaign.command()
@click.argument("campaign_id", type=int)
@json_option
@click.pass_context
@friendly
def cancel(ctx, campaign_id: int, as_json: bool) -> None:
    """Stop a campaign; the credits of what was not sent are refunded.

    \b
    Example:
        smsreply campaign cancel 3
    """
    emit(make_service(ctx).cancel_campaign(campaign_id), as_json, _show_text)


@campaign.command()
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@click.pass_context
@friendly
def export(ctx, campaign_id: int, output: Path | None) -> None:
    """Write every line of the campaign with its status and first reply, as CSV.

    \b
    Example:
        smsreply campaign export 3 -o resultats.csv
    """
    store = make_service(ctx).store
    store.get_campaign(campaign_id)
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        for chunk in report.export_csv(store, campaign_id):
            target.write(chunk)
    finally:
        if output:
            target.close()
