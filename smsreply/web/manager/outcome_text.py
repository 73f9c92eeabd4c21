""" "What was done" with a reply, as sentences in the page's language, not raw keys.

``describe(reply)`` reads the reply's recorded outcome (whatever keys its action left:
``script``, ``duration``, ``exit_code``, ``signal``…) and its result, and returns
sentences: what ran and for how long in ms, how it ended with the exit status explained,
which rule chose it, and the result. Each sentence is ``(text, detail)``: ``detail`` is
the domain's own English reason (shown marked ``lang="en"``), or None. The raw record
stays available below it for those who debug.
"""

from __future__ import annotations

import signal as signals

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

ACTIONS = {
    "none": _l("No action: the reply is only stored."),
    "text": _l("The predefined text was chosen as the answer."),
}
RULE = _l("Chosen by the rule “%(rule)s”.")
RULE_STICKY = _l(
    "Chosen by the rule “%(rule)s”; the conversation's next replies go to the same action."
)
RESULTS = {
    "answered": _l("Result: answered."),
    "no_answer": _l("Result: no answer, by design."),
    "failed": _l("Result: failed, nothing was sent."),
}
EXIT_STATUSES = {
    126: _l("126: a command the script ran could not be executed (permission)."),
    127: _l("127: a command the script ran was not found (PATH)."),
}


def describe(reply: dict) -> list[tuple[str, str | None]]:
    outcome = reply.get("outcome") or {}
    sentences: list[tuple[str, str | None]] = []
    ms = _ms(outcome.get("duration"))
    if outcome.get("script"):
        sentences.append(
            (_("The script %(name)s ran for %(ms)s ms.", name=outcome["script"], ms=ms), None)
        )
    elif outcome.get("handler"):
        sentences.append(
            (_("The handler %(name)s ran for %(ms)s ms.", name=outcome["handler"], ms=ms), None)
        )
    elif outcome.get("url"):
        attempts = outcome.get("attempts") or 1
        called = ngettext(
            "The URL %(url)s was called (%(num)d attempt).",
            "The URL %(url)s was called (%(num)d attempts).",
            attempts,
            url=outcome["url"],
        )
        sentences.append((called, None))
    elif outcome.get("action") in ("none", "text"):
        sentences.append((str(ACTIONS[outcome["action"]]), None))
    sentences += _ending(outcome)
    if outcome.get("rule"):
        sentence = RULE_STICKY if outcome.get("sticky") else RULE
        sentences.append((str(sentence) % {"rule": outcome["rule"]}, None))
    if reply.get("result"):
        result = RESULTS.get(reply["result"])
        if result is not None:
            sentences.append((str(result), reply.get("result_reason")))
    return sentences


def _ending(outcome: dict) -> list[tuple[str, str | None]]:
    error = outcome.get("error")
    if error == "timeout":
        return [(_("It ran past its time limit (cgi.timeout) and was stopped."), None)]
    if outcome.get("signal") is not None:
        number = outcome["signal"]
        try:
            name = signals.Signals(number).name
        except ValueError:
            name = "?"
        return [
            (_("It was killed by signal %(number)s (%(name)s).", number=number, name=name), None)
        ]
    code = outcome.get("exit_code")
    if code is None:
        return []
    if code == 0:
        return [(_("It ended normally (exit status 0)."), None)]
    sentences = [
        (
            _(
                "It ended in error: exit status %(code)s (any status but 0 reports a failure).",
                code=code,
            ),
            None,
        )
    ]
    # The statuses a shell gives itself say more than "failure": explain them.
    if code in (126, 127):
        sentences.append((str(EXIT_STATUSES[code]), None))
    elif 128 < code < 160:
        sentences.append(
            (
                _(
                    "A status above 128 usually means a program killed by signal %(number)s.",
                    number=code - 128,
                ),
                None,
            )
        )
    return sentences


def _ms(duration: object) -> str:
    if not isinstance(duration, int | float):
        return "?"
    return str(round(duration * 1000))
