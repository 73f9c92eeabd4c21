"""``smsreply try``: run a cgi-bin script or a handler once, and show everything."""

from __future__ import annotations

from pathlib import Path

import click

from ..actions import ActionConfigError, Resources
from ..trying import try_once
from .common import cli, command_settings, emit, friendly, json_option


@cli.command("try")
@click.argument("target", metavar="SCRIPT")
@click.argument("message")
@click.option("--from", "sender", default="+33612345678", show_default=True, help="Sender.")
@click.option("--tag", default="", help="The conversation's tag (X_SMSREPLY_TAG).")
@click.option("--shortcode", default="38123", show_default=True, help="The short code.")
@json_option
@click.pass_context
@friendly
def try_command(
    ctx: click.Context, target: str, message: str, sender: str, tag: str, shortcode: str, as_json
) -> None:
    """Run SCRIPT (in cgi-bin/, or a .py handler in handlers/) once for a reply MESSAGE,
    with the environment and standard input the gateway would give it, and show its
    environment, input, output, standard error, exit status, the judged result
    (answered, no_answer, failed and why) and the answer's parts and credits.

    Nothing is stored, sent or debited: no server is needed. Exits 1 when the run failed.

    \b
    Example:
        smsreply try echo.sh "OUI" --from 0612345678 --tag rdv-42
        smsreply try handlers/quiz.py "B"
    """
    settings = command_settings(ctx)
    try:
        trial = try_once(
            Resources(Path.cwd(), settings),
            target,
            message,
            sender=sender,
            tag=tag,
            shortcode=shortcode,
        )
    except ActionConfigError as error:
        raise click.ClickException(error.message) from None
    emit(trial, as_json, _text)
    if trial["result"] == "failed":
        ctx.exit(1)


def _text(trial: dict) -> str:
    lines = []
    if trial["environ"] is None:
        lines += ["== environment: none (handle(reply) is given the reply, not a request)"]
    else:
        lines += ["== environment"]
        lines += [f"{key}={value}" for key, value in sorted(trial["environ"].items())]
        lines += [f"== standard input ({len(trial['stdin'].encode())} bytes)", trial["stdin"]]
    if trial["stdout"] is not None:
        lines += ["== standard output", trial["stdout"].rstrip("\n")]
    if trial["stderr"]:
        lines += ["== standard error", trial["stderr"].rstrip("\n")]
    if trial["exit_code"] is not None or trial["signal"] is not None:
        status = f"signal {trial['signal']}" if trial["signal"] else trial["exit_code"]
        lines.append(f"== exit status: {status} ({trial['duration']} s)")
    lines.append(f"== result: {trial['result']} — {trial['reason']}")
    answer = trial["answer"]
    if answer:
        lines.append(
            f"== answer ({answer['parts']} part(s), {answer['encoding']}, "
            f"{answer['credits']} credit(s)): {answer['text']}"
        )
    if trial["state"] is not None:
        lines.append(f"== state kept for the next reply: {trial['state']}")
    lines.append("(nothing was stored or sent)")
    return "\n".join(lines)
