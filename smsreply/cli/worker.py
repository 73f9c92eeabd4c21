"""``smsreply worker``: the background work of a server process, as a process of its own."""

from __future__ import annotations

import signal

import click

from .common import cli, friendly, make_service


@cli.command()
@click.option("--threads", type=int, help="Worker threads (default: worker.threads).")
@click.pass_context
@friendly
def worker(ctx: click.Context, threads: int | None) -> None:
    """Handle replies, send SMS and e-mails until SIGTERM or SIGINT (Ctrl-C).

    The same work each gunicorn worker process does in the background, for a host that
    serves no HTTP: it takes every job due in the database (leases keep two processes
    from doing one job twice). On SIGTERM it lets the jobs running finish, then exits.

    \b
    Example:
        SMSREPLY_DATABASE_PATH=/srv/sms/smsreply.db smsreply worker --threads 8
    """
    from ..engine.background import Background

    if threads is not None and threads < 1:
        raise click.BadParameter("must be at least 1", param_hint="--threads")
    service = make_service(ctx)
    if threads is not None:
        service.settings["worker.threads"] = threads
    background = Background(service)
    if not background.wanted:
        raise click.ClickException("worker.threads is 0 and nothing is polled: nothing to do")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: background.stop())
    background.start()
    click.echo(f"smsreply worker: {background.threads} thread(s); SIGTERM or Ctrl-C to stop")
    background.wait()
    click.echo("smsreply worker: stopped")
